package vae

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/hiddendim/hiddendim/models"
	"github.com/hiddendim/hiddendim/models/latent"
)

// Latent navigation (issue 20): paths between test images through the
// latent space, decoded and judged, in the model's space and in two
// baselines' under the same protocol.
const (
	// navNodes caps the test codes the valley graph is built on and the
	// path ends are drawn from (the first ones of the split).
	navNodes = 1000
	// navSteps is the number of decoded images per path, ends included.
	navSteps = 10
	// navPCARows caps the training images the pixel PCA of navigation
	// (the realism judge's and the pixel baseline's) is fitted on:
	// an n-row fit costs n²·pixels and an n×n eigendecomposition.
	navPCARows = 300
	// judgeComponents is how many pixel principal components the realism
	// judge compares images on, judgeReference how many training images
	// it compares them with, and judgeQuantile the share of real test
	// images it accepts.
	judgeComponents = 32
	judgeReference  = 2000
	judgeQuantile   = 0.95
	// walkFit caps the training codes an attribute direction is fitted
	// on; walkStarts is the number of walks per factor, walkSteps their
	// images, spanning ±walkSpan standard deviations of the codes along
	// the direction.
	walkFit    = 1000
	walkStarts = 8
	walkSteps  = 9
	walkSpan   = 1.5
	// hierarchyWholes is how many test composites, with their parts, the
	// part–whole dendrogram clusters.
	hierarchyWholes = 40
)

// pathKinds are the ways from one code to another, in the order their
// metrics are listed: the model's space has them all; the baselines,
// which have no posterior σ and no SOM, the first and the valley.
var pathKinds = []string{"lerp", "slerp", "w2", "fisher", "valley", "som"}

// baselineKinds are the path kinds scored in the baselines' spaces.
var baselineKinds = []string{"lerp", "valley"}

// space is a latent space the navigation and hierarchy protocols run in:
// the model's, or a baseline's. Metric names carry its suffix.
type space struct {
	suffix string // "" for the model, "_untrained", "_pixels"
	code   codeFunc
	decode func(zs [][]float64) ([][]float64, error)
}

// vaeSpace is a VAE's space: codes are μ, decoded by its decoder.
func vaeSpace(v *models.VAE, suffix string) space {
	return space{suffix: suffix,
		code: func(im *models.Images) ([][]float64, error) {
			mu, _, _, _, _, err := encode(v, im, 0, false)
			return mu, err
		},
		decode: func(zs [][]float64) ([][]float64, error) {
			imgs, err := v.Decode(to32(zs), 256)
			if err != nil {
				return nil, err
			}
			out := make([][]float64, len(imgs))
			for i, x := range imgs {
				out[i] = float64s(x)
			}
			return out, nil
		}}
}

// pixelSpace is pixel PCA's space: codes are the first k components,
// decoded by projecting back (mean + V·z), clamped to [0, 1].
func pixelSpace(p *latent.PCA, k int) space {
	raw := p.Vectors.RawMatrix()
	return space{suffix: "_pixels",
		code: func(im *models.Images) ([][]float64, error) {
			out := make([][]float64, im.Len())
			for i := range out {
				out[i] = p.Project([][]float64{float64s(im.Image(i))}, k)[0]
			}
			return out, nil
		},
		decode: func(zs [][]float64) ([][]float64, error) {
			out := make([][]float64, len(zs))
			for i, z := range zs {
				img := slices.Clone(p.Mean)
				for j := range img {
					vec := raw.Data[j*raw.Stride : j*raw.Stride+k]
					for c, w := range vec {
						img[j] += w * z[c]
					}
					img[j] = min(1, max(0, img[j]))
				}
				out[i] = img
			}
			return out, nil
		}}
}

// NavigationExample is one path pair drawn in navigation.png: the codes
// of the straight (lerp) and valley paths between two test images and
// their decoded images, each judged valid or not.
type NavigationExample struct {
	From, To                     int
	Straight, Valley             [][]float64
	StraightImages, ValleyImages [][]float32
	StraightValid, ValleyValid   []bool
}

// navPairs draws pairs pairs of distinct test images among the first n,
// of different classes when it can (ten tries), from (seed, 0x4e4156).
func navPairs(class []int, n, pairs int, seed uint64) [][2]int {
	rng := rand.New(rand.NewPCG(seed, 0x4e4156))
	var out [][2]int
	for range pairs {
		var i, j int
		for try := range 10 {
			i, j = rng.IntN(n), rng.IntN(n)
			if i != j && (class[i] != class[j] || try == 9) {
				break
			}
		}
		out = append(out, [2]int{i, j})
	}
	return out
}

// navigate scores paths between pairs of test images (navPairs) in
// every space, each path's navSteps decoded images judged by judge:
// path_validity_<kind> (the share of images judged real) and
// path_smoothness_<kind> (latent.PathSmoothness), averaged over the
// pairs, for lerp, slerp, the W2 and Fisher–Rao geodesics between the
// posteriors, the k-NN density valley path (latent.ValleyGraph on the
// first navNodes test codes) and the SOM's U-matrix path; lerp and valley
// for the baselines too, with their suffixes. path_validity_ends is the
// share of the model's decoded path ends judged real, the ceiling of
// every path. A geodesic between posteriors is decoded as one draw from
// the distribution at each step, z_t = μ_t + σ_t·ε with one ε per pair
// (seeded): W2's μ_t is lerp's, so what it adds is the posterior's
// spread; every other path decodes its points.
//
// nodes[s] are space s's codes of the first navNodes test images, sigma
// the model's posterior σ of them.
func (a *LatentSpace) navigate(test *Split, spaces []space, nodes [][][]float64, sigma [][]float64, judge *latent.Realism, o Analysis) error {
	pairs := navPairs(test.Class, len(sigma), o.NavPairs, o.Seed)
	m := a.Metrics
	valid := func(img []float64) bool { return judge.Valid(img) }
	for si, sp := range spaces {
		codes := nodes[si]
		graph, err := latent.NewValleyGraph(codes, latent.ValleyConfig{})
		if err != nil {
			return fmt.Errorf("vae: valley graph%s: %w", sp.suffix, err)
		}
		kinds := pathKinds
		if si > 0 {
			kinds = baselineKinds
		}
		for _, kind := range kinds {
			var zs [][]float64
			for p, pr := range pairs {
				i, j := pr[0], pr[1]
				switch kind {
				case "lerp", "slerp":
					zs = append(zs, latent.Path(codes[i], codes[j], navSteps, kind == "slerp")...)
				case "w2", "fisher":
					geo := latent.W2Geodesic
					if kind == "fisher" {
						geo = latent.FisherRaoGeodesic
					}
					rng := rand.New(rand.NewPCG(o.Seed, 0x6e6f697365+uint64(p)))
					eps := make([]float64, len(codes[i]))
					for k := range eps {
						eps[k] = rng.NormFloat64()
					}
					mus, ss := latent.GaussianPath(geo, codes[i], sigma[i], codes[j], sigma[j], navSteps)
					for t := range mus {
						z := make([]float64, len(eps))
						for k := range z {
							z[k] = mus[t][k] + ss[t][k]*eps[k]
						}
						zs = append(zs, z)
					}
				case "valley":
					zs = append(zs, graph.Path(i, j, navSteps)...)
				case "som":
					zs = append(zs, a.SOM.SOMPath(codes[i], codes[j], navSteps, 0)...)
				}
			}
			imgs, err := sp.decode(zs)
			if err != nil {
				return err
			}
			var validity, smooth float64
			var ends []bool
			for p := range pairs {
				path := imgs[p*navSteps : (p+1)*navSteps]
				validity += latent.PathValidity(path, valid) / float64(len(pairs))
				smooth += latent.PathSmoothness(path) / float64(len(pairs))
				ends = append(ends, valid(path[0]), valid(path[navSteps-1]))
				if si == 0 && p < 2 && (kind == "lerp" || kind == "valley") {
					a.keepExample(p, pairs[p], kind, zs[p*navSteps:(p+1)*navSteps], path, valid)
				}
			}
			m["path_validity_"+kind+sp.suffix] = validity
			m["path_smoothness_"+kind+sp.suffix] = smooth
			if si == 0 && kind == "lerp" {
				k := 0
				for _, e := range ends {
					if e {
						k++
					}
				}
				m["path_validity_ends"] = float64(k) / float64(len(ends))
			}
		}
	}
	return nil
}

// keepExample records pair p's path of kind for navigation.png.
func (a *LatentSpace) keepExample(p int, ends [2]int, kind string, zs, imgs [][]float64, valid func([]float64) bool) {
	for len(a.Navigation) <= p {
		a.Navigation = append(a.Navigation, NavigationExample{From: ends[0], To: ends[1]})
	}
	ex := &a.Navigation[p]
	var im [][]float32
	var ok []bool
	for _, x := range imgs {
		f := make([]float32, len(x))
		for i, v := range x {
			f[i] = float32(v)
		}
		im, ok = append(im, f), append(ok, valid(x))
	}
	if kind == "lerp" {
		ex.Straight, ex.StraightImages, ex.StraightValid = zs, im, ok
	} else {
		ex.Valley, ex.ValleyImages, ex.ValleyValid = zs, im, ok
	}
}

// pixelMeasures read a factor off an image, for the factors the
// attribute walks are scored on: the figure's size (the square root of
// its area) and position (its centroid), from the pixels that differ
// from the background. Rotation has no such reading: a learned one would
// be linear in pixels and score pixel PCA's linear walks perfect.
var pixelMeasures = map[string]func(fg []bool, side int) float64{
	"size": func(fg []bool, _ int) float64 { return math.Sqrt(float64(count(fg))) },
	"x":    func(fg []bool, side int) float64 { return centroid(fg, side, false) },
	"y":    func(fg []bool, side int) float64 { return centroid(fg, side, true) },
}

// foregroundDiff is how far (in [0, 1], in any channel) a pixel must be
// from the background to count as figure.
const foregroundDiff = 0.25

// foreground marks the pixels of a CHW image that differ from the
// background bg by more than foregroundDiff in some channel.
func foreground(img []float64, bg []float32, shape [3]int) []bool {
	plane := shape[1] * shape[2]
	fg := make([]bool, plane)
	for c := range shape[0] {
		for i := range plane {
			if math.Abs(img[c*plane+i]-float64(bg[c*plane+i])) > foregroundDiff {
				fg[i] = true
			}
		}
	}
	return fg
}

func count(fg []bool) int {
	n := 0
	for _, f := range fg {
		if f {
			n++
		}
	}
	return n
}

// centroid is the mean column (or row) of the foreground, the canvas's
// centre when there is none.
func centroid(fg []bool, side int, row bool) float64 {
	var s float64
	n := 0
	for i, f := range fg {
		if f {
			if row {
				s += float64(i / side)
			} else {
				s += float64(i % side)
			}
			n++
		}
	}
	if n == 0 {
		return float64(side-1) / 2
	}
	return s / float64(n)
}

// walks scores attribute directions: for each factor pixelMeasures can
// read that varies in the data, in each space, the ridge direction of the
// factor (its bins) in the codes of the first walkFit training images
// (latent.AttributeDirection), walked from walkStarts seeded test codes
// over ±walkSpan standard deviations of the codes along it, each step
// decoded and the factor read off its pixels:
// attribute_monotonicity_<factor><suffix> is the mean Spearman
// correlation of step and reading (latent.Monotonicity). nodes[s] are
// space s's codes of the first navNodes test images.
func (a *LatentSpace) walks(train, test *Split, trainMu [][]float64, spaces []space, nodes [][][]float64, o Analysis) error {
	nFit := min(len(trainMu), walkFit)
	n := len(nodes[0])
	rng := rand.New(rand.NewPCG(o.Seed, 0x57414c4b))
	starts := make([]int, walkStarts)
	for s := range starts {
		starts[s] = rng.IntN(n)
	}
	shape := test.Images.Shape
	fits := [][][]float64{trainMu[:nFit]} // each space's training codes, coded once
	for _, name := range train.Factors.Names {
		measure, ok := pixelMeasures[name]
		if !ok || !slices.Contains(test.Factors.Names, name) {
			continue
		}
		bins := train.Factors.Values[slices.Index(train.Factors.Names, name)][:nFit]
		target := make([]float64, nFit)
		for i, b := range bins {
			target[i] = float64(b)
		}
		for si, sp := range spaces {
			if si == len(fits) {
				codes, err := sp.code(firstRows(train.Images, nFit))
				if err != nil {
					return err
				}
				fits = append(fits, codes)
			}
			fit, start := fits[si], nodes[si]
			dir, err := latent.AttributeDirection(fit, target, 1)
			if err != nil {
				// A space whose codes do not vary with the factor (an
				// encoder that maps everything to one code) has no
				// direction to walk: no score, rather than no analysis.
				continue
			}
			sd := projectedSD(fit, dir)
			var zs [][]float64
			for _, s := range starts {
				zs = append(zs, latent.Walk(start[s], dir, 2*walkSpan*sd/(walkSteps-1), walkSteps)...)
			}
			imgs, err := sp.decode(zs)
			if err != nil {
				return err
			}
			steps := make([]float64, walkSteps)
			for k := range steps {
				steps[k] = float64(k)
			}
			var mono float64
			for w := range starts {
				read := make([]float64, walkSteps)
				for k := range read {
					read[k] = measure(foreground(imgs[w*walkSteps+k], test.Background, shape), shape[2])
				}
				mono += latent.Monotonicity(steps, read) / walkStarts
			}
			a.Metrics["attribute_monotonicity_"+name+sp.suffix] = mono
		}
	}
	return nil
}

// projectedSD is the standard deviation of the rows' projections on dir.
func projectedSD(x [][]float64, dir []float64) float64 {
	p := make([]float64, len(x))
	var mean float64
	for i, row := range x {
		for j, v := range row {
			p[i] += v * dir[j]
		}
		mean += p[i] / float64(len(x))
	}
	var ss float64
	for _, v := range p {
		ss += (v - mean) * (v - mean)
	}
	return math.Sqrt(ss / float64(max(len(x)-1, 1)))
}

// HierarchyExample is the part–whole dendrogram hierarchy.png draws:
// leaf i is a whole or a part (Slot −1, or its slot in SlotNames) of
// composite Group[i].
type HierarchyExample struct {
	Dendrogram *latent.Dendrogram
	Slot       []int
	Group      []int
	SlotNames  []string
}

// hierarchy clusters the first hierarchyWholes composites' wholes and
// parts by average linkage and scores the dendrogram against the
// part–whole tree (a root over the wholes, each whole over its parts):
// cophenetic_part_whole is the correlation of cophenetic distances with
// the tree's path lengths, dendrogram_purity_part_whole the dendrogram
// purity with each whole and its parts as one class.
func hierarchy(cs []latent.Composite) (coph, purity float64, ex *HierarchyExample) {
	cs = cs[:min(len(cs), hierarchyWholes)]
	ex = &HierarchyExample{}
	var points [][]float64
	var parent []int
	root := -1
	for k, c := range cs {
		whole := len(points)
		points, parent = append(points, c.Whole), append(parent, root)
		ex.Slot, ex.Group = append(ex.Slot, -1), append(ex.Group, k)
		for s, p := range c.Parts {
			if p != nil {
				points, parent = append(points, p), append(parent, whole)
				ex.Slot, ex.Group = append(ex.Slot, s), append(ex.Group, k)
			}
		}
	}
	n := len(points)
	for i := range parent {
		if parent[i] < 0 {
			parent[i] = n // the root, after the leaves
		}
	}
	tree := latent.TreeDistances(append(parent, -1))
	for i := range n {
		tree[i] = tree[i][:n]
	}
	ex.Dendrogram = latent.Agglomerate(points)
	return latent.CopheneticCorrelation(ex.Dendrogram, tree[:n]), ex.Dendrogram.Purity(ex.Group), ex
}
