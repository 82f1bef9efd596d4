//go:build openblas

package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/testblas"
	"gonum.org/v1/netlib/blas/netlib"
	G "gorgonia.org/gorgonia"
)

// TestOpenMPThreadsHeldToOne: with the openmp OpenBLAS, an OS thread that
// has made a product through gorgonia's BLAS has its OpenMP thread count
// at one, so no later product on it starts an OpenMP team. Before the fix
// only the thread that ran init had it (every other thread kept the core
// count), which this test saw as max threads 2 after the product.
func TestOpenMPThreadsHeldToOne(t *testing.T) {
	if name := BLASName(); name != "openblas/openmp" {
		t.Skipf("BLAS is %s; only the openmp variant counts threads per OS thread", name)
	}
	// 128³ multiply-adds is above OpenBLAS's threading threshold
	// (GEMM_MULTITHREAD_THRESHOLD 4 × 65536), so the product asks for the
	// thread count.
	const n = 128
	a, b := randF32(n*n, 1), randF32(n*n, 2)
	fresh := 0
	for round := 0; round < 8; round++ {
		res := make(chan [2]int)
		go func() {
			// Never unlocked: the thread ends with the goroutine, so
			// later rounds run on other threads, some new.
			runtime.LockOSThread()
			before := openmpMaxThreads()
			c := make([]float32, n*n)
			G.WhichBLAS().Sgemm(blas.NoTrans, blas.NoTrans, n, n, n, 1, a, n, b, n, 0, c, n)
			res <- [2]int{before, openmpMaxThreads()}
		}()
		r := <-res
		if r[0] > 1 {
			fresh++
		}
		if r[1] != 1 {
			t.Errorf("round %d: OpenMP max threads %d before the product, %d after; want 1 after", round, r[0], r[1])
		}
	}
	if fresh == 0 {
		t.Skip("no thread started with more than one OpenMP thread (one core, or OMP_NUM_THREADS=1): nothing to hold")
	}
}

// TestOpenBLASConcurrentProducts: products above OpenBLAS's threading
// threshold, from several goroutines at once (as the batch-parallel ops
// make them), are right to float32 rounding.
func TestOpenBLASConcurrentProducts(t *testing.T) {
	type shape struct {
		tA, tB  blas.Transpose
		m, n, k int
	}
	shapes := []shape{
		{blas.NoTrans, blas.NoTrans, 150, 130, 170},
		{blas.Trans, blas.NoTrans, 96, 200, 64},
		{blas.NoTrans, blas.Trans, 64, 300, 90},
		{blas.Trans, blas.Trans, 70, 80, 250},
	}
	impl := G.WhichBLAS()
	var wg sync.WaitGroup
	errs := make(chan error, 4*len(shapes))
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, s := range shapes {
				seed := uint64(10*w + i)
				a, b := randF32(s.m*s.k, seed), randF32(s.k*s.n, seed+100)
				lda, ldb := s.k, s.n
				if s.tA == blas.Trans {
					lda = s.m
				}
				if s.tB == blas.Trans {
					ldb = s.k
				}
				c := make([]float32, s.m*s.n)
				impl.Sgemm(s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, b, ldb, 0, c, s.n)
				if err := checkProduct(s.tA, s.tB, s.m, s.n, s.k, a, lda, b, ldb, c); err != nil {
					errs <- fmt.Errorf("worker %d, %+v: %w", w, s, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// checkProduct compares c with op(a)·op(b) summed in float64; each
// element may be off by float32 rounding of k terms.
func checkProduct(tA, tB blas.Transpose, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32) error {
	at := func(s []float32, ld int, tr blas.Transpose, i, j int) float64 {
		if tr == blas.Trans {
			return float64(s[j*ld+i])
		}
		return float64(s[i*ld+j])
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var want, mag float64
			for l := 0; l < k; l++ {
				x := at(a, lda, tA, i, l) * at(b, ldb, tB, l, j)
				want += x
				mag += math.Abs(x)
			}
			tol := 2 * float64(k+1) * 0x1p-24 * mag
			if got := float64(c[i*n+j]); math.IsNaN(got) || math.Abs(got-want) > tol {
				return fmt.Errorf("C[%d,%d] = %v, want %v ± %g", i, j, got, want, tol)
			}
		}
	}
	return nil
}

// TestOpenMPBLASAsNetlib: each routine openmpBLAS wraps passes its
// arguments through unchanged: on small sizes, single-threaded either way,
// it gives netlib's bits, and bad arguments panic with netlib's message.
func TestOpenMPBLASAsNetlib(t *testing.T) {
	var o openmpBLAS
	var nl netlib.Implementation
	const m, n, k = 7, 5, 6
	a, b := randF32(m*k, 1), randF32(k*n, 2)
	x, y := randF32(n, 3), randF32(m, 4)
	a64, b64 := to64(a), to64(b)
	x64, y64 := to64(x), to64(y)
	cases := []struct {
		name string
		run  func(impl G.BLAS) []float64
	}{
		{"Sgemm", func(impl G.BLAS) []float64 {
			c := randF32(m*n, 5)
			impl.Sgemm(blas.Trans, blas.NoTrans, m, n, k, 0.5, a, m, b, n, 2, c, n)
			return to64(c)
		}},
		{"Dgemm", func(impl G.BLAS) []float64 {
			c := to64(randF32(m*n, 5))
			impl.Dgemm(blas.NoTrans, blas.Trans, m, n, k, 0.5, a64, k, b64, k, 2, c, n)
			return c
		}},
		{"Sgemv", func(impl G.BLAS) []float64 {
			out := append([]float32(nil), y...)
			impl.Sgemv(blas.NoTrans, m, n, 1.5, a, n, x, 1, -1, out, 1)
			return to64(out)
		}},
		{"Dgemv", func(impl G.BLAS) []float64 {
			out := append([]float64(nil), x64...)
			impl.Dgemv(blas.Trans, m, n, 1.5, a64, n, y64, 1, -1, out, 1)
			return out
		}},
		{"Sger", func(impl G.BLAS) []float64 {
			out := append([]float32(nil), a[:m*n]...)
			impl.Sger(m, n, 0.25, y, 1, x, 1, out, n)
			return to64(out)
		}},
		{"Dger", func(impl G.BLAS) []float64 {
			out := append([]float64(nil), a64[:m*n]...)
			impl.Dger(m, n, 0.25, y64, 1, x64, 1, out, n)
			return out
		}},
		{"Saxpy", func(impl G.BLAS) []float64 {
			out := append([]float32(nil), a...)
			impl.Saxpy(len(b), 3, b, 1, out, 1)
			return to64(out)
		}},
		{"Daxpy", func(impl G.BLAS) []float64 {
			out := append([]float64(nil), a64...)
			impl.Daxpy(len(b64), 3, b64, 1, out, 1)
			return out
		}},
		{"Sdot", func(impl G.BLAS) []float64 { return []float64{float64(impl.Sdot(len(b), a, 1, b, 1))} }},
		{"Ddot", func(impl G.BLAS) []float64 { return []float64{impl.Ddot(len(b64), a64, 1, b64, 1)} }},
		{"Sscal", func(impl G.BLAS) []float64 {
			out := append([]float32(nil), a...)
			impl.Sscal(len(out)/2, -2, out, 2)
			return to64(out)
		}},
		{"Dscal", func(impl G.BLAS) []float64 {
			out := append([]float64(nil), a64...)
			impl.Dscal(len(out)/2, -2, out, 2)
			return out
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, want := tc.run(o), tc.run(nl)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("openmpBLAS %v\nnetlib     %v", got, want)
			}
		})
	}
	catch := func(f func()) (msg any) {
		defer func() { msg = recover() }()
		f()
		return nil
	}
	short := make([]float32, 10)
	ours := catch(func() { o.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, b, n, 0, short, n) })
	theirs := catch(func() { nl.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, b, n, 0, short, n) })
	if ours == nil || fmt.Sprint(ours) != fmt.Sprint(theirs) {
		t.Errorf("short C: openmpBLAS panics %v, netlib %v", ours, theirs)
	}
}

// TestOpenMPBLASGonumTestblas runs gonum's float64 BLAS tests on the
// wrapped routines.
func TestOpenMPBLASGonumTestblas(t *testing.T) {
	var o openmpBLAS
	t.Run("Dgemm", func(t *testing.T) { testblas.TestDgemm(t, o) })
	t.Run("Dgemv", func(t *testing.T) { testblas.DgemvTest(t, o) })
	t.Run("Dger", func(t *testing.T) { testblas.DgerTest(t, o) })
	t.Run("Ddot", func(t *testing.T) { testblas.DdotTest(t, o) })
	t.Run("Daxpy", func(t *testing.T) { testblas.DaxpyTest(t, o) })
	t.Run("Dscal", func(t *testing.T) { testblas.DscalTest(t, o) })
}

// BenchmarkOpenBLASCall measures what openmpBLAS adds to a call (locking
// the OS thread and one more cgo call) on a product too small to thread.
func BenchmarkOpenBLASCall(b *testing.B) {
	const n = 16
	x, y := randF32(n*n, 1), randF32(n*n, 2)
	c := make([]float32, n*n)
	for _, impl := range []struct {
		name string
		impl G.BLAS
	}{{"netlib", netlib.Implementation{}}, {"openmpBLAS", openmpBLAS{}}} {
		b.Run(impl.name, func(b *testing.B) {
			for b.Loop() {
				impl.impl.Sgemm(blas.NoTrans, blas.NoTrans, n, n, n, 1, x, n, y, n, 0, c, n)
			}
		})
	}
}

func randF32(n int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 19))
	s := make([]float32, n)
	for i := range s {
		s[i] = rng.Float32()*2 - 1
	}
	return s
}

func to64(s []float32) []float64 {
	out := make([]float64, len(s))
	for i, v := range s {
		out[i] = float64(v)
	}
	return out
}
