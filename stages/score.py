"""score@<dataset>-<model> and score_memory@<dataset>-<model>: abnormality score and AUC.

usage: python stages/score.py <dataset> <model> <infer_dir> <out_dir> --group {plain,memory}
params: models.<model>.score (+ lambda for the memory group)
"""
import argparse
from pathlib import Path

import pandas as pd
from _common import run

from pipeline.io import write_csv, write_json
from pipeline.metrics import frame_aucs
from pipeline.params import load_params, model_section
from pipeline.scoring import abnormality_score, resolve_lambda


def main() -> None:
    parser = argparse.ArgumentParser()
    for name in ("dataset", "model", "infer_dir", "out_dir"):
        parser.add_argument(name)
    parser.add_argument("--group", choices=("plain", "memory"), required=True)
    args = parser.parse_args()
    params = load_params()
    section = model_section(params, args.model)
    score_cfg = section["score"]
    lam = None
    if args.group == "memory" and score_cfg.get("memory_term", True):
        lam = resolve_lambda(params["lambda"], score_cfg["lambda"])
    frames = pd.read_csv(Path(args.infer_dir) / "frames.csv", dtype={"video": str})
    frames["score"] = abnormality_score(frames, lam, score_cfg["normalisation"])
    out = Path(args.out_dir)
    write_csv(out / "scores.csv", frames[["video", "frame", "label", "anomaly_type", "score"]])
    metrics = {"dataset": args.dataset, "model": args.model, "task": section["train"]["task"],
               "memory": args.group == "memory", "lambda": lam, "normalisation": score_cfg["normalisation"],
               "checkpoint_epoch": int((Path(args.infer_dir) / "checkpoint_epoch.txt").read_text()),
               **frame_aucs(frames)}
    write_json(out / "metrics.json", metrics)
    print(f"{args.dataset}/{args.model}: AUC micro {metrics['auc_micro']:.4f} macro {metrics['auc_macro']:.4f}")


if __name__ == "__main__":
    run(main)
