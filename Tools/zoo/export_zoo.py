"""Exports the model families Whittle is checked against (not committed; tens to hundreds of MB)
into bench-work/zoo/: torchvision classifiers (ResNet-18, MobileNetV2/V3, EfficientNet-B0,
DenseNet-121, ShuffleNetV2, RegNet, ConvNeXt-Tiny, ViT-B/16), a ResNet-50, a BERT-base encoder
(random weights) through both PyTorch exporters, an LSTM and a GRU speech-style model, and a
small YOLO-style detector head. Weights are seeded; BatchNorm statistics are re-estimated on
random data so activations stay O(1) instead of vanishing or exploding.

Usage (in .venv-fixtures, see Tools/zoo/README.md): python Tools/zoo/export_zoo.py [NAME ...]"""
import pathlib
import sys
import types
import warnings

import torch
from torch import nn

warnings.simplefilter("ignore")
# torchvision's compiled ops are built against CUDA torch; its Python models do not need them.
sys.modules.setdefault("torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations"))
import torchvision  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parents[2] / "bench-work" / "zoo"


def calibrate_batchnorm(model, shape, steps=8):
    """Re-estimates BatchNorm running statistics on seeded random inputs (cumulative average)."""
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    model.train()
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for _ in range(steps):
            model(torch.randn(*shape, generator=g))
    model.eval()


def export(model, name, args, input_names, output_names, dynamic_axes=None, opset=17, dynamo=False):
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.onnx"
    model.eval()
    kwargs = dict(input_names=input_names, output_names=output_names, opset_version=opset, dynamo=dynamo)
    if not dynamo:
        kwargs["dynamic_axes"] = dynamic_axes
        kwargs["do_constant_folding"] = True
    torch.onnx.export(model, args, str(path), **kwargs)
    print(f"{path.name}: {path.stat().st_size / 2**20:.1f} MiB")


def vision(name, builder, size=224, batch_dynamic=True):
    torch.manual_seed(0)
    model = builder()
    # Some heads start at zero (ViT's classifier): their logits would all be 0, which checks nothing.
    for m in model.modules():
        if isinstance(m, nn.Linear) and not m.weight.any():
            nn.init.normal_(m.weight, std=0.02)
    calibrate_batchnorm(model, (4, 3, size, size))
    export(model, name, (torch.randn(1, 3, size, size),), ["input"], ["logits"], {"input": {0: "batch"}, "logits": {0: "batch"}} if batch_dynamic else None)


class SpeechLSTM(nn.Module):
    """Filterbank features -> 2-layer bidirectional LSTM -> per-frame classifier (ASR-style)."""

    def __init__(self, rnn=nn.LSTM):
        super().__init__()
        self.rnn = rnn(80, 256, num_layers=2, batch_first=True, bidirectional=True)
        self.head = nn.Linear(512, 32)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.head(y)


class TinyYOLO(nn.Module):
    """A YOLO-style detector: strided conv backbone with SiLU, an upsampled FPN merge, and two
    detection heads reshaped to [batch, anchors*grid, 85]."""

    def __init__(self):
        super().__init__()

        def block(cin, cout, stride):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.SiLU())

        self.stem = nn.Sequential(block(3, 16, 2), block(16, 32, 2), block(32, 64, 2))
        self.c4 = block(64, 128, 2)
        self.c5 = block(128, 256, 2)
        self.lateral = nn.Conv2d(256, 128, 1)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.head4 = nn.Conv2d(256, 3 * 85, 1)
        self.head5 = nn.Conv2d(256, 3 * 85, 1)

    def forward(self, x):
        p4 = self.c4(self.stem(x))
        p5 = self.c5(p4)
        m4 = torch.cat([p4, self.up(self.lateral(p5))], 1)
        outs = []
        for head, f in ((self.head4, m4), (self.head5, p5)):
            y = head(f)
            b, _, h, w = y.shape
            outs.append(y.view(b, 3, 85, h * w).permute(0, 1, 3, 2).reshape(b, -1, 85).sigmoid())
        return torch.cat(outs, 1)


def bert(dynamo):
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    model = BertModel(BertConfig(attn_implementation="eager")).eval()
    ids = torch.randint(0, 30522, (1, 128), generator=torch.Generator().manual_seed(0))
    mask = torch.ones(1, 128, dtype=torch.int64)
    name = "bert_base_dynamo" if dynamo else "bert_base"

    class Wrapper(nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask):
            return self.m(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    export(Wrapper(model), name, (ids, mask), ["input_ids", "attention_mask"], ["last_hidden_state"],
           {"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"}}, opset=17 if not dynamo else 18, dynamo=dynamo)


EXPORTS = {
    "resnet18": lambda: vision("resnet18", torchvision.models.resnet18),
    "resnet50": lambda: vision("resnet50", torchvision.models.resnet50),
    "mobilenet_v2": lambda: vision("mobilenet_v2", torchvision.models.mobilenet_v2),
    "mobilenet_v3_small": lambda: vision("mobilenet_v3_small", torchvision.models.mobilenet_v3_small),
    "efficientnet_b0": lambda: vision("efficientnet_b0", torchvision.models.efficientnet_b0),
    "densenet121": lambda: vision("densenet121", torchvision.models.densenet121),
    "shufflenet_v2": lambda: vision("shufflenet_v2", torchvision.models.shufflenet_v2_x1_0),
    "regnet_y_400mf": lambda: vision("regnet_y_400mf", torchvision.models.regnet_y_400mf),
    "convnext_tiny": lambda: vision("convnext_tiny", torchvision.models.convnext_tiny),
    "vit_b_16": lambda: vision("vit_b_16", torchvision.models.vit_b_16, batch_dynamic=False),
    "tiny_yolo": lambda: (torch.manual_seed(0), vision("tiny_yolo", TinyYOLO, size=320)),
    "speech_lstm": lambda: (torch.manual_seed(0), export(SpeechLSTM(), "speech_lstm", (torch.randn(1, 100, 80),), ["features"], ["logits"], {"features": {0: "batch", 1: "frames"}})),
    "speech_gru": lambda: (torch.manual_seed(0), export(SpeechLSTM(nn.GRU), "speech_gru", (torch.randn(1, 100, 80),), ["features"], ["logits"], {"features": {0: "batch", 1: "frames"}})),
    "bert_base": lambda: bert(False),
    "bert_base_dynamo": lambda: bert(True),
}

if __name__ == "__main__":
    for name in sys.argv[1:] or EXPORTS:
        try:
            EXPORTS[name]()
        except Exception as error:  # noqa: BLE001 - report and go on with the others
            print(f"{name}: FAILED: {type(error).__name__}: {error}")
