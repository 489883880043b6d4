"""infer@<dataset>-<model>: per-frame PSNR, query distances, memory usage on the test split.

usage: python stages/infer.py <model> <train_dir> <prepared_dir> <out_dir>
params: seeds, train.device, models.<model>.infer
"""
import argparse
from pathlib import Path

from _common import run

from pipeline.devices import pick_device
from pipeline.inference import infer
from pipeline.io import InputError
from pipeline.params import infer_config, load_params, model_section, seeds
from pipeline.artifacts import CHECKPOINT_EPOCH, seed_dir
from pipeline.checkpoints import load_checkpoint


def checkpoint_path(train_dir: Path, checkpoint) -> Path:
    """`final`, or an epoch number saved under checkpoints/ (the report scored every 5th)."""
    path = train_dir / "final.pt" if checkpoint == "final" else train_dir / "checkpoints" / f"epoch_{int(checkpoint):03d}.pt"
    if not path.exists():
        saved = sorted(p.stem for p in (train_dir / "checkpoints").glob("*.pt"))
        raise InputError(f"{path} not found; models.<model>.infer.checkpoint must be 'final' or one of {saved}")
    return path


def main():
    parser = argparse.ArgumentParser()
    for name in ("model", "train_dir", "prepared_dir", "out_dir"):
        parser.add_argument(name)
    args = parser.parse_args()
    params = load_params()
    device = pick_device(params["train"]["device"])
    checkpoint = model_section(params, args.model)["infer"].get("checkpoint", "final")
    for seed in seeds(params):
        path = checkpoint_path(seed_dir(args.train_dir, seed), checkpoint)
        model, items, state = load_checkpoint(path, device)
        cfg = infer_config(params, args.model, state["train_config"]["update_normalisation"], seed)
        out = seed_dir(args.out_dir, seed)
        frames = infer(model, items, args.prepared_dir, out, cfg, device)
        (out / CHECKPOINT_EPOCH).write_text(f"{state['epoch']}\n")
        print(f"scored {len(frames)} frames of {frames.video.nunique()} videos with {path}")
    return args.out_dir


if __name__ == "__main__":
    run(main)
