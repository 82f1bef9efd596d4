// Package scenes renders scenes of shape-color figures with their scene
// graphs and captions, on the generators contract: the relations dataset
// (two figures in a spatial relation, the research notes' "Spatial
// Relations between Figures and Scene Description") and the counting
// dataset (several figures, counted and stacked).
//
// Figures are drawn by generators.FigureStyle on a generators.Canvas, as
// the shapes dataset draws them. Captions are a small language with a
// printer, a parser that reports where an invalid caption breaks, and a
// canonical form under which equivalent captions are equal ("A above B" =
// "B below A"; "next_to" is symmetric): the captioning benchmark scores
// predictions with it.
//
// Captions are also judged against the scene itself: RelationTrue and
// CountTrue (through the Scene interface) decide from a sample's objects,
// cells and stacking edges whether any caption of the grammar is true of
// it, so that every true wording counts, not only the generator's. Where
// the grammar has several true captions for one scene beyond the canonical
// form's equivalences, the generators write one by a fixed rule: a
// side-by-side pair is left_of/right_of rather than next_to when the config
// has either, and stacking columns follow StackingCaption.
//
// Determinism and versions follow generators: sample i of a split is a
// pure function of (config, version, seed, split, i).
//
//	c, err := scenes.ParseCaption("blue circle below red square")
//	c.Canonical().String() // "red square above blue circle"
package scenes
