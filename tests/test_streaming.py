"""Training and test data read on demand: what a dataset object holds does not grow with the
frames of its split, every reader gives the same clips, the frame cache is exact and keyed
by what determines its bytes, and loader workers never change a sample."""
from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import torch

from pipeline.data import frame_cache
from pipeline.data.clips import ClipDataset, GrayClipDataset, VideoFrames, resize_frames, to_gray
from pipeline.data.index import PreparedDataset, VideoRecord, write_dataset
from pipeline.families.clip_ae.pseudo_anomalies import PseudoAnomalies, PseudoAnomalyConfig

SIZE = 64  # stored frame side: 12,288 bytes a frame, far above an index entry


def _dataset(root, videos: int, frames: int, storage_format: str = "npy", seed: int = 0):
    rng = np.random.default_rng(seed)
    records = [VideoRecord("train", f"v{i:03d}", rng.integers(0, 256, (frames, SIZE, SIZE, 3), dtype=np.uint8),
                           np.zeros(frames, int), ["normal"] * frames) for i in range(videos)]
    records.append(VideoRecord("test", "t000", records[0].frames[:8], np.zeros(8, int), ["normal"] * 8))
    write_dataset(root, "synthetic", records, storage_format=storage_format)
    return PreparedDataset(root)


def _traced_bytes(build) -> int:
    """Bytes still allocated (Python and NumPy) by what `build` returns."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = build()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del kept
    return after - before


FAMILY_DATASETS = {
    "mnad prediction": lambda ds: ClipDataset(ds, "train", SIZE, 5),
    "daad / image_ae": lambda ds: ClipDataset(ds, "train", SIZE, 1),
    "clip_ae (MemAE)": lambda ds: GrayClipDataset(ds, "train", 32, 16),
    "clip_ae (LNTRA skip)": lambda ds: GrayClipDataset(
        ds, "train", 32, 16, PseudoAnomalies(PseudoAnomalyConfig(kind="skip_frame", probability=0.2), 32, 32)),
}


@pytest.mark.parametrize("family", FAMILY_DATASETS)
def test_a_training_dataset_does_not_grow_with_its_frames(tmp_path, family):
    small = _dataset(tmp_path / "small", videos=2, frames=40)
    large = _dataset(tmp_path / "large", videos=8, frames=40)     # 4x the frames
    grown = _traced_bytes(lambda: FAMILY_DATASETS[family](large)) - _traced_bytes(lambda: FAMILY_DATASETS[family](small))
    extra_frames = 6 * 40
    # holding the frames would add >= 4,096 bytes per frame (32 x 32 float32 grey; 12,288 as uint8 RGB)
    assert grown < 0.05 * extra_frames * 4096, f"{family}: {grown} bytes more for {extra_frames} more frames"


@pytest.mark.parametrize("storage_format", ["npy", "delta", "ffv1"])
def test_every_format_and_the_cache_give_the_in_memory_clips(tmp_path, storage_format, monkeypatch):
    monkeypatch.setenv(frame_cache.ENVIRONMENT, str(tmp_path / "cache"))
    ds = _dataset(tmp_path / storage_format, videos=2, frames=20, storage_format=storage_format)
    arrays = {v: np.asarray(ds.frames("train", v)) for v in ds.videos("train")}
    data = ClipDataset(ds, "train", 32, 5)
    expected = [resize_frames(arrays[v], 32)[t:t + 5] for v in ds.videos("train") for t in range(16)]
    assert len(data) == len(expected)
    for i in (0, 7, 16, 31):
        assert np.array_equal(data[i], expected[i])
    gray = GrayClipDataset(ds, "train", 32, 16)
    assert np.array_equal(gray[5][0][0].numpy(), to_gray(resize_frames(arrays["v001"], 32))[0:16])
    cached = sorted((tmp_path / "cache").glob("*.npy"))
    assert len(cached) == (2 if storage_format != "npy" else 0), "only compressed formats are cached, once per video"


def test_the_cache_is_keyed_by_the_frames_and_size_and_can_be_switched_off(tmp_path, monkeypatch):
    monkeypatch.setenv(frame_cache.ENVIRONMENT, str(tmp_path / "cache"))
    one = _dataset(tmp_path / "one", videos=1, frames=12, storage_format="delta", seed=1)
    other = _dataset(tmp_path / "other", videos=1, frames=12, storage_format="delta", seed=2)
    paths = [frame_cache.ensure_cached(ds, "train", ["v000"], size)["v000"] for ds in (one, other) for size in (16, 32)]
    assert len(set(paths)) == 4, "other frames or another size never share a cached file"
    assert frame_cache.ensure_cached(one, "train", ["v000"], 16)["v000"] == paths[0], "a cached file is reused"
    assert np.array_equal(np.load(paths[1]), resize_frames(np.asarray(one.frames("train", "v000")), 32))
    assert not list((tmp_path / "cache").glob(".*")), "no temporary file is left behind"
    monkeypatch.setenv(frame_cache.ENVIRONMENT, "off")
    assert frame_cache.ensure_cached(one, "train", ["v000"], 16) == {}


def test_loader_workers_give_the_samples_of_a_single_process(tmp_path):
    ds = _dataset(tmp_path / "d", videos=2, frames=30, storage_format="ffv1")
    corrupt = PseudoAnomalies(PseudoAnomalyConfig(kind="skip_frame", probability=0.5), 32, 32)

    def batches(workers):
        data = GrayClipDataset(ds, "train", 32, 16, corrupt, seed=3)
        data.set_epoch(2)
        loader = torch.utils.data.DataLoader(data, batch_size=4, num_workers=workers,
                                             sampler=torch.utils.data.RandomSampler(data, generator=torch.Generator().manual_seed(0)))
        return [b[0] for b in loader]
    single, parallel = batches(0), batches(2)
    assert len(single) == len(parallel) and all(torch.equal(a, b) for a, b in zip(single, parallel))


def test_sequential_windows_equal_direct_reads_and_never_seek_back(tmp_path):
    ds = _dataset(tmp_path / "d", videos=1, frames=50, storage_format="ffv1")
    whole = resize_frames(np.asarray(ds.frames("train", "v000")), 32)
    from pipeline.data.clips import video_frames
    frames = video_frames(ds, "train", "v000", 32, sequential=True)
    seeks = []
    original = frames.reader._decode
    frames.reader._decode = lambda start, stop: (seeks.append(start != frames.reader._position), original(start, stop))[1]
    for lo, hi in [(0, 20), (16, 36), (32, 50), (45, 50)]:   # windows overlapping as a test pass reads them
        assert np.array_equal(frames.read(lo, hi), whole[lo:hi])
    assert not any(seeks), "overlapping windows are served from the last one; the decoder only moves forward"
    assert np.array_equal(VideoFrames.from_array(whole).take([3, 1, 3]), whole[[3, 1, 3]])
