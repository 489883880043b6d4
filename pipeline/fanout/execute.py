"""What a Dask worker does for one stage: run its command as `dvc repro` would (the same
shell and environment, in the stage's working directory), its output in a log file,
and nothing else: DVC's bookkeeping stays with the coordinator (pipeline.fanout.dag).

A stage process spends seconds importing torch and pandas before its work (2.9 s for a
training stage on a 2-core CPU, torch._dynamo included; about a third of a short stage).
So a `python <script>.py` command is forked from a template process that imported them
once (pipeline/fanout/preload.py) when its libraries would load in the template's
environment: `python` is this interpreter, the script a stage script of a workspace whose
numerics code is the one here, and the numerics its params select (applied as
stages/_common.py applies them, pipeline.numerics.stage_setting) give one compute thread
and the template's variables. The child takes the stage's environment, directory, arguments and log and runs the script as
__main__. Anything else runs through the shell as `dvc repro` would. Either way the stage
computes with the same libraries loaded under the same variables, so the same bytes
(tests/test_fanout.py compares with a serial run).

A worker may be killed mid-stage (a lost node, a pre-empted job): Dask then runs the task
again elsewhere, so the task first removes what an interrupted attempt may have left of
the stage's outputs. A stop requested by the coordinator (Ctrl-C) ends the command's whole
process group.
"""
from __future__ import annotations

import json
import os
import platform
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from pipeline.fanout import SHELL_ENVIRON
from pipeline.fanout.preload import die_with_parent

STOP_EVENT = "memaudit-stop"   # a distributed.Event the coordinator sets to stop every running stage
POLL_SECONDS = 0.5
# A command the template (pipeline/fanout/preload.py) may run: `python <script>.py` and plain words, nothing the shell interprets.
SCRIPT_COMMAND = re.compile(r"(python3?) +([\w./-]+\.py)((?: +[\w./=:@,+-]+)*)")


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
    env = _environment(task, worker_name)
    command = preloadable(task.cmd, task.wdir, env)
    template = _Template.for_command(command) if command is not None else None
    start = time.time()
    with open(task.log, "w") as log:
        log.write(f"> {task.cmd}\n")
        log.flush()
        if template is not None:
            process = _Preloaded(template, command.script, command.arguments, task.wdir, env, task.log)
        else:
            process = subprocess.Popen(_make_cmd(get_executable(), task.cmd), cwd=task.wdir, env=env,
                                       stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                       preexec_fn=die_with_parent)
        stopped = False
        while process.poll() is None:
            try:
                process.wait(POLL_SECONDS)
            except subprocess.TimeoutExpired:
                if stop is not None and stop.is_set():
                    stopped = True
                    _end(process)
    return {"address": task.address, "returncode": process.returncode, "stopped": stopped, "start": start,
            "end": time.time(), "worker": str(worker_name or "local"), "host": platform.node(), "log": task.log,
            "preloaded": template is not None}


@dataclass(frozen=True)
class ScriptCommand:
    python: str                 # the interpreter the shell would start (a name of this one)
    script: str
    arguments: list[str]
    load_env: dict[str, str]    # the environment its libraries load under


def preloadable(cmd: str, wdir: str, env: dict[str, str]) -> ScriptCommand | None:
    """The command as the template runs it, when it can: `python <script>.py <plain words>`,
    `python` on the stage's PATH being this interpreter (any of its names in its folder), a
    stage script beside stages/_common.py in a workspace whose numerics code is the one
    loaded here, one compute thread. None: run it through the shell."""
    from pipeline import numerics

    match = SCRIPT_COMMAND.fullmatch(" ".join(cmd.split()))
    if match is None:
        return None
    python, script, arguments = match.group(1), Path(wdir, match.group(2)), match.group(3).split()
    found = shutil.which(python, path=env.get("PATH"))
    if found is None or Path(found).absolute().parent != Path(sys.executable).absolute().parent \
            or os.path.realpath(found) != os.path.realpath(sys.executable):
        return None
    workspace_numerics = Path(wdir, "pipeline", "numerics.py")
    if not ((script.parent / "_common.py").is_file() and workspace_numerics.is_file()
            and workspace_numerics.read_bytes() == Path(numerics.__file__).read_bytes()):
        return None
    try:
        import yaml

        mode, threads = numerics.stage_setting(yaml.safe_load(Path(wdir, "params.yaml").read_text()), script.stem)
    except (OSError, TypeError, KeyError, yaml.YAMLError):
        return None
    if mode != "portable" or threads != 1:   # else thread counts come from the shell: some start threads as they load
        return None
    load_env = {name: value for name, value in env.items() if name != "DVC_STAGE"}
    numerics.apply(mode, threads, load_env)
    return ScriptCommand(str(Path(found).absolute()), str(script), arguments, load_env)


class _Template:
    """This worker's stage-process template (pipeline/fanout/preload.py), started on first
    use with its libraries loaded under `load_env`."""
    process: subprocess.Popen | None = None
    started_as: tuple[str, dict[str, str]] = ("", {})

    @classmethod
    def for_command(cls, command: ScriptCommand) -> "type[_Template] | None":
        """The running template if it runs `command`'s interpreter with its libraries loaded
        under `command.load_env` (a new one if none runs); None for a stage whose libraries
        would load otherwise: the shell runs that one."""
        if cls.process is not None and cls.process.poll() is not None:
            cls.process = None
        if cls.process is None:
            cls.process = subprocess.Popen([command.python, str(Path(__file__).with_name("preload.py"))],
                                           env=command.load_env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                           text=True, preexec_fn=die_with_parent)
            cls.started_as = (command.python, dict(command.load_env))
        return cls if cls.started_as == (command.python, command.load_env) else None


class _Preloaded:
    """A stage script run by a fork of the template, with subprocess.Popen's pid, poll,
    wait and returncode."""

    def __init__(self, template, script: str, arguments: list[str], wdir: str, env: dict[str, str], log: str):
        self.template, self.returncode = template.process, None
        request = {"script": script, "arguments": arguments, "wdir": wdir, "env": env, "log": log}
        self.template.stdin.write(json.dumps(request) + "\n")
        self.template.stdin.flush()
        self.pid = self._answer().get("pid")
        if self.pid is None:
            self.returncode = -signal.SIGKILL

    def _answer(self) -> dict:
        line = self.template.stdout.readline()
        return json.loads(line) if line else {"exit": -signal.SIGKILL}   # the template died (killed)

    def _exit_within(self, timeout: float | None) -> int | None:
        """The exit status, waiting up to `timeout` seconds (None: until it comes) for it."""
        if self.returncode is None and select.select([self.template.stdout], [], [], timeout)[0]:
            self.returncode = self._answer()["exit"]
        return self.returncode

    def poll(self) -> int | None:
        return self._exit_within(0)

    def wait(self, timeout: float | None = None) -> int:
        if self._exit_within(timeout) is None:
            raise subprocess.TimeoutExpired("stage", timeout)
        return self.returncode


def _end(process) -> None:
    """SIGTERM to the command's process group, SIGKILL if it has not ended in 10 s."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass
