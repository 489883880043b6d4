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
                 macro: bool = False, margin: float = 0.0, no_better: bool = False, gate: bool = True) -> Comparison:
    """A versus B from their per-seed, per-video scores (the rule every comparison follows).
    `gate` False: a claim that B sits at chance (the report's reconstruction on temporal
    anomalies) is not stopped by the chance gate."""
    a, b = names
    bounds = (auc_estimate(runs_a, macro, s.level), auc_estimate(runs_b, macro, s.level))
    d = auc_difference(runs_a, runs_b, macro, shared=_base(a) == _base(b), level=s.level)
    aucs = f"{a} {with_interval(bounds[0].value, bounds[0].lo, bounds[0].hi)}, " \
           f"{b} {with_interval(bounds[1].value, bounds[1].lo, bounds[1].hi)}"
    unproven = [n for n, e in zip(names, bounds) if not above_chance(e, s)] if gate else []
    if unproven:
        return Comparison(Part(dataset, NOT_TESTABLE, f"{what}: not testable, {' and '.join(unproven)} not above chance "
                                                      f"by one standard error ({aucs})", seeds=min(d.seeds)), d, bounds)
    paired = "the same training runs, paired by seed" if d.shared else "independent training runs"
    line = (f"{what}: {aucs}; difference {_signed(d.estimate)} [{_signed(d.lo)}, {_signed(d.hi)}] "
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


def compare(evidence: Evidence, dataset: str, a: str, b: str, s: ClaimSettings, kind: str | None = None,
            macro: bool = False, updated: dict | None = None, no_better: bool = False) -> Comparison | None:
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
    return compare_runs(runs_from_frames(frames[0]), runs_from_frames(frames[1]), dataset, what, (a, b), s, macro,
                        no_better=no_better)


WITHOUT_UPDATE = "without test-time update"   # the test-time-update ablation's row label (MNAD's spec)


def _updates(name: str) -> bool:
    return WITHOUT_UPDATE not in name


def _row_lambda(row: pd.Series) -> float | None:
    value = row.get("reported_lambda")
    return None if value is None or pd.isna(value) else float(value)


def _pair_problem(ra: pd.Series, rb: pd.Series, memory: set[str], vary_update: bool) -> str | None:
    """Why two rows of one table are not the paper's own comparison of A and B at one
    setting, or None: both scored at one lambda (a model without memory has none; two rows of
    one model may both leave it unstated), at one test-time-update setting unless the claim
    is about that setting, and then the same model."""
    a, b = str(ra.model), str(rb.model)
    if _updates(a) != _updates(b) and not vary_update:
        return f"its rows differ in the test-time update ({ra.row} / {rb.row})"
    if vary_update and _base(a) != _base(b):
        return f"its rows differ in more than the test-time update ({ra.row} / {rb.row}): confounded"
    la, lb = _row_lambda(ra), _row_lambda(rb)
    with_memory = [(name, lam) for name, lam in ((a, la), (b, lb)) if _base(name) in memory]
    if len(with_memory) == 2 and la is None and lb is None and _base(a) == _base(b):
        return None   # one model, one table, its lambda unstated in both rows
    unstated = [name for name, lam in with_memory if lam is None]
    if unstated:
        return f"it states no lambda for {', '.join(unstated)}"
    if len(with_memory) == 2 and la != lb:
        return f"its rows are at lambda {la:g} and {lb:g}"
    return None


def reported_pair(reference: pd.DataFrame, dataset: str, a: str, b: str, memory: set[str] = frozenset(),
                  vary_update: bool = False) -> tuple[tuple[pd.Series, pd.Series] | None, str]:
    """((row A, row B), "") of one table that makes the paper's own comparison of A and B on
    `dataset` at one setting (the first such table in file order), or (None, why not).
    `memory`: the models with a memory term (their rows need a lambda); `vary_update`: the
    claim is about the test-time update, so the rows differ in it and in nothing else."""
    rows = reference[reference.dataset == dataset]
    if "category" in rows:   # one MVTec AD category's rows are not a claim's difference
        rows = rows[rows.category.fillna("") == ""]
    problems = []
    for table in dict.fromkeys(rows.table):
        in_table = rows[rows.table == table]
        for _, ra in in_table[in_table.model == a].iterrows():
            for _, rb in in_table[in_table.model == b].iterrows():
                problem = _pair_problem(ra, rb, memory, vary_update)
                if problem is None:
                    return (ra, rb), ""
                problems.append(f"{table}: {problem}")
    if problems:
        return None, "; ".join(dict.fromkeys(problems))
    return None, f"no table of the paper reports both {a} and {b} on {dataset}"


def effect_equivalence(paper: float, d: Difference, s: ClaimSettings) -> tuple[str, float | None, float | None]:
    """Our difference against the paper's by the test reported numbers get (reproduction): the
    paper's difference is one training run of A and one of B (one run of the networks they
    share, for an ablation at inference time), ours the mean over our seeds, so ours - paper
    varies by each model's seed variance x (1/S + 1), or the per-seed differences' for an
    ablation. (verdict, interval of ours - paper)."""
    per_a, per_b = d.per_seed
    if d.estimate is None or min(len(per_a), len(per_b)) < max(2, s.min_seeds):
        return TOO_FEW_SEEDS, None, None
    if d.shared:
        return reproduction(paper, [x - y for x, y in zip(per_a, per_b)], s)
    parts = [(float(np.var(v, ddof=1)) * (1 / len(v) + 1), len(v) - 1) for v in (per_a, per_b)]
    variance = sum(v for v, _ in parts)
    df = variance ** 2 / sum(v ** 2 / k for v, k in parts if v > 0) if variance > 0 else 1.0
    half = float(stats.t.ppf(1 - s.alpha, df) * np.sqrt(variance))
    return _equivalence(d.estimate - paper, half, s)


def _equivalence(delta: float, half: float, s: ClaimSettings) -> tuple[str, float, float]:
    lo, hi = delta - half, delta + half
    if -s.tolerance < lo and hi < s.tolerance:
        return REPRODUCED, lo, hi
    if lo > s.tolerance or hi < -s.tolerance:
        return NOT_REPRODUCED, lo, hi
    return INCONCLUSIVE, lo, hi


EFFECT_WORDS = {REPRODUCED: "effect size reproduced (within the tolerance)", NOT_REPRODUCED: "effect size not reproduced",
                INCONCLUSIVE: "effect size inconclusive", TOO_FEW_SEEDS: "too few seeds to compare effect sizes"}


def effect_line(reference: pd.DataFrame, dataset: str, a: str, b: str, d: Difference, s: ClaimSettings,
                memory: set[str] = frozenset(), vary_update: bool = False,
                stated: tuple[float, str] | None = None) -> str:
    """The paper's own difference of A and B on `dataset` (two rows of one table at one
    setting, see reported_pair, or a difference the text states: (value, where)) against
    ours by an equivalence test; or why there is none to compare."""
    pair, why = reported_pair(reference, dataset, a, b, memory, vary_update)
    if pair is not None:
        ra, rb = pair
        paper = float(ra.value - rb.value)
        settings = [f"lambda {_row_lambda(r):g}" if _row_lambda(r) is not None else "" for r in pair]
        source = f"{ra.table}, rows {ra.row}{f' ({settings[0]})' if settings[0] else ''} and {rb.row}" \
                 f"{f' ({settings[1]})' if settings[1] else ''}"
    elif stated is not None:
        paper, source = stated
    else:
        return f"{dataset}: no paper difference to compare with: {why}"
    verdict, lo, hi = effect_equivalence(paper, d, s)
    interval = "" if lo is None else f"; ours - paper [{_signed(lo)}, {_signed(hi)}] (one paper run against our seeds)"
    return (f"{dataset}: paper's difference ({source}): {a} - {b} = {paper:+.3f}; ours {_signed(d.estimate)}"
            f"{interval}: {EFFECT_WORDS[verdict]}")


def reproduction(reported: float, per_seed, s: ClaimSettings) -> tuple[str, float | None, float | None]:
    """(verdict, interval of ours - reported) for a number reported on the test set we score
    on. The paper's number is one training run; ours is the mean of S runs: ours - reported
    varies by sd^2 (1/S + 1) from run to run, sd the spread of our seeds (the paper's own run
    spreads as ours do, or we could not tell). Two one-sided tests at alpha with that
    interval, mean - reported +- t(S - 1) sd sqrt(1/S + 1): inside +-tolerance reproduced,
    wholly outside not reproduced, otherwise inconclusive; fewer than min_seeds seeds: too few."""
    values = [float(v) for v in (per_seed or []) if v is not None and not pd.isna(v)]
    if not values:
        return NOT_TESTED, None, None
    delta = float(np.mean(values)) - reported
    if len(values) < s.min_seeds:
        return TOO_FEW_SEEDS, None, None
    return _equivalence(delta, one_run_spread(values, s), s)


def one_run_spread(per_seed, s: ClaimSettings) -> float:
    """Half-width of a one-sided test at alpha for our mean over S seeds against one run of
    the same training: t(S - 1) x sd x sqrt(1/S + 1)."""
    values = np.asarray(per_seed, dtype=float)
    return float(stats.t.ppf(1 - s.alpha, len(values) - 1) * np.std(values, ddof=1) * np.sqrt(1 / len(values) + 1))


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
