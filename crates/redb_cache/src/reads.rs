//! The read API shared by `Reader`, `Writer` and `WriteTxn`: argument conversion, the redb call
//! with the GIL released, and the Python result. Each class only says where its tables come from.

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::convert::{
    as_slices, blocking, bytes_arg, collect_objects, key_slices, opt_bytes_arg, to_py_bytes,
    to_py_list, to_py_pairs,
};
use crate::errors::StoreResult;
use crate::range::ScanSpec;
use crate::store::Lookup;

/// Where a class finds the table a read names. Invariant: a missing table is `TableMissing`,
/// never created.
pub trait TableSource: Sync {
    /// Runs `op` on the table `name`, inside one read snapshot.
    fn with_table<T>(
        &self,
        name: &str,
        op: impl FnOnce(&dyn Lookup) -> StoreResult<T>,
    ) -> StoreResult<T>;

    /// Names of all tables, sorted by redb's order.
    fn table_names(&self) -> StoreResult<Vec<String>>;
}

/// The Python arguments of `scan`, as received.
pub struct ScanArgs<'a, 'py> {
    pub prefix: Option<&'a Bound<'py, PyAny>>,
    pub start: Option<&'a Bound<'py, PyAny>>,
    pub end: Option<&'a Bound<'py, PyAny>>,
    pub limit: Option<usize>,
    pub reverse: bool,
}

impl ScanArgs<'_, '_> {
    fn spec<'s>(
        &self,
        prefix: Option<&'s [u8]>,
        start: Option<&'s [u8]>,
        end: Option<&'s [u8]>,
    ) -> ScanSpec<'s> {
        ScanSpec {
            prefix,
            start,
            end,
            limit: self.limit,
            reverse: self.reverse,
        }
    }
}

pub fn get<'py>(
    py: Python<'py>,
    src: &impl TableSource,
    table: &str,
    key: &Bound<'py, PyAny>,
) -> PyResult<Option<Bound<'py, PyBytes>>> {
    let key = bytes_arg(key, "key")?;
    let value = blocking(py, || src.with_table(table, |t| t.get(&key)))?;
    Ok(to_py_bytes(py, value))
}

pub fn get_many<'py>(
    py: Python<'py>,
    src: &impl TableSource,
    table: &str,
    keys: &Bound<'py, PyAny>,
) -> PyResult<Vec<Option<Bound<'py, PyBytes>>>> {
    let objects = collect_objects(keys)?;
    let owned = key_slices(&objects)?;
    let slices = as_slices(&owned);
    let values = blocking(py, || src.with_table(table, |t| t.get_many(&slices)))?;
    Ok(to_py_list(py, values))
}

pub fn contains(
    py: Python<'_>,
    src: &impl TableSource,
    table: &str,
    key: &Bound<'_, PyAny>,
) -> PyResult<bool> {
    let key = bytes_arg(key, "key")?;
    blocking(py, || src.with_table(table, |t| t.contains(&key)))
}

pub fn count(py: Python<'_>, src: &impl TableSource, table: &str) -> PyResult<u64> {
    blocking(py, || src.with_table(table, |t| t.count()))
}

pub fn scan<'py>(
    py: Python<'py>,
    src: &impl TableSource,
    table: &str,
    args: &ScanArgs<'_, 'py>,
) -> PyResult<Vec<(Bound<'py, PyBytes>, Bound<'py, PyBytes>)>> {
    let prefix = opt_bytes_arg(args.prefix, "prefix")?;
    let start = opt_bytes_arg(args.start, "start")?;
    let end = opt_bytes_arg(args.end, "end")?;
    let spec = args.spec(prefix.as_deref(), start.as_deref(), end.as_deref());
    let pairs = blocking(py, || src.with_table(table, |t| t.scan(&spec)))?;
    Ok(to_py_pairs(py, pairs))
}

/// Like `scan`, keys only: the values are never copied out of redb.
pub fn keys<'py>(
    py: Python<'py>,
    src: &impl TableSource,
    table: &str,
    args: &ScanArgs<'_, 'py>,
) -> PyResult<Vec<Bound<'py, PyBytes>>> {
    let prefix = opt_bytes_arg(args.prefix, "prefix")?;
    let start = opt_bytes_arg(args.start, "start")?;
    let end = opt_bytes_arg(args.end, "end")?;
    let spec = args.spec(prefix.as_deref(), start.as_deref(), end.as_deref());
    let keys = blocking(py, || src.with_table(table, |t| t.scan_keys(&spec)))?;
    Ok(keys.into_iter().map(|k| PyBytes::new(py, &k)).collect())
}

pub fn list_tables(py: Python<'_>, src: &impl TableSource) -> PyResult<Vec<String>> {
    blocking(py, || src.table_names())
}
