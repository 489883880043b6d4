"""How a prepared video's frames are stored on disk (`prepare.<name>.format`).

    npy     the raw uint8 array (T, H, W, 3): no decoding, memory-mapped reads, the most disk
    ffv1    lossless video (FFV1 in Matroska, through OpenCV's FFmpeg): 2-6x smaller
            (benchmarks/RESULTS.md: 4.2x on a static-camera street scene); every frame is
            intra-coded, so a clip is a seek plus its frames. Each file is decoded once
            after writing and must give the array back bit for bit, or the stage stops.
    delta   lossless without a codec library, 2-4x smaller: frames in chunks of
            CHUNK, each stored as differences from a prediction, zigzag-coded (small
            magnitudes become small bytes) and zlib-compressed. The prediction is chosen per
            chunk, whichever leaves the smaller residuals: the previous frame (a still
            background becomes zeros) or the plane through the left, upper and upper-left
            neighbours (smooth image regions become zeros). Both are undone by cumulative
            sums, so decoding is vectorised; a clip decodes only the chunks it spans.

Both decode to the same array bit for bit; the manifest's SHA-256 is of that array, so the
format never changes what a model sees.

Readers (`open_video`) read frames [start, stop) on demand and keep their file open for
the next read, in whichever process uses them (a DataLoader worker opens its own): raw
arrays with pread, never a memory map (pages of a mapped file count in the process's
resident memory, so a training epoch over a memory-mapped split would look like a process
holding the whole split); an FFV1 file continues decoding where the last read stopped, and
seeks only when a read starts elsewhere (OpenCV's seek decodes from up to 16 frames
before the target, ~50 ms at 256 x 256: benchmarks/RESULTS.md, "Feeding the GPU").
"""
from __future__ import annotations

import os
import zlib
from pathlib import Path

import cv2
import numpy as np

from pipeline.io import InputError, atomic_path

FORMATS = ("npy", "ffv1", "delta")
SUFFIX = {"npy": ".npy", "ffv1": ".mkv", "delta": ".delta.npz"}
DELTA_FORMAT = "delta"
DELTA_SUFFIX = SUFFIX["delta"]
CHUNK = 16            # frames per independently decoded chunk
DEFAULT_LEVEL = 3     # zlib level: level 6 gains ~15% more at a fraction of the speed (RESULTS.md)
TEMPORAL, PLANE = 0, 1

_ZIGZAG = np.array([(2 * d if d < 128 else 2 * (256 - d) - 1) for d in range(256)], np.uint8)
_UNZIGZAG = np.argsort(_ZIGZAG).astype(np.uint8)


def _zigzag(d: np.ndarray) -> np.ndarray:
    """uint8 differences (mod 256) -> 0, 1, 2, 3, ... for 0, -1, +1, -2, ..."""
    return _ZIGZAG[d]


def _unzigzag(z: np.ndarray) -> np.ndarray:
    return _UNZIGZAG[z]


def _residuals(frames: np.ndarray, predictor: int) -> np.ndarray:
    """frames minus their prediction, mod 256 (uint8 arithmetic wraps)."""
    d = frames.copy()
    if predictor == TEMPORAL:
        d[1:] = frames[1:] - frames[:-1]
    else:  # x - left - up + upper-left: a difference along columns, then along rows
        d[:, :, 1:] = frames[:, :, 1:] - frames[:, :, :-1]
        d[:, 1:] = d[:, 1:] - d[:, :-1].copy()
    return d


def _restore(d: np.ndarray, predictor: int) -> np.ndarray:
    if predictor == TEMPORAL:
        return np.cumsum(d, axis=0, dtype=np.uint8)
    return np.cumsum(np.cumsum(d, axis=1, dtype=np.uint8), axis=2, dtype=np.uint8)


def _encode_chunk(frames: np.ndarray, level: int) -> tuple[bytes, int]:
    """(compressed bytes, predictor): the predictor whose zigzag residuals sum smaller."""
    coded = {p: _zigzag(_residuals(frames, p)) for p in (TEMPORAL, PLANE)}
    best = min(coded, key=lambda p: int(coded[p].sum(dtype=np.int64)))
    return zlib.compress(np.ascontiguousarray(coded[best]).tobytes(), level), best


def _decode_chunk(blob: bytes, shape: tuple[int, ...], predictor: int) -> np.ndarray:
    residuals = _unzigzag(np.frombuffer(zlib.decompress(blob), np.uint8).reshape(shape))
    return _restore(residuals, predictor)


def write_frames(path: Path, frames: np.ndarray, level: int = DEFAULT_LEVEL) -> None:
    """frames (T, H, W, C) uint8 -> a `delta` file (atomically)."""
    frames = np.ascontiguousarray(frames)
    encoded = [_encode_chunk(frames[s:s + CHUNK], level) for s in range(0, len(frames), CHUNK)]
    chunks = {f"chunk_{i:06d}": np.frombuffer(blob, np.uint8) for i, (blob, _) in enumerate(encoded)}
    with atomic_path(path, suffix=".npz") as tmp:
        with open(tmp, "wb") as handle:
            np.savez(handle, shape=np.array(frames.shape, np.int64), chunk=np.array(CHUNK, np.int64),
                     predictors=np.array([p for _, p in encoded], np.uint8), **chunks)


class DeltaVideo:
    """Read access to a `delta` file: the whole array, or frames [start, stop)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        with np.load(self.path) as held:
            self.shape = tuple(int(v) for v in held["shape"])
            self.chunk = int(held["chunk"])
            self.predictors = held["predictors"]

    def __len__(self) -> int:
        return self.shape[0]

    def read(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        stop = len(self) if stop is None else min(stop, len(self))
        if not 0 <= start <= stop:
            raise IndexError(f"{self.path}: frames [{start}, {stop}) outside [0, {len(self)})")
        first, last = start // self.chunk, max(start, stop - 1) // self.chunk
        parts = []
        with np.load(self.path) as held:  # members are read one by one, only those asked for
            for i in range(first, last + 1):
                n = min(self.chunk, len(self) - i * self.chunk)
                parts.append(_decode_chunk(held[f"chunk_{i:06d}"].tobytes(), (n, *self.shape[1:]),
                                           int(self.predictors[i])))
        frames = np.concatenate(parts) if parts else np.empty((0, *self.shape[1:]), np.uint8)
        offset = first * self.chunk
        return frames[start - offset:stop - offset]


def read_frames(path: Path) -> np.ndarray:
    return DeltaVideo(path).read()


def read_clip(path: Path, start: int, stop: int) -> np.ndarray:
    return DeltaVideo(path).read(start, stop)


# --- ffv1 -------------------------------------------------------------------------------------
def write_ffv1(path: Path, frames: np.ndarray) -> None:
    """frames (T, H, W, 3) uint8 RGB -> an FFV1 .mkv (atomically), verified lossless."""
    frames = np.ascontiguousarray(frames)
    h, w = frames.shape[1:3]
    with atomic_path(path, suffix=".mkv") as tmp:
        writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"FFV1"), 25.0, (w, h))
        if not writer.isOpened():
            raise InputError(f"{path}: this OpenCV build cannot write FFV1 video; set prepare.<dataset>.format to "
                             "delta or npy")
        for frame in frames:
            writer.write(np.ascontiguousarray(frame[..., ::-1]))
        writer.release()
        if not np.array_equal(FFV1Video(tmp).read(), frames):
            raise InputError(f"{path}: OpenCV's FFV1 round trip is not lossless on this machine; set "
                             "prepare.<dataset>.format to delta or npy")


class FFV1Video:
    """Read access to an FFV1 file: the whole array, or frames [start, stop). The capture
    stays open between reads (per process); a read that starts where the previous one
    stopped decodes on without seeking."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._capture, self._owner, self._position = None, None, 0

    def __getstate__(self) -> dict:  # a capture cannot be pickled: the receiving process opens its own
        return {"path": self.path}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["path"])

    def _open(self) -> cv2.VideoCapture:
        if self._capture is None or self._owner != os.getpid():
            self._capture, self._owner, self._position = cv2.VideoCapture(str(self.path)), os.getpid(), 0
        return self._capture

    def close(self) -> None:
        if self._capture is not None and self._owner == os.getpid():
            self._capture.release()
        self._capture = None

    def read(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        if start < 0 or (stop is not None and stop < start):
            raise IndexError(f"{self.path}: frames [{start}, {stop}) are not a range")
        continues = self._capture is not None and start == self._position
        frames = self._decode(start, stop)
        if not frames and stop != start and not continues:
            self.close()  # a seek on a capture that has decoded before can fail (a 1-frame file): once more, fresh
            frames = self._decode(start, stop)
        if not frames:
            if stop == start:
                capture = self._open()
                return np.empty((0, int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
                                 int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), 3), np.uint8)
            raise InputError(f"{self.path}: no frame could be decoded at {start}; re-run the prepare stage")
        return np.ascontiguousarray(np.stack(frames))

    def _decode(self, start: int, stop: int | None) -> list[np.ndarray]:
        capture = self._open()
        if start != self._position:
            capture.set(cv2.CAP_PROP_POS_FRAMES, start)
        frames = []
        while stop is None or start + len(frames) < stop:
            ok, frame = capture.read()
            if not ok:  # the end: a capture past it may not seek back, so the next read reopens
                self.close()
                break
            frames.append(frame[..., ::-1])
        self._position = start + len(frames)
        return frames


# --- npy --------------------------------------------------------------------------------------
class NpyVideo:
    """Read access to a raw .npy array (T, H, W, C) uint8 by pread: frames [start, stop) are
    copied into a new array; nothing is memory-mapped."""

    def __init__(self, path: Path):
        self.path = Path(path)
        with open(self.path, "rb") as handle:
            version = np.lib.format.read_magic(handle)
            header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            self.shape, fortran, dtype = header(handle)
            self.offset = handle.tell()
        if fortran or dtype != np.uint8 or len(self.shape) != 4:
            raise InputError(f"{self.path}: not a C-ordered uint8 (T, H, W, C) array; re-run the prepare stage")
        self.frame_bytes = int(np.prod(self.shape[1:]))
        self._fd, self._owner = None, None

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in ("_fd", "_owner")} | {"_fd": None, "_owner": None}

    def __len__(self) -> int:
        return self.shape[0]

    def _descriptor(self) -> int:
        if self._fd is None or self._owner != os.getpid():
            self._fd, self._owner = os.open(self.path, os.O_RDONLY), os.getpid()
        return self._fd

    def close(self) -> None:
        if self._fd is not None and self._owner == os.getpid():
            os.close(self._fd)
        self._fd = None

    def __del__(self):
        self.close()

    def read(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        stop = len(self) if stop is None else min(stop, len(self))
        if not 0 <= start <= stop:
            raise IndexError(f"{self.path}: frames [{start}, {stop}) outside [0, {len(self)})")
        out = np.empty((stop - start, *self.shape[1:]), np.uint8)
        wanted = out.nbytes
        got = os.preadv(self._descriptor(), [memoryview(out).cast("B")], self.offset + start * self.frame_bytes)
        if got != wanted:
            raise InputError(f"{self.path}: file ends before frame {stop}; re-run the prepare stage")
        return out


def open_video(path: Path):
    """A reader (`read(start, stop)`) for a prepared video file, whatever its format."""
    path = Path(path)
    if path.name.endswith(DELTA_SUFFIX):
        return DeltaVideo(path)
    if path.suffix == SUFFIX["ffv1"]:
        return FFV1Video(path)
    return NpyVideo(path)
