"""A cache file with bytes overwritten at random offsets: detected, kept aside, rebuilt.

Each trial restores the synced cache, overwrites random byte runs at random
offsets, then drives the product through its commands: ``verify_cache
--full`` (does it notice?), ``sync_memories`` (moves a damaged file aside and
rebuilds it from the database), ``verify_cache --full`` again (must pass).
Damage that lands in free pages is harmless: then nothing is quarantined and
the full verification (every content hash against the database) still passes.
The file kept aside is the damaged file *after* redb's repair attempt on open
(redb writes to it before giving up), so it may differ from the bytes written
here; the report counts how many.
"""

from __future__ import annotations

import shutil

from reliability.common import Row, last_json, log, manage
from reliability.context import Context

NAME = "corrupt-cache"
TRIALS = 10
RUNS_PER_TRIAL = (1, 64)  # how many byte runs are overwritten
RUN_BYTES = (1, 256)


def _verify(env: dict[str, str]) -> tuple[bool, str]:
    proc = manage(env, "verify_cache", "--full", "--json", check=False)
    if not proc.stdout.strip():
        return False, (proc.stderr.strip().splitlines() or ["no output"])[-1]
    report = last_json(proc.stdout)
    return bool(report.get("passed")), str(report.get("summary"))


def run(ctx: Context) -> list[Row]:
    data = ctx.data(NAME)
    env = data.env()
    manage(env, "sync_memories", "--json")
    pristine = data.path / "cache.pristine"
    shutil.copyfile(data.cache, pristine)
    rng = ctx.rng
    noticed = quarantined = kept = harmless = passed = 0
    changed: list[int] = []
    failures: list[str] = []
    for trial in range(1, TRIALS + 1):
        for old in data.path.glob("cache.redb.corrupt-*"):
            old.unlink()
        shutil.copyfile(pristine, data.cache)
        damaged = bytearray(data.cache.read_bytes())
        runs = rng.randint(*RUNS_PER_TRIAL)
        for _ in range(runs):
            size = rng.randint(*RUN_BYTES)
            offset = rng.randrange(0, len(damaged) - size)
            damaged[offset : offset + size] = rng.randbytes(size)
        data.cache.write_bytes(bytes(damaged))
        # Odd trials verify first (does verification notice?), even ones go straight to sync.
        verify_first = trial % 2 == 1
        ok_before, summary_before = _verify(env) if verify_first else (False, "skipped")
        noticed += verify_first and not ok_before
        synced = last_json(manage(env, "sync_memories", "--json", check=False).stdout)
        aside = sorted(data.path.glob("cache.redb.corrupt-*"))
        quarantined += bool(aside)
        if aside:
            kept_bytes = aside[0].read_bytes()
            same_size = len(kept_bytes) == len(damaged)
            kept += same_size
            changed.append(sum(a != b for a, b in zip(kept_bytes, damaged, strict=False)))
        ok_after, summary_after = _verify(env)
        passed += ok_after and synced.get("status") == "succeeded"
        harmless += not aside and ok_after  # nothing to repair, everything still verifies
        missed = verify_first and not ok_before and not aside  # noticed, yet not repaired
        if not ok_after or synced.get("status") != "succeeded" or missed:
            failures.append(
                f"trial {trial}: verify before {summary_before!r}, sync {synced.get('status')} "
                f"{synced.get('error')!r}, quarantined {bool(aside)}, "
                f"verify after {summary_after!r}"
            )
        log(
            f"{NAME}: trial {trial}: {runs} runs overwritten; verify: {summary_before}; "
            f"sync {synced.get('status')} warnings={synced.get('warnings')}; "
            f"kept aside: {bool(aside)}; verify after: {summary_after}"
        )
    return [
        Row(NAME, "trials (1-64 runs of 1-256 random bytes each)", str(TRIALS)),
        Row(
            NAME,
            "damage noticed by verify_cache --full (odd trials)",
            f"{noticed}/{TRIALS - TRIALS // 2}",
        ),
        Row(
            NAME,
            "damaged file moved aside by the next sync",
            f"{quarantined}/{TRIALS}",
            "all but harmless damage",
            quarantined + harmless == TRIALS,
        ),
        Row(
            NAME,
            "files kept aside whole / bytes differing from the damage (median)",
            f"{kept}/{quarantined} / {sorted(changed)[len(changed) // 2] if changed else 0}",
            "all kept",
            kept == quarantined,
        ),
        Row(
            NAME, "damage in free pages (harmless: nothing to repair, verify passes)", str(harmless)
        ),
        Row(
            NAME,
            "sync succeeded and verify_cache --full passed afterwards",
            f"{passed}/{TRIALS}",
            f"{TRIALS}/{TRIALS}",
            passed == TRIALS,
        ),
        Row(NAME, "failures", "; ".join(failures) or "none", "none", not failures),
    ]
