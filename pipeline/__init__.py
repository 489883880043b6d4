"""memaudit: a reproducibility audit of memory-augmented video anomaly detection.

Layout (data flows top to bottom; each DVC stage in stages/ makes one call into here):
    data/         datasets -> one prepared format (per-video uint8 arrays + index.csv); the
                  table of datasets (datasets.py) and how each is prepared (prepare.py)
    families/     the audited systems, one folder per model family (mnad, clip_ae, daad,
                  image_ae), each with spec, config, model, train and infer modules, and
                  the registry (families/__init__.py, its tables in lists.py) that stages
                  ask for a family's code
    engine/       what every family runs through: the epoch loop, checkpoints, DDP, the
                  per-video test loop, memory summaries, runtime (device, seeds, threads)
    evaluation/   per-frame signals -> abnormality scores (scores), AUCs and intervals
                  (metrics), one model's evaluation (evaluate) as its family plans it (plan)
    plots.py      figures: functions of arrays and tables -> PNG
    report/       the audit page: collect results, judge claims, render (Jinja2), provenance
    fanout/       the DAG on Dask workers, DVC's decisions and records kept (`memaudit repro`),
                  and the cost plan (`memaudit plan`); cli.py is the `memaudit` command
    params.py     params.yaml access shared by every stage; io.py atomic writes;
    artifacts.py  file names one stage writes and a later one reads
"""
