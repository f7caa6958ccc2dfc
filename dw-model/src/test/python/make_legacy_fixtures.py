"""Fixtures for reading PyTorch's legacy (pre-1.6, non-zip) weight files, made with Debian's python3-torch 1.13.

Run from the repository root:  /usr/bin/python3 dw-model/src/test/python/make_legacy_fixtures.py
The outputs in dw-model/src/test/resources/fixtures/ are committed; the tests never run Python.

torch.load reads two legacy layouts, and torchvision's V1 ImageNet files use the older one:
* the tar layout of PyTorch <= 0.1.9 (members sys_info, pickle, tensors, storages). resnet18-5c106cde.pth and
  resnet50-19c8e357.pth are such tar files (torch.load of them fails from a BytesIO, which skips the tar path:
  pytorch/pytorch#61817, pytorch/vision#2068; yolact_edge#141 lists the members). PyTorch 1.13 no longer writes it,
  so write_tar() below writes it as the old torch.save did, with Python 2's pickle opcodes (8-bit strings, text INT
  for pointer-sized keys, OrderedDict pickled from a list of pairs), and torch.load checks the result;
* the "magic number" layout of PyTorch 0.1.10-1.5, still written by torch.save(..., _use_new_zipfile_serialization=False).

Files: a ResNet-50 state dict of base width 4 with torchvision's names and no num_batches_tracked (as in the V1 files),
in the tar, magic-number and zip layouts, with the SHA-256 of every tensor's bytes as torch.load returns them; two
small files (one per legacy layout) with several dtypes, shared storages, views with offsets and storage views; two
hostile legacy files (never loaded here).
"""
import hashlib
import io
import json
import os
import struct
import sys
import tarfile
from collections import OrderedDict

import torch
import torch.nn as nn
import torchvision

sys.path.insert(0, os.path.dirname(__file__))
from make_fixtures import ResNet50  # noqa: E402  (the same architecture as dw-model's ResNet at a small width)

OUT = os.path.join(os.path.dirname(__file__), "..", "resources", "fixtures")
MAGIC_NUMBER = 0x1950a86a20f9469cfc6c
PROTOCOL_VERSION = 1001


class Py2Type:
    """A class reference as a Python 2 pickle writes it (GLOBAL module name)."""

    def __init__(self, module, name):
        self.module, self.name = module, name


class Py2Pickler:
    """Protocol-2 opcodes as Python 2.7's cPickle wrote them for the types a 2017 torch.save met."""

    def __init__(self, persistent_id=lambda o: None):
        self.out = io.BytesIO()
        self.memo = {}
        self.persistent_id = persistent_id

    def dumps(self, obj):
        self.out.write(b"\x80\x02")
        self.save(obj)
        self.out.write(b".")
        return self.out.getvalue()

    def put(self, key):
        idx = len(self.memo)
        self.memo[key] = idx
        self.out.write(b"q" + bytes([idx]) if idx < 256 else b"r" + struct.pack("<I", idx))

    def save(self, obj):
        w = self.out.write
        pid = self.persistent_id(obj)
        if pid is not None:
            self.save(pid)
            w(b"Q")
        elif obj is None:
            w(b"N")
        elif obj is True or obj is False:
            w(b"\x88" if obj else b"\x89")
        elif isinstance(obj, int):
            if 0 <= obj <= 0xff:
                w(b"K" + bytes([obj]))
            elif 0 <= obj <= 0xffff:
                w(b"M" + struct.pack("<H", obj))
            elif -2 ** 31 <= obj < 2 ** 31:
                w(b"J" + struct.pack("<i", obj))
            elif -2 ** 63 <= obj < 2 ** 63:
                w(b"I" + str(obj).encode() + b"\n")          # Python 2 int beyond 32 bits: text INT
            else:
                n = (obj.bit_length() + 8) // 8
                w(b"\x8a" + bytes([n]) + obj.to_bytes(n, "little", signed=True))
        elif isinstance(obj, float):
            w(b"G" + struct.pack(">d", obj))
        elif isinstance(obj, str):                           # a Python 2 str: 8-bit string opcodes
            key = ("str", obj)
            if key in self.memo:
                self.get(key)
                return
            b = obj.encode("utf-8")
            w(b"U" + bytes([len(b)]) + b if len(b) < 256 else b"T" + struct.pack("<i", len(b)) + b)
            self.put(key)
        elif isinstance(obj, Py2Type):
            w(b"c" + obj.module.encode() + b"\n" + obj.name.encode() + b"\n")
            self.put(("type", obj.module, obj.name))
        elif isinstance(obj, tuple):
            if len(obj) == 0:
                w(b")")
                return
            if len(obj) > 3:
                w(b"(")
            for v in obj:
                self.save(v)
            w(b"t" if len(obj) > 3 else bytes([0x84 + len(obj)]))
            self.put(("id", id(obj)))
        elif isinstance(obj, list):
            w(b"]")
            self.put(("id", id(obj)))
            if obj:
                w(b"(")
                for v in obj:
                    self.save(v)
                w(b"e")
        elif isinstance(obj, OrderedDict):
            # Python 2.7's OrderedDict.__reduce__: (OrderedDict, ([[key, value], ...],))
            self.save(Py2Type("collections", "OrderedDict"))
            self.save(([[k, v] for k, v in obj.items()],))
            w(b"R")
            self.put(("id", id(obj)))
        elif isinstance(obj, dict):
            w(b"}")
            self.put(("id", id(obj)))
            if obj:
                w(b"(")
                for k, v in obj.items():
                    self.save(k)
                    self.save(v)
                w(b"u")
        else:
            raise TypeError(type(obj))

    def get(self, key):
        idx = self.memo[key]
        self.out.write(b"h" + bytes([idx]) if idx < 256 else b"j" + struct.pack("<I", idx))


def py2_dumps(obj, persistent_id=lambda o: None):
    return Py2Pickler(persistent_id).dumps(obj)


STORAGE_NAMES = {torch.float32: "FloatStorage", torch.float64: "DoubleStorage", torch.float16: "HalfStorage",
                 torch.int64: "LongStorage", torch.int32: "IntStorage", torch.uint8: "ByteStorage"}


def write_tar(path, obj, views=(), cuda=()):
    """The tar layout of torch.save in PyTorch <= 0.1.9 for a dict of tensors. Every distinct tensor storage is one
    storage record; `views` = (tensor, root tensor, element offset, numel) adds storage views (a view storage over a
    part of a root storage, which old PyTorch could save); tensors in `cuda` are recorded as saved from the GPU."""
    cuda_ids = {id(t) for t in cuda}
    cuda_keys = set()
    next_ptr = [0x7f3a5c000000]

    def ptr():
        next_ptr[0] += 0x1c40          # pointer-like keys (> 2**31: Python 2 pickles them as text INT)
        return next_ptr[0]

    storages = OrderedDict()           # data_ptr of the root -> (key, tensor of the whole storage)
    tensors = OrderedDict()            # key -> (tensor, storage key, storage offset relative to that storage)
    view_storages = {}                 # id(tensor) -> (key, root key, offset, numel)
    tensor_keys = {}

    def storage_key(t):
        st = t.storage()
        if st.data_ptr() not in storages:
            storages[st.data_ptr()] = (ptr(), torch.tensor([], dtype=t.dtype).set_(st))
            if id(t) in cuda_ids:
                cuda_keys.add(storages[st.data_ptr()][0])
        return storages[st.data_ptr()][0]

    for t, root, offset, numel in views:
        view_storages[id(t)] = (ptr(), storage_key(root), offset, numel)

    def persistent_id(o):
        if isinstance(o, torch.Tensor):
            if id(o) not in tensor_keys:
                key = ptr()
                tensor_keys[id(o)] = key
                if id(o) in view_storages:
                    vkey, _, voff, _ = view_storages[id(o)]
                    tensors[key] = (o, vkey, o.storage_offset() - voff)
                else:
                    tensors[key] = (o, storage_key(o), o.storage_offset())
                if id(o) in cuda_ids:
                    cuda_keys.add(key)
            return str(tensor_keys[id(o)])
        return None

    sys_info = py2_dumps({"protocol_version": PROTOCOL_VERSION, "little_endian": True,
                          "type_sizes": {"short": 2, "int": 4, "long": 8}})
    pickle = py2_dumps(obj, persistent_id)
    tbuf = io.BytesIO()
    tbuf.write(py2_dumps(len(tensors)))
    for key, (t, skey, off) in tensors.items():
        loc = "cuda:0" if key in cuda_keys else "cpu"
        ttype = Py2Type("torch.cuda" if loc.startswith("cuda") else "torch",
                        STORAGE_NAMES[t.dtype].replace("Storage", "Tensor"))
        tbuf.write(py2_dumps((key, skey, ttype)))
        tbuf.write(struct.pack("<ii", t.dim(), 0))
        tbuf.write(struct.pack("<%dq" % t.dim(), *t.shape))
        tbuf.write(struct.pack("<%dq" % t.dim(), *t.stride()))
        tbuf.write(struct.pack("<q", off))
    sbuf = io.BytesIO()
    sbuf.write(py2_dumps(len(storages)))
    for key, whole in storages.values():
        loc = "cuda:0" if key in cuda_keys else "cpu"
        sbuf.write(py2_dumps((key, loc, Py2Type("torch", STORAGE_NAMES[whole.dtype]))))
        sbuf.write(struct.pack("<q", whole.numel()))
        sbuf.write(whole.numpy().tobytes() if whole.dtype != torch.float16 else whole.view(torch.int16).numpy().tobytes())
    sbuf.write(py2_dumps([tuple(v) for v in view_storages.values()]))
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in (("sys_info", sys_info), ("pickle", pickle), ("tensors", tbuf.getvalue()),
                           ("storages", sbuf.getvalue())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1484947542.521    # a float mtime: tarfile writes a pax header before the member, as in 2017
            info.mode = 0o644
            info.uname = info.gname = "user"
            tar.addfile(info, io.BytesIO(data))


def tensor_bytes(t):
    t = t.contiguous()
    return (t.view(torch.int16) if t.dtype in (torch.float16, torch.bfloat16) else t).numpy().tobytes()


def summary(sd):
    return OrderedDict((k, {"dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape),
                            "sha256": hashlib.sha256(tensor_bytes(v)).hexdigest()}) for k, v in sd.items())


def resnet50_width4():
    gen = torch.Generator().manual_seed(19)
    net = ResNet50(4)
    net.fc = nn.Linear(128, 10)        # torchvision's fc is 1000 × 2048; any shape does, it is ignored
    sd = OrderedDict()
    for name, v in net.state_dict().items():
        if name.endswith("num_batches_tracked"):
            continue                   # the V1 files predate these buffers
        if name.endswith("running_var"):
            sd[name] = 0.5 + torch.rand(v.shape, generator=gen)
        else:
            sd[name] = torch.randn(v.shape, generator=gen) * 0.1
    reference = [k for k in torchvision.models.resnet50().state_dict() if not k.endswith("num_batches_tracked")]
    assert list(sd) == reference, "names differ from torchvision's resnet50"
    return sd


def check_same(a, b, what):
    assert list(a) == list(b), what
    for k in a:
        assert a[k].dtype == b[k].dtype and a[k].shape == b[k].shape and torch.equal(a[k], b[k]), (what, k)


def backbone_files():
    sd = resnet50_width4()
    paths = {"tar": "tv_r50_w4_legacy_tar.pth", "magic": "tv_r50_w4_legacy.pth", "zip": "tv_r50_w4_zip.pth"}
    write_tar(os.path.join(OUT, paths["tar"]), sd)
    torch.save(sd, os.path.join(OUT, paths["magic"]), _use_new_zipfile_serialization=False)
    torch.save(sd, os.path.join(OUT, paths["zip"]))
    loaded = {k: torch.load(os.path.join(OUT, p)) for k, p in paths.items()}
    for k, v in loaded.items():
        check_same(sd, v, k)
    with open(os.path.join(OUT, "tv_r50_w4.json"), "w") as f:
        json.dump(summary(loaded["tar"]), f, indent=0)


def values(v):
    if isinstance(v, torch.Tensor):
        return {"dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape), "stride": list(v.stride()),
                "offset": v.storage_offset(), "values": v.double().flatten().tolist() if v.dtype != torch.int64
                else v.flatten().tolist()}
    if isinstance(v, dict):
        return OrderedDict((k, values(x)) for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return [values(x) for x in v]
    return v


def kitchen():
    base = torch.arange(12, dtype=torch.float32) * 0.5 - 1.0
    big = torch.tensor([-(2 ** 40), 7, 2 ** 62], dtype=torch.int64)
    obj = OrderedDict()
    obj["f64"] = torch.tensor([[1e-300, -2.5], [3.25, 1e300]], dtype=torch.float64)
    obj["i64"] = big
    obj["i64_tail"] = big[1:]                                  # same storage, offset 1
    obj["f16"] = torch.tensor([0.5, -1.0, 65504.0], dtype=torch.float16)
    obj["u8"] = torch.tensor([0, 255, 17], dtype=torch.uint8)
    obj["i32"] = torch.tensor([-3, 2 ** 31 - 1], dtype=torch.int32)
    obj["base"] = base
    obj["view_offset"] = base[3:9].view(2, 3)                  # offset 3 into base's storage
    obj["view_t"] = base.view(3, 4).t()                        # strides (1, 4)
    obj["scalar"] = torch.tensor(3.25)
    obj["nested"] = {"list": [1, "two", 3.0, None, True], "big_int": 2 ** 40, "neg": -5, "name": "gr\u00fc\u00dfe"}
    magic = os.path.join(OUT, "legacy_kitchen.pth")
    torch.save(obj, magic, _use_new_zipfile_serialization=False)

    # The tar layout adds a storage view (old PyTorch's storage slices): "in_view" lives in a view storage that
    # starts 4 elements into base's storage; and a storage saved from the GPU.
    tar_obj = OrderedDict(obj)
    tar_obj["in_view"] = base[5:8]                             # offset 5 = view start 4 + 1 inside the view
    tar_obj["cuda_saved"] = torch.tensor([7.5, -0.25])
    tar = os.path.join(OUT, "legacy_kitchen_tar.pth")
    write_tar(tar, tar_obj, views=[(tar_obj["in_view"], base, 4, 6)], cuda=[tar_obj["cuda_saved"]])

    expected = {"magic": values(torch.load(magic)), "tar": values(torch.load(tar, map_location="cpu"))}
    check_same(OrderedDict((k, v) for k, v in obj.items() if k != "nested"),
               OrderedDict((k, v) for k, v in torch.load(magic).items() if k != "nested"), "kitchen magic")
    loaded_tar = torch.load(tar, map_location="cpu")
    check_same(OrderedDict((k, v) for k, v in tar_obj.items() if k != "nested"),
               OrderedDict((k, v) for k, v in loaded_tar.items() if k != "nested"), "kitchen tar")
    assert loaded_tar["in_view"].storage().size() == 6, "in_view should live in the 6-element view storage"
    assert loaded_tar["nested"] == obj["nested"]
    with open(os.path.join(OUT, "legacy_kitchen.json"), "w") as f:
        json.dump(expected, f, indent=1)


def hostile():
    """Legacy files that reference globals outside the allow-list. Never loaded: only the Java reader reads them."""
    header = b"".join(py2_dumps(x) for x in (MAGIC_NUMBER, PROTOCOL_VERSION,
                                              {"protocol_version": PROTOCOL_VERSION, "little_endian": True}))
    main = b"\x80\x02cos\nsystem\nq\x00X\x04\x00\x00\x00trueq\x01\x85q\x02Rq\x03."
    with open(os.path.join(OUT, "hostile_legacy_os_system.pth"), "wb") as f:
        f.write(header + main + py2_dumps([]))
    with tarfile.open(os.path.join(OUT, "hostile_legacy_tar_eval.pth"), "w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in (("sys_info", py2_dumps({"protocol_version": PROTOCOL_VERSION, "little_endian": True})),
                           ("pickle", b"\x80\x02cbuiltins\neval\nq\x00U\x031+1q\x01\x85q\x02Rq\x03."),
                           ("tensors", py2_dumps(0)), ("storages", py2_dumps(0) + py2_dumps([]))):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    backbone_files()
    kitchen()
    hostile()
    for name in sorted(os.listdir(OUT)):
        if "legacy" in name or name.startswith("tv_r50_w4"):
            print(name, os.path.getsize(os.path.join(OUT, name)))
