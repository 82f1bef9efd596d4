package bench

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
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

// Dataset returns the folder of spec in the cache, generating it if it is
// missing and regenerating it if it does not verify or is not spec's
// dataset. Several processes may fill one cache at once, on one machine
// or on several sharing the folder: each generates into a temporary
// folder beside the dataset's (".NAME.partial-…") and renames it into
// place, which is atomic, so a dataset folder in the cache is always
// whole. If another process placed the dataset first, Dataset checks that
// it is the same dataset (the same split hashes: generation is
// deterministic) and discards its own; if they differ, it is an error. A
// process killed while generating leaves its .partial folder behind, to
// be removed when no bench runs.
func (c *Cache) Dataset(ctx context.Context, spec DatasetSpec) (string, error) {
	gs, err := spec.Spec(c.Datasets)
	if err != nil {
		return "", err
	}
	dir := CachedDataset(c.Dir, spec.Generator, spec.Hash())
	root, name := filepath.Dir(dir), filepath.Base(dir)
	if cached(dir, gs) == nil {
		return dir, nil
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", fmt.Errorf("bench: cache: %w", err)
	}
	tmp, err := os.MkdirTemp(root, "."+name+".partial-")
	if err != nil {
		return "", fmt.Errorf("bench: cache: %w", err)
	}
	defer os.RemoveAll(tmp) // gone already once renamed into place
	opts := generators.WriteOptions{Out: tmp}
	if c.Progress != nil {
		opts.Progress = func(done, total int) { c.Progress("generate "+spec.Generator, done, total) }
	}
	ours, err := generators.Write(ctx, gs, opts)
	if err != nil {
		return "", err
	}
	// A rename onto a folder that holds files fails; then the folder is
	// either another process's dataset, placed first, or one that does not
	// verify, which is moved aside and replaced.
	for range 3 {
		renameErr := os.Rename(tmp, dir)
		if renameErr == nil {
			return dir, nil
		}
		if _, err := os.Stat(dir); err != nil {
			return "", fmt.Errorf("bench: cache: placing %s: %w", dir, renameErr)
		}
		if cached(dir, gs) == nil {
			if err := sameSplits(dir, ours); err != nil {
				return "", err
			}
			return dir, nil
		}
		if err := moveAside(root, name, dir); err != nil {
			return "", err
		}
	}
	return "", fmt.Errorf("bench: cache: could not place %s: other processes keep replacing it with folders that do not verify", dir)
}

// cached checks that dir holds a whole dataset, the one gs describes.
func cached(dir string, gs generators.Spec) error {
	m, err := generators.ReadManifest(dir)
	if err != nil {
		return err
	}
	counts := map[string]int{}
	for _, sp := range gs.Splits {
		counts[sp.Name] = sp.Count
	}
	same := m.Dataset == gs.Dataset.Name() && m.Version == gs.Dataset.Version().String() && m.Seed == gs.Seed &&
		m.ConfigSHA256 == generators.ConfigHash(gs.Config) && m.Shard == nil && len(m.Splits) == len(counts)
	for name, info := range m.Splits {
		same = same && info.Count == counts[name]
	}
	if !same {
		return fmt.Errorf("bench: cache: %s holds another dataset than its name says", dir)
	}
	return generators.Verify(dir)
}

// sameSplits checks that the dataset in dir has the split hashes of ours,
// which this process generated from the same spec.
func sameSplits(dir string, ours *generators.Manifest) error {
	theirs, err := generators.ReadManifest(dir)
	if err != nil {
		return err
	}
	for _, name := range ours.SplitOrder {
		if a, b := ours.Splits[name].SHA256, theirs.Splits[name].SHA256; a != b {
			return fmt.Errorf("bench: cache: %s, placed by another process, differs from the dataset generated here from the same spec (split %s: %.12s… there, %.12s… here): generation is not deterministic across these machines or builds; remove the folder, and report it", dir, name, b, a)
		}
	}
	return nil
}

// moveAside renames a dataset folder that does not verify out of the way,
// atomically, and removes it; another process may have done so already.
func moveAside(root, name, dir string) error {
	trash, err := os.MkdirTemp(root, "."+name+".stale-")
	if err != nil {
		return fmt.Errorf("bench: cache: %w", err)
	}
	defer os.RemoveAll(trash)
	if err := os.Rename(dir, filepath.Join(trash, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("bench: cache: clearing %s, which does not verify: %w", dir, err)
	}
	return nil
}

// CachedDataset is the folder a Cache in cacheDir keeps the dataset of
// generator with spec hash specSHA256 in (a record's dataset.generator and
// dataset.spec_sha256). It panics if specSHA256 is shorter than 16
// characters, which no spec hash is.
func CachedDataset(cacheDir, generator, specSHA256 string) string {
	return filepath.Join(cacheDir, "datasets", generator+"-"+specSHA256[:16])
}
