"""prepare@<dataset> and prepare_images@<dataset>: turn a dataset into the shared prepared
format (pipeline.data.index): synthetic (generated), the video benchmarks, MVTec AD, and
the one-class digit sets (from scikit-learn).

usage: python stages/prepare.py <dataset> <raw_dir> <out_dir>     params: prepare.<dataset>
"""
import argparse
from pathlib import Path

from _common import run

from pipeline.data.digits import DigitsConfig, oneclass_records
from pipeline.data.index import write_dataset
from pipeline.data.mvtec import prepare_mvtec
from pipeline.data.real import prepare_real
from pipeline.data.synthetic import SyntheticConfig, generate
from pipeline.io import InputError
from pipeline.params import load_params


def main():
    parser = argparse.ArgumentParser()
    for name in ("dataset", "raw_dir", "out_dir"):
        parser.add_argument(name)
    args = parser.parse_args()
    params = load_params()["prepare"]
    if args.dataset not in params:
        raise InputError(f"params.yaml: no section prepare.{args.dataset}")
    cfg = params[args.dataset]
    if args.dataset == "synthetic":
        write_dataset(args.out_dir, "synthetic", generate(SyntheticConfig(**cfg)))
    elif args.dataset == "digits":
        write_dataset(args.out_dir, "digits", oneclass_records(DigitsConfig(**cfg)))
    elif args.dataset == "mvtec":
        prepare_mvtec(Path(args.raw_dir), Path(args.out_dir), cfg["size"])
    else:
        prepare_real(args.dataset, Path(args.raw_dir), Path(args.out_dir), cfg["size"], cfg["workers"])
    return args.out_dir


if __name__ == "__main__":
    run(main)
