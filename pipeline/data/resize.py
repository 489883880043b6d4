"""Frames to a model's size: cv2's bilinear resize, as the official loaders (MNAD's
np_load_frame) resize each frame they read. Training clips, test windows and the decoded
frame cache all go through this one function."""
from __future__ import annotations

import cv2
import numpy as np


def resize_frames(frames: np.ndarray, size: int) -> np.ndarray:
    """(T, H, W, C) uint8 -> (T, size, size, C) uint8."""
    if frames.shape[1] == size and frames.shape[2] == size:
        return np.array(frames)  # a writable copy (the source may be read-only)
    if not len(frames):
        return np.empty((0, size, size, frames.shape[-1]), np.uint8)
    return np.stack([cv2.resize(f, (size, size), interpolation=cv2.INTER_LINEAR) for f in frames])
