package sgemm

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
	"gonum.org/v1/gonum/blas/testblas"
)

// problem is one Sgemm call with its inputs; c holds C before the call.
type problem struct {
	tA, tB        blas.Transpose
	m, n, k       int
	alpha, beta   float32
	a, b, c       []float32
	lda, ldb, ldc int
}

// guard fills the parts of C that Sgemm must not touch: past n in a row.
const guard = 12345.5

func randProblem(rng *rand.Rand, m, n, k int, tA, tB blas.Transpose, alpha, beta float32, pad int) problem {
	p := problem{tA: tA, tB: tB, m: m, n: n, k: k, alpha: alpha, beta: beta}
	ar, ac := m, k
	if tA != blas.NoTrans {
		ar, ac = k, m
	}
	br, bc := k, n
	if tB != blas.NoTrans {
		br, bc = n, k
	}
	p.lda, p.ldb, p.ldc = max(1, ac)+rng.IntN(pad+1), max(1, bc)+rng.IntN(pad+1), max(1, n)+rng.IntN(pad+1)
	fill := func(rows, cols, ld int) []float32 {
		s := make([]float32, max(0, (rows-1)*ld+cols))
		for i := range s {
			if i%ld < cols {
				s[i] = float32(rng.NormFloat64())
			} else {
				s[i] = float32(math.NaN()) // padding of A and B is never read
			}
		}
		return s
	}
	p.a = fill(ar, ac, p.lda)
	p.b = fill(br, bc, p.ldb)
	p.c = make([]float32, max(0, (m-1)*p.ldc+n))
	for i := range p.c {
		switch {
		case i%p.ldc >= n:
			p.c[i] = guard
		case beta == 0:
			p.c[i] = float32(math.NaN()) // must not leak through beta = 0
		default:
			p.c[i] = float32(rng.NormFloat64())
		}
	}
	return p
}

func (p problem) at(s []float32, ld int, trans bool, i, j int) float64 {
	if trans {
		i, j = j, i
	}
	return float64(s[i*ld+j])
}

// run calls Sgemm through kern on a copy of C and returns it.
func (p problem) run(kern kernelFunc) []float32 {
	c := append([]float32(nil), p.c...)
	sgemm(kern, p.tA, p.tB, p.m, p.n, p.k, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta, c, p.ldc)
	return c
}

// check compares c with a float64 reference. Tolerance: the float32 sum of
// k products, scaled, and added to beta*C has a rounding error of at most
// about (k+3)·2⁻²⁴ times the sum of the magnitudes of its terms; we allow
// twice that, plus 1e-30 for underflow.
func (p problem) check(t *testing.T, name string, c []float32) {
	t.Helper()
	for i := 0; i < p.m; i++ {
		for j := 0; j < p.ldc && i*p.ldc+j < len(c); j++ {
			got := c[i*p.ldc+j]
			if j >= p.n {
				if got != guard {
					t.Fatalf("%s: %+v: C[%d,%d] past n changed to %v", name, p.shape(), i, j, got)
				}
				continue
			}
			var want, mag float64
			if p.alpha != 0 {
				for l := 0; l < p.k; l++ {
					x := p.at(p.a, p.lda, p.tA != blas.NoTrans, i, l) * p.at(p.b, p.ldb, p.tB != blas.NoTrans, l, j)
					want += x
					mag += math.Abs(x)
				}
			}
			want *= float64(p.alpha)
			mag *= math.Abs(float64(p.alpha))
			if p.beta != 0 {
				c0 := float64(p.beta) * float64(p.c[i*p.ldc+j])
				want += c0
				mag += math.Abs(c0)
			}
			tol := 2*float64(p.k+3)*0x1p-24*mag + 1e-30
			if math.IsNaN(float64(got)) || math.Abs(float64(got)-want) > tol {
				t.Fatalf("%s: %+v: C[%d,%d] = %v, want %v ± %g", name, p.shape(), i, j, got, want, tol)
			}
		}
	}
}

func (p problem) shape() string {
	return fmt.Sprintf("tA=%c tB=%c m=%d n=%d k=%d alpha=%v beta=%v lda=%d ldb=%d ldc=%d",
		p.tA, p.tB, p.m, p.n, p.k, p.alpha, p.beta, p.lda, p.ldb, p.ldc)
}

var (
	transposes = []blas.Transpose{blas.NoTrans, blas.Trans}
	scalars    = []float32{0, 1, -0.5, 2}
)

// kernels are the micro-kernels a test runs: the one this process uses and
// both Go kernels.
func kernels() map[string]kernelFunc {
	ks := map[string]kernelFunc{"go": goKernel, "gofma": goFMAKernel}
	ks["default("+kernelName+")"] = kernel
	return ks
}

func sizes(rng *rand.Rand) []int {
	base := []int{1, 2, 5, 6, 7, 15, 16, 17, 31, 33}
	return append(base, 1+rng.IntN(70))
}

func TestAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for name, kern := range kernels() {
		count := 0
		for _, tA := range transposes {
			for _, tB := range transposes {
				for _, alpha := range scalars {
					for _, beta := range scalars {
						for r := 0; r < 6; r++ {
							ss := sizes(rng)
							m, n, k := ss[rng.IntN(len(ss))], ss[rng.IntN(len(ss))], ss[rng.IntN(len(ss))]
							p := randProblem(rng, m, n, k, tA, tB, alpha, beta, 3)
							p.check(t, name, p.run(kern))
							count++
						}
					}
				}
			}
		}
		t.Logf("%s: %d products", name, count)
	}
}

// TestBlocks crosses the cache blocks: k past kc (several k blocks, whose
// order fixes rounding), m past mc, n past nc.
func TestBlocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	shapes := [][3]int{{7, 9, kc + 1}, {13, 40, 2*kc + 37}, {mc + 7, 19, 20}, {2*mc + 1, 33, kc + 3}, {3, nc + 21, 5}, {8, nc + 16, kc + 2}}
	for name, kern := range kernels() {
		for _, s := range shapes {
			for _, tA := range transposes {
				for _, tB := range transposes {
					beta := scalars[rng.IntN(len(scalars))]
					p := randProblem(rng, s[0], s[1], s[2], tA, tB, -0.5, beta, 2)
					p.check(t, name, p.run(kern))
				}
			}
		}
	}
}

// TestKernelBitsMatchGoFMA holds the AVX2 kernel to its definition: the
// same bits as the Go kernel with exact fused multiply-adds.
func TestKernelBitsMatchGoFMA(t *testing.T) {
	if kernelName != "avx2-fma" {
		t.Skipf("kernel is %q", kernelName)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for r := 0; r < 400; r++ {
		ss := sizes(rng)
		m, n, k := ss[rng.IntN(len(ss))], ss[rng.IntN(len(ss))], ss[rng.IntN(len(ss))]
		if r%20 == 0 {
			k += kc
		}
		p := randProblem(rng, m, n, k, transposes[rng.IntN(2)], transposes[rng.IntN(2)], scalars[rng.IntN(4)], scalars[rng.IntN(4)], 2)
		if r%3 == 0 {
			p.alpha = float32(rng.NormFloat64())
		}
		if r%5 == 0 && p.beta != 0 {
			p.beta = float32(rng.NormFloat64())
		}
		want, got := p.run(goFMAKernel), p.run(kernel)
		for i := range want {
			if math.Float32bits(want[i]) != math.Float32bits(got[i]) {
				t.Fatalf("%s: element %d: avx2 %v, go fma %v", p.shape(), i, got[i], want[i])
			}
		}
	}
}

// TestDeterministic: repeated calls, concurrent calls under GOMAXPROCS 1
// and 2, and the product computed tile by tile of C all give the same bits.
func TestDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	p := randProblem(rng, 37, 250, 2*kc+11, blas.NoTrans, blas.Trans, 1, 1, 0)
	want := p.run(kernel)
	same := func(what string, got []float32) {
		t.Helper()
		for i := range want {
			if math.Float32bits(want[i]) != math.Float32bits(got[i]) {
				t.Fatalf("%s: element %d differs: %v vs %v", what, i, got[i], want[i])
			}
		}
	}
	for _, procs := range []int{1, 2} {
		old := runtime.GOMAXPROCS(procs)
		var wg sync.WaitGroup
		res := make([][]float32, 8)
		for g := range res {
			wg.Add(1)
			go func() { defer wg.Done(); res[g] = p.run(kernel) }()
		}
		wg.Wait()
		runtime.GOMAXPROCS(old)
		for g, r := range res {
			same(fmt.Sprintf("GOMAXPROCS=%d goroutine %d", procs, g), r)
		}
	}
	// tile by tile, as models.serialGemm splits a product
	c := append([]float32(nil), p.c...)
	const tm, tn = 10, 48
	for i := 0; i < p.m; i += tm {
		for j := 0; j < p.n; j += tn {
			Sgemm(p.tA, p.tB, min(tm, p.m-i), min(tn, p.n-j), p.k, p.alpha, p.a[i*p.lda:], p.lda, p.b[j*p.ldb:], p.ldb, p.beta, c[i*p.ldc+j:], p.ldc)
		}
	}
	same("tiled", c)

	// B packed (m past inPlaceMaxM) and read in place (tiles of few rows)
	q := randProblem(rng, inPlaceMaxM+37, 77, kc+40, blas.Trans, blas.NoTrans, 2, 0, 0)
	want = q.run(kernel)
	c = append([]float32(nil), q.c...)
	for i := 0; i < q.m; i += 10 {
		Sgemm(q.tA, q.tB, min(10, q.m-i), q.n, q.k, q.alpha, q.a[i:], q.lda, q.b, q.ldb, q.beta, c[i*q.ldc:], q.ldc)
	}
	same("packed B against B in place", c)
}

func TestBetaZeroIgnoresNaN(t *testing.T) {
	for name, kern := range kernels() {
		for _, alpha := range scalars {
			for _, k := range []int{0, 1, 7} {
				a := make([]float32, 5*max(k, 1))
				b := make([]float32, max(k, 1)*19)
				c := make([]float32, 5*19)
				for i := range c {
					c[i] = float32(math.NaN())
				}
				sgemm(kern, blas.NoTrans, blas.NoTrans, 5, 19, k, alpha, a, max(k, 1), b, 19, 0, c, 19)
				for i, v := range c {
					if v != 0 {
						t.Fatalf("%s alpha=%v k=%d: C[%d] = %v, want 0", name, alpha, k, i, v)
					}
				}
			}
		}
	}
}

// TestPanicsAsGonum: bad arguments panic with gonum's messages.
func TestPanicsAsGonum(t *testing.T) {
	s := make([]float32, 100)
	cases := []struct {
		tA, tB                 blas.Transpose
		m, n, k, lda, ldb, ldc int
		a                      []float32
	}{
		{'X', blas.NoTrans, 2, 2, 2, 2, 2, 2, s},
		{blas.NoTrans, blas.NoTrans, -1, 2, 2, 2, 2, 2, s},
		{blas.NoTrans, blas.NoTrans, 2, 2, 3, 2, 2, 2, s},
		{blas.Trans, blas.NoTrans, 3, 2, 2, 2, 2, 2, s},
		{blas.NoTrans, blas.NoTrans, 2, 3, 2, 2, 2, 3, s},
		{blas.NoTrans, blas.NoTrans, 2, 2, 2, 2, 2, 1, s},
		{blas.NoTrans, blas.NoTrans, 20, 2, 20, 20, 2, 2, s[:50]},
	}
	catch := func(f func()) (msg any) {
		defer func() { msg = recover() }()
		f()
		return nil
	}
	for i, tc := range cases {
		ours := catch(func() { Sgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, 1, tc.a, tc.lda, s, tc.ldb, 0, s, tc.ldc) })
		theirs := catch(func() {
			gonum.Implementation{}.Sgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, 1, tc.a, tc.lda, s, tc.ldb, 0, s, tc.ldc)
		})
		if ours == nil || fmt.Sprint(ours) != fmt.Sprint(theirs) {
			t.Errorf("case %d: panic %v, gonum %v", i, ours, theirs)
		}
	}
}

// dgemmer runs float64 cases through Sgemm, for gonum's testblas (which
// has only Dgemm cases). Its cases are small integers and halves, exact in
// float32, so its tolerance of 1e-14 holds.
type dgemmer struct{ kern kernelFunc }

func (d dgemmer) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	to32 := func(s []float64) []float32 {
		out := make([]float32, len(s))
		for i, v := range s {
			out[i] = float32(v)
		}
		return out
	}
	c32 := to32(c)
	sgemm(d.kern, tA, tB, m, n, k, float32(alpha), to32(a), lda, to32(b), ldb, float32(beta), c32, ldc)
	for i, v := range c32 {
		c[i] = float64(v)
	}
}

func TestGonumTestblas(t *testing.T) {
	for name, kern := range kernels() {
		t.Run(name, func(t *testing.T) { testblas.TestDgemm(t, dgemmer{kern}) })
	}
}

// TestFMA32 checks the emulated fused multiply-add against exact
// arithmetic, on random values and on values built to hit double rounding.
func TestFMA32(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	exact := func(x, y, z float32) float32 {
		f := new(big.Float).SetPrec(400).SetFloat64(float64(x))
		f.Mul(f, new(big.Float).SetPrec(400).SetFloat64(float64(y)))
		f.Add(f, new(big.Float).SetPrec(400).SetFloat64(float64(z)))
		r, _ := f.Float32()
		return r
	}
	for i := 0; i < 200000; i++ {
		var x, y, z float32
		switch i % 3 {
		case 0:
			x, y, z = float32(rng.NormFloat64()), float32(rng.NormFloat64()), float32(rng.NormFloat64())
		case 1: // z tiny against x*y: the sum's tail lies far below float64's precision
			x, y = float32(rng.NormFloat64()), float32(rng.NormFloat64())
			z = float32(rng.NormFloat64() * math.Ldexp(1, -30-rng.IntN(60)))
		default: // x*y exactly half-way between two float32s, z far below float64's last bit:
			// rounding p+z to float64 lands on the half-way point, so only
			// rounding to odd keeps the direction z gives
			i, j := 2*rng.IntN(1<<10)+1, 2*rng.IntN(1<<10)+1
			x = float32(math.Ldexp(1+float64(i)*0x1p-12, rng.IntN(20)-10))
			y = float32(1 + float64(j)*0x1p-12)
			if rng.IntN(2) == 0 {
				y = -y
			}
			z = float32(math.Ldexp(rng.NormFloat64(), -55-rng.IntN(30)))
		}
		if got, want := fma32(x, y, z), exact(x, y, z); math.Float32bits(got) != math.Float32bits(want) && !(want == 0 && got == 0) {
			t.Fatalf("fma32(%v, %v, %v) = %v, want %v", x, y, z, got, want)
		}
	}
}

// FuzzSgemm checks any shape, transposes, padding and scalars against the
// float64 reference, with each kernel.
func FuzzSgemm(f *testing.F) {
	f.Add(uint8(1), uint8(1), uint16(1), uint8(0), uint8(0), uint8(0), uint64(1))
	f.Add(uint8(17), uint8(33), uint16(300), uint8(3), uint8(5), uint8(2), uint64(2))
	f.Add(uint8(6), uint8(16), uint16(256), uint8(0), uint8(10), uint8(1), uint64(3))
	f.Fuzz(func(t *testing.T, m, n uint8, k uint16, trans, scal, pad uint8, seed uint64) {
		rng := rand.New(rand.NewPCG(seed, 11))
		mm, nn, kk := int(m)%80+1, int(n)%80+1, int(k)%600
		p := randProblem(rng, mm, nn, kk, transposes[trans&1], transposes[trans>>1&1], scalars[scal%4], scalars[scal/4%4], int(pad%8))
		for name, kern := range kernels() {
			if name == "gofma" && mm*nn*kk > 50000 {
				continue
			}
			p.check(t, name, p.run(kern))
		}
	})
}
