"""Shared glue for stage entry points: run from the repo root, clear errors."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.io import InputError  # noqa: E402


def run(main) -> None:
    """Call main(); show user errors (InputError) as one clear line, not a traceback."""
    try:
        main()
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
