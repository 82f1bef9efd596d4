//go:build openblas

package models

/*
#cgo LDFLAGS: -lopenblas -ldl
#define _GNU_SOURCE
#include <dlfcn.h>

void openblas_set_num_threads(int num_threads);
int openblas_get_parallel(void);

// The OpenMP runtime's thread-count controls, looked up at run time:
// present when the process loaded an OpenMP OpenBLAS (and with it
// libgomp), NULL otherwise.
static void (*hd_omp_set_num_threads)(int);
static int (*hd_omp_get_max_threads)(void);

static void hd_find_omp(void) {
	hd_omp_set_num_threads = (void (*)(int))dlsym(RTLD_DEFAULT, "omp_set_num_threads");
	hd_omp_get_max_threads = (int (*)(void))dlsym(RTLD_DEFAULT, "omp_get_max_threads");
}

// hd_thread_single marks the OS threads whose OpenMP thread count is set.
static __thread int hd_thread_single;

// hd_single_thread holds the calling thread's OpenMP thread count to one,
// once per thread: omp_set_num_threads sets only the caller's own count,
// and every thread that never called it keeps the process default.
static void hd_single_thread(void) {
	if (!hd_thread_single) {
		hd_thread_single = 1;
		if (hd_omp_set_num_threads) hd_omp_set_num_threads(1);
	}
}

// hd_max_threads is the calling thread's omp_get_max_threads(), -1
// without OpenMP.
static int hd_max_threads(void) {
	return hd_omp_get_max_threads ? hd_omp_get_max_threads() : -1;
}
*/
import "C"

import (
	"runtime"

	"gonum.org/v1/gonum/blas"
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
// thread per call.
//
// openblas_set_num_threads(1) is enough for the pthread variant, whose
// thread count is one global. The openmp variant instead asks, on every
// product above about 64³ multiply-adds, omp_get_max_threads() of the
// calling thread, and that count is per OS thread: the call in init set
// it only on the thread that ran init, every other thread kept the
// process default (the core count, or OMP_NUM_THREADS read by libgomp
// before main). The batch-parallel ops' goroutines then each opened an
// OpenMP team, and the second product to arrive spun in OpenBLAS's
// exec_blas until the first one's team finished (one set of thread
// buffers, NUM_PARALLEL=1): on two cores about 6× slower on the relation
// net. So with OpenMP loaded, every call goes through openmpBLAS, which
// holds each thread's own count to one before it calls OpenBLAS; no
// OpenMP team is ever started and the products run as the pthread
// variant's do. Setting OMP_NUM_THREADS from here would be too late:
// libgomp reads it when it is loaded.
func init() {
	C.openblas_set_num_threads(1)
	C.hd_find_omp()
	if C.openblas_get_parallel() == 2 {
		G.Use(openmpBLAS{})
		return
	}
	G.Use(netlib.Implementation{})
}

// sgemmSerial: with one OpenBLAS thread per call, this build's float32
// gemm runs on the calling goroutine and serialGemm leaves it whole.
const sgemmSerial = true

// openmpMaxThreads returns omp_get_max_threads() of the OS thread it runs
// on, or -1 when the process has not loaded OpenMP; for tests.
func openmpMaxThreads() int {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return int(C.hd_max_threads())
}

// openmpBLAS is netlib's OpenBLAS with the calling OS thread's OpenMP
// thread count held to one in every routine that gorgonia or our ops
// call and that OpenBLAS would spread over an OpenMP team (level 3 and 2,
// and the level 1 ones gorgonia uses). The goroutine stays on its thread
// between setting the count and the call. Everything else is netlib's.
type openmpBLAS struct{ netlib.Implementation }

// single pins the goroutine to its OS thread and holds that thread's
// OpenMP count to one; call the returned func after the BLAS call.
func single() func() {
	runtime.LockOSThread()
	C.hd_single_thread()
	return runtime.UnlockOSThread
}

func (o openmpBLAS) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	defer single()()
	o.Implementation.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func (o openmpBLAS) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	defer single()()
	o.Implementation.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func (o openmpBLAS) Sgemv(tA blas.Transpose, m, n int, alpha float32, a []float32, lda int, x []float32, incX int, beta float32, y []float32, incY int) {
	defer single()()
	o.Implementation.Sgemv(tA, m, n, alpha, a, lda, x, incX, beta, y, incY)
}

func (o openmpBLAS) Dgemv(tA blas.Transpose, m, n int, alpha float64, a []float64, lda int, x []float64, incX int, beta float64, y []float64, incY int) {
	defer single()()
	o.Implementation.Dgemv(tA, m, n, alpha, a, lda, x, incX, beta, y, incY)
}

func (o openmpBLAS) Sger(m, n int, alpha float32, x []float32, incX int, y []float32, incY int, a []float32, lda int) {
	defer single()()
	o.Implementation.Sger(m, n, alpha, x, incX, y, incY, a, lda)
}

func (o openmpBLAS) Dger(m, n int, alpha float64, x []float64, incX int, y []float64, incY int, a []float64, lda int) {
	defer single()()
	o.Implementation.Dger(m, n, alpha, x, incX, y, incY, a, lda)
}

func (o openmpBLAS) Saxpy(n int, alpha float32, x []float32, incX int, y []float32, incY int) {
	defer single()()
	o.Implementation.Saxpy(n, alpha, x, incX, y, incY)
}

func (o openmpBLAS) Daxpy(n int, alpha float64, x []float64, incX int, y []float64, incY int) {
	defer single()()
	o.Implementation.Daxpy(n, alpha, x, incX, y, incY)
}

func (o openmpBLAS) Sdot(n int, x []float32, incX int, y []float32, incY int) float32 {
	defer single()()
	return o.Implementation.Sdot(n, x, incX, y, incY)
}

func (o openmpBLAS) Ddot(n int, x []float64, incX int, y []float64, incY int) float64 {
	defer single()()
	return o.Implementation.Ddot(n, x, incX, y, incY)
}

func (o openmpBLAS) Sscal(n int, alpha float32, x []float32, incX int) {
	defer single()()
	o.Implementation.Sscal(n, alpha, x, incX)
}

func (o openmpBLAS) Dscal(n int, alpha float64, x []float64, incX int) {
	defer single()()
	o.Implementation.Dscal(n, alpha, x, incX)
}
