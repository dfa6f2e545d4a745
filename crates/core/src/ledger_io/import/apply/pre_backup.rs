//! The backup a commit takes of the database file before the import changes anything.
//!
//! A connection of its own holds the file as it was when the import began (a read
//! transaction: WAL keeps that state for it while the import writes). The copy is taken from
//! there, and checked (a full integrity check, the slow part), on a thread of its own as soon
//! as the import has changed something; the import commits only once the check has passed. An
//! import that changes nothing (a ledger imported again, all of it as stored) takes none: it
//! only records that it ran, and there is nothing to go back to.

use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use rusqlite::Connection;

use crate::error::{Error, Result};
use crate::store::backup;

pub(super) struct PreBackup {
    dest: PathBuf,
    state: State,
}

enum State {
    /// The file as it was, held by a read transaction; nothing copied yet.
    Held(Connection),
    /// Copying and checking on its own thread.
    Taking(JoinHandle<Result<()>>),
    /// Checked (or given up on: its error was returned once).
    Ended { taken: bool },
}

impl PreBackup {
    /// Holds the state of `conn`'s file before the import into `dest`. A connection inside a
    /// transaction of its own, or on no file, is copied at once as it stands.
    pub(super) fn hold(conn: &Connection, dest: PathBuf) -> Result<PreBackup> {
        let file = conn.path().filter(|p| !p.is_empty()).map(PathBuf::from);
        match file {
            Some(file) if conn.is_autocommit() => {
                let held = backup::reader(&file)?;
                held.execute_batch("BEGIN DEFERRED; SELECT count(*) FROM sqlite_schema;")?;
                Ok(PreBackup {
                    dest,
                    state: State::Held(held),
                })
            }
            _ => {
                let part = backup::part_path(&dest);
                if let Err(e) = backup::copy_to(conn, &part) {
                    let _ = std::fs::remove_file(&part);
                    return Err(e);
                }
                let state = State::Taking(check_and_name(part, dest.clone()));
                Ok(PreBackup { dest, state })
            }
        }
    }

    /// Starts the copy of the held state, once: the import is about to keep a change.
    pub(super) fn take(&mut self) {
        if let State::Held(_) = self.state {
            let State::Held(held) =
                std::mem::replace(&mut self.state, State::Ended { taken: true })
            else {
                unreachable!()
            };
            let part = backup::part_path(&self.dest);
            let dest = self.dest.clone();
            let handle = std::thread::Builder::new()
                .name("backup-before-import".into())
                .spawn(move || {
                    let copied = backup::copy_to(&held, &part);
                    // The held state is let go as soon as it is copied.
                    drop(held);
                    match copied {
                        Ok(()) => check(&part, &dest),
                        Err(e) => {
                            let _ = std::fs::remove_file(&part);
                            Err(e)
                        }
                    }
                })
                .expect("start the backup thread");
            self.state = State::Taking(handle);
        }
    }

    /// Where the backup is (or will be once checked), if one was started.
    pub(super) fn path(&self) -> Option<&Path> {
        match self.state {
            State::Held(_) | State::Ended { taken: false } => None,
            State::Taking(_) | State::Ended { taken: true } => Some(&self.dest),
        }
    }

    /// Waits for the copy and its check, if one is running; its error if it failed. Lets go
    /// of the held state when no copy was needed.
    pub(super) fn checked(&mut self) -> Result<()> {
        let taken = self.path().is_some();
        match std::mem::replace(&mut self.state, State::Ended { taken }) {
            State::Taking(handle) => handle.join().unwrap_or_else(|_| {
                Err(Error::Invalid(
                    "备份文件写入后无法校验。原数据库没有被改动；请检查磁盘空间后重试。".into(),
                ))
            }),
            State::Held(_) | State::Ended { .. } => Ok(()),
        }
    }
}

/// Checks the copy at `part` on a thread of its own and gives it its real name once it passed.
fn check_and_name(part: PathBuf, dest: PathBuf) -> JoinHandle<Result<()>> {
    std::thread::Builder::new()
        .name("backup-check".into())
        .spawn(move || check(&part, &dest))
        .expect("start the backup check thread")
}

/// Checks the copy at `part`; renamed to `dest` when it passed, removed when not.
fn check(part: &Path, dest: &Path) -> Result<()> {
    let checked = backup::verify(part).and_then(|()| {
        std::fs::rename(part, dest).map_err(|source| Error::Io {
            path: dest.to_path_buf(),
            source,
        })
    });
    if checked.is_err() {
        let _ = std::fs::remove_file(part);
    }
    checked
}
