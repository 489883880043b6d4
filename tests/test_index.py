import numpy as np
import pytest

from pipeline.data.index import PreparedDataset, VideoRecord, write_dataset
from pipeline.io import InputError


def _record(video, frames=3, labels=None):
    labels = np.zeros(frames, int) if labels is None else labels
    return VideoRecord("test", video, np.zeros((frames, 8, 8, 3), np.uint8), labels, ["normal"] * len(labels))


def test_failed_write_leaves_no_dataset_behind(tmp_path):
    bad = _record("b", frames=3, labels=np.zeros(2, int))
    with pytest.raises(InputError, match="test/b: 3 frames but 2 labels"):
        write_dataset(tmp_path / "ds", "x", [_record("a"), bad])
    assert not (tmp_path / "ds").exists()
    assert list(tmp_path.iterdir()) == [], "no temp directory is left either"


def test_failed_rewrite_keeps_the_previous_dataset(tmp_path):
    write_dataset(tmp_path / "ds", "x", [_record("a")])
    with pytest.raises(InputError):
        write_dataset(tmp_path / "ds", "x", [_record("b", frames=0, labels=np.zeros(0, int))])
    assert PreparedDataset(tmp_path / "ds").videos("test") == ["a"]


def test_missing_dataset_says_which_stage_to_run(tmp_path):
    with pytest.raises(InputError, match="index.csv not found: run the prepare stage"):
        PreparedDataset(tmp_path / "nothing")
