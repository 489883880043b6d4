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
from pipeline.data.index import write_dataset  # noqa: E402
from pipeline.data.synthetic import SyntheticConfig, generate  # noqa: E402
from pipeline.engine.loop import LoopConfig, fit  # noqa: E402
from pipeline.engine.runtime import pick_device  # noqa: E402
from pipeline.evaluation.evaluate import evaluate  # noqa: E402
from pipeline.families.mnad.config import InferConfig, TrainConfig  # noqa: E402
from pipeline.families.mnad.infer import run as infer  # noqa: E402
from pipeline.families.mnad.model import MNADConfig  # noqa: E402
from pipeline.families.mnad.spec import score_plan  # noqa: E402
from pipeline.families.mnad.train import MNADRecipe  # noqa: E402


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
        start, seconds = time.perf_counter(), []
        recipe = MNADRecipe(MNADConfig(task="prediction", memory=True, width=width, image_size=size),
                            TrainConfig(epochs=args.epochs))
        end_epoch = recipe.end_epoch
        recipe.end_epoch = lambda epoch, ctx: seconds.append(time.perf_counter() - start - sum(seconds)) or end_epoch(epoch, ctx)
        history = fit(recipe, root, run, LoopConfig(epochs=args.epochs, batch_size=4, checkpoint_every=args.epochs), device)
        train_s = time.perf_counter() - start
        infer(InferConfig(gamma=0.01), run, "final", root, seed_dir(run / "infer", 0), device)
        plan = score_plan({"lambda": "paper", "models": {"pred_mem": {
            "train": {"memory": True}, "infer": {"test_time_update": True},
            "score": {"lambda": 0.6, "memory_term": True, "normalisation": "per_video"}}}}, "pred_mem")
        _, metrics = evaluate([seed_dir(run / "infer", 0)], plan)
    print(f"device: {torch.cuda.get_device_name(0) if device.type == 'cuda' else 'cpu'}; "
          f"image {size}, width {width}, train {train_s:.0f} s")
    print("| epoch | loss | reconstruction | compactness | separateness | seconds |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for r, s in zip(history.itertuples(), seconds):
        print(f"| {r.epoch} | {r.loss:.4f} | {r.reconstruction:.4f} | {r.compactness:.2e} | {r.separateness:.4f} | {s:.1f} |")
    per_type = ", ".join(f"{k} {v:.3f}" for k, v in metrics["per_type"].items())
    print(f"AUC micro {metrics['auc_micro']:.3f}, macro {metrics['auc_macro']:.3f}; per type: {per_type}")


if __name__ == "__main__":
    main()
