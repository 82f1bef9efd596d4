package models

import (
	"fmt"
	"hash"
	"hash/fnv"
	"sync"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// This file holds what every custom op shares: its identity (opMeta), its
// type (tensorT), access to its inputs' data, and the scratch buffers the
// kernels borrow.

// opMeta is what every op here answers the same way: it returns a new
// value (no pointer into its inputs), calls no external code, overwrites no
// input, and is identified by its name. gorgonia merges two nodes whose ops
// hash alike and whose inputs are the same (see the package comment for
// what that did to its Slice), so the name must spell out every parameter
// in full: geometry, bounds, shapes.
type opMeta struct{ name string }

// named returns an opMeta whose name is the formatted string.
func named(format string, a ...any) opMeta { return opMeta{fmt.Sprintf(format, a...)} }

func (m opMeta) ReturnsPtr() bool      { return false }
func (m opMeta) CallsExtern() bool     { return false }
func (m opMeta) OverwritesInput() int  { return -1 }
func (m opMeta) String() string        { return m.name }
func (m opMeta) WriteHash(h hash.Hash) { fmt.Fprint(h, m.name) }
func (m opMeta) Hashcode() uint32 {
	h := fnv.New32a()
	h.Write([]byte(m.name))
	return h.Sum32()
}

// tensorT is the type of a tensor of dims dimensions of any element type.
func tensorT(dims int) hm.Type { return &G.TensorType{Dims: dims, Of: hm.TypeVariable('a')} }

func data32(v G.Value) []float32 { return v.(*tensor.Dense).Data().([]float32) }
func data64(v G.Value) []float64 { return v.(*tensor.Dense).Data().([]float64) }

// scratch lends work buffers (im2col columns) so that each op call does
// not allocate and clear megabytes; contents are undefined on loan.
type scratch[F float] struct{ pool sync.Pool }

func (s *scratch[F]) get(n int) *[]F {
	if b, ok := s.pool.Get().(*[]F); ok && cap(*b) >= n {
		*b = (*b)[:n]
		return b
	}
	b := make([]F, n)
	return &b
}

func (s *scratch[F]) put(b *[]F) { s.pool.Put(b) }

// The pools are shared by every op of the package: a loan's contents are
// undefined, so sharing changes no result, only how often memory is reused.
var (
	scratch32 scratch[float32]
	scratch64 scratch[float64]
)

// buffer lends a scratch slice of n elements of type F; call the returned
// function to give it back.
func buffer[F float](n int) (*[]F, func()) {
	var z F
	if _, ok := any(z).(float32); ok {
		b := scratch32.get(n)
		return any(b).(*[]F), func() { scratch32.put(b) }
	}
	b := scratch64.get(n)
	return any(b).(*[]F), func() { scratch64.put(b) }
}
