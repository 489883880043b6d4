"""Per-frame helpers shared by every family's test pass: PSNR, ground-truth labelling and
the worst abnormal frames kept for the prediction-error heat maps (MNAD Fig. 4)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from pipeline.io import write_npz

PSNR_MSE_FLOOR = 1e-10  # a perfect prediction gives PSNR 100 dB, not +inf


def psnr(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """MNAD eq. 15 on images in [-1, 1] mapped to [0, 1] (peak 1): (B, ...) -> (B,) float64.
    As the official utils.psnr: the mean squared error in the tensors' precision, the log in
    double precision (`10 * math.log10(1 / mse)` of `mse.item()`). A zero error, where the
    official function divides by zero, gives 100 dB."""
    mse = (((prediction + 1) / 2 - (target + 1) / 2) ** 2).flatten(1).mean(dim=1)
    return 10 * torch.log10(1.0 / mse.double().clamp_min(PSNR_MSE_FLOOR))


def to_uint8(image: torch.Tensor) -> np.ndarray:
    """(3, H, W) in [-1, 1] -> (H, W, 3) uint8."""
    return ((image.clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).cpu().numpy()


class WorstAbnormalFrame:
    """Keeps the abnormal frame with the lowest PSNR of a video (target and output)."""

    def __init__(self, labels: np.ndarray | None):
        self.labels, self.best = labels, None

    def found(self, video: str) -> list[tuple]:
        """[(video, frame, PSNR, target, prediction)] or [] when the video had no abnormal frame."""
        return [] if self.best is None else [(video, *self.best)]

    def consider(self, t: int, value: float, output: torch.Tensor, target: torch.Tensor, channels: str = "rgb"
                 ) -> None:
        """`channels`: the order of the network's images ("bgr": turned back to the stored
        RGB for the figures, only for the frame kept)."""
        if self.labels is not None and self.labels[t] == 1 and (self.best is None or value < self.best[1]):
            order = slice(None, None, -1 if channels == "bgr" else 1)
            self.best = (t, value, np.ascontiguousarray(to_uint8(target)[..., order]),
                         np.ascontiguousarray(to_uint8(output)[..., order]))


def label_rows(rows: pd.DataFrame, video: str, truth: pd.DataFrame) -> pd.DataFrame:
    """Prefix the video's name and add each scored frame's ground truth (truth indexed by frame)."""
    rows.insert(0, "video", video)
    rows["label"] = truth.loc[rows.frame, "label"].to_numpy()
    rows["anomaly_type"] = truth.loc[rows.frame, "anomaly_type"].to_numpy()
    return rows


EXAMPLES_KEPT = 3  # abnormal frames with the lowest PSNR kept for the heat maps


def keep_worst(examples: list, found: list) -> list:
    """The EXAMPLES_KEPT lowest-PSNR frames of `examples` and a video's `found` (the running
    selection over videos: the same as choosing among all videos' at the end, earlier
    videos first on ties, without holding every video's frames)."""
    return sorted(examples + found, key=lambda e: e[2])[:EXAMPLES_KEPT]


def write_examples(path: Path, examples: list) -> None:
    """The abnormal frames kept by keep_worst, from different videos."""
    chosen = sorted(examples, key=lambda e: e[2])[:EXAMPLES_KEPT]
    if not chosen:
        return
    write_npz(path, video=np.array([e[0] for e in chosen]), frame=np.array([e[1] for e in chosen]),
              psnr=np.array([e[2] for e in chosen]), target=np.stack([e[3] for e in chosen]),
              prediction=np.stack([e[4] for e in chosen]))
