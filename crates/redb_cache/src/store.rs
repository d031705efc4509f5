//! Store logic on top of redb, free of Python: opening files, reads over any table, the writes a
//! transaction performs, and database statistics.
//!
//! Every table is `TableDefinition<&[u8], &[u8]>` named by the caller; keys sort as raw bytes.
//! Invariant: reads never create a table (a read of a missing table is `TableMissing`), and the
//! deleting writes (`delete_many`, `clear`) leave a missing table missing.

use std::path::Path;

use redb::{
    Builder, Database, Durability, ReadOnlyDatabase, ReadOnlyTable, ReadTransaction, ReadableTable,
    ReadableTableMetadata, TableDefinition, TableHandle, WriteTransaction,
};

use crate::errors::{ErrorKind, StoreError, StoreResult};
use crate::range::{self, ScanSpec};

pub type Bytes = Vec<u8>;
type Key = &'static [u8];
pub type TableDef<'n> = TableDefinition<'n, Key, Key>;
pub type ReadTable = ReadOnlyTable<Key, Key>;
pub type WriteTable<'t> = redb::Table<'t, Key, Key>;

// redb's default page cache is 1 GiB per handle. A reader is opened per request, so it gets a
// small cache; a writer bulk-loads, so it keeps a larger one.
const READER_CACHE_BYTES: usize = 16 * 1024 * 1024;
const WRITER_CACHE_BYTES: usize = 256 * 1024 * 1024;

pub fn table_def(name: &str) -> TableDef<'_> {
    TableDefinition::new(name)
}

/// Opens `path` read-only: a shared lock, so many processes may read at once, but none while a
/// writer has the file open. Fails with `NeedsRepair` if the last writer did not close cleanly.
pub fn open_read_only(path: &Path) -> StoreResult<ReadOnlyDatabase> {
    Ok(Builder::new()
        .set_cache_size(READER_CACHE_BYTES)
        .open_read_only(path)?)
}

/// Opens `path` read-write under an exclusive lock, creating (or initialising an empty) file
/// when `create` is set. Recovers a file left by a crashed writer.
pub fn open_read_write(path: &Path, create: bool) -> StoreResult<Database> {
    let mut builder = Builder::new();
    builder.set_cache_size(WRITER_CACHE_BYTES);
    let db = if create {
        builder.create(path)?
    } else {
        builder.open(path)?
    };
    Ok(db)
}

/// The durability names the binding accepts; redb 4 has no "eventual" level.
pub fn parse_durability(name: &str) -> Option<Durability> {
    match name {
        "immediate" => Some(Durability::Immediate),
        "none" => Some(Durability::None),
        _ => None,
    }
}

/// Starts the database's single write transaction without waiting: `Busy` if one is running.
pub fn begin_write(
    db: &Database,
    durability: Durability,
    quick_repair: bool,
) -> StoreResult<WriteTransaction> {
    let mut txn = db.try_begin_write()?;
    txn.set_durability(durability)?;
    txn.set_quick_repair(quick_repair);
    Ok(txn)
}

// ---- reads, on any readable table (the binding reads read-only snapshots) ----

pub fn get(table: &impl ReadableTable<Key, Key>, key: &[u8]) -> StoreResult<Option<Bytes>> {
    Ok(table.get(key)?.map(|guard| guard.value().to_vec()))
}

pub fn get_many(
    table: &impl ReadableTable<Key, Key>,
    keys: &[&[u8]],
) -> StoreResult<Vec<Option<Bytes>>> {
    keys.iter().map(|key| get(table, key)).collect()
}

pub fn count(table: &impl ReadableTableMetadata) -> StoreResult<u64> {
    Ok(table.len()?)
}

/// Key/value pairs in key order (or reversed), bounded by `spec`.
pub fn scan(
    table: &impl ReadableTable<Key, Key>,
    spec: &ScanSpec<'_>,
) -> StoreResult<Vec<(Bytes, Bytes)>> {
    let Some(bounds) = range::resolve(spec) else {
        return Ok(Vec::new());
    };
    let entries = table.range::<&[u8]>(bounds.as_range())?;
    let limit = spec.limit.unwrap_or(usize::MAX);
    let copy = |entry: redb::Result<(redb::AccessGuard<'_, Key>, redb::AccessGuard<'_, Key>)>| {
        entry
            .map(|(k, v)| (k.value().to_vec(), v.value().to_vec()))
            .map_err(StoreError::from)
    };
    if spec.reverse {
        entries.rev().take(limit).map(copy).collect()
    } else {
        entries.take(limit).map(copy).collect()
    }
}

/// Keys only, bounded like `scan`: values are never copied (a keys pass over a table of large
/// values then costs the keys' size, not the table's).
pub fn scan_keys(
    table: &impl ReadableTable<Key, Key>,
    spec: &ScanSpec<'_>,
) -> StoreResult<Vec<Bytes>> {
    let Some(bounds) = range::resolve(spec) else {
        return Ok(Vec::new());
    };
    let entries = table.range::<&[u8]>(bounds.as_range())?;
    let limit = spec.limit.unwrap_or(usize::MAX);
    let copy = |entry: redb::Result<(redb::AccessGuard<'_, Key>, redb::AccessGuard<'_, Key>)>| {
        entry
            .map(|(k, _)| k.value().to_vec())
            .map_err(StoreError::from)
    };
    if spec.reverse {
        entries.rev().take(limit).map(copy).collect()
    } else {
        entries.take(limit).map(copy).collect()
    }
}

/// Opens an existing table in a read transaction (`TableMissing` otherwise).
pub fn read_table(txn: &ReadTransaction, name: &str) -> StoreResult<ReadTable> {
    Ok(txn.open_table(table_def(name))?)
}

pub fn list_tables(txn: &ReadTransaction) -> StoreResult<Vec<String>> {
    Ok(txn.list_tables()?.map(|t| t.name().to_string()).collect())
}

// ---- writes, inside a write transaction ----

pub fn table_exists(txn: &WriteTransaction, name: &str) -> StoreResult<bool> {
    Ok(txn.list_tables()?.any(|t| t.name() == name))
}

/// Opens `name` for writing, creating it if needed.
pub fn write_table<'t>(txn: &'t WriteTransaction, name: &str) -> StoreResult<WriteTable<'t>> {
    Ok(txn.open_table(table_def(name))?)
}

/// Opens `name` only if it exists: `write_table` would create it, which a delete must not do.
pub fn existing_table<'t>(
    txn: &'t WriteTransaction,
    name: &str,
) -> StoreResult<Option<WriteTable<'t>>> {
    if table_exists(txn, name)? {
        write_table(txn, name).map(Some)
    } else {
        Ok(None)
    }
}

pub fn put_many<'a>(
    txn: &WriteTransaction,
    name: &str,
    items: impl IntoIterator<Item = (&'a [u8], &'a [u8])>,
) -> StoreResult<()> {
    let mut table = write_table(txn, name)?;
    for (key, value) in items {
        table.insert(key, value)?;
    }
    Ok(())
}

/// Deletes `keys` from `name`; returns how many were present. A missing table deletes nothing.
pub fn delete_many(txn: &WriteTransaction, name: &str, keys: &[&[u8]]) -> StoreResult<u64> {
    let Some(mut table) = existing_table(txn, name)? else {
        return Ok(0);
    };
    let mut deleted = 0;
    for key in keys {
        if table.remove(*key)?.is_some() {
            deleted += 1;
        }
    }
    Ok(deleted)
}

/// Empties `name`, keeping the (now empty) table; returns how many entries it had.
pub fn clear(txn: &WriteTransaction, name: &str) -> StoreResult<u64> {
    let Some(table) = existing_table(txn, name)? else {
        return Ok(0);
    };
    let removed = table.len()?;
    // Deleting and recreating frees whole pages instead of removing entries one by one; the
    // handle must be dropped first or redb reports the table as already open.
    drop(table);
    txn.delete_table(table_def(name))?;
    write_table(txn, name)?;
    Ok(removed)
}

/// Deletes the table itself; returns whether it existed.
pub fn drop_table(txn: &WriteTransaction, name: &str) -> StoreResult<bool> {
    Ok(txn.delete_table(table_def(name))?)
}

// ---- maintenance ----

/// Storage figures of a database, as `Writer.stats()` returns them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stats {
    pub file_size: u64,
    pub stored_bytes: u64,
    pub metadata_bytes: u64,
    pub fragmented_bytes: u64,
    pub tree_height: u32,
    pub tables: Vec<(String, u64)>,
}

/// Gathers `Stats`. redb only reports storage figures from a write transaction, so this needs the
/// writer slot free (`Busy` otherwise); the transaction is aborted, changing nothing.
pub fn stats(db: &Database, path: &Path) -> StoreResult<Stats> {
    let txn = db.try_begin_write()?;
    let figures = txn.stats()?;
    let mut tables = Vec::new();
    for handle in txn.list_tables()? {
        let name = handle.name().to_string();
        let rows = count(&write_table(&txn, &name)?)?;
        tables.push((name, rows));
    }
    txn.abort()?;
    let file_size = std::fs::metadata(path)
        .map_err(|e| StoreError::new(ErrorKind::Io, e.to_string()))?
        .len();
    Ok(Stats {
        file_size,
        stored_bytes: figures.stored_bytes(),
        metadata_bytes: figures.metadata_bytes(),
        fragmented_bytes: figures.fragmented_bytes(),
        tree_height: figures.tree_height(),
        tables,
    })
}
