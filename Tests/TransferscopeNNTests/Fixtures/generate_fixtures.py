#!/usr/bin/env python3
"""Writes the PyTorch parity fixtures the Swift tests compare against, and checks that
checkpoints written by Transferscope load into PyTorch/torchvision models with the same logits.

Run by hand (CI never runs it), from the repository root:

    pip install torch torchvision safetensors
    swift build -c release --product transferscope
    python3 Tests/TransferscopeNNTests/Fixtures/generate_fixtures.py [--swift .build/release/transferscope]

Each fixture `<name>.safetensors` holds, in PyTorch layouts (NCHW images, OIHW conv weights):
  init.<key>        the model's initial state dict
  input, labels     a batch (labels as I64); input1/labels1, input2/labels2 for later steps
  train.logits      train-mode logits on `input` from the initial weights; train.loss the mean CE
  grad.<param>      d(loss)/d(param) of that forward pass
  step1.<key>       the state dict after one SGD step (running statistics included)
  step3.<key>       after two more steps on (input1, labels1), (input2, labels2)
  eval.logits       eval-mode logits on `input` from the step-3 state
  ref64.<key>       the float64 computation of every train./grad./step1./step3./eval. tensor
                    (stored as float32)
and metadata with the architecture (for the Swift side), the SGD settings, and `float32_spread`:
per such tensor, the largest norm-wise relative error against float64 among PyTorch's own
float32 runs (the one above, and 16 with inputs, weights and every layer's sums jittered by
their rounding error, see `run_steps`). Where a
ReLU input sits near zero or a max-pool window near a tie, summation order alone moves float32
results by about that much, so the Swift tests bound their error against float64 by a multiple
of it rather than by a fixed tolerance against one float32 run.
"""
import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from torchvision.models import resnet18, resnet50
from torchvision.models.resnet import BasicBlock, Bottleneck

HERE = os.path.dirname(os.path.abspath(__file__))


class ResNet(nn.Module):
    """torchvision's ResNet with configurable widths, stages and stem; same module names."""

    def __init__(self, block, layers, widths, stem, in_ch=3, classes=10):
        super().__init__()
        self.inplanes = widths[0]
        k, s = (3, 1) if stem == "small" else (7, 2)
        self.conv1 = nn.Conv2d(in_ch, self.inplanes, k, s, k // 2, bias=False)
        self.bn1 = nn.BatchNorm2d(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1) if stem == "imagenet" else nn.Identity()
        for i, (n, w) in enumerate(zip(layers, widths)):
            setattr(self, f"layer{i + 1}", self._make_layer(block, w, n, 1 if i == 0 else 2))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(self.inplanes, classes)
        for m in self.modules():  # torchvision's initialization
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        self.stages = len(layers)

    def _make_layer(self, block, planes, blocks, stride):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes * block.expansion, 1, stride, bias=False),
                nn.BatchNorm2d(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for i in range(self.stages):
            x = getattr(self, f"layer{i + 1}")(x)
        return self.fc(torch.flatten(self.avgpool(x), 1))


# name -> (torch constructor args, the Swift ResNetConfiguration as JSON, batch, side, SGD settings)
MODELS = {
    "resnet20": dict(
        block=BasicBlock, layers=[3, 3, 3], widths=[16, 32, 64], stem="small",
        swift=dict(name="resnet20", block="basic", blocksPerStage=[3, 3, 3], widths=[16, 32, 64],
                   stem="small", stemWidth=16, inputChannels=3, classes=10),
        batch=8, side=16, sgd=dict(lr=0.1, momentum=0.9, weight_decay=5e-3, nesterov=False)),
    "resnet18-w8": dict(
        block=BasicBlock, layers=[2, 2, 2, 2], widths=[8, 16, 32, 64], stem="imagenet",
        swift=dict(name="resnet18", block="basic", blocksPerStage=[2, 2, 2, 2], widths=[8, 16, 32, 64],
                   stem="imagenet", stemWidth=8, inputChannels=3, classes=10),
        batch=6, side=64, sgd=dict(lr=0.05, momentum=0.9, weight_decay=1e-4, nesterov=False)),
    "resnet50-w8": dict(
        block=Bottleneck, layers=[3, 4, 6, 3], widths=[8, 16, 32, 64], stem="imagenet",
        swift=dict(name="resnet50", block="bottleneck", blocksPerStage=[3, 4, 6, 3], widths=[8, 16, 32, 64],
                   stem="imagenet", stemWidth=8, inputChannels=3, classes=7),
        batch=16, side=64, sgd=dict(lr=0.005, momentum=0.9, weight_decay=1e-4, nesterov=True)),
}


def run_steps(model, batches, sgd, dtype=torch.float32, perturb=None):
    """Three SGD steps of a copy of `model` in `dtype`; the tensors the fixture records.

    `perturb` (a generator) gives another float32 computation of the same math: inputs, weights
    and every convolution's and linear layer's output scaled by 1 + 2^-24 u (u ~ N(0, 1) per
    element), i.e. by about one rounding each. Its disagreement with float64 measures how well
    conditioned each tensor is. (Scaling the outputs by sqrt(fan_in) roundings instead, the
    random-walk size of a dot product's error, made the spread 100x wider than any float32 path
    we have measured: the tolerances lost their power.) (Channels-last
    runs are not used: in torch 2.15 CPU they part from float64 by 3e-2 after three steps of
    resnet20, where contiguous float32 stays within 4e-6.)
    """
    model = copy.deepcopy(model).to(dtype)

    def jitter(t):
        return t if perturb is None else t * (1 + 2.0 ** -24 * torch.randn(t.shape, generator=perturb, dtype=t.dtype))

    with torch.no_grad():
        for p in model.parameters():
            p.copy_(jitter(p))
    if perturb is not None:
        def summation_error(module, inputs, output):
            return output * (1 + 2.0 ** -24 * torch.randn(output.shape, generator=perturb, dtype=output.dtype))
        for module in model.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                module.register_forward_hook(summation_error)
    out = {}
    opt = torch.optim.SGD(model.parameters(), **sgd)
    model.train()
    for i, (x, y) in enumerate(batches):
        x = jitter(x.to(dtype))
        opt.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        loss.backward()
        if i == 0:
            out["train.logits"], out["train.loss"] = logits.detach().clone(), loss.detach().reshape(1).clone()
            for k, p in model.named_parameters():
                out["grad." + k] = p.grad.detach().clone()
        opt.step()
        if i in (0, 2):
            for k, v in model.state_dict().items():
                out[f"step{i + 1}." + k] = v.clone()
    model.eval()
    with torch.no_grad():
        out["eval.logits"] = model(batches[0][0].to(dtype)).clone()
    return {k: v.contiguous() for k, v in out.items()}


def max_pool_near_ties(model, x, gap=1e-4):
    """Images of batch x whose stem max-pool has a window with its two largest (positive) inputs
    within `gap`, computed in float64 with batch statistics as in training.

    A max pool routes the gradient to its window's maximum: with two inputs that close, any other
    summation order (e.g. OpenBLAS's non-FMA Prescott kernels) may pick the other one, moving
    the stem's gradients by ~5e-3, which no tolerance short of that can tell from a bug."""
    if isinstance(model.maxpool, nn.Identity):
        return []
    m = copy.deepcopy(model).double().train()
    with torch.no_grad():
        a = m.relu(m.bn1(m.conv1(x.double())))
    windows = F.pad(a, (1, 1, 1, 1), value=-1.0).unfold(2, 3, 2).unfold(3, 3, 2).flatten(-2)
    top = windows.topk(2, dim=-1).values
    close = (top[..., 0] > 0) & (top[..., 0] - top[..., 1] < gap)
    return close.flatten(1).any(dim=1).nonzero().flatten().tolist()


def relative_error(a, b):
    return ((a.double() - b.double()).norm() / b.double().norm().clamp_min(1e-30)).item()


def make_fixture(name, spec, seed):
    torch.manual_seed(seed)
    cfg = spec["swift"]
    model = ResNet(spec["block"], spec["layers"], spec["widths"], spec["stem"], cfg["inputChannels"], cfg["classes"])
    # Non-trivial BatchNorm affine parameters, so their gradients are tested in general position.
    # Each residual branch's last BatchNorm starts small, so that deep nets stay well conditioned
    # (a 16-block bottleneck net otherwise trains chaotically: float32 and float64 PyTorch part ways).
    with torch.no_grad():
        for name_, m in model.named_modules():
            if isinstance(m, nn.BatchNorm2d):
                last = name_.endswith("bn3") or (name_.endswith("bn2") and spec["block"] is BasicBlock)
                m.weight.uniform_(0.1, 0.3) if last and spec["block"] is Bottleneck else m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    out = {}
    for k, v in model.state_dict().items():
        out["init." + k] = v.clone()
    n, side, c = spec["batch"], spec["side"], cfg["inputChannels"]
    batches = [(torch.randn(n, c, side, side), torch.randint(0, cfg["classes"], (n,))) for _ in range(3)]
    # The single-step gradients are compared at ~1e-4, so the first batch is kept clear of max-pool
    # near-ties (redrawing the images that have one; batch statistics couple them, hence the loop).
    for attempt in range(200):
        tied = max_pool_near_ties(model, batches[0][0])
        if not tied:
            break
        batches[0][0][tied] = torch.randn(len(tied), c, side, side)
    else:
        sys.exit(f"{name}: could not draw a batch without max-pool near-ties")
    for i, (x, y) in enumerate(batches):
        suffix = "" if i == 0 else str(i)
        out["input" + suffix], out["labels" + suffix] = x, y.to(torch.int64)
    float32 = run_steps(model, batches, spec["sgd"])
    out.update(float32)
    # The float64 reference of every recorded tensor, and how far float32 itself strays from
    # it: the worst of PyTorch's float32 runs (as above, and 16 times with rounding-level jitter).
    # The spread is bimodal: most runs stay within ~1e-6, but a jitter (or another summation order)
    # that flips a near-zero ReLU input or a near-tie of max pooling moves some gradients and
    # step-3 tensors by up to ~1e-2, so several
    # jittered runs are needed to see how far float32 can honestly go.
    # Multi-step parity is judged against these, not against one float32 summation order.
    reference = run_steps(model, batches, spec["sgd"], dtype=torch.float64)
    variants = [float32] + [run_steps(model, batches, spec["sgd"], perturb=torch.Generator().manual_seed(seed + j))
                            for j in range(1000, 17000, 1000)]
    spread = {}
    for k, v in reference.items():
        if v.is_floating_point():
            out["ref64." + k] = v.float()
            spread[k] = max(relative_error(variant[k], v) for variant in variants)
    meta = {"architecture": json.dumps(cfg), "sgd": json.dumps(spec["sgd"]), "torch": torch.__version__,
            "float32_spread": json.dumps(spread)}
    path = os.path.join(HERE, name + ".safetensors")
    save_file({k: v.contiguous() for k, v in out.items()}, path, metadata=meta)
    worst = max(spread, key=spread.get)
    print(f"wrote {path} ({os.path.getsize(path) / 1e6:.1f} MB); float32 vs float64: "
          f"worst {spread[worst]:.1e} ({worst}), median {sorted(spread.values())[len(spread) // 2]:.1e}")


def check_interop(binary):
    """Transferscope writes checkpoints and logits; PyTorch loads them strictly and agrees."""
    with tempfile.TemporaryDirectory() as tmp:
        torch.manual_seed(0)
        x = torch.randn(4, 3, 32, 32)
        inp = os.path.join(tmp, "input.safetensors")
        save_file({"input": x}, inp)
        cases = [("resnet18", lambda: resnet18(num_classes=10), []),
                 ("resnet50", lambda: resnet50(num_classes=10), []),
                 ("resnet20", lambda: ResNet(BasicBlock, [3, 3, 3], [16, 32, 64], "small"), [])]
        for arch, build, extra in cases:
            ckpt, logits = os.path.join(tmp, arch + ".safetensors"), os.path.join(tmp, arch + ".logits.safetensors")
            subprocess.run([binary, "model", "init", arch, "--seed", "7", "--out", ckpt] + extra, check=True)
            subprocess.run([binary, "model", "forward", ckpt, "--input", inp, "--out", logits], check=True)
            model = build()
            model.load_state_dict(load_file(ckpt), strict=True)
            model.eval()
            with torch.no_grad():
                ours, theirs = load_file(logits)["logits"], model(x)
            err = ((ours - theirs).norm() / theirs.norm()).item()
            print(f"interop {arch}: strict load ok, eval logits relative error {err:.2e}")
            assert err < 1e-4, f"{arch}: logits differ ({err})"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--swift", help="path to a built transferscope binary, to check checkpoint interop")
    args = parser.parse_args()
    torch.set_num_threads(1)
    for i, (name, spec) in enumerate(MODELS.items()):
        make_fixture(name, spec, seed=100 + i)
    if args.swift:
        check_interop(args.swift)
