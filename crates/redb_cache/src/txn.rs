//! `WriteTxn`: one redb write transaction, as a context manager.

use std::borrow::Cow;
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;
use redb::WriteTransaction;

use crate::convert::{
    as_slices, blocking, bytes_arg, collect_objects, key_slices, lock, pair_iter,
};
use crate::errors::{StoreError, StoreResult, drop_quietly};
use crate::store;

/// The transaction, shared with the `Writer` (weakly) so closing the writer can abort it.
/// `None` once committed or aborted.
pub type TxnSlot = Mutex<Option<WriteTransaction>>;

/// `put_many` hands items to redb in chunks, so a huge generator is never held in memory whole.
const PUT_CHUNK: usize = 10_000;

/// A write transaction: commit on success, abort on exception when used with `with`.
#[pyclass(frozen, module = "redb_cache._native")]
pub struct WriteTxn {
    slot: Arc<TxnSlot>,
}

impl WriteTxn {
    pub fn new(slot: Arc<TxnSlot>) -> Self {
        Self { slot }
    }

    fn with_txn<T>(&self, op: impl FnOnce(&WriteTransaction) -> StoreResult<T>) -> StoreResult<T> {
        let guard = lock(&self.slot);
        op(guard.as_ref().ok_or_else(StoreError::transaction_closed)?)
    }

    fn take(&self) -> StoreResult<WriteTransaction> {
        lock(&self.slot)
            .take()
            .ok_or_else(StoreError::transaction_closed)
    }
}

impl Drop for WriteTxn {
    fn drop(&mut self) {
        // The writer holds the slot only weakly: this object owns the transaction, and dropping
        // an uncommitted one aborts it.
        let txn = lock(&self.slot).take();
        drop_quietly(txn);
    }
}

#[pymethods]
impl WriteTxn {
    /// Store `value` under `key` in `table` (created if missing), replacing any old value.
    fn put(
        &self,
        py: Python<'_>,
        table: &str,
        key: &Bound<'_, PyAny>,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let key = bytes_arg(key, "key")?;
        let value = bytes_arg(value, "value")?;
        blocking(py, || {
            self.with_txn(|txn| store::put_many(txn, table, [(&*key, &*value)]))
        })
    }

    /// Store every `(key, value)` pair of `items` (an iterable of pairs, or a mapping) in
    /// `table`, created if missing (even for no items). Returns the number of pairs written.
    fn put_many(&self, py: Python<'_>, table: &str, items: &Bound<'_, PyAny>) -> PyResult<usize> {
        let mut pairs_iter = pair_iter(items)?;
        let mut written = 0;
        loop {
            let mut held = Vec::with_capacity(PUT_CHUNK);
            for item in pairs_iter.by_ref().take(PUT_CHUNK) {
                let (key, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item?.extract()?;
                held.push((key, value));
            }
            // An empty first chunk still goes to redb: like `put`, `put_many` creates the table.
            if held.is_empty() && written > 0 {
                return Ok(written);
            }
            let pairs = held
                .iter()
                .map(|(k, v)| Ok((bytes_arg(k, "key")?, bytes_arg(v, "value")?)))
                .collect::<PyResult<Vec<(Cow<'_, [u8]>, Cow<'_, [u8]>)>>>()?;
            blocking(py, || {
                self.with_txn(|txn| {
                    store::put_many(txn, table, pairs.iter().map(|(k, v)| (&**k, &**v)))
                })
            })?;
            written += pairs.len();
            if pairs.len() < PUT_CHUNK {
                return Ok(written);
            }
        }
    }

    /// Delete `key` from `table`; True if it was present. A missing table deletes nothing.
    fn delete(&self, py: Python<'_>, table: &str, key: &Bound<'_, PyAny>) -> PyResult<bool> {
        let key = bytes_arg(key, "key")?;
        blocking(py, || {
            self.with_txn(|txn| store::delete_many(txn, table, &[&key]))
        })
        .map(|n| n == 1)
    }

    /// Delete every key of `keys` from `table`; returns how many were actually present.
    fn delete_many(&self, py: Python<'_>, table: &str, keys: &Bound<'_, PyAny>) -> PyResult<u64> {
        let objects = collect_objects(keys)?;
        let owned = key_slices(&objects)?;
        let slices = as_slices(&owned);
        blocking(py, || {
            self.with_txn(|txn| store::delete_many(txn, table, &slices))
        })
    }

    /// Remove every entry of `table`, keeping the table; returns how many there were.
    fn clear(&self, py: Python<'_>, table: &str) -> PyResult<u64> {
        blocking(py, || self.with_txn(|txn| store::clear(txn, table)))
    }

    /// Delete `table` itself; True if it existed.
    fn drop_table(&self, py: Python<'_>, table: &str) -> PyResult<bool> {
        blocking(py, || self.with_txn(|txn| store::drop_table(txn, table)))
    }

    /// Make the writes durable (per the transaction's durability) and end the transaction.
    fn commit(&self, py: Python<'_>) -> PyResult<()> {
        blocking(py, || Ok(self.take()?.commit()?))
    }

    /// Discard the writes and end the transaction.
    fn abort(&self, py: Python<'_>) -> PyResult<()> {
        blocking(py, || Ok(self.take()?.abort()?))
    }

    /// Whether the transaction has been committed or aborted.
    #[getter]
    fn closed(&self) -> bool {
        lock(&self.slot).is_none()
    }

    /// Enter the context: returns the transaction itself.
    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Leave the context: commit if the block succeeded, abort if it raised. Does nothing if
    /// the block already committed or aborted. Exceptions propagate.
    fn __exit__(
        &self,
        py: Python<'_>,
        exc_type: Option<&Bound<'_, PyAny>>,
        exc_value: Option<&Bound<'_, PyAny>>,
        traceback: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        let _ = (exc_value, traceback);
        let succeeded = exc_type.is_none_or(|t| t.is_none());
        blocking(py, || {
            let Some(txn) = lock(&self.slot).take() else {
                return Ok(());
            };
            if succeeded {
                Ok(txn.commit()?)
            } else {
                Ok(txn.abort()?)
            }
        })?;
        Ok(false)
    }

    /// A short description with the state.
    fn __repr__(&self) -> String {
        let state = if self.closed() { "closed" } else { "open" };
        format!("<redb_cache.WriteTxn ({state})>")
    }
}
