package generators

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"image"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"

	"github.com/parquet-go/parquet-go"
)

// Spec is everything a dataset's samples depend on.
type Spec struct {
	Dataset Dataset
	// Config is the dataset's config; nil means its defaults.
	Config Config
	Seed   uint64
	// Splits is the split layout; nil means the dataset's default.
	Splits []SplitSize
}

func (s *Spec) normalize() error {
	if s.Dataset == nil {
		return errors.New("generators: spec has no dataset")
	}
	if s.Config == nil {
		s.Config = s.Dataset.DefaultConfig()
	}
	if s.Splits == nil {
		s.Splits = s.Dataset.DefaultSplits()
	}
	seen := map[string]bool{}
	for _, sp := range s.Splits {
		if !validSplitName(sp.Name) || sp.Count < 0 || seen[sp.Name] {
			return fmt.Errorf("generators: bad split %q (count %d)", sp.Name, sp.Count)
		}
		seen[sp.Name] = true
	}
	return nil
}

// WriteOptions say where and how Write writes.
type WriteOptions struct {
	// Out is the dataset folder.
	Out string
	// Format is FormatPNG ("" too), FormatNPZ or FormatTar.
	Format Format
	// ShardSamples is, in format tar, the samples per tar file; 0 means
	// DefaultShardSamples.
	ShardSamples int
	// Workers render in parallel; 0 means GOMAXPROCS.
	Workers int
	// Shard limits the run to one contiguous part of each split; the zero
	// value means the whole dataset.
	Shard Shard
	// Overwrite allows replacing a complete dataset already at Out.
	Overwrite bool
	// Progress, if set, is called from one goroutine after each sample
	// with the number done and the number to do in this run.
	Progress func(done, total int)
	// RowsPerFile is how many samples each parquet file holds; 0 means
	// DefaultRowsPerFile. Only FormatParquet reads it.
	RowsPerFile int
}

// Errors Write wraps, for callers that tell the user's mistakes from failures.
var (
	// ErrExists: Out already holds a complete dataset.
	ErrExists = errors.New("already holds a complete dataset")
	// ErrOutNotEmpty: Out holds files that are not a hiddendim dataset.
	ErrOutNotEmpty = errors.New("is not empty and is not a hiddendim dataset")
	// ErrNotFixedSize: the samples have no fixed size, so no npz.
	ErrNotFixedSize = errors.New("samples have no array form, so they cannot be written as npz; use --format png, tar or parquet")
)

// Write renders spec into opts.Out and returns the manifest it wrote last.
// Samples are rendered by opts.Workers workers and written in index order,
// so the output is the same for any worker count. Memory stays flat as the
// split sizes grow. If ctx is cancelled or anything fails, Write returns an
// error and leaves no manifest, so the folder never looks complete.
func Write(ctx context.Context, spec Spec, opts WriteOptions) (*Manifest, error) {
	if err := spec.normalize(); err != nil {
		return nil, err
	}
	if err := spec.Config.Validate(); err != nil {
		return nil, err
	}
	sampler, err := spec.Dataset.New(spec.Config)
	if err != nil {
		return nil, err
	}
	format, err := ParseFormat(string(opts.Format))
	if err != nil {
		return nil, err
	}
	features := sampler.Features()
	var lists []*npzListPlan
	if format == FormatNPZ && !FixedSize(features) {
		if lists, err = planNPZLists(spec, sampler, features); err != nil {
			return nil, fmt.Errorf("generators: %s %w (%v)", spec.Dataset.Name(), ErrNotFixedSize, err)
		}
	}
	if err := prepareOut(opts.Out, spec.Splits, opts.Overwrite); err != nil {
		return nil, err
	}
	cfgJSON, err := json.Marshal(spec.Config)
	if err != nil {
		return nil, fmt.Errorf("generators: config: %w", err)
	}
	m := &Manifest{
		Dataset: spec.Dataset.Name(), Version: spec.Dataset.Version().String(), Seed: spec.Seed,
		Config: cfgJSON, ConfigSHA256: ConfigHash(spec.Config), Format: format, Features: features,
		Splits: map[string]SplitInfo{},
	}
	if !opts.Shard.Whole() {
		sh := opts.Shard
		m.Shard = &sh
	}
	var pq *pqLayout
	var pqMeta []parquet.WriterOption
	switch format {
	case FormatParquet:
		if pq, pqMeta, err = prepareParquet(spec, sampler, opts, m); err != nil {
			return nil, err
		}
	case FormatTar:
		if m.ShardSamples, err = shardSamples(opts.ShardSamples); err != nil {
			return nil, err
		}
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	total := 0
	for _, sp := range spec.Splits {
		lo, hi := opts.Shard.Range(sp.Count)
		total += hi - lo
	}
	done := 0
	progress := func() {
		done++
		if opts.Progress != nil {
			opts.Progress(done, total)
		}
	}
	for _, sp := range spec.Splits {
		lo, hi := opts.Shard.Range(sp.Count)
		dir, sums, sumsRel := splitPaths(opts.Out, format, sp.Name)
		job := splitJob{
			spec: spec, sampler: sampler, features: features, npz: npzFeatures(features), format: format, split: sp,
			dir: dir, sums: sums, lo: lo, hi: hi, workers: workers, progress: progress, pq: pq, pqMeta: pqMeta, lists: lists,
		}
		if m.Parquet != nil {
			job.pqInfo = *m.Parquet
		}
		job.tar.perShard = m.ShardSamples
		sum, err := job.run(ctx)
		if err != nil {
			return nil, err
		}
		if len(lists) > 0 {
			if m.NPZLists == nil {
				m.NPZLists = map[string][]NPZList{}
			}
			m.NPZLists[sp.Name] = job.npzLists
		}
		m.SplitOrder = append(m.SplitOrder, sp.Name)
		m.Splits[sp.Name] = SplitInfo{Count: hi - lo, First: lo, Total: sp.Count, SHA256: sum,
			Checksums: sumsRel}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := writeCard(opts.Out, m); err != nil {
		return nil, err
	}
	if err := writeManifest(opts.Out, m); err != nil {
		return nil, fmt.Errorf("generators: writing manifest: %w", err)
	}
	return m, nil
}

// prepareOut makes out ready: it refuses to replace a complete dataset
// unless overwrite is set, clears what an interrupted run left, and refuses
// a folder that holds anything else.
func prepareOut(out string, splits []SplitSize, overwrite bool) error {
	if out == "" {
		return errors.New("generators: no output folder given")
	}
	entries, err := os.ReadDir(out)
	if errors.Is(err, os.ErrNotExist) {
		return os.MkdirAll(out, 0o755)
	}
	if err != nil {
		return fmt.Errorf("generators: %w", err)
	}
	ours := map[string]bool{ManifestFile + ".tmp": true}
	for _, sp := range splits {
		ours[sp.Name] = true
		ours[sp.Name+"."+SumsFile] = true // parquet
	}
	for _, e := range formatEntries(FormatParquet) {
		ours[e] = ours[e] || leftoverParquet(out, e)
	}
	if old, err := ReadManifest(out); err == nil {
		if !overwrite {
			return fmt.Errorf("generators: %s %w; pass --overwrite to replace it, or choose another --out", out, ErrExists)
		}
		// The manifest goes first, so that an interrupted overwrite never
		// leaves the old manifest over new files.
		if err := os.Remove(filepath.Join(out, ManifestFile)); err != nil {
			return fmt.Errorf("generators: %w", err)
		}
		for _, s := range old.SplitOrder {
			ours[s] = true
			ours[s+"."+SumsFile] = true
		}
		for _, e := range formatEntries(old.Format) {
			ours[e] = true
		}
	} else {
		for _, e := range entries {
			if !ours[e.Name()] {
				return fmt.Errorf("generators: %s %w (it holds %q); choose an empty or new --out", out, ErrOutNotEmpty, e.Name())
			}
		}
	}
	for _, e := range entries {
		if ours[e.Name()] {
			if err := os.RemoveAll(filepath.Join(out, e.Name())); err != nil {
				return fmt.Errorf("generators: clearing %s: %w", out, err)
			}
		}
	}
	return nil
}

type splitJob struct {
	spec     Spec
	sampler  Sampler
	features []Feature
	// npz holds the features stored in npz, in order (see Feature.NPZ).
	npz []Feature
	// pixels recycles the image and mask buffers of npz samples once
	// they are written.
	pixels sync.Pool
	format Format
	tar    tarJob
	split  SplitSize
	dir    string
	sums   string // the split's SHA256SUMS
	pq     *pqLayout
	pqMeta []parquet.WriterOption
	pqInfo ParquetInfo
	// lists are the npz list features; npzLists their arrays, once written.
	lists    []*npzListPlan
	npzLists []NPZList
	lo, hi   int
	workers  int
	progress func()
}

// rendered is one sample, encoded, waiting to be emitted in order.
type rendered struct {
	index  int
	line   []byte    // the samples.jsonl line (png format)
	sums   []fileSum // files the worker wrote (png format)
	arrays [][]byte  // one value per feature (npz format)
	row    parquet.Row
	// members are the sample's tar members, its record first (tar format)
	members []tarMember
	err     error
}

type fileSum struct{ path, sum string }

// chunk is how many consecutive samples a worker takes at once: enough to
// make the hand-offs between goroutines cheap, few enough to keep memory flat.
const chunk = 16

func (j *splitJob) run(ctx context.Context) (string, error) {
	if err := os.MkdirAll(j.dir, 0o755); err != nil {
		return "", fmt.Errorf("generators: %w", err)
	}
	em, err := newEmitter(j)
	if err != nil {
		return "", err
	}
	defer em.abort()

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	// No worker may still be writing files when run returns.
	defer func() { cancel(); wg.Wait() }()
	window := 4 * j.workers // chunks in flight or waiting to be emitted
	tokens := make(chan struct{}, window)
	jobs := make(chan int)
	results := make(chan []rendered, window)
	files := newFileWriter()
	defer files.Close()

	go func() { // feeder: hands out chunk starts, at most window at a time
		defer close(jobs)
		for i := j.lo; i < j.hi; i += chunk {
			select {
			case tokens <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	for w := 0; w < j.workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wk := j.newWorker(files)
			for start := range jobs {
				rs := make([]rendered, 0, chunk)
				for i := start; i < min(start+chunk, j.hi); i++ {
					if ctx.Err() != nil {
						return
					}
					rs = append(rs, wk.do(i))
				}
				select {
				case results <- rs:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()

	pending := map[int][]rendered{} // by chunk start
	next := j.lo
	for next < j.hi {
		var rs []rendered
		var ok bool
		select {
		case rs, ok = <-results:
		case <-ctx.Done():
			return "", ctx.Err()
		}
		if !ok {
			if err := ctx.Err(); err != nil {
				return "", err
			}
			return "", fmt.Errorf("generators: workers stopped at sample %d", next)
		}
		pending[rs[0].index] = rs
		for {
			rs, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			for _, r := range rs {
				if r.err != nil {
					return "", r.err
				}
				if err := em.emit(r); err != nil {
					return "", err
				}
				j.progress()
			}
			<-tokens
			next += len(rs)
		}
	}
	return em.finish()
}

// npzFeatures lists the features stored in npz, in order.
func npzFeatures(fs []Feature) []Feature {
	var out []Feature
	for _, f := range fs {
		if inNPZ(f) && !isNPZList(f) {
			out = append(out, f)
		}
	}
	return out
}

func mkdirAll(dir string) error { return os.MkdirAll(dir, 0o755) }

type worker struct {
	j        *splitJob
	renderer Renderer
	src      rand.PCG
	enc      *pngEncoder
	lineCap  int // room for a record line, from the longest so far
	buf      bytes.Buffer
	files    *fileWriter
	shred    *shredder
	// tarTypes caches what the tar records' JSON needs of their types.
	tarTypes jsonTypes
	// tarJS holds a tar record's JSON before its floats are rewritten.
	tarJS []byte
}

func (j *splitJob) newWorker(files *fileWriter) *worker {
	return &worker{
		j: j, renderer: j.sampler.NewRenderer(), files: files,
		enc: newPNGEncoder(),
	}
}

func (w *worker) do(i int) rendered {
	key := SampleKey{Seed: w.j.spec.Seed, Split: w.j.split.Name, Index: i, IDWidth: IDWidth(w.j.split.Count)}
	rng := SampleRand(&w.src, key.Seed, key.Split, key.Index)
	s, err := w.renderer.Render(key, rng)
	if err != nil {
		return rendered{index: i, err: err}
	}
	if w.j.format == FormatTar {
		return w.doTar(i, key, s)
	}
	r := rendered{index: i}
	switch w.j.format {
	case FormatNPZ:
		r.arrays, r.err = sampleArrays(w.j.npz, s.Record, s.Files, s.Arrays, &w.j.pixels)
		if r.err == nil && len(w.j.lists) > 0 {
			r.line, r.err = marshalRecord(s.Record, w.lineCap)
			w.lineCap = max(w.lineCap, len(r.line)+len(r.line)/8)
		}
		return r
	case FormatParquet:
		if r.row, r.err = w.parquetRow(s); r.err != nil {
			r.err = fmt.Errorf("generators: sample %d: %w", i, r.err)
		}
		return r
	}
	line, err := marshalRecord(s.Record, w.lineCap)
	if err != nil {
		return rendered{index: i, err: fmt.Errorf("generators: sample %d: %w", i, err)}
	}
	r.line = append(line, '\n')
	w.lineCap = max(w.lineCap, len(r.line)+len(r.line)/8)
	r.sums = make([]fileSum, 0, len(s.Files))
	for _, f := range s.Files {
		data := f.Data
		if data == nil {
			w.buf.Reset()
			if err := w.enc.Encode(&w.buf, f.Image); err != nil {
				return rendered{index: i, err: fmt.Errorf("generators: encoding %s: %w", f.Path, err)}
			}
			data = w.buf.Bytes()
		}
		path := filepath.Join(w.j.dir, filepath.FromSlash(f.Path))
		if err := w.files.write(path, data); err != nil {
			return rendered{index: i, err: fmt.Errorf("generators: %w", err)}
		}
		sum := sha256.Sum256(data)
		r.sums = append(r.sums, fileSum{f.Path, hex.EncodeToString(sum[:])})
	}
	return r
}

// emitter writes, in index order, what must be in order: samples.jsonl and
// SHA256SUMS for png, the npy streams for npz.
type emitter struct {
	j       *splitJob
	sums    *os.File
	sumsW   *bufio.Writer
	sumsH   hash.Hash // of SHA256SUMS
	jsonl   *os.File
	jsonlW  *bufio.Writer
	jsonlH  hash.Hash
	npz     *npzWriter
	spill   *npzSpill
	pq      *parquetSplitWriter
	tar     *tarWriter
	closers []io.Closer
}

func newEmitter(j *splitJob) (*emitter, error) {
	em := &emitter{j: j, sumsH: sha256.New()}
	var err error
	em.sums, err = os.Create(j.sums)
	if err != nil {
		return nil, fmt.Errorf("generators: %w", err)
	}
	em.closers = append(em.closers, em.sums)
	em.sumsW = bufio.NewWriter(io.MultiWriter(em.sums, em.sumsH))
	n := j.hi - j.lo
	switch j.format {
	case FormatPNG:
		em.jsonl, err = os.Create(filepath.Join(j.dir, "samples.jsonl"))
		if err != nil {
			em.abort()
			return nil, fmt.Errorf("generators: %w", err)
		}
		em.closers = append(em.closers, em.jsonl)
		em.jsonlH = sha256.New()
		em.jsonlW = bufio.NewWriterSize(io.MultiWriter(em.jsonl, em.jsonlH), 1<<16)
	case FormatNPZ:
		if em.npz, err = newNPZWriter(filepath.Join(j.dir, "data.npz"), j.npz, n); err != nil {
			em.abort()
			return nil, err
		}
		if len(j.lists) > 0 {
			if em.spill, err = newNPZSpill(j.dir, j.lists); err != nil {
				em.abort()
				return nil, err
			}
		}
	case FormatParquet:
		if em.pq, err = newParquetSplitWriter(j.dir, j.split.Name, n, j.pqInfo, j.pq, j.pqMeta); err != nil {
			em.abort()
			return nil, err
		}
	case FormatTar:
		em.tar = newTarWriter(j.dir, j.tar.perShard, em.sumsW)
	}
	return em, nil
}

func (em *emitter) emit(r rendered) error {
	if em.pq != nil {
		return em.pq.write(r.row)
	}
	if em.tar != nil {
		err := em.tar.add(r.index, r.members)
		em.j.tar.release(r.members)
		return err
	}
	if em.j.format == FormatNPZ {
		if em.spill != nil {
			if err := em.spill.add(r.line); err != nil {
				return err
			}
		}
		for k, b := range r.arrays {
			if err := em.npz.append(k, b); err != nil {
				return err
			}
			if kind := em.j.npz[k].Kind; kind == ImageFeature || kind == MaskFeature {
				em.j.pixels.Put(&b)
			}
		}
		return nil
	}
	if _, err := em.jsonlW.Write(r.line); err != nil {
		return fmt.Errorf("generators: %w", err)
	}
	for _, s := range r.sums {
		fmt.Fprintf(em.sumsW, "%s  %s\n", s.sum, s.path)
	}
	return nil
}

// finish closes the split's files and returns the sha256 of SHA256SUMS.
func (em *emitter) finish() (string, error) {
	defer em.abort()
	switch em.j.format {
	case FormatPNG:
		if err := em.jsonlW.Flush(); err != nil {
			return "", fmt.Errorf("generators: %w", err)
		}
		fmt.Fprintf(em.sumsW, "%s  samples.jsonl\n", hex.EncodeToString(em.jsonlH.Sum(nil)))
	case FormatNPZ:
		if em.spill != nil {
			lists, err := em.spill.finish(em.npz, em.j.dir)
			if err != nil {
				return "", err
			}
			em.j.npzLists = lists
		}
		sum, err := em.npz.finish()
		if err != nil {
			return "", err
		}
		fmt.Fprintf(em.sumsW, "%s  data.npz\n", sum)
	case FormatParquet:
		sums, err := em.pq.finish()
		if err != nil {
			return "", err
		}
		for _, s := range sums {
			fmt.Fprintf(em.sumsW, "%s  %s\n", s.sum, s.path)
		}
		em.j.pqInfo.Bytes[em.j.split.Name] = em.pq.bytes
	case FormatTar:
		if err := em.tar.finish(); err != nil {
			return "", err
		}
	}
	if err := em.sumsW.Flush(); err != nil {
		return "", fmt.Errorf("generators: %w", err)
	}
	for _, c := range em.closers {
		if err := c.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
			return "", fmt.Errorf("generators: %w", err)
		}
	}
	em.closers = nil
	return hex.EncodeToString(em.sumsH.Sum(nil)), nil
}

// abort closes whatever is still open, and removes a partial npz and its
// temp files; it is safe after finish.
func (em *emitter) abort() {
	for _, c := range em.closers {
		c.Close()
	}
	em.closers = nil
	if em.npz != nil {
		em.npz.abort()
	}
	if em.spill != nil {
		em.spill.abort()
	}
	if em.pq != nil {
		em.pq.abort()
	}
	if em.tar != nil {
		em.tar.abort()
	}
}

// rgbBytes appends img's pixels as H×W×3 bytes.
func rgbBytes(dst []byte, img image.Image) []byte {
	dst = slices.Grow(dst, 3*img.Bounds().Dx()*img.Bounds().Dy())
	switch m := img.(type) {
	case *image.RGBA:
		b := m.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, y):m.PixOffset(b.Max.X, y)]
			for x := 0; x < len(row); x += 4 {
				dst = append(dst, row[x], row[x+1], row[x+2])
			}
		}
		return dst
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			dst = append(dst, uint8(r>>8), uint8(g>>8), uint8(bl>>8))
		}
	}
	return dst
}

// grayBytes appends img's pixels as H×W bytes.
func grayBytes(dst []byte, img image.Image) []byte {
	dst = slices.Grow(dst, img.Bounds().Dx()*img.Bounds().Dy())
	if m, ok := img.(*image.Gray); ok {
		b := m.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			dst = append(dst, m.Pix[m.PixOffset(b.Min.X, y):m.PixOffset(b.Max.X, y)]...)
		}
		return dst
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, _, _, _ := img.At(x, y).RGBA()
			dst = append(dst, uint8(r>>8))
		}
	}
	return dst
}
