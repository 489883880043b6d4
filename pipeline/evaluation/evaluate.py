"""One model's inference outputs (one folder per training seed) -> per-frame scores and AUC
metrics: mean and standard deviation over seeds, an interval over test videos and seeds,
and what the family's ScorePlan (pipeline.evaluation.plan) asks for besides: inference-time
ablations that need no retraining, a sweep of a two-term score's weight."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.artifacts import FRAMES, seed_of
from pipeline.evaluation.metrics import anomaly_kinds, frame_aucs, rank_auc, type_subset
from pipeline.evaluation.paired import LEVEL, auc_estimate, runs_from_frames
from pipeline.evaluation.scores import LOW_IS_ABNORMAL, constant_videos, weighted_score
from pipeline.evaluation.plan import ScorePlan

SCORE_COLUMNS = ["seed", "video", "frame", "label", "anomaly_type", "score"]
ABLATION_PREFIX = "score:"  # scores.csv column of each inference-time ablation's score
LAMBDA_GRID = np.round(np.linspace(0.0, 1.0, 21), 2)


def describe_terms(terms: dict[str, float]) -> str:
    """{psnr: 0.6, distance: 0.4} -> '0.6 (1 - g(psnr)) + 0.4 g(distance)'."""
    parts = []
    for column, weight in terms.items():
        term = f"(1 - g({column}))" if column in LOW_IS_ABNORMAL else f"g({column})"
        parts.append(term if weight == 1 else f"{weight:g} {term}")
    return " + ".join(parts)


def protocol(scored_frames: str, normalisation: str, per_category: bool = False) -> str:
    """The evaluation protocol printed next to every AUC (the report's caption spells the
    terms out). scored_frames: which frames the family scores (its inference says)."""
    if per_category:
        scaling = "per-category min-max" if normalisation == "per_video" else "global min-max"
        return f"every test image, {scaling}, one model per category (macro = mean per-category AUC)"
    scaling = "per-video min-max" if normalisation == "per_video" else "global min-max"
    return f"{scored_frames}, {scaling}"


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"video": str, "anomaly_type": str})


def _mean_metrics(per_seed: list[dict]) -> dict:
    """Average AUC fields over seeds (None stays None if any seed is undefined)."""
    def mean(values):
        return None if any(v is None for v in values) else float(np.mean(values))
    out = {k: mean([m[k] for m in per_seed]) for k in ("auc_micro", "auc_macro")}
    out["per_type"] = {k: mean([m["per_type"][k] for m in per_seed]) for k in per_seed[0]["per_type"]}
    out.update({k: per_seed[0][k] for k in ("videos_in_macro", "videos", "frames")})
    return out


def _bounds(frames: pd.DataFrame, macro: bool, level: float) -> list[float] | None:
    e = auc_estimate(runs_from_frames(frames), macro, level)
    return None if e.lo is None else [e.lo, e.hi]


def _intervals(table: pd.DataFrame, level: float) -> dict:
    """The interval of every AUC the report shows for this model, over test videos and seeds
    (pipeline.evaluation.paired: the same estimate the verdicts use)."""
    ci = {"auc_micro": _bounds(table, False, level), "auc_macro": _bounds(table, True, level)}
    for kind in anomaly_kinds(table):
        ci[kind] = _bounds(type_subset(table, kind), False, level)
    return ci


def weight_sweep(frames_per_seed: list[pd.DataFrame], pair: tuple[str, str], normalisation: str) -> list[dict]:
    """Pooled AUC (mean over seeds) of {a: l, b: 1 - l} for l on a grid, from the stored
    signals: no re-inference. Any weight chosen from this curve is tuned on the test set."""
    a, b = pair
    rows = []
    for lam in LAMBDA_GRID:
        terms = {a: float(lam), b: 1.0 - float(lam)}
        aucs = [rank_auc(f.label.to_numpy(), weighted_score(f, terms, normalisation)) for f in frames_per_seed]
        rows.append({"lambda": float(lam), "auc_micro": None if None in aucs else float(np.mean(aucs))})
    return rows


def evaluate(folders: list[Path], plan: ScorePlan, level: float = LEVEL) -> tuple[pd.DataFrame, dict]:
    """`folders`: one inference output per training seed (pipeline.artifacts.seed_dir). Returns
    the per-frame scores of every seed (the configured score, and one `score:<label>` column
    per ablation, which the report's paired comparisons resample) and the metrics."""
    frames = [_read(d / FRAMES) for d in folders]
    scored = [f.assign(score=weighted_score(f, plan.terms, plan.normalisation)) for f in frames]
    per_seed = [frame_aucs(f) for f in scored]
    micro = [m["auc_micro"] for m in per_seed]
    metrics = {"lambda": plan.lam, "score": describe_terms(plan.terms), "score_terms": plan.terms,
               "normalisation": plan.normalisation, "test_time_update": plan.test_time_update,
               "memory_term": plan.lam is not None, **_mean_metrics(per_seed),
               "seeds": [seed_of(d) for d in folders],
               "auc_micro_per_seed": micro, "auc_macro_per_seed": [m["auc_macro"] for m in per_seed],
               "auc_micro_std": None if None in micro else float(np.std(micro)),
               "ablations": {}, **plan.extra}
    if "updated" in frames[0]:
        metrics["updated_fraction"] = float(np.mean([f.updated.mean() for f in frames]))
    if plan.normalisation == "per_video":   # videos a term cannot rank (constant signal), any seed
        flat = [constant_videos(f, plan.terms) for f in frames]
        metrics["constant_signal"] = {c: sorted(set().union(*(f.get(c, []) for f in flat)))
                                      for c in plan.terms if any(c in f for f in flat)}
    if plan.sweep is not None:
        metrics["lambda_sweep"] = weight_sweep(frames, plan.sweep, plan.normalisation)
    table = pd.concat([f[SCORE_COLUMNS[1:]].assign(seed=metrics["seeds"][i]) for i, f in enumerate(scored)],
                      ignore_index=True)[SCORE_COLUMNS]
    metrics["interval"] = {"level": level, "method": "t over test videos (jackknife) and seeds",
                           **_intervals(table, level)}
    for ablation in plan.ablations:
        others = frames if ablation.frames_file == FRAMES else [_read(d / ablation.frames_file) for d in folders]
        ablated = [o.assign(score=weighted_score(o, ablation.terms, plan.normalisation)) for o in others]
        metrics["ablations"][ablation.label] = {**_mean_metrics([frame_aucs(o) for o in ablated]),
                                                "lambda": ablation.lam, "score": describe_terms(ablation.terms)}
        if "updated" in others[0]:
            metrics["ablations"][ablation.label]["updated_fraction"] = float(np.mean([o.updated.mean() for o in others]))
        keys = ["video", "frame"]
        for i, o in enumerate(ablated):  # the same frames as the configured score: paired by (seed, video, frame)
            if not o[keys].equals(scored[i][keys]):
                raise ValueError(f"{folders[i] / ablation.frames_file}: other frames than {FRAMES}; re-run inference")
        table[ABLATION_PREFIX + ablation.label] = np.concatenate([o.score.to_numpy() for o in ablated])
        metrics["ablations"][ablation.label]["interval"] = _intervals(
            table.assign(score=table[ABLATION_PREFIX + ablation.label]), level)
    return table, metrics
