"""Real-benchmark preparation on tiny datasets written in each real layout."""
import numpy as np
import pytest

from fixtures import layouts
from pipeline.data.index import PreparedDataset
from pipeline.data.real import prepare_real
from pipeline.io import InputError


def _brightness(frames):
    return frames.reshape(len(frames), -1).mean(axis=1)


def _expected(n, start=0):
    return 20 + 8 * (np.arange(n) + start)


@pytest.mark.parametrize("workers", [1, 2])
def test_shanghaitech_counts_order_and_labels(tmp_path, workers):
    labels = layouts.shanghaitech(tmp_path / "raw")
    prepare_real("shanghaitech", tmp_path / "raw", tmp_path / "out", size=32, workers=workers)
    ds = PreparedDataset(tmp_path / "out")
    assert ds.videos("train") == ["01_001", "01_002"] and ds.videos("test") == ["01_0001", "01_0002"]
    train = ds.frames("train", "01_002")
    assert train.shape == (14, 32, 32, 3)
    np.testing.assert_allclose(_brightness(train), _expected(14), atol=4)  # every frame, in order
    test = ds.frames("test", "01_0002")  # 1.jpg ... 13.jpg: 10-13 must come after 9
    np.testing.assert_allclose(_brightness(test), _expected(13), atol=4)
    assert list(ds.frame_table("test", "01_0002").label) == list(labels["01_0002"])
    assert ds.frame_table("train", "01_001").label.sum() == 0
    manifest = ds.manifest["videos"]["train/01_002"]
    assert manifest["frames"] == 14 and manifest["source"]["path"].endswith("01_002.avi") and len(manifest["sha256"]) == 64
    assert not (tmp_path / ".out.partial").exists()


def test_resume_skips_verified_videos_and_redoes_changed_ones(tmp_path, capsys, monkeypatch):
    layouts.shanghaitech(tmp_path / "raw")
    from pipeline.data import real
    calls = []
    original = real.run_job
    monkeypatch.setattr(real, "run_job", lambda job, *a: calls.append(job.video) or original(job, *a))

    def interrupted(job, *a):
        if job.video == "01_0002":
            raise KeyboardInterrupt
        calls.append(job.video)
        return original(job, *a)
    monkeypatch.setattr(real, "run_job", interrupted)
    with pytest.raises(KeyboardInterrupt):
        prepare_real("shanghaitech", tmp_path / "raw", tmp_path / "out", size=32, workers=1)
    assert not (tmp_path / "out").exists(), "an interrupted run leaves no output that looks complete"
    monkeypatch.setattr(real, "run_job", lambda job, *a: calls.append(job.video) or original(job, *a))
    calls.clear()
    prepare_real("shanghaitech", tmp_path / "raw", tmp_path / "out", size=32, workers=1)
    assert calls == ["01_0002"]
    assert "resuming, 3 of 4 videos" in capsys.readouterr().out
    # a changed source video is prepared again
    layouts.write_avi(tmp_path / "raw" / "training" / "videos" / "01_001.avi", layouts.numbered_frames(9))
    calls.clear()
    prepare_real("shanghaitech", tmp_path / "raw", tmp_path / "out", size=32, workers=1)
    assert calls == ["01_001"] and len(PreparedDataset(tmp_path / "out").frames("train", "01_001")) == 9


def test_mnad_layout_with_one_by_n_labels(tmp_path):
    labels = layouts.mnad_layout(tmp_path / "raw", "avenue")
    prepare_real("avenue", tmp_path / "raw", tmp_path / "out", size=None, workers=1)
    ds = PreparedDataset(tmp_path / "out")
    got = np.concatenate([ds.frame_table("test", v).label for v in ds.videos("test")])
    assert list(got) == list(labels[0])
    assert ds.frames("test", "02").shape == (11, 48, 64, 3)


def test_ucsd_layout_with_tif_frames_and_bmp_masks(tmp_path):
    labels = layouts.ucsd_ped2(tmp_path / "raw")
    prepare_real("ped2", tmp_path / "raw", tmp_path / "out", size=32, workers=1)
    ds = PreparedDataset(tmp_path / "out")
    assert ds.videos("test") == ["Test001", "Test002"]
    for video, expected in zip(ds.videos("test"), labels):
        assert list(ds.frame_table("test", video).label) == list(expected)
    np.testing.assert_allclose(_brightness(ds.frames("train", "Train001")), _expected(10), atol=4)


# --- bad input: a clear error naming the file, and no output that looks complete ---------

def _fails(tmp_path, name, match):
    with pytest.raises(InputError, match=match):
        prepare_real(name, tmp_path / "raw", tmp_path / "out", size=32, workers=1)
    assert not (tmp_path / "out").exists()


def test_missing_dataset_says_where_and_which_layout(tmp_path):
    (tmp_path / "raw").mkdir()
    _fails(tmp_path, "shanghaitech", r"not found in .*raw: put it there as training/videos/<video>.avi")


def test_truncated_video(tmp_path):
    layouts.shanghaitech(tmp_path / "raw", train_lengths=(40,))
    video = tmp_path / "raw" / "training" / "videos" / "01_001.avi"
    data = video.read_bytes()
    video.write_bytes(data[: len(data) // 2])
    _fails(tmp_path, "shanghaitech", r"01_001.avi: (decoded \d+ frames but the file declares 40|OpenCV cannot open|no frame)")


def test_corrupt_video(tmp_path):
    layouts.shanghaitech(tmp_path / "raw")
    (tmp_path / "raw" / "training" / "videos" / "01_001.avi").write_bytes(b"not a video at all" * 10)
    _fails(tmp_path, "shanghaitech", r"01_001.avi: (OpenCV cannot open|no frame could be decoded)")


def test_empty_video(tmp_path):
    layouts.shanghaitech(tmp_path / "raw")
    layouts.write_avi(tmp_path / "raw" / "training" / "videos" / "01_003.avi", np.zeros((0, 48, 64, 3), np.uint8))
    _fails(tmp_path, "shanghaitech", r"01_003.avi: (OpenCV cannot open|no frame could be decoded)")


def test_unreadable_frame(tmp_path):
    layouts.shanghaitech(tmp_path / "raw")
    (tmp_path / "raw" / "testing" / "frames" / "01_0001" / "5.jpg").write_bytes(b"garbage")
    _fails(tmp_path, "shanghaitech", r"01_0001/5.jpg: unreadable image")


def test_label_length_not_matching_frames(tmp_path):
    layouts.shanghaitech(tmp_path / "raw")
    np.save(tmp_path / "raw" / "testing" / "test_frame_mask" / "01_0002.npy", np.zeros(5, np.int64))
    _fails(tmp_path, "shanghaitech", r"01_0002.npy: 5 labels for 13 frames")


def test_mnad_label_file_not_matching_frames(tmp_path):
    layouts.mnad_layout(tmp_path / "raw", "ped2")
    np.save(tmp_path / "raw" / "frame_labels_ped2.npy", np.zeros((1, 7), np.int64))
    _fails(tmp_path, "ped2", r"frame_labels_ped2.npy: 7 labels but the 2 test videos .* hold 20 frames")


def test_mixed_frame_sizes(tmp_path):
    layouts.shanghaitech(tmp_path / "raw")
    layouts.write_frame_folder(tmp_path / "raw" / "testing" / "frames" / "01_0001",
                               layouts.numbered_frames(1, height=40, width=40), pattern="{}.jpg", first=3)
    _fails(tmp_path, "shanghaitech", r"01_0001: frames of different sizes")
