package models

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/small.ckpt from a freshly trained model")

// smallCheckpoint is testdata/small.ckpt: a real classifier trained for one
// epoch with Adam, kept small enough to seed the fuzzer.
const smallCheckpoint = "testdata/small.ckpt"

func smallConfig() ClassifierConfig {
	return ClassifierConfig{Arch: MultiLabel, Input: [3]int{3, 8, 8}, Heads: []int{3, 3}, Conv: []int{2}, Hidden: 4, Seed: 3}
}

// trainSmall trains smallConfig for one epoch and returns its checkpoint.
func trainSmall(t testing.TB) *Checkpoint {
	t.Helper()
	c, err := NewClassifier(smallConfig())
	if err != nil {
		t.Fatal(err)
	}
	ex := toyExamples(32, 1)
	st, err := Train(t.Context(), c, ex.Len(), c.Feeder(ex), TrainConfig{Epochs: 1, Batch: 16, LR: 1e-3, Seed: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ck, err := NewCheckpoint("classifier", c.Config, c.Params(), st)
	if err != nil {
		t.Fatal(err)
	}
	return ck
}

func encode(t testing.TB, ck *Checkpoint) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := ck.write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestSmallCheckpointStaysReadable holds the format: the committed file
// must load, pass its checksum and restore into the model it came from.
func TestSmallCheckpointStaysReadable(t *testing.T) {
	if *update {
		ck := trainSmall(t)
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(smallCheckpoint, encode(t, ck), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ck, err := LoadCheckpoint(smallCheckpoint)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClassifier(smallConfig())
	if err != nil {
		t.Fatal(err)
	}
	st, err := ck.Restore(c.Params())
	if err != nil {
		t.Fatal(err)
	}
	if st.Epoch != 1 || st.Step != 2 || st.Adam == nil || len(st.Adam.M) != len(c.Params()) {
		t.Fatalf("restored epoch %d step %d adam %v", st.Epoch, st.Step, st.Adam != nil)
	}
}

func TestCheckpointRoundTrip(t *testing.T) {
	ck := trainSmall(t)
	path := filepath.Join(t.TempDir(), "m.ckpt")
	if err := ck.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(encode(t, got), encode(t, ck)) {
		t.Fatal("a saved and loaded checkpoint encodes differently")
	}
}

// TestCheckpointRefusesEveryChangedByte flips one byte in each region the
// checksum must cover and in the checksum itself.
func TestCheckpointRefusesEveryChangedByte(t *testing.T) {
	good := encode(t, trainSmall(t))
	headLen := int(binary.LittleEndian.Uint32(good[8:]))
	head := string(good[12 : 12+headLen])
	at := func(s string) int {
		i := strings.Index(head, s)
		if i < 0 {
			t.Fatalf("header has no %q: %s", s, head)
		}
		return 12 + i + len(s)
	}
	dataStart, sumStart := 12+headLen, len(good)-sha256.Size
	values := 0
	for _, p := range smallConfigParams(t) {
		values += p.Size()
	}
	tests := []struct {
		name string
		off  int
	}{
		{"header length", 8},
		{"config", at(`"hidden":`)},
		{"epoch", at(`"epoch":`)},
		{"adam step", at(`"step":`)},
		{"first weight", dataStart},
		{"last weight", dataStart + 4*values - 1},
		{"first adam moment", dataStart + 4*values},
		{"last adam moment", sumStart - 1},
		{"checksum", sumStart + 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := bytes.Clone(good)
			bad[tt.off] ^= 0x01
			path := filepath.Join(t.TempDir(), "bad.ckpt")
			if err := os.WriteFile(path, bad, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadCheckpoint(path)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("changed byte %d: err %v, want ErrCorrupt", tt.off, err)
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "corrupt") {
				t.Fatalf("error %q does not name the file and say it is corrupt", err)
			}
		})
	}
	t.Run("appended byte", func(t *testing.T) {
		if _, err := ReadCheckpoint(bytes.NewReader(append(bytes.Clone(good), 0))); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("err %v, want ErrCorrupt", err)
		}
	})
	t.Run("truncated", func(t *testing.T) {
		for _, n := range []int{4, 10, 12 + headLen/2, dataStart + 7, sumStart, len(good) - 1} {
			if _, err := ReadCheckpoint(bytes.NewReader(good[:n])); err == nil {
				t.Fatalf("the first %d of %d bytes loaded", n, len(good))
			}
		}
	})
}

func smallConfigParams(t *testing.T) []*Param {
	c, err := NewClassifier(smallConfig())
	if err != nil {
		t.Fatal(err)
	}
	return c.Params()
}

func TestCheckpointRefusesFormat1(t *testing.T) {
	good := encode(t, trainSmall(t))
	old := append([]byte(checkpointMagicV1), good[len(checkpointMagic):len(good)-sha256.Size]...)
	_, err := ReadCheckpoint(bytes.NewReader(old))
	if !errors.Is(err, ErrOldCheckpoint) || !strings.Contains(err.Error(), "retrain") {
		t.Fatalf("err %v, want ErrOldCheckpoint saying to retrain", err)
	}
}

// hostile is a checkpoint header claiming tensors of the given shapes,
// followed by only 64 bytes of data.
func hostile(t *testing.T, shapes ...[]int) []byte {
	t.Helper()
	var ts []TensorInfo
	for _, s := range shapes {
		ts = append(ts, TensorInfo{Name: "w", Shape: s})
	}
	head, err := json.Marshal(Checkpoint{Kind: "classifier", Config: json.RawMessage("{}"), Tensors: ts})
	if err != nil {
		t.Fatal(err)
	}
	b := []byte(checkpointMagic)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(head)))
	b = append(b, head...)
	return append(b, make([]byte, 64)...)
}

// TestCheckpointHostileLengthsFailFast holds memory to what the file holds:
// a header claiming 1 GiB or 10 GB of weights must not allocate them.
func TestCheckpointHostileLengthsFailFast(t *testing.T) {
	tests := []struct {
		name   string
		shapes [][]int
		want   string
	}{
		{"1 GiB tensor, the largest allowed", [][]int{{1 << 14, 1 << 14}}, "truncated tensor"},
		{"10 GB tensor", [][]int{{50000, 50000}}, "too large"},
		{"four 1 GiB tensors", [][]int{{1 << 28}, {1 << 28}, {1 << 28}, {1 << 28}}, "truncated tensor"},
		{"five 1 GiB tensors, over the total", [][]int{{1 << 28}, {1 << 28}, {1 << 28}, {1 << 28}, {1 << 28}}, "more than"},
		{"overflowing shape", [][]int{{1 << 28, 1 << 28, 1 << 28}}, "too large"},
		{"zero dimension", [][]int{{0, 3}}, "shape [0 3]"},
		{"negative dimension", [][]int{{-1, -4}}, "shape [-1 -4]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := hostile(t, tt.shapes...)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := ReadCheckpoint(bytes.NewReader(in))
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want ErrCorrupt saying %q", err, tt.want)
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > 4<<20 {
				t.Fatalf("reading %d bytes allocated %d bytes", len(in), got)
			}
		})
	}
	t.Run("16 MiB header claimed, 10 bytes given", func(t *testing.T) {
		in := binary.LittleEndian.AppendUint32([]byte(checkpointMagic), 1<<24)
		in = append(in, `{"kind":"`...)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := ReadCheckpoint(bytes.NewReader(in))
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("err %v, want ErrCorrupt", err)
		}
		if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
			t.Fatalf("reading %d bytes allocated %d bytes", len(in), got)
		}
	})
}

// FuzzReadCheckpoint feeds ReadCheckpoint arbitrary bytes, and the same
// bytes with a valid checksum appended, so that the fuzzer also reaches
// checkpoints that pass it. A checkpoint that loads must encode to bytes
// that load to the same encoding.
func FuzzReadCheckpoint(f *testing.F) {
	small, err := os.ReadFile(smallCheckpoint)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(small)
	f.Add(small[:len(small)-sha256.Size])
	f.Add([]byte(checkpointMagic))
	f.Add([]byte(checkpointMagicV1))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		sum := sha256.Sum256(in)
		for _, b := range [][]byte{in, append(bytes.Clone(in), sum[:]...)} {
			ck, err := ReadCheckpoint(bytes.NewReader(b))
			if err != nil {
				continue
			}
			var first, second bytes.Buffer
			if err := ck.write(&first); err != nil {
				continue // a header json.Marshal refuses, such as NaN losses
			}
			again, err := ReadCheckpoint(bytes.NewReader(first.Bytes()))
			if err != nil {
				t.Fatalf("a re-encoded checkpoint does not load: %v", err)
			}
			if err := again.write(&second); err != nil || !bytes.Equal(first.Bytes(), second.Bytes()) {
				t.Fatalf("re-encoding is not stable (%v)", err)
			}
		}
	})
}
