"""Writes the hostile inputs of battery.sh into a directory.

usage: python gen_inputs.py OUTDIR GOOD_CHECKPOINT
Called by battery.sh (kept next to it).
"""
import json
import os
import struct
import sys

import numpy as np

out, good = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)


def p(name):
    return os.path.join(out, name)


# ---------------------------------------------------------------- safetensors
def read_st(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    return json.loads(b[8:8 + n]), bytearray(b[8 + n:])


def write_st(path, header, data, header_len=None):
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    n = len(h) if header_len is None else header_len
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", n) + h + bytes(data))


HEADER, DATA = read_st(good)
META = HEADER["__metadata__"]
ARCH = json.loads(META["transferscope.architecture"])


def variant(name, arch=None, meta=None, drop_meta=()):
    h = json.loads(json.dumps(HEADER))
    m = h["__metadata__"]
    if arch is not None:
        a = dict(ARCH)
        a.update(arch)
        m["transferscope.architecture"] = json.dumps(a)
    for k, v in (meta or {}).items():
        m[k] = v
    for k in drop_meta:
        m.pop(k, None)
    write_st(p(name), h, DATA)


def norm(mean, std):
    # raw text so that NaN/Infinity can be written
    return '{"mean":[%s],"standardDeviation":[%s]}' % (",".join(mean), ",".join(std))


# architecture metadata
variant("m_negwidth.st", arch={"widths": [-4, 8, 16]})
variant("m_negclasses.st", arch={"classes": -3})
variant("m_zeroclasses.st", arch={"classes": 0})
variant("m_hugeclasses.st", arch={"classes": 2 ** 40})
variant("m_zeroblocks.st", arch={"blocksPerStage": [0, 0, 0]})
variant("m_hugeblocks.st", arch={"blocksPerStage": [2 ** 62, 1, 1]})
variant("m_hugewidth.st", arch={"widths": [10 ** 9, 8, 16]})
variant("m_stagemismatch.st", arch={"blocksPerStage": [1, 1], "widths": [4, 8, 16]})
variant("m_emptywidths.st", arch={"blocksPerStage": [], "widths": []})
variant("m_negstem.st", arch={"stemWidth": -4})
variant("m_inch0.st", arch={"inputChannels": 0})
variant("m_badblock.st", arch={"block": "weird"})
variant("m_archnotjson.st", meta={"transferscope.architecture": "{not json"})
variant("m_noarch.st", drop_meta=["transferscope.architecture"])
# input shape metadata
variant("m_shape_chmismatch.st", meta={"transferscope.input_shape": "[8,8,3]"})
variant("m_shape_side0.st", meta={"transferscope.input_shape": "[0,0,1]"})
variant("m_shape_sideneg.st", meta={"transferscope.input_shape": "[-8,-8,1]"})
variant("m_shape_sidehuge.st", meta={"transferscope.input_shape": "[1000000000,1000000000,1]"})
variant("m_shape_ch0.st", meta={"transferscope.input_shape": "[8,8,0]"})
variant("m_noshape.st", drop_meta=["transferscope.input_shape"])
# normalization metadata
variant("m_norm_std0.st", meta={"transferscope.normalization": norm(["0.3"], ["0"])})
variant("m_norm_stdneg.st", meta={"transferscope.normalization": norm(["0.3"], ["-1"])})
variant("m_norm_stdtiny.st", meta={"transferscope.normalization": norm(["0.3"], ["1e-45"])})
variant("m_norm_3ch.st", meta={"transferscope.normalization": norm(["0.1", "0.2", "0.3"], ["1", "1", "1"])})
variant("m_norm_0ch.st", meta={"transferscope.normalization": norm([], [])})
variant("m_norm_nan.st", meta={"transferscope.normalization": norm(["NaN"], ["NaN"])})
variant("m_norm_inf.st", meta={"transferscope.normalization": norm(["0.3"], ["1e999"])})
variant("m_norm_strnan.st", meta={"transferscope.normalization": '{"mean":["nan"],"standardDeviation":["inf"]}'})
variant("m_norm_garbage.st", meta={"transferscope.normalization": "garbage"})


# tensor contents
def tensor_variant(name, tensor, fn):
    info = HEADER[tensor]
    b, e = info["data_offsets"]
    d = bytearray(DATA)
    arr = np.frombuffer(bytes(d[b:e]), dtype="<f4").copy()
    fn(arr)
    d[b:e] = arr.astype("<f4").tobytes()
    write_st(p(name), HEADER, d)


tensor_variant("t_nan.st", "conv1.weight", lambda a: a.__setitem__(3, np.nan))
tensor_variant("t_inf.st", "conv1.weight", lambda a: a.__setitem__(3, np.inf))
tensor_variant("t_allnan.st", "fc.weight", lambda a: a.fill(np.nan))
tensor_variant("t_negvar.st", "bn1.running_var", lambda a: a.fill(-1.0))
tensor_variant("t_nanvar.st", "bn1.running_var", lambda a: a.__setitem__(0, np.nan))

# structural
raw = open(good, "rb").read()
open(p("s_trunc.st"), "wb").write(raw[: len(raw) // 2])
open(p("s_trunc_hdr.st"), "wb").write(raw[:20])
open(p("s_empty.st"), "wb").write(b"")
open(p("s_7bytes.st"), "wb").write(b"\x01\x02\x03\x04\x05\x06\x07")
open(p("s_hdrhuge.st"), "wb").write(struct.pack("<Q", 2 ** 63 - 1) + raw[8:])
open(p("s_hdrffff.st"), "wb").write(b"\xff" * 8 + raw[8:])
open(p("s_hdr99m.st"), "wb").write(struct.pack("<Q", 99_999_999) + raw[8:])
open(p("s_notjson.st"), "wb").write(struct.pack("<Q", 16) + b"this is not json" + b"\0" * 64)
open(p("s_jsonarray.st"), "wb").write(struct.pack("<Q", 8) + b"[1,2,3] " + b"\0" * 64)


def struct_variant(name, edit, data=None):
    h = json.loads(json.dumps(HEADER))
    edit(h)
    write_st(p(name), h, DATA if data is None else data)


def set_tensor(h, tensor, **kw):
    h[tensor].update(kw)


fcb = HEADER["fc.bias"]["data_offsets"]
# product of the shape wraps to 0 (2^32 * 2^32 * 16 = 2^68 -> 0): zero bytes, "valid"
struct_variant("s_shapeovf.st", lambda h: set_tensor(h, "fc.bias", shape=[2 ** 32, 2 ** 32, 16], data_offsets=[fcb[0], fcb[0]]))
# product fits Int but *4 bytes overflows
struct_variant("s_shapeovf2.st", lambda h: set_tensor(h, "fc.bias", shape=[2 ** 61]))
struct_variant("s_shapeovf3.st", lambda h: set_tensor(h, "fc.bias", shape=[3074457345618258603, 3]))
struct_variant("s_shapeneg.st", lambda h: set_tensor(h, "fc.bias", shape=[-10]))
struct_variant("s_shapefloat.st", lambda h: set_tensor(h, "fc.bias", shape=[10.5]))
struct_variant("s_offbeyond.st", lambda h: set_tensor(h, "fc.bias", data_offsets=[fcb[0], fcb[0] + 10 ** 9]))
struct_variant("s_offhuge.st", lambda h: set_tensor(h, "fc.bias", data_offsets=[2 ** 70, 2 ** 70 + 40]))
struct_variant("s_offneg.st", lambda h: set_tensor(h, "fc.bias", data_offsets=[-40, 0]))
struct_variant("s_offrev.st", lambda h: set_tensor(h, "fc.bias", data_offsets=[fcb[1], fcb[0]]))
c1 = HEADER["conv1.weight"]["data_offsets"]
struct_variant("s_overlap.st", lambda h: set_tensor(h, "fc.bias", data_offsets=[c1[0], c1[0] + (fcb[1] - fcb[0])]))
struct_variant("s_dtype.st", lambda h: set_tensor(h, "fc.bias", dtype="Q9"))
struct_variant("s_dtypef16.st", lambda h: set_tensor(h, "fc.bias", dtype="F16", shape=[20]))
struct_variant("s_dtypenum.st", lambda h: set_tensor(h, "fc.bias", dtype=7))
struct_variant("s_missing.st", lambda h: h.pop("fc.bias"))
struct_variant("s_extra.st", lambda h: h.__setitem__("bogus.weight", dict(HEADER["fc.bias"])))
struct_variant("s_wrongshape.st", lambda h: set_tensor(h, "fc.bias", shape=[5, 2]))
struct_variant("s_metaint.st", lambda h: h["__metadata__"].__setitem__("transferscope.seed", 7))
struct_variant("s_metalist.st", lambda h: h.__setitem__("__metadata__", [1, 2]))
struct_variant("s_i64bn.st", lambda h: set_tensor(h, "bn1.num_batches_tracked", dtype="U8", shape=[8]))


# ---------------------------------------------------------------- IDX
def idx(name, dims, payload, typ=0x08):
    with open(p(name), "wb") as f:
        f.write(bytes([0, 0, typ, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + payload)


rng = np.random.default_rng(0)
img = rng.integers(0, 256, size=(40, 8, 8), dtype=np.uint8)
lbl = (np.arange(40) % 4).astype(np.uint8)
idx("idx_img.idx", [40, 8, 8], img.tobytes())
idx("idx_lbl.idx", [40], lbl.tobytes())
idx("idx_ovf.idx", [0xFFFFFFFF] * 4, b"\0" * 16)
idx("idx_ovf3.idx", [0xFFFFFFFF] * 3, b"\0" * 16)
idx("idx_zero.idx", [40, 0, 0], b"")
idx("idx_zeroN.idx", [0, 8, 8], b"")
idx("idx_lbl0.idx", [0], b"")
idx("idx_img10.idx", [10, 8, 8], img[:10].tobytes())
idx("idx_lbl255.idx", [10], bytes([255] * 10))
idx("idx_lbl1class.idx", [40], bytes(40))
idx("idx_lbl39.idx", [39], lbl[:39].tobytes())
open(p("idx_trunc.idx"), "wb").write(open(p("idx_img.idx"), "rb").read()[:-100])
open(p("idx_trunchdr.idx"), "wb").write(b"\0\0\x08\x03\0\0")
idx("idx_4d_c2.idx", [40, 8, 8, 2], rng.integers(0, 256, size=40 * 128, dtype=np.uint8).tobytes())
idx("idx_1x1.idx", [40, 1, 1], bytes(40))
idx("idx_float.idx", [40, 8, 8], b"\0" * 40 * 64 * 4, typ=0x0D)
idx("idx_ndim0.idx", [], b"")

# ---------------------------------------------------------------- NPY
fimg = rng.random((40, 8, 8), dtype=np.float32)
np.save(p("npy_img.npy"), (fimg * 255).astype(np.uint8))
np.save(p("npy_lbl.npy"), lbl.astype(np.int64))


def npy_raw(name, header_dict_text, payload, header_len=None):
    h = header_dict_text.encode("latin1")
    total = 10 + len(h) + 1
    h += b" " * ((64 - total % 64) % 64) + b"\n"
    n = len(h) if header_len is None else header_len
    with open(p(name), "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", n) + h + payload)


npy_raw("npy_shapeovf.npy", "{'descr': '|u1', 'fortran_order': False, 'shape': (4294967295, 4294967295, 4294967295, 4294967295), }", b"\0" * 16)
npy_raw("npy_shapeovf2.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2305843009213693952, 1, 1), }", b"\0" * 16)
npy_raw("npy_shapehuge.npy", "{'descr': '|u1', 'fortran_order': False, 'shape': (99999999999999999999999, 8, 8), }", b"\0" * 16)
np.save(p("npy_zero.npy"), np.zeros((40, 0, 0), np.uint8))
a = fimg.copy(); a[5, 3, 3] = np.nan
np.save(p("npy_nanlater.npy"), a)
a = fimg.copy(); a[0, 0, 0] = np.nan
np.save(p("npy_nanfirst.npy"), a)
a = fimg.copy(); a[7, 1, 1] = np.inf
np.save(p("npy_inf.npy"), a)
a = fimg.copy(); a[7, 1, 1] = -0.5
np.save(p("npy_negf.npy"), a)
l = lbl.astype(np.int64).copy(); l[3] = 2 ** 40
np.save(p("npy_lbl2p40.npy"), l)
l = lbl.astype(np.int64).copy(); l[3] = -1
np.save(p("npy_lblneg.npy"), l)
l = lbl.astype(np.int64).copy(); l[3] = 16711680
np.save(p("npy_lbl16m.npy"), l)
l = lbl.astype(np.uint64).copy(); l[3] = 2 ** 64 - 1
np.save(p("npy_lblu64max.npy"), l)
np.save(p("npy_lblfloat.npy"), lbl.astype(np.float32))
npy_raw("npy_hdrhuge.npy", "{'descr': '|u1', 'fortran_order': False, 'shape': (40, 8, 8), }", b"\0" * 2560, header_len=65535)
np.save(p("npy_fortran.npy"), np.asfortranarray((fimg * 255).astype(np.uint8)))
np.save(p("npy_bigendian.npy"), lbl.astype(">i8"))
npy_raw("npy_noshape.npy", "{'descr': '|u1', 'fortran_order': False, }", b"\0" * 16)
with open(p("npy_v2hdrhuge.npy"), "wb") as f:
    f.write(b"\x93NUMPY\x02\x00" + struct.pack("<I", 0xFFFFFFF0) + b"{'descr': '|u1'}")
open(p("npy_trunc.npy"), "wb").write(open(p("npy_img.npy"), "rb").read()[:-50])

# ---------------------------------------------------------------- CSV
def csv(name, rows):
    with open(p(name), "w") as f:
        f.write("".join(r + "\n" for r in rows))


def good_rows(n=40):
    return [",".join(["7"] * 64 + [str(i % 4)]) for i in range(n)]


csv("csv_good.csv", good_rows())
r = good_rows(); r[3] = ",".join(["12345678901234567890"] + ["7"] * 63 + ["1"])
csv("csv_20digit.csv", r)
r = good_rows(); r[3] = ",".join(["7"] * 64 + ["99999999999999999999"])
csv("csv_20digitlabel.csv", r)
r = good_rows(); r[3] = ",".join(["7"] * 64 + [str(2 ** 40)])
csv("csv_label2p40.csv", r)
r = good_rows(); r[3] = ",".join(["7"] * 64 + ["-1"])
csv("csv_labelneg.csv", r)
r = good_rows(); r[3] = ",".join(["-7"] + ["7"] * 63 + ["1"])
csv("csv_negpixel.csv", r)
r = good_rows(); r[3] = ",".join(["7"] * 60 + ["1"])
csv("csv_ragged.csv", r)
open(p("csv_empty.csv"), "w").close()
csv("csv_header.csv", [",".join(["p%d" % i for i in range(64)] + ["label"])])
csv("csv_1col.csv", [str(i % 4) for i in range(40)])
csv("csv_minus.csv", [",".join(["-"] * 64 + ["1"])] + good_rows())

# ---------------------------------------------------------------- image folder with odd content
os.makedirs(p("folder_bad/a"), exist_ok=True)
os.makedirs(p("folder_bad/b"), exist_ok=True)
open(p("folder_bad/a/x.png"), "wb").write(b"\x89PNG\r\n\x1a\n" + b"\0" * 30)
open(p("folder_bad/b/y.jpg"), "wb").write(b"\xff\xd8\xff" + b"\0" * 30)
os.makedirs(p("folder_empty/a"), exist_ok=True)
os.makedirs(p("folder_empty/b"), exist_ok=True)
print("generated", len(os.listdir(out)), "inputs in", out)
