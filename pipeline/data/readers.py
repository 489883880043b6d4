"""Reading user-provided frames and videos, with errors that name the file and the fix."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import cv2
import numpy as np

from pipeline.io import InputError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp")
# Containers OpenCV's FFmpeg backend reads; matched whatever the case of the suffix.
VIDEO_SUFFIXES = (".avi", ".mp4", ".m4v", ".mov", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv", ".flv", ".ogv", ".3gp",
                  ".ts", ".mts")


def reader_version() -> str:
    """A version of the code that turns source files into prepared arrays (this module:
    decoding, resizing, colour order): prepared videos are reused only when it matches."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def video_files(folder: Path) -> list[Path]:
    """The videos in a folder, sorted; any other file there (hidden ones aside) is an error."""
    files = sorted(p for p in Path(folder).iterdir() if p.is_file() and not p.name.startswith("."))
    others = [p for p in files if p.suffix.lower() not in VIDEO_SUFFIXES]
    if others:
        raise InputError(f"{others[0]}: not a video ({', '.join(VIDEO_SUFFIXES)}, any case); remove it from "
                         f"{folder} or convert it")
    return files


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
    if not files:
        raise InputError(f"{folder}: no frames ({', '.join(IMAGE_SUFFIXES)}) in this video folder; add them or "
                         "remove the folder")
    return {"path": str(folder), "files": len(files), "bytes": sum(f.stat().st_size for f in files),
            "mtime_ns": max(f.stat().st_mtime_ns for f in files)}


def _to_rgb(frame_bgr: np.ndarray, size: int | None) -> np.ndarray:
    """Resize first (cv2.resize's default bilinear, as the official MNAD loader), then swap
    channels on the small frame: the colour conversion then costs a fraction."""
    if size is not None:
        frame_bgr = cv2.resize(frame_bgr, (size, size), interpolation=cv2.INTER_LINEAR)
    return cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)


def _to_gray(frame_gray: np.ndarray, size: int | None) -> np.ndarray:
    """The grey copy's frame: read grey first, then cv2.resize's default bilinear, as LNTRA's
    loader (LNTRA utils.py np_load_frame: cv2.imread(..., IMREAD_GRAYSCALE), cv2.resize)."""
    if size is not None:
        frame_gray = cv2.resize(frame_gray, (size, size), interpolation=cv2.INTER_LINEAR)
    return frame_gray


def jpeg_round_trip(frame_bgr: np.ndarray) -> np.ndarray:
    """A frame as the reproducibility report's extraction leaves it (alchemi5t/MNADrc
    save_frames.py: each decoded video frame written with cv2.imwrite as .jpg, OpenCV's
    default quality, and read back by the loader): JPEG-encoded and decoded at full size."""
    return cv2.imdecode(_jpeg_bytes(frame_bgr), cv2.IMREAD_COLOR)


def _jpeg_bytes(frame_bgr: np.ndarray) -> np.ndarray:
    ok, data = cv2.imencode(".jpg", frame_bgr)
    if not ok:
        raise InputError("OpenCV could not JPEG-encode a frame")
    return data


def _check_sizes(shapes: list[tuple], where: Path) -> None:
    distinct = sorted(set(shapes))
    if len(distinct) > 1:
        raise InputError(f"{where}: frames of different sizes {distinct[:3]}; every frame of a video must have one size "
                         "(re-export the video)")


def frame_files(folder: Path) -> list[Path]:
    return numeric_sort([p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES])


def read_frame_folder(folder: Path, size: int | None) -> tuple[np.ndarray, np.ndarray]:
    """All frames of one video stored as images -> (T, H, W, 3) uint8 RGB and its grey copy
    (T, H, W) uint8, each resized to size x size. The grey copy is what the official
    grayscale loader reads: the file decoded straight to grey (for a JPEG, libjpeg's
    luminance channel, not a conversion of the decoded colours), then resized."""
    files = frame_files(folder)
    if not files:
        raise InputError(f"{folder}: no frames ({', '.join(IMAGE_SUFFIXES)}) in this video folder")
    frames, grays, shapes = [], [], []
    for path in files:
        data = np.fromfile(path, dtype=np.uint8)   # read once, decoded twice (as cv2.imread decodes it)
        image = cv2.imdecode(data, cv2.IMREAD_COLOR) if len(data) else None
        gray = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE) if len(data) else None
        if image is None or gray is None:
            raise InputError(f"{path}: unreadable image (corrupt or not an image); replace or remove it")
        shapes.append(image.shape)
        frames.append(_to_rgb(image, size))
        grays.append(_to_gray(gray, size))
    _check_sizes(shapes, folder)
    return np.stack(frames), np.stack(grays)


def container_complete(path: Path) -> bool | None:
    """Whether the container holds all the bytes its own structure declares: for AVI the
    RIFF size, for MP4/MOV every top-level box and a `moov` box. False: cut off (a truncated
    download); None: a container this does not check."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(12)
        if head[:4] == b"RIFF" and head[8:11] == b"AVI":
            return int.from_bytes(head[4:8], "little") + 8 <= size
        if head[4:8] not in (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip"):
            return None
        offset, boxes = 0, set()
        while offset < size:
            fh.seek(offset)
            header = fh.read(16)
            if len(header) < 8:
                return False
            length, kind = int.from_bytes(header[:4], "big"), header[4:8]
            if length == 1:
                length = int.from_bytes(header[8:16], "big")
            elif length == 0:  # runs to the end of the file
                length = size - offset
            if length < 8 or offset + length > size:
                return False
            boxes.add(kind)
            offset += length
        return b"moov" in boxes


def read_video(path: Path, size: int | None, round_trip: bool = False) -> tuple[np.ndarray, np.ndarray, dict]:
    """Every frame of a video file (no fps resampling) -> (T, H, W, 3) uint8 RGB, its grey
    copy (T, H, W) uint8, and facts for the manifest. With `round_trip`, each frame first
    goes through jpeg_round_trip (the official extraction's input), then is resized; its
    grey copy is that JPEG decoded straight to grey, as the official grayscale loader reads
    the extracted file. Without it, the grey copy is OpenCV's BGR-to-grey conversion of the
    decoded frame (what IMREAD_GRAYSCALE gives for a lossless frame file), then resized.

    The decoded count is checked against what the container declares
    (CAP_PROP_FRAME_COUNT). Fewer frames from a file whose container is cut off is a
    truncated download: an error. Fewer from a complete container is a wrong header (an
    `ffmpeg -c copy` remux into AVI declares the source's timebase ticks as frames): the
    decoded frames are kept and both counts go into the manifest."""
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise InputError(f"{path}: OpenCV cannot open this video (corrupt, or a codec OpenCV lacks); re-download it")
    declared = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    frames, grays, shapes = [], [], []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        shapes.append(frame.shape)
        if round_trip:
            data = _jpeg_bytes(frame)
            frame, gray = cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)
        else:
            gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        frames.append(_to_rgb(frame, size))
        grays.append(_to_gray(gray, size))
    capture.release()
    if not frames:
        raise InputError(f"{path}: no frame could be decoded (empty or corrupt video); re-download it")
    facts = {}
    if declared > 0 and len(frames) != declared:
        complete = container_complete(path)
        if not complete:
            state = "the file is cut off" if complete is False else "its container could not be checked"
            raise InputError(f"{path}: decoded {len(frames)} frames but the file declares {declared} and {state}: "
                             "truncated or corrupt; re-download it")
        facts = {"declared_frames": declared}
    _check_sizes(shapes, path)
    return np.stack(frames), np.stack(grays), facts


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
