"""What DVC's bookkeeping costs per stage as a dvc.lock grows: after every stage it runs, DVC
re-parses the stage's whole dvc.lock with ruamel.yaml's round-trip loader (to keep comments)
and dumps it again. This times that parse + dump, with DVC's own functions, for locks holding
the first N entries of this repository's locks (dvc.lock and dag/*/dvc.lock), and DVC's plain
load of params.yaml (once or more per stage). Why the DAG is split into several pipeline files.

usage: python benchmarks/lock_rewrite.py [--repeats 3]
"""
from __future__ import annotations

import argparse
import io
import platform
import time
from datetime import date
from pathlib import Path

import yaml
from dvc.utils.serialize._yaml import _dump, parse_yaml, parse_yaml_for_update

ROOT = Path(__file__).resolve().parents[1]


def lock_entries() -> dict:
    entries = {}
    for lock in [ROOT / "dvc.lock", *sorted(ROOT.glob("dag/*/dvc.lock"))]:
        entries.update(yaml.safe_load(lock.read_text())["stages"])
    return entries


def rewrite_seconds(entries: dict, repeats: int) -> tuple[float, int]:
    """Mean seconds of one DVC lock update (parse for update, set one entry, dump), and lines."""
    buffer = io.StringIO()
    _dump({"schema": "2.0", "stages": entries}, buffer)
    text = buffer.getvalue()
    name, entry = next(iter(entries.items()))
    start = time.perf_counter()
    for _ in range(repeats):
        data = parse_yaml_for_update(text, "dvc.lock")
        data["stages"][name] = entry
        _dump(data, io.StringIO())
    return (time.perf_counter() - start) / repeats, text.count("\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    entries = lock_entries()
    if not entries:
        raise SystemExit("no lock entries: run `dvc repro` first")
    names = list(entries)
    print(f"{date.today()}, {platform.machine()}, Python {platform.python_version()}, one process\n")
    print("| lock entries | lines | parse + dump per stage (s) |")
    print("| ---: | ---: | ---: |")
    for n in sorted({1, 4, 16, len(names) // 2, len(names)} - {0}):
        seconds, lines = rewrite_seconds({k: entries[k] for k in names[:n]}, args.repeats)
        print(f"| {n} | {lines:,} | {seconds:.3f} |")
    params = (ROOT / "params.yaml").read_text()
    start = time.perf_counter()
    for _ in range(args.repeats):
        parse_yaml(params, "params.yaml")
    try:
        import _ruamel_yaml  # noqa: F401  (ruamel.yaml.clib: the C loader)
        loader = "C loader"
    except ImportError:
        loader = "pure-Python loader"
    print(f"\nparams.yaml load ({loader}): {(time.perf_counter() - start) / args.repeats:.3f} s")


if __name__ == "__main__":
    main()
