"""How close is `memaudit plan` to what the stages took? In a workspace where `dvc repro` has
run, each stage's estimate (the plan's, from this machine's calibration: measured now, or
the cached one) beside its measured wall time (runs/timings, imports included), grouped as
`memaudit plan --summary` groups them, with the total.

    python benchmarks/plan_accuracy.py /path/to/workspace            # calibrates if nothing is cached
    python benchmarks/plan_accuracy.py /path/to/workspace --calibrate
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.artifacts import TIMINGS  # noqa: E402


def measured(root: Path, stage: str) -> float | None:
    """The wall time a stage logged (train_memory@synthetic-pred_mem-0 -> train/synthetic/pred_mem/seed_0.json)."""
    from pipeline.fanout.plan import stage_kind

    kind, dataset, model = stage_kind(stage)
    seed = stage.rsplit("-", 1)[1] if kind in ("train", "infer") and stage.count("-") >= 2 else None
    if kind in ("train", "infer", "score") and model:
        folder = {"score": "score"}.get(kind, kind)
        path = root / TIMINGS / folder / dataset / (f"{model}/seed_{seed}.json" if seed is not None else f"{model}.json")
    elif kind == "prepare":
        path = root / TIMINGS / "prepare" / f"{dataset}.json"
    elif kind == "report":
        path = root / TIMINGS / "report.json"
    else:
        path = root / TIMINGS / "toy" / "daad.json"
    if not path.exists():
        return None
    import json

    return float(json.loads(path.read_text())["seconds"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workspace")
    parser.add_argument("--calibrate", action="store_true")
    args = parser.parse_args()
    root = Path(args.workspace).resolve()
    os.chdir(root)
    from pipeline.fanout.calibrate import calibrate
    from pipeline.fanout.dag import Dag
    from pipeline.fanout.plan import calibration_file, load_throughput, stage_cost, stage_kind
    from pipeline.params import load_params

    params = load_params()
    cached = calibration_file(params, root)
    if args.calibrate or not cached.exists():
        calibrate(params, cached, root)
    table, source = load_throughput(cached)
    dag = Dag(root)
    try:
        names = [dag.name(s) for s in dag.steps]
    finally:
        dag.close()
    groups: dict[tuple[str, str], list[float]] = {}
    for name in names:
        cost = stage_cost(name, params, table, root)
        took = measured(root, name)
        if took is None:
            continue
        _, dataset, _ = stage_kind(name)
        key = (dataset or "-", cost.family or "(data, scores, report)")
        est, real = groups.get(key, [0.0, 0.0])
        groups[key] = [est + cost.seconds, real + took]
    print(f"throughput: {source}\n")
    print("| dataset | family | estimated | measured | estimated / measured |\n| --- | --- | ---: | ---: | ---: |")
    for (dataset, family), (est, real) in groups.items():
        print(f"| {dataset} | {family} | {est:.0f} s | {real:.0f} s | {est / real:.2f} |")
    est, real = (sum(v[i] for v in groups.values()) for i in (0, 1))
    print(f"| all | | {est:.0f} s | {real:.0f} s | {est / real:.2f} |")


if __name__ == "__main__":
    main()
