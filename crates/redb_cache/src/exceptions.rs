//! The Python exception tree, rooted at `CacheError`, and the one conversion from `StoreError`.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

use crate::errors::{ErrorKind, StoreError};

create_exception!(
    redb_cache,
    CacheError,
    PyException,
    "Root of every error raised by redb_cache; unknown redb errors are raised as this class."
);
create_exception!(
    redb_cache,
    CacheBusy,
    CacheError,
    "Another handle holds the file's lock, or a write transaction is already in progress."
);
create_exception!(
    redb_cache,
    CacheCorrupted,
    CacheError,
    "The file is not a redb database, or its contents are damaged."
);
create_exception!(
    redb_cache,
    CacheNeedsRepair,
    CacheError,
    "A read-only open met a file whose last writer did not close cleanly; open_writer repairs it."
);
create_exception!(
    redb_cache,
    CacheIOError,
    CacheError,
    "An operating-system I/O error (missing file, permissions, disk full)."
);
create_exception!(
    redb_cache,
    TableMissing,
    CacheError,
    "A read named a table that does not exist."
);
create_exception!(
    redb_cache,
    TransactionClosed,
    CacheError,
    "The write transaction was already committed or aborted."
);
create_exception!(
    redb_cache,
    CacheClosed,
    CacheError,
    "The Reader or Writer was already closed."
);

impl From<StoreError> for PyErr {
    fn from(err: StoreError) -> PyErr {
        let message = err.message;
        match err.kind {
            ErrorKind::Busy => CacheBusy::new_err(message),
            ErrorKind::Corrupted => CacheCorrupted::new_err(message),
            ErrorKind::NeedsRepair => CacheNeedsRepair::new_err(message),
            ErrorKind::Io => CacheIOError::new_err(message),
            ErrorKind::TableMissing => TableMissing::new_err(message),
            ErrorKind::TransactionClosed => TransactionClosed::new_err(message),
            ErrorKind::Closed => CacheClosed::new_err(message),
            ErrorKind::Other => CacheError::new_err(message),
        }
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("CacheError", py.get_type::<CacheError>())?;
    m.add("CacheBusy", py.get_type::<CacheBusy>())?;
    m.add("CacheCorrupted", py.get_type::<CacheCorrupted>())?;
    m.add("CacheNeedsRepair", py.get_type::<CacheNeedsRepair>())?;
    m.add("CacheIOError", py.get_type::<CacheIOError>())?;
    m.add("TableMissing", py.get_type::<TableMissing>())?;
    m.add("TransactionClosed", py.get_type::<TransactionClosed>())?;
    m.add("CacheClosed", py.get_type::<CacheClosed>())?;
    Ok(())
}
