"""Training throughput, MNAD prediction with memory, batch 4: the official data path (JPEG
read + resize per sample, fp32) against ours (clips read on demand from the prepared raw
arrays, or from the decoded frame cache for FFV1; pinned memory, and on a GPU bf16 autocast
+ channels_last), same data, same process. Prints samples/s and the ratio.

    python benchmarks/train_throughput.py --smoke     # CPU, seconds
    python benchmarks/train_throughput.py             # GPU, paper size (256x256, width 64)
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from _official_path import OfficialClips, make_data  # noqa: E402
from pipeline.data import frame_cache  # noqa: E402
from pipeline.data.index import PreparedDataset  # noqa: E402
from pipeline.engine.runtime import pick_device  # noqa: E402
from pipeline.families.mnad import memory as mem  # noqa: E402
from pipeline.families.mnad.model import MNAD, MNADConfig, flatten_queries  # noqa: E402
from pipeline.engine.loop import LoopConfig, fit  # noqa: E402
from pipeline.families.mnad.config import TrainConfig  # noqa: E402
from pipeline.families.mnad.train import MNADRecipe  # noqa: E402


def official_loop(jpeg_root: Path, cfg: MNADConfig, steps: int, workers: int, device: torch.device) -> float:
    loader = torch.utils.data.DataLoader(OfficialClips(jpeg_root, "train", 5, cfg.image_size), batch_size=4,
                                         shuffle=True, drop_last=True, num_workers=workers)
    model = MNAD(cfg).to(device)
    items = mem.init_items(cfg.num_items, cfg.query_dim).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-4)
    done, start = 0, None
    while done < steps:
        for batch in loader:
            if done == 2:  # warm-up excluded
                if device.type == "cuda":
                    torch.cuda.synchronize()
                start = time.perf_counter()
            batch = batch.to(device)
            output, query = model(batch[:, :12], items)
            queries = flatten_queries(query)
            loss = (F.mse_loss(output, batch[:, 12:]) + 0.1 * mem.compactness_loss(queries, items)
                    + 0.1 * mem.separateness_loss(queries, items))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            items = mem.update(items, queries.detach())
            done += 1
            if done >= steps:
                break
    if device.type == "cuda":
        torch.cuda.synchronize()
    return 4 * (steps - 2) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="64x64, width 8, tiny data")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    device = pick_device(args.device)
    size, width, steps = (64, 8, 20) if args.smoke else (256, 64, args.steps)
    cfg = MNADConfig(task="prediction", memory=True, width=width, image_size=size)
    tmp, prepared, jpeg = make_data(size, train_videos=2 if args.smoke else 8, test_per_type=1)
    with tmp:
        plain = official_loop(jpeg, cfg, steps, args.workers, device)
        gpu = device.type == "cuda"
        if gpu:
            torch.cuda.reset_peak_memory_stats()
        loop = LoopConfig(epochs=1, batch_size=4, checkpoint_every=1, bf16=gpu, channels_last=gpu)
        steps_done = int(len(OfficialClips(jpeg, "train", 5, size)) // 4)
        fast, read = {}, {}
        os.environ[frame_cache.ENVIRONMENT] = str(Path(tmp.name) / "cache")
        for storage_format, root in prepared.items():
            dataset = PreparedDataset(root)
            start = time.perf_counter()  # what a training stage does once: decode FFV1 into the frame cache
            frame_cache.ensure_cached(dataset, "train", dataset.videos("train"), size)
            read[storage_format] = time.perf_counter() - start
            start = time.perf_counter()  # one epoch: frames read, checkpoint written (no warm-up excluded)
            fit(MNADRecipe(cfg, TrainConfig(epochs=1)), root, Path(tmp.name) / f"run_{storage_format}", loop, device,
                verbose=False)
            fast[storage_format] = 4 * steps_done / (time.perf_counter() - start)
        peak = f"{torch.cuda.max_memory_allocated() / 2**30:.2f} GiB" if gpu else "n/a (CPU)"
    name = torch.cuda.get_device_name(0) if device.type == "cuda" else "CPU"
    print(f"device: {name}; image {size}, width {width}, batch 4")
    print("| path | samples/s (one epoch, frames read included) | frame cache build (s) |")
    print("| --- | ---: | ---: |")
    print(f"| official (JPEG read + resize per sample, fp32) | {plain:.1f} | n/a (every sample) |")
    speed = ", bf16, channels_last" if device.type == "cuda" else ""
    for storage_format, value in fast.items():
        print(f"| ours (on-demand clips{speed}; prepared format {storage_format}) | {value:.1f} | {read[storage_format]:.2f} |")
    print(f"ratio: {fast['npy'] / plain:.2f}x (npy), {fast['ffv1'] / plain:.2f}x (ffv1); peak GPU memory (ours): {peak}")


if __name__ == "__main__":
    main()
