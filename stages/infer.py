"""infer@<dataset>-<model> (and infer_memory, infer_clip, ...): per-frame signals on the test
split (PSNR, query distances, reconstruction errors, memory usage), once per seed, through
the engine's per-video test loop with the model's family scorer.

usage: python stages/infer.py <model> <train_dir> <prepared_dir> <out_dir> --family <family>
params: seeds, runtime.device, runtime.cpu_threads, models.<model>.{family,infer}
"""
import argparse

from _common import arguments, run

from pipeline import families
from pipeline.artifacts import INFERENCE, seed_dir
from pipeline.io import write_json
from pipeline.families import check_family
from pipeline.params import load_params, model_section, seeds


def parse(argv=None) -> argparse.Namespace:
    return arguments(argv, "model", "train_dir", "prepared_dir", "out_dir", family=True)


def settings(params: dict, args: argparse.Namespace):
    """(device name, CPU threads, checkpoint, [(seed, infer config)])."""
    check_family(params, args.model, args.family)
    checkpoint = model_section(params, args.model)["infer"].get("checkpoint", "final")
    configs = [(seed, families.load(args.family, "infer").config(params, args.model, seed)) for seed in seeds(params)]
    return params["runtime"]["device"], params["runtime"]["cpu_threads"], checkpoint, configs


def main():
    from pipeline.data.index import PreparedDataset
    from pipeline.engine.runtime import configure, pick_device

    args = parse()
    device_name, threads, checkpoint, configs = settings(load_params(), args)
    device = pick_device(device_name)
    configure(device, threads)
    infer = families.load(args.family, "infer")
    per_category = PreparedDataset(args.prepared_dir).per_category
    for seed, cfg in configs:
        out = seed_dir(args.out_dir, seed)
        table, facts = infer.run(cfg, seed_dir(args.train_dir, seed), checkpoint, args.prepared_dir, out, device)
        write_json(out / INFERENCE, {**facts, "per_category": per_category})
        print(f"scored {len(table)} frames of {table.video.nunique()} videos (checkpoint {checkpoint}, "
              f"epoch {facts['checkpoint_epoch']})")
    return args.out_dir, {"device": str(device), "cpu_threads": threads}


if __name__ == "__main__":
    run(main)
