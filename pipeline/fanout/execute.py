"""What a Dask worker does for one stage: run its command as `dvc repro` would (the same
shell and environment, in the stage's working directory), its output in a log file,
and nothing else: DVC's bookkeeping stays with the coordinator (pipeline.fanout.dag).

A worker may be killed mid-stage (a lost node, a pre-empted job): Dask then runs the task
again elsewhere, so the task first removes what an interrupted attempt may have left of
the stage's outputs. A stop requested by the coordinator (Ctrl-C) ends the command's whole
process group.
"""
from __future__ import annotations

import os
import platform
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from pipeline.fanout import SHELL_ENVIRON

STOP_EVENT = "memaudit-stop"   # a distributed.Event the coordinator sets to stop every running stage
POLL_SECONDS = 0.5


@dataclass(frozen=True)
class StageTask:
    address: str        # DVC's address of the stage
    cmd: str
    wdir: str
    outputs: tuple[str, ...]   # paths a run replaces (removed before the command starts)
    log: str
    root: str           # the repository (DVC_ROOT)
    # Variables Dask's nanny sets in every worker (OMP/MKL/OPENBLAS_NUM_THREADS=1, ...), with
    # the coordinator's value or None (unset): the stage gets the shell's, as under dvc repro.
    shell: tuple[tuple[str, str | None], ...] = ()


NANNY_VARIABLES = ("MALLOC_TRIM_THRESHOLD_", "MKL_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def shell_values() -> tuple[tuple[str, str | None], ...]:
    """The shell's values (pipeline.fanout.SHELL_ENVIRON) of what a Dask worker's environment
    overrides. NumPy's BLAS runs with the threads these name, and its float results (t-SNE's
    PCA start, for one) depend on that count: left as the nanny sets them, a fanned-out
    stage's figures differ from dvc repro's in their bytes."""
    import importlib

    import dask

    importlib.import_module("distributed")   # puts its defaults, the nanny's variables among them, into dask.config

    names = set(NANNY_VARIABLES) | set(dask.config.get("distributed.nanny.pre-spawn-environ", {}) or {})
    names |= set(dask.config.get("distributed.nanny.environ", {}) or {})
    return tuple((name, SHELL_ENVIRON.get(name)) for name in sorted(names))


def gpu_of(worker_name: str) -> str | None:
    """A local GPU worker is named gpu<id> or gpu<id>.<k> (several workers on one GPU); <id>
    is the GPU as CUDA_VISIBLE_DEVICES names it (pipeline.fanout.cluster)."""
    match = re.fullmatch(r"gpu(\d+|(?:GPU|MIG)-[0-9A-Za-z/-]+)(?:\.\d+)?", str(worker_name))
    return match.group(1) if match else None


def _environment(task: StageTask, worker_name: str | None) -> dict[str, str]:
    from dvc.env import DVC_ROOT, DVC_STAGE
    from dvc.utils import fix_env

    env = fix_env(None)
    for name, value in task.shell:
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    env[DVC_ROOT], env[DVC_STAGE] = task.root, task.address
    gpu = gpu_of(worker_name) if worker_name else None
    if gpu is not None:
        env["CUDA_VISIBLE_DEVICES"] = gpu
    return env


def _remove(paths) -> None:
    for path in map(Path, paths):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()


def run_stage(task: StageTask, stop=None) -> dict:
    """Run one stage's command; returns what happened (exit code, start and end times,
    where). `stop`: an object with is_set() (a distributed.Event) polled while it runs."""
    from dvc.stage.run import _make_cmd, get_executable

    worker_name = None
    try:
        from distributed import get_worker

        worker_name = get_worker().name
    except (ImportError, ValueError):
        pass
    if stop is None and worker_name is not None:
        from distributed import Event

        stop = Event(STOP_EVENT)
    _remove(task.outputs)
    Path(task.log).parent.mkdir(parents=True, exist_ok=True)
    start = time.time()
    with open(task.log, "w") as log:
        log.write(f"> {task.cmd}\n")
        log.flush()
        process = subprocess.Popen(_make_cmd(get_executable(), task.cmd), cwd=task.wdir, env=_environment(task, worker_name),
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                   preexec_fn=_die_with_parent)
        stopped = False
        while process.poll() is None:
            try:
                process.wait(POLL_SECONDS)
            except subprocess.TimeoutExpired:
                if stop is not None and stop.is_set():
                    stopped = True
                    _end(process)
    return {"address": task.address, "returncode": process.returncode, "stopped": stopped, "start": start,
            "end": time.time(), "worker": str(worker_name or "local"), "host": platform.node(), "log": task.log}


def _die_with_parent() -> None:
    """Linux: the command gets SIGKILL when the worker that started it dies (a killed worker
    must not leave its stage writing outputs while Dask runs the stage again elsewhere).
    The shell runs a single command by exec, so the stage's own process carries this."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _end(process: subprocess.Popen) -> None:
    """SIGTERM to the command's process group, SIGKILL if it has not ended in 10 s."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass
