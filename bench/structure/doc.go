// Package structure is hiddendim's page-structure kind of task: a web
// page's element tree from its screenshot, on webpages pages, by two
// approaches compared on the same test pages (the research notes'
// comparison of pix2code with segmentation plus tree decoding):
//
//   - segmentation and tree decoding ("arch": "segnet"): a U-Net
//     (models.SegNet at the reference's sizes, optionally with a fourth
//     level, "deep", a full-resolution level over the others, "stem",
//     and a class-weighted loss, "class_weights"; see NetOptions)
//     predicts each pixel's class; webpages.FitTree finds the page of the
//     dataset's grammar (its manifest's config) whose laid-out class mask
//     agrees best with the prediction, and webpages.RestoreStyles reads what a class mask
//     cannot hold (button styles from the screenshot); the tree is then
//     printed in both DSLs. Pages of an unknown config are decoded by
//     connected components and containment (webpages.TreeFromClassMask);
//     see DecodePage;
//   - end to end (a captioner's "arch" and "beam", as the captioning kind
//     reads them): a captioner writes the page in pix2code's DSL. The kind
//     delegates these entries to caption.Kind (DecodeModel, CheckTask,
//     Load, Run) on the same dataset, and keeps the scores it shares with
//     the pipeline: token_accuracy, tree_exact_match and parse_rate.
//
// Scores (Kind.Metrics): pixel_accuracy, miou and iou_<class> of the
// masks (SegmentationScores); tree_exact_match, tree_edit_distance,
// token_accuracy and parse_rate of the trees (TreeScores); and on every
// record the majority-class baseline — every pixel the train split's
// most common class, decoded through the same pipeline (MajorityScores) —
// so that a board tells a trained model from one that learned nothing.
//
// Train, Evaluate, Load and Parse serve the command line's train segnet,
// eval and parse, with checkpoints of CheckpointKind.
//
// Determinism: a run's seed draws the U-Net's initial weights and the
// shuffles; decoding a mask into a tree is a pure function of the mask
// and the screenshot. The same task, model and seed on the same build
// give bit-identical scores (what --verify checks).
//
// A suite's page-structure task reads:
//
//	{"name": "webpages-structure", "version": "1.0.0", "kind": "structure",
//	 "dataset": {"generator": "webpages", "version": "0.2.0", "seed": 7,
//	   "settings": {"image_size": "128", "max_rows": "2", "pix2code": "true"},
//	   "splits": [{"name": "train", "count": 2000}, {"name": "test", "count": 200}],
//	   "train": "train", "test": "test"},
//	 "models": [{"name": "segnet", "arch": "segnet", "deep": 128, "epochs": 10, "batch": 8},
//	   {"name": "attention-greedy", "arch": "attention", "beam": 1},
//	   {"name": "attention-greedy-grammar", "arch": "attention", "beam": 1, "grammar": true}],
//	 "budget": {"epochs": 4, "batch": 64, "lr": 0.002}, "seeds": [1],
//	 "metrics": ["tree_exact_match", "token_accuracy", "miou"], "primary": "tree_exact_match"}
package structure
