"""Shared glue for stage entry points: run from the repo root, clear errors."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import time  # noqa: E402

from pipeline.artifacts import STAGE_SECONDS  # noqa: E402
from pipeline.io import InputError  # noqa: E402


def run(main) -> None:
    """Call main(); show user errors (InputError) as one clear line, not a traceback.
    If main returns its output folder, the stage's wall time is recorded there (the
    report's provenance section lists it)."""
    start = time.perf_counter()
    try:
        out_dir = main()
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    if out_dir is not None:
        (Path(out_dir) / STAGE_SECONDS).write_text(f"{time.perf_counter() - start:.1f}\n")
