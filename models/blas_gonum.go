//go:build !openblas

package models

import (
	G "gorgonia.org/gorgonia"

	"github.com/hiddendim/hiddendim/models/internal/sgemm"
)

// BLASName names the BLAS this build trains with, for records: by default
// gonum's pure-Go BLAS with its float32 matrix product replaced by
// models/internal/sgemm, and the sgemm kernel this CPU runs
// ("gonum+sgemm/avx2-fma", or "gonum+sgemm/go" without AVX2 and FMA or
// under -tags purego, whose rounding differs); "openblas" under -tags
// openblas.
func BLASName() string { return "gonum+sgemm/" + sgemm.Kernel() }

// sgemmSerial: this build's float32 gemm runs on the calling goroutine.
const sgemmSerial = true

// Every float32 matrix product, gorgonia's and the fused ops', goes to
// sgemm.Sgemm; Dgemm (float64, for gradient checks) and the rest stay
// gonum's.
func init() { G.Use(sgemm.Implementation{}) }
