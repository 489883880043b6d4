"""A throwaway copy of this repository for benchmarks and end-to-end tests that run stages:
the source tree (no results, no locks, no datasets) with its own params.yaml; stage commands
taken from DVC's own view of the DAG, run with the benchmarks' smoke limits
(`_smoke_stage.py`) and their peak resident memory as the OS accounts it (wait4: the stage
process and the loader workers it waited for)."""
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


_IGNORE = shutil.ignore_patterns(".git", "runs", "prepared", "cache", "tmp", "dvc.lock", "__pycache__", "*.egg-info",
                                 ".pytest_cache", "index.html", "summary.json", "verdicts.json", "auc_table.*",
                                 "reference_comparison.csv", "lambda_sweep.csv", "released_weights.csv", "plots",
                                 "screenshot.png", "timings.js", ".venv", ".whl", ".gl")


def _ignore(folder, names):
    """The source tree without results, and data/raw/* without the user's datasets (READMEs only)."""
    ignored = set(_IGNORE(folder, names))
    if Path(folder).parent.name == "raw":
        ignored |= {n for n in names if n != "README.md"}
    return ignored


def make_workspace(folder: Path, update, commit: bool = False) -> Path:
    """Copy the source tree (the working tree without results, locks or datasets) into
    `folder`, let `update(params)` edit its params.yaml, and make it a git repository (as
    DVC wants; `commit`: with the copy committed, as `dvc exp` wants)."""
    shutil.copytree(ROOT, folder, ignore=_ignore)
    params = yaml.safe_load((folder / "params.yaml").read_text())
    update(params)
    (folder / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    # a fixed author and date: two copies of the same tree are the same commit (the report prints the revision)
    env = dict(os.environ, GIT_AUTHOR_NAME="memaudit", GIT_AUTHOR_EMAIL="m@a", GIT_COMMITTER_NAME="memaudit",
               GIT_COMMITTER_EMAIL="m@a", GIT_AUTHOR_DATE="2026-01-01T00:00:00+0000",
               GIT_COMMITTER_DATE="2026-01-01T00:00:00+0000")
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=folder, check=True)
    if commit:
        subprocess.run(["git", "add", "-A"], cwd=folder, check=True, env=env)
        subprocess.run(["git", "commit", "-qm", "workspace"], cwd=folder, check=True, env=env)
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
