"""MemAE / LNTRA test pass, run per video by the engine's test loop.

Each frame u with a full centred clip (frames u-8 .. u+7 of a 16-frame cuboid) gets:
    recon_l2     the mean over the clip's frames and pixels of the L2 norm over channels of
                 the residual, |r| for grayscale: MemAE's official score (script_testing.py,
                 MemAE branch; eq. 11's "reconstruction error of the cuboid centering on it")
    recon_error  the clip's mean squared error: the official score of MemAE's AE baseline
                 (script_testing.py, AE branch)
    psnr         PSNR of the clip's 9th frame, which is frame u (LNTRA eq. 9)
The first 8 and last 7 frames of a video have no centred clip and are not scored (both
official codes). For MemAE with memory, every latent position's most-weighted item gives
the memory-usage counts, and a sample of latent queries is kept for the t-SNE figure.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import torch

from pipeline.artifacts import MEMORY_SUMMARY
from pipeline.data.clips import GrayFrames, VideoFrames
from pipeline.engine.frames import WorstAbnormalFrame, psnr
from pipeline.engine.memory_summary import MemoryRecorder
from pipeline.engine.testing import ModelScorer, score_split
from pipeline.families.clip_ae.config import ClipInferConfig, infer_config
from pipeline.families.clip_ae.memory import latent_queries
from pipeline.families.clip_ae.model import MemAE, build
from pipeline.io import InputError


def centre_frames(num_frames: int, length: int = 16) -> range:
    """Frames with a full clip around them: u - length/2 >= 0 and u + length/2 - 1 < T."""
    return range(length // 2, num_frames - length // 2 + 1)


def clip_errors(output: torch.Tensor, clips: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, C, T, H, W) each -> per clip (recon_l2, recon_error): the mean over frames and
    pixels of the L2 norm over channels of the residual (MemAE script_testing.py), and the
    mean squared residual. The norm is torch's vector norm, whose square root is the IEEE one
    (torch.sqrt on the CPU goes through MKL's vector math, whose results vary with the CPU)."""
    residual = output - clips
    norm = torch.linalg.vector_norm(residual, dim=1)
    return norm.flatten(1).mean(dim=1), residual.pow(2).flatten(1).mean(dim=1)


class ClipScorer(ModelScorer):
    reads_gray = True

    def __init__(self, model: MemAE, cfg: ClipInferConfig, device: torch.device):
        super().__init__(model, cfg, device)
        self.recorder = MemoryRecorder(cfg.queries_per_clip, cfg.seed) if model.memory is not None else None

    @torch.no_grad()
    def video(self, frames: VideoFrames, worst: WorstAbnormalFrame) -> pd.DataFrame:
        """frames at the model's size -> one row per centre frame (each batch reads the
        window its clips span)."""
        length = self.model.cfg.frames
        if len(frames) < length:
            raise InputError(f"a test video has {len(frames)} frames, fewer than one {length}-frame clip")
        half = length // 2
        gray = GrayFrames(frames)
        centres = list(centre_frames(len(frames), length))
        rows = []
        for first in range(0, len(centres), self.cfg.batch_size):
            chunk = centres[first:first + self.cfg.batch_size]
            lo = chunk[0] - half
            window = torch.from_numpy(gray.read(lo, chunk[-1] + half)).to(self.device)
            clips = torch.stack([window[u - half - lo:u + half - lo] for u in chunk])[:, None]  # (B, 1, T, H, W)
            output, weights, latent = self.model(clips, return_latent=True)
            l2, error = clip_errors(output, clips)
            middle = psnr(output[:, :, half], clips[:, :, half])  # the 9th frame
            for i, u in enumerate(chunk):
                rows.append({"frame": u, "recon_l2": float(l2[i]), "recon_error": float(error[i]), "psnr": float(middle[i])})
                worst.consider(u, float(middle[i]), output[i, :, half].expand(3, -1, -1),
                               clips[i, :, half].expand(3, -1, -1))
            if self.recorder is not None:
                per_clip = weights.reshape(len(chunk), -1, weights.shape[1])
                queries = latent_queries(latent)
                for i in range(len(chunk)):
                    self.recorder.add(queries[i], per_clip[i].argmax(dim=1))
        return pd.DataFrame(rows)


def run(cfg: ClipInferConfig, train_dir: Path, checkpoint, prepared_root, out_dir: Path, device: torch.device
        ) -> tuple[pd.DataFrame, dict]:
    """Write FRAMES, EXAMPLES and, for MemAE with memory, MEMORY_SUMMARY (its items do not
    change at test time)."""
    table, scorer, state = score_split(train_dir, checkpoint, prepared_root, out_dir, device,
                                       lambda model, items, state: ClipScorer(model, cfg, device), build)
    model = scorer.model
    if scorer.recorder is not None:
        items = model.memory.items.detach()
        scorer.recorder.write(Path(out_dir) / MEMORY_SUMMARY, items, items, cfg.query_samples, cfg.seed)
    half = model.cfg.frames // 2
    return table, {"checkpoint_epoch": int(state["epoch"]), "task": "reconstruction",
                   "scored_frames": f"frames {half + 1}..T-{half - 1}", "memory": model.memory is not None,
                   "architecture": describe(model)}


def describe(model: MemAE) -> str:
    c = model.cfg
    memory = (f"memory of {c.num_items} items ({c.addressing} addressing, shrinkage {c.shrink_threshold:g})"
              if c.memory else "no memory")
    return (f"Conv3d {'-'.join(map(str, c.widths))} on {c.frames} x {c.image_size}px frames, {memory}"
            f"{', tanh output' if c.tanh_output else ''}, {c.init} initialisation, "
            f"{sum(p.numel() for p in model.parameters()):,} parameters")


def config(params: dict, model: str, seed: int) -> ClipInferConfig:
    return infer_config(params, model, seed)
