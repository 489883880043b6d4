"""File names that one stage writes and a later stage reads."""
from pathlib import Path

FRAMES = "frames.csv"              # infer: one row per scored frame
MEMORY_SUMMARY = "memory.npz"      # infer: items, usage counts, sampled queries
CHECKPOINT_EPOCH = "checkpoint_epoch.txt"
EXAMPLES = "examples.npz"          # infer: worst abnormal frames and their predictions
STAGE_SECONDS = "stage_seconds.txt"  # wall time of the stage that wrote the folder


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
