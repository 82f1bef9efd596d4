"""Read hiddendim datasets from Python, with numpy and PIL only.

    from hiddendim_data import open_dataset
    ds = open_dataset("data/shapes", "train")   # png, npz or tar: manifest.json says which
    ex = ds[0]                                   # the record's fields; images as PIL images

`open_dataset` reads DIR/manifest.json and returns a dataset of the split in
its format. Every dataset has `len(ds)` and `ds[i]`, a dict holding the
sample's record (as in samples.jsonl) with each image and mask feature
replaced by a `PIL.Image.Image` (`numpy.asarray(ex["image"])` is H x W x 3
uint8; masks are one channel, 16-bit for webpages' instance mask). Also:

    ds.record(i)        the record alone, a dict, as the Go reader returns it
    ds.image(i, rel)    a PIL image of a file the record names (e.g. a part)
    ds.file(i, rel)     that file's bytes (e.g. a page's HTML)
    ds.features         the manifest's feature declarations
    ds.manifest         the whole manifest

In npz folders the record is rebuilt from the arrays, as the Go reader does:
labels as their vocabulary strings, no file paths or ids. Samples are read
when asked for; opening a split reads only an index (the line offsets of
samples.jsonl, the member headers of the tar files, the array headers of
data.npz) and keeps nothing else in memory. A tar record writes whole
floats as 0.0 where samples.jsonl writes 0: the values are the same.

The tar format is WebDataset's: members KEY.EXT grouped by the sample key,
the sample's id. `tar_member` maps a record's png-layout path to its member
name, the rule the Go writer follows (see generators/tar.go).

The module needs Python 3.8+, numpy and Pillow (Debian: python3-numpy,
python3-pil). It is tested from Go (python/loader_test.go) against a
generated dataset of every format.
"""

import io
import json
import os
import re
import struct
import tarfile
import zipfile

import numpy as np
from PIL import Image

__all__ = ["open_dataset", "read_manifest", "tar_member", "PNGDataset", "NPZDataset", "TarDataset"]

_IMAGE_KINDS = ("image", "mask")


def read_manifest(root):
    """Return the manifest of the dataset folder root, a dict.

    A folder without manifest.json is not a dataset, or its generation did
    not finish: that raises FileNotFoundError saying so.
    """
    path = os.path.join(root, "manifest.json")
    if not os.path.exists(path):
        raise FileNotFoundError(
            "%s has no manifest.json: it is not a hiddendim dataset, or its generation did not finish" % root)
    with open(path, "rb") as f:
        return json.load(f)


def open_dataset(root, split=None):
    """Open a split (default: the first) of the dataset folder root.

    The manifest's format picks the class: PNGDataset, NPZDataset or
    TarDataset. An unknown split raises KeyError naming the splits there are.
    """
    manifest = read_manifest(root)
    if split is None:
        split = manifest["split_order"][0]
    if split not in manifest["splits"]:
        raise KeyError("%s has no split %r; it has %s" % (root, split, ", ".join(manifest["split_order"])))
    fmt = manifest.get("format", "png")
    classes = {"png": PNGDataset, "npz": NPZDataset, "tar": TarDataset}
    if fmt not in classes:
        raise ValueError("%s: format %r; this module reads png, npz and tar" % (root, fmt))
    return classes[fmt](root, split, manifest)


def sample_id(index, total):
    """Return the id of sample index in a split of total samples: the index,
    zero-padded to at least 6 digits, as wide as the split's last index."""
    width = max(6, len(str(max(total - 1, 0))))
    return "%0*d" % (width, index)


def tar_member(sample, field, rel):
    """Return the tar member name of a sample's file: sample is its id, field
    the record field that names the file, rel its path in the png layout.

    "images/000123.png" in field image is 000123.png; another field's file
    is KEY.FIELD.EXT (000123.mask.png), without FIELD when it equals the
    extension (000123.html); a name going on after the id adds that rest
    (parts/000123_0.png is 000123.parts.0.png), any byte of it but a letter,
    digit, _ or - made _, so that the key, all before the first dot, is the id.
    """
    base = rel.rsplit("/", 1)[-1]
    stem, dot, ext = base.rpartition(".")
    if not dot:  # no extension
        stem, ext = base, ""
    if stem.startswith(sample):
        rest = stem[len(sample):].lstrip("_-.")
    else:
        rest = stem
    name = sample
    if field != "image" and field != ext:
        name += "." + field
    if rest:
        name += "." + re.sub(r"[^A-Za-z0-9_-]", "_", rest)
    if ext:
        name += "." + ext
    return name


class Dataset:
    """A split of a dataset folder: len(ds), ds[i] and the methods below.

    Not for direct use: open_dataset returns the subclass of the folder's
    format. Reading is not safe from several threads at once; give each
    DataLoader worker its own (they are cheap to open).
    """

    def __init__(self, root, split, manifest):
        self.root = root
        self.split = split
        self.manifest = manifest
        self.features = manifest["features"]
        info = manifest["splits"][split]
        self.first = info.get("first", 0)
        self.total = info.get("total", info["count"])
        self._count = info["count"]
        self.dir = os.path.join(root, split)

    def __len__(self):
        return self._count

    def _pos(self, i):
        if not isinstance(i, (int, np.integer)):
            raise TypeError("sample index must be an int, not %s" % type(i).__name__)
        i = int(i)
        if i < 0:
            i += self._count
        if not 0 <= i < self._count:
            raise IndexError("sample %d of a split of %d" % (i, self._count))
        return i

    def __getitem__(self, i):
        rec = dict(self.record(i))
        for f in self.features:
            if f["kind"] in _IMAGE_KINDS:
                rec[f["name"]] = self._feature_image(self._pos(i), f, rec)
        return rec

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def image(self, i, rel):
        """Return a PIL image of the file at rel, a path the record names."""
        img = Image.open(io.BytesIO(self.file(i, rel)))
        img.load()
        return img

    def __repr__(self):
        return "<%s %s %s split %r: %d samples>" % (
            type(self).__name__, self.manifest["dataset"], self.manifest["version"], self.split, len(self))


class PNGDataset(Dataset):
    """A split in format png: samples.jsonl plus one PNG per image."""

    def __init__(self, root, split, manifest):
        super().__init__(root, split, manifest)
        self._offsets = []
        with open(os.path.join(self.dir, "samples.jsonl"), "rb") as f:
            off = 0
            for line in f:
                self._offsets.append(off)
                off += len(line)
        if len(self._offsets) != self._count:
            raise ValueError("%s/samples.jsonl holds %d samples, the manifest says %d"
                             % (self.dir, len(self._offsets), self._count))
        self._jsonl = None

    def record(self, i):
        i = self._pos(i)
        if self._jsonl is None:
            self._jsonl = open(os.path.join(self.dir, "samples.jsonl"), "rb")
        self._jsonl.seek(self._offsets[i])
        return json.loads(self._jsonl.readline())

    def file(self, i, rel):
        self._pos(i)
        path = os.path.normpath(os.path.join(self.dir, rel))
        if not path.startswith(os.path.normpath(self.dir) + os.sep):
            raise ValueError("path %r leaves the split folder" % rel)
        with open(path, "rb") as f:
            return f.read()

    def _feature_image(self, i, f, rec):
        return self.image(i, rec[f["name"]])


class TarDataset(Dataset):
    """A split in format tar: WebDataset shards shard-000000.tar, …"""

    def __init__(self, root, split, manifest):
        super().__init__(root, split, manifest)
        per = manifest.get("shard_samples", 0)
        if per <= 0:
            raise ValueError("%s: format tar, but shard_samples is %r" % (root, per))
        self._members = []  # per sample: {name: (file, offset, size)}
        self._keys = []  # per sample: its key
        self._files = []  # per sample: its tar file
        if self._count:
            for k in range(self.first // per, (self.first + self._count - 1) // per + 1):
                name = "shard-%06d.tar" % k
                with tarfile.open(os.path.join(self.dir, name), "r:") as tf:
                    for m in tf:
                        if not m.isfile():
                            raise ValueError("%s/%s: %s is not a regular file" % (self.dir, name, m.name))
                        key = m.name.split(".", 1)[0]
                        if not self._members or self._keys[-1] != key or self._files[-1] != name:
                            self._members.append({})
                            self._keys.append(key)
                            self._files.append(name)
                        self._members[-1][m.name] = (name, m.offset_data, m.size)
        for pos, key in enumerate(self._keys):
            want = sample_id(self.first + pos, self.total)
            if key != want:
                raise ValueError("%s/%s: sample %r where sample %s belongs" % (self.dir, self._files[pos], key, want))
        if len(self._members) != self._count:
            raise ValueError("%s: the tar files hold %d samples, the manifest says %d"
                             % (self.dir, len(self._members), self._count))
        self._open = {}

    def member(self, i, name):
        """Return the bytes of member name (e.g. "000123.mask.png") of sample i."""
        i = self._pos(i)
        try:
            shard, off, size = self._members[i][name]
        except KeyError:
            raise KeyError("sample %s has no member %s; it has %s"
                           % (self._keys[i], name, ", ".join(sorted(self._members[i])))) from None
        f = self._open.get(shard)
        if f is None:
            f = self._open[shard] = open(os.path.join(self.dir, shard), "rb")
        f.seek(off)
        return f.read(size)

    def record(self, i):
        i = self._pos(i)
        return json.loads(self.member(i, self._keys[i] + ".json"))

    def file(self, i, rel):
        i = self._pos(i)
        rec = self.record(i)
        for field in sorted(rec):
            v = rec[field]
            if v == rel or (isinstance(v, list) and rel in v):
                return self.member(i, tar_member(self._keys[i], field, rel))
        raise KeyError("sample %s: no field of its record names %r" % (self._keys[i], rel))

    def _feature_image(self, i, f, rec):
        img = Image.open(io.BytesIO(self.member(i, tar_member(self._keys[i], f["name"], rec[f["name"]]))))
        img.load()
        return img


class NPZDataset(Dataset):
    """A split in format npz: data.npz, one array per feature, read in place."""

    def __init__(self, root, split, manifest):
        super().__init__(root, split, manifest)
        self._path = os.path.join(self.dir, "data.npz")
        self._arrays = {}
        with zipfile.ZipFile(self._path) as z, open(self._path, "rb") as f:
            for zi in z.infolist():
                if zi.compress_type != zipfile.ZIP_STORED:
                    raise ValueError("%s: %s is compressed; hiddendim writes stored archives" % (self._path, zi.filename))
                f.seek(zi.header_offset)
                local = f.read(30)
                name_len, extra_len = struct.unpack("<HH", local[26:30])
                f.seek(zi.header_offset + 30 + name_len + extra_len)
                version = np.lib.format.read_magic(f)
                if version == (1, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
                else:
                    shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
                if fortran:
                    raise ValueError("%s: %s is in Fortran order" % (self._path, zi.filename))
                name = zi.filename[:-4] if zi.filename.endswith(".npy") else zi.filename
                if int(np.prod(shape)) == 0:  # nothing to map
                    self._arrays[name] = np.empty(shape, dtype=dtype)
                else:
                    self._arrays[name] = np.memmap(self._path, dtype=dtype, mode="r", offset=f.tell(), shape=shape)
        # List features (objects, relations, ...) are padded to the split's
        # longest list: one array per field, <list>_<field>, and a count
        # array <list>_count; the manifest's npz_lists names them.
        self._lists = {e["name"]: e for e in (manifest.get("npz_lists") or {}).get(split, [])}
        for f in self.features:
            if f.get("npz", "") == "omit":
                continue
            names = [f["name"]]
            if f["name"] in self._lists:
                e = self._lists[f["name"]]
                names = [a["name"] for a in e["arrays"]] + [f["name"] + "_count"]
            for name in names:
                if name not in self._arrays:
                    raise ValueError("%s lacks %s.npy" % (self._path, name))

    def array(self, name):
        """Return the named feature's whole array (memory-mapped), samples first."""
        return self._arrays[name]

    def record(self, i):
        i = self._pos(i)
        rec = {}
        for f in self.features:
            if f.get("npz", "") == "omit" or f["kind"] in _IMAGE_KINDS:
                continue
            if f["name"] in self._lists:
                e = self._lists[f["name"]]
                n = int(self._arrays[f["name"] + "_count"][i])
                cols = [self._arrays[a["name"]][i] for a in e["arrays"]]
                rec[f["name"]] = [{field: np.asarray(col[k]).tolist() for field, col in zip(e["fields"], cols)}
                                  for k in range(n)]
                continue
            v = self._arrays[f["name"]][i]
            kind = f["kind"]
            if kind == "label":
                rec[f["name"]] = f["vocab"][int(v)]
            elif kind == "bool":
                rec[f["name"]] = bool(v)
            else:
                rec[f["name"]] = np.asarray(v).tolist()
        return rec

    def file(self, i, rel):
        raise KeyError("an npz dataset holds no separate files (%r)" % rel)

    def _feature_image(self, i, f, rec):
        return Image.fromarray(np.ascontiguousarray(self._arrays[f["name"]][i]))
