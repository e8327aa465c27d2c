"""Writes the seed corpus of the fuzz targets (Sources/TransferscopeFuzzing): one folder per
target with small valid files of every variant the readers accept. Run from the repository root:

    "$(bash scripts/python-env.sh numpy safetensors)" Tests/FuzzCorpus/make_corpus.py --cli .build/debug/transferscope

Needs numpy and safetensors (scripts/python-env.sh installs them). The checkpoint comes from a one-epoch `train` run of a tiny
ResNet, so it carries the metadata Transferscope writes (architecture, input shape, normalization).
The pth seeds need torch and torchvision as well; `--pth-only` writes them alone (no --cli needed):

    "$(bash scripts/python-env.sh torch torchvision safetensors)" Tests/FuzzCorpus/make_corpus.py --pth-only
"""
import argparse, gzip, io, os, pickle, shutil, struct, subprocess, tempfile

import numpy as np
from safetensors.numpy import save_file

root = os.path.dirname(os.path.abspath(__file__))


def folder(name):
    path = os.path.join(root, name)
    os.makedirs(path, exist_ok=True)
    return path


def idx(array):
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def npy(array, version=(1, 0)):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, version=version)
    return buffer.getvalue()


def pth(out):
    """torch.save files of the fuzz target's own small model (resnet8, widths 2/2/2, 1 channel,
    2 classes): plain, channels_last, float16 and inside a training checkpoint with an optimizer;
    and a dict of views (transposed, offset, stride 0) and other dtypes."""
    import collections
    import sys

    import torch
    sys.dont_write_bytecode = True
    sys.path.insert(0, os.path.join(root, "..", "TransferscopeCheckpointsTests", "Fixtures"))
    from generate_pytorch_fixtures import build

    model = build(dict(block="basic", layers=[1, 1, 1], widths=[2, 2, 2], stem="small", in_ch=1, classes=2), seed=0)
    sd = model.state_dict()
    torch.save(sd, os.path.join(out, "resnet8-w2.pth"))
    torch.save(collections.OrderedDict((k, v.half() if v.is_floating_point() else v) for k, v in sd.items()),
               os.path.join(out, "resnet8-w2-half.pth"))
    optimizer = {"state": {0: {"momentum_buffer": torch.zeros(2)}}, "param_groups": [{"lr": 0.1, "params": [0, 1]}]}
    torch.save({"epoch": 1, "state_dict": sd, "optimizer": optimizer, "arch": "resnet8"},
               os.path.join(out, "checkpoint.pth"))
    torch.save(model.to(memory_format=torch.channels_last).state_dict(), os.path.join(out, "resnet8-w2-channels-last.pth"))
    base = torch.arange(6.0).reshape(2, 3)
    torch.save({"t": base.t(), "v": base[1:, 1:], "e": torch.arange(2.0).expand(3, 2), "b": torch.tensor([True, False]),
                "h": torch.ones(2, dtype=torch.bfloat16), "d": torch.ones(2, dtype=torch.float64),
                "i": torch.tensor([1, -2], dtype=torch.int32)}, os.path.join(out, "views.pth"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cli", help="the transferscope binary (needed unless --pth-only)")
    parser.add_argument("--pth-only", action="store_true", help="write only the pth seeds (needs torch, torchvision)")
    args = parser.parse_args()
    if args.pth_only:
        return pth(folder("pth"))
    if not args.cli:
        parser.error("--cli is required (the safetensors seeds come from a train run)")
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(6, 4, 4), dtype=np.uint8)
    labels = np.array([0, 1, 2, 0, 1, 2], dtype=np.uint8)

    out = folder("idx")
    open(os.path.join(out, "images-idx3"), "wb").write(idx(images))
    open(os.path.join(out, "labels-idx1"), "wb").write(idx(labels))
    open(os.path.join(out, "rgb-idx4"), "wb").write(idx(rng.integers(0, 256, size=(2, 3, 3, 3), dtype=np.uint8)))

    out = folder("npy")
    open(os.path.join(out, "images-u1.npy"), "wb").write(npy(images))
    open(os.path.join(out, "images-f4-unit.npy"), "wb").write(npy((images / 255).astype(np.float32)[..., None]))
    open(os.path.join(out, "images-f4-255-v2.npy"), "wb").write(npy(images.astype(np.float32), version=(2, 0)))
    open(os.path.join(out, "labels-i8.npy"), "wb").write(npy(labels.astype(np.int64)))
    open(os.path.join(out, "labels-u2.npy"), "wb").write(npy(labels.astype(np.uint16)))

    out = folder("csv")
    rows = ["p0,p1,p2,p3,label"] + [",".join(map(str, list(images[i].reshape(-1)[:4]) + [labels[i]])) for i in range(6)]
    open(os.path.join(out, "header.csv"), "w").write("\n".join(rows) + "\n")
    rows = [",".join(map(str, list(images[i].reshape(-1)) + [labels[i]])) for i in range(6)]
    open(os.path.join(out, "plain-4x4.csv"), "w").write("\r\n".join(rows) + "\r\n")

    out = folder("pickle")
    for protocol in (3, 4):
        open(os.path.join(out, f"images-p{protocol}.pkl"), "wb").write(pickle.dumps(images, protocol=protocol))
        open(os.path.join(out, f"labels-p{protocol}.pkl"), "wb").write(pickle.dumps(labels.astype(np.int64), protocol=protocol))

    out = folder("safetensors")
    save_file({"images": images[..., None], "labels": labels.astype(np.int64)}, os.path.join(out, "dataset-cache.safetensors"),
              metadata={"transferscope.classes": '["a","b","c"]', "transferscope.dataset": "fuzz"})
    with tempfile.TemporaryDirectory() as run:
        subprocess.run([args.cli, "train", "--data", "procedural:side=8,train=32,test=16,classes=2", "--model", "resnet8",
                        "--widths", "2,2,2", "--epochs", "1", "--batch-size", "16", "--train-eval-size", "0",
                        "--out", run], check=True, stdout=subprocess.DEVNULL)
        shutil.copy(os.path.join(run, "final.safetensors"), os.path.join(out, "checkpoint.safetensors"))

    out = folder("study")
    studies = os.path.join(root, "..", "..", "studies")
    for name in ("quick.yaml", "paper.yaml"):
        shutil.copy(os.path.join(studies, name), os.path.join(out, name))
    open(os.path.join(out, "every-key.yaml"), "w").write(
        "name: every-key\n"
        "source: {data: procedural, model: resnet8, widths: [4, 8, 16], subsample: 100, epochs: 2, batch_size: 16, lr: 0.1,\n"
        "         schedule: step, milestones: [1], momentum: 0.9, weight_decay: 0.0001, flip: false, checkpoint_epochs: [0, 1, 2]}\n"
        "targets:\n  - procedural:shift=0.5\n  - {data: procedural:shift=1, per_class: 10, subsample: 20, flip: true}\n"
        "recipe: {epochs: 2, batch_size: 16, pt_lr: 0.01, rit_lr: 0.1, momentum: 0.9, weight_decay: 0.0005}\n"
        "seeds: [0, 1]\n"
        "analyses:\n  shuffle: {block_sizes: [8, 2], pixel: true, epochs: 1, seeds: [0]}\n  mistakes: true\n  distances: true\n"
        "  cka: {every_block: true, images: 64, kernel: rbf, bandwidth: 0.5, debiased: true}\n"
        "  interpolation: {points: 5, bn: reestimate, train_images: 32, bn_batches: 1}\n"
        "  criticality: {alphas: 3, sigmas: [0.5, 1], samples: 1, tolerance: 0.05, train_images: 32}\n"
        "  checkpoints: {source_epochs: [0, 2], epochs: 1}\n")

    pth(folder("pth"))


if __name__ == "__main__":
    main()
