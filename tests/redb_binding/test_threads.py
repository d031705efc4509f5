"""Handles are shared between threads (Django's): the GIL is released inside redb calls."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redb_cache
from redb_cache import Writer


def test_threads_share_one_reader(filled_path: Path) -> None:
    with redb_cache.open_reader(filled_path) as reader:

        def work(n: int) -> int:
            hits = 0
            for i in range(500):
                if reader.get("users", f"user:{(n + i) % 7}") is not None:
                    hits += 1
            return hits

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(work, range(8)))
    assert results == [sum(1 for i in range(500) if (n + i) % 7 < 5) for n in range(8)]


def test_threads_read_a_writer_while_one_thread_writes(writer: Writer) -> None:
    with writer.transaction() as txn:
        txn.put("t", b"stable", b"1")
    stop = threading.Event()
    seen: list[bytes | None] = []

    def read_loop() -> None:
        while not stop.is_set():
            seen.append(writer.get("t", b"stable"))

    readers = [threading.Thread(target=read_loop) for _ in range(4)]
    for thread in readers:
        thread.start()
    try:
        for batch in range(20):
            with writer.transaction(durability="none") as txn:
                txn.put_many("t", ((b"%03d:%03d" % (batch, i), b"x") for i in range(100)))
    finally:
        stop.set()
        for thread in readers:
            thread.join()
    assert seen and set(seen) == {b"1"}
    assert writer.count("t") == 2001


def test_a_transaction_open_in_another_thread_makes_transaction_busy(writer: Writer) -> None:
    opened, done = threading.Event(), threading.Event()

    def hold() -> None:
        with writer.transaction() as txn:
            txn.put("t", b"k", b"v")
            opened.set()
            done.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    assert opened.wait(10)
    try:
        with pytest.raises(redb_cache.CacheBusy):
            writer.transaction()
    finally:
        done.set()
        thread.join()
    assert writer.get("t", b"k") == b"v"
