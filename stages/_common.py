"""Shared glue for stage entry points: run from the repo root, the CPU numerics set before any
library loads, one clear line for bad input, wall time logged outside the stage's hashed
outputs.

Every stage script imports this module first (tests/test_numerics.py checks), so what it
does on import happens before NumPy, OpenCV or torch is loaded:
  - the CPU numerics of params `runtime.numerics` (pipeline.numerics), with
    `runtime.cpu_threads` compute threads in the stages that train or run a network
    (pipeline.numerics.THREADED_STAGES) and one elsewhere, whatever the shell has set;
  - Python's bytecode cache on, even where the environment turns it off
    (PYTHONDONTWRITEBYTECODE, common in containers): each stage is a new process, and
    without cached bytecode every one recompiles torch's and pandas' sources (measured: 4.0 s
    instead of 1.7 s to import them, about 100 stage processes in the default run).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

STARTED = time.perf_counter()   # a stage's logged wall time includes its imports (seconds of torch and pandas)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.dont_write_bytecode = False

import argparse  # noqa: E402
import gc  # noqa: E402
import platform  # noqa: E402

import yaml  # noqa: E402

from pipeline import numerics  # noqa: E402  (standard library only)

PARAMS_FILE = Path("params.yaml")
numerics_setting = numerics.stage_setting   # what a stage's settings() lists and what is applied below


def _apply_numerics() -> tuple[str, int] | None:
    """Set the numerics when this process runs a stage script (not when a test imports one).
    A params.yaml that cannot be read is left to the stage's own check, which names the problem."""
    script = Path(sys.argv[0])
    if script.suffix != ".py" or script.resolve().parent != Path(__file__).resolve().parent:
        return None
    try:
        setting = numerics_setting(yaml.safe_load(PARAMS_FILE.read_text()), script.stem)
    except (OSError, yaml.YAMLError, TypeError, KeyError):
        return None
    try:
        numerics.apply(*setting)
    except (numerics.UnsupportedCPU, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    return setting


APPLIED = _apply_numerics()

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
    device), the stage's wall time (from this module's import: its imports included) is
    logged for it with the numerics in effect
    (pipeline.artifacts.timing_file; the report's provenance reads it).

    What is alive before and after main() is frozen (gc.freeze: Python's cyclic collector
    never walks it again): the modules live until exit anyway, and with torch, pandas and
    matplotlib loaded the collections at the interpreter's exit cost about 0.4 s per stage
    process (50 in the default run)."""
    gc.freeze()
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
        mode, threads = APPLIED or ("not set", None)
        write_json(log, {"seconds": round(time.perf_counter() - STARTED, 1), "host": platform.node(),
                         "machine": platform.machine(), **facts,
                         "numerics": {"mode": mode, "threads": threads, **numerics.in_effect()}})
    gc.freeze()
