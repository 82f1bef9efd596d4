package report

import (
	"errors"
	"fmt"
	"image/png"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/generators"
)

// sheetN and sheetColumns size a task's contact sheet: two rows of its
// test data.
const sheetN, sheetColumns = 16, 8

// contactSheet draws the first test samples of the dataset ds the records
// name, from the cache, once per dataset (done maps a dataset folder to
// its sheet). It returns the picture's path relative to dir, or a note
// saying why there is none: the report still stands without it.
func contactSheet(dir, cacheDir string, ds bench.DatasetRecord, done map[string]string) (string, string) {
	if cacheDir == "" {
		return "", "No dataset cache given: no samples shown."
	}
	if len(ds.SpecSHA256) < 16 {
		return "", "The records name no dataset spec hash: no samples shown."
	}
	folder := bench.CachedDataset(cacheDir, ds.Generator, ds.SpecSHA256)
	if rel, ok := done[folder]; ok {
		return rel, ""
	}
	r, err := generators.Open(folder)
	if err != nil {
		return "", fmt.Sprintf("The dataset cache holds no copy of this dataset (%s-%.16s): no samples shown.", ds.Generator, ds.SpecSHA256)
	}
	split := "test"
	if _, ok := ds.Splits[split]; !ok {
		split = sortedKeys(ds.Splits)[0]
	}
	if info, ok := r.Manifest.Splits[split]; !ok || info.SHA256 != ds.Splits[split] {
		return "", fmt.Sprintf("The cached %s dataset's %s split is not the one the records were scored on: no samples shown.", ds.Generator, split)
	}
	sheet, err := generators.ContactSheet(r, generators.SheetOptions{Split: split, N: sheetN, Columns: sheetColumns})
	if err != nil {
		return "", fmt.Sprintf("No samples shown: %v.", err)
	}
	rel := filepath.Join("datasets", filepath.Base(folder)+".png")
	if err := os.MkdirAll(filepath.Join(dir, "datasets"), 0o755); err != nil {
		return "", fmt.Sprintf("No samples shown: %v.", err)
	}
	f, err := os.Create(filepath.Join(dir, rel))
	if err == nil {
		err = png.Encode(f, sheet)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return "", fmt.Sprintf("No samples shown: %v.", err)
	}
	done[folder] = filepath.ToSlash(rel)
	return done[folder], ""
}

// collectPictures copies the PNG pictures under the folders into
// dir/pictures/<k>/, k the folder's index. A picture whose first folder is
// a task's name goes with that task (byTask); the others are grouped by
// folder. A file that does not decode as PNG is skipped, and pictures past
// maxPictures are named in left, not copied. The report's own folder out
// is not searched.
func collectPictures(folders []string, out string, boards []bench.Board, dir string) (byTask map[string][]pictureGroup, others []pictureGroup, left []string, err error) {
	tasks := map[string]bool{}
	for _, b := range boards {
		tasks[b.Task] = true
	}
	byTask = map[string][]pictureGroup{}
	absOut, _ := filepath.Abs(out)
	n := 0
	for k, folder := range folders {
		var files []string
		werr := filepath.WalkDir(folder, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if abs, _ := filepath.Abs(path); abs == absOut || strings.HasPrefix(d.Name(), ".") && path != folder {
					return filepath.SkipDir
				}
				return nil
			}
			if strings.EqualFold(filepath.Ext(path), ".png") {
				files = append(files, path)
			}
			return nil
		})
		if werr != nil {
			return nil, nil, nil, fmt.Errorf("report: pictures: %w", werr)
		}
		sort.Strings(files)
		groups := map[string]*pictureGroup{}
		var order []string
		for _, path := range files {
			rel, _ := filepath.Rel(folder, path)
			rel = filepath.ToSlash(rel)
			if n >= maxPictures {
				left = append(left, filepath.ToSlash(path))
				continue
			}
			w, h, ok := pngSize(path)
			if !ok {
				left = append(left, filepath.ToSlash(path)+" (not a PNG)")
				continue
			}
			dst := filepath.Join("pictures", fmt.Sprint(k), filepath.FromSlash(rel))
			if err := copyFile(path, filepath.Join(dir, dst)); err != nil {
				return nil, nil, nil, err
			}
			n++
			group := filepath.ToSlash(filepath.Dir(filepath.Join(folder, rel)))
			pic := picture{Src: filepath.ToSlash(dst), Caption: filepath.Base(rel), Wide: w > wideRatio*h && w > widePx}
			if g, ok := groups[group]; ok {
				g.Items = append(g.Items, pic)
				continue
			}
			groups[group] = &pictureGroup{Title: group, Folder: group, Items: []picture{pic}}
			order = append(order, group)
		}
		for _, g := range order {
			rel, _ := filepath.Rel(folder, g)
			task, under, _ := strings.Cut(filepath.ToSlash(rel), "/")
			if tasks[task] {
				grp := *groups[g]
				grp.Title = "Pictures"
				if under != "" {
					grp.Title += ": " + under
				}
				byTask[task] = append(byTask[task], grp)
			} else {
				others = append(others, *groups[g])
			}
		}
	}
	if len(left) > maxLeftNamed {
		left = append(left[:maxLeftNamed], fmt.Sprintf("and %d more", len(left)-maxLeftNamed))
	}
	return byTask, others, left, nil
}

// maxLeftNamed is the most pictures left out that the page names.
const maxLeftNamed = 20

// pngSize returns the size of the PNG at path, and whether its header
// decodes.
func pngSize(path string) (w, h int, ok bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, false
	}
	defer f.Close()
	c, err := png.DecodeConfig(f)
	return c.Width, c.Height, err == nil && c.Width > 0 && c.Height > 0
}

// A picture more than wideRatio times as wide as high and wider than
// widePx (a caption strip of a long page) is shown at its own size,
// scrolled: scaled to the page's width it would be too small to read.
const wideRatio, widePx = 4, 1400

func copyFile(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("report: copying %s: %w", src, err)
	}
	return errors.Join(out.Close())
}
