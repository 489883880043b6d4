"""LNTRA pseudo anomalies (Astrid et al., BMVC 2021, sec. 3.3): with probability p a
training clip is replaced by a pseudo anomaly while the target stays the normal clip. As
the official code (aseuteurideu/LearningNotToReconstructAnomalies, train.py,
model/pseudoanomaly_utils.py, model/utils.py), which the paper's Table 1 comes from:

Patch (sec. 3.3.1, SmoothMixS): an intruder image resized to the frame is blended in under
a mask that is 1 over a box and falls linearly to 0 outside it over 10% of the box's half
side. Box sides max(10, int(u * alpha * W)) px with u ~ U(0, 1); centre an integer pixel
drawn uniformly; the centre moves by an integer step in [-beta, beta] per frame and axis,
clipped to [0, W] (eq. 6); each frame's mask is taken before the move. The paper's
intruders are CIFAR-100 images; here they are the images scikit-learn ships (no download).
Skip frame (sec. 3.3.2): frames n, n+s, ..., n+15s, with s drawn from the strides; a start
from which the clip would run past the video is redrawn (up to 10 times), and frames past
the end repeat the last one; the target is frames n, ..., n+15 (clipped the same way).
Pixel settings (beta, the smallest side) are given at 256 x 256 and scale with the frame.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

SKIP_RETRIES = 10   # the official loader redraws the start at most 10 times


@dataclass(frozen=True)
class Patch:
    centres: np.ndarray  # (T, 2) integer x, y per frame
    size: tuple[int, int]  # (box width, box height)


def smooth_border_mask(height: int, width: int, centre, size) -> np.ndarray:
    """SmoothMixS: 1 on the box [cx - w//2, cx + w//2] x [cy - h//2, cy + h//2] (clipped to the
    frame), falling linearly to 0 over (w//2) * 0.1 px outside it; the product of the x and
    the y ramps (official _get_smoothborder_mask)."""
    def ramp(coordinate: np.ndarray, c: int, side: int, extent: int) -> np.ndarray:
        inner_lo, inner_hi = np.clip(c - side // 2, 0, extent), np.clip(c + side // 2, 0, extent)
        outer_lo, outer_hi = inner_lo - (side // 2) * 0.1, inner_hi + (side // 2) * 0.1
        rising = (coordinate - outer_lo) / (inner_lo - outer_lo)
        falling = (outer_hi - coordinate) / (outer_hi - inner_hi)
        return np.clip(np.where(coordinate < c, rising, falling), 0.0, 1.0)
    x = ramp(np.arange(width, dtype=float), int(centre[0]), int(size[0]), width)
    y = ramp(np.arange(height, dtype=float), int(centre[1]), int(size[1]), height)
    return y[:, None] * x[None, :]


def sample_patch(frames: int, height: int, width: int, rng: np.random.Generator, alpha: float = 0.5,
                 beta: int = 10, min_size: int = 10) -> Patch:
    """Box size, starting centre, then an integer random walk of at most beta px per frame."""
    centre = np.array([rng.integers(width), rng.integers(height)])
    size = (max(min_size, int(rng.uniform(0, alpha) * width)), max(min_size, int(rng.uniform(0, alpha) * height)))
    centres = []
    for _ in range(frames):  # eq. 6: this frame's centre, then the move
        centres.append(centre)
        step = rng.integers(-beta, beta + 1, size=2)
        centre = np.minimum(np.maximum(0, centre + step), [width, height])
    return Patch(np.stack(centres), size)


def apply_patch(clip: np.ndarray, intruder: np.ndarray, patch: Patch) -> np.ndarray:
    """clip (T, H, W) float, intruder (H, W) float on the same scale -> the clip with the
    intruder blended in under each frame's mask."""
    out = clip.copy()
    _, h, w = clip.shape
    for t, centre in enumerate(patch.centres):
        mask = smooth_border_mask(h, w, centre, patch.size)
        out[t] = (1 - mask) * clip[t] + mask * intruder
    return out


def skip_frame_indices(video_length: int, clip_length: int, rng: np.random.Generator, strides=(2, 3, 4, 5),
                       start: int = 0) -> tuple[np.ndarray, np.ndarray, int]:
    """(input indices n + k*s, target indices n + k, s) for k < clip_length (eq. 8): the
    stride is kept, the start redrawn while the clip would run past the video (at most 10
    times); indices past the end repeat the last frame (official Reconstruction3DDataLoaderJump)."""
    stride = int(rng.choice(strides))
    for _ in range(SKIP_RETRIES):
        if video_length >= start + (clip_length - 1) * stride:
            break
        start = int(rng.integers(video_length))
    k = np.arange(clip_length)
    return np.minimum(start + stride * k, video_length - 1), np.minimum(start + k, video_length - 1), stride


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
    patch_alpha: float = 0.5           # largest patch side as a fraction of the frame (official --max_size)
    patch_beta: float = 25.0           # largest move per frame in px at 256 x 256 (official --max_move)
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
        self.beta, self.min_size = int(round(cfg.patch_beta * scale)), max(2, int(round(cfg.patch_min_size * scale)))
        self.intruders = intruder_images(height, width) if cfg.kind == "patch" else []

    def __call__(self, video, start: int, length: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, bool]:
        """video: the whole video's grayscale frames, float in [-1, 1], read on demand
        (pipeline.data.clips.GrayFrames: len, read(start, stop), take(indices)) ->
        (input, target, is_pseudo_anomaly), each (length, H, W). Only the frames used are read."""
        if self.cfg.kind == "none" or rng.random() >= self.cfg.probability:
            normal = video.read(start, start + length)
            return normal, normal, False
        if self.cfg.kind == "skip_frame":
            skipped, normal, _ = skip_frame_indices(len(video), length, rng, self.cfg.skip_strides, start)
            return video.take(skipped), video.take(normal), True
        normal = video.read(start, start + length)
        _, h, w = normal.shape
        patch = sample_patch(length, h, w, rng, self.cfg.patch_alpha, self.beta, self.min_size)
        intruder = self.intruders[int(rng.integers(len(self.intruders)))]
        return apply_patch(normal, intruder, patch).astype(normal.dtype), normal, True
