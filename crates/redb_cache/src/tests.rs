//! Store logic against real redb files in a temp dir (no Python involved).

use std::path::PathBuf;

use redb::{Durability, ReadableDatabase};
use tempfile::TempDir;

use crate::errors::ErrorKind;
use crate::range::ScanSpec;
use crate::store;

fn temp_db() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.redb");
    (dir, path)
}

fn fill(db: &redb::Database, table: &str, items: &[(&[u8], &[u8])]) {
    let txn = store::begin_write(db, Durability::Immediate, false).unwrap();
    store::put_many(&txn, table, items.iter().copied()).unwrap();
    txn.commit().unwrap();
}

#[test]
fn put_get_count_round_trip() {
    let (_dir, path) = temp_db();
    let db = store::open_read_write(&path, true).unwrap();
    fill(&db, "t", &[(b"a", b"1"), (b"b", b"2")]);
    let txn = db.begin_read().unwrap();
    let table = store::read_table(&txn, "t").unwrap();
    assert_eq!(store::get(&table, b"a").unwrap(), Some(b"1".to_vec()));
    assert_eq!(store::get(&table, b"zz").unwrap(), None);
    assert_eq!(store::count(&table).unwrap(), 2);
    assert_eq!(
        store::get_many(&table, &[b"b", b"x"]).unwrap(),
        vec![Some(b"2".to_vec()), None]
    );
    assert_eq!(store::list_tables(&txn).unwrap(), vec!["t".to_string()]);
}

#[test]
fn missing_table_is_reported_not_created() {
    let (_dir, path) = temp_db();
    let db = store::open_read_write(&path, true).unwrap();
    let err = store::read_table(&db.begin_read().unwrap(), "nope").unwrap_err();
    assert_eq!(err.kind, ErrorKind::TableMissing);

    let txn = store::begin_write(&db, Durability::Immediate, false).unwrap();
    assert!(store::existing_table(&txn, "nope").unwrap().is_none());
    assert_eq!(store::delete_many(&txn, "nope", &[b"k"]).unwrap(), 0);
    assert_eq!(store::clear(&txn, "nope").unwrap(), 0);
    assert!(!store::table_exists(&txn, "nope").unwrap());
    txn.commit().unwrap();
}

#[test]
fn scan_prefix_range_limit_reverse() {
    let (_dir, path) = temp_db();
    let db = store::open_read_write(&path, true).unwrap();
    fill(
        &db,
        "t",
        &[
            (b"a1", b""),
            (b"a2", b""),
            (b"a3", b""),
            (b"b1", b""),
            (b"\xff", b""),
        ],
    );
    let txn = db.begin_read().unwrap();
    let table = store::read_table(&txn, "t").unwrap();
    let keys = |spec: ScanSpec<'_>| -> Vec<Vec<u8>> {
        store::scan(&table, &spec)
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect()
    };
    let all = keys(ScanSpec::default());
    assert_eq!(all.len(), 5);
    let prefix_a = ScanSpec {
        prefix: Some(b"a"),
        ..ScanSpec::default()
    };
    assert_eq!(
        keys(prefix_a),
        vec![b"a1".to_vec(), b"a2".to_vec(), b"a3".to_vec()]
    );
    let reversed = ScanSpec {
        prefix: Some(b"a"),
        reverse: true,
        limit: Some(2),
        ..ScanSpec::default()
    };
    assert_eq!(keys(reversed), vec![b"a3".to_vec(), b"a2".to_vec()]);
    let range = ScanSpec {
        start: Some(b"a2"),
        end: Some(b"b1"),
        ..ScanSpec::default()
    };
    assert_eq!(keys(range), vec![b"a2".to_vec(), b"a3".to_vec()]);
    let backwards = ScanSpec {
        start: Some(b"b"),
        end: Some(b"a"),
        ..ScanSpec::default()
    };
    assert!(keys(backwards).is_empty());
}

#[test]
fn scan_keys_matches_scan_without_values() {
    let (_dir, path) = temp_db();
    let db = store::open_read_write(&path, true).unwrap();
    fill(&db, "t", &[(b"a1", b"x"), (b"a2", b"yy"), (b"b1", b"zzz")]);
    let txn = db.begin_read().unwrap();
    let table = store::read_table(&txn, "t").unwrap();
    for spec in [
        ScanSpec::default(),
        ScanSpec {
            prefix: Some(b"a"),
            reverse: true,
            limit: Some(1),
            ..ScanSpec::default()
        },
        ScanSpec {
            start: Some(b"a2"),
            ..ScanSpec::default()
        },
    ] {
        let from_pairs: Vec<Vec<u8>> = store::scan(&table, &spec)
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(store::scan_keys(&table, &spec).unwrap(), from_pairs);
    }
}

#[test]
fn delete_clear_and_drop() {
    let (_dir, path) = temp_db();
    let db = store::open_read_write(&path, true).unwrap();
    fill(&db, "t", &[(b"a", b"1"), (b"b", b"2"), (b"c", b"3")]);
    fill(&db, "u", &[(b"x", b"1")]);
    let txn = store::begin_write(&db, Durability::Immediate, false).unwrap();
    assert_eq!(
        store::delete_many(&txn, "t", &[b"a", b"a", b"zz"]).unwrap(),
        1
    );
    assert_eq!(store::clear(&txn, "t").unwrap(), 2);
    assert!(store::table_exists(&txn, "t").unwrap());
    assert!(store::drop_table(&txn, "u").unwrap());
    assert!(!store::drop_table(&txn, "u").unwrap());
    txn.commit().unwrap();
    let read = db.begin_read().unwrap();
    assert_eq!(
        store::count(&store::read_table(&read, "t").unwrap()).unwrap(),
        0
    );
    assert_eq!(store::list_tables(&read).unwrap(), vec!["t".to_string()]);
}

#[test]
fn abort_discards_writes() {
    let (_dir, path) = temp_db();
    let db = store::open_read_write(&path, true).unwrap();
    fill(&db, "t", &[(b"kept", b"1")]);
    let txn = store::begin_write(&db, Durability::Immediate, false).unwrap();
    store::put_many(&txn, "t", [(&b"gone"[..], &b"2"[..])]).unwrap();
    assert_eq!(
        store::get(&store::write_table(&txn, "t").unwrap(), b"gone").unwrap(),
        Some(b"2".to_vec())
    );
    txn.abort().unwrap();
    let read = db.begin_read().unwrap();
    let table = store::read_table(&read, "t").unwrap();
    assert_eq!(store::count(&table).unwrap(), 1);
}

#[test]
fn second_write_transaction_is_busy() {
    let (_dir, path) = temp_db();
    let db = store::open_read_write(&path, true).unwrap();
    let _first = store::begin_write(&db, Durability::Immediate, false).unwrap();
    let err = store::begin_write(&db, Durability::Immediate, false)
        .err()
        .unwrap();
    assert_eq!(err.kind, ErrorKind::Busy);
}

#[test]
fn reader_sees_committed_data_and_excludes_writer() {
    let (_dir, path) = temp_db();
    {
        let db = store::open_read_write(&path, true).unwrap();
        fill(&db, "t", &[(b"k", b"v")]);
        // A second read-write open of a file this handle holds is refused.
        let err = store::open_read_write(&path, true).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Busy);
    }
    let reader = store::open_read_only(&path).unwrap();
    let txn = reader.begin_read().unwrap();
    let table = store::read_table(&txn, "t").unwrap();
    assert_eq!(store::get(&table, b"k").unwrap(), Some(b"v".to_vec()));
}

#[test]
fn open_errors_have_kinds() {
    let (dir, path) = temp_db();
    let err = store::open_read_only(&path).err().unwrap();
    assert_eq!(err.kind, ErrorKind::Io);
    assert_eq!(
        store::open_read_write(&path, false).unwrap_err().kind,
        ErrorKind::Io
    );
    let junk = dir.path().join("junk.redb");
    std::fs::write(&junk, vec![0xA5_u8; 64 * 1024]).unwrap();
    assert_eq!(
        store::open_read_only(&junk).err().unwrap().kind,
        ErrorKind::Corrupted
    );
    assert_eq!(
        store::open_read_write(&junk, true).unwrap_err().kind,
        ErrorKind::Corrupted
    );
}

#[test]
fn stats_report_tables_and_sizes() {
    let (_dir, path) = temp_db();
    let db = store::open_read_write(&path, true).unwrap();
    fill(&db, "t", &[(b"a", &[7_u8; 1000]), (b"b", &[8_u8; 1000])]);
    let stats = store::stats(&db, &path).unwrap();
    assert_eq!(stats.tables, vec![("t".to_string(), 2)]);
    assert!(stats.stored_bytes >= 2000);
    assert!(stats.file_size > 0);
    assert!(stats.tree_height >= 1);
}

#[test]
fn durability_names() {
    assert!(matches!(
        store::parse_durability("immediate"),
        Some(Durability::Immediate)
    ));
    assert!(matches!(
        store::parse_durability("none"),
        Some(Durability::None)
    ));
    assert!(store::parse_durability("eventual").is_none());
}
