//! `Writer`: the read-write handle (exclusive file lock): reads, write transactions, maintenance.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError, RwLock, Weak};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use redb::{Database, ReadableDatabase};

use crate::convert::{blocking, lock, read, write};
use crate::errors::{StoreError, StoreResult, drop_quietly};
use crate::reads::{TableSource, read_pymethods};
use crate::store::{self, ReadTable};
use crate::txn::{TxnSlot, WriteTxn};

/// A redb file opened read-write. Thread-safe. redb allows one write transaction at a time per
/// file; the writer remembers it (weakly) so `close()` can abort it.
///
/// Lock order: `db` before `active`; `active` before a transaction's slot.
#[pyclass(frozen, module = "redb_cache._native")]
pub struct Writer {
    db: RwLock<Option<Database>>,
    active: Mutex<Weak<TxnSlot>>,
    path: PathBuf,
}

impl Writer {
    fn with_db<T>(&self, op: impl FnOnce(&Database) -> StoreResult<T>) -> StoreResult<T> {
        let guard = read(&self.db);
        op(guard.as_ref().ok_or_else(|| StoreError::closed("Writer"))?)
    }

    /// For maintenance that needs the handle to itself (redb refuses while transactions live).
    fn with_db_mut<T>(&self, op: impl FnOnce(&mut Database) -> StoreResult<T>) -> StoreResult<T> {
        let mut guard = write(&self.db);
        op(guard.as_mut().ok_or_else(|| StoreError::closed("Writer"))?)
    }

    /// Aborts the live write transaction, if any (its Python object then reports it closed).
    fn abort_active(&self) -> StoreResult<()> {
        let slot = lock(&self.active).upgrade();
        match slot.and_then(|slot| lock(&slot).take()) {
            Some(txn) => Ok(txn.abort()?),
            None => Ok(()),
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        let db = self
            .db
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        drop_quietly(db);
    }
}

impl TableSource for Writer {
    fn with_table<T>(
        &self,
        name: &str,
        op: impl FnOnce(&ReadTable) -> StoreResult<T>,
    ) -> StoreResult<T> {
        // A read snapshot: sees committed data only, never the open transaction's writes.
        self.with_db(|db| op(&store::read_table(&db.begin_read()?, name)?))
    }

    fn table_names(&self) -> StoreResult<Vec<String>> {
        self.with_db(|db| store::list_tables(&db.begin_read()?))
    }
}

/// Open (by default create) a redb file read-write.
///
/// Takes an exclusive lock: CacheBusy if any other Reader or Writer has the file open. A file
/// left by a crashed writer is repaired here.
#[pyfunction]
#[pyo3(signature = (path, *, create=true))]
pub fn open_writer(py: Python<'_>, path: PathBuf, create: bool) -> PyResult<Writer> {
    let db = blocking(py, || store::open_read_write(&path, create))?;
    Ok(Writer {
        db: RwLock::new(Some(db)),
        active: Mutex::new(Weak::new()),
        path,
    })
}

read_pymethods! {
    Writer {
        /// The committed value under `key` in `table`, or None.
        get;
        /// The committed values of `keys` in `table`, in order, None where missing.
        get_many;
        /// Committed keys only, in key order, limited to a prefix and/or the range [start, end)
        /// (values are never copied).
        keys;
        /// The number of committed entries in `table`.
        count;
        /// The names of all committed tables.
        list_tables;
    }
}

#[pymethods]
impl Writer {
    /// Begin the write transaction; use it as a context manager (commit on success, abort on
    /// exception). `durability` is "immediate" (fsync on commit) or "none" (made durable by
    /// the next immediate commit or a clean close). `quick_repair` saves allocator state on
    /// commit (slower commits) so the repair after a crash is near instant instead of a full
    /// scan. CacheBusy if a transaction is already open.
    #[pyo3(signature = (*, durability="immediate", quick_repair=false))]
    fn transaction(
        &self,
        py: Python<'_>,
        durability: &str,
        quick_repair: bool,
    ) -> PyResult<WriteTxn> {
        let level = store::parse_durability(durability).ok_or_else(|| {
            PyValueError::new_err(format!(
                "durability must be \"immediate\" or \"none\", not {durability:?}"
            ))
        })?;
        let slot = blocking(py, || {
            self.with_db(|db| {
                let mut active = lock(&self.active);
                let txn = store::begin_write(db, level, quick_repair)?;
                let slot: Arc<TxnSlot> = Arc::new(Mutex::new(Some(txn)));
                *active = Arc::downgrade(&slot);
                Ok(slot)
            })
        })?;
        Ok(WriteTxn::new(slot))
    }

    /// Verify every page checksum and rebuild allocator state. True if the file was intact,
    /// False if it was repaired; CacheCorrupted if it cannot be repaired.
    fn check_integrity(&self, py: Python<'_>) -> PyResult<bool> {
        blocking(py, || self.with_db_mut(|db| Ok(db.check_integrity()?)))
    }

    /// Compact the file, returning space to the OS. True if anything was compacted.
    fn compact(&self, py: Python<'_>) -> PyResult<bool> {
        blocking(py, || self.with_db_mut(|db| Ok(db.compact()?)))
    }

    /// Storage figures: file_size, stored_bytes, metadata_bytes, fragmented_bytes, tree_height,
    /// and tables ({name: entry count}). CacheBusy while a transaction is open.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let stats = blocking(py, || self.with_db(|db| store::stats(db, &self.path)))?;
        let dict = PyDict::new(py);
        dict.set_item("file_size", stats.file_size)?;
        dict.set_item("stored_bytes", stats.stored_bytes)?;
        dict.set_item("metadata_bytes", stats.metadata_bytes)?;
        dict.set_item("fragmented_bytes", stats.fragmented_bytes)?;
        dict.set_item("tree_height", stats.tree_height)?;
        let tables = PyDict::new(py);
        for (name, rows) in stats.tables {
            tables.set_item(name, rows)?;
        }
        dict.set_item("tables", tables)?;
        Ok(dict)
    }

    /// Abort any open transaction, then flush and release the file and its lock. Idempotent;
    /// later calls raise CacheClosed.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        blocking(py, || {
            // Holding `db` keeps `transaction()` from starting a new one in between.
            let mut guard = write(&self.db);
            let aborted = self.abort_active();
            let closed = match guard.take() {
                Some(db) => db.close().map_err(StoreError::from),
                None => Ok(()),
            };
            aborted.and(closed)
        })
    }

    /// Whether `close()` has been called.
    #[getter]
    fn closed(&self) -> bool {
        read(&self.db).is_none()
    }

    /// The path the writer was opened on.
    #[getter]
    fn path(&self) -> PathBuf {
        self.path.clone()
    }

    /// Enter the context: returns the writer itself.
    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Leave the context: closes the writer (aborting an open transaction); exceptions propagate.
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
        format!("<redb_cache.Writer {} ({state})>", self.path.display())
    }
}
