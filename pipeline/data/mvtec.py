"""MVTec AD (user-provided) -> the prepared format, for DAAD's image benchmark.

Layout read: <root>/<category>/train/good/*.png, <root>/<category>/test/<defect>/*.png
(`good` = normal), <root>/<category>/ground_truth/<defect>/*_mask.png (pixel masks; the
image-level AUROC of DAAD Table 3 does not need them, so they are not read).
Each category becomes one training "video" (its good images) and one test "video" (its
test images, label 1 for every defect, the defect's name as anomaly type): per-video
min-max scaling is then per-category scaling, and the macro AUC the mean of the
per-category AUROCs that DAAD reports. Models train one per category
(pipeline.data.datasets: one model per category; pipeline.engine.testing).
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from pipeline.data.index import NORMAL, DatasetWriter, VideoRecord
from pipeline.data.readers import IMAGE_SUFFIXES, numeric_sort
from pipeline.io import InputError

LAYOUT = "<category>/train/good/*.png, <category>/test/<defect or good>/*.png (and ground_truth/, not read)"


def _images(folder: Path) -> list[Path]:
    return numeric_sort([p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES]) if folder.is_dir() else []


def _read(path: Path, size: int) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)  # grey categories (grid, screw, zipper) become 3 channels
    if image is None:
        raise InputError(f"{path}: not a readable image; re-copy it from the MVTec AD archive")
    return cv2.cvtColor(cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB)


def categories(root: Path) -> list[Path]:
    found = sorted(p for p in Path(root).iterdir() if (p / "train" / "good").is_dir()) if Path(root).is_dir() else []
    if not found:
        raise InputError(f"MVTec AD not found in {root}: put each category there as {LAYOUT} (README, 'Adding real "
                         "datasets'), or remove mvtec from `image_datasets` in params.yaml")
    return found


def category_records(folder: Path, size: int) -> list[VideoRecord]:
    train = _images(folder / "train" / "good")
    defects = sorted(p for p in (folder / "test").iterdir() if p.is_dir()) if (folder / "test").is_dir() else []
    tests = [(path, d.name) for d in defects for path in _images(d)]
    if not train:
        raise InputError(f"{folder / 'train' / 'good'}: no training images")
    if not tests:
        raise InputError(f"{folder / 'test'}: no test images; expected test/<defect or good>/*.png")
    kinds = {kind for _, kind in tests}
    if kinds == {"good"} or "good" not in kinds:
        raise InputError(f"{folder / 'test'}: needs both test/good and at least one defect folder (found {sorted(kinds)})")
    name = folder.name
    train_frames = np.stack([_read(p, size) for p in train])
    test_frames = np.stack([_read(p, size) for p, _ in tests])
    labels = np.array([0 if kind == "good" else 1 for _, kind in tests])
    types = [NORMAL if kind == "good" else kind for _, kind in tests]
    return [VideoRecord("train", name, train_frames, np.zeros(len(train), dtype=int), [NORMAL] * len(train)),
            VideoRecord("test", name, test_frames, labels, types)]


def prepare_mvtec(raw_root: Path, out_root: Path, size: int = 256, storage_format: str = "npy", name: str = "mvtec") -> None:
    """All categories found under raw_root; out_root appears only once all are written."""
    from pipeline.data.real import reject_links
    reject_links(Path(raw_root))
    writer = DatasetWriter(out_root, name, resume=False, storage_format=storage_format)
    for folder in tqdm(categories(raw_root), desc=f"prepare {name}", unit="category"):
        for record in category_records(folder, size):
            writer.add(record)
    writer.finish()
