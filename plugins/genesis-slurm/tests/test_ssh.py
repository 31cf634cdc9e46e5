"""Slurm through a login node over SSH: a real sshd (openssh-server) on 127.0.0.1 with a private port,
host key and authorized key, in front of the test cluster. The backend then reaches Slurm's commands
and the job folders only through ssh, as it would on a laboratory's login node."""
from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from genesis_desktop.compute import registry, service
from genesis_desktop.compute.api import JobState
from genesis_desktop.compute.testing import reference_result

pytestmark = pytest.mark.xdist_group("slurm")


@dataclass(frozen=True)
class Sshd:
    port: int
    user: str
    key: Path
    log: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    binary = shutil.which("sshd") or "/usr/sbin/sshd"
    if not Path(binary).exists():
        pytest.skip("openssh-server is not installed (make test installs it as root)")
    if os.geteuid() != 0:
        pytest.skip("sshd must start as root to log a user in")
    folder = tmp_path_factory.mktemp("sshd")
    for name in ("host_key", "client_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / name)], check=True)
    (folder / "authorized_keys").write_text((folder / "client_key.pub").read_text())
    port, user = _free_port(), getpass.getuser()
    (folder / "sshd_config").write_text("\n".join([
        f"Port {port}", "ListenAddress 127.0.0.1", f"HostKey {folder / 'host_key'}", f"PidFile {folder / 'sshd.pid'}",
        f"AuthorizedKeysFile {folder / 'authorized_keys'}", "PubkeyAuthentication yes", "PasswordAuthentication no",
        "KbdInteractiveAuthentication no", "PermitRootLogin prohibit-password", "UsePAM no", "StrictModes no",
        f"AllowUsers {user}", ""]))
    Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege-separation folder; Debian's service makes it
    log = folder / "sshd.log"
    with open(log, "w") as out:
        # -D: stay in the foreground, so this fixture owns the process and stops it by its pid.
        server = subprocess.Popen([binary, "-D", "-e", "-f", str(folder / "sshd_config")], stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert server.poll() is None, f"sshd stopped: {log.read_text()}"
                assert time.monotonic() < deadline, f"sshd did not listen on port {port}: {log.read_text()}"
                time.sleep(0.05)
        yield Sshd(port, user, folder / "client_key", log)
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_job_runs_on_slurm_through_a_login_node_over_ssh(sshd, slurm_options, store, tmp_path, wait_final):
    options = {**slurm_options, "host": "127.0.0.1", "port": sshd.port, "user": sshd.user, "key_file": str(sshd.key),
               "known_hosts": str(tmp_path / "known_hosts"), "python": sys.executable,
               "state_dir": str(tmp_path / "cursors")}
    backend = registry.load(registry.find("slurm"), store, options)
    try:
        probe = backend.probe(10.0)
        assert probe.reachable, probe.reason
        spec = service.make_spec("pi", {"blocks": 3, "samples_per_block": 2_000}, seed=9)
        job_id = store.create_job(spec, backend="slurm")
        native = backend.submit(spec, job_id)
        assert wait_final(backend, native) is JobState.COMPLETED
        assert backend.result(native) == reference_result(spec)
        assert any("started on" in line for line in backend.logs(native)), "the worker's lines came back over ssh"
    finally:
        backend.close()
    assert f"Accepted publickey for {sshd.user}" in sshd.log.read_text(), "the commands went through sshd"
    assert (tmp_path / "known_hosts").read_text().strip(), "the host key was kept in the program's own file"


def test_a_key_that_the_login_node_refuses_is_a_transient_failure_and_the_run_falls_back(
        sshd, slurm_options, store, tmp_path):
    stranger = tmp_path / "stranger_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(stranger)], check=True)
    options = {**slurm_options, "host": "127.0.0.1", "port": sshd.port, "user": sshd.user, "key_file": str(stranger),
               "known_hosts": str(tmp_path / "known_hosts"), "state_dir": str(tmp_path / "cursors")}
    spec = service.make_spec("pi", {"blocks": 2, "samples_per_block": 1_000}, seed=2)
    submitted = service.submit(store, spec, backend="slurm", options=options, tries=2, backoff_s=0.01)
    try:
        record = service.follow(store, submitted.backend, submitted.job_id, poll_s=0.05)
    finally:
        submitted.backend.close()
    assert (record.state, record.backend, record.requested_backend) == (JobState.COMPLETED, "local", "slurm")
    assert "Permission denied" in record.fallback_reason, record.fallback_reason
