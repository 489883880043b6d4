"""Released weights vs retrained vs reported: for each official checkpoint the papers'
repositories publish (released_checkpoints.csv) and each one a user imported (params
`released`, scored under runs/score/<dataset>/released/<model>), the reported AUC, the AUC
of the released file scored by our test pass, the AUC of our own training, and a verdict
for each half of the question: do the released weights give the reported number, and does
retraining?"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.io import read_json
from pipeline.report.collect import VIDEO_AUCS, as_configured
from pipeline.report.formatting import fmt, with_interval
from pipeline.report.reproduction import point_reproduced, reproduction
from pipeline.report.verdicts import NOT_TESTED, ClaimSettings

RELEASES_FILE = Path(__file__).with_name("released_checkpoints.csv")
RELEASED_FOLDER = "released"  # runs/<kind>/<dataset>/released/<model> (dag/released/dvc.yaml)
COLUMNS = ["paper", "dataset", "model", "reported", "stated for the file", "released weights [95% CI]",
           "released weights give it", "retrained [95% CI]", "retraining gives it", "where the file is published"]


def collect_released(score_root: Path, keep: set | None = None) -> pd.DataFrame:
    """One row per imported checkpoint that was scored (and, given `keep`, is still a
    params `released` entry)."""
    rows = []
    for path in sorted(Path(score_root).glob(f"*/{RELEASED_FOLDER}/*/metrics.json")):
        if keep is not None and (path.parents[2].name, path.parent.name) not in keep:
            continue
        m = read_json(path)
        lo, hi = (m.get("interval") or {}).get("auc_micro") or (None, None)
        weights = m.get("weights") if isinstance(m.get("weights"), dict) else {}
        rows.append({"dataset": m["dataset"], "model": m["model"], "family": m["family"], "auc": m["auc_micro"],
                     "lo": lo, "hi": hi, "files": ", ".join(sorted(weights.get("files", {})))})
    return pd.DataFrame(rows, columns=["dataset", "model", "family", "auc", "lo", "hi", "files"])


def _reported(reference: pd.DataFrame, paper: str | None, dataset: str, model: str) -> tuple[float | None, str]:
    """The paper's number for this model (the first table that reports it), and its table."""
    rows = reference[(reference.dataset == dataset) & (reference.model == model) & (reference.variant == "")
                     & reference.metric.isin(VIDEO_AUCS)]
    if paper is not None:
        rows = rows[rows.paper == paper]
    if rows.empty:
        return None, ""
    return float(rows.value.iloc[0]), f"{rows.paper.iloc[0]}: {rows.table.iloc[0]}"


def released_table(released: pd.DataFrame, results: pd.DataFrame, reference: pd.DataFrame,
                   settings: ClaimSettings, known: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per (paper, dataset, variant) with a published checkpoint, plus every imported
    checkpoint not in that list (a user's own run of the official code)."""
    known = pd.read_csv(RELEASES_FILE, dtype={"stated_auc": float}) if known is None else known
    extra = released[~released.set_index(["dataset", "model"]).index.isin(known.set_index(["dataset", "model"]).index)]
    rows = known.to_dict("records") + [{"paper": None, "family": r.family, "dataset": r.dataset, "model": r.model,
                                        "stated_auc": None, "where": "imported by you (params `released`)"}
                                       for r in extra.itertuples()]
    retrained = as_configured(results).set_index(["dataset", "model"])
    scored = released.drop_duplicates(["dataset", "model"]).set_index(["dataset", "model"])
    out = []
    for row in rows:
        key = (row["dataset"], row["model"])
        reported, table = _reported(reference, row["paper"], *key)
        stated = row.get("stated_auc")
        stated = None if stated is None or pd.isna(stated) else float(stated)
        target = stated if stated is not None else reported
        mine = scored.loc[key] if key in scored.index else None
        ours = retrained.loc[key] if key in retrained.index else None
        folder = f"data/raw/checkpoints/{row['family']}/{row['dataset']}/{row['model']}/"
        out.append({
            "paper": row["paper"] or (table.split(":")[0] if table else "your run"),
            "dataset": row["dataset"], "model": row["model"],
            "reported": f"{fmt(reported)} ({table})" if reported is not None else "n/a",
            "stated for the file": fmt(stated),
            "released weights [95% CI]": (with_interval(mine.auc, mine.lo, mine.hi) if mine is not None
                                          else f"no checkpoint in {folder}"),
            "released weights give it": (NOT_TESTED if mine is None or target is None
                                         else point_reproduced(target, mine.auc, settings.tolerance)),
            "retrained [95% CI]": (with_interval(ours.auc_micro, ours.auc_micro_lo, ours.auc_micro_hi)
                                   if ours is not None else "not trained in this run"),
            "retraining gives it": (NOT_TESTED if ours is None or reported is None
                                    else reproduction(reported, ours.auc_micro_per_seed, settings)[0]),
            "where the file is published": f"{row.get('repository', '') or ''} {row['where']}".strip(),
        })
    return pd.DataFrame(out, columns=COLUMNS)
