"""The page's content as data: tables of display strings, figures, and the numbers the
prose quotes, shaped from the collected results (pipeline.report.collect) and verdicts.
Nothing here writes markup: the templates do (pipeline.report.render), escaping every value."""
from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline import plots
from pipeline.data.datasets import BENCHMARKS, EMBEDDED
from pipeline.report.collect import as_configured
from pipeline.report.formatting import cell, count, fmt, row_name, with_interval
from pipeline.report.verdicts import OVERALL, Verdict


@dataclass
class Table:
    columns: list[str]
    rows: list[list[str]]
    cls: str = ""
    attributes: list[list[dict]] = field(default_factory=list)   # per cell: data-* attributes (the cost table)


def table(frame: pd.DataFrame, cls: str = "") -> Table:
    return Table([str(c) for c in frame.columns], [[cell(v) for v in row] for row in frame.itertuples(index=False)], cls)


@dataclass
class Figure:
    src: str          # a data: URI (the page is one file)
    alt: str
    caption: str
    wide: bool = False


def png(data: bytes) -> str:
    return f"data:image/png;base64,{base64.b64encode(data).decode()}"


def figure(path: Path, caption: str, wide: bool = False, alt: str | None = None) -> Figure:
    return Figure(png(path.read_bytes()), path.stem if alt is None else alt, caption, wide)


FIGURE_CAPTIONS = {
    "roc.png": "Frame-level ROC, pooled over videos, and per anomaly type. Look for: a curve on the diagonal means the "
               "model cannot see that kind of anomaly.",
    "timelines.png": "Abnormality score per frame (black) with abnormal ground truth shaded red. Look for: peaks inside "
                     "the shaded spans, and flat scores outside them.",
    "heatmaps.png": "The abnormal frames the model predicts worst (MNAD Fig. 4): frame, squared prediction error, and the "
                    "pixels whose error exceeds the frame's mean in red. Look for: red on the abnormal object only.",
    "memory_usage.png": "Share of test queries whose nearest (MNAD) or most-weighted (MemAE) item is each memory item. "
                        "Look for: how many items are used at all, and how lopsided the use is (the report found 6, 9 "
                        "and 1 of 10 on the benchmarks).",
    "tsne.png": "openTSNE of sampled test queries (dots, coloured by nearest item) and memory items (stars). Look for: "
                "separate clusters around distinct items (MNAD Fig. 6) versus one blob.",
    "loss.png": "Training losses per epoch (log scale), first seed. Look for: convergence; a flat separateness loss "
                "near the margin means items and queries collapsed together.",
}
WIDE_FIGURES = ("timelines.png",)
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
# What a reader must know beside a model's row wherever it appears.
MODEL_NOTES = {"lntra_patch": "intruder patches from scikit-learn's two sample images; LNTRA used CIFAR-100 "
                              "(a download, which the audit never makes)"}
# A verdict's short form in a matrix cell (soft hyphens let the long words break).
SHORT = {"contradicted": "contra\u00addicted", "inconclusive": "incon\u00adclusive", "not testable here": "not testable",
         "not tested yet": "not tested"}


@dataclass
class MatrixCell:
    outcome: str | None
    text: str = ""

    @property
    def css(self) -> str:
        return (self.outcome or "").replace(" ", "-")


def verdict_matrix(verdicts: list[Verdict]) -> tuple[list[str], list[list[MatrixCell]]]:
    """(dataset columns: the generated data first, then anything else, then the benchmarks;
    per claim its cells, the last the claim's overall verdict)."""
    seen = {d for v in verdicts for d in v.per_dataset}
    columns = ([d for d in EMBEDDED if d in seen] + sorted(seen - set(EMBEDDED) - set(BENCHMARKS))
               + [d for d in BENCHMARKS if d in seen])
    def cell_of(outcome: str | None, text: str | None) -> MatrixCell:
        return MatrixCell(outcome, text or SHORT.get(outcome, outcome) if outcome else "")
    rows = [[cell_of(v.per_dataset.get(d), v.cells.get(d)) for d in columns] + [cell_of(v.verdict, v.cells.get(OVERALL))]
            for v in verdicts]
    return columns, rows


def anomaly_kinds(results: pd.DataFrame) -> list[str]:
    return sorted(c for c in results.columns if c.startswith("auc_") and not c.endswith(("_lo", "_hi", "_std", "_per_seed"))
                  and c not in ("auc_micro", "auc_macro") and results[c].notna().any())


def results_table(results: pd.DataFrame) -> pd.DataFrame:
    """Every results row with every column (auc_table.md): AUC with its interval."""
    shown = results.assign(model=[row_name(m, v) for m, v in zip(results.model, results.variant)])
    shown["AUC micro [95% CI]"] = [with_interval(a, lo, hi) for a, lo, hi in
                                   zip(shown.auc_micro, shown.auc_micro_lo, shown.auc_micro_hi)]
    columns = ["dataset", "family", "model", "seeds", "checkpoint_epoch", "score", "AUC micro [95% CI]", "auc_micro_std",
               "auc_macro", *anomaly_kinds(shown), "updated_fraction", "protocol"]
    return shown[columns].rename(columns={"checkpoint_epoch": "epoch", "auc_micro_std": "std over seeds",
                                          "updated_fraction": "frames updating memory"}).sort_values(["dataset", "family",
                                                                                                      "model"])


def constant_signals(results: pd.DataFrame) -> list[str]:
    """The videos in which a score term was constant (to float rounding): per-video min-max
    gives that term 0 there, where MNAD's official evaluation divides by zero (NaN)."""
    rows = [(r.dataset, r.model, term, videos) for r in results.itertuples()
            for term, videos in (getattr(r, "constant_signal", None) or {}).items()]
    return [f"{d}/{m}: {t} constant in {len(v)} video(s): {', '.join(v[:12])}{' ...' if len(v) > 12 else ''}"
            for d, m, t, v in rows]


def headline_table(results: pd.DataFrame, comparison: pd.DataFrame) -> pd.DataFrame:
    """One row per trained (dataset, model): the few numbers a reader compares. `reported`
    is the first paper table that reports the model (its own paper's, in file order)."""
    models = as_configured(results).sort_values(["dataset", "family", "model"])
    first = comparison[comparison.ours.notna() & (comparison.variant == "")].drop_duplicates(["dataset", "model"])
    first = first.set_index(["dataset", "model"])
    rows = []
    for r in models.itertuples():
        ref = first.loc[(r.dataset, r.model)] if (r.dataset, r.model) in first.index else None
        rows.append({"dataset": r.dataset, "model": r.model,
                     "AUC micro [95% CI]": with_interval(r.auc_micro, r.auc_micro_lo, r.auc_micro_hi),
                     "AUC macro": r.auc_macro,
                     "reported": f"{fmt(ref.reported)} ({ref.table.split(' (')[0]})" if ref is not None else "",
                     "difference": ref.delta if ref is not None else None,
                     "verdict": ref.verdict if ref is not None else "no reported number",
                     "note": MODEL_NOTES.get(r.model, "")})
    columns = ["dataset", "model", "AUC micro [95% CI]", "AUC macro", "reported", "difference", "verdict", "note"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame if (frame.note != "").any() else frame.drop(columns="note")


def per_type_tables(results: pd.DataFrame) -> list[tuple[str, Table]]:
    """Per dataset: AUC per anomaly type [95% CI] of each trained model."""
    out = []
    for dataset, group in as_configured(results).groupby("dataset"):
        kinds = anomaly_kinds(group)
        if kinds:
            frame = group[["model"]].copy()
            for kind in kinds:
                frame[kind.removeprefix("auc_")] = [with_interval(a, lo, hi) for a, lo, hi in
                                                    zip(group[kind], group[f"{kind}_lo"], group[f"{kind}_hi"])]
            out.append((dataset, table(frame)))
    return out


def how_made_table(results: pd.DataFrame) -> Table:
    made = as_configured(results)[["dataset", "model", "family", "seeds", "checkpoint_epoch", "score", "auc_micro_std",
                                   "protocol"]].rename(columns={"checkpoint_epoch": "epoch",
                                                                "auc_micro_std": "std over seeds"})
    return table(made.sort_values(["dataset", "model"]), "wrap")


def ablations_table(results: pd.DataFrame) -> Table | None:
    rows = results[results.variant != ""]
    if not len(rows):
        return None
    shown = rows.assign(model=[row_name(m, v) for m, v in zip(rows.model, rows.variant)])
    return table(shown[["dataset", "model", "score", "auc_micro", "auc_macro", "updated_fraction"]]
                 .rename(columns={"updated_fraction": "frames updating memory"}))


def sweep_sections(sweeps: pd.DataFrame) -> list[tuple[Figure, Table]]:
    """Per dataset: AUC against lambda (a figure) and each model's best lambda on the test set."""
    out = []
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
        caption = ("Pooled AUC as lambda moves from distance-only (0) to PSNR-only (1), computed from the stored "
                   "per-frame PSNR and distances. Dots: the lambda each model used. Look for: how much the headline "
                   "number depends on lambda.")
        out.append((Figure(png(buffer.getvalue()), f"lambda sweep {dataset}", caption), table(best)))
    return out


def side_by_side(figure_root: Path, datasets: list[str]) -> list[tuple[str, str, str, list[Figure]]]:
    """(title, dataset, what to look for, figures) of each cross-model section with figures."""
    out = []
    for title, name, models, look_for in SIDE_BY_SIDE:
        for dataset in datasets:
            found = [(m, figure_root / dataset / m / name) for m in models if (figure_root / dataset / m / name).exists()]
            if found:
                out.append((title, dataset, look_for, [figure(path, f"{dataset} / {m}") for m, path in found]))
    return out


def memory_table(summaries: dict) -> Table | None:
    rows = [{"dataset": d, "model": m, **s["memory"]} for (d, m), s in summaries.items() if "memory" in s]
    if not rows:
        return None
    return table(pd.DataFrame(rows).rename(columns={"items_used": "items ever used", "top_share": "top item share"}))


def per_model(figure_root: Path, summaries: dict) -> list[tuple[str, str, list[Figure]]]:
    """(dataset, model, its figures) per trained model; a link to #<dataset>-<model> opens it."""
    out = []
    for dataset, model in sorted(summaries):
        folder = figure_root / dataset / model
        out.append((dataset, model, [figure(folder / n, c, n in WIDE_FIGURES) for n, c in FIGURE_CAPTIONS.items()
                                     if (folder / n).exists()]))
    return out


def cost_table(results: pd.DataFrame, reported_cost: pd.DataFrame) -> Table:
    """Per trained model: parameters and checkpoint size (from its outputs), training time
    and inference speed (cells the page fills from timings.js), and what the papers report
    for the same model (any dataset), with their device."""
    units = {"seconds_per_frame": " s/frame", "fps": " fps", "train_minutes": " min training",
             "train_hours": " h training", "weights_mb": " MB"}
    rows, attributes = [], []
    for r in as_configured(results).sort_values(["dataset", "family", "model"]).itertuples():
        reported = reported_cost[reported_cost.model == r.model]
        said = "; ".join(f"{v.value:g}{units[v.metric]}{f' on {v.dataset}' if isinstance(v.dataset, str) else ''} "
                         f"({v.table.split(' (')[0]}, {str(v.note).split('device: ')[-1].split(';')[0]})"
                         for v in reported.itertuples()) if len(reported) else ""
        size = getattr(r, "checkpoint_bytes", None)
        key = f"{r.dataset}/{r.model}"
        rows.append([r.dataset, r.model, count(getattr(r, "parameters", None)),
                     "n/a" if size is None or pd.isna(size) else f"{size / 1e6:.1f} MB", "n/a", "n/a", said])
        attributes.append([{}, {}, {}, {}, {"train": key}, {"infer": key}, {}])
    columns = ["dataset", "model", "parameters", "checkpoint", "training (this run)", "inference (this run)",
               "reported (paper, device)"]
    return Table(columns, rows, "wrap", attributes)


def reported_tables(comparison: pd.DataFrame) -> tuple[Table | None, Table | None, Table, int]:
    """(the compared rows, how each was made, the rows not tested in this run, their number)."""
    shown = comparison.assign(model=[row_name(m, v) for m, v in zip(comparison.model, comparison.variant)])
    tested = shown[shown.verdict != "not tested yet"].copy()
    untested = shown[shown.verdict == "not tested yet"]
    main = how = None
    if len(tested):
        tested["ours [95% CI]"] = [with_interval(a, lo, hi) for a, lo, hi in zip(tested.ours, tested.ours_lo,
                                                                                  tested.ours_hi)]
        tested["ours - reported [seed CI]"] = [with_interval(d, lo, hi) for d, lo, hi in
                                               zip(tested.delta, tested.delta_lo, tested.delta_hi)]
        main = table(tested[["paper", "table", "row", "dataset", "category", "model", "mapping", "metric", "reported",
                             "ours [95% CI]", "ours - reported [seed CI]", "verdict"]], "wrap")
        how = table(tested[["table", "dataset", "model", "reported_lambda", "lambda", "checkpoint_epoch", "architecture",
                            "metric_basis", "note"]].rename(columns={"reported_lambda": "lambda (paper)",
                                                                     "lambda": "lambda (ours)"}), "wrap")
    rest = table(untested[["paper", "table", "row", "dataset", "category", "model", "mapping", "metric", "reported",
                           "note"]], "wrap")
    return main, how, rest, len(untested)


def released_view(weights: pd.DataFrame | None) -> tuple[Table | None, int, int]:
    """(the table, how many published checkpoints are imported, how many are published)."""
    if weights is None or weights.empty:
        return None, 0, 0
    weights = weights.drop(columns=["stated for the file"])  # equal to the reported numbers where stated (LNTRA)
    imported = int((~weights["released weights [95% CI]"].str.startswith("no checkpoint")).sum())
    return table(weights, "wrap"), imported, len(weights)


def toy_view(toy_root: Path | None) -> tuple[Figure, Table] | None:
    folder = toy_root / "daad" if toy_root is not None else None
    if folder is None or not (folder / "errors.csv").exists():
        return None
    caption = ("DAAD Fig. 1 rebuilt: block patterns learned from one normal image A rebuild another normal image B "
               "and an abnormal image C (rows: nearest-tile read). Look for: small blocks rebuilding both, medium "
               "blocks only B, the whole-image block neither; the dashed curves use DAAD's soft read (eq. 1-2).")
    return figure(folder / "toy.png", caption), table(pd.read_csv(folder / "errors.csv"))
