"""train@<dataset>-<model> (and train_memory, train_clip, train_daad): train one model variant,
once per seed.

usage: python stages/train.py <dataset> <model> <prepared_dir> <out_dir> --group {plain,memory,clip,daad}
params: seeds, train, models.<model>.train and the profile section of the model's family
        (mnad: profiles.<p>.{model,train,epochs.<dataset>}; clip: profiles.<p>.clip; daad:
        profiles.<p>.daad); the memory group also reads supervision, memory_supervision
"""
import argparse

from _common import run

from pipeline.artifacts import seed_dir
from pipeline.devices import pick_device
from pipeline.families import train_model
from pipeline.params import GROUP_LISTS, check_group, load_params, seeds


def main():
    parser = argparse.ArgumentParser()
    for name in ("dataset", "model", "prepared_dir", "out_dir"):
        parser.add_argument(name)
    parser.add_argument("--group", choices=sorted(GROUP_LISTS), required=True)
    args = parser.parse_args()
    params = load_params()
    check_group(params, args.model, args.group)
    device = pick_device(params["train"]["device"])
    for seed in seeds(params):  # one full training run per seed
        print(f"training {args.dataset}/{args.model} seed {seed} on {device}")
        train_model(params, args.dataset, args.model, args.prepared_dir, seed_dir(args.out_dir, seed), seed, device,
                    args.group)
    return args.out_dir


if __name__ == "__main__":
    run(main)
