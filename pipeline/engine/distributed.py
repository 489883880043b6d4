"""Data-parallel training with torchrun (NCCL on GPUs, gloo on CPUs), for every family.

torchrun sets RANK, WORLD_SIZE and LOCAL_RANK; without them everything runs in one process.
Each rank takes its share of the global batch; after each backward pass the gradients are
averaged over the ranks (what DistributedDataParallel does, done here by the engine so a
family with several optimisers, such as DAAD's generator and discriminator, needs nothing
special), and BatchNorm buffers follow rank 0 (DDP's broadcast_buffers). State that is not
a parameter, such as MNAD's memory items, is kept identical by the family: it all-gathers
the batch's queries (`gather_rows`) and applies the same update on every rank.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Context:
    rank: int = 0
    world_size: int = 1
    device: torch.device = torch.device("cpu")

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def setup(device: torch.device) -> Context:
    """Join the process group that torchrun describes in the environment (if any)."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size == 1:
        return Context(device=device)
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return Context(dist.get_rank(), dist.get_world_size(), device)


def gather_rows(ctx: Context, rows: torch.Tensor) -> torch.Tensor:
    """Concatenate a (N, C) tensor from every rank (same N everywhere), rank order."""
    if not ctx.distributed:
        return rows
    parts = [torch.empty_like(rows) for _ in range(ctx.world_size)]
    dist.all_gather(parts, rows.contiguous())
    return torch.cat(parts)


def mean_over_ranks(ctx: Context, value: torch.Tensor) -> float:
    value = value.detach()
    if ctx.distributed:
        value = value.clone()
        dist.all_reduce(value)
        value /= ctx.world_size
    return float(value)


def average_gradients(ctx: Context, parameters) -> None:
    """After backward: every gradient becomes the mean over ranks."""
    if not ctx.distributed:
        return
    for p in parameters:
        if p.grad is not None:
            dist.all_reduce(p.grad)
            p.grad /= ctx.world_size


def broadcast_buffers(ctx: Context, module: torch.nn.Module) -> None:
    """Before a forward pass: BatchNorm running statistics as rank 0 has them."""
    if not ctx.distributed:
        return
    for buffer in module.buffers():
        dist.broadcast(buffer, 0)


def barrier(ctx: Context) -> None:
    if ctx.distributed:
        dist.barrier()
