"""Figures. Functions of arrays/tables -> PNG files; no scoring logic here."""
from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from pipeline.io import atomic_path  # noqa: E402
from pipeline.evaluation.metrics import anomaly_kinds, roc_points, type_subset  # noqa: E402


def _save(fig, path) -> None:
    """PNG to a path (atomically) or to a binary file object. Line plots and scatters use few
    colours, so a 256-colour palette (adaptive, no dithering: deterministic bytes) keeps them
    as they look at about a third of the size; the report embeds every figure."""
    from PIL import Image  # matplotlib's own image dependency

    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=100, bbox_inches="tight", format="png")
    plt.close(fig)
    buffer.seek(0)
    image = Image.open(buffer).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                                                       dither=Image.Dither.NONE)
    if isinstance(path, (str, Path)):
        with atomic_path(path, suffix=".png") as tmp:
            image.save(tmp, format="PNG", optimize=True)
    else:
        image.save(path, format="PNG", optimize=True)


def memory_usage_histogram(usage: np.ndarray, title: str, path: Path) -> None:
    """How many test queries pick each item as their nearest (report Fig. 2 and 4)."""
    fig, ax = plt.subplots(figsize=(5, 3))
    share = usage / max(usage.sum(), 1)
    if len(usage) <= 20:
        ax.bar(np.arange(len(usage)), share, color="tab:blue")
        ax.set_xticks(np.arange(len(usage)))
        ax.set_xlabel("memory item")
    else:  # MemAE's 2000 items: ranked by use, the used ones only
        used = np.sort(share[share > 0])[::-1]
        ax.bar(np.arange(len(used)), used, width=1.0, color="tab:blue")
        ax.set_xlabel("used memory items, ranked by use")
    ax.set_ylabel("share of queries")
    ax.set_title(f"{title}\n{int((usage > 0).sum())} of {len(usage)} items used", fontsize=9)
    _save(fig, path)


def tsne_embedding(queries: np.ndarray, items: np.ndarray, perplexity: float, random_state: int) -> tuple[np.ndarray, np.ndarray]:
    """openTSNE of queries and items together, so items land among their queries."""
    from openTSNE import TSNE

    points = np.concatenate([queries, items]).astype(np.float64)
    perplexity = min(perplexity, (len(points) - 1) / 3)
    embedding = np.asarray(TSNE(perplexity=perplexity, random_state=random_state, n_jobs=1, verbose=False).fit(points))
    return embedding[:len(queries)], embedding[len(queries):]


def memory_tsne(queries: np.ndarray, nearest: np.ndarray, items: np.ndarray, perplexity: float, random_state: int,
                title: str, path: Path, max_items: int = 50) -> None:
    """t-SNE figure of sampled queries and items. With more than `max_items` items (MemAE's
    2000) only the items nearest to some sampled query are embedded."""
    shown = np.unique(nearest) if len(items) > max_items else np.arange(len(items))
    position = {item: i for i, item in enumerate(shown)}
    query_xy, item_xy = tsne_embedding(queries, items[shown], perplexity, random_state)
    tsne_plot(query_xy, np.array([position[i] for i in nearest]), item_xy, title, path)


def tsne_plot(query_xy: np.ndarray, nearest: np.ndarray, item_xy: np.ndarray, title: str, path: Path) -> None:
    """MNAD Fig. 6 / report Fig. 5: queries coloured by nearest item, items as stars."""
    cmap = plt.get_cmap("tab10" if len(item_xy) <= 10 else "tab20")
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.scatter(query_xy[:, 0], query_xy[:, 1], c=[cmap(i % cmap.N) for i in nearest], s=4, alpha=0.6, linewidths=0)
    ax.scatter(item_xy[:, 0], item_xy[:, 1], c=[cmap(i % cmap.N) for i in range(len(item_xy))], marker="*",
               s=260, edgecolors="black", linewidths=0.8)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=9)
    _save(fig, path)


def roc_plot(frames: pd.DataFrame, title: str, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(4, 4))
    fpr, tpr = roc_points(frames.label.to_numpy(), frames.score.to_numpy())
    ax.plot(fpr, tpr, label="all frames (pooled)")
    for kind in anomaly_kinds(frames):
        sub = type_subset(frames, kind)
        fpr, tpr = roc_points(sub.label.to_numpy(), sub.score.to_numpy())
        ax.plot(fpr, tpr, lw=1, label=kind)
    ax.plot([0, 1], [0, 1], "k:", lw=0.8)
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    _save(fig, path)


def timeline_videos(frames: pd.DataFrame, max_videos: int) -> list[str]:
    """The videos a timeline figure shows: the first video of each anomaly type, then the
    others in order (a normal one among them if there is one), at most `max_videos`."""
    order = list(dict.fromkeys(frames.video))
    kinds = frames[frames.label == 1].groupby("anomaly_type", sort=True).video.first() if "anomaly_type" in frames \
        else pd.Series(dtype=str)
    chosen = list(dict.fromkeys(kinds.tolist()))[:max_videos]
    normal = [v for v in order if not frames.loc[frames.video == v, "label"].any()]
    chosen += [v for v in normal[:1] if v not in chosen][:max_videos - len(chosen)]
    chosen += [v for v in order if v not in chosen][:max_videos - len(chosen)]
    return sorted(chosen, key=order.index)


def score_timelines(frames: pd.DataFrame, title: str, path: Path, max_videos: int = 6) -> None:
    """Abnormality score per frame, ground-truth abnormal frames shaded; a few videos, large
    enough to read (timeline_videos picks them)."""
    videos = timeline_videos(frames, max_videos)
    cols = 2
    rows = int(np.ceil(len(videos) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(6 * cols, 2.0 * rows), squeeze=False, sharey=True)
    for ax, video in zip(axes.flat, videos):
        g = frames[frames.video == video]
        ax.fill_between(g.frame, 0, 1, where=g.label.to_numpy() == 1, color="tab:red", alpha=0.2, step="mid", lw=0)
        ax.plot(g.frame, g.score, color="black", lw=1)
        kinds = sorted(set(g.anomaly_type[g.label == 1])) if "anomaly_type" in g else []
        ax.set_title(f"{video}" + (f" ({', '.join(kinds)})" if kinds else " (normal)"), fontsize=9)
        ax.set_ylim(-0.02, 1.02)
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[len(videos):]:
        ax.axis("off")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    _save(fig, path)


def loss_curves(history: pd.DataFrame, title: str, path: Path) -> None:
    columns = [c for c in history.columns if c not in ("epoch", "lr", "seconds", "pseudo_anomaly_share")]
    fig, ax = plt.subplots(figsize=(4.5, 3))
    for column in columns:
        ax.plot(history.epoch, history[column], marker="o", ms=3, label=column)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    _save(fig, path)


def error_heatmaps(targets: np.ndarray, predictions: np.ndarray, captions: list[str], title: str, path: Path) -> None:
    """MNAD Fig. 4: frame, prediction error, and the regions whose error exceeds the frame's
    mean error overlaid in red. targets, predictions: (N, H, W, 3) uint8."""
    n = len(targets)
    fig, axes = plt.subplots(n, 3, figsize=(7.5, 2.5 * n), squeeze=False)
    for row, (target, prediction, caption) in enumerate(zip(targets, predictions, captions)):
        error = ((target.astype(float) - prediction.astype(float)) / 255.0) ** 2
        error = error.mean(axis=2)
        overlay = target.astype(float) / 255.0
        mask = error > error.mean()
        overlay[mask] = 0.5 * overlay[mask] + 0.5 * np.array([1.0, 0.0, 0.0])
        for ax, image, label in zip(axes[row], (target, error, overlay), (caption, "prediction error", "error > mean")):
            ax.imshow(image, cmap="inferno" if image.ndim == 2 else None)
            ax.set_title(label, fontsize=8)
            ax.axis("off")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    _save(fig, path)


def lambda_sweep_plot(sweeps: dict[str, list[dict]], paper_lambdas: dict[str, float], title: str, path: Path) -> None:
    """AUC against lambda (eq. 16) per memory variant; dots mark the lambda each model used."""
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for model, rows in sweeps.items():
        lam = [r["lambda"] for r in rows]
        auc = [np.nan if r["auc_micro"] is None else r["auc_micro"] for r in rows]
        line, = ax.plot(lam, auc, label=model, lw=1.2)
        used = paper_lambdas.get(model)
        if used is not None:
            ax.plot([used], [np.interp(used, lam, auc)], "o", color=line.get_color())
    ax.set_xlabel("lambda (weight of the PSNR term, eq. 16)")
    ax.set_ylabel("pooled AUC")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=6, ncol=2)
    _save(fig, path)


def daad_toy_figure(errors: pd.DataFrame, pictures: dict, path: Path) -> None:
    """DAAD Fig. 1: the three images, their reconstructions per block size (nearest-tile read)
    and the MSE against block size for both reads."""
    blocks = sorted(errors.block.unique())
    names = ["B (normal)", "C (abnormal)"]
    fig = plt.figure(figsize=(1.3 * (len(blocks) + 1) + 4, 3.2))
    grid = fig.add_gridspec(2, len(blocks) + 2, width_ratios=[1] * (len(blocks) + 1) + [3])
    for row, name in enumerate(names):
        ax = fig.add_subplot(grid[row, 0])
        ax.imshow(pictures["images"][name], cmap="gray", vmin=-1, vmax=1)
        ax.set_title(name, fontsize=7)
        ax.axis("off")
        for col, block in enumerate(blocks, start=1):
            ax = fig.add_subplot(grid[row, col])
            ax.imshow(pictures["rebuilt"][("nearest", block, name)], cmap="gray", vmin=-1, vmax=1)
            ax.set_title(f"{block}px blocks", fontsize=7)
            ax.axis("off")
    ax = fig.add_subplot(grid[:, -1])
    for (read, name), g in errors.groupby(["read", "image"]):
        ax.plot(g.block, g.mse, marker="o", ls="-" if read == "nearest" else "--",
                color="tab:green" if name.startswith("B") else "tab:red", label=f"{name}, {read} read")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("block side (px)")
    ax.set_ylabel("reconstruction MSE")
    ax.legend(fontsize=6)
    fig.suptitle("DAAD Fig. 1 toy: blocks learned from one normal image (A)", fontsize=9)
    fig.tight_layout()
    _save(fig, path)
