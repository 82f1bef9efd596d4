package structure

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/models"
)

// CheckpointKind is the kind a segnet checkpoint records.
const CheckpointKind = "segnet"

// Meta is what a segnet checkpoint records besides the weights: the net,
// the data it was trained on, its budget and the majority class of its
// training masks (the baseline scored beside it).
type Meta struct {
	// Model is the U-Net's full configuration.
	Model models.SegNetConfig `json:"model"`
	// Dataset is the training data's generator@version.
	Dataset string `json:"dataset"`
	// Budget is the training budget; resuming may raise its epochs only.
	Budget bench.Budget `json:"budget"`
	// Majority is the class most pixels of the training masks have.
	Majority uint8 `json:"majority"`
}

// TrainOptions configure Train.
type TrainOptions struct {
	bench.Training
	// Resume continues from Out/model.ckpt when it exists (see
	// bench.Training.Fit).
	Resume bool
	// NetOptions depart from the reference U-Net; class weights are
	// computed from the training masks and kept in the checkpoint's
	// model config.
	NetOptions
}

// Train trains one reference U-Net outside the suites on the class masks
// of a webpages dataset, saving a checkpoint after every epoch, and
// scores it on the test split if there is one (see Evaluate), writing the
// scores, the training time and pages per second to Out/metrics.json.
func Train(ctx context.Context, o TrainOptions) (map[string]bench.Metric, error) {
	r, err := OpenDataset(o.Data, o.Train, o.Test)
	if err != nil {
		return nil, err
	}
	train, err := LoadSet(o.Data, o.Train)
	if err != nil {
		return nil, err
	}
	cfg, err := ConfigFor(train, o.NetOptions, o.Seed)
	if err != nil {
		return nil, err
	}
	meta := Meta{Model: cfg, Dataset: r.Manifest.Dataset + "@" + r.Manifest.Version, Budget: o.Budget,
		Majority: MajorityClass(train.Masks)}
	net, err := models.NewSegNet(meta.Model)
	if err != nil {
		return nil, err
	}
	defer net.Close()
	var test *Set
	if o.Test != "" {
		if test, err = LoadSet(o.Data, o.Test); err != nil {
			return nil, err
		}
		if err := fits(meta, test); err != nil {
			return nil, err
		}
	}
	steps, onStep := 0, o.OnStep
	o.OnStep = func(step, total int, loss float64) {
		steps++
		if onStep != nil {
			onStep(step, total, loss)
		}
	}
	seg := train.Segmentation()
	if err := net.Check(seg); err != nil {
		return nil, bench.Mismatchf("structure: %s/%s: %v", o.Data, o.Train, err)
	}
	secs, err := o.Fit(ctx, CheckpointKind, meta, net, seg.Len(), func(int) models.Feeder { return net.Feeder(seg) }, o.Resume)
	if err != nil {
		return nil, err
	}
	if test == nil {
		return nil, nil
	}
	scores, err := scoreNet(net, meta, test)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"metrics": scores, "split": o.Test, "model": meta, "train_seconds": secs,
		"train_pages_per_second": float64(steps*o.Budget.Batch) / secs}
	b, _ := json.MarshalIndent(out, "", "  ")
	return scores, os.WriteFile(filepath.Join(o.Out, "metrics.json"), append(b, '\n'), 0o644)
}

// Load rebuilds a U-Net from its checkpoint. A checkpoint of another kind
// is a bench.MismatchError.
func Load(path string) (*models.SegNet, Meta, error) {
	var meta Meta
	ck, err := bench.LoadCheckpoint(path, CheckpointKind, "train segnet", &meta)
	if err != nil {
		return nil, meta, err
	}
	net, err := models.NewSegNet(meta.Model)
	if err != nil {
		return nil, meta, err
	}
	if _, err := ck.Restore(net.Params()); err != nil {
		net.Close()
		return nil, meta, err
	}
	return net, meta, nil
}

// IsCheckpoint reports whether path holds a segnet checkpoint.
func IsCheckpoint(path string) bool {
	ck, err := models.LoadCheckpoint(path)
	return err == nil && ck.Kind == CheckpointKind
}

// Evaluate scores a segnet checkpoint on a split of a webpages dataset:
// the masks and the trees decoded from them (PipelineScores), the
// checkpoint's majority-class baseline (MajorityScores) and "params".
// Pages of another size than the net was trained on are a
// bench.MismatchError.
func Evaluate(checkpoint, data, split string) (map[string]bench.Metric, error) {
	net, meta, err := Load(checkpoint)
	if err != nil {
		return nil, err
	}
	defer net.Close()
	set, err := LoadSet(data, split)
	if err != nil {
		return nil, err
	}
	if err := fits(meta, set); err != nil {
		return nil, err
	}
	return scoreNet(net, meta, set)
}

// scoreNet scores net on set, with the baseline of meta and "params".
func scoreNet(net *models.SegNet, meta Meta, set *Set) (map[string]bench.Metric, error) {
	scores, err := evaluate(net, set)
	if err != nil {
		return nil, err
	}
	maj, err := MajorityScores(set, meta.Majority)
	if err != nil {
		return nil, err
	}
	for k, v := range maj {
		scores[k] = v
	}
	scores["params"] = bench.Exact(float64(models.Count(net.Params())))
	return scores, nil
}

// fits refuses, as a bench.MismatchError, pages of another size than the
// net was trained on, or a majority class past the net's classes.
func fits(meta Meta, set *Set) error {
	if set.Shape != meta.Model.Input {
		return bench.Mismatchf("structure: the pages are %v, the segnet takes %v (channels, height, width); generate pages of image_size %d", set.Shape, meta.Model.Input, meta.Model.Input[1])
	}
	if int(meta.Majority) >= meta.Model.Classes {
		return bench.Mismatchf("structure: the checkpoint's majority class %d is not one of its %d classes", meta.Majority, meta.Model.Classes)
	}
	return nil
}
