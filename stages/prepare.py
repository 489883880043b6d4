"""prepare@<dataset>: turn a dataset into the shared prepared format (pipeline.data.index).

usage: python stages/prepare.py <dataset> <out_dir>     params: prepare.<dataset>
"""
import argparse

from _common import run

from pipeline.data.index import write_dataset
from pipeline.data.synthetic import SyntheticConfig, generate
from pipeline.io import InputError
from pipeline.params import load_params


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dataset")
    parser.add_argument("out_dir")
    args = parser.parse_args()
    params = load_params()["prepare"]
    if args.dataset == "synthetic":
        write_dataset(args.out_dir, "synthetic", generate(SyntheticConfig(**params["synthetic"])))
        return args.out_dir
    else:
        raise InputError(f"dataset '{args.dataset}' has no preparer yet; supported: synthetic")


if __name__ == "__main__":
    run(main)
