"""Bad or unusual input: no stale prepared data, no silently dropped file, no valid file
rejected, and one clear line instead of a traceback (issue: integrity, items 1-3 and 5-8;
item 4, vacuous verdicts, is in test_claims.py)."""
import copy
import os
import signal
import subprocess
import sys
import time

import cv2
import numpy as np
import pytest
import yaml

from conftest import ROOT
from fixtures import layouts
from pipeline.data import readers
from pipeline.data.index import PreparedDataset
from pipeline.data.real import prepare_real
from pipeline.io import InputError
from pipeline.params.schema import check

PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text())


def _prepare(tmp_path, size=32):
    prepare_real("shanghaitech", tmp_path / "raw", tmp_path / "out", size=size, workers=1)
    return PreparedDataset(tmp_path / "out")


# 1. reuse is keyed on everything that determines the array ------------------------------------
def test_a_changed_size_re_extracts_every_video(tmp_path, capsys):
    layouts.shanghaitech(tmp_path / "raw")
    assert _prepare(tmp_path, 32).frames("train", "01_001").shape[1:3] == (32, 32)
    capsys.readouterr()
    again = _prepare(tmp_path, 16)
    assert "resuming" not in capsys.readouterr().out
    for split in ("train", "test"):
        for video in again.videos(split):
            assert again.frames(split, video).shape[1:3] == (16, 16)
    assert again.manifest["prepared_with"]["size"] == 16


def test_changed_reading_code_or_labels_re_extract(tmp_path, capsys, monkeypatch):
    layouts.shanghaitech(tmp_path / "raw")
    _prepare(tmp_path)
    capsys.readouterr()
    _prepare(tmp_path)
    assert "resuming, 4 of 4 videos" in capsys.readouterr().out  # nothing changed: all reused
    monkeypatch.setattr("pipeline.data.real.reader_version", lambda: "another reader")
    _prepare(tmp_path)
    assert "resuming" not in capsys.readouterr().out
    monkeypatch.undo()
    _prepare(tmp_path)
    capsys.readouterr()
    mask = tmp_path / "raw" / "testing" / "test_frame_mask" / "01_0001.npy"
    time.sleep(0.01)
    np.save(mask, np.ones(11, np.int64))  # new labels for one test video
    data = _prepare(tmp_path)
    assert "resuming, 3 of 4 videos" in capsys.readouterr().out
    assert data.frame_table("test", "01_0001").label.tolist() == [1] * 11


# 2. every video container, any case; a stray file is an error -----------------------------------
def test_mp4_and_upper_case_avi_are_used_and_counted(tmp_path, capsys):
    layouts.shanghaitech(tmp_path / "raw", train_lengths=(12,))
    videos = tmp_path / "raw" / "training" / "videos"
    layouts.write_avi(videos / "01_002.AVI", layouts.numbered_frames(10))
    layouts.write_video(videos / "01_003.mp4", layouts.numbered_frames(9), "mp4v")
    data = _prepare(tmp_path)
    assert data.videos("train") == ["01_001", "01_002", "01_003"]
    assert data.manifest["source_files"]["train"] == {"videos": 3, "kinds": [".avi", ".mp4"]}
    assert "3 training videos (.avi, .mp4)" in capsys.readouterr().out


def test_a_file_in_the_videos_folder_that_is_not_a_video_stops(tmp_path):
    layouts.shanghaitech(tmp_path / "raw")
    (tmp_path / "raw" / "training" / "videos" / "notes.txt").write_text("x")
    (tmp_path / "raw" / "training" / "videos" / ".DS_Store").write_text("x")  # hidden files are not videos either way
    with pytest.raises(InputError, match=r"notes.txt: not a video"):
        _prepare(tmp_path)


# 3 and 6. params checked once, one line each ---------------------------------------------------
def _with(key: str, value):
    params = copy.deepcopy(PARAMS)
    section, parts = params, key.split(".")
    for part in parts[:-1]:
        section = section[part]
    section[parts[-1]] = value
    return check(params)


@pytest.mark.parametrize("key, value, expected", [
    ("lambda", "abc", "lambda: got 'abc'; use paper"),
    ("lambda", 1.5, "lambda: got 1.5; use paper (each model's paper value) or a number in [0, 1]"),
    ("runtime.device", "gpu", "runtime.device: got 'gpu'; use auto, cpu, cuda or cuda:N"),
    ("profiles.cpu.mnad.epochs.synthetic", 0, "profiles.cpu.mnad.epochs.synthetic: got 0; Input should be greater than 0"),
    ("profiles.cpu.clip_ae.train.batch_size", 0, "profiles.cpu.clip_ae.train.batch_size: got 0;"),
    ("prepare.ped2.size", 0, "prepare.ped2.size: got 0;"),
    ("prepare.ped2.size", -8, "prepare.ped2.size: got -8;"),
    ("prepare.ped2.size", "64px", "prepare.ped2.size: got '64px'; Input should be a valid integer"),
    ("models.pred.infer.checkpoint", "last", "models.pred.infer.checkpoint: got 'last'; use final or"),
    ("supervision", "yes", "supervision: got 'yes'; Input should be a valid boolean"),
])
def test_bad_params_get_one_line_naming_key_value_and_what_is_allowed(key, value, expected):
    problem = _with(key, value)
    assert problem is not None and problem.startswith(expected) and "\n" not in problem


def test_good_params_pass_and_null_size_keeps_frames():
    assert check(PARAMS) is None and _with("prepare.ped2.size", None) is None and _with("lambda", 0.7) is None


def test_cuda_without_a_gpu_is_a_clear_error():
    import torch

    from pipeline.engine.runtime import pick_device
    if torch.cuda.is_available():
        pytest.skip("a GPU is visible")
    with pytest.raises(InputError, match="runtime.device is 'cuda' but no CUDA device is visible"):
        pick_device("cuda")


def test_a_stage_prints_the_params_error_as_one_line(tmp_path):
    (tmp_path / "params.yaml").write_text(yaml.safe_dump({**PARAMS, "lambda": "abc"}, sort_keys=False))
    result = subprocess.run([sys.executable, str(ROOT / "stages" / "score.py"), "synthetic", "pred_mem", "train", "in",
                             "out", "figures", "--family", "mnad", "--models", "memory_models"], cwd=tmp_path, capture_output=True, text=True)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and lines == [
        "error: params.yaml: lambda: got 'abc'; use paper (each model's paper value) or a number in [0, 1]"]


# 5. a wrong header is not a truncated file ------------------------------------------------------
@pytest.fixture(scope="module")
def ffmpeg():
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    return imageio_ffmpeg.get_ffmpeg_exe()


def test_a_remuxed_avi_declaring_more_frames_than_it_holds_is_accepted(tmp_path, ffmpeg):
    layouts.shanghaitech(tmp_path / "raw")
    videos = tmp_path / "raw" / "training" / "videos"
    source = tmp_path / "source.mp4"
    subprocess.run([ffmpeg, "-y", "-loglevel", "error", "-i", str(videos / "01_002.avi"), "-c:v", "libx264",
                    "-pix_fmt", "yuv420p", str(source)], check=True)
    (videos / "01_002.avi").unlink()
    subprocess.run([ffmpeg, "-y", "-loglevel", "error", "-i", str(source), "-c", "copy", str(videos / "01_002.avi")],
                   check=True)
    capture = cv2.VideoCapture(str(videos / "01_002.avi"))
    declared = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    assert declared > 14, "the remux declares more frames than the 14 it holds"
    entry = _prepare(tmp_path).manifest["videos"]["train/01_002"]
    assert entry["frames"] == 14 and entry["declared_frames"] == declared


def test_a_truncated_video_is_still_an_error(tmp_path):
    layouts.shanghaitech(tmp_path / "raw", train_lengths=(40,))
    video = tmp_path / "raw" / "training" / "videos" / "01_001.avi"
    video.write_bytes(video.read_bytes()[: video.stat().st_size // 2])
    assert readers.container_complete(video) is False
    with pytest.raises(InputError, match=r"01_001.avi: (decoded \d+ frames but the file declares 40 and the file is cut "
                                         r"off|OpenCV cannot open|no frame)"):
        _prepare(tmp_path)


def test_container_checks_for_mp4(tmp_path):
    path = tmp_path / "v.mp4"
    layouts.write_video(path, layouts.numbered_frames(8), "mp4v")
    assert readers.container_complete(path) is True
    path.write_bytes(path.read_bytes()[:-40])
    assert readers.container_complete(path) is False
    (tmp_path / "v.mkv").write_bytes(b"\x1aE\xdf\xa3" + b"\0" * 60)
    assert readers.container_complete(tmp_path / "v.mkv") is None  # not checked: the clear error stays


# 7. what is missing, by name; Ctrl-C; the error on its own line ---------------------------------
def test_an_empty_test_frame_folder_is_named(tmp_path):
    layouts.shanghaitech(tmp_path / "raw")
    empty = tmp_path / "raw" / "testing" / "frames" / "01_0003"
    empty.mkdir()
    np.save(tmp_path / "raw" / "testing" / "test_frame_mask" / "01_0003.npy", np.zeros(0, np.int64))
    with pytest.raises(InputError, match=r"01_0003: no frames"):
        _prepare(tmp_path)


def test_training_present_but_testing_missing_names_the_missing_part(tmp_path):
    layouts.shanghaitech(tmp_path / "raw")
    import shutil
    shutil.rmtree(tmp_path / "raw" / "testing")
    with pytest.raises(InputError, match=r"incomplete: testing/frames/, testing/test_frame_mask/ missing"):
        _prepare(tmp_path)


def test_ctrl_c_during_prepare_prints_one_line_saying_the_rerun_resumes(tmp_path):
    raw = tmp_path / "repo" / "data" / "raw" / "shanghaitech"
    layouts.shanghaitech(raw, train_lengths=(2000,) * 6)
    (tmp_path / "repo" / "params.yaml").write_text((ROOT / "params.yaml").read_text())
    process = subprocess.Popen([sys.executable, str(ROOT / "stages" / "prepare.py"), "shanghaitech", str(raw),
                                str(tmp_path / "out")], cwd=tmp_path / "repo", stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # as from a terminal
    seen = ""
    while "%|" not in seen:  # the progress bar is up: the workers are starting
        seen += process.stderr.read(1)
    time.sleep(1)  # and extracting
    process.send_signal(signal.SIGINT)
    _, rest = process.communicate(timeout=60)
    stderr = seen + rest
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and stderr.strip().splitlines()[-1].startswith("interrupted: run `dvc repro` again")


def test_the_error_line_starts_on_its_own_line_after_a_progress_bar():
    script = ("import sys; sys.path.insert(0, 'stages'); from tqdm import tqdm; from _common import run\n"
              "from pipeline.io import InputError\n"
              "def main():\n    bar = tqdm(total=3, desc='prepare'); bar.update(); raise InputError('x.avi: bad')\n"
              "run(main)")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 2 and result.stderr.splitlines()[-1] == "error: x.avi: bad"


# 8. links inside a raw dataset folder -----------------------------------------------------------
def test_links_inside_the_raw_folder_stop_with_how_to_link(tmp_path):
    layouts.shanghaitech(tmp_path / "elsewhere")
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "README.md").write_text("placeholder")
    for part in ("training", "testing"):
        os.symlink(tmp_path / "elsewhere" / part, raw / part)
    with pytest.raises(InputError, match=r"raw/testing is a symbolic link: .* link the whole folder instead"):
        _prepare(tmp_path)
    # the whole folder as one link is fine (DVC follows it)
    (tmp_path / "linked").symlink_to(tmp_path / "elsewhere")
    prepare_real("shanghaitech", tmp_path / "linked", tmp_path / "out2", size=32, workers=1)
