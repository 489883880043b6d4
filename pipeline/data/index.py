"""The prepared-dataset format shared by every dataset (synthetic and real).

    <root>/index.csv                     one row per frame: split, video, frame, label, anomaly_type
    <root>/videos/<split>/<video>.npy    uint8 array (T, H, W, 3), RGB, frame t at [t]
    <root>/manifest.json                 per video: frames, height, width, sha256 of the array

One array per video (not one file per frame) keeps DVC fast on datasets of
hundreds of thousands of frames, and frame numbers are zero-based by construction.
Labels: 0 normal, 1 abnormal (training frames are all 0).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.io import InputError, atomic_dir, write_csv, write_json, read_json

INDEX_COLUMNS = ["split", "video", "frame", "label", "anomaly_type"]
SPLITS = ("train", "test")
NORMAL = "normal"


@dataclass(frozen=True)
class VideoRecord:
    split: str
    video: str
    frames: np.ndarray  # (T, H, W, 3) uint8
    labels: np.ndarray  # (T,) int, 0/1
    anomaly_types: list[str]  # (T,) "normal" or the anomaly's type


def video_path(root: Path, split: str, video: str) -> Path:
    return Path(root) / "videos" / split / f"{video}.npy"


def array_sha256(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def write_dataset(root: str | Path, name: str, records: list[VideoRecord]) -> None:
    """Write a whole prepared dataset atomically: `root` appears only when complete."""
    with atomic_dir(root) as tmp:
        rows, manifest = [], {}
        for rec in records:
            _check_record(rec)
            path = video_path(tmp, rec.split, rec.video)
            path.parent.mkdir(parents=True, exist_ok=True)
            np.save(path, rec.frames)
            manifest[f"{rec.split}/{rec.video}"] = _manifest_entry(rec.frames)
            rows.append(pd.DataFrame({
                "split": rec.split, "video": rec.video, "frame": np.arange(len(rec.frames)),
                "label": rec.labels.astype(int), "anomaly_type": rec.anomaly_types,
            }))
        write_csv(tmp / "index.csv", pd.concat(rows, ignore_index=True)[INDEX_COLUMNS])
        write_json(tmp / "manifest.json", {"dataset": name, "videos": manifest})


def _manifest_entry(frames: np.ndarray) -> dict:
    t, h, w, _ = frames.shape
    return {"frames": int(t), "height": int(h), "width": int(w), "sha256": array_sha256(frames)}


def _check_record(rec: VideoRecord) -> None:
    where = f"{rec.split}/{rec.video}"
    if rec.split not in SPLITS:
        raise ValueError(f"{where}: split must be one of {SPLITS}")
    if rec.frames.dtype != np.uint8 or rec.frames.ndim != 4 or rec.frames.shape[-1] != 3:
        raise ValueError(f"{where}: frames must be uint8 (T, H, W, 3), got {rec.frames.dtype} {rec.frames.shape}")
    if len(rec.frames) == 0:
        raise InputError(f"{where}: video has no frames")
    if len(rec.labels) != len(rec.frames) or len(rec.anomaly_types) != len(rec.frames):
        raise InputError(f"{where}: {len(rec.frames)} frames but {len(rec.labels)} labels")


class PreparedDataset:
    """Read access to a prepared dataset; validates the index on open."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        index_file = self.root / "index.csv"
        if not index_file.exists():
            raise InputError(f"{index_file} not found: run the prepare stage first (`dvc repro prepare`).")
        self.index = pd.read_csv(index_file, dtype={"video": str, "split": str, "anomaly_type": str})
        missing = set(INDEX_COLUMNS) - set(self.index.columns)
        if missing:
            raise InputError(f"{index_file}: missing columns {sorted(missing)}; re-run the prepare stage.")
        self.manifest = read_json(self.root / "manifest.json")
        self.name = self.manifest["dataset"]

    def videos(self, split: str) -> list[str]:
        return sorted(self.index.loc[self.index.split == split, "video"].unique())

    def frames(self, split: str, video: str) -> np.ndarray:
        """(T, H, W, 3) uint8, memory-mapped."""
        return np.load(video_path(self.root, split, video), mmap_mode="r")

    def frame_table(self, split: str, video: str) -> pd.DataFrame:
        rows = self.index[(self.index.split == split) & (self.index.video == video)]
        return rows.sort_values("frame").reset_index(drop=True)
