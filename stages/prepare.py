"""prepare@<dataset>, prepare_images@<dataset>, prepare_oneclass@<dataset>: turn a dataset
into the shared prepared format (pipeline.data.index), as its row in the dataset table says
(pipeline.data.datasets): generated (synthetic, the one-class digit sets from scikit-learn)
or read from data/raw/<dataset> (the video benchmarks, MVTec AD).

usage: python stages/prepare.py <dataset> <raw_dir> <out_dir>     params: prepare.<dataset>, runtime.numerics
"""
import argparse
from pathlib import Path

from _common import arguments, numerics_setting, run

from pipeline.data.prepare import prepare
from pipeline.io import InputError
from pipeline.params import load_params


def parse(argv=None) -> argparse.Namespace:
    return arguments(argv, "dataset", "raw_dir", "out_dir")


def settings(params: dict, args: argparse.Namespace) -> dict:
    if args.dataset not in params["prepare"]:
        raise InputError(f"params.yaml: no section prepare.{args.dataset}")
    numerics_setting(params, Path(__file__).stem)
    return dict(params["prepare"][args.dataset])


def main():
    args = parse()
    prepare(args.dataset, settings(load_params(), args), Path(args.raw_dir), Path(args.out_dir))
    return args.out_dir


if __name__ == "__main__":
    run(main)
