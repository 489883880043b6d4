"""figures@<dataset>-<model>: per-model figures (ROC, timelines, losses, prediction-error heat
maps, memory usage, t-SNE) and `summary.json` (checkpoint epoch, memory-usage statistics).

usage: python stages/figures.py <dataset> <model> <train_dir> <infer_dir> <score_dir> <out_dir>
params: figures
"""
import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from _common import arguments, run

from pipeline import plots
from pipeline.artifacts import EXAMPLES, INFERENCE, MEMORY_SUMMARY, seed_dirs
from pipeline.evaluation.metrics import memory_usage_stats
from pipeline.io import read_json, write_csv, write_json
from pipeline.params import load_params


def parse(argv=None) -> argparse.Namespace:
    return arguments(argv, "dataset", "model", "train_dir", "infer_dir", "score_dir", "out_dir")


def settings(params: dict, args: argparse.Namespace) -> dict:
    return dict(params["figures"])


def main():
    args = parse()
    cfg = settings(load_params(), args)
    out, name = Path(args.out_dir), f"{args.dataset} / {args.model}"
    out.mkdir(parents=True, exist_ok=True)
    scores = pd.read_csv(Path(args.score_dir) / "scores.csv", dtype={"video": str})
    scores = scores[scores.seed == scores.seed.iloc[0]]  # figures show the first training seed
    plots.roc_plot(scores, name, out / "roc.png")
    plots.score_timelines(scores, f"{name}: abnormality score", out / "timelines.png")
    train_dir, infer_dir = seed_dirs(args.train_dir)[0], seed_dirs(args.infer_dir)[0]
    if (train_dir / "history.csv").exists():  # an imported checkpoint has no training history
        plots.loss_curves(pd.read_csv(train_dir / "history.csv"), f"{name}: training losses", out / "loss.png")
    summary = {"checkpoint_epoch": read_json(infer_dir / INFERENCE)["checkpoint_epoch"]}
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
    usage = [_usage_rows(d) for d in seed_dirs(args.infer_dir) if (d / MEMORY_SUMMARY).exists()]
    if usage:  # every seed's usage per test video: the report's intervals for usage claims
        write_csv(out / "memory_usage.csv", pd.concat(usage, ignore_index=True))
    write_json(out / "summary.json", summary)
    return out


def _usage_rows(infer_seed_dir: Path) -> pd.DataFrame:
    memory = np.load(infer_seed_dir / MEMORY_SUMMARY)
    videos, counts = memory["usage_videos"], memory["usage_by_video"]
    video, item = np.nonzero(counts)
    return pd.DataFrame({"seed": int(infer_seed_dir.name.split("_")[1]), "video": videos[video], "item": item,
                         "count": counts[video, item], "items": counts.shape[1]})


if __name__ == "__main__":
    run(main)
