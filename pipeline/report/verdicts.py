"""The rules that turn evidence into a verdict (method note in the report and the README).

A comparative claim "A improves on B" is judged, on each dataset, on the difference
AUC(A) - AUC(B) of the two models scored on the same test videos, with its 95% interval over
test videos and training seeds (pipeline.evaluation.paired: jackknife over videos + seed
variance, t with Welch-Satterthwaite degrees of freedom). Each (pair, dataset) is a part:
    supported      the part's interval lies above 0 (one-sided test at 2.5%); a claim is
                   supported only if every part is (an intersection-union test: no
                   correction needed)
    contradicted   the part is below 0 at 2.5% after Holm's correction across all of the
                   claim's parts (a claim of 18 parts is not contradicted by one chance part)
    inconclusive   neither
    test-set only  fewer than `min_seeds` training seeds per model: the interval covers the
                   test set only, so the cell gives the direction, never a verdict
    not testable   the evidence cannot exercise the claim: either model is below chance (its
                   AUC interval lies under 0.5), neither beats chance, or the two scores are
                   identical on every frame (an ablation that changed nothing)
    not tested yet the dataset or one of the models is not in this run (the reason says which)
    not judged     no run of this audit can test the claim as stated (the reason says why)
A reported number is "reproduced" by an equivalence test (two one-sided tests): our mean
over seeds minus the number, with its interval from seed variation on the fixed test set
(the paper used the same test set), inside +-tolerance; wholly outside is "not reproduced".
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from pipeline.evaluation.metrics import type_subset
from pipeline.evaluation.paired import Difference, Estimate, auc_difference, auc_estimate, runs_from_frames

if TYPE_CHECKING:
    from pipeline.report.collect import Evidence

SUPPORTED, CONTRADICTED, INCONCLUSIVE = "supported", "contradicted", "inconclusive"
TEST_SET_ONLY = "test-set only"          # too few training seeds for a verdict: a direction only
NOT_SUPPORTED = "not supported"         # claims judged by a fixed rule, not by an interval
NOT_TESTABLE, NOT_TESTED = "not testable here", "not tested yet"
NOT_JUDGED = "not judged"               # a claim the audit cannot test with any data: the reason says why
OUTCOMES = (SUPPORTED, CONTRADICTED, INCONCLUSIVE, TEST_SET_ONLY, NOT_SUPPORTED, NOT_TESTABLE, NOT_TESTED, NOT_JUDGED)
REPRODUCED, NOT_REPRODUCED = "reproduced", "not reproduced"   # a reported number (equivalence test)


@dataclass(frozen=True)
class ClaimSettings:
    tolerance: float = 0.02           # AUC within which a reported number counts as reproduced (README)
    detect_auc: float = 0.80          # synthetic claim: "detects" = temporal AUC interval above this
    clear_margin: float = 0.15        # synthetic claim: "does not" = this far below prediction
    min_seeds: int = 3                # training seeds per model before a verdict
    level: float = 0.95               # two-sided; each one-sided test at (1 - level) / 2

    @property
    def alpha(self) -> float:
        return (1 - self.level) / 2


@dataclass
class Verdict:
    paper: str
    claim: str
    verdict: str
    rule: str
    evidence: list[str] = field(default_factory=list)
    per_dataset: dict[str, str] = field(default_factory=dict)   # dataset -> its verdict (the verdict matrix)
    cells: dict[str, str] = field(default_factory=dict)         # dataset (or OVERALL) -> cell text, where not the verdict
    tests: int = 0                                              # parts that were tests (enough seeds, testable)


def fmt(value) -> str:
    return "n/a" if value is None or (isinstance(value, float) and np.isnan(value)) else f"{value:.3f}"


def with_interval(value, lo, hi) -> str:
    """An AUC with its 95% interval when it has one: "0.812 [0.790, 0.834]"."""
    return f"{fmt(value)} [{fmt(lo)}, {fmt(hi)}]" if lo is not None and not pd.isna(lo) else fmt(value)


def _signed(value) -> str:
    return "n/a" if value is None else f"{value:+.3f}"


def combine(outcomes: list[str]) -> str:
    """Several parts (pairs) or datasets -> one verdict: any contradiction contradicts;
    otherwise an inconclusive part leaves it inconclusive, a part with too few seeds leaves
    it test-set only, a part the evidence cannot exercise leaves it not testable; supported
    only when every part is."""
    for outcome in (CONTRADICTED, INCONCLUSIVE, TEST_SET_ONLY, NOT_TESTABLE):
        if outcome in outcomes:
            return outcome
    return SUPPORTED if outcomes and all(o == SUPPORTED for o in outcomes) else NOT_TESTED


def arrow(d: Difference, margin: float = 0.0) -> str:
    """The direction an interval shows: up (A ahead), down, or level."""
    if d.lo is None:
        return "~"
    return "\u2191" if d.lo > margin else "\u2193" if d.hi < margin else "~"


def holm(p_values: list[float], alpha: float) -> list[bool]:
    """Holm's step-down rejections at family-wise level alpha, in the input's order."""
    order = np.argsort(p_values, kind="stable")
    rejected = [False] * len(p_values)
    for rank, i in enumerate(order):
        if p_values[i] > alpha / (len(p_values) - rank):
            break
        rejected[i] = True
    return rejected


@dataclass
class Part:
    """One test of a claim: a pair (or a threshold) on one dataset."""
    dataset: str
    outcome: str                      # before multiplicity: SUPPORTED, INCONCLUSIVE or a non-test
    line: str                         # the evidence, without its outcome
    p_contra: float | None = None     # one-sided p of the contradiction side; None: not a test
    seeds: int = 0
    direction: str = "~"
    judged: bool = True               # False: information only (no outcome shown)


def part_from(d: Difference, dataset: str, line: str, s: ClaimSettings, margin: float = 0.0) -> Part:
    """The outcome a difference gives against `margin` before multiplicity."""
    seeds = min(d.seeds)
    if d.lo is None:
        return Part(dataset, INCONCLUSIVE, line + "; no interval (a left-out video takes a class with it)", None, seeds)
    if seeds < s.min_seeds:
        return Part(dataset, TEST_SET_ONLY, line, None, seeds, arrow(d, margin))
    outcome = SUPPORTED if d.p_above(margin) < s.alpha else INCONCLUSIVE
    return Part(dataset, outcome, line, d.p_below(margin), seeds, arrow(d, margin))


def settle(parts: list[Part], s: ClaimSettings) -> list[str]:
    """Final outcome of each part: contradicted where Holm rejects 'not below' across the
    claim's tests; the evidence line of each with its outcome."""
    tests = [i for i, p in enumerate(parts) if p.judged and p.p_contra is not None]
    rejected = holm([parts[i].p_contra for i in tests], s.alpha)
    for i, reject in zip(tests, rejected):
        if reject:
            parts[i].outcome = CONTRADICTED
        elif parts[i].outcome == INCONCLUSIVE and parts[i].p_contra < s.alpha:
            parts[i].line += f" (below at {s.alpha:.1%} alone, not after Holm across the claim's {len(tests)} tests)"
    lines = []
    for p in parts:
        if not p.judged:
            lines.append(f"{p.line} (information, not judged)")
        elif p.outcome == TEST_SET_ONLY:
            lines.append(f"{p.line} -> {_few_seeds(p.seeds)}, direction {p.direction}")
        else:
            lines.append(f"{p.line} -> {p.outcome}")
    return lines


def _few_seeds(seeds: int) -> str:
    return f"{seeds} seed{'s' if seeds != 1 else ''}: test-set only"


OVERALL = "overall"   # Verdict.cells key of the claim's own cell


def dataset_cells(parts: list[Part], datasets) -> tuple[dict[str, str], dict[str, str]]:
    """(dataset -> combined outcome, dataset -> cell text where it differs: the directions of
    test-set-only parts; OVERALL: the claim's seed count when it is test-set only) over the
    judged parts."""
    per_dataset, cells = {}, {}
    few = [p.seeds for p in parts if p.judged and p.outcome == TEST_SET_ONLY]
    if few and combine([p.outcome for p in parts if p.judged]) == TEST_SET_ONLY:
        cells[OVERALL] = _few_seeds(min(few))
    for dataset in datasets:
        mine = [p for p in parts if p.dataset == dataset and p.judged]
        if not mine:
            continue
        per_dataset[dataset] = combine([p.outcome for p in mine])
        if per_dataset[dataset] == TEST_SET_ONLY:
            few = [p for p in mine if p.outcome == TEST_SET_ONLY]
            cells[dataset] = f"{_few_seeds(min(p.seeds for p in few))} {''.join(p.direction for p in few)}"
    return per_dataset, cells


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


def _base(name: str) -> str:
    """The trained model behind a results row: "pred_mem (PSNR-only score)" -> "pred_mem"."""
    return name.split(" (")[0]


def compare_runs(runs_a, runs_b, dataset: str, what: str, names: tuple[str, str], s: ClaimSettings,
                 macro: bool = False, margin: float = 0.0) -> Comparison:
    """A versus B from their per-seed, per-video scores (the rule every comparison follows)."""
    a, b = names
    bounds = (auc_estimate(runs_a, macro, s.level), auc_estimate(runs_b, macro, s.level))
    d = auc_difference(runs_a, runs_b, macro, shared=_base(a) == _base(b), level=s.level)
    aucs = f"{a} {with_interval(bounds[0].value, bounds[0].lo, bounds[0].hi)}, " \
           f"{b} {with_interval(bounds[1].value, bounds[1].lo, bounds[1].hi)}"
    below = [n for n, e in zip(names, bounds) if e.hi is not None and e.hi < 0.5]
    if below:
        return Comparison(Part(dataset, NOT_TESTABLE, f"{what}: not testable, {' and '.join(below)} below chance "
                                                      f"({aucs})", seeds=min(d.seeds)), d, bounds)
    if not any(e.lo is not None and e.lo > 0.5 for e in bounds):
        return Comparison(Part(dataset, NOT_TESTABLE, f"{what}: not testable, neither model beats chance ({aucs})",
                               seeds=min(d.seeds)), d, bounds)
    paired = "the same training runs, paired by seed" if d.shared else "independent training runs"
    line = (f"{what}: {aucs}; difference {_signed(d.estimate)} [{_signed(d.lo)}, {_signed(d.hi)}] "
            f"({d.seeds[0]} vs {d.seeds[1]} seeds, {paired})")
    return Comparison(part_from(d, dataset, line, s, margin), d, bounds)


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
    seeds = frames[0].seed.nunique()
    if updated is not None and not any(updated.get(n) for n in (a, b)):
        return Comparison(Part(dataset, NOT_TESTABLE, f"{what}: not testable, no test frame updated the memory: the "
                                                      "ablation changed nothing", seeds=seeds))
    merged = frames[0].merge(frames[1], on=["seed", "video", "frame"], suffixes=("_a", "_b"))
    if len(merged) == len(frames[0]) == len(frames[1]) and np.allclose(merged.score_a, merged.score_b, rtol=0, atol=1e-6):
        return Comparison(Part(dataset, NOT_TESTABLE, f"{what}: not testable, the two scores are identical on every "
                                                      "frame (up to float rounding): the ablation changed nothing",
                               seeds=seeds))
    return compare_runs(runs_from_frames(frames[0]), runs_from_frames(frames[1]), dataset, what, (a, b), s, macro)


def _same_setting(x, y) -> bool:
    """Two rows' lambda agree, or one row has none (a model without memory scores by PSNR
    alone: any lambda is its setting)."""
    return pd.isna(x) or pd.isna(y) or float(x) == float(y)


def reported_pair(reference: pd.DataFrame, dataset: str, a: str, b: str) -> tuple[pd.Series, pd.Series] | None:
    """The reported rows of A and B that make one of the paper's own comparisons: both from
    the same table (the first table, in file order, that reports both on `dataset`), and where
    that table lists a model at several lambda values, the two rows at the same lambda. A
    table that gives each row its own tuned lambda (report Tables 6 and 7) compares those
    rows as printed; rows of two tables are never paired (report Table 4 is measured at
    other lambda values than Tables 6 and 7)."""
    rows = reference[reference.dataset == dataset]
    if "category" in rows:   # one MVTec AD category's rows are not a claim's difference
        rows = rows[rows.category.fillna("") == ""]
    lam = rows.reported_lambda if "reported_lambda" in rows else pd.Series(np.nan, index=rows.index)
    for table in dict.fromkeys(rows.table):
        in_table = rows.table == table
        found_a, found_b = rows[in_table & (rows.model == a)], rows[in_table & (rows.model == b)]
        for _, ra in found_a.iterrows():
            for _, rb in found_b.iterrows():
                several = len(found_a) > 1 or len(found_b) > 1
                if not several or _same_setting(lam.get(ra.name), lam.get(rb.name)):
                    return ra, rb
    return None


def effect_line(reference: pd.DataFrame, dataset: str, a: str, b: str, d: Difference) -> str | None:
    """Whether the difference one table of the paper reports (its rows for A and B, see
    reported_pair) lies in our interval; the line names the table and each row's lambda."""
    pair = reported_pair(reference, dataset, a, b)
    if pair is None or d.lo is None:
        return None
    ra, rb = pair
    paper = float(ra.value - rb.value)
    lambdas = [r.get("reported_lambda") for r in pair]
    setting = "" if all(pd.isna(v) for v in lambdas) else \
        "; lambda " + " vs ".join("-" if pd.isna(v) else f"{float(v):g}" for v in lambdas)
    inside = d.lo <= paper <= d.hi
    return (f"{dataset}: {ra.table}{setting}: reported {a} - {b} = {paper:+.3f}; ours {_signed(d.estimate)} "
            f"[{_signed(d.lo)}, {_signed(d.hi)}]: effect size {'reproduced' if inside else 'not reproduced'}")


TOO_FEW_SEEDS = "too few seeds"   # a reported number with fewer than min_seeds training runs behind ours


def reproduction(reported: float, per_seed, s: ClaimSettings) -> tuple[str, float | None, float | None]:
    """(verdict, interval of ours - reported) for a number reported on the test set we score
    on: two one-sided tests at (1 - level) / 2 with the interval from seed variation only
    (mean over seeds +- t(S - 1) * sd / sqrt(S)): inside +-tolerance reproduced, wholly outside
    not reproduced, otherwise inconclusive; fewer than min_seeds seeds: too few seeds."""
    values = [float(v) for v in (per_seed or []) if v is not None and not pd.isna(v)]
    if not values:
        return NOT_TESTED, None, None
    delta = float(np.mean(values)) - reported
    if len(values) < s.min_seeds:
        return TOO_FEW_SEEDS, None, None
    half = float(stats.t.ppf(1 - s.alpha, len(values) - 1)) * float(np.std(values, ddof=1)) / np.sqrt(len(values))
    lo, hi = delta - half, delta + half
    if -s.tolerance < lo and hi < s.tolerance:
        return REPRODUCED, lo, hi
    if lo > s.tolerance or hi < -s.tolerance:
        return NOT_REPRODUCED, lo, hi
    return INCONCLUSIVE, lo, hi


def point_reproduced(target: float, ours: float, tolerance: float) -> str:
    """One fixed network (released weights) on the paper's test set: no training variation
    and no sampling of test videos stands between its AUC and the reported one."""
    return REPRODUCED if abs(ours - target) <= tolerance else NOT_REPRODUCED


def reproduction_verdicts(comparison: pd.DataFrame, s: ClaimSettings) -> pd.DataFrame:
    """Per reported number: the equivalence test (column `verdict`), the interval of ours -
    reported (`delta_lo`, `delta_hi`) and a note on what the interval covers."""
    out = comparison.copy()
    out["delta"] = out.ours - out.reported
    judged = [reproduction(r, seeds if isinstance(seeds, (list, tuple)) else [], s)
              for r, seeds in zip(out.reported, out.per_seed)]
    out["verdict"] = [v for v, _, _ in judged]
    out["delta_lo"] = [lo for _, lo, _ in judged]
    out["delta_hi"] = [hi for _, _, hi in judged]
    seeds = out.seeds.fillna(0).astype(int)
    out["note"] = np.where(out.ours.isna(), out.note.fillna(""),
                           np.where(seeds < s.min_seeds, [f"{n} training seed{'s' if n != 1 else ''}: training "
                                                          f"variation not estimated (needs {s.min_seeds})" for n in seeds],
                                    "interval of ours - reported from seed variation (same test set as the paper)"))
    return out
