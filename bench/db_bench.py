"""Our ORM insert path against raw ``libsql`` executemany of the same rows.

Runs in a child process with Django set up on a fresh copy of the migrated,
empty bench file (``python -m bench.db_bench --child``). Each path writes its
own N episodes (same content, new ids) in one transaction:

- ORM ``save(force_insert=True)`` per row, as ``episode_start`` does;
- ORM ``bulk_create``, as the steps service does for a batch;
- raw: the rows' values prepared by the model fields (not timed), then one
  ``executemany`` on a plain ``libsql.connect`` connection (timed).
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from bench.common import PYTHON, fresh_copy, log, measured
from bench.seed import Dataset
from bench.table import Row

N = 5000


def _child() -> None:
    import copy
    import os
    import random
    import uuid

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    import libsql
    from django.db import connection, transaction
    from django.utils import timezone

    from episodes.demo import demo_episode
    from episodes.models import Episode
    from memoryadmin.db.backends.libsql.params import adapt
    from memoryadmin.namespaces.selectors import namespace_default

    rng, now = random.Random(9), timezone.now()
    namespace_id = namespace_default().pk  # made by migration in the empty bench file
    template = []
    for _ in range(N):
        d = demo_episode(rng, now)
        template.append(
            Episode(
                namespace_id=namespace_id,
                task_type=d.task_type,
                task_description=d.description,
                language=d.context["language"],
                framework=d.context["framework"],
                domain=d.context["domain"],
                complexity=d.context["complexity"],
                tags=d.context["tags"],
                metadata={"demo": True},
                started_at=d.started_at,
                outcome=d.outcome,
                verdict=d.outcome["kind"] if d.outcome else None,
                content_hash="0" * 64,
                steps_digest="0" * 64,
            )
        )

    def batch() -> list[Episode]:
        out = [copy.copy(e) for e in template]
        for e in out:
            e.id = uuid.uuid4()
            e._state = copy.copy(e._state)
        return out

    timings: dict[str, float] = {}
    rows = batch()
    started = time.perf_counter()
    with transaction.atomic():
        for e in rows:
            e.save(force_insert=True)
    timings["orm_save"] = time.perf_counter() - started

    rows = batch()
    started = time.perf_counter()
    with transaction.atomic():
        Episode.objects.bulk_create(rows)
    timings["orm_bulk_create"] = time.perf_counter() - started

    fields = Episode._meta.concrete_fields
    sql = (
        f'INSERT INTO "{Episode._meta.db_table}" ('  # noqa: S608 - our names
        + ", ".join(f'"{f.column}"' for f in fields)
        + ") VALUES ("
        + ", ".join("?" for _ in fields)
        + ")"
    )
    values = [
        tuple(
            adapt(f.get_db_prep_save(f.pre_save(e, True), connection), i)
            for i, f in enumerate(fields)
        )
        for e in batch()
    ]
    raw = libsql.connect(str(connection.settings_dict["NAME"]), isolation_level=None)
    started = time.perf_counter()
    raw.execute("BEGIN IMMEDIATE")
    raw.executemany(sql, values)
    raw.execute("COMMIT")
    timings["raw_executemany"] = time.perf_counter() - started
    raw.close()
    sys.stdout.write(json.dumps(timings) + "\n")


def run(empty: Dataset) -> list[Row]:
    work = fresh_copy(empty.data, "db")
    log(f"db: {N:,} episode rows per insert path")
    best: dict[str, float] = {}
    for _ in range(3):
        done = measured([PYTHON, "-m", "bench.db_bench", "--child"], env=work.env())
        timings: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        for k, v in timings.items():
            best[k] = min(best.get(k, float("inf")), float(v))
    raw = best["raw_executemany"]

    def rate(seconds: float) -> str:
        return f"{N / seconds:,.0f} rows/s"

    return [
        Row("raw libsql executemany (1 txn)", rate(raw)),
        Row(
            "ORM save(force_insert) per row (1 txn)",
            rate(best["orm_save"]),
            "",
            f"{raw / best['orm_save']:.1%} of raw",
        ),
        Row(
            "ORM bulk_create (1 txn)",
            rate(best["orm_bulk_create"]),
            "",
            f"{raw / best['orm_bulk_create']:.1%} of raw",
        ),
    ]


if __name__ == "__main__" and "--child" in sys.argv:
    _child()
