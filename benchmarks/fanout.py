"""The embedded default DAG, serial `dvc repro` against `memaudit repro` on N local workers,
both with `runtime.cpu_threads: 1` (CPU results depend on the thread count: the same
setting in both makes their outputs comparable byte for byte): wall time of each, whether
every dvc.lock (every output's hash) is identical, and how busy the workers were.

    python benchmarks/fanout.py                 # 2 workers, the default params: ~25 minutes on 2 cores
    python benchmarks/fanout.py --tiny          # the test suite's tiny DAG (check the script)
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from _workspace import make_workspace  # noqa: E402

LOCKS = ("dvc.lock", "dag/train/dvc.lock", "dag/infer/dvc.lock", "dag/score/dvc.lock")


def configure(tiny: bool):
    def update(params: dict) -> None:
        if tiny:
            from test_dvc_pipeline import tiny_params

            tiny_params(params)
        params["runtime"]["cpu_threads"] = 1
    return update


def timed(args: list[str], cwd: Path, env: dict) -> float:
    start = time.perf_counter()
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("--keep", help="build the two workspaces in this folder and keep them (to compare outputs)")
    args = parser.parse_args()
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", DVC_NO_ANALYTICS="1")
    with (contextlib.nullcontext(args.keep) if args.keep else tempfile.TemporaryDirectory()) as tmp:
        serial = make_workspace(Path(tmp) / "serial", configure(args.tiny), commit=True)
        fanned = make_workspace(Path(tmp) / "fanout", configure(args.tiny), commit=True)
        print("serial dvc repro ...", file=sys.stderr)
        serial_s = timed([sys.executable, "-m", "dvc", "repro"], serial, env)
        print(f"memaudit repro --workers {args.workers} ...", file=sys.stderr)
        fanout_s = timed([sys.executable, "-m", "pipeline.cli", "repro", "--workers", str(args.workers)], fanned, env)
        same = {lock: (serial / lock).read_bytes() == (fanned / lock).read_bytes() for lock in LOCKS}
        record = json.loads((fanned / "runs" / "logs" / "fanout.json").read_text())
        busy = sum(s["end"] - s["start"] for s in record["stages"] if s["start"])
        stages = sum(1 for s in record["stages"] if s["state"] == "done")
    print(f"{date.today()}, {platform.machine()} {os.cpu_count()}-core {platform.system()}; "
          f"{'tiny' if args.tiny else 'default'} params, runtime.cpu_threads 1, {stages} stages\n")
    print("| run | wall s | speed-up |\n| --- | ---: | ---: |")
    print(f"| dvc repro (serial) | {serial_s:.0f} | 1.00 |")
    print(f"| memaudit repro --workers {args.workers} | {fanout_s:.0f} | {serial_s / fanout_s:.2f} |")
    print(f"\nstage time summed over workers: {busy:.0f} s ({busy / (args.workers * fanout_s):.0%} of "
          f"{args.workers} workers x wall time)")
    print("dvc.lock byte-identical: " + ", ".join(f"{lock} {'yes' if ok else 'NO'}" for lock, ok in same.items()))


if __name__ == "__main__":
    main()
