package vae

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/bench/benchtest"
	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/models"
	"github.com/hiddendim/hiddendim/models/latent"
)

func harness() *bench.Harness { return bench.NewHarness(registry(), Kind{}) }

// tinyMetrics are the board of the standard suite's vae-relations task.
var tinyMetrics = []string{"neg_elbo", "recon", "kl", "kmeans_v_measure", "kmeans_ari", "silhouette", "som_qe", "som_te", "mig", "dci_disentanglement", "fewshot_k10",
	"arithmetic_retrieval", "arithmetic_retrieval_add", "arithmetic_retrieval_untrained", "arithmetic_retrieval_pixels", "arithmetic_margin", "arithmetic_pixel_mse"}

// suiteJSON is a suite of one VAE task, as JSON: one epoch of the
// reference VAE on small relations with parts, with the task's fields in
// edit set (a nil value removes the field).
func suiteJSON(t *testing.T, edit map[string]any) []byte {
	t.Helper()
	task := map[string]any{
		"name": "tiny-vae", "version": "1.0.0", "kind": "vae",
		"dataset": map[string]any{"generator": "relations", "version": version(t, "relations"), "seed": 7, "settings": tinyRelations,
			"splits": []map[string]any{{"name": "train", "count": 256}, {"name": "test", "count": 96}}, "train": "train", "test": "test"},
		"models":  []map[string]any{{"name": "vae", "latent": 10, "beta": 1}},
		"budget":  map[string]any{"epochs": 1, "batch": 32, "lr": 2e-3},
		"seeds":   []int{1},
		"metrics": tinyMetrics,
		"primary": "neg_elbo",
	}
	for k, v := range edit {
		if v == nil {
			delete(task, k)
		} else {
			task[k] = v
		}
	}
	b, err := json.Marshal(map[string]any{"name": "tiny", "description": "one epoch of the reference VAE on small relations with parts", "tasks": []any{task}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTinySuiteRecordsEveryScoreReproducibly runs one epoch of the
// reference VAE on small relations images with parts, twice (Verify): every
// analysis runs, arithmetic included, and scores bit for bit the same.
func TestTinySuiteRecordsEveryScoreReproducibly(t *testing.T) {
	dir := t.TempDir()
	h := harness()
	s, err := h.ReadSuite("tiny", suiteJSON(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := h.Run(context.Background(), s, bench.Options{Out: filepath.Join(dir, "r.jsonl"), CacheDir: filepath.Join(dir, "cache"), Verify: true, Pictures: filepath.Join(dir, "pics")})
	if err != nil {
		t.Fatal(err) // Verify ran it twice: the scores matched bit for bit
	}
	if len(recs) != 1 {
		t.Fatalf("%d records, want 1", len(recs))
	}
	benchtest.CheckPictures(t, filepath.Join(dir, "pics"), recs, "latent_pca.png", "som_umatrix.png", "arithmetic.png", "hierarchy.png", "training.png")
	m := recs[0].Metrics
	for _, name := range append(s.Tasks[0].Metrics, "fewshot_k1", "fewshot_k5", "dci_completeness", "dci_informativeness", "kmeans_homogeneity", "arithmetic_pixel_mse_add", "arithmetic_retrieval_all",
		"arithmetic_retrieval_add_untrained", "arithmetic_retrieval_add_pixels", "arithmetic_margin_add", "params") {
		v, ok := m[name]
		if !ok || math.IsNaN(v.Value) {
			t.Errorf("metric %s missing or NaN: %+v", name, v)
		}
	}
	// The record holds exactly what the kind says relations with parts
	// yield, each described by Metrics, and the kernel's params.
	want := append(scoredOn(adapters["relations"], spec(t, s.Tasks[0]).Config), "params")
	var got []string
	for k := range m {
		got = append(got, k)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("recorded %v, want %v", got, want)
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
	// The record's model is the reference VAE on 16×16 images, seeded by
	// the run's seed, and names the splits read.
	var cfg models.VAEConfig
	if err := json.Unmarshal(recs[0].ModelConfig, &cfg); err != nil {
		t.Fatal(err)
	}
	if ref := models.ReferenceVAE([3]int{3, 16, 16}, 1); fmt.Sprint(cfg) != fmt.Sprint(ref) {
		t.Errorf("model config %+v, want the reference VAE %+v", cfg, ref)
	}
	if sp := recs[0].Dataset.Splits; len(sp) != 2 || sp["train"] == "" || sp["test"] == "" || sp["train"] == sp["test"] {
		t.Errorf("dataset splits %v, want the train and test splits' hashes", sp)
	}
	// Every metric stays within the range Metrics gives it.
	for _, info := range (Kind{}).Metrics(nil) {
		if v, ok := m[info.Name]; ok && (v.Value < info.Min || v.Value > info.Max) {
			t.Errorf("%s = %v, outside [%v, %v]", info.Name, v.Value, info.Min, info.Max)
		}
	}
}

// spec resolves a task's dataset.
func spec(t *testing.T, task bench.Task) generators.Spec {
	t.Helper()
	gs, err := task.Dataset.Spec(registry())
	if err != nil {
		t.Fatal(err)
	}
	return gs
}

func TestDecodeModel(t *testing.T) {
	tests := []struct {
		name, raw string
		want      Model
		field     string // "" for accepted
		msg       string
	}{
		{"the reference VAE", `{"latent": 10, "beta": 1}`, Model{Latent: 10, Beta: 1}, "", ""},
		{"a β-VAE, the reference's latent size", `{"beta": 4}`, Model{Beta: 4}, "", ""},
		{"an autoencoder", `{"latent": 8, "beta": 0}`, Model{Latent: 8}, "", ""},
		{"an arch", `{"arch": "vae", "latent": 10, "beta": 1}`, Model{}, "arch", "one architecture"},
		{"no beta", `{"latent": 10}`, Model{}, "beta", "missing"},
		{"a negative latent size", `{"latent": -1, "beta": 1}`, Model{}, "latent", "at least 1 (or 0 for the reference VAE's 10)"},
		{"a negative beta", `{"latent": 10, "beta": -1}`, Model{}, "beta", "at least 0"},
		{"a classifier's field", `{"latent": 10, "beta": 1, "conv": [16]}`, Model{}, "conv", "unknown field; known: latent, beta"},
		{"a latent size of the wrong type", `{"latent": "ten", "beta": 1}`, Model{}, "latent", "want int"},
		{"a fractional latent size", `{"latent": 2.5, "beta": 1}`, Model{}, "latent", "want int"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Kind{}.DecodeModel([]byte(tt.raw))
			if tt.field == "" {
				if err != nil || got != tt.want {
					t.Fatalf("got %#v, %v; want %#v", got, err, tt.want)
				}
				return
			}
			var fe *bench.FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field || !strings.Contains(fe.Msg, tt.msg) {
				t.Fatalf("error %v, want a FieldError at %q containing %q", err, tt.field, tt.msg)
			}
		})
	}
}

func TestModelMarshalsAsTheOldSuites(t *testing.T) {
	// The model entry is part of every record's run key: name, latent,
	// beta, in this order.
	b, err := json.Marshal(bench.ModelSpec{Name: "beta4-vae", Config: Model{Latent: 10, Beta: 4}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"name":"beta4-vae","latent":10,"beta":4}`; string(b) != want {
		t.Errorf("marshals as %s, want %s", b, want)
	}
	if a := (Model{}).Arch(); a != "reference" {
		t.Errorf("Arch() = %q, want reference", a)
	}
}

// TestReadSuiteChecksVAETasks reads suites through a harness: the kind's
// DecodeModel and CheckTask refuse what the VAE cannot run, at the field
// at fault.
func TestReadSuiteChecksVAETasks(t *testing.T) {
	dataset := func(gen string, settings map[string]string) map[string]any {
		return map[string]any{"generator": gen, "version": version(t, gen), "seed": 7, "settings": settings,
			"splits": []map[string]any{{"name": "train", "count": 10}, {"name": "test", "count": 10}}, "train": "train", "test": "test"}
	}
	common := []string{"neg_elbo", "kmeans_v_measure", "fewshot_k10"}
	tests := []struct {
		name  string
		edit  map[string]any
		field string // "" for accepted
		msg   string
	}{
		{"relations with parts, arithmetic", nil, "", ""},
		{"shapes", map[string]any{"dataset": dataset("shapes", nil), "metrics": append(common, "kmeans_homogeneity_shape")}, "", ""},
		{"webpages with parts, arithmetic", map[string]any{"dataset": dataset("webpages", map[string]string{"image_size": "128", "parts": "true"})}, "", ""},
		{"relations without parts", map[string]any{"dataset": dataset("relations", nil), "metrics": common}, "", ""},
		{"shapes asking for arithmetic", map[string]any{"dataset": dataset("shapes", nil)}, "tasks[0].metrics[11]",
			"arithmetic_retrieval needs parts: the VAE does latent arithmetic on relations, webpages datasets generated with parts=true"},
		{"relations without parts asking for arithmetic", map[string]any{"dataset": dataset("relations", nil), "metrics": append(common, "arithmetic_margin")},
			"tasks[0].metrics[3]", "arithmetic_margin needs parts"},
		{"a target on arithmetic without parts", map[string]any{"dataset": dataset("webpages", nil), "metrics": common,
			"expect": []map[string]any{{"model": "vae", "metric": "arithmetic_retrieval", "min": 0.5}}}, "tasks[0].expect[0].metric", "arithmetic_retrieval needs parts"},
		{"shapes' homogeneity on relations", map[string]any{"metrics": append(common, "kmeans_homogeneity_color")}, "tasks[0].metrics[3]",
			"the VAE does not score kmeans_homogeneity_color on relations datasets"},
		{"a dataset without adapter", map[string]any{"dataset": dataset("counting", nil), "metrics": common}, "tasks[0].dataset.generator",
			`"counting": the VAE reads relations, shapes, webpages datasets`},
		{"single figures", map[string]any{"dataset": dataset("relations", map[string]string{"single_fraction": "0.2"}), "metrics": common},
			"tasks[0].dataset.settings", "single_fraction 0.2"},
		{"labels", map[string]any{"labels": []string{"shape"}, "dataset": dataset("shapes", nil), "metrics": common}, "tasks[0].labels", "predicts no labels"},
		{"an arch", map[string]any{"models": []map[string]any{{"name": "vae", "arch": "vae", "latent": 10, "beta": 1}}}, "tasks[0].models[0].arch", "one architecture"},
		{"a metric no VAE scores", map[string]any{"metrics": append(common, "subset_accuracy")}, "tasks[0].metrics[3]", `vae does not score "subset_accuracy"`},
	}
	h := harness()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.ReadSuite("tiny", suiteJSON(t, tt.edit))
			if tt.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var fe *bench.FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field || !strings.Contains(fe.Msg, tt.msg) {
				t.Fatalf("error %v, want a FieldError at %q containing %q", err, tt.field, tt.msg)
			}
		})
	}
}

// TestBuiltinSuitesVAETasks reads every VAE task of the built-in suites
// through the kind: the suites are the contract the kind must accept.
func TestBuiltinSuitesVAETasks(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "suites", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no built-in suites: %v", err)
	}
	total := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var suite struct {
			Tasks []json.RawMessage `json:"tasks"`
		}
		if err := json.Unmarshal(b, &suite); err != nil {
			t.Fatal(err)
		}
		var tasks []json.RawMessage
		for _, raw := range suite.Tasks {
			var task struct{ Kind string }
			if err := json.Unmarshal(raw, &task); err != nil {
				t.Fatal(err)
			}
			if task.Kind == "vae" {
				tasks = append(tasks, raw)
			}
		}
		if len(tasks) == 0 {
			continue
		}
		only, _ := json.Marshal(map[string]any{"name": filepath.Base(f), "tasks": tasks})
		s, err := harness().ReadSuite(f, only)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, task := range s.Tasks {
			for _, m := range task.Models {
				// Every built-in VAE is the reference's size.
				if c, ok := m.Config.(Model); !ok || c.Latent != 10 || (c.Beta != 1 && c.Beta != 4) {
					t.Errorf("%s %s %s: config %#v", f, task.Name, m.Name, m.Config)
				}
			}
		}
		total += len(s.Tasks)
	}
	if total < 5 {
		t.Errorf("%d VAE tasks in the built-in suites; want at least 5", total)
	}
}

// TestMetricsDescribeEveryScore checks Metrics against the metric
// families: every metric once, and the directions and ranges of those
// that are not higher-is-better proportions.
func TestMetricsDescribeEveryScore(t *testing.T) {
	infos := Kind{}.Metrics(nil)
	seen := map[string]bench.MetricInfo{}
	for _, m := range infos {
		if _, dup := seen[m.Name]; dup {
			t.Errorf("%s described twice", m.Name)
		}
		seen[m.Name] = m
	}
	if len(seen) != len(allMetrics()) || len(Kind{}.Metrics([]string{"shape"})) != len(infos) {
		t.Errorf("%d metrics described, %d scored", len(seen), len(allMetrics()))
	}
	inf := math.Inf(1)
	for _, tt := range []struct {
		name     string
		lower    bool
		min, max float64
	}{
		{"neg_elbo", true, 0, inf}, {"recon", true, 0, inf}, {"kl", true, 0, inf}, {"som_qe", true, 0, inf}, {"som_te", true, 0, 1},
		{"arithmetic_pixel_mse", true, 0, inf}, {"arithmetic_pixel_mse_add", true, 0, inf},
		{"silhouette", false, -1, 1}, {"kmeans_ari", false, -1, 1}, {"arithmetic_margin", false, -1, 1}, {"arithmetic_margin_add", false, -1, 1},
		{"arithmetic_distractors", false, 0, inf},
		{"kmeans_v_measure", false, 0, 1}, {"mig", false, 0, 1}, {"dci_informativeness", false, 0, 1}, {"fewshot_k10", false, 0, 1},
		{"arithmetic_retrieval", false, 0, 1}, {"arithmetic_retrieval_add_pixels", false, 0, 1}, {"kmeans_homogeneity_shape", false, 0, 1},
	} {
		m, ok := seen[tt.name]
		if !ok || m.LowerIsBetter != tt.lower || m.Min != tt.min || m.Max != tt.max {
			t.Errorf("%s described as %+v (found %v), want lower %v in [%v, %v]", tt.name, m, ok, tt.lower, tt.min, tt.max)
		}
	}
}
