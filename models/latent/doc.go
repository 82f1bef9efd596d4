// Package latent analyses latent spaces: matrices whose rows are the codes
// of images (a VAE's μ, a classifier's features). It projects them (PCA),
// clusters them (k-means, a self-organizing map with its U-matrix), scores
// clusterings against labels (silhouette, homogeneity, completeness,
// V-measure, adjusted Rand index), measures disentanglement against known
// generative factors (MIG, DCI), classifies from a few labelled examples
// per class, interpolates, and fits and scores latent arithmetic.
//
// Navigation: paths between two codes by lerp and slerp (interp.go);
// between two posteriors N(μ, diag σ²) along the 2-Wasserstein and the
// Fisher–Rao geodesics (geodesic.go); through the dense regions of the
// codes, by a k-NN density graph or a SOM's U-matrix (valley.go); and
// along a factor's ridge-regression direction (paths.go). Paths are
// scored by the share of their decoded images a judge accepts
// (PathValidity, with Realism or a classifier's Confidence as a judge),
// by how evenly they change (PathSmoothness) and, for walks, by how
// monotonically a factor follows the steps (Monotonicity).
//
// Hierarchy: average-linkage agglomerative clustering (Agglomerate), its
// cophenetic distances, their correlation with a known tree's
// (CopheneticCorrelation, TreeDistances), and dendrogram purity.
//
// Few-shot by hulls: FewShotHull labels codes by the convex hulls of a few
// landmarks per class on the codes' first two principal components,
// beside FewShot's nearest landmark mean; FewShotHullIn does so in any
// number of components (HullDistance, Wolfe's minimum-norm point, gives
// the distance to a hull in any dimension) and FewShotIn is the nearest
// landmark mean in the same components, the comparison that separates
// what the projection costs from what the hulls do.
//
// Rows are []float64 slices of one length; labels are ints from 0. Every
// random choice takes a seed, so results are pure functions of the inputs.
package latent
