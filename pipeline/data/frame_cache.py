"""A decoded copy of compressed prepared videos at a model's frame size, for training.

Training draws clips in random order. A random clip from an FFV1 or delta file costs a
seek and a decode (50-80 ms at 256 x 256, most of it OpenCV decoding the frames before
the clip), so at most 20 MNAD samples/s per loader worker; from a raw array it is a copy
of the clip's bytes (benchmarks/RESULTS.md, "Feeding the GPU"). So before training on a
compressed dataset every training video is decoded once, in order (fast), resized to the
model's size with the same cv2 call the clip reader uses, and written as a raw array here.

Where: `$MEMAUDIT_FRAME_CACHE` (a scratch disk), by default `data/cache/` under the
working directory (git-ignored, never a DVC output: the cache cannot change a result, only
the time it takes); `MEMAUDIT_FRAME_CACHE=off` reads the prepared files directly (no
extra disk, bounded memory, slow). A file is named by what determines its bytes: the
SHA-256 of the prepared video's decoded array (its manifest entry), the size and OpenCV's
version (its resize); it is written to a temporary name and renamed, so a file that exists
is complete, and stages running at once share it. Deleting the folder is always safe.
Raw (`npy`) datasets are read directly: their reads are already copies.
"""
from __future__ import annotations

import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from pipeline.data.index import PreparedDataset
from pipeline.io import InputError, atomic_path

ENVIRONMENT = "MEMAUDIT_FRAME_CACHE"
DEFAULT_DIR = Path("data/cache")
CHUNK = 64            # frames decoded and resized per write (bounds the builder's memory)
FORMAT_VERSION = 1    # bump when what a cached file holds changes


def cache_dir() -> Path | None:
    """The cache folder, or None when switched off."""
    setting = os.environ.get(ENVIRONMENT, "")
    if setting.lower() in ("off", "0", "none", "false"):
        return None
    return Path(setting) if setting else DEFAULT_DIR


def cached_path(folder: Path, sha256: str, size: int | None) -> Path:
    return Path(folder) / f"{sha256[:40]}-{size or 'orig'}px-cv{cv2.__version__}-v{FORMAT_VERSION}.npy"


def uses_cache(dataset: PreparedDataset) -> bool:
    return dataset.storage_format != "npy" and cache_dir() is not None


def ensure_cached(dataset: PreparedDataset, split: str, videos: list[str], size: int | None,
                  workers: int = 1, variant: str = "rgb") -> dict[str, Path]:
    """video -> its cached array at `size` (None: the stored size), building the missing
    ones (`workers` processes); {} when the dataset is raw or the cache is off. `variant`:
    which prepared file ("gray": the grey copy; its own SHA-256 names its cache file)."""
    if not uses_cache(dataset):
        return {}
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    paths = {v: cached_path(folder, dataset.sha256(split, v, variant), size) for v in videos}
    missing = [(str(dataset.video_file(split, v, variant)), dataset.num_frames(split, v), size, str(p))
               for v, p in paths.items() if not p.exists()]
    if missing:
        frames = sum(t for _, t, _, _ in missing)
        side = size or dataset.manifest["videos"][f"{split}/{videos[0]}"]["height"]
        print(f"frame cache: decoding {len(missing)} {split} videos ({frames:,} frames, "
              f"{frames * side * side * 3 / 1e9:.2f} GB at {side}px) into {folder} (set {ENVIRONMENT}=off to read "
              "the prepared files directly)", file=sys.stderr)
        bar = tqdm(total=frames, desc="frame cache", unit="frame", mininterval=2)
        if workers > 1 and len(missing) > 1:
            with ProcessPoolExecutor(min(workers, len(missing))) as pool:
                for done in pool.map(_build, missing):
                    bar.update(done)
        else:
            for task in missing:
                bar.update(_build(task))
        bar.close()
    return paths


def _build(task: tuple[str, int, int | None, str]) -> int:
    """Decode one prepared video in order, resize, write the raw array (atomically)."""
    from pipeline.data import storage
    from pipeline.data.resize import resize_frames

    source, length, size, target = task
    reader = storage.open_video(Path(source))
    with atomic_path(Path(target), suffix=".npy") as tmp, open(tmp, "wb") as handle:
        for start in range(0, length, CHUNK):  # plain writes: no mapped pages in this process
            chunk = reader.read(start, min(start + CHUNK, length))
            if len(chunk) != min(CHUNK, length - start):
                raise InputError(f"{source}: {start + len(chunk)} frames decoded, the manifest says {length}; "
                                 "re-run the prepare stage")
            chunk = resize_frames(chunk, size) if size else chunk
            if start == 0:
                header = {"descr": "|u1", "fortran_order": False, "shape": (length, *chunk.shape[1:])}
                np.lib.format.write_array_header_1_0(handle, header)
            handle.write(np.ascontiguousarray(chunk).tobytes())
    if hasattr(reader, "close"):
        reader.close()
    return length
