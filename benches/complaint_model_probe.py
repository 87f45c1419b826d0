#!/usr/bin/env python3
"""Would a learned complaint signal carry over where the cue lists do not?

A probe, not part of earshot: for each blind customer-service set
(`tests/data/cs_blind_{b,c,d,e}.tsv`), a logistic regression over the
words and word pairs of every *other* labelled set (`cs_dev`, `cs_check`
and the other blind sets) is trained here, in plain Python, and its
negative precision and recall on the held-out set are printed beside
earshot's own (from `earshot score --json`), then the same for one
way of joining the two (negative when earshot says so and the model gives
p > 0.2, or when the model gives p > 0.8; everywhere, or only where
earshot finds a customer-service topic), on the held-out set and on
VADER's tweets (`../shared/data/vader-groundtruth/tweets_GroundTruth.txt`,
when present), which the customer-service model was never meant for.

    python3 benches/complaint_model_probe.py [EARSHOT_BINARY]

EARSHOT_BINARY defaults to `$CARGO_TARGET_DIR/perf/earshot` (build it with
`cargo build --profile perf --bin earshot`). Deterministic (fixed seed);
about a minute. BENCHMARKS.md ("Held-out posts") has the figures.
"""

import json
import math
import os
import random
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import ROOT, TARGET  # noqa: E402

SETS = ["dev", "check", "blind_a", "blind_b", "blind_c", "blind_d", "blind_e"]
HELD_OUT = ["blind_b", "blind_c", "blind_d", "blind_e"]
THRESHOLDS = (0.5, 0.7, 0.8, 0.9)


TWEETS = os.path.join(ROOT, "..", "shared", "data", "vader-groundtruth", "tweets_GroundTruth.txt")
JOIN = (0.2, 0.8)


def earshot_labels(binary: str, texts: list) -> list:
    """earshot's label per text, and whether it found a topic."""
    result = subprocess.run(
        [binary, "score", "--json"], input="\n".join(texts) + "\n", capture_output=True, text=True, check=True
    )
    scores = [json.loads(line) for line in result.stdout.splitlines()]
    return [(s["label"], bool(s["topics"])) for s in scores]


def load_tweets(binary: str) -> list:
    """VADER's tweets as (text, gold, (earshot's label, topic?)): mean
    rating below -0.5 negative, above +0.5 positive."""
    if not os.path.exists(TWEETS):
        return []
    with open(TWEETS, encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    gold = ["negative" if float(r[1]) < -0.5 else "positive" if float(r[1]) > 0.5 else "neutral" for r in rows]
    texts = [r[2] for r in rows]
    return list(zip(texts, gold, earshot_labels(binary, texts)))


def load(binary: str) -> dict:
    """Per set: (text, gold label, (earshot's label, topic?))."""
    out = {}
    for name in SETS:
        path = os.path.join(ROOT, "tests", "data", f"cs_{name}.tsv")
        with open(path, encoding="utf-8") as f:
            rows = [line.rstrip("\n").split("\t") for line in f][1:]
        texts = [r[5] for r in rows]
        out[name] = [(t, r[2], lab) for t, r, lab in zip(texts, rows, earshot_labels(binary, texts))]
    return out


def features(text: str) -> set:
    """Lower-case ASCII words (apostrophes dropped, numbers as `_num`,
    links and @handles out) and the pairs of neighbours."""
    t = text.lower().replace("'", "").replace("\u2019", "")
    t = re.sub(r"https?://\S+", " ", t)
    t = re.sub(r"@\w+", " ", t)
    words = ["_num" if w.isdigit() else w for w in re.findall(r"[a-z]+|\d+", t)]
    return set(words) | {a + "_" + b for a, b in zip(words, words[1:])}


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))


def train(docs: list, epochs: int = 30, rate: float = 0.2, l2: float = 1e-3):
    """Stochastic gradient descent on the log loss, L2-regularised."""
    weights, bias = {}, 0.0
    rng = random.Random(1)
    docs = list(docs)
    for _ in range(epochs):
        rng.shuffle(docs)
        for feats, y in docs:
            g = sigmoid(bias + sum(weights.get(k, 0.0) for k in feats)) - y
            bias -= rate * g
            for k in feats:
                w = weights.get(k, 0.0)
                weights[k] = w - rate * (g + l2 * w)
    return weights, bias


def precision_recall(pred: list, gold: list) -> tuple:
    tp = sum(p and g for p, g in zip(pred, gold))
    fp = sum(p and not g for p, g in zip(pred, gold))
    fn = sum(g and not p for p, g in zip(pred, gold))
    return (tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn) if tp + fn else 0.0)


def main() -> int:
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(TARGET, "perf", "earshot")
    data = load(binary)
    tweets = load_tweets(binary)
    for held in HELD_OUT:
        docs = [(features(t), 1 if g == "negative" else 0) for s in SETS if s != held for t, g, _ in data[s]]
        weights, bias = train(docs)
        gold = [g == "negative" for _, g, _ in data[held]]
        earshot = [lab == "negative" for _, _, (lab, _) in data[held]]
        probs = [sigmoid(bias + sum(weights.get(k, 0.0) for k in features(t))) for t, _, _ in data[held]]
        p, r = precision_recall(earshot, gold)
        print(f"{held}: earshot negative P {p:.3f} R {r:.3f}")
        for th in THRESHOLDS:
            p, r = precision_recall([x > th for x in probs], gold)
            print(f"  word model, p > {th}: P {p:.3f} R {r:.3f}")
        low, high = JOIN
        for name, rows in ((held, data[held]), ("VADER tweets", tweets)):
            if not rows:
                continue
            gold = [g == "negative" for _, g, _ in rows]
            probs = [sigmoid(bias + sum(weights.get(k, 0.0) for k in features(t))) for t, _, _ in rows]
            alone = [lab == "negative" for _, _, (lab, _) in rows]
            joined = [(a and x > low) or x > high for a, x in zip(alone, probs)]
            gated = [j if topic else a for j, a, (_, _, (_, topic)) in zip(joined, alone, rows)]
            e_p, e_r = precision_recall(alone, gold)
            print(f"  {name}: earshot alone P {e_p:.3f} R {e_r:.3f}")
            for how, pred in (("joined", joined), ("joined where earshot finds a topic", gated)):
                p, r = precision_recall(pred, gold)
                print(f"    {how} ({low}/{high}): P {p:.3f} R {r:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
