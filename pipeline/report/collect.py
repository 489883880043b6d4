"""Results gathered for the report: every score stage's metrics.json (plus one row per
inference-time ablation), the figure stages' summaries, and the comparison with the
papers' reported numbers (reference_numbers.csv)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.evaluation.metrics import auc
from pipeline.families.lists import MODEL_LISTS
from pipeline.io import read_json
from pipeline.report.evidence import Evidence, Row

REFERENCE_FILE = Path(__file__).with_name("reference_numbers.csv")
# Which AUC a paper reports (column metric_basis says where that is known from): frames of
# all test videos pooled into one ROC curve; unstated; the mean of per-category AUCs (MVTec
# AD); the mean over one-class sets (MNIST / CIFAR-10).
# auc_category: one MVTec AD category's image AUROC (column `category`).
AUC_METRICS = ("auc_pooled", "auc_unstated", "auc_mean_category", "auc_mean_oneclass", "auc_category")
OURS_FOR = {"auc_pooled": "auc_micro", "auc_unstated": "auc_micro", "auc_mean_category": "auc_macro",
            "auc_mean_oneclass": "auc_macro", "auc_category": "auc_macro"}   # like with like (categories: below)
VIDEO_AUCS = ("auc_pooled", "auc_unstated")   # frame-level AUCs on a video benchmark
COST_METRICS = ("seconds_per_frame", "fps", "train_minutes", "train_hours", "weights_mb")  # the cost table's


def reference_numbers(metrics: tuple[str, ...] = AUC_METRICS) -> pd.DataFrame:
    """The papers' reported numbers (reference_numbers.csv) of the given metrics."""
    reference = pd.read_csv(REFERENCE_FILE, dtype={"model": str, "variant": str, "dataset": str})
    reference["variant"] = reference.variant.fillna("")   # "": the model as configured
    return reference[reference.metric.isin(metrics)].reset_index(drop=True)


def current_runs(params: dict) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(the (dataset, model) pairs the model lists name now, the released entries' pairs).
    Results of anything else under runs/ are left over from an earlier configuration (DVC
    keeps outputs of stages that no longer exist) and are never reported."""
    trained = {(d, m) for row in MODEL_LISTS for d in params[row.datasets] for m in params[row.name]}
    released = {(e["dataset"], e["model"]) for entries in params.get("released", {}).values()
                for e in entries.values()}
    return trained, released


def as_configured(results: pd.DataFrame) -> pd.DataFrame:
    """The rows of the trained models as configured (no inference-time ablation)."""
    return results[results.variant == ""]


def _kept(path: Path, depth: int, keep: set | None) -> bool:
    """Whether runs/<kind>/<dataset>/[released/]<model>/<file> belongs to a current run."""
    return keep is None or (path.parents[depth].name, path.parent.name) in keep


def _metrics_row(m: dict, variant: str, aucs: dict, interval: dict | None) -> dict:
    row = {"dataset": m["dataset"], "model": m["model"], "variant": variant, "task": m["task"], "memory": m["memory"],
           "family": m["family"], "score": aucs.get("score", m.get("score", "")),
           "lambda": aucs.get("lambda", m["lambda"]), "seeds": len(m.get("seeds", [0])),
           "checkpoint_epoch": m["checkpoint_epoch"], "auc_micro": aucs["auc_micro"],
           "auc_micro_lo": None, "auc_micro_hi": None,
           "auc_micro_std": aucs.get("auc_micro_std"), "auc_macro": aucs["auc_macro"],
           "auc_macro_lo": None, "auc_macro_hi": None,
           "auc_micro_per_seed": aucs.get("auc_micro_per_seed"), "auc_macro_per_seed": aucs.get("auc_macro_per_seed"),
           "updated_fraction": aucs.get("updated_fraction"), "protocol": m.get("protocol", ""),
           "per_category": m.get("per_category", False), "architecture": m.get("architecture", ""),
           "constant_signal": aucs.get("constant_signal") or {},
           "parameters": m.get("parameters"), "checkpoint_bytes": m.get("checkpoint_bytes")}
    interval = interval or {}
    for metric in ("auc_micro", "auc_macro"):
        if interval.get(metric):
            row[f"{metric}_lo"], row[f"{metric}_hi"] = interval[metric]
    for kind, value in aucs["per_type"].items():
        row[f"auc_{kind}"] = value
        bounds = interval.get(kind) or (None, None)
        row[f"auc_{kind}_lo"], row[f"auc_{kind}_hi"] = bounds
    return row


def collect_results(score_root: Path, keep: set | None = None) -> pd.DataFrame:
    """One row per (dataset, model) in `keep` (None: every one found), variant "", plus one
    per inference-time ablation of a model (variant: the ablation's label)."""
    rows = []
    for path in sorted(p for p in Path(score_root).glob("*/*/metrics.json") if _kept(p, 1, keep)):
        m = read_json(path)
        rows.append(_metrics_row(m, "", m, m.get("interval")))
        for label, ablation in m.get("ablations", {}).items():
            rows.append(_metrics_row(m, label, ablation, ablation.get("interval")))
    if not rows:
        raise FileNotFoundError(f"no metrics.json under {score_root}: run the score stages first")
    return pd.DataFrame(rows)


def collect_figure_summaries(figure_root: Path, keep: set | None = None) -> dict[tuple[str, str], dict]:
    return {(p.parent.parent.name, p.parent.name): read_json(p)
            for p in sorted(Path(figure_root).glob("*/*/summary.json")) if _kept(p, 1, keep)}


def category_aucs(evidence: Evidence | None, dataset: str, row: Row, category: str) -> list[float] | None:
    """One category's AUROC per training seed (the category is a 'video' of the dataset)."""
    frames = evidence.scores(dataset, row) if evidence is not None else None
    if frames is None:
        return None
    mine = frames[frames.video == category]
    values = [auc(g.label, g.score) for _, g in mine.groupby("seed")]
    return [float(v) for v in values if v is not None] or None


def with_reference(results: pd.DataFrame, evidence: Evidence | None = None) -> pd.DataFrame:
    """Each reported AUC beside ours of the same kind (OURS_FOR): pooled frame-level AUC
    (micro) for pooled or unstated ones; DAAD's MVTec AD means of per-category AUROCs against
    our macro AUC (one 'video' per category); per seed where we have seeds. Gathered only:
    pipeline.report.reproduction.reproduction_verdicts judges each row."""
    reference = reference_numbers().rename(columns={"value": "reported"})
    ours = results[["dataset", "model", "variant", "auc_micro", "auc_micro_lo", "auc_micro_hi", "auc_micro_per_seed",
                    "auc_macro", "auc_macro_lo", "auc_macro_hi", "auc_macro_per_seed", "lambda", "checkpoint_epoch",
                    "seeds", "architecture"]]
    merged = reference.merge(ours, on=["dataset", "model", "variant"], how="left")
    metric = merged.metric.map(OURS_FOR)
    for column, suffix in (("ours", ""), ("ours_lo", "_lo"), ("ours_hi", "_hi"), ("per_seed", "_per_seed")):
        merged[column] = [row[f"{m}{suffix}"] for m, (_, row) in zip(metric, merged.iterrows())]
    merged = merged.drop(columns=[f"{m}{s}" for m in ("auc_micro", "auc_macro") for s in ("", "_lo", "_hi", "_per_seed")])
    for i in merged.index[merged.category.fillna("") != ""]:   # one category: from its scores, per seed
        row = Row(merged.at[i, "model"], merged.at[i, "variant"])
        per_seed = category_aucs(evidence, merged.at[i, "dataset"], row, merged.at[i, "category"])
        merged.at[i, "per_seed"] = per_seed
        merged.at[i, "ours"] = float(np.mean(per_seed)) if per_seed else None
        merged.at[i, "ours_lo"] = merged.at[i, "ours_hi"] = None
    for column in ("ours", "ours_lo", "ours_hi"):
        merged[column] = pd.to_numeric(merged[column])
    return merged


def lambda_sweeps(score_root: Path, keep: set | None = None) -> pd.DataFrame:
    rows = []
    for path in sorted(p for p in Path(score_root).glob("*/*/metrics.json") if _kept(p, 1, keep)):
        m = read_json(path)
        for point in m.get("lambda_sweep", []):
            rows.append({"dataset": m["dataset"], "model": m["model"], "used_lambda": m["lambda"], **point})
    return pd.DataFrame(rows, columns=["dataset", "model", "used_lambda", "lambda", "auc_micro"])
