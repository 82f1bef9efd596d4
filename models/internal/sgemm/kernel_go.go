package sgemm

import "math"

// goKernel is the portable micro-kernel: acc += a*b with the product
// rounded before the sum (the explicit float32 conversions forbid the
// compiler to fuse them, so every build rounds the same way), and
// C = alpha*acc + C in two roundings.
func goKernel(k int, a, b []float32, ldb int, c []float32, ldc int, alpha float32, accum bool, rows, cols int) {
	var acc [mr * nr]float32
	a = a[:k*mr]
	b = b[:(k-1)*ldb+nr]
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j += 4 {
			// four accumulators in registers; each still sums p in order
			var s0, s1, s2, s3 float32
			for p := 0; p < k; p++ {
				x := a[p*mr+i]
				bb := b[p*ldb+j : p*ldb+j+4]
				s0 += float32(x * bb[0])
				s1 += float32(x * bb[1])
				s2 += float32(x * bb[2])
				s3 += float32(x * bb[3])
			}
			acc[i*nr+j], acc[i*nr+j+1], acc[i*nr+j+2], acc[i*nr+j+3] = s0, s1, s2, s3
		}
	}
	for i := 0; i < rows; i++ {
		row := c[i*ldc : i*ldc+cols]
		for j := range row {
			if accum {
				row[j] += float32(alpha * acc[i*nr+j])
			} else {
				row[j] = alpha * acc[i*nr+j]
			}
		}
	}
}

// goFMAKernel is the AVX2 kernel's arithmetic in Go, with every
// multiply-add fused (fma32): it gives the same bits as the assembly and is
// how the tests check it. It is slow.
func goFMAKernel(k int, a, b []float32, ldb int, c []float32, ldc int, alpha float32, accum bool, rows, cols int) {
	var acc [mr * nr]float32
	for p := 0; p < k; p++ {
		for i := 0; i < mr; i++ {
			x := a[p*mr+i]
			for j := 0; j < nr; j++ {
				acc[i*nr+j] = fma32(x, b[p*ldb+j], acc[i*nr+j])
			}
		}
	}
	for i := 0; i < rows; i++ {
		row := c[i*ldc : i*ldc+cols]
		for j := range row {
			if accum {
				row[j] = fma32(alpha, acc[i*nr+j], row[j])
			} else {
				row[j] = alpha * acc[i*nr+j]
			}
		}
	}
}

// fma32 returns x*y+z rounded once to float32, as VFMADD does.
//
// The product of two float32s is exact in float64. The sum s = p+z is
// rounded to float64 and its error e found exactly (TwoSum); when e is not
// zero, s is replaced by its float64 neighbour toward e if its last bit is
// even (rounding to odd). A float64 rounded to odd and then to float32
// (53 ≥ 24+2 bits) is the correctly rounded float32 of p+z.
func fma32(x, y, z float32) float32 {
	p := float64(x) * float64(y)
	zz := float64(z)
	s := p + zz
	if math.IsInf(s, 0) || math.IsNaN(s) {
		return float32(s)
	}
	bv := s - p
	e := (p - (s - bv)) + (zz - bv)
	if e != 0 {
		bits := math.Float64bits(s)
		if bits&1 == 0 {
			if (e > 0) == (s > 0) {
				bits++
			} else {
				bits--
			}
			s = math.Float64frombits(bits)
		}
	}
	return float32(s)
}
