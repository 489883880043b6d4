"""Frame extraction throughput: our prepare@shanghaitech path (all videos in parallel
worker processes, decoded once, resized, one array per video) against a plain sequential
loop that reads each video and writes every frame as a JPEG with cv2.imwrite (how the
reproducibility report extracted ShanghaiTech, sec. 3.2). Same generated videos for both.

    python benchmarks/extract_throughput.py                 # 8 videos of 800 frames, 856x480 (ShanghaiTech: ~830 per video)
    python benchmarks/extract_throughput.py --videos 2 --frames 20 --workers 2   # smoke
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the layout writers are test fixtures

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from fixtures import layouts  # noqa: E402
from pipeline.data.real import prepare_real  # noqa: E402


def moving_noise_video(frames: int, height: int, width: int, seed: int) -> np.ndarray:
    """Textured frames (JPEG/MJPG work like on real footage, unlike flat colours)."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 255, (height, width + frames * 2, 3), dtype=np.uint8)
    base = cv2.GaussianBlur(base, (0, 0), 3)
    return np.stack([base[:, 2 * t:2 * t + width] for t in range(frames)])


def plain_loop(videos: list[Path], out: Path) -> int:
    count = 0
    for video in videos:
        folder = out / video.stem
        folder.mkdir(parents=True)
        capture = cv2.VideoCapture(str(video))
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            cv2.imwrite(str(folder / f"{count:06d}.jpg"), frame)
            count += 1
        capture.release()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--videos", type=int, default=8)
    parser.add_argument("--frames", type=int, default=800)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--width", type=int, default=856)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "shanghaitech"
        layouts.shanghaitech(raw, train_lengths=(), test_lengths=(2,))
        videos = []
        for i in range(args.videos):
            path = raw / "training" / "videos" / f"01_{i + 1:03d}.avi"
            layouts.write_avi(path, moving_noise_video(args.frames, args.height, args.width, i))
            videos.append(path)
        total = args.videos * args.frames
        start = time.perf_counter()
        plain_frames = plain_loop(videos, Path(tmp) / "plain")
        plain_s = time.perf_counter() - start
        ours_s, sizes = {}, {}
        for storage_format in ("npy", "ffv1"):
            start = time.perf_counter()
            prepare_real("shanghaitech", raw, Path(tmp) / storage_format, args.size, args.workers, storage_format)
            ours_s[storage_format] = time.perf_counter() - start
            files = list((Path(tmp) / storage_format / "videos" / "train").iterdir())
            sizes[storage_format] = sum(p.stat().st_size for p in files) / total
    assert plain_frames == total
    print(f"{args.videos} videos x {args.frames} frames, {args.width}x{args.height}, {os.cpu_count()} cores")
    print("| method | frames | seconds | frames/s | bytes/frame on disk |")
    print("| --- | ---: | ---: | ---: | ---: |")
    print(f"| plain sequential read + cv2.imwrite JPEG | {total} | {plain_s:.2f} | {total / plain_s:.0f} | n/a |")
    for storage_format, seconds in ours_s.items():
        print(f"| prepare@shanghaitech ({args.workers} workers, {args.size}px, format {storage_format}) | {total} | "
              f"{seconds:.2f} | {total / seconds:.0f} | {sizes[storage_format]:,.0f} |")
    print(f"ratio: {plain_s / ours_s['npy']:.2f}x (npy), {plain_s / ours_s['ffv1']:.2f}x (ffv1)")


if __name__ == "__main__":
    main()
