#!/usr/bin/env python3
"""The PyTorch peer of TransferscopeBenchmarks: the identical models, measured the same way.

usage: pytorch_peer.py MODEL MODE [--batch N] [--threads 2] [--seconds 10]
       pytorch_peer.py machine gemm   (sgemm 1024^3 through torch.mm, one thread and --threads)
MODEL: resnet20 | resnet18 (CIFAR-style, 3x32x32, batch 128)
     | resnet18-224 | resnet50-224 (torchvision's, 1000 classes, 3x224x224, batch 32)
Prints one JSON line. Channels-last (PyTorch's faster CPU layout here), after warm-up.
"""
import argparse
import json
import os
import resource
import time
from typing import Callable, NamedTuple

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torchvision.models.resnet import BasicBlock


class ResNet(nn.Module):
    """torchvision-style ResNet with a 3x3 stem and no max pool (as Transferscope's `small` stem)."""

    def __init__(self, layers, widths, classes=10):
        super().__init__()
        self.inplanes = widths[0]
        self.conv1 = nn.Conv2d(3, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.layers = nn.Sequential(*[self._make_layer(w, n, 1 if i == 0 else 2) for i, (n, w) in enumerate(zip(layers, widths))])
        self.fc = nn.Linear(self.inplanes, classes)

    def _make_layer(self, planes, blocks, stride):
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(nn.Conv2d(self.inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
        layers = [BasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        layers += [BasicBlock(planes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.layers(self.relu(self.bn1(self.conv1(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class Model(NamedTuple):
    """A model the benchmark measures, as TransferscopeBenchmarks' `BenchmarkModel`: how to build it,
    the side of its square 3-channel images, its batch unless --batch gives another, the untimed
    warm-up steps and the fewest timed steps however short --seconds is."""
    build: Callable[[], nn.Module]
    side: int
    batch: int
    warm_up_steps: int = 2
    minimum_steps: int = 3


MODELS = {
    "resnet20": Model(lambda: ResNet([3, 3, 3], [16, 32, 64]), 32, 128),
    "resnet18": Model(lambda: ResNet([2, 2, 2, 2], [64, 128, 256, 512]), 32, 128),
    "resnet18-224": Model(torchvision.models.resnet18, 224, 32, warm_up_steps=1, minimum_steps=2),
    "resnet50-224": Model(torchvision.models.resnet50, 224, 32, warm_up_steps=1, minimum_steps=2),
}


def gemm_gflops(threads, n=1024, rounds=3):
    """sgemm n^3 through torch.mm on `threads` threads, best of `rounds` after a warm-up."""
    torch.set_num_threads(threads)
    a, b = torch.randn(n, n), torch.randn(n, n)
    best = 0.0
    for _ in range(rounds + 1):
        start = time.perf_counter()
        torch.mm(a, b)
        best = max(best, 2 * n ** 3 / (time.perf_counter() - start) / 1e9)
    return best


def isa():
    """The widest vectors this run's kernels may use: ATEN_CPU_CAPABILITY=avx2 (with
    ONEDNN_MAX_CPU_ISA=AVX2 for oneDNN) holds PyTorch to AVX2, as TRANSFERSCOPE_NO_AVX512=1 does ours."""
    capability = os.environ.get("ATEN_CPU_CAPABILITY") or torch.backends.cpu.get_cpu_capability()
    return "avx512" if "512" in capability.lower() else "avx2"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model", choices=list(MODELS) + ["machine"])
    p.add_argument("mode", choices=["train", "forward", "gemm"])
    p.add_argument("--batch", type=int, help="default: the model's own (32 at 224, 128 at 32)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seconds", type=float, default=10)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    if a.mode == "gemm":
        print(json.dumps({"engine": "pytorch", "torch": torch.__version__, "model": "machine", "mode": "gemm",
                          "threads": a.threads, "sgemm_gflops": gemm_gflops(1), "sgemm_gflops_all": gemm_gflops(a.threads)},
                         sort_keys=True))
        return
    definition = MODELS[a.model]
    batch = a.batch or definition.batch
    model = definition.build().to(memory_format=torch.channels_last)
    x = torch.randn(batch, 3, definition.side, definition.side).to(memory_format=torch.channels_last)
    y = torch.arange(batch) % model.fc.out_features
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)

    def step():
        if a.mode == "train":
            opt.zero_grad(set_to_none=False)
            F.cross_entropy(model(x), y).backward()
            opt.step()
        else:
            with torch.no_grad():
                model(x)

    model.train(a.mode == "train")
    for _ in range(definition.warm_up_steps):
        step()
    steps, start = 0, time.perf_counter()
    while True:
        step()
        steps += 1
        elapsed = time.perf_counter() - start
        if elapsed >= a.seconds and steps >= definition.minimum_steps:
            break
    print(json.dumps({"engine": "pytorch", "torch": torch.__version__, "model": a.model, "mode": a.mode,
                      "batch": batch, "side": definition.side, "threads": a.threads,
                      "images_per_second": steps * batch / elapsed,
                      "isa": isa(),
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "steps": steps},
                     sort_keys=True))


if __name__ == "__main__":
    main()
