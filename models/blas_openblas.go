//go:build openblas

package models

/*
#cgo LDFLAGS: -lopenblas
void openblas_set_num_threads(int num_threads);
int openblas_get_parallel(void);
*/
import "C"

import (
	"gonum.org/v1/netlib/blas/netlib"
	G "gorgonia.org/gorgonia"
)

// BLASName names the BLAS this build trains with, for records:
// "openblas/" and the threading of the OpenBLAS the process loaded
// ("sequential", "pthread" or "openmp"; Debian picks it with
// update-alternatives).
func BLASName() string {
	switch C.openblas_get_parallel() {
	case 0:
		return "openblas/sequential"
	case 1:
		return "openblas/pthread"
	case 2:
		return "openblas/openmp"
	}
	return "openblas/unknown"
}

// Under -tags openblas every matrix product, gorgonia's and the fused
// ops', goes to OpenBLAS through cgo (Debian: apt-get install
// libopenblas-dev, or libopenblas-openmp-dev to keep the openmp variant).
// The ops already spread the batch over the cores, so OpenBLAS runs one
// thread per call: openblas_set_num_threads(1) works for every variant,
// where OPENBLAS_NUM_THREADS is ignored by the openmp one (which then
// competed with the ops for the cores and halved the speed).
func init() {
	C.openblas_set_num_threads(1)
	G.Use(netlib.Implementation{})
}

// sgemmSerial is false: serialGemm keeps tiling products for OpenBLAS.
const sgemmSerial = false
