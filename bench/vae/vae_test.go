package bench

import (
	"bytes"
	"context"
	"image"
	stddraw "image/draw"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/models/latent"
)

// tinyVAESuite trains the reference VAE for one epoch on small relations
// images with parts: every analysis runs, arithmetic included.
func tinyVAESuite() Suite {
	settings := map[string]string{"parts": "true", "single_fraction": "0", "image_size": "16", "size_min": "6", "size_max": "8"}
	t := vaeTask("tiny-vae", "relations", settings, 256, 96, []ModelSpec{vaeModel("vae", 1)}, Budget{Epochs: 1, Batch: 32, LR: 2e-3}, []uint64{1}, nil)
	return Suite{Name: "tiny", Tasks: []Task{t}}
}

func TestVAETaskRecordsEveryScoreReproducibly(t *testing.T) {
	dir := t.TempDir()
	recs, err := Run(context.Background(), tinyVAESuite(), Options{Out: filepath.Join(dir, "r.jsonl"), CacheDir: filepath.Join(dir, "cache"), Verify: true})
	if err != nil {
		t.Fatal(err) // Verify ran it twice: the scores matched bit for bit
	}
	if len(recs) != 1 {
		t.Fatalf("%d records, want 1", len(recs))
	}
	m := recs[0].Metrics
	for _, name := range append(tinyVAESuite().Tasks[0].Metrics, "fewshot_k1", "fewshot_k5", "dci_completeness", "dci_informativeness", "kmeans_homogeneity", "arithmetic_pixel_mse_add", "arithmetic_retrieval_all",
		"arithmetic_retrieval_add_untrained", "arithmetic_retrieval_add_pixels", "arithmetic_margin_add", "params") {
		v, ok := m[name]
		if !ok || math.IsNaN(v.Value) {
			t.Errorf("metric %s missing or NaN: %+v", name, v)
		}
	}
	// The margin is over the better baseline, scored among the same hard
	// distractors (96 test composites in two relations: every one has
	// latent.DefaultDistractors).
	if got, want := m["arithmetic_margin"].Value, m["arithmetic_retrieval"].Value-max(m["arithmetic_retrieval_untrained"].Value, m["arithmetic_retrieval_pixels"].Value); got != want {
		t.Errorf("arithmetic_margin %v, want %v", got, want)
	}
	if got, want := m["arithmetic_margin_add"].Value, m["arithmetic_retrieval_add"].Value-max(m["arithmetic_retrieval_add_untrained"].Value, m["arithmetic_retrieval_add_pixels"].Value); got != want {
		t.Errorf("arithmetic_margin_add %v, want %v", got, want)
	}
	if d := m["arithmetic_distractors"].Value; d != latent.DefaultDistractors {
		t.Errorf("%v distractors per composite, want %d", d, latent.DefaultDistractors)
	}
	if e := m["neg_elbo"].Value; math.Abs(e-(m["recon"].Value+m["kl"].Value)) > 1e-9 {
		t.Errorf("−ELBO %v is not recon + KL = %v", e, m["recon"].Value+m["kl"].Value)
	}
	if m["kl"].Value <= 0 || m["recon"].Value <= 0 {
		t.Errorf("KL %v and recon %v should be positive nats", m["kl"].Value, m["recon"].Value)
	}
}

func TestTrainAndAnalyzeVAE(t *testing.T) {
	dir := t.TempDir()
	data := writeDataset(t, dir, "shapes", map[string]string{"image_size": "16", "size_min": "8", "size_max": "12"}, 300, 90)
	out := filepath.Join(dir, "run")
	scores, err := TrainVAE(context.Background(), VAETrainOptions{Training: Training{Data: data, Out: out, Train: "train", Test: "test",
		Budget: Budget{Epochs: 2, Batch: 30, LR: 2e-3}, Seed: 3}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := scores["kmeans_homogeneity_shape"]; !ok {
		t.Errorf("no shape homogeneity for a shapes dataset: %v", scores)
	}
	pics := filepath.Join(dir, "pics")
	files, again, err := AnalyzeCheckpoint(AnalyzeCheckpointOptions{Checkpoint: filepath.Join(out, CheckpointFile), Data: data, Out: pics, Train: "train", Test: "test", Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	// The checkpoint scores as the trained model did.
	for k, v := range scores {
		if again[k] != v && !(math.IsNaN(v) && math.IsNaN(again[k])) {
			t.Errorf("%s: %v after training, %v from the checkpoint", k, v, again[k])
		}
	}
	if len(files) != len(AnalyzeFiles) {
		t.Errorf("wrote %v, want %v", files, AnalyzeFiles)
	}
	for _, name := range AnalyzeFiles {
		p := filepath.Join(pics, name)
		f, err := os.Open(p)
		if err != nil {
			t.Error(err)
			continue
		}
		if filepath.Ext(name) == ".png" {
			if img, err := png.Decode(f); err != nil || img.Bounds().Dx() < 100 {
				t.Errorf("%s: not a picture (%v)", name, err)
			}
		}
		f.Close()
	}
}

// writeDataset generates a small dataset with train and test splits into
// a folder of dir named after the generator.
func writeDataset(t *testing.T, dir, gen string, settings map[string]string, train, test int) string {
	t.Helper()
	out := filepath.Join(dir, gen)
	ds, err := Datasets().Lookup(gen)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := DatasetSpec{Generator: gen, Version: ds.Version().String(), Settings: settings,
		Splits: []generators.SplitSize{{Name: "train", Count: train}, {Name: "test", Count: test}}}.Spec()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := generators.Write(context.Background(), spec, generators.WriteOptions{Out: out}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestVAEDataOfPages(t *testing.T) {
	data := writeDataset(t, t.TempDir(), "webpages", map[string]string{"image_size": "128", "max_rows": "2", "parts": "true"}, 30, 6)
	d, err := LoadVAEData(data, "train")
	if err != nil {
		t.Fatal(err)
	}
	if d.Images.Len() != 30 || d.Images.Shape != [3]int{3, 128, 128} || len(d.Parts.Whole) != 30 {
		t.Fatalf("%d images of %v, %d composites", d.Images.Len(), d.Images.Shape, len(d.Parts.Whole))
	}
	for k, of := range d.Parts.Of {
		if of[0] < 0 || of[3] < 0 {
			t.Fatalf("page %d lacks its header or container: %v", k, of)
		}
		if (of[1] >= 0 || of[2] >= 0) != (d.Class[k] != 0) || (of[1] >= 0 && of[2] >= 0) {
			t.Fatalf("page %d: menu class %d, menu slots %v", k, d.Class[k], of[1:3])
		}
		if (of[4] >= 0) != (d.Factors.Values[1][k] == 1) {
			t.Fatalf("page %d: footer factor %d, footer slot %d", k, d.Factors.Values[1][k], of[4])
		}
		// Labels name each part: 100·slot + the header's buttons or the
		// container's rows, −1 where there is no part.
		lab := d.Parts.Labels[k]
		if lab[0] != d.Factors.Values[3][k] || lab[3] != 300+d.Factors.Values[2][k] {
			t.Fatalf("page %d: labels %v, want header %d and container %d", k, lab, d.Factors.Values[3][k], 300+d.Factors.Values[2][k])
		}
		for s := range of {
			if (of[s] < 0) != (lab[s] < 0) || (lab[s] >= 0 && lab[s]/100 != s) {
				t.Fatalf("page %d: labels %v for parts %v", k, lab, of)
			}
		}
	}
}

func TestStripLabelsDrawMu(t *testing.T) {
	// The reconstructions' row reads "from μ": the μ must leave ink, which
	// the basic bitmap font's missing glyph did not.
	cell := image.NewRGBA(image.Rect(0, 0, 8, 8))
	draw := func(label string) *image.RGBA {
		img, err := drawStrips([]string{label}, [][]image.Image{{cell}}, 3)
		if err != nil {
			t.Fatal(err)
		}
		out := image.NewRGBA(img.Bounds())
		stddraw.Draw(out, out.Bounds(), img, image.Point{}, stddraw.Src)
		return out
	}
	withMu, without := draw("from μ"), draw("from ")
	if bytes.Equal(withMu.Pix, without.Pix) {
		t.Error(`"from μ" draws the same pixels as "from ": the label font has no μ`)
	}
}

func TestVAEDataOfRelationsLabelsFigures(t *testing.T) {
	// Two parts have the same label exactly when their figures have the
	// same shape and color, in either slot: hard distractors rest on it.
	data := writeDataset(t, t.TempDir(), "relations", map[string]string{"parts": "true", "single_fraction": "0", "image_size": "16", "size_min": "6", "size_max": "8"}, 60, 4)
	d, err := LoadVAEData(data, "train")
	if err != nil {
		t.Fatal(err)
	}
	f := map[string][]int{}
	for j, name := range d.Factors.Names {
		f[name] = d.Factors.Values[j]
	}
	if len(f["subject_shape"]) == 0 || len(f["object_color"]) == 0 {
		t.Fatalf("figure factors missing: %v", d.Factors.Names)
	}
	figure := func(k, slot int) [2]int {
		if slot == 0 {
			return [2]int{f["subject_shape"][k], f["subject_color"][k]}
		}
		return [2]int{f["object_shape"][k], f["object_color"][k]}
	}
	same, differ := 0, 0
	for a := range d.Parts.Labels {
		for b := range d.Parts.Labels {
			for sa := range 2 {
				for sb := range 2 {
					eq := d.Parts.Labels[a][sa] == d.Parts.Labels[b][sb]
					if eq != (figure(a, sa) == figure(b, sb)) {
						t.Fatalf("composite %d slot %d (%v, label %d) and %d slot %d (%v, label %d)", a, sa, figure(a, sa), d.Parts.Labels[a][sa], b, sb, figure(b, sb), d.Parts.Labels[b][sb])
					}
					if eq {
						same++
					} else {
						differ++
					}
				}
			}
		}
	}
	if same == 0 || differ == 0 {
		t.Errorf("%d equal and %d different label pairs: the check saw one kind only", same, differ)
	}
}
