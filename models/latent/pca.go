package latent

import (
	"fmt"
	"math"

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
	raw := p.Vectors.RawMatrix()
	out := make([][]float64, len(x))
	centred := make([]float64, len(p.Mean))
	for i, row := range x {
		for j, v := range row {
			centred[j] = v - p.Mean[j]
		}
		out[i] = make([]float64, k)
		for j, v := range centred {
			vec := raw.Data[j*raw.Stride : j*raw.Stride+k]
			for c, w := range vec {
				out[i][c] += v * w
			}
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

// FitPCATop computes the first k principal components of rows that are
// wider than they are many (images as pixel rows), through the
// eigenvectors of the n×n Gram matrix of the centred rows, which costs
// n²·d instead of a d-wide SVD's. Explained is each component's share of
// the total variance. k is capped at the number of rows less one.
func FitPCATop(x [][]float64, k int) (*PCA, error) {
	m, err := matrix(x)
	if err != nil {
		return nil, err
	}
	n, d := m.Dims()
	if n < 2 || k < 1 {
		return nil, fmt.Errorf("latent: PCA of %d components from %d rows: want at least 1 component and 2 rows", k, n)
	}
	k = min(k, n-1)
	p := &PCA{Mean: make([]float64, d)}
	for i := range n {
		for j := range d {
			p.Mean[j] += m.At(i, j) / float64(n)
		}
	}
	for i := range n {
		for j := range d {
			m.Set(i, j, m.At(i, j)-p.Mean[j])
		}
	}
	gram := mat.NewSymDense(n, nil)
	gram.SymOuterK(1, m)
	var eig mat.EigenSym
	if !eig.Factorize(gram, true) {
		return nil, fmt.Errorf("latent: PCA of %d rows did not converge", n)
	}
	vals := eig.Values(nil) // ascending
	var u mat.Dense
	eig.VectorsTo(&u)
	var total float64
	for _, v := range vals {
		total += max(v, 0)
	}
	p.Vectors = mat.NewDense(d, k, nil)
	for c := range k {
		col := n - 1 - c
		lam := max(vals[col], 0)
		p.Variances = append(p.Variances, lam/float64(n-1))
		p.Explained = append(p.Explained, lam/max(total, 1e-300))
		if lam == 0 {
			continue // no variance left: a zero direction projects to 0
		}
		var v mat.VecDense
		v.MulVec(m.T(), u.ColView(col))
		v.ScaleVec(1/math.Sqrt(lam), &v)
		p.Vectors.SetCol(c, v.RawVector().Data)
	}
	return p, nil
}
