"""One model's inference outputs (one folder per training seed) -> per-frame scores and
AUC metrics: mean and standard deviation over seeds, a bootstrap interval over test
videos, the lambda sweep, and the inference-time ablations of MNAD Table 2 / report
Tables 6-7 that need no retraining (test-time update switched the other way; PSNR-only
score)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.artifacts import FRAMES, alternate_update_file, seed_dirs
from pipeline.metrics import anomaly_kinds, bootstrap_auc_interval, frame_aucs, rank_auc, type_subset
from pipeline.scoring import LOW_IS_ABNORMAL, abnormality_score, weighted_score

SCORE_COLUMNS = ["video", "frame", "label", "anomaly_type", "score"]
LAMBDA_GRID = np.round(np.linspace(0.0, 1.0, 21), 2)


def protocol(task: str, normalisation: str, clip_length: int | None = None, per_category: bool = False) -> str:
    """The evaluation protocol, printed next to every AUC in the report (the table's
    caption spells the terms out). clip_length: models scoring the centre of a clip;
    per_category: image sets whose "videos" are categories, one model each."""
    if per_category:
        scaling = "per-category min-max" if normalisation == "per_video" else "global min-max"
        return f"every test image, {scaling}, one model per category (macro = mean per-category AUC)"
    if clip_length:
        frames = f"frames {clip_length // 2 + 1}..T-{clip_length // 2 - 1}"
    else:
        frames = "frames 5..T" if task == "prediction" else "all frames"
    scaling = "per-video min-max" if normalisation == "per_video" else "global min-max"
    return f"{frames}, {scaling}"


def describe_terms(terms: dict[str, float]) -> str:
    """{psnr: 0.6, distance: 0.4} -> '0.6 (1 - g(psnr)) + 0.4 g(distance)'."""
    parts = []
    for column, weight in terms.items():
        term = f"(1 - g({column}))" if column in LOW_IS_ABNORMAL else f"g({column})"
        parts.append(term if weight == 1 else f"{weight:g} {term}")
    return " + ".join(parts)


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"video": str, "anomaly_type": str})


def _per_video(frames: pd.DataFrame) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(g.label.to_numpy(), g.score.to_numpy()) for _, g in frames.groupby("video", sort=True)]


def _mean_metrics(per_seed: list[dict]) -> dict:
    """Average AUC fields over seeds (None stays None if any seed is undefined)."""
    def mean(values):
        return None if any(v is None for v in values) else float(np.mean(values))
    out = {k: mean([m[k] for m in per_seed]) for k in ("auc_micro", "auc_macro")}
    out["per_type"] = {k: mean([m["per_type"][k] for m in per_seed]) for k in per_seed[0]["per_type"]}
    out.update({k: per_seed[0][k] for k in ("videos_in_macro", "videos", "frames")})
    return out


def _intervals(scored: list[pd.DataFrame], resamples: int, seed: int) -> dict:
    ci = {"auc_micro": bootstrap_auc_interval([_per_video(f) for f in scored], resamples, seed)}
    for kind in anomaly_kinds(scored[0]):
        ci[kind] = bootstrap_auc_interval([_per_video(type_subset(f, kind)) for f in scored], resamples, seed)
    return ci


def lambda_sweep(frames_per_seed: list[pd.DataFrame], normalisation: str) -> list[dict]:
    """Pooled AUC (mean over seeds) for lambda on a grid, from stored PSNR and distances:
    no re-inference. Any lambda chosen from this curve is tuned on the test set."""
    rows = []
    for lam in LAMBDA_GRID:
        aucs = [rank_auc(f.label.to_numpy(), abnormality_score(f, float(lam), normalisation)) for f in frames_per_seed]
        rows.append({"lambda": float(lam), "auc_micro": None if None in aucs else float(np.mean(aucs))})
    return rows


def evaluate(infer_dir: str | Path, lam: float | None, normalisation: str, memory_term: bool,
             test_time_update: bool | None, bootstrap: int = 500, bootstrap_seed: int = 0,
             terms: dict[str, float] | None = None) -> tuple[pd.DataFrame, dict]:
    """MNAD family: lam is the eq. 16 weight (None: model without memory), memory_term says
    whether the configured score uses the distance term, test_time_update what inference
    ran with (None: no memory). Other families pass `terms` (signal -> weight) instead.
    Returns the first seed's per-frame scores and the metrics."""
    folders = seed_dirs(infer_dir)
    used_lambda = lam if memory_term and terms is None else None
    if terms is None:
        terms = {"psnr": 1.0} if used_lambda is None else {"psnr": used_lambda, "distance": 1.0 - used_lambda}
    frames = [_read(d / FRAMES) for d in folders]
    scored = [f.assign(score=weighted_score(f, terms, normalisation)) for f in frames]
    per_seed = [frame_aucs(f) for f in scored]
    micro = [m["auc_micro"] for m in per_seed]
    metrics = {"lambda": used_lambda, "score": describe_terms(terms), "score_terms": terms,
               "normalisation": normalisation, "test_time_update": test_time_update,
               "memory_term": used_lambda is not None, **_mean_metrics(per_seed),
               "seeds": [int(d.name.split("_")[1]) for d in folders],
               "auc_micro_per_seed": micro,
               "auc_micro_std": None if None in micro else float(np.std(micro)),
               "interval": {"level": 0.95, "resamples": bootstrap, **_intervals(scored, bootstrap, bootstrap_seed)},
               "ablations": {}}
    if "updated" in frames[0]:
        metrics["updated_fraction"] = float(np.mean([f.updated.mean() for f in frames]))
    if lam is not None and test_time_update is not None:
        metrics["lambda_sweep"] = lambda_sweep(frames, normalisation)
        others = [_read(d / alternate_update_file(test_time_update)) for d in folders]
        label = "without test-time update" if test_time_update else "with test-time update"
        metrics["ablations"][label] = _mean_metrics(
            [frame_aucs(o.assign(score=abnormality_score(o, used_lambda, normalisation))) for o in others])
        swapped = None if memory_term else lam
        metrics["ablations"]["PSNR-only score" if memory_term else "PSNR + memory distance score"] = _mean_metrics(
            [frame_aucs(f.assign(score=abnormality_score(f, swapped, normalisation))) for f in frames])
    return scored[0][SCORE_COLUMNS], metrics
