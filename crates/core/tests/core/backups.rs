//! Data safety: backups with rotation, restore round trip, the backup before a migration, and
//! recovery of a damaged database file.

use std::path::Path;

use huce_core::backup::{self, Reason};
use huce_core::demo::{self, DemoOptions};
use huce_core::{audit, db};
use rusqlite::Connection;

use crate::{at, dump, NOW};

fn small_town(path: &Path) -> Connection {
    let mut conn = db::open(path, crate::fixed_time()).unwrap();
    // Every database the app uses has an administrator (a restore refuses one without).
    crate::first_admin(&conn);
    demo::generate(
        &mut conn,
        DemoOptions {
            households: 150,
            seed: 5,
        },
        NOW,
    )
    .unwrap();
    conn
}

#[test]
fn a_restore_gives_back_exactly_what_was_backed_up() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = small_town(&dir.path().join("镇 数据.db"));
    audit::set_actor(&conn, "管理员").unwrap();
    let backups = dir.path().join("backups");
    let before = dump(&conn);
    let copy = backup::take(&conn, &backups, Reason::Manual, at("2026-11-29 10:00:00")).unwrap();
    assert!(
        !copy.with_extension("db-wal").exists(),
        "a backup is one self-contained file"
    );

    // Work after the backup …
    crate::add_person(&conn, "备份后");
    assert_ne!(dump(&conn), before);

    // … is undone by the restore, and kept in the 恢复前 backup.
    let safety =
        backup::restore(&mut conn, &copy, &backups, None, at("2026-11-29 11:00:00")).unwrap();
    assert_eq!(dump(&conn), before, "restored identical");
    let kept = Connection::open(&safety).unwrap();
    let n: i64 = kept
        .query_row(
            "SELECT count(*) FROM staff WHERE name = '备份后'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 1, "what was there before the restore is not lost");
    let v = audit::verify(&conn).unwrap();
    assert!(v.ok(), "{}", v.message());
    let last: String = conn
        .query_row(
            "SELECT action FROM audit_log ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(last, "restore");
    let listed = backup::list(&backups).unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].reason, Reason::BeforeRestore, "newest first");
    assert_eq!(listed[1].reason, Reason::Manual);
}

#[test]
fn daily_backups_once_a_day_and_rotation_keeps_7_daily_4_weekly() {
    let dir = tempfile::tempdir().unwrap();
    let conn = small_town(&dir.path().join("town.db"));
    let backups = dir.path().join("backups");
    assert!(
        backup::daily_if_due(&conn, &backups, at("2026-11-29 08:00:00"))
            .unwrap()
            .is_some()
    );
    assert!(
        backup::daily_if_due(&conn, &backups, at("2026-11-29 15:00:00"))
            .unwrap()
            .is_none()
    );

    // Forty days of daily backups (two some days), 15 before imports and a manual one.
    std::fs::remove_dir_all(&backups).unwrap();
    std::fs::create_dir_all(&backups).unwrap();
    let start = at("2026-10-20 08:00:00");
    for d in 0..40 {
        let day = start + chrono::Duration::days(d);
        for h in [0, 5] {
            let t = day + chrono::Duration::hours(h);
            let name = format!("huce-{}-每日.db", t.format("%Y%m%d-%H%M%S"));
            std::fs::write(backups.join(name), b"x").unwrap();
        }
    }
    for i in 0..15 {
        let t = start + chrono::Duration::hours(i);
        std::fs::write(
            backups.join(format!("huce-{}-导入前.db", t.format("%Y%m%d-%H%M%S"))),
            b"x",
        )
        .unwrap();
    }
    std::fs::write(backups.join("huce-20200101-000000-手动.db"), b"x").unwrap();
    std::fs::write(backups.join("别的文件.txt"), b"x").unwrap();
    // A copy cut short by a crash two hours ago, and one being written right now.
    let stale = backups.join("huce-20261128-080000-手动.db.part");
    std::fs::write(&stale, b"half").unwrap();
    std::fs::File::options()
        .write(true)
        .open(&stale)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(7200))
        .unwrap();
    let fresh = backups.join("huce-20261128-090000-每日.db.part");
    std::fs::write(&fresh, b"half").unwrap();
    backup::rotate(&backups, at("2026-11-28 23:00:00").date()).unwrap();
    assert!(!stale.exists(), "a .part left by a crash is removed");
    assert!(fresh.exists(), "a .part still being written is left alone");
    let left = backup::list(&backups).unwrap();
    let daily: Vec<&str> = left
        .iter()
        .filter(|b| b.reason == Reason::Daily)
        .map(|b| b.name.as_str())
        .collect();
    assert_eq!(daily.len(), 7 + 4, "{daily:?}");
    assert!(
        daily[0].starts_with("huce-20261128-130000"),
        "the newest of the newest day: {daily:?}"
    );
    assert_eq!(
        left.iter()
            .filter(|b| b.reason == Reason::BeforeImport)
            .count(),
        10
    );
    assert_eq!(
        left.iter().filter(|b| b.reason == Reason::Manual).count(),
        1
    );
    assert!(
        backups.join("别的文件.txt").exists(),
        "other files are left alone"
    );
}

#[test]
fn an_older_database_is_backed_up_before_its_migration() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        let conn = Connection::open(&path).unwrap();
        db::configure(&conn).unwrap();
        db::migrate_to(&conn, 5).unwrap();
        huce_core::households::add_village(&conn, "石鱼村", 1).unwrap();
    }
    let conn = db::open(&path, crate::fixed_time()).unwrap();
    assert_eq!(db::schema_version(&conn).unwrap(), db::SCHEMA_VERSION);
    let list = backup::list(&dir.path().join("backups")).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].reason, Reason::BeforeMigration);
    let old = Connection::open(&list[0].path).unwrap();
    let v: i64 = old
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, 5, "the backup is the database as it was");
    let summary: String = conn
        .query_row(
            "SELECT summary FROM audit_log WHERE action = 'backup'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(summary.contains("第 5 版升级到第"), "{summary}");
}

#[test]
fn a_damaged_database_is_reported_and_recovered_from_the_latest_good_backup() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huce.db");
    let backups = dir.path().join("backups");
    let households = {
        let conn = small_town(&path);
        backup::take(&conn, &backups, Reason::Daily, at("2026-11-28 08:00:00")).unwrap();
        let n: i64 = conn
            .query_row("SELECT count(*) FROM households", [], |r| r.get(0))
            .unwrap();
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .unwrap();
        n
    };
    // A newer backup that is itself broken is skipped.
    std::fs::write(
        backups.join("huce-20261129-080000-每日.db"),
        b"not a database",
    )
    .unwrap();
    // Damage the middle of the file.
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 8192] {
        *b = 0x5a;
    }
    std::fs::write(&path, &bytes).unwrap();
    let err = db::open_checked(&path, crate::fixed_time()).expect_err("the damage is found");
    assert_eq!(err.code(), "damaged", "{err}");
    assert!(err.to_string().contains("恢复最近的完好备份"), "{err}");

    let (from, kept) = backup::recover(&path, &backups, at("2026-11-29 09:00:00")).unwrap();
    assert!(
        from.to_string_lossy().contains("20261128-080000"),
        "{from:?}"
    );
    assert!(
        kept.exists(),
        "the damaged file is kept for the administrator"
    );
    let conn = db::open(&path, crate::fixed_time()).unwrap();
    db::check_integrity(&conn).unwrap();
    let n: i64 = conn
        .query_row("SELECT count(*) FROM households", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, households);
}

/// #21: after the start the file is checked (quick, then whole) and the day's first backup is
/// taken, each step told as it starts, on connections of their own: the app's connection writes
/// meanwhile (here between two steps of the copy) and the backup is still a whole, checked
/// snapshot; the second start of the day checks and takes no second backup.
/// An import holds the write lock for longer than a window's save waits (5 s) just as the day's
/// backup, copied and checked, wants to write its audit entry: the backup waits for the import
/// instead of failing (it runs behind the window; nobody waits for it).
#[test]
fn the_days_backup_waits_for_a_long_import_to_finish() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huce.db");
    let backups = dir.path().join("backups");
    drop(small_town(&path));
    let hold = std::time::Duration::from_secs(6);
    let mut import = None;
    let taken = backup::check_then_back_up(&path, &backups, at("2026-11-29 08:00:00"), &mut |s| {
        if s == backup::AfterStart::VerifyBackup && import.is_none() {
            let (locked, wait) = std::sync::mpsc::channel();
            let path = path.clone();
            import = Some(std::thread::spawn(move || {
                let conn = Connection::open(&path).unwrap();
                conn.execute_batch("BEGIN IMMEDIATE").unwrap();
                locked.send(()).unwrap();
                std::thread::sleep(hold);
                conn.execute_batch("COMMIT").unwrap();
                std::time::Instant::now()
            }));
            wait.recv().unwrap();
        }
    })
    .expect("the day's backup waits for the import and is taken")
    .expect("the day's first backup");
    let import_ended = import.expect("the import began").join().unwrap();
    assert!(std::time::Instant::now() >= import_ended);
    backup::verify(&taken).unwrap();
    let conn = db::open(&path, crate::fixed_time()).unwrap();
    let logged: i64 = conn
        .query_row(
            "SELECT count(*) FROM audit_log WHERE action = 'backup' AND actor = ?1",
            [backup::DAILY_ACTOR],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(logged, 1, "the backup is in the log");
}

#[test]
fn the_checks_after_the_start_then_the_days_first_backup_while_the_app_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huce.db");
    let backups = dir.path().join("backups");
    let conn = small_town(&path);
    let before: i64 = conn
        .query_row("SELECT count(*) FROM staff", [], |r| r.get(0))
        .unwrap();
    let mut steps = Vec::new();
    let mut wrote = false;
    let taken = backup::check_then_back_up(&path, &backups, at("2026-11-29 08:00:00"), &mut |s| {
        if matches!(s, backup::AfterStart::Backup { done, .. } if done > 0) && !wrote {
            // The window's own connection saves something while the copy is under way.
            audit::set_actor(&conn, "测试").unwrap();
            crate::add_person(&conn, "新来的");
            wrote = true;
        }
        steps.push(s);
    })
    .unwrap()
    .expect("the day's first backup");
    assert!(wrote, "the copy reported its pages: {steps:?}");
    assert_eq!(steps[0], backup::AfterStart::QuickCheck);
    assert_eq!(steps[1], backup::AfterStart::FullCheck);
    assert!(
        matches!(steps[2], backup::AfterStart::Backup { .. }),
        "{steps:?}"
    );
    assert_eq!(steps.last(), Some(&backup::AfterStart::VerifyBackup));
    let pages: Vec<(u64, u64)> = steps
        .iter()
        .filter_map(|s| match s {
            backup::AfterStart::Backup { done, total } => Some((*done, *total)),
            _ => None,
        })
        .collect();
    assert!(pages.windows(2).all(|w| w[0].0 <= w[1].0), "{pages:?}");
    let (done, total) = *pages.last().unwrap();
    assert_eq!(done, total, "the copy ends whole");
    // The backup is the snapshot the copy began with: whole, without the later row.
    backup::verify(&taken).unwrap();
    let copy = Connection::open(&taken).unwrap();
    let n: i64 = copy
        .query_row("SELECT count(*) FROM staff", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, before);
    let now: i64 = conn
        .query_row("SELECT count(*) FROM staff", [], |r| r.get(0))
        .unwrap();
    assert_eq!(now, before + 1, "the window's row is in the file");
    // The backup is in the log, by 系统.
    let by: String = conn
        .query_row(
            "SELECT actor FROM audit_log WHERE action = 'backup' ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(by, backup::DAILY_ACTOR);

    // Later the same day: checked again, no second daily backup.
    let mut again = Vec::new();
    let second = backup::check_then_back_up(&path, &backups, at("2026-11-29 14:00:00"), &mut |s| {
        again.push(s)
    })
    .unwrap();
    assert_eq!(second, None);
    assert_eq!(
        again,
        vec![
            backup::AfterStart::QuickCheck,
            backup::AfterStart::FullCheck
        ]
    );
}

/// A file damaged in the middle is found by the quick check after the start, and no backup is
/// made of it.
#[test]
fn a_damaged_file_is_found_after_the_start_and_not_backed_up() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huce.db");
    let backups = dir.path().join("backups");
    // The page the toilets table starts from (opening the file does not read it).
    let (root, page_size) = {
        let conn = small_town(&path);
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .unwrap();
        let root: i64 = conn
            .query_row(
                "SELECT rootpage FROM sqlite_schema WHERE name = 'toilets'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let size: i64 = conn
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .unwrap();
        (root as usize, size as usize)
    };
    let mut bytes = std::fs::read(&path).unwrap();
    let start = (root - 1) * page_size;
    bytes[start..start + page_size].fill(0x5a);
    std::fs::write(&path, &bytes).unwrap();
    // The window opens it: reading the schema does not read the damaged page.
    let _app = db::open_reporting_damage(&path, crate::fixed_time()).unwrap();
    let mut steps = Vec::new();
    let err = backup::check_then_back_up(&path, &backups, at("2026-11-29 08:00:00"), &mut |s| {
        steps.push(s)
    })
    .expect_err("the damage is found");
    assert_eq!(err.code(), "damaged", "{err}");
    assert!(err.to_string().contains("恢复最近的完好备份"), "{err}");
    assert_eq!(steps, vec![backup::AfterStart::QuickCheck]);
    assert!(
        backup::list(&backups).map_or(true, |l| l.is_empty()),
        "no backup of a damaged file"
    );
}

/// The SHA-256 of a file's bytes.
fn checksum(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    format!("{:x}", Sha256::digest(std::fs::read(path).unwrap()))
}

/// `name` with `suffix` appended (`x.db` → `x.db-wal`).
fn beside(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    name.into()
}

/// A database given to open that is not this program's (another program's tables, a schema
/// version of ours without our tables, another program's application id, a file in WAL mode)
/// is refused in Chinese before anything writes to it: its bytes stay as they were, no WAL
/// switch, no -wal or -shm beside it, no 升级前 backup. An empty file, a file without tables
/// and an old file of ours (application id 0, our tables) are opened as before.
#[test]
fn a_file_of_another_program_is_refused_and_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let foreign = |name: &str, sql: &str| {
        let path = dir.path().join(name);
        let c = Connection::open(&path).unwrap();
        c.execute_batch(sql).unwrap();
        drop(c);
        path
    };
    let files = [
        foreign("plain.db", "CREATE TABLE t (x); INSERT INTO t VALUES (1);"),
        foreign(
            "version3.db",
            "CREATE TABLE t (x); INSERT INTO t VALUES (1); PRAGMA user_version = 3;",
        ),
        foreign(
            "version20.db",
            "CREATE TABLE notes (x); PRAGMA user_version = 20;",
        ),
        foreign(
            "other_id.db",
            "CREATE TABLE settings (key, value); CREATE TABLE villages (x);
             CREATE TABLE households (x); CREATE TABLE toilets (x);
             PRAGMA user_version = 4; PRAGMA application_id = 305419896;",
        ),
        foreign(
            "wal.db",
            "PRAGMA journal_mode = WAL; CREATE TABLE t (x); INSERT INTO t VALUES (1);",
        ),
        foreign("marked_empty.db", "PRAGMA application_id = 305419896;"),
    ];
    for path in &files {
        assert!(
            !beside(path, "-wal").exists(),
            "{path:?} starts without a WAL"
        );
        let before = checksum(path);
        let err = db::open(path, crate::fixed_time()).expect_err("not ours");
        let text = err.to_string();
        assert!(
            text.contains("不是本程序的数据库文件")
                && text.contains("没有被改动")
                && text.contains("huce.db"),
            "{path:?}: {text}"
        );
        assert!(!text.contains("no such table"), "{path:?}: {text}");
        assert_eq!(checksum(path), before, "{path:?}: its bytes are untouched");
        for side in ["-wal", "-shm", "-journal"] {
            assert!(
                !beside(path, side).exists(),
                "{path:?}: nothing left beside it ({side})"
            );
        }
        assert!(
            !dir.path().join("backups").exists(),
            "{path:?}: no 升级前 backup of another program's file"
        );
        // The checks that open a file whole refuse it alike.
        let err = db::open_checked(path, crate::fixed_time()).expect_err("not ours");
        assert!(err.to_string().contains("不是本程序的数据库文件"), "{err}");
        assert_eq!(checksum(path), before, "{path:?}: its bytes are untouched");
    }

    // Opened as before: an empty file, a file with no tables, an old file of ours.
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    let no_tables = foreign("no_tables.db", "PRAGMA user_version = 0;");
    let old = dir.path().join("old").join("huce.db");
    std::fs::create_dir_all(old.parent().unwrap()).unwrap();
    {
        let c = Connection::open(&old).unwrap();
        db::configure(&c).unwrap();
        db::migrate_to(&c, 5).unwrap();
        let id: i64 = c
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .unwrap();
        assert_eq!(id, 0, "files before schema 8 carry no application id");
    }
    for path in [&empty, &no_tables, &old] {
        let conn = db::open(path, crate::fixed_time()).unwrap();
        assert_eq!(db::schema_version(&conn).unwrap(), db::SCHEMA_VERSION);
        let id: i64 = conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .unwrap();
        assert_eq!(id, db::APPLICATION_ID, "{path:?}");
    }
}

/// A trigger, view, table or index added to the live file (a trigger that renames every
/// imported household) is named by every check: opening the file whole (`huce verify`), the
/// checks after the app's start and the verification of every backup, so no backup of it
/// claims success. A good backup can still be restored over it (its 恢复前 copy keeps the file
/// as it was, for the administrator).
#[test]
fn an_object_added_to_the_live_file_is_named_and_no_backup_of_it_claims_success() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huce.db");
    let backups = dir.path().join("backups");
    let mut conn = small_town(&path);
    audit::set_actor(&conn, "管理员（admin）").unwrap();
    let good = backup::take(&conn, &backups, Reason::Manual, at("2026-11-28 08:00:00")).unwrap();
    let good_dump = dump(&conn);
    let added = [
        (
            "CREATE TRIGGER households_audit_guard AFTER INSERT ON households BEGIN
                 UPDATE households SET head_name = 'x' || NEW.head_name WHERE id = NEW.id;
             END",
            "DROP TRIGGER households_audit_guard",
            "触发器 households_audit_guard",
        ),
        (
            "CREATE VIEW everyone AS SELECT * FROM households",
            "DROP VIEW everyone",
            "视图 everyone",
        ),
        ("CREATE TABLE stash (x)", "DROP TABLE stash", "表 stash"),
        (
            "CREATE INDEX households_by_phone ON households(phone)",
            "DROP INDEX households_by_phone",
            "索引 households_by_phone",
        ),
    ];
    for (create, drop_it, named) in added {
        conn.execute_batch(create).unwrap();
        let said = |e: huce_core::Error| {
            let text = e.to_string();
            assert!(
                text.contains(named) && text.contains("改动") && text.contains("管理员"),
                "{named}: {text}"
            );
            assert_eq!(e.code(), "tampered", "{named}: {text}");
        };
        said(db::open_checked(&path, crate::fixed_time()).expect_err("named by the check"));
        said(
            backup::check_then_back_up(&path, &backups, at("2026-11-29 08:00:00"), &mut |_| {})
                .expect_err("named after the start"),
        );
        said(
            backup::take(&conn, &backups, Reason::Manual, at("2026-11-29 08:05:00"))
                .expect_err("no backup claims success"),
        );
        // The copy an import takes before it writes is checked by `verify`.
        let part = dir.path().join("import.db.part");
        backup::copy_to(&conn, &part).unwrap();
        said(backup::verify(&part).expect_err("the import's backup is refused"));
        std::fs::remove_file(&part).unwrap();
        let names: Vec<String> = backup::list(&backups)
            .unwrap()
            .into_iter()
            .map(|b| b.name)
            .collect();
        assert_eq!(names.len(), 1, "{named}: only the good backup: {names:?}");
        let left: Vec<_> = std::fs::read_dir(&backups)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left.len(), 1, "{named}: nothing half-made left: {left:?}");
        conn.execute_batch(drop_it).unwrap();
    }
    db::open_checked(&path, crate::fixed_time()).expect("untouched again: passes");

    // Restored over a tampered file: the good backup's content, the file passes again.
    conn.execute_batch(added[0].0).unwrap();
    backup::restore(&mut conn, &good, &backups, None, at("2026-11-29 09:00:00")).unwrap();
    assert_eq!(dump(&conn), good_dump);
    drop(conn);
    db::open_checked(&path, crate::fixed_time()).expect("the restored file passes");
}
