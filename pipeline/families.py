"""One train and one infer entry per model family, so the train and infer stages stay a
single script each. A family decides the architecture, the training loop and which
per-frame signals inference writes; scoring (pipeline.evaluation) is shared.

    mnad     MNAD and the reproducibility report's variants   pipeline.training / inference
    clip_ae  MemAE and LNTRA (3D-conv AE on 16-frame clips)   pipeline.clip_training / clip_inference
    daad     DAAD (block-wise memory + discriminator)         pipeline.daad_training (train and infer)
    image_ae MemAE's image track (2D, one model per class)    pipeline.image_training
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import torch

from pipeline import params as P
from pipeline.checkpoints import checkpoint_path, load_checkpoint


def train_model(params: dict, dataset: str, model: str, prepared_dir: str | Path, out_dir: Path, seed: int,
                device: torch.device, group: str) -> None:
    family = P.model_family(params, model)
    if family == "mnad":
        from pipeline.training import train
        train(prepared_dir, out_dir, P.mnad_config(params, model),
              P.train_config(params, dataset, model, with_supervision=group == "memory", seed=seed), device)
    elif family == "clip_ae":
        from pipeline.clip_training import fit_clip_model
        fit_clip_model(prepared_dir, out_dir, P.clip_model_config(params, model), P.clip_image_size(params),
                       P.clip_train_config(params, dataset, model, seed), device)
    elif family == "image_ae":
        from pipeline.image_training import train_image_ae
        train_image_ae(prepared_dir, out_dir, P.image_model_config(params, model),
                       P.image_train_config(params, dataset, model, seed), device)
    else:
        from pipeline.daad_training import train_daad
        train_daad(prepared_dir, out_dir, P.daad_model_config(params, dataset, model),
                   P.daad_train_config(params, dataset, model, seed), device)


def infer_model(params: dict, model: str, train_dir: Path, checkpoint, prepared_dir: str | Path, out_dir: Path,
                seed: int, device: torch.device) -> tuple[pd.DataFrame, int]:
    """train_dir: one seed's training folder; checkpoint: `final` or an epoch. Returns the
    per-frame table and the epoch of the checkpoint used."""
    family = P.model_family(params, model)
    if family == "daad":  # possibly one model per category: the family finds its checkpoints
        from pipeline.daad_training import infer_daad
        return infer_daad(train_dir, checkpoint, prepared_dir, out_dir, P.daad_infer_config(params, model, seed), device)
    if family == "image_ae":
        from pipeline.image_training import infer_image_ae
        return infer_image_ae(train_dir, checkpoint, prepared_dir, out_dir, P.image_infer_config(params, model), device)
    path = checkpoint_path(train_dir, checkpoint)
    network, items, state = load_checkpoint(path, device)
    if state["family"] != family:
        raise ValueError(f"{path} holds a {state['family']} model but params.yaml makes '{model}' a {family} model; "
                         "re-run its train stage")
    if family == "mnad":
        from pipeline.inference import infer
        cfg = P.infer_config(params, model, state["train_config"]["update_normalisation"], seed)
        frames = infer(network, items, prepared_dir, out_dir, cfg, device)
    else:
        from pipeline.clip_inference import infer_clips
        frames = infer_clips(network, prepared_dir, out_dir, P.clip_image_size(params),
                             P.clip_infer_config(params, model, seed), device)
    return frames, int(state["epoch"])
