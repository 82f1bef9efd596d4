package clevrlite

import (
	"math"
	"testing"
)

// TestObtuseIsExact holds the obtuse rule ("an angle of at least 90°, not
// flat") on the cases floating-point arccos rounds either way: exact
// right angles, collinear triples, and angles a hair either side of 90°.
func TestObtuseIsExact(t *testing.T) {
	p := func(x, y float64) [2]float64 { return [2]float64{x, y} }
	tests := []struct {
		name    string
		a, b, c [2]float64
		want    bool
	}{
		// Right angles, at each vertex and off the axes: (3,4)·(−4,3) = 0.
		{"right angle at a, axis-aligned", p(10, 10), p(40, 10), p(10, 50), true},
		{"right angle at b", p(40, 10), p(10, 10), p(10, 50), true},
		{"right angle at c", p(40, 10), p(10, 50), p(10, 10), true},
		{"right angle, 3-4-5 legs", p(20, 20), p(23, 24), p(16, 23), true},
		{"right angle, scaled 3-4-5", p(5, 5), p(35, 45), p(-35, 35), true},
		// (7,1)·(−1,7) = 0: the arccos rule (clevrlite 0.1) rounded this
		// right angle to just below 90° and called it acute.
		{"right angle, (7,1)⊥(−1,7)", p(30, 30), p(37, 31), p(29, 37), true},
		// One pixel off the right angle: (30,0)·(1,40) = 30 > 0 is acute
		// at a, and the other angles are acute too.
		{"just acute", p(10, 10), p(40, 10), p(11, 50), false},
		{"just obtuse", p(10, 10), p(40, 10), p(9, 50), true},
		{"equilateral-ish, acute", p(10, 10), p(50, 10), p(30, 44), false},
		// Collinear triples form no triangle, whatever the order.
		{"collinear, c between", p(10, 10), p(50, 50), p(30, 30), false},
		{"collinear, c outside", p(10, 10), p(30, 30), p(50, 50), false},
		// (3,60)×(2,40) = 0: the arccos rule put its flat angle just below
		// 180° and called it obtuse.
		{"collinear, steep", p(10, 5), p(13, 65), p(12, 45), false},
		{"collinear, horizontal", p(5, 20), p(60, 20), p(25, 20), false},
		{"coincident points", p(5, 20), p(5, 20), p(25, 40), false},
		// Nearly collinear (cross product 1) is a very obtuse triangle.
		{"nearly collinear", p(10, 10), p(50, 50), p(30, 31), true},
		// Not whole pixels: the same rule in floating point.
		{"fractional, right angle", p(0.5, 0.5), p(3.5, 0.5), p(0.5, 2.5), true},
		{"fractional, acute", p(0.5, 0.5), p(3.5, 0.5), p(1.5, 2.5), false},
		{"NaN", p(math.NaN(), 0), p(3, 0), p(0, 2), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The rule is symmetric in the three points.
			for _, perm := range [][3][2]float64{{tt.a, tt.b, tt.c}, {tt.b, tt.c, tt.a}, {tt.c, tt.a, tt.b}, {tt.b, tt.a, tt.c}} {
				if got := ternary(opObtuse, perm[0], perm[1], perm[2]); got != tt.want {
					t.Errorf("obtuse%v = %v, want %v", perm, got, tt.want)
				}
			}
		})
	}
}

// TestObtuseMatchesAnglesAwayFromTheEdge checks the integer rule against
// the angle itself on every triangle of a small grid whose largest angle
// is clearly away from 90° and 180°, where floating point is reliable.
func TestObtuseMatchesAnglesAwayFromTheEdge(t *testing.T) {
	angle := func(o, u, v [2]float64) float64 {
		ux, uy, vx, vy := u[0]-o[0], u[1]-o[1], v[0]-o[0], v[1]-o[1]
		return math.Abs(math.Atan2(ux*vy-uy*vx, ux*vx+uy*vy)) * 180 / math.Pi
	}
	a := [2]float64{4, 4}
	checked := 0
	for bx := 0.0; bx < 9; bx++ {
		for by := 0.0; by < 9; by++ {
			for cx := 0.0; cx < 9; cx++ {
				for cy := 0.0; cy < 9; cy++ {
					b, c := [2]float64{bx, by}, [2]float64{cx, cy}
					if b == a || c == a || b == c {
						continue
					}
					m := max(angle(a, b, c), angle(b, a, c), angle(c, a, b))
					if math.Abs(m-90) < 1e-6 || m > 180-1e-6 {
						continue
					}
					if got, want := obtuse(a, b, c), m > 90; got != want {
						t.Fatalf("obtuse(%v, %v, %v) = %v, largest angle %.3f°", a, b, c, got, m)
					}
					checked++
				}
			}
		}
	}
	if checked < 5000 {
		t.Fatalf("only %d triangles checked", checked)
	}
}
