package structure_test

import (
	"fmt"

	"github.com/hiddendim/hiddendim/bench/structure"
)

// Two 2×2 masks: the prediction calls one header pixel (class 1) text
// (class 10).
func ExampleSegmentationScores() {
	truth := []uint8{0, 1, 1, 10}
	pred := []uint8{0, 1, 10, 10}
	s := structure.SegmentationScores(truth, pred)
	fmt.Printf("pixel accuracy %.2f, mIoU %.3f, header IoU %.2f\n", s["pixel_accuracy"].Value, s["miou"].Value, s["iou_header"].Value)
	// Output: pixel accuracy 0.75, mIoU 0.667, header IoU 0.50
}
