"""import_released@<key> (and _plain, _clip): an official checkpoint from
data/raw/checkpoints/<family>/<dataset>/<model>/ mapped onto our network and saved where a
training run's final checkpoint goes, so the infer, score and figures stages treat it as
any trained model (README: Released weights). Reads no official code and runs nothing the
pickle names (pipeline.engine.released).

usage: python stages/import_released.py <dataset> <model> <checkpoint_dir> <out_dir>
       --family <family> --models <model list> --entry <key under released.<model list>>
params: released.<model list>.<key>, models.<model>.{family,train}, profiles.paper.<family>.model, runtime.numerics
"""
import argparse
from pathlib import Path

from _common import arguments, numerics_setting, run

from pipeline import families
from pipeline.io import InputError
from pipeline.params import load_params


def parse(argv=None) -> argparse.Namespace:
    return arguments(argv, "dataset", "model", "checkpoint_dir", "out_dir", family=True, model_list=True,
                     options={"--entry": {"required": True, "help": "the entry's key under released.<model list>"}})


def settings(params: dict, args: argparse.Namespace):
    """The network the checkpoint must fill: the variant's architecture at the official size."""
    from pipeline.engine.released import official_size

    families.check_listing(params, args.model, args.family, args.models)
    numerics_setting(params, Path(__file__).stem)
    if args.family not in families.RELEASED:
        raise InputError(f"params.yaml released.{args.models}.{args.entry}: the {args.family} family has no official "
                         f"checkpoints to import (families with them: {', '.join(families.RELEASED)})")
    entry = params["released"][args.models][args.entry]
    size = official_size(params, args.family, entry)
    return families.load(args.family, "config").model_config(params, args.model, size)


def main():
    from pipeline.engine.released import import_released

    args = parse()
    config = settings(load_params(), args)
    model = families.load(args.family, "model").build(config.to_dict())
    imported = import_released(args.family, model, families.load(args.family, "released").import_checkpoint,
                               args.checkpoint_dir, args.out_dir)
    print(f"imported {', '.join(imported.facts['files'])} ({imported.facts['format']}) as {args.dataset}/{args.model}")
    return args.out_dir


if __name__ == "__main__":
    run(main)
