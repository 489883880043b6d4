"""train@<dataset>-<model>-<seed> (and train_memory, train_clip, train_daad, ...): train one
model with one training seed, through the engine's epoch loop with the model's family recipe.
Each seed is a stage of its own: adding a seed trains only that seed.

usage: python stages/train.py <dataset> <model> <prepared_dir> <out_dir> --seed <seed> --family <family>
       --models <model list>
params: runtime.{device,cpu_threads,numerics}, speed.<family>, profile,
        profiles.<p>.<family>.{model,train,epochs.<dataset>}, models.<model>.{family,train}
        (+ supervision, memory_supervision for MNAD's memory variants). runtime.num_workers is read
        too but never changes a result (pipeline.params.RESULT_NEUTRAL), so it is not a dependency.
"""
import argparse
from pathlib import Path

from _common import arguments, numerics_setting, run

from pipeline import families
from pipeline.families import check_listing
from pipeline.params import load_params


def parse(argv=None) -> argparse.Namespace:
    return arguments(argv, "dataset", "model", "prepared_dir", "out_dir", family=True, model_list=True,
                     options={"--seed": {"type": int, "required": True, "help": "the training seed"}})


def settings(params: dict, args: argparse.Namespace):
    """Every param this stage reads: (device name, (numerics, CPU threads), recipe, loop config)."""
    check_listing(params, args.model, args.family, args.models)
    recipe, loop = families.load(args.family, "train").recipe(params, args.dataset, args.model, args.seed)
    return params["runtime"]["device"], numerics_setting(params, Path(__file__).stem), recipe, loop


def main():
    from pipeline.engine.loop import train
    from pipeline.engine.runtime import start

    args = parse()
    device_name, (_, threads), recipe, loop = settings(load_params(), args)
    device = start(device_name, threads)
    print(f"training {args.dataset}/{args.model} seed {args.seed} on {device} ({threads} CPU threads)")
    train(recipe, args.prepared_dir, args.out_dir, loop, device)
    return args.out_dir, {"device": str(device), "cpu_threads": threads}


if __name__ == "__main__":
    run(main)
