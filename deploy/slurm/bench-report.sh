#!/bin/bash
# Once every task of deploy/slurm/bench-array.sh has finished (submit it with
# --dependency=afterok:ARRAY_JOB_ID): one leaderboard over the shards' record
# files, taken together (--merge) and held to the suite (--suite: every run
# there, every sanity target met), then the HTML report of the same files.
#SBATCH --job-name=hiddendim-bench-report
#SBATCH --cpus-per-task=1
#SBATCH --time=00:30:00
#SBATCH --output=hiddendim-bench-report-%j.log
set -euo pipefail
SUITE=${SUITE:-standard}
SHARDS=8
SHARED=${SHARED:-/shared/hiddendim}
hiddendim leaderboard --merge --suite "$SUITE" --format markdown \
	"$SHARED"/results/"${SUITE}"-shard-*-of-"${SHARDS}".jsonl | tee "$SHARED/results/${SUITE}.md"
hiddendim report "$SHARED"/results/"${SUITE}"-shard-*-of-"${SHARDS}".jsonl --out "$SHARED/results/report"
