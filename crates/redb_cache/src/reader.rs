//! `Reader`: a read-only handle (shared file lock) for request-time lookups.

use std::path::PathBuf;
use std::sync::{PoisonError, RwLock};

use pyo3::prelude::*;
use redb::{ReadOnlyDatabase, ReadableDatabase};

use crate::convert::{blocking, read, write};
use crate::errors::{StoreError, StoreResult, drop_quietly};
use crate::reads::{TableSource, read_pymethods};
use crate::store::{self, ReadTable};

/// A read-only redb file. Thread-safe: the handle sits behind a lock so Django threads may
/// share one; `close()` waits for reads in flight.
#[pyclass(frozen, module = "redb_cache._native")]
pub struct Reader {
    db: RwLock<Option<ReadOnlyDatabase>>,
    path: PathBuf,
}

impl Drop for Reader {
    fn drop(&mut self) {
        let db = self
            .db
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        drop_quietly(db);
    }
}

impl TableSource for Reader {
    fn with_table<T>(
        &self,
        name: &str,
        op: impl FnOnce(&ReadTable) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let guard = read(&self.db);
        let db = guard.as_ref().ok_or_else(|| StoreError::closed("Reader"))?;
        let txn = db.begin_read()?;
        op(&store::read_table(&txn, name)?)
    }

    fn table_names(&self) -> StoreResult<Vec<String>> {
        let guard = read(&self.db);
        let db = guard.as_ref().ok_or_else(|| StoreError::closed("Reader"))?;
        store::list_tables(&db.begin_read()?)
    }
}

/// Open an existing redb file read-only.
///
/// Takes a shared lock: any number of readers (in any processes) may be open at once, but not
/// while a Writer has the file open (CacheBusy).
#[pyfunction]
pub fn open_reader(py: Python<'_>, path: PathBuf) -> PyResult<Reader> {
    let db = blocking(py, || store::open_read_only(&path))?;
    Ok(Reader {
        db: RwLock::new(Some(db)),
        path,
    })
}

read_pymethods! {
    Reader {
        /// The value stored under `key` in `table`, or None.
        get;
        /// The values of `keys` in `table`, in order, None where missing.
        get_many;
        /// `(key, value)` pairs in key order, limited to a prefix and/or the range [start, end).
        scan;
        /// The names of all tables.
        list_tables;
    }
}

#[pymethods]
impl Reader {
    /// Release the file and its lock. Idempotent; later calls raise CacheClosed.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        blocking(py, || match write(&self.db).take() {
            Some(db) => Ok(db.close()?),
            None => Ok(()),
        })
    }

    /// Whether `close()` has been called.
    #[getter]
    fn closed(&self) -> bool {
        read(&self.db).is_none()
    }

    /// The path the reader was opened on.
    #[getter]
    fn path(&self) -> PathBuf {
        self.path.clone()
    }

    /// Enter the context: returns the reader itself.
    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Leave the context: closes the reader; exceptions propagate.
    fn __exit__(
        &self,
        py: Python<'_>,
        exc_type: Option<&Bound<'_, PyAny>>,
        exc_value: Option<&Bound<'_, PyAny>>,
        traceback: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        let _ = (exc_type, exc_value, traceback);
        self.close(py)?;
        Ok(false)
    }

    /// A short description with the path and state.
    fn __repr__(&self) -> String {
        let state = if self.closed() { "closed" } else { "open" };
        format!("<redb_cache.Reader {} ({state})>", self.path.display())
    }
}
