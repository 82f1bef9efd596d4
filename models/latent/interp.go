package latent

import "math"

// Lerp is (1−t)·a + t·b.
func Lerp(a, b []float64, t float64) []float64 {
	out := make([]float64, len(a))
	for i := range a {
		out[i] = (1-t)*a[i] + t*b[i]
	}
	return out
}

// Slerp interpolates along the great circle from a to b (Shoemake 1985),
// scaling the norm linearly between theirs: the path a Gaussian prior
// favours, since high-dimensional samples lie near a sphere. Parallel or
// zero vectors fall back to Lerp.
func Slerp(a, b []float64, t float64) []float64 {
	na, nb := norm(a), norm(b)
	if na == 0 || nb == 0 {
		return Lerp(a, b, t)
	}
	var cos float64
	for i := range a {
		cos += a[i] * b[i] / (na * nb)
	}
	omega := math.Acos(max(-1, min(1, cos)))
	if math.Sin(omega) < 1e-9 {
		return Lerp(a, b, t)
	}
	s0 := math.Sin((1-t)*omega) / math.Sin(omega)
	s1 := math.Sin(t*omega) / math.Sin(omega)
	out := make([]float64, len(a))
	for i := range a {
		out[i] = s0*a[i]/na + s1*b[i]/nb
	}
	scale := (1-t)*na + t*nb
	for i := range out {
		out[i] *= scale
	}
	return out
}

// Path returns steps points from a to b (both included) by lerp or slerp.
func Path(a, b []float64, steps int, spherical bool) [][]float64 {
	out := make([][]float64, steps)
	for s := range steps {
		t := 0.0
		if steps > 1 {
			t = float64(s) / float64(steps-1)
		}
		if spherical {
			out[s] = Slerp(a, b, t)
		} else {
			out[s] = Lerp(a, b, t)
		}
	}
	return out
}

func norm(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x * x
	}
	return math.Sqrt(s)
}
