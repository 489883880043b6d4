"""The engine every family runs through (anomalib's Engine, in small):

    runtime        device choice, seeding, deterministic kernels, fixed CPU thread count
    distributed    torchrun ranks: gradient averaging, buffer broadcast, gathered rows
    loop           the epoch loop: loader, speed switches, per-epoch log, checkpoints
    checkpoints    state_dict + family + configs, loadable with weights_only=True
    testing        the per-video test loop (one model, or one per category)
    frames         per-frame helpers: PSNR, ground-truth labelling, worst abnormal frames
    memory_summary which memory item each test query uses, and a sample for t-SNE

A family (pipeline.families) supplies a Recipe for training and a VideoScorer for testing;
the engine knows no family by name.
"""
