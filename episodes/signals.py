"""Signals the episodes app sends, for the apps above it to connect to.

A lower floor tells a higher one through these, never by importing it or by
naming its task as a string (../shared/STYLE.md).
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent once an episode write has committed (never inside the transaction), with
# ``episode_id`` (hex string) and ``completed`` (True when the write completed it).
# The sync app queues its write-behind; the episodes app queues the embedding.
episode_changed = Signal()
