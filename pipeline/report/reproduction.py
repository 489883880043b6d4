"""Reported numbers against ours: a paper's number is one training run, ours the mean of S
runs, judged by an equivalence test within +-tolerance (reproduction); a paper's own
difference between two models, two rows of one table at one setting (reported_pair),
against ours the same way (effect_line); released weights by a point check."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from pipeline.evaluation.paired import Difference
from pipeline.families.mnad.spec import WITHOUT_UPDATE
from pipeline.report.evidence import Row
from pipeline.report.formatting import row_name, signed
from pipeline.report.verdicts import (INCONCLUSIVE, NOT_REPRODUCED, NOT_TESTED, REPRODUCED, TOO_FEW_SEEDS,
                                      ClaimSettings)


def _updates(row: pd.Series) -> bool:
    return row.variant != WITHOUT_UPDATE


def _row_lambda(row: pd.Series) -> float | None:
    value = row.get("reported_lambda")
    return None if value is None or pd.isna(value) else float(value)


def _pair_problem(ra: pd.Series, rb: pd.Series, memory: set[str], vary_update: bool) -> str | None:
    """Why two rows of one table are not the paper's own comparison of A and B at one
    setting, or None: both scored at one lambda (a model without memory has none; two rows of
    one model may both leave it unstated), at one test-time-update setting unless the claim
    is about that setting, and then the same model."""
    if _updates(ra) != _updates(rb) and not vary_update:
        return f"its rows differ in the test-time update ({ra.row} / {rb.row})"
    if vary_update and ra.model != rb.model:
        return f"its rows differ in more than the test-time update ({ra.row} / {rb.row}): confounded"
    la, lb = _row_lambda(ra), _row_lambda(rb)
    with_memory = [(row_name(r.model, r.variant), lam) for r, lam in ((ra, la), (rb, lb)) if r.model in memory]
    if len(with_memory) == 2 and la is None and lb is None and ra.model == rb.model:
        return None   # one model, one table, its lambda unstated in both rows
    unstated = [name for name, lam in with_memory if lam is None]
    if unstated:
        return f"it states no lambda for {', '.join(unstated)}"
    if len(with_memory) == 2 and la != lb:
        return f"its rows are at lambda {la:g} and {lb:g}"
    return None


def reported_pair(reference: pd.DataFrame, dataset: str, a: Row, b: Row, memory: set[str] = frozenset(),
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
        for _, ra in in_table[(in_table.model == a.model) & (in_table.variant == a.variant)].iterrows():
            for _, rb in in_table[(in_table.model == b.model) & (in_table.variant == b.variant)].iterrows():
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


def effect_line(reference: pd.DataFrame, dataset: str, a: Row, b: Row, d: Difference, s: ClaimSettings,
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
    interval = "" if lo is None else f"; ours - paper [{signed(lo)}, {signed(hi)}] (one paper run against our seeds)"
    return (f"{dataset}: paper's difference ({source}): {a} - {b} = {paper:+.3f}; ours {signed(d.estimate)}"
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
