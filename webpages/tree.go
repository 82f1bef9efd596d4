package webpages

// Class is an element's kind; its value is its id in the class mask.
type Class uint8

// The classes, in class-mask id order (0 is the page background).
const (
	Background Class = iota
	Header
	Menu
	MenuItem
	Container
	Footer
	Row
	Column
	BigTitle
	SmallTitle
	Text
	Image
	Button
	numClasses
)

var classNames = [...]string{"background", "header", "menu", "menu_item", "container", "footer", "row", "column",
	"big_title", "small_title", "text", "image", "button"}

// String is the class's name as the tree and captions spell it.
func (c Class) String() string {
	if int(c) < len(classNames) {
		return classNames[c]
	}
	return "class?"
}

// ClassNames lists the class names by class-mask id.
func ClassNames() []string { return append([]string(nil), classNames[:]...) }

// ClassColors is the documented class-mask palette for pictures: class id
// → RGB (the mask itself stores ids).
var ClassColors = [numClasses][3]uint8{
	{255, 255, 255}, {52, 73, 94}, {127, 140, 141}, {189, 195, 199}, {236, 240, 241}, {44, 62, 80},
	{214, 234, 248}, {174, 214, 241}, {231, 76, 60}, {230, 126, 34}, {149, 165, 166}, {142, 68, 173}, {39, 174, 96},
}

// Button styles: the header's buttons are active or inactive; buttons in
// columns are green, orange or red (pix2code's).
var buttonStyles = []string{"active", "inactive", "green", "orange", "red"}

// Element is a node of the page tree. Box is [x0, y0, x1, y1) in pixels.
type Element struct {
	ID    int    `json:"id"`
	Class Class  `json:"-"`
	Kind  string `json:"class"`
	Box   [4]int `json:"box"`
	// Style is a button's style, "left" or "right" for a menu, and
	// "single", "double" or "quadruple" for a row's column count.
	Style string `json:"style,omitempty"`
	// Text is the words drawn in the element (titles, text, buttons,
	// menu items).
	Text     string     `json:"text,omitempty"`
	Children []*Element `json:"children,omitempty"`
}

func newElement(c Class) *Element {
	if c == Background {
		return &Element{Class: c, Kind: "page"}
	}
	return &Element{Class: c, Kind: c.String()}
}

// Walk visits the tree depth first, parents before children.
func (e *Element) Walk(f func(*Element)) {
	f(e)
	for _, c := range e.Children {
		c.Walk(f)
	}
}

// Count is the number of elements in the tree, the root included.
func (e *Element) Count() int {
	n := 0
	e.Walk(func(*Element) { n++ })
	return n
}

// number gives every element its id in depth-first order: the page (the
// root, the background of the instance mask) is 0, the rest 1, 2, ….
func number(root *Element) {
	id := -1
	root.Walk(func(e *Element) { id++; e.ID = id })
}

// find returns the first child of the class, or nil.
func (e *Element) find(c Class) *Element {
	for _, ch := range e.Children {
		if ch.Class == c {
			return ch
		}
	}
	return nil
}
