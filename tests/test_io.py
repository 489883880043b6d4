"""Outputs whose bytes depend only on their content: .npz archives, and wall times routed
outside the hashed outputs; and the stage glue's handling of Python's garbage collector."""
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from pipeline.artifacts import timing_file
from pipeline.io import write_npz

ROOT = Path(__file__).resolve().parents[1]


def test_npz_bytes_do_not_depend_on_the_clock(tmp_path, monkeypatch):
    """numpy writes each member with zipfile's fixed default date, whatever the time."""
    arrays = {"usage": np.arange(5), "video": np.array(["a", "bb"])}
    clock = iter([time.struct_time((2020, 1, 2, 3, 4, 6, 0, 1, 0)), time.struct_time((2024, 5, 6, 7, 8, 10, 0, 1, 0))])
    monkeypatch.setattr(time, "localtime", lambda *a: next(clock))
    write_npz(tmp_path / "a.npz", **arrays)
    write_npz(tmp_path / "b.npz", **arrays)
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    loaded = np.load(tmp_path / "a.npz")
    assert loaded["usage"].tolist() == [0, 1, 2, 3, 4] and loaded["video"].tolist() == ["a", "bb"]


def test_wall_times_go_outside_the_stage_outputs():
    assert timing_file(Path("runs/train/synthetic/pred/seed_1")) == Path("runs/timings/train/synthetic/pred/seed_1.json")
    assert timing_file(Path("runs/toy/daad")) == Path("runs/timings/toy/daad.json")
    assert timing_file(Path("data/prepared/synthetic")) == Path("runs/timings/prepare/synthetic.json")
    assert timing_file(Path("reports")) == Path("runs/timings/report.json")
    assert timing_file(Path("elsewhere/out")) is None


def test_a_stage_collects_garbage_while_main_runs():
    """stages/_common.run freezes what is alive around main() (a faster exit); main itself
    runs with the collector on, so a long training frees reference cycles as usual, and
    importing the stage glue changes nothing for the importer (the deps test imports stages)."""
    script = ("import gc, sys; sys.path.insert(0, 'stages'); import _common\n"
              "assert gc.isenabled() and gc.get_freeze_count() == 0\n"
              "def main():\n"
              "    assert gc.isenabled() and gc.get_freeze_count() > 0\n"
              "    class Node: pass\n"
              "    node = Node(); node.me = node; del node\n"
              "    print('collected', gc.collect())\n"
              "_common.run(main)\n"
              "assert gc.isenabled()\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.split()[-1]) >= 1  # the cycle made inside main was found and freed
