//! Raw-Rust baseline for the binding's bulk-write throughput.
//!
//! Writes N key/value pairs (keys `key-00000001`..., values of VALUE_SIZE bytes) into table
//! `bench` of a fresh redb file, in batches of BATCH per write transaction, using redb directly
//! with the same table type as the binding (`&[u8] -> &[u8]`). Prints the elapsed seconds of the
//! writes (open and file removal excluded) as the last line, `elapsed_s=<float>`.
//!
//! Usage: cargo run --release --example raw_bulk_put -- [N] [VALUE_SIZE] [BATCH] [PATH]
//! Defaults: N=100000, VALUE_SIZE=100, BATCH=N (one transaction), PATH in the temp dir.

use std::env;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use redb::{Database, TableDefinition};

const TABLE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("bench");

fn arg(position: usize, default: usize) -> Result<usize, String> {
    match env::args().nth(position) {
        None => Ok(default),
        Some(text) => text
            .parse()
            .map_err(|_| format!("argument {position} must be a number, got {text:?}")),
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let count = arg(1, 100_000)?;
    let value_size = arg(2, 100)?;
    let batch = arg(3, count)?.max(1);
    let path = env::args().nth(4).map_or_else(
        || env::temp_dir().join(format!("raw_bulk_put-{}.redb", std::process::id())),
        PathBuf::from,
    );
    let value = vec![0x5a_u8; value_size];
    let db = Database::create(&path)?;

    let started = Instant::now();
    let mut written = 0;
    while written < count {
        let txn = db.begin_write()?;
        {
            let mut table = txn.open_table(TABLE)?;
            for i in written..(written + batch).min(count) {
                let key = format!("key-{i:08}");
                table.insert(key.as_bytes(), value.as_slice())?;
            }
        }
        txn.commit()?;
        written = (written + batch).min(count);
    }
    let elapsed = started.elapsed().as_secs_f64();

    drop(db);
    if env::args().nth(4).is_none() {
        std::fs::remove_file(&path)?;
    }
    println!("n={count} value_size={value_size} batch={batch}");
    println!("elapsed_s={elapsed:.6}");
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("raw_bulk_put: {err}");
            ExitCode::FAILURE
        }
    }
}
