"""Intervals for differences between two models scored on the same test videos.

Frames of one video are not independent (a score drifts with the scene, an anomaly spans
many frames), so the unit that is resampled is the test video (bootstrap over clusters).
Both models are scored on the same draw of videos: the comparison is paired, and what the
two models have in common (hard videos, easy videos) cancels out of their difference.
With several training seeds the bootstrap has two levels: seeds are resampled too (each
model's own, since their training runs are independent), so disagreement between seeds
widens the interval. Percentile intervals; draws in which a model sees only one class
are skipped.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.evaluation.metrics import PooledAUC, rank_auc

# seed -> video -> (labels, scores) of one model's scored frames
Runs = dict[int, dict[str, tuple[np.ndarray, np.ndarray]]]


def runs_from_frames(frames: pd.DataFrame, column: str = "score") -> Runs:
    """scores.csv (columns seed, video, label and the score column) -> Runs."""
    return {int(seed): {str(video): (g.label.to_numpy(), g[column].to_numpy()) for video, g in by_seed.groupby("video")}
            for seed, by_seed in frames.groupby("seed")}


@dataclass(frozen=True)
class Difference:
    a: float                      # AUC of A on all test videos (mean over seeds)
    b: float
    lo: float | None              # interval for A - B (None: too few draws held both classes)
    hi: float | None
    resamples: int
    seeds: tuple[int, int]        # training seeds behind A and B

    @property
    def estimate(self) -> float:
        return self.a - self.b


class _Model:
    """One model's runs on the common videos: its AUC (mean over a list of seeds) for a
    draw of videos given as indices into `names`. micro: one ROC over the drawn videos'
    frames pooled (the official evaluations); macro: the mean of their per-video AUCs
    (per-category AUROC on MVTec AD and the one-class sets)."""

    def __init__(self, runs: Runs, names: list[str], macro: bool):
        self.macro = macro
        if macro:
            self.per_video = {s: [rank_auc(*runs[s][v]) for v in names] for s in runs}
        else:
            self.pooled = {s: PooledAUC([runs[s][v] for v in names]) for s in runs}

    def _auc(self, seed: int, picks: np.ndarray) -> float | None:
        if self.macro:
            defined = [a for a in (self.per_video[seed][i] for i in picks) if a is not None]
            return float(np.mean(defined)) if defined else None
        return self.pooled[seed].auc(picks)

    def mean(self, seeds, picks: np.ndarray) -> float | None:
        aucs = [self._auc(s, picks) for s in seeds]
        return None if any(a is None for a in aucs) else float(np.mean(aucs))


def _interval(values: list[float], resamples: int, level: float) -> tuple[float | None, float | None]:
    if len(values) < resamples / 2:
        return None, None
    alpha = (1 - level) / 2
    return float(np.quantile(values, alpha)), float(np.quantile(values, 1 - alpha))


def common_videos(a: Runs, b: Runs) -> list[str]:
    names = set.intersection(*(set(videos) for runs in (a, b) for videos in runs.values()))
    return sorted(names)


def paired_difference(a: Runs, b: Runs, resamples: int = 1000, seed: int = 0, level: float = 0.95,
                      resample_seeds: bool = True, macro: bool = False) -> Difference:
    """AUC(A) - AUC(B) with an interval from one shared draw of test videos per resample
    (and, with several seeds, a draw of each model's seeds)."""
    names = common_videos(a, b)
    seeds_a, seeds_b = sorted(a), sorted(b)
    model_a, model_b = _Model(a, names, macro), _Model(b, names, macro)
    rng = np.random.default_rng(seed)
    diffs = []
    for _ in range(resamples):
        pick = rng.integers(0, len(names), len(names))
        sa = [seeds_a[i] for i in rng.integers(0, len(seeds_a), len(seeds_a))] if resample_seeds else seeds_a
        sb = [seeds_b[i] for i in rng.integers(0, len(seeds_b), len(seeds_b))] if resample_seeds else seeds_b
        auc_a, auc_b = model_a.mean(sa, pick), model_b.mean(sb, pick)
        if auc_a is not None and auc_b is not None:
            diffs.append(auc_a - auc_b)
    lo, hi = _interval(diffs, resamples, level)
    every = np.arange(len(names))
    return Difference(model_a.mean(seeds_a, every), model_b.mean(seeds_b, every), lo, hi, resamples,
                      (len(seeds_a), len(seeds_b)))


def unpaired_difference(a: Runs, b: Runs, resamples: int = 1000, seed: int = 0, level: float = 0.95) -> Difference:
    """The same with A's and B's videos drawn independently: what ignoring the pairing
    gives (kept to show, and test, what pairing gains)."""
    names = common_videos(a, b)
    model_a, model_b = _Model(a, names, False), _Model(b, names, False)
    rng = np.random.default_rng(seed)
    diffs = []
    for _ in range(resamples):
        pick_a = rng.integers(0, len(names), len(names))
        pick_b = rng.integers(0, len(names), len(names))
        auc_a, auc_b = model_a.mean(sorted(a), pick_a), model_b.mean(sorted(b), pick_b)
        if auc_a is not None and auc_b is not None:
            diffs.append(auc_a - auc_b)
    lo, hi = _interval(diffs, resamples, level)
    every = np.arange(len(names))
    return Difference(model_a.mean(sorted(a), every), model_b.mean(sorted(b), every), lo, hi, resamples,
                      (len(a), len(b)))


def auc_interval(a: Runs, resamples: int = 1000, seed: int = 0, level: float = 0.95, macro: bool = False
                 ) -> tuple[float | None, float | None]:
    """One model's AUC interval under the same (two-level) bootstrap."""
    names = common_videos(a, a)
    seeds = sorted(a)
    model = _Model(a, names, macro)
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(resamples):
        pick = rng.integers(0, len(names), len(names))
        auc = model.mean([seeds[i] for i in rng.integers(0, len(seeds), len(seeds))], pick)
        if auc is not None:
            values.append(auc)
    return _interval(values, resamples, level)


# --- memory usage: entropy of how the test queries spread over the items ----------------------
# usage: seed -> (videos, items) counts of each test video's queries per item
Usage = dict[int, pd.DataFrame]


def usage_from_rows(rows: pd.DataFrame) -> Usage:
    """memory_usage.csv (seed, video, item, count, items) -> seed -> videos x items counts."""
    items = int(rows["items"].iloc[0])
    return {int(seed): g.pivot_table(index="video", columns="item", values="count", aggfunc="sum", fill_value=0)
            .reindex(columns=range(items), fill_value=0) for seed, g in rows.groupby("seed")}


def usage_entropy(counts: np.ndarray) -> float:
    """Entropy of the usage shares, normalised to [0, 1] (1: every item equally used)."""
    share = counts / counts.sum()
    share = share[share > 0]
    return float(-(share * np.log(share)).sum() / np.log(len(counts))) if len(counts) > 1 else 0.0


def _mean_entropy(usage: Usage, seeds, names) -> float:
    return float(np.mean([usage_entropy(usage[s].loc[names].to_numpy().sum(axis=0)) for s in seeds]))


def paired_entropy_difference(a: Usage, b: Usage, resamples: int = 1000, seed: int = 0, level: float = 0.95
                              ) -> Difference:
    """Usage entropy of A minus B, resampling test videos (shared) and each model's seeds."""
    names = sorted(set.intersection(*(set(u.index) for usage in (a, b) for u in usage.values())))
    seeds_a, seeds_b = sorted(a), sorted(b)
    rng = np.random.default_rng(seed)
    diffs = []
    for _ in range(resamples):
        pick = [names[i] for i in rng.integers(0, len(names), len(names))]
        sa = [seeds_a[i] for i in rng.integers(0, len(seeds_a), len(seeds_a))]
        sb = [seeds_b[i] for i in rng.integers(0, len(seeds_b), len(seeds_b))]
        diffs.append(_mean_entropy(a, sa, pick) - _mean_entropy(b, sb, pick))
    lo, hi = _interval(diffs, resamples, level)
    return Difference(_mean_entropy(a, seeds_a, names), _mean_entropy(b, seeds_b, names), lo, hi, resamples,
                      (len(seeds_a), len(seeds_b)))
