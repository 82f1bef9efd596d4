package bench

import (
	"math"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestWilson(t *testing.T) {
	// Reference values: the Wilson score interval's closed form with
	// z = 1.959964, evaluated independently in Python: 8/10 → [0.4902,
	// 0.9433]; 0/20 → [0, 0.1611]; 95/100 → [0.8882, 0.9785]; 20/20 → [0.8389, 1].
	tests := []struct {
		k, n   int
		lo, hi float64
	}{{8, 10, 0.4902, 0.9433}, {0, 20, 0, 0.1611}, {95, 100, 0.8882, 0.9785}, {20, 20, 0.8389, 1}}
	for _, tt := range tests {
		m := Wilson(tt.k, tt.n)
		if !near(m.CI95[0], tt.lo, 1e-4) || !near(m.CI95[1], tt.hi, 1e-4) || m.Value != float64(tt.k)/float64(tt.n) {
			t.Errorf("Wilson(%d, %d) = %v %v, want [%v, %v]", tt.k, tt.n, m.Value, *m.CI95, tt.lo, tt.hi)
		}
	}
}

func TestMeanCI(t *testing.T) {
	// 1, 2, 3: mean 2, sd 1, se 1/√3, t(0.975, 2) = 4.302653.
	m := MeanCI([]float64{1, 2, 3})
	half := 4.302653 / math.Sqrt(3)
	if m.Value != 2 || !near(m.CI95[0], 2-half, 1e-5) || !near(m.CI95[1], 2+half, 1e-5) {
		t.Fatalf("MeanCI = %v %v", m.Value, *m.CI95)
	}
	if MeanCI([]float64{0.5}).CI95 != nil {
		t.Fatal("one value has no interval")
	}
}
