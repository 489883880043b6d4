"""report: reports/index.html plus AUC tables (CSV, Markdown) and a summary for DVC.

usage: python stages/report.py <score_root> <figure_root> <toy_root> <out_dir>
params: report (verdict rules), evaluation.level, and for the provenance table the run's settings
        (pipeline.report.provenance.SETTINGS)
"""
import argparse
from pathlib import Path

from _common import arguments, numerics_setting, run

from pipeline.params import load_params, pick
from pipeline.report.build import build_report
from pipeline.report.collect import current_runs
from pipeline.report.verdicts import ClaimSettings
from pipeline.report.provenance import SETTINGS


def parse(argv=None) -> argparse.Namespace:
    return arguments(argv, "score_root", "figure_root", "toy_root", "out_dir")


def settings(params: dict, args: argparse.Namespace):
    """(verdict rules, the run's settings as the provenance table prints them, the runs of
    this configuration: what the model lists and `released` name)."""
    numerics_setting(params, Path(__file__).stem)
    rules = pick(ClaimSettings, {**params["report"], "level": params["evaluation"]["level"]}, "report")
    return rules, {key: str(_lookup(params, key)) for key in SETTINGS}, current_runs(params)


def _lookup(params: dict, dotted: str):
    value = params
    for part in dotted.split("."):
        value = value[part]
    return value


def main():
    args = parse()
    claim_settings, shown, runs = settings(load_params(), args)
    build_report(Path(args.score_root), Path(args.figure_root), Path(args.out_dir), claim_settings, shown,
                 toy_root=Path(args.toy_root), runs=runs)
    print(f"wrote {Path(args.out_dir) / 'index.html'}")
    return args.out_dir


if __name__ == "__main__":
    run(main)
