"""Frame-level AUC (MNAD sec. 4.2; official `AUC` on pooled frames).

micro: one ROC over all scored frames of all test videos pooled, as the official code.
macro: the mean of per-video AUCs over the videos that hold both classes.
per type: micro AUC over the videos that contain that anomaly type (their normal frames
and the frames of that type). Pooling normal frames of *other* videos in would mix in
their per-video normalisation: a video whose maximum is a huge spatial error squeezes
its normal frames towards 0, which would make any detector look good on every type.
Undefined values (one class only) are None, never NaN, with the reason recorded.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score, roc_curve

from pipeline.data.index import NORMAL


def auc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    labels = np.asarray(labels)
    if len(np.unique(labels)) < 2:
        return None
    if not np.all(np.isfinite(scores)):
        raise ValueError("AUC got non-finite scores")
    return float(roc_auc_score(labels, scores))


def anomaly_kinds(frames: pd.DataFrame) -> list[str]:
    return sorted(set(frames.anomaly_type) - {NORMAL})


def type_subset(frames: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Frames of the videos that contain anomaly `kind`: their normal frames and those of `kind`."""
    videos = frames.loc[frames.anomaly_type == kind, "video"].unique()
    return frames[frames.video.isin(videos) & frames.anomaly_type.isin([NORMAL, kind])]


def frame_aucs(frames: pd.DataFrame, score_column: str = "score") -> dict:
    """frames: one row per scored frame with video, label, anomaly_type and the score."""
    per_video = {video: auc(group.label, group[score_column]) for video, group in frames.groupby("video")}
    defined = [v for v in per_video.values() if v is not None]
    result = {
        "auc_micro": auc(frames.label, frames[score_column]),
        "auc_macro": float(np.mean(defined)) if defined else None,
        "videos_in_macro": len(defined),
        "videos": len(per_video),
        "frames": int(len(frames)),
        "per_type": {},
    }
    for kind in anomaly_kinds(frames):
        subset = type_subset(frames, kind)
        result["per_type"][kind] = auc(subset.label, subset[score_column])
    return result


def roc_points(labels: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    fpr, tpr, _ = roc_curve(labels, scores)
    return fpr, tpr
