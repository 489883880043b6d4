"""Data-parallel training on the CPU with 2 gloo processes (what torchrun runs per GPU)."""
import dataclasses
import os
import socket

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp
import torch.nn.functional as F

from pipeline.data.clips import ClipDataset, split_input_target
from pipeline.data.index import PreparedDataset
from pipeline.engine.loop import LoopConfig, StepContext, fit
from pipeline.engine.runtime import seed_everything
from pipeline.families.clip_ae.config import ClipTrainConfig
from pipeline.families.clip_ae.model import MemAEConfig
from pipeline.families.clip_ae.train import ClipRecipe
from pipeline.families.mnad import memory as mem
from pipeline.families.mnad.config import TrainConfig
from pipeline.families.mnad.model import MNAD, MNADConfig, flatten_queries
from pipeline.families.mnad.train import MNADRecipe, memory_losses, total_loss

pytestmark = pytest.mark.slow
MODEL = MNADConfig(task="prediction", memory=True, width=4, image_size=32)
CFG = TrainConfig(epochs=1, lr=1e-3)
LOOP = LoopConfig(epochs=1, batch_size=4, checkpoint_every=1, shuffle=False)
CLIP_MODEL = MemAEConfig(num_items=10, widths=(4, 6, 8, 8), image_size=32)
CLIP_CFG = ClipTrainConfig(lr=1e-3)
WORLD = 2


def _one_batch(tmp_path_factory, train_frames: int):
    """A dataset whose training video holds exactly 4 clips: each epoch is one global batch
    (one optimizer step)."""
    from conftest import TINY_SYNTHETIC
    from pipeline.data.index import write_dataset
    from pipeline.data.synthetic import generate
    root = tmp_path_factory.mktemp("one_batch") / "synthetic"
    cfg = dataclasses.replace(TINY_SYNTHETIC, train_videos=1, frames_per_video=22, anomaly_length=4)
    records = generate(cfg)
    records[0] = dataclasses.replace(records[0], frames=records[0].frames[:train_frames],
                                     labels=records[0].labels[:train_frames],
                                     anomaly_types=records[0].anomaly_types[:train_frames])
    write_dataset(root, "synthetic", records)
    return root


@pytest.fixture(scope="module")
def one_batch_dataset(tmp_path_factory):
    return _one_batch(tmp_path_factory, 8)    # prediction clips of 5 frames


@pytest.fixture(scope="module")
def one_batch_clips(tmp_path_factory):
    return _one_batch(tmp_path_factory, 19)   # MemAE clips of 16 frames


def _bias_before_batchnorm(model) -> set[str]:
    """Biases of convolutions followed by BatchNorm: BN cancels them, their gradient is float
    noise around 0, and Adam turns any noise into a full step, so they cannot be compared."""
    names = set()
    for prefix, module in model.named_modules():
        children = list(module.named_children())
        for (name, child), (_, following) in zip(children, children[1:]):
            if isinstance(child, (torch.nn.Conv2d, torch.nn.ConvTranspose2d, torch.nn.Conv3d, torch.nn.ConvTranspose3d)) \
                    and isinstance(following, (torch.nn.BatchNorm2d, torch.nn.BatchNorm3d)):
                names.add(f"{prefix}.{name}.bias".lstrip("."))
    return names


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _recipe(family: str):
    return MNADRecipe(MODEL, CFG) if family == "mnad" else ClipRecipe(CLIP_MODEL, CLIP_CFG)


def _worker(rank, port, dataset, out, results, family="mnad", loop=LOOP):
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(WORLD), LOCAL_RANK=str(rank),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    recipe = _recipe(family)
    fit(recipe, dataset, out, loop, torch.device("cpu"))
    items = recipe.items()
    results[rank] = (None if items is None else items.clone(), {k: v.clone() for k, v in recipe.model.state_dict().items()})
    torch.distributed.destroy_process_group()


def reference_single_process(dataset):
    """What DDP computes, in one process: each global batch of 4 split into the two ranks'
    micro-batches (rank r takes samples r, r+2, ... as DistributedSampler without shuffle),
    BatchNorm statistics per micro-batch (no SyncBatchNorm on the CPU), gradients averaged,
    BatchNorm buffers following rank 0 (DDP broadcasts them), memory updated with all queries."""
    seed_everything(LOOP.seed)
    data = ClipDataset(PreparedDataset(dataset), "train", MODEL.image_size, MODEL.input_frames + 1)
    model = MNAD(MODEL)
    items = mem.init_items(MODEL.num_items, MODEL.query_dim, torch.Generator().manual_seed(CFG.seed))
    optimizer = torch.optim.Adam(model.parameters(), lr=CFG.lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=CFG.epochs)
    usable = len(data) // WORLD * WORLD
    per_rank = [list(range(r, usable, WORLD)) for r in range(WORLD)]
    b = LOOP.batch_size // WORLD
    steps = len(per_rank[0]) // b
    for _ in range(LOOP.epochs):
        model.train()
        for step in range(steps):
            optimizer.zero_grad()
            gathered, buffers = [], None
            for rank in range(WORLD):
                clips = torch.from_numpy(np.stack([data[i] for i in per_rank[rank][step * b:(step + 1) * b]]))
                inputs, target = split_input_target(clips, "prediction", torch.device("cpu"))
                if rank == 1:
                    buffers = {k: v.clone() for k, v in model.state_dict().items() if "running" in k or "tracked" in k}
                output, query = model(inputs, items)
                queries = flatten_queries(query)
                loss = total_loss({"reconstruction": F.mse_loss(output, target),
                                   **memory_losses(queries, items, CFG, b)}, CFG)
                (loss / WORLD).backward()
                gathered.append(queries.detach())
            if buffers is not None:  # rank 1's buffer updates are overwritten by rank 0's broadcast
                model.load_state_dict(buffers, strict=False)
            optimizer.step()
            items = mem.update(items, torch.cat(gathered), CFG.update_normalisation)
        scheduler.step()
    return items, model.state_dict()


def test_two_gloo_ranks_keep_identical_memory_and_match_one_process(one_batch_dataset, tmp_path):
    results = mp.Manager().dict()
    mp.spawn(_worker, args=(_free_port(), one_batch_dataset, tmp_path / "ddp", results), nprocs=WORLD, join=True)
    items0, state0 = results[0]
    items1, _ = results[1]
    assert torch.equal(items0, items1), "memory items are identical on every rank"
    assert (tmp_path / "ddp" / "final.pt").exists() and (tmp_path / "ddp" / "history.csv").exists()
    ref_items, ref_state = reference_single_process(one_batch_dataset)
    # Stated tolerance: float summation order only (gradient all-reduce, gather order), for one
    # optimizer step. Over many steps the two runs drift apart: the biases cancelled by
    # BatchNorm take full Adam steps on noise (see _bias_before_batchnorm).
    torch.testing.assert_close(items0, ref_items, rtol=1e-4, atol=1e-5)
    skip = _bias_before_batchnorm(MNAD(MODEL))
    compared = [n for n, v in ref_state.items() if v.is_floating_point() and n not in skip]
    assert len(compared) > 40
    for name in compared:
        torch.testing.assert_close(state0[name], ref_state[name], rtol=1e-4, atol=1e-5, msg=name)


def test_ranks_stay_identical_over_shuffled_epochs(tiny_dataset, tmp_path):
    loop = dataclasses.replace(LOOP, epochs=2, shuffle=True)
    results = mp.Manager().dict()
    mp.spawn(_worker, args=(_free_port(), tiny_dataset, tmp_path / "ddp", results, "mnad", loop), nprocs=WORLD, join=True)
    assert torch.equal(results[0][0], results[1][0])
    for name, value in results[0][1].items():
        if "running" not in name and "tracked" not in name:
            assert torch.equal(value, results[1][1][name]), name


class _Accumulate(StepContext):
    """One process standing in for WORLD ranks: each rank's loss adds loss / WORLD to the
    gradients; the optimizer steps once all micro-batches are in (DDP's averaged gradients)."""

    def optimise(self, loss, optimizer):
        self.optimizer = optimizer
        (loss / WORLD).backward()


def reference_clip_single_process(dataset):
    """MemAE's step, once per rank's micro-batch (samples r, r+2, ...), BatchNorm buffers
    following rank 0, gradients averaged, one Adam step."""
    recipe = _recipe("clip_ae")
    seed_everything(LOOP.seed)
    data = recipe.dataset(PreparedDataset(dataset), None)
    model = recipe.build()
    ctx = _Accumulate(torch.device("cpu"), None, LOOP)
    recipe.start(model, ctx)
    model.train()
    b = LOOP.batch_size // WORLD
    buffers = None
    for rank in range(WORLD):
        if rank == 1:
            buffers = {k: v.clone() for k, v in model.state_dict().items() if "running" in k or "tracked" in k}
        recipe.step(recipe.collate([data[i] for i in range(rank, WORLD * b, WORLD)]), ctx)
    model.load_state_dict(buffers, strict=False)
    ctx.optimizer.step()
    return model.state_dict()


def test_a_second_family_trains_data_parallel_through_the_same_engine(one_batch_clips, tmp_path):
    """MemAE (clip_ae) under 2 gloo ranks: identical parameters on both ranks, equal to one
    process that averages the two micro-batches' gradients."""
    results = mp.Manager().dict()
    mp.spawn(_worker, args=(_free_port(), one_batch_clips, tmp_path / "ddp", results, "clip_ae"), nprocs=WORLD,
             join=True)
    (_, state0), (_, state1) = results[0], results[1]
    for name, value in state0.items():
        if "running" not in name and "tracked" not in name:
            assert torch.equal(value, state1[name]), name
    reference = reference_clip_single_process(one_batch_clips)
    skip = _bias_before_batchnorm(_recipe("clip_ae").build())
    compared = [n for n, v in reference.items() if v.is_floating_point() and n not in skip]
    assert any("memory.items" in n for n in compared) and len(compared) > 20
    for name in compared:
        torch.testing.assert_close(state0[name], reference[name], rtol=1e-4, atol=1e-5, msg=name)
