"""How fast the training loader feeds a GPU: samples/s that one loader worker delivers (the
family's own paper-profile dataset and collate, random order, batches as the stage builds
them), for every family and storage format, on the same generated 256 x 256 frames, beside
the official MNAD loader (cv2.imread of JPEG frames + resize per sample, its DataLoader).
No GPU is involved: this is the rate the data side can sustain.

Modes: `npy` reads the prepared raw arrays (pread, no decode); `ffv1` and `delta` are read
through the frame cache (pipeline.data.frame_cache: decoded once, then raw reads) or
directly (MEMAUDIT_FRAME_CACHE=off: a seek and decode per clip). "cold" evicts the files
from the page cache first (posix_fadvise), so reads come from the disk. Also printed: the
cache's build rate, 2 workers on this machine's cores, and the workers needed for
350 MNAD samples/s (2.5x the official ~140 samples/s on an H100), assuming linear scaling.

    python benchmarks/feed_rate.py                       # 256 x 256, ~3 minutes on 2 cores
    python benchmarks/feed_rate.py --frames 48 --seconds 0.5 --size 64   # smoke
"""
from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from _official_path import OfficialClips  # noqa: E402
from prepared_format import static_camera_scene  # noqa: E402
from pipeline import families  # noqa: E402
from pipeline.data import frame_cache  # noqa: E402
from pipeline.data.index import PreparedDataset, VideoRecord, write_dataset  # noqa: E402
from pipeline.params import load_params  # noqa: E402

# (label, family, model, frames per sample)
LOADERS = [("MNAD prediction (5 frames)", "mnad", "pred_mem", 5),
           ("MemAE (16 grey frames)", "clip_ae", "memae", 16),
           ("LNTRA skip frames (16, p = 0.2)", "clip_ae", "lntra_skip", 16),
           ("LNTRA patches (16, p = 0.2)", "clip_ae", "lntra_patch", 16),
           ("DAAD (1 frame)", "daad", "daad", 1),
           ("MemAE image track (1 frame at 8 px)", "image_ae", "memae_img", 1)]
MNAD_TARGET = 350  # samples/s: 2.5x the official anchor (~140 samples/s, MNAD on an H100)


def make_data(folder: Path, videos: int, frames: int, size: int) -> tuple[dict[str, Path], Path]:
    """The same generated frames prepared in every storage format, and as JPEG folders."""
    records = [VideoRecord("train", f"{i + 1:02d}", static_camera_scene(frames, size, seed=i), np.zeros(frames, int),
                           ["normal"] * frames) for i in range(videos)]
    records.append(VideoRecord("test", "t01", records[0].frames[:16], np.zeros(16, int), ["normal"] * 16))
    prepared = {}
    for storage_format in ("npy", "ffv1", "delta"):
        prepared[storage_format] = folder / storage_format / "shanghaitech"
        write_dataset(prepared[storage_format], "shanghaitech", records, storage_format=storage_format)
    jpeg = folder / "jpeg"
    for record in records[:-1]:
        target = jpeg / "train" / record.video
        target.mkdir(parents=True)
        for t, frame in enumerate(record.frames):
            cv2.imwrite(str(target / f"{t:04d}.jpg"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    return prepared, jpeg


def paper_params(size: int) -> dict:
    params = load_params()
    params["profile"] = "paper"
    for family, section in params["profiles"]["paper"].items():
        if family != "image_ae":  # the image track's network reads 8 x 8 digits at every profile
            section["model"]["image_size"] = size
        section["epochs"].setdefault("shanghaitech", 1)
    return params


def evict(paths) -> None:
    """Drop files from the page cache, so the next reads come from the disk."""
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        os.close(fd)


def rate(data, collate, batch_size: int, workers: int, seconds: float) -> float:
    """Samples/s of a seeded random-order loader over `seconds` (after one warm-up batch)."""
    loader = torch.utils.data.DataLoader(data, batch_size=batch_size, collate_fn=collate, num_workers=workers,
                                         drop_last=True, sampler=torch.utils.data.RandomSampler(
                                             data, replacement=True, num_samples=10**7,
                                             generator=torch.Generator().manual_seed(0)))
    batches = iter(loader)
    next(batches)
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        next(batches)
        done += batch_size
    elapsed = time.perf_counter() - start
    del batches
    return done / elapsed


def family_dataset(params: dict, family: str, model: str, root: Path):
    recipe, loop = families.load(family, "train").recipe(params, "shanghaitech", model, 0)
    return recipe.dataset(PreparedDataset(root), None), recipe.collate, loop.batch_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--videos", type=int, default=4)
    parser.add_argument("--frames", type=int, default=240, help="frames per training video")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--seconds", type=float, default=3.0, help="timed seconds per measurement")
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        print(f"generating {args.videos} x {args.frames} frames at {args.size} px ...", file=sys.stderr)
        prepared, jpeg = make_data(tmp, args.videos, args.frames, args.size)
        params = paper_params(args.size)
        total = args.videos * args.frames
        build = {}
        os.environ[frame_cache.ENVIRONMENT] = str(tmp / "cache")
        for storage_format in ("ffv1", "delta"):  # the cache's one-off cost, per format (at the model's size)
            # a folder per format: both decode to the same array, whose SHA-256 names the cached file
            os.environ[frame_cache.ENVIRONMENT] = str(tmp / f"cache_build_{storage_format}")
            start = time.perf_counter()
            ds = PreparedDataset(prepared[storage_format])
            frame_cache.ensure_cached(ds, "train", ds.videos("train"), args.size)
            build[storage_format] = total / (time.perf_counter() - start)
        os.environ[frame_cache.ENVIRONMENT] = str(tmp / "cache")
        rows = []
        official = rate(OfficialClips(jpeg, "train", 5, args.size), None, 4, 0, args.seconds)
        rows.append(("official MNAD loader (JPEG imread + resize per sample)", "jpeg", "", official, 5))
        official_2 = rate(OfficialClips(jpeg, "train", 5, args.size), None, 4, 2, args.seconds)
        for label, family, model, per_sample in LOADERS:
            for storage_format, mode in [("npy", "direct"), ("npy", "direct, cold"), ("ffv1", "frame cache"),
                                         ("ffv1", "frame cache, cold"), ("ffv1", "direct"), ("delta", "frame cache"),
                                         ("delta", "direct")]:
                os.environ[frame_cache.ENVIRONMENT] = str(tmp / "cache") if "cache" in mode else "off"
                data, collate, batch = family_dataset(params, family, model, prepared[storage_format])
                if "cold" in mode:
                    files = list((tmp / "cache").glob("*.npy")) if "cache" in mode else \
                        list((prepared[storage_format] / "videos").glob("*/*"))
                    evict(files)
                rows.append((label, storage_format, mode, rate(data, collate, batch, 0, args.seconds), per_sample))
        os.environ[frame_cache.ENVIRONMENT] = str(tmp / "cache")
        data, collate, batch = family_dataset(params, "mnad", "pred_mem", prepared["ffv1"])
        ours_2 = rate(data, collate, batch, 2, args.seconds)

    print(f"{date.today()}, {platform.machine()} {os.cpu_count()}-core {platform.system()}, torch {torch.__version__}, "
          f"OpenCV {cv2.__version__}; {args.videos} videos x {args.frames} frames at {args.size} x {args.size}, "
          f"one loader worker (1 CPU thread), {args.seconds:g} s per row\n")
    print("| loader | format | reads | samples/s per worker | frames/s per worker | workers for 350 MNAD samples/s |")
    print("| --- | --- | --- | ---: | ---: | ---: |")
    for label, storage_format, mode, value, per_sample in rows:
        need = f"{math.ceil(MNAD_TARGET / value)}" if per_sample == 5 else ""
        print(f"| {label} | {storage_format} | {mode} | {value:,.1f} | {value * per_sample:,.0f} | {need} |")
    print("\nframe cache build (sequential decode + resize + write, one process): "
          + ", ".join(f"{f} {v:,.0f} frames/s" for f, v in build.items()))
    print(f"2 workers on this machine: official MNAD loader {official_2:,.1f} samples/s; "
          f"ours (MNAD, ffv1 through the cache) {ours_2:,.1f} samples/s")


if __name__ == "__main__":
    main()
