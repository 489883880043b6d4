"""MNAD's test pass against a reference loop written here from the official Evaluate.py's
order of operations (one clip at a time, full forward, gated update): the batched encoder
path must give the same numbers. It checks our reading of that order, not the official
code itself, which is not run here."""
import numpy as np
import pytest
import torch

from pipeline.data.clips import resize_frames
from pipeline.data.index import PreparedDataset
from pipeline.engine.checkpoints import save_checkpoint
from pipeline.engine.frames import psnr
from pipeline.families.mnad import memory as mem
from pipeline.families.mnad.config import InferConfig, TrainConfig
from pipeline.families.mnad.infer import infer_video, run
from pipeline.families.mnad.model import MNAD, MNADConfig, flatten_queries

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    m = MNAD(MNADConfig(task="prediction", memory=True, width=4, image_size=32)).eval()
    return m, mem.init_items(10, 32, torch.Generator().manual_seed(0))


@pytest.fixture(scope="module")
def frames(tiny_dataset):
    ds = PreparedDataset(tiny_dataset)
    return [resize_frames(np.asarray(ds.frames("test", v)), 32) for v in ds.videos("test")]


def reference_frame_by_frame(model, items, frames, gamma):
    """Evaluate.py's order of operations: one clip at a time, full forward, gated update."""
    rows = []
    x = torch.from_numpy(frames).float().div(127.5).sub(1).movedim(-1, -3)
    with torch.no_grad():
        for t in range(4, len(frames)):
            output, query = model(x[t - 4:t].flatten(0, 1)[None], items)
            flat = flatten_queries(query)
            regular = float(mem.regular_score(output, x[t][None])[0])
            rows.append((float(psnr(output, x[t][None])[0]), float(mem.query_distance(flat[None], items)[0]), regular))
            if regular < gamma:
                items = mem.update(items, flat)
    return np.array(rows), items


@pytest.mark.parametrize("gamma", [0.0, 0.02, 10.0])
def test_batched_encoder_path_equals_frame_by_frame_official_loop(model, frames, gamma):
    net, items = model
    cfg = InferConfig(test_time_update=True, gamma=gamma, batch_size=8)
    rows, final_items = infer_video(net, items, frames[0], cfg, CPU)
    expected, expected_items = reference_frame_by_frame(net, items, frames[0], gamma)
    got = rows[["psnr", "distance", "regular_score"]].to_numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-4)
    torch.testing.assert_close(final_items, expected_items, rtol=1e-4, atol=1e-6)


def test_update_gate(model, frames):
    net, items = model
    never, items_never = infer_video(net, items, frames[0], InferConfig(gamma=0.0), CPU)
    always, items_always = infer_video(net, items, frames[0], InferConfig(gamma=1e9), CPU)
    assert not never.updated.any() and torch.equal(items_never, items)
    assert always.updated.all() and not torch.allclose(items_always, items)


def test_no_update_path_is_fully_batched_and_matches(model, frames):
    net, items = model
    big, _ = infer_video(net, items, frames[1], InferConfig(test_time_update=False, batch_size=64), CPU)
    one, _ = infer_video(net, items, frames[1], InferConfig(test_time_update=False, batch_size=1), CPU)
    np.testing.assert_allclose(big[["psnr", "distance"]].to_numpy(), one[["psnr", "distance"]].to_numpy(), rtol=1e-4)
    expected, _ = reference_frame_by_frame(net, items, frames[1], gamma=0.0)
    np.testing.assert_allclose(big[["psnr", "distance"]].to_numpy(), expected[:, :2], rtol=1e-4)


def test_memory_is_carried_across_videos_and_never_reset(model, tiny_dataset, tmp_path):
    net, items = model
    cfg = InferConfig(gamma=1e9)
    save_checkpoint(tmp_path / "train" / "final.pt", net, "mnad", TrainConfig(), 1, items)
    table, facts = run(cfg, tmp_path / "train", "final", tiny_dataset, tmp_path / "inf", CPU)
    assert facts["scored_frames"] == "frames 5..T" and facts["memory"]
    ds = PreparedDataset(tiny_dataset)
    first, second = ds.videos("test")[:2]
    _, after_first = infer_video(net, items, resize_frames(np.asarray(ds.frames("test", first)), 32), cfg, CPU)
    carried, _ = infer_video(net, after_first, resize_frames(np.asarray(ds.frames("test", second)), 32), cfg, CPU)
    np.testing.assert_allclose(table[table.video == second].psnr.to_numpy(), carried.psnr.to_numpy(), rtol=1e-5)
    summary = np.load(tmp_path / "inf" / "memory.npz")
    assert summary["usage"].sum() == len(table) * 16  # 4x4 queries per frame
    assert set(table.columns) >= {"video", "frame", "label", "anomaly_type", "psnr", "distance", "updated"}
    assert table.groupby("video").frame.min().eq(4).all(), "prediction scores from the 5th frame"


def test_models_without_memory_report_psnr_only(tiny_dataset, tmp_path):
    net = MNAD(MNADConfig(task="reconstruction", memory=False, width=4, image_size=32)).eval()
    save_checkpoint(tmp_path / "train" / "final.pt", net, "mnad", TrainConfig(), 1)
    table, _ = run(InferConfig(), tmp_path / "train", "final", tiny_dataset, tmp_path / "inf", CPU)
    assert "distance" not in table.columns and not (tmp_path / "inf" / "memory.npz").exists()
    assert table.groupby("video").frame.min().eq(0).all()
    assert np.isfinite(table.psnr).all()
