"""MemAE / LNTRA in the pipeline: clip data with pseudo anomalies, training, centre-frame
inference and the scoring protocol."""
import numpy as np
import pandas as pd
import pytest
import torch

from pipeline.artifacts import FRAMES, MEMORY_SUMMARY
from pipeline.families.checkpoints import load_checkpoint
from pipeline.data.clips import GrayClipDataset
from pipeline.data.index import PreparedDataset
from pipeline.engine.loop import LoopConfig, fit
from pipeline.families.clip_ae.config import ClipInferConfig, ClipTrainConfig
from pipeline.families.clip_ae.infer import centre_frames, run
from pipeline.families.clip_ae.model import MemAE, MemAEConfig
from pipeline.families.clip_ae.train import ClipRecipe
from pipeline.families.clip_ae.pseudo_anomalies import PseudoAnomalies, PseudoAnomalyConfig

WIDTHS = (4, 6, 8, 8)


@pytest.fixture(scope="module")
def long_dataset(tmp_path_factory):
    """40-frame videos: long enough for a skip-frame clip (1 + 15 * 2 = 31 frames)."""
    from dataclasses import replace

    from conftest import TINY_SYNTHETIC
    from pipeline.data.index import write_dataset
    from pipeline.data.synthetic import generate
    root = tmp_path_factory.mktemp("long") / "synthetic"
    write_dataset(root, "synthetic", generate(replace(TINY_SYNTHETIC, frames_per_video=40)))
    return root


def test_centre_frames_drop_first_8_and_last_7():
    assert list(centre_frames(24)) == list(range(8, 17))  # clip u-8 .. u+7 must exist
    assert list(centre_frames(16)) == [8]
    assert list(centre_frames(15)) == []


@pytest.mark.parametrize("kind", ["skip_frame", "patch"])
def test_pseudo_anomalous_inputs_keep_the_normal_target(long_dataset, kind):
    corrupt = PseudoAnomalies(PseudoAnomalyConfig(kind=kind, probability=1.0), 32, 32)
    data = GrayClipDataset(PreparedDataset(long_dataset), "train", 32, 16, corrupt, seed=0)
    plain = GrayClipDataset(PreparedDataset(long_dataset), "train", 32, 16)
    first = plain.sources[0]
    video = torch.from_numpy(first.read(0, len(first)))
    for i in (0, 3):
        inputs, target, pseudo = data[i]
        assert pseudo and inputs.shape == target.shape == (1, 16, 32, 32)
        if kind == "patch":
            assert torch.equal(target, plain[i][1]), "the target is the clip's normal frames"
        else:  # the normal clip from where the skipped one starts (the start moves when a stride does not fit)
            start = next(t for t in range(len(video)) if torch.equal(video[t], inputs[0, 0]))
            assert torch.equal(target[0], video[start:start + 16])
        assert not torch.equal(inputs, target)
    # a function of (seed, epoch, index): the same sample twice, a new one next epoch
    assert torch.equal(data[2][0], data[2][0])
    before = data[2][0]
    data.set_epoch(1)
    assert not torch.equal(before, data[2][0])


def test_no_pseudo_anomaly_at_probability_zero_and_short_videos_repeat_the_last_frame(tiny_dataset):
    corrupt = PseudoAnomalies(PseudoAnomalyConfig(kind="patch", probability=0.0), 32, 32)
    data = GrayClipDataset(PreparedDataset(tiny_dataset), "train", 32, 16, corrupt)
    inputs, target, pseudo = data[1]
    assert not pseudo and torch.equal(inputs, target)
    # a 24-frame video holds no skip-frame clip: as the official loader, frames past the end repeat the last one
    corrupt = PseudoAnomalies(PseudoAnomalyConfig(kind="skip_frame", probability=1.0), 32, 32)
    inputs, target, pseudo = GrayClipDataset(PreparedDataset(tiny_dataset), "train", 32, 16, corrupt)[1]
    assert pseudo and torch.equal(inputs[0, -1], inputs[0, -2])


def _fit(root, out, model_cfg, **kw):
    recipe = ClipRecipe(model_cfg, ClipTrainConfig(**{"lr": 1e-3, **kw}))
    return fit(recipe, root, out, LoopConfig(epochs=2, batch_size=4, checkpoint_every=1), torch.device("cpu"))


def test_memae_trains_and_infers_with_the_centre_frame_protocol(tiny_dataset, tmp_path):
    history = _fit(tiny_dataset, tmp_path / "train", MemAEConfig(num_items=20, widths=WIDTHS, image_size=32))
    assert list(history.epoch) == [1, 2] and {"reconstruction", "entropy"} <= set(history.columns)
    model, items, state = load_checkpoint(tmp_path / "train" / "final.pt")
    assert state["family"] == "clip_ae" and items is None and model.memory.items.shape == (20, 8)
    frames, facts = run(ClipInferConfig(batch_size=4), tmp_path / "train", "final", tiny_dataset, tmp_path / "infer",
                        torch.device("cpu"))
    assert facts["scored_frames"] == "frames 9..T-7" and facts["memory"]
    assert (tmp_path / "infer" / FRAMES).exists()
    for _, g in frames.groupby("video"):
        assert g.frame.tolist() == list(range(8, 17))  # 24-frame videos
    assert np.all(np.isfinite(frames[["recon_error", "psnr"]].to_numpy())) and (frames.recon_error > 0).all()
    summary = np.load(tmp_path / "infer" / MEMORY_SUMMARY)
    # every latent position of every scored clip is counted once
    latent_positions = 2 * 2 * 2  # (16, 32, 32) -> (2, 2, 2)
    assert summary["usage"].sum() == len(frames) * latent_positions


def test_autoencoder_and_lntra_variants_have_no_memory_summary(long_dataset, tmp_path):
    pseudo = PseudoAnomalyConfig(kind="skip_frame", probability=0.5)
    history = _fit(long_dataset, tmp_path / "train", MemAEConfig(memory=False, tanh_output=True, widths=WIDTHS, image_size=32),
                   entropy_weight=0.0, pseudo_anomaly=pseudo)
    assert 0 < history.pseudo_anomaly_share.mean() < 1
    model, _, _ = load_checkpoint(tmp_path / "train" / "final.pt")
    run(ClipInferConfig(), tmp_path / "train", "final", long_dataset, tmp_path / "infer", torch.device("cpu"))
    assert not (tmp_path / "infer" / MEMORY_SUMMARY).exists()
    frames = pd.read_csv(tmp_path / "infer" / FRAMES)
    assert {"psnr", "recon_error", "label", "anomaly_type"} <= set(frames.columns)


def test_memae_clip_score_on_a_small_residual():
    """MemAE's official score: mean over T, H, W of sqrt(sum over channels r^2): for grayscale
    the mean |r|; its AE branch: the mean r^2."""
    from pipeline.families.clip_ae.infer import clip_errors
    residual = torch.tensor([0.5, -0.5, 1.0, 0.0, -2.0, 0.0, 0.0, 1.0]).reshape(1, 1, 2, 2, 2)
    l2, mse = clip_errors(residual, torch.zeros_like(residual))
    assert l2.item() == pytest.approx((0.5 + 0.5 + 1 + 2 + 1) / 8) and mse.item() == pytest.approx((0.25 * 2 + 1 + 4 + 1) / 8)
    two_channels = torch.stack([torch.full((1, 1, 1), 3.0), torch.full((1, 1, 1), 4.0)])[None]  # (1, 2, 1, 1, 1)
    assert clip_errors(two_channels, torch.zeros_like(two_channels))[0].item() == pytest.approx(5.0)


def test_memae_official_initialisation():
    """utils.weights_init: conv weights N(0, 0.02), BatchNorm weights N(1, 0.02) and biases 0;
    the memory items keep uniform(+-1/sqrt(C)); LNTRA keeps PyTorch's defaults."""
    torch.manual_seed(0)
    model = MemAE(MemAEConfig(widths=(96, 128, 256, 256), num_items=200))
    conv = torch.cat([m.weight.flatten() for m in model.modules() if "Conv" in type(m).__name__])
    bn = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm3d)]
    assert conv.std().item() == pytest.approx(0.02, rel=0.02) and abs(conv.mean().item()) < 1e-3
    assert all(b.bias.abs().max() == 0 for b in bn) and torch.cat([b.weight for b in bn]).std().item() == pytest.approx(0.02, rel=0.1)
    assert model.memory.items.abs().max() <= 1 / 16  # 1 / sqrt(256)
    default = MemAE(MemAEConfig(widths=(96, 128, 256, 256), memory=False, init="pytorch"))
    assert default.encoder[0].weight.std().item() > 0.1  # kaiming-uniform on 27 inputs: std ~0.11
