package models

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"gorgonia.org/tensor"
)

// The checkpoint file format:
//
//	bytes 0–7   magic "HDCKPT2\n"
//	bytes 8–11  header length H, uint32 little-endian
//	then H bytes of JSON header: {"kind", "config", "tensors": [{"name", "shape"}],
//	            "epoch", "step", "losses", "adam": {"lr","beta1","beta2","eps","step"} | null}
//	then every tensor's float32 values, little-endian, in header order: the
//	parameters, then (if "adam" is set) Adam's first moments, then its second
//	moments, each in parameter order
//	then 32 bytes: the SHA-256 of every byte before them (magic, length,
//	            header and values), and nothing after.
//
// The checksum covers the config, the training state and every weight and
// moment, so a file changed after it was written is refused rather than
// evaluated. Format 1 ("HDCKPT1\n") had no checksum; it is refused with an
// error that says to retrain, since nothing could tell a damaged one from a
// whole one.
//
// A checkpoint is written to a temporary file and renamed, so a crash never
// leaves a half-written one under the real name.
const (
	checkpointMagic   = "HDCKPT2\n"
	checkpointMagicV1 = "HDCKPT1\n"
)

// Limits a reader holds a header to before trusting it. Memory grows only
// with the bytes actually read, so a header that claims more than the file
// holds fails at the end of the file, not at an allocation.
const (
	maxHeaderBytes    = 1 << 24 // 16 MiB of JSON
	maxTensorElements = 1 << 28 // 1 GiB of float32 per tensor
	maxTotalElements  = 1 << 30 // 4 GiB of float32 per checkpoint
	readChunkBytes    = 1 << 16
)

// ErrCorrupt is wrapped by the error ReadCheckpoint returns for a file whose
// checksum does not match its content, or that is truncated or malformed.
var ErrCorrupt = errors.New("checkpoint is corrupt")

// ErrOldCheckpoint is wrapped by the error ReadCheckpoint returns for a
// checkpoint in format 1, written by a hiddendim from before checkpoints
// carried a checksum.
var ErrOldCheckpoint = errors.New("checkpoint was written by an older hiddendim without a checksum; retrain the model")

// Checkpoint is a model and its training state as stored on disk.
type Checkpoint struct {
	// Kind names the model family ("classifier").
	Kind string `json:"kind"`
	// Config is the model's config, as JSON.
	Config json.RawMessage `json:"config"`
	// Tensors lists the parameters' names and shapes.
	Tensors []TensorInfo `json:"tensors"`
	Epoch   int          `json:"epoch"`
	Step    int          `json:"step"`
	Losses  []float64    `json:"losses"`
	Adam    *adamHeader  `json:"adam"`
	// Values holds the parameters' data, in Tensors order.
	Values [][]float32 `json:"-"`
	// M and V are Adam's moments, when the state was saved with them.
	M, V [][]float32 `json:"-"`
}

// TensorInfo names a stored tensor.
type TensorInfo struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
}

type adamHeader struct {
	LR    float64 `json:"lr"`
	Beta1 float64 `json:"beta1"`
	Beta2 float64 `json:"beta2"`
	Eps   float64 `json:"eps"`
	Step  int     `json:"step"`
}

// NewCheckpoint captures params (copied) and, if st is non-nil, the
// training state.
func NewCheckpoint(kind string, config any, params []*Param, st *State) (*Checkpoint, error) {
	cfg, err := json.Marshal(config)
	if err != nil {
		return nil, fmt.Errorf("models: checkpoint config: %w", err)
	}
	ck := &Checkpoint{Kind: kind, Config: cfg}
	for _, p := range params {
		ck.Tensors = append(ck.Tensors, TensorInfo{p.Name, []int(p.Value.Shape().Clone())})
		ck.Values = append(ck.Values, append([]float32(nil), p.Data()...))
	}
	if st != nil {
		ck.Epoch, ck.Step, ck.Losses = st.Epoch, st.Step, st.Losses
		if a := st.Adam; a != nil && a.M != nil {
			ck.Adam = &adamHeader{a.LR, a.Beta1, a.Beta2, a.Eps, a.Step}
			for i := range a.M {
				ck.M = append(ck.M, append([]float32(nil), a.M[i]...))
				ck.V = append(ck.V, append([]float32(nil), a.V[i]...))
			}
		}
	}
	return ck, nil
}

// Restore copies the stored values into params, which must match by name
// and shape, and returns the training state to resume from.
func (ck *Checkpoint) Restore(params []*Param) (*State, error) {
	if len(params) != len(ck.Tensors) {
		return nil, fmt.Errorf("models: checkpoint has %d tensors, model %d", len(ck.Tensors), len(params))
	}
	for i, p := range params {
		t := ck.Tensors[i]
		if t.Name != p.Name || !p.Value.Shape().Eq(tensor.Shape(t.Shape)) {
			return nil, fmt.Errorf("models: checkpoint tensor %d is %s %v, model has %s %v", i, t.Name, t.Shape, p.Name, p.Value.Shape())
		}
		copy(p.Data(), ck.Values[i])
	}
	st := &State{Epoch: ck.Epoch, Step: ck.Step, Losses: ck.Losses}
	if ck.Adam != nil {
		st.Adam = &Adam{LR: ck.Adam.LR, Beta1: ck.Adam.Beta1, Beta2: ck.Adam.Beta2, Eps: ck.Adam.Eps, Step: ck.Adam.Step, M: ck.M, V: ck.V}
	}
	return st, nil
}

// Save writes the checkpoint to path atomically.
func (ck *Checkpoint) Save(path string) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("models: %w", err)
	}
	w := bufio.NewWriter(f)
	err = ck.write(w)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("models: saving checkpoint: %w", err)
	}
	return os.Rename(tmp, path)
}

// write encodes the checkpoint and its trailing checksum to out.
func (ck *Checkpoint) write(out io.Writer) error {
	head, err := json.Marshal(ck)
	if err != nil {
		return err
	}
	sum := sha256.New()
	w := io.MultiWriter(out, sum)
	if _, err := io.WriteString(w, checkpointMagic); err != nil {
		return err
	}
	if err := binary.Write(w, binary.LittleEndian, uint32(len(head))); err != nil {
		return err
	}
	if _, err := w.Write(head); err != nil {
		return err
	}
	buf := make([]byte, 0, readChunkBytes)
	for _, group := range [][][]float32{ck.Values, ck.M, ck.V} {
		for _, vals := range group {
			for _, v := range vals {
				buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
				if len(buf) == cap(buf) {
					if _, err := w.Write(buf); err != nil {
						return err
					}
					buf = buf[:0]
				}
			}
		}
	}
	if _, err := w.Write(buf); err != nil {
		return err
	}
	_, err = out.Write(sum.Sum(nil))
	return err
}

// LoadCheckpoint reads a checkpoint file. Its errors name the file; one
// that is damaged wraps ErrCorrupt, one from before checksums
// ErrOldCheckpoint.
func LoadCheckpoint(path string) (*Checkpoint, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	defer f.Close()
	ck, err := readCheckpoint(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("models: %s: %w", path, err)
	}
	return ck, nil
}

// ReadCheckpoint reads a checkpoint from r, which must hold exactly one,
// and verifies its checksum before returning it. A damaged or truncated
// checkpoint returns an error wrapping ErrCorrupt; a format-1 checkpoint
// (no checksum) one wrapping ErrOldCheckpoint. Memory use is bounded by the
// bytes r actually holds, whatever the header claims.
func ReadCheckpoint(r io.Reader) (*Checkpoint, error) {
	ck, err := readCheckpoint(r)
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	return ck, nil
}

func readCheckpoint(r io.Reader) (*Checkpoint, error) {
	corrupt := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
	}
	magic := make([]byte, len(checkpointMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != checkpointMagic {
		if string(magic) == checkpointMagicV1 {
			return nil, ErrOldCheckpoint
		}
		return nil, errors.New("not a hiddendim checkpoint (bad magic)")
	}
	sum := sha256.New()
	sum.Write(magic)
	tr := io.TeeReader(r, sum)
	var n uint32
	if err := binary.Read(tr, binary.LittleEndian, &n); err != nil {
		return nil, corrupt("truncated header length: %v", err)
	}
	if n > maxHeaderBytes {
		return nil, corrupt("header of %d bytes is implausible (at most %d)", n, maxHeaderBytes)
	}
	head, err := io.ReadAll(io.LimitReader(tr, int64(n)))
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	if len(head) < int(n) {
		return nil, corrupt("truncated header: %d of %d bytes", len(head), n)
	}
	var ck Checkpoint
	if err := json.Unmarshal(head, &ck); err != nil {
		return nil, corrupt("header: %v", err)
	}
	total := 0
	for _, t := range ck.Tensors {
		size := 1
		for _, d := range t.Shape {
			if d <= 0 || d > maxTensorElements {
				return nil, corrupt("tensor %q has shape %v", t.Name, t.Shape)
			}
			size *= d
			if size > maxTensorElements {
				return nil, corrupt("tensor %q of shape %v is too large (at most %d values)", t.Name, t.Shape, maxTensorElements)
			}
		}
		if total += size; total > maxTotalElements {
			return nil, corrupt("tensors hold more than %d values", maxTotalElements)
		}
	}
	// read grows each tensor as its bytes arrive, so a header that claims
	// more than the file holds costs no more memory than the file.
	buf := make([]byte, readChunkBytes)
	read := func() ([][]float32, error) {
		out := make([][]float32, len(ck.Tensors))
		for i, t := range ck.Tensors {
			size := 1
			for _, d := range t.Shape {
				size *= d
			}
			vals := make([]float32, 0, min(size, readChunkBytes/4))
			for len(vals) < size {
				b := buf[:4*min(size-len(vals), readChunkBytes/4)]
				if _, err := io.ReadFull(tr, b); err != nil {
					return nil, corrupt("truncated tensor %q: %v", t.Name, err)
				}
				for j := 0; j < len(b); j += 4 {
					vals = append(vals, math.Float32frombits(binary.LittleEndian.Uint32(b[j:])))
				}
			}
			out[i] = vals
		}
		return out, nil
	}
	if ck.Values, err = read(); err != nil {
		return nil, err
	}
	if ck.Adam != nil {
		if ck.M, err = read(); err != nil {
			return nil, err
		}
		if ck.V, err = read(); err != nil {
			return nil, err
		}
	}
	want := sum.Sum(nil)
	stored := make([]byte, len(want))
	if _, err := io.ReadFull(r, stored); err != nil {
		return nil, corrupt("truncated: the checksum is missing (%v)", err)
	}
	if !bytes.Equal(stored, want) {
		return nil, corrupt("checksum mismatch (stored %x…, content hashes to %x…): the file changed after it was written; retrain or restore it from a copy", stored[:6], want[:6])
	}
	if k, _ := io.ReadFull(r, stored[:1]); k != 0 {
		return nil, corrupt("bytes follow the checksum")
	}
	return &ck, nil
}
