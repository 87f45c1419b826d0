#!/usr/bin/env python3
"""Which b-trees a SQLite commit writes: WAL pages per commit, per table or index.

Run beside a load run (needs the `sqlite3` command-line shell):

    ./load backend=sqlite seconds=60 sources=3 &     # the load command
    sleep 30; python3 benches/wal_pages.py           # finds its database
    python3 benches/wal_pages.py /path/to/earshot.db # or any WAL-mode file

What it does: copies the WAL beside the database (a live WAL keeps
changing), reads each frame's header (the page it writes, and whether it
ends a commit) back to the last restart, asks SQLite's `dbstat` table
which b-tree each page belongs to, and prints the frames per commit of
each. Every frame is a page the commit wrote to the WAL and a checkpoint
copies again, so a b-tree with many frames per commit is where a commit's
write volume goes (BENCHMARKS.md, eighth pass).
"""

import collections
import glob
import os
import shutil
import struct
import subprocess
import sys
import tempfile


def running_load_db() -> str:
    """The SQLite file a running load command has open."""
    for fd in glob.glob("/proc/[0-9]*/fd/*"):
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.endswith("/load.db"):
            return target
    sys.exit("no running load command found: give the database's path")


def frames(wal: bytes) -> list:
    """(page, commit) of each valid frame; commit is non-zero on a commit's last frame."""
    _magic, _version, page_size, _seq, salt1, salt2, _c1, _c2 = struct.unpack(">8I", wal[:32])
    size, out, at = 24 + page_size, [], 32
    while at + size <= len(wal):
        page, commit, s1, s2 = struct.unpack(">4I", wal[at : at + 16])
        if (s1, s2) != (salt1, salt2):
            break  # frames of an earlier round of the file
        out.append((page, commit))
        at += size
    return out


def owners(db: str) -> dict:
    """Page number -> the name of its table or index."""
    rows = subprocess.run(
        ["sqlite3", f"file:{db}?mode=ro", "SELECT pageno, name FROM dbstat;"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return {int(n): name for n, _, name in (line.partition("|") for line in rows.splitlines()) if n.isdigit()}


def main() -> None:
    db = sys.argv[1] if len(sys.argv) > 1 else running_load_db()
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "wal")
        shutil.copyfile(db + "-wal", copy)
        with open(copy, "rb") as f:
            written = frames(f.read())
    names = owners(db)
    commits = sum(1 for _, commit in written if commit) or 1
    print(f"{db}: {len(written)} frames, {commits} commits, {len(written) / commits:.1f} frames per commit")
    count = collections.Counter(names.get(page, "(new or free page)") for page, _ in written)
    for name, n in count.most_common():
        print(f"{n / commits:8.1f}  {name}")


if __name__ == "__main__":
    main()
