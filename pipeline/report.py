"""The audit page: reports/index.html, generated only from pipeline outputs.

Inputs: runs/score/<dataset>/<model>/metrics.json and runs/figures/<dataset>/<model>/*.png.
Images are embedded (base64), so the page is one self-contained file that works offline.
"""
from __future__ import annotations

import base64
import datetime as _dt
import html
import platform
import subprocess
from pathlib import Path

import pandas as pd

from pipeline.claims import ClaimSettings, Verdict, memory_helps_claim, reproduction_verdicts, synthetic_temporal_claim
from pipeline.io import atomic_path, read_json, write_csv, write_json

REFERENCE_FILE = Path(__file__).with_name("reference_numbers.csv")

FIGURE_CAPTIONS = {
    "memory_usage.png": "Share of test queries whose nearest item is each memory item. Look for: how many items are used "
                        "at all, and how lopsided the use is (report Fig. 2 and 4 found 6, 9 and 1 used items).",
    "tsne.png": "openTSNE of sampled test queries (dots, coloured by nearest item) and memory items (stars). Look for: "
                "separate clusters around distinct items (MNAD Fig. 6) versus one blob.",
    "roc.png": "Frame-level ROC, pooled over videos, and per anomaly type. Look for: the temporal curve near the diagonal "
               "means the model cannot see speed anomalies.",
    "timelines.png": "Abnormality score per frame (black) with abnormal ground truth shaded red. Look for: score peaks "
                     "inside the shaded spans.",
    "loss.png": "Training losses per epoch (log scale). Look for: convergence, and the separateness loss staying flat "
                "when items collapse.",
}


def collect_results(score_root: Path) -> pd.DataFrame:
    rows = []
    for path in sorted(Path(score_root).glob("*/*/metrics.json")):
        m = read_json(path)
        rows.append(_result_row(m, m["model"], m))
        # inference-time ablations of the same trained model (MNAD Table 2)
        for label, ablation in m.get("ablations", {}).items():
            rows.append(_result_row(m, f"{m['model']} ({label})", ablation))
    if not rows:
        raise FileNotFoundError(f"no metrics.json under {score_root}: run the score stages first")
    results = pd.DataFrame(rows)
    # Models without memory have no lambda: say so instead of leaving NaN in the table.
    results["lambda"] = [f"{v:g}" if v is not None and not pd.isna(v) else "PSNR only" for v in results["lambda"]]
    if "auc_temporal" not in results:
        results["auc_temporal"] = None
    return results


def _result_row(m: dict, model: str, aucs: dict) -> dict:
    row = {"dataset": m["dataset"], "model": model, "task": m["task"], "memory": m["memory"], "lambda": m["lambda"],
           "normalisation": m["normalisation"], "checkpoint_epoch": m["checkpoint_epoch"],
           **{k: aucs[k] for k in ("auc_micro", "auc_macro", "frames", "videos")}}
    if "PSNR-only" in model:
        row["lambda"] = None
    for kind, value in aucs["per_type"].items():
        row[f"auc_{kind}"] = value
    return row


def compare_with_reference(results: pd.DataFrame, settings: ClaimSettings) -> pd.DataFrame:
    reference = pd.read_csv(REFERENCE_FILE)
    merged = reference.merge(results[["dataset", "model", "auc_micro"]].rename(columns={"auc_micro": "ours"}),
                             on=["dataset", "model"], how="left").rename(columns={"value": "reported"})
    return reproduction_verdicts(merged, settings)


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(path.stem)}">'


def _table(frame: pd.DataFrame) -> str:
    def cell(v):
        if isinstance(v, float):
            return "n/a" if pd.isna(v) else f"{v:.3f}"
        return "n/a" if v is None else html.escape(str(v))
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>" for row in frame.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _verdict_html(v: Verdict) -> str:
    cls = v.verdict.replace(" ", "-")
    evidence = "".join(f"<li>{html.escape(e)}</li>" for e in v.evidence)
    return (f'<div class="claim"><span class="verdict {cls}">{html.escape(v.verdict)}</span> '
            f'<b>{html.escape(v.paper)}:</b> {html.escape(v.claim)}<br><small>Rule: {html.escape(v.rule)}</small>'
            f"<ul>{evidence}</ul></div>")


def _provenance() -> dict:
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        rev = ""
    import torch
    return {"git revision": rev or "unknown", "generated": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "python": platform.python_version(), "torch": torch.__version__, "machine": platform.machine(),
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"}


STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .5em;text-align:right}
th{background:#f3f3f3}td:first-child,td:nth-child(2){text-align:left}
.claim{margin:.6em 0;padding:.5em .8em;background:#fafafa;border-left:4px solid #bbb}
.verdict{font-weight:bold;padding:.1em .4em;border-radius:3px;color:#fff}
.supported{background:#2e7d32}.not-supported{background:#c62828}.not-tested-yet{background:#757575}
figure{display:inline-block;vertical-align:top;margin:.5em;max-width:48%}figure img{max-width:100%}
figcaption{font-size:.8em;color:#555}.model{margin-top:1.5em}small{color:#555}
"""


def render(results: pd.DataFrame, comparison: pd.DataFrame, verdicts: list[Verdict], figure_root: Path,
           settings: ClaimSettings) -> str:
    table = results.drop(columns=["task", "frames", "videos"]).sort_values(["dataset", "model"])
    tested = comparison[comparison.verdict != "not tested yet"]
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>memaudit report</title>"
             f"<meta name='viewport' content='width=device-width, initial-scale=1'><style>{STYLE}</style></head><body>",
             "<h1>memaudit: reproducibility audit of memory-augmented video anomaly detection</h1>",
             "<h2>Summary: claims and verdicts</h2>",
             f"<p>Tolerance for reproducing a reported AUC: {settings.tolerance:.2f} (AUC points).</p>",
             *[_verdict_html(v) for v in verdicts],
             "<h2>Results: frame-level AUC per dataset and model</h2>",
             "<p>auc_micro: all frames of all test videos pooled into one ROC (the official MNAD evaluation). "
             "auc_macro: mean of per-video AUCs. auc_&lt;type&gt;: pooled AUC over the videos holding that anomaly type. "
             "Scores are min-max normalised per video (MNAD eq. 17); prediction models score from the 5th frame on.</p>",
             _table(table),
             "<h2>Ours versus reported numbers</h2>",
             _table(tested[["paper", "source", "dataset", "model", "reported", "ours", "delta", "verdict"]]) if len(tested)
             else "<p>No dataset with reported numbers (Ped2, Avenue, ShanghaiTech) is prepared yet, so no reported "
                  f"number is tested; {len(comparison)} reference numbers are waiting (see README, adding datasets).</p>",
             "<h2>Per model</h2>"]
    for row in table.itertuples():
        folder = figure_root / row.dataset / row.model
        if not folder.is_dir():  # ablation rows share their model's figures
            continue
        figures = "".join(f"<figure>{_img(folder / name)}<figcaption>{html.escape(caption)}</figcaption></figure>"
                          for name, caption in FIGURE_CAPTIONS.items() if (folder / name).exists())
        parts.append(f"<div class='model'><h3>{html.escape(row.dataset)} / {html.escape(row.model)}</h3>{figures}</div>")
    prov = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(str(v))}</td></tr>" for k, v in _provenance().items())
    parts += ["<h2>Provenance</h2>", f"<table>{prov}</table>", "</body></html>"]
    return "\n".join(parts)


def build_report(score_root: Path, figure_root: Path, out_dir: Path, settings: ClaimSettings) -> dict:
    results = collect_results(score_root)
    comparison = compare_with_reference(results, settings)
    verdicts = [synthetic_temporal_claim(results, settings), memory_helps_claim(results, settings)]
    out_dir.mkdir(parents=True, exist_ok=True)
    write_csv(out_dir / "auc_table.csv", results)
    with atomic_path(out_dir / "auc_table.md") as tmp:
        tmp.write_text(results.to_markdown(index=False) if _has_tabulate() else results.to_string(index=False))
    with atomic_path(out_dir / "index.html") as tmp:
        tmp.write_text(render(results, comparison, verdicts, figure_root, settings))
    summary = {f"{r.dataset}/{r.model}": {"auc_micro": r.auc_micro, "auc_macro": r.auc_macro} for r in results.itertuples()}
    summary["verdicts"] = {v.claim: v.verdict for v in verdicts}
    write_json(out_dir / "summary.json", summary)
    return summary


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
        return True
    except ImportError:
        return False
