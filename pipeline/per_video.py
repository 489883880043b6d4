"""Image-level models (DAAD, MemAE's image track): train on a prepared dataset's training
frames and score each test frame on its own. Datasets whose "videos" are categories
(MVTec AD, the one-class digit sets) get one model per category, as their protocols do:
`<train_dir>/<category>/final.pt`; the others one model for all (`<train_dir>/final.pt`)."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from tqdm import tqdm

from pipeline.artifacts import EXAMPLES, FRAMES
from pipeline.checkpoints import checkpoint_path, load_checkpoint
from pipeline.data.clips import resize_frames
from pipeline.data.index import ONE_MODEL_PER_VIDEO, PreparedDataset
from pipeline.inference import WorstAbnormalFrame, label_rows, write_examples
from pipeline.io import write_csv


def one_model_per_video(dataset_root: str | Path) -> bool:
    return PreparedDataset(dataset_root).name in ONE_MODEL_PER_VIDEO


def train_models(dataset_root: str | Path, out_dir: str | Path,
                 fit: Callable[[Path, list[str] | None], pd.DataFrame]) -> None:
    """fit(out_dir, videos) trains one model. Per category, the first category's history
    is also written as out_dir/history.csv (the loss figure shows it)."""
    if not one_model_per_video(dataset_root):
        fit(Path(out_dir), None)
        return
    for i, category in enumerate(PreparedDataset(dataset_root).videos("train")):
        history = fit(Path(out_dir) / category, [category])
        if i == 0:
            write_csv(Path(out_dir) / "history.csv", history)


def infer_frames(train_dir: Path, checkpoint, dataset_root: str | Path, out_dir: str | Path,
                 score_video: Callable[[object, np.ndarray, WorstAbnormalFrame], pd.DataFrame], device
                 ) -> tuple[pd.DataFrame, int]:
    """score_video(model, frames (T, S, S, 3) uint8, worst) -> rows with `frame` and signals.
    Writes FRAMES and EXAMPLES; returns the table and the checkpoint epoch."""
    dataset, out_dir = PreparedDataset(dataset_root), Path(out_dir)
    per_video = one_model_per_video(dataset_root)
    shared = None if per_video else load_checkpoint(checkpoint_path(train_dir, checkpoint), device)
    tables, examples, epoch = [], [], None
    for video in tqdm(dataset.videos("test"), desc="infer", mininterval=2):
        model, _, state = load_checkpoint(checkpoint_path(train_dir / video, checkpoint), device) if per_video else shared
        model.eval()
        epoch = int(state["epoch"])
        frames = resize_frames(np.asarray(dataset.frames("test", video)), model.cfg.image_size)
        truth = dataset.frame_table("test", video).set_index("frame")
        worst = WorstAbnormalFrame(truth.label.to_numpy())
        rows = score_video(model, frames, worst)
        examples += worst.found(video)
        tables.append(label_rows(rows, video, truth))
    table = pd.concat(tables, ignore_index=True)
    write_csv(out_dir / FRAMES, table)
    write_examples(out_dir / EXAMPLES, examples)
    return table, epoch
