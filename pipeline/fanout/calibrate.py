"""A throughput table measured on the device the params select, for `memaudit plan` and
`memaudit repro --throughput`: what each stage of the DAG costs here, from the code the
stages run.

    stage_seconds    a train or infer stage's fixed cost: a new process importing what the
                     train and infer stages import (torch, pandas, the engine)
    rates            per family (and MNAD task): training samples/s, a few timed steps of the
                     family's own training step on batches of the profile's size; test
                     frames/s, the family's own inference (its scorer, MNAD's test-time
                     memory update and second pass included) over generated test videos: the
                     rate from one video against three, so model loading and first calls
                     are not counted per frame
    infer_seconds    per family: what an inference costs besides its frames (loading, first calls)
    score_seconds    per family: the score stage itself (scores, intervals, figures) run on
                     that inference's output

Written as JSON (`rates`, `stage_seconds`, `score_seconds`, `source`). Cached per machine and
setting (pipeline.fanout.plan.calibration_file): re-measured with `memaudit plan --calibrate`.
"""
from __future__ import annotations

import json
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import torch

from pipeline.data.datasets import DATASET_LISTS, DATASETS, EMBEDDED
from pipeline.families.lists import MODEL_LISTS

STEPS = 5   # timed training steps per family, after one untimed
IMPORTS = ("import sys; sys.path[:0] = ['stages', '.']; import _common, torch, pandas; "
           "import pipeline.engine.loop, pipeline.engine.testing")


def probes(params: dict) -> list[tuple[str, str]]:
    """(family, model) of every model a family's spec names for calibration (COSTS.probes)."""
    from pipeline import families

    return [(family, model) for family in families.FAMILIES for model in families.load(family, "spec").COSTS.probes]


def _timed(fn, steps: int, device: torch.device) -> float:
    fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / steps


def _process_seconds(code: str, cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def _test_videos(params: dict, family: str, root: Path, videos: int) -> Path:
    """A prepared copy of the family's generated dataset (the embedded set it runs on) with
    its first `videos` test videos and what trains their models (the first training video,
    or each category's own training images)."""
    from pipeline.data.index import write_dataset
    from pipeline.data.prepare import generated_records

    name = embedded_dataset(params, family)
    records = generated_records(name, params["prepare"][name])
    keep = [r.video for r in records if r.split == "test"][:videos]
    train = [r for r in records if r.split == "train"]
    train = [r for r in train if r.video in keep] if DATASETS[name].one_model_per_video else train[:1]
    write_dataset(root, name, train + [r for r in records if r.split == "test" and r.video in keep])
    return root


def calibrate(params: dict, out: Path, root: Path = Path("."), steps: int = STEPS) -> dict:
    """Measure every family on the device `runtime.device` selects; write the table to `out`."""
    from pipeline import families
    from pipeline.data.index import PreparedDataset
    from pipeline.engine import distributed
    from pipeline.engine.checkpoints import save_checkpoint
    from pipeline.engine.loop import StepContext
    from pipeline.engine.runtime import start
    from pipeline.engine.testing import infer_seed

    device = start(params["runtime"]["device"], params["runtime"]["cpu_threads"])
    stage_seconds = _process_seconds(IMPORTS, root)
    rates, score_seconds, infer_seconds = {}, {}, {}
    with tempfile.TemporaryDirectory(prefix="calibrate_") as tmp:
        for family, model in probes(params):
            recipe, loop = families.load(family, "train").recipe(params, dataset_for(params, family), model, 0)
            key = families.load(family, "spec").COSTS.rate_name(family, recipe.model_config)
            work = Path(tmp) / key.replace("/", "_")
            net = recipe.build().to(device)
            ctx = StepContext(device, distributed.setup(device), loop)
            recipe.start(net, ctx)
            data = recipe.example_batch(loop.batch_size)
            train = _timed(lambda: recipe.step(data, ctx), steps, device)
            config = families.load(family, "infer").config(params, model, 0)
            passes = {}   # test videos -> (frames, seconds): the rate from the difference, without fixed costs
            for videos in (1, 3):
                prepared = _test_videos(params, family, work / f"prepared_{videos}", videos)
                dataset = PreparedDataset(prepared)
                for folder in dataset.videos("test") if dataset.per_category else [""]:   # one model per category
                    save_checkpoint(work / "train" / "seed_0" / folder / "final.pt", net, family, recipe.train_config,
                                    0, recipe.items())
                start = time.perf_counter()
                frames = infer_seed(families.load(family, "infer").run, families.load(family, "model").build, config,
                                    work / "train" / "seed_0", "final", prepared, work / f"infer_{videos}" / "seed_0",
                                    device)
                passes[videos] = (frames, time.perf_counter() - start)
            (f1, t1), (f3, t3) = passes[1], passes[3]
            rates[key] = (loop.batch_size / train, (f3 - f1) / max(t3 - t1, 1e-6))
            infer_seconds[key] = max(0.0, t1 - f1 / rates[key][1])
            score_seconds.setdefault(family, _score_seconds(params, family, model, work, root))
            print(f"{key}: {rates[key][0]:,.2f} training samples/s, {rates[key][1]:,.2f} test frames/s")
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"{platform.machine()} CPU"
    table = {"source": f"calibrated {date.today()} on {name} ({params['runtime']['cpu_threads']} CPU threads, numerics "
                       f"{params['runtime']['numerics']}), profile {params['profile']}",
             "rates": rates, "stage_seconds": stage_seconds, "infer_seconds": infer_seconds,
             "score_seconds": score_seconds}
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(table, indent=1))
    return table


def _score_seconds(params: dict, family: str, model: str, work: Path, root: Path) -> float:
    """The score stage's own process on the calibration's inference (one seed)."""
    from pipeline import families

    model_list = families.lists_for(params, model)[0]
    args = [sys.executable, str(Path(root) / "stages" / "score.py"), "calibration", model, str(work / "train"),
            str(work / "infer_3"), str(work / "score"), str(work / "figures"), "--family", family, "--models", model_list,
            "--seed", "0"]
    start = time.perf_counter()
    subprocess.run(args, cwd=root, check=True, capture_output=True)
    return time.perf_counter() - start


def dataset_lists(family: str) -> list[str]:
    """The params keys of the dataset lists the family's model lists run on."""
    return list(dict.fromkeys(row.datasets for row in MODEL_LISTS if row.family == family))


def dataset_for(params: dict, family: str) -> str:
    """A dataset this configuration runs the family on (its epochs and batch size are set for it)."""
    listed = [d for key in dataset_lists(family) for d in params[key]]
    known = params["profiles"][params["profile"]][family]["epochs"]
    return next((d for d in listed if d in known), next(iter(known)))


def embedded_dataset(params: dict, family: str) -> str:
    """The generated dataset of the kind the family's lists hold (video before image)."""
    kinds = [DATASET_LISTS[key] for key in dataset_lists(family)]
    return next(name for kind in kinds for name in EMBEDDED if DATASETS[name].kind == kind)
