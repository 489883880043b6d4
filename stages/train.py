"""train@<dataset>-<model> and train_memory@<dataset>-<model>: train one model variant.

usage: python stages/train.py <dataset> <model> <prepared_dir> <out_dir> --group {plain,memory}
params: seed, profile, profiles.<profile>.{model,train,epochs.<dataset>}, train, models.<model>.train
        (+ supervision, memory_supervision for the memory group)
"""
import argparse

from _common import run

from pipeline.devices import pick_device
from pipeline.io import InputError
from pipeline.params import is_memory_model, load_params, mnad_config, train_config
from pipeline.training import train


def main() -> None:
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
    print(f"training {args.dataset}/{args.model} on {device}")
    train(args.prepared_dir, args.out_dir, mnad_config(params, args.model),
          train_config(params, args.dataset, args.model, with_supervision=memory), device)


if __name__ == "__main__":
    run(main)
