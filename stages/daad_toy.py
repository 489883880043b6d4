"""daad_toy: DAAD Fig. 1 on generated stripes -> errors.csv, pattern.json, toy.png.

usage: python stages/daad_toy.py <out_dir>
params: daad_toy
"""
import argparse
from pathlib import Path

from _common import run

from pipeline import plots
from pipeline.daad_toy import ToyConfig, fig1_pattern, run_toy
from pipeline.io import write_csv, write_json
from pipeline.params import load_params


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out_dir")
    args = parser.parse_args()
    values = dict(load_params()["daad_toy"])
    cfg = ToyConfig(**{**values, "block_sizes": tuple(values["block_sizes"])})
    out = Path(args.out_dir)
    errors, pictures = run_toy(cfg)
    write_csv(out / "errors.csv", errors)
    write_json(out / "pattern.json", {read: fig1_pattern(errors, read) for read in ("nearest", "daad")})
    plots.daad_toy_figure(errors, pictures, out / "toy.png")
    return out


if __name__ == "__main__":
    run(main)
