"""figures@<dataset>-<model>: per-model figures (memory usage, t-SNE, ROC, timelines, losses).

usage: python stages/figures.py <dataset> <model> <train_dir> <infer_dir> <score_dir> <out_dir>
params: figures
"""
import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from _common import run

from pipeline import plots
from pipeline.artifacts import MEMORY_SUMMARY
from pipeline.params import load_params


def main() -> None:
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
    plots.loss_curves(pd.read_csv(Path(args.train_dir) / "history.csv"), f"{name}: training losses", out / "loss.png")
    memory_file = Path(args.infer_dir) / MEMORY_SUMMARY
    if memory_file.exists():
        summary = np.load(memory_file)
        plots.memory_usage_histogram(summary["usage"], name, out / "memory_usage.png")
        n = min(cfg["tsne_points"], len(summary["queries"]))
        query_xy, item_xy = plots.tsne_embedding(summary["queries"][:n], summary["items_final"],
                                                 cfg["perplexity"], cfg["random_state"])
        plots.tsne_plot(query_xy, summary["nearest"][:n], item_xy, f"{name}: queries and items (t-SNE)", out / "tsne.png")


if __name__ == "__main__":
    run(main)
