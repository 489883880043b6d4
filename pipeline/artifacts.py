"""File names that one stage writes and a later stage reads."""

FRAMES = "frames.csv"              # infer: one row per scored frame
MEMORY_SUMMARY = "memory.npz"      # infer: items, usage counts, sampled queries
CHECKPOINT_EPOCH = "checkpoint_epoch.txt"


def alternate_update_file(test_time_update: bool) -> str:
    """The test-time-update ablation (MNAD Table 2, report Tables 6-7) costs only a second
    inference pass, so memory models always get it: the configured run in FRAMES, the run
    with the update switched the other way in this file."""
    return "frames_without_update.csv" if test_time_update else "frames_with_update.csv"
