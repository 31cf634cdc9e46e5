"""Commands and files where the Slurm commands are: this machine, or a login node over SSH.

The backend never touches the cluster's file system directly: everything goes through a Shell, so the
same code follows a job here and over SSH. SSH runs with BatchMode (keys or an agent, never a
password prompt) and a connect timeout; failing to connect is a TransientError (trying later may help).
"""
from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path
from typing import Any, Mapping

from genesis_desktop.compute.api import PermanentError, TransientError

SSH_FAILED = 255  # ssh's own exit status when it could not connect or authenticate


class Shell:
    """Local commands and files. `env` goes into every command's environment (SLURM_CONF)."""

    where = "this machine"

    def __init__(self, env: Mapping[str, str] | None = None):
        self.env = dict(env or {})

    def run(self, argv: list[str], timeout: float, input: bytes | None = None) -> subprocess.CompletedProcess:
        """The finished command (returncode, stdout, stderr as text); TransientError if it could not be
        started or did not finish within `timeout` seconds."""
        try:
            done = subprocess.run(argv, input=input, capture_output=True, timeout=timeout,
                                  env={**os.environ, **self.env})
        except FileNotFoundError:
            raise TransientError(f"{argv[0]}: not found on {self.where} (is Slurm installed there?)") from None
        except subprocess.TimeoutExpired:
            raise TransientError(f"{shlex.join(argv)}: no answer within {timeout:g} s on {self.where}") from None
        return subprocess.CompletedProcess(argv, done.returncode, done.stdout.decode(errors="replace"),
                                           done.stderr.decode(errors="replace"))

    def read(self, path: str, offset: int = 0) -> bytes | None:
        """The file's bytes from `offset`; None if there is no such file."""
        try:
            with open(path, "rb") as f:
                f.seek(offset)
                return f.read()
        except FileNotFoundError:
            return None

    def listdir(self, path: str) -> dict[str, tuple[int, int]]:
        """Plain files in a folder: name -> (size, modification time in ns); {} if there is no folder."""
        try:
            entries = list(os.scandir(path))
        except FileNotFoundError:
            return {}
        found = {}
        for e in entries:
            try:
                if e.is_file() and not e.name.startswith("."):
                    st = e.stat()
                    found[e.name] = (st.st_size, st.st_mtime_ns)
            except FileNotFoundError:  # renamed away meanwhile
                pass
        return found

    def write(self, path: str, data: bytes) -> None:
        """Write whole: a temporary name, then renamed, so readers see the old file or the new one."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        temporary.write_bytes(data)
        os.replace(temporary, target)

    def remove(self, path: str) -> None:
        Path(path).unlink(missing_ok=True)

    def absolute(self, path: str) -> str:
        return str(Path(path).expanduser().resolve())


class SshShell(Shell):
    """The same over `ssh`: each call is one ssh command run by the remote user's shell."""

    def __init__(self, host: str, *, user: str | None = None, port: int | None = None, key_file: str | None = None,
                 known_hosts: str | None = None, connect_timeout: float = 5.0, env: Mapping[str, str] | None = None):
        super().__init__(env)
        self.host, self.user, self.port, self.key_file = host, user, port, key_file
        self.known_hosts = known_hosts
        self.connect_timeout = connect_timeout
        self.where = f"{user + '@' if user else ''}{host}{f':{port}' if port else ''}"

    def _ssh(self) -> list[str]:
        argv = ["ssh", "-o", "BatchMode=yes", "-o", f"ConnectTimeout={max(1, round(self.connect_timeout))}",
                "-o", "StrictHostKeyChecking=accept-new"]
        if self.port:
            argv += ["-p", str(self.port)]
        if self.key_file:
            argv += ["-i", str(Path(self.key_file).expanduser())]
        if self.known_hosts:  # a file of the program's own instead of ~/.ssh/known_hosts
            argv += ["-o", f"UserKnownHostsFile={Path(self.known_hosts).expanduser()}"]
        if self.user:
            argv += ["-l", self.user]
        return argv + [self.host, "--"]

    def sh(self, script: str, timeout: float, input: bytes | None = None) -> subprocess.CompletedProcess:
        exports = "".join(f"export {k}={shlex.quote(v)}; " for k, v in self.env.items())
        done = Shell.run(self, self._ssh() + [exports + script], timeout, input)
        if done.returncode == SSH_FAILED:
            raise TransientError(f"ssh to {self.where} failed: {done.stderr.strip() or 'no reason given'}")
        return done

    def run(self, argv: list[str], timeout: float, input: bytes | None = None) -> subprocess.CompletedProcess:
        return self.sh(shlex.join(argv), timeout, input)

    def _bytes(self, script: str) -> subprocess.CompletedProcess:
        """Like sh, but stdout kept as bytes (block files)."""
        exports = "".join(f"export {k}={shlex.quote(v)}; " for k, v in self.env.items())
        try:
            done = subprocess.run(self._ssh() + [exports + script], capture_output=True, timeout=60)
        except subprocess.TimeoutExpired:
            raise TransientError(f"ssh to {self.where}: no answer within 60 s") from None
        if done.returncode == SSH_FAILED:
            raise TransientError(f"ssh to {self.where} failed: {done.stderr.decode(errors='replace').strip()}")
        return done

    def read(self, path: str, offset: int = 0) -> bytes | None:
        q = shlex.quote(path)
        done = self._bytes(f"test -f {q} || exit 4; tail -c +{offset + 1} {q}")
        if done.returncode == 4:
            return None
        if done.returncode:
            raise TransientError(f"reading {path} on {self.where}: {done.stderr.decode(errors='replace').strip()}")
        return done.stdout

    def listdir(self, path: str) -> dict[str, tuple[int, int]]:
        q = shlex.quote(path)
        done = self.sh(f"test -d {q} || exit 0; find {q} -maxdepth 1 -type f ! -name '.*' -printf '%f %s %T@\\n'", 30)
        found = {}
        for line in done.stdout.splitlines():
            name, size, mtime = line.rsplit(" ", 2)
            found[name] = (int(size), int(float(mtime) * 1e9))
        return found

    def write(self, path: str, data: bytes) -> None:
        q, folder = shlex.quote(path), shlex.quote(os.path.dirname(path) or ".")
        tmp = shlex.quote(f"{os.path.dirname(path) or '.'}/.{os.path.basename(path)}.tmp")
        done = self.sh(f"mkdir -p {folder} && cat > {tmp} && mv {tmp} {q}", 30, input=data)
        if done.returncode:
            raise TransientError(f"writing {path} on {self.where}: {done.stderr.strip()}")

    def remove(self, path: str) -> None:
        self.sh(f"rm -f {shlex.quote(path)}", 30)

    def absolute(self, path: str) -> str:
        return path  # relative paths are relative to the remote home, where every command starts


def make_shell(options: Mapping[str, Any]) -> Shell:
    """The shell the options describe: `host` (absent: this machine), `user`, `port`, `key_file`,
    `known_hosts`, `connect_timeout_s`; `slurm_conf` is exported as SLURM_CONF to every command."""
    env = {"SLURM_CONF": str(options["slurm_conf"])} if options.get("slurm_conf") else {}
    for name in ("password", "passphrase"):
        if name in options:
            raise PermanentError(f"slurm option {name!r}: passwords are never used; give key_file or use an agent")
    if not options.get("host"):
        return Shell(env)
    port = options.get("port")
    if port is not None and (isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536):
        raise PermanentError(f"slurm option port: {port!r} must be a TCP port number (1..65535)")
    return SshShell(str(options["host"]), user=options.get("user"), port=port, key_file=options.get("key_file"),
                    known_hosts=options.get("known_hosts"), connect_timeout=float(options.get("connect_timeout_s", 5.0)),
                    env=env)
