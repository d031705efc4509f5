//! `redb_cache._native`: a small PyO3 binding of the redb key-value store.
//!
//! Layout, one job per file:
//! - `errors.rs`: the store's error kinds and the mapping from every redb error (pure Rust);
//! - `range.rs`: scan bounds from a prefix and/or half-open range (pure Rust);
//! - `store.rs`: opening files, reads, writes and stats on redb (pure Rust);
//! - `exceptions.rs`, `convert.rs`: the Python exception tree and argument conversion;
//! - `reads.rs`: the read methods of `Reader` and `Writer`, written once (`read_pymethods!`);
//! - `reader.rs`, `writer.rs`, `txn.rs`: the three Python classes.
//!
//! Everything touching Python is behind the `extension-module` feature, so `cargo test` runs
//! the store logic without an interpreter.

pub mod errors;
pub mod range;
pub mod store;

#[cfg(feature = "extension-module")]
mod convert;
#[cfg(feature = "extension-module")]
mod exceptions;
#[cfg(feature = "extension-module")]
mod reader;
#[cfg(feature = "extension-module")]
mod reads;
#[cfg(feature = "extension-module")]
mod txn;
#[cfg(feature = "extension-module")]
mod writer;

#[cfg(test)]
mod tests;

#[cfg(feature = "extension-module")]
#[pyo3::pymodule]
mod _native {
    use pyo3::prelude::*;

    #[pymodule_export]
    use crate::reader::{Reader, open_reader};
    #[pymodule_export]
    use crate::txn::WriteTxn;
    #[pymodule_export]
    use crate::writer::{Writer, open_writer};

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        crate::exceptions::register(m)
    }
}
