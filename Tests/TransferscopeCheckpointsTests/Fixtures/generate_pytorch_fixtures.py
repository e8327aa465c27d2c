#!/usr/bin/env python3
"""Writes the PyTorch files (`torch.save`) the PyTorchFile reader's tests read, beside this script.

Run by hand (CI never runs it), from the repository root:

    PY=$(bash scripts/python-env.sh torch torchvision safetensors)
    "$PY" Tests/TransferscopeCheckpointsTests/Fixtures/generate_pytorch_fixtures.py

Three small ResNets built from torchvision's own classes (`torchvision.models.resnet.ResNet`'s
`_make_layer` with `BasicBlock` / `Bottleneck`, so every key is torchvision's), with random
BatchNorm statistics and affine parameters and a set `num_batches_tracked`:

  resnet10-w8   BasicBlock [1, 1, 1, 1], widths 8/16/32/64, 7x7 stem + max pool, 3 channels, 5 classes
  resnet50-w4   Bottleneck [3, 4, 6, 3], widths 4/8/16/32, 7x7 stem + max pool, 3 channels, 5 classes
  resnet8       BasicBlock [1, 1, 1], widths 4/8/16, 3x3 stem, no pool, 1 channel, 5 classes

For each NAME: `NAME.pth` (`torch.save(model.state_dict(), ...)`), `NAME.safetensors` (the same
state dict, plain safetensors, no Transferscope metadata) and `NAME.expected.safetensors`
(`input` [N, C, H, W] and PyTorch's eval-mode `logits`, with the architecture in the metadata:
block, layers, widths, stem, in_ch, classes, side, and `architecture` as a Transferscope
ResNetConfiguration in JSON).

Variants of resnet8: `-module-prefix` (keys prefixed `module.`, as nn.DataParallel saves them),
`-missing-key` (without layer2.0.bn1.running_var), `-channels-last` (the model in
torch.channels_last before saving), `-checkpoint` ({'epoch': 3, 'state_dict': sd, 'best_acc': 0.5}),
`-half` (floating tensors in float16; `resnet8-half.safetensors` holds them converted to float32)
and `-legacy` (the pre-1.6 format, `_use_new_zipfile_serialization=False`).

`dtypes.pth` holds one tensor of every storage type the reader converts, views with strides, an
offset, stride 0 and shared storages, and an nn.Parameter; `dtypes.safetensors` the same tensors as PyTorch converts
them (floating -> float32, integer and bool -> int64, contiguous).

Rerunning rewrites the .pth files byte for byte except resnet8-legacy.pth (its storage keys are
Python object ids); the .safetensors files hold the same tensors, their metadata in another order.

`hostile-os-system.pth` is a zip laid out as torch.save lays it out whose data.pkl REDUCEs
`os.system("touch /tmp/transferscope-pth-payload-ran")`: the tests check that reading it is
refused and that the marker file never appears. (It is never loaded here except with
`weights_only=True`, which refuses it too.)
"""
import collections
import json
import os
import struct
import sys
import zipfile

import torch
import torch.nn as nn
from safetensors.torch import save_file
from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet

HERE = os.path.dirname(os.path.abspath(__file__))
MARKER = "/tmp/transferscope-pth-payload-ran"


class SmallResNet(ResNet):
    """torchvision's ResNet with chosen widths, stages, stem and input channels: its own
    `_make_layer`, blocks and module names; only the widths and the stem differ."""

    def __init__(self, block, layers, widths, stem, in_ch, classes):
        nn.Module.__init__(self)
        self._norm_layer = nn.BatchNorm2d
        self.inplanes, self.dilation, self.groups, self.base_width = widths[0], 1, 1, 64
        kernel, stride = (3, 1) if stem == "small" else (7, 2)
        self.conv1 = nn.Conv2d(in_ch, widths[0], kernel, stride, kernel // 2, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1) if stem == "imagenet" else nn.Identity()
        for i, (blocks, width) in enumerate(zip(layers, widths)):
            setattr(self, f"layer{i + 1}", self._make_layer(block, width, blocks, stride=1 if i == 0 else 2))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(self.inplanes, classes)
        self.stages = len(layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for i in range(self.stages):
            x = getattr(self, f"layer{i + 1}")(x)
        return self.fc(torch.flatten(self.avgpool(x), 1))


MODELS = {
    "resnet10-w8": dict(block="basic", layers=[1, 1, 1, 1], widths=[8, 16, 32, 64], stem="imagenet", in_ch=3,
                        classes=5, side=64, batch=2),
    "resnet50-w4": dict(block="bottleneck", layers=[3, 4, 6, 3], widths=[4, 8, 16, 32], stem="imagenet", in_ch=3,
                        classes=5, side=64, batch=2),
    "resnet8": dict(block="basic", layers=[1, 1, 1], widths=[4, 8, 16], stem="small", in_ch=1, classes=5, side=16,
                    batch=4),
}


def build(spec, seed):
    """The model of `spec` with torch's default initialization, then random BatchNorm affine
    parameters and running statistics (so that a folding or loading error shows in the logits),
    each residual branch's last BatchNorm scaled down (deep nets stay well conditioned)."""
    torch.manual_seed(seed)
    block = BasicBlock if spec["block"] == "basic" else Bottleneck
    model = SmallResNet(block, spec["layers"], spec["widths"], spec["stem"], spec["in_ch"], spec["classes"])
    last = "bn2" if block is BasicBlock else "bn3"
    with torch.no_grad():
        for i, (name, module) in enumerate(model.named_modules()):
            if isinstance(module, nn.BatchNorm2d):
                if name.endswith(last):
                    module.weight.uniform_(0.2, 0.5)
                else:
                    module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
                module.running_mean.normal_(0, 0.2)
                module.running_var.uniform_(0.5, 2.0)
                module.num_batches_tracked.fill_(100 + i)
    return model.eval()


def architecture(name, spec):
    """The model as a Transferscope ResNetConfiguration (JSON)."""
    return json.dumps(dict(name=name, block=spec["block"], blocksPerStage=spec["layers"], widths=spec["widths"],
                           stem=spec["stem"], stemWidth=spec["widths"][0], inputChannels=spec["in_ch"],
                           classes=spec["classes"]))


def plain(state_dict):
    """A state dict as contiguous tensors, for safetensors."""
    return {k: v.contiguous() for k, v in state_dict.items()}


def write_model(name, spec, seed):
    model = build(spec, seed)
    sd = model.state_dict()
    torch.save(sd, os.path.join(HERE, name + ".pth"))
    save_file(plain(sd), os.path.join(HERE, name + ".safetensors"))
    generator = torch.Generator().manual_seed(seed + 1)
    x = torch.randn(spec["batch"], spec["in_ch"], spec["side"], spec["side"], generator=generator)
    with torch.no_grad():
        logits = model(x)
    meta = {k: json.dumps(spec[k]) if isinstance(spec[k], list) else str(spec[k])
            for k in ("block", "layers", "widths", "stem", "in_ch", "classes", "side")}
    meta["architecture"] = architecture(name, spec)
    meta["torch"] = torch.__version__
    save_file({"input": x.contiguous(), "logits": logits.contiguous()},
              os.path.join(HERE, name + ".expected.safetensors"), metadata=meta)
    return model


def write_resnet8_variants(model):
    sd = model.state_dict()
    torch.save(collections.OrderedDict(("module." + k, v) for k, v in sd.items()),
               os.path.join(HERE, "resnet8-module-prefix.pth"))
    missing = collections.OrderedDict(sd)
    del missing["layer2.0.bn1.running_var"]
    torch.save(missing, os.path.join(HERE, "resnet8-missing-key.pth"))
    channels_last = model.to(memory_format=torch.channels_last).state_dict()
    assert not channels_last["layer1.0.conv1.weight"].is_contiguous(), "channels_last did not change the strides"
    assert channels_last["layer1.0.conv1.weight"].stride() != sd["layer1.0.conv1.weight"].contiguous().stride()
    torch.save(channels_last, os.path.join(HERE, "resnet8-channels-last.pth"))
    model.to(memory_format=torch.contiguous_format)
    torch.save({"epoch": 3, "state_dict": sd, "best_acc": 0.5}, os.path.join(HERE, "resnet8-checkpoint.pth"))
    half = collections.OrderedDict((k, v.half() if v.is_floating_point() else v) for k, v in sd.items())
    torch.save(half, os.path.join(HERE, "resnet8-half.pth"))
    save_file({k: (v.float() if v.is_floating_point() else v).contiguous() for k, v in half.items()},
              os.path.join(HERE, "resnet8-half.safetensors"))
    with open(os.path.join(HERE, "resnet8-legacy.pth"), "wb") as f:
        torch.save(sd, f, _use_new_zipfile_serialization=False)


def write_dtypes():
    generator = torch.Generator().manual_seed(7)
    base = torch.randn(4, 6, generator=generator)
    tensors = collections.OrderedDict([
        ("float16", torch.tensor([0.0, -0.0, 1.0, -2.5, 65504.0, 6e-8, 1e-5, 0.1, float("inf"), -float("inf")],
                                 dtype=torch.float16)),
        ("bfloat16", (torch.randn(3, 5, generator=generator) * 100).bfloat16()),
        ("float64", torch.randn(2, 2, 3, generator=generator, dtype=torch.float64)),
        ("int64", torch.tensor([-2 ** 63, -1, 0, 1, 2 ** 63 - 1], dtype=torch.int64)),
        ("int32", torch.tensor([-2 ** 31, -7, 2 ** 31 - 1], dtype=torch.int32)),
        ("int16", torch.tensor([-2 ** 15, 300, 2 ** 15 - 1], dtype=torch.int16)),
        ("int8", torch.tensor([-128, -1, 127], dtype=torch.int8)),
        ("uint8", torch.tensor([0, 200, 255], dtype=torch.uint8)),
        ("bool", torch.tensor([True, False, True])),
        ("scalar", torch.tensor(3.5)),
        ("empty", torch.zeros(0, 3)),
        # Views of one storage: all, transposed (strides (1, 6)), a block at offset 8, and a
        # stride-0 broadcast of another.
        ("shared", base),
        ("transposed", base.t()),
        ("view_offset", base[1:3, 2:5]),
        ("expanded", torch.arange(3.0).expand(4, 3)),
        # An nn.Parameter pickles through torch._utils._rebuild_parameter.
        ("parameter", nn.Parameter(torch.tensor([[1.5, -2.0]]))),
    ])
    assert tensors["view_offset"].storage_offset() == 8 and tensors["transposed"].stride() == (1, 6)
    assert tensors["expanded"].stride() == (0, 1)
    torch.save(tensors, os.path.join(HERE, "dtypes.pth"))
    save_file({k: (v.float() if v.is_floating_point() else v.long()).detach().contiguous() for k, v in tensors.items()},
              os.path.join(HERE, "dtypes.safetensors"))


def write_hostile():
    """A zip laid out as torch.save's, whose pickle is `os.system("touch MARKER")`."""
    command = f"touch {MARKER}".encode()
    pickle = (b"\x80\x02" + b"cos\nsystem\nq\x00" + b"X" + struct.pack("<I", len(command)) + command
              + b"q\x01\x85q\x02R.")
    path = os.path.join(HERE, "hostile-os-system.pth")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in (("data.pkl", pickle), ("byteorder", b"little"), ("version", b"3\n")):
            archive.writestr(zipfile.ZipInfo("hostile-os-system/" + name, date_time=(2020, 1, 1, 0, 0, 0)), data)
    if os.path.exists(MARKER):
        os.remove(MARKER)
    try:
        torch.load(path, weights_only=True)
        sys.exit("torch.load(weights_only=True) accepted the hostile file")
    except Exception as error:  # torch's own weights-only unpickler refuses it as well
        assert "os.system" in str(error) or "system" in str(error), error
    assert not os.path.exists(MARKER)


def check():
    """torch reads back every file it wrote, with weights_only=True."""
    for name in os.listdir(HERE):
        if name.endswith(".pth") and not name.startswith("hostile"):
            torch.load(os.path.join(HERE, name), weights_only=True)


if __name__ == "__main__":
    torch.set_num_threads(1)
    models = {name: write_model(name, spec, seed=200 + i) for i, (name, spec) in enumerate(MODELS.items())}
    write_resnet8_variants(models["resnet8"])
    write_dtypes()
    write_hostile()
    check()
    for name in sorted(os.listdir(HERE)):
        if not name.endswith(".py"):
            size = os.path.getsize(os.path.join(HERE, name))
            assert size < 600_000, f"{name} has {size} bytes; keep fixtures small"
            print(f"{name}: {size} bytes")
