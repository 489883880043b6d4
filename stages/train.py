"""train@<dataset>-<model> (and train_memory, train_clip, train_daad, ...): train one model,
once per seed, through the engine's epoch loop with the model's family recipe.

usage: python stages/train.py <dataset> <model> <prepared_dir> <out_dir> --family <family>
params: seeds, runtime, speed.<family>, profile, profiles.<p>.<family>.{model,train,epochs.<dataset>},
        models.<model>.{family,train} (+ supervision, memory_supervision for MNAD's memory variants)
"""
import argparse

from _common import arguments, run

from pipeline import families
from pipeline.artifacts import seed_dir
from pipeline.families import check_listing
from pipeline.params import load_params, seeds


def parse(argv=None) -> argparse.Namespace:
    return arguments(argv, "dataset", "model", "prepared_dir", "out_dir", family=True, model_list=True)


def settings(params: dict, args: argparse.Namespace):
    """Every param this stage reads: (device name, CPU threads, [(seed, recipe, loop config)])."""
    check_listing(params, args.model, args.family, args.models)
    recipes = families.load(args.family, "train")
    runs = [(seed, *recipes.recipe(params, args.dataset, args.model, seed)) for seed in seeds(params)]
    return params["runtime"]["device"], params["runtime"]["cpu_threads"], runs


def main():
    from pipeline.engine.loop import train
    from pipeline.engine.runtime import configure, pick_device

    args = parse()
    device_name, threads, runs = settings(load_params(), args)
    device = pick_device(device_name)
    configure(device, threads)
    for seed, recipe, loop in runs:
        print(f"training {args.dataset}/{args.model} seed {seed} on {device} ({threads} CPU threads)")
        train(recipe, args.prepared_dir, seed_dir(args.out_dir, seed), loop, device)
    return args.out_dir, {"device": str(device), "cpu_threads": threads}


if __name__ == "__main__":
    run(main)
