#!/usr/bin/env python3
"""earshot's scorer against Python's vaderSentiment: same texts, same run, one core.

Run from anywhere (needs python3 with venv, cargo, network access to PyPI
on first use):

    python3 benches/scorer_vs_vader.py [SECONDS_PER_RUN] [RUNS] [NAME=SCORE_RATE_BINARY...]

What it does:
1. makes a venv under the cargo target dir (`$CARGO_TARGET_DIR` or
   `target/`) and pip-installs vaderSentiment 3.3.2 into it (once);
2. writes the texts: every post of the labelled customer-service sets
   (`tests/data/cs_*.tsv`) and the VADER tweets of
   `tests/fixtures/vader/tweets_500.txt`, those of 20 to 280 characters;
3. builds earshot's `score_rate` bench (`--profile perf`), then pins itself
   to one CPU (the children inherit it) and measures, RUNS times each,
   Python's `SentimentIntensityAnalyzer.polarity_scores` and earshot's
   full scorer (`score_text`) and VADER core (`vader_compound`);
4. prints the medians and earshot's ratio to Python.

Given NAME=PATH arguments, it measures those `score_rate` binaries
instead of building one (a before/after comparison in the same run:
copy the old binary from `$CARGO_TARGET_DIR/perf/deps/score_rate-*`).
"""

import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import PROFILE, ROOT, TARGET, VADER_VERSION, ensure_venv, texts  # noqa: E402


def python_rate(corpus: list, seconds: float, runs: int) -> list:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    for t in corpus:  # warm-up
        analyzer.polarity_scores(t)
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        scored = 0
        while time.perf_counter() - start < seconds:
            for t in corpus:
                analyzer.polarity_scores(t)
            scored += len(corpus)
        rates.append(scored / (time.perf_counter() - start))
    return rates


def rust_rates(path: str, seconds: float, runs: int, binary=None) -> dict:
    cmd = ["cargo", "bench", "--quiet", "--profile", PROFILE, "--bench", "score_rate", "--"]
    if binary:
        cmd = [binary]
    cmd += [path, str(seconds), str(runs)]
    result = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True)
    rates = {}
    for line in result.stdout.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[1].startswith("texts_per_s="):
            rates[fields[0]] = (float(fields[1].split("=", 1)[1]), line)
    return rates


def main() -> int:
    ensure_venv(__file__)
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    binaries = [a.split("=", 1) for a in sys.argv[3:]] or [("earshot", None)]
    corpus = texts()
    path = os.path.join(TARGET, "scorer_vs_vader_texts.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(corpus) + "\n")
    avg = sum(len(t) for t in corpus) / len(corpus)
    print(f"texts: {len(corpus)} posts of 20-280 characters (mean {avg:.0f}), {path}")

    # Build before pinning: the compile may use every core.
    if binaries[0][1] is None:
        subprocess.run(["cargo", "bench", "--quiet", "--profile", PROFILE, "--bench", "score_rate", "--no-run"], cwd=ROOT, check=True)
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    print(f"pinned to CPU {cpu}; {runs} runs of {seconds:g} s each, medians")

    py = python_rate(corpus, seconds, runs)
    py_median = statistics.median(py)
    print(f"python vaderSentiment {VADER_VERSION} polarity_scores: {py_median:,.0f} texts/s (runs: {', '.join(f'{r:.0f}' for r in py)})")
    for name, binary in binaries:
        rust = rust_rates(path, seconds, runs, binary)
        for mode, label in (("score_text", "full scorer (score_text)"), ("vader_compound", "VADER core (compound)")):
            if mode not in rust:
                print(f"{name} {label}: missing from score_rate's output", file=sys.stderr)
                return 1
            rate, line = rust[mode]
            print(f"{name} {label}: {rate:,.0f} texts/s = {rate / py_median:.1f}x python   [{line}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
