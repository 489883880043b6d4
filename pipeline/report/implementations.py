"""The report's Implementations section: per family, what follows the paper, what follows
the official code, and what is a choice (shown beside the results it concerns)."""

IMPLEMENTATION_NOTES = [
    ("MNAD (Park et al. 2020)", "Follows the official code (cvlab-yonsei/MNAD) where it differs from the paper; the "
     "memory-update normalisation of the paper is a switch (update_normalisation). Additions of the reproducibility "
     "report: memory-distribution supervision (its target is left open there: a balanced one-hot assignment here), "
     "reconstruction with skip connections trained as a denoiser (25% salt-and-pepper), the synthetic dataset."),
    ("MemAE (Gong et al. 2019)", "Follows the official code (donggong1/memae-anomaly-detection): memory addressed by "
     "a dot product (the paper says cosine similarity; `addressing: cosine` switches), hard shrinkage 0.0025 with L1 "
     "re-normalisation, entropy weight 0.0002, Adam 1e-4. Batch size and epochs are not in the paper. The image "
     "track (Table 1) runs the MNIST architecture (N = 100) on scikit-learn's 8x8 digits, one model per normal "
     "class, 2:1 split, ~30% anomalies; MNIST and CIFAR-10 themselves would need a download, so their reported "
     "numbers show as not tested."),
    ("LNTRA (Astrid et al. 2021)", "MemAE's 3D autoencoder without memory, tanh output, p = 0.2. Intruders for the "
     "patch pseudo anomaly are the images scikit-learn ships (CIFAR-100 in the paper: no download at run time); the "
     "SmoothMixS mask is a square with a linear ramp over its outer 20%. Pixel settings (beta, minimum patch side) "
     "scale with the frame size from the paper's 256 px. Optimiser: MemAE's (the paper does not restate it)."),
    ("DAAD (Hou et al. 2021)", "No official code exists: implemented from the paper alone (Tables 7-8, sec. 3-4). Left "
     "open and chosen here: the 1/N cut as MemAE's differentiable hard shrinkage with L1 re-normalisation; item "
     "initialisation uniform(+-1/sqrt(dim)); tanh output; L_rec and L_ali as mean squared errors; non-saturating "
     "generator loss, one discriminator step per generator step; flips with probability 0.5; R and L min-max "
     "scaled per video (per category on MVTec AD); a division rate above a small map's side is capped at it. "
     "Video datasets use the appendix setting r = (16, 16, 1), N = 2000 (the CPU profile trims N to 500)."),
]
