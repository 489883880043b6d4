"""Data-parallel training with torchrun (DDP; NCCL on GPUs, gloo on CPUs).

torchrun sets RANK, WORLD_SIZE and LOCAL_RANK; without them everything runs in one process.
The memory items are not parameters, so DDP does not synchronise them: each step every
rank all-gathers the batch's queries and applies the same update (eq. 3) to the same
items, which keeps them identical everywhere and equal to a single process that sees the
whole global batch.
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


def barrier(ctx: Context) -> None:
    if ctx.distributed:
        dist.barrier()
