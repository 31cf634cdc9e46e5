"""Backend plugins found through real entry points: small distributions written into a folder that goes
on sys.path (in process) or PYTHONPATH (for the `genesis` command), as pip would install them."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from genesis_desktop.cli import main
from genesis_desktop.compute import registry, service
from genesis_desktop.compute.api import API_VERSION, PermanentError
from genesis_desktop.compute.errors import BackendUnavailable
from genesis_desktop.compute.jobs import JobState, Resources
from genesis_desktop.compute.kernel import SpecError

MARK_IMPORT = "import pathlib; pathlib.Path(__file__).with_name('IMPORTED').write_text('yes')\n"
LOCAL_TWIN = "from genesis_desktop.compute.local import LocalBackend\n\n\nclass Backend(LocalBackend):\n    pass\n"
PLUGINS = {
    # entry-point name: (manifest api_version, manifest name, package __init__, backend module)
    "broken": (API_VERSION, "broken", "raise RuntimeError('the broken plugin cannot start')\n", LOCAL_TWIN),
    "future": (99, "future", MARK_IMPORT, LOCAL_TWIN),
    "twin": (API_VERSION, "twin", "", LOCAL_TWIN),
    "misnamed": (API_VERSION, "someone-else", MARK_IMPORT, LOCAL_TWIN),
    # The local engine under another name, reporting its queue unreachable; or never answering.
    "offline": (API_VERSION, "offline", "", LOCAL_TWIN + "\n    def probe(self, timeout):\n"
                "        from genesis_desktop.compute.api import Probe\n"
                "        return Probe(False, 'no route to the queue')\n"),
    "slowpoke": (API_VERSION, "slowpoke", "", LOCAL_TWIN + "\n    def probe(self, timeout):\n"
                 "        import time\n        time.sleep(60)\n"),
    # Unreachable for its first two probes in this process, then reachable.
    "flaky": (API_VERSION, "flaky", "", LOCAL_TWIN + "\n    probes = 0\n\n    def probe(self, timeout):\n"
              "        from genesis_desktop.compute.api import Probe\n        type(self).probes += 1\n"
              "        return Probe(type(self).probes > 2, f'probe {type(self).probes}')\n"),
    # Reachable, but every submit is refused for a reason that may pass (a full queue), or for good.
    "busy": (API_VERSION, "busy", "", LOCAL_TWIN + "\n    def submit(self, spec, job_id):\n"
             "        from genesis_desktop.compute.api import TransientError\n"
             "        raise TransientError('the queue is full')\n"),
    "refuses": (API_VERSION, "refuses", "", LOCAL_TWIN + "\n    def submit(self, spec, job_id):\n"
                "        from genesis_desktop.compute.api import PermanentError\n"
                "        raise PermanentError('account alice may not use partition gpu')\n"),
}


def _install(site: Path, name: str, api_version: int, manifest_name: str, init: str, module: str) -> None:
    package = site / f"genesis_plugin_{name}"
    package.mkdir()
    (package / "__init__.py").write_text(init)
    (package / "backend.py").write_text(module)
    (package / "manifest.toml").write_text(
        f'name = "{manifest_name}"\napi_version = {api_version}\n'
        f'backend = "genesis_plugin_{name}.backend:Backend"\ndescription = "test plugin {name}"\n')
    info = site / f"genesis_plugin_{name}-1.{len(name)}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: genesis-plugin-{name}\nVersion: 1.{len(name)}\n")
    (info / "entry_points.txt").write_text(
        f"[genesis_desktop.backends]\n{name} = genesis_plugin_{name}:manifest.toml\n")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    site = tmp_path_factory.mktemp("site")
    for name, spec in PLUGINS.items():
        _install(site, name, *spec)
    info = site / "genesis_plugin_lost-1.0.dist-info"  # an entry point whose manifest is not there
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: genesis-plugin-lost\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[genesis_desktop.backends]\nlost = genesis_no_such_package:x.toml\n"
                                           "local = genesis_plugin_twin:manifest.toml\n")  # the built-in's name
    return site


@pytest.fixture
def installed(site, monkeypatch) -> Path:
    monkeypatch.syspath_prepend(str(site))
    return site


def _imported(site: Path) -> list[str]:
    return sorted(p.parent.name for p in site.glob("*/IMPORTED"))


def test_listing_reads_manifests_and_imports_nothing(installed):
    entries = {e.name: e for e in registry.discover()}
    # The real plugins installed beside the program (slurm, dask) are listed too; these are the test's.
    ours = {name for name, e in entries.items() if name == "local" or e.distribution.startswith("genesis-plugin-")}
    assert ours == {"local", "local (genesis-plugin-lost)", "lost", *PLUGINS}
    assert entries["local"].distribution == "genesis-desktop" and entries["local"].problem is None
    assert entries["local (genesis-plugin-lost)"].problem == "the name 'local' is already taken by genesis-desktop"
    assert entries["twin"].manifest.version == "1.4", "the version defaults to the distribution's"
    assert entries["twin"].manifest.description == "test plugin twin" and entries["twin"].problem is None
    assert entries["future"].problem.startswith("speaks plugin API version 99; this program speaks 1")
    assert entries["misnamed"].problem == "the manifest calls it 'someone-else' but its entry point is 'misnamed'"
    assert entries["lost"].problem.startswith("manifest: package 'genesis_no_such_package' is not installed")
    assert entries["broken"].problem is None, "a plugin that raises on import is only found out by loading it"
    assert _imported(installed) == []


def test_a_plugin_that_raises_on_import_is_unavailable_and_runs_fall_back(installed, compute_store):
    (probe,) = registry.availability([registry.find("broken")], timeout=2)
    assert not probe.reachable
    assert probe.reason == ("backend broken: importing genesis_plugin_broken.backend:Backend failed: "
                            "RuntimeError: the broken plugin cannot start")
    backend, reason = registry.select("broken", compute_store)
    try:
        assert backend.name == "local" and reason == probe.reason
    finally:
        backend.close()


def test_a_plugin_of_another_api_version_is_never_imported(installed, compute_store):
    assert not registry.availability([registry.find("future")], timeout=2)[0].reachable
    backend, reason = registry.select("future", compute_store)
    backend.close()
    assert backend.name == "local" and "API version 99" in reason
    assert _imported(installed) == []


def test_a_working_plugin_runs_jobs_under_its_own_name(installed, compute_store):
    spec = service.make_spec("pi", {"blocks": 2, "samples_per_block": 1000}, seed=3)
    submitted = service.submit(compute_store, spec, backend="twin")
    try:
        record = service.follow(compute_store, submitted.backend, submitted.job_id)
    finally:
        submitted.backend.close()
    assert submitted.fallback_reason is None
    assert (record.state, record.backend, record.requested_backend) == (JobState.COMPLETED, "twin", "twin")


def test_safe_mode_loads_only_the_builtin(installed, compute_store):
    entries = {e.name: e for e in registry.discover(safe_mode=True)}
    assert entries["local"].problem is None
    assert entries["twin"].problem == "safe mode: only the built-in local backend is loaded"
    backend, reason = registry.select("twin", compute_store, safe_mode=True)
    backend.close()
    assert backend.name == "local" and reason == "backend twin: safe mode: only the built-in local backend is loaded"


def test_an_unreachable_backend_falls_back_saying_why(installed, compute_store):
    backend, reason = registry.select("offline", compute_store, backoff_s=0.01)
    backend.close()
    assert backend.name == "local" and reason == "backend offline: not reachable (3 tries): no route to the queue"


def test_a_probe_is_tried_again_before_falling_back(installed, compute_store):
    backend, reason = registry.select("flaky", compute_store, tries=3, backoff_s=0.01)
    backend.close()
    assert (backend.name, reason) == ("flaky", None), "the third probe answered"


def test_transient_refusals_are_retried_then_the_job_runs_locally(installed, compute_store):
    spec = service.make_spec("pi", {"blocks": 2, "samples_per_block": 1000}, seed=3)
    submitted = service.submit(compute_store, spec, backend="busy", tries=2, backoff_s=0.01)
    try:
        record = service.follow(compute_store, submitted.backend, submitted.job_id)
    finally:
        submitted.backend.close()
    assert submitted.fallback_reason == "backend busy: refused the submit 2 times: the queue is full"
    assert (record.state, record.backend, record.requested_backend) == (JobState.COMPLETED, "local", "busy")
    assert record.fallback_reason == submitted.fallback_reason
    warnings = [e.payload["line"] for e in compute_store.telemetry(record.id)
                if e.kind.value == "log" and e.payload["level"] == "warning"]
    assert warnings == ["busy refused the submit (try 1 of 2): the queue is full",
                        "busy refused the submit (try 2 of 2): the queue is full",
                        f"running on local, not busy: {submitted.fallback_reason}"]


def test_a_permanent_refusal_never_falls_back(installed, compute_store):
    spec = service.make_spec("pi", {"blocks": 2, "samples_per_block": 1000}, seed=3)
    with pytest.raises(PermanentError, match="may not use partition gpu"):
        service.submit(compute_store, spec, backend="refuses", backoff_s=0.01)
    (record,) = compute_store.jobs()
    assert (record.state, record.backend) == (JobState.FAILED, "refuses")
    assert record.error == "submit failed: account alice may not use partition gpu"
    assert compute_store.blocks(record.id) == {}, "nothing ran anywhere"


def test_settings_reach_the_backend_and_secrets_are_refused(installed, tmp_path, monkeypatch):
    settings = tmp_path / "backends.toml"
    settings.write_text('[twin]\npartition = "gpu"\nlost_after_s = 5.0\n')
    monkeypatch.setenv("GENESIS_BACKENDS", str(settings))
    backend = registry.load(registry.find("twin"), None)
    assert backend.options == {"partition": "gpu", "lost_after_s": 5.0}
    assert registry.load(registry.find("twin"), None, {"partition": "debug"}).options == {"partition": "debug"}
    settings.write_text('[twin]\nssh_password = "hunter2"\n')
    with pytest.raises(BackendUnavailable, match=r"backends.toml: \[twin\] ssh_password: secrets are not kept"):
        registry.load(registry.find("twin"), None)
    backend, reason = registry.select("twin", None)
    assert backend.name == "local" and "secrets are not kept in plain files" in reason


def test_a_probe_that_never_answers_is_given_up_on(installed):
    backend = registry.load(registry.find("slowpoke"), None)
    started = time.monotonic()
    probe = registry.probe(backend, timeout=0.3)
    assert time.monotonic() - started < 2
    assert probe == type(probe)(False, "no answer to the probe within 0.3 s")


def test_the_command_lists_plugins_and_falls_back(installed, genesis, compute_url, capsys):
    assert main(["backends", "--json", "--timeout", "0.5"]) == 0  # in process: main() is what the command runs
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["local"]["available"] and rows["twin"]["available"]
    assert not rows["broken"]["available"]
    assert "RuntimeError: the broken plugin cannot start" in rows["broken"]["reason"]
    assert not rows["future"]["available"] and "API version 99" in rows["future"]["reason"]
    assert not rows["offline"]["available"] and rows["offline"]["reason"] == "no route to the queue"
    assert rows["slowpoke"]["reason"] == "no answer to the probe within 0.5 s"
    assert _imported(installed) == []

    # A real process: the program starts and runs, whatever the broken plugin does.
    run = genesis("--db", compute_url, "run", "pi", "--backend", "broken", "--param", "blocks=2", "--json",
                  path=installed)
    assert run.returncode == 0, run.stderr
    assert "the broken plugin cannot start; running on local instead" in run.stderr
    out = json.loads(run.stdout)
    assert (out["state"], out["backend"], out["requested_backend"]) == ("completed", "local", "broken")
    assert "RuntimeError: the broken plugin cannot start" in out["fallback_reason"]

    assert main(["--safe-mode", "backends", "--json", "--timeout", "0.5"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["local"]["available"] and not rows["twin"]["available"]
    assert "safe mode" in rows["twin"]["reason"]


def test_a_spec_refused_after_a_fallback_says_why_it_fell_back(installed, compute_store):
    spec = service.make_spec("pi", {"blocks": 2}, seed=3, resources=Resources(gpus=1))
    with pytest.raises(SpecError, match=r"resources.gpus: 1 but backend local has no GPUs \(on local, because "
                                        r"backend future: speaks plugin API version 99"):
        service.submit(compute_store, spec, backend="future")
    assert compute_store.jobs() == []
