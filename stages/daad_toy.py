"""daad_toy: DAAD Fig. 1 on generated stripes -> errors.csv, pattern.json, toy.png.

usage: python stages/daad_toy.py <out_dir>
params: daad_toy, runtime.numerics
"""
import argparse
from pathlib import Path

from _common import arguments, numerics_setting, run

from pipeline import plots
from pipeline.families.daad.toy import READS, ToyConfig, fig1_pattern, run_toy
from pipeline.io import write_csv, write_json
from pipeline.params import load_params


def parse(argv=None) -> argparse.Namespace:
    return arguments(argv, "out_dir",)


def settings(params: dict, args: argparse.Namespace) -> ToyConfig:
    numerics_setting(params, Path(__file__).stem)
    values = dict(params["daad_toy"])
    return ToyConfig(**{**values, "block_sizes": tuple(values["block_sizes"])})


def main():
    args = parse()
    cfg = settings(load_params(), args)
    out = Path(args.out_dir)
    errors, pictures = run_toy(cfg)
    write_csv(out / "errors.csv", errors)
    write_json(out / "pattern.json", {read: fig1_pattern(errors, read) for read in READS})
    plots.daad_toy_figure(errors, pictures, out / "toy.png")
    return out


if __name__ == "__main__":
    run(main)
