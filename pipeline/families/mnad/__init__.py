"""MNAD (Park et al., CVPR 2020) and the variants of its reproducibility report: prediction
and reconstruction, with and without memory, the feature-loss ablations, memory-distribution
supervision and the denoising reconstruction with skips."""
