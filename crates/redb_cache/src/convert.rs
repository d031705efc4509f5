//! Crossing the Python/Rust boundary: argument conversion, result building, running redb work
//! with the GIL released, and lock helpers.

use std::borrow::Cow;
use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyString};

use crate::errors::{StoreResult, guarded};
use crate::store::Bytes;

/// Runs `op` (redb work) with the GIL released and panics contained, mapping failures to the
/// exception tree. Invariant: `op` must not touch Python objects, only plain Rust data.
pub fn blocking<T: Send>(
    py: Python<'_>,
    op: impl FnOnce() -> StoreResult<T> + Send,
) -> PyResult<T> {
    Ok(py.detach(|| guarded(op))?)
}

/// The bytes of a key or value: `bytes` and `bytearray` as they are, `str` as UTF-8.
/// Borrows when it can; `bytearray` is copied because Python code may resize it meanwhile.
pub fn bytes_arg<'a>(obj: &'a Bound<'_, PyAny>, what: &str) -> PyResult<Cow<'a, [u8]>> {
    if let Ok(bytes) = obj.cast::<PyBytes>() {
        Ok(Cow::Borrowed(bytes.as_bytes()))
    } else if let Ok(text) = obj.cast::<PyString>() {
        Ok(Cow::Borrowed(text.to_str()?.as_bytes()))
    } else if let Ok(array) = obj.cast::<PyByteArray>() {
        Ok(Cow::Owned(array.to_vec()))
    } else {
        Err(PyTypeError::new_err(format!(
            "{what} must be bytes, bytearray or str, not {}",
            obj.get_type().name()?
        )))
    }
}

/// An optional key (scan bounds): `None` stays `None`.
pub fn opt_bytes_arg<'a>(
    obj: Option<&'a Bound<'_, PyAny>>,
    what: &str,
) -> PyResult<Option<Cow<'a, [u8]>>> {
    obj.filter(|o| !o.is_none())
        .map(|o| bytes_arg(o, what))
        .transpose()
}

/// Holds the Python objects of an iterable of keys, so their bytes can be borrowed while the
/// GIL is released.
pub fn collect_objects<'py>(iterable: &Bound<'py, PyAny>) -> PyResult<Vec<Bound<'py, PyAny>>> {
    iterable.try_iter()?.collect()
}

pub fn key_slices<'a>(objects: &'a [Bound<'_, PyAny>]) -> PyResult<Vec<Cow<'a, [u8]>>> {
    objects.iter().map(|o| bytes_arg(o, "key")).collect()
}

pub fn as_slices<'a>(keys: &'a [Cow<'_, [u8]>]) -> Vec<&'a [u8]> {
    keys.iter().map(AsRef::as_ref).collect()
}

/// An iterator over `(key, value)` pairs: a mapping's items, or any iterable of 2-tuples.
pub fn pair_iter<'py>(items: &Bound<'py, PyAny>) -> PyResult<Bound<'py, pyo3::types::PyIterator>> {
    match items.cast::<PyDict>() {
        Ok(dict) => dict.items().into_any().try_iter(),
        Err(_) => items.try_iter(),
    }
}

pub fn to_py_bytes<'py>(py: Python<'py>, value: Option<Bytes>) -> Option<Bound<'py, PyBytes>> {
    value.map(|v| PyBytes::new(py, &v))
}

pub fn to_py_list<'py>(
    py: Python<'py>,
    values: Vec<Option<Bytes>>,
) -> Vec<Option<Bound<'py, PyBytes>>> {
    values.into_iter().map(|v| to_py_bytes(py, v)).collect()
}

pub fn to_py_pairs<'py>(
    py: Python<'py>,
    pairs: Vec<(Bytes, Bytes)>,
) -> Vec<(Bound<'py, PyBytes>, Bound<'py, PyBytes>)> {
    pairs
        .into_iter()
        .map(|(k, v)| (PyBytes::new(py, &k), PyBytes::new(py, &v)))
        .collect()
}

// A panic caught by `guarded` may poison a lock; the data behind it is still the redb handle,
// whose own state redb keeps consistent, so the binding carries on with it.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

pub fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

pub fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}
