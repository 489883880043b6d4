"""Where the stages run: Dask workers on this machine (one per GPU, or N for the CPU), a
dask-jobqueue cluster described by a small YAML file, or a scheduler already running.

Every worker has one thread: a stage is a process of its own, and the stage's compute
threads are `runtime.cpu_threads` (a parameter, since CPU results depend on it at
float-rounding level). A local GPU worker is named gpu<id> (gpu<id>-<k> with several on
one GPU) and its stages see only that GPU (pipeline.fanout.execute). Jobs of a batch
cluster see the GPUs the batch system gives them.

A cluster file, e.g. slurm.yaml:

    kind: slurm              # slurm | pbs | sge | lsf | oar | htcondor | moab
    jobs: 8                  # batch jobs, each running `processes` workers
    options:                 # keyword arguments of dask_jobqueue.SLURMCluster, as its docs list them
      cores: 8
      processes: 1
      memory: 64GB
      walltime: "24:00:00"
      job_extra_directives: ["--gres=gpu:1"]
      job_script_prologue: ["source /shared/memaudit/.venv/bin/activate", "cd /shared/memaudit"]
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import yaml

from pipeline.io import InputError

JOBQUEUE = {"slurm": "SLURMCluster", "pbs": "PBSCluster", "sge": "SGECluster", "lsf": "LSFCluster",
            "oar": "OARCluster", "htcondor": "HTCondorCluster", "moab": "MoabCluster"}


def local_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def gpu_worker_names(gpus: list[int], per_gpu: int = 1) -> list[str]:
    return [f"gpu{g}" if per_gpu == 1 else f"gpu{g}-{k}" for g in gpus for k in range(per_gpu)]


def _local_cluster(names: list[str]):
    """Worker processes named as given, one thread each, no dashboard unless bokeh is there."""
    from distributed import Nanny, Scheduler, SpecCluster

    workers = {name: {"cls": Nanny, "options": {"nthreads": 1, "name": name}} for name in names}
    return SpecCluster(workers=workers, scheduler={"cls": Scheduler, "options": {"dashboard_address": None}},
                       silence_logs=40)


def _from_file(path: Path):
    import dask_jobqueue

    spec = yaml.safe_load(Path(path).read_text()) or {}
    kind = str(spec.get("kind", "")).lower()
    if kind not in JOBQUEUE:
        raise InputError(f"{path}: kind {kind!r} is not one of {', '.join(JOBQUEUE)}; see `memaudit repro --help`")
    cluster = getattr(dask_jobqueue, JOBQUEUE[kind])(**(spec.get("options") or {}))
    cluster.scale(jobs=int(spec.get("jobs", 1)))
    return cluster


def _parse_gpus(gpus: str) -> list[int]:
    if gpus == "all":
        import torch

        count = torch.cuda.device_count()
        if not count:
            raise InputError("--gpus all: no CUDA device is visible on this machine")
        return list(range(count))
    try:
        return [int(g) for g in gpus.split(",") if g.strip()]
    except ValueError:
        raise InputError(f"--gpus {gpus!r}: give 'all' or GPU ids such as 0,1,2") from None


@contextmanager
def client_for(workers: int | None = None, gpus: str | None = None, per_gpu: int = 1, scheduler: str | None = None,
               cluster_file: str | None = None):
    """A Dask client for the chosen place, closed (with any cluster it started) on exit."""
    try:
        from distributed import Client
    except ImportError:
        raise InputError('the fan-out needs Dask: pip install -e ".[cluster]"') from None
    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    if cluster_file:
        cluster = _from_file(Path(cluster_file))
    elif gpus:
        cluster = _local_cluster(gpu_worker_names(_parse_gpus(gpus), per_gpu))
    else:
        cluster = _local_cluster([f"cpu{i}" for i in range(workers or local_cores())])
    with cluster, Client(cluster) as client:
        yield client
