//! The read methods of `Reader` and `Writer`, written once: `read_pymethods!` emits a class's
//! Python read methods, and the functions below do the work (argument conversion, the redb call
//! with the GIL released, the Python result). Each class only says where its tables come from
//! (`TableSource`) and which reads it offers.

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::convert::{
    as_slices, blocking, bytes_arg, collect_objects, key_slices, opt_bytes_arg, to_py_bytes,
    to_py_list, to_py_pairs,
};
use crate::errors::StoreResult;
use crate::range::ScanSpec;
use crate::store::{self, ReadTable};

/// Where a class finds the table a read names. Invariant: a missing table is `TableMissing`,
/// never created.
pub trait TableSource: Sync {
    /// Runs `op` on the table `name`, inside one read snapshot.
    fn with_table<T>(
        &self,
        name: &str,
        op: impl FnOnce(&ReadTable) -> StoreResult<T>,
    ) -> StoreResult<T>;

    /// Names of all tables, sorted by redb's order.
    fn table_names(&self) -> StoreResult<Vec<String>>;
}

/// Emits the Python read methods a `TableSource` class names, each preceded by the docstring
/// the class gives it (Python shows it), e.g.
///
/// ```ignore
/// read_pymethods! {
///     Reader {
///         /// The value stored under `key` in `table`, or None.
///         get;
///         /// The names of all tables.
///         list_tables;
///     }
/// }
/// ```
///
/// Reads: `get`, `get_many`, `scan`, `keys`, `count`, `list_tables`; an unknown name, or one
/// without a docstring, is a compile error. Each becomes a `#[pymethods]` block of its own beside the class's block,
/// which pyo3 allows with its `multiple-pymethods` feature (Cargo.toml). The bodies only
/// forward to the functions below; the paths are absolute so the macro works in any module.
macro_rules! read_pymethods {
    ($class:ident { $( $(#[doc = $doc:tt])+ $read:ident; )* }) => {
        $( $crate::reads::read_pymethods!(@$read $class [$(#[doc = $doc])+]); )*
    };
    (@get $class:ident [$($doc:tt)*]) => {
        #[::pyo3::pymethods]
        impl $class {
            $($doc)*
            fn get<'py>(
                &self,
                py: ::pyo3::Python<'py>,
                table: &str,
                key: &::pyo3::Bound<'py, ::pyo3::PyAny>,
            ) -> ::pyo3::PyResult<Option<::pyo3::Bound<'py, ::pyo3::types::PyBytes>>> {
                $crate::reads::get(py, self, table, key)
            }
        }
    };
    (@get_many $class:ident [$($doc:tt)*]) => {
        #[::pyo3::pymethods]
        impl $class {
            $($doc)*
            fn get_many<'py>(
                &self,
                py: ::pyo3::Python<'py>,
                table: &str,
                keys: &::pyo3::Bound<'py, ::pyo3::PyAny>,
            ) -> ::pyo3::PyResult<Vec<Option<::pyo3::Bound<'py, ::pyo3::types::PyBytes>>>> {
                $crate::reads::get_many(py, self, table, keys)
            }
        }
    };
    (@scan $class:ident [$($doc:tt)*]) => {
        $crate::reads::read_pymethods!(@range $class scan [$($doc)*] Vec<(
            ::pyo3::Bound<'py, ::pyo3::types::PyBytes>,
            ::pyo3::Bound<'py, ::pyo3::types::PyBytes>,
        )>);
    };
    (@keys $class:ident [$($doc:tt)*]) => {
        $crate::reads::read_pymethods!(
            @range $class keys [$($doc)*] Vec<::pyo3::Bound<'py, ::pyo3::types::PyBytes>>
        );
    };
    // scan and keys take the same range arguments; only what they return differs.
    (@range $class:ident $read:ident [$($doc:tt)*] $out:ty) => {
        #[::pyo3::pymethods]
        impl $class {
            $($doc)*
            #[pyo3(signature = (
                table, *, prefix=None, start=None, end=None, limit=None, reverse=false
            ))]
            #[allow(clippy::too_many_arguments)]
            fn $read<'py>(
                &self,
                py: ::pyo3::Python<'py>,
                table: &str,
                prefix: Option<&::pyo3::Bound<'py, ::pyo3::PyAny>>,
                start: Option<&::pyo3::Bound<'py, ::pyo3::PyAny>>,
                end: Option<&::pyo3::Bound<'py, ::pyo3::PyAny>>,
                limit: Option<usize>,
                reverse: bool,
            ) -> ::pyo3::PyResult<$out> {
                let args = $crate::reads::ScanArgs { prefix, start, end, limit, reverse };
                $crate::reads::$read(py, self, table, &args)
            }
        }
    };
    (@count $class:ident [$($doc:tt)*]) => {
        #[::pyo3::pymethods]
        impl $class {
            $($doc)*
            fn count(&self, py: ::pyo3::Python<'_>, table: &str) -> ::pyo3::PyResult<u64> {
                $crate::reads::count(py, self, table)
            }
        }
    };
    (@list_tables $class:ident [$($doc:tt)*]) => {
        #[::pyo3::pymethods]
        impl $class {
            $($doc)*
            fn list_tables(&self, py: ::pyo3::Python<'_>) -> ::pyo3::PyResult<Vec<String>> {
                $crate::reads::list_tables(py, self)
            }
        }
    };
}
pub(crate) use read_pymethods;

/// The Python arguments of `scan` and `keys`, as received.
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
    let value = blocking(py, || src.with_table(table, |t| store::get(t, &key)))?;
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
    let values = blocking(py, || {
        src.with_table(table, |t| store::get_many(t, &slices))
    })?;
    Ok(to_py_list(py, values))
}

pub fn count(py: Python<'_>, src: &impl TableSource, table: &str) -> PyResult<u64> {
    blocking(py, || src.with_table(table, store::count))
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
    let pairs = blocking(py, || src.with_table(table, |t| store::scan(t, &spec)))?;
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
    let keys = blocking(py, || src.with_table(table, |t| store::scan_keys(t, &spec)))?;
    Ok(keys.into_iter().map(|k| PyBytes::new(py, &k)).collect())
}

pub fn list_tables(py: Python<'_>, src: &impl TableSource) -> PyResult<Vec<String>> {
    blocking(py, || src.table_names())
}
