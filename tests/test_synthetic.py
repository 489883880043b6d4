import numpy as np
import pytest

from pipeline.data.index import PreparedDataset, write_dataset
from pipeline.data.synthetic import ANOMALY_TYPES, SyntheticConfig, generate, render_video

ONE_OBJECT = SyntheticConfig(seed=1, size=64, frames_per_video=60, objects=1, anomaly_length=20)


def _centroids(frames):
    gray = frames[..., 0].astype(float) > 120
    ys, xs = np.mgrid[:gray.shape[1], :gray.shape[2]]
    area = gray.sum(axis=(1, 2))
    return np.stack([(gray * xs).sum(axis=(1, 2)) / area, (gray * ys).sum(axis=(1, 2)) / area], 1), area


def test_same_seed_same_videos_other_seed_other_videos():
    a, b = generate(SyntheticConfig(seed=5)), generate(SyntheticConfig(seed=5))
    c = generate(SyntheticConfig(seed=6))
    assert all(np.array_equal(x.frames, y.frames) and np.array_equal(x.labels, y.labels) for x, y in zip(a, b))
    assert not np.array_equal(a[0].frames, c[0].frames)


def test_splits_and_labels():
    cfg = SyntheticConfig(test_videos_per_type=2)
    records = generate(cfg)
    train = [r for r in records if r.split == "train"]
    test = [r for r in records if r.split == "test"]
    assert len(train) == cfg.train_videos and all(r.labels.sum() == 0 for r in train)
    assert len(test) == 2 * len(ANOMALY_TYPES)
    for r in test:
        kind = r.video.split("_", 1)[1]
        assert kind in ANOMALY_TYPES
        assert r.labels.sum() == cfg.anomaly_length
        onset = np.flatnonzero(r.labels)
        assert np.all(np.diff(onset) == 1), "the anomaly is one contiguous segment"
        assert {t for t, lab in zip(r.anomaly_types, r.labels) if lab} == {kind}
        assert {t for t, lab in zip(r.anomaly_types, r.labels) if not lab} == {"normal"}


@pytest.mark.parametrize("kind, fast, square", [("spatial", False, True), ("temporal", True, False),
                                                 ("spatiotemporal", True, True)])
def test_anomalous_object_has_the_right_speed_and_shape(kind, fast, square):
    frames, labels = render_video(ONE_OBJECT, np.random.default_rng(0), kind)
    centre, area = _centroids(frames)
    step = np.linalg.norm(np.diff(centre, axis=0), axis=1)  # step[t-1]: displacement into frame t
    inside = labels[1:] == 1
    # Bounces shorten a step, never lengthen it: compare the median step.
    assert np.median(step[~inside]) == pytest.approx(ONE_OBJECT.speed, abs=0.5)
    expected = ONE_OBJECT.fast_speed if fast else ONE_OBJECT.speed
    assert np.median(step[inside]) == pytest.approx(expected, abs=0.5)
    circle, squareish = np.pi * ONE_OBJECT.radius ** 2, (2 * ONE_OBJECT.radius) ** 2
    assert np.median(area[labels == 1]) == pytest.approx(squareish if square else circle, rel=0.1)
    assert np.median(area[labels == 0]) == pytest.approx(circle, rel=0.1)


def test_written_dataset_reads_back(tmp_path):
    records = generate(SyntheticConfig(train_videos=2, test_videos_per_type=1))
    write_dataset(tmp_path / "syn", "synthetic", records)
    ds = PreparedDataset(tmp_path / "syn")
    assert ds.videos("test") == sorted(r.video for r in records if r.split == "test")
    for r in records:
        assert np.array_equal(ds.frames(r.split, r.video), r.frames)
        table = ds.frame_table(r.split, r.video)
        assert list(table.frame) == list(range(len(r.frames)))
        assert list(table.label) == list(r.labels)
    assert ds.manifest["videos"]["test/00_spatial"]["frames"] == 80
