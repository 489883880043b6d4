"""Data-parallel training on the CPU with 2 gloo processes (what torchrun runs per GPU)."""
import os
import socket

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp
import torch.nn.functional as F

from pipeline.data.clips import ClipDataset, split_input_target
from pipeline.data.index import PreparedDataset
from pipeline.devices import seed_everything
from pipeline.models import memory as mem
from pipeline.models.mnad import MNAD, MNADConfig, flatten_queries
from pipeline.training import TrainConfig, fit, memory_losses, total_loss

pytestmark = pytest.mark.slow
MODEL = MNADConfig(task="prediction", memory=True, width=4, image_size=32)
CFG = TrainConfig(epochs=1, batch_size=4, lr=1e-3, checkpoint_every=1, shuffle=False)
WORLD = 2


@pytest.fixture(scope="module")
def one_batch_dataset(tmp_path_factory):
    """4 training clips: each epoch is exactly one global batch (one optimizer step)."""
    import dataclasses

    from conftest import TINY_SYNTHETIC
    from pipeline.data.index import write_dataset
    from pipeline.data.synthetic import generate
    root = tmp_path_factory.mktemp("one_batch") / "synthetic"
    cfg = dataclasses.replace(TINY_SYNTHETIC, train_videos=1, frames_per_video=22, anomaly_length=4)
    records = generate(cfg)
    records[0] = dataclasses.replace(records[0], frames=records[0].frames[:8], labels=records[0].labels[:8],
                                     anomaly_types=records[0].anomaly_types[:8])
    write_dataset(root, "synthetic", records)
    return root


def _bias_before_batchnorm(model) -> set[str]:
    """Biases of convolutions followed by BatchNorm: BN cancels them, their gradient is float
    noise around 0, and Adam turns any noise into a full step, so they cannot be compared."""
    names = set()
    for prefix, module in model.named_modules():
        children = list(module.named_children())
        for (name, child), (_, following) in zip(children, children[1:]):
            if isinstance(child, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)) and isinstance(following, torch.nn.BatchNorm2d):
                names.add(f"{prefix}.{name}.bias".lstrip("."))
    return names


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank, port, dataset, out, results, cfg=CFG):
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(WORLD), LOCAL_RANK=str(rank),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    result = fit(dataset, out, MODEL, cfg, torch.device("cpu"))
    results[rank] = (result.items.clone(), {k: v.clone() for k, v in result.model.state_dict().items()})
    torch.distributed.destroy_process_group()


def reference_single_process(dataset):
    """What DDP computes, in one process: each global batch of 4 split into the two ranks'
    micro-batches (rank r takes samples r, r+2, ... as DistributedSampler without shuffle),
    BatchNorm statistics per micro-batch (no SyncBatchNorm on the CPU), gradients averaged,
    BatchNorm buffers following rank 0 (DDP broadcasts them), memory updated with all queries."""
    seed_everything(CFG.seed)
    data = ClipDataset(PreparedDataset(dataset), "train", MODEL.image_size, MODEL.input_frames + 1)
    model = MNAD(MODEL)
    items = mem.init_items(MODEL.num_items, MODEL.query_dim, torch.Generator().manual_seed(CFG.seed))
    optimizer = torch.optim.Adam(model.parameters(), lr=CFG.lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=CFG.epochs)
    usable = len(data) // WORLD * WORLD
    per_rank = [list(range(r, usable, WORLD)) for r in range(WORLD)]
    steps = len(per_rank[0]) // (CFG.batch_size // WORLD)
    b = CFG.batch_size // WORLD
    for _ in range(CFG.epochs):
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
    import dataclasses
    cfg = dataclasses.replace(CFG, epochs=2, shuffle=True)
    results = mp.Manager().dict()
    mp.spawn(_worker, args=(_free_port(), tiny_dataset, tmp_path / "ddp", results, cfg), nprocs=WORLD, join=True)
    assert torch.equal(results[0][0], results[1][0])
    for name, value in results[0][1].items():
        if "running" not in name and "tracked" not in name:
            assert torch.equal(value, results[1][1][name]), name
