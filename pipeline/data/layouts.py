"""Write generated frames in the real benchmarks' on-disk layouts (videos with
cv2.VideoWriter, frames as images, .npy labels, UCSD .tif/.bmp). Used by the tests and the
extraction benchmark, which cannot download the real datasets."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def numbered_frames(count: int, height: int = 48, width: int = 64, start: int = 0) -> np.ndarray:
    """Frames whose brightness encodes their index (value 20 + 8 * i), so order can be checked."""
    values = 20 + 8 * (np.arange(count) + start) % 230
    return np.broadcast_to(values[:, None, None, None], (count, height, width, 3)).astype(np.uint8).copy()


def write_avi(path: Path, frames: np.ndarray, fps: float = 25.0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    h, w = frames.shape[1:3]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()


def write_frame_folder(folder: Path, frames: np.ndarray, pattern: str = "{:03d}.jpg", first: int = 0) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(frames):
        cv2.imwrite(str(folder / pattern.format(i + first)), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))


def shanghaitech(root: Path, train_lengths=(12, 14), test_lengths=(11, 13)) -> dict[str, np.ndarray]:
    """training/videos/*.avi, testing/frames/<video>/<n>.jpg (1-based, unpadded: the names
    that break lexical order), testing/test_frame_mask/<video>.npy. Returns the labels."""
    for i, n in enumerate(train_lengths):
        write_avi(root / "training" / "videos" / f"01_{i + 1:03d}.avi", numbered_frames(n))
    labels = {}
    for i, n in enumerate(test_lengths):
        video = f"01_{i + 1:04d}"
        write_frame_folder(root / "testing" / "frames" / video, numbered_frames(n), pattern="{}.jpg", first=1)
        labels[video] = (np.arange(n) >= n // 2).astype(np.int64)
        (root / "testing" / "test_frame_mask").mkdir(parents=True, exist_ok=True)
        np.save(root / "testing" / "test_frame_mask" / f"{video}.npy", labels[video])
    return labels


def mnad_layout(root: Path, name: str, train_lengths=(10, 12), test_lengths=(9, 11)) -> np.ndarray:
    """<name>/{training,testing}/frames/<video>/NNN.jpg and frame_labels_<name>.npy of shape (1, N)."""
    for i, n in enumerate(train_lengths):
        write_frame_folder(root / "training" / "frames" / f"{i + 1:02d}", numbered_frames(n))
    labels = []
    for i, n in enumerate(test_lengths):
        write_frame_folder(root / "testing" / "frames" / f"{i + 1:02d}", numbered_frames(n))
        labels.append((np.arange(n) >= n - 3).astype(np.int64))
    all_labels = np.concatenate(labels)[None]
    np.save(root / f"frame_labels_{name}.npy", all_labels)
    return all_labels


def ucsd_ped2(root: Path, train_lengths=(10,), test_lengths=(9, 8)) -> list[np.ndarray]:
    """UCSDped2/Train/Train001/001.tif, UCSDped2/Test/Test001/001.tif, Test001_gt/001.bmp."""
    base = root / "UCSDped2"
    for i, n in enumerate(train_lengths):
        write_frame_folder(base / "Train" / f"Train{i + 1:03d}", numbered_frames(n), "{:03d}.tif", first=1)
    labels = []
    for i, n in enumerate(test_lengths):
        write_frame_folder(base / "Test" / f"Test{i + 1:03d}", numbered_frames(n), "{:03d}.tif", first=1)
        gt = base / "Test" / f"Test{i + 1:03d}_gt"
        gt.mkdir(parents=True, exist_ok=True)
        video_labels = (np.arange(n) % 3 == 0).astype(int)
        for t, abnormal in enumerate(video_labels):
            mask = np.zeros((48, 64), np.uint8)
            if abnormal:
                mask[10:20, 10:20] = 255
            cv2.imwrite(str(gt / f"{t + 1:03d}.bmp"), mask)
        labels.append(video_labels)
    return labels


def mvtec(root: Path, categories=("bottle", "grid"), train_count: int = 10, size: int = 40) -> dict[str, list[int]]:
    """<category>/train/good/NNN.png, test/{good,crack}/NNN.png, ground_truth/crack/NNN_mask.png.
    Normal images are flat grey with noise; a crack is a dark line. `grid` is stored grey
    (one channel) as in the real archive. Returns the expected test labels per category
    (good before crack: sorted defect folders)."""
    rng = np.random.default_rng(0)
    labels = {}
    for category in categories:
        def image(defect: bool, category: str = category) -> np.ndarray:
            picture = np.clip(128 + rng.normal(0, 5, (size, size)), 0, 255).astype(np.uint8)
            if defect:
                picture[size // 2, 5:-5] = 10
            return picture if category == "grid" else np.repeat(picture[..., None], 3, axis=2)
        base = root / category
        for kind, count, defect in (("train/good", train_count, False), ("test/crack", 3, True), ("test/good", 2, False)):
            (base / kind).mkdir(parents=True, exist_ok=True)
            for i in range(count):
                cv2.imwrite(str(base / kind / f"{i:03d}.png"), image(defect))
        (base / "ground_truth" / "crack").mkdir(parents=True, exist_ok=True)
        for i in range(3):
            cv2.imwrite(str(base / "ground_truth" / "crack" / f"{i:03d}_mask.png"), np.zeros((size, size), np.uint8))
        labels[category] = [1, 1, 1, 0, 0]  # test/crack sorts before test/good
    return labels
