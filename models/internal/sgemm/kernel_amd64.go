//go:build amd64 && !purego

package sgemm

import "golang.org/x/sys/cpu"

var (
	kernel     kernelFunc = goKernel
	kernelName            = "go"
)

func init() {
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		kernel, kernelName = avx2Kernel, "avx2-fma"
	}
}

// maskTab[16-cols:][:16] has cols leading all-ones lanes, for masked
// loads and stores of a partial tile.
var maskTab = [2 * nr]int32{-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1}

func avx2Kernel(k int, a, b []float32, ldb int, c []float32, ldc int, alpha float32, accum bool, rows, cols int) {
	_ = a[k*mr-1]
	_ = b[(k-1)*ldb+nr-1]
	_ = c[(rows-1)*ldc+cols-1]
	var mask *int32
	if rows < mr || cols < nr {
		mask = &maskTab[nr-cols]
	} else {
		_ = c[(mr-1)*ldc+nr-1]
	}
	kern6x16(k, &a[0], &b[0], ldb, &c[0], ldc, alpha, accum, rows, mask)
}

// kern6x16 is avx2Kernel in assembly (kernel_amd64.s). mask is nil for a
// full 6×16 tile; otherwise it points at 16 lane masks for the columns and
// only the first rows rows are touched.
//
//go:noescape
func kern6x16(k int, a, b *float32, ldb int, c *float32, ldc int, alpha float32, accum bool, rows int, mask *int32)
