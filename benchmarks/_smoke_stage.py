"""Run a stage script with the benchmarks' smoke limits: at most --steps training steps per
epoch (pipeline.engine.loop.MAX_STEPS) and the first --frames frames of each test video
(pipeline.engine.testing.MAX_FRAMES_PER_VIDEO). Everything else is the stage as DVC runs it.

    python benchmarks/_smoke_stage.py --steps 3 --frames 24 stages/train.py <the stage's arguments>
"""
import argparse
import runpy
import sys
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, required=True)
parser.add_argument("--frames", type=int, required=True)
parser.add_argument("script")
args, rest = parser.parse_known_args()
# the pipeline of the repository the stage script belongs to (a benchmark's workspace), not this file's
sys.path.insert(0, str(Path(args.script).resolve().parents[1]))

from pipeline.engine import loop, testing  # noqa: E402

loop.MAX_STEPS, testing.MAX_FRAMES_PER_VIDEO = args.steps, args.frames
sys.argv = [args.script, *rest]
sys.path.insert(0, str(Path(args.script).resolve().parent))
runpy.run_path(args.script, run_name="__main__")
