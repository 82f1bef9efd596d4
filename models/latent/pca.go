package latent

import (
	"fmt"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// PCA is a principal component analysis of a set of rows.
type PCA struct {
	Mean []float64
	// Vectors are the principal directions, strongest first (columns).
	Vectors *mat.Dense
	// Variances are the variances along them; Explained their shares.
	Variances, Explained []float64
}

// FitPCA computes the principal components of the rows with gonum's stat.PC.
func FitPCA(x [][]float64) (*PCA, error) {
	m, err := matrix(x)
	if err != nil {
		return nil, err
	}
	var pc stat.PC
	if !pc.PrincipalComponents(m, nil) {
		return nil, fmt.Errorf("latent: PCA of %d rows did not converge", len(x))
	}
	p := &PCA{Vectors: &mat.Dense{}}
	pc.VectorsTo(p.Vectors)
	p.Variances = pc.VarsTo(nil)
	var total float64
	for _, v := range p.Variances {
		total += v
	}
	for _, v := range p.Variances {
		p.Explained = append(p.Explained, v/max(total, 1e-300))
	}
	_, d := m.Dims()
	p.Mean = make([]float64, d)
	for _, row := range x {
		for j, v := range row {
			p.Mean[j] += v / float64(len(x))
		}
	}
	return p, nil
}

// Project returns the rows' coordinates on the first k components.
func (p *PCA) Project(x [][]float64, k int) [][]float64 {
	_, d := p.Vectors.Dims()
	k = min(k, d)
	out := make([][]float64, len(x))
	for i, row := range x {
		out[i] = make([]float64, k)
		for c := range k {
			var s float64
			for j, v := range row {
				s += (v - p.Mean[j]) * p.Vectors.At(j, c)
			}
			out[i][c] = s
		}
	}
	return out
}

func matrix(x [][]float64) (*mat.Dense, error) {
	if len(x) == 0 || len(x[0]) == 0 {
		return nil, fmt.Errorf("latent: no rows")
	}
	d := len(x[0])
	m := mat.NewDense(len(x), d, nil)
	for i, row := range x {
		if len(row) != d {
			return nil, fmt.Errorf("latent: row %d has %d values, row 0 has %d", i, len(row), d)
		}
		m.SetRow(i, row)
	}
	return m, nil
}
