"""Intervals for one model's AUC, and for the difference between two models scored on the
same test videos, over both sources of variation behind a measured AUC.

    test videos   frames of one video are not independent (a score drifts with the scene,
                  an anomaly spans many frames), so the unit is the video
    training      each seed is one draw of the training run
    both          a seed does better on some videos than another seed does: the seed x
                  video interaction

A model's statistic is the mean over its S seeds of its statistic on all V test videos. Its
variance over new test sets and new training runs is, in the two-way random model
x_sv = m + a_s + b_v + g_sv, var(a)/S + var(b)/V + var(g)/(S V). The statistic of one seed is
not a sum over videos (a pooled AUC is not), so each seed's leave-one-video-out (jackknife)
pseudo-values P_sv stand in for x_sv, and the three terms are estimated from the two-way
table of P (as a two-way ANOVA does):

    videos        the jackknife variance of the seed-mean statistic, var_v(P_.v) / V:
                  var(b)/V + var(g)/(S V)
    seeds         the seeds' sample variance of their statistics / S: var(a)/S + var(g)/(S V)
    interaction   the table's residual mean square / (S V): var(g)/(S V), counted in both of
                  the above, so subtracted once (the videos term net of it is kept at 0 or more)

For a difference of two models with their own training runs: the videos term of the
per-video differences of their pseudo-values net of each model's interaction, each model's
seeds term; for two scorings of the same training runs (an ablation at inference time), the
two-way table of the per-seed differences. The interval is estimate +- t x SE with
Satterthwaite's degrees of freedom over the terms, and never more than the seeds terms have
when they carry most of the variance (seed_limited_df): with three seeds a 2-df variance
estimate decides the interval, and
Satterthwaite's degrees of freedom, computed from that same noisy estimate, would be too
many exactly when it came out small. With fewer than two seeds the training part cannot be
estimated: such an interval covers test-set variation only, and the verdicts say so instead
of judging (pipeline.report.verdicts). benchmarks/verdict_calibration.py checks coverage
and error rates on simulated score sets with known truth.

Statistics: the pooled (micro) AUC of the kept videos' frames (the official evaluations),
the macro AUC (mean of per-video AUCs; per-category AUROC on MVTec AD and the digit sets),
and a memory's usage entropy (the kept videos' counts summed).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np
import pandas as pd
from scipy import stats

from pipeline.evaluation.metrics import PooledAUC, rank_auc
from pipeline.evaluation.variance import LEVEL, SeedTable, t_interval, variance_terms

# seed -> video -> (labels, scores) of one model's scored frames
Runs = dict[int, dict[str, tuple[np.ndarray, np.ndarray]]]
# seed -> (videos, items) counts of each test video's queries per item
Usage = dict[int, pd.DataFrame]


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
    per_seed: tuple[tuple[float, ...], tuple[float, ...]] = ((), ())   # each model's statistic per seed, all videos

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


def seed_table(stat: Statistic, seeds: list[int]) -> SeedTable | None:
    """None when the statistic is undefined for a seed on all videos."""
    every = np.arange(stat.videos)
    full = [stat.value(s, every) for s in seeds]
    if not full or any(v is None for v in full):
        return None
    full = np.array(full, dtype=float)
    if stat.videos < 2:
        return SeedTable(full, None)
    loo = [[stat.value(s, np.delete(every, v)) for v in range(stat.videos)] for s in seeds]
    if any(v is None for row in loo for v in row):
        return SeedTable(full, None)
    return SeedTable(full, stat.videos * full[:, None] - (stat.videos - 1) * np.array(loo, dtype=float))


def estimate(stat: Statistic, level: float = LEVEL) -> Estimate:
    """One model's statistic with its interval over test videos and seeds."""
    table = seed_table(stat, stat.seeds)
    if table is None:
        return Estimate(None, None, None, None, None, (), level)
    value, per_seed = float(table.full.mean()), tuple(float(v) for v in table.full)
    if table.pseudo is None:
        return Estimate(value, None, None, None, None, per_seed, level)
    lo, hi, se, df = t_interval(value, variance_terms(table.pseudo.mean(axis=0), [table]), level)
    return Estimate(value, lo, hi, se, df, per_seed, level)


def difference(a: Statistic, b: Statistic, shared: bool = False, level: float = LEVEL) -> Difference:
    """A - B on the same videos (`a.videos == b.videos`, in the same order). `shared`: A and
    B are the same training runs (pair them by seed; only common seeds are used)."""
    seeds_a, seeds_b = (a.seeds, b.seeds) if not shared else ([s for s in a.seeds if s in b.seeds],) * 2
    table_a, table_b = seed_table(a, seeds_a), seed_table(b, seeds_b)
    counts = (len(seeds_a), len(seeds_b))
    if table_a is None or table_b is None:
        return Difference(None, None, None, None, None, None, counts, shared, level)
    mean_a, mean_b = float(table_a.full.mean()), float(table_b.full.mean())
    per_seed = (tuple(float(v) for v in table_a.full), tuple(float(v) for v in table_b.full))
    if table_a.pseudo is None or table_b.pseudo is None:
        return Difference(mean_a, mean_b, None, None, None, None, counts, shared, level, per_seed)
    if shared:
        paired = table_a - table_b
        terms = variance_terms(paired.pseudo.mean(axis=0), [paired])
    else:
        terms = variance_terms(table_a.pseudo.mean(axis=0) - table_b.pseudo.mean(axis=0), [table_a, table_b])
    lo, hi, se, df = t_interval(mean_a - mean_b, terms, level)
    return Difference(mean_a, mean_b, lo, hi, se, df, counts, shared, level, per_seed)


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
