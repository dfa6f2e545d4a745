//! Connection helpers: per-connection settings and SQL functions, the lock file, atomic units
//! (a savepoint or a transaction), integrity checks and two reads at once.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use crate::error::{Error, Result};

/// Opens (creating if needed) a database file with the per-connection settings, without
/// touching its schema.
pub fn open_file(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|source| Error::Open {
        path: path.to_path_buf(),
        source,
    })?;
    configure(&conn).map_err(|source| Error::Open {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(conn)
}

/// Per-connection settings; never part of a migration.
pub fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // Imports use a few dozen distinct statements; the default cache of 16 would re-prepare them.
    conn.set_prepared_statement_cache_capacity(64);
    // In-memory databases answer "memory"; files switch to WAL and stay there.
    let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    conn.execute_batch(&format!(
        "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -{CACHE_KB};"
    ))?;
    register_functions(conn)
}

/// The page cache of a connection for everyday work, in kB (SQLite's default): what a screen
/// reads (a village's households, a search) stays in it; the whole district does not, and need
/// not (#21: the window's memory should not grow with the file). The whole-district reports
/// read the file mapped into memory ([`in_parallel`]), not through this cache; on the district
/// file the list, search and ledger queries measured the same with 8 MB (the app's memory after
/// login 5–7 MB less).
pub const CACHE_KB: i64 = 2_000;

/// The page cache while writing in bulk (an import, the demo data), in kB: it keeps the inserts
/// into the search-key B-tree from thrashing.
pub const BULK_CACHE_KB: i64 = 32_000;

/// SQL functions the schema relies on, and PostgreSQL's `greatest` and `least` (SQLite's
/// scalar `max` and `min` have other names there), so one SQL text serves both engines.
pub(crate) fn register_functions(conn: &Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    use rusqlite::types::Value;
    // Like PostgreSQL's: NULL arguments are ignored; NULL only when all are.
    let pick = |greater: bool| {
        move |ctx: &mut rusqlite::functions::Context| -> rusqlite::Result<Value> {
            let mut best: Option<Value> = None;
            for i in 0..ctx.len() {
                let v: Value = ctx.get(i)?;
                if v == Value::Null {
                    continue;
                }
                let better = best.as_ref().is_none_or(|b| {
                    let order = sql_order(&v, b);
                    if greater {
                        order.is_gt()
                    } else {
                        order.is_lt()
                    }
                });
                if better {
                    best = Some(v);
                }
            }
            Ok(best.unwrap_or(Value::Null))
        }
    };
    for (name, greater) in [("greatest", true), ("least", false)] {
        conn.create_scalar_function(
            name,
            -1,
            FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
            pick(greater),
        )?;
    }
    conn.create_scalar_function(
        "reverse_text",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let s: Option<String> = ctx.get(0)?;
            Ok(s.map(|s| s.chars().rev().collect::<String>()))
        },
    )
}

/// SQLite's order of two non-null values: numbers by value, then text, then bytes.
fn sql_order(a: &rusqlite::types::Value, b: &rusqlite::types::Value) -> std::cmp::Ordering {
    use rusqlite::types::Value::{Blob, Integer, Real, Text};
    let rank = |v: &rusqlite::types::Value| match v {
        Integer(_) | Real(_) => 0,
        Text(_) => 1,
        _ => 2,
    };
    match (a, b) {
        (Integer(x), Integer(y)) => x.cmp(y),
        (Integer(x), Real(y)) => (*x as f64).total_cmp(y),
        (Real(x), Integer(y)) => x.total_cmp(&(*y as f64)),
        (Real(x), Real(y)) => x.total_cmp(y),
        (Text(x), Text(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Blob(x), Blob(y)) => x.cmp(y),
        _ => rank(a).cmp(&rank(b)),
    }
}

/// Takes the lock file beside a database (`<name>.lock`) for as long as the returned file is
/// held: one program at a time works on a database (the app for as long as it runs, `huce
/// restore` while it replaces the data). The operating system releases it when the process
/// ends, also when it crashes.
pub fn lock(path: &Path) -> Result<std::fs::File> {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    let lock_path = path.with_file_name(name);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|source| Error::Io {
            path: lock_path.clone(),
            source,
        })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::AlreadyOpen(path.to_path_buf())),
        Err(std::fs::TryLockError::Error(source)) => Err(Error::Io {
            path: lock_path,
            source,
        }),
    }
}

/// Runs `f` as one unit: everything it writes is kept, or (on an error) nothing is. Inside a
/// transaction it is a savepoint of it; outside, a transaction of its own, begun as a writer
/// (`BEGIN IMMEDIATE`): while another connection writes (the day's backup recording itself, an
/// import from the command line) it waits its busy timeout for the file. A transaction begun
/// as a reader could not wait: SQLite refuses at once a reader that wants to write while
/// another connection holds the write lock.
pub fn atomically<T>(conn: &Connection, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
    let outermost = conn.is_autocommit();
    let (begin, commit, undo) = if outermost {
        ("BEGIN IMMEDIATE", "COMMIT", "ROLLBACK")
    } else {
        (
            "SAVEPOINT huce_atomic",
            "RELEASE huce_atomic",
            "ROLLBACK TO huce_atomic; RELEASE huce_atomic",
        )
    };
    conn.execute_batch(begin)?;
    let done = f(conn);
    // Some errors (a full disk among them) make SQLite roll back the whole transaction, and
    // the savepoint with it; then there is nothing left to end.
    if !conn.is_autocommit() {
        let ended = conn.execute_batch(if done.is_ok() { commit } else { undo });
        if done.is_ok() {
            if let Err(e) = ended {
                // The commit itself failed (a constraint checked at commit, a busy file): undo,
                // so that no transaction stays open on the shared connection.
                if !conn.is_autocommit() {
                    let _ = conn.execute_batch(undo);
                }
                return Err(e.into());
            }
        }
    }
    done
}

/// How much of the file the two readers of a heavy report map into memory: their scans then
/// read the pages where they lie instead of copying each into SQLite's cache (a quarter
/// faster on the district). Only while the report runs: pages touched stay in the process's
/// memory as long as they are mapped.
const REPORT_MAP_BYTES: i64 = 1 << 30;

/// Runs two reads at once: `here` on `conn`, `there` on a second, read-only connection to the
/// same file (for the heavy reports on 2 cores), both reading the file mapped into memory
/// ([`REPORT_MAP_BYTES`]). An in-memory database, or a connection inside a transaction (whose
/// changes a second connection would not see), runs them one after the other on `conn`.
pub(crate) fn in_parallel<A, B>(
    conn: &Connection,
    here: impl FnOnce(&Connection) -> Result<A>,
    there: impl FnOnce(&Connection) -> Result<B> + Send,
) -> Result<(A, B)>
where
    B: Send,
{
    let file = conn.path().filter(|p| !p.is_empty()).map(PathBuf::from);
    let Some(file) = file.filter(|_| conn.is_autocommit()) else {
        return Ok((here(conn)?, there(conn)?));
    };
    std::thread::scope(|s| {
        let other = s.spawn(move || -> Result<B> {
            let second = Connection::open_with_flags(
                &file,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            second.busy_timeout(std::time::Duration::from_secs(5))?;
            second.pragma_update(None, "mmap_size", REPORT_MAP_BYTES)?;
            there(&second)
        });
        let mapped = conn
            .pragma_update(None, "mmap_size", REPORT_MAP_BYTES)
            .is_ok();
        let a = here(conn);
        if mapped {
            // Back to reading through the page cache; a failure here only leaves the mapping.
            let _ = conn.pragma_update(None, "mmap_size", 0);
        }
        let b = other.join().expect("the second reader does not panic");
        Ok((a?, b?))
    })
}

/// `PRAGMA integrity_check`: a damaged file is reported with what to do, never used silently.
pub fn check_integrity(conn: &Connection) -> Result<()> {
    let result: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(|e| Error::Damaged(e.to_string()))?;
    if result == "ok" {
        Ok(())
    } else {
        Err(Error::Damaged(result))
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::types::Value::{self, Integer, Null, Real, Text};

    #[test]
    fn greatest_and_least_answer_as_on_postgresql() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        super::register_functions(&conn).unwrap();
        let q = |sql: &str| -> Value { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
        assert_eq!(q("SELECT greatest(0, 1)"), Integer(1));
        assert_eq!(q("SELECT greatest(3, 1.5, 2)"), Integer(3));
        assert_eq!(q("SELECT least(3, 1.5, 2)"), Real(1.5));
        // NULLs are passed over, as PostgreSQL does (SQLite's scalar max would answer NULL).
        assert_eq!(q("SELECT greatest(NULL, 2)"), Integer(2));
        assert_eq!(q("SELECT least(NULL, NULL)"), Null);
        assert_eq!(
            q("SELECT greatest('2026-01', '2025-12')"),
            Text("2026-01".into())
        );
    }
}
