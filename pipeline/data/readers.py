"""Reading user-provided frames and videos, with errors that name the file and the fix."""
from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np

from pipeline.io import InputError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp")


def numeric_sort(paths: list[Path]) -> list[Path]:
    """Order frame files by the number in their name (1.jpg < 2.jpg < 10.jpg, 001 or 1-based
    alike); lexical order breaks on unpadded names and on 1000+ frame videos."""
    def key(path: Path):
        numbers = re.findall(r"\d+", path.stem)
        return (int(numbers[-1]) if numbers else -1, path.name)
    return sorted(paths, key=key)


def fingerprint(path: Path) -> dict:
    """What identifies a source for resuming: path, size, modification time."""
    stat = path.stat()
    return {"path": str(path), "bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def folder_fingerprint(folder: Path) -> dict:
    files = frame_files(folder)
    return {"path": str(folder), "files": len(files), "bytes": sum(f.stat().st_size for f in files),
            "mtime_ns": max(f.stat().st_mtime_ns for f in files)}


def _to_rgb(frame_bgr: np.ndarray, size: int | None) -> np.ndarray:
    """Resize first (cv2.resize's default bilinear, as the official MNAD loader), then swap
    channels on the small frame: the colour conversion then costs a fraction."""
    if size is not None:
        frame_bgr = cv2.resize(frame_bgr, (size, size), interpolation=cv2.INTER_LINEAR)
    return cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)


def _check_sizes(shapes: list[tuple], where: Path) -> None:
    distinct = sorted(set(shapes))
    if len(distinct) > 1:
        raise InputError(f"{where}: frames of different sizes {distinct[:3]}; every frame of a video must have one size "
                         "(re-export the video)")


def frame_files(folder: Path) -> list[Path]:
    return numeric_sort([p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES])


def read_frame_folder(folder: Path, size: int | None) -> np.ndarray:
    """All frames of one video stored as images -> (T, H, W, 3) uint8 RGB, resized to size x size."""
    files = frame_files(folder)
    if not files:
        raise InputError(f"{folder}: no frames ({', '.join(IMAGE_SUFFIXES)}) in this video folder")
    frames, shapes = [], []
    for path in files:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise InputError(f"{path}: unreadable image (corrupt or not an image); replace or remove it")
        shapes.append(image.shape)
        frames.append(_to_rgb(image, size))
    _check_sizes(shapes, folder)
    return np.stack(frames)


def read_video(path: Path, size: int | None) -> np.ndarray:
    """Every frame of a video file (no fps resampling) -> (T, H, W, 3) uint8 RGB.

    The decoded count must equal what the container declares (CAP_PROP_FRAME_COUNT); fewer
    means a truncated or corrupt file."""
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise InputError(f"{path}: OpenCV cannot open this video (corrupt, or a codec OpenCV lacks); re-download it")
    declared = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    frames, shapes = [], []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        shapes.append(frame.shape)
        frames.append(_to_rgb(frame, size))
    capture.release()
    if not frames:
        raise InputError(f"{path}: no frame could be decoded (empty or corrupt video); re-download it")
    if declared > 0 and len(frames) != declared:
        raise InputError(f"{path}: decoded {len(frames)} frames but the file declares {declared}: truncated or corrupt; "
                         "re-download it")
    _check_sizes(shapes, path)
    return np.stack(frames)


def load_labels(path: Path) -> np.ndarray:
    """A ground-truth .npy file -> 1-D int array. MNAD's frame_labels_<name>.npy are (1, N);
    ShanghaiTech's test_frame_mask/<video>.npy are (N,)."""
    try:
        labels = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise InputError(f"{path}: not a readable .npy label file ({err})") from err
    labels = np.asarray(labels)
    if labels.ndim == 2 and labels.shape[0] == 1:
        labels = labels[0]
    if labels.ndim != 1:
        raise InputError(f"{path}: labels must have shape (N,) or (1, N), got {labels.shape}")
    if not np.isin(labels, (0, 1)).all():
        raise InputError(f"{path}: labels must be 0 (normal) or 1 (abnormal)")
    return labels.astype(int)


def read_mask_labels(folder: Path, expected: int) -> np.ndarray:
    """UCSD ground truth: one mask image per frame; a frame is abnormal if any pixel is set."""
    files = frame_files(folder)
    if len(files) != expected:
        raise InputError(f"{folder}: {len(files)} ground-truth masks for {expected} frames; each frame needs one mask")
    labels = []
    for path in files:
        mask = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        if mask is None:
            raise InputError(f"{path}: unreadable ground-truth mask; replace it")
        labels.append(int(mask.max() > 0))
    return np.array(labels)
