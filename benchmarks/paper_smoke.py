"""The paper profile end to end, a few steps per family: on a generated dataset in
ShanghaiTech's raw layout (training videos, test frame folders, .npy masks) and
scikit-learn's digits, every stage of the DAG (DVC's own stage list, upstream first:
prepare -> train -> infer -> score -> report) runs with the paper profile's networks, batch
sizes and 256 x 256 frames, each training stage for --steps steps of one epoch and each test
video scored on its first --frames frames (benchmarks/_smoke_stage.py). What it shows: no
stage crashes at paper size on shapes, memory or checkpoint size. Prints each stage's time,
peak RSS and the checkpoint sizes.

    python benchmarks/paper_smoke.py                     # ~10 minutes on 2 CPU cores
    python benchmarks/paper_smoke.py --profile cpu       # the same DAG at the CPU profile (check the script)
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the layout writers are test fixtures

import torch  # noqa: E402

from _workspace import make_workspace, run_measured, smoke_command, stage_commands  # noqa: E402
from fixtures import layouts  # noqa: E402

MODELS = {"memory_models": ["pred_mem", "recon_mem"], "plain_models": ["pred"], "clip_models": ["memae", "lntra_skip"],
          "daad_models": ["daad_adv"], "oneclass_models": ["memae_img"]}


def configure(profile: str):
    def update(params: dict) -> None:
        params.update(profile=profile, datasets=["shanghaitech"], image_datasets=[], oneclass_datasets=["digits"],
                      seeds=[0], **MODELS)
        for section in params["profiles"][profile].values():  # one epoch of a few steps; networks unchanged
            section["epochs"] = {name: 1 for name in section["epochs"]}
        params["models"]["lntra_skip"]["train"].pop("by_profile", None)
        params["prepare"]["shanghaitech"]["workers"] = 1
    return update


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--frames", type=int, default=24, help="frames scored per test video")
    parser.add_argument("--profile", default="paper")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = make_workspace(Path(tmp) / "repo", configure(args.profile))
        os.environ["MEMAUDIT_FRAME_CACHE"] = str(Path(tmp) / "cache")
        layouts.shanghaitech(work / "data" / "raw" / "shanghaitech", train_lengths=(40, 36), test_lengths=(30, 28))
        for address, cmd in stage_commands(work):
            stage = address.split(":")[-1]
            print(stage, file=sys.stderr)
            seconds, peak, _ = run_measured(smoke_command(cmd, args.steps, args.frames), work)
            rows.append((stage, seconds, peak))
        sizes = {}  # runs/train/<dataset>/<model>: (checkpoints, bytes of each); per-category models are several
        for path in sorted((work / "runs" / "train").glob("*/*/seed_0/**/final.pt")):
            model = "/".join(path.relative_to(work / "runs" / "train").parts[:2])
            sizes.setdefault(model, []).append(path.stat().st_size)
        report = (work / "reports" / "index.html").exists()
    print(f"{date.today()}, {platform.machine()} {os.cpu_count()}-core {platform.system()}, torch {torch.__version__}; "
          f"profile {args.profile}, {args.steps} training steps per stage, {args.frames} frames scored per test video\n")
    print("| stage | seconds | peak RSS (MiB) |\n| --- | ---: | ---: |")
    for stage, seconds, peak in rows:
        print(f"| {stage} | {seconds:.1f} | {peak / 2**20:,.0f} |")
    print("\n| model | final.pt files | MB each |\n| --- | ---: | ---: |")
    for name, each in sizes.items():
        print(f"| {name} | {len(each)} | {max(each) / 1e6:,.1f} |")
    print(f"\nreports/index.html written: {report}")


if __name__ == "__main__":
    main()
