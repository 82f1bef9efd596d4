package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hiddendim/hiddendim/generators"
)

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

// Mismatchf returns a MismatchError with a formatted message.
func Mismatchf(format string, a ...any) error { return &MismatchError{fmt.Errorf(format, a...)} }

// CheckSplits refuses, as a MismatchError, split names the dataset does
// not have; "" is skipped (no split asked for).
func CheckSplits(m *generators.Manifest, dir string, splits ...string) error {
	for _, split := range splits {
		if _, ok := m.Splits[split]; split != "" && !ok {
			return Mismatchf("bench: %s has no split %q; its splits: %s", dir, split, strings.Join(m.SplitOrder, ", "))
		}
	}
	return nil
}

// LabelNames lists a manifest's label features.
func LabelNames(m *generators.Manifest) []string {
	var names []string
	for _, f := range m.Features {
		if f.Kind == generators.LabelFeature {
			names = append(names, f.Name)
		}
	}
	return names
}

// Spec resolves a DatasetSpec against reg into a generator spec, checking
// that the code renders the version the spec names.
func (d DatasetSpec) Spec(reg *generators.Registry) (generators.Spec, error) {
	ds, err := reg.Lookup(d.Generator)
	if err != nil {
		return generators.Spec{}, err
	}
	if v := ds.Version().String(); v != d.Version {
		return generators.Spec{}, fmt.Errorf("bench: the suite wants %s %s, this build renders %s %s", d.Generator, d.Version, d.Generator, v)
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
	// Datasets resolves the specs.
	Datasets *generators.Registry
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
	gs, err := spec.Spec(c.Datasets)
	if err != nil {
		return "", err
	}
	dir := CachedDataset(c.Dir, spec.Generator, spec.Hash())
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

// CachedDataset is the folder a Cache in cacheDir keeps the dataset of
// generator with spec hash specSHA256 in (a record's dataset.generator and
// dataset.spec_sha256). It panics if specSHA256 is shorter than 16
// characters, which no spec hash is.
func CachedDataset(cacheDir, generator, specSHA256 string) string {
	return filepath.Join(cacheDir, "datasets", generator+"-"+specSHA256[:16])
}
