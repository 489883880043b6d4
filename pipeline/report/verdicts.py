"""The rules that turn evidence into a verdict (method note in the report and the README).

A comparative claim "A improves on B" is judged on the paired difference AUC(A) - AUC(B):
both models are scored on one bootstrap draw of test videos per resample (and of seeds,
with several), and the 95% percentile interval of the difference decides:
    supported      the interval lies above 0
    contradicted   it lies below 0
    inconclusive   it contains 0
    not testable   the evidence cannot exercise the claim: neither model beats chance (its
                   AUC interval does not lie above 0.5), or the two scores are identical on
                   every frame (an ablation that changed nothing, e.g. no test frame updated
                   the memory)
    not tested yet the dataset or one of the models is not in this run (the reason says which)
Where the paper reports both numbers, a second line says whether the paper's own
difference lies inside our interval ("effect size reproduced"), apart from the direction.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from pipeline.evaluation.metrics import type_subset
from pipeline.evaluation.paired import Difference, auc_interval, paired_difference, runs_from_frames

if TYPE_CHECKING:
    from pipeline.report.collect import Evidence

SUPPORTED, CONTRADICTED, INCONCLUSIVE = "supported", "contradicted", "inconclusive"
NOT_SUPPORTED = "not supported"         # claims judged by a fixed rule, not by an interval
NOT_TESTABLE, NOT_TESTED = "not testable here", "not tested yet"
OUTCOMES = (SUPPORTED, CONTRADICTED, INCONCLUSIVE, NOT_SUPPORTED, NOT_TESTABLE, NOT_TESTED)


@dataclass(frozen=True)
class ClaimSettings:
    tolerance: float = 0.03           # AUC points within which a reported number is reproduced
    detect_auc: float = 0.80          # synthetic claim: "detects" = temporal AUC interval above this
    clear_margin: float = 0.15        # synthetic claim: "does not" = this far below prediction
    resamples: int = 1000             # bootstrap draws behind every interval of a verdict


@dataclass
class Verdict:
    paper: str
    claim: str
    verdict: str
    rule: str
    evidence: list[str] = field(default_factory=list)
    per_dataset: dict[str, str] = field(default_factory=dict)   # dataset -> its verdict (the verdict matrix)


def fmt(value) -> str:
    return "n/a" if value is None or (isinstance(value, float) and np.isnan(value)) else f"{value:.3f}"


def with_interval(value, lo, hi) -> str:
    """An AUC with its 95% interval when it has one: "0.812 [0.790, 0.834]"."""
    return f"{fmt(value)} [{fmt(lo)}, {fmt(hi)}]" if lo is not None and not pd.isna(lo) else fmt(value)


def _signed(value) -> str:
    return "n/a" if value is None else f"{value:+.3f}"


def combine(outcomes: list[str]) -> str:
    """Several pairs (the parts of a claim) or datasets -> one verdict: any contradiction
    contradicts; otherwise any inconclusive part leaves it inconclusive, and a part the
    evidence cannot exercise leaves it not testable; supported only when every part is."""
    for outcome in (CONTRADICTED, INCONCLUSIVE, NOT_TESTABLE):
        if outcome in outcomes:
            return outcome
    return SUPPORTED if outcomes and all(o == SUPPORTED for o in outcomes) else NOT_TESTED


def direction(d: Difference, margin: float = 0.0) -> str:
    if d.lo is None:
        return INCONCLUSIVE
    return SUPPORTED if d.lo > margin else CONTRADICTED if d.hi < margin else INCONCLUSIVE


@dataclass
class Comparison:
    outcome: str
    line: str
    difference: Difference | None = None
    bounds: tuple = ((None, None), (None, None))   # each model's own AUC interval


def compare(evidence: Evidence, dataset: str, a: str, b: str, s: ClaimSettings, kind: str | None = None,
            macro: bool = False, updated: dict | None = None) -> Comparison | None:
    """A versus B on one dataset (frames of anomaly `kind` only, if given); None when either
    was not run. `updated` (test-time-update ablations only): the share of test frames
    that updated the memory, per model name; none at all makes the ablation empty."""
    frames = [evidence.scores(dataset, name) for name in (a, b)]
    if any(f is None for f in frames):
        return None
    if kind is not None:
        frames = [type_subset(f, kind) for f in frames]
    what = f"{dataset}{f' ({kind} anomalies)' if kind else ''}: {a} vs {b}"
    merged = frames[0].merge(frames[1], on=["seed", "video", "frame"], suffixes=("_a", "_b"))
    if updated is not None and not any(updated.get(n) for n in (a, b)):
        return Comparison(NOT_TESTABLE, f"{what}: not testable, no test frame updated the memory: the ablation "
                                        "changed nothing")
    if len(merged) == len(frames[0]) == len(frames[1]) and np.allclose(merged.score_a, merged.score_b, rtol=0, atol=1e-6):
        return Comparison(NOT_TESTABLE, f"{what}: not testable, the two scores are identical on every frame (up to "
                                        "float rounding): the ablation changed nothing")
    runs = [runs_from_frames(f) for f in frames]
    bounds = [auc_interval(r, s.resamples, macro=macro) for r in runs]
    d = paired_difference(*runs, resamples=s.resamples, macro=macro)
    aucs = (f"{a} {fmt(d.a)} [{fmt(bounds[0][0])}, {fmt(bounds[0][1])}], "
            f"{b} {fmt(d.b)} [{fmt(bounds[1][0])}, {fmt(bounds[1][1])}]")
    if not any(lo is not None and lo > 0.5 for lo, _ in bounds):
        return Comparison(NOT_TESTABLE, f"{what}: not testable, neither model beats chance ({aucs})", d, tuple(bounds))
    outcome = direction(d)
    return Comparison(outcome, f"{what}: {aucs}; difference {_signed(d.estimate)} [{_signed(d.lo)}, {_signed(d.hi)}]"
                               f" -> {outcome}", d, tuple(bounds))


def effect_line(reference: pd.DataFrame, dataset: str, a: str, b: str, d: Difference) -> str | None:
    """Whether the paper's own difference (its numbers for A and B) lies in our interval."""
    reported = {m: reference[(reference.dataset == dataset) & (reference.model == m)].value for m in (a, b)}
    if any(v.empty for v in reported.values()) or d.lo is None:
        return None
    paper = float(reported[a].iloc[0] - reported[b].iloc[0])
    inside = d.lo <= paper <= d.hi
    return (f"{dataset}: the paper's difference {a} - {b} is {paper:+.3f}; ours {_signed(d.estimate)} "
            f"[{_signed(d.lo)}, {_signed(d.hi)}]: effect size {'reproduced' if inside else 'not reproduced'}")


def reproduced(reported: float, ours, lo, hi, tolerance: float) -> str:
    """A reported number is reproduced (supported) if it lies within our interval widened by
    the tolerance, or within the tolerance of our AUC when there is no interval."""
    if ours is None or pd.isna(ours):
        return NOT_TESTED
    lo = ours if lo is None or pd.isna(lo) else lo
    hi = ours if hi is None or pd.isna(hi) else hi
    return SUPPORTED if lo - tolerance <= reported <= hi + tolerance else NOT_SUPPORTED


def reproduction_verdicts(comparison: pd.DataFrame, s: ClaimSettings) -> pd.DataFrame:
    """Per reported number: `reproduced`. With one training seed the interval covers
    test-set variation only, which the note says."""
    out = comparison.copy()
    out["delta"] = out.ours - out.reported
    out["verdict"] = [reproduced(r, o, lo, hi, s.tolerance)
                      for r, o, lo, hi in zip(out.reported, out.ours, out.ours_lo, out.ours_hi)]
    one_seed = out.seeds.fillna(0) == 1
    out["note"] = np.where(out.ours.isna(), out.note.fillna(""),
                           np.where(one_seed, "interval over test videos of one training seed", ""))
    return out
