"""infer@<dataset>-<model> (and infer_memory, infer_clip, infer_daad): per-frame signals on the
test split (PSNR, query distances, reconstruction errors, memory usage; see pipeline.families).

usage: python stages/infer.py <model> <train_dir> <prepared_dir> <out_dir>
params: seeds, train.device, models.<model>.infer (+ the profile's image size for clip models)
"""
import argparse

from _common import run

from pipeline.artifacts import CHECKPOINT_EPOCH, seed_dir
from pipeline.devices import pick_device
from pipeline.families import infer_model
from pipeline.params import load_params, model_section, seeds


def main():
    parser = argparse.ArgumentParser()
    for name in ("model", "train_dir", "prepared_dir", "out_dir"):
        parser.add_argument(name)
    args = parser.parse_args()
    params = load_params()
    device = pick_device(params["train"]["device"])
    checkpoint = model_section(params, args.model)["infer"].get("checkpoint", "final")
    for seed in seeds(params):
        out = seed_dir(args.out_dir, seed)
        frames, epoch = infer_model(params, args.model, seed_dir(args.train_dir, seed), checkpoint, args.prepared_dir,
                                    out, seed, device)
        (out / CHECKPOINT_EPOCH).write_text(f"{epoch}\n")
        print(f"scored {len(frames)} frames of {frames.video.nunique()} videos (checkpoint {checkpoint}, epoch {epoch})")
    return args.out_dir


if __name__ == "__main__":
    run(main)
