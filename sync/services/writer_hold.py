"""Holding the redb writer across batches: non-durable commits, one durable commit a slice.

Inside ``WriterHold.holding()`` (the engine's passes) the writer stays open
across batches and each batch commits *without* fsync; ``breathe()`` ends the
hold's slice once it has lasted SYNC_WRITER_HOLD_SECONDS: one durable commit,
then the file is released (readers and other writers get back in) and opened
again by the next batch. Opening, closing and fsyncing per batch was a third
of a full sync. A crash rolls the file back to the last durable commit, and
each batch's metadata (the checkpoint) is in its own transaction, so what
the cache says it holds always matches what it holds.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress

from django.conf import settings

from hotcache.cache import CacheError, CacheWriter, cache_writer


def writer_deadline() -> float:
    return float(getattr(settings, "SYNC_WRITER_DEADLINE_SECONDS", 10.0))


def writer_hold_seconds() -> float:
    """How long a hold keeps the writer before a durable commit and a release (0: every batch)."""
    return float(getattr(settings, "SYNC_WRITER_HOLD_SECONDS", 1.0))


class WriterHold:
    """The writer of one Applier while it holds the cache (inactive: nothing is held)."""

    def __init__(self) -> None:
        self.active = False
        self._stack: ExitStack | None = None  # the open writer of the current slice
        self._writer: CacheWriter | None = None
        self._since = 0.0

    @contextmanager
    def holding(self) -> Iterator[None]:
        """Keep the writer open across the batches applied inside (non-durable commits).

        On a normal exit everything written is made durable before the release;
        on an exception the writer is released without that commit (a clean
        close still keeps the batches; a crash keeps the last durable state).
        A hold inside a hold is the outer one.
        """
        if self.active:
            yield
            return
        self.active = True
        try:
            yield
            self._release(durable=True)
        finally:
            self.active = False
            self._release(durable=False)

    def writer(self) -> CacheWriter:
        """The held writer, opened for a new slice if the last one was released."""
        if self._writer is None:
            stack = ExitStack()
            self._writer = stack.enter_context(cache_writer(deadline=writer_deadline()))
            self._stack, self._since = stack, time.monotonic()
        return self._writer

    def breathe(self) -> bool:
        """End the slice once it is spent: durable commit, release. True if it did.

        After True, everything applied so far is durable in the cache.
        """
        if self._writer is None or time.monotonic() - self._since < writer_hold_seconds():
            return False
        self._release(durable=True)
        return True

    def _release(self, *, durable: bool) -> None:
        writer, stack = self._writer, self._stack
        self._writer = self._stack = None
        if stack is None or writer is None:
            return
        if durable:
            with stack:
                writer.make_durable()
            return
        with suppress(CacheError):  # the cause is already propagating
            stack.close()
