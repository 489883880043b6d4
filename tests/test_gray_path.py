"""MemAE and LNTRA read grey frames as LNTRA's official loader does (utils.py np_load_frame:
cv2.imread(path, IMREAD_GRAYSCALE), then cv2.resize): the prepare stage keeps that read as
a grey copy of every real video, and the grey-input families read it, never a conversion
of the stored colours."""
import cv2
import numpy as np
import pytest

from fixtures import layouts
from pipeline.data.clips import GrayClipDataset, GrayFrames, to_gray, video_frames
from pipeline.data.index import PreparedDataset
from pipeline.data.real import prepare_real


def _colourful(count: int, height: int = 48, width: int = 64, seed: int = 0) -> np.ndarray:
    """Saturated colour blocks: where JPEG's chroma and grey read part ways."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 256, (count, height // 8, width // 8, 3), dtype=np.uint8)
    return np.repeat(np.repeat(blocks, 8, axis=1), 8, axis=2)


def _official_gray(path, size):
    return cv2.resize(cv2.imread(str(path), cv2.IMREAD_GRAYSCALE), (size, size))


@pytest.mark.parametrize("storage_format", ["npy", "ffv1"])
def test_jpeg_frames_are_read_grey_as_the_official_loader(tmp_path, monkeypatch, storage_format):
    monkeypatch.setenv("MEMAUDIT_FRAME_CACHE", str(tmp_path / "cache"))
    raw = tmp_path / "raw"
    layouts.mnad_layout(raw, "avenue", train_lengths=(16,), test_lengths=(16,))
    for split in ("training", "testing"):   # colour frames instead of the grey numbered ones
        layouts.write_frame_folder(raw / split / "frames" / "01", _colourful(16, seed=len(split)))
    prepare_real("avenue", raw, tmp_path / "out", size=32, workers=1, storage_format=storage_format)
    ds = PreparedDataset(tmp_path / "out")
    files = sorted((raw / "testing" / "frames" / "01").glob("*.jpg"))
    official = np.stack([_official_gray(p, 32) for p in files])
    assert ds.has_gray("test", "01")
    frames = video_frames(ds, "test", "01", 32, sequential=True, gray=True)
    assert np.array_equal(GrayFrames(frames).read(0, 16), official.astype(np.float32) / 127.5 - 1.0)
    # what converting the stored colours would give is another image: the test can tell them apart
    converted = to_gray(video_frames(ds, "test", "01", 32).read(0, 16))
    assert np.abs(converted - (official / 127.5 - 1.0)).max() * 127.5 >= 1
    # training clips (through the frame cache for ffv1) read the same grey copy
    train_files = sorted((raw / "training" / "frames" / "01").glob("*.jpg"))
    clip, target, pseudo = GrayClipDataset(ds, "train", 32, 16)[0]
    expected = np.stack([_official_gray(p, 32) for p in train_files]).astype(np.float32) / 127.5 - 1.0
    assert np.array_equal(clip[0].numpy(), expected) and not pseudo


def test_decoded_video_frames_get_opencvs_grey_conversion_before_the_resize(tmp_path):
    raw = tmp_path / "raw"
    layouts.shanghaitech(raw, train_lengths=(12,), test_lengths=(11,))
    layouts.write_avi(raw / "training" / "videos" / "01_001.avi", _colourful(12))
    prepare_real("shanghaitech", raw, tmp_path / "out", size=32, workers=1)
    ds = PreparedDataset(tmp_path / "out")
    capture, decoded = cv2.VideoCapture(str(raw / "training" / "videos" / "01_001.avi")), []
    while (read := capture.read())[0]:
        decoded.append(cv2.resize(cv2.cvtColor(read[1], cv2.COLOR_BGR2GRAY), (32, 32)))
    got = GrayFrames(video_frames(ds, "train", "01_001", 32, gray=True)).read(0, 12)
    assert np.array_equal(got, np.stack(decoded).astype(np.float32) / 127.5 - 1.0)


def test_generated_data_without_a_grey_copy_converts_its_grey_frames(tmp_path):
    from pipeline.data.index import VideoRecord, write_dataset

    grey = np.repeat(np.arange(0, 250, 10, dtype=np.uint8)[:, None, None, None], 3, axis=-1) * np.ones((1, 4, 4, 3),
                                                                                                     np.uint8)
    write_dataset(tmp_path / "ds", "synthetic", [VideoRecord("test", "a", grey, np.zeros(len(grey), int),
                                                             ["normal"] * len(grey))])
    ds = PreparedDataset(tmp_path / "ds")
    frames = video_frames(ds, "test", "a", None, gray=True)
    assert not ds.has_gray("test", "a") and not frames.gray_copy
    assert np.array_equal(GrayFrames(frames).read(0, len(grey)), grey[..., 0].astype(np.float32) / 127.5 - 1.0)


def test_training_readers_take_one_variant_for_all_videos_and_their_cache(tmp_path, monkeypatch):
    """A split where one video lacks a grey copy reads every video's colours, cached or not:
    never a colour cache file read as if it were the grey copy."""
    from pipeline.data.clips import split_frames
    from pipeline.data.index import VideoRecord, write_dataset

    monkeypatch.setenv("MEMAUDIT_FRAME_CACHE", str(tmp_path / "cache"))
    colour = _colourful(4, 8, 8)
    grey = np.stack([cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in colour]) // 2   # unlike the conversion
    records = [VideoRecord("train", "a", colour, np.zeros(4, int), ["normal"] * 4, grey),
               VideoRecord("train", "b", colour, np.zeros(4, int), ["normal"] * 4)]
    write_dataset(tmp_path / "ds", "avenue", records, storage_format="ffv1")
    ds = PreparedDataset(tmp_path / "ds")
    readers = split_frames(ds, "train", ["a", "b"], None, gray=True)
    assert [r.gray_copy for r in readers] == [False, False]
    assert all(np.array_equal(GrayFrames(r).read(0, 4), to_gray(colour)) for r in readers)
