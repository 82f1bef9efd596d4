// Package latent analyses latent spaces: matrices whose rows are the codes
// of images (a VAE's μ, a classifier's features). It projects them (PCA),
// clusters them (k-means, a self-organizing map with its U-matrix), scores
// clusterings against labels (silhouette, homogeneity, completeness,
// V-measure, adjusted Rand index), measures disentanglement against known
// generative factors (MIG, DCI), classifies from a few labelled examples
// per class, interpolates, and fits and scores latent arithmetic.
//
// Rows are []float64 slices of one length; labels are ints from 0. Every
// random choice takes a seed, so results are pure functions of the inputs.
package latent
