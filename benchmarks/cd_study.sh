#!/usr/bin/env bash
# The conductivity study of docs/conductivity.md on this CPU, one run at a time on one thread,
# resumable: rerun the same command after an interruption and finished runs are kept, an
# unfinished one resumes from its last epoch checkpoint.
#
#   nohup bash benchmarks/cd_study.sh > cd-study.log 2>&1 &
#
# It writes into benchmarks/results/cd-study/ (OUTPUT_DIR if given): commit the finished runs there.
# Their weights stay out of git (that folder's .gitignore); a rerun on another machine re-judges the
# stored answers without retraining. A run still training is lost with its machine's checkpoints.
# Gemma 3 270M on de, zh, ja and SmolLM2-135M on de, seeds 0, 1, 2 (a generated set and a training
# run each), 120 facts, the paper's name direction, held-out frames; the gate's name prompt in
# English for every model alike (an English-centric model cannot follow a German-written one);
# then Gemma with facts taught in German and asked in English (--source de --target en).
# Seed 0 of every cell first, so that an interrupted study still has one seed of each.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-benchmarks/results/cd-study}
PY=.venv/bin/python
run() { $PY benchmarks/conduct_cpu.py --threads 1 --gate-prompt english --output "$OUT" "$@"; }
for seed in 0 1 2; do
  run --seeds $seed --plan gemma3-270m:de smollm2-135m:de gemma3-270m:zh gemma3-270m:ja
done
run --seeds 0 --plan gemma3-270m:en:to-en:de
# the seeds pooled (every run is read back from its folder; nothing is trained again)
run --seeds 0,1,2 --plan gemma3-270m:de,zh,ja smollm2-135m:de
