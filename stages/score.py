"""score@<dataset>-<model> and score_memory@<dataset>-<model>: abnormality score and AUC.

usage: python stages/score.py <dataset> <model> <infer_dir> <out_dir> --group {plain,memory,clip,daad}
params: models.<model>.score, models.<model>.train.task, evaluation.bootstrap
        (+ models.<model>.infer.test_time_update, lambda for the memory group)
The memory group scores with eq. 16 (lambda); the others with models.<model>.score.terms,
or the PSNR alone for MNAD without memory.
"""
import argparse
from pathlib import Path

from _common import run

from pipeline.artifacts import CHECKPOINT_EPOCH, seed_dirs
from pipeline.evaluation import evaluate, protocol
from pipeline.data.index import ONE_MODEL_PER_VIDEO
from pipeline.io import write_csv, write_json
from pipeline.params import GROUP_FAMILY, GROUP_LISTS, load_params, model_section, score_terms
from pipeline.scoring import resolve_lambda


def main() -> None:
    parser = argparse.ArgumentParser()
    for name in ("dataset", "model", "infer_dir", "out_dir"):
        parser.add_argument(name)
    parser.add_argument("--group", choices=sorted(GROUP_LISTS), required=True)
    args = parser.parse_args()
    params = load_params()
    section = model_section(params, args.model)
    memory = args.group == "memory"
    score_cfg = section["score"]
    lam = resolve_lambda(params["lambda"], score_cfg["lambda"]) if memory else None
    terms = score_terms(params, args.model) if args.group in ("clip", "daad", "oneclass") else None
    scores, metrics = evaluate(args.infer_dir, lam, score_cfg["normalisation"], score_cfg.get("memory_term", True),
                               section["infer"]["test_time_update"] if memory else None,
                               bootstrap=params["evaluation"]["bootstrap"], terms=terms)
    clip_length = 16 if args.group == "clip" else None  # MemAE / LNTRA score a clip's centre frame
    out = Path(args.out_dir)
    write_csv(out / "scores.csv", scores)
    metrics = {"dataset": args.dataset, "model": args.model, "task": section["train"]["task"], "memory": memory,
               "family": GROUP_FAMILY[args.group],
               "protocol": protocol(section["train"]["task"], score_cfg["normalisation"], clip_length,
                                    per_category=args.dataset in ONE_MODEL_PER_VIDEO),
               "checkpoint_epoch": int((seed_dirs(args.infer_dir)[0] / CHECKPOINT_EPOCH).read_text()), **metrics}
    write_json(out / "metrics.json", metrics)
    print(f"{args.dataset}/{args.model}: AUC micro {metrics['auc_micro']} macro {metrics['auc_macro']}")


if __name__ == "__main__":
    run(main)
