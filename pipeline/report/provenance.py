"""What the report says about how its numbers were made: git revision, library versions, the
run's settings, content hashes of the prepared data (dvc.lock), and the wall time of every
stage. Wall times and hosts change from run to run, so they never enter a hashed output:
stages log them under runs/timings/ (pipeline.artifacts.timing_file) and the report hands
them to the page in a side file, reports/timings.js, that DVC does not track."""
from __future__ import annotations

import json
import platform
import subprocess
from importlib import metadata
from pathlib import Path

import pandas as pd
import yaml

from pipeline.artifacts import TIMINGS
from pipeline.data.datasets import DATASET_LISTS
from pipeline.families.lists import MODEL_LISTS
from pipeline.io import atomic_path, read_json

TIMINGS_SCRIPT = "timings.js"
# The params shown in the provenance table (dotted: a key inside a section); the report stage
# lists each of them in dvc.yaml. runtime.num_workers is not one: it never changes a result.
SETTINGS = (*DATASET_LISTS, "prepare", "profile", "lambda", "supervision", "seeds", "runtime.device",
            "runtime.cpu_threads", "runtime.numerics", *(row.name for row in MODEL_LISTS))


def git_revision() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True,
                               check=False).stdout.strip()
        return (out.stdout.strip() or "unknown") + (" (with uncommitted changes)" if dirty else "")
    except OSError:
        return "unknown"


def prepared_hashes(lock_file: Path = Path("dvc.lock")) -> pd.DataFrame:
    """Content hashes of the prepared datasets, from dvc.lock (written by the time this runs)."""
    if not lock_file.exists():
        return pd.DataFrame()
    stages = yaml.safe_load(lock_file.read_text()).get("stages", {})
    return pd.DataFrame([{"stage": name, "output": out["path"], "md5": out.get("md5", "")}
                         for name, stage in stages.items() if name.startswith("prepare") for out in stage.get("outs", [])])


def facts(settings: dict) -> dict:
    """Facts that are the same for every run of one commit on one machine."""
    values = {"git revision": git_revision(),
              "python / torch": f"{platform.python_version()} / {metadata.version('torch')}",
              "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}"}
    values.update({f"param {k}": v for k, v in settings.items()})
    return values


def wall_times(root: Path = TIMINGS) -> pd.DataFrame:
    """One row per stage that logged a wall time: stage kind, dataset, model, seconds, device."""
    rows = []
    for path in sorted(Path(root).glob("*/*/**/*.json")):
        stage, dataset, *model = path.relative_to(root).with_suffix("").parts  # model: <m> or released/<m>
        log = read_json(path)
        rows.append({"stage": stage, "dataset": dataset, "model": "/".join(model), "seconds": log.get("seconds"),
                     "frames": log.get("frames"), "device": log.get("device", ""), "host": log.get("host", "")})
    return pd.DataFrame(rows, columns=["stage", "dataset", "model", "seconds", "frames", "device", "host"])


def write_timings_script(path: Path, times: pd.DataFrame) -> None:
    """reports/timings.js: the wall times as a JavaScript value the page renders on load."""
    with atomic_path(path) as tmp:
        tmp.write_text(f"window.memauditTimings = {json.dumps(times.to_dict('records'))};\n")
