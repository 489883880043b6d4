"""Train MNAD prediction-with-memory at paper size (256x256, C=512, batch 4, MNAD sec. 4.1)
for a few epochs on the synthetic dataset; print the loss curve and the AUC as a table.

    python benchmarks/paper_size_training.py --epochs 3            # on a GPU box
    python benchmarks/paper_size_training.py --epochs 1 --smoke    # tiny, any CPU

Record GPU results in benchmarks/RESULTS.md with date, device and command.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from pipeline.artifacts import seed_dir  # noqa: E402
from pipeline.checkpoints import load_checkpoint  # noqa: E402
from pipeline.data.index import write_dataset  # noqa: E402
from pipeline.data.synthetic import SyntheticConfig, generate  # noqa: E402
from pipeline.devices import pick_device  # noqa: E402
from pipeline.evaluation import evaluate  # noqa: E402
from pipeline.inference import InferConfig, infer  # noqa: E402
from pipeline.models.mnad import MNADConfig  # noqa: E402
from pipeline.training import TrainConfig, train  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="64x64, width 8, 2 videos: checks the script runs")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    device = pick_device(args.device)
    size, width = (64, 8) if args.smoke else (256, 64)
    data_cfg = SyntheticConfig(size=size, train_videos=2 if args.smoke else 8, test_videos_per_type=1 if args.smoke else 6)
    with tempfile.TemporaryDirectory() as tmp:
        root, run = Path(tmp) / "synthetic", Path(tmp) / "run"
        write_dataset(root, "synthetic", generate(data_cfg))
        start = time.perf_counter()
        history = train(root, run, MNADConfig(task="prediction", memory=True, width=width, image_size=size),
                        TrainConfig(epochs=args.epochs, checkpoint_every=args.epochs), device)
        train_s = time.perf_counter() - start
        model, items, _ = load_checkpoint(run / "final.pt", device)
        infer(model, items, root, seed_dir(run / "infer", 0), InferConfig(gamma=0.01), device)
        _, metrics = evaluate(run / "infer", 0.6, "per_video", True, True)
    print(f"device: {torch.cuda.get_device_name(0) if device.type == 'cuda' else 'cpu'}; "
          f"image {size}, width {width}, train {train_s:.0f} s")
    print("| epoch | loss | reconstruction | compactness | separateness | seconds |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in history.itertuples():
        print(f"| {r.epoch} | {r.loss:.4f} | {r.reconstruction:.4f} | {r.compactness:.2e} | {r.separateness:.4f} | {r.seconds:.1f} |")
    per_type = ", ".join(f"{k} {v:.3f}" for k, v in metrics["per_type"].items())
    print(f"AUC micro {metrics['auc_micro']:.3f}, macro {metrics['auc_macro']:.3f}; per type: {per_type}")


if __name__ == "__main__":
    main()
