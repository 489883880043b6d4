"""The DAG fanned out over Dask workers records exactly what a serial `dvc repro` records:
two local worker processes; a scheduler and two workers started on their own (the
multi-machine case), one of them killed mid-stage; a failing stage; Ctrl-C."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow

from test_dvc_pipeline import _run, _stages_run, _status, tiny_params, workspace_env  # noqa: E402

from _workspace import make_workspace  # noqa: E402  (on the path through test_dvc_pipeline)

LOCKS = ("dvc.lock", "dag/train/dvc.lock", "dag/infer/dvc.lock", "dag/score/dvc.lock")
DVC = [sys.executable, "-m", "dvc"]
MEMAUDIT = [sys.executable, "-m", "pipeline.cli"]


def fanout_params(params: dict) -> None:
    """Every family, one thread per stage (two stages at once on two cores)."""
    tiny_params(params)
    params.update(memory_models=["pred_mem"], plain_models=["recon"], clip_models=["memae", "lntra_skip"],
                  daad_models=["daad_ae"], oneclass_models=["memae_img"])
    params["runtime"]["cpu_threads"] = 1


def _locks(repo: Path) -> dict[str, bytes]:
    return {lock: (repo / lock).read_bytes() for lock in LOCKS}


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    repo = make_workspace(tmp_path_factory.mktemp("serial") / "repo", fanout_params, commit=True)
    _run(DVC + ["repro"], repo, workspace_env())
    return repo


@pytest.fixture
def env(monkeypatch):
    """The stages' `python` is this interpreter (workers inherit the environment)."""
    environment = workspace_env()
    monkeypatch.setenv("PATH", environment["PATH"])
    return environment


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    """A fresh copy of the tiny DAG, the current directory (as `memaudit` runs)."""
    repo = make_workspace(tmp_path / "repo", fanout_params, commit=True)
    monkeypatch.chdir(repo)
    return repo


def _intervals(repo: Path) -> list[tuple[float, float]]:
    record = json.loads((repo / "runs" / "logs" / "fanout.json").read_text())
    return [(s["start"], s["end"]) for s in record["stages"] if s["state"] == "done"]


def test_two_local_workers_run_stages_at_once_and_record_what_dvc_repro_records(serial, workspace, env):
    from pipeline.fanout.cluster import client_for
    from pipeline.fanout.schedule import reproduce

    repo = workspace
    with client_for(workers=2) as client:
        run = reproduce(repo, client, echo=lambda line: None)
    assert run.ok and {o.state for o in run.outcomes.values()} == {"done"}
    assert {o.preloaded for o in run.outcomes.values()} == {True}, "every stage forked from its worker's template"
    spans = sorted(_intervals(repo))
    assert any(later[0] < earlier[1] for earlier, later in zip(spans, spans[1:])), "stages overlap in time"
    assert _locks(repo) == _locks(serial), "dvc.lock files byte-identical to a serial dvc repro"
    assert _status(repo, env, DVC) == set() and _stages_run(_run(DVC + ["repro"], repo, env)) == set()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _processes() -> dict[int, tuple[int, str, str]]:
    """pid -> (parent pid, whole command line, where its stdout goes), read from /proc (`ps`
    cuts command lines at 80 columns when its output is not a terminal). A stage forked from
    a worker's template carries the template's command line, so stages are found by their
    stdout: the stage's log, runs/logs/<stage>.log."""
    found = {}
    for proc in Path("/proc").iterdir():
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            found[int(proc.name)] = (ppid, cmd, os.readlink(proc / "fd" / "1"))
        except (OSError, ValueError, IndexError):
            continue
    return found


def _stages_running(repo: Path, kind: str = "") -> dict[int, int]:
    """Stage processes of `repo` whose stage name starts with `kind` -> their parent pid."""
    logs = str(repo.resolve() / "runs" / "logs")
    return {pid: ppid for pid, (ppid, _, out) in _processes().items()
            if out.startswith(logs) and Path(out).name.startswith(kind) and Path(out).name != "fanout.json"}


def _stage_worker(repo: Path, kind: str) -> int | None:
    """The pid of the `dask worker` process that runs a `kind` stage (its parent, or the
    parent of the template it was forked from)."""
    rows = _processes()
    for pid, ppid in _stages_running(repo, kind).items():
        up = ppid
        while up and up in rows:
            if "dask worker" in rows[up][1] or "distributed.cli.dask_worker" in rows[up][1]:
                return up
            up = rows[up][0]
    return None


def test_a_separate_scheduler_and_workers_survive_a_worker_killed_mid_stage(serial, tmp_path, env):
    repo = make_workspace(tmp_path / "repo", fanout_params, commit=True)
    address = f"tcp://127.0.0.1:{_free_port()}"
    started = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                 "--port", address.rsplit(":", 1)[1], "--no-dashboard"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        time.sleep(3)
        started += [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                                      "--name", f"node{i}", "--no-dashboard", "--no-nanny"], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for i in range(3)]
        run = subprocess.Popen(MEMAUDIT + ["repro", "--scheduler", address], cwd=repo, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
        victim = None
        for _ in range(600):   # a worker training a model: kill it (SIGKILL, as a lost node)
            victim = _stage_worker(repo, "train")
            if victim or run.poll() is not None:
                break
            time.sleep(0.2)
        assert victim, "no training stage was seen on a worker"
        os.kill(victim, signal.SIGKILL)
        output, _ = run.communicate(timeout=900)
        assert run.returncode == 0, output[-3000:]
    finally:
        for process in started:
            process.kill()
    assert _locks(repo) == _locks(serial), "the killed stage ran again elsewhere; nothing was half-recorded"
    assert _status(repo, env, DVC) == set()


def test_a_failed_stage_stops_only_what_depends_on_it_and_a_rerun_finishes(tmp_path, env, monkeypatch):
    from pipeline.fanout.cluster import client_for
    from pipeline.fanout.schedule import reproduce

    def broken(params: dict) -> None:
        fanout_params(params)
        params["models"]["memae"]["train"]["num_items"] = "many"   # fails when the stage builds its network

    repo = make_workspace(tmp_path / "repo", broken, commit=True)
    monkeypatch.chdir(repo)
    lines = []
    with client_for(workers=2) as client:
        run = reproduce(repo, client, echo=lines.append)
    states = {name: o.state for name, o in run.outcomes.items()}
    chain = {"train_clip@synthetic-memae-0", "infer_clip@synthetic-memae-0", "score_clip@synthetic-memae", "report"}
    assert states["train_clip@synthetic-memae-0"] == "failed"
    assert {states[name] for name in chain - {"train_clip@synthetic-memae-0"}} == {"blocked"}
    assert {name for name, state in states.items() if state != "done"} == chain
    [error] = [line for line in lines if line.startswith("error:")]
    assert "train_clip@synthetic-memae-0" in error and "runs/logs/train_clip@synthetic-memae-0.log" in error
    # the siblings are recorded; fixing the cause and rerunning does only what is missing
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params["models"]["memae"]["train"]["num_items"] = 20
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    assert _status(repo, env, DVC) == chain
    with client_for(workers=2) as client:
        again = reproduce(repo, client, echo=lambda line: None)
    assert {n for n, o in again.outcomes.items() if o.state == "done"} == chain
    assert again.ok and _status(repo, env, DVC) == set()


def test_ctrl_c_stops_the_running_stages_and_records_nothing_half_done(workspace, env):
    repo = workspace
    # A shell that starts a job in the background (as CI runners do) hands it SIGINT ignored;
    # the run under test gets the default a terminal gives, so Ctrl-C reaches it.
    run = subprocess.Popen(MEMAUDIT + ["repro", "--workers", "2"], cwd=repo, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True,
                           preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    for _ in range(600):
        if _stages_running(repo, "train") or run.poll() is not None:
            break
        time.sleep(0.2)
    assert run.poll() is None, "the run ended before a training stage started"
    run.send_signal(signal.SIGINT)
    output, _ = run.communicate(timeout=120)
    assert run.returncode == 130 and "interrupted" in output, output[-3000:]
    assert " - INFO - " not in output, "Dask's own logs stay at warning level without --verbose"
    time.sleep(1)
    assert not _stages_running(repo), "no stage keeps running"
    lock = yaml.safe_load((repo / "dag" / "train" / "dvc.lock").read_text()) if (repo / "dag/train/dvc.lock").exists() \
        else {"stages": {}}
    changed = _status(repo, env, DVC)
    assert not set(lock.get("stages") or {}) & changed, "a stage recorded in a lock is never left changed"
    assert _stages_run(_run(DVC + ["repro"], repo, env)) == changed, "dvc repro finishes exactly what was missing"


def test_the_plan_lists_what_would_run_measured_on_this_machine_and_cached(workspace, env):
    """Without a table the plan measures the device the params select (here the CPU), once:
    a second plan reuses the cached measurement, `--calibrate` measures again."""
    out = _run(MEMAUDIT + ["plan", "--workers", "2"], workspace, env)
    [cached] = (workspace / "runs" / "plan").glob("calibration-*.json")
    table = json.loads(cached.read_text())
    assert set(table["rates"]) == {"mnad/prediction", "mnad/reconstruction", "clip_ae", "daad", "image_ae"}
    assert all(train > 0 and test > 0 for train, test in table["rates"].values())
    assert table["stage_seconds"] > 0 and set(table["score_seconds"]) == {"mnad", "clip_ae", "daad", "image_ae"}
    assert "calibrating" in out and "train_memory@synthetic-pred_mem-0" in out and "makespan on 2 workers" in out
    # nothing has run yet: every stage of the DAG is listed, once
    rows = [line.split("|")[1].strip() for line in out.splitlines()
            if line.startswith("| ") and not line.startswith(("| stage", "| ---"))]
    listed = [line.split()[0].rsplit(":", 1)[-1] for line in _run(DVC + ["stage", "list", "--all"], workspace,
                                                                    env).splitlines() if line.strip()]
    assert sorted(rows) == sorted(listed)
    again = _run(MEMAUDIT + ["plan", "--summary"], workspace, env)
    assert "calibrating" not in again and table["source"] in again
    official = _run(MEMAUDIT + ["plan", "--summary", "--throughput", "official"], workspace, env)
    assert "published figures" in official
