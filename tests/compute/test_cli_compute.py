"""The compute commands end to end: the real `genesis` in subprocesses, on a real portfolio file."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from genesis_desktop.cli import main
from genesis_desktop.compute import service
from genesis_desktop.compute.jobs import JobState, Resources
from genesis_desktop.compute.procstat import HOST, process_alive
from genesis_desktop.compute.testing import reference_result, wait_for

QUICK = ["--param", "blocks=4", "--param", "samples_per_block=20000"]


def _params(args: list[str]) -> dict:
    return {k: json.loads(v) for k, v in (a.split("=") for a in args[1::2])}


@pytest.fixture
def store(compute_store):
    return compute_store


def test_run_prints_the_kernels_result_whatever_the_workers(genesis, compute_url, capsys):
    expected = reference_result(service.make_spec("pi", _params(QUICK), seed=5))
    run = genesis("--db", compute_url, "run", "pi", "--seed", "5", *QUICK, "--param", "workers=1", "--json")
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert (out["state"], out["backend"], out["seed"], out["fallback_reason"]) == ("completed", "local", 5, None)
    assert out["result"] == expected
    assert f"job {out['job']} completed in" in run.stderr
    assert main(["--db", compute_url, "run", "pi", "--seed", "5", *QUICK, "--param", "workers=3"]) == 0
    assert f"pi: {expected['pi']}" in capsys.readouterr().out.splitlines()


@pytest.mark.parametrize("args, message", [
    (["run", "pi", "--param", "blocks=0"], "blocks: 0 must be a whole number >= 1"),
    (["run", "pi", "--param", "blocks"], "--param 'blocks': expected NAME=VALUE"),
    (["run", "pi", "--param", "workers=0"], "resources.workers: 0 must be a whole number >= 1"),
    (["run", "pi", "--param", "blocks=2", "--param", "blocks=3"], "--param blocks: given twice"),
    (["run", "pi", "--param", "colour=red"], "pi: unknown parameters ['colour']"),
    (["run", "no-such-kernel"], "'no-such-kernel' is not a known kernel; known kernels: pi, risk"),
    (["jobs", "show", "42"], "job 42: no such job"),
    (["jobs", "cancel", "42"], "job 42: no such job"),
    (["jobs", "telemetry", "42"], "job 42: no such job"),
])
def test_bad_input_exits_2_naming_the_problem(compute_url, store, capsys, args, message):
    # In process: the same main() the command runs, without a second's start-up per case.
    assert main(["--db", compute_url, *args]) == 2
    assert message in capsys.readouterr().err
    assert store.jobs() == [], "a refused run leaves no job behind"


def test_a_missing_portfolio_file_is_bad_input(genesis, tmp_path):
    result = genesis("--db", f"sqlite:///{tmp_path / 'absent.sqlite'}", "jobs", "list")
    assert result.returncode == 2 and "no such portfolio file" in result.stderr
    assert not (tmp_path / "absent.sqlite").exists()


def test_a_failed_run_exits_1_and_the_records_tell_why(genesis, compute_url, capsys):
    run = genesis("--db", compute_url, "run", "pi", *QUICK, "--param", "fail_block=2", "--json")
    assert run.returncode == 1
    out = json.loads(run.stdout)
    assert out["state"] == "failed" and out["error"].startswith("block 2: RuntimeError")
    assert out["result"] is None

    def command(*args: str) -> str:  # in process, as above
        assert main(["--db", compute_url, *args]) == 0
        return capsys.readouterr().out

    listed = json.loads(command("jobs", "list", "--json"))
    assert [(j["id"], j["state"]) for j in listed] == [(out["job"], "failed")]
    shown = json.loads(command("jobs", "show", str(out["job"]), "--json"))
    assert [h["state"] for h in shown["history"]] == ["new", "queued", "running", "failed"]
    assert shown["spec"]["params"]["fail_block"] == 2 and shown["error"] == out["error"]

    everything = json.loads(command("jobs", "telemetry", str(out["job"]), "--json"))
    assert [e["seq"] for e in everything] == list(range(1, len(everything) + 1))
    assert json.loads(command("jobs", "telemetry", str(out["job"]), "--since", "3", "--json")) == everything[3:]
    lines = command("jobs", "telemetry", str(out["job"])).splitlines()
    assert len(lines) == len(everything) and lines[-1].split()[2] == "state" and '"failed"' in lines[-1]
    assert f"{out['job']}  failed" in command("jobs", "list")


def test_cancel_from_another_process_stops_the_run(genesis_started, compute_url, store, capsys):
    run = genesis_started("--db", compute_url, "run", "pi", "--param", "blocks=6", "--param", "sleep_s=2",
                          "--param", "samples_per_block=1000", "--param", "workers=2", "--json")
    job_id = wait_for(lambda: [j.id for j in store.jobs() if j.state is JobState.RUNNING], 60, what="a running job")[0]
    assert main(["--db", compute_url, "jobs", "cancel", str(job_id)]) == 0  # this process is not the run's
    assert f"job {job_id} cancel requested" in capsys.readouterr().err
    out, err = run.communicate(timeout=30)
    assert run.returncode == 1, err
    assert json.loads(out)["state"] == "canceled"
    assert store.get(job_id).state is JobState.CANCELED


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if int(text[text.rindex(")") + 2:].split()[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds the worker processes through /proc")
def test_a_killed_run_is_lost_and_resume_computes_only_the_missing_blocks(genesis, genesis_started, compute_url,
                                                                         store, capsys):
    args = ["--param", "blocks=10", "--param", "sleep_s=0.3", "--param", "samples_per_block=1000",
            "--param", "workers=2"]
    run = genesis_started("--db", compute_url, "run", "pi", "--seed", "9", *args, "--json")
    job_id = wait_for(lambda: [j.id for j in store.jobs()], 60, what="the job record")[0]
    wait_for(lambda: len(store.blocks(job_id)) >= 3, 60, what="three blocks saved")
    workers = _children(run.pid)
    assert workers, "the run has worker processes"
    run.kill()
    run.communicate(timeout=30)
    saved = set(store.blocks(job_id))
    assert 3 <= len(saved) < 10
    wait_for(lambda: not any(process_alive(p) for p in workers), 10, what="the orphaned workers leaving")

    assert main(["--db", compute_url, "jobs", "show", str(job_id), "--json"]) == 0  # a process that is not the owner
    shown = json.loads(capsys.readouterr().out)
    assert shown["state"] == "lost"
    assert shown["history"][-1]["note"] == f"its process {run.pid} on {HOST} is gone"

    resumed = genesis("--db", compute_url, "jobs", "resume", str(job_id), "--json")
    assert resumed.returncode == 0, resumed.stderr
    out = json.loads(resumed.stdout)
    spec = service.make_spec("pi", {**_params(args[:6]), "sleep_s": 0.0}, seed=9, resources=Resources(workers=2))
    assert out["state"] == "completed" and out["result"] == reference_result(spec)

    runs = {b: saved_block.run for b, saved_block in store.blocks(job_id).items()}
    assert {b for b, r in runs.items() if r == 1} == saved, "blocks saved before the kill are kept"
    assert {b for b, r in runs.items() if r == 2} == set(range(10)) - saved, "only the missing are computed"
    assert [c.state.value for c in store.history(job_id)] == [
        "new", "queued", "running", "lost", "queued", "running", "completed"]
    seqs = [e.seq for e in store.telemetry(job_id)]
    assert seqs == list(range(1, len(seqs) + 1)), "numbering goes on across runs without gaps"


def _risk_problem() -> str | None:
    from genesis_desktop.compute.kernels import kernel_problems

    try:
        import genesis_desktop.portfolio.risk_inputs  # noqa: F401
    except ImportError as err:
        return f"the portfolio's risk inputs cannot be imported: {err}"
    return kernel_problems()["risk"]


@pytest.mark.skipif(_risk_problem() is not None, reason=f"the risk kernel is not usable here: {_risk_problem()}")
def test_run_risk_uses_the_recommended_and_awarded_proposals(tmp_path, capsys):
    from sqlalchemy import text

    from genesis_desktop.portfolio.store import make_engine

    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    assert main(["--db", url, "init", "--demo", "--proposals", "60", "--seed", "3"]) == 0
    engine = make_engine(url)
    with engine.connect() as conn:
        chosen = conn.execute(text("SELECT count(*) FROM proposal WHERE status IN ('recommended', 'awarded')")).scalar()
    engine.dispose()
    assert chosen > 0, "the demo portfolio has proposals to run on"
    results = []
    for workers in (1, 2):
        capsys.readouterr()
        assert main(["--db", url, "run", "risk", "--seed", "4", "--param", "scenarios=20000",
                     "--param", "block_size=5000", "--param", f"workers={workers}", "--json"]) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["state"] == "completed" and out["result"]["proposals"] == chosen
        results.append(out["result"])
    assert results[0] == results[1]
