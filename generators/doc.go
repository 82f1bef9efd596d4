// Package generators holds what every hiddendim dataset shares, and the
// shape-color figures dataset.
//
// A dataset is described by a Dataset (name, semantic version, config with
// defaults and validation); a validated config yields a Sampler that declares
// its features and hands out Renderers, one per worker. Sample i of split s
// is a pure function of (config, version, seed, s, i): every random choice is
// drawn from SampleRand, the one seed-derivation function, so the same bytes
// come out whatever the worker count or sharding.
//
// Versions follow the dataset convention of tensorflow_datasets: PATCH keeps
// every sample identical, MINOR adds fields and keeps old ones identical,
// MAJOR changes samples.
//
// On disk (see Write, Open, Verify and Merge):
//
//	OUT/manifest.json          written last, only when every file is complete
//	OUT/<split>/samples.jsonl  one JSON object per sample, in index order
//	OUT/<split>/images/*.png   OUT/<split>/masks/*.png
//	OUT/<split>/SHA256SUMS     sha256sum(1) lines for every file of the split
//
// or, with FormatNPZ, OUT/<split>/data.npz holding one array per feature
// (a list feature as arrays padded to the split's longest list, with a
// count per sample: see NPZList),
// or, with FormatTar, WebDataset shards OUT/<split>/shard-000000.tar, … of
// Manifest.ShardSamples samples each, whose members 000123.json (the
// record), 000123.png, 000123.mask.png, … are grouped by the sample's id
// (see TarMember),
// or, with FormatParquet, the Hugging Face datasets layout:
//
//	OUT/manifest.json                          as above, with the record's parquet layout
//	OUT/README.md                              the dataset card: features, splits, license, provenance
//	OUT/data/<split>-00000-of-0000N.parquet    one row per sample, WriteOptions.RowsPerFile a file
//	OUT/<split>.SHA256SUMS                     paths relative to OUT
//
// A parquet row holds the record as nested columns: images and masks as
// {bytes: PNG, path} structs (Hugging Face's Image), lists of objects or
// relations as lists of structs, an element tree as a depth-first list of
// its nodes with their parent's index. The layout is derived from the
// record's Go type (its json tags), so every dataset has one; the reader
// rebuilds each record's JSON byte for byte as samples.jsonl holds it.
//
// Every format is read back by Open, checked by Verify and joined by
// Merge; png, tar and parquet keep the same records.
//
// A short example:
//
//	ds := generators.Shapes{}
//	cfg := ds.DefaultConfig()
//	_ = generators.SetConfig(cfg, "colors", "red,green,blue,yellow")
//	spec := generators.Spec{Dataset: ds, Seed: 7, Config: cfg,
//		Splits: []generators.SplitSize{{Name: "train", Count: 1000}}}
//	_, err := generators.Write(ctx, spec, generators.WriteOptions{Out: "data/shapes"})
package generators
