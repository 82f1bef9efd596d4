package generators

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// DefaultRegenerate is how many samples VerifySpec re-renders when
// VerifyOptions.Regenerate is zero: enough that an edited seed or config
// cannot pass (it changes every sample), few enough to take well under a
// second.
const DefaultRegenerate = 8

// VerifyOptions say how far VerifySpec goes beyond the checksums. The zero
// value re-renders DefaultRegenerate samples chosen with seed 0.
type VerifyOptions struct {
	// Regenerate is how many samples to re-render from the manifest's spec
	// and compare with the folder: 0 means DefaultRegenerate, a negative
	// number none. They are spread over every split in proportion to its
	// size, at least one per non-empty split.
	Regenerate int
	// Seed picks which samples are re-rendered.
	Seed uint64
}

// VerifySpec checks a dataset folder completely: the files against the
// checksums (Verify); the manifest against the generator reg holds for its
// dataset (dataset and version known, config valid and hashing to
// config_sha256, features and vocabularies those the generator declares
// for that config); and, by re-rendering samples from the manifest's spec
// (see VerifyOptions), the samples against the spec: their records and
// decoded pixels. Only the re-rendering catches an edited seed, or a
// config edited together with its hash. Every problem names the manifest
// field or the split, sample and field. It returns nil when the folder is
// intact, a *VerifyError when it is not, or another error when it cannot be
// read (ReadManifest's, which wraps ErrNoManifest for a folder that is not
// a dataset) or ctx is done.
func VerifySpec(ctx context.Context, dir string, reg *Registry, opts VerifyOptions) error {
	m, err := ReadManifest(dir)
	if err != nil {
		return err
	}
	v := &VerifyError{Dir: dir}
	var files *VerifyError
	if err := Verify(dir); errors.As(err, &files) {
		v.Problems = append(v.Problems, files.Problems...)
	} else if err != nil {
		return err
	}
	bad := func(format string, a ...any) { v.Problems = append(v.Problems, fmt.Sprintf(format, a...)) }
	sampler := checkSpec(m, reg, bad)
	if sampler != nil && opts.Regenerate >= 0 {
		k := opts.Regenerate
		if k == 0 {
			k = DefaultRegenerate
		}
		if err := regenerate(ctx, dir, m, sampler, pick(m, k, opts.Seed), bad); err != nil {
			return err
		}
	}
	if len(v.Problems) > 0 {
		return v
	}
	return nil
}

// checkSpec checks the manifest's dataset, version, config and features
// against the generator, and returns the sampler its config makes, or nil
// if there is none to re-render with.
func checkSpec(m *Manifest, reg *Registry, bad func(string, ...any)) Sampler {
	ds, err := reg.Lookup(m.Dataset)
	if err != nil {
		bad("dataset: unknown %q; known: %s", m.Dataset, strings.Join(reg.Names(), ", "))
		return nil
	}
	if ver, err := ParseVersion(m.Version); err != nil {
		bad("version: %q is not MAJOR.MINOR.PATCH", m.Version)
		return nil
	} else if ver != ds.Version() {
		bad("dataset/version: %s %s, but this hiddendim renders %s %s and can check only that; regenerate the dataset, or verify it with the hiddendim that wrote it",
			m.Dataset, ver, m.Dataset, ds.Version())
		return nil
	}
	cfg := ds.DefaultConfig()
	dec := json.NewDecoder(bytes.NewReader(m.Config))
	dec.DisallowUnknownFields()
	if err := dec.Decode(cfg); err != nil {
		bad("dataset/config: the config is not a %s config: %v", m.Dataset, err)
		return nil
	}
	canon, err := json.Marshal(cfg)
	if err != nil {
		bad("config: %v", err)
		return nil
	}
	// Every key must be there: a missing one would silently take its default.
	for _, d := range diffJSON(m.Config, canon) {
		bad("config.%s: %s, which decodes as %s", d.field, orMissing(d.got), orMissing(d.want))
	}
	if err := cfg.Validate(); err != nil {
		bad("config: invalid: %v", err)
		return nil
	}
	if h := ConfigHash(cfg); h != m.ConfigSHA256 {
		bad("config_sha256: %.12s…, but config hashes to %.12s…: config or config_sha256 was edited", m.ConfigSHA256, h)
	}
	sampler, err := ds.New(cfg)
	if err != nil {
		bad("config: %v", err)
		return nil
	}
	want := sampler.Features()
	checkFeatures(m.Dataset, m.Features, want, bad)
	if m.Format == FormatNPZ && !FixedSize(want) && !npzListsCover(m, want) {
		bad("format: npz, but %s with this config has a list feature, which npz cannot hold", m.Dataset)
	}
	return sampler
}

// checkFeatures compares the manifest's features with the generator's,
// field by field.
func checkFeatures(dataset string, got, want []Feature, bad func(string, ...any)) {
	for i := range max(len(got), len(want)) {
		if i >= len(got) {
			bad("features: lacks %q (features[%d]), which %s declares", want[i].Name, i, dataset)
			continue
		}
		if i >= len(want) {
			bad("features[%d] %q: %s declares no such feature", i, got[i].Name, dataset)
			continue
		}
		g, _ := json.Marshal(got[i])
		w, _ := json.Marshal(want[i])
		for _, d := range diffJSON(g, w) {
			bad("features[%d].%s (%s): %s, but %s declares %s", i, d.field, want[i].Name, orMissing(d.got), dataset, orMissing(d.want))
		}
	}
}

// fieldDiff is one top-level field of two JSON objects that differs.
type fieldDiff struct {
	field     string
	got, want string // "" when absent
}

// diffJSON lists, in key order, the top-level fields in which two JSON
// objects differ, comparing each value's compact form. Anything that is
// not an object is compared whole, as the field "(value)".
func diffJSON(got, want []byte) []fieldDiff {
	var g, w map[string]json.RawMessage
	if json.Unmarshal(got, &g) != nil || json.Unmarshal(want, &w) != nil {
		if compact(got) != compact(want) {
			return []fieldDiff{{"(value)", short(compact(got)), short(compact(want))}}
		}
		return nil
	}
	keys := map[string]bool{}
	for k := range g {
		keys[k] = true
	}
	for k := range w {
		keys[k] = true
	}
	var out []fieldDiff
	for _, k := range sortedKeys(keys) {
		gv, gok := g[k]
		wv, wok := w[k]
		if gok && wok && compact(gv) == compact(wv) {
			continue
		}
		d := fieldDiff{field: k}
		if gok {
			d.got = short(compact(gv))
		}
		if wok {
			d.want = short(compact(wv))
		}
		out = append(out, d)
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func compact(b []byte) string {
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return string(b)
	}
	return buf.String()
}

// short cuts a value for a one-line message.
func short(s string) string {
	const most = 80
	if r := []rune(s); len(r) > most {
		return string(r[:most]) + "…"
	}
	return s
}

func orMissing(s string) string {
	if s == "" {
		return "(absent)"
	}
	return s
}
