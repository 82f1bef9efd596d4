package clevrlite

import "github.com/hiddendim/hiddendim/generators"

// The sortofclevr shapes and colors, in the reference generator's order.
var (
	shapeNames = [...]string{"square", "circle"}
	colorNames = [...]string{"red", "green", "blue", "orange", "gray", "yellow"}
)

// allColorNames and allShapeNames are every name a program may use.
func allColorNames() []string { return generators.ColorNames() }
func allShapeNames() []string { return generators.ShapeNames() }

// Object is one object of a scene.
type Object struct {
	Color string `json:"color"`
	Shape string `json:"shape"`
	// Center is [x, y] in pixels.
	Center [2]float64 `json:"center"`
	// BBox is the tight box of its mask, [x0, y0, x1, y1).
	BBox [4]int `json:"bbox"`
	// Size is the square's side or the circle's diameter, in pixels.
	Size float64 `json:"size"`
	// SizeClass is "small" or "large" in the programs mode.
	SizeClass string `json:"size_class,omitempty"`
}

// Scene is what programs run on.
type Scene struct {
	Width, Height int
	Objects       []Object
}
