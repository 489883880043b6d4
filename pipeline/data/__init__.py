"""Datasets. Every dataset, generated or user-provided, is prepared into one format
(see `index.py`); models and training code only ever read that format."""
