//! The backup a commit takes before an import changes the database file (#19): the file as it
//! was when the import began, copied while the rows are written, and none at all for an import
//! that changes nothing. File only: the server's backups are its own scheduled dumps.

use std::path::Path;

use huce_core::import::apply::{import_into, ImportReport, Mode};
use rusqlite::Connection;

use super::{opts, write_xlsx};
use crate::at;

/// A ledger of `n` households with distinct names in 5 社 of 石鱼村, each built in `year`, the
/// last one in `last_year`.
fn ledger(path: &Path, n: usize, year: &str, last_year: &str) {
    const SURNAMES: [&str; 5] = ["张", "王", "李", "赵", "刘"];
    const GIVEN: [&str; 30] = [
        "建", "国", "明", "华", "军", "平", "志", "红", "秀", "英", "德", "文", "春", "兰", "福",
        "玉", "成", "林", "海", "云", "光", "荣", "中", "永", "安", "清", "珍", "贵", "芳", "学",
    ];
    let names: Vec<(String, String)> = (0..n)
        .map(|i| {
            let name = format!(
                "{}{}{}",
                SURNAMES[i % 5],
                GIVEN[(i / 5) % 30],
                GIVEN[(i / 150) % 30]
            );
            (format!("{}社", i % 5 + 1), name)
        })
        .collect();
    let mut rows: Vec<Vec<&str>> = vec![vec!["行政村", "社", "户主姓名", "建设年份"]];
    for (i, (group, name)) in names.iter().enumerate() {
        let built = if i + 1 == n { last_year } else { year };
        rows.push(vec!["石鱼村", group, name, built]);
    }
    let rows: Vec<&[&str]> = rows.iter().map(|r| r.as_slice()).collect();
    write_xlsx(path, &rows);
}

fn commit(conn: &Connection, ledger: &Path, backups: &Path, stamp: &str) -> ImportReport {
    let mode = Mode::Commit {
        backup_dir: backups.to_path_buf(),
        stamp: stamp.into(),
    };
    import_into(conn, ledger, &opts(true), &mode, &mut |_, _| {}).unwrap()
}

/// Households, toilets and the toilets built in `year` in the database file at `path`.
fn counts(path: &Path, year: i64) -> (i64, i64, i64) {
    let c = Connection::open(path).unwrap();
    c.query_row(
        "SELECT (SELECT count(*) FROM households), (SELECT count(*) FROM toilets),
                (SELECT count(*) FROM toilets WHERE build_year = ?1)",
        [year],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .unwrap()
}

/// The backup an import's record names.
fn recorded_backup(conn: &Connection, import: &ImportReport) -> Option<String> {
    conn.query_row(
        "SELECT backup_path FROM import_batches WHERE id = ?1",
        [import.batch_id.unwrap()],
        |r| r.get(0),
    )
    .unwrap()
}

fn backup_files(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| d.count())
}

#[test]
fn the_backup_before_an_import_is_the_file_as_it_was_and_none_when_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("town.db");
    let backups = dir.path().join("备份");
    let conn = huce_core::db::open(&db_path, at("2026-11-29 10:00:00")).unwrap();
    // Several of the reader's batches: the copy starts while later rows are still written.
    let n = 1_500;
    let first = dir.path().join("first.xlsx");
    ledger(&first, n, "2015", "2015");

    let r = commit(&conn, &first, &backups, "20261129-100000");
    assert_eq!(r.households_new, n, "{:#?}", r.problems);
    let taken = r
        .backup_path
        .clone()
        .expect("an import that adds takes a backup");
    assert!(!r.backup_not_needed);
    assert_eq!(
        counts(Path::new(&taken), 2015),
        (0, 0, 0),
        "the backup is the file before the import, not a file half written"
    );
    huce_core::backup::verify(Path::new(&taken)).unwrap();

    // The same ledger again: nothing changes, so there is nothing to back up.
    let again = commit(&conn, &first, &backups, "20261129-110000");
    assert!(again.committed);
    assert_eq!(
        (
            again.households_unchanged,
            again.toilets_unchanged,
            again.fields_changed
        ),
        (n, n, 0)
    );
    assert_eq!(again.backup_path, None);
    assert!(again.backup_not_needed);
    assert_eq!(
        backup_files(&backups),
        1,
        "no second backup, no leftover part"
    );
    let recorded = recorded_backup(&conn, &again);
    assert_eq!(recorded, None, "the import is recorded, without a backup");

    // A ledger whose last row was corrected: a backup of the file as it was before.
    let corrected = dir.path().join("corrected.xlsx");
    ledger(&corrected, n, "2015", "2019");
    let fixed = commit(&conn, &corrected, &backups, "20261129-120000");
    assert_eq!(fixed.toilets_updated, 1, "{:#?}", fixed.problems);
    let before = fixed.backup_path.clone().expect("a change takes a backup");
    assert_ne!(before, taken);
    assert_eq!(counts(Path::new(&before), 2019), (n as i64, n as i64, 0));
    assert_eq!(counts(&db_path, 2019), (n as i64, n as i64, 1));
    assert_eq!(backup_files(&backups), 2);
    let recorded = recorded_backup(&conn, &fixed);
    assert_eq!(recorded.as_deref(), Some(before.as_str()));
}
