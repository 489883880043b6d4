"""score@<dataset>-<model> (and score_memory, score_clip, ...): abnormality score and AUC over
the model's training seeds, as its family spec says (MNAD eq. 16 with lambda; the others
models.<m>.score.terms), then the model's figures (pipeline.figures): ROC, score timelines,
losses, worst frames, memory use, t-SNE. One stage for both: the figures read the scores, and
a stage of its own cost more in DVC bookkeeping than the figures take.

usage: python stages/score.py <dataset> <model> <train_dir> <infer_dir> <out_dir> <figures_dir>
       --family <family> --models <model list> [--seed N]
params: seeds (unless --seed: an imported checkpoint is one run), runtime.numerics,
        models.<model>.{family,score}, evaluation.level, figures, and what the family spec
        reads (MNAD: models.<model>.train.memory; with memory also lambda,
        models.<model>.infer.test_time_update)
"""
import argparse
from pathlib import Path

from _common import arguments, numerics_setting, run

from pipeline import families
from pipeline.artifacts import INFERENCE, seed_dirs
from pipeline.evaluation.evaluate import evaluate, protocol
from pipeline.io import read_json, write_csv, write_json
from pipeline.families import check_listing
from pipeline.params import load_params, seeds


def parse(argv=None) -> argparse.Namespace:
    return arguments(argv, "dataset", "model", "train_dir", "infer_dir", "out_dir", "figures_dir", family=True,
                     model_list=True, options={"--seed": {"type": int, "help": "this one run instead of params' seeds"}})


def settings(params: dict, args: argparse.Namespace):
    """(score plan, interval level, figure settings, the training seeds scored)."""
    check_listing(params, args.model, args.family, args.models)
    numerics_setting(params, Path(__file__).stem)
    run_seeds = [args.seed] if args.seed is not None else seeds(params)
    return (families.load(args.family, "spec").score_plan(params, args.model), params["evaluation"]["level"],
            dict(params["figures"]), run_seeds)


def main():
    from pipeline.figures import model_figures

    args = parse()
    plan, level, figures, run_seeds = settings(load_params(), args)
    infer_seeds, train_seeds = seed_dirs(args.infer_dir, run_seeds), seed_dirs(args.train_dir, run_seeds)
    scores, metrics = evaluate(infer_seeds, plan, level)
    facts = read_json(infer_seeds[0] / INFERENCE)
    out = Path(args.out_dir)
    write_csv(out / "scores.csv", scores)
    metrics = {"dataset": args.dataset, "model": args.model, "task": facts["task"], "memory": facts["memory"],
               "family": args.family, "protocol": protocol(facts["scored_frames"], plan.normalisation, facts["per_category"]),
               "per_category": facts["per_category"], "checkpoint_epoch": facts["checkpoint_epoch"],
               "architecture": facts.get("architecture", ""), "weights": facts.get("weights", "trained here"),
               **{k: facts.get(k) for k in ("parameters", "memory_items", "checkpoint_bytes")}, **metrics}
    write_json(out / "metrics.json", metrics)
    print(f"{args.dataset}/{args.model}: AUC micro {metrics['auc_micro']} macro {metrics['auc_macro']}")
    model_figures(f"{args.dataset} / {args.model}", scores, train_seeds, infer_seeds, Path(args.figures_dir), figures)
    return out


if __name__ == "__main__":
    run(main)
