import pandas as pd
import pytest
import torch

from pipeline.engine.checkpoints import load_checkpoint
from pipeline.engine.loop import LoopConfig, fit
from pipeline.families.mnad.config import TrainConfig
from pipeline.families.mnad.model import MNADConfig
from pipeline.families.mnad.train import MNADRecipe, salt_and_pepper

TINY = dict(width=4, image_size=32)


def _train(root, out, memory=True, task="prediction", epochs=2, checkpoint_every=1, seed=0, **kw):
    cfg = TrainConfig(**{"epochs": epochs, "lr": 1e-3, "seed": seed, **kw})
    loop = LoopConfig(epochs=epochs, batch_size=4, checkpoint_every=checkpoint_every, seed=seed)
    return fit(MNADRecipe(MNADConfig(task=task, memory=memory, **TINY), cfg), root, out, loop, torch.device("cpu"))


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


def test_salt_and_pepper_noise():
    x = torch.zeros(2, 3, 64, 64)
    noisy = salt_and_pepper(x, 0.25, torch.Generator().manual_seed(0))
    changed = (noisy != 0).any(dim=1)
    assert changed.float().mean().item() == pytest.approx(0.25, abs=0.02)
    assert set(noisy.unique().tolist()) == {-1.0, 0.0, 1.0}
    assert torch.equal((noisy[:, 0] != 0), (noisy[:, 2] != 0)), "a noisy pixel is noisy in every channel"
    assert torch.equal(salt_and_pepper(x, 0.0), x)
