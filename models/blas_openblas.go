//go:build openblas

package models

import (
	"gonum.org/v1/netlib/blas/netlib"
	G "gorgonia.org/gorgonia"
)

// BLASName names the BLAS this build trains with.
func BLASName() string { return "openblas" }

// Under -tags openblas every matrix product, gorgonia's and the fused
// ops', goes to OpenBLAS through cgo. Build with
// CGO_LDFLAGS=-lopenblas (Debian: apt-get install libopenblas-dev), and
// set OPENBLAS_NUM_THREADS=1: the ops already spread the batch over cores.
func init() { G.Use(netlib.Implementation{}) }

// sgemmSerial is false: serialGemm keeps tiling products for OpenBLAS.
const sgemmSerial = false
