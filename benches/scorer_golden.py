#!/usr/bin/env python3
"""Guard for scorer speed work: `earshot score --json` must not change.

    python3 benches/scorer_golden.py record [EARSHOT]   # before a change
    python3 benches/scorer_golden.py check  [EARSHOT]   # after: byte-identical?

EARSHOT is the binary (default: `$CARGO_TARGET_DIR/perf/earshot`, built
with `cargo build --profile perf --bin earshot`). The golden files go to
`$CARGO_TARGET_DIR/scorer-golden/` (not committed: about 20 MB).

Input, one text per line (30,185 lines): every text of VADER's
four ground-truth sets (`shared/data/vader-groundtruth/` beside the
repository or a folder above it, or `$EARSHOT_GROUNDTRUTH`; when
missing, a warning and 6,482 lines only);
the customer-service sets (`tests/data/cs_*.tsv`) plain, upper-cased,
lower-cased, and wrapped in handles, brand names, hashtags, URLs and
e-mails; and hostile lines (empty, 100 kB, control characters, only emoji,
invalid UTF-8, direction marks, non-ASCII case folding). Each input is
scored under three configs: none (built-in data), brands with lexicon
overrides, and brands plus `[scoring]` additions.
"""

import csv
import hashlib
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
GOLDEN = os.path.join(TARGET, "scorer-golden")


def find_groundtruth() -> str:
    """VADER's ground truth: `$EARSHOT_GROUNDTRUTH`, else the first
    `shared/data/vader-groundtruth` beside the repository or one of the
    folders above it (a worktree may sit deeper than the main checkout)."""
    if os.environ.get("EARSHOT_GROUNDTRUTH"):
        return os.environ["EARSHOT_GROUNDTRUTH"]
    here = os.path.dirname(ROOT)
    while True:
        candidate = os.path.join(here, "shared", "data", "vader-groundtruth")
        if os.path.isdir(candidate) or os.path.dirname(here) == here:
            return candidate
        here = os.path.dirname(here)


GROUNDTRUTH = find_groundtruth()

BRANDS = """
[storage]
url = "sqlite::memory:"

[[brands]]
name = "Acme Air"
terms = ["acme air", "@acmeair", "#acmeair"]
exclude = ["acme air show"]
lexicon = { "sick" = 2.0, "delayed" = -3.5 }

[[brands]]
name = "Joy Telecom"
terms = ["joy telecom", "@JoyTelecom", "#joytelecom"]
lexicon = { "joy" = 0, "dead" = -3.0 }

[[brands]]
name = "Best Buy"
terms = ["best buy", "@BestBuy"]

[[brands]]
name = "Wish"
terms = ["wish", "@WishShopping"]
lexicon = { "love" = 0 }
"""

SCORING = """
[scoring]
lexicon = { "meh" = -1.5, "lit" = 2.5, "awesome" = 0 }

[scoring.cues]
waiting = ["stuck in the queue for <dur>", "still waiting on my {parcel|package}"]
churn = ["bye forever"]

[scoring.topics]
loyalty = ["reward points", "loyalty {card|scheme}"]
delay = ["running late"]
"""

WRAPS = [
    "{t}",
    "@JoyTelecom {t}",
    "@acmeair @BestBuy {t} #NeverAgain",
    "{t} https://t.co/AbC123 via @WishShopping",
    "Joy Telecom: {t} #joytelecom www.example.com/x?y=1",
    "ordered from Wish and {t} mail me at a.b@example.com",
    "#Acme_Air {t} #SoHappy #1Fail",
    "Best Buy {t} 😡😡",
    "{t}\u200b!!! ???",
]

HOSTILE = [
    "",
    " ",
    "\t\t",
    "😡",
    "😡😡😡🙄👏❤️⭐",
    "👍🏽👍🏿‍🔥",
    "\x00\x01\x02 bad \x07 service \x1b[31m",
    "\u202eecivres lufwa\u202c \u200f\u200e",
    "İSTANBUL ΣΊΣΥΦΟΣ STRASSE straße ǅemal ﬁx",
    "ÇA NE MARCHE PAS, remboursement SVP",
    "a" * 300,
    "!!!!!!!!!!????????",
    "???",
    ":) :( :-D <3 </3 :'(",
    "n't not never no no no no nope",
    "@ # http:// www. :// @@ ## #",
    "1,000,000.5 2-3 days 1h30 min 90min 2hrs an hour and a half couple of weeks",
    "3rd 21st 2nd time 4th email",
    "but but but BUT",
    "….;;;\u2028\u2029",
    "kind of sort of just enough the shit the bomb yeah right",
]


def cs_texts():
    out = []
    for name in ("cs_dev.tsv", "cs_check.tsv"):
        with open(os.path.join(ROOT, "tests", "data", name), encoding="utf-8", newline="") as f:
            out.extend(row["text"] for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    return out


def groundtruth_texts():
    out = []
    if not os.path.isdir(GROUNDTRUTH):
        print(f"warning: {GROUNDTRUTH} missing, ground-truth texts left out", file=sys.stderr)
        return out
    for name in sorted(os.listdir(GROUNDTRUTH)):
        if not name.endswith("_GroundTruth.txt"):
            continue
        with open(os.path.join(GROUNDTRUTH, name), encoding="utf-8", errors="replace") as f:
            for line in f:
                parts = line.rstrip("\r\n").split("\t", 2)
                if len(parts) == 3:
                    out.append(parts[2])
    return out


def input_bytes() -> bytes:
    lines = []
    cs = cs_texts()
    for t in cs:
        for wrap in WRAPS:
            lines.append(wrap.format(t=t))
        lines.append(t.upper())
        lines.append(t.lower())
        lines.append(t.title())
    lines.extend(groundtruth_texts())
    lines.extend(HOSTILE)
    long = " ".join(cs)
    lines.append((long * (100_000 // len(long) + 1))[:100_000])
    lines.append(("😡 still waiting 3 hrs " * 5000)[:100_000])
    data = "\n".join(lines).encode("utf-8")
    # Bytes no text can carry: invalid UTF-8, a bare CR, CRLF.
    data += b"\nbad \xff\xfe utf8 \xc3 here, refund please\r\nline with cr\rinside\n\xe2\x82"
    return data


def outputs(binary: str) -> dict:
    data = input_bytes()
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        configs = {"none": os.path.join(tmp, "missing.toml")}
        for name, text in (("brands", BRANDS), ("scoring", BRANDS + SCORING)):
            path = os.path.join(tmp, f"{name}.toml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            configs[name] = path
        for name, path in configs.items():
            result = subprocess.run(
                [binary, "--config", path, "score", "--json"], input=data, capture_output=True, check=True
            )
            if result.stderr:
                # A config that does not load would silently test nothing.
                raise SystemExit(f"{name}: {result.stderr.decode('utf-8', 'replace')}")
            out[name] = result.stdout
    return out


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in ("record", "check"):
        print(__doc__, file=sys.stderr)
        return 2
    binary = sys.argv[2] if len(sys.argv) > 2 else os.path.join(TARGET, "perf", "earshot")
    os.makedirs(GOLDEN, exist_ok=True)
    failed = False
    for name, got in outputs(binary).items():
        path = os.path.join(GOLDEN, f"{name}.jsonl")
        lines = got.count(b"\n")
        digest = hashlib.sha256(got).hexdigest()[:16]
        if sys.argv[1] == "record":
            with open(path, "wb") as f:
                f.write(got)
            print(f"{name}: recorded {lines} lines, sha256 {digest}")
            continue
        with open(path, "rb") as f:
            want = f.read()
        if got == want:
            print(f"{name}: identical ({lines} lines, sha256 {digest})")
            continue
        failed = True
        got_lines, want_lines = got.split(b"\n"), want.split(b"\n")
        diffs = [i for i in range(max(len(got_lines), len(want_lines))) if got_lines[i:i + 1] != want_lines[i:i + 1]]
        print(f"{name}: {len(diffs)} lines differ ({len(got_lines)} vs {len(want_lines)} lines)")
        for i in diffs[:5]:
            print(f"  line {i + 1}:\n    want {want_lines[i:i + 1]!r:.400}\n    got  {got_lines[i:i + 1]!r:.400}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
