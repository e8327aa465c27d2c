#!/usr/bin/env python3
"""Writes what `Benchmarks/imported-model.sh` measures with: a torchvision ResNet saved with
torch.save(model.state_dict()) (torchvision's own class and initialization; no pre-trained weights
are downloaded, so this runs offline), a second initialization as an earlier checkpoint, and an ImageFolder of JPEG photos of any size and aspect
(shapes of three kinds, drawn at random: ellipse, rectangle, triangle) to fine-tune it on.

    python3 Benchmarks/imported_model_data.py OUT [--model resnet50] [--per-class 40]
"""
import argparse
import os
import random

import torch
import torchvision
from PIL import Image, ImageDraw


def draw(kind, rng):
    width, height = rng.randint(256, 512), rng.randint(256, 512)
    background = tuple(rng.randint(0, 255) for _ in range(3))
    image = Image.new("RGB", (width, height), background)
    pen = ImageDraw.Draw(image)
    for _ in range(rng.randint(1, 3)):
        size = rng.randint(min(width, height) // 5, min(width, height) // 2)
        x, y = rng.randint(0, width - size), rng.randint(0, height - size)
        colour = tuple(rng.randint(0, 255) for _ in range(3))
        if kind == "ellipse":
            pen.ellipse([x, y, x + size, y + size], fill=colour)
        elif kind == "rectangle":
            pen.rectangle([x, y, x + size, y + size // 2], fill=colour)
        else:
            pen.polygon([(x, y + size), (x + size, y + size), (x + size // 2, y)], fill=colour)
    return image


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--model", default="resnet50", choices=["resnet18", "resnet34", "resnet50"])
    parser.add_argument("--per-class", type=int, default=40)
    args = parser.parse_args()
    torch.manual_seed(0)
    os.makedirs(args.out, exist_ok=True)
    model = getattr(torchvision.models, args.model)()
    torch.save(model.state_dict(), os.path.join(args.out, f"{args.model}.pth"))
    # Another initialization stands in for an earlier source checkpoint (the checkpoint choice).
    torch.manual_seed(1)
    earlier = getattr(torchvision.models, args.model)()
    torch.save(earlier.state_dict(), os.path.join(args.out, f"{args.model}-epoch0.pth"))
    rng = random.Random(0)
    for split, count in [("train", args.per_class), ("test", args.per_class // 2)]:
        for kind in ["ellipse", "rectangle", "triangle"]:
            folder = os.path.join(args.out, "shapes", split, kind)
            os.makedirs(folder, exist_ok=True)
            for i in range(count):
                draw(kind, rng).save(os.path.join(folder, f"{i:04d}.jpg"), quality=90)
    print(f"wrote {args.out}/{args.model}.pth, {args.model}-epoch0.pth and shapes/ (train/test, 3 classes)")


if __name__ == "__main__":
    main()
