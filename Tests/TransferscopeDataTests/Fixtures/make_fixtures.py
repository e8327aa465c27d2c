"""Writes the small data-format fixtures the TransferscopeData tests read.

Run from this folder: "$(bash ../../../scripts/python-env.sh numpy pillow)" make_fixtures.py
Every file is tiny and deterministic; the expected values are spelled out in the tests.
"""
import gzip
import io
import pickle
import struct

import numpy as np
from PIL import Image

# 6 images of 4x5 (H x W), pixel value = 10 * image + row * 5 + column; labels 0,1,2,0,1,2.
images = np.array([[[10 * n + 5 * y + x for x in range(5)] for y in range(4)] for n in range(6)], dtype=np.uint8)
labels = np.array([0, 1, 2, 0, 1, 2], dtype=np.uint8)


def idx(array):
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + b"".join(struct.pack(">I", d) for d in array.shape)
    return header + array.tobytes()


open("images-idx3-ubyte", "wb").write(idx(images))
with gzip.GzipFile("labels-idx1-ubyte.gz", "wb", mtime=0) as f:
    f.write(idx(labels))

np.save("images_u8.npy", images)
np.save("images_f32.npy", images.astype(np.float32) / 255.0)
np.save("labels_i64.npy", labels.astype(np.int64))
np.save("images_fortran.npy", np.asfortranarray(images.astype(np.uint8).reshape(6, 20)).reshape(6, 4, 5, order="F"))

# CSV: 2x2 images, pixels then label, with a header row.
with gzip.GzipFile("pixels.csv.gz", "wb", mtime=0) as f:
    f.write(b"p0,p1,p2,p3,label\n0,64,128,255,1\n255,128,64,0,0\n10,20,30,40,1\n")

# A numpy array pickled as animal-mnist ships them (protocol 4, gzipped).
with gzip.GzipFile("array.pkl.gz", "wb", mtime=0) as f:
    f.write(pickle.dumps(images, protocol=4))
with gzip.GzipFile("labels.pkl.gz", "wb", mtime=0) as f:
    f.write(pickle.dumps(labels.astype(np.int64), protocol=4))

# PNGs: RGBA with a transparent pixel, gray, palette; and a gray JPEG.
rgba = np.zeros((2, 3, 4), dtype=np.uint8)
rgba[0, 0] = [255, 0, 0, 255]
rgba[0, 1] = [0, 255, 0, 255]
rgba[0, 2] = [0, 0, 255, 255]
rgba[1, 0] = [10, 20, 30, 0]  # fully transparent -> white over white
rgba[1, 1] = [0, 0, 0, 128]  # half transparent black -> gray 127
rgba[1, 2] = [200, 100, 50, 255]
Image.fromarray(rgba, "RGBA").save("rgba.png")
Image.fromarray(np.array([[0, 100], [200, 255]], dtype=np.uint8), "L").save("gray.png")
Image.fromarray(rgba[:, :, :3], "RGB").convert("P", palette=Image.ADAPTIVE, colors=8).save("palette.png")
Image.fromarray(np.full((8, 8), 128, dtype=np.uint8), "L").save("gray.jpg", quality=95)
