"""The report stage's work: collect every result, judge the claims, write the page, the
tables (CSV, Markdown), summary.json (DVC metrics) and, with Chromium, a screenshot."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.io import atomic_path, read_json, write_csv, write_json
from pipeline.report import provenance
from pipeline.report.browser import screenshot
from pipeline.report.claims import all_claims
from pipeline.report.collect import (REFERENCE_FILE, Evidence, collect_figure_summaries, collect_results,
                                     compare_with_reference, lambda_sweeps)
from pipeline.report.verdicts import ClaimSettings
from pipeline.report.render import _cell, render, results_table


def build_report(score_root: Path, figure_root: Path, out_dir: Path, settings: ClaimSettings, provenance_settings: dict,
                 take_screenshot: bool = True, toy_root: Path | None = None) -> dict:
    """Write the page and its tables; returns summary.json's content."""
    results = collect_results(score_root)
    summaries = collect_figure_summaries(figure_root)
    memory = {key: s["memory"] for key, s in summaries.items() if "memory" in s}
    comparison = compare_with_reference(results, settings)
    toy = read_json(toy_root / "daad" / "pattern.json") if toy_root and (toy_root / "daad" / "pattern.json").exists() else None
    reference = pd.read_csv(REFERENCE_FILE, dtype={"model": str})
    verdicts = all_claims(results, memory, Evidence(score_root, figure_root), reference, settings, toy)
    sweeps = lambda_sweeps(score_root)
    out_dir.mkdir(parents=True, exist_ok=True)
    table = results_table(results)
    write_csv(out_dir / "auc_table.csv", results)
    write_csv(out_dir / "reference_comparison.csv", comparison)
    write_csv(out_dir / "lambda_sweep.csv", sweeps)
    with atomic_path(out_dir / "auc_table.md") as tmp:
        tmp.write_text(_markdown(table))
    with atomic_path(out_dir / "index.html") as tmp:
        tmp.write_text(render(results, comparison, verdicts, sweeps, figure_root, summaries, provenance_settings, settings,
                              toy_root))
    provenance.write_timings_script(out_dir / provenance.TIMINGS_SCRIPT, provenance.wall_times())
    summary = {f"{r.dataset}/{r.model}": {"auc_micro": r.auc_micro, "auc_macro": r.auc_macro}
               for r in results.itertuples() if "(" not in r.model}
    summary["verdicts"] = {f"{v.paper}: {v.claim}": v.verdict for v in verdicts}
    write_json(out_dir / "summary.json", summary)
    shot = out_dir / "screenshot.png"
    shot.unlink(missing_ok=True)  # never leave a stale picture of an older report
    if take_screenshot and not screenshot(out_dir / "index.html", shot):
        print("no Chromium found: reports/screenshot.png not written (install Debian package `chromium`)")
    return summary


def _markdown(frame: pd.DataFrame) -> str:
    header = "| " + " | ".join(frame.columns) + " |\n|" + "---|" * len(frame.columns) + "\n"
    return header + "".join("| " + " | ".join(_cell(v) for v in row) + " |\n" for row in frame.itertuples(index=False))
