// Package sgemm is a packed, register-blocked single-precision matrix
// product (BLAS Sgemm, row-major as gonum's) for one goroutine.
//
// The algorithm is the one of BLIS and OpenBLAS: C is computed in tiles of
// mr×nr = 6×16 by a micro-kernel that keeps the tile in twelve AVX2
// registers and runs over a packed panel of A (6 rows, interleaved by k)
// and a packed panel of B (16 columns, contiguous by k). Panels are packed
// from blocks of mc×kc of A and kc×nc of B, sizes chosen for the caches of
// a 2-core AVX2 machine (32 KiB L1d, 512 KiB L2 per core). Edges are
// zero-padded in the packs and masked when C is read or written. A B that
// is not transposed is read where it lies (row stride ldb) when m is small
// (at most 64 rows, too few panels of A to pay for packing B); that
// changes where the kernel reads, not what it computes.
//
// # Arithmetic, and why results are deterministic
//
// Every element of C is computed the same way whatever m, n, the tile it
// falls in, the call's split into sub-products or the core count:
//
//	if beta is neither 0 nor 1: C = beta*C (one rounding)
//	for each block of kc = 256 along k, in order:
//	    acc = 0; for p in the block, in order: acc = fma(A[i,p], B[p,j], acc)
//	    C = alpha*acc          for the first block when beta == 0 (C is not read)
//	    C = fma(alpha, acc, C) otherwise
//
// The AVX2+FMA kernel and the pure-Go kernel with exact emulated FMA
// (used by the tests) give the same bits; the pure-Go kernel used where
// AVX2 or FMA is missing, or under the purego build tag, rounds the
// product before the sum (a*b+c in two roundings), so it is deterministic
// but not bit-identical to the FMA kernel. Which kernel runs is fixed
// for the life of the process: see Kernel.
//
// Nothing here starts a goroutine: callers parallelise, for example over
// a batch or over tiles of C (results are independent of the tiling).
package sgemm

import (
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Register tile and cache blocks. kc fixes the reduction order along k:
// changing it changes rounding.
const (
	mr = 6
	nr = 16
	mc = 144  // 24 panels of A: mc×kc floats = 144 KiB, in L2
	kc = 256  // a packed panel of B is kc×nr floats = 16 KiB, in L1
	nc = 4080 // 255 panels of B: kc×nc floats ≈ 4 MiB, in L3
)

// kernelFunc computes the rows×cols corner (rows ≤ mr, cols ≤ nr) of the
// mr×nr tile acc = Σ_p a[p*mr+i]·b[p*ldb+j] over p < k and stores
// c[i*ldc+j] = alpha*acc (accum false) or fma(alpha, acc, c[i*ldc+j]).
type kernelFunc func(k int, a, b []float32, ldb int, c []float32, ldc int, alpha float32, accum bool, rows, cols int)

// Kernel names the micro-kernel this process uses: "avx2-fma" or "go".
func Kernel() string { return kernelName }

// Implementation is gonum's BLAS with Sgemm replaced by this package's.
// Install it with gorgonia.Use; Dgemm and every other routine are gonum's.
type Implementation struct{ gonum.Implementation }

// Sgemm computes C = alpha*op(A)*op(B) + beta*C like gonum's Sgemm (same
// argument checks and panics), on the calling goroutine.
func (Implementation) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Sgemm computes C = alpha*op(A)*op(B) + beta*C, where op(A) is m×k,
// op(B) k×n and C m×n, all row-major. When beta is 0, C is not read (NaNs
// in it do not survive); when alpha is 0 or k is 0, A and B are not read.
func Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemm(kernel, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Argument-check panics, worded as gonum's.
const (
	badTranspose = "blas: illegal transpose"
	mLT0         = "blas: m < 0"
	nLT0         = "blas: n < 0"
	kLT0         = "blas: k < 0"
	badLdA       = "blas: bad leading dimension of A"
	badLdB       = "blas: bad leading dimension of B"
	badLdC       = "blas: bad leading dimension of C"
	shortA       = "blas: insufficient length of a"
	shortB       = "blas: insufficient length of b"
	shortC       = "blas: insufficient length of c"
)

func sgemm(kern kernelFunc, tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	switch tA {
	case blas.NoTrans, blas.Trans, blas.ConjTrans:
	default:
		panic(badTranspose)
	}
	switch tB {
	case blas.NoTrans, blas.Trans, blas.ConjTrans:
	default:
		panic(badTranspose)
	}
	if m < 0 {
		panic(mLT0)
	}
	if n < 0 {
		panic(nLT0)
	}
	if k < 0 {
		panic(kLT0)
	}
	aT := tA != blas.NoTrans
	bT := tB != blas.NoTrans
	if aT {
		if lda < max(1, m) {
			panic(badLdA)
		}
	} else if lda < max(1, k) {
		panic(badLdA)
	}
	if bT {
		if ldb < max(1, k) {
			panic(badLdB)
		}
	} else if ldb < max(1, n) {
		panic(badLdB)
	}
	if ldc < max(1, n) {
		panic(badLdC)
	}
	if m == 0 || n == 0 {
		return
	}
	if aT {
		if len(a) < (k-1)*lda+m {
			panic(shortA)
		}
	} else if len(a) < (m-1)*lda+k {
		panic(shortA)
	}
	if bT {
		if len(b) < (n-1)*ldb+k {
			panic(shortB)
		}
	} else if len(b) < (k-1)*ldb+n {
		panic(shortB)
	}
	if len(c) < (m-1)*ldc+n {
		panic(shortC)
	}

	if alpha == 0 || k == 0 {
		scale(m, n, beta, c, ldc)
		return
	}
	if beta != 0 && beta != 1 {
		scale(m, n, beta, c, ldc)
	}

	ws := pool.Get().(*workspace)
	defer pool.Put(ws)
	ap := ws.grow(&ws.a, mc*min(kc, k))
	bp := ws.grow(&ws.b, min(kc, k)*min(nc, roundUp(n, nr)))

	// B is read where it lies, not packed, when it is not transposed and
	// the product has few row panels to share a packed copy; only a last
	// panel narrower than nr is packed then.
	inPlace := !bT && m <= inPlaceMaxM && cacheFriendly(ldb)
	for jc := 0; jc < n; jc += nc {
		nb := min(nc, n-jc)
		for pc := 0; pc < k; pc += kc {
			kb := min(kc, k-pc)
			accum := pc > 0 || beta != 0
			full := 0 // columns of this block read in place
			if inPlace {
				full = nb / nr * nr
				if full < nb {
					packB(bT, b, ldb, pc, jc+full, kb, nb-full, bp)
				}
			} else {
				packB(bT, b, ldb, pc, jc, kb, nb, bp)
			}
			for ic := 0; ic < m; ic += mc {
				mb := min(mc, m-ic)
				packA(aT, a, lda, ic, pc, mb, kb, ap)
				for jr := 0; jr < nb; jr += nr {
					cols := min(nr, nb-jr)
					var bpan []float32
					bs := nr
					if jr < full {
						bpan, bs = b[pc*ldb+jc+jr:], ldb
					} else {
						bpan = bp[(jr-full)*kb : (jr-full+nr)*kb]
					}
					for ir := 0; ir < mb; ir += mr {
						rows := min(mr, mb-ir)
						kern(kb, ap[ir*kb:(ir+mr)*kb], bpan, bs, c[(ic+ir)*ldc+jc+jr:], ldc, alpha, accum, rows, cols)
					}
				}
			}
		}
	}
}

// inPlaceMaxM is the largest m for which B is read in place.
const inPlaceMaxM = 64

// cacheFriendly reports whether rows ldb floats apart spread over the sets
// of the L1 cache (64-byte lines, 64 sets) well enough for a panel of kc
// rows to stay there.
func cacheFriendly(ldb int) bool {
	if ldb%16 != 0 {
		return true // rows are not line-aligned: consecutive rows move sets by a fraction
	}
	g, x := 64, ldb/16
	for x != 0 {
		g, x = x, g%x
	}
	return g <= 2
}

// scale sets C = beta*C, or C = 0 without reading it when beta is 0.
func scale(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

func roundUp(x, to int) int { return (x + to - 1) / to * to }

// workspace holds the packed panels of one call; pooled, never shared
// between concurrent calls. Every element a call reads is written by its
// own packing first, so reuse cannot leak values between calls.
type workspace struct{ a, b []float32 }

var pool = sync.Pool{New: func() any { return new(workspace) }}

func (w *workspace) grow(s *[]float32, n int) []float32 {
	if cap(*s) < n {
		*s = make([]float32, n)
	}
	*s = (*s)[:n]
	return *s
}

// packA packs rows [i0, i0+mb) and columns [p0, p0+kb) of op(A) into
// panels of mr rows: panel r holds, for each p, op(A)[i0+r*mr+i, p0+p] at
// r*mr*kb + p*mr + i, zero for rows past mb.
func packA(trans bool, a []float32, lda, i0, p0, mb, kb int, dst []float32) {
	for r := 0; r < mb; r += mr {
		rows := min(mr, mb-r)
		pan := dst[r*kb : (r+mr)*kb]
		if trans { // op(A)[i,p] = a[p*lda+i]: contiguous in i
			for p := 0; p < kb; p++ {
				src := a[(p0+p)*lda+i0+r:]
				d := pan[p*mr : p*mr+mr]
				if rows == mr {
					d[0], d[1], d[2], d[3], d[4], d[5] = src[0], src[1], src[2], src[3], src[4], src[5]
					continue
				}
				for i := range d {
					if i < rows {
						d[i] = src[i]
					} else {
						d[i] = 0
					}
				}
			}
			continue
		}
		// op(A)[i,p] = a[i*lda+p]: contiguous in p. Six rows are read
		// side by side and the panel written in order; rows past mb read
		// zeros.
		var rs [mr][]float32
		for i := range rs {
			if i < rows {
				rs[i] = a[(i0+r+i)*lda+p0:][:kb]
			} else {
				rs[i] = zeros[:kb]
			}
		}
		r0 := rs[0]
		r1, r2, r3, r4, r5 := rs[1][:len(r0)], rs[2][:len(r0)], rs[3][:len(r0)], rs[4][:len(r0)], rs[5][:len(r0)]
		for p := range r0 {
			d := pan[p*mr : p*mr+mr : p*mr+mr]
			d[0], d[1], d[2], d[3], d[4], d[5] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p]
		}
	}
}

// zeros stands in for the rows of A and columns of B past the matrix when
// a panel is packed from them; it is only read.
var zeros [kc]float32

// packB packs rows [p0, p0+kb) and columns [j0, j0+nb) of op(B) into
// panels of nr columns: panel q holds, for each p, op(B)[p0+p, j0+q*nr+j]
// at q*nr*kb + p*nr + j, zero for columns past nb.
func packB(trans bool, b []float32, ldb, p0, j0, kb, nb int, dst []float32) {
	for q := 0; q < nb; q += nr {
		cols := min(nr, nb-q)
		pan := dst[q*kb : (q+nr)*kb]
		if !trans { // op(B)[p,j] = b[p*ldb+j]: contiguous in j
			for p := 0; p < kb; p++ {
				d := pan[p*nr : p*nr+nr]
				src := b[(p0+p)*ldb+j0+q:]
				if cols == nr {
					*(*[nr]float32)(d) = *(*[nr]float32)(src)
					continue
				}
				copy(d, src[:cols])
				clear(d[cols:])
			}
			continue
		}
		// op(B)[p,j] = b[j*ldb+p]: contiguous in p. Eight columns are read
		// side by side and written as a row of the panel; columns past nb
		// read zeros.
		for h := 0; h < nr; h += 8 {
			var ss [8][]float32
			for j := range ss {
				if h+j < cols {
					ss[j] = b[(j0+q+h+j)*ldb+p0:][:kb]
				} else {
					ss[j] = zeros[:kb]
				}
			}
			s0 := ss[0]
			s1, s2, s3, s4, s5, s6, s7 := ss[1][:len(s0)], ss[2][:len(s0)], ss[3][:len(s0)], ss[4][:len(s0)], ss[5][:len(s0)], ss[6][:len(s0)], ss[7][:len(s0)]
			for p := range s0 {
				d := pan[p*nr+h : p*nr+h+8 : p*nr+h+8]
				d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7] = s0[p], s1[p], s2[p], s3[p], s4[p], s5[p], s6[p], s7[p]
			}
		}
	}
}
