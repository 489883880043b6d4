"""MemAE's image track (sec. 4.1, Table 1) on data an installed package ships:
scikit-learn's 8x8 handwritten digits (`load_digits`, 1797 images; MNIST itself would need a
download). Protocol as MemAE: each class in turn is normal; its images are split 2:1 into
training and test; anomalies are sampled from the other classes so that they make about 30%
of the test set. Each class becomes one training "video" and one test "video"
(`digit_<c>`), so one model is trained per class (pipeline.engine.loop.train) and the macro AUC is
the mean over the 10 one-class sets that MemAE Table 1 reports.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.data.index import NORMAL, VideoRecord


@dataclass(frozen=True)
class DigitsConfig:
    seed: int = 0
    train_fraction: float = 2 / 3      # normal images: training vs test, 2:1
    anomaly_share: float = 0.3         # of the test set


def _to_frames(images: np.ndarray) -> np.ndarray:
    """(N, 8, 8) values 0..16 -> (N, 8, 8, 3) uint8."""
    gray = np.clip(np.round(images * 255.0 / 16.0), 0, 255).astype(np.uint8)
    return np.repeat(gray[..., None], 3, axis=3)


def oneclass_records(cfg: DigitsConfig) -> list[VideoRecord]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    images, targets = digits.images, digits.target
    rng = np.random.default_rng(cfg.seed)
    records = []
    for normal in range(10):
        own = rng.permutation(np.flatnonzero(targets == normal))
        cut = int(round(len(own) * cfg.train_fraction))
        train, test_normal = own[:cut], own[cut:]
        count = int(round(len(test_normal) * cfg.anomaly_share / (1 - cfg.anomaly_share)))
        anomalies = rng.choice(np.flatnonzero(targets != normal), size=count, replace=False)
        test = np.concatenate([test_normal, anomalies])
        labels = (targets[test] != normal).astype(int)
        types = [NORMAL if lab == 0 else "other digit" for lab in labels]
        name = f"digit_{normal}"
        records.append(VideoRecord("train", name, _to_frames(images[train]), np.zeros(len(train), dtype=int),
                                   [NORMAL] * len(train)))
        records.append(VideoRecord("test", name, _to_frames(images[test]), labels, types))
    return records
