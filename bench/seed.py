"""Seeded libSQL files, built once and kept under the bench data directory.

A dataset is keyed by its size, the seed and a digest of the code that
shapes its rows (the demo generator, the bulk seeder, the hash rules), so a
second ``make bench`` reuses it and a change reseeds. New migrations do not
reseed: a reused file is migrated forward, as a production database is (an
index added at 1,000,000 episodes takes seconds; reseeding takes ~20 min).
Each file is seeded by ``manage.py seed_bulk`` (the services' rules, bulk
SQL) into a ``.partial`` directory renamed into place only when complete.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import CACHE_WINDOW, DATA_ROOT, ROOT, DataDir, log

SEED = 7
# Bump when rows change in a way the digest below cannot see (e.g. a migration
# whose forward path differs from seeding afresh).
VERSION = 1
SHAPING = (
    "episodes/demo.py",
    "episodes/hashing.py",
    "episodes/management/commands/seed_bulk.py",
    "episodes/management/commands/_bulk_seed.py",
    "episodes/management/commands/_bulk_rows.py",
)


def rows_digest() -> str:
    digest = hashlib.sha256(str(VERSION).encode())
    for path in [ROOT / p for p in SHAPING]:
        if path.exists():
            digest.update(path.relative_to(ROOT).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@dataclass(frozen=True)
class Dataset:
    data: DataDir
    episodes: int
    seeding_seconds: float
    reused: bool
    info: dict[str, Any]

    @property
    def api_key(self) -> str:
        return (self.data.path / "api_key").read_text().strip()


def dataset(episodes: int, *, seed: int = SEED) -> Dataset:
    """The seeded file for this size, seeding it first when it is not cached yet."""
    final = DATA_ROOT / f"seed-{episodes}-s{seed}-{rows_digest()}"
    marker = final / "seeded.json"
    if marker.exists():
        info = json.loads(marker.read_text())
        data = DataDir(final, CACHE_WINDOW)
        data.manage("migrate", "--noinput", "-v0")  # only what was added since seeding
        return Dataset(data, episodes, info["seconds"], True, info)
    partial = final.with_name(final.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    data = DataDir(partial, CACHE_WINDOW)
    log(f"seeding {episodes:,} episodes into {final} (first time only)")
    data.manage("migrate", "--noinput", "-v0")
    out = data.manage("seed_bulk", "--episodes", str(episodes), "--seed", str(seed))
    log(out.strip().splitlines()[-1] if out.strip() else "seeded")
    # A key for servers that run on this file in place (the 1M list page).
    key = data.manage(*_key_args("bench-reader", "read"))
    (partial / "api_key").write_text(key.strip())
    (partial / "api_key").chmod(0o600)
    info = {
        "episodes": episodes,
        "seconds": _seconds(out),
        "file_mb": round(data.db.stat().st_size / 1e6, 1),
        "digest": rows_digest(),
    }
    marker_tmp = partial / "seeded.json"
    marker_tmp.write_text(json.dumps(info))
    for stale in DATA_ROOT.glob(f"seed-{episodes}-s{seed}-*"):
        if stale != partial and not stale.name.endswith(".partial"):
            shutil.rmtree(stale)  # an older digest: its rows no longer match the code
    partial.rename(final)
    return Dataset(DataDir(final, CACHE_WINDOW), episodes, info["seconds"], False, info)


def _seconds(out: str) -> float:
    for line in out.splitlines():
        if line.startswith("seeded ") and " in " in line:
            return float(line.split(" in ")[1].split("s")[0])
    return float("nan")


def _key_args(name: str, scopes: str) -> tuple[str, ...]:
    # Limits far above what the bench can send: the bench measures the work, not the 429s.
    return (
        "create_api_key",
        "--name",
        name,
        "--scopes",
        scopes,
        "--rate-limit",
        "100000000",
        "--daily-episode-quota",
        "100000000",
        "--quiet",
    )


def create_api_key(data: DataDir, name: str = "bench", scopes: str = "read,write,sync") -> str:
    return data.manage(*_key_args(name, scopes)).strip()


def seeded_summary(ds: Dataset) -> str:
    how = "reused" if ds.reused else "seeded now"
    return (
        f"{ds.episodes:,} episodes ({ds.info.get('file_mb', '?')} MB): seeding took "
        f"{ds.seeding_seconds:,.0f} s ({how}; {ds.episodes / max(ds.seeding_seconds, 1e-9):,.0f}"
        " episodes/s)"
    )


def path_of(ds: Dataset) -> Path:
    return ds.data.path
