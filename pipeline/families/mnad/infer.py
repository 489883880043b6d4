"""MNAD's test pass (MNAD sec. 3.1 "test time", 3.3; official Evaluate.py), run per video by
the engine's test loop.

Per scored frame: PSNR of the prediction (eq. 15), and for memory models the
query-to-nearest-item distance D (eq. 14), the regular score E_t (eq. 7-8) and whether the
frame updated the memory. With test-time update, frame t is decoded with the memory as
updated by the frames before t (in video order, videos in sorted order, never reset
between videos) and updates it only if E_t < gamma. The encoder does not depend on the
memory, so it always runs batched over frames. Memory models are also run with the update
switched the other way (an ablation that needs no retraining: `alternate_update_file`).
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from pipeline.artifacts import MEMORY_SUMMARY, alternate_update_file
from pipeline.data.clips import VideoFrames, to_network
from pipeline.data.index import PreparedDataset
from pipeline.engine.frames import WorstAbnormalFrame, psnr
from pipeline.engine.memory_summary import MemoryRecorder
from pipeline.engine.testing import ModelScorer, score_split, test_split
from pipeline.families.mnad import memory as mem
from pipeline.families.mnad.config import CHANNELS, InferConfig, infer_config
from pipeline.families.mnad.model import MNAD, build, flatten_queries
from pipeline.io import write_csv


def scored_frames(num_frames: int, input_frames: int, task: str) -> range:
    """Frame indices that get an output: prediction needs `input_frames` before the frame,
    reconstruction from k frames `k - 1` before it (the official evaluations' first frames)."""
    return range(input_frames, num_frames) if task == "prediction" else range(input_frames - 1, num_frames)


def _clip_inputs(frames: VideoFrames, targets: list[int], input_frames: int, task: str, device
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """Frames t-k..t-1 (prediction) or t-k+1..t (reconstruction) stacked -> the output for t;
    only the window the targets' clips span is read and converted."""
    last = 0 if task == "prediction" else 1
    lo = targets[0] - input_frames + last
    window = frames.read(lo, targets[-1] + 1)
    x = to_network(torch.from_numpy(window), device, CHANNELS)  # (W, 3, H, W)
    at = [t - lo for t in targets]
    if input_frames == 1 and last:
        return x[at], x[at]
    inputs = torch.stack([x[t - input_frames + last:t + last].flatten(0, 1) for t in at])
    return inputs, x[at]


@torch.no_grad()
def infer_video(model: MNAD, items: torch.Tensor | None, frames: VideoFrames | np.ndarray, cfg: InferConfig,
                device: torch.device, recorder: MemoryRecorder | None = None, worst: WorstAbnormalFrame | None = None
                ) -> tuple[pd.DataFrame, torch.Tensor | None]:
    """One video (frames at the model's size, read in windows; or an array) -> per-frame
    rows and the memory after it. A memory model's queries and their nearest items go to
    `recorder`, frame by frame."""
    frames = VideoFrames.from_array(frames) if isinstance(frames, np.ndarray) else frames
    mcfg = model.cfg
    recorder = recorder or MemoryRecorder(cfg.queries_per_frame, cfg.seed)
    worst = worst or WorstAbnormalFrame(None)
    targets = list(scored_frames(len(frames), mcfg.input_frames, mcfg.task))
    rows = []
    for start in range(0, len(targets), cfg.batch_size):
        chunk = targets[start:start + cfg.batch_size]
        inputs, target = _clip_inputs(frames, chunk, mcfg.input_frames, mcfg.task, device)
        query, skips = model.encode(inputs)
        if not mcfg.memory:
            output = model.decode(query, skips, None)
            for i, (t, p) in enumerate(zip(chunk, psnr(output, target))):
                rows.append({"frame": t, "psnr": float(p)})
                worst.consider(t, float(p), output[i], target[i], CHANNELS)
            continue
        if not cfg.test_time_update:
            output = model.decode(query, skips, items)
            flat = flatten_queries(query).reshape(len(chunk), -1, query.shape[1])
            distance = mem.query_distance(flat, items)
            regular = mem.regular_score(output, target)
            for i, t in enumerate(chunk):
                rows.append({"frame": t, "psnr": float(psnr(output[i:i + 1], target[i:i + 1])[0]),
                             "distance": float(distance[i]), "regular_score": float(regular[i]), "updated": False})
                worst.consider(t, rows[-1]["psnr"], output[i], target[i], CHANNELS)
                recorder.add(flat[i], mem.nearest_items(flat[i], items)[:, 0])
            continue
        for i, t in enumerate(chunk):  # sequential: frame t reads the memory updated by frames < t
            q, s = query[i:i + 1], tuple(k[i:i + 1] for k in skips)
            output = model.decode(q, s, items)
            flat = flatten_queries(q)
            distance = float(mem.query_distance(flat[None], items)[0])
            regular = float(mem.regular_score(output, target[i:i + 1])[0])
            recorder.add(flat, mem.nearest_items(flat, items)[:, 0])
            updated = regular < cfg.gamma
            if updated:
                items = mem.update(items, flat, cfg.update_normalisation)
            rows.append({"frame": t, "psnr": float(psnr(output, target[i:i + 1])[0]),
                         "distance": distance, "regular_score": regular, "updated": updated})
            worst.consider(t, rows[-1]["psnr"], output[0], target[i], CHANNELS)
    return pd.DataFrame(rows), items


class MNADScorer(ModelScorer):
    """Carries the memory items from video to video."""

    def __init__(self, model: MNAD, items: torch.Tensor | None, cfg: InferConfig, device: torch.device):
        super().__init__(model, cfg, device)
        self.trained_items = self.items = items
        self.recorder = MemoryRecorder(cfg.queries_per_frame, cfg.seed) if model.cfg.memory else None

    def video(self, frames: VideoFrames, worst: WorstAbnormalFrame) -> pd.DataFrame:
        rows, self.items = infer_video(self.model, self.items, frames, self.cfg, self.device, self.recorder, worst)
        return rows


def run(cfg: InferConfig, train_dir: Path, checkpoint, prepared_root, out_dir: Path, device: torch.device
        ) -> tuple[pd.DataFrame, dict]:
    """Write FRAMES, EXAMPLES and, for memory models, MEMORY_SUMMARY (trained and final
    items, usage, sampled queries) and the test-time-update ablation. Returns the table and
    what the score stage needs to know about this inference."""
    def make_scorer(model, items, state):
        return MNADScorer(model, items, replace(cfg, update_normalisation=state["train_config"]["update_normalisation"]),
                          device)
    table, scorer, state = score_split(train_dir, checkpoint, prepared_root, out_dir, device, make_scorer, build)
    model, trained = scorer.model, scorer.trained_items
    if model.cfg.memory:
        scorer.recorder.write(Path(out_dir) / MEMORY_SUMMARY, trained, scorer.items, cfg.query_samples, cfg.seed)
        flipped = MNADScorer(model, trained, replace(scorer.cfg, test_time_update=not cfg.test_time_update), device)
        table_flipped, _ = test_split(PreparedDataset(prepared_root), lambda video: flipped)
        write_csv(Path(out_dir) / alternate_update_file(cfg.test_time_update), table_flipped)
    arch = model.cfg
    first = arch.input_frames + 1 if arch.task == "prediction" else arch.input_frames
    scored = f"frames {first}..T" if first > 1 else "all frames"
    return table, {"checkpoint_epoch": int(state["epoch"]), "task": arch.task, "scored_frames": scored,
                   "memory": arch.memory, "architecture": describe(model)}


def describe(model: MNAD) -> str:
    """Which MNAD network this is, for the report's tables."""
    c = model.cfg
    parts = [f"{c.input_frames} frame{'s' if c.input_frames > 1 else ''} in", "U-Net skips" if c.skip else
             f"no skips, {c.decoder} decoder widths", f"memory of {c.num_items} items" if c.memory else "no memory",
             "L2-normalised queries" if c.normalise_query else "raw encoder output to the decoder",
             f"{sum(p.numel() for p in model.parameters()):,} parameters"]
    return f"MNAD {c.task}: " + ", ".join(parts)


def config(params: dict, model: str, seed: int) -> InferConfig:
    """models.<model>.infer (the update normalisation comes from the checkpoint)."""
    return infer_config(params, model, "official", seed)
