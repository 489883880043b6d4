"""MNAD networks (Park et al., CVPR 2020, sec. 3.1 and Fig. 2), as in the official code
(cvlab-yonsei/MNAD), with the reproducibility report's variants (sec. 3.1, sec. 5).

Paper size (width=64, 256x256 input, prediction with memory), shapes per stage:
    input        (B, 12, 256, 256)   4 RGB frames stacked, values in [-1, 1]
    conv1        (B,  64, 256, 256)  -> skip1     [conv3x3-BN-ReLU] x2
    conv2        (B, 128, 128, 128)  -> skip2     after max-pool
    conv3        (B, 256,  64,  64)  -> skip3
    conv4        (B, 512,  32,  32)  last conv without BN/ReLU (sec. 3.1)
    query        (B, 512,  32,  32)  L2-normalised over channels
    decoder in   (B, 1024, 32,  32)  concat(query, read items)  [512 without memory]
    output       (B,   3, 256, 256)  tanh
Reconstruction: one frame in, same encoder, decoder without skip connections.
Memory items (M=10, C=512) live outside the module: they are not parameters.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from pipeline.families.mnad import memory as mem

TASKS = ("prediction", "reconstruction")
DECODERS = ("official", "report")


@dataclass(frozen=True)
class MNADConfig:
    task: str = "prediction"
    memory: bool = True
    skip: bool | None = None  # None: the paper's choice, skips for prediction only
    width: int = 64  # channels of the first level; 64 is the paper's network
    num_items: int = 10
    image_size: int = 256
    channels: int = 3
    input_frames: int | None = None  # None: 4 for prediction, 1 for reconstruction (the target: the last input)
    # Decoder widths without skips: "official" keeps the widths the concatenations would
    # have (cvlab-yonsei/MNAD model/Reconstruction.py); "report" halves them (the
    # reproducibility report's alchemi5t/MNADrc model/reconstruction_model.py and
    # reconstruction_wo_memory.py, behind its reconstruction numbers).
    decoder: str = "official"
    # Queries L2-normalised over channels before the decoder. The memory needs it (MNAD sec.
    # 3.1); the report's models without memory (MNADrc Prediction_wo_memory.py,
    # reconstruction_wo_memory.py) pass the raw encoder output. None: with memory only.
    normalise_query: bool | None = None

    def __post_init__(self):
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {self.task!r}")
        if self.decoder not in DECODERS:
            raise ValueError(f"decoder must be one of {DECODERS}, got {self.decoder!r}")
        if self.normalise_query is None:
            object.__setattr__(self, "normalise_query", self.memory)
        if self.skip is None:
            object.__setattr__(self, "skip", self.task == "prediction")
        if self.input_frames is None:
            object.__setattr__(self, "input_frames", 4 if self.task == "prediction" else 1)
        if self.image_size % 8:
            raise ValueError("image_size must be divisible by 8 (three 2x poolings)")

    @property
    def query_dim(self) -> int:
        return 8 * self.width

    @property
    def sample_frames(self) -> int:
        """Frames one training sample holds: the inputs and, for prediction, the frame to predict."""
        return self.input_frames + (self.task == "prediction")

    @property
    def query_size(self) -> int:
        return self.image_size // 8

    def to_dict(self) -> dict:
        return asdict(self)


def _conv_bn_relu_x2(cin: int, cout: int, last_plain: bool = False) -> nn.Sequential:
    layers = [nn.Conv2d(cin, cout, 3, 1, 1), nn.BatchNorm2d(cout), nn.ReLU(inplace=False),
              nn.Conv2d(cout, cout, 3, 1, 1)]
    if not last_plain:
        layers += [nn.BatchNorm2d(cout), nn.ReLU(inplace=False)]
    return nn.Sequential(*layers)


def _upsample(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.ConvTranspose2d(cin, cout, 3, 2, 1, output_padding=1),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=False))


def _output_head(cin: int, cout: int, width: int) -> nn.Sequential:
    return nn.Sequential(_conv_bn_relu_x2(cin, width), nn.Conv2d(width, cout, 3, 1, 1), nn.Tanh())


class Encoder(nn.Module):
    def __init__(self, cfg: MNADConfig):
        super().__init__()
        w = cfg.width
        self.conv1 = _conv_bn_relu_x2(cfg.channels * cfg.input_frames, w)
        self.conv2 = _conv_bn_relu_x2(w, 2 * w)
        self.conv3 = _conv_bn_relu_x2(2 * w, 4 * w)
        self.conv4 = _conv_bn_relu_x2(4 * w, 8 * w, last_plain=True)  # sec. 3.1: no last BN/ReLU
        self.pool = nn.MaxPool2d(2, 2)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        skip1 = self.conv1(x)
        skip2 = self.conv2(self.pool(skip1))
        skip3 = self.conv3(self.pool(skip2))
        feature = self.conv4(self.pool(skip3))
        return feature, (skip1, skip2, skip3)


class Decoder(nn.Module):
    """U-Net decoder (prediction) or plain decoder (reconstruction). Without skips the
    official reconstruction model keeps the widths the concatenations would have given;
    the report's halves them (MNADConfig.decoder)."""

    def __init__(self, cfg: MNADConfig):
        super().__init__()
        w, self.skip = cfg.width, cfg.skip
        cin = 2 * cfg.query_dim if cfg.memory else cfg.query_dim
        self.conv = _conv_bn_relu_x2(cin, 8 * w)
        if self.skip or cfg.decoder == "official":
            up_out, level_in = ((4 * w, 2 * w, w) if self.skip else (8 * w, 4 * w, 2 * w)), (8 * w, 4 * w, 2 * w)
        else:
            up_out, level_in = (4 * w, 2 * w, w), (4 * w, 2 * w, w)
        self.up4 = _upsample(8 * w, up_out[0])
        self.deconv3 = _conv_bn_relu_x2(level_in[0], 4 * w)
        self.up3 = _upsample(4 * w, up_out[1])
        self.deconv2 = _conv_bn_relu_x2(level_in[1], 2 * w)
        self.up2 = _upsample(2 * w, up_out[2])
        self.head = _output_head(level_in[2], cfg.channels, w)

    def forward(self, x: torch.Tensor, skips: tuple[torch.Tensor, ...]) -> torch.Tensor:
        skip1, skip2, skip3 = skips
        x = self.conv(x)
        x = self.up4(x)
        x = self.deconv3(torch.cat((skip3, x), 1) if self.skip else x)
        x = self.up3(x)
        x = self.deconv2(torch.cat((skip2, x), 1) if self.skip else x)
        x = self.up2(x)
        return self.head(torch.cat((skip1, x), 1) if self.skip else x)


class MNAD(nn.Module):
    def __init__(self, cfg: MNADConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(cfg)
        self.decoder = Decoder(cfg)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        """Queries (B, C, h, w), L2-normalised over channels (cfg.normalise_query), and the skip maps."""
        feature, skips = self.encoder(x)
        return (F.normalize(feature, dim=1) if self.cfg.normalise_query else feature), skips

    def decode(self, query: torch.Tensor, skips: tuple[torch.Tensor, ...], items: torch.Tensor | None) -> torch.Tensor:
        if self.cfg.memory:
            b, c, h, w = query.shape
            flat = flatten_queries(query)
            read = mem.read(flat, items).reshape(b, h, w, c).permute(0, 3, 1, 2)
            query = torch.cat((query, read), dim=1)  # (B, 2C, h, w): decoder input
        return self.decoder(query, skips)

    def forward(self, x: torch.Tensor, items: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Return (output frame (B, channels, H, W), queries (B, C, h, w))."""
        if self.cfg.memory and items is None:
            raise ValueError("a memory model needs the memory items")
        query, skips = self.encode(x)
        return self.decode(query, skips, items), query


def flatten_queries(query: torch.Tensor) -> torch.Tensor:
    """(B, C, h, w) -> (B*h*w, C), raster order within each image (as the official code)."""
    b, c, h, w = query.shape
    return query.permute(0, 2, 3, 1).reshape(b * h * w, c)


def build(config: dict) -> MNAD:
    """The network a checkpoint's model_config describes."""
    return MNAD(MNADConfig(**config))
