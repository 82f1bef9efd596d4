#!/bin/bash
# Run a hiddendim benchmark suite as 8 shards of a Slurm job array, one task
# per shard, then one leaderboard and report over the shards' records:
#
#   jobid=$(sbatch --parsable deploy/slurm/bench-array.sh)
#   sbatch --dependency=afterok:$jobid deploy/slurm/bench-report.sh
#
# Every task reads and fills the dataset cache in $SHARED/cache (datasets are
# generated aside and renamed into place, so tasks may race on one) and appends
# its records to its own file in $SHARED/results. A task that is requeued skips
# the runs its file already records. The shard count is the array's size
# (--array=0-7 is 8 shards) and SHARDS below: keep them equal.
# `hiddendim bench --suite standard --shard 0/8 --list` shows what each shard
# runs and its estimated minutes.
#SBATCH --job-name=hiddendim-bench
#SBATCH --array=0-7
#SBATCH --cpus-per-task=2
#SBATCH --mem=4G
#SBATCH --time=04:00:00
#SBATCH --requeue
#SBATCH --output=hiddendim-bench-%A_%a.log
set -euo pipefail
SUITE=${SUITE:-standard}
SHARDS=8
SHARED=${SHARED:-/shared/hiddendim}
mkdir -p "$SHARED/cache" "$SHARED/results"
hiddendim bench --suite "$SUITE" --shard "${SLURM_ARRAY_TASK_ID}/${SHARDS}" \
	--cache "$SHARED/cache" \
	--out "$SHARED/results/${SUITE}-shard-${SLURM_ARRAY_TASK_ID}-of-${SHARDS}.jsonl" \
	--format markdown
