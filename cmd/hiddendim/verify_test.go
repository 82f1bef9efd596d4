package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hiddendim/hiddendim/generators"
)

// editManifest rewrites dir's manifest.json through edit.
func editManifest(t *testing.T, dir string, edit func(m map[string]any)) {
	t.Helper()
	path := filepath.Join(dir, "manifest.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	if b, err = json.MarshalIndent(m, "", "  "); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// setConfig sets a config key and, with rehash, config_sha256 to match, as
// someone covering their tracks would.
func setConfig(t *testing.T, key string, value any, rehash bool) func(m map[string]any) {
	return func(m map[string]any) {
		cfg := m["config"].(map[string]any)
		cfg[key] = value
		if !rehash {
			return
		}
		ds, err := datasets().Lookup(m["dataset"].(string))
		if err != nil {
			t.Fatal(err)
		}
		c := ds.DefaultConfig()
		b, _ := json.Marshal(cfg)
		if err := json.Unmarshal(b, c); err != nil {
			t.Fatal(err)
		}
		m["config_sha256"] = generators.ConfigHash(c)
	}
}

// TestVerifyCatchesManifestEdits edits each field of manifest.json in
// datasets of several generators and both formats, and checks that verify
// fails (exit 1) naming the field.
func TestVerifyCatchesManifestEdits(t *testing.T) {
	root := t.TempDir()
	type ds struct {
		name   string
		args   []string
		key    string // a config key and another valid value for it
		value  any
		labels bool // has a label feature with a vocabulary
	}
	sets := []ds{
		{"shapes-png", []string{"generate", "shapes", "--splits", "train=24,test=8", "--seed", "3"}, "jitter", 0.5, true},
		{"shapes-npz", []string{"generate", "shapes", "--splits", "train=24,test=8", "--format", "npz"}, "jitter", 0.5, true},
		{"relations-png", []string{"generate", "relations", "--splits", "train=16,test=4"}, "jitter", 0.5, false},
		{"clevrlite-npz", []string{"generate", "clevrlite", "--splits", "train=12,test=4", "--format", "npz"}, "questions_per_group", 9, false},
	}
	for _, d := range sets {
		good := filepath.Join(root, d.name)
		if code := run(context.Background(), append(d.args, "--out", good)); code != 0 {
			t.Fatalf("%s: generate exit %d", d.name, code)
		}
		tests := []struct {
			name string
			edit func(m map[string]any)
			want string
		}{
			{"seed", func(m map[string]any) { m["seed"] = m["seed"].(float64) + 1 }, "seed/config:"},
			{"config value", setConfig(t, d.key, d.value, false), "config_sha256:"},
			{"config value and its hash", setConfig(t, d.key, d.value, true), "seed/config:"},
			{"config unknown key", func(m map[string]any) { m["config"].(map[string]any)["colour"] = "red" }, `unknown field "colour"`},
			{"config key removed", func(m map[string]any) { delete(m["config"].(map[string]any), d.key) }, "config." + d.key + ": (absent)"},
			{"config_sha256", func(m map[string]any) {
				m["config_sha256"] = strings.Repeat("0", 64)
			}, "config_sha256:"},
			{"version", func(m map[string]any) { m["version"] = "9.0.0" }, "dataset/version: " + strings.SplitN(d.name, "-", 2)[0] + " 9.0.0"},
			{"dataset unknown", func(m map[string]any) { m["dataset"] = "shapez" }, `dataset: unknown "shapez"`},
			{"dataset another", func(m map[string]any) { m["dataset"] = "webpages" }, "dataset/"},
			{"dataset of the same version", func(m map[string]any) {
				if m["dataset"] == "relations" {
					m["dataset"] = "counting"
				} else {
					m["dataset"] = "webpages"
					m["version"] = webpagesVersion(t)
				}
			}, "dataset/config: "},
			{"feature kind", func(m map[string]any) {
				fs := m["features"].([]any)
				f := fs[len(fs)-1].(map[string]any)
				if f["kind"] == "text" {
					f["kind"] = "int"
				} else {
					f["kind"] = "text"
				}
			}, "].kind ("},
			{"feature removed", func(m map[string]any) {
				fs := m["features"].([]any)
				m["features"] = fs[:len(fs)-1]
			}, "features: lacks"},
			{"split count", func(m map[string]any) {
				s := m["splits"].(map[string]any)["train"].(map[string]any)
				s["count"] = s["count"].(float64) - 1
			}, "splits.train.count:"},
			{"split total", func(m map[string]any) {
				s := m["splits"].(map[string]any)["test"].(map[string]any)
				s["total"] = s["total"].(float64) + 5
			}, "splits.test:"},
			{"format", func(m map[string]any) {
				if m["format"] == "png" {
					m["format"] = "npz"
				} else {
					m["format"] = "png"
				}
			}, "lists no "},
		}
		if d.labels {
			tests = append(tests, struct {
				name string
				edit func(m map[string]any)
				want string
			}{"swap two vocab entries", func(m map[string]any) {
				for _, f := range m["features"].([]any) {
					if v, ok := f.(map[string]any)["vocab"].([]any); ok && len(v) >= 2 {
						v[0], v[1] = v[1], v[0]
						return
					}
				}
			}, "].vocab ("})
		}
		for _, tt := range tests {
			t.Run(d.name+"/"+tt.name, func(t *testing.T) {
				dir := filepath.Join(root, d.name+"-"+strings.ReplaceAll(tt.name, " ", "-"))
				copyDir(t, good, dir)
				editManifest(t, dir, tt.edit)
				err := dispatch(context.Background(), []string{"verify", dir})
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("verify: %v\nwant an error containing %q", err, tt.want)
				}
				if code := run(context.Background(), []string{"verify", dir}); code != 1 {
					t.Fatalf("exit %d, want 1", code)
				}
			})
		}
		t.Run(d.name+"/intact", func(t *testing.T) {
			if err := dispatch(context.Background(), []string{"verify", good, "--regenerate", "1000"}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestVerifyUsage(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	if code := run(context.Background(), []string{"generate", "shapes", "--out", good, "--n", "10"}); code != 0 {
		t.Fatal(code)
	}
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"intact", []string{"verify", good}, 0},
		{"no regenerate", []string{"verify", "--regenerate", "0", good}, 0},
		{"not a dataset", []string{"verify", filepath.Join(dir, "nothing")}, 1},
		{"negative K", []string{"verify", good, "--regenerate", "-3"}, 2},
		{"bad K", []string{"verify", good, "--regenerate", "many"}, 2},
		{"two dirs", []string{"verify", good, good}, 2},
		{"no dir", []string{"verify"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code := run(context.Background(), tt.args); code != tt.code {
				t.Fatalf("exit %d, want %d", code, tt.code)
			}
		})
	}
}

// webpagesVersion is the version this build renders webpages at.
func webpagesVersion(t *testing.T) string {
	t.Helper()
	d, err := datasets().Lookup("webpages")
	if err != nil {
		t.Fatal(err)
	}
	return d.Version().String()
}
