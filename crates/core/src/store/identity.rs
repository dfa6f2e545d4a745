//! Whose a database file is, and whether its schema objects are exactly this program's.
//!
//! [`owner`] is the one test of "this program's file" (its application id, or for files from
//! before schema 8 id 0 with this program's tables): [`check_before_open`] asks it before
//! anything writes to a file given to open it (no WAL switch, no migration, no application id
//! on another program's file), and a restore asks it of the backup's copy.
//!
//! [`unexpected_object`] compares the file's `sqlite_schema` with a fresh in-memory schema of
//! this version: a trigger, view, table or index added by someone (a trigger that changes
//! records behind the audit log's back) or one of ours changed or missing. A restore asks it of
//! the migrated copy; `huce verify` ([`crate::store::db::open_checked`]), the checks after the
//! app's start and every backup's verification ask it of the live file.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use rusqlite::{Connection, OpenFlags};

use crate::error::{Error, Result};
use crate::store::schema::{schema_version, APPLICATION_ID};

/// Whose a database is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// Nothing in it yet (no tables, schema version 0, no other program's id): a new database.
    Fresh,
    /// This program's: its application id, or (files from before schema 8) id 0 with this
    /// program's tables and a schema version.
    Ours,
    /// Another program's file, or one that only looks like ours.
    Foreign,
}

/// Whose the database on `conn` is (reads the header and `sqlite_schema` only).
pub fn owner(conn: &Connection) -> Result<Owner> {
    let app_id: i64 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    let version = schema_version(conn)?;
    let objects: i64 = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
    if objects == 0 && version == 0 && (app_id == 0 || app_id == APPLICATION_ID) {
        return Ok(Owner::Fresh);
    }
    let has = |t: &str| -> Result<bool> {
        Ok(conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1)",
            [t],
            |r| r.get(0),
        )?)
    };
    let shaped = has("settings")? && has("villages")? && has("households")? && has("toilets")?;
    Ok(match app_id {
        APPLICATION_ID => Owner::Ours,
        0 if shaped && version >= 1 => Owner::Ours,
        _ => Owner::Foreign,
    })
}

/// The refusal of a file that is not this program's database.
pub fn not_ours(path: &Path) -> Error {
    Error::Invalid(format!(
        "“{}”不是本程序的数据库文件（它可能是别的程序的文件），没有打开它，文件也没有被改动。请选择本镇的数据库文件，例如数据文件夹中的 huce.db。",
        path.display()
    ))
}

/// Checks the file at `path` before anything writes to it: a missing or empty file, one
/// without tables, and this program's files pass; another program's file is refused with
/// [`not_ours`], its bytes untouched. Reads it read-only (a file in WAL mode whose log is not
/// there is read as it stands, so no -wal or -shm is left beside it). A file that is not a
/// database at all is left to SQLite, which writes nothing to it and says so on open.
pub fn check_before_open(path: &Path) -> Result<()> {
    use std::io::Read;
    let mut header = Vec::with_capacity(100);
    let read = std::fs::File::open(path).and_then(|f| f.take(100).read_to_end(&mut header));
    // A new file, or one SQLite will say it cannot open (a folder, no permission), or a file
    // that is not a database at all.
    if read.is_err() || header.len() < 100 || !header.starts_with(b"SQLite format 3\0") {
        return Ok(());
    }
    let wal = header[18] == 2 && header[19] == 2;
    let mut log = path.as_os_str().to_os_string();
    log.push("-wal");
    let as_it_stands = wal && !Path::new(&log).exists();
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    // Immutable: no lock, no -shm, no -wal; the file is all there is of it. Should that open
    // fail, an ordinary reader (which may leave an empty -wal and the -shm of a WAL file).
    let immutable = file_uri(path).filter(|_| as_it_stands).and_then(|uri| {
        let conn = Connection::open_with_flags(
            format!("{uri}?mode=ro&immutable=1"),
            flags | OpenFlags::SQLITE_OPEN_URI,
        )
        .ok()?;
        owner(&conn).ok()
    });
    let found = match immutable {
        Some(found) => Ok(found),
        None => {
            let conn = Connection::open_with_flags(path, flags).map_err(|source| Error::Open {
                path: path.to_path_buf(),
                source,
            })?;
            conn.busy_timeout(std::time::Duration::from_secs(5))?;
            owner(&conn)
        }
    };
    match found {
        Ok(Owner::Foreign) => Err(not_ours(path)),
        Ok(Owner::Fresh | Owner::Ours) => Ok(()),
        // A hot journal a reader cannot roll back: the writer's open that follows does.
        Err(Error::Sqlite(e)) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::ReadOnly) => {
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// `path` as an SQLite URI (`file:` and the path, percent-encoded), None when it is not UTF-8.
fn file_uri(path: &Path) -> Option<String> {
    let text = path.to_str()?;
    let mut uri = String::from("file:");
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            uri.push(b as char);
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    Some(uri)
}

/// A schema object that is not as this program makes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unexpected {
    /// One this program does not have (added by someone or another program).
    Added { kind: String, name: String },
    /// One of this program's, with another definition.
    Changed { kind: String, name: String },
    /// One of this program's that is not there.
    Missing { kind: String, name: String },
}

impl Unexpected {
    /// What is wrong, to follow "…里" in a message: 有本程序没有的数据库对象（触发器 x）.
    pub fn describe(&self) -> String {
        let object = |kind: &str, name: &str| {
            let kind = match kind {
                "table" => "表",
                "index" => "索引",
                "trigger" => "触发器",
                "view" => "视图",
                other => other,
            };
            format!("{kind} {name}")
        };
        match self {
            Unexpected::Added { kind, name } => {
                format!("有本程序没有的数据库对象（{}）", object(kind, name))
            }
            Unexpected::Changed { kind, name } => {
                format!("的数据库对象（{}）和本程序的定义不同", object(kind, name))
            }
            Unexpected::Missing { kind, name } => {
                format!("缺少本程序的数据库对象（{}）", object(kind, name))
            }
        }
    }
}

/// Type and name → definition of every schema object but SQLite's own.
type Objects = BTreeMap<(String, String), String>;

fn objects(conn: &Connection) -> Result<Objects> {
    Ok(conn
        .prepare(
            "SELECT type, name, coalesce(sql, '') FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'",
        )?
        .query_map([], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?)
}

/// This program's schema objects at its version (a fresh in-memory database, made once).
fn expected() -> Result<&'static Objects> {
    static EXPECTED: OnceLock<Objects> = OnceLock::new();
    if let Some(known) = EXPECTED.get() {
        return Ok(known);
    }
    let made = objects(&crate::store::schema::open_in_memory()?)?;
    Ok(EXPECTED.get_or_init(|| made))
}

/// The first schema object of the database on `conn` (at this program's schema version) that
/// is not exactly this program's: added ones first, then changed, then missing. Reads
/// `sqlite_schema` only (a few pages).
pub fn unexpected_object(conn: &Connection) -> Result<Option<Unexpected>> {
    let want = expected()?;
    let found = objects(conn)?;
    let mut changed = None;
    for ((kind, name), sql) in &found {
        match want.get(&(kind.clone(), name.clone())) {
            None => {
                return Ok(Some(Unexpected::Added {
                    kind: kind.clone(),
                    name: name.clone(),
                }))
            }
            Some(ours) if ours != sql && changed.is_none() => {
                changed = Some(Unexpected::Changed {
                    kind: kind.clone(),
                    name: name.clone(),
                });
            }
            Some(_) => {}
        }
    }
    if changed.is_some() {
        return Ok(changed);
    }
    Ok(want
        .keys()
        .find(|key| !found.contains_key(*key))
        .map(|(kind, name)| Unexpected::Missing {
            kind: kind.clone(),
            name: name.clone(),
        }))
}

/// [`unexpected_object`] of the live database at `path` as an error: which object, that the
/// file may have been changed, and to hand it to the administrator. `then` says what was not
/// done because of it (starts a sentence).
pub fn check_objects(conn: &Connection, path: &Path, then: &str) -> Result<()> {
    match unexpected_object(conn)? {
        None => Ok(()),
        Some(what) => Err(Error::Tampered(format!(
            "数据库“{}”里{}，文件可能被别的程序或别人改动过。{then}请把这个数据库文件交给管理员检查；查明之前不要再导入或修改数据。",
            path.display(),
            what.describe()
        ))),
    }
}
