"""The audit DAG fanned out over Dask workers: every GPU of a box, every node of a cluster.

    dag.py        the stages `dvc repro` would evaluate, and DVC's bookkeeping for them
    execute.py    what a worker does: run one stage's command, its log, stop on request
    preload.py    a worker's template process: torch and pandas loaded once, a fork per stage
    schedule.py   the coordinator: DVC's decisions stage by stage, critical path first
    cluster.py    local CPU or GPU workers, a dask-jobqueue cluster, or a running scheduler
    plan.py       a cost plan: work and estimated time per stage, makespan on N workers
    calibrate.py  a throughput table measured on this machine

The command is `memaudit` (pipeline/cli.py); Dask is an optional extra (`.[cluster]`).
"""
import os

# The environment of the shell that started the coordinator, taken before anything here can
# start a local Dask cluster: its nannies set OMP/MKL/OPENBLAS_NUM_THREADS=1 in this very
# process (and never restore them), and stages must get the shell's values
# (pipeline.fanout.execute.shell_values).
SHELL_ENVIRON = dict(os.environ)
