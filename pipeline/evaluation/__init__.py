"""From per-frame signals to numbers: abnormality scores (scores), AUCs and intervals
(metrics), and one model's evaluation across seeds with its ablations (evaluate)."""
