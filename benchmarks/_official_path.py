"""The official MNAD data path, for side-by-side timing: every sample re-reads its frames
as JPEG files with cv2.imread and resizes them (MNAD's DataLoader), fp32, batch 4."""
from __future__ import annotations

import tempfile
from pathlib import Path

import cv2
import numpy as np
import torch

from pipeline.data.index import PreparedDataset, write_dataset
from pipeline.data.synthetic import SyntheticConfig, generate


def make_data(size: int, train_videos: int, test_per_type: int
              ) -> tuple[tempfile.TemporaryDirectory, dict[str, Path], Path]:
    """A synthetic dataset three times: prepared in our two storage formats, raw arrays and
    lossless FFV1 video (returned by format name: "npy", "ffv1"), and as JPEG folders (the
    official path)."""
    tmp = tempfile.TemporaryDirectory()
    root = Path(tmp.name)
    records = generate(SyntheticConfig(size=size, radius=10 * size / 64, speed=5 * size / 64, fast_speed=10 * size / 64,
                                       train_videos=train_videos, test_videos_per_type=test_per_type))
    prepared = {"npy": root / "prepared", "ffv1": root / "prepared_ffv1"}
    for storage_format, folder in prepared.items():
        write_dataset(folder, "synthetic", records, storage_format=storage_format)
    ds = PreparedDataset(prepared["npy"])
    for split in ("train", "test"):
        for video in ds.videos(split):
            folder = root / "jpeg" / split / video
            folder.mkdir(parents=True)
            for t, frame in enumerate(ds.frames(split, video)):
                cv2.imwrite(str(folder / f"{t:04d}.jpg"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    return tmp, prepared, root / "jpeg"


def read_clip(folder: Path, start: int, span: int, size: int) -> np.ndarray:
    """As MNAD's np_load_frame: imread, resize, scale to [-1, 1], per frame, every time."""
    frames = []
    for t in range(start, start + span):
        image = cv2.resize(cv2.imread(str(folder / f"{t:04d}.jpg")), (size, size)).astype(np.float32)
        frames.append(image / 127.5 - 1.0)
    return np.concatenate([f.transpose(2, 0, 1) for f in frames], axis=0)


class OfficialClips(torch.utils.data.Dataset):
    def __init__(self, jpeg_root: Path, split: str, span: int, size: int):
        self.size, self.span = size, span
        self.clips = [(folder, t) for folder in sorted((jpeg_root / split).iterdir())
                      for t in range(len(list(folder.iterdir())) - span + 1)]

    def __len__(self) -> int:
        return len(self.clips)

    def __getitem__(self, i: int) -> torch.Tensor:
        folder, start = self.clips[i]
        return torch.from_numpy(read_clip(folder, start, self.span, self.size))
