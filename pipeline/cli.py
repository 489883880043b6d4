"""`memaudit`: the audit DAG run on Dask workers (`repro`) and its cost plan (`plan`).

    memaudit repro                      # CPU workers: the cores / runtime.cpu_threads (one per core by default)
    memaudit repro --workers 2          # two CPU workers
    memaudit repro --gpus all           # one worker per GPU (--per-gpu 2: two stages on each)
    memaudit repro --cluster slurm.yaml # a dask-jobqueue cluster (pipeline/fanout/cluster.py)
    memaudit repro --scheduler tcp://head:8786   # workers you started (`dask worker tcp://head:8786`)
    memaudit plan --workers 8           # what would run, its work, estimated times, makespan (measured here)
    memaudit plan --all --throughput official   # the whole DAG at the official code's published GPU speed

Run from the repository root. DVC stays the source of truth: the same stages as `dvc repro`,
only those DVC finds changed, each recorded in its dvc.lock as `dvc repro` records it.
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from pipeline.io import InputError


def _where(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workers", type=int, help="CPU workers on this machine (default: the cores / runtime.cpu_threads)")
    parser.add_argument("--gpus", help="one worker per GPU: 'all' the shell exposes (CUDA_VISIBLE_DEVICES), or "
                                       "positions among them such as 0,1")
    parser.add_argument("--per-gpu", type=int, default=1, help="workers sharing each GPU")
    parser.add_argument("--scheduler", help="address of a running Dask scheduler")
    parser.add_argument("--cluster", help="a dask-jobqueue cluster file (YAML: kind, jobs, options)")


def repro(args: argparse.Namespace) -> int:
    from pipeline.fanout.cluster import client_for
    from pipeline.fanout.plan import load_throughput, stage_cost
    from pipeline.fanout.schedule import reproduce
    from pipeline.params import load_params

    root = Path.cwd()
    params = load_params()
    table, _ = load_throughput(args.throughput) if args.throughput else ({}, "")

    def estimate(stage) -> float:
        cost = stage_cost(stage.addressing.rsplit(":", 1)[-1], params, table, root).seconds if table else 1.0
        return cost if math.isfinite(cost) else 1.0
    with client_for(args.workers, args.gpus, args.per_gpu, args.scheduler, args.cluster, args.verbose,
                    params["runtime"]["cpu_threads"]) as client:
        workers = len(client.scheduler_info()["workers"])
        print(f"memaudit repro: {workers} workers")
        run = reproduce(root, client, estimate)
    counts = {}
    for outcome in run.outcomes.values():
        counts[outcome.state] = counts.get(outcome.state, 0) + 1
    print(f"{', '.join(f'{n} {state}' for state, n in sorted(counts.items()))} in {run.seconds:.0f} s "
          f"(record: runs/logs/fanout.json)")
    for outcome in run.outcomes.values():
        if outcome.state == "blocked" and outcome.reason != "not started":
            print(f"skipped {outcome.stage}: {outcome.reason}")
    if run.interrupted:
        print("interrupted: nothing half-recorded; run `memaudit repro` (or `dvc repro`) again to finish")
        return 130
    return 0 if run.ok else 1


def plan(args: argparse.Namespace) -> int:
    from pipeline.fanout.dag import Dag
    from pipeline.fanout.plan import load_throughput, makespan, stage_cost
    from pipeline.params import load_params

    root = Path.cwd()
    params = load_params()
    if args.throughput is None:   # the device the params select, measured here (cached)
        from pipeline.fanout.calibrate import calibrate
        from pipeline.fanout.plan import calibration_file

        cached = calibration_file(params, root)
        if args.calibrate or not cached.exists():
            print(f"calibrating on this machine's {params['runtime']['device']} device (cached in {cached}) ...")
            calibrate(params, cached, root)
        args.throughput = cached
    table, source = load_throughput(args.throughput)
    dag = Dag(root)
    try:
        with dag.locked():
            stages = [s for s in dag.steps if args.all or _changed(dag, s)]
        names = {s: dag.name(s) for s in dag.steps}
        upstream = {names[s]: [names[u] for u in dag.upstream[s] if u in stages] for s in stages}
    finally:
        dag.close()
    costs = [stage_cost(names[s], params, table, root) for s in stages]
    print(f"profile {params['profile']}, datasets {params['datasets'] + params['image_datasets']}, seeds "
          f"{params['seeds']}; throughput: {source}\n")
    if args.summary:
        _summary(costs)
    else:
        print("| stage | work | estimated |\n| --- | --- | ---: |")
        for c in costs:
            print(f"| {c.stage} | {c.work} | {_hours(c.seconds)} |")
    seconds = {c.stage: c.seconds if math.isfinite(c.seconds) else 0.0 for c in costs}
    total = sum(seconds.values())
    print(f"\n{len(costs)} stages, {_hours(total)} of work in all")
    for workers in sorted({1, *args.workers_list}):
        print(f"makespan on {workers} worker{'s' if workers > 1 else ''}: {_hours(makespan(seconds, upstream, workers))}")
    missing = sorted({c.stage for c in costs if not math.isfinite(c.seconds)})
    if missing:
        print(f"not estimated (no size or no throughput, counted as 0): {', '.join(missing)}")
    return 0


def _summary(costs) -> None:
    """One row per dataset and family: stages, the longest stage, the estimated total."""
    from pipeline.fanout.plan import stage_kind

    groups: dict[tuple[str, str], list] = {}
    for c in costs:
        _, dataset, _ = stage_kind(c.stage)
        groups.setdefault((dataset or "-", c.family or "(data, scores, report)"), []).append(c)
    print("| dataset | family | stages | longest stage | estimated |\n| --- | --- | ---: | --- | ---: |")
    for (dataset, family), group in groups.items():
        longest = max(group, key=lambda c: c.seconds if math.isfinite(c.seconds) else 0)
        total = sum(c.seconds for c in group if math.isfinite(c.seconds))
        print(f"| {dataset} | {family} | {len(group)} | {longest.stage} ({_hours(longest.seconds)}) | {_hours(total)} |")


def _changed(dag, stage) -> bool:
    try:
        return dag.changed(stage)
    except Exception:  # noqa: BLE001  (a dependency not there yet: it would run)
        return True


def _hours(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "n/a"
    return f"{seconds / 3600:,.1f} h" if seconds >= 3600 else f"{seconds / 60:,.1f} min"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="memaudit", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("repro", help="run the DAG on Dask workers")
    _where(run)
    run.add_argument("--throughput", help="a throughput table (JSON) to order stages by estimated time")
    run.add_argument("--verbose", action="store_true", help="Dask's own INFO logs too (default: warnings only)")
    cost = commands.add_parser("plan", help="what would run, its work, estimated time and makespan")
    cost.add_argument("--workers", dest="workers_list", type=int, nargs="*", default=[8], help="makespans to show")
    cost.add_argument("--throughput", help="'official' (the official code's published GPU figures) or a table (JSON); "
                                           "default: this machine's device as runtime.device selects it, measured once "
                                           "and cached under runs/plan/")
    cost.add_argument("--calibrate", action="store_true", help="measure this machine again (ignores the cached table)")
    cost.add_argument("--all", action="store_true", help="every stage, not only those DVC finds changed")
    cost.add_argument("--summary", action="store_true", help="one row per dataset and family instead of per stage")
    args = parser.parse_args(argv)
    try:
        return repro(args) if args.command == "repro" else plan(args)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
