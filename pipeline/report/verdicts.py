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

This module holds the outcomes and how parts combine; pipeline.report.comparisons makes a
part from two models' scores, pipeline.report.reproduction judges reported numbers and the
papers' own differences.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pipeline.evaluation.paired import Difference


SUPPORTED, CONTRADICTED, INCONCLUSIVE = "supported", "contradicted", "inconclusive"
TEST_SET_ONLY = "test-set only"          # too few training seeds for a verdict: a direction only
NOT_SUPPORTED = "not supported"         # claims judged by a fixed rule, not by an interval
NOT_TESTABLE, NOT_TESTED = "not testable here", "not tested yet"
NOT_JUDGED = "not judged"               # a claim the audit cannot test with any data: the reason says why
OUTCOMES = (SUPPORTED, CONTRADICTED, INCONCLUSIVE, TEST_SET_ONLY, NOT_SUPPORTED, NOT_TESTABLE, NOT_TESTED, NOT_JUDGED)
REPRODUCED, NOT_REPRODUCED = "reproduced", "not reproduced"   # a reported number (equivalence test)
TOO_FEW_SEEDS = "too few seeds"   # a reported number with fewer than min_seeds training runs behind ours
CHANCE_GATE = 0.84   # one standard error: a model's AUC must lie this far above 0.5 (above_chance)


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


PAPER, AUDIT = "paper", "audit"   # a claim's origin: the paper's own, or the audit's hypothesis derived from it
ALL, MOST = "all", "most"         # a claim's quorum: supported on every judged dataset, or on most of them


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
    id: str = ""                                                # stable name (catalogue)
    origin: str = PAPER                                         # PAPER, or AUDIT: a hypothesis the audit derives
    where: str = ""                                             # section / table of the paper
    quote: str = ""                                             # the words it paraphrases, as printed
    judged_on: tuple[str, ...] = ()                             # the datasets its sentence names

    @property
    def label(self) -> str:
        """Who claims it: the paper, or the audit (a hypothesis from the paper, on other data)."""
        return self.paper if self.origin == PAPER else f"audit (from {self.paper})"

    def to_json(self) -> dict:
        """verdicts.json's entry: the claim, where it is said, its verdict per dataset, and for a
        claim not judged or not tested the reason (its evidence lines)."""
        return {"id": self.id, "paper": self.paper, "origin": self.origin, "where": self.where, "quote": self.quote,
                "claim": self.claim, "verdict": self.verdict, "judged_on": list(self.judged_on),
                "per_dataset": dict(self.per_dataset), "tests": self.tests,
                **({"reason": self.evidence} if self.verdict in (NOT_JUDGED, NOT_TESTED) else {})}


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


def part_no_better(d: Difference, dataset: str, line: str, s: ClaimSettings) -> Part:
    """'A is no better than B' (fails to improve): supported when A - B lies below
    +tolerance (a one-sided test at alpha, non-superiority), contradicted when A is shown
    ahead of B (A - B above 0, after Holm across the claim's parts)."""
    seeds = min(d.seeds)
    if d.lo is None:
        return Part(dataset, INCONCLUSIVE, line + "; no interval (a left-out video takes a class with it)", None, seeds)
    if seeds < s.min_seeds:
        return Part(dataset, TEST_SET_ONLY, line, None, seeds, arrow(d))
    outcome = SUPPORTED if d.p_below(s.tolerance) < s.alpha else INCONCLUSIVE
    return Part(dataset, outcome, line + f"; no better than +{s.tolerance:.2f}", d.p_above(0.0), seeds, arrow(d))


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


def claim_verdict(c, rule: str, parts: list[Part], s: ClaimSettings, extra: list[str] = (), quorum: str = ALL) -> Verdict:
    """Settle the parts (Holm) and build the claim's verdict, matrix cells and evidence."""
    lines = settle(parts, s)
    per_dataset, cells = dataset_cells(parts, c.datasets)
    tests = sum(1 for p in parts if p.judged and p.p_contra is not None)
    verdict = overall(list(per_dataset.values()), quorum) if per_dataset else NOT_TESTED
    return Verdict(c.source.paper, c.claim, verdict, rule, lines + list(extra), per_dataset, cells, tests,
                   c.id, c.origin, c.source.where, c.source.quote, c.datasets)


def overall(outcomes: list[str], quorum: str) -> str:
    """ALL: every dataset (combine); MOST: a strict majority of the
    datasets run supports (or contradicts) it."""
    if quorum == MOST and len(outcomes) > 1:
        for outcome in (CONTRADICTED, SUPPORTED):
            if sum(o == outcome for o in outcomes) > len(outcomes) / 2:
                return outcome
        return combine([o for o in outcomes if o not in (SUPPORTED, CONTRADICTED)] or [INCONCLUSIVE])
    return combine(outcomes)
