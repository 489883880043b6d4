import numpy as np
import pandas as pd
import pytest
import torch

from pipeline.data.index import PreparedDataset
from pipeline.families.checkpoints import load_checkpoint
from pipeline.engine.loop import LoopConfig, adam, fit
from pipeline.families.mnad.config import TrainConfig
from pipeline.families.mnad.model import MNADConfig
from pipeline.families.mnad.train import MNADRecipe, salt_and_pepper, scale_noisy

TINY = dict(width=4, image_size=32)


def _train(root, out, memory=True, task="prediction", epochs=2, checkpoint_every=1, seed=0, skip=None, input_frames=None,
           **kw):
    cfg = TrainConfig(**{"epochs": epochs, "lr": 1e-3, "seed": seed, **kw})
    loop = LoopConfig(epochs=epochs, batch_size=4, checkpoint_every=checkpoint_every, seed=seed)
    arch = MNADConfig(task=task, memory=memory, skip=skip, input_frames=input_frames, **TINY)
    return fit(MNADRecipe(arch, cfg), root, out, loop, torch.device("cpu"))


def test_checkpoints_every_epoch_and_loadable_weights_only(tiny_dataset, tmp_path):
    history = _train(tiny_dataset, tmp_path / "run")
    assert list(history.epoch) == [1, 2]
    assert {"loss", "reconstruction", "compactness", "separateness"} <= set(history.columns)
    names = sorted(p.name for p in (tmp_path / "run" / "checkpoints").iterdir())
    assert names == ["epoch_001.pt", "epoch_002.pt"]
    model, items, state = load_checkpoint(tmp_path / "run" / "checkpoints" / "epoch_001.pt")
    assert state["epoch"] == 1 and items.shape == (10, 32)
    assert torch.allclose(items.norm(dim=1), torch.ones(10), atol=1e-5)
    assert pd.read_csv(tmp_path / "run" / "history.csv").shape[0] == 2


def test_training_is_deterministic_given_a_seed(tiny_dataset, tmp_path):
    a = _train(tiny_dataset, tmp_path / "a", seed=7)
    b = _train(tiny_dataset, tmp_path / "b", seed=7)
    c = _train(tiny_dataset, tmp_path / "c", seed=8)
    assert a.equals(b)
    ma, ia, _ = load_checkpoint(tmp_path / "a" / "final.pt")
    mb, ib, _ = load_checkpoint(tmp_path / "b" / "final.pt")
    assert torch.equal(ia, ib)
    # the files themselves: torch.save's archive is named after the file it writes, so
    # checkpoints are serialised in memory first and written under their final name's bytes
    assert (tmp_path / "a" / "final.pt").read_bytes() == (tmp_path / "b" / "final.pt").read_bytes()
    assert all(torch.equal(x, y) for x, y in zip(ma.state_dict().values(), mb.state_dict().values()))
    assert not a.equals(c)


def test_memory_items_move_during_training(tiny_dataset, tmp_path):
    _train(tiny_dataset, tmp_path / "run", epochs=1, checkpoint_every=1)
    _, items, state = load_checkpoint(tmp_path / "run" / "final.pt")
    from pipeline.families.mnad.memory import init_items
    assert not torch.allclose(items, init_items(10, 32, torch.Generator().manual_seed(state["train_config"]["seed"])))


def test_supervision_and_ablation_switches_change_the_losses(tiny_dataset, tmp_path):
    sup = _train(tiny_dataset, tmp_path / "sup", epochs=1, supervision=True)
    assert "supervision" in sup.columns
    none = _train(tiny_dataset, tmp_path / "none", epochs=1, compactness=False, separateness=False)
    assert "compactness" not in none.columns and "separateness" not in none.columns
    assert none.loss.iloc[0] == pytest.approx(none.reconstruction.iloc[0])


def test_models_without_memory_train_and_save_no_items(tiny_dataset, tmp_path):
    history = _train(tiny_dataset, tmp_path / "plain", memory=False, task="reconstruction", epochs=1)
    assert set(history.columns) == {"epoch", "loss", "reconstruction", "lr"}
    model, items, _ = load_checkpoint(tmp_path / "plain" / "final.pt")
    assert items is None and not model.cfg.memory


def test_salt_and_pepper_flips_values_not_pixels_as_skimage_does():
    """random_noise(mode='s&p', amount=0.25) replaces each value on its own: on a mid-grey
    RGB frame a pixel keeps all 3 channels with probability 0.75^3 = 0.422, has all 3 changed
    with 0.25^3 = 0.016, and is partly changed with 1 - 0.422 - 0.016 = 0.5625."""
    x = np.full((4, 128, 128, 3), 0.5)
    noisy = salt_and_pepper(x, 0.25, np.random.default_rng(0))
    changed = (noisy != 0.5).sum(axis=-1)
    assert (changed == 0).mean() == pytest.approx(0.421875, abs=0.01)
    assert (changed == 3).mean() == pytest.approx(0.015625, abs=0.004)
    assert ((changed > 0) & (changed < 3)).mean() == pytest.approx(0.5625, abs=0.01)
    assert set(np.unique(noisy).tolist()) == {0.0, 0.5, 1.0}
    assert np.array_equal(salt_and_pepper(x, 0.0, np.random.default_rng(0)), x)


def test_the_reports_denoiser_inputs_are_scaled_as_its_loader_scales_them():
    """MNADrc utils_recons_ts_skip: noise on the frame in [0, 1], then x / 127.5 - 1: the
    noisy inputs span [-1, -0.99216] while clean frames span [-1, 1]."""
    noisy = np.linspace(0, 1, 50)
    assert scale_noisy(noisy, "report").min() == -1 and scale_noisy(noisy, "report").max() == pytest.approx(1 / 127.5 - 1)
    assert scale_noisy(noisy, "consistent").min() == -1 and scale_noisy(noisy, "consistent").max() == 1
    with pytest.raises(ValueError, match="noise_scaling"):
        scale_noisy(noisy, "other")


def test_the_denoisers_noise_is_added_before_the_resize_as_its_loader_does(tmp_path):
    """np_load_frame: random_noise on the image as read, then cv2.resize: at half the stored
    size a 2x2 block of 0/1 values averages to quarters; noise added after the resize would
    leave only 0 and 1. The target is the clean frame, resized as uint8."""
    import cv2

    from pipeline.data.index import VideoRecord, write_dataset
    from pipeline.families.mnad.train import DenoiserClips
    frames = np.random.default_rng(0).integers(0, 256, (6, 16, 16, 3), dtype=np.uint8)
    write_dataset(tmp_path / "ds", "synthetic", [VideoRecord("train", "a", frames, np.zeros(6, int), ["normal"] * 6)])
    ds = PreparedDataset(tmp_path / "ds")
    all_noise = DenoiserClips(ds, 8, 4, None, 1.0, "consistent", seed=0)
    inputs, target = all_noise[1]
    assert inputs.shape == (4, 8, 8, 3) and inputs.dtype == np.float32 and target.shape == (8, 8, 3)
    assert len(np.unique(inputs)) > 2 and set(np.unique(inputs)) <= {-1.0, -0.5, 0.0, 0.5, 1.0}
    assert np.array_equal(target, cv2.resize(frames[4], (8, 8), interpolation=cv2.INTER_LINEAR))
    clean = DenoiserClips(ds, 8, 4, None, 0.0, "report", seed=0)[1][0]
    expected = np.stack([cv2.resize(f / 255.0, (8, 8)) for f in frames[1:5]]) / 127.5 - 1
    np.testing.assert_array_equal(clean, expected.astype(np.float32))
    again = DenoiserClips(ds, 8, 4, None, 0.25, "report", seed=0)
    first = again[2][0]
    again.set_epoch(1)
    assert np.array_equal(DenoiserClips(ds, 8, 4, None, 0.25, "report", seed=0)[2][0], first)  # (seed, epoch, index)
    assert not np.array_equal(again[2][0], first)


def test_the_denoiser_reads_four_frames_and_rebuilds_the_fourth(tiny_dataset, tmp_path):
    from pipeline.data.clips import split_input_target
    clips = torch.arange(2 * 4 * 2 * 2 * 3, dtype=torch.uint8).reshape(2, 4, 2, 2, 3)
    inputs, target = split_input_target(clips, "reconstruction", torch.device("cpu"))
    assert inputs.shape == (2, 12, 2, 2) and torch.equal(target, inputs[:, 9:])
    history = _train(tiny_dataset, tmp_path / "skip", task="reconstruction", epochs=1, noise_amount=0.25,
                     skip=True, input_frames=4)
    assert history.loss.notna().all()


def test_the_engines_adam_updates_as_the_per_parameter_loop_and_the_formula():
    """engine.adam on the CPU (the fused form) against PyTorch's per-parameter Adam, the form
    of the PyTorch versions the official code ran on: one step from the same gradients agrees
    to float rounding (a few units in the last place of float32). And one step against Adam's
    formula by hand: after the first step the bias-corrected moments are g and g^2, so a
    weight moves by lr * g / (|g| + eps), i.e. lr * sign(g), and not at all where g = 0."""
    cpu = torch.device("cpu")
    start = torch.randn(4096, generator=torch.Generator().manual_seed(0))
    grads = torch.randn(3, 4096, generator=torch.Generator().manual_seed(1))
    ours, loop = torch.nn.Parameter(start.clone()), torch.nn.Parameter(start.clone())
    opt_ours, opt_loop = adam([ours], 1e-3, cpu), torch.optim.Adam([loop], lr=1e-3, foreach=False)
    assert opt_ours.defaults["fused"]
    for grad in grads:
        for w, opt in ((ours, opt_ours), (loop, opt_loop)):
            opt.zero_grad()
            (w * grad).sum().backward()
            opt.step()
        assert torch.allclose(ours, loop, rtol=0, atol=1e-7) and not torch.equal(ours, start)

    w = torch.nn.Parameter(torch.tensor([1.0, -2.0, 0.5]))
    opt = adam([w], 0.1, cpu)
    (w * torch.tensor([3.0, -4.0, 0.0])).sum().backward()   # gradient (3, -4, 0)
    opt.step()
    assert torch.allclose(w.detach(), torch.tensor([0.9, -1.9, 0.5]), atol=1e-7, rtol=0)


def test_loader_workers_leave_the_trained_bytes_unchanged(tiny_dataset, tmp_path):
    """runtime.num_workers is read by every train stage and listed by none
    (pipeline.params.RESULT_NEUTRAL): two loader worker processes give the checkpoint the
    single-process loader gives, byte for byte. The denoiser draws noise per sample, so a
    worker that drew from the wrong generator would show here."""
    def run(out, workers):
        cfg = TrainConfig(epochs=1, lr=1e-3, seed=5, noise_amount=0.25)
        loop = LoopConfig(epochs=1, batch_size=4, checkpoint_every=1, seed=5, num_workers=workers)
        arch = MNADConfig(task="reconstruction", memory=True, skip=True, input_frames=4, **TINY)
        fit(MNADRecipe(arch, cfg), tiny_dataset, out, loop, torch.device("cpu"))
        return (out / "final.pt").read_bytes()
    assert run(tmp_path / "single", 0) == run(tmp_path / "workers", 2)
