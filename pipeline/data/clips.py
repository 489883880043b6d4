"""Frames of a prepared dataset as model inputs, read on demand.

A training dataset holds an index of its clips (video number, first frame) and a small
reader per video, never frames: each item is read when the loader asks for it (in
DataLoader workers with runtime.num_workers > 0) from the prepared file, or for a
compressed format from the decoded frame cache (pipeline.data.frame_cache), and resized
frame by frame to the model's size with cv2's bilinear resize, as the official loader.
Memory is the index plus batch x workers x clip, whatever the size of the split. Test
passes read each video in windows the same way. A clip becomes float in [-1, 1] only when
batched. A clip for prediction is `input_frames` consecutive frames plus the next one (the
target); for reconstruction it is one frame, its own target.
"""
from __future__ import annotations

import cv2
import numpy as np
import torch

from pipeline.data import frame_cache, storage
from pipeline.data.index import PreparedDataset
from pipeline.data.resize import resize_frames


class _ArrayReader:
    def __init__(self, array: np.ndarray):
        self.array = array

    def read(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        return self.array[start:stop]


class VideoFrames:
    """One video at a model's size, read on demand: `read(start, stop)` and `take(indices)`
    give (n, size, size, 3) uint8 RGB frames (size None: as stored). `sequential` (a test
    pass's overlapping windows) keeps the last window, so a read that overlaps it decodes
    only the frames after it, and an FFV1 reader never seeks back."""

    def __init__(self, reader, length: int, size: int | None, sequential: bool = False, gray_copy: bool = False):
        self.reader, self.length, self.size, self.sequential = reader, length, size, sequential
        self.gray_copy = gray_copy   # the frames are a prepared grey copy (grey in all three channels)
        self._last: tuple[int, np.ndarray] | None = None   # (first frame, frames) of the last window

    @classmethod
    def from_array(cls, frames: np.ndarray, size: int | None = None) -> VideoFrames:
        return cls(_ArrayReader(frames), len(frames), size)

    def __len__(self) -> int:
        return self.length

    def read(self, start: int, stop: int) -> np.ndarray:
        stop = min(stop, self.length)
        if self._last is not None:
            first, kept = self._last
            if first <= start < first + len(kept) <= stop:
                frames = np.concatenate([kept[start - first:], self._read(first + len(kept), stop)])
                self._last = (start, frames)
                return frames.copy()
        frames = self._read(start, stop)
        if self.sequential:
            self._last = (start, frames)
            return frames.copy()
        return frames

    def _read(self, start: int, stop: int) -> np.ndarray:
        frames = self.reader.read(start, stop)
        return resize_frames(frames, self.size) if self.size else np.array(frames)

    def take(self, indices) -> np.ndarray:
        """Frames at `indices` (any order, repeats allowed): one read of the span they cover."""
        indices = np.asarray(indices)
        first = int(indices.min())
        return self.read(first, int(indices.max()) + 1)[indices - first]


class GrayFrames:
    """The same video as float32 grayscale in [-1, 1] (MemAE and LNTRA): (n, size, size).
    From the prepared grey copy where the dataset has one (the official grayscale read,
    pipeline.data.readers), else converted from the stored colours (generated data, whose
    frames are grey: the conversion is exact there)."""

    def __init__(self, frames: VideoFrames):
        self.frames = frames
        self._gray = to_gray_float if frames.gray_copy else to_gray

    def __len__(self) -> int:
        return len(self.frames)

    def read(self, start: int, stop: int) -> np.ndarray:
        return self._gray(self.frames.read(start, stop))

    def take(self, indices) -> np.ndarray:
        return self._gray(self.frames.take(indices))


def gray_variant(dataset: PreparedDataset, split: str, videos: list[str], gray: bool) -> str:
    """Which prepared file a reader takes: the grey copy when grey frames are wanted and
    every video has one."""
    return "gray" if gray and all(dataset.has_gray(split, v) for v in videos) else "rgb"


def video_frames(dataset: PreparedDataset, split: str, video: str, size: int | None, sequential: bool = False,
                 gray: bool = False) -> VideoFrames:
    """A video's reader from its prepared file; `gray`: its grey copy where it has one
    (GrayFrames then reads it as is)."""
    return _reader(dataset, split, video, size, gray_variant(dataset, split, [video], gray), None, sequential)


def _reader(dataset: PreparedDataset, split: str, video: str, size: int | None, variant: str,
            cached: dict | None = None, sequential: bool = False) -> VideoFrames:
    """The `variant` file of a video, or its cached copy at `size` if `cached` holds one
    (the cache was built from that same variant)."""
    source = storage.NpyVideo(cached[video]) if cached and video in cached else \
        storage.open_video(dataset.video_file(split, video, variant))
    return VideoFrames(source, dataset.num_frames(split, video), size, sequential, gray_copy=variant == "gray")


def split_frames(dataset: PreparedDataset, split: str, videos: list[str], size: int | None,
                 cache_workers: int = 1, gray: bool = False) -> list[VideoFrames]:
    """Readers of `videos` for training: through the frame cache when the dataset is
    compressed; one variant for all of them (gray_variant)."""
    variant = gray_variant(dataset, split, videos, gray)
    cached = frame_cache.ensure_cached(dataset, split, videos, size, cache_workers, variant)
    return [_reader(dataset, split, v, size, variant, cached) for v in videos]


def clip_index(lengths: list[int], span: int) -> tuple[np.ndarray, np.ndarray]:
    """Every clip of `span` consecutive frames, video by video, in frame order:
    (video number, first frame) as two int32 arrays."""
    counts = [max(0, n - span + 1) for n in lengths]
    video_of = np.repeat(np.arange(len(lengths), dtype=np.int32), counts)
    start = np.concatenate([np.arange(c, dtype=np.int32) for c in counts]) if counts else np.empty(0, np.int32)
    return video_of, start


class ClipDataset(torch.utils.data.Dataset):
    """All clips of one split. Item: uint8 array (span, size, size, 3), span = input_frames + 1
    for prediction (last frame is the target) and 1 for reconstruction."""

    def __init__(self, dataset: PreparedDataset, split: str, size: int, span: int, videos: list[str] | None = None):
        self.span = span
        self.videos = videos if videos is not None else dataset.videos(split)
        self.sources = split_frames(dataset, split, self.videos, size)
        self.video_of, self.start = clip_index([len(s) for s in self.sources], span)
        if not len(self.start):
            raise ValueError(f"{dataset.root}: no {split} clips of {span} frames")

    def __len__(self) -> int:
        return len(self.start)

    def __getitem__(self, i: int) -> np.ndarray:
        start = int(self.start[i])
        return self.sources[self.video_of[i]].read(start, start + self.span)


def collate_uint8(batch: list[np.ndarray]) -> torch.Tensor:
    return torch.from_numpy(np.stack(batch))


def collate_clips(batch: list) -> torch.Tensor | tuple[torch.Tensor, ...]:
    """Arrays -> one tensor; tuples of arrays (a dataset that returns inputs and target) ->
    one tensor per member."""
    if isinstance(batch[0], tuple):
        return tuple(torch.from_numpy(np.stack(member)) for member in zip(*batch))
    return collate_uint8(batch)


CHANNEL_ORDERS = ("rgb", "bgr")


def channels_first(frames: torch.Tensor, channels: str = "rgb") -> torch.Tensor:
    """(..., H, W, 3) in the stored RGB order -> (..., 3, H, W) in the channel order the
    network was trained on: "bgr" where the official loader read frames with cv2.imread
    (MNAD), "rgb" otherwise."""
    if channels not in CHANNEL_ORDERS:
        raise ValueError(f"channel order must be one of {CHANNEL_ORDERS}, got {channels!r}")
    return (frames.flip(-1) if channels == "bgr" else frames).movedim(-1, -3)


def to_network(frames_uint8: torch.Tensor, device: torch.device, channels: str = "rgb") -> torch.Tensor:
    """(..., H, W, 3) uint8 RGB, as stored -> (..., 3, H, W) float in [-1, 1] (channels_first)."""
    return channels_first(frames_uint8.to(device, non_blocking=True).float().div_(127.5).sub_(1.0), channels)


def split_input_target(clips_uint8: torch.Tensor, task: str, device: torch.device, channels: str = "rgb"
                       ) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, span, H, W, 3) uint8 -> inputs (B, frames*3, H, W), target (B, 3, H, W), in [-1, 1].
    Prediction: every frame but the last in, the last the target. Reconstruction: every
    frame in, the last one the target (one frame for MNAD; four for the report's denoiser)."""
    x = to_network(clips_uint8, device, channels)
    if task == "prediction":
        return x[:, :-1].flatten(1, 2), x[:, -1]
    return x.flatten(1, 2), x[:, -1]


def to_gray(frames: np.ndarray) -> np.ndarray:
    """(T, H, W, 3) uint8 RGB -> (T, H, W) float32 in [-1, 1] (MemAE and LNTRA read grayscale)."""
    gray = np.stack([cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames])
    return gray.astype(np.float32) / 127.5 - 1.0


def to_gray_float(frames: np.ndarray) -> np.ndarray:
    """(T, H, W, 3) uint8 of a grey copy (the value in every channel) -> (T, H, W) float32 in [-1, 1]."""
    return frames[..., 0].astype(np.float32) / 127.5 - 1.0


class GrayClipDataset(torch.utils.data.Dataset):
    """16-frame grayscale clips of the training split for the 3D-convolution autoencoders
    (MemAE sec. 4.2, LNTRA sec. 4.1). Item: (input, target) float32 (1, T, H, W) in [-1, 1]
    and whether the input is a pseudo anomaly. `corrupt` (LNTRA's generators) gets the whole
    video's reader so a skip-frame input can reach past the clip; its randomness is a
    function of (seed, epoch, index), so any number of loader workers gives the same samples."""

    def __init__(self, dataset: PreparedDataset, split: str, size: int, length: int = 16, corrupt=None, seed: int = 0,
                 videos: list[str] | None = None):
        self.length, self.corrupt, self.seed, self.epoch = length, corrupt, seed, 0
        self.videos = videos if videos is not None else dataset.videos(split)
        self.sources = [GrayFrames(f) for f in split_frames(dataset, split, self.videos, size, gray=True)]
        self.video_of, self.start = clip_index([len(s) for s in self.sources], length)
        if not len(self.start):
            raise ValueError(f"{dataset.root}: no {split} clips of {length} frames; videos must have at least {length}")

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.start)

    def __getitem__(self, i: int):
        video, start = self.sources[self.video_of[i]], int(self.start[i])
        if self.corrupt is None:
            clip = video.read(start, start + self.length)
            return torch.from_numpy(clip[None]), torch.from_numpy(clip[None]), False
        rng = np.random.default_rng([self.seed, self.epoch, i])
        inputs, target, pseudo = self.corrupt(video, start, self.length, rng)
        return torch.from_numpy(np.ascontiguousarray(inputs)[None]), torch.from_numpy(np.ascontiguousarray(target)[None]), pseudo
