"""LNTRA pseudo anomalies (Astrid et al., BMVC 2021, sec. 3.3): with probability p a
training clip is replaced by a pseudo anomaly while the target stays the normal clip.

Patch (sec. 3.3.1): a patch of an intruder image, size sigma_w in [10, alpha W] and
sigma_h in [10, alpha H], centre random in the frame, moving by a random step in
[-beta, beta] px per frame and axis (eq. 6), blended with a smooth square mask. The paper
uses CIFAR-100 as intruders and SmoothMixS [18] masks without restating its formula;
here the intruders are the images scikit-learn ships (`load_sample_images`, no download)
and the mask ramps linearly from 1 to 0 over the outer `ramp` fraction of the square.
Skip frame (sec. 3.3.2): frames n, n+s, ..., n+(T-1)s with s drawn from {2,3,4,5}; the
target is the consecutive clip n, ..., n+T-1.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Patch:
    centres: np.ndarray  # (T, 2) x, y per frame
    size: tuple[int, int]  # (sigma_w, sigma_h)


def smooth_square_mask(height: int, width: int, centre, size, ramp: float = 0.2) -> np.ndarray:
    """(H, W) in [0, 1]: 1 inside the central part of the patch, falling linearly to 0 at
    its border over the outer `ramp` fraction."""
    ys, xs = np.mgrid[:height, :width].astype(float)
    distance = np.maximum(np.abs(xs - centre[0]) / (size[0] / 2), np.abs(ys - centre[1]) / (size[1] / 2))
    return np.clip((1.0 - distance) / ramp, 0.0, 1.0)


def sample_patch(frames: int, height: int, width: int, rng: np.random.Generator, alpha: float = 0.5,
                 beta: float = 10.0, min_size: int = 10) -> Patch:
    """Patch geometry: size, starting centre, then a random walk of at most beta px per frame."""
    size = (int(rng.integers(min_size, max(min_size, int(alpha * width)) + 1)),
            int(rng.integers(min_size, max(min_size, int(alpha * height)) + 1)))
    centre = np.array([rng.uniform(0, width - 1), rng.uniform(0, height - 1)])
    centres = [centre]
    for _ in range(frames - 1):  # eq. 6
        centre = np.clip(centre + rng.uniform(-beta, beta, size=2), 0, [width - 1, height - 1])
        centres.append(centre)
    return Patch(np.stack(centres), size)


def apply_patch(clip: np.ndarray, intruder: np.ndarray, patch: Patch) -> np.ndarray:
    """clip (T, H, W) float, intruder (H, W) float on the same scale -> the clip with the
    intruder's region under each frame's mask blended in."""
    out = clip.copy()
    _, h, w = clip.shape
    for t, centre in enumerate(patch.centres):
        mask = smooth_square_mask(h, w, centre, patch.size)
        out[t] = (1 - mask) * clip[t] + mask * intruder
    return out


def skip_frame_indices(video_length: int, clip_length: int, rng: np.random.Generator,
                       strides=(2, 3, 4, 5)) -> tuple[np.ndarray, np.ndarray] | None:
    """(input indices n + k*s, target indices n + k) for k < clip_length, or None when the
    video is too short for any stride. A stride that does not fit is replaced by the
    largest one that does."""
    stride = int(rng.choice(strides))
    fitting = [s for s in strides if (clip_length - 1) * s < video_length]
    if not fitting:
        return None
    if stride not in fitting:
        stride = max(fitting)
    start = int(rng.integers(0, video_length - (clip_length - 1) * stride))
    k = np.arange(clip_length)
    return start + stride * k, start + k


def intruder_images(height: int, width: int) -> list[np.ndarray]:
    """Grayscale intruder images in [-1, 1], from the images scikit-learn ships."""
    from sklearn.datasets import load_sample_images

    images = []
    for image in load_sample_images().images:
        gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        images.append(cv2.resize(gray, (width, height), interpolation=cv2.INTER_AREA).astype(np.float32) / 127.5 - 1)
    return images
