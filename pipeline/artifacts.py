"""File names that one stage writes and a later stage reads."""
from pathlib import Path

FRAMES = "frames.csv"              # infer: one row per scored frame
MEMORY_SUMMARY = "memory.npz"      # infer: items, usage counts, sampled queries
INFERENCE = "inference.json"       # infer: checkpoint epoch, task, which frames are scored, per-category models
EXAMPLES = "examples.npz"          # infer: worst abnormal frames and their predictions
RELEASED = "released.json"         # import_released: the files imported (SHA-256), format, official classes
RELEASED_SEED = 0                  # an imported checkpoint is one run: it sits in this seed's folder
NORMAL = "normal"                  # the anomaly_type of normal frames in index.csv and frames.csv
# Wall times and host facts vary from run to run, so they stay out of every hashed output
# (an output's bytes depend only on its inputs, code and params): each stage writing under
# runs/ logs them to runs/timings/<the output's path below runs>.json, which no stage
# declares and DVC never hashes.
TIMINGS = Path("runs") / "timings"


def alternate_update_file(test_time_update: bool) -> str:
    """The test-time-update ablation (MNAD Table 2, report Tables 6-7) costs only a second
    inference pass, so memory models always get it: the configured run in FRAMES, the run
    with the update switched the other way in this file."""
    return "frames_without_update.csv" if test_time_update else "frames_with_update.csv"


def seed_dir(root, seed: int) -> Path:
    """Each training seed has its own folder under a train or infer output."""
    return Path(root) / f"seed_{seed}"


def seed_of(folder) -> int:
    """runs/<kind>/<dataset>/<model>/seed_3 -> 3."""
    return int(Path(folder).name.removeprefix("seed_"))


def seed_dirs(root, seeds: list[int]) -> list[Path]:
    """The folders of `seeds` under a model's train or infer root, in the order given. A
    folder left by a seed no longer in the params is never read."""
    from pipeline.io import InputError

    folders = [seed_dir(root, seed) for seed in seeds]
    missing = [str(f) for f in folders if not f.is_dir()]
    if missing:
        raise InputError(f"{', '.join(missing)} not found: run `dvc repro` (each seed's train and infer stage writes "
                         "its folder)")
    return folders


def timing_file(out_dir) -> Path | None:
    """Where a stage writing `out_dir` logs its wall time: runs/<kind>/... -> runs/timings/<kind>/...json,
    a prepared dataset -> runs/timings/prepare/<dataset>.json, the report -> runs/timings/report.json;
    None elsewhere."""
    parts = Path(out_dir).parts
    if len(parts) >= 2 and parts[0] == "runs":
        return TIMINGS.joinpath(*parts[1:]).with_suffix(".json")
    if len(parts) == 3 and parts[:2] == ("data", "prepared"):
        return TIMINGS / "prepare" / f"{parts[2]}.json"
    if parts == ("reports",):
        return TIMINGS / "report.json"
    return None
