"""Same bytes on another CPU? The tiny DAG of the test suite run twice from fresh copies: once
on this CPU and once with every stage process under QEMU's user-mode emulation of another
x86-64 CPU (Debian's qemu-user: `apt-get install qemu-user`), which reports that CPU's vendor,
model, instruction sets and caches to every library that asks. Prints, per stage output, whether
its hash agrees (dvc.lock), and exits 1 if any differs.

    python benchmarks/cross_cpu.py                      # emulate an Intel Haswell (AVX2, no AVX-512)
    python benchmarks/cross_cpu.py --cpu EPYC-Rome      # an AMD Zen 2
    python benchmarks/cross_cpu.py --numerics native    # the libraries' own choice: expect differences

QEMU runs a stage 20-40x slower than the CPU it emulates on (the tiny DAG: about 40 minutes
on 2 cores). DVC itself runs natively; each stage's `python` is a wrapper that starts the
virtual environment's interpreter under QEMU.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from _workspace import make_workspace  # noqa: E402


def output_hashes(repo: Path) -> dict[str, str]:
    """stage:output -> md5 from every dvc.lock of a workspace."""
    return {f"{name}:{out['path']}": out["md5"] for lock in [repo / "dvc.lock", *repo.glob("dag/*/dvc.lock")]
            for name, stage in yaml.safe_load(lock.read_text())["stages"].items() for out in stage.get("outs", [])}


def repro(repo: Path, emulate: str | None) -> float:
    """`dvc repro` in `repo`; with `emulate`, every stage's python under qemu-x86_64 -cpu <emulate>."""
    env = dict(os.environ, DVC_NO_ANALYTICS="1")
    bin_dir = repo / ".bin"
    bin_dir.mkdir()
    target = Path(sys.executable)
    wrapper = bin_dir / "python"
    emulator = f"qemu-x86_64 -cpu {emulate} " if emulate else ""
    wrapper.write_text(f'#!/bin/sh\nexec {emulator}"{target}" "$@"\n')
    wrapper.chmod(0o755)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "dvc", "repro"], cwd=repo, env=env, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"dvc repro failed in {repo}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cpu", default="Haswell", help="a QEMU CPU model (qemu-x86_64 -cpu help)")
    parser.add_argument("--numerics", default="portable", choices=["portable", "native"])
    parser.add_argument("--keep", action="store_true", help="keep the two workspaces")
    args = parser.parse_args()
    if not shutil.which("qemu-x86_64"):
        print("qemu-x86_64 not found: apt-get install qemu-user")
        return 2
    from test_dvc_pipeline import tiny_params

    def update(params: dict) -> None:
        tiny_params(params)
        params["runtime"]["numerics"] = args.numerics

    base = Path(tempfile.mkdtemp(prefix="cross_cpu_"))
    try:
        here, there = (make_workspace(base / name, update, commit=True) for name in ("native", "emulated"))
        native_s = repro(here, None)
        emulated_s = repro(there, args.cpu)
        a, b = output_hashes(here), output_hashes(there)
        differ = sorted(k for k in a if a[k] != b.get(k))
        print(f"numerics {args.numerics}; this CPU: {native_s:.0f} s; QEMU -cpu {args.cpu}: {emulated_s:.0f} s")
        print(f"| outputs compared | identical | different |\n| ---: | ---: | ---: |\n| {len(a)} | {len(a) - len(differ)} | "
              f"{len(differ)} |")
        for key in differ:
            print(f"differs: {key}")
        return 1 if differ else 0
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
        else:
            print(f"workspaces kept in {base}")


if __name__ == "__main__":
    sys.exit(main())
