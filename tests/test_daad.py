"""DAAD: block division and assembly, the block-wise memory read, the architecture of
Tables 7-8, training/inference (one model per MVTec category), the MVTec preparer and the
Fig. 1 toy."""
import numpy as np
import pandas as pd
import pytest
import torch

from pipeline.families.checkpoints import load_checkpoint
from pipeline.families.daad.toy import ToyConfig, block_memory, fig1_pattern, rebuild, run_toy, toy_images
from fixtures import layouts
from pipeline.data.index import PreparedDataset
from pipeline.data.mvtec import prepare_mvtec
from pipeline.engine.loop import LoopConfig, train
from pipeline.evaluation.evaluate import evaluate
from pipeline.evaluation.plan import ScorePlan
from pipeline.families.daad.config import DAADInferConfig, DAADTrainConfig
from pipeline.families.daad.infer import run
from pipeline.families.daad.train import DAADRecipe
from pipeline.io import InputError
from pipeline.families.daad.model import DAAD, BlockMemory, DAADConfig, assemble, divide, read_blocks


def test_divide_assemble_round_trip_and_block_contents():
    x = torch.arange(2 * 4 * 8 * 8, dtype=torch.float32).reshape(2, 4, 8, 8)
    for rates in [(1, 1, 1), (2, 4, 1), (8, 8, 2), (4, 4, 4)]:
        blocks = divide(x, rates)
        rh, rw, rc = rates
        assert blocks.shape == (2, rh * rw * rc, (4 // rc) * (8 // rh) * (8 // rw))
        assert torch.equal(assemble(blocks, x.shape, rates), x)
    # with rates (2, 2, 1) the first block is the top-left 4 x 4 window of every channel
    first = divide(x, (2, 2, 1))[0, 0].reshape(4, 4, 4)
    assert torch.equal(first, x[0, :, :4, :4])
    with pytest.raises(ValueError, match="does not divide"):
        divide(x, (3, 3, 1))


def test_read_drops_items_below_one_over_n_and_renormalises():
    items = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.8, 0.6]])
    read, w = read_blocks(torch.tensor([[[2.0, 0.0]]]), items)
    cos = torch.tensor([1.0, 0.0, -1.0, 0.8])
    soft = torch.softmax(cos, 0)
    kept = torch.where(soft > 0.25, soft, torch.zeros(4))  # 1/N = 0.25
    expected = kept / kept.sum()
    assert w[0, 0].tolist() == pytest.approx(expected.tolist(), abs=1e-5)
    assert w[0, 0, 2] == 0 and w[0, 0, 1] == 0  # cosine -1 and 0 fall below 1/N
    assert read[0, 0].tolist() == pytest.approx((expected @ items).tolist(), abs=1e-5)


def test_generator_and_discriminator_shapes_tables_7_8():
    cfg = DAADConfig(image_size=64, width=4, rates=(8, 8, 1), num_items=20)
    model = DAAD(cfg)
    x = torch.rand(2, 3, 64, 64) * 2 - 1
    out, weights = model.generator(x)
    assert out.shape == x.shape and out.abs().max() <= 1
    # memories after each max-pool: 32, 16, 8, 4 px maps; rates capped at 4 on the 4 x 4 map
    assert {k: v.shape for k, v in weights.items()} == {1: (2, 64, 20), 2: (2, 64, 20), 3: (2, 64, 20), 4: (2, 16, 20)}
    assert model.generator.memories["1"].items.shape == (20, 4 * 4 * 4)  # 32/8 x 32/8 x 4 channels
    probability, feature = model.discriminator(x)
    assert probability.shape == (2,) and feature.shape == (2, 100) and ((probability > 0) & (probability < 1)).all()
    # paper size: six stride-2 convolutions take 256 to 4, then the 4x4 conv gives f_D of 100
    big = DAAD(DAADConfig(width=2, num_items=4))
    assert big.discriminator(torch.zeros(1, 3, 256, 256))[1].shape == (1, 100)


def test_memory_sits_on_the_decoder_path_only():
    """The encoder continues from the un-memorised map: changing the items changes the
    output but not what the next level's memory receives as queries."""
    cfg = DAADConfig(image_size=32, width=4, rates=(2, 2, 1), num_items=6)
    model = DAAD(cfg).eval()
    x = torch.rand(1, 3, 32, 32)
    _, before = model.generator(x)
    out_before = model.generator(x)[0]
    with torch.no_grad():
        model.generator.memories["1"].items.mul_(-3)
    out_after, after = model.generator(x)
    assert not torch.allclose(out_before, out_after)
    for level in (2, 3, 4):
        assert torch.allclose(before[level], after[level])


def test_ae_variants_have_no_memory():
    assert len(DAAD(DAADConfig(image_size=32, width=4, memory_levels=(), skips=False)).generator.memories) == 0
    memae = DAAD(DAADConfig(image_size=32, width=4, memory_levels=(4,), skips=False, rates=(16, 16, 1), num_items=5))
    assert list(memae.generator.memories) == ["4"] and memae.generator.memories["4"].rates == (2, 2, 1)


def test_block_memory_rate_is_capped_at_the_map_side():
    assert BlockMemory(8, 4, (16, 16, 1), 3).rates == (4, 4, 1)


def test_mvtec_preparer_and_per_category_models(tmp_path):
    labels = layouts.mvtec(tmp_path / "raw")
    prepare_mvtec(tmp_path / "raw", tmp_path / "prepared", size=32)
    data = PreparedDataset(tmp_path / "prepared")
    assert data.videos("train") == data.videos("test") == ["bottle", "grid"]
    assert data.frames("train", "grid").shape == (10, 32, 32, 3)  # grey images become 3 channels
    table = data.frame_table("test", "bottle")
    assert table.label.tolist() == labels["bottle"] and set(table.anomaly_type) == {"normal", "crack"}

    recipe = DAADRecipe(DAADConfig(image_size=32, width=4, num_items=8),
                        DAADTrainConfig(lr=1e-3, adversarial=True, flips=True))
    train(recipe, tmp_path / "prepared", tmp_path / "train", LoopConfig(epochs=1, batch_size=4, checkpoint_every=1),
          torch.device("cpu"))
    for category in ("bottle", "grid"):
        _, _, state = load_checkpoint(tmp_path / "train" / category / "final.pt")
        assert state["family"] == "daad" and state["train_config"]["adversarial"]
    assert {"adversarial", "alignment", "discriminator"} <= set(pd.read_csv(tmp_path / "train" / "history.csv").columns)
    frames, facts = run(DAADInferConfig(), tmp_path / "train", "final", tmp_path / "prepared",
                        tmp_path / "infer" / "seed_0", torch.device("cpu"))
    epoch = facts["checkpoint_epoch"]
    assert epoch == 1 and len(frames) == 10 and np.isfinite(frames[["recon_error", "feature_error"]].to_numpy()).all()
    _, metrics = evaluate([tmp_path / "infer" / "seed_0"], ScorePlan({"recon_error": 0.9, "feature_error": 0.1}))
    assert metrics["videos_in_macro"] == 2  # one AUROC per category, averaged: DAAD's MVTec protocol


def test_mvtec_errors_name_the_layout(tmp_path):
    with pytest.raises(InputError, match="train/good"):
        prepare_mvtec(tmp_path / "nothing", tmp_path / "out")
    layouts.mvtec(tmp_path / "raw", categories=("bottle",))
    for png in (tmp_path / "raw" / "bottle" / "test" / "crack").iterdir():
        png.unlink()
    (tmp_path / "raw" / "bottle" / "test" / "crack").rmdir()
    with pytest.raises(InputError, match="at least one defect"):
        prepare_mvtec(tmp_path / "raw", tmp_path / "out")


def test_toy_reproduces_the_fig1_pattern_with_the_nearest_tile_read():
    errors, _ = run_toy(ToyConfig())
    pattern = fig1_pattern(errors, "nearest")
    assert pattern["both"] == [1] and pattern["neither"] == [32] and pattern["normal only"] == [2, 4, 8, 16]


def test_toy_memory_and_rebuild():
    images = toy_images(ToyConfig())
    a = images["A (memory source)"]
    assert len(block_memory(a, 1)) == 2  # one white and one dark pixel pattern
    assert len(block_memory(a, 32)) == 1
    # the memory's own source is rebuilt exactly at every block size
    for block in (1, 4, 32):
        assert torch.equal(rebuild(a, block_memory(a, block), block, "nearest"), a)
