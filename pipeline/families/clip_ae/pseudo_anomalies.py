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
                       strides=(2, 3, 4, 5), start: int | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """(input indices n + k*s, target indices n + k) for k < clip_length (eq. 8), or None
    when the video is too short for any stride. `start` is n when given (the training
    clip's own start); a stride that does not fit from there is replaced by the largest
    one that does, and when none fits from `start`, n is drawn where one fits."""
    stride = int(rng.choice(strides))
    fitting = [s for s in strides if (clip_length - 1) * s < video_length]
    if not fitting:
        return None
    if start is not None:
        from_start = [s for s in fitting if start + (clip_length - 1) * s < video_length]
        if from_start:
            fitting = from_start
        else:
            start = None
    if stride not in fitting:
        stride = max(fitting)
    if start is None:
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


PSEUDO_ANOMALIES = ("none", "patch", "skip_frame")
REFERENCE_SIZE = 256  # LNTRA's frames are 256 x 256 (sec. 4.1); pixel settings scale with the frame


@dataclass(frozen=True)
class PseudoAnomalyConfig:
    kind: str = "none"
    probability: float = 0.2           # p (sec. 4.1)
    patch_alpha: float = 0.5           # largest patch side as a fraction of the frame
    patch_beta: float = 25.0           # largest move per frame in px at 256 x 256 (10 for Ped2)
    patch_min_size: float = 10.0       # smallest patch side in px at 256 x 256
    skip_strides: tuple[int, ...] = (2, 3, 4, 5)

    def __post_init__(self):
        if self.kind not in PSEUDO_ANOMALIES:
            raise ValueError(f"pseudo_anomaly must be one of {PSEUDO_ANOMALIES}, got {self.kind!r}")
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError(f"pseudo-anomaly probability must be in [0, 1], got {self.probability}")


class PseudoAnomalies:
    """Turns a training clip into (input, target): with probability p the input is a pseudo
    anomaly, the target always the normal clip (LNTRA eq. 3-4)."""

    def __init__(self, cfg: PseudoAnomalyConfig, height: int, width: int):
        self.cfg = cfg
        scale = width / REFERENCE_SIZE
        self.beta, self.min_size = cfg.patch_beta * scale, max(2, int(round(cfg.patch_min_size * scale)))
        self.intruders = intruder_images(height, width) if cfg.kind == "patch" else []

    def __call__(self, video: np.ndarray, start: int, length: int, rng: np.random.Generator
                 ) -> tuple[np.ndarray, np.ndarray, bool]:
        """video (T, H, W) float in [-1, 1] -> (input, target, is_pseudo_anomaly), each (length, H, W)."""
        normal = video[start:start + length]
        if self.cfg.kind == "none" or rng.random() >= self.cfg.probability:
            return normal, normal, False
        if self.cfg.kind == "skip_frame":
            picked = skip_frame_indices(len(video), length, rng, self.cfg.skip_strides, start)
            if picked is None:  # video too short for any stride: keep the normal clip
                return normal, normal, False
            return video[picked[0]], video[picked[1]], True
        _, h, w = normal.shape
        patch = sample_patch(length, h, w, rng, self.cfg.patch_alpha, self.beta, self.min_size)
        intruder = self.intruders[int(rng.integers(len(self.intruders)))]
        return apply_patch(normal, intruder, patch).astype(normal.dtype), normal, True
