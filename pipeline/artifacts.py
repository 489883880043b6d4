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


def seed_dirs(root) -> list[Path]:
    folders = sorted(Path(root).glob("seed_*"), key=lambda p: int(p.name.split("_")[1]))
    if not folders:
        raise FileNotFoundError(f"{root}: no seed_* folders; re-run the stage that writes it")
    return folders


def timing_file(out_dir) -> Path | None:
    """Where a stage writing `out_dir` (under runs/) logs its wall time; None elsewhere."""
    parts = Path(out_dir).parts
    if len(parts) < 2 or parts[0] != "runs":
        return None
    return TIMINGS.joinpath(*parts[1:]).with_suffix(".json")
