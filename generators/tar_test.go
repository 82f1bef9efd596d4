package generators

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestTarMember(t *testing.T) {
	tests := []struct{ id, field, rel, want string }{
		{"000123", "image", "images/000123.png", "000123.png"},
		{"000123", "mask", "masks/000123.png", "000123.mask.png"},
		{"000123", "class_mask", "class_masks/000123.png", "000123.class_mask.png"},
		{"000123", "html", "html/000123.html", "000123.html"},
		{"000123", "parts", "parts/000123_0.png", "000123.parts.0.png"},
		{"000123", "parts", "parts/000123_header.png", "000123.parts.header.png"},
		// Dots after the id stay out of the key: WebDataset's key ends at
		// the first dot, so the rest is mapped to "_".
		{"000123", "parts", "parts/000123_a.b c.png", "000123.parts.a_b_c.png"},
		{"000123", "parts", "parts/other.png", "000123.parts.other.png"},
		{"1234567", "image", "images/1234567.png", "1234567.png"},
		{"000123", "notes", "notes/000123", "000123.notes"},
	}
	for _, tt := range tests {
		if got := TarMember(tt.id, tt.field, tt.rel); got != tt.want {
			t.Errorf("TarMember(%q, %q, %q) = %q, want %q", tt.id, tt.field, tt.rel, got, tt.want)
		}
		if key, _, _ := strings.Cut(TarMember(tt.id, tt.field, tt.rel), "."); key != tt.id {
			t.Errorf("TarMember(%q, %q, %q): WebDataset key %q, want the id", tt.id, tt.field, tt.rel, key)
		}
	}
}

// TestTarLayout pins the files, member names and fixed headers of a small
// tar dataset.
func TestTarLayout(t *testing.T) {
	out := filepath.Join(t.TempDir(), "d")
	m := write(t, out, 2, WriteOptions{Format: FormatTar, ShardSamples: 100})
	if m.ShardSamples != 100 || m.Format != FormatTar {
		t.Fatalf("manifest: format %q, shard_samples %d", m.Format, m.ShardSamples)
	}
	entries, _ := os.ReadDir(filepath.Join(out, "train"))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{SumsFile, "shard-000000.tar", "shard-000001.tar", "shard-000002.tar"}; !slices.Equal(names, want) {
		t.Fatalf("train holds %v, want %v", names, want)
	}
	f, err := os.Open(filepath.Join(out, "train", "shard-000002.tar"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	var members []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Mode != 0o644 || h.Uid != 0 || h.Gid != 0 || h.Uname != "" || !h.ModTime.Equal(time.Unix(0, 0)) || h.Format != tar.FormatUSTAR || h.Typeflag != tar.TypeReg {
			t.Errorf("%s: header %+v, want mode 0644, uid/gid 0, mtime 0, USTAR", h.Name, h)
		}
		members = append(members, h.Name)
	}
	// Samples 200 to 229, each its record, image and mask.
	if len(members) != 90 || members[0] != "000200.json" || members[1] != "000200.png" || members[2] != "000200.mask.png" || members[89] != "000229.mask.png" {
		t.Errorf("shard-000002.tar members: %d, %v … %v", len(members), members[:3], members[len(members)-3:])
	}
}

// TestTarReadsAsPNG writes one spec as png and as tar: the reader gives
// the same records, byte for byte, and the same pixels.
func TestTarReadsAsPNG(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "png"), 5, WriteOptions{})
	write(t, filepath.Join(dir, "tar"), 5, WriteOptions{Format: FormatTar, ShardSamples: 7})
	if err := Verify(filepath.Join(dir, "tar")); err != nil {
		t.Fatal(err)
	}
	pr, err := Open(filepath.Join(dir, "png"))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := Open(filepath.Join(dir, "tar"))
	if err != nil {
		t.Fatal(err)
	}
	for _, split := range []string{"train", "test"} {
		ps, err := pr.Split(split)
		if err != nil {
			t.Fatal(err)
		}
		ts, err := tr.Split(split)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for ps.Next() {
			if !ts.Next() {
				t.Fatalf("%s: tar ends after %d samples: %v", split, n, ts.Err())
			}
			p, q := ps.Record(), ts.Record()
			// The same values; the tar record writes whole floats as 0.0.
			var pv, qv any
			if err := json.Unmarshal(p.JSON, &pv); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(q.JSON, &qv); err != nil {
				t.Fatal(err)
			}
			if p.Index != q.Index || !reflect.DeepEqual(pv, qv) {
				t.Fatalf("%s sample %d: png record %s, tar record %d %s", split, p.Index, p.JSON, q.Index, q.JSON)
			}
			if bytes.Contains(q.JSON, []byte(`"rotation":0,`)) {
				t.Errorf("%s sample %d: tar record %s writes a whole float as an integer", split, p.Index, q.JSON)
			}
			for _, field := range []string{"image", "mask"} {
				a, err := p.Image(field)
				if err != nil {
					t.Fatal(err)
				}
				b, err := q.Image(field)
				if err != nil {
					t.Fatal(err)
				}
				if !samePixels(a, b) {
					t.Fatalf("%s sample %d: %s pixels differ", split, p.Index, field)
				}
			}
			n++
		}
		if ts.Next() || ts.Err() != nil || ps.Err() != nil || n != ps.Len() {
			t.Fatalf("%s: read %d of %d: png %v, tar %v", split, n, ps.Len(), ps.Err(), ts.Err())
		}
		ps.Close()
		ts.Close()
	}
}

func TestTarWorkersAgree(t *testing.T) {
	dir := t.TempDir()
	a := write(t, filepath.Join(dir, "a"), 7, WriteOptions{Format: FormatTar, Workers: 1, ShardSamples: 64})
	b := write(t, filepath.Join(dir, "b"), 7, WriteOptions{Format: FormatTar, Workers: 3, ShardSamples: 64})
	for _, s := range []string{"train", "test"} {
		if a.Splits[s].SHA256 != b.Splits[s].SHA256 {
			t.Errorf("%s: 1 worker and 3 workers wrote different tar files", s)
		}
	}
	for _, f := range []string{"shard-000000.tar", "shard-000003.tar"} {
		if !bytes.Equal(readFile(t, filepath.Join(dir, "a", "train", f)), readFile(t, filepath.Join(dir, "b", "train", f))) {
			t.Errorf("train/%s differs between 1 and 3 workers", f)
		}
	}
}

func TestTarEmptySplit(t *testing.T) {
	out := filepath.Join(t.TempDir(), "d")
	spec := Spec{Dataset: Shapes{}, Seed: 1, Splits: []SplitSize{{"train", 3}, {"test", 0}}}
	if _, err := Write(context.Background(), spec, WriteOptions{Out: out, Format: FormatTar}); err != nil {
		t.Fatal(err)
	}
	if err := Verify(out); err != nil {
		t.Fatal(err)
	}
	r, _ := Open(out)
	s, err := r.Split("test")
	if err != nil {
		t.Fatal(err)
	}
	if s.Next() || s.Err() != nil {
		t.Fatalf("empty split: Next true or %v", s.Err())
	}
}

func TestWriteRejectsNegativeShardSamples(t *testing.T) {
	spec := Spec{Dataset: Shapes{}, Splits: []SplitSize{{"train", 3}}}
	_, err := Write(context.Background(), spec, WriteOptions{Out: filepath.Join(t.TempDir(), "d"), Format: FormatTar, ShardSamples: -1})
	if err == nil || !strings.Contains(err.Error(), "want 1 or more") {
		t.Fatalf("Write with -1 samples per tar file: %v", err)
	}
}

// rewriteTar replaces a tar file of a split with what edit makes of its
// members, and fixes the checksums, as someone covering an edit would.
func rewriteTar(t *testing.T, dir, split, file string, edit func([]tarMember) []tarMember) {
	t.Helper()
	ts := newTarSamples(filepath.Join(dir, split), []string{file})
	var ms []tarMember
	for {
		s, err := ts.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, s.members...)
	}
	ts.close()
	ms = edit(ms)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, m := range ms {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: m.name, Size: int64(len(m.data)), Mode: 0o644, ModTime: time.Unix(0, 0)}); err != nil {
			t.Fatal(err)
		}
		tw.Write(m.data)
	}
	tw.Close()
	if err := os.WriteFile(filepath.Join(dir, split, file), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	fixChecksums(t, dir, split, file)
}

func TestVerifyTar(t *testing.T) {
	tests := []struct {
		name string
		edit func(t *testing.T, dir string)
		want string
	}{
		{"changed byte", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "train", "shard-000001.tar")
			b := readFile(t, p)
			b[1000] ^= 1
			os.WriteFile(p, b, 0o644)
		}, "train/shard-000001.tar: content changed"},
		{"truncated", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "train", "shard-000001.tar")
			b := readFile(t, p)
			os.WriteFile(p, b[:len(b)/2+3], 0o644)
			fixChecksums(t, dir, "train", "shard-000001.tar")
		}, "train: shard-000001.tar: not a whole tar file"},
		{"a sample dropped", func(t *testing.T, dir string) {
			rewriteTar(t, dir, "train", "shard-000000.tar", func(ms []tarMember) []tarMember {
				return slices.DeleteFunc(ms, func(m tarMember) bool { return strings.HasPrefix(m.name, "000004.") })
			})
		}, "train: shard-000000.tar: sample \"000005\" where sample 000004 belongs"},
		{"no record", func(t *testing.T, dir string) {
			rewriteTar(t, dir, "test", "shard-000000.tar", func(ms []tarMember) []tarMember {
				return slices.DeleteFunc(ms, func(m tarMember) bool { return m.name == "000002.json" })
			})
		}, "test: shard-000000.tar: sample 000002 has no 000002.json member"},
		{"a sample too many", func(t *testing.T, dir string) {
			rewriteTar(t, dir, "test", "shard-000000.tar", func(ms []tarMember) []tarMember {
				return append(ms, tarMember{"000008.json", []byte("{}")})
			})
		}, "splits.test.count: 8, but test/shard-000000.tar holds sample \"000008\" after them"},
		{"a folder in the tar", func(t *testing.T, dir string) {
			rewriteTar(t, dir, "test", "shard-000000.tar", func(ms []tarMember) []tarMember {
				ms[4].name = "x/000001.png"
				return ms
			})
		}, `member "x/000001.png": want KEY.EXT with no folder`},
		{"extra tar file", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "test", "shard-000009.tar"), nil, 0o644)
		}, "test/shard-000009.tar: extra file"},
		{"shard_samples edited", func(t *testing.T, dir string) {
			m, _ := ReadManifest(dir)
			m.ShardSamples = 5
			writeManifest(dir, m)
		}, "train/SHA256SUMS: lists no shard-000004.tar"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "d")
			spec := Spec{Dataset: Shapes{}, Seed: 11, Config: shapesConfig(t), Splits: []SplitSize{{"train", 24}, {"test", 8}}}
			if _, err := Write(context.Background(), spec, WriteOptions{Out: dir, Format: FormatTar, ShardSamples: 10}); err != nil {
				t.Fatal(err)
			}
			tt.edit(t, dir)
			err := Verify(dir)
			var v *VerifyError
			if !errors.As(err, &v) || !slices.ContainsFunc(v.Problems, func(p string) bool { return strings.Contains(p, tt.want) }) {
				t.Fatalf("Verify: %v\nwant a problem containing %q", err, tt.want)
			}
		})
	}
}

// TestRegenerateTar edits one pixel in a tar member and covers the
// checksums: only re-rendering finds it.
func TestRegenerateTar(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	spec := Spec{Dataset: Shapes{}, Seed: 11, Config: shapesConfig(t), Splits: []SplitSize{{"train", 24}, {"test", 8}}}
	if _, err := Write(context.Background(), spec, WriteOptions{Out: dir, Format: FormatTar, ShardSamples: 10}); err != nil {
		t.Fatal(err)
	}
	rewriteTar(t, dir, "train", "shard-000001.tar", func(ms []tarMember) []tarMember {
		for i, m := range ms {
			if m.name != "000015.png" {
				continue
			}
			img, err := png.Decode(bytes.NewReader(m.data))
			if err != nil {
				t.Fatal(err)
			}
			rgba := image.NewRGBA(img.Bounds())
			for y := range img.Bounds().Dy() {
				for x := range img.Bounds().Dx() {
					rgba.Set(x, y, img.At(x, y))
				}
			}
			rgba.Pix[4*(3*rgba.Bounds().Dx()+2)] ^= 1
			var buf bytes.Buffer
			png.Encode(&buf, rgba)
			ms[i].data = buf.Bytes()
		}
		return ms
	})
	if err := Verify(dir); err != nil {
		t.Fatalf("the edit is not covered up: %v", err)
	}
	err := VerifySpec(context.Background(), dir, shapesRegistry(), all)
	want := "sample train/000015: shard-000001.tar: 000015.png: 1 of 784 pixels differ from what the spec renders (the first at x=2, y=3)"
	var v *VerifyError
	if !errors.As(err, &v) || !slices.Contains(v.Problems, want) {
		t.Fatalf("VerifySpec: %v\nwant the problem %q", err, want)
	}
}

// FuzzTarSplit reads any bytes as a split's one tar file: the reader
// returns records or a clear error, and never panics.
func FuzzTarSplit(f *testing.F) {
	dir := f.TempDir()
	spec := Spec{Dataset: Shapes{}, Seed: 1, Splits: []SplitSize{{"train", 3}}}
	if _, err := Write(context.Background(), spec, WriteOptions{Out: filepath.Join(dir, "seed"), Format: FormatTar}); err != nil {
		f.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join(dir, "seed", "train", "shard-000000.tar"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(good[:1024])
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0}, 1024))
	// One folder for every input: a worker runs them one at a time.
	d := filepath.Join(dir, "d")
	if err := os.MkdirAll(filepath.Join(d, "train"), 0o755); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(filepath.Join(d, "train", "shard-000000.tar"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		m := &Manifest{Dataset: "shapes", Format: FormatTar, ShardSamples: 1000, SplitOrder: []string{"train"},
			Splits: map[string]SplitInfo{"train": {Count: 3, Total: 3}}}
		r := &Reader{Dir: d, Manifest: m}
		s, err := r.Split("train")
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		n := 0
		for s.Next() {
			rec := s.Record()
			if !json.Valid(rec.JSON) && len(rec.JSON) > 0 {
				// the reader hands the record over as it is; Decode says what is wrong
				if rec.Decode(new(map[string]any)) == nil {
					t.Fatal("invalid JSON decoded")
				}
			}
			rec.Image("image") // an error or an image, never a panic
			n++
		}
		if n < 3 && s.Err() == nil {
			t.Fatalf("read %d of 3 samples and no error", n)
		}
		if s.Err() != nil && !strings.HasPrefix(s.Err().Error(), "generators: ") {
			t.Fatalf("error %q does not say where it comes from", s.Err())
		}
		if bytes.Equal(b, good) && (n != 3 || s.Err() != nil) {
			t.Fatalf("the written file reads as %d samples, %v", n, s.Err())
		}
	})
}
