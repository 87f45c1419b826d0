#!/usr/bin/env python3
"""Regenerate the VADER parity fixtures for earshot's Rust scorer.

Reads the first N lines of the VADER tweet ground truth (tab-separated:
id, mean rating, text), scores each text with the reference Python
implementation (vaderSentiment 3.3.2, `pip install vaderSentiment==3.3.2`)
and writes:

- tests/fixtures/vader/tweets_500.txt: the N input lines, byte for byte
  (MIT, Copyright (c) 2016 C.J. Hutto), so the Rust test needs no file
  outside the repository;
- tests/fixtures/vader/tweets_500_python.tsv: `id<TAB>python_compound`.

The Rust test (`src/pipeline/sentiment/tests.rs`, `parity_with_python_vader`)
reads both and needs no Python. Run from the repository root:

    python3 benches/vader_parity.py [GROUND_TRUTH] [N]
"""

import os
import sys

import vaderSentiment
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

DEFAULT_GROUND_TRUTH = "/work/shared/data/vader-groundtruth/tweets_GroundTruth.txt"
OUT_DIR = os.path.join("tests", "fixtures", "vader")
EXPECTED_VERSION = "3.3.2"


def main() -> int:
    source = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_GROUND_TRUTH
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else 500

    version = getattr(vaderSentiment, "__version__", None)
    if version not in (None, EXPECTED_VERSION):
        print(f"warning: vaderSentiment {version}, fixtures assume {EXPECTED_VERSION}", file=sys.stderr)

    # Binary read: keep the CRLF line ends of the copy exactly as published.
    with open(source, "rb") as f:
        raw_lines = f.read().split(b"\n")[:limit]

    analyzer = SentimentIntensityAnalyzer()
    os.makedirs(OUT_DIR, exist_ok=True)
    with open(os.path.join(OUT_DIR, "tweets_500.txt"), "wb") as f:
        f.write(b"\n".join(raw_lines) + b"\n")

    rows = []
    for raw in raw_lines:
        line = raw.decode("utf-8").rstrip("\r")
        if not line:
            continue
        ident, _rating, text = line.split("\t", 2)
        rows.append(f"{ident}\t{analyzer.polarity_scores(text)['compound']:.4f}\n")
    with open(os.path.join(OUT_DIR, "tweets_500_python.tsv"), "w", encoding="utf-8", newline="\n") as f:
        f.writelines(rows)

    print(f"scored {len(rows)} texts from {source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
