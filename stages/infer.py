"""infer@<dataset>-<model>-<seed> (and infer_memory, infer_clip, ...): per-frame signals on the
test split (PSNR, query distances, reconstruction errors, memory usage) of one training seed's
model, through the engine's per-video test loop with the model's family scorer.

usage: python stages/infer.py <model> <train_seed_dir> <prepared_dir> <out_dir> --seed <seed> --family <family>
params: runtime.{device,cpu_threads,numerics}, models.<model>.{family,infer}
"""
import argparse
from pathlib import Path

from _common import arguments, numerics_setting, run

from pipeline import families
from pipeline.families import check_family
from pipeline.params import load_params, model_section


def parse(argv=None) -> argparse.Namespace:
    return arguments(argv, "model", "train_dir", "prepared_dir", "out_dir", family=True,
                     options={"--seed": {"type": int, "required": True,
                                         "help": "the training seed of train_dir (an imported checkpoint: 0)"}})


def settings(params: dict, args: argparse.Namespace):
    """(device name, (numerics, CPU threads), checkpoint, infer config)."""
    check_family(params, args.model, args.family)
    checkpoint = model_section(params, args.model)["infer"].get("checkpoint", "final")
    config = families.load(args.family, "infer").config(params, args.model, args.seed)
    return params["runtime"]["device"], numerics_setting(params, Path(__file__).stem), checkpoint, config


def main():
    from pipeline.engine.runtime import start
    from pipeline.engine.testing import infer_seed

    args = parse()
    device_name, (_, threads), checkpoint, config = settings(load_params(), args)
    device = start(device_name, threads)
    frames = infer_seed(families.load(args.family, "infer").run, families.load(args.family, "model").build, config,
                        Path(args.train_dir), checkpoint, args.prepared_dir, Path(args.out_dir), device)
    return args.out_dir, {"device": str(device), "cpu_threads": threads, "frames": frames}


if __name__ == "__main__":
    run(main)
