package models

import (
	"bufio"
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
//	bytes 0–7   magic "HDCKPT1\n"
//	bytes 8–11  header length H, uint32 little-endian
//	then H bytes of JSON header: {"kind", "config", "tensors": [{"name", "shape"}],
//	            "epoch", "step", "losses", "adam": {"lr","beta1","beta2","eps","step"} | null}
//	then every tensor's float32 values, little-endian, in header order: the
//	parameters, then (if "adam" is set) Adam's first moments, then its second
//	moments, each in parameter order.
//
// A checkpoint is written to a temporary file and renamed, so a crash never
// leaves a half-written one under the real name.
const checkpointMagic = "HDCKPT1\n"

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

func (ck *Checkpoint) write(w io.Writer) error {
	head, err := json.Marshal(ck)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, checkpointMagic); err != nil {
		return err
	}
	if err := binary.Write(w, binary.LittleEndian, uint32(len(head))); err != nil {
		return err
	}
	if _, err := w.Write(head); err != nil {
		return err
	}
	buf := make([]byte, 0, 1<<16)
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
	_, err = w.Write(buf)
	return err
}

// LoadCheckpoint reads a checkpoint file.
func LoadCheckpoint(path string) (*Checkpoint, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	defer f.Close()
	ck, err := ReadCheckpoint(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("models: %s: %w", path, err)
	}
	return ck, nil
}

// ReadCheckpoint reads a checkpoint from r.
func ReadCheckpoint(r io.Reader) (*Checkpoint, error) {
	magic := make([]byte, len(checkpointMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != checkpointMagic {
		return nil, errors.New("not a hiddendim checkpoint (bad magic)")
	}
	var n uint32
	if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
		return nil, err
	}
	if n > 1<<24 {
		return nil, fmt.Errorf("checkpoint header of %d bytes is implausible", n)
	}
	head := make([]byte, n)
	if _, err := io.ReadFull(r, head); err != nil {
		return nil, fmt.Errorf("truncated header: %w", err)
	}
	var ck Checkpoint
	if err := json.Unmarshal(head, &ck); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	read := func() ([][]float32, error) {
		out := make([][]float32, len(ck.Tensors))
		for i, t := range ck.Tensors {
			size := 1
			for _, d := range t.Shape {
				if d <= 0 || d > 1<<28 {
					return nil, fmt.Errorf("tensor %s has shape %v", t.Name, t.Shape)
				}
				size *= d
				if size > 1<<28 {
					return nil, fmt.Errorf("tensor %s is too large", t.Name)
				}
			}
			b := make([]byte, 4*size)
			if _, err := io.ReadFull(r, b); err != nil {
				return nil, fmt.Errorf("truncated tensor %s: %w", t.Name, err)
			}
			out[i] = make([]float32, size)
			for j := range out[i] {
				out[i][j] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*j:]))
			}
		}
		return out, nil
	}
	var err error
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
	return &ck, nil
}
