package clevrlite

import (
	"errors"
	"strings"
	"testing"
)

// TestLanguageTable holds the table's invariants: sorted by name (lookup
// searches it), names unique, every opcode but opUnknown executes some
// function, and parameters and input kinds are ones the checker knows.
func TestLanguageTable(t *testing.T) {
	used := map[opcode]bool{}
	for i, f := range language {
		if i > 0 && language[i-1].name >= f.name {
			t.Errorf("language[%d] %q is not after %q: the table must be sorted by name, names unique", i, f.name, language[i-1].name)
		}
		if g, ok := lookup(f.name); !ok || g.name != f.name {
			t.Errorf("lookup(%q) = %v, %v", f.name, g, ok)
		}
		if f.op == opUnknown {
			t.Errorf("%s has no opcode", f.name)
		}
		used[f.op] = true
		switch f.sig.param {
		case "", "color", "shape", "direction", "position", "pair":
		default:
			t.Errorf("%s: unknown parameter kind %q", f.name, f.sig.param)
		}
		for _, k := range append(f.sig.inputs, f.sig.out) {
			if strings.HasPrefix(k.String(), "kind(") {
				t.Errorf("%s: kind %d outside the language", f.name, k)
			}
		}
	}
	for op := opScene; op <= opWithSwap; op++ {
		if !used[op] {
			t.Errorf("opcode %d executes no function", op)
		}
	}
	if _, ok := lookup("nope"); ok {
		t.Error(`lookup("nope") found a function`)
	}
	if got := FunctionNames(); len(got) != len(language) || got[0] != "and" || got[len(got)-1] != "with_swap" {
		t.Errorf("FunctionNames() = %v", got)
	}
}

// TestExecuteUncheckedPrograms runs programs built by hand, which Parse
// never saw: each must come back as a *ProgramError naming the byte of the
// node at fault in the program's text form, not a panic.
func TestExecuteUncheckedPrograms(t *testing.T) {
	call := func(fn, param string, in ...*Program) *Program { return &Program{Fn: fn, Param: param, Inputs: in} }
	scene := call("scene", "")
	red := call("unique", "", call("filter_color", "red", scene))
	cycle := call("count", "")
	cycle.Inputs = []*Program{cycle}
	deep := scene
	for range maxDepth + 1 {
		deep = call("not", "", deep)
	}
	tests := []struct {
		name string
		prog *Program
		pos  int
		msg  string
	}{
		{"no inputs", call("query_shape", ""), 0, "query_shape wants 1 inputs, got 0"},
		{"nil program", nil, 0, "nil node"},
		{"nil input", call("count", "", nil), 6, "nil node"},
		{"unknown function", call("count", "", call("scen", "")), 6, `got "scen"`},
		{"empty function", &Program{}, 0, `got ""`},
		{"missing parameter", call("filter_color", "", scene), 0, "want a color"},
		{"parameter not wanted", call("scene", "red"), 0, "takes no parameter"},
		{"unknown color", call("filter_color", "mauve", scene), 0, `got "mauve"`},
		{"unknown direction", call("count", "", call("relate", "up", red)), 6, "want a direction"},
		{"position 0", call("query_color", "", call("position", "0", scene)), 12, "want a position"},
		{"position not a number", call("query_color", "", call("position", "x", scene)), 12, "want a position"},
		{"pair out of order", call("with_swap", "3,2", call("count", "", scene)), 0, "want two positions"},
		{"wrong kind", call("count", "", call("unique", "", scene)), 6, "count input 1 wants a set, unique gives a object"},
		// equal_int(count(scene()), exist(scene())): the second input
		// starts after "equal_int(count(scene()), ".
		{"wrong kind second", call("equal_int", "", call("count", "", scene), call("exist", "", scene)), 26, "input 2 wants a int"},
		{"wrong kind under swap", call("not", "", call("with_swap", "1,2", call("count", "", scene))), 4, "not input 1 wants a bool, with_swap gives a int"},
		{"too many inputs", call("count", "", scene, scene), 0, "count wants 1 inputs, got 2"},
		{"cycle", cycle, 6 * (maxDepth + 1), "nest at most"},
		{"too deep", deep, 4 * (maxDepth + 1), "nest at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := Execute(tt.prog, &Scene{})
			var pe *ProgramError
			if !errors.As(err, &pe) {
				t.Fatalf("Execute = %v, %v; want a *ProgramError", v, err)
			}
			if pe.Pos != tt.pos || !strings.Contains(pe.Msg, tt.msg) || pe.Input != tt.prog.String() {
				t.Errorf("error %v: want %q at byte %d of %q", err, tt.msg, tt.pos, tt.prog.String())
			}
			if !strings.HasPrefix(err.Error(), "clevrlite: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

// TestExecuteBadScenes runs a good program on scenes it cannot run on.
func TestExecuteBadScenes(t *testing.T) {
	p, err := Parse("count(scene())")
	if err != nil {
		t.Fatal(err)
	}
	many := &Scene{Width: 75, Height: 75, Objects: make([]Object, 65)}
	tests := []struct {
		name  string
		scene *Scene
		msg   string
	}{
		{"nil scene", nil, "no scene"},
		{"65 objects", many, "at most 64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := Execute(p, tt.scene)
			var ee *ExecError
			if !errors.As(err, &ee) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("Execute = %v, %v; want an *ExecError saying %q", v, err, tt.msg)
			}
		})
	}
	// A program that type-checks runs on an empty scene, failing where a
	// step needs an object.
	for prog, want := range map[string]string{
		"count(scene())":                             "",
		"query_shape(unique(scene()))":               "unique of a set of 0 objects",
		"query_color(position[1](scene()))":          "position 1 of a set of 0 objects",
		"with_swap[1,2](count(scene()))":             "swap of position 2 in a scene of 0 objects",
		"query_color(closest(position[1](scene())))": "position 1",
	} {
		p, err := Parse(prog)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Execute(p, &Scene{})
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("%s on an empty scene: %v, want %q", prog, err, want)
		}
	}
}

// TestProgramStringNeverPanics prints trees Parse would reject.
func TestProgramStringNeverPanics(t *testing.T) {
	cycle := &Program{Fn: "not"}
	cycle.Inputs = []*Program{cycle}
	for _, tt := range []struct {
		prog *Program
		want string
	}{
		{nil, "<nil>"},
		{&Program{Fn: "count", Inputs: []*Program{nil}}, "count(<nil>)"},
		{cycle, strings.Repeat("not(", maxDepth+1) + "..." + strings.Repeat(")", maxDepth+1)},
	} {
		if got := tt.prog.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

// fuzzScenes are the fixed scenes fuzzed programs run on: the hand-placed
// six, one object alone, and none.
func fuzzScenes() []*Scene {
	one := &Scene{Width: 75, Height: 75, Objects: handScene().Objects[:1]}
	return []*Scene{handScene(), one, {Width: 75, Height: 75}}
}

// FuzzExecuteParsed runs every program Parse accepts on fuzzScenes: it
// must never panic, never report a type error (Parse checked the types),
// and give the same answer twice.
func FuzzExecuteParsed(f *testing.F) {
	for _, s := range []string{"count(scene())", "query_shape(closest(unique(filter_color[red](scene()))))",
		"count(obtuse(unique(filter_color[red](scene())), unique(filter_color[green](scene()))))",
		"with_swap[1,6](query_color(position[6](scene())))", "with_swap[2,3](position_of(furthest(position[1](scene()))))",
		"count(relate[below](unique(filter_shape[circle](scene()))))", "not(equal_color(query_color(position[2](scene())), query_color(position[1](scene()))))"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			return
		}
		for _, scene := range fuzzScenes() {
			v, err := Execute(p, scene)
			var ee *ExecError
			if err != nil && !errors.As(err, &ee) {
				t.Fatalf("%s on %d objects: %v, want a value or an *ExecError", s, len(scene.Objects), err)
			}
			w, err2 := Execute(p, scene)
			if v != w || (err == nil) != (err2 == nil) {
				t.Fatalf("%s on %d objects: %v (%v), then %v (%v)", s, len(scene.Objects), v, err, w, err2)
			}
		}
	})
}

// fuzzTree builds a program tree from b, unchecked: any function name
// (and some that are not), mostly with the parameter and number of inputs
// its signature wants, so that most trees fail on kinds if at all, but
// also with any parameter and any number of inputs, nil inputs and cycles
// back to the root. Once b is used up, nodes take no more inputs.
type fuzzTree struct {
	b    []byte
	root *Program
}

func (ft *fuzzTree) next() int {
	if len(ft.b) == 0 {
		return 0
	}
	c := int(ft.b[0])
	ft.b = ft.b[1:]
	return c
}

// fuzzParams are parameters by the kind a signature wants, then some that
// no function takes.
var fuzzParams = map[string][]string{
	"":          {""},
	"color":     {"red", "green", "blue"},
	"shape":     {"square", "circle"},
	"direction": {"left", "right", "above", "below"},
	"position":  {"1", "2", "3", "6"},
	"pair":      {"1,2", "1,6", "2,3"},
	"bad":       {"", "mauve", "up", "0", "65", "3,2", "x", "1,", "01"},
}

func (ft *fuzzTree) node(depth int) *Program {
	names := append(FunctionNames(), "", "nope")
	p := &Program{Fn: names[ft.next()%len(names)]}
	if ft.root == nil {
		ft.root = p
	}
	var paramKind string
	var n int
	if fn, ok := lookup(p.Fn); ok && ft.next() < 224 {
		paramKind, n = fn.sig.param, len(fn.sig.inputs)
	} else {
		paramKind, n = "bad", ft.next()%4
	}
	params := fuzzParams[paramKind]
	p.Param = params[ft.next()%len(params)]
	for range n {
		if len(ft.b) == 0 {
			break
		}
		switch c := ft.next(); {
		case c == 255:
			p.Inputs = append(p.Inputs, nil)
		case c == 254:
			p.Inputs = append(p.Inputs, ft.root)
		case depth < 80:
			p.Inputs = append(p.Inputs, ft.node(depth+1))
		}
	}
	return p
}

// FuzzExecuteUnchecked runs hand-built trees that Parse never saw: Execute
// must never panic; it type-checks exactly when the tree's text parses, and
// then answers as the parsed program does.
func FuzzExecuteUnchecked(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{23, 255, 0, 0})        // query_shape(): the panic
	f.Add([]byte{3, 0, 0, 0, 27, 0, 0}) // count(scene())
	f.Add([]byte{3, 0, 0, 254})         // count(count(...)), a cycle
	f.Add([]byte{3, 0, 0, 255})         // count(<nil>)
	// with_swap[1,6](query_shape(position[6](scene())))
	f.Add([]byte{30, 0, 1, 0, 23, 0, 0, 0, 20, 0, 3, 0, 27, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		ft := &fuzzTree{b: b}
		p := ft.node(0)
		text := p.String()
		parsed, perr := Parse(text)
		for _, scene := range fuzzScenes() {
			v, err := Execute(p, scene)
			var pe *ProgramError
			if errors.As(err, &pe) {
				if perr == nil {
					t.Fatalf("%s parses but Execute says %v", text, err)
				}
				if pe.Input != text || pe.Pos < 0 || pe.Pos > len(text) {
					t.Fatalf("%s: error %v has no position in the text", text, err)
				}
				continue
			}
			if perr != nil {
				t.Fatalf("%s does not parse (%v) but Execute type-checked it: %v, %v", text, perr, v, err)
			}
			w, err2 := Execute(parsed, scene)
			if v != w || (err == nil) != (err2 == nil) {
				t.Fatalf("%s: built %v (%v), parsed %v (%v)", text, v, err, w, err2)
			}
		}
	})
}
