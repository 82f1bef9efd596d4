package sgemm

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// benchShapes are the products of the reference CNN (28×28×3, conv16 3×3,
// pool, conv32 3×3, pool, dense 1568→64, batch 64): per image im2col
// products forward and backward, the dense layer's three, and 256³.
var benchShapes = []struct {
	name    string
	tA, tB  blas.Transpose
	m, n, k int
}{
	{"conv1/fwd_16x27.27x784", blas.NoTrans, blas.NoTrans, 16, 784, 27},
	{"conv1/dw_16x784.784x27T", blas.NoTrans, blas.Trans, 16, 27, 784},
	{"conv2/fwd_32x144.144x196", blas.NoTrans, blas.NoTrans, 32, 196, 144},
	{"conv2/dx_144x32T.32x196", blas.Trans, blas.NoTrans, 144, 196, 32},
	{"conv2/dw_32x196.196x144T", blas.NoTrans, blas.Trans, 32, 144, 196},
	{"dense/fwd_64x1568.1568x64", blas.NoTrans, blas.NoTrans, 64, 64, 1568},
	{"dense/dw_1568x64T.64x64", blas.Trans, blas.NoTrans, 1568, 64, 64},
	{"dense/dx_64x64.64x1568T", blas.NoTrans, blas.Trans, 64, 1568, 64},
	{"square_256", blas.NoTrans, blas.NoTrans, 256, 256, 256},
}

// gonumSerial is gonum's Sgemm on tiles of C of 64×192, as models used it
// before (each tile below gonum's threshold for spawning goroutines).
func gonumSerial(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	const tm, tn = 64, 192
	for i := 0; i < m; i += tm {
		var ai []float32
		if tA == blas.NoTrans {
			ai = a[i*lda:]
		} else {
			ai = a[i:]
		}
		for j := 0; j < n; j += tn {
			var bj []float32
			if tB == blas.NoTrans {
				bj = b[j:]
			} else {
				bj = b[j*ldb:]
			}
			gonum.Implementation{}.Sgemm(tA, tB, min(tm, m-i), min(tn, n-j), k, alpha, ai, lda, bj, ldb, beta, c[i*ldc+j:], ldc)
		}
	}
}

// BenchmarkSgemm reports GFLOP/s of this package's Sgemm, gonum v0.12's
// (which spreads large products over every core) and gonum's in serial
// tiles, in the same run.
func BenchmarkSgemm(b *testing.B) {
	impls := []struct {
		name string
		f    func(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
	}{
		{"sgemm-" + kernelName, Sgemm},
		{"gonum", gonum.Implementation{}.Sgemm},
		{"gonum-serial", gonumSerial},
	}
	for _, s := range benchShapes {
		rng := rand.New(rand.NewPCG(1, 1))
		rnd := func(n int) []float32 {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			return x
		}
		a, bb, c := rnd(s.m*s.k), rnd(s.k*s.n), rnd(s.m*s.n)
		lda, ldb := s.k, s.n
		if s.tA != blas.NoTrans {
			lda = s.m
		}
		if s.tB != blas.NoTrans {
			ldb = s.k
		}
		for _, im := range impls {
			b.Run(fmt.Sprintf("%s/%s", s.name, im.name), func(b *testing.B) {
				for b.Loop() {
					im.f(s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 1, c, s.n)
				}
				b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
