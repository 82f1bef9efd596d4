package clevrlite

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// kind is a value type of the language.
type kind int

const (
	kSet kind = iota // a set of objects
	kObj             // one object
	kBool
	kInt
	kShape
	kColor
	kAny // with_swap's input and result: any kind, the same
)

var kindNames = [...]string{"set", "object", "bool", "int", "shape", "color", "any"}

// String names the kind; a kind outside the language (a Value built by
// hand) prints as kind(n).
func (k kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("kind(%d)", int(k))
	}
	return kindNames[k]
}

// signature is a function's parameter kind ("" for none), input kinds and
// result kind.
type signature struct {
	param  string // "", "color", "shape", "direction", "position" or "pair"
	inputs []kind
	out    kind
}

// accepts says whether input i may be of kind k.
func (s signature) accepts(i int, k kind) bool { return s.inputs[i] == kAny || s.inputs[i] == k }

// result is the kind a call returns given its first input's kind (with_swap
// returns what its input does).
func (s signature) result(first kind) kind {
	if s.out == kAny {
		return first
	}
	return s.out
}

// opcode is a function of the language, as the executor switches on it.
type opcode uint8

const (
	opUnknown opcode = iota
	opScene
	opFilterColor
	opFilterShape
	opUnique
	opRelate
	opClosest
	opFurthest
	opSameShape
	opSameColor
	opCount
	opExist
	opQueryShape
	opQueryColor
	opIsLeft
	opIsTop
	opEqualInt
	opLessThan
	opGreaterThan
	opEqualStr
	opAnd
	opOr
	opUnion
	opIntersect
	opNot
	opPosition
	opPositionOf
	opBetween
	opOnLine
	opObtuse
	opWithSwap
)

// function is one function of the language: its name in programs, its
// type, and the opcode that executes it.
type function struct {
	name string
	sig  signature
	op   opcode
}

// language is every function, sorted by name (TestLanguageTable holds
// it): CLEVR's basic functions, the sort-of-CLEVR relations, the ternary
// functions of the reference generator, sequences and interventions.
var language = [...]function{
	{"and", signature{"", []kind{kBool, kBool}, kBool}, opAnd},
	{"between", signature{"", []kind{kObj, kObj}, kSet}, opBetween},
	{"closest", signature{"", []kind{kObj}, kObj}, opClosest},
	{"count", signature{"", []kind{kSet}, kInt}, opCount},
	{"equal_color", signature{"", []kind{kColor, kColor}, kBool}, opEqualStr},
	{"equal_int", signature{"", []kind{kInt, kInt}, kBool}, opEqualInt},
	{"equal_shape", signature{"", []kind{kShape, kShape}, kBool}, opEqualStr},
	{"exist", signature{"", []kind{kSet}, kBool}, opExist},
	{"filter_color", signature{"color", []kind{kSet}, kSet}, opFilterColor},
	{"filter_shape", signature{"shape", []kind{kSet}, kSet}, opFilterShape},
	{"furthest", signature{"", []kind{kObj}, kObj}, opFurthest},
	{"greater_than", signature{"", []kind{kInt, kInt}, kBool}, opGreaterThan},
	{"intersect", signature{"", []kind{kSet, kSet}, kSet}, opIntersect},
	{"is_left", signature{"", []kind{kObj}, kBool}, opIsLeft},
	{"is_top", signature{"", []kind{kObj}, kBool}, opIsTop},
	{"less_than", signature{"", []kind{kInt, kInt}, kBool}, opLessThan},
	{"not", signature{"", []kind{kBool}, kBool}, opNot},
	{"obtuse", signature{"", []kind{kObj, kObj}, kSet}, opObtuse},
	{"on_line", signature{"", []kind{kObj, kObj}, kSet}, opOnLine},
	{"or", signature{"", []kind{kBool, kBool}, kBool}, opOr},
	// Sequences: objects ordered left to right (ties top to bottom), 1-based.
	{"position", signature{"position", []kind{kSet}, kObj}, opPosition},
	{"position_of", signature{"", []kind{kObj}, kInt}, opPositionOf},
	{"query_color", signature{"", []kind{kObj}, kColor}, opQueryColor},
	{"query_shape", signature{"", []kind{kObj}, kShape}, opQueryShape},
	{"relate", signature{"direction", []kind{kObj}, kSet}, opRelate},
	{"same_color", signature{"", []kind{kObj}, kSet}, opSameColor},
	{"same_shape", signature{"", []kind{kObj}, kSet}, opSameShape},
	{"scene", signature{"", nil, kSet}, opScene},
	{"union", signature{"", []kind{kSet, kSet}, kSet}, opUnion},
	{"unique", signature{"", []kind{kSet}, kObj}, opUnique},
	// with_swap[i,j](X) is X evaluated in the scene where the objects at
	// positions i and j have traded places: an intervention.
	{"with_swap", signature{"pair", []kind{kAny}, kAny}, opWithSwap},
}

// lookup finds the function called name.
func lookup(name string) (*function, bool) {
	i, ok := slices.BinarySearchFunc(language[:], name, func(f function, name string) int {
		return strings.Compare(f.name, name)
	})
	if !ok {
		return nil, false
	}
	return &language[i], true
}

// maxDepth bounds how deep programs nest, so that hostile input (or a
// hand-built tree with a cycle) cannot exhaust the stack.
const maxDepth = 64

// Directions are relate's parameters, in the order of relate's cases.
var directions = []string{"left", "right", "above", "below"}

// FunctionNames lists the language's functions, sorted.
func FunctionNames() []string {
	names := make([]string, len(language))
	for i, f := range language {
		names[i] = f.name
	}
	return names
}

// checkParam says whether got is a parameter of kind want.
func checkParam(want, got string) error {
	var known []string
	switch want {
	case "":
		return fmt.Errorf("takes no parameter")
	case "position":
		if n, err := strconv.Atoi(got); err != nil || n < 1 || n > 64 || strconv.Itoa(n) != got {
			return fmt.Errorf("want a position 1 to 64, got %q", got)
		}
		return nil
	case "pair":
		a, b, ok := strings.Cut(got, ",")
		i, err1 := strconv.Atoi(a)
		j, err2 := strconv.Atoi(b)
		if !ok || err1 != nil || err2 != nil || i < 1 || j <= i || j > 64 || fmt.Sprintf("%d,%d", i, j) != got {
			return fmt.Errorf("want two positions i,j with 1 <= i < j <= 64, got %q", got)
		}
		return nil
	case "color":
		known = allColorNames()
	case "shape":
		known = allShapeNames()
	case "direction":
		known = directions
	}
	if !slices.Contains(known, got) {
		return fmt.Errorf("want a %s (%s), got %q", want, strings.Join(known, ", "), got)
	}
	return nil
}
