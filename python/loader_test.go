// Package python_test checks hiddendim_data.py, the Python loader, against
// the Go reader on a generated dataset of every dataset and format.
package python_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/color"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/hiddendim/hiddendim/clevrlite"
	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/scenes"
	"github.com/hiddendim/hiddendim/webpages"
)

// requirePIL is the environment variable that makes the test fail, not
// skip, without a Python that has numpy and PIL (CI sets it).
const requirePIL = "HIDDENDIM_REQUIRE_PIL"

// python returns a Python that imports numpy and PIL: Debian's
// /usr/bin/python3 (apt-get install python3-numpy python3-pil) or python3
// on PATH.
func python(t *testing.T) string {
	t.Helper()
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if err := exec.Command(py, "-c", "import numpy, PIL").Run(); err == nil {
			return py
		}
	}
	msg := "no python3 with numpy and PIL (/usr/bin/python3 or on PATH): apt-get install -y python3-numpy python3-pil"
	if os.Getenv(requirePIL) != "" {
		t.Fatalf("%s, and %s is set", msg, requirePIL)
	}
	t.Skipf("%s; set %s to make this a failure", msg, requirePIL)
	return ""
}

// script prints, for every sample of a split, what the loader reads: the
// record, a hash of each image feature's pixels (numpy.asarray of ds[i],
// channels past the third dropped, as little-endian int32), and the same
// for the files the record names in "parts", and the bytes of "html".
const script = `
import hashlib, json, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
from hiddendim_data import open_dataset

def pixels(img):
    a = np.asarray(img)
    if a.ndim == 3:
        a = a[:, :, :3]
    return {"shape": list(a.shape), "mode": img.mode, "sha256": hashlib.sha256(a.astype("<i4").tobytes()).hexdigest()}

ds = open_dataset(sys.argv[2], sys.argv[3])
out = {"len": len(ds), "repr": repr(ds), "samples": []}
for i in range(len(ds)):
    ex = ds[i]
    rec = ds.record(i)
    s = {"record": rec, "images": {}, "parts": [], "html": None}
    for f in ds.features:
        if f["kind"] in ("image", "mask"):
            s["images"][f["name"]] = pixels(ex[f["name"]])
        elif f["name"] in rec and ex[f["name"]] != rec[f["name"]]:
            raise SystemExit("ds[%d][%r] is not the record's" % (i, f["name"]))
    for rel in rec.get("parts", []):
        s["parts"].append(pixels(ds.image(i, rel)))
    if "html" in rec:
        s["html"] = ds.file(i, rec["html"]).decode()
    out["samples"].append(s)
try:
    ds[len(ds)]
    raise SystemExit("ds[len(ds)] did not raise IndexError")
except IndexError:
    pass
json.dump(out, sys.stdout)
`

type pix struct {
	Shape  []int  `json:"shape"`
	Mode   string `json:"mode"`
	SHA256 string `json:"sha256"`
}

// goPixels hashes img as the script does: row by row, R, G, B per pixel
// (or the one gray value, 16-bit where the image is), as int32.
func goPixels(img image.Image) pix {
	b := img.Bounds()
	var vals []byte
	put := func(v uint32) { vals = binary.LittleEndian.AppendUint32(vals, v) }
	shape := []int{b.Dy(), b.Dx(), 3}
	switch img.(type) {
	case *image.Gray, *image.Gray16:
		shape = shape[:2]
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			switch m := img.(type) {
			case *image.Gray:
				put(uint32(m.GrayAt(x, y).Y))
			case *image.Gray16:
				put(uint32(m.Gray16At(x, y).Y))
			default:
				c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
				put(uint32(c.R))
				put(uint32(c.G))
				put(uint32(c.B))
			}
		}
	}
	s := sha256.Sum256(vals)
	return pix{Shape: shape, SHA256: hex.EncodeToString(s[:])}
}

func TestLoader(t *testing.T) {
	py := python(t)
	dir := t.TempDir()
	small := map[string][]string{
		"relations": {"image_size=16", "size_min=6", "size_max=8", "parts=true", "single_fraction=0"},
		"webpages":  {"image_size=128", "parts=true"},
	}
	tests := []struct {
		ds      generators.Dataset
		formats []generators.Format
	}{
		{generators.Shapes{}, []generators.Format{generators.FormatPNG, generators.FormatNPZ, generators.FormatTar}},
		{scenes.Relations{}, []generators.Format{generators.FormatPNG, generators.FormatTar}},
		{clevrlite.SortOfCLEVR{}, []generators.Format{generators.FormatPNG, generators.FormatNPZ, generators.FormatTar}},
		{webpages.Pages{}, []generators.Format{generators.FormatPNG, generators.FormatTar}},
		{scenes.Counting{}, []generators.Format{generators.FormatNPZ}}, // lists padded, with counts
	}
	for _, tt := range tests {
		cfg := tt.ds.DefaultConfig()
		if err := generators.ApplySettings(cfg, small[tt.ds.Name()]...); err != nil {
			t.Fatal(err)
		}
		for _, format := range tt.formats {
			t.Run(tt.ds.Name()+"/"+string(format), func(t *testing.T) {
				out := filepath.Join(dir, tt.ds.Name()+"-"+string(format))
				spec := generators.Spec{Dataset: tt.ds, Config: cfg, Seed: 2, Splits: []generators.SplitSize{{Name: "train", Count: 2}, {Name: "test", Count: 3}}}
				// Two samples per tar file: the test split's three span two.
				if _, err := generators.Write(context.Background(), spec, generators.WriteOptions{Out: out, Format: format, ShardSamples: 2}); err != nil {
					t.Fatal(err)
				}
				cmd := exec.Command(py, "-c", script, ".", out, "test")
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				stdout, err := cmd.Output()
				if err != nil {
					t.Fatalf("python: %v\n%s", err, stderr.String())
				}
				var got struct {
					Len     int    `json:"len"`
					Repr    string `json:"repr"`
					Samples []struct {
						Record map[string]any `json:"record"`
						Images map[string]pix `json:"images"`
						Parts  []pix          `json:"parts"`
						HTML   *string        `json:"html"`
					} `json:"samples"`
				}
				if err := json.Unmarshal(stdout, &got); err != nil {
					t.Fatal(err)
				}
				check(t, out, got.Len, func(i int, rec generators.Record, f []generators.Feature) {
					s := got.Samples[i]
					var want map[string]any
					if err := json.Unmarshal(rec.JSON, &want); err != nil {
						t.Fatal(err)
					}
					if !reflect.DeepEqual(s.Record, want) {
						t.Errorf("sample %d: python record\n%v\ngo record\n%v", i, s.Record, want)
					}
					for _, feat := range f {
						if feat.Kind != generators.ImageFeature && feat.Kind != generators.MaskFeature {
							continue
						}
						img, err := rec.Image(feat.Name)
						if err != nil {
							t.Fatal(err)
						}
						w, g := goPixels(img), s.Images[feat.Name]
						if !slices.Equal(w.Shape, g.Shape) || w.SHA256 != g.SHA256 {
							t.Errorf("sample %d %s: python %v (mode %s) %.12s, go %v %.12s", i, feat.Name, g.Shape, g.Mode, g.SHA256, w.Shape, w.SHA256)
						}
					}
					var ex struct {
						Parts []string `json:"parts"`
						HTML  string   `json:"html"`
					}
					rec.Decode(&ex)
					if len(ex.Parts) != len(s.Parts) {
						t.Fatalf("sample %d: python read %d parts, the record has %d", i, len(s.Parts), len(ex.Parts))
					}
					for k, rel := range ex.Parts {
						img, err := rec.File(rel)
						if err != nil {
							t.Fatal(err)
						}
						if w := goPixels(img); w.SHA256 != s.Parts[k].SHA256 {
							t.Errorf("sample %d part %s: python and go pixels differ", i, rel)
						}
					}
					if ex.HTML != "" && (s.HTML == nil || len(*s.HTML) < 100) {
						t.Errorf("sample %d: python read no page HTML for %s", i, ex.HTML)
					}
				})
			})
		}
	}
}

// check reads the test split of out with the Go reader and calls f with
// each record, after checking the count.
func check(t *testing.T, out string, pyLen int, f func(int, generators.Record, []generators.Feature)) {
	t.Helper()
	r, err := generators.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	sr, err := r.Split("test")
	if err != nil {
		t.Fatal(err)
	}
	defer sr.Close()
	if pyLen != sr.Len() || pyLen != 3 {
		t.Fatalf("python len %d, go %d, want 3", pyLen, sr.Len())
	}
	i := 0
	for sr.Next() {
		f(i, sr.Record(), r.Manifest.Features)
		i++
	}
	if err := sr.Err(); err != nil || i != 3 {
		t.Fatalf("go read %d of 3: %v", i, err)
	}
}
