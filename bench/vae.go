package bench

import (
	"fmt"
	"slices"

	"github.com/hiddendim/hiddendim/models"
	"github.com/hiddendim/hiddendim/models/latent"
)

// AnalyzeOptions size the latent-space analyses.
type AnalyzeOptions struct {
	// Seed drives the ELBO's noise, k-means, the SOM and few-shot draws.
	Seed uint64
	// MaxTrain caps the training rows encoded (few-shot pool, DCI's fit,
	// the arithmetic operator's fit); 0 means 5,000.
	MaxTrain int
	// SOMSide is the SOM's grid side; 0 means 10.
	SOMSide int
	// GB configures DCI's boosted trees; zero means latent.DefaultGB.
	GB latent.GBConfig
	// Episodes is the number of few-shot draws; 0 means 20.
	Episodes int
}

func (o *AnalyzeOptions) defaults() {
	if o.MaxTrain == 0 {
		o.MaxTrain = 5000
	}
	if o.SOMSide == 0 {
		o.SOMSide = 10
	}
	if o.GB.Rounds == 0 {
		o.GB = latent.DefaultGB()
	}
	if o.Episodes == 0 {
		o.Episodes = 20
	}
}

// VAEAnalysis is what AnalyzeVAE measured, with the material its pictures
// are drawn from.
type VAEAnalysis struct {
	// Metrics are the scores, under the names the leaderboards use.
	Metrics map[string]float64
	// Mu holds the test images' μ; Recon their reconstructions from μ.
	Mu    [][]float64
	Recon [][]float32
	// KMeans clusters Mu; SOM maps it.
	KMeans *latent.KMeans
	SOM    *latent.SOM
	PCA    *latent.PCA
	// Arithmetic examples: the parts, both predictions and the truth,
	// decoded (empty without parts).
	Arithmetic []ArithmeticExample
}

// ArithmeticExample is one composite with its predictions, as images.
type ArithmeticExample struct {
	Parts                  [][]float32
	Added, Operator, Whole []float32
}

// encode returns μ (as float64 rows) of every image, and optionally the
// per-image reconstruction and KL terms with noise drawn per index from
// seed, and the reconstructions from μ.
func encode(v *models.VAE, im *models.Images, seed uint64, stochastic bool) (mu [][]float64, recon, kl []float64, means [][]float32, err error) {
	n := im.Len()
	mu = make([][]float64, n)
	err = models.Predict(v, n, 256, v.EvalFeeder(im, seed, !stochastic), func(i int, out [][]float32) {
		mu[i] = make([]float64, len(out[0]))
		for j, x := range out[0] {
			mu[i][j] = float64(x)
		}
		if stochastic {
			recon = append(recon, float64(out[3][0]))
			kl = append(kl, float64(out[4][0]))
		} else {
			means = append(means, v.Mean(out[2]))
		}
	})
	return
}

// firstRows returns at most n images of im (a view, not a copy).
func firstRows(im *models.Images, n int) *models.Images {
	if im.Len() <= n {
		return im
	}
	per := im.Shape[0] * im.Shape[1] * im.Shape[2]
	return &models.Images{Shape: im.Shape, X: im.X[:n*per]}
}

// AnalyzeVAE scores a trained VAE on a test split, using the training split
// for what needs labelled or fitted data (few-shot landmarks, DCI's
// predictors, the arithmetic operator). Every score is defined in
// package latent; −ELBO and its terms are per image in nats, with one
// sample of z per image.
func AnalyzeVAE(v *models.VAE, train, test *VAEData, o AnalyzeOptions) (*VAEAnalysis, error) {
	o.defaults()
	if train.Images.Shape != v.Config.Input || test.Images.Shape != v.Config.Input {
		return nil, fmt.Errorf("bench: images are %v, the VAE takes %v", test.Images.Shape, v.Config.Input)
	}
	a := &VAEAnalysis{Metrics: map[string]float64{}}
	m := a.Metrics
	mu, recon, kl, _, err := encode(v, test.Images, o.Seed, true)
	if err != nil {
		return nil, err
	}
	a.Mu = mu
	m["recon"], m["kl"] = mean(recon), mean(kl)
	m["neg_elbo"] = m["recon"] + m["kl"]
	if _, _, _, a.Recon, err = encode(v, firstRows(test.Images, 32), o.Seed, false); err != nil {
		return nil, err
	}
	nTrain := min(train.Images.Len(), o.MaxTrain)
	trainMu, _, _, _, err := encode(v, firstRows(train.Images, nTrain), o.Seed, false)
	if err != nil {
		return nil, err
	}
	trainClass := train.Class[:nTrain]

	k := len(test.ClassNames)
	if a.KMeans, err = latent.FitKMeans(mu, k, 10, o.Seed); err != nil {
		return nil, err
	}
	hc := latent.HomogeneityCompleteness(test.Class, a.KMeans.Labels)
	m["kmeans_v_measure"], m["kmeans_homogeneity"], m["kmeans_completeness"] = hc.VMeasure, hc.Homogeneity, hc.Completeness
	m["kmeans_ari"] = latent.AdjustedRand(test.Class, a.KMeans.Labels)
	if test.ShapeOf != nil {
		m["kmeans_homogeneity_shape"] = latent.HomogeneityCompleteness(test.ShapeOf, a.KMeans.Labels).Homogeneity
		m["kmeans_homogeneity_color"] = latent.HomogeneityCompleteness(test.ColorOf, a.KMeans.Labels).Homogeneity
	}
	m["silhouette"] = latent.Silhouette(mu, a.KMeans.Labels)
	if a.PCA, err = latent.FitPCA(mu); err != nil {
		return nil, err
	}
	if a.SOM, err = latent.TrainSOM(mu, latent.DefaultSOM(o.SOMSide, o.SOMSide, len(mu), o.Seed)); err != nil {
		return nil, err
	}
	m["som_qe"], m["som_te"] = a.SOM.QuantizationError(mu), a.SOM.TopographicError(mu)
	if len(test.Factors.Names) > 0 {
		m["mig"], _ = latent.MIG(mu, test.Factors)
		trainF := latent.Factors{Names: test.Factors.Names}
		for _, name := range test.Factors.Names {
			j := slices.Index(train.Factors.Names, name)
			if j < 0 {
				return nil, fmt.Errorf("bench: factor %s varies in the test split but not in the training split", name)
			}
			trainF.Values = append(trainF.Values, train.Factors.Values[j][:nTrain])
		}
		dci, err := latent.ComputeDCI(trainMu, trainF, mu, test.Factors, o.GB)
		if err != nil {
			return nil, err
		}
		m["dci_disentanglement"], m["dci_completeness"], m["dci_informativeness"] = dci.Disentanglement, dci.Completeness, dci.Informativeness
	}
	for _, shots := range []int{1, 5, 10} {
		acc, err := latent.FewShot(trainMu, trainClass, mu, test.Class, shots, o.Episodes, o.Seed)
		if err != nil {
			return nil, err
		}
		m[fmt.Sprintf("fewshot_k%d", shots)] = acc
	}
	if train.Parts != nil && test.Parts != nil {
		if err := a.arithmetic(v, train, test, trainMu, mu, o); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// arithmetic fits the operator on the training composites and scores both
// predictions on the test composites.
func (a *VAEAnalysis) arithmetic(v *models.VAE, train, test *VAEData, trainMu, testMu [][]float64, o AnalyzeOptions) error {
	bg, _, _, _, err := encode(v, &models.Images{Shape: v.Config.Input, X: test.Background}, o.Seed, false)
	if err != nil {
		return err
	}
	// composites pairs each whole (among the first limit images, the ones
	// encoded) with the codes of its parts.
	composites := func(d *VAEData, wholeMu [][]float64, limit int) ([]latent.Composite, error) {
		p := d.Parts
		n := 0
		for n < len(p.Whole) && p.Whole[n] < limit {
			n++
		}
		last := -1
		for _, of := range p.Of[:n] {
			last = max(last, slices.Max(of))
		}
		partMu, _, _, _, err := encode(v, firstRows(p.Images, last+1), o.Seed, false)
		if err != nil {
			return nil, err
		}
		out := make([]latent.Composite, n)
		for k := range n {
			parts := make([][]float64, len(p.SlotNames))
			for s, i := range p.Of[k] {
				if i >= 0 {
					parts[s] = partMu[i]
				}
			}
			out[k] = latent.Composite{Parts: parts, Background: bg[0], Whole: wholeMu[p.Whole[k]], Relation: p.Relation[k]}
		}
		return out, nil
	}
	trainC, err := composites(train, trainMu, len(trainMu))
	if err != nil {
		return err
	}
	testC, err := composites(test, testMu, len(testMu))
	if err != nil {
		return err
	}
	op, err := latent.FitOperator(trainC, len(train.Parts.SlotNames), len(train.Parts.RelationNames), 1e-3)
	if err != nil {
		return err
	}
	var added, operated, truth [][]float64
	for _, c := range testC {
		added = append(added, latent.AddParts(c))
		operated = append(operated, op.Predict(c))
		truth = append(truth, c.Whole)
	}
	m := a.Metrics
	m["arithmetic_retrieval"] = latent.RetrievalAccuracy(operated, truth)
	m["arithmetic_retrieval_add"] = latent.RetrievalAccuracy(added, truth)
	dec := func(zs [][]float64) ([][]float32, error) {
		z32 := make([][]float32, len(zs))
		for i, z := range zs {
			for _, x := range z {
				z32[i] = append(z32[i], float32(x))
			}
		}
		return v.Decode(z32, 256)
	}
	imgAdd, err := dec(added)
	if err != nil {
		return err
	}
	imgOp, err := dec(operated)
	if err != nil {
		return err
	}
	var mseAdd, mseOp float64
	for k := range testC {
		whole := test.Images.Image(test.Parts.Whole[k])
		mseAdd += pixelMSE(imgAdd[k], whole) / float64(len(testC))
		mseOp += pixelMSE(imgOp[k], whole) / float64(len(testC))
		if len(a.Arithmetic) < 8 {
			ex := ArithmeticExample{Added: imgAdd[k], Operator: imgOp[k], Whole: slices.Clone(whole)}
			for _, i := range test.Parts.Of[k] {
				if i >= 0 {
					ex.Parts = append(ex.Parts, test.Parts.Images.Image(i))
				}
			}
			a.Arithmetic = append(a.Arithmetic, ex)
		}
	}
	m["arithmetic_pixel_mse"], m["arithmetic_pixel_mse_add"] = mseOp, mseAdd
	return nil
}

func pixelMSE(a, b []float32) float64 {
	var s float64
	for i := range a {
		d := float64(a[i] - b[i])
		s += d * d
	}
	return s / float64(len(a))
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(max(len(xs), 1))
}
