"""A throughput table measured here: each family's network at the current profile, a few
timed training steps (its own recipe's step: losses, optimiser, memory update) and test
forward passes on random inputs of the right shape, on this machine's device. Written as
JSON for `memaudit plan --throughput` / `memaudit repro --throughput`."""
from __future__ import annotations

import json
import platform
import time
from datetime import date
from pathlib import Path

import torch

MODELS = {"mnad/prediction": ("mnad", "pred_mem"), "mnad/reconstruction": ("mnad", "recon_mem"),
          "clip_ae": ("clip_ae", "memae"), "daad": ("daad", "daad_adv"), "image_ae": ("image_ae", "memae_img")}
STEPS = 3   # timed steps per family, after one untimed


def _batch(family: str, recipe, size: int, batch: int):
    if family == "clip_ae":
        x = torch.rand(batch, 1, 16, size, size) * 2 - 1
        return x, x, torch.zeros(batch, dtype=torch.bool)
    span = recipe.model_config.input_frames + (recipe.model_config.task == "prediction") if family == "mnad" else 1
    return torch.randint(0, 255, (batch, span, size, size, 3), dtype=torch.uint8)


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


def calibrate(params: dict, out: Path, steps: int = STEPS) -> str:
    from pipeline import families
    from pipeline.engine import distributed
    from pipeline.engine.loop import StepContext
    from pipeline.engine.runtime import configure, pick_device

    device = pick_device(params["runtime"]["device"])
    configure(device, params["runtime"]["cpu_threads"])
    rates = {}
    for key, (family, model) in MODELS.items():
        recipe, loop = families.load(family, "train").recipe(params, dataset_for(params, family), model, 0)
        net = recipe.build().to(device)
        ctx = StepContext(device, distributed.setup(device), loop)
        recipe.start(net, ctx)
        size, batch = recipe.model_config.image_size, loop.batch_size
        data = _batch(family, recipe, size, batch)
        train = _timed(lambda: recipe.step(data, ctx), steps, device)
        net.eval()
        with torch.no_grad():
            inputs = _inputs(family, recipe, data, device)
            test = _timed(lambda: _forward(family, recipe, inputs), steps, device)
        rates[key] = (batch / train, batch / test)
        print(f"{key}: {batch / train:,.2f} training samples/s, {batch / test:,.2f} test frames/s")
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"{platform.machine()} CPU"
    source = (f"calibrated {date.today()} on {name} ({params['runtime']['cpu_threads']} CPU threads), profile "
              f"{params['profile']}, {steps} timed steps per family")
    Path(out).write_text(json.dumps({"source": source, "rates": rates}, indent=1))
    return str(out)


def dataset_for(params: dict, family: str) -> str:
    """A dataset this configuration runs the family on (its epochs and batch size are set for it)."""
    listed = params["oneclass_datasets"] if family == "image_ae" else params["datasets"] + params["image_datasets"]
    known = params["profiles"][params["profile"]][family]["epochs"]
    return next((d for d in listed if d in known), next(iter(known)))


def _inputs(family: str, recipe, data, device) -> torch.Tensor:
    """The network's test-time input for a batch (one clip or frame per scored frame)."""
    from pipeline.data.clips import split_input_target

    if family == "clip_ae":
        return data[0].to(device)
    if family == "image_ae":
        from pipeline.families.image_ae.train import to_gray_batch

        return to_gray_batch(data, device)
    task = recipe.model_config.task if family == "mnad" else "reconstruction"
    return split_input_target(data, task, device)[0]


def _forward(family: str, recipe, x: torch.Tensor):
    """One test pass of a batch, as the family's scorer runs it (DAAD: generator, then the
    discriminator on input and output)."""
    if family == "mnad":
        return recipe.model(x, recipe.items())
    if family == "daad":
        output, _ = recipe.model.generator(x)
        return recipe.model.discriminator(x), recipe.model.discriminator(output)
    return recipe.model(x)
