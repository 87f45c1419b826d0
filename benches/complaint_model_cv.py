#!/usr/bin/env python3
"""How the learned complaint signal does on posts it was not trained on.

earshot's complaint model (`data/complaint_model.tsv`, made by `earshot
train`) is trained on every labelled set, so its figures on those sets are
a fit. This script measures it held out, with earshot's own trainer and
scorer:

- each customer-service set (`tests/data/cs_*.tsv`) in turn: a model
  trained on the others and VADER's tweets, `earshot eval --model` on the
  held-out set;
- VADER's tweets (`../shared/data/vader-groundtruth/tweets_GroundTruth.txt`)
  in five folds (every fifth tweet): a model trained on every
  customer-service set and the other four folds, each fold scored by its
  own model, the counts summed;

beside the rules alone (a model that never speaks: `bias 0`).

    python3 benches/complaint_model_cv.py [EARSHOT_BINARY] [EXTRA_SET.tsv ...]

EARSHOT_BINARY defaults to `$CARGO_TARGET_DIR/perf/earshot` (build it with
`cargo build --profile perf --bin earshot`). EXTRA_SET files are scored
by a model trained on every set (the shipped one's recipe) and by the
rules alone: the check for posts written after the model. Deterministic;
about ten seconds. BENCHMARKS.md ("A learned complaint signal") has the
figures.
"""

import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import ROOT, TARGET  # noqa: E402

SETS = [
    "dev", "check", "blind_a", "blind_b", "blind_c", "blind_d", "blind_e", "blind_f", "blind_g", "blind_i", "blind_j",
    "blind_k", "blind_v",
]
TWEETS = os.path.join(ROOT, "..", "shared", "data", "vader-groundtruth", "tweets_GroundTruth.txt")
FOLDS = 5


def cs(name: str) -> str:
    return os.path.join(ROOT, "tests", "data", f"cs_{name}.tsv")


def train(binary: str, files: list, out: str) -> None:
    subprocess.run([binary, "train", "--out", out, *files], check=True, capture_output=True, text=True)


def negative_counts(binary: str, model: str, path: str) -> tuple:
    """(true positives, predicted negatives, gold negatives) of earshot on `path`."""
    out = subprocess.run(
        [binary, "eval", "--model", model, path], check=True, capture_output=True, text=True
    ).stdout
    precision = float(re.search(r"negative precision\s+\S+\s+(\S+)", out).group(1))
    recall = float(re.search(r"negative recall\s+\S+\s+(\S+)", out).group(1))
    gold = int(re.search(r"gold: (\d+) negative", out).group(1))
    tp = round(recall * gold)
    return tp, (round(tp / precision) if precision else 0), gold


def figures(counts: list) -> str:
    tp = sum(c[0] for c in counts)
    predicted = sum(c[1] for c in counts)
    gold = sum(c[2] for c in counts)
    p = tp / predicted if predicted else 0.0
    r = tp / gold if gold else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return f"R {r:.3f} at P {p:.3f} (F1 {f1:.3f})"


def main() -> int:
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(TARGET, "perf", "earshot")
    extra = sys.argv[2:]
    with tempfile.TemporaryDirectory() as tmp:
        silent = os.path.join(tmp, "silent.tsv")
        with open(silent, "w", encoding="utf-8") as f:
            f.write("bias\t0\n")
        model = os.path.join(tmp, "model.tsv")
        print(f"{'held out':<16} {'rules alone':<32} rules + model trained without it")
        for held in SETS:
            train(binary, [cs(s) for s in SETS if s != held] + [TWEETS], model)
            alone = figures([negative_counts(binary, silent, cs(held))])
            joined = figures([negative_counts(binary, model, cs(held))])
            print(f"{held:<16} {alone:<32} {joined}")
        with open(TWEETS, encoding="utf-8") as f:
            tweets = [line for line in f if line.strip()]
        alone, joined = [], []
        for k in range(FOLDS):
            fold = os.path.join(tmp, f"fold{k}.txt")
            rest = os.path.join(tmp, f"rest{k}.txt")
            with open(fold, "w", encoding="utf-8") as f:
                f.writelines(t for i, t in enumerate(tweets) if i % FOLDS == k)
            with open(rest, "w", encoding="utf-8") as f:
                f.writelines(t for i, t in enumerate(tweets) if i % FOLDS != k)
            train(binary, [cs(s) for s in SETS] + [rest], model)
            alone.append(negative_counts(binary, silent, fold))
            joined.append(negative_counts(binary, model, fold))
        print(f"{'tweets, 5 folds':<16} {figures(alone):<32} {figures(joined)}")
        if extra:
            train(binary, [cs(s) for s in SETS] + [TWEETS], model)
            for path in extra:
                name = os.path.basename(path)
                print(f"{name:<16} {figures([negative_counts(binary, silent, path)]):<32} "
                      f"{figures([negative_counts(binary, model, path)])} (trained on every set)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
