"""One Dask Client per scheduler address for the whole process.

The desktop makes a new backend object every second to refresh job states; connecting each time would
cost a handshake and a thread. A client that lost its scheduler keeps trying to reconnect by itself
for its `timeout`, then closes; the next `client_for` makes a new one. `close_clients()` closes them
all (at interpreter exit, and in tests that play a restart of the program).
"""
from __future__ import annotations

import atexit
import logging
import threading
import time

from distributed import Client
from distributed.utils import LoopRunner

from genesis_desktop.compute.api import TransientError

_clients: dict[str, Client] = {}
_runner: LoopRunner | None = None  # one event-loop thread for every client of the process
_locks: dict[str, threading.Lock] = {}
_guard = threading.Lock()
WAITING = ("newly-created", "connecting")


def client_for(address: str, timeout: float) -> Client:
    """The process's client for `address`, connected within `timeout` seconds; TransientError naming
    the address and what went wrong otherwise."""
    with _guard:
        lock = _locks.setdefault(address, threading.Lock())
    if not lock.acquire(timeout=timeout):
        raise TransientError(f"dask scheduler {address}: another thread is still connecting after {timeout:g} s")
    try:
        client = _clients.get(address)
        if client is not None:
            deadline = time.monotonic() + timeout
            while client.status in WAITING and time.monotonic() < deadline:
                time.sleep(0.05)
            if client.status == "running":
                return client
            if client.status in WAITING:
                raise TransientError(f"dask scheduler {address}: lost, and not reconnected within {timeout:g} s")
            _clients.pop(address, None)
            _quiet_close(client)
        try:
            client = Client(address, timeout=timeout, set_as_default=False, loop=_loop())
        except Exception as err:  # OSError, TimeoutError, CommClosedError: all mean "not now"
            raise TransientError(f"dask scheduler {address}: cannot connect within {timeout:g} s "
                                 f"({type(err).__name__}: {err})") from err
        _clients[address] = client
        return client
    finally:
        lock.release()


def _loop():
    # A client made on a loop of its own leaves that loop's thread running when it fails to connect:
    # one thread per failed connect. On one shared loop, the process has one such thread in all.
    global _runner
    with _guard:
        if _runner is None:
            _runner = LoopRunner(asynchronous=False)
            _runner.start()
        return _runner.loop


def cached(address: str) -> Client | None:
    """The client for `address` if one was made and is not closed, without connecting."""
    client = _clients.get(address)
    return client if client is not None and client.status not in ("closing", "closed") else None


def close_clients() -> None:
    """Close every cached client (monitors still using one see a closed client and try again). Their
    event loop's thread stays, a daemon, for the clients made later: a client that failed to connect
    still holds a reference to the loop, and distributed then never stops it."""
    with _guard:
        clients = list(_clients.values())
        _clients.clear()
    for client in clients:
        _quiet_close(client)


def _quiet_close(client: Client) -> None:
    # A client whose scheduler is gone logs a page of tracebacks while closing; they say nothing new.
    logger = logging.getLogger("distributed.client")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        client.close(timeout=2)
    except Exception:
        pass
    finally:
        logger.setLevel(level)


atexit.register(close_clients)
