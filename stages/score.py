"""score@<dataset>-<model> (and score_memory, score_clip, ...): abnormality score and AUC,
as the model's family spec says (MNAD eq. 16 with lambda; the others models.<m>.score.terms).

usage: python stages/score.py <dataset> <model> <infer_dir> <out_dir> --family <family>
params: models.<model>.{family,score}, evaluation.bootstrap, and what the family spec reads
        (MNAD: models.<model>.train.memory; with memory also lambda, models.<model>.infer.test_time_update)
"""
import argparse
from pathlib import Path

from _common import arguments, run

from pipeline import families
from pipeline.artifacts import INFERENCE, seed_dirs
from pipeline.evaluation.evaluate import evaluate, protocol
from pipeline.io import read_json, write_csv, write_json
from pipeline.families import check_listing
from pipeline.params import load_params


def parse(argv=None) -> argparse.Namespace:
    return arguments(argv, "dataset", "model", "infer_dir", "out_dir", family=True, model_list=True)


def settings(params: dict, args: argparse.Namespace):
    """(score plan, bootstrap resamples)."""
    check_listing(params, args.model, args.family, args.models)
    return families.load(args.family, "spec").score_plan(params, args.model), params["evaluation"]["bootstrap"]


def main():
    args = parse()
    plan, bootstrap = settings(load_params(), args)
    scores, metrics = evaluate(args.infer_dir, plan, bootstrap=bootstrap)
    facts = read_json(seed_dirs(args.infer_dir)[0] / INFERENCE)
    out = Path(args.out_dir)
    write_csv(out / "scores.csv", scores)
    metrics = {"dataset": args.dataset, "model": args.model, "task": facts["task"], "memory": facts["memory"],
               "family": args.family, "protocol": protocol(facts["scored_frames"], plan.normalisation, facts["per_category"]),
               "per_category": facts["per_category"], "checkpoint_epoch": facts["checkpoint_epoch"],
               "architecture": facts.get("architecture", ""), "weights": facts.get("weights", "trained here"),
               **{k: facts.get(k) for k in ("parameters", "memory_items", "checkpoint_bytes")}, **metrics}
    write_json(out / "metrics.json", metrics)
    print(f"{args.dataset}/{args.model}: AUC micro {metrics['auc_micro']} macro {metrics['auc_macro']}")
    return out


if __name__ == "__main__":
    run(main)
