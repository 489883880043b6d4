"""The embedded default dataset: moving shapes, after sec. 5 ("Synthetic Dataset for
Reconstruction vs Prediction") of the MNAD reproducibility report.

Normal: circles of radius 10 px moving at 5 px/frame, bouncing off the borders.
In each test video one object turns anomalous for a contiguous segment of frames:
    spatial          a square (side 2 * radius) moving at the normal speed
    temporal         a circle moving at 10 px/frame
    spatiotemporal   a square moving at 10 px/frame
Labels are per frame (1 while the anomalous object is on screen), with the type.
Everything is a deterministic function of the config (seed included).
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from pipeline.data.index import NORMAL, VideoRecord

ANOMALY_TYPES = ("spatial", "temporal", "spatiotemporal")
_SUBPIXEL_BITS = 4  # cv2 drawing with fractional coordinates (shift=4: 1/16 px)


@dataclass(frozen=True)
class SyntheticConfig:
    seed: int = 0
    size: int = 64
    frames_per_video: int = 80
    train_videos: int = 8
    test_videos_per_type: int = 3
    objects: int = 2
    radius: float = 10.0
    speed: float = 5.0
    fast_speed: float = 10.0
    anomaly_length: int = 24

    def __post_init__(self):
        if self.frames_per_video < self.anomaly_length + 16:
            raise ValueError("synthetic.frames_per_video must exceed anomaly_length by at least 16")
        if self.size < 4 * self.radius:
            raise ValueError("synthetic.size must be at least 4 * radius")


@dataclass
class _Shape:
    position: np.ndarray  # (2,) x, y
    direction: np.ndarray  # (2,) unit vector


def _draw(canvas: np.ndarray, center: np.ndarray, radius: float, square: bool) -> None:
    """cv2 fills the boundary pixels too; drawing half a pixel inside gives a circle of
    area pi r^2 and a square of side 2r."""
    scale = 1 << _SUBPIXEL_BITS
    radius = radius - 0.5
    if square:
        top_left = np.round((center - radius) * scale).astype(int)
        bottom_right = np.round((center + radius) * scale).astype(int)
        cv2.rectangle(canvas, tuple(top_left), tuple(bottom_right), 230, -1, cv2.LINE_AA, _SUBPIXEL_BITS)
    else:
        c = np.round(center * scale).astype(int)
        cv2.circle(canvas, tuple(c), int(round(radius * scale)), 230, -1, cv2.LINE_AA, _SUBPIXEL_BITS)


def _step(shape: _Shape, speed: float, size: int, radius: float) -> None:
    """Move by `speed` px along the direction, reflecting off the borders."""
    shape.position = shape.position + speed * shape.direction
    for axis in range(2):
        low, high = radius, size - 1 - radius
        if shape.position[axis] < low:
            shape.position[axis] = 2 * low - shape.position[axis]
            shape.direction[axis] *= -1
        elif shape.position[axis] > high:
            shape.position[axis] = 2 * high - shape.position[axis]
            shape.direction[axis] *= -1


def render_video(cfg: SyntheticConfig, rng: np.random.Generator, anomaly: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Return frames (T, size, size, 3) uint8 and per-frame labels (T,)."""
    t_total = cfg.frames_per_video
    shapes = []
    for _ in range(cfg.objects):
        angle = rng.uniform(0, 2 * np.pi)
        position = rng.uniform(cfg.radius, cfg.size - 1 - cfg.radius, size=2)
        shapes.append(_Shape(position, np.array([np.cos(angle), np.sin(angle)])))
    labels = np.zeros(t_total, dtype=int)
    if anomaly is not None:
        start = int(rng.integers(8, t_total - cfg.anomaly_length - 4))
        labels[start:start + cfg.anomaly_length] = 1
    frames = np.empty((t_total, cfg.size, cfg.size, 3), dtype=np.uint8)
    for t in range(t_total):
        canvas = np.full((cfg.size, cfg.size), 16, dtype=np.uint8)
        for i, shape in enumerate(shapes):
            odd = anomaly is not None and i == 0 and labels[t] == 1
            square = odd and anomaly in ("spatial", "spatiotemporal")
            _draw(canvas, shape.position, cfg.radius, square)
        frames[t] = canvas[..., None]
        for i, shape in enumerate(shapes):
            # The speed of the step from t to t+1 belongs to frame t+1's label: a
            # temporal anomaly is visible as the displacement into an abnormal frame.
            fast = (anomaly is not None and i == 0 and t + 1 < t_total and labels[t + 1] == 1
                    and anomaly in ("temporal", "spatiotemporal"))
            _step(shape, cfg.fast_speed if fast else cfg.speed, cfg.size, cfg.radius)
    return frames, labels


def generate(cfg: SyntheticConfig) -> list[VideoRecord]:
    rng = np.random.default_rng(cfg.seed)
    records = []
    for i in range(cfg.train_videos):
        frames, labels = render_video(cfg, rng, anomaly=None)
        records.append(VideoRecord("train", f"{i:02d}", frames, labels, [NORMAL] * len(labels)))
    videos = [kind for kind in ANOMALY_TYPES for _ in range(cfg.test_videos_per_type)]
    for i, kind in enumerate(videos):
        frames, labels = render_video(cfg, rng, anomaly=kind)
        types = [kind if lab else NORMAL for lab in labels]
        records.append(VideoRecord("test", f"{i:02d}_{kind}", frames, labels, types))
    return records
