"""Inference of the 3D-convolution clip autoencoders on the test split.

Each frame u with a full centred clip (frames u-8 .. u+7 of a 16-frame cuboid) gets:
    recon_error  mean squared error of the whole clip's reconstruction (MemAE sec. 4.2:
                 "the reconstruction error of the cuboid centering on it"; eq. 11)
    psnr         PSNR of the clip's 9th frame, which is frame u (LNTRA eq. 9)
The first 8 and last 7 frames of a video have no centred clip and are not scored (both
official codes). For MemAE with memory, every latent position's most-weighted item gives
the memory-usage counts, and a sample of latent queries is kept for the t-SNE figure.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from pipeline.artifacts import EXAMPLES, FRAMES, MEMORY_SUMMARY
from pipeline.data.clips import resize_frames, to_gray
from pipeline.data.index import PreparedDataset
from pipeline.inference import WorstAbnormalFrame, label_rows, psnr, write_examples
from pipeline.io import atomic_path, write_csv
from pipeline.models.memae import MemAE, latent_queries


@dataclass(frozen=True)
class ClipInferConfig:
    batch_size: int = 16
    queries_per_clip: int = 4
    query_samples: int = 3000
    seed: int = 0


def centre_frames(num_frames: int, length: int = 16) -> range:
    """Frames with a full clip around them: u - length/2 >= 0 and u + length/2 - 1 < T."""
    return range(length // 2, num_frames - length // 2 + 1)


@torch.no_grad()
def infer_clip_video(model: MemAE, gray: np.ndarray, cfg: ClipInferConfig, device: torch.device,
                     sampler: torch.Generator, worst: WorstAbnormalFrame):
    """gray (T, H, W) float in [-1, 1] -> per-frame rows, nearest items (list of tensors),
    sampled queries with their nearest item as (n, C + 1) rows."""
    length = model.cfg.frames
    half = length // 2
    centres = list(centre_frames(len(gray), length))
    rows, nearest_out, queries_out = [], [], []
    video = torch.from_numpy(gray).to(device)
    for first in range(0, len(centres), cfg.batch_size):
        chunk = centres[first:first + cfg.batch_size]
        clips = torch.stack([video[u - half:u + half] for u in chunk])[:, None]  # (B, 1, T, H, W)
        output, weights, latent = model(clips, return_latent=True)
        error = (output - clips).pow(2).flatten(1).mean(dim=1)
        middle = psnr(output[:, :, half], clips[:, :, half])  # the 9th frame
        for i, u in enumerate(chunk):
            rows.append({"frame": u, "recon_error": float(error[i]), "psnr": float(middle[i])})
            worst.consider(u, float(middle[i]), output[i, :, half].expand(3, -1, -1), clips[i, :, half].expand(3, -1, -1))
        if weights is not None:
            per_clip = weights.reshape(len(chunk), -1, weights.shape[1])
            queries = latent_queries(latent)
            for i in range(len(chunk)):
                nearest = per_clip[i].argmax(dim=1)
                nearest_out.append(nearest.cpu())
                pick = torch.randperm(len(nearest), generator=sampler)[:cfg.queries_per_clip].to(device)
                queries_out.append(torch.cat((queries[i, pick], nearest[pick, None].float()), 1).cpu())
    return pd.DataFrame(rows), nearest_out, queries_out


def infer_clips(model: MemAE, dataset_root: str | Path, out_dir: str | Path, image_size: int, cfg: ClipInferConfig,
                device: torch.device) -> pd.DataFrame:
    """Write FRAMES, EXAMPLES and, for MemAE with memory, MEMORY_SUMMARY."""
    out_dir, dataset = Path(out_dir), PreparedDataset(dataset_root)
    model.eval()
    sampler = torch.Generator().manual_seed(cfg.seed)
    tables, examples, nearest, queries, query_frames = [], [], [], [], []
    for video in tqdm(dataset.videos("test"), desc="infer", mininterval=2):
        gray = to_gray(resize_frames(np.asarray(dataset.frames("test", video)), image_size))
        if len(gray) < model.cfg.frames:
            raise ValueError(f"{dataset_root}: test video {video} has {len(gray)} frames, fewer than one "
                             f"{model.cfg.frames}-frame clip")
        truth = dataset.frame_table("test", video).set_index("frame")
        worst = WorstAbnormalFrame(truth.label.to_numpy())
        rows, video_nearest, video_queries = infer_clip_video(model, gray, cfg, device, sampler, worst)
        examples += worst.found(video)
        tables.append(label_rows(rows, video, truth))
        nearest += video_nearest
        queries += video_queries
        query_frames += [(video, u, lab) for u, lab in zip(rows.frame, rows.label)]
    table = pd.concat(tables, ignore_index=True)
    write_csv(out_dir / FRAMES, table)
    write_examples(out_dir / EXAMPLES, examples)
    if model.memory is not None:
        _write_memory_summary(out_dir / MEMORY_SUMMARY, model.memory.items.detach().cpu().numpy(), nearest, queries,
                              query_frames, cfg)
    return table


def _write_memory_summary(path: Path, items: np.ndarray, nearest, queries, query_frames, cfg: ClipInferConfig) -> None:
    """Same fields as the MNAD summary; MemAE's items do not change at test time."""
    usage = np.bincount(torch.cat(nearest).numpy(), minlength=len(items))
    sampled = torch.cat(queries).numpy()
    rng = np.random.default_rng(cfg.seed)
    pick = np.sort(rng.choice(len(sampled), size=min(cfg.query_samples, len(sampled)), replace=False))
    frame_of = pick // queries[0].shape[0]
    with atomic_path(path, suffix=".npz") as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, items_trained=items, items_final=items, usage=usage, queries=sampled[pick, :-1],
                     nearest=sampled[pick, -1].astype(int),
                     query_label=np.array([query_frames[i][2] for i in frame_of]),
                     query_video=np.array([query_frames[i][0] for i in frame_of]),
                     query_frame=np.array([query_frames[i][1] for i in frame_of]))
