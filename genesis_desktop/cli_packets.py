"""`genesis review packet export EMAIL FILE` and `genesis review packet import FILE`: a reviewer's
offline review packet out of the portfolio and back (genesis_desktop.review.packets).

Exit codes as cli.py: 0 done, 2 bad input (an unknown reviewer, a file that is not a packet or was
altered, reviews the portfolio refuses), with every problem on stderr and the database unchanged.
"""
from __future__ import annotations

import getpass
import sys

from genesis_desktop.cli import EXIT_BAD_INPUT, EXIT_OK


def add_parsers(review_sub) -> None:
    """Add `packet export` and `packet import` to the subparsers of `genesis review`."""
    packet = review_sub.add_parser("packet", help="a reviewer's offline review packet: export it, import it back")
    actions = packet.add_subparsers(dest="packet_command", metavar="ACTION", required=True)

    e = actions.add_parser("export", help="write a reviewer's packet: their proposals, rubrics and own reviews")
    e.add_argument("email", metavar="EMAIL", help="the reviewer's e-mail")
    e.add_argument("file", metavar="FILE", help="the packet to write (suggested extension .genesis-review)")
    e.add_argument("--by", metavar="WHO", help="who issues it (default: the user name of this session)")
    e.set_defaults(func=cmd_packet_export)

    i = actions.add_parser("import", help="bring a packet's reviews back, all or nothing")
    i.add_argument("file", metavar="FILE")
    i.add_argument("--by", metavar="WHO", help="who imports it (default: the user name of this session)")
    i.add_argument("--reviewer", metavar="EMAIL", help="refuse the packet unless it was issued to this reviewer")
    i.add_argument("--check", action="store_true", help="run every check and say what would change; write nothing")
    i.set_defaults(func=cmd_packet_import)


def _who(args) -> str:
    if args.by:
        return args.by
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name known to the system (a container, a service)
        return "unknown"


def _refused(err: Exception, note: str = "") -> int:
    print(f"genesis: {err}", file=sys.stderr)
    if note:
        print(note, file=sys.stderr)
    return EXIT_BAD_INPUT


def cmd_packet_export(args) -> int:
    from genesis_desktop.portfolio.store import StoreError, open_store
    from genesis_desktop.review.packets import PacketError, export_packet

    try:
        store = open_store(getattr(args, "db", None), create=False)
    except StoreError as err:
        return _refused(err)
    try:
        info = export_packet(store, args.email, args.file, _who(args))
    except PacketError as err:
        return _refused(err, "no packet was written")
    finally:
        store.close()
    print(f"wrote {info.path}: packet {info.packet} for {info.reviewer}, {info.proposals} proposals, "
          f"{info.reviews} reviews so far", file=sys.stderr)
    return EXIT_OK


def cmd_packet_import(args) -> int:
    from genesis_desktop.portfolio.store import StoreError, open_store
    from genesis_desktop.review.packets import PacketError, import_packet, verify_packet

    try:
        store = open_store(getattr(args, "db", None), create=False)
    except StoreError as err:
        return _refused(err)
    try:
        if args.check:
            report = verify_packet(store, args.file, reviewer=args.reviewer)
        else:
            report = import_packet(store, args.file, _who(args), reviewer=args.reviewer)
    except PacketError as err:
        return _refused(err, "nothing was imported; the database is unchanged")
    finally:
        store.close()
    print(f"{report.reviewer}: {len(report.created)} reviews created, {len(report.updated)} updated, "
          f"{len(report.unchanged)} unchanged, {report.versions_added} earlier versions added from {report.path}"
          + (f"; {len(report.stale)} left as the portfolio has them (newer there, untouched in the packet: "
             f"{', '.join(report.stale)})" if report.stale else ""))
    if report.checked_only:
        print("checked only: an import would make these changes; nothing was written", file=sys.stderr)
    return EXIT_OK
