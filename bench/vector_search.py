"""Vector search on libSQL: exact scan vs libsql_vector_idx vs in-memory numpy.

Not a test: run it by hand (needs the `local` extra for real MiniLM vectors).

    python bench/vector_search.py --sizes 10000,100000 --index-max 10000

Every variant stores the same real all-MiniLM-L6-v2 embeddings of generated
episode descriptions in its own database file and answers the same queries
(other generated descriptions). Recall@10 is measured against the exact
SQL scan. Embeddings are cached in --cache (computing 100k takes minutes).
Prints a markdown table.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import django
import libsql
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()
from episodes.embeddings.local import DIMENSION, LocalMiniLMProvider  # noqa: E402

K = 10
QUERIES = 200
TABLE = (
    "CREATE TABLE emb (id INTEGER PRIMARY KEY, owner_kind TEXT NOT NULL, owner_id TEXT NOT NULL,"
    " model_id TEXT NOT NULL, dimension INTEGER NOT NULL, vector {type} NOT NULL)"
)
EXACT = (
    "SELECT owner_id, vector_distance_cos(vector, ?) AS d FROM emb"
    " WHERE owner_kind = 'episode' AND model_id = 'm' ORDER BY d LIMIT ?"
)
TOP_K = (
    "SELECT emb.owner_id, vector_distance_cos(emb.vector, vector32(?)) AS d"
    " FROM vector_top_k('emb_idx', vector32(?), ?) AS hits JOIN emb ON emb.rowid = hits.id"
)
INDEXES = {
    "indexed (default)": "",
    "indexed (float8, 32 neighbours)": ", 'compress_neighbors=float8', 'max_neighbors=32'",
}


def _options(text: str) -> list[str]:
    return text.split("|")


VERBS = _options(
    "fix|debug|refactor|speed|up|add|tests|for|document|rewrite|migrate|profile|secure"
)
THINGS = _options(
    "login form|payment webhook|CSV export|search endpoint|image upload|session cache|"
    "background job queue|database migration|rate limiter|email sender|PDF report|"
    "GraphQL resolver|websocket chat|config loader|CLI parser|retry logic|OAuth callback|"
    "date picker|pagination|audit log|feature flag service|shopping cart|"
    "invoice generator|log rotation|thumbnail worker"
)
PROBLEMS = _options(
    "that times out under load|that leaks memory|that returns stale data|"
    "that crashes on empty input|that is too slow|with flaky tests|"
    "that double-charges customers|that breaks on unicode|that deadlocks|"
    "with a race condition|that ignores the time zone|that logs secrets|"
    "after the library upgrade|in production only|for large files"
)
STACKS = _options(
    "Django|Flask|FastAPI|Rails|Spring|Express|Next.js|Laravel|Go net/http|Rust axum|"
    "Phoenix|ASP.NET|Vue|React|Celery|PostgreSQL|SQLite|Redis|Kafka"
)
EXTRAS = _options(
    "|; the customer reported it twice|; blocking the release|; see ticket {n}|"
    " using a feature flag| without downtime| behind the admin page| for the mobile app"
)


def texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        extra = rng.choice(EXTRAS).format(n=rng.randint(100, 99999))
        out.append(
            f"{rng.choice(VERBS).capitalize()} the {rng.choice(THINGS)} "
            f"{rng.choice(PROBLEMS)} in the {rng.choice(STACKS)} service{extra}"
        )
    return out


def embeddings(count: int, seed: int, cache: Path) -> np.ndarray:
    path = cache / f"minilm-{count}-{seed}.npy"
    if path.exists():
        return np.load(path)  # type: ignore[no-any-return]
    provider, items = LocalMiniLMProvider(), texts(count, seed)
    started, vectors = time.perf_counter(), []
    for start in range(0, count, 1000):
        vectors.extend(provider.embed(items[start : start + 1000]))
        done = len(vectors)
        rate = done / (time.perf_counter() - started)
        print(f"  embedded {done}/{count} ({rate:.0f}/s)", file=sys.stderr, end="\r")
    print(file=sys.stderr)
    array = np.asarray(vectors, dtype=np.float32)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, array)
    return array


def ms(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))]


def load(path: Path, vectors: np.ndarray, column: str) -> tuple[libsql.Connection, float]:
    conn = libsql.connect(str(path))
    conn.execute(TABLE.format(type=column))
    started = time.perf_counter()
    rows = [("episode", f"{i:032x}", "m", DIMENSION, v.tobytes()) for i, v in enumerate(vectors)]
    for start in range(0, len(rows), 5000):
        conn.executemany(
            "INSERT INTO emb (owner_kind, owner_id, model_id, dimension, vector)"
            " VALUES (?, ?, ?, ?, ?)",
            rows[start : start + 5000],
        )
    conn.commit()
    return conn, time.perf_counter() - started


def timed(run, queries: np.ndarray) -> tuple[list[list[str]], list[float]]:  # type: ignore[no-untyped-def]
    results, samples = [], []
    for q in queries:
        started = time.perf_counter()
        results.append(run(q))
        samples.append((time.perf_counter() - started) * 1000)
    return results, samples


def recall(found: list[list[str]], truth: list[list[str]]) -> float:
    return statistics.mean(len(set(f) & set(t)) / len(t) for f, t in zip(found, truth, strict=True))


def size_mb(path: Path) -> float:
    total = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    return total / 1e6


def bench_size(n: int, vectors: np.ndarray, queries: np.ndarray, workdir: Path, index: bool):  # type: ignore[no-untyped-def]
    rows: list[tuple[Any, ...]] = []
    path = workdir / f"exact-{n}.db"
    conn, build = load(path, vectors, "BLOB")

    def exact(q: np.ndarray) -> list[str]:
        return [r[0] for r in conn.execute(EXACT, (q.tobytes(), K)).fetchall()]

    truth, samples = timed(exact, queries)
    rows.append((n, "exact SQL scan", build, size_mb(path), *ms(samples), 1.0, None))

    started = time.perf_counter()
    fetched = conn.execute(
        "SELECT owner_id, vector FROM emb WHERE owner_kind = 'episode' AND model_id = 'm'"
    ).fetchall()
    ids = [r[0] for r in fetched]
    matrix = np.frombuffer(b"".join(r[1] for r in fetched), dtype=np.float32).reshape(-1, DIMENSION)
    loaded = time.perf_counter() - started

    def in_memory(q: np.ndarray) -> list[str]:
        scores = matrix @ q
        top = np.argpartition(-scores, K)[:K]
        return [ids[i] for i in top[np.argsort(-scores[top])]]

    found, samples = timed(in_memory, queries)
    memory = matrix.nbytes / 1e6
    rows.append(
        (
            n,
            f"in-memory numpy ({memory:.0f} MB RAM)",
            loaded,
            None,
            *ms(samples),
            recall(found, truth),
            None,
        )
    )
    conn.close()

    for label, options in INDEXES.items() if index else ():
        path = workdir / f"{'default' if not options else 'compressed'}-{n}.db"
        conn, _ = load(path, vectors, f"F32_BLOB({DIMENSION})")
        started = time.perf_counter()
        conn.execute(f"CREATE INDEX emb_idx ON emb (libsql_vector_idx(vector{options}))")
        conn.commit()
        build = time.perf_counter() - started

        def indexed(q: np.ndarray, conn: libsql.Connection = conn) -> list[str]:
            hits = conn.execute(TOP_K, (q.tobytes(), q.tobytes(), K)).fetchall()
            return [r[0] for r in sorted(hits, key=lambda r: r[1])]  # vector_top_k is unordered

        found, samples = timed(indexed, queries)
        extra = np.asarray(queries[:50], dtype=np.float32)
        started = time.perf_counter()
        for i, v in enumerate(extra):
            conn.execute(
                "INSERT INTO emb (owner_kind, owner_id, model_id, dimension, vector)"
                " VALUES ('episode', ?, 'm', ?, ?)",
                (f"new{i}", DIMENSION, v.tobytes()),
            )
            conn.commit()
        insert_ms = (time.perf_counter() - started) * 1000 / len(extra)
        rows.append((n, label, build, size_mb(path), *ms(samples), recall(found, truth), insert_ms))
        conn.close()
    return rows


def insert_cost_plain(vectors: np.ndarray, workdir: Path) -> float:
    conn, _ = load(workdir / "plain-insert.db", vectors, "BLOB")
    started = time.perf_counter()
    for i, v in enumerate(vectors[:50]):
        conn.execute(
            "INSERT INTO emb (owner_kind, owner_id, model_id, dimension, vector)"
            " VALUES ('episode', ?, 'm', ?, ?)",
            (f"new{i}", DIMENSION, v.tobytes()),
        )
        conn.commit()
    conn.close()
    return (time.perf_counter() - started) * 1000 / 50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument(
        "--index-max", type=int, default=10000, help="build indexes up to this size"
    )
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "vector-bench")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    os.environ.setdefault("OMP_NUM_THREADS", str(os.cpu_count() or 1))
    queries = embeddings(QUERIES, seed=2, cache=args.cache)
    corpus = embeddings(max(sizes), seed=1, cache=args.cache)
    table = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            print(f"size {n} ...", file=sys.stderr)
            table.extend(bench_size(n, corpus[:n], queries, Path(tmp), n <= args.index_max))
        plain_insert = insert_cost_plain(corpus[:10000], Path(tmp))
    print(f"\nall-MiniLM-L6-v2 (int8 ONNX) vectors, {DIMENSION} dims, {QUERIES} queries, top {K}\n")
    print("| rows | method | build s | file MB | P50 ms | P95 ms | recall@10 | insert ms |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for n, label, build, mb, p50, p95, rec, ins in table:
        mb_text = f"{mb:.1f}" if mb is not None else "-"
        ins_text = f"{ins:.1f}" if ins is not None else f"{plain_insert:.1f}"
        print(
            f"| {n} | {label} | {build:.1f} | {mb_text} | {p50:.2f} | {p95:.2f} | "
            f"{rec:.3f} | {ins_text} |"
        )
    print(
        "\nbuild s: bulk insert of the rows (exact), loading them into a matrix (in-memory),"
        " or CREATE INDEX on the loaded rows (indexed); insert ms: one more row in its own"
        " transaction (plain table at 10k rows for the non-indexed methods)."
    )


if __name__ == "__main__":
    main()
