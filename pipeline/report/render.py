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
from pipeline.report.verdicts import AUDIT, OUTCOMES, OVERALL, ClaimSettings, Verdict, fmt, with_interval
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


def _table(frame: pd.DataFrame, cls: str = "") -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>" for row in frame.itertuples(index=False))
    return f"<table{f' class={cls!r}' if cls else ''}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _details(summary: str, content: str, anchor: str = "", open_: bool = False) -> str:
    return (f"<details{f' id={anchor!r}' if anchor else ''}{' open' if open_ else ''}><summary>{summary}</summary>"
            f"{content}</details>")


def _badge(outcome: str, text: str | None = None) -> str:
    return f'<span class="verdict {outcome.replace(" ", "-")}">{html.escape(text or outcome)}</span>'


def _source(v: Verdict) -> str:
    """Where the claim is said, and its words as printed."""
    quote = f': "{html.escape(v.quote)}"' if v.quote else ""
    hypothesis = " (the audit's own hypothesis from this sentence, on data the paper did not use)" \
        if v.origin == AUDIT else ""
    return f"<small>{html.escape(v.paper)} {html.escape(v.where)}{quote}{hypothesis}</small>"


def _verdict_html(v: Verdict, anchor: str) -> str:
    evidence = "".join(f"<li>{html.escape(e)}</li>" for e in v.evidence)
    scope = f" Judged on: {html.escape(', '.join(v.judged_on))}." if v.judged_on else ""
    return (f'<div class="claim" id="{anchor}">{_badge(v.verdict, v.cells.get(OVERALL))} <b>{html.escape(v.label)}:</b> '
            f"{html.escape(v.claim)}<br>{_source(v)}<br><small>Rule: {html.escape(v.rule)}.{scope}</small>"
            f"<ul>{evidence}</ul></div>")


# Columns of the verdict matrix: the embedded data first, then the benchmarks.
MATRIX_ORDER = ("synthetic", "digits", "toy", "ped2", "avenue", "shanghaitech", "mvtec")
SHORT = {"supported": "supported", "contradicted": "contra&shy;dicted", "inconclusive": "incon&shy;clusive",
         "not supported": "not supported", "not testable here": "not testable", "not tested yet": "not tested",
         "test-set only": "test-set only"}


def verdict_matrix(verdicts: list[Verdict]) -> str:
    """Claims as rows, datasets as columns, each cell coloured by its outcome and linking to
    the claim's evidence; the last column is the claim's overall verdict."""
    seen = {d for v in verdicts for d in v.per_dataset}
    columns = [d for d in MATRIX_ORDER if d in seen] + sorted(seen - set(MATRIX_ORDER))
    head = "<th>claim</th>" + "".join(f"<th>{html.escape(d)}</th>" for d in columns) + "<th>overall</th>"
    rows = []
    for i, v in enumerate(verdicts):
        def cell(outcome: str | None, text: str | None = None) -> str:
            if outcome is None:
                return "<td class='none'></td>"
            return (f"<td class='cell {outcome.replace(' ', '-')}'><a href='#claim-{i}' title='{html.escape(outcome)}'>"
                    f"{html.escape(text) if text else SHORT.get(outcome, html.escape(outcome))}</a></td>")
        rows.append(f"<tr><td><a href='#claim-{i}'>{html.escape(v.label)}</a>: {html.escape(v.claim)}</td>"
                    + "".join(cell(v.per_dataset.get(d), v.cells.get(d)) for d in columns)
                    + cell(v.verdict, v.cells.get(OVERALL)) + "</tr>")
    return f"<table class='matrix'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def results_table(results: pd.DataFrame) -> pd.DataFrame:
    """Every results row with every column (auc_table.md): AUC with its interval."""
    shown = results.copy()
    shown["AUC micro [95% CI]"] = [with_interval(a, lo, hi) for a, lo, hi in
                                   zip(shown.auc_micro, shown.auc_micro_lo, shown.auc_micro_hi)]
    kinds = _kinds(shown)
    columns = ["dataset", "family", "model", "seeds", "checkpoint_epoch", "score", "AUC micro [95% CI]", "auc_micro_std",
               "auc_macro", *kinds, "updated_fraction", "protocol"]
    return shown[columns].rename(columns={"checkpoint_epoch": "epoch", "auc_micro_std": "std over seeds",
                                          "updated_fraction": "frames updating memory"}).sort_values(["dataset", "family", "model"])


def _kinds(results: pd.DataFrame) -> list[str]:
    return sorted(c for c in results.columns if c.startswith("auc_") and not c.endswith(("_lo", "_hi", "_std", "_per_seed"))
                  and c not in ("auc_micro", "auc_macro") and results[c].notna().any())


# What a reader must know beside a model's row wherever it appears.
MODEL_NOTES = {"lntra_patch": "intruder patches from scikit-learn's two sample images; LNTRA used CIFAR-100 "
                              "(a download, which the audit never makes)"}


def constant_signal_note(results: pd.DataFrame) -> str:
    """The videos in which a score term was constant (to float rounding): per-video min-max
    gives that term 0 there, where MNAD's official evaluation divides by zero (NaN)."""
    rows = [(r.dataset, r.model, term, videos) for r in results.itertuples()
            for term, videos in (getattr(r, "constant_signal", None) or {}).items()]
    if not rows:
        return ""
    items = "".join(f"<li>{html.escape(d)}/{html.escape(m)}: {html.escape(t)} constant in {len(v)} video(s): "
                    f"{html.escape(', '.join(v[:12]))}{' ...' if len(v) > 12 else ''}</li>" for d, m, t, v in rows)
    return ("<p><b>Videos a score term could not rank.</b> In these videos the named signal was constant (to float "
            "rounding) over every frame: per-video min-max gives that term 0 on each frame, so the other terms rank the "
            "video; MNAD's official evaluation divides by zero there (NaN).</p><ul>" + items + "</ul>")


def headline_table(results: pd.DataFrame, comparison: pd.DataFrame) -> pd.DataFrame:
    """One row per trained (dataset, model): the few numbers a reader compares. `reported`
    is the first paper table that reports the model (its own paper's, in file order)."""
    models = results[~results.model.str.contains(r"\(", regex=True)].sort_values(["dataset", "family", "model"])
    first = comparison[comparison.ours.notna()].drop_duplicates(["dataset", "model"]).set_index(["dataset", "model"])
    rows = []
    for r in models.itertuples():
        ref = first.loc[(r.dataset, r.model)] if (r.dataset, r.model) in first.index else None
        rows.append({"dataset": r.dataset, "model": r.model, "AUC micro [95% CI]": with_interval(r.auc_micro, r.auc_micro_lo,
                                                                                               r.auc_micro_hi),
                     "AUC macro": r.auc_macro,
                     "reported": f"{fmt(ref.reported)} ({ref.table.split(' (')[0]})" if ref is not None else "",
                     "difference": ref.delta if ref is not None else None,
                     "verdict": ref.verdict if ref is not None else "no reported number",
                     "note": MODEL_NOTES.get(r.model, "")})
    columns = ["dataset", "model", "AUC micro [95% CI]", "AUC macro", "reported", "difference", "verdict", "note"]
    table = pd.DataFrame(rows, columns=columns)
    return table if (table.note != "").any() else table.drop(columns="note")


def _results_details(results: pd.DataFrame) -> str:
    """What the headline leaves out: AUC per anomaly type (one table per dataset), how each
    row was made, and the inference-time ablations."""
    parts = []
    for dataset, group in results[~results.model.str.contains(r"\(", regex=True)].groupby("dataset"):
        kinds = _kinds(group)
        if kinds:
            table = group[["model"]].copy()
            for kind in kinds:
                table[kind.removeprefix("auc_")] = [with_interval(a, lo, hi) for a, lo, hi in
                                                    zip(group[kind], group[f"{kind}_lo"], group[f"{kind}_hi"])]
            parts.append(f"<h4>{html.escape(dataset)}: AUC per anomaly type [95% CI]</h4>" + _table(table))
    made = results[~results.model.str.contains(r"\(", regex=True)][
        ["dataset", "model", "family", "seeds", "checkpoint_epoch", "score", "auc_micro_std", "protocol"]].rename(
        columns={"checkpoint_epoch": "epoch", "auc_micro_std": "std over seeds"})
    parts.append("<h4>How each row was made</h4>" + _table(made.sort_values(["dataset", "model"]), "wrap"))
    ablations = results[results.model.str.contains(r"\(", regex=True)]
    if len(ablations):
        parts.append("<h4>Inference-time ablations of the trained models (no retraining)</h4>"
                     + _table(ablations[["dataset", "model", "score", "auc_micro", "auc_macro", "updated_fraction"]]
                              .rename(columns={"updated_fraction": "frames updating memory"})))
    return _details("Per anomaly type, how each row was made, ablations", "".join(parts))


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
    return (f"<table class='wrap'>{prov}</table><h3>Wall time per stage</h3>"
            "<p>Measured on the machine that ran each stage (runs/timings/, not part of any hashed output), shown from "
            f"<code>{provenance.TIMINGS_SCRIPT}</code> next to this page.</p>"
            + _details("Wall times", "<div id='wall-times'>n/a</div>")
            + "<h3>Prepared datasets (dvc.lock)</h3>" + (_table(hashes) if len(hashes) else "<p>no dvc.lock yet</p>"))


def cost_table(results: pd.DataFrame, reported_cost: pd.DataFrame) -> str:
    """Per trained model: parameters and checkpoint size (from its outputs), training time
    and inference speed (wall times, filled in from timings.js), and what the papers report
    for the same model (any dataset), with their device."""
    models = results[~results.model.str.contains(r"\(", regex=True)].sort_values(["dataset", "family", "model"])
    units = {"seconds_per_frame": " s/frame", "fps": " fps", "train_minutes": " min training",
             "train_hours": " h training", "weights_mb": " MB"}
    rows = []
    for r in models.itertuples():
        reported = reported_cost[reported_cost.model == r.model]
        said = "; ".join(f"{v.value:g}{units[v.metric]}{f' on {v.dataset}' if isinstance(v.dataset, str) else ''} "
                         f"({v.table.split(' (')[0]}, {str(v.note).split('device: ')[-1].split(';')[0]})"
                         for v in reported.itertuples()) if len(reported) else ""
        size = getattr(r, "checkpoint_bytes", None)
        key = f"{r.dataset}/{r.model}"
        rows.append(f"<tr><td>{html.escape(r.dataset)}</td><td>{html.escape(r.model)}</td>"
                    f"<td>{_count(getattr(r, 'parameters', None))}</td>"
                    f"<td>{'n/a' if size is None or pd.isna(size) else f'{size / 1e6:.1f} MB'}</td>"
                    f"<td data-train='{html.escape(key)}'>n/a</td><td data-infer='{html.escape(key)}'>n/a</td>"
                    f"<td>{html.escape(said)}</td></tr>")
    head = "".join(f"<th>{c}</th>" for c in ("dataset", "model", "parameters", "checkpoint", "training (this run)",
                                             "inference (this run)", "reported (paper, device)"))
    return (f"<table class='wrap'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _count(value) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{int(value):,}"


# Fills the wall-time table and the cost table's measured cells from timings.js
# (window.memauditTimings) once the page loads.
TIMINGS_LOADER = f"""<script src="{provenance.TIMINGS_SCRIPT}"></script><script>
window.addEventListener("load", () => {{
  const rows = window.memauditTimings || [];
  if (!rows.length) return;
  const cols = Object.keys(rows[0]);
  const cell = v => v === null || v === undefined ? "n/a" : String(v);
  const body = rows.map(r => "<tr>" + cols.map(c => "<td>" + cell(r[c]) + "</td>").join("") + "</tr>").join("");
  document.getElementById("wall-times").innerHTML =
    "<table><thead><tr>" + cols.map(c => "<th>" + c + "</th>").join("") + "</tr></thead><tbody>" + body + "</tbody></table>";
  const by = {{}};
  rows.forEach(r => {{ by[r.stage + ":" + r.dataset + "/" + r.model] = r; }});
  document.querySelectorAll("[data-train]").forEach(td => {{
    const r = by["train:" + td.dataset.train];
    if (r) td.textContent = (r.seconds / 60).toFixed(1) + " min (" + (r.device || "?") + ")";
  }});
  document.querySelectorAll("[data-infer]").forEach(td => {{
    const r = by["infer:" + td.dataset.infer];
    if (r && r.frames) td.textContent = (r.frames / r.seconds).toFixed(1) + " frames/s (" + (r.device || "?") + ")";
  }});
}});
</script>"""

# A link to a folded section (#id) opens it and every <details> around it.
OPEN_TARGET = """<script>
function openTarget() {
  let node = location.hash ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
  if (!node) return;
  for (let n = node; n; n = n.parentElement) if (n.tagName === "DETAILS") n.open = true;
  node.scrollIntoView();
}
window.addEventListener("hashchange", openTarget);
window.addEventListener("load", openTarget);
</script>"""


STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}h3{font-size:1.05em}h4{margin:.8em 0 .2em}
table{border-collapse:collapse;font-size:.8em;margin:.5em 0;max-width:100%}td,th{border:1px solid #ccc;padding:.2em .45em;text-align:right}
th{background:#f3f3f3}th:first-child,td:first-child,td:nth-child(2),td:last-child{text-align:left}
table.wrap td,table.matrix td:first-child{overflow-wrap:anywhere;text-align:left}
table.matrix td.cell{text-align:center;font-size:.9em;min-width:5.5em}table.matrix td.cell a{color:#fff;text-decoration:none;display:block}
.claim{margin:.6em 0;padding:.5em .8em;background:#fafafa;border-left:4px solid #bbb}
.verdict{font-weight:bold;padding:.1em .4em;border-radius:3px;color:#fff}
.supported{background:#2e7d32}.not-supported,.contradicted{background:#c62828}.inconclusive{background:#ef6c00}
.not-testable-here{background:#5c6bc0}.not-tested-yet{background:#757575}.not-judged{background:#9e9e9e}
.test-set-only{background:#fff;color:#333;outline:1px dashed #999;outline-offset:-1px}
table.matrix td.cell.test-set-only a{color:#333}
figure{display:inline-block;vertical-align:top;margin:.5em;max-width:31%}figure img{max-width:100%}
figure.wide{display:block;max-width:100%}
figcaption{font-size:.78em;color:#555}small{color:#555}nav a{margin-right:1em}
details{margin:.4em 0}summary{cursor:pointer;font-weight:600}details.model{border-top:1px solid #eee;padding:.2em 0}
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


METHOD_NOTE = """<details><summary>How verdicts are made</summary><p>A claim is judged on exactly the datasets its
sentence names; its pairs on the run's other datasets are shown as information, not judged. A claim the audit poses on
data the paper never used (the generated set, the digits) is marked as the audit's own hypothesis. That A improves on
B is judged, on each dataset, on the difference of their AUCs with its 95% interval over what varies between runs of
an audit: test videos (the unit, since frames of one video are not independent), training seeds, and how seeds do
better on some videos than others (the seed x video interaction). Each seed's leave-one-video-out pseudo-values form
a seeds x videos table; the videos term (their jackknife), the seeds term (the seeds' spread over their number) and
the interaction (the table's residual mean square, which both hold) give the variance without counting the
interaction twice. The interval is the difference +- t times its standard error, with Satterthwaite's degrees of
freedom, never more than the seeds' own when the seeds term carries most of the variance. Simulations with known
truth (benchmarks/verdict_calibration.py) check coverage and error rates.</p><p>A part (a pair on a dataset) is
supported when its interval lies above 0, a one-sided test at 2.5%, and a claim only when every part is (or, for a
claim about most datasets, most of them). It is contradicted when a part lies below 0 after Holm's correction across
the claim's parts; otherwise inconclusive. "Fails to improve" is tested as no better than +tolerance. With fewer
training seeds than needed (report.min_seeds) the cell shows the direction on this test set instead of a verdict. Not
testable: a model is not above chance by one standard error of its own interval (a win over a broken or sign-flipped
baseline is no evidence), or an ablation changed nothing (identical scores, or no test frame updated the memory).</p>
<p>A reported number is judged by an equivalence test: the paper's number is one training run, ours the mean of S
runs, so ours - reported varies by the seeds' variance x (1/S + 1); within +-tolerance at 2.5% each side is
reproduced, wholly outside is not reproduced, otherwise inconclusive. A paper's own difference between two models is
taken from two rows of one table at one lambda and one test-time-update setting (or a difference the text states),
and judged against ours the same way; where a table's rows differ in more, the line says so.</p></details>"""


def _released_section(weights: pd.DataFrame | None, profile: str) -> str:
    if weights is None or weights.empty:
        return "<p>No released checkpoint is known or imported.</p>"
    weights = weights.drop(columns=["stated for the file"])  # equal to the reported numbers where stated (LNTRA)
    imported = (~weights["released weights [95% CI]"].str.startswith("no checkpoint")).sum()
    return (f"<p>Two halves of one question: do the authors' released weights give the reported number, and does "
            f"retraining? Released files are scored by the same test pass and score as our models. A released file is "
            f"one fixed network on the paper's test set, so its AUC is compared with the reported one directly (within "
            f"the tolerance); retraining is judged by the equivalence test over seeds. {imported} of {len(weights)} "
            f"published checkpoints are imported here; put a file where its row says and add it to params.yaml "
            f"<code>released</code> (README: Released weights). Retrained rows use this run's profile "
            f"(<code>{html.escape(profile)}</code>).</p>" + _table(weights, "wrap"))


def _per_model(figure_root: Path, summaries: dict) -> str:
    """One folded section per (dataset, model); a link to #<dataset>-<model> opens it."""
    parts = []
    for dataset, model in sorted(summaries):
        folder = figure_root / dataset / model
        figures = "".join(_figure(_img(folder / n), c).replace("<figure>", "<figure class='wide'>" if n == "timelines.png"
                                                                 else "<figure>")
                          for n, c in FIGURE_CAPTIONS.items() if (folder / n).exists())
        parts.append(f"<details class='model' id='{html.escape(dataset)}-{html.escape(model)}'><summary>"
                     f"{html.escape(dataset)} / {html.escape(model)}</summary>{figures}</details>")
    return ("<p>Click a model to unfold its figures (ROC, score timelines, losses, worst frames, memory use, "
            "t-SNE).</p>" + "".join(parts))


def _reported_section(comparison: pd.DataFrame) -> str:
    tested = comparison[comparison.verdict != "not tested yet"].copy()
    untested = comparison[comparison.verdict == "not tested yet"]
    if len(tested):
        tested["ours [95% CI]"] = [with_interval(a, lo, hi) for a, lo, hi in zip(tested.ours, tested.ours_lo, tested.ours_hi)]
        tested["ours - reported [seed CI]"] = [with_interval(d, lo, hi) for d, lo, hi in
                                               zip(tested.delta, tested.delta_lo, tested.delta_hi)]
        main = _table(tested[["paper", "table", "row", "dataset", "category", "model", "mapping", "metric", "reported",
                              "ours [95% CI]", "ours - reported [seed CI]", "verdict"]], "wrap")
        how = _details("How each compared row was made (lambda, epoch, architecture, which AUC, note)",
                       _table(tested[["table", "dataset", "model", "reported_lambda", "lambda", "checkpoint_epoch",
                                      "architecture", "metric_basis", "note"]]
                              .rename(columns={"reported_lambda": "lambda (paper)", "lambda": "lambda (ours)"}), "wrap"))
    else:
        main = ("<p>No reported number could be compared yet: the papers report on Ped2, Avenue, ShanghaiTech, MNIST, "
                "CIFAR-10 and MVTec AD, none of which is prepared in this run (see README, adding datasets).</p>")
        how = ""
    legend = ("<p>metric: which AUC the paper reports, compared with ours of the same kind: auc_pooled (all frames "
              "of all test videos in one ROC curve; stated by LNTRA, the official code's for MNAD, the report and "
              "MemAE) against our micro AUC; auc_unstated (DAAD's video numbers, no code) against our micro AUC; "
              "auc_mean_category (MVTec AD) against our macro AUC; auc_category, one MVTec AD category, against that "
              "category's AUROC from our scores; auc_mean_oneclass (MNIST, CIFAR-10). mapping: "
              "whether the paper names the model of a row (stated) or the audit infers it (inferred: the note says "
              "why).</p>")
    untested_table = untested[["paper", "table", "row", "dataset", "category", "model", "mapping", "metric", "reported",
                               "note"]]
    return legend + main + how + _details(f"{len(untested)} reported numbers not tested in this run",
                                          _table(untested_table, "wrap"))


def _summary(verdicts: list[Verdict], counts: dict, seeds: list[int], settings: ClaimSettings) -> str:
    """The matrix's header: what it holds, how many tests, and what chance alone would give."""
    tests = sum(v.tests for v in verdicts)
    claims = sum(1 for v in verdicts if v.tests)
    few = [n for n in seeds if n < settings.min_seeds]
    seeds_text = (f"{', '.join(map(str, seeds))} training seed{'s' if seeds != [1] else ''} per model"
                  + (f": fewer than {settings.min_seeds}, so comparisons show their direction on this test set only, "
                     f"never a verdict (set <code>seeds</code> to three or more)" if few else ""))
    return (f"<p>{', '.join(f'{counts[o]} {o}' for o in OUTCOMES if counts.get(o))}. {seeds_text}. The matrix holds "
            f"{tests} tests (a pair of models on one dataset, with enough seeds) in {claims} claims, each a one-sided "
            f"test at {settings.alpha:.1%} on its 95% interval over test videos and seeds. If no claimed effect were "
            f"real, about {settings.alpha * tests:.1f} tests would come out 'supported' by chance (a claim needs all "
            f"of its tests); contradictions are Holm-corrected within each claim, so at most {settings.alpha:.1%} of "
            f"claims, about {settings.alpha * claims:.1f} here, would be contradicted by chance. A cell links to the "
            "claim's evidence below.</p>")


def render(results, comparison, verdicts, sweeps, figure_root: Path, summaries: dict, provenance_settings: dict,
           settings: ClaimSettings, toy_root: Path | None = None, weights: pd.DataFrame | None = None,
           reported_cost: pd.DataFrame | None = None) -> str:
    datasets = sorted(results.dataset.unique())
    counts = pd.Series([v.verdict for v in verdicts]).value_counts().to_dict()
    seeds = sorted(set(results.seeds))
    anchors = [f"claim-{i}" for i in range(len(verdicts))]
    sections = [
        ("summary", "Claims at a glance", _summary(verdicts, counts, seeds, settings) + verdict_matrix(verdicts)),
        ("results", "Headline results: frame-level AUC per dataset and model",
         "<p>AUC micro: all scored frames of all test videos pooled into one ROC (the official MNAD evaluation), the "
         "mean over training seeds with its 95% interval over test videos and seeds (the same interval the verdicts "
         "use); macro: mean of per-video AUCs. Reported: the first paper table that reports the model on that dataset; "
         f"verdict: the equivalence test, ours - reported within +-{settings.tolerance:.2f} given the variation between "
         f"training seeds (at least {settings.min_seeds}).</p>"
         + _table(headline_table(results, comparison)) + constant_signal_note(results) + _results_details(results)),
        ("claims", "Claims and their evidence",
         METHOD_NOTE + "".join(_verdict_html(v, a) for v, a in zip(verdicts, anchors))),
        ("reported", "Ours versus reported numbers", _reported_section(comparison)),
        ("released", "Released weights vs retrained vs reported",
         _released_section(weights, str(provenance_settings.get("profile", "")))),
        ("cost", "Cost: size, training time, inference speed",
         "<p>Parameters and checkpoint size come from this run's checkpoints; training time and inference speed are "
         "the stages' wall times on the device named (process start-up and data loading included), beside what the "
         "papers report on theirs (GPU numbers; a CPU run is not comparable in speed, only in size).</p>"
         + cost_table(results, reported_cost if reported_cost is not None else pd.DataFrame(
             columns=["model", "metric", "value", "dataset", "table", "note"]))),
        ("lambda", "Lambda sweep (eq. 16)", _sweep_section(sweeps)),
        ("memory", "Memory usage and feature space", _memory_table(summaries) + _side_by_side(figure_root, datasets)),
        ("models", "Per model", _per_model(figure_root, summaries)),
        ("toy", "DAAD Fig. 1 toy: block size against what gets rebuilt", _toy_section(toy_root)),
        ("implementation", "Implementations: what follows the papers, the official code, or a choice",
         "<dl>" + "".join(f"<dt><b>{html.escape(t)}</b></dt><dd>{html.escape(d)}</dd>" for t, d in IMPLEMENTATION_NOTES)
         + "</dl>"),
        ("provenance", "Provenance", _provenance(provenance_settings) + TIMINGS_LOADER),
    ]
    nav = "".join(f"<a href='#{key}'>{html.escape(title.split(':')[0])}</a>" for key, title, _ in sections)
    body = "".join(f"<h2 id='{key}'>{html.escape(title)}</h2>{content}" for key, title, content in sections)
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>memaudit report</title>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><style>{STYLE}</style>{SELF_CHECK_SCRIPT}"
            f"{OPEN_TARGET}</head><body><h1>memaudit: reproducibility audit of memory-augmented video anomaly detection"
            f"</h1><p>Every number on this page is computed by the pipeline (<code>dvc repro</code>) from its own "
            f"outputs; reported numbers come from <code>pipeline/report/reference_numbers.csv</code>, each with its "
            f"paper and table.</p><nav>{nav}</nav>{body}</body></html>")
