"""The report stage's work: collect every result, judge the claims, write the page, the
tables (CSV, Markdown), summary.json (DVC metrics) and, with Chromium, a screenshot."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd

from pipeline.evaluation.metrics import roc_on_grid
from pipeline.io import atomic_path, read_json, write_csv, write_json
from pipeline.report import provenance
from pipeline.report.browser import screenshot
from pipeline.report.catalogue import CLAIMS
from pipeline.report.collect import (COST_METRICS, as_configured, collect_figure_summaries, collect_results,
                                     lambda_sweeps, reference_numbers, with_reference)
from pipeline.report.evidence import Evidence, Row
from pipeline.report.formatting import cell
from pipeline.report.judging import all_claims
from pipeline.report.released import collect_released, released_table
from pipeline.report.render import Inputs, render
from pipeline.report.reproduction import reproduction_verdicts
from pipeline.report.verdicts import ClaimSettings
from pipeline.report.view import results_table


def build_report(score_root: Path, figure_root: Path, out_dir: Path, settings: ClaimSettings, provenance_settings: dict,
                 take_screenshot: bool = True, toy_root: Path | None = None,
                 runs: tuple[set, set] | None = None) -> dict:
    """Write the page and its tables; returns {"metrics": summary.json's content (what DVC
    tracks as metrics: AUC micro and macro per dataset and model, nothing else, so `dvc exp
    show` stays readable), "verdicts": verdicts.json's}. `runs`: the (dataset, model) pairs
    trained and released in this configuration (collect.current_runs); None reports every
    result found."""
    trained, released_runs = runs if runs is not None else (None, None)
    results = collect_results(score_root, trained)
    summaries = collect_figure_summaries(figure_root, trained)
    memory = {key: s["memory"] for key, s in summaries.items() if "memory" in s}
    evidence = Evidence(score_root, figure_root)
    comparison = reproduction_verdicts(with_reference(results, evidence), settings)
    toy = read_json(toy_root / "daad" / "pattern.json") if toy_root and (toy_root / "daad" / "pattern.json").exists() else None
    reference = reference_numbers()
    verdicts = all_claims(CLAIMS, results, memory, evidence, reference, settings, toy)
    sweeps = lambda_sweeps(score_root, trained)
    released = collect_released(score_root, released_runs)
    weights = released_table(released, results, reference, settings)
    out_dir.mkdir(parents=True, exist_ok=True)
    table = results_table(results)
    write_csv(out_dir / "auc_table.csv", results)
    write_csv(out_dir / "reference_comparison.csv", comparison)
    write_csv(out_dir / "lambda_sweep.csv", sweeps)
    write_csv(out_dir / "released_weights.csv", weights)
    write_plot_data(out_dir / PLOTS, results, evidence, sweeps)
    with atomic_path(out_dir / "auc_table.md") as tmp:
        tmp.write_text(_markdown(table))
    with atomic_path(out_dir / "index.html") as tmp:
        tmp.write_text(render(Inputs(results, comparison, verdicts, sweeps, figure_root, summaries, provenance_settings,
                                     settings, toy_root, weights, reference_numbers(COST_METRICS))))
    provenance.write_timings_script(out_dir / provenance.TIMINGS_SCRIPT, provenance.wall_times())
    metrics: dict = {}
    for r in as_configured(results).itertuples():
        metrics.setdefault(r.dataset, {})[r.model] = {"micro": _rounded(r.auc_micro), "macro": _rounded(r.auc_macro)}
    for r in released.itertuples():
        metrics.setdefault(r.dataset, {})[f"{r.model}@released"] = {"micro": _rounded(r.auc)}
    summary = {"metrics": metrics, "verdicts": [v.to_json() for v in verdicts]}
    write_json(out_dir / "summary.json", summary["metrics"])
    write_json(out_dir / "verdicts.json", summary["verdicts"])
    shot = out_dir / "screenshot.png"
    shot.unlink(missing_ok=True)  # never leave a stale picture of an older report
    if take_screenshot and not screenshot(out_dir / "index.html", shot):
        print("no Chromium found: reports/screenshot.png not written (install Debian package `chromium`)")
    return summary


PLOTS = "plots"  # reports/plots/{roc,lambda}/<dataset>_<model>.csv: DVC plots (dvc plots diff between experiments)


def write_plot_data(folder: Path, results: pd.DataFrame, evidence: Evidence, sweeps: pd.DataFrame) -> None:
    """Per trained model, its pooled ROC (first seed, on a fixed FPR grid) and, for memory
    models, AUC against lambda: one CSV each, written to a fresh folder that then replaces
    the old one (no stale file of a model no longer run)."""
    tmp = folder.with_name(f".{folder.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    for r in as_configured(results).itertuples():
        frames = evidence.scores(r.dataset, Row(r.model))
        if frames is None:
            continue
        frames = frames[frames.seed == frames.seed.iloc[0]]
        fpr, tpr = roc_on_grid(frames.label.to_numpy(), frames.score.to_numpy())
        write_csv(tmp / "roc" / f"{r.dataset}_{r.model}.csv", pd.DataFrame({"fpr": fpr, "tpr": tpr.round(6)}))
    for (dataset, model), group in sweeps.groupby(["dataset", "model"]):
        write_csv(tmp / "lambda" / f"{dataset}_{model}.csv", group[["lambda", "auc_micro"]].sort_values("lambda"))
    for kind in ("roc", "lambda"):
        (tmp / kind).mkdir(parents=True, exist_ok=True)
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)


def _rounded(value) -> float | None:
    """4 decimals: what the page shows and DVC compares (a column per number in `dvc exp show`)."""
    return None if value is None or pd.isna(value) else round(float(value), 4)


def _markdown(frame: pd.DataFrame) -> str:
    header = "| " + " | ".join(frame.columns) + " |\n|" + "---|" * len(frame.columns) + "\n"
    return header + "".join("| " + " | ".join(cell(v) for v in row) + " |\n" for row in frame.itertuples(index=False))
