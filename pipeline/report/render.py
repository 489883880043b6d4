"""The audit page, reports/index.html, rendered only from pipeline outputs (collected by
pipeline.report.collect). Images are embedded (base64), so the page is one self-contained
file that works offline; the one side file, timings.js, carries the run's wall times
(pipeline.report.provenance).
"""
from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline import plots
from pipeline.report import provenance
from pipeline.report.browser import SELF_CHECK_SCRIPT
from pipeline.report.verdicts import OUTCOMES, ClaimSettings, Verdict, fmt
from pipeline.report.implementations import IMPLEMENTATION_NOTES

FIGURE_CAPTIONS = {
    "roc.png": "Frame-level ROC, pooled over videos, and per anomaly type. Look for: a curve on the diagonal means the "
               "model cannot see that kind of anomaly.",
    "timelines.png": "Abnormality score per frame (black) with abnormal ground truth shaded red. Look for: peaks inside "
                     "the shaded spans, and flat scores outside them.",
    "heatmaps.png": "The abnormal frames the model predicts worst (MNAD Fig. 4): frame, squared prediction error, and the "
                    "pixels whose error exceeds the frame's mean in red. Look for: red on the abnormal object only.",
    "memory_usage.png": "Share of test queries whose nearest (MNAD) or most-weighted (MemAE) item is each memory item. Look for: how many items are used "
                        "at all, and how lopsided the use is (the report found 6, 9 and 1 of 10 on the benchmarks).",
    "tsne.png": "openTSNE of sampled test queries (dots, coloured by nearest item) and memory items (stars). Look for: "
                "separate clusters around distinct items (MNAD Fig. 6) versus one blob.",
    "loss.png": "Training losses per epoch (log scale), first seed. Look for: convergence; a flat separateness loss "
                "near the margin means items and queries collapsed together.",
}
# (title, models shown side by side, what to look for) for the cross-model figure sections
SIDE_BY_SIDE = [
    ("Memory usage with and without the memory-distribution supervision (report Fig. 2 and 4)", "memory_usage.png",
     ["pred_mem", "pred_mem_sup", "recon_mem"],
     "Look for: the supervised model (pred_mem_sup) spreading queries over more items."),
    ("t-SNE of queries and items: with separateness loss, without it, and with supervision (report Fig. 1 and 5)",
     "tsne.png", ["pred_mem", "pred_mem_nosep", "pred_mem_sup"],
     "Look for: distinct clusters with the separateness loss, a merged cloud without it (MNAD Fig. 6)."),
    ("MemAE memory usage with and without sparse addressing (MemAE sec. 3.4, Table 4)", "memory_usage.png",
     ["memae", "memae_nonspar", "memae_noshrink"],
     "Look for: hard shrinkage concentrating each latent position on few items (MemAE's most-weighted item per query)."),
]


def _img(path: Path) -> str:
    return _img_bytes(path.read_bytes(), path.stem)


def _img_bytes(data: bytes, alt: str) -> str:
    return f'<img src="data:image/png;base64,{base64.b64encode(data).decode()}" alt="{html.escape(alt)}">'


def _figure(image_html: str, caption: str) -> str:
    return f"<figure>{image_html}<figcaption>{html.escape(caption)}</figcaption></figure>"


def _cell(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "n/a"
    if isinstance(v, (float, np.floating)):
        return f"{v:.3f}"
    return html.escape(str(v))


def _table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>" for row in frame.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _verdict_html(v: Verdict) -> str:
    evidence = "".join(f"<li>{html.escape(e)}</li>" for e in v.evidence)
    return (f'<div class="claim"><span class="verdict {v.verdict.replace(" ", "-")}">{html.escape(v.verdict)}</span> '
            f'<b>{html.escape(v.paper)}:</b> {html.escape(v.claim)}<br><small>Rule: {html.escape(v.rule)}</small>'
            f"<ul>{evidence}</ul></div>")


def results_table(results: pd.DataFrame) -> pd.DataFrame:
    """The headline table: AUC with its interval, per dataset and variant."""
    shown = results.copy()
    shown["AUC micro [95% CI]"] = [f"{fmt(a)} [{fmt(lo)}, {fmt(hi)}]" if lo is not None and not pd.isna(lo) else fmt(a)
                                   for a, lo, hi in zip(shown.auc_micro, shown.auc_micro_lo, shown.auc_micro_hi)]
    kinds = sorted(c for c in shown.columns if c.startswith("auc_") and not c.endswith(("_lo", "_hi", "_std"))
                   and c not in ("auc_micro", "auc_macro"))
    columns = ["dataset", "family", "model", "seeds", "checkpoint_epoch", "score", "AUC micro [95% CI]", "auc_micro_std",
               "auc_macro", *kinds, "updated_fraction", "protocol"]
    return shown[columns].rename(columns={"checkpoint_epoch": "epoch", "auc_micro_std": "std over seeds",
                                          "updated_fraction": "frames updating memory"}).sort_values(["dataset", "family", "model"])


def _sweep_section(sweeps: pd.DataFrame) -> str:
    if sweeps.empty:
        return "<p>No memory model was scored.</p>"
    parts = []
    for dataset, group in sweeps.groupby("dataset"):
        series = {m: g.sort_values("lambda").to_dict("records") for m, g in group.groupby("model")}
        used = {m: g.used_lambda.iloc[0] for m, g in group.groupby("model")}
        buffer = io.BytesIO()
        plots.lambda_sweep_plot(series, used, f"{dataset}: AUC against lambda", buffer)
        best = group.loc[group.groupby("model").auc_micro.idxmax(), ["model", "used_lambda", "lambda", "auc_micro"]]
        at_used = [group[(group.model == m) & np.isclose(group["lambda"], u)].auc_micro.mean() if u is not None else None
                   for m, u in zip(best.model, best.used_lambda)]
        best = best.assign(auc_at_used=at_used).rename(columns={
            "used_lambda": "lambda used", "lambda": "best lambda (tuned on the test set)",
            "auc_micro": "AUC at best lambda", "auc_at_used": "AUC at lambda used"})
        parts.append(_figure(_img_bytes(buffer.getvalue(), f"lambda sweep {dataset}"),
                             "Pooled AUC as lambda moves from distance-only (0) to PSNR-only (1), computed from the stored "
                             "per-frame PSNR and distances. Dots: the lambda each model used. Look for: how much the "
                             "headline number depends on lambda."))
        parts.append(_table(best))
    return ("<p>The best lambda below is chosen on the test set, as the reproducibility report did (Table 5); it is "
            "shown for transparency and never used as a headline number.</p>" + "".join(parts))


def _side_by_side(figure_root: Path, datasets: list[str]) -> str:
    parts = []
    for title, name, models, look_for in SIDE_BY_SIDE:
        for dataset in datasets:
            found = [(m, figure_root / dataset / m / name) for m in models if (figure_root / dataset / m / name).exists()]
            if found:
                figures = "".join(_figure(_img(path), f"{dataset} / {m}") for m, path in found)
                parts.append(f"<h3>{html.escape(title)}: {html.escape(dataset)}</h3><p>{html.escape(look_for)}</p>{figures}")
    return "".join(parts) or "<p>No memory model was run.</p>"


def _memory_table(summaries: dict) -> str:
    rows = [{"dataset": d, "model": m, **s["memory"]} for (d, m), s in summaries.items() if "memory" in s]
    if not rows:
        return ""
    return _table(pd.DataFrame(rows).rename(columns={"items_used": "items ever used", "top_share": "top item share"}))


def _provenance(settings: dict) -> str:
    prov = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(str(v))}</td></tr>"
                   for k, v in provenance.facts(settings).items())
    hashes = provenance.prepared_hashes()
    return (f"<table>{prov}</table><h3>Wall time per stage</h3>"
            "<p>Measured on the machine that ran each stage (runs/timings/, not part of any hashed output), shown from "
            f"<code>{provenance.TIMINGS_SCRIPT}</code> next to this page.</p><div id='wall-times'>n/a</div>"
            + TIMINGS_LOADER
            + "<h3>Prepared datasets (dvc.lock)</h3>" + (_table(hashes) if len(hashes) else "<p>no dvc.lock yet</p>"))


# Renders the wall-time table from timings.js (window.memauditTimings) once the page loads.
TIMINGS_LOADER = f"""<script src="{provenance.TIMINGS_SCRIPT}"></script><script>
window.addEventListener("load", () => {{
  const rows = window.memauditTimings || [];
  if (!rows.length) return;
  const cols = Object.keys(rows[0]);
  const cell = v => v === null || v === undefined ? "n/a" : String(v);
  const body = rows.map(r => "<tr>" + cols.map(c => "<td>" + cell(r[c]) + "</td>").join("") + "</tr>").join("");
  document.getElementById("wall-times").innerHTML =
    "<table><thead><tr>" + cols.map(c => "<th>" + c + "</th>").join("") + "</tr></thead><tbody>" + body + "</tbody></table>";
}});
</script>"""


STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}h3{font-size:1.05em}
table{border-collapse:collapse;font-size:.8em;margin:.5em 0}td,th{border:1px solid #ccc;padding:.2em .45em;text-align:right}
th{background:#f3f3f3}td:first-child,td:nth-child(2),td:last-child{text-align:left}
.claim{margin:.6em 0;padding:.5em .8em;background:#fafafa;border-left:4px solid #bbb}
.verdict{font-weight:bold;padding:.1em .4em;border-radius:3px;color:#fff}
.supported{background:#2e7d32}.not-supported,.contradicted{background:#c62828}.inconclusive{background:#ef6c00}
.not-testable-here{background:#5c6bc0}.not-tested-yet{background:#757575}
figure{display:inline-block;vertical-align:top;margin:.5em;max-width:31%}figure img{max-width:100%}
figcaption{font-size:.78em;color:#555}small{color:#555}nav a{margin-right:1em}
"""


def _toy_section(toy_root: Path | None) -> str:
    folder = toy_root / "daad" if toy_root is not None else None
    if folder is None or not (folder / "errors.csv").exists():
        return "<p>The DAAD toy experiment was not run (stage daad_toy).</p>"
    errors = pd.read_csv(folder / "errors.csv")
    caption = ("DAAD Fig. 1 rebuilt: block patterns learned from one normal image A rebuild another normal image B "
               "and an abnormal image C (rows: nearest-tile read). Look for: small blocks rebuilding both, medium "
               "blocks only B, the whole-image block neither; the dashed curves use DAAD's soft read (eq. 1-2).")
    return _figure(_img(folder / "toy.png"), caption).replace("max-width:31%", "") + _table(errors)


METHOD_NOTE = """<details><summary>How verdicts are made</summary><p>A claim that A improves on B is judged on
the paired difference of their AUCs: each bootstrap draw resamples the test videos, and both models are scored on the
same draw, so what they share (hard videos, easy videos) cancels out of the difference; with several training seeds
each model's seeds are resampled too, so disagreement between training runs widens the interval. The difference's 95%
interval above 0 supports the claim, below 0 contradicts it, and containing 0 leaves it inconclusive. A comparison
that cannot exercise the claim is not testable here: neither model beats chance, or an ablation changed nothing (the
two scores are identical, e.g. no test frame updated the memory). Where the paper reports both numbers, a second
line says whether the paper's own difference lies inside our interval (effect size reproduced), apart from the
direction.</p><p>Videos, not frames, are resampled because frames of one video are not independent: a score drifts
with the scene and an anomaly spans many consecutive frames, so resampling frames would make intervals far too
narrow. A reported number is reproduced when it lies within our interval for that model widened by the tolerance
shown.</p></details>"""


def render(results, comparison, verdicts, sweeps, figure_root: Path, summaries: dict, provenance_settings: dict,
           settings: ClaimSettings, toy_root: Path | None = None) -> str:
    tested = comparison[comparison.verdict != "not tested yet"]
    untested = comparison[comparison.verdict == "not tested yet"]
    datasets = sorted(results.dataset.unique())
    counts = pd.Series([v.verdict for v in verdicts]).value_counts().to_dict()
    seeds = sorted(set(results.seeds))
    sections = [
        ("summary", "Summary: claims and verdicts",
         "<p>" + ", ".join(f"{counts[o]} {o}" for o in OUTCOMES if counts.get(o)) + ". "
         f"Every verdict rests on {settings.resamples} bootstrap draws of test videos"
         + (f" and of {', '.join(map(str, seeds))} training seeds per model" if seeds != [1] else
            " of one training seed per model: its intervals cover test-set variation only, not training variation "
            "(set `seeds: [0, 1, 2]` for both)") + ".</p>" + METHOD_NOTE + "".join(map(_verdict_html, verdicts))),
        ("results", "Results: frame-level AUC per dataset and variant",
         "<p>AUC micro: all scored frames of all test videos pooled into one ROC (the official MNAD evaluation); macro: "
         "mean of per-video AUCs; per anomaly type: pooled over the videos holding that type. Protocol: which frames "
         "are scored (prediction models from the 5th frame of each video, the first four have no prediction) and how "
         "scores are normalised (per-video min-max is MNAD eq. 17). Rows in parentheses are inference-time ablations "
         "of the trained model above them.</p>" + _table(results_table(results))),
        ("reported", "Ours versus reported numbers",
         (_table(tested[["paper", "table", "row", "dataset", "model", "reported", "ours", "ours_lo", "ours_hi", "delta",
                         "lambda", "checkpoint_epoch", "verdict", "note", "architecture"]]) if len(tested)
          else "<p>No reported number could be compared yet: the papers report on Ped2, Avenue, ShanghaiTech, MNIST, "
               "CIFAR-10 and MVTec AD, none of which is prepared in this run (see README, adding datasets).</p>")
         + f"<details><summary>{len(untested)} reported numbers not tested in this run</summary>"
         + _table(untested[["paper", "table", "row", "dataset", "model", "reported", "note"]]) + "</details>"),
        ("lambda", "Lambda sweep (eq. 16)", _sweep_section(sweeps)),
        ("memory", "Memory usage and feature space", _memory_table(summaries) + _side_by_side(figure_root, datasets)),
        ("models", "Per model", ""),
        ("toy", "DAAD Fig. 1 toy: block size against what gets rebuilt", _toy_section(toy_root)),
        ("implementation", "Implementations: what follows the papers, the official code, or a choice",
         "<dl>" + "".join(f"<dt><b>{html.escape(t)}</b></dt><dd>{html.escape(d)}</dd>" for t, d in IMPLEMENTATION_NOTES)
         + "</dl>"),
        ("provenance", "Provenance", _provenance(provenance_settings)),
    ]
    per_model = []
    for dataset, model in sorted(summaries):
        folder = figure_root / dataset / model
        figures = "".join(_figure(_img(folder / n), c) for n, c in FIGURE_CAPTIONS.items() if (folder / n).exists())
        per_model.append(f"<h3 id='{html.escape(dataset)}-{html.escape(model)}'>{html.escape(dataset)} / "
                         f"{html.escape(model)}</h3>{figures}")
    sections[5] = ("models", "Per model", "".join(per_model))
    nav = "".join(f"<a href='#{key}'>{html.escape(title.split(':')[0])}</a>" for key, title, _ in sections)
    body = "".join(f"<h2 id='{key}'>{html.escape(title)}</h2>{content}" for key, title, content in sections)
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>memaudit report</title>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><style>{STYLE}</style>{SELF_CHECK_SCRIPT}"
            f"</head><body><h1>memaudit: reproducibility audit of memory-augmented video anomaly detection</h1>"
            f"<p>Every number on this page is computed by the pipeline (<code>dvc repro</code>) from its own outputs; "
            f"reported numbers come from <code>pipeline/reference_numbers.csv</code>, each with its paper and table.</p>"
            f"<nav>{nav}</nav>{body}</body></html>")
