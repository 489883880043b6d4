"""The prepared-dataset format shared by every dataset (synthetic and real).

    <root>/index.csv                     one row per frame: split, video, frame, label, anomaly_type
    <root>/videos/<split>/<video>.npy    uint8 array (T, H, W, 3), RGB, frame t at [t]
           or <video>.mkv, .delta.npz   the same array, stored losslessly compressed
    <root>/videos_gray/<split>/<video>.* the grey copy (real benchmarks): each frame as the
                                         official grayscale loaders read it, its grey value in all
                                         three channels (pipeline.data.readers.read_frame_folder)
    <root>/manifest.json                 the storage format; per video: frames, height, width,
                                         sha256 of the (decoded) array, gray_sha256 of the grey copy

One file per video (not one per frame) keeps DVC fast on datasets of hundreds of thousands
of frames, and frame numbers are zero-based by construction. Labels: 0 normal, 1 abnormal
(training frames are all 0). Storage formats: pipeline.data.storage.
"""
from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.artifacts import NORMAL  # noqa: F401 (re-exported: the preparers label frames with it)
from pipeline.data import storage
from pipeline.data.datasets import DATASETS
from pipeline.io import InputError, atomic_path, read_json, write_csv, write_json

INDEX_COLUMNS = ["split", "video", "frame", "label", "anomaly_type"]
SPLITS = ("train", "test")
VARIANTS = {"rgb": "videos", "gray": "videos_gray"}   # what a prepared video file holds -> its folder
SHA_KEYS = {"rgb": "sha256", "gray": "gray_sha256"}   # -> the manifest key of its decoded array's SHA-256


@dataclass(frozen=True)
class VideoRecord:
    split: str
    video: str
    frames: np.ndarray  # (T, H, W, 3) uint8
    labels: np.ndarray  # (T,) int, 0/1
    anomaly_types: list[str]  # (T,) "normal" or the anomaly's type
    gray: np.ndarray | None = None  # (T, H, W) uint8: the official grayscale read, where it differs


def video_path(root: Path, split: str, video: str, storage_format: str = "npy", variant: str = "rgb") -> Path:
    return Path(root) / VARIANTS[variant] / split / f"{video}{storage.SUFFIX[storage_format]}"


def _stored_gray(gray: np.ndarray) -> np.ndarray:
    """(T, H, W) -> (T, H, W, 3): every storage format holds three channels."""
    return np.repeat(gray[..., None], 3, axis=-1)


def read_video_file(path: Path, start: int = 0, stop: int | None = None) -> np.ndarray:
    """Frames [start, stop) of a prepared video file, whatever its format (storage.open_video)."""
    return storage.open_video(path).read(start, stop)


def array_sha256(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def write_dataset(root: str | Path, name: str, records: list[VideoRecord], storage_format: str = "npy") -> None:
    """Write a whole in-memory dataset; `root` appears only when complete."""
    writer = DatasetWriter(root, name, resume=False, storage_format=storage_format)
    try:
        for rec in records:
            writer.add(rec)
        writer.finish()
    finally:  # nothing to resume for generated data: leave no work folder behind
        shutil.rmtree(writer.partial, ignore_errors=True)


class DatasetWriter:
    """Writes a prepared dataset video by video into a sibling work folder
    (`.<name>.partial/`); `finish()` adds index.csv and manifest.json and only then renames
    the folder to `root`, so a failed or interrupted run never leaves `root` looking
    complete. With `resume`, a video that an interrupted earlier run (or the previous
    complete output) finished is kept only when everything that determines its array is
    unchanged: its source fingerprint (path, size, mtime; labels included) and the
    preparation `settings` (the prepare params and a version of the reading code), and its
    array still verifies against the recorded SHA-256; anything else re-extracts it.

    Video records can be written by worker processes with `write_video` (no array is sent
    back to the parent), then registered with `register`."""

    def __init__(self, root: str | Path, name: str, resume: bool = True, settings: dict | None = None,
                 sources: dict | None = None, storage_format: str = "npy"):
        if storage_format not in storage.FORMATS:
            raise InputError(f"params.yaml prepare.{name}.format: got {storage_format!r}; use one of "
                             f"{', '.join(storage.FORMATS)}")
        self.root, self.name, self.settings, self.sources = Path(root), name, settings or {}, sources
        self.format = storage_format
        self.partial = self.root.parent / f".{self.root.name}.partial"
        if not resume and self.partial.exists():
            shutil.rmtree(self.partial)
        self.partial.mkdir(parents=True, exist_ok=True)
        self.records: dict[str, dict] = {}

    def finished(self, split: str, video: str, fingerprint: dict | None) -> dict | None:
        """The record of a video already written and verified, else None: either left in
        the work folder by an interrupted run, or in the previous complete output (the
        prepare stage persists it, so adding one video does not redo the others)."""
        if fingerprint is None:
            return None
        record_file = _record_path(self.partial, split, video)
        if record_file.exists():
            record = read_json(record_file)
            if (record.get("source") == fingerprint and record.get("prepared_with") == self.settings
                    and _all_verify(self.partial, split, video, self.format, record["manifest"])):
                return record
        return self._reuse_previous(split, video, fingerprint)

    def _reuse_previous(self, split: str, video: str, fingerprint: dict) -> dict | None:
        manifest_file = self.root / "manifest.json"
        if not manifest_file.exists() or read_json(manifest_file).get("format", "npy") != self.format:
            return None
        entry = read_json(manifest_file)["videos"].get(f"{split}/{video}")
        if (entry is None or entry.get("source") != fingerprint or entry.get("prepared_with") != self.settings
                or not _all_verify(self.root, split, video, self.format, entry)):
            return None
        index = pd.read_csv(self.root / "index.csv", dtype={"video": str, "split": str, "anomaly_type": str})
        rows = index[(index.split == split) & (index.video == video)].sort_values("frame")
        for variant in _variants(entry):
            source = video_path(self.root, split, video, self.format, variant)
            target = video_path(self.partial, split, video, self.format, variant)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.unlink(missing_ok=True)
            try:
                os.link(source, target)  # no copy: the old output is replaced at finish()
            except OSError:
                shutil.copyfile(source, target)
        record = {"split": split, "video": video, "labels": rows.label.astype(int).tolist(),
                  "anomaly_types": rows.anomaly_type.tolist(),
                  "manifest": {k: v for k, v in entry.items() if k not in ("source", "prepared_with")},
                  "source": fingerprint, "prepared_with": self.settings}
        write_json(_record_path(self.partial, split, video), record)
        return record

    def add(self, rec: VideoRecord, fingerprint: dict | None = None) -> None:
        self.register(write_video(self.partial, rec, fingerprint, self.settings, storage_format=self.format))

    def register(self, record: dict) -> None:
        self.records[f"{record['split']}/{record['video']}"] = record

    def finish(self) -> None:
        if not self.records:
            raise InputError(f"{self.name}: no videos to write")
        rows = [pd.DataFrame({"split": r["split"], "video": r["video"], "frame": np.arange(len(r["labels"])),
                              "label": r["labels"], "anomaly_type": r["anomaly_types"]})
                for _, r in sorted(self.records.items())]
        # Drop leftovers of videos that are no longer in the source.
        keep = {video_path(self.partial, r["split"], r["video"], self.format, variant)
                for r in self.records.values() for variant in _variants(r["manifest"])}
        for folder in VARIANTS.values():
            for path in (self.partial / folder).glob("*/*"):
                if path not in keep:
                    path.unlink()
        write_csv(self.partial / "index.csv", pd.concat(rows, ignore_index=True)[INDEX_COLUMNS])
        write_json(self.partial / "manifest.json", {
            "dataset": self.name, "format": self.format, **({"prepared_with": self.settings} if self.settings else {}),
            **({"source_files": self.sources} if self.sources else {}),
            "videos": {key: {**r["manifest"], **({"source": r["source"]} if r.get("source") else {}),
                             **({"prepared_with": r["prepared_with"]} if r.get("prepared_with") else {})}
                       for key, r in sorted(self.records.items())}})
        shutil.rmtree(self.partial / "records", ignore_errors=True)
        if self.root.exists():
            shutil.rmtree(self.root)
        os.replace(self.partial, self.root)


def write_video(partial: Path, rec: VideoRecord, fingerprint: dict | None = None, settings: dict | None = None,
                facts: dict | None = None, storage_format: str = "npy") -> dict:
    """Check and write one video (array, then its record); return the record. `facts` adds
    to the video's manifest entry (e.g. a container's declared frame count)."""
    _check_record(rec)
    _write_array(video_path(partial, rec.split, rec.video, storage_format), rec.frames, storage_format)
    manifest = {**_manifest_entry(rec.frames), **(facts or {})}
    if rec.gray is not None:
        gray = _stored_gray(rec.gray)
        _write_array(video_path(partial, rec.split, rec.video, storage_format, "gray"), gray, storage_format)
        manifest[SHA_KEYS["gray"]] = array_sha256(gray)
    record = {"split": rec.split, "video": rec.video, "labels": [int(v) for v in rec.labels],
              "anomaly_types": list(rec.anomaly_types), "manifest": manifest,
              "source": fingerprint, "prepared_with": settings or {}}
    write_json(_record_path(partial, rec.split, rec.video), record)
    return record


def _write_array(path: Path, frames: np.ndarray, storage_format: str) -> None:
    if storage_format == "delta":
        storage.write_frames(path, frames)
    elif storage_format == "ffv1":
        storage.write_ffv1(path, frames)
    else:
        with atomic_path(path, suffix=".npy") as tmp:
            np.save(tmp, frames)


def _variants(manifest_entry: dict) -> list[str]:
    """The files a video has: the variants whose SHA-256 its manifest entry records."""
    return [variant for variant, key in SHA_KEYS.items() if key in manifest_entry]


def _all_verify(root: Path, split: str, video: str, storage_format: str, manifest_entry: dict) -> bool:
    """Every file of a video (its grey copy too) exists and decodes to its recorded array."""
    for variant in _variants(manifest_entry):
        path = video_path(root, split, video, storage_format, variant)
        if not path.exists() or array_sha256(read_video_file(path)) != manifest_entry[SHA_KEYS[variant]]:
            return False
    return True


def _record_path(partial: Path, split: str, video: str) -> Path:
    return Path(partial) / "records" / split / f"{video}.json"


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
    if rec.gray is not None and (rec.gray.dtype != np.uint8 or rec.gray.shape != rec.frames.shape[:3]):
        raise ValueError(f"{where}: the grey copy must be uint8 {rec.frames.shape[:3]}, got {rec.gray.dtype} "
                         f"{rec.gray.shape}")


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

    @property
    def per_category(self) -> bool:
        """Whether each "video" is a category with a model of its own (MVTec AD, digits)."""
        return self.name in DATASETS and DATASETS[self.name].one_model_per_video

    def videos(self, split: str) -> list[str]:
        return sorted(self.index.loc[self.index.split == split, "video"].unique())

    @property
    def storage_format(self) -> str:
        return self.manifest.get("format", "npy")

    def frames(self, split: str, video: str, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Frames [start, stop) of a video, (T, H, W, 3) uint8."""
        return read_video_file(self.video_file(split, video), start, stop)

    def video_file(self, split: str, video: str, variant: str = "rgb") -> Path:
        return video_path(self.root, split, video, self.storage_format, variant)

    def has_gray(self, split: str, video: str) -> bool:
        """Whether the video has a grey copy (real benchmarks; generated sets are grey already)."""
        return SHA_KEYS["gray"] in self.manifest["videos"][f"{split}/{video}"]

    def num_frames(self, split: str, video: str) -> int:
        return int(self.manifest["videos"][f"{split}/{video}"]["frames"])

    def sha256(self, split: str, video: str, variant: str = "rgb") -> str:
        """SHA-256 of the video's decoded array (what identifies its frames, whatever the format)."""
        return self.manifest["videos"][f"{split}/{video}"][SHA_KEYS[variant]]

    def frame_table(self, split: str, video: str) -> pd.DataFrame:
        rows = self.index[(self.index.split == split) & (self.index.video == video)]
        return rows.sort_values("frame").reset_index(drop=True)
