"""A throwaway copy of this repository for benchmarks that run stages: the tracked source
(no results, no locks), its own params.yaml, and stage commands taken from DVC's own view of
the DAG, run with the benchmarks' smoke limits (`_smoke_stage.py`) and their peak resident
memory as the OS accounts it (wait4: the stage process and the loader workers it waited for)."""
from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SMOKE = Path(__file__).with_name("_smoke_stage.py")


def make_workspace(folder: Path, update) -> Path:
    """Copy the tracked source into `folder` (a git repository of its own, as DVC wants),
    then `update(params)` edits its params.yaml."""
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in tracked:
        if name.startswith(("runs/", "reports/")) or name.endswith("dvc.lock"):
            continue
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    params = yaml.safe_load((folder / "params.yaml").read_text())
    update(params)
    (folder / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    subprocess.run(["git", "init", "-q"], cwd=folder, check=True)
    return folder


def stage_commands(folder: Path) -> list[tuple[str, str]]:
    """(stage address, command) of every stage of the workspace's DAG, upstream first."""
    import networkx as nx
    from dvc.repo import Repo

    with Repo(str(folder)) as repo:
        graph = repo.index.graph
        return [(stage.addressing, stage.cmd) for stage in reversed(list(nx.topological_sort(graph)))
                if getattr(stage, "cmd", None)]


def smoke_command(cmd: str, steps: int, frames: int) -> list[str]:
    """A stage's `python stages/<x>.py ...` under the smoke limits."""
    args = shlex.split(cmd)
    if args[0] != "python":
        raise ValueError(f"not a python stage command: {cmd}")
    return [sys.executable, str(SMOKE), "--steps", str(steps), "--frames", str(frames), *args[1:]]


def run_measured(args: list[str], cwd: Path) -> tuple[float, int, str]:
    """Run a command; (seconds, peak RSS in bytes, last lines of its output). Stops on failure."""
    start = time.perf_counter()
    with open(cwd / ".stage.log", "w") as log:
        process = subprocess.Popen(args, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    output = (cwd / ".stage.log").read_text()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{output[-3000:]}")
    return seconds, usage.ru_maxrss * 1024, output[-2000:]
