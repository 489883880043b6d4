"""infer@<dataset>-<model> (and infer_memory, infer_clip, ...): per-frame signals on the test
split (PSNR, query distances, reconstruction errors, memory usage), once per seed, through
the engine's per-video test loop with the model's family scorer.

usage: python stages/infer.py <model> <train_dir> <prepared_dir> <out_dir> --family <family> [--seed N]
params: seeds (unless --seed: an imported checkpoint is one run), runtime.device,
        runtime.cpu_threads, models.<model>.{family,infer}
"""
import argparse

from _common import arguments, run

from pipeline import families
from pipeline.artifacts import seed_dir
from pipeline.families import check_family
from pipeline.params import load_params, model_section, seeds


def parse(argv=None) -> argparse.Namespace:
    return arguments(argv, "model", "train_dir", "prepared_dir", "out_dir", family=True,
                     options={"--seed": {"type": int, "help": "this seed's run only, instead of params' seeds"}})


def settings(params: dict, args: argparse.Namespace):
    """(device name, CPU threads, checkpoint, [(seed, infer config)])."""
    check_family(params, args.model, args.family)
    checkpoint = model_section(params, args.model)["infer"].get("checkpoint", "final")
    run_seeds = [args.seed] if args.seed is not None else seeds(params)
    configs = [(seed, families.load(args.family, "infer").config(params, args.model, seed)) for seed in run_seeds]
    return params["runtime"]["device"], params["runtime"]["cpu_threads"], checkpoint, configs


def main():
    from pipeline.engine.runtime import configure, pick_device
    from pipeline.engine.testing import infer_seed

    args = parse()
    device_name, threads, checkpoint, configs = settings(load_params(), args)
    device = pick_device(device_name)
    configure(device, threads)
    run_family = families.load(args.family, "infer").run
    frames = sum(infer_seed(run_family, cfg, seed_dir(args.train_dir, seed), checkpoint, args.prepared_dir,
                            seed_dir(args.out_dir, seed), device) for seed, cfg in configs)
    return args.out_dir, {"device": str(device), "cpu_threads": threads, "frames": frames}


if __name__ == "__main__":
    run(main)
