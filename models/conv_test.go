package models

import (
	"math"
	"math/rand/v2"
	"testing"
)

// naiveConv is the definition: y[n,o,oy,ox] = b[o] + Σ w[o,c,ky,kx]·x[n,c,iy,ix].
func naiveConv(g convGeom, batch int, x, w, b []float64) []float64 {
	oh, ow := g.outH(), g.outW()
	y := make([]float64, batch*g.OutC*oh*ow)
	for n := 0; n < batch; n++ {
		for o := 0; o < g.OutC; o++ {
			for oy := 0; oy < oh; oy++ {
				for ox := 0; ox < ow; ox++ {
					s := b[o]
					for c := 0; c < g.InC; c++ {
						for ky := 0; ky < g.K; ky++ {
							for kx := 0; kx < g.K; kx++ {
								iy, ix := oy*g.Stride-g.Pad+ky, ox*g.Stride-g.Pad+kx
								if iy >= 0 && iy < g.H && ix >= 0 && ix < g.W {
									s += w[o*g.ckk()+(c*g.K+ky)*g.K+kx] * x[((n*g.InC+c)*g.H+iy)*g.W+ix]
								}
							}
						}
					}
					y[((n*g.OutC+o)*oh+oy)*ow+ox] = s
				}
			}
		}
	}
	return y
}

func TestConvForwardMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, g := range []convGeom{
		{InC: 3, H: 28, W: 28, OutC: 16, K: 3, Pad: 1, Stride: 1},
		{InC: 2, H: 7, W: 5, OutC: 3, K: 5, Pad: 2, Stride: 2},
		{InC: 1, H: 6, W: 6, OutC: 2, K: 3, Pad: 0, Stride: 1},
		{InC: 2, H: 5, W: 9, OutC: 2, K: 3, Pad: 3, Stride: 3},
		{InC: 1, H: 4, W: 4, OutC: 1, K: 1, Pad: 0, Stride: 1},
	} {
		batch := 3
		x := make([]float64, batch*g.InC*g.H*g.W)
		w := make([]float64, g.OutC*g.ckk())
		b := make([]float64, g.OutC)
		for _, s := range [][]float64{x, w, b} {
			for i := range s {
				s[i] = rng.Float64()*2 - 1
			}
		}
		got := make([]float64, batch*g.OutC*g.hw())
		convForward(g, batch, x, w, b, got)
		want := naiveConv(g, batch, x, w, b)
		for i := range want {
			if math.Abs(got[i]-want[i]) > 1e-12 {
				t.Fatalf("%+v: y[%d] = %v, want %v", g, i, got[i], want[i])
			}
		}
	}
}
