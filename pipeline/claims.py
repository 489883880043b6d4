"""Claims under audit and the rules that turn measured AUCs into verdicts.

A verdict is one of SUPPORTED, NOT_SUPPORTED, NOT_TESTED; each carries the evidence
(numbers) and the rule used, so the report can show why.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

SUPPORTED, NOT_SUPPORTED, NOT_TESTED = "supported", "not supported", "not tested yet"
MNAD_MAIN = ("pred_mem", "pred", "recon_mem", "recon")  # MNAD Table 1 rows


@dataclass
class Verdict:
    paper: str
    claim: str
    verdict: str
    rule: str
    evidence: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ClaimSettings:
    tolerance: float = 0.03           # AUC points for "reproduced within"
    detect_auc: float = 0.80          # "detects" = AUC at least this
    clear_margin: float = 0.15        # "clearly lower" = at least this far below


def _fmt(value) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{value:.3f}"


def synthetic_temporal_claim(results: pd.DataFrame, s: ClaimSettings) -> Verdict:
    """Report sec. 5: prediction catches temporal anomalies, reconstruction does not."""
    rule = (f"every prediction model reaches temporal AUC >= {s.detect_auc:.2f} and every reconstruction "
            f"model stays at least {s.clear_margin:.2f} below the weakest prediction model (pooled AUC, synthetic set)")
    claim = "Prediction detects temporal anomalies; reconstruction does not (report sec. 5, synthetic dataset)."
    rows = results[(results.dataset == "synthetic") & results.model.isin(MNAD_MAIN) & results.auc_temporal.notna()]
    pred, recon = rows[rows.task == "prediction"], rows[rows.task == "reconstruction"]
    if pred.empty or recon.empty:
        return Verdict("report", claim, NOT_TESTED, rule, ["needs prediction and reconstruction models on the synthetic dataset"])
    evidence = [f"{r.model}: temporal AUC {_fmt(r.auc_temporal)}" for r in rows.itertuples()]
    ok = pred.auc_temporal.min() >= s.detect_auc and recon.auc_temporal.max() <= pred.auc_temporal.min() - s.clear_margin
    return Verdict("report", claim, SUPPORTED if ok else NOT_SUPPORTED, rule, evidence)


def memory_helps_claim(results: pd.DataFrame, s: ClaimSettings, benchmarks=("ped2", "avenue", "shanghaitech")) -> Verdict:
    """MNAD claim 1 (report sec. 2): the memory module improves AUC, both tasks, all datasets."""
    claim = "The memory module improves AUC for both tasks on Ped2, Avenue and ShanghaiTech (MNAD sec. 4.2, Table 1)."
    rule = f"on every benchmark present, each memory variant's pooled AUC is at least its memory-free twin's minus {s.tolerance:.2f}"
    evidence, ok, tested = [], True, False
    for dataset in benchmarks:
        for with_mem, without in (("pred_mem", "pred"), ("recon_mem", "recon")):
            a = results[(results.dataset == dataset) & (results.model == with_mem)]
            b = results[(results.dataset == dataset) & (results.model == without)]
            if a.empty or b.empty:
                continue
            tested = True
            x, y = a.auc_micro.iloc[0], b.auc_micro.iloc[0]
            evidence.append(f"{dataset}: {with_mem} {_fmt(x)} vs {without} {_fmt(y)}")
            ok &= x is not None and y is not None and x >= y - s.tolerance
    if not tested:
        return Verdict("MNAD", claim, NOT_TESTED, rule, ["no real benchmark prepared (datasets param)"])
    return Verdict("MNAD", claim, SUPPORTED if ok else NOT_SUPPORTED, rule, evidence)


def reproduction_verdicts(comparison: pd.DataFrame, s: ClaimSettings) -> pd.DataFrame:
    """Per reported number: reproduced if |ours - reported| <= tolerance."""
    out = comparison.copy()
    out["delta"] = out.ours - out.reported
    out["verdict"] = [NOT_TESTED if pd.isna(o) else (SUPPORTED if abs(d) <= s.tolerance else NOT_SUPPORTED)
                      for o, d in zip(out.ours, out.delta)]
    return out
