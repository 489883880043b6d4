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

from pipeline.artifacts import NORMAL


def auc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    labels = np.asarray(labels)
    if len(np.unique(labels)) < 2:
        return None
    if not np.all(np.isfinite(scores)):
        raise ValueError("AUC got non-finite scores")
    return rank_auc(labels, scores)


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


# AUC and ROC in NumPy: scikit-learn's metrics module alone takes ~0.85 s to import, paid
# by every score, figures and report stage; tests check both against scikit-learn.
def roc_points(labels: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(false positive rates, true positive rates) at every distinct threshold, from (0, 0)."""
    labels, scores = np.asarray(labels).astype(bool), np.asarray(scores, dtype=float)
    order = np.argsort(-scores, kind="mergesort")
    labels, scores = labels[order], scores[order]
    last_of_tie = np.r_[scores[1:] != scores[:-1], True]
    tp, fp = np.cumsum(labels)[last_of_tie], np.cumsum(~labels)[last_of_tie]
    return np.r_[0.0, fp / max(fp[-1], 1)], np.r_[0.0, tp / max(tp[-1], 1)]


def roc_on_grid(labels: np.ndarray, scores: np.ndarray, points: int = 101) -> tuple[np.ndarray, np.ndarray]:
    """The ROC at `points` evenly spaced false positive rates: the best true positive rate
    reached at or below each (a step curve, small enough to track and diff in DVC)."""
    fpr, tpr = roc_points(labels, scores)
    grid = np.linspace(0.0, 1.0, points)
    best = np.maximum.accumulate(tpr)
    return grid, best[np.searchsorted(fpr, grid, side="right") - 1]


def average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks, ties sharing their average rank (scipy.stats.rankdata's default)."""
    values = np.asarray(values)
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1], True])
    mean_rank = (starts[:-1] + 1 + starts[1:]) / 2
    ranks = np.empty(len(values))
    ranks[order] = np.repeat(mean_rank, np.diff(starts))
    return ranks


def rank_auc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    """AUC as the Mann-Whitney statistic (average ranks for ties); equals roc_auc_score,
    fast enough to call inside a bootstrap loop."""
    labels = np.asarray(labels).astype(bool)
    n_pos = int(labels.sum())
    n_neg = len(labels) - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = average_ranks(scores)
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


class PooledAUC:
    """The frames of a list of videos, sorted once, so the pooled AUC of any draw of those
    videos (with repeats, as a bootstrap draws them) costs no sort: the Mann-Whitney count
    with each frame weighted by how often its video was drawn. Every term is an integer or
    a half, so the result equals, bit for bit, rank_auc of the drawn videos' frames
    concatenated."""

    def __init__(self, videos: list[tuple[np.ndarray, np.ndarray]]):
        labels = np.concatenate([v[0] for v in videos]).astype(bool)
        scores = np.concatenate([v[1] for v in videos])
        video = np.concatenate([np.full(len(v[0]), i) for i, v in enumerate(videos)])
        order = np.argsort(scores, kind="mergesort")
        ordered = scores[order]
        self.videos = len(videos)
        self.video, self.positive = video[order], labels[order]
        self.ties = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])  # first frame of each score level

    def auc(self, picks: np.ndarray) -> float | None:
        """AUC of the frames of videos `picks` (indices, repeats allowed) pooled."""
        weight = np.bincount(picks, minlength=self.videos)[self.video].astype(float)
        positive = np.where(self.positive, weight, 0.0)
        pos, neg = np.add.reduceat(positive, self.ties), np.add.reduceat(weight - positive, self.ties)
        n_pos, n_neg = pos.sum(), neg.sum()
        if n_pos == 0 or n_neg == 0:
            return None
        below = np.cumsum(neg) - neg
        return float((pos * (below + 0.5 * neg)).sum() / (n_pos * n_neg))


def memory_usage_stats(usage: np.ndarray) -> dict:
    """How evenly the test queries spread over the memory items (report sec. 5, Fig. 2/4):
    items used at all, the most used item's share, and the usage entropy normalised to
    [0, 1] (1 = perfectly uniform, 0 = one item takes every query)."""
    usage = np.asarray(usage, dtype=float)
    share = usage / usage.sum()
    nonzero = share[share > 0]
    entropy = float(-(nonzero * np.log(nonzero)).sum() / np.log(len(usage))) if len(usage) > 1 else 0.0
    return {"items": int(len(usage)), "items_used": int((usage > 0).sum()), "top_share": float(share.max()),
            "usage_entropy": entropy}
