"""User-provided benchmarks -> the prepared format (pipeline.data.index).

Layouts read (the dataset table, pipeline.data.datasets, says which a dataset may have;
trees in README, "Adding real datasets"):
    shanghaitech   training/videos/<video>.avi, testing/frames/<video>/<n>.jpg,
                   testing/test_frame_mask/<video>.npy (1-D labels)
    ped2, avenue   as the official MNAD code: training/frames/<video>/*.jpg,
                   testing/frames/<video>/*.jpg, frame_labels_<name>.npy ((1, N), test videos
                   concatenated in sorted order)
    ped2           also the original UCSD layout: UCSDped2/Train/Train001/*.tif,
                   UCSDped2/Test/Test001/*.tif with masks in Test001_gt/*.bmp

Videos are prepared in parallel worker processes (one video per task), with a progress
bar; an interrupted run resumes, skipping videos already written and verified.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from pipeline.data.datasets import DATASETS
from pipeline.data.index import NORMAL, DatasetWriter, VideoRecord, write_video
from pipeline.data.readers import (fingerprint, folder_fingerprint, frame_files, load_labels, read_frame_folder,
                                   read_mask_labels, read_video, reader_version, video_files)
from pipeline.io import InputError

@dataclass(frozen=True)
class Job:
    """One video to prepare: where its frames are and what its labels are."""
    split: str
    video: str
    source: Path
    kind: str  # "video" (a file) or "folder" (one image per frame)
    labels: tuple[int, ...] | None = None  # None: all normal (training)
    label_source: Path | None = None  # for error messages
    mask_folder: Path | None = None  # UCSD per-frame masks

    def fingerprint(self) -> dict:
        """Everything of the source that the prepared video depends on: its file or frame
        folder, and where its labels come from."""
        key = fingerprint(self.source) if self.kind == "video" else folder_fingerprint(self.source)
        if self.mask_folder is not None:
            key["labels"] = folder_fingerprint(self.mask_folder)
        elif self.label_source is not None:
            key["labels"] = fingerprint(self.label_source)
        return key


def missing(name: str, root: Path, parts: dict[str, bool] | None = None) -> InputError:
    """Nothing of the dataset there: say where and which layout. Part of it there: name
    what is missing."""
    absent = [path for path, found in (parts or {}).items() if not found]
    if parts and len(absent) < len(parts):
        return InputError(f"dataset '{name}' in {root} is incomplete: {', '.join(absent)} missing or empty "
                          f"(layout: {DATASETS[name].where}; README, 'Adding real datasets')")
    return InputError(f"dataset '{name}' not found in {root}: put it there as {DATASETS[name].where} (README, "
                      "'Adding real datasets'), or remove it from `datasets` in params.yaml")


def reject_links(root: Path) -> None:
    """DVC hashes a linked dataset folder, but not links inside it: a changed video behind
    such a link would go unnoticed. Only the whole folder may be a link."""
    for folder, dirs, files in os.walk(root):
        for name in sorted(dirs + files):
            path = Path(folder) / name
            if path.is_symlink():
                raise InputError(f"{path} is a symbolic link: DVC does not follow links inside a dependency, so a "
                                 f"change behind it would go unnoticed; link the whole folder instead "
                                 f"(ln -s /path/to/{root.name} {root}) or copy the data")


def _video_folders(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def shanghaitech_jobs(root: Path, name: str) -> list[Job]:
    video_dir = root / "training" / "videos"
    videos = video_files(video_dir) if video_dir.is_dir() else []
    tests = _video_folders(root / "testing" / "frames")
    masks = root / "testing" / "test_frame_mask"
    if not videos or not tests or not masks.is_dir():
        raise missing(name, root, {"training/videos/": bool(videos), "testing/frames/": bool(tests),
                                             "testing/test_frame_mask/": masks.is_dir()})
    stems = [v.stem for v in videos]
    twice = sorted({stem for stem in stems if stems.count(stem) > 1})
    if twice:
        raise InputError(f"{video_dir}: more than one video named {twice[0]} (different suffixes); keep one")
    jobs = [Job("train", v.stem, v, "video") for v in videos]
    for folder in tests:
        mask = root / "testing" / "test_frame_mask" / f"{folder.name}.npy"
        if not mask.exists():
            raise InputError(f"{mask}: ground truth missing for test video {folder.name}")
        jobs.append(Job("test", folder.name, folder, "folder", tuple(load_labels(mask)), mask))
    return jobs


def mnad_layout_jobs(root: Path, name: str) -> list[Job]:
    train, test = _video_folders(root / "training" / "frames"), _video_folders(root / "testing" / "frames")
    label_file = root / f"frame_labels_{name}.npy"
    if not train or not test or not label_file.exists():
        raise missing(name, root, {"training/frames/": bool(train), "testing/frames/": bool(test),
                                   label_file.name: label_file.exists()})
    labels = load_labels(label_file)
    counts = [len(frame_files(folder)) for folder in test]
    if sum(counts) != len(labels):
        raise InputError(f"{label_file}: {len(labels)} labels but the {len(test)} test videos under "
                         f"{root / 'testing' / 'frames'} hold {sum(counts)} frames; use the label file that matches "
                         "these frames")
    jobs = [Job("train", f.name, f, "folder") for f in train]
    start = 0
    for folder, count in zip(test, counts):
        jobs.append(Job("test", folder.name, folder, "folder", tuple(labels[start:start + count]), label_file))
        start += count
    return jobs


def ucsd_jobs(root: Path, name: str) -> list[Job]:
    base = root / "UCSDped2" if (root / "UCSDped2").is_dir() else root
    train = [f for f in _video_folders(base / "Train") if not f.name.endswith("_gt")]
    test = [f for f in _video_folders(base / "Test") if not f.name.endswith("_gt")]
    if not train or not test:
        raise missing(name, root, {f"{base.name}/Train/": bool(train), f"{base.name}/Test/": bool(test)})
    jobs = [Job("train", f.name, f, "folder") for f in train]
    for folder in test:
        gt = folder.parent / f"{folder.name}_gt"
        if not gt.is_dir():
            raise InputError(f"{gt}: ground-truth masks missing for {folder.name}")
        jobs.append(Job("test", folder.name, folder, "folder", None, gt, gt))
    return jobs


# The video layouts (pipeline.data.datasets: a dataset's `layouts`), and the paths under
# data/raw/<name>/ that show a copy is in that layout.
JOB_LAYOUTS = {"shanghaitech": shanghaitech_jobs, "mnad": mnad_layout_jobs, "ucsd": ucsd_jobs}
MARKERS = {"shanghaitech": ("training/videos",), "mnad": ("training/frames",), "ucsd": ("UCSDped2", "Train")}


def dataset_jobs(name: str, root: Path) -> list[Job]:
    """The videos of a benchmark's raw copy, read in the first of its layouts whose marker is
    there (the first layout when none is, to name what is missing)."""
    root = Path(root)
    layouts = [layout for layout in DATASETS[name].layouts if layout in JOB_LAYOUTS]
    chosen = next((layout for layout in layouts if any((root / m).exists() for m in MARKERS[layout])), layouts[0])
    return JOB_LAYOUTS[chosen](root, name)


def run_job(job: Job, partial: Path, size: int | None, settings: dict | None = None) -> dict:
    """Read, check and write one video (runs in a worker process)."""
    cv2.setNumThreads(1)  # one video per process: no nested threading
    settings = settings or {}
    frames, grays, facts = (read_video(job.source, size, settings.get("jpeg_round_trip", False)) if job.kind == "video"
                            else (*read_frame_folder(job.source, size), {}))
    if job.mask_folder is not None:
        labels = read_mask_labels(job.mask_folder, len(frames))
    elif job.labels is not None:
        labels = np.array(job.labels)
        if len(labels) != len(frames):
            raise InputError(f"{job.label_source}: {len(labels)} labels for {len(frames)} frames of {job.source}")
    else:
        labels = np.zeros(len(frames), dtype=int)
    types = ["abnormal" if v else NORMAL for v in labels]
    return write_video(partial, VideoRecord(job.split, job.video, frames, labels, types, grays), job.fingerprint(),
                       settings, facts, settings.get("format", "npy"))


def _run_job_star(args):
    return run_job(*args)


def _ignore_interrupt() -> None:
    """Workers leave Ctrl-C to the parent, which stops the pool and says how to resume."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def prepare_real(name: str, raw_root: Path, out_root: Path, size: int | None, workers: int,
                 storage_format: str = "npy", jpeg_round_trip: bool = False) -> None:
    """Prepare one benchmark; `out_root` appears only once every video is written. A video
    is re-extracted unless its source, labels, `size`, storage format, JPEG round trip and
    the reading code are all as when it was written. `jpeg_round_trip` applies to frames
    decoded from video files (ShanghaiTech's training set): frame folders are already the
    extracted images."""
    reject_links(Path(raw_root))
    jobs = dataset_jobs(name, raw_root)
    sources = {split: {"videos": sum(j.split == split for j in jobs),
                       "kinds": sorted({j.source.suffix.lower() if j.kind == "video" else "frame folder"
                                        for j in jobs if j.split == split})} for split in ("train", "test")}
    print(f"{name}: {sources['train']['videos']} training videos ({', '.join(sources['train']['kinds'])}), "
          f"{sources['test']['videos']} test videos ({', '.join(sources['test']['kinds'])})")
    settings = {"size": size, "format": storage_format, "jpeg_round_trip": jpeg_round_trip, "reader": reader_version()}
    writer = DatasetWriter(out_root, name, resume=True, settings=settings, sources=sources, storage_format=storage_format)
    todo = []
    for job in jobs:
        record = writer.finished(job.split, job.video, job.fingerprint())
        if record is not None:
            writer.register(record)
        else:
            todo.append(job)
    if len(todo) < len(jobs):
        print(f"{name}: resuming, {len(jobs) - len(todo)} of {len(jobs)} videos already prepared and verified")
    tasks = [(job, writer.partial, size, settings) for job in todo]
    progress = tqdm(total=len(tasks), desc=f"prepare {name}", unit="video")
    if workers > 1 and len(tasks) > 1:
        # spawn, not fork: a forked child inherits OpenCV's thread pool state and can deadlock
        with multiprocessing.get_context("spawn").Pool(workers, initializer=_ignore_interrupt) as pool:
            for record in pool.imap_unordered(_run_job_star, tasks):
                writer.register(record)
                progress.update()
    else:
        for task in tasks:
            writer.register(run_job(*task))
            progress.update()
    progress.close()
    writer.finish()
