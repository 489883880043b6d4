"""Which memory item each test query uses, and a sample of queries for the t-SNE figure
(MNAD Fig. 6, report Fig. 1-5; MemAE's most-weighted item per latent position)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from pipeline.io import write_npz


class MemoryRecorder:
    """Collects, per scored frame and in row order, the item each query uses and a seeded
    sample of `per_frame` queries; `write` saves usage counts and a subsample."""

    def __init__(self, per_frame: int, seed: int):
        self.per_frame = per_frame
        self.sampler = torch.Generator().manual_seed(seed)
        self.nearest: list[torch.Tensor] = []
        self.queries: list[torch.Tensor] = []
        self.frames: list[tuple] = []  # (video, frame, label) of every recorded frame

    def add(self, queries: torch.Tensor, nearest: torch.Tensor) -> None:
        """One frame: its queries (K, C) and each query's item (K,)."""
        self.nearest.append(nearest.cpu())
        pick = torch.randperm(len(queries), generator=self.sampler)[:self.per_frame].to(queries.device)
        self.queries.append(torch.cat((queries[pick], nearest[pick, None].to(queries.dtype)), 1).cpu())

    def label(self, video: str, frames, labels) -> None:
        """Name the frames recorded since the last call (the engine does, after each video)."""
        self.frames += [(video, int(t), int(lab)) for t, lab in zip(frames, labels)]

    def write(self, path: Path, items_trained: torch.Tensor, items_final: torch.Tensor, samples: int, seed: int) -> None:
        items_final = items_final.detach().cpu()
        usage = np.bincount(torch.cat(self.nearest).numpy(), minlength=len(items_final))
        videos = list(dict.fromkeys(video for video, _, _ in self.frames))
        by_video = np.zeros((len(videos), len(items_final)), dtype=np.int64)  # for intervals over test videos
        row = {video: i for i, video in enumerate(videos)}
        for (video, _, _), nearest in zip(self.frames, self.nearest):
            by_video[row[video]] += np.bincount(nearest.numpy(), minlength=len(items_final))
        sampled = torch.cat(self.queries).numpy()
        pick = np.sort(np.random.default_rng(seed).choice(len(sampled), size=min(samples, len(sampled)), replace=False))
        frame_of = pick // self.queries[0].shape[0]
        write_npz(path, items_trained=items_trained.detach().cpu().numpy(), items_final=items_final.numpy(), usage=usage,
                  usage_videos=np.array(videos), usage_by_video=by_video,
                  queries=sampled[pick, :-1], nearest=sampled[pick, -1].astype(int),
                  query_label=np.array([self.frames[i][2] for i in frame_of]),
                  query_video=np.array([self.frames[i][0] for i in frame_of]),
                  query_frame=np.array([self.frames[i][1] for i in frame_of]))
