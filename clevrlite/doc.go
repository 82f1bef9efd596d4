// Package clevrlite renders sort-of-CLEVR scenes with questions whose
// answers are computed by executing functional programs on the scene, in
// the manner of CLEVR.
//
// A Program is a tree of functions over the scene (scene, filter_color,
// unique, closest, count, between, …). It has a compact text form,
// "query_shape(closest(unique(filter_color[red](scene()))))", which Parse
// reads (reporting the byte where it breaks) and String prints; Execute
// runs it on a Scene. Execute type-checks as Parse does, so a program tree
// built by hand that does not type-check is an error, never a panic. The
// language is one table of functions (language.go), each with its
// signature and the opcode that executes it. Every answer in the dataset
// is the result of executing its stored program: none is written
// separately.
//
// The default config, sortofclevr, matches the reference Sort-of-CLEVR
// generator: 75×75 white images of six objects, one per color, squares of
// 11×11 or circles of radius 5 (OpenCV's raster: the pixels within 5 px of
// the center), centers at least 10 px apart; per image 10 non-relational,
// 10 binary and 10 ternary questions with the reference's 18-element
// question encoding and 10-answer vocabulary, each of the three subtypes
// (families) asked a third of its type's questions, as the reference.
// Unlike the reference, answers are balanced within each subtype as far as
// the scenes allow (Config.Mix), "obtuse" is decided exactly, ternary
// questions may name any color, and every sample keeps its scene and an
// instance mask. AnswerStats computes majority-answer baselines.
//
// Questions can also be read and posed after the fact. Relevant decides
// whether a program is well-posed on a scene by the rules of its family,
// the same rules the generator applies (every unique finds one object, no
// filter the family forbids is a no-op, the answer is defined), and its
// Reason names the step and the rule that fail. Questions (NewQuestions,
// or ParseQuestion for one text) reads question text back into its family
// and program, so text a model emits can be checked; Ask draws new
// relevant questions for existing scenes, and Score tallies the share of
// given questions that are relevant, per family.
//
// Version 0.2.0 changed the default mix, the obtuse rule and the circle
// raster, and added question_texts and question_programs to the npz.
package clevrlite
