"""Inference on the test split (MNAD sec. 3.1 "test time", 3.3, official Evaluate.py).

Per scored frame: PSNR of the prediction (eq. 15, images in [0, 1]), and for memory
models the query-to-nearest-item distance D (eq. 14), the regular score E_t (eq. 7-8)
and whether the frame updated the memory. With test-time update, frame t is decoded
with the memory as updated by the frames before t (in video order, videos in sorted
order, never reset between videos) and updates it only if E_t < gamma.
The encoder does not depend on the memory, so it always runs batched over frames.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from pipeline.artifacts import EXAMPLES, FRAMES, MEMORY_SUMMARY, alternate_update_file
from pipeline.data.clips import resize_frames
from pipeline.data.index import PreparedDataset
from pipeline.io import atomic_path, write_csv
from pipeline.models import memory as mem
from pipeline.models.mnad import MNAD, flatten_queries

PSNR_MSE_FLOOR = 1e-10  # a perfect prediction gives PSNR 100 dB, not +inf


@dataclass(frozen=True)
class InferConfig:
    test_time_update: bool = True
    gamma: float = 0.01
    update_normalisation: str = "official"
    batch_size: int = 32
    queries_per_frame: int = 8  # kept per frame for t-SNE (paper-size frames have 1024)
    query_samples: int = 3000
    seed: int = 0


def psnr(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Eq. 15 on images in [-1, 1] mapped to [0, 1] (peak 1): (B, ...) -> (B,)."""
    mse = (((prediction + 1) / 2 - (target + 1) / 2) ** 2).flatten(1).mean(dim=1)
    return 10 * torch.log10(1.0 / mse.clamp_min(PSNR_MSE_FLOOR))


def scored_frames(num_frames: int, input_frames: int, task: str) -> range:
    """Frame indices that get a prediction: prediction needs `input_frames` before."""
    return range(input_frames, num_frames) if task == "prediction" else range(num_frames)


def _clip_inputs(frames: np.ndarray, targets: list[int], input_frames: int, task: str, device) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.from_numpy(frames).to(device).float().div_(127.5).sub_(1.0).movedim(-1, -3)  # (T, 3, H, W)
    if task == "prediction":
        inputs = torch.stack([x[t - input_frames:t].flatten(0, 1) for t in targets])
    else:
        inputs = x[targets]
    return inputs, x[targets]


def _to_uint8(image: torch.Tensor) -> np.ndarray:
    """(3, H, W) in [-1, 1] -> (H, W, 3) uint8."""
    return ((image.clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).cpu().numpy()


class WorstAbnormalFrame:
    """Keeps the abnormal frame with the lowest PSNR of a video (target and prediction),
    for the prediction-error heat maps of MNAD Fig. 4."""

    def __init__(self, labels: np.ndarray | None):
        self.labels, self.best = labels, None

    def found(self, video: str) -> list[tuple]:
        """[(video, frame, PSNR, target, prediction)] or [] when the video had no abnormal frame."""
        return [] if self.best is None else [(video, *self.best)]

    def consider(self, t: int, value: float, output: torch.Tensor, target: torch.Tensor) -> None:
        if self.labels is not None and self.labels[t] == 1 and (self.best is None or value < self.best[1]):
            self.best = (t, value, _to_uint8(target), _to_uint8(output))


def label_rows(rows: pd.DataFrame, video: str, truth: pd.DataFrame) -> pd.DataFrame:
    """Prefix the video's name and add each scored frame's ground truth (truth indexed by frame)."""
    rows.insert(0, "video", video)
    rows["label"] = truth.loc[rows.frame, "label"].to_numpy()
    rows["anomaly_type"] = truth.loc[rows.frame, "anomaly_type"].to_numpy()
    return rows


@torch.no_grad()
def infer_video(model: MNAD, items: torch.Tensor | None, frames: np.ndarray, cfg: InferConfig,
                device: torch.device, sampler: torch.Generator | None = None, worst: WorstAbnormalFrame | None = None,
                ) -> tuple[pd.DataFrame, torch.Tensor | None, list[torch.Tensor], list[torch.Tensor]]:
    """Run one video. Returns per-frame rows, the memory after the video, and, per
    frame of a memory model, the nearest item of every query (K,) and a sample of
    `queries_per_frame` queries with their nearest items, as (n, C + 1) rows."""
    mcfg = model.cfg
    sampler = sampler or torch.Generator().manual_seed(cfg.seed)
    worst = worst or WorstAbnormalFrame(None)

    def keep(flat: torch.Tensor, nearest: torch.Tensor) -> None:
        nearest_out.append(nearest.cpu())
        pick = torch.randperm(len(flat), generator=sampler)[:cfg.queries_per_frame].to(flat.device)
        queries_out.append(torch.cat((flat[pick], nearest[pick, None].to(flat.dtype)), 1).cpu())

    targets = list(scored_frames(len(frames), mcfg.input_frames, mcfg.task))
    rows, queries_out, nearest_out = [], [], []
    for start in range(0, len(targets), cfg.batch_size):
        chunk = targets[start:start + cfg.batch_size]
        inputs, target = _clip_inputs(frames, chunk, mcfg.input_frames, mcfg.task, device)
        query, skips = model.encode(inputs)
        if not mcfg.memory:
            output = model.decode(query, skips, None)
            for i, (t, p) in enumerate(zip(chunk, psnr(output, target))):
                rows.append({"frame": t, "psnr": float(p)})
                worst.consider(t, float(p), output[i], target[i])
            continue
        if not cfg.test_time_update:
            output = model.decode(query, skips, items)
            flat = flatten_queries(query).reshape(len(chunk), -1, query.shape[1])
            distance = mem.query_distance(flat, items)
            regular = mem.regular_score(output, target)
            for i, t in enumerate(chunk):
                rows.append({"frame": t, "psnr": float(psnr(output[i:i + 1], target[i:i + 1])[0]),
                             "distance": float(distance[i]), "regular_score": float(regular[i]), "updated": False})
                worst.consider(t, rows[-1]["psnr"], output[i], target[i])
                keep(flat[i], mem.nearest_items(flat[i], items)[:, 0])
            continue
        for i, t in enumerate(chunk):  # sequential: frame t reads the memory updated by frames < t
            q, s = query[i:i + 1], tuple(k[i:i + 1] for k in skips)
            output = model.decode(q, s, items)
            flat = flatten_queries(q)
            distance = float(mem.query_distance(flat[None], items)[0])
            regular = float(mem.regular_score(output, target[i:i + 1])[0])
            keep(flat, mem.nearest_items(flat, items)[:, 0])
            updated = regular < cfg.gamma
            if updated:
                items = mem.update(items, flat, cfg.update_normalisation)
            rows.append({"frame": t, "psnr": float(psnr(output, target[i:i + 1])[0]),
                         "distance": distance, "regular_score": regular, "updated": updated})
            worst.consider(t, rows[-1]["psnr"], output[0], target[i])
    return pd.DataFrame(rows), items, queries_out, nearest_out


def run_test_split(model: MNAD, items, dataset: PreparedDataset, cfg: InferConfig, device: torch.device):
    sampler = torch.Generator().manual_seed(cfg.seed)
    tables, all_queries, all_nearest, query_frames, examples = [], [], [], [], []
    for video in tqdm(dataset.videos("test"), desc="infer", mininterval=2):
        frames = resize_frames(np.asarray(dataset.frames("test", video)), model.cfg.image_size)
        truth = dataset.frame_table("test", video).set_index("frame")
        worst = WorstAbnormalFrame(truth.label.to_numpy())
        rows, items, queries, nearest = infer_video(model, items, frames, cfg, device, sampler, worst)
        examples += worst.found(video)
        tables.append(label_rows(rows, video, truth))
        all_queries += queries
        all_nearest += nearest
        query_frames += [(video, t, lab) for t, lab in zip(rows.frame, rows.label)]
    return pd.concat(tables, ignore_index=True), items, all_queries, all_nearest, query_frames, examples


def write_examples(path: Path, examples: list, count: int = 3) -> None:
    """The `count` abnormal frames with the lowest PSNR, from different videos."""
    chosen = sorted(examples, key=lambda e: e[2])[:count]
    if not chosen:
        return
    with atomic_path(path, suffix=".npz") as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, video=np.array([e[0] for e in chosen]), frame=np.array([e[1] for e in chosen]),
                     psnr=np.array([e[2] for e in chosen]), target=np.stack([e[3] for e in chosen]),
                     prediction=np.stack([e[4] for e in chosen]))


def infer(model: MNAD, items: torch.Tensor | None, dataset_root: str | Path, out_dir: str | Path,
          cfg: InferConfig, device: torch.device) -> pd.DataFrame:
    """Write `frames.csv` (one row per scored frame) and, for memory models, `memory.npz`
    (trained and final items, per-item usage counts, a seeded sample of queries) and the
    test-time-update ablation (`alternate_update_file`)."""
    out_dir = Path(out_dir)
    dataset = PreparedDataset(dataset_root)
    model.eval()
    table, final_items, queries, nearest, query_frames, examples = run_test_split(model, items, dataset, cfg, device)
    write_csv(out_dir / FRAMES, table)
    write_examples(out_dir / EXAMPLES, examples)
    if model.cfg.memory:
        _write_memory_summary(out_dir / MEMORY_SUMMARY, items, final_items, queries, nearest, query_frames, cfg)
        flipped = replace(cfg, test_time_update=not cfg.test_time_update)
        write_csv(out_dir / alternate_update_file(cfg.test_time_update),
                  run_test_split(model, items, dataset, flipped, device)[0])
    return table


def _write_memory_summary(path: Path, trained_items, final_items, queries, nearest, query_frames, cfg: InferConfig) -> None:
    usage = np.bincount(torch.cat(nearest).numpy(), minlength=len(final_items))
    per_frame = queries[0].shape[0]
    sampled = torch.cat(queries).numpy()
    rng = np.random.default_rng(cfg.seed)
    pick = np.sort(rng.choice(len(sampled), size=min(cfg.query_samples, len(sampled)), replace=False))
    frame_of = pick // per_frame
    with atomic_path(path, suffix=".npz") as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, items_trained=trained_items.cpu().numpy(), items_final=final_items.cpu().numpy(),
                     usage=usage, queries=sampled[pick, :-1], nearest=sampled[pick, -1].astype(int),
                     query_label=np.array([query_frames[i][2] for i in frame_of]),
                     query_video=np.array([query_frames[i][0] for i in frame_of]),
                     query_frame=np.array([query_frames[i][1] for i in frame_of]))
