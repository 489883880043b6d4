"""figures@<dataset>-<model>: per-model figures (memory usage, t-SNE, ROC, timelines, losses,
prediction-error heat maps) and `summary.json` (memory-usage statistics, stage wall times).

usage: python stages/figures.py <dataset> <model> <train_dir> <infer_dir> <score_dir> <out_dir>
params: figures
"""
import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from _common import run

from pipeline import plots
from pipeline.artifacts import CHECKPOINT_EPOCH, EXAMPLES, MEMORY_SUMMARY, STAGE_SECONDS, seed_dirs
from pipeline.io import write_json
from pipeline.metrics import memory_usage_stats
from pipeline.params import load_params


def _seconds(folder: Path) -> float | None:
    path = folder / STAGE_SECONDS
    return float(path.read_text()) if path.exists() else None


def main():
    parser = argparse.ArgumentParser()
    for name in ("dataset", "model", "train_dir", "infer_dir", "score_dir", "out_dir"):
        parser.add_argument(name)
    args = parser.parse_args()
    cfg = load_params()["figures"]
    out, name = Path(args.out_dir), f"{args.dataset} / {args.model}"
    out.mkdir(parents=True, exist_ok=True)
    scores = pd.read_csv(Path(args.score_dir) / "scores.csv", dtype={"video": str})
    plots.roc_plot(scores, name, out / "roc.png")
    plots.score_timelines(scores, f"{name}: abnormality score", out / "timelines.png")
    # Figures show the first training seed; the AUC table averages all seeds.
    train_dir, infer_dir = seed_dirs(args.train_dir)[0], seed_dirs(args.infer_dir)[0]
    plots.loss_curves(pd.read_csv(train_dir / "history.csv"), f"{name}: training losses", out / "loss.png")
    summary = {"train_seconds": _seconds(Path(args.train_dir)), "infer_seconds": _seconds(Path(args.infer_dir)),
               "checkpoint_epoch": int((infer_dir / CHECKPOINT_EPOCH).read_text())}
    if (infer_dir / EXAMPLES).exists():
        ex = np.load(infer_dir / EXAMPLES)
        captions = [f"{v} frame {f} (PSNR {p:.1f} dB)" for v, f, p in zip(ex["video"], ex["frame"], ex["psnr"])]
        plots.error_heatmaps(ex["target"], ex["prediction"], captions, f"{name}: worst abnormal frames", out / "heatmaps.png")
    if (infer_dir / MEMORY_SUMMARY).exists():
        memory = np.load(infer_dir / MEMORY_SUMMARY)
        summary["memory"] = memory_usage_stats(memory["usage"])
        plots.memory_usage_histogram(memory["usage"], name, out / "memory_usage.png")
        rng = np.random.default_rng(cfg["random_state"])
        pick = rng.choice(len(memory["queries"]), size=min(cfg["tsne_points"], len(memory["queries"])), replace=False)
        plots.memory_tsne(memory["queries"][pick], memory["nearest"][pick], memory["items_final"], cfg["perplexity"],
                          cfg["random_state"], f"{name}: queries and items (t-SNE)", out / "tsne.png")
    write_json(out / "summary.json", summary)
    return out


if __name__ == "__main__":
    run(main)
