import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.data.index import write_dataset  # noqa: E402
from pipeline.data.synthetic import SyntheticConfig, generate  # noqa: E402

TINY_SYNTHETIC = SyntheticConfig(seed=3, size=32, frames_per_video=24, train_videos=2, test_videos_per_type=1,
                                 objects=1, radius=4, speed=2, fast_speed=4, anomaly_length=6)


@pytest.fixture(autouse=True)
def _threads():
    torch.set_num_threads(2)


@pytest.fixture(autouse=True, scope="session")
def _frame_cache(tmp_path_factory):
    """The decoded frame cache (pipeline.data.frame_cache) of every test and the stage
    processes they start: a temporary folder, never data/cache of the working tree."""
    import os

    os.environ["MEMAUDIT_FRAME_CACHE"] = str(tmp_path_factory.mktemp("frame_cache"))


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("data") / "synthetic"
    write_dataset(root, "synthetic", generate(TINY_SYNTHETIC))
    return root
