"""The variance of a statistic over test videos and training seeds, from its two-way table
of leave-one-video-out pseudo-values (the model: pipeline.evaluation.paired), and its t
interval with Satterthwaite's degrees of freedom, capped by the seeds' own."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

LEVEL = 0.95


@dataclass(frozen=True)
class Term:
    """One part of a variance: its value (negative: a part counted twice elsewhere and taken
    off once) and its degrees of freedom; `seeds`: a part estimated from seed variation alone."""
    variance: float
    df: float
    seeds: bool = False


def satterthwaite_df(terms: list[Term]) -> float:
    """Satterthwaite's degrees of freedom of a sum of independent mean-square terms (a term
    with a negative coefficient counts by its square, as any other)."""
    variance = sum(t.variance for t in terms)
    denominator = sum(t.variance ** 2 / t.df for t in terms if t.variance != 0)
    return float(variance ** 2 / denominator) if denominator > 0 else float(sum(t.df for t in terms))


def seed_limited_df(terms: list[Term]) -> float:
    """Satterthwaite's degrees of freedom, but never more than the seed terms have together
    when they carry more than half of the variance. Satterthwaite's value is computed from
    the estimated variances, and a 2-df seed estimate that came out small raises it exactly
    when the interval is already too narrow (its coverage fell to 92.7% on simulated linear
    statistics with normal seed effects; benchmarks/verdict_calibration.py)."""
    df = satterthwaite_df(terms)
    variance = sum(t.variance for t in terms)
    seed_terms = [t for t in terms if t.seeds]
    if seed_terms and variance > 0 and sum(t.variance for t in seed_terms) > 0.5 * variance:
        df = min(df, float(sum(t.df for t in seed_terms)))
    return df


def t_interval(value: float, terms: list[Term], level: float = LEVEL
               ) -> tuple[float | None, float | None, float | None, float | None]:
    """(lo, hi, se, df) of value +- t * SE from the variance terms. No term: no interval."""
    terms = [t for t in terms if t.df >= 1]
    if not terms:
        return None, None, None, None
    variance = sum(t.variance for t in terms)
    if variance <= 0:
        return value, value, 0.0, float(sum(t.df for t in terms))
    se = float(np.sqrt(variance))
    df = seed_limited_df(terms)
    half = float(stats.t.ppf(1 - (1 - level) / 2, df)) * se
    return value - half, value + half, se, df


def jackknife_variance(values: np.ndarray) -> float:
    """Leave-one-out jackknife variance of a statistic from its n leave-one-out values."""
    n = len(values)
    return float((n - 1) / n * ((values - values.mean()) ** 2).sum())


@dataclass(frozen=True)
class SeedTable:
    """One model's statistic per seed on every test video (`full`, shape S) and its
    leave-one-video-out pseudo-values (`pseudo`, S x V: V * full - (V - 1) * left-out value)."""
    full: np.ndarray
    pseudo: np.ndarray | None     # None: fewer than 2 videos, or a left-out video takes a class with it

    def __sub__(self, other: "SeedTable") -> "SeedTable":   # the same seeds, paired
        pseudo = None if self.pseudo is None or other.pseudo is None else self.pseudo - other.pseudo
        return SeedTable(self.full - other.full, pseudo)


def _interaction(pseudo: np.ndarray) -> Term | None:
    """The seed x video residual mean square of a pseudo-value table, / (S V): the part both
    the videos term and the seeds term hold."""
    seeds, videos = pseudo.shape
    if seeds < 2 or videos < 2:
        return None
    residual = pseudo - pseudo.mean(axis=1, keepdims=True) - pseudo.mean(axis=0, keepdims=True) + pseudo.mean()
    mean_square = float((residual ** 2).sum() / ((seeds - 1) * (videos - 1)))
    return Term(-mean_square / (seeds * videos), (seeds - 1) * (videos - 1))


def _seed_term(full: np.ndarray) -> Term | None:
    return Term(float(np.var(full, ddof=1)) / len(full), len(full) - 1, seeds=True) if len(full) > 1 else None


def variance_terms(video_means: np.ndarray, seed_tables: list[SeedTable]) -> list[Term]:
    """The terms of a statistic's variance: videos (jackknife of `video_means`, the per-video
    pseudo-values of the seed-mean statistic, or of the difference of two) net of each
    table's seed x video interaction, which the seeds terms hold too; then each table's
    seeds. The net videos term is kept at 0 or more and keeps the videos' V - 1 degrees of
    freedom: a difference of mean squares given Satterthwaite's degrees of freedom can have
    fewer than one (simulated: intervals of any width with 5 videos), a known weakness."""
    videos = len(video_means)
    interaction = sum(t.variance for table in seed_tables if table.pseudo is not None
                      for t in [_interaction(table.pseudo)] if t is not None)
    video = Term(max(0.0, float(np.var(video_means, ddof=1)) / videos + interaction), videos - 1)
    seeds = [t for table in seed_tables for t in [_seed_term(table.full)] if t is not None]
    return [video, *seeds]
