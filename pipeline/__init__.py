"""memaudit: a reproducibility audit of memory-augmented video anomaly detection.

Layout (data flows top to bottom):
    data/       datasets -> one on-disk format (per-video uint8 arrays + a frame index table)
    models/     the audited networks, one file per paper's model family
    training    train loop (losses, memory update per step, checkpoints)
    inference   per-frame PSNR, query/memory distances, memory assignments
    scoring     abnormality score (MNAD eq. 16-17), NaN-safe normalisation
    metrics     frame-level AUC (micro/pooled, macro/per-video, per anomaly type)
    plots       figures; report: the HTML audit page
"""
