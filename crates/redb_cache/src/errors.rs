//! The one error type of the store, and how every redb error maps onto it.
//!
//! Pure Rust: `exceptions.rs` turns an [`ErrorKind`] into the matching Python class.
//! redb's error enums are `#[non_exhaustive]`; unknown variants become [`ErrorKind::Other`],
//! which surfaces as the root `CacheError`.

use std::any::Any;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Which Python exception a failure becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Another handle holds the file lock, or a write transaction is in progress.
    Busy,
    /// The file is not a valid redb database, or its contents are damaged.
    Corrupted,
    /// The file was not shut down cleanly; a read-write open repairs it.
    NeedsRepair,
    /// An operating-system I/O failure (permissions, missing file, disk full).
    Io,
    /// A read named a table that does not exist.
    TableMissing,
    /// The transaction was already committed or aborted.
    TransactionClosed,
    /// The reader or writer was already closed.
    Closed,
    /// Anything else redb reports.
    Other,
}

/// A failure of a store operation: what kind, and redb's own message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError {
    pub kind: ErrorKind,
    pub message: String,
}

pub type StoreResult<T> = Result<T, StoreError>;

impl StoreError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    pub fn closed(what: &str) -> Self {
        Self::new(ErrorKind::Closed, format!("{what} is closed"))
    }

    pub fn transaction_closed() -> Self {
        Self::new(
            ErrorKind::TransactionClosed,
            "transaction was already committed or aborted",
        )
    }

    fn from_display(kind: ErrorKind, err: &impl fmt::Display) -> Self {
        Self::new(kind, err.to_string())
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for StoreError {}

fn is_invalid_file(err: &std::io::Error) -> bool {
    matches!(
        err.kind(),
        std::io::ErrorKind::InvalidData | std::io::ErrorKind::UnexpectedEof
    )
}

impl From<redb::StorageError> for StoreError {
    fn from(err: redb::StorageError) -> Self {
        use redb::StorageError as E;
        let kind = match &err {
            E::Corrupted(_) => ErrorKind::Corrupted,
            // redb reports a file that is not a redb database (bad magic number, empty file
            // opened without create) as InvalidData; a truncated file reads past its end.
            E::Io(io) if is_invalid_file(io) => ErrorKind::Corrupted,
            E::Io(_) | E::PreviousIo => ErrorKind::Io,
            E::DatabaseClosed => ErrorKind::Closed,
            _ => ErrorKind::Other,
        };
        Self::from_display(kind, &err)
    }
}

impl From<redb::DatabaseError> for StoreError {
    fn from(err: redb::DatabaseError) -> Self {
        use redb::DatabaseError as E;
        let kind = match err {
            E::DatabaseAlreadyOpen | E::LockProtocolMismatch | E::TransactionInProgress => {
                ErrorKind::Busy
            }
            // A read-only open refuses a file that needs recovery instead of repairing it.
            E::RepairAborted => ErrorKind::NeedsRepair,
            // An older on-disk format is not a file this binding can use.
            E::UpgradeRequired(_) => ErrorKind::Corrupted,
            E::Storage(storage) => return storage.into(),
            ref other => return Self::from_display(ErrorKind::Other, other),
        };
        Self::from_display(kind, &err)
    }
}

impl From<redb::TableError> for StoreError {
    fn from(err: redb::TableError) -> Self {
        match err {
            redb::TableError::TableDoesNotExist(ref name) => Self::new(
                ErrorKind::TableMissing,
                format!("table {name:?} does not exist"),
            ),
            redb::TableError::Storage(storage) => storage.into(),
            other => Self::from_display(ErrorKind::Other, &other),
        }
    }
}

impl From<redb::TransactionError> for StoreError {
    fn from(err: redb::TransactionError) -> Self {
        match err {
            redb::TransactionError::Storage(storage) => storage.into(),
            redb::TransactionError::WouldBlock => {
                Self::from_display(ErrorKind::Busy, &redb::TransactionError::WouldBlock)
            }
            other => Self::from_display(ErrorKind::Other, &other),
        }
    }
}

impl From<redb::CommitError> for StoreError {
    fn from(err: redb::CommitError) -> Self {
        match err {
            redb::CommitError::Storage(storage) => storage.into(),
            other => Self::from_display(ErrorKind::Other, &other),
        }
    }
}

impl From<redb::CompactionError> for StoreError {
    fn from(err: redb::CompactionError) -> Self {
        match err {
            redb::CompactionError::Storage(storage) => storage.into(),
            redb::CompactionError::TransactionInProgress => Self::from_display(
                ErrorKind::Busy,
                &redb::CompactionError::TransactionInProgress,
            ),
            other => Self::from_display(ErrorKind::Other, &other),
        }
    }
}

impl From<redb::SetDurabilityError> for StoreError {
    fn from(err: redb::SetDurabilityError) -> Self {
        Self::from_display(ErrorKind::Other, &err)
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text
    } else {
        "unknown panic"
    }
}

/// Runs one redb operation, turning a panic into [`ErrorKind::Corrupted`].
///
/// redb documents that opening or reading a file altered outside redb "may panic". A panic must
/// never reach Python as `PanicException` (or abort the interpreter), so every call into redb
/// goes through here. Unwind safety: after a caught panic the caller treats the handle as
/// suspect; redb poisons its own transaction, and our locks recover from poisoning.
pub fn guarded<T>(op: impl FnOnce() -> StoreResult<T>) -> StoreResult<T> {
    match catch_unwind(AssertUnwindSafe(op)) {
        Ok(result) => result,
        Err(payload) => Err(StoreError::new(
            ErrorKind::Corrupted,
            format!(
                "redb panicked, the file is likely corrupted: {}",
                panic_message(payload.as_ref())
            ),
        )),
    }
}

/// Drops a redb handle, swallowing a panic. Dropping a database or transaction writes to the file
/// (flush, abort), and a damaged file can make that panic; from a Python object's deallocator a
/// panic would abort the interpreter.
pub fn drop_quietly<T>(value: T) {
    let _ = catch_unwind(AssertUnwindSafe(move || drop(value)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_errors_map_to_kinds() {
        let busy: StoreError = redb::DatabaseError::DatabaseAlreadyOpen.into();
        assert_eq!(busy.kind, ErrorKind::Busy);
        let repair: StoreError = redb::DatabaseError::RepairAborted.into();
        assert_eq!(repair.kind, ErrorKind::NeedsRepair);
        let corrupt: StoreError =
            redb::DatabaseError::Storage(redb::StorageError::Corrupted("x".into())).into();
        assert_eq!(corrupt.kind, ErrorKind::Corrupted);
        let io: StoreError = redb::StorageError::Io(std::io::Error::other("disk")).into();
        assert_eq!(io.kind, ErrorKind::Io);
    }

    #[test]
    fn table_missing_names_the_table() {
        let err: StoreError = redb::TableError::TableDoesNotExist("users".into()).into();
        assert_eq!(err.kind, ErrorKind::TableMissing);
        assert!(err.message.contains("users"));
    }

    #[test]
    fn guarded_turns_panics_into_corrupted() {
        let err = guarded::<()>(|| panic!("bad page")).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Corrupted);
        assert!(err.message.contains("bad page"));
        assert_eq!(guarded(|| Ok(7)).unwrap(), 7);
    }

    #[test]
    fn drop_quietly_swallows_panicking_drops() {
        struct Bomb;
        impl Drop for Bomb {
            fn drop(&mut self) {
                panic!("drop failed");
            }
        }
        drop_quietly(Bomb);
    }
}
