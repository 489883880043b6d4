"""prepare@<dataset>, prepare_images@<dataset>, prepare_oneclass@<dataset>: turn a dataset
into the shared prepared format (pipeline.data.index): synthetic (generated), the video
benchmarks, MVTec AD, and the one-class digit sets (from scikit-learn).

usage: python stages/prepare.py <dataset> <raw_dir> <out_dir>     params: prepare.<dataset>, runtime.numerics
"""
import argparse
from pathlib import Path

from _common import arguments, numerics_setting, run

from pipeline.io import InputError
from pipeline.params import load_params
from pipeline.params.schema import Prepare


def parse(argv=None) -> argparse.Namespace:
    return arguments(argv, "dataset", "raw_dir", "out_dir")


def settings(params: dict, args: argparse.Namespace) -> dict:
    if args.dataset not in params["prepare"]:
        raise InputError(f"params.yaml: no section prepare.{args.dataset}")
    numerics_setting(params, Path(__file__).stem)
    return dict(params["prepare"][args.dataset])


def main():
    args = parse()
    cfg = settings(load_params(), args)
    if args.dataset == "synthetic":
        from pipeline.data.index import write_dataset
        from pipeline.data.synthetic import SyntheticConfig, generate
        write_dataset(args.out_dir, "synthetic", generate(SyntheticConfig(**cfg)))
    elif args.dataset == "digits":
        from pipeline.data.digits import DigitsConfig, oneclass_records
        from pipeline.data.index import write_dataset
        write_dataset(args.out_dir, "digits", oneclass_records(DigitsConfig(**cfg)))
    elif args.dataset == "mvtec":
        from pipeline.data.mvtec import prepare_mvtec
        opts = Prepare(**cfg)  # the schema's defaults for keys left out
        prepare_mvtec(Path(args.raw_dir), Path(args.out_dir), opts.size, opts.format)
    else:
        from pipeline.data.real import prepare_real
        opts = Prepare(**cfg)
        prepare_real(args.dataset, Path(args.raw_dir), Path(args.out_dir), opts.size, opts.workers, opts.format,
                     opts.jpeg_round_trip)
    return args.out_dir


if __name__ == "__main__":
    run(main)
