"""What the benchmark scripts share: the venv with vaderSentiment, the
texts, and the brand set written as earshot config. Imported by
`scorer_vs_vader.py`, `python_peer.py` and `daemon.py`."""

import csv
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
VENV = os.path.join(TARGET, "vader-venv")
VADER_VERSION = "3.3.2"
PROFILE = "perf"


def ensure_venv(script: str) -> None:
    """Re-runs `script` inside the venv (made once, with vaderSentiment)."""
    python = os.path.join(VENV, "bin", "python")
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    if not os.path.exists(python):
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        subprocess.run([python, "-m", "pip", "install", "--quiet", f"vaderSentiment=={VADER_VERSION}"], check=True)
    os.execv(python, [python, os.path.abspath(script), *sys.argv[1:]])


def texts() -> list:
    """Realistic posts of 20-280 characters: the labelled customer-service
    sets and the VADER tweets shipped in the repository."""
    out = []
    for name in ("cs_dev.tsv", "cs_check.tsv"):
        with open(os.path.join(ROOT, "tests", "data", name), encoding="utf-8", newline="") as f:
            out.extend(row["text"] for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    with open(os.path.join(ROOT, "tests", "fixtures", "vader", "tweets_500.txt"), encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\r\n").split("\t", 2)
            if len(parts) == 3:
                out.append(parts[2])
    return [t for t in out if 20 <= len(t) <= 280 and "\n" not in t]


def brand_terms(n: int) -> list:
    """n brands of ten watch terms each: names, phrases, handles, hashtags."""
    out = [("Acme Air", ["acme air", "@acmeair", "#acmeair"], ["acme air show"])]
    for i in range(1, n):
        name = f"brand{i:04d}"
        terms = [name, f"{name} support", f"@{name}", f"#{name}", f"{name} app", f"{name} store",
                 f"{name}hq", f"get{name}", f"{name} uk", f"{name} us"]
        out.append((name, terms, [f"{name} show"]))
    return out


def brands_toml(brands: list) -> str:
    return "".join(
        f"[[brands]]\nname = {json.dumps(name)}\nterms = {json.dumps(terms)}\nexclude = {json.dumps(exclude)}\n"
        for name, terms, exclude in brands
    )
