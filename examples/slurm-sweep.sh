#!/usr/bin/env bash
# A logitdyn sweep spread over a Slurm job array: one shard per array task, each writing its own
# store, merged at the end. Submit with
#
#   sbatch --array=1-16 examples/slurm-sweep.sh examples/sweep.toml
#   # when all tasks are done (or as a dependent job: sbatch --dependency=afterok:<jobid> …):
#   logitdyn sweep merge --into sweep.sqlite stores/shard-*.sqlite
#
# A shard takes the runs at grid positions ≡ I − 1 (mod N), so the N shards cover the sweep
# exactly once; re-submitting a task (or the whole array) skips the runs its store already
# holds, so a pre-empted task loses at most the runs in flight.
#SBATCH --job-name=logitdyn-sweep
#SBATCH --cpus-per-task=4
#SBATCH --time=02:00:00
#SBATCH --output=logs/%A_%a.out
set -euo pipefail
SWEEP=${1:?usage: sbatch --array=1-N examples/slurm-sweep.sh SWEEP.toml}
N=${SLURM_ARRAY_TASK_COUNT:?run this as a Slurm job array}
I=${SLURM_ARRAY_TASK_ID:?run this as a Slurm job array}
mkdir -p stores logs
logitdyn sweep run "$SWEEP" --store "stores/shard-$I.sqlite" --shard "$I/$N" --jobs "${SLURM_CPUS_PER_TASK:-1}" --quiet
