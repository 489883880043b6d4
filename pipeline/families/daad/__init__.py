"""DAAD: Divide-and-Assemble anomaly detection (Hou et al., ICCV 2021; no official code):
a UNet with block-wise memories, its AE / AE+Skip / MemAE* baselines and DAAD+ with a
discriminator; `toy.py` is the paper's Fig. 1 experiment."""
