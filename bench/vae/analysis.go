package vae

import (
	"fmt"
	"math"
	"slices"

	"github.com/hiddendim/hiddendim/models"
	"github.com/hiddendim/hiddendim/models/latent"
)

// Analysis sizes the latent-space analyses of a trained VAE (see
// AnalyzeModel).
type Analysis struct {
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
	// NavPairs is the number of test image pairs latent paths are drawn
	// between; 0 means 24.
	NavPairs int
}

func (o *Analysis) defaults() {
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
	if o.NavPairs == 0 {
		o.NavPairs = 24
	}
}

// LatentSpace is what AnalyzeModel measured of a VAE's latent space, with
// the material its pictures are drawn from.
type LatentSpace struct {
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
	// Navigation holds two pairs' straight and valley paths.
	Navigation []NavigationExample
	// Hierarchy is the model's part–whole dendrogram (nil without parts).
	Hierarchy *HierarchyExample
}

// ArithmeticExample is one composite with its predictions, as images.
type ArithmeticExample struct {
	// Parts holds one image per slot (Parts.SlotNames), nil where the
	// composite has no part in that slot (a page without a menu).
	Parts                  [][]float32
	Added, Operator, Whole []float32
}

// encode returns μ and σ (as float64 rows) of every image, and
// optionally the per-image reconstruction and KL terms with noise drawn
// per index from seed, and the reconstructions from μ.
func encode(v *models.VAE, im *models.Images, seed uint64, stochastic bool) (mu, sigma [][]float64, recon, kl []float64, means [][]float32, err error) {
	n := im.Len()
	mu, sigma = make([][]float64, n), make([][]float64, n)
	err = models.Predict(v, n, 256, v.EvalFeeder(im, seed, !stochastic), func(i int, out [][]float32) {
		mu[i] = float64s(out[0])
		sigma[i] = make([]float64, len(out[1]))
		for j, lv := range out[1] {
			sigma[i][j] = math.Exp(float64(lv) / 2)
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

// AnalyzeModel scores a trained VAE on a test split, using the training split
// for what needs labelled or fitted data (few-shot landmarks, DCI's
// predictors, the arithmetic operator). Every score is defined in
// package latent; −ELBO and its terms are per image in nats, with one
// sample of z per image.
func AnalyzeModel(v *models.VAE, train, test *Split, o Analysis) (*LatentSpace, error) {
	o.defaults()
	if train.Images.Shape != v.Config.Input || test.Images.Shape != v.Config.Input {
		return nil, fmt.Errorf("vae: images are %v, the VAE takes %v", test.Images.Shape, v.Config.Input)
	}
	a := &LatentSpace{Metrics: map[string]float64{}}
	m := a.Metrics
	mu, sigma, recon, kl, _, err := encode(v, test.Images, o.Seed, true)
	if err != nil {
		return nil, err
	}
	a.Mu = mu
	m["recon"], m["kl"] = mean(recon), mean(kl)
	m["neg_elbo"] = m["recon"] + m["kl"]
	if _, _, _, _, a.Recon, err = encode(v, firstRows(test.Images, 32), o.Seed, false); err != nil {
		return nil, err
	}
	nTrain := min(train.Images.Len(), o.MaxTrain)
	trainMu, _, _, _, _, err := encode(v, firstRows(train.Images, nTrain), o.Seed, false)
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
				return nil, fmt.Errorf("vae: factor %s varies in the test split but not in the training split", name)
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
		if acc, err = latent.FewShotHull(trainMu, trainClass, mu, test.Class, shots, o.Episodes, o.Seed); err != nil {
			return nil, err
		}
		m[fmt.Sprintf("fewshot_hull_k%d", shots)] = acc
		// The hulls' comparisons: nearest landmark mean in the hulls' own
		// two components (what the projection costs), hulls in three
		// (the notes' "2–3 dimensions") and in the whole code.
		if acc, err = latent.FewShotIn(trainMu, trainClass, mu, test.Class, shots, 2, o.Episodes, o.Seed); err != nil {
			return nil, err
		}
		m[fmt.Sprintf("fewshot_k%d_pc2", shots)] = acc
		if acc, err = latent.FewShotHullIn(trainMu, trainClass, mu, test.Class, shots, min(3, len(mu[0])), o.Episodes, o.Seed); err != nil {
			return nil, err
		}
		m[fmt.Sprintf("fewshot_hull_k%d_pc3", shots)] = acc
		if acc, err = latent.FewShotHullIn(trainMu, trainClass, mu, test.Class, shots, len(mu[0]), o.Episodes, o.Seed); err != nil {
			return nil, err
		}
		m[fmt.Sprintf("fewshot_hull_k%d_full", shots)] = acc
	}

	untrainedVAE, err := models.NewVAE(v.Config)
	if err != nil {
		return nil, err
	}
	defer untrainedVAE.Close()
	navPCA, err := fitPixelPCA(firstRows(train.Images, min(nTrain, navPCARows)), max(v.Config.Latent, judgeComponents))
	if err != nil {
		return nil, err
	}
	spaces := []space{vaeSpace(v, ""), vaeSpace(untrainedVAE, "_untrained"), pixelSpace(navPCA, v.Config.Latent)}
	realism, err := latent.NewRealism(navPCA, judgeComponents, pixelRows(firstRows(train.Images, min(nTrain, judgeReference))), pixelRows(test.Images), judgeQuantile)
	if err != nil {
		return nil, err
	}
	judges := []pathJudge{realismJudge(realism)}
	classifier, err := trainJudge(train, test, o.Seed)
	if err != nil {
		return nil, err
	}
	if classifier != nil {
		defer classifier.Close()
		judges = append(judges, pathJudge{suffix: "_classifier", valid: classifier.Valid})
		m["judge_classifier_accuracy"], m["judge_classifier_threshold"] = classifier.Accuracy, classifier.Threshold
	}
	n := min(test.Images.Len(), navNodes)
	nodes := [][][]float64{mu[:n]}
	for _, sp := range spaces[1:] {
		codes, err := sp.code(firstRows(test.Images, n))
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, codes)
	}
	if err := a.navigate(test, spaces, nodes, sigma[:n], judges, o); err != nil {
		return nil, err
	}
	if err := a.walks(train, test, trainMu, spaces, nodes, o); err != nil {
		return nil, err
	}
	if train.Parts != nil && test.Parts != nil {
		pixels, err := fitPixelPCA(firstRows(train.Images, min(nTrain, pixelPCARows)), v.Config.Latent)
		if err != nil {
			return nil, err
		}
		if err := a.arithmetic(train, test, trainMu, mu, []space{spaces[0], spaces[1], pixelSpace(pixels, v.Config.Latent)}); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// pixelPCARows caps the training wholes the arithmetic's pixel-space
// baseline's PCA is fitted on (the first ones of the split).
const pixelPCARows = 1000

// codeFunc maps images to codes: a VAE's μ, or pixels' principal
// components.
type codeFunc func(im *models.Images) ([][]float64, error)

// arithmetic scores latent arithmetic on the test composites, each
// prediction retrieved among its hard distractors
// (latent.HardDistractors, latent.DefaultDistractors of them, chosen by
// what the parts are and the relation), for the model's μ and for two
// baselines scored by the same protocol: the same architecture untrained
// (its seeded initial weights, no step) and pixel space (the pixels'
// first Latent principal components, fitted on the first pixelPCARows
// training wholes). In each space the operator is fitted on that space's
// training composites. It records arithmetic_retrieval (operator) and
// arithmetic_retrieval_add (addition), the same with _untrained and
// _pixels, arithmetic_margin (the model's operator retrieval less the
// better baseline's) and arithmetic_margin_add (the same for addition),
// arithmetic_retrieval_all (the operator retrieved among every test
// whole, the definition before hard distractors, which a near-linear
// encoder passes), arithmetic_distractors (their mean number per
// composite), and the decoded predictions' pixel MSE.
func (a *LatentSpace) arithmetic(train, test *Split, trainMu, testMu [][]float64, spaces []space) error {
	model, untrained, pixels := spaces[0].code, spaces[1].code, spaces[2].code
	trainC, err := composites(train, model, len(trainMu), trainMu)
	if err != nil {
		return err
	}
	testC, err := composites(test, model, len(testMu), testMu)
	if err != nil {
		return err
	}
	distractors := latent.HardDistractors(testC, latent.DefaultDistractors)
	m := a.Metrics
	nd := 0
	for _, d := range distractors {
		nd += len(d)
	}
	m["arithmetic_distractors"] = float64(nd) / float64(len(distractors))
	slots, relations := len(train.Parts.SlotNames), len(train.Parts.RelationNames)
	added, operated, err := predictions(trainC, testC, slots, relations)
	if err != nil {
		return err
	}
	truth := wholes(testC)
	m["arithmetic_retrieval"] = latent.RetrievalAmong(operated, truth, distractors)
	m["arithmetic_retrieval_add"] = latent.RetrievalAmong(added, truth, distractors)
	m["arithmetic_retrieval_all"] = latent.RetrievalAccuracy(operated, truth)
	m["cophenetic_part_whole"], m["dendrogram_purity_part_whole"], a.Hierarchy = hierarchy(testC)
	a.Hierarchy.SlotNames = test.Parts.SlotNames
	bestOp, bestAdd := math.Inf(-1), math.Inf(-1)
	for _, base := range []struct {
		name string
		code codeFunc
	}{{"untrained", untrained}, {"pixels", pixels}} {
		trainB, err := composites(train, base.code, len(trainMu), nil)
		if err != nil {
			return err
		}
		testB, err := composites(test, base.code, len(testMu), nil)
		if err != nil {
			return err
		}
		add, op, err := predictions(trainB, testB, slots, relations)
		if err != nil {
			return fmt.Errorf("vae: the %s baseline: %w", base.name, err)
		}
		t := wholes(testB)
		m["cophenetic_part_whole_"+base.name], m["dendrogram_purity_part_whole_"+base.name], _ = hierarchy(testB)
		m["arithmetic_retrieval_"+base.name] = latent.RetrievalAmong(op, t, distractors)
		m["arithmetic_retrieval_add_"+base.name] = latent.RetrievalAmong(add, t, distractors)
		bestOp = max(bestOp, m["arithmetic_retrieval_"+base.name])
		bestAdd = max(bestAdd, m["arithmetic_retrieval_add_"+base.name])
	}
	m["arithmetic_margin"] = m["arithmetic_retrieval"] - bestOp
	m["arithmetic_margin_add"] = m["arithmetic_retrieval_add"] - bestAdd

	dec := func(zs [][]float64) ([][]float32, error) {
		imgs, err := spaces[0].decode(zs)
		if err != nil {
			return nil, err
		}
		out := make([][]float32, len(imgs))
		for i, x := range imgs {
			out[i] = make([]float32, len(x))
			for j, v := range x {
				out[i][j] = float32(v)
			}
		}
		return out, nil
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
				var part []float32
				if i >= 0 {
					part = test.Parts.Images.Image(i)
				}
				ex.Parts = append(ex.Parts, part)
			}
			a.Arithmetic = append(a.Arithmetic, ex)
		}
	}
	m["arithmetic_pixel_mse"], m["arithmetic_pixel_mse_add"] = mseOp, mseAdd
	return nil
}

// composites pairs each whole of d with the codes of its parts and of the
// background, all from code, for the wholes among the first limit images.
// wholeCodes, when not nil, are those images' codes, already computed.
func composites(d *Split, code codeFunc, limit int, wholeCodes [][]float64) ([]latent.Composite, error) {
	p := d.Parts
	n := 0
	for n < len(p.Whole) && p.Whole[n] < limit {
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("vae: no composites among the first %d images", limit)
	}
	if wholeCodes == nil {
		var err error
		if wholeCodes, err = code(firstRows(d.Images, p.Whole[n-1]+1)); err != nil {
			return nil, err
		}
	}
	last := -1
	for _, of := range p.Of[:n] {
		last = max(last, slices.Max(of))
	}
	partCodes, err := code(firstRows(p.Images, last+1))
	if err != nil {
		return nil, err
	}
	bg, err := code(&models.Images{Shape: d.Images.Shape, X: d.Background})
	if err != nil {
		return nil, err
	}
	out := make([]latent.Composite, n)
	for k := range n {
		parts := make([][]float64, len(p.SlotNames))
		for s, i := range p.Of[k] {
			if i >= 0 {
				parts[s] = partCodes[i]
			}
		}
		out[k] = latent.Composite{Parts: parts, Background: bg[0], Whole: wholeCodes[p.Whole[k]], Relation: p.Relation[k], Labels: p.Labels[k]}
	}
	return out, nil
}

// predictions fits the operator on trainC and predicts every test whole by
// addition and by the operator.
func predictions(trainC, testC []latent.Composite, slots, relations int) (added, operated [][]float64, err error) {
	op, err := latent.FitOperator(trainC, slots, relations, 1e-3)
	if err != nil {
		return nil, nil, err
	}
	for _, c := range testC {
		added = append(added, latent.AddParts(c))
		operated = append(operated, op.Predict(c))
	}
	return added, operated, nil
}

func wholes(cs []latent.Composite) [][]float64 {
	out := make([][]float64, len(cs))
	for i, c := range cs {
		out[i] = c.Whole
	}
	return out
}

// fitPixelPCA fits a PCA of k components to the pixels of fit. The
// pixel-space baselines' codes are the first Latent components of one;
// the realism judge compares images on the first judgeComponents of the
// navigation's (one fit serves both: the components do not depend on
// how many are kept).
func fitPixelPCA(fit *models.Images, k int) (*latent.PCA, error) {
	p, err := latent.FitPCATop(pixelRows(fit), k)
	if err != nil {
		return nil, fmt.Errorf("vae: the pixel-space baseline: %w", err)
	}
	return p, nil
}

// pixelRows returns the images as float64 rows.
func pixelRows(im *models.Images) [][]float64 {
	rows := make([][]float64, im.Len())
	for i := range rows {
		rows[i] = float64s(im.Image(i))
	}
	return rows
}

func float64s(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
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
