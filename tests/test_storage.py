"""Prepared-video storage formats (pipeline.data.storage): the compressed format decodes to
the raw array bit for bit, clips read across chunk boundaries equal the raw slices, and the
format and the JPEG round trip are part of what decides whether a prepared video is reused."""
import cv2
import numpy as np
import pytest
from fixtures import layouts

from pipeline.data import storage
from pipeline.data.index import PreparedDataset, array_sha256
from pipeline.data.readers import jpeg_round_trip, read_video
from pipeline.data.real import prepare_real


def _static_scene(frames=40, size=48, seed=0):
    """A static textured background with sensor noise and one moving block: the kind of
    footage the format is for, with every byte value and wrap-around in the differences."""
    rng = np.random.default_rng(seed)
    background = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
    video = np.repeat(background[None], frames, axis=0).astype(np.int16)
    video += rng.integers(-3, 4, video.shape, dtype=np.int16)
    for t in range(frames):
        video[t, 10:20, t % (size - 10):t % (size - 10) + 10] = (255, 0, 128)
    return np.clip(video, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("frames", [1, storage.CHUNK - 1, storage.CHUNK, 3 * storage.CHUNK + 5])
def test_delta_format_round_trips_bit_exactly(tmp_path, frames):
    video = _static_scene(frames)
    storage.write_frames(tmp_path / "v.delta.npz", video)
    back = storage.read_frames(tmp_path / "v.delta.npz")
    assert back.dtype == np.uint8 and back.shape == video.shape and np.array_equal(back, video)


def test_extreme_differences_wrap_and_zigzag_exactly(tmp_path):
    video = np.zeros((6, 4, 4, 3), np.uint8)
    video[1::2] = 255  # differences of +255 and -255: the int8 wrap-around
    video[2, 0, 0] = 128
    storage.write_frames(tmp_path / "v.delta.npz", video)
    assert np.array_equal(storage.read_frames(tmp_path / "v.delta.npz"), video)
    d = np.arange(256, dtype=np.uint8)
    assert np.array_equal(storage._unzigzag(storage._zigzag(d)), d)
    assert storage._zigzag(np.array([0, 255, 1, 254, 2, 128, 127], np.uint8)).tolist() == [0, 1, 2, 3, 4, 255, 254]


@pytest.mark.parametrize("predictor", [storage.TEMPORAL, storage.PLANE])
def test_each_prediction_is_undone_exactly(predictor):
    video = _static_scene(7, size=12, seed=predictor)
    residuals = storage._residuals(video, predictor)
    assert np.array_equal(storage._restore(residuals, predictor), video)
    if predictor == storage.PLANE:  # x - left - up + upper-left, worked out for one pixel
        x = video.astype(int)
        assert residuals[3, 5, 6, 1] == (x[3, 5, 6, 1] - x[3, 5, 5, 1] - x[3, 4, 6, 1] + x[3, 4, 5, 1]) % 256
    else:
        assert residuals[3, 5, 6, 1] == (int(video[3, 5, 6, 1]) - int(video[2, 5, 6, 1])) % 256


def test_each_chunk_takes_the_prediction_with_smaller_residuals(tmp_path):
    still = np.repeat(_static_scene(1, size=32)[:1], storage.CHUNK, axis=0)      # a still frame: temporal wins
    ramp = np.broadcast_to(np.arange(32, dtype=np.uint8)[None, None, :, None] * 3 + np.arange(32, dtype=np.uint8)[
        None, :, None, None], (storage.CHUNK, 32, 32, 3)).copy()
    ramp += np.arange(storage.CHUNK, dtype=np.uint8)[:, None, None, None] * 37     # every frame changes: plane wins
    storage.write_frames(tmp_path / "v.delta.npz", np.concatenate([still, ramp]))
    reader = storage.DeltaVideo(tmp_path / "v.delta.npz")
    assert reader.predictors.tolist() == [storage.TEMPORAL, storage.PLANE]
    assert np.array_equal(reader.read(), np.concatenate([still, ramp]))


def test_random_clips_equal_the_raw_slices(tmp_path):
    video = _static_scene(3 * storage.CHUNK + 7)
    storage.write_frames(tmp_path / "v.delta.npz", video)
    reader = storage.DeltaVideo(tmp_path / "v.delta.npz")
    rng = np.random.default_rng(1)
    for start in [0, storage.CHUNK - 1, storage.CHUNK, *rng.integers(0, len(video) - 5, 10)]:
        stop = min(len(video), int(start) + int(rng.integers(1, 2 * storage.CHUNK)))
        assert np.array_equal(reader.read(int(start), stop), video[start:stop]), (start, stop)
    assert len(reader.read(5, 5)) == 0
    with pytest.raises(IndexError):
        reader.read(-1, 3)


@pytest.mark.parametrize("frames", [1, 17])
def test_ffv1_round_trips_bit_exactly_and_seeks_to_exact_frames(tmp_path, frames):
    video = _static_scene(frames)
    storage.write_ffv1(tmp_path / "v.mkv", video)
    reader = storage.FFV1Video(tmp_path / "v.mkv")
    assert np.array_equal(reader.read(), video)
    for start, stop in [(0, 1), (frames - 1, frames), (frames // 2, frames), (3, 3)]:
        if start <= frames:
            assert np.array_equal(reader.read(start, stop), video[start:stop]), (start, stop)


def test_compressed_is_much_smaller_on_static_footage(tmp_path):
    video = _static_scene(64, size=64)
    video[:] = video[0]  # a still camera without noise: the differences are all zero
    storage.write_frames(tmp_path / "v.delta.npz", video)
    assert (tmp_path / "v.delta.npz").stat().st_size * 10 < video.nbytes
    smooth = np.broadcast_to((np.arange(64, dtype=np.uint8) * 2)[None, :, None, None], video.shape).copy()
    storage.write_ffv1(tmp_path / "v.mkv", smooth)  # FFV1 codes each frame alone: smooth images shrink
    assert (tmp_path / "v.mkv").stat().st_size * 3 < smooth.nbytes


@pytest.mark.parametrize("storage_format", ["npy", "ffv1", "delta"])
def test_prepared_dataset_reads_every_format_with_the_same_hashes(tmp_path, storage_format):
    layouts.shanghaitech(tmp_path / "raw")
    prepare_real("shanghaitech", tmp_path / "raw", tmp_path / storage_format, size=32, workers=1,
                 storage_format=storage_format)
    ds = PreparedDataset(tmp_path / storage_format)
    assert ds.storage_format == storage_format
    suffix = storage.SUFFIX[storage_format]
    assert sorted(p.name for p in (tmp_path / storage_format / "videos" / "train").iterdir()) == [
        f"01_001{suffix}", f"01_002{suffix}"]
    for key, entry in ds.manifest["videos"].items():
        split, video = key.split("/")
        frames = ds.frames(split, video)
        assert array_sha256(frames) == entry["sha256"]
        assert np.array_equal(ds.frames(split, video, 3, 9), np.asarray(frames)[3:9])


def test_changing_the_format_re_extracts_and_leaves_no_file_of_the_old_one(tmp_path, capsys):
    layouts.shanghaitech(tmp_path / "raw")
    prepare_real("shanghaitech", tmp_path / "raw", tmp_path / "out", size=32, workers=1, storage_format="npy")
    first = PreparedDataset(tmp_path / "out").manifest["videos"]
    capsys.readouterr()
    prepare_real("shanghaitech", tmp_path / "raw", tmp_path / "out", size=32, workers=1, storage_format="delta")
    assert "resuming" not in capsys.readouterr().out
    files = [p.name for p in (tmp_path / "out" / "videos").rglob("*") if p.is_file()]
    assert files and all(name.endswith(storage.DELTA_SUFFIX) for name in files)
    again = PreparedDataset(tmp_path / "out").manifest["videos"]
    assert {k: v["sha256"] for k, v in again.items()} == {k: v["sha256"] for k, v in first.items()}


def test_jpeg_round_trip_matches_encoding_each_full_size_frame_with_opencv(tmp_path):
    frames = _static_scene(5, size=40)
    layouts.write_video(tmp_path / "v.avi", frames, "MJPG")
    decoded, _, _ = read_video(tmp_path / "v.avi", None)
    tripped, _, _ = read_video(tmp_path / "v.avi", None, round_trip=True)
    capture, manual = cv2.VideoCapture(str(tmp_path / "v.avi")), []
    while (ok_frame := capture.read())[0]:
        _, data = cv2.imencode(".jpg", ok_frame[1], [cv2.IMWRITE_JPEG_QUALITY, 95])  # OpenCV's default
        manual.append(cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB))
    assert np.array_equal(tripped, np.stack(manual))
    assert not np.array_equal(tripped, decoded)
    assert np.array_equal(jpeg_round_trip(np.zeros((8, 8, 3), np.uint8)), np.zeros((8, 8, 3), np.uint8))


def test_the_round_trip_is_part_of_the_reuse_key(tmp_path, capsys):
    layouts.shanghaitech(tmp_path / "raw")
    prepare_real("shanghaitech", tmp_path / "raw", tmp_path / "out", size=32, workers=1)
    before = PreparedDataset(tmp_path / "out").manifest["videos"]
    capsys.readouterr()
    prepare_real("shanghaitech", tmp_path / "raw", tmp_path / "out", size=32, workers=1, jpeg_round_trip=True)
    assert "resuming" not in capsys.readouterr().out
    after = PreparedDataset(tmp_path / "out").manifest
    assert after["prepared_with"]["jpeg_round_trip"] is True
    # training videos (decoded from .avi) change; test frame folders are already JPEG images
    assert after["videos"]["train/01_001"]["sha256"] != before["train/01_001"]["sha256"]
    assert after["videos"]["test/01_0001"]["sha256"] == before["test/01_0001"]["sha256"]
