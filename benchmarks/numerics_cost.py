"""What the portable CPU numerics cost: one training seed's train and infer stage of each
family at the default CPU profile, run as DVC runs them (the stage scripts, whole processes),
alternately with `runtime.numerics: portable` and `native`, in two copies of the workspace.
Prints each stage's wall time under both, best of --repeats.

    python benchmarks/numerics_cost.py              # ~5 minutes on 2 cores
    python benchmarks/numerics_cost.py --repeats 3
"""
from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _workspace import make_workspace, stage_commands  # noqa: E402

STAGES = ("train_memory@synthetic-pred_mem-0", "infer_memory@synthetic-pred_mem-0", "train_clip@synthetic-memae-0",
          "infer_clip@synthetic-memae-0", "train_daad@synthetic-daad_adv-0", "infer_daad@synthetic-daad_adv-0",
          "train_oneclass@digits-memae_img-0", "infer_oneclass@digits-memae_img-0")


def _workspace(folder: Path, numerics: str) -> tuple[Path, dict[str, str]]:
    def update(params: dict) -> None:
        params["runtime"]["numerics"] = numerics
        params["seeds"] = [0]
    repo = make_workspace(folder, update)
    commands = {address.rsplit(":", 1)[-1]: cmd for address, cmd in stage_commands(repo)}
    for name in ("prepare@synthetic", "prepare_oneclass@digits"):
        _run(commands[name], repo)
    return repo, commands


def _run(cmd: str, cwd: Path) -> float:
    args = shlex.split(cmd)
    start = time.perf_counter()
    subprocess.run([sys.executable, *args[1:]], cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="numerics_") as tmp:
        spaces = {mode: _workspace(Path(tmp) / mode, mode) for mode in ("portable", "native")}
        best = {mode: {} for mode in spaces}
        for _ in range(args.repeats):
            for stage in STAGES:
                for mode, (repo, commands) in spaces.items():   # alternate, so load drifts hit both
                    seconds = _run(commands[stage], repo)
                    best[mode][stage] = min(best[mode].get(stage, seconds), seconds)
    print(f"{date.today()}, `python benchmarks/numerics_cost.py --repeats {args.repeats}` (whole stage processes, "
          "best of the repeats)\n")
    print("| stage | portable | native | portable / native |\n| --- | ---: | ---: | ---: |")
    for stage in STAGES:
        p, n = best["portable"][stage], best["native"][stage]
        print(f"| {stage} | {p:.1f} s | {n:.1f} s | {p / n:.2f} |")
    p, n = (sum(best[m].values()) for m in ("portable", "native"))
    print(f"| all | {p:.1f} s | {n:.1f} s | {p / n:.2f} |")


if __name__ == "__main__":
    main()
