"""The report's Implementations section: per family, what follows the paper, what follows
the code that produced the reported numbers, what is a choice, and every difference that
remains (each compared row also names its architecture in the tables)."""

IMPLEMENTATION_NOTES = [
    ("MNAD (Park et al. 2020)", "Prediction and reconstruction with memory follow the official code (cvlab-yonsei/MNAD): "
     "checked with transferred weights to float rounding (forward, losses, memory update, Adam step, test loop, AUC). "
     "The paper's update normalisation is a switch (update_normalisation). PSNR as the official psnr(): the mean "
     "squared error in float32, the log in double precision; a frame predicted without any error, where the official "
     "function divides by zero, gets 100 dB, and its regular score is NaN as there, so it never updates the memory."),
    ("MNAD variants of the reproducibility report (alchemi5t/MNADrc)", "The models without memory exist only in the "
     "report's code and follow it: the decoder gets the raw encoder output (no L2 normalisation), and reconstruction "
     "without memory has the report's halved decoder widths (12,512,195 parameters). recon_mem follows the official "
     "MNAD widths (17,195,267) for MNAD Table 1; recon_mem_rc is the report's reconstruction with memory (14,871,491) "
     "and carries the report's own reconstruction numbers (Tables 4-6, 8, 9), as do its ablations. Memory-distribution "
     "supervision as its code: target item i mod M for query i, compactness and separateness weights times 0.01. "
     "Reconstruction with skips: 4 frames with salt-and-pepper (25% of values, each channel independently) in, the "
     "clean 4th frame out; the noisy frames are scaled as its loader scales them (x / 127.5 - 1 on values in [0, 1], "
     "so they span [-1, -0.992]) while clean test frames span [-1, 1] (noise_scaling: consistent maps both to "
     "[-1, 1]). Left different: the noise is added to frames at the model's size; its code added it to the full-size "
     "frame before resizing to 256."),
    ("MemAE (Gong et al. 2019)", "Follows the official code (donggong1/memae-anomaly-detection): dot-product "
     "addressing (the paper says cosine similarity; `addressing: cosine` switches), hard shrinkage 0.0025 with L1 "
     "re-normalisation, entropy weight 0.0002, Adam 1e-4, weights_init (conv N(0, 0.02), BatchNorm N(1, 0.02) and 0), "
     "batch 10 and 100 epochs on the paper profile (train_video_MemAE.sh, training options). Score as "
     "script_testing.py: MemAE models by the mean over the clip of the per-pixel L2 norm of the residual (recon_l2), "
     "the AE baseline by the clip's mean squared error (its AE branch), both min-max per video, clips centred on "
     "frames 9..T-7. The image track (Table 1) has no official code: the MNIST architecture (N = 100) on "
     "scikit-learn's 8x8 digits, PyTorch's default initialisation, one model per normal class, 2:1 split, ~30% "
     "anomalies; MNIST and CIFAR-10 themselves would need a download, so their reported numbers show as not tested."),
    ("LNTRA (Astrid et al. 2021)", "Follows the official code (aseuteurideu/LearningNotToReconstructAnomalies): "
     "MemAE's 3D autoencoder without memory, tanh output, PyTorch's default initialisation, p = 0.2, batch 4 and 60 "
     "epochs on the paper profile. Patch: SmoothMixS as its _get_smoothborder_mask (1 over the box, falling to 0 "
     "outside over 10% of the half side), sides max(10, int(U(0, alpha) W)) px, integer centre and integer steps in "
     "[-beta, beta] clipped to [0, W]; the intruders are the images scikit-learn ships (CIFAR-100 in the paper: no "
     "download at run time). Skip frame: the drawn stride is kept and the start redrawn up to 10 times, frames past "
     "the end repeat the last one. Pixel settings (beta, the smallest side) scale with the frame size from 256 px."),
    ("DAAD (Hou et al. 2021)", "No official code exists: implemented from the paper alone (Tables 7-8, sec. 3-4). Left "
     "open and chosen here: the 1/N cut as MemAE's differentiable hard shrinkage with L1 re-normalisation; item "
     "initialisation uniform(+-1/sqrt(dim)); tanh output; L_rec and L_ali as mean squared errors (the spec writes "
     "L_ali with an absolute value); non-saturating generator loss, one discriminator step per generator step; flips "
     "with probability 0.5; R and L min-max scaled per video (per category on MVTec AD). Video: the appendix's rates "
     "(16, 16, 1), N = 2000 and the MNAD setting (batch 4) on the paper profile; the CPU profile trims N to 500 and "
     "scales the rates with the image (64 px: rates 4, 4, 1, the paper's 8 px blocks at level 1). The Fig. 1 toy is "
     "judged on DAAD's own read (eq. 1-2 with the 1/N cut); an idealised nearest-tile read is shown beside it."),
]
