"""Peak resident memory of the train and infer stages against the size of the dataset: each
family's stage, at the paper profile's network, batch size and 256 x 256 frames, runs a few
training steps (and scores the first frames of each test video) on a generated dataset of N
training frames, then on one of 4N (twice the videos, each twice as long; the test split
grows the same way). Memory that grew with the frames would show as a ratio well above 1.

Peak RSS is the OS's accounting (wait4's ru_maxrss: the stage process, and the loader
workers it waited for). The stages are the DAG's own commands (DVC's stage list) under the
benchmarks' smoke limits (benchmarks/_smoke_stage.py); frames are stored as FFV1 and read
through the frame cache, as a paper run on ShanghaiTech would.

    python benchmarks/stage_memory.py                          # N = 5,000 and 20,000, ~25 min on 2 cores
    python benchmarks/stage_memory.py --frames 200 --profile cpu   # smoke
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from _workspace import make_workspace, run_measured, smoke_command, stage_commands  # noqa: E402
from prepared_format import static_camera_scene  # noqa: E402
from pipeline.data.index import DatasetWriter, VideoRecord  # noqa: E402

# One model per family that trains on video (the image track trains on the 1,797 digits only).
MODELS = {"memory_models": ["pred_mem"], "plain_models": [], "clip_models": ["memae"], "daad_models": ["daad"]}
DATASET = "shanghaitech"


def write_prepared(root: Path, train_videos: int, train_frames: int, test_videos: int, test_frames: int, size: int,
                   storage_format: str) -> int:
    """A prepared dataset video by video (never a split in memory): a textured static scene
    with walkers, shifted a pixel a frame. Returns its training frames."""
    writer = DatasetWriter(root, DATASET, resume=False, storage_format=storage_format)
    for split, videos, length in (("train", train_videos, train_frames), ("test", test_videos, test_frames)):
        for i in range(videos):
            base = static_camera_scene(16, size, seed=i + (1000 if split == "test" else 0))
            frames = np.stack([np.roll(base[t % 16], t, axis=1) for t in range(length)])
            labels = (np.arange(length) >= length // 2).astype(int) if split == "test" else np.zeros(length, int)
            writer.add(VideoRecord(split, f"{split}_{i:03d}", frames, labels,
                                   ["walking" if v else "normal" for v in labels]))
    writer.finish()
    shutil.rmtree(writer.partial, ignore_errors=True)
    return train_videos * train_frames


def configure(profile: str, workers: int):
    def update(params: dict) -> None:
        params.update(profile=profile, datasets=[DATASET], image_datasets=[], oneclass_datasets=[], seeds=[0], **MODELS)
        params["runtime"]["num_workers"] = workers
        for section in params["profiles"][profile].values():   # a few steps of one epoch: the network is the profile's
            section["epochs"][DATASET] = 1
        params["models"]["memae"]["train"].pop("by_profile", None)
    return update


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=5000, help="training frames of the smaller set (N)")
    parser.add_argument("--steps", type=int, default=2, help="training steps per stage")
    parser.add_argument("--infer-frames", type=int, default=20, help="frames scored per test video")
    parser.add_argument("--workers", type=int, default=0, help="runtime.num_workers")
    parser.add_argument("--profile", default="paper")
    parser.add_argument("--format", default="ffv1")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = make_workspace(Path(tmp) / "repo", configure(args.profile, args.workers))
        os.environ["MEMAUDIT_FRAME_CACHE"] = str(Path(tmp) / "cache")
        size = 256
        commands = [(a, c) for a, c in stage_commands(work) if ":train" in a or ":infer" in a]
        rows: dict[str, dict] = {}
        for scale, videos in (("N", 10), ("4N", 20)):
            length = args.frames // 10 * (1 if scale == "N" else 2)
            print(f"{scale}: writing {videos} x {length} training frames ...", file=sys.stderr)
            shutil.rmtree(work / "runs", ignore_errors=True)
            frames = write_prepared(work / "data" / "prepared" / DATASET, videos, length, videos // 2 + 2,
                                    max(args.infer_frames, length // 2), size, args.format)
            for address, cmd in commands:
                print(f"{scale}: {address.split(':')[-1]}", file=sys.stderr)
                seconds, peak, _ = run_measured(smoke_command(cmd, args.steps, args.infer_frames), work)
                rows.setdefault(address.split(":")[-1], {})[scale] = (frames, peak, seconds)
    print(f"{date.today()}, {platform.machine()} {os.cpu_count()}-core {platform.system()}, torch {torch.__version__}; "
          f"profile {args.profile} (256 x 256 frames, the profile's networks and batch sizes), {args.steps} training "
          f"steps, {args.infer_frames} frames scored per test video, runtime.num_workers {args.workers}, "
          f"format {args.format} through the frame cache\n")
    print("| stage | training frames N | peak RSS at N (MiB) | training frames 4N | peak RSS at 4N (MiB) | 4N / N |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for stage, by in rows.items():
        (n, small, _), (n4, large, _) = by["N"], by["4N"]
        print(f"| {stage} | {n:,} | {small / 2**20:,.0f} | {n4:,} | {large / 2**20:,.0f} | {large / small:.3f} |")


if __name__ == "__main__":
    main()
