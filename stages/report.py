"""report: reports/index.html plus AUC tables (CSV, Markdown) and a summary for DVC.

usage: python stages/report.py <score_root> <figure_root> <toy_root> <out_dir>
params: report, and for the provenance table datasets, profile, lambda, supervision, seeds and
        the model lists
"""
import argparse
from pathlib import Path

from _common import run

from pipeline.claims import ClaimSettings
from pipeline.params import load_params
from pipeline.report import build_report


def main() -> None:
    parser = argparse.ArgumentParser()
    for name in ("score_root", "figure_root", "toy_root", "out_dir"):
        parser.add_argument(name)
    args = parser.parse_args()
    params = load_params()
    build_report(Path(args.score_root), Path(args.figure_root), Path(args.out_dir), ClaimSettings(**params["report"]),
                 params, toy_root=Path(args.toy_root))
    print(f"wrote {Path(args.out_dir) / 'index.html'}")


if __name__ == "__main__":
    run(main)
