#!/usr/bin/env python3
"""earshot's ingest path against the same pipeline as a plain Python script.

    python3 benches/python_peer.py [POSTS] [BRANDS]

Both sides get the same input: POSTS (default 20,000) posts as Hacker News
`search_by_date` answers of 100 hits (the real wire format, one answer per
line of a file), and BRANDS (default 1,000) brands of ten watch terms. Each
post is a realistic text (see benchlib.texts) naming one watch term.

- Python peer: `json.loads` each answer, HTML-unescape each comment, find
  the watch terms with one compiled case-insensitive regex (whole words),
  score matched posts with vaderSentiment's `polarity_scores`, and store one
  row per post x brand into SQLite (`INSERT OR IGNORE`, WAL, one
  transaction per answer) with sqlite3.
- earshot: `benches/load.rs` over the same file (`pages=` and
  `brands_toml=`): parse, match, the full scorer (cues, topics, urgency,
  reasons), routing, and one commit per answer into SQLite with outbox rows
  and queue items.

Prints both rates in posts/s and earshot's ratio. Neither side is pinned:
earshot's store runs on its own threads, as in production.
"""

import html
import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import PROFILE, ROOT, TARGET, brand_terms, brands_toml, ensure_venv, texts  # noqa: E402

PAGE = 100
TAG = re.compile(r"<[^>]+>")


def make_pages(path: str, posts: int, brands: list) -> None:
    rng = random.Random(7)
    corpus = texts()
    terms = [t for _, ts, _ in brands for t in ts]
    now = int(time.time())
    with open(path, "w", encoding="utf-8") as f:
        for page in range(posts // PAGE):
            hits = []
            for k in range(PAGE):
                n = page * PAGE + k + 1
                text = f"{rng.choice(corpus)} {rng.choice(terms)}"
                hits.append({
                    "objectID": str(n), "created_at_i": now, "author": f"user{rng.randrange(5000)}",
                    "points": rng.randrange(50), "comment_text": html.escape(text, quote=False),
                    "story_title": "Ask HN: which airline do you trust?", "_tags": ["comment"],
                })
            f.write(json.dumps({"hits": hits, "nbHits": PAGE, "nbPages": 1}) + "\n")


def python_pipeline(pages: str, brands: list, db_path: str) -> float:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    brand_of = {}
    for name, terms, _ in brands:
        for t in terms:
            brand_of.setdefault(t.lower(), []).append(name)
    alternatives = "|".join(re.escape(t) for t in sorted(brand_of, key=len, reverse=True))
    matcher = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
    db = sqlite3.connect(db_path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(
        "CREATE TABLE mentions (id INTEGER PRIMARY KEY, platform TEXT, external_id TEXT, brand TEXT, author TEXT,"
        " body TEXT, likes INTEGER, posted_at INTEGER, compound REAL, label TEXT, UNIQUE (platform, external_id, brand))"
    )
    posts = 0
    start = time.perf_counter()
    with open(pages, encoding="utf-8") as f:
        for line in f:
            rows = []
            for hit in json.loads(line)["hits"]:
                posts += 1
                text = html.unescape(TAG.sub(" ", hit.get("comment_text") or ""))
                found = {b for m in matcher.finditer(text) for b in brand_of[m.group(0).lower()]}
                if not found:
                    continue
                compound = analyzer.polarity_scores(text)["compound"]
                label = "negative" if compound <= -0.05 else "positive" if compound >= 0.05 else "neutral"
                for brand in sorted(found):
                    rows.append(("hackernews", hit["objectID"], brand, hit.get("author", ""), text,
                                 hit.get("points"), hit["created_at_i"], compound, label))
            with db:
                db.executemany(
                    "INSERT OR IGNORE INTO mentions (platform, external_id, brand, author, body, likes, posted_at,"
                    " compound, label) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
    elapsed = time.perf_counter() - start
    db.close()
    return posts / elapsed


def earshot_rate(pages: str, toml: str) -> tuple:
    cmd = ["cargo", "bench", "--quiet", "--profile", PROFILE, "--bench", "load", "--",
           "backend=sqlite", "seconds=3600", f"pages={pages}", f"brands_toml={toml}"]
    out = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.startswith("total:"):
            return float(line.split()[1]), line
    raise SystemExit(f"no total line in the load output:\n{out}")


def main() -> int:
    ensure_venv(__file__)
    posts = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    n_brands = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    brands = brand_terms(n_brands)
    subprocess.run(["cargo", "bench", "--quiet", "--profile", PROFILE, "--bench", "load", "--no-run"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory(dir=TARGET) as d:
        pages, toml = os.path.join(d, "pages.jsonl"), os.path.join(d, "brands.toml")
        make_pages(pages, posts, brands)
        with open(toml, "w", encoding="utf-8") as f:
            f.write(brands_toml(brands))
        print(f"input: {posts:,} posts in answers of {PAGE}, {len(brands):,} brands / {sum(len(t) for _, t, _ in brands):,} terms")
        py = python_pipeline(pages, brands, os.path.join(d, "peer.db"))
        print(f"python peer (json, re, vaderSentiment, sqlite3): {py:,.0f} posts/s")
        rust, line = earshot_rate(pages, toml)
        print(f"earshot (parse, match, full scorer, route, commit): {rust:,.0f} posts/s = {rust / py:.1f}x python   [{line.strip()}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
