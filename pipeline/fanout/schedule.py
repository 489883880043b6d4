"""The coordinator: `dvc repro`'s decisions, stage by stage, with independent stages running
at once on Dask workers.

A stage is considered once every stage it depends on is settled, as in a serial run: then
DVC decides whether it changed (pipeline.fanout.dag) and, if so, its command goes to a
worker. Among the stages ready at once, the one heading the longest remaining chain of
estimated work goes first (critical-path priority: the makespan on N workers stays
short). A failed stage settles as failed and everything downstream of it as blocked; the
others go on and are recorded. Nothing is recorded for a stage whose command did not
succeed, so a rerun (or `dvc repro`) does exactly what is missing.
"""
from __future__ import annotations

import contextlib
import json
import signal
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from tqdm import tqdm

from pipeline.fanout.dag import Dag
from pipeline.fanout.execute import STOP_EVENT, StageTask, run_stage, shell_values

LOG_DIR = Path("runs/logs")          # one log per stage run by the fan-out (git-ignored)
RECORD = LOG_DIR / "fanout.json"     # every stage's outcome, worker and start/end times, of the last run
OK = ("skipped", "restored", "done")


@dataclass
class Outcome:
    stage: str
    state: str                       # skipped | restored | done | failed | blocked | stopped
    start: float | None = None
    end: float | None = None
    worker: str | None = None
    log: str | None = None
    reason: str | None = None
    preloaded: bool | None = None    # forked from the worker's template (pipeline.fanout.execute), not started by the shell


@dataclass
class Run:
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    seconds: float = 0.0
    interrupted: bool = False

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes.values() if o.state == "failed"]

    @property
    def ok(self) -> bool:
        return not self.interrupted and all(o.state in OK for o in self.outcomes.values())


def critical_path(dag: Dag, estimate: Callable) -> dict:
    """Each stage's estimated seconds plus the longest chain of stages downstream of it."""
    downstream = {s: [] for s in dag.steps}
    for stage, ups in dag.upstream.items():
        for up in ups:
            downstream[up].append(stage)
    rank = {}
    for stage in reversed(dag.steps):   # DVC's order puts every stage after its upstream
        rank[stage] = estimate(stage) + max((rank[d] for d in downstream[stage]), default=0.0)
    return rank


class CtrlC:
    """Ctrl-C as a flag the coordinator reads between steps, not an exception raised wherever
    the main thread happens to be: inside DVC's or Dask's code a KeyboardInterrupt can be
    caught and lost, and the run would go on. A second Ctrl-C raises at once. Installed only
    in the main thread, and not where the shell made SIGINT ignored (nohup, `&`)."""

    def __init__(self):
        self.requested, self._previous = False, None

    def __enter__(self) -> CtrlC:
        if threading.current_thread() is threading.main_thread() and \
                signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def check(self) -> None:
        if self.requested:
            raise KeyboardInterrupt

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def reproduce(root: str | Path, client, estimate: Callable | None = None, echo: Callable = print) -> Run:
    """Run the DAG of the repository at `root` on the Dask `client`'s workers."""
    start = time.time()
    root = Path(root).resolve()
    run = Run()
    with contextlib.chdir(root):   # DVC resolves stage paths against the working directory, as its CLI runs
        dag = Dag(root)
        try:
            with dag.locked(), CtrlC() as ctrl_c:   # as any dvc command: no other changes the records meanwhile
                try:
                    _coordinate(dag, client, run, root, estimate, echo, ctrl_c)
                finally:
                    dag.flush()   # every recorded stage in its dvc.lock, however the run ended
        finally:
            dag.close()
    run.seconds = time.time() - start
    (root / RECORD).parent.mkdir(parents=True, exist_ok=True)
    (root / RECORD).write_text(json.dumps({"seconds": run.seconds, "interrupted": run.interrupted,
                                           "stages": [asdict(o) for o in run.outcomes.values()]}, indent=1))
    return run


def _coordinate(dag: Dag, client, run: Run, root: Path, estimate, echo, ctrl_c: CtrlC | None = None) -> None:
    from distributed import Event, as_completed

    rank = critical_path(dag, estimate or (lambda stage: 1.0))
    shell = shell_values()
    pending, running = list(dag.steps), {}
    completed = as_completed()
    bar = tqdm(total=len(dag.steps), desc="stages", unit="stage", mininterval=1)

    def settle(stage, state: str, **facts) -> None:
        run.outcomes[dag.name(stage)] = Outcome(dag.name(stage), state, **facts)
        bar.update(1)

    def state_of(stage) -> str | None:
        outcome = run.outcomes.get(dag.name(stage))
        return None if outcome is None else outcome.state

    try:
        while pending or running:
            while ready := sorted((s for s in pending if all(state_of(u) for u in dag.upstream[s])),
                                  key=lambda s: -rank[s]):
                if ctrl_c is not None:
                    ctrl_c.check()
                stage = ready[0]   # one at a time: settling it may make others ready
                pending.remove(stage)
                broken = [dag.name(u) for u in dag.upstream[stage] if state_of(u) not in OK]
                if broken:
                    settle(stage, "blocked", reason=f"upstream {', '.join(broken)} did not succeed")
                    continue
                if not dag.changed(stage):
                    settle(stage, "skipped")
                    continue
                if dag.prepare(stage) == "restored":
                    settle(stage, "restored", reason="DVC's run-cache")
                    continue
                if stage in dag.sinks:
                    dag.flush()   # what nothing depends on may read the locks (the report does): written first, as serially
                task = StageTask(stage.addressing, stage.cmd, str(stage.wdir), tuple(dag.outputs(stage)),
                                 str(root / LOG_DIR / f"{dag.name(stage)}.log"), str(root), shell)
                future = client.submit(run_stage, task, key=f"{dag.name(stage)}-{uuid.uuid4().hex[:8]}",
                                       pure=False, priority=int(rank[stage]))
                running[future] = stage
                completed.add(future)
            if not running:
                break   # whatever is still pending waits on a stage that will never settle
            while ctrl_c is not None and not completed.has_ready():
                ctrl_c.check()
                time.sleep(0.1)
            future = next(completed)
            stage = running.pop(future)
            try:
                result = future.result()
            except Exception as err:  # noqa: BLE001  (a worker lost too often, a task error)
                result = {"returncode": None, "error": f"{type(err).__name__}: {err}"}
            facts = {k: result.get(k) for k in ("start", "end", "worker", "log", "preloaded")}
            if result.get("returncode") == 0:
                dag.record(stage)
                settle(stage, "done", **facts)
                echo(f"done {dag.name(stage)} ({result['end'] - result['start']:.1f} s on {result['worker']})")
            elif result.get("stopped"):
                settle(stage, "stopped", **facts)
            else:
                reason = result.get("error") or f"exit {result['returncode']}"
                settle(stage, "failed", reason=reason, **facts)
                echo(f"error: stage {dag.name(stage)} failed ({reason}); its log: {result.get('log') or 'none'}")
    except KeyboardInterrupt:
        run.interrupted = True
        Event(STOP_EVENT, client=client).set()
        for future, stage in running.items():
            try:
                result = future.result(timeout=30)
            except Exception:  # noqa: BLE001
                result = {}
            settle(stage, "stopped", **{k: result.get(k) for k in ("start", "end", "worker", "log")})
        for future in running:
            future.cancel()
    finally:
        bar.close()
        for stage in pending:
            if dag.name(stage) not in run.outcomes:
                run.outcomes[dag.name(stage)] = Outcome(dag.name(stage), "blocked", reason="not started")
        Event(STOP_EVENT, client=client).clear()
