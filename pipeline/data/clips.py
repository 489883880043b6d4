"""Frames of a prepared dataset as model inputs.

Frames are resized once to the model's size and kept as uint8 (a compact cache that
avoids decoding and resizing per sample); a clip becomes float in [-1, 1] only when
batched. A clip for prediction is `input_frames` consecutive frames plus the next one
(the target); for reconstruction it is one frame, its own target.
"""
from __future__ import annotations

import cv2
import numpy as np
import torch

from pipeline.data.index import PreparedDataset


def resize_frames(frames: np.ndarray, size: int) -> np.ndarray:
    """(T, H, W, 3) uint8 -> (T, size, size, 3) uint8 (cv2.resize, as the official loader)."""
    if frames.shape[1] == size and frames.shape[2] == size:
        return np.array(frames)  # a writable copy (the source may be a read-only memmap)
    return np.stack([cv2.resize(f, (size, size), interpolation=cv2.INTER_LINEAR) for f in frames])


class ClipDataset(torch.utils.data.Dataset):
    """All clips of one split. Item: uint8 array (span, size, size, 3), span = input_frames + 1
    for prediction (last frame is the target) and 1 for reconstruction."""

    def __init__(self, dataset: PreparedDataset, split: str, size: int, span: int, videos: list[str] | None = None):
        self.span = span
        self.videos = videos if videos is not None else dataset.videos(split)
        self.frames = {v: resize_frames(np.asarray(dataset.frames(split, v)), size) for v in self.videos}
        self.clips = [(v, t) for v in self.videos for t in range(len(self.frames[v]) - span + 1)]
        if not self.clips:
            raise ValueError(f"{dataset.root}: no {split} clips of {span} frames")

    def __len__(self) -> int:
        return len(self.clips)

    def __getitem__(self, i: int) -> np.ndarray:
        video, start = self.clips[i]
        return self.frames[video][start:start + self.span]


def collate_uint8(batch: list[np.ndarray]) -> torch.Tensor:
    return torch.from_numpy(np.stack(batch))


def split_input_target(clips_uint8: torch.Tensor, task: str, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, span, H, W, 3) uint8 -> inputs (B, frames*3, H, W), target (B, 3, H, W), in [-1, 1].
    Prediction: every frame but the last in, the last the target. Reconstruction: every
    frame in, the last one the target (one frame for MNAD; four for the report's denoiser)."""
    x = clips_uint8.to(device, non_blocking=True).float().div_(127.5).sub_(1.0).movedim(-1, -3)
    if task == "prediction":
        return x[:, :-1].flatten(1, 2), x[:, -1]
    return x.flatten(1, 2), x[:, -1]


def to_gray(frames: np.ndarray) -> np.ndarray:
    """(T, H, W, 3) uint8 RGB -> (T, H, W) float32 in [-1, 1] (MemAE and LNTRA read grayscale)."""
    gray = np.stack([cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames])
    return gray.astype(np.float32) / 127.5 - 1.0


class GrayClipDataset(torch.utils.data.Dataset):
    """16-frame grayscale clips of the training split for the 3D-convolution autoencoders
    (MemAE sec. 4.2, LNTRA sec. 4.1). Item: (input, target) float32 (1, T, H, W) in [-1, 1]
    and whether the input is a pseudo anomaly. `corrupt` (LNTRA's generators) gets the whole
    video so a skip-frame input can reach past the clip; its randomness is a function of
    (seed, epoch, index), so any number of loader workers gives the same samples."""

    def __init__(self, dataset: PreparedDataset, split: str, size: int, length: int = 16, corrupt=None, seed: int = 0,
                 videos: list[str] | None = None):
        self.length, self.corrupt, self.seed, self.epoch = length, corrupt, seed, 0
        self.videos = videos if videos is not None else dataset.videos(split)
        self.frames = {v: to_gray(resize_frames(np.asarray(dataset.frames(split, v)), size)) for v in self.videos}
        self.clips = [(v, t) for v in self.videos for t in range(len(self.frames[v]) - length + 1)]
        if not self.clips:
            raise ValueError(f"{dataset.root}: no {split} clips of {length} frames; videos must have at least {length}")

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.clips)

    def __getitem__(self, i: int):
        video, start = self.clips[i]
        frames = self.frames[video]
        if self.corrupt is None:
            clip = frames[start:start + self.length]
            return torch.from_numpy(clip[None]), torch.from_numpy(clip[None]), False
        rng = np.random.default_rng([self.seed, self.epoch, i])
        inputs, target, pseudo = self.corrupt(frames, start, self.length, rng)
        return torch.from_numpy(np.ascontiguousarray(inputs)[None]), torch.from_numpy(np.ascontiguousarray(target)[None]), pseudo
