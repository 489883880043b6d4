"""A cost plan: for the current params, every stage DVC would run, its work (training
samples x epochs x seeds, frames scored), its estimated time from a throughput table per
family and device, the total, and the makespan on N workers (the fan-out's own
critical-path-first list schedule, simulated).

Throughput tables (samples/s for training, frames/s for a test pass):
    calibrated       the default: measured on the device the params select (runtime.device:
                     this CPU, or the GPU), for the profile's networks and the stages' own
                     code (pipeline.fanout.calibrate), cached per machine and setting under
                     runs/plan/ and re-measured with `--calibrate`
    official         `--throughput official`: the official code's published figures (see
                     OFFICIAL_2080TI below): MNAD's from the reproducibility report (Table 1:
                     training minutes on an RTX 2080 Ti; Tables 2-3: inference seconds per
                     frame), the other families scaled from MNAD's by their compute per sample
                     (multiply-adds of one forward and backward pass at the paper size,
                     counted by torch): for planning a paper-scale run on GPUs from anywhere
    a JSON file      `--throughput FILE`: your own, in the calibration's format
Sizes of datasets not prepared here are the published ones (the dataset table,
pipeline.data.datasets). What a family's stage costs per unit (frames per training sample,
passes per test frame, which rate) its spec declares (COSTS): this module names no family.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipeline.data.datasets import DATASETS, EMBEDDED
from pipeline.params import load_params

# Training samples/s and test frames/s of the official code (family, task) on an RTX 2080 Ti.
# MNAD: report Table 1 (minutes for 10 epochs of ShanghaiTech's 273,195 prediction clips /
# 274,515 frames) and Tables 2-3 (seconds per frame); the others by compute ratio (compute_ratio).
OFFICIAL_2080TI = {"mnad/prediction": (273195 * 10 / (1498 * 60), 1 / 0.012),
                   "mnad/reconstruction": (274515 * 10 / (1207 * 60), 1 / 0.010)}
OFFICIAL_BASE = ("mnad", "mnad/prediction")   # the family and rates the other families are scaled from
SCORE_SECONDS = 10.0          # a score stage (scores, intervals, figures): measured 2-7 s on 2 CPU cores
FIXED_SECONDS = 5.0           # process start-up, data index, checkpoint: every stage


@dataclass
class StageCost:
    stage: str
    kind: str
    family: str | None
    work: str                 # what the time is made of, in words
    units: float              # samples or frames
    seconds: float


def _split_size(params: dict, dataset: str, split: str, root: Path) -> tuple[int, int] | None:
    """(frames, videos) of a split: as prepared here, else the published size of a benchmark,
    else as the generator would write it (nothing written)."""
    index = root / "data" / "prepared" / dataset / "index.csv"
    if index.exists():
        import pandas as pd

        rows = pd.read_csv(index, usecols=["split", "video"], dtype={"video": str})
        rows = rows[rows.split == split]
        return len(rows), rows.video.nunique()
    row = DATASETS.get(dataset)
    if row is None:
        return None   # not a dataset of the table: size unknown
    if row.published:
        return row.published[split]
    return _generated_size(dataset, json.dumps(params["prepare"][dataset], sort_keys=True), split)


@lru_cache(maxsize=None)
def _generated_size(dataset: str, section: str, split: str) -> tuple[int, int]:
    from pipeline.data.prepare import generated_records

    records = [r for r in generated_records(dataset, json.loads(section)) if r.split == split]
    return sum(len(r.frames) for r in records), len(records)


@dataclass(frozen=True)
class ModelCost:
    """What a model's stages cost per unit, from its family's declarations (spec.COSTS) and the
    configs its train stage would build."""
    family: str
    rate: str                 # its key in a throughput table
    sample_frames: int
    test_passes: int
    epochs: int


def model_cost(params: dict, dataset: str, model: str) -> ModelCost:
    from pipeline import families

    family = families.family_of(params, model)
    costs = families.load(family, "spec").COSTS
    config, _, loop = families.load(family, "config").train_configs(params, dataset, model, 0)
    return ModelCost(family, costs.rate_name(family, config), costs.sample_frames(config), costs.test_passes(config),
                     loop.epochs)


def stage_kind(name: str) -> tuple[str, str | None, str | None]:
    """train_memory@synthetic-pred_mem-0 -> (train, synthetic, pred_mem); report -> (report, None, None)."""
    match = re.fullmatch(r"(\w+?)(?:_\w+)?@([^-]+)-([^-]+)(?:-\d+)?", name)
    if match:
        return match.group(1), match.group(2), match.group(3)
    match = re.fullmatch(r"(\w+?)(?:_\w+)?@(.+)", name)
    return (match.group(1), match.group(2), None) if match else (name, None, None)


def stage_cost(name: str, params: dict, throughput: dict, root: Path) -> StageCost:
    """One stage's work and estimated time. A train or infer stage runs one training seed."""
    kind, dataset, model = stage_kind(name)
    if kind in ("train", "infer") and model in params["models"]:
        cost = model_cost(params, dataset, model)
        rate = throughput.get(cost.rate) or throughput.get(cost.family)
        size = _split_size(params, dataset, "train" if kind == "train" else "test", root)
        fixed = throughput.get("stage_seconds", FIXED_SECONDS)
        if size is None:
            return StageCost(name, kind, cost.family, f"{dataset}: size unknown until prepared", 0, float("nan"))
        if kind == "train":
            frames, videos = size
            samples = max(0, frames - videos * (cost.sample_frames - 1)) * cost.epochs
            seconds = samples / rate[0] if rate else float("nan")
            return StageCost(name, kind, cost.family, f"{samples:,.0f} samples ({cost.epochs} epochs)", samples,
                             fixed + seconds)
        frames, _ = size
        scored = frames * cost.test_passes
        seconds = scored / rate[1] if rate else float("nan")
        loading = throughput.get("infer_seconds", {})   # model loading and first calls, measured
        loading = loading.get(cost.rate, loading.get(cost.family, 0.0))
        passes = f"{cost.test_passes} pass{'es' if cost.test_passes > 1 else ''}"
        return StageCost(name, kind, cost.family, f"{scored:,.0f} frames ({passes})", scored, fixed + loading + seconds)
    if kind == "score":
        family = params["models"][model]["family"] if model in params["models"] else None
        measured = throughput.get("score_seconds", {})
        seconds = measured.get(family, max(measured.values(), default=SCORE_SECONDS)) if measured else SCORE_SECONDS
        return StageCost(name, kind, family, "scores, intervals, figures", 0, seconds)
    return StageCost(name, kind, None, "", 0, throughput.get("stage_seconds", FIXED_SECONDS))


def makespan(costs: dict[str, float], upstream: dict[str, list[str]], workers: int) -> float:
    """List schedule on `workers` machines, critical-path first (as the fan-out submits)."""
    downstream = {s: [] for s in costs}
    for s, ups in upstream.items():
        for u in ups:
            downstream[u].append(s)
    rank: dict[str, float] = {}

    def path(s: str) -> float:
        if s not in rank:
            rank[s] = costs[s] + max((path(d) for d in downstream[s]), default=0.0)
        return rank[s]
    done: dict[str, float] = {}
    free = [0.0] * workers
    left = set(costs)
    while left:
        ready = [s for s in left if all(u in done for u in upstream[s])]
        stage = max(ready, key=path)
        left.remove(stage)
        worker = min(range(workers), key=lambda w: free[w])
        start = max([free[worker]] + [done[u] for u in upstream[stage]])
        done[stage] = free[worker] = start + costs[stage]
    return max(done.values(), default=0.0)


def official_throughput() -> dict:
    """The official-code table: MNAD's published rates; the other families scaled by compute."""
    table = dict(OFFICIAL_2080TI)
    base = OFFICIAL_2080TI[OFFICIAL_BASE[1]]
    for family, ratio in compute_ratio().items():
        table.setdefault(family, (base[0] / ratio, base[1] / ratio))
    return table


def compute_ratio() -> dict[str, float]:
    """Multiply-adds per training sample of each family's paper network (its first probe
    model, spec.COSTS), forward and backward (torch's FLOP counter on the meta device:
    nothing is computed), relative to the official figures' family (OFFICIAL_BASE)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from pipeline import families
    from pipeline.fanout.calibrate import dataset_for

    params = load_params()
    params["profile"] = "paper"
    flops = {}
    batch = 2   # BatchNorm needs more than one value per channel
    for family in families.FAMILIES:
        model = families.load(family, "spec").COSTS.probes[0]
        recipe, _ = families.load(family, "train").recipe(params, dataset_for(params, family), model, 0)
        with torch.device("meta"):
            net = recipe.build()
        counter = FlopCounterMode(display=False)
        with counter:
            recipe.example_forward(net, batch, "meta").float().sum().backward()
        flops[family] = counter.get_total_flops() / batch
    return {family: value / flops[OFFICIAL_BASE[0]] for family, value in flops.items()}


OFFICIAL = "official"


def load_throughput(path: str | None) -> tuple[dict, str]:
    """The official table (`path` None or 'official'), or a calibration's JSON file: rates per
    family, and the fixed costs it measured (stage_seconds, score_seconds per family)."""
    if path in (None, OFFICIAL):
        return official_throughput(), ("the official code's published figures (MNAD: reproducibility report Tables 1-3, "
                                       "RTX 2080 Ti; other families scaled by compute per sample)")
    table = json.loads(Path(path).read_text())
    loaded = {k: tuple(v) for k, v in table["rates"].items()}
    loaded.update({k: table[k] for k in ("stage_seconds", "infer_seconds", "score_seconds") if k in table})
    return loaded, table.get("source", str(path))


def calibration_file(params: dict, root: Path = Path(".")) -> Path:
    """Where this machine's calibration for these settings is cached: keyed by the CPU (or
    GPU), the software, and every setting the measurement reads."""
    import hashlib
    import platform

    import torch

    from pipeline.engine.runtime import pick_device
    from pipeline.fanout.calibrate import probes
    from pipeline.numerics import cpu_flags

    device = pick_device(params["runtime"]["device"])
    cpu = next((line.split(":", 1)[1].strip() for line in _cpuinfo() if line.startswith("model name")), platform.processor())
    key = {"cpu": cpu, "flags": sorted(cpu_flags()), "gpu": torch.cuda.get_device_name(device) if device.type == "cuda"
           else None, "torch": torch.__version__, "python": platform.python_version(), "runtime": params["runtime"],
           "profile": params["profile"], "profiles": params["profiles"][params["profile"]],
           "models": {m: params["models"][m] for _, m in probes(params)},
           "prepare": {d: params["prepare"].get(d) for d in EMBEDDED}}
    digest = hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:12]
    return Path(root) / "runs" / "plan" / f"calibration-{digest}.json"


def _cpuinfo() -> list[str]:
    try:
        return Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return []
