"""Intervals for one model's AUC, and for the difference between two models scored on the
same test videos, over both sources of variation behind a measured AUC.

    test videos   frames of one video are not independent (a score drifts with the scene,
                  an anomaly spans many frames), so the unit is the video: the variance of a
                  statistic across test sets is the leave-one-video-out (cluster) jackknife
                  variance, with V - 1 degrees of freedom. Both models are left without the
                  same video, so what they share (hard videos, easy videos) cancels out of
                  their difference.
    training      each seed is one draw of the training run: the variance of a mean over S
                  seeds is their sample variance / S, with S - 1 degrees of freedom; for two
                  models with their own training runs, each model's; for two that share them
                  (an ablation at inference time of the same networks), that of the per-seed
                  differences.

The variances add, and the interval is estimate +- t * SE with Welch-Satterthwaite degrees
of freedom: few videos or few seeds widen it by the t quantile. That keeps its coverage at
the embedded default's 5 and 15 videos, where a percentile bootstrap under-covers
(benchmarks/verdict_calibration.py; benchmarks/RESULTS.md). With fewer than two seeds the
training part cannot be estimated: such an interval covers test-set variation only, and the
verdicts say so instead of judging (pipeline.report.verdicts).

Statistics: the pooled (micro) AUC of the kept videos' frames (the official evaluations),
the macro AUC (mean of per-video AUCs; per-category AUROC on MVTec AD and the digit sets),
and a memory's usage entropy (the kept videos' counts summed).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Protocol

import numpy as np
import pandas as pd
from scipy import stats

from pipeline.evaluation.metrics import PooledAUC, rank_auc

# seed -> video -> (labels, scores) of one model's scored frames
Runs = dict[int, dict[str, tuple[np.ndarray, np.ndarray]]]
# seed -> (videos, items) counts of each test video's queries per item
Usage = dict[int, pd.DataFrame]
LEVEL = 0.95


def runs_from_frames(frames: pd.DataFrame, column: str = "score") -> Runs:
    """scores.csv (columns seed, video, label and the score column) -> Runs."""
    return {int(seed): {str(video): (g.label.to_numpy(), g[column].to_numpy()) for video, g in by_seed.groupby("video")}
            for seed, by_seed in frames.groupby("seed")}


class Statistic(Protocol):
    """One model's statistic per training seed on a subset of the common test videos."""
    seeds: list[int]
    videos: int

    def value(self, seed: int, keep: np.ndarray) -> float | None:
        """On the videos `keep` (indices); None when undefined (a class missing)."""


class AUCStatistic:
    """micro: one ROC over the kept videos' frames pooled; macro: mean of their per-video AUCs."""

    def __init__(self, runs: Runs, names: list[str], macro: bool = False):
        self.seeds, self.videos, self.macro = sorted(runs), len(names), macro
        if macro:
            self.per_video = {s: np.array([np.nan if (a := rank_auc(*runs[s][v])) is None else a for v in names])
                              for s in runs}
        else:
            self.pooled = {s: PooledAUC([runs[s][v] for v in names]) for s in runs}

    def value(self, seed: int, keep: np.ndarray) -> float | None:
        if self.macro:
            defined = self.per_video[seed][keep]
            defined = defined[~np.isnan(defined)]
            return float(defined.mean()) if len(defined) else None
        return self.pooled[seed].auc(keep)


def usage_entropy(counts: np.ndarray) -> float:
    """Entropy of the usage shares, normalised to [0, 1] (1: every item equally used)."""
    share = counts / counts.sum()
    share = share[share > 0]
    return float(-(share * np.log(share)).sum() / np.log(len(counts))) if len(counts) > 1 else 0.0


class EntropyStatistic:
    """Usage entropy of the kept videos' summed counts."""

    def __init__(self, usage: Usage, names: list[str]):
        self.seeds, self.videos = sorted(usage), len(names)
        self.counts = {s: usage[s].loc[names].to_numpy() for s in usage}

    def value(self, seed: int, keep: np.ndarray) -> float | None:
        return usage_entropy(self.counts[seed][keep].sum(axis=0))


@dataclass(frozen=True)
class Estimate:
    """A statistic: its mean over seeds on every test video, and its interval."""
    value: float | None
    lo: float | None              # None: undefined (a video left out takes a class with it)
    hi: float | None
    se: float | None
    df: float | None
    per_seed: tuple[float, ...]   # on every test video
    level: float = LEVEL

    @property
    def seeds(self) -> int:
        return len(self.per_seed)


@dataclass(frozen=True)
class Difference:
    """A - B: each model's mean over its seeds, on the same test videos."""
    a: float | None
    b: float | None
    lo: float | None
    hi: float | None
    se: float | None
    df: float | None
    seeds: tuple[int, int]        # training seeds behind A and B
    shared: bool = False          # A and B share their training runs (seeds paired)
    level: float = LEVEL

    @property
    def estimate(self) -> float | None:
        return None if self.a is None or self.b is None else self.a - self.b

    def p_above(self, margin: float = 0.0) -> float | None:
        """One-sided p-value of 'A - B <= margin' (small: A is ahead by more than margin)."""
        return _p_value(self.estimate, margin, self.se, self.df)

    def p_below(self, margin: float = 0.0) -> float | None:
        """One-sided p-value of 'A - B >= margin' (small: A is behind)."""
        return _p_value(None if self.estimate is None else -self.estimate, -margin, self.se, self.df)


def _p_value(estimate, margin, se, df) -> float | None:
    if estimate is None or se is None:
        return None
    if se == 0:
        return 0.0 if estimate > margin else 1.0
    return float(stats.t.sf((estimate - margin) / se, df))


def t_interval(value: float, parts: list[tuple[float, int]], level: float = LEVEL
               ) -> tuple[float | None, float | None, float | None, float | None]:
    """(lo, hi, se, df) of value +- t * SE from independent variance parts (variance, degrees
    of freedom); Welch-Satterthwaite degrees of freedom. No part: no interval."""
    parts = [(v, df) for v, df in parts if df >= 1]
    if not parts:
        return None, None, None, None
    variance = sum(v for v, _ in parts)
    se = float(np.sqrt(variance))
    if variance == 0:
        return value, value, 0.0, float(sum(df for _, df in parts))
    df = float(variance ** 2 / sum(v ** 2 / df for v, df in parts if v > 0))
    half = float(stats.t.ppf(1 - (1 - level) / 2, df)) * se
    return value - half, value + half, se, df


def jackknife_variance(values: np.ndarray) -> float:
    """Leave-one-out jackknife variance of a statistic from its n leave-one-out values."""
    n = len(values)
    return float((n - 1) / n * ((values - values.mean()) ** 2).sum())


def _leave_one_out(statistic: Callable[[np.ndarray], float | None], videos: int) -> np.ndarray | None:
    """The statistic with each video left out in turn; None if any is undefined."""
    values = [statistic(np.delete(np.arange(videos), i)) for i in range(videos)]
    return None if any(v is None for v in values) else np.array(values)


def _mean_over(stat: Statistic, seeds, keep) -> float | None:
    values = [stat.value(s, keep) for s in seeds]
    return None if any(v is None for v in values) else float(np.mean(values))


def estimate(stat: Statistic, level: float = LEVEL) -> Estimate:
    """One model's statistic with its interval over test videos and seeds."""
    every = np.arange(stat.videos)
    per_seed = [stat.value(s, every) for s in stat.seeds]
    if any(v is None for v in per_seed):
        return Estimate(None, None, None, None, None, (), level)
    value = float(np.mean(per_seed))
    loo = _leave_one_out(lambda keep: _mean_over(stat, stat.seeds, keep), stat.videos) if stat.videos > 1 else None
    if loo is None:
        return Estimate(value, None, None, None, None, tuple(per_seed), level)
    parts = [(jackknife_variance(loo), stat.videos - 1)]
    if len(per_seed) > 1:
        parts.append((float(np.var(per_seed, ddof=1)) / len(per_seed), len(per_seed) - 1))
    lo, hi, se, df = t_interval(value, parts, level)
    return Estimate(value, lo, hi, se, df, tuple(per_seed), level)


def difference(a: Statistic, b: Statistic, shared: bool = False, level: float = LEVEL) -> Difference:
    """A - B on the same videos (`a.videos == b.videos`, in the same order). `shared`: A and
    B are the same training runs (pair them by seed; only common seeds are used)."""
    seeds_a, seeds_b = (a.seeds, b.seeds) if not shared else ([s for s in a.seeds if s in b.seeds],) * 2
    every = np.arange(a.videos)
    full_a, full_b = ([stat.value(s, every) for s in seeds] for stat, seeds in ((a, seeds_a), (b, seeds_b)))
    counts = (len(seeds_a), len(seeds_b))
    if any(v is None for v in full_a + full_b) or not full_a or not full_b:
        return Difference(None, None, None, None, None, None, counts, shared, level)
    mean_a, mean_b = float(np.mean(full_a)), float(np.mean(full_b))

    def both(keep):
        va, vb = _mean_over(a, seeds_a, keep), _mean_over(b, seeds_b, keep)
        return None if va is None or vb is None else va - vb
    loo = _leave_one_out(both, a.videos) if a.videos > 1 else None
    if loo is None:
        return Difference(mean_a, mean_b, None, None, None, None, counts, shared, level)
    parts = [(jackknife_variance(loo), a.videos - 1)]
    if shared and len(full_a) > 1:
        per_seed = np.array(full_a) - np.array(full_b)
        parts.append((float(np.var(per_seed, ddof=1)) / len(per_seed), len(per_seed) - 1))
    elif not shared:
        parts += [(float(np.var(full, ddof=1)) / len(full), len(full) - 1) for full in (full_a, full_b) if len(full) > 1]
    lo, hi, se, df = t_interval(mean_a - mean_b, parts, level)
    return Difference(mean_a, mean_b, lo, hi, se, df, counts, shared, level)


def common_videos(*runs: Runs) -> list[str]:
    return sorted(set.intersection(*(set(videos) for r in runs for videos in r.values())))


def auc_estimate(runs: Runs, macro: bool = False, level: float = LEVEL) -> Estimate:
    """A model's AUC (mean over seeds) with its interval over test videos and seeds, clipped
    to [0, 1] (where an AUC lives)."""
    e = estimate(AUCStatistic(runs, common_videos(runs), macro), level)
    if e.lo is None:
        return e
    return replace(e, lo=max(0.0, e.lo), hi=min(1.0, e.hi))


def auc_difference(a: Runs, b: Runs, macro: bool = False, shared: bool = False, level: float = LEVEL) -> Difference:
    names = common_videos(a, b)
    return difference(AUCStatistic(a, names, macro), AUCStatistic(b, names, macro), shared, level)


def usage_from_rows(rows: pd.DataFrame) -> Usage:
    """memory_usage.csv (seed, video, item, count, items) -> seed -> videos x items counts."""
    items = int(rows["items"].iloc[0])
    return {int(seed): g.pivot_table(index="video", columns="item", values="count", aggfunc="sum", fill_value=0)
            .reindex(columns=range(items), fill_value=0) for seed, g in rows.groupby("seed")}


def entropy_difference(a: Usage, b: Usage, shared: bool = False, level: float = LEVEL) -> Difference:
    """Usage entropy of A minus B (mean over seeds), over test videos and seeds."""
    names = sorted(set.intersection(*(set(u.index) for usage in (a, b) for u in usage.values())))
    return difference(EntropyStatistic(a, names), EntropyStatistic(b, names), shared, level)
