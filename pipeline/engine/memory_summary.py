"""Which memory item each test query uses, and a sample of queries for the t-SNE figure
(MNAD Fig. 6, report Fig. 1-5; MemAE's most-weighted item per latent position)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import torch

from pipeline.io import write_npz


class MemoryRecorder:
    """Collects, per scored frame and in row order, the item each query uses and a seeded
    sample of `per_frame` queries; `write` saves usage counts and a subsample. Memory does
    not grow with the test split: usage is counted per video as frames arrive, and the
    sampled queries wait in a temporary file until `write` picks its subsample."""

    def __init__(self, per_frame: int, seed: int):
        self.per_frame = per_frame
        self.sampler = torch.Generator().manual_seed(seed)
        self._spill = tempfile.TemporaryFile()   # sampled queries, row after row, float32
        self._row_shape: tuple | None = None     # (rows per frame, query dim + 1)
        self._dtype = np.dtype(np.float32)
        self._recorded = 0                       # frames added
        self._pending = np.zeros(0, np.int64)    # usage counts of the frames since the last label()
        self.videos: list[str] = []
        self.usage_rows: list[np.ndarray] = []   # per labelled video: its usage counts
        self._frames: list[np.ndarray] = []      # per labelled video: (frame, label) of each recorded frame

    def add(self, queries: torch.Tensor, nearest: torch.Tensor) -> None:
        """One frame: its queries (K, C) and each query's item (K,)."""
        self._pending = _add_counts(self._pending, np.bincount(nearest.cpu().numpy()))
        pick = torch.randperm(len(queries), generator=self.sampler)[:self.per_frame].to(queries.device)
        rows = torch.cat((queries[pick], nearest[pick, None].to(queries.dtype)), 1).cpu().numpy()
        self._row_shape, self._dtype = self._row_shape or rows.shape, rows.dtype
        self._spill.write(np.ascontiguousarray(rows).tobytes())
        self._recorded += 1

    def label(self, video: str, frames, labels) -> None:
        """Name the frames recorded since the last call (the engine does, after each video)."""
        frames, labels = np.asarray(frames, np.int64), np.asarray(labels, np.int64)
        if video in self.videos:  # a video scored in two parts adds to its row
            i = self.videos.index(video)
            self.usage_rows[i] = _add_counts(self.usage_rows[i], self._pending)
            self._frames[i] = np.concatenate([self._frames[i], np.stack([frames, labels], 1)])
        else:
            self.videos.append(video)
            self.usage_rows.append(self._pending)
            self._frames.append(np.stack([frames, labels], 1))
        self._pending = np.zeros(0, np.int64)

    def _sampled_rows(self, picks: np.ndarray) -> np.ndarray:
        """Rows `picks` of the spilled samples, read one by one (never the whole file)."""
        row_bytes = self._row_shape[1] * self._dtype.itemsize
        out = np.empty((len(picks), self._row_shape[1]), self._dtype)
        self._spill.flush()
        for i, row in enumerate(picks):
            out[i] = np.frombuffer(os.pread(self._spill.fileno(), row_bytes, int(row) * row_bytes), self._dtype)
        return out

    def write(self, path: Path, items_trained: torch.Tensor, items_final: torch.Tensor, samples: int, seed: int) -> None:
        items_final = items_final.detach().cpu()
        by_video = np.zeros((len(self.videos), len(items_final)), dtype=np.int64)  # for intervals over test videos
        for i, counts in enumerate(self.usage_rows):
            by_video[i, :len(counts)] = counts
        usage = by_video.sum(axis=0)
        total = self._recorded * self._row_shape[0]
        pick = np.sort(np.random.default_rng(seed).choice(total, size=min(samples, total), replace=False))
        sampled = self._sampled_rows(pick)
        frame_of = pick // self._row_shape[0]
        video_of = np.repeat(np.arange(len(self.videos)), [len(f) for f in self._frames])
        frames = np.concatenate(self._frames)
        write_npz(path, items_trained=items_trained.detach().cpu().numpy(), items_final=items_final.numpy(), usage=usage,
                  usage_videos=np.array(self.videos), usage_by_video=by_video,
                  queries=np.ascontiguousarray(sampled[:, :-1]), nearest=sampled[:, -1].astype(int),
                  query_label=frames[frame_of, 1],
                  query_video=np.array([self.videos[i] for i in video_of[frame_of]]),
                  query_frame=frames[frame_of, 0])


def _add_counts(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Two bincounts of possibly different lengths, added."""
    if len(a) < len(b):
        a, b = b, a
    out = a.copy()
    out[:len(b)] += b
    return out
