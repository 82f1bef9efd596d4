//go:build !openblas

package models

import (
	G "gorgonia.org/gorgonia"

	"github.com/hiddendim/hiddendim/models/internal/sgemm"
)

// BLASName names the BLAS this build trains with: by default gonum's
// pure-Go BLAS with its float32 matrix product replaced by
// models/internal/sgemm (an AVX2+FMA kernel where the CPU has both, a
// pure-Go kernel elsewhere; sgemm.Kernel says which), OpenBLAS under
// -tags openblas.
const BLASName = "gonum+sgemm"

// sgemmSerial: this build's float32 gemm runs on the calling goroutine.
const sgemmSerial = true

// Every float32 matrix product, gorgonia's and the fused ops', goes to
// sgemm.Sgemm; Dgemm (float64, for gradient checks) and the rest stay
// gonum's.
func init() { G.Use(sgemm.Implementation{}) }
