"""MemAE's one-class image track (Gong et al., ICCV 2019, sec. 4.1, Table 1): a 2D
autoencoder with MemAE's memory, one model per normal class."""
