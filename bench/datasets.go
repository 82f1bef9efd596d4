package bench

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"

	"github.com/hiddendim/hiddendim/clevrlite"
	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/models"
	"github.com/hiddendim/hiddendim/scenes"
	"github.com/hiddendim/hiddendim/webpages"
)

// Datasets is every dataset hiddendim can generate.
func Datasets() *generators.Registry {
	return generators.NewRegistry(generators.Shapes{}, scenes.Relations{}, scenes.Counting{}, clevrlite.SortOfCLEVR{}, webpages.Pages{})
}

// MismatchError is a dataset or checkpoint of the wrong kind for what was
// asked of it: a model trained on a dataset it cannot read, a label the
// dataset does not have, a checkpoint of another model family, or data
// unlike the data a checkpoint was trained on. Its message names what would
// be right. The command line reports it as a usage error.
type MismatchError struct{ Err error }

// Error returns the message, which names what would be right.
func (e *MismatchError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *MismatchError) Unwrap() error { return e.Err }

func mismatchf(format string, a ...any) error { return &MismatchError{fmt.Errorf(format, a...)} }

// TrainsOn lists, in name order, the datasets model (a name the train
// command knows: models.MultiLabel, Combo, PerLabel, VAEKind, AttentionArch,
// NoAttentionArch) trains on; nil for an unknown model. Classifiers take any
// dataset whose default config declares label features.
func TrainsOn(model string) []string {
	switch model {
	case VAEKind:
		return []string{"relations", "shapes", "webpages"} // what LoadVAEData reads
	case AttentionArch, NoAttentionArch:
		return []string{"counting", "relations", "webpages"} // what LoadCaptionSet reads
	case models.MultiLabel, models.Combo, models.PerLabel:
		reg := Datasets()
		var names []string
		for _, name := range reg.Names() {
			ds, _ := reg.Lookup(name)
			s, err := ds.New(ds.DefaultConfig())
			if err != nil {
				continue
			}
			for _, f := range s.Features() {
				if f.Kind == generators.LabelFeature {
					names = append(names, name)
					break
				}
			}
		}
		return names
	}
	return nil
}

// checkTrainData refuses, as a MismatchError, a dataset that model does
// not train on.
func checkTrainData(model string, m *generators.Manifest, dir string) error {
	ok := TrainsOn(model)
	for _, name := range ok {
		if name == m.Dataset {
			return nil
		}
	}
	return mismatchf("bench: %s trains on %s datasets; %s is a %s dataset", model, strings.Join(ok, ", "), dir, m.Dataset)
}

// checkSplits refuses, as a MismatchError, split names the dataset does
// not have; "" is skipped (no split asked for).
func checkSplits(m *generators.Manifest, dir string, splits ...string) error {
	for _, split := range splits {
		if _, ok := m.Splits[split]; split != "" && !ok {
			return mismatchf("bench: %s has no split %q; its splits: %s", dir, split, strings.Join(m.SplitOrder, ", "))
		}
	}
	return nil
}

// labelNames lists a manifest's label features.
func labelNames(m *generators.Manifest) []string {
	var names []string
	for _, f := range m.Features {
		if f.Kind == generators.LabelFeature {
			names = append(names, f.Name)
		}
	}
	return names
}

// Spec resolves a DatasetSpec against the registry into a generator spec,
// checking that the code renders the version the spec names.
func (d DatasetSpec) Spec() (generators.Spec, error) {
	ds, err := Datasets().Lookup(d.Generator)
	if err != nil {
		return generators.Spec{}, err
	}
	if v := ds.Version().String(); v != d.Version {
		return generators.Spec{}, fmt.Errorf("bench: the suite wants %s %s, this build renders %s", d.Generator, d.Version, v)
	}
	cfg := ds.DefaultConfig()
	var sets []string
	for _, k := range sortedKeys(d.Settings) {
		sets = append(sets, k+"="+d.Settings[k])
	}
	if err := generators.ApplySettings(cfg, sets...); err != nil {
		return generators.Spec{}, err
	}
	return generators.Spec{Dataset: ds, Config: cfg, Seed: d.Seed, Splits: d.Splits}, nil
}

// Cache keeps generated datasets, one folder per spec hash.
type Cache struct {
	Dir string
	// Progress, if set, reports generation.
	Progress func(what string, done, total int)
}

// DefaultCacheDir is hiddendim/datasets under the user's cache folder.
func DefaultCacheDir() string {
	d, err := os.UserCacheDir()
	if err != nil {
		d = os.TempDir()
	}
	return filepath.Join(d, "hiddendim")
}

// Dataset returns the folder of spec, generating it if it is missing and
// regenerating it if it does not verify.
func (c *Cache) Dataset(ctx context.Context, spec DatasetSpec) (string, error) {
	gs, err := spec.Spec()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(c.Dir, "datasets", spec.Generator+"-"+spec.Hash()[:16])
	if _, err := generators.ReadManifest(dir); err == nil {
		if err := generators.Verify(dir); err == nil {
			return dir, nil
		}
	}
	opts := generators.WriteOptions{Out: dir, Overwrite: true}
	if c.Progress != nil {
		opts.Progress = func(done, total int) { c.Progress("generate "+spec.Generator, done, total) }
	}
	// A folder left by an interrupted run, or one that no longer verifies,
	// is replaced whole.
	if _, err := os.Stat(dir); err == nil {
		if err := os.RemoveAll(dir); err != nil {
			return "", fmt.Errorf("bench: clearing %s: %w", dir, err)
		}
	}
	if _, err := generators.Write(ctx, gs, opts); err != nil {
		return "", err
	}
	return dir, nil
}

// LabeledImages is a split read for classification.
type LabeledImages struct {
	Examples *models.Examples
	// Classes[h] is label h's vocabulary.
	Classes [][]string
	// Heldout marks samples of held-out combinations; nil if the dataset has none.
	Heldout []bool
	// SplitSHA256 is the split's content hash from the manifest.
	SplitSHA256 string
}

// LoadLabeledImages reads a split's images (scaled to [0, 1], channels
// first) and the named label features as class indices.
func LoadLabeledImages(dir, split string, labels []string) (*LabeledImages, error) {
	r, err := generators.Open(dir)
	if err != nil {
		return nil, err
	}
	var imgFeat *generators.Feature
	for i, f := range r.Manifest.Features {
		if f.Kind == generators.ImageFeature {
			imgFeat = &r.Manifest.Features[i]
			break
		}
	}
	if imgFeat == nil {
		return nil, errors.New("bench: dataset has no image feature")
	}
	if err := checkSplits(r.Manifest, dir, split); err != nil {
		return nil, err
	}
	out := &LabeledImages{SplitSHA256: r.Manifest.Splits[split].SHA256}
	index := make([]map[string]int, len(labels))
	for h, name := range labels {
		f, ok := r.Feature(name)
		if !ok || f.Kind != generators.LabelFeature {
			known := "none"
			if l := labelNames(r.Manifest); len(l) > 0 {
				known = strings.Join(l, ", ")
			}
			return nil, mismatchf("bench: %s (%s) has no label %q; its labels: %s", dir, r.Manifest.Dataset, name, known)
		}
		out.Classes = append(out.Classes, f.Vocab)
		index[h] = map[string]int{}
		for i, v := range f.Vocab {
			index[h][v] = i
		}
	}
	_, hasHeldout := r.Feature("heldout")
	sr, err := r.Split(split)
	if err != nil {
		return nil, err
	}
	defer sr.Close()
	H, W := imgFeat.Shape[0], imgFeat.Shape[1]
	ex := &models.Examples{Shape: [3]int{3, H, W}, X: make([]float32, 0, sr.Len()*3*H*W)}
	for sr.Next() {
		rec := sr.Record()
		var fields map[string]any
		if err := rec.Decode(&fields); err != nil {
			return nil, err
		}
		lab := make([]int, len(labels))
		for h, name := range labels {
			v, _ := fields[name].(string)
			i, ok := index[h][v]
			if !ok {
				return nil, fmt.Errorf("bench: sample %d: %s %q is not in the vocabulary", rec.Index, name, v)
			}
			lab[h] = i
		}
		ex.Labels = append(ex.Labels, lab)
		if hasHeldout {
			b, _ := fields["heldout"].(bool)
			out.Heldout = append(out.Heldout, b)
		}
		img, err := rec.Image(imgFeat.Name)
		if err != nil {
			return nil, err
		}
		ex.X = appendCHW(ex.X, img)
	}
	if err := sr.Err(); err != nil {
		return nil, err
	}
	out.Examples = ex
	return out, nil
}

// appendCHW appends img as three planes of values in [0, 1].
func appendCHW(dst []float32, img image.Image) []float32 {
	b := img.Bounds()
	n := b.Dx() * b.Dy()
	start := len(dst)
	dst = append(dst, make([]float32, 3*n)...)
	planes := dst[start:]
	if rgba, ok := img.(*image.RGBA); ok { // what PNG decoding gives for our images: no per-pixel interface calls
		i := 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			row := rgba.Pix[rgba.PixOffset(b.Min.X, y):]
			for x := 0; x < b.Dx(); x++ {
				planes[i], planes[n+i], planes[2*n+i] = float32(row[4*x])/255, float32(row[4*x+1])/255, float32(row[4*x+2])/255
				i++
			}
		}
		return dst
	}
	i := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			planes[i], planes[n+i], planes[2*n+i] = float32(r>>8)/255, float32(g>>8)/255, float32(bl>>8)/255
			i++
		}
	}
	return dst
}
