"""Records of the sync engine: runs, the retry queue, validation reports."""

from sync.models.failures import FailedItem
from sync.models.runs import SyncRun
from sync.models.validation import ValidationCheck, ValidationReport

__all__ = ["FailedItem", "SyncRun", "ValidationCheck", "ValidationReport"]
