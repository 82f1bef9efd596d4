package models

import (
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"
)

// float is the element type of every kernel: float32 for training,
// float64 for finite-difference gradient checks.
type float interface{ ~float32 | ~float64 }

type gemmFunc[F float] func(tA, tB blas.Transpose, m, n, k int, alpha F, a []F, lda int, b []F, ldb int, beta F, c []F, ldc int)

// gemm returns the general matrix product of the BLAS gorgonia uses: in
// the default build gonum's with Sgemm replaced by models/internal/sgemm
// (blas_gonum.go), OpenBLAS under -tags openblas.
func gemm[F float]() gemmFunc[F] {
	var z F
	b := G.WhichBLAS()
	switch any(z).(type) {
	case float32:
		return any(gemmFunc[float32](b.Sgemm)).(gemmFunc[F])
	default:
		return any(gemmFunc[float64](b.Dgemm)).(gemmFunc[F])
	}
}

// serialGemm wraps a gemm so that each call stays on its goroutine. gonum's
// Sgemm and Dgemm spread any product of four or more 64×64 blocks of C
// over every core; inside our batch-parallel loops that only adds
// goroutines and synchronisation per image. Tiles of C of at most 64×192
// are below the threshold, and each tile still sums over all of k, so
// results stay deterministic. A float32 product that never starts
// goroutines (sgemmSerial: the default build's kernel, and OpenBLAS held to
// one thread per call under -tags openblas) is returned as it is.
func serialGemm[F float](mm gemmFunc[F]) gemmFunc[F] {
	var z F
	if _, ok := any(z).(float32); ok && sgemmSerial {
		return mm
	}
	const tm, tn = 64, 192
	return func(tA, tB blas.Transpose, m, n, k int, alpha F, a []F, lda int, b []F, ldb int, beta F, c []F, ldc int) {
		for i := 0; i < m; i += tm {
			var ai []F
			if tA == blas.NoTrans {
				ai = a[i*lda:]
			} else {
				ai = a[i:] // Aᵀ is stored k×m: rows of A are its columns
			}
			for j := 0; j < n; j += tn {
				var bj []F
				if tB == blas.NoTrans {
					bj = b[j:]
				} else {
					bj = b[j*ldb:] // Bᵀ is stored n×k
				}
				mm(tA, tB, min(tm, m-i), min(tn, n-j), k, alpha, ai, lda, bj, ldb, beta, c[i*ldc+j:], ldc)
			}
		}
	}
}

// parts splits n items into a fixed number of contiguous parts that does not
// depend on the machine, so that reductions over parts add in the same order
// everywhere and results are bit-identical whatever the core count.
func parts(n int) [][2]int {
	const most = 8
	k := min(n, most)
	out := make([][2]int, k)
	for i := range out {
		out[i] = [2]int{n * i / k, n * (i + 1) / k}
	}
	return out
}

// forParts runs f on every part, on up to GOMAXPROCS goroutines.
func forParts(ps [][2]int, f func(part int, lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), len(ps))
	if workers <= 1 {
		for i, p := range ps {
			f(i, p[0], p[1])
		}
		return
	}
	var wg sync.WaitGroup
	next := make(chan int, len(ps))
	for i := range ps {
		next <- i
	}
	close(next)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i, ps[i][0], ps[i][1])
			}
		}()
	}
	wg.Wait()
}
