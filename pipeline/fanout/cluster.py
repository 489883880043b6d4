"""Where the stages run: Dask workers on this machine (one per GPU, or N for the CPU), a
dask-jobqueue cluster described by a small YAML file, or a scheduler already running.

Every worker has one thread: a stage is a process of its own, and the stage's compute
threads are `runtime.cpu_threads` (a parameter, since CPU results depend on it at
float-rounding level). A local GPU worker is named gpu<id> (gpu<id>.<k> with several on
one GPU), <id> being the GPU as the shell names it: an entry of the shell's
CUDA_VISIBLE_DEVICES where that is set (a number or a GPU-/MIG- UUID), else a device
number; its stages see only that GPU (pipeline.fanout.execute). `--gpus all` is every GPU
the shell exposes, `--gpus 0,1` the first two of them. Jobs of a batch cluster see the GPUs
the batch system gives them. Dask's own logs stay at warning level unless `verbose`.

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

import logging
import os
from contextlib import contextmanager
from pathlib import Path

import yaml

from pipeline.io import InputError

JOBQUEUE = {"slurm": "SLURMCluster", "pbs": "PBSCluster", "sge": "SGECluster", "lsf": "LSFCluster",
            "oar": "OARCluster", "htcondor": "HTCondorCluster", "moab": "MoabCluster"}


def local_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def default_cpu_workers(cpu_threads: int, cores: int | None = None) -> int:
    """As many CPU workers as the cores hold stages of `runtime.cpu_threads` threads (at
    least one): oversubscribed compute threads slow every stage many times over."""
    return max(1, (cores or local_cores()) // cpu_threads)


def gpu_worker_names(gpus: list[str], per_gpu: int = 1) -> list[str]:
    return [f"gpu{g}" if per_gpu == 1 else f"gpu{g}.{k}" for g in gpus for k in range(per_gpu)]


def _local_cluster(names: list[str], verbose: bool = False):
    """Worker processes named as given, one thread each, no dashboard unless bokeh is there."""
    from distributed import Nanny, Scheduler, SpecCluster

    workers = {name: {"cls": Nanny, "options": {"nthreads": 1, "name": name}} for name in names}
    return SpecCluster(workers=workers, scheduler={"cls": Scheduler, "options": {"dashboard_address": None}},
                       silence_logs=logging.INFO if verbose else logging.WARNING)


@contextmanager
def _worker_log_level(verbose: bool):
    """A worker process sets up its logging from Dask's configuration as it imports
    distributed, before anything its nanny hands it, and takes that configuration from the
    environment it inherits: the level goes in there while the cluster lives (a restarted
    worker inherits it too)."""
    name, previous = "DASK_LOGGING__DISTRIBUTED", os.environ.get("DASK_LOGGING__DISTRIBUTED")
    os.environ[name] = "info" if verbose else "warning"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous


def _from_file(path: Path):
    import dask_jobqueue

    spec = yaml.safe_load(Path(path).read_text()) or {}
    kind = str(spec.get("kind", "")).lower()
    if kind not in JOBQUEUE:
        raise InputError(f"{path}: kind {kind!r} is not one of {', '.join(JOBQUEUE)}; see `memaudit repro --help`")
    cluster = getattr(dask_jobqueue, JOBQUEUE[kind])(**(spec.get("options") or {}))
    cluster.scale(jobs=int(spec.get("jobs", 1)))
    return cluster


def visible_gpus(environ=os.environ) -> list[str]:
    """The GPUs the shell exposes, as a stage's CUDA_VISIBLE_DEVICES names them: the shell's
    own list where it sets one (CUDA stops at the first entry it cannot parse; so do we),
    else every device torch counts."""
    listed = environ.get("CUDA_VISIBLE_DEVICES")
    if listed is None:
        import torch

        return [str(i) for i in range(torch.cuda.device_count())]
    gpus = []
    for entry in (e.strip() for e in listed.split(",")):
        if not (entry.isdigit() or entry.startswith(("GPU-", "MIG-"))):
            break
        gpus.append(entry)
    return gpus


def parse_gpus(gpus: str, environ=os.environ) -> list[str]:
    """`all`: every GPU the shell exposes; `0,1`: the first and second of them."""
    visible = visible_gpus(environ)
    if not visible:
        raise InputError(f"--gpus {gpus}: no CUDA device is visible here (CUDA_VISIBLE_DEVICES="
                         f"{environ.get('CUDA_VISIBLE_DEVICES', 'unset')})")
    if gpus == "all":
        return visible
    try:
        picked = [int(g) for g in gpus.split(",") if g.strip()]
    except ValueError:
        raise InputError(f"--gpus {gpus!r}: give 'all' or positions such as 0,1,2 among the visible GPUs") from None
    outside = [i for i in picked if not 0 <= i < len(visible)]
    if outside:
        raise InputError(f"--gpus {gpus}: {len(visible)} GPU(s) are visible here ({', '.join(visible)}); "
                         f"there is no GPU {outside[0]}")
    return [visible[i] for i in picked]


@contextmanager
def client_for(workers: int | None = None, gpus: str | None = None, per_gpu: int = 1, scheduler: str | None = None,
               cluster_file: str | None = None, verbose: bool = False, cpu_threads: int = 1):
    """A Dask client for the chosen place, closed (with any cluster it started) on exit;
    `workers` CPU workers, by default default_cpu_workers(cpu_threads)."""
    try:
        from distributed import Client
    except ImportError:
        raise InputError('the fan-out needs Dask: pip install -e ".[cluster]"') from None
    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    with _worker_log_level(verbose):
        if cluster_file:
            cluster = _from_file(Path(cluster_file))
        elif gpus:
            cluster = _local_cluster(gpu_worker_names(parse_gpus(gpus), per_gpu), verbose)
        else:
            cluster = _local_cluster([f"cpu{i}" for i in range(workers or default_cpu_workers(cpu_threads))], verbose)
        with cluster, Client(cluster) as client:
            yield client
