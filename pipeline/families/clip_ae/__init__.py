"""3D-convolution clip autoencoders on 16-frame grayscale clips: MemAE (Gong et al., ICCV
2019) with its memory variants, and LNTRA (Astrid et al., BMVC 2021), MemAE's autoencoder
trained with pseudo anomalies. `memory.py` is MemAE's memory, shared with the image track
(pipeline.families.image_ae) and DAAD's 1/N cut."""
