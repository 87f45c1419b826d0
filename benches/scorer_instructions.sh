#!/usr/bin/env bash
# Instructions per scored text (valgrind's callgrind), for scorer work on
# a busy or virtual machine where timings swing: the count does not
# depend on load, so two builds compare exactly.
#
#   bash benches/scorer_instructions.sh SCORE_RATE_BINARY... 
#
# SCORE_RATE_BINARY: a build of benches/score_rate.rs (copy
# `$CARGO_TARGET_DIR/perf/deps/score_rate-*` per commit). Texts: the file
# benches/scorer_vs_vader.py writes (`$CARGO_TARGET_DIR/scorer_vs_vader_texts.txt`),
# or TEXTS=FILE. Prints, per binary and mode, the instructions executed
# inside `Scorer::score_text` / `SentimentAnalyzer::compound` divided by
# the texts scored (the warm-up pass and one measured pass). With CACHE=1
# callgrind also simulates this machine's caches and prints the L1
# instruction and data read misses per text (slower; still exact).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
texts="${TEXTS:-$target/scorer_vs_vader_texts.txt}"
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 2; }
[ -s "$texts" ] || { echo "no texts at $texts: run benches/scorer_vs_vader.py once, or set TEXTS" >&2; exit 2; }
count=$(grep -c . "$texts")
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for binary in "$@"; do
  for mode in score_text vader_compound; do
    case $mode in
      score_text) fn='earshot::pipeline::scorer::Scorer::score_text' ;;
      vader_compound) fn='earshot::pipeline::sentiment::SentimentAnalyzer::compound' ;;
    esac
    # A budget of 0.01 s: under valgrind one measured pass takes longer.
    SCORE_RATE_MODE=$mode valgrind --tool=callgrind --cache-sim="$([ "${CACHE:-}" = 1 ] && echo yes || echo no)" \
      --toggle-collect="$fn" --callgrind-out-file="$out" "$binary" "$texts" 0.01 1 >/dev/null 2>&1
    # With the cache simulation the totals read: Ir Dr Dw I1mr D1mr ...
    totals=$(callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", ""); print}')
    total=$(echo "$totals" | awk '{print $1}')
    line="$(basename "$binary") $mode instructions_per_text=$((total / (2 * count)))"
    if [ "${CACHE:-}" = 1 ]; then
      i1=$(echo "$totals" | awk '{print $7}')
      d1=$(echo "$totals" | awk '{print $9}')
      line="$line l1i_misses_per_text=$((i1 / (2 * count))) l1d_read_misses_per_text=$((d1 / (2 * count)))"
    fi
    echo "$line"
  done
done
