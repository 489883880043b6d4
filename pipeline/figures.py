"""One model's figures (ROC, score timelines, losses, worst-frame heat maps, memory use,
t-SNE) and `summary.json` (checkpoint epoch, memory-usage statistics), from its training,
inference and score outputs. The score stage writes them next to its scores."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipeline import plots
from pipeline.artifacts import EXAMPLES, INFERENCE, MEMORY_SUMMARY, seed_of
from pipeline.evaluation.metrics import memory_usage_stats
from pipeline.io import read_json, write_csv, write_json


def model_figures(name: str, scores: pd.DataFrame, train_seeds: list[Path], infer_seeds: list[Path], out: Path,
                  cfg: dict) -> dict:
    """Write the figures of the first training seed (and every seed's memory use per test
    video, memory_usage.csv: the report's intervals for usage claims) to `out`; returns
    summary.json's content. `train_seeds`, `infer_seeds`: each seed's folders, in the same
    order; `cfg` is params' `figures` section."""
    out.mkdir(parents=True, exist_ok=True)
    scores = scores[scores.seed == scores.seed.iloc[0]]
    plots.roc_plot(scores, name, out / "roc.png")
    plots.score_timelines(scores, f"{name}: abnormality score", out / "timelines.png")
    train_seed, infer_seed = train_seeds[0], infer_seeds[0]
    if (train_seed / "history.csv").exists():  # an imported checkpoint has no training history
        plots.loss_curves(pd.read_csv(train_seed / "history.csv"), f"{name}: training losses", out / "loss.png")
    summary = {"checkpoint_epoch": read_json(infer_seed / INFERENCE)["checkpoint_epoch"]}
    if (infer_seed / EXAMPLES).exists():
        ex = np.load(infer_seed / EXAMPLES)
        captions = [f"{v} frame {f} (PSNR {p:.1f} dB)" for v, f, p in zip(ex["video"], ex["frame"], ex["psnr"])]
        plots.error_heatmaps(ex["target"], ex["prediction"], captions, f"{name}: worst abnormal frames", out / "heatmaps.png")
    if (infer_seed / MEMORY_SUMMARY).exists():
        memory = np.load(infer_seed / MEMORY_SUMMARY)
        summary["memory"] = memory_usage_stats(memory["usage"])
        plots.memory_usage_histogram(memory["usage"], name, out / "memory_usage.png")
        rng = np.random.default_rng(cfg["random_state"])
        pick = rng.choice(len(memory["queries"]), size=min(cfg["tsne_points"], len(memory["queries"])), replace=False)
        plots.memory_tsne(memory["queries"][pick], memory["nearest"][pick], memory["items_final"], cfg["perplexity"],
                          cfg["random_state"], f"{name}: queries and items (t-SNE)", out / "tsne.png")
    usage = [_usage_rows(d) for d in infer_seeds if (d / MEMORY_SUMMARY).exists()]
    if usage:
        write_csv(out / "memory_usage.csv", pd.concat(usage, ignore_index=True))
    write_json(out / "summary.json", summary)
    return summary


def _usage_rows(infer_seed_dir: Path) -> pd.DataFrame:
    memory = np.load(infer_seed_dir / MEMORY_SUMMARY)
    videos, counts = memory["usage_videos"], memory["usage_by_video"]
    video, item = np.nonzero(counts)
    return pd.DataFrame({"seed": seed_of(infer_seed_dir), "video": videos[video], "item": item,
                         "count": counts[video, item], "items": counts.shape[1]})
