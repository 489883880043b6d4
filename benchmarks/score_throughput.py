"""Scoring throughput, MNAD prediction with memory: the official Evaluate.py loop (one clip
at a time read as JPEGs, full forward, gated memory update) against our inference (frames
decoded once, encoder batched; decoder sequential only where the test-time update needs
it, fully batched without it). Same model, same data, same process.

    python benchmarks/score_throughput.py --smoke     # CPU, seconds
    python benchmarks/score_throughput.py             # GPU, paper size
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402

from _official_path import make_data, read_clip  # noqa: E402
from pipeline.engine.runtime import pick_device  # noqa: E402
from pipeline.data.index import PreparedDataset  # noqa: E402
from pipeline.engine.frames import psnr  # noqa: E402
from pipeline.engine.testing import test_split  # noqa: E402
from pipeline.families.mnad.config import InferConfig  # noqa: E402
from pipeline.families.mnad.infer import MNADScorer  # noqa: E402
from pipeline.families.mnad import memory as mem  # noqa: E402
from pipeline.families.mnad.model import MNAD, MNADConfig, flatten_queries  # noqa: E402


@torch.no_grad()
def official_loop(jpeg_root: Path, model: MNAD, items: torch.Tensor, gamma: float, device) -> tuple[int, float]:
    frames, start = 0, time.perf_counter()
    for folder in sorted((jpeg_root / "test").iterdir()):
        for t in range(len(list(folder.iterdir())) - 4):
            clip = torch.from_numpy(read_clip(folder, t, 5, model.cfg.image_size))[None].to(device)
            output, query = model(clip[:, :12], items)
            float(psnr(output, clip[:, 12:])[0])
            queries = flatten_queries(query)
            float(mem.query_distance(queries[None], items)[0])
            if float(mem.regular_score(output, clip[:, 12:])[0]) < gamma:
                items = mem.update(items, queries)
            frames += 1
    if device.type == "cuda":
        torch.cuda.synchronize()
    return frames, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="64x64, width 8, tiny data")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    device = pick_device(args.device)
    size, width = (64, 8) if args.smoke else (256, 64)
    model = MNAD(MNADConfig(task="prediction", memory=True, width=width, image_size=size)).to(device).eval()
    items = mem.init_items(10, model.cfg.query_dim).to(device)
    gamma = 1e9  # every frame updates: the worst case for the sequential part
    tmp, prepared, jpeg = make_data(size, train_videos=1, test_per_type=1 if args.smoke else 4)
    with tmp:
        official_loop(jpeg, model, items, gamma, device)  # warm-up
        frames, plain_s = official_loop(jpeg, model, items, gamma, device)
        rows = {}
        for storage_format, root in prepared.items():
            for update in (True, False):
                start = time.perf_counter()  # frames read from the prepared files included
                scorer = MNADScorer(model, items, InferConfig(test_time_update=update, gamma=gamma, batch_size=64),
                                    device)
                test_split(PreparedDataset(root), lambda video: scorer)
                rows[storage_format, update] = time.perf_counter() - start
    name = torch.cuda.get_device_name(0) if device.type == "cuda" else "CPU"
    print(f"device: {name}; image {size}, width {width}; {frames} frames")
    print("| path | frames/s | ratio |")
    print("| --- | ---: | ---: |")
    print(f"| official loop (JPEG per clip, test-time update) | {frames / plain_s:.1f} | 1.00 |")
    for (storage_format, update), seconds in rows.items():
        fps = frames / seconds
        print(f"| ours, {'with' if update else 'without'} test-time update, prepared format {storage_format} | "
              f"{fps:.1f} | {fps / (frames / plain_s):.2f} |")


if __name__ == "__main__":
    main()
