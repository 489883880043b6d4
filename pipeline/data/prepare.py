"""One dataset -> the prepared format (pipeline.data.index), as its row in the dataset table
(pipeline.data.datasets) says: a generated set is written from its params section
(`prepare.<name>`), a benchmark read from its raw copy in one of its layouts."""
from __future__ import annotations

from pathlib import Path

from pipeline.data.datasets import DATASETS
from pipeline.io import InputError


def synthetic_records(section: dict) -> list:
    from pipeline.data.synthetic import SyntheticConfig, generate

    return generate(SyntheticConfig(**section))


def digits_records(section: dict) -> list:
    from pipeline.data.digits import DigitsConfig, oneclass_records

    return oneclass_records(DigitsConfig(**section))


def _mvtec(name: str, section: dict, raw_dir: Path, out_dir: Path) -> None:
    from pipeline.data.mvtec import prepare_mvtec
    from pipeline.params.schema import Prepare

    opts = Prepare(**section)   # the schema's defaults for keys left out
    prepare_mvtec(raw_dir, out_dir, opts.size, opts.format, name)


def _videos(name: str, section: dict, raw_dir: Path, out_dir: Path) -> None:
    from pipeline.data.real import prepare_real
    from pipeline.params.schema import Prepare

    opts = Prepare(**section)
    prepare_real(name, raw_dir, out_dir, opts.size, opts.workers, opts.format, opts.jpeg_round_trip)


# Layouts: generated ones make their records from the params section; the others read
# data/raw/<name>/ (the video layouts choose among themselves: pipeline.data.real.dataset_jobs).
GENERATED = {"synthetic": synthetic_records, "sklearn_digits": digits_records}
READ = {"mvtec": _mvtec, "shanghaitech": _videos, "mnad": _videos, "ucsd": _videos}
LAYOUTS = (*GENERATED, *READ)


def known(name: str):
    if name not in DATASETS:
        raise InputError(f"unknown dataset '{name}'; known: {', '.join(DATASETS)} (pipeline/data/datasets.py)")
    return DATASETS[name]


def generated_records(name: str, section: dict) -> list:
    """The records of a generated dataset (nothing written)."""
    return GENERATED[known(name).layouts[0]](section)


def prepare(name: str, section: dict, raw_dir: Path, out_dir: Path) -> None:
    from pipeline.data.index import write_dataset

    layout = known(name).layouts[0]
    if layout in GENERATED:
        write_dataset(out_dir, name, GENERATED[layout](section))
    else:
        READ[layout](name, section, Path(raw_dir), Path(out_dir))
