"""A part of a claim from two rows' scores: A versus B on one dataset, by the difference of
their AUCs with its interval over test videos and training seeds (pipeline.evaluation.paired),
after the checks that the evidence can exercise the claim (the chance gate, an ablation
that changed something). The outcomes and how parts combine: pipeline.report.verdicts."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from pipeline.evaluation.metrics import type_subset
from pipeline.evaluation.paired import Difference, Estimate, auc_difference, auc_estimate, runs_from_frames
from pipeline.report.evidence import Evidence, Row
from pipeline.report.formatting import signed_interval, with_interval
from pipeline.report.verdicts import CHANCE_GATE, NOT_TESTABLE, ClaimSettings, Part, part_from, part_no_better


@dataclass
class Comparison:
    part: Part
    difference: Difference | None = None
    bounds: tuple[Estimate, Estimate] | None = None   # each model's own AUC estimate

    @property
    def outcome(self) -> str:
        return self.part.outcome

    @property
    def line(self) -> str:
        return self.part.line


def compare_runs(runs_a, runs_b, dataset: str, what: str, rows: tuple[Row, Row], s: ClaimSettings,
                 macro: bool = False, margin: float = 0.0, no_better: bool = False, gate: bool = True) -> Comparison:
    """A versus B from their per-seed, per-video scores (the rule every comparison follows).
    Two rows of one trained model (an ablation at inference time) are paired by seed.
    `gate` False: a claim that B sits at chance (the report's reconstruction on temporal
    anomalies) is not stopped by the chance gate."""
    a, b = rows
    bounds = (auc_estimate(runs_a, macro, s.level), auc_estimate(runs_b, macro, s.level))
    d = auc_difference(runs_a, runs_b, macro, shared=a.model == b.model, level=s.level)
    aucs = f"{a} {with_interval(bounds[0].value, bounds[0].lo, bounds[0].hi)}, " \
           f"{b} {with_interval(bounds[1].value, bounds[1].lo, bounds[1].hi)}"
    unproven = [str(n) for n, e in zip(rows, bounds) if not above_chance(e, s)] if gate else []
    if unproven:
        return Comparison(Part(dataset, NOT_TESTABLE, f"{what}: not testable, {' and '.join(unproven)} not above chance "
                                                      f"by one standard error ({aucs})", seeds=min(d.seeds)), d, bounds)
    paired = "the same training runs, paired by seed" if d.shared else "independent training runs"
    line = (f"{what}: {aucs}; difference {signed_interval(d.estimate, d.lo, d.hi)} "
            f"({d.seeds[0]} vs {d.seeds[1]} seeds, {paired})")
    return Comparison(part_no_better(d, dataset, line, s) if no_better else part_from(d, dataset, line, s, margin), d,
                      bounds)


def above_chance(e: Estimate, s: ClaimSettings) -> bool:
    """The chance gate: is the model a working detector? Its AUC lies above 0.5 by more than
    one standard error of its own interval over test videos and seeds (t-scaled: a one-sided
    test at 16%). A win over a broken or sign-flipped model, or a loss to one, is no evidence
    about the claim. The test is lenient on purpose, so that working models on few videos
    pass: a baseline at AUC 0.45 against a model at 0.74 is stopped in 98% of simulated draws
    with 15 videos and 94% with 5, two models at 0.74 on 5 videos in about 15% each
    (benchmarks/verdict_calibration.py). Without an interval (fewer than min_seeds seeds, or
    a left-out video taking a class with it) the gate does not apply: such a part gets no
    verdict anyway."""
    if e.se is None or len(e.per_seed) < s.min_seeds:
        return True
    return e.value - float(stats.t.ppf(CHANCE_GATE, e.df)) * e.se > 0.5 if e.se > 0 else e.value > 0.5


def compare(evidence: Evidence, dataset: str, a: Row, b: Row, s: ClaimSettings, kind: str | None = None,
            macro: bool = False, updated: dict | None = None, no_better: bool = False) -> Comparison | None:
    """A versus B on one dataset (frames of anomaly `kind` only, if given); None when either
    was not run. `updated` (test-time-update ablations only): the share of test frames
    that updated the memory, per row; none at all makes the ablation empty."""
    frames = [evidence.scores(dataset, row) for row in (a, b)]
    if any(f is None for f in frames):
        return None
    if kind is not None:
        frames = [type_subset(f, kind) for f in frames]
    what = f"{dataset}{f' ({kind} anomalies)' if kind else ''}: {a} vs {b}"
    seeds = frames[0].seed.nunique()
    if updated is not None and not any(updated.get(n) for n in (a, b)):
        return Comparison(Part(dataset, NOT_TESTABLE, f"{what}: not testable, no test frame updated the memory: the "
                                                      "ablation changed nothing", seeds=seeds))
    merged = frames[0].merge(frames[1], on=["seed", "video", "frame"], suffixes=("_a", "_b"))
    if len(merged) == len(frames[0]) == len(frames[1]) and np.allclose(merged.score_a, merged.score_b, rtol=0, atol=1e-6):
        return Comparison(Part(dataset, NOT_TESTABLE, f"{what}: not testable, the two scores are identical on every "
                                                      "frame (up to float rounding): the ablation changed nothing",
                               seeds=seeds))
    return compare_runs(runs_from_frames(frames[0]), runs_from_frames(frames[1]), dataset, what, (a, b), s, macro,
                        no_better=no_better)
