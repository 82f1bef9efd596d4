package webpages

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/hiddendim/hiddendim/generators"
)

// Pages is the synthetic web pages dataset.
type Pages struct{}

// Config configures Pages.
type Config struct {
	ImageSize        int    `json:"image_size" help:"width and height of the screenshot in pixels"`
	Menu             string `json:"menu" help:"side menu: any (none, left or right, equally often), none, left or right"`
	Footer           string `json:"footer" help:"footer: any (half the pages), yes or no"`
	MinRows          int    `json:"min_rows" help:"fewest rows in the container"`
	MaxRows          int    `json:"max_rows" help:"most rows in the container (each of 1, 2 or 4 columns)"`
	MaxHeaderButtons int    `json:"max_header_buttons" help:"most buttons in the header (at least 1)"`
	MaxMenuItems     int    `json:"max_menu_items" help:"most items in a menu (at least 2)"`
	Pix2Code         bool   `json:"pix2code" help:"only pages pix2code's DSL can say: no menu, footer or images"`
	Parts            bool   `json:"parts" help:"also draw each top-level part alone on the page (parts/<id>_<part>.png), for latent arithmetic"`
}

// Example is one sample's samples.jsonl record.
type Example struct {
	ID    string `json:"id"`
	Image string `json:"image"`
	// Mask is the instance mask: a 16-bit PNG, element id per pixel (0 the
	// page), the innermost element winning.
	Mask string `json:"mask"`
	// ClassMask is an 8-bit PNG of class ids (see ClassNames).
	ClassMask string   `json:"class_mask"`
	Tree      *Element `json:"tree"`
	DSL       string   `json:"dsl"`
	// Pix2Code is the page in pix2code's DSL, or "" when its vocabulary
	// cannot say the page (a menu, a footer or an image).
	Pix2Code string `json:"pix2code"`
	// HTML is the path of the page as one self-contained HTML file.
	HTML    string `json:"html"`
	Caption string `json:"caption"`
	// Parts are the paths of the top-level parts drawn alone, in tree
	// order, when the config asks for them.
	Parts []string `json:"parts,omitempty"`
}

// Name returns "webpages".
func (Pages) Name() string { return "webpages" }

// Version is 0.2.0 (0.2.0: every element's drawing is clipped to its box,
// so the screenshot agrees with the masks: the image placeholder's cross
// and text descenders no longer paint about 21 px a page of the parent's
// area; 0.1.1: PNG files written by the faster encoder; pixels as in 0.1.0).
// In 0.x a change of samples bumps MINOR.
func (Pages) Version() generators.Version { return generators.Version{Minor: 2} }

// Description is one line for listings.
func (Pages) Description() string {
	return "synthetic web pages: screenshot, instance and class masks, element tree, DSL, pix2code, HTML, caption"
}

// DefaultSplits is train=10000, test=1000.
func (Pages) DefaultSplits() []generators.SplitSize {
	return []generators.SplitSize{{Name: "train", Count: 10000}, {Name: "test", Count: 1000}}
}

// DefaultConfig: 256×256 pages, any menu and footer, 1–3 rows.
func (Pages) DefaultConfig() generators.Config {
	return &Config{ImageSize: 256, Menu: "any", Footer: "any", MinRows: 1, MaxRows: 3, MaxHeaderButtons: 4, MaxMenuItems: 6}
}

func (c Config) resolved() Config {
	if c.Pix2Code {
		c.Menu, c.Footer = "none", "no"
	}
	return c
}

// Validate checks the ranges, then lays out the most crowded pages the
// config allows (most rows of four columns, each content pattern in turn,
// a menu, the footer, the most header buttons and menu items) and rejects
// the config if one does not fit the size.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if c.ImageSize < 32 || c.ImageSize > 4096 {
		bad("image_size %d: want 32 to 4096", c.ImageSize)
	}
	if c.Menu != "any" && c.Menu != "none" && c.Menu != "left" && c.Menu != "right" {
		bad("menu %q: want any, none, left or right", c.Menu)
	}
	if c.Footer != "any" && c.Footer != "yes" && c.Footer != "no" {
		bad("footer %q: want any, yes or no", c.Footer)
	}
	if c.MinRows < 1 || c.MaxRows < c.MinRows {
		bad("rows %d to %d: want 1 <= min_rows <= max_rows", c.MinRows, c.MaxRows)
	}
	if c.MaxHeaderButtons < 1 || c.MaxMenuItems < 2 {
		bad("max_header_buttons %d, max_menu_items %d: want at least 1 and 2", c.MaxHeaderButtons, c.MaxMenuItems)
	}
	if c.Pix2Code && (c.Menu == "left" || c.Menu == "right" || c.Footer == "yes") {
		bad("pix2code=true cannot have a menu or a footer (menu %q, footer %q): pix2code's DSL has no words for them", c.Menu, c.Footer)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	for _, pt := range patterns {
		if err := layout(crowded(c.resolved(), pt), c.ImageSize, c.ImageSize); err != nil {
			return fmt.Errorf("image_size %d cannot lay out %d rows of 4 columns with %d header buttons%s: %v; raise image_size or lower max_rows", c.ImageSize, c.MaxRows, c.MaxHeaderButtons, menuNote(c.resolved()), err)
		}
	}
	return nil
}

func menuNote(c Config) string {
	if c.Menu == "none" {
		return ""
	}
	return fmt.Sprintf(" and a menu of %d items", c.MaxMenuItems)
}

// crowded is the most crowded page a config allows with every column
// holding one content pattern.
func crowded(c Config, pattern []Class) *Element {
	page := newElement(Background)
	header := newElement(Header)
	for range c.MaxHeaderButtons {
		header.Children = append(header.Children, newElement(Button))
	}
	page.Children = append(page.Children, header)
	if c.Menu != "none" {
		menu := newElement(Menu)
		menu.Style = "left"
		for range c.MaxMenuItems {
			menu.Children = append(menu.Children, newElement(MenuItem))
		}
		page.Children = append(page.Children, menu)
	}
	container := newElement(Container)
	for range c.MaxRows {
		row := newElement(Row)
		for range 4 {
			col := newElement(Column)
			for _, cl := range pattern {
				col.Children = append(col.Children, newElement(cl))
			}
			row.Children = append(row.Children, col)
		}
		container.Children = append(container.Children, row)
	}
	page.Children = append(page.Children, container)
	if c.Footer != "no" {
		page.Children = append(page.Children, newElement(Footer))
	}
	number(page)
	return page
}

type plan struct{ cfg Config }

// New validates cfg.
func (Pages) New(cfg generators.Config) (generators.Sampler, error) {
	c, ok := cfg.(*Config)
	if !ok {
		return nil, fmt.Errorf("webpages: wants a *Config, got %T", cfg)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("webpages config: %w", err)
	}
	return &plan{cfg: c.resolved()}, nil
}

// Features declares the webpages sample fields.
func (p *plan) Features() []generators.Feature {
	n := p.cfg.ImageSize
	fs := []generators.Feature{
		{Name: "image", Kind: generators.ImageFeature, Shape: []int{n, n, 3}, Doc: "the screenshot"},
		{Name: "mask", Kind: generators.MaskFeature, Shape: []int{n, n}, Doc: "instance mask, 16-bit PNG: element id per pixel (0 the page), innermost wins"},
		{Name: "class_mask", Kind: generators.MaskFeature, Shape: []int{n, n}, Doc: "class mask, 8-bit PNG: " + classList()},
		{Name: "tree", Kind: generators.ListFeature, Doc: "the element tree: id, class, box [x0, y0, x1, y1), style, text, children"},
		{Name: "dsl", Kind: generators.TextFeature, Doc: "the page in our DSL"},
		{Name: "pix2code", Kind: generators.TextFeature, Doc: "the page in pix2code's DSL, or \"\" when it cannot say it"},
		{Name: "html", Kind: generators.TextFeature, Doc: "path of the page as one self-contained HTML file"},
		{Name: "caption", Kind: generators.TextFeature, Doc: "the structure in words"},
	}
	if p.cfg.Parts {
		fs = append(fs, generators.Feature{Name: "parts", Kind: generators.ListFeature, Doc: "each top-level part alone on the page, in tree order"})
	}
	return fs
}

func classList() string {
	s := ""
	for i, n := range classNames {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%d %s", i, n)
	}
	return s
}

// NewRenderer returns a renderer with its own canvases.
func (p *plan) NewRenderer() generators.Renderer {
	r := &renderer{plan: p, page: newCanvas(p.cfg.ImageSize, p.cfg.ImageSize)}
	if p.cfg.Parts {
		for range 4 {
			r.parts = append(r.parts, newCanvas(p.cfg.ImageSize, p.cfg.ImageSize))
		}
	}
	return r
}

type renderer struct {
	plan  *plan
	page  *canvas
	parts []*canvas
}

// Render draws sample key.
func (r *renderer) Render(key generators.SampleKey, rng *rand.Rand) (generators.Sample, error) {
	p := r.plan
	page := p.sampleTree(rng)
	if err := layout(page, p.cfg.ImageSize, p.cfg.ImageSize); err != nil {
		return generators.Sample{}, fmt.Errorf("webpages: sample %s/%d: %w", key.Split, key.Index, err)
	}
	r.page.draw(page, nil)
	ex := &Example{ID: key.ID(), Image: key.Path("images", "png"), Mask: key.Path("masks", "png"),
		ClassMask: key.Path("class_masks", "png"), HTML: key.Path("html", "html"), Tree: page,
		DSL: PrintDSL(page), Pix2Code: PrintPix2Code(page), Caption: Caption(page)}
	files := []generators.File{
		{Field: "image", Path: ex.Image, Image: r.page.dc.Image()},
		{Field: "mask", Path: ex.Mask, Image: r.page.instance},
		{Field: "class_mask", Path: ex.ClassMask, Image: r.page.class},
		{Field: "html", Path: ex.HTML, Data: HTML(page)},
	}
	if p.cfg.Parts {
		for i, part := range page.Children {
			c := r.parts[i]
			c.draw(page, within(part))
			path := fmt.Sprintf("parts/%s_%s.png", ex.ID, part.Kind)
			ex.Parts = append(ex.Parts, path)
			files = append(files, generators.File{Field: "parts", Path: path, Image: c.dc.Image()})
		}
	}
	return generators.Sample{Record: ex, Files: files}, nil
}

// within reports whether an element is part or inside it: ids are
// numbered depth first, so a subtree's ids are one contiguous run.
func within(part *Element) func(*Element) bool {
	lo, hi := part.ID, part.ID+part.Count()
	return func(e *Element) bool { return e.ID >= lo && e.ID < hi }
}
