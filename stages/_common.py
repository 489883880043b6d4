"""Shared glue for stage entry points: run from the repo root, one clear line for bad input,
wall time logged outside the stage's hashed outputs."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse  # noqa: E402
import gc  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402

from pipeline.artifacts import timing_file  # noqa: E402
from pipeline.io import InputError, write_json  # noqa: E402


def arguments(argv, *positional: str, family: bool = False, model_list: bool = False,
              options: dict[str, dict] | None = None) -> argparse.Namespace:
    """A stage's command line: its paths in order, for family stages `--family` (the folder
    under pipeline/families) and `--models` (the params.yaml list its block runs), and any
    further `options` (flag -> argparse keywords)."""
    parser = argparse.ArgumentParser()
    for name in positional:
        parser.add_argument(name)
    if family:
        parser.add_argument("--family", required=True)
    if model_list:
        parser.add_argument("--models", required=True, help="the params.yaml model list this stage's block runs")
    for flag, keywords in (options or {}).items():
        parser.add_argument(flag, **keywords)
    return parser.parse_args(argv)


def _say(line: str) -> None:
    """One line on stderr, on a line of its own: progress bars still open are closed first."""
    from tqdm import tqdm

    for bar in list(getattr(tqdm, "_instances", [])):
        bar.close()
    print(line, file=sys.stderr)


def run(main) -> None:
    """Call main(); show user errors (InputError) as one clear line, not a traceback. If
    main returns its output folder (and, optionally, facts about the run such as the
    device), the stage's wall time is logged for it (pipeline.artifacts.timing_file; the
    report's provenance reads it).

    What is alive before and after main() is frozen (gc.freeze: Python's cyclic collector
    never walks it again): the modules live until exit anyway, and with torch, pandas and
    matplotlib loaded the collections at the interpreter's exit cost about 0.4 s per stage
    process (50 in the default run)."""
    gc.freeze()
    start = time.perf_counter()
    try:
        result = main()
    except InputError as err:
        _say(f"error: {err}")
        sys.exit(2)
    except KeyboardInterrupt:
        _say("interrupted: run `dvc repro` again to continue (a prepare stage resumes from the videos it finished)")
        sys.exit(130)
    out_dir, facts = result if isinstance(result, tuple) else (result, {})
    log = timing_file(out_dir) if out_dir is not None else None
    if log is not None:
        write_json(log, {"seconds": round(time.perf_counter() - start, 1), "host": platform.node(),
                         "machine": platform.machine(), **facts})
    gc.freeze()
