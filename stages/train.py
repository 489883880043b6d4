"""train@<dataset>-<model> and train_memory@<dataset>-<model>: train one model variant.

usage: python stages/train.py <dataset> <model> <prepared_dir> <out_dir> --group {plain,memory}
params: seeds, profile, profiles.<profile>.{model,train,epochs.<dataset>}, train, models.<model>.train
        (+ supervision, memory_supervision for the memory group)
"""
import argparse

from _common import run

from pipeline.devices import pick_device
from pipeline.io import InputError
from pipeline.artifacts import seed_dir
from pipeline.params import is_memory_model, load_params, mnad_config, seeds, train_config
from pipeline.training import train


def main():
    parser = argparse.ArgumentParser()
    for name in ("dataset", "model", "prepared_dir", "out_dir"):
        parser.add_argument(name)
    parser.add_argument("--group", choices=("plain", "memory"), required=True)
    args = parser.parse_args()
    params = load_params()
    memory = args.group == "memory"
    if is_memory_model(params, args.model) != memory:
        raise InputError(f"params.yaml: model '{args.model}' is listed in "
                         f"{'memory_models' if memory else 'plain_models'} but models.{args.model}.train.memory "
                         f"is {not memory}; move it to the other list.")
    device = pick_device(params["train"]["device"])
    for seed in seeds(params):  # one full training run per seed
        print(f"training {args.dataset}/{args.model} seed {seed} on {device}")
        train(args.prepared_dir, seed_dir(args.out_dir, seed), mnad_config(params, args.model),
              train_config(params, args.dataset, args.model, with_supervision=memory, seed=seed), device)
    return args.out_dir


if __name__ == "__main__":
    run(main)
