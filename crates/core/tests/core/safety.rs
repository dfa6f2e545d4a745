//! Safety under misuse and faults (issue 12): 备份到 with photos, restores that check before
//! anything changes and never lose their source to the rotation, a change and its audit entry
//! as one transaction, a full disk, and the audit log's anchors outside the database file.

use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use huce_core::accounts;
use huce_core::backup::{self, Reason};
use huce_core::export::{self, ExportTemplate, Personal, TemplateColumn};
use huce_core::households::Scope;
use huce_core::model::ProblemPart;
use huce_core::problem_items::ProblemItemInput;
use huce_core::staff;
use huce_core::{audit, db, photos, settings};
use rusqlite::Connection;

use crate::{at, count, dump, staff_member as person, town_file, NOW};

fn town(path: &Path, seed: u64) -> Connection {
    town_file(path, 60, seed)
}

/// A restore through the core (one place to adapt when the signature changes).
fn restore(
    conn: &mut Connection,
    from: &Path,
    dir: &Path,
    now: NaiveDateTime,
) -> huce_core::Result<PathBuf> {
    backup::restore(conn, from, dir, None, now)
}

/// Asserts two dumps are equal, naming the first line that differs (not the whole dump).
fn same(got: &[String], want: &[String], what: &str) {
    if got == want {
        return;
    }
    let first = got
        .iter()
        .zip(want)
        .find(|(a, b)| a != b)
        .map(|(a, b)| format!("got {a}\nwant {b}"))
        .unwrap_or_else(|| format!("{} rows against {}", got.len(), want.len()));
    panic!("{what}: {first}");
}

/// A small JPEG-looking file (the store checks the first bytes only).
fn photo_file(dir: &Path, name: &str, salt: u8) -> PathBuf {
    let path = dir.join(name);
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.extend((0..4000u32).map(|i| (i as u8).wrapping_mul(salt)));
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn backup_to_a_folder_copies_the_whole_photo_tree_and_records_it() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("huce.db");
    let conn = town(&db_path, 3);
    let photo_dir = huce_core::paths::photo_dir(&db_path);
    let a = photos::store(&conn, &photo_dir, &photo_file(dir.path(), "a.jpg", 3), NOW).unwrap();
    let b = photos::store(&conn, &photo_dir, &photo_file(dir.path(), "b.jpg", 7), NOW).unwrap();
    let stick = dir.path().join("U盘");
    std::fs::create_dir_all(&stick).unwrap();

    backup::to_folder(&conn, &photo_dir, &stick, at("2026-11-29 10:00:00"))
        .expect("a backup with photos in their sub-folders completes");
    let listed = backup::list(&stick).unwrap();
    assert_eq!(listed.len(), 1, "one complete database copy on the stick");
    backup::verify(Path::new(&listed[0].path)).unwrap();
    for p in [&a, &b] {
        let rel = Path::new(&p.file_name[..2]).join(&p.file_name);
        let copied = stick.join("huce-photos").join(&rel);
        assert_eq!(
            std::fs::read(&copied).expect("the photo is on the stick in its sub-folder"),
            std::fs::read(photo_dir.join(&rel)).unwrap(),
            "the copy is byte for byte the stored photo"
        );
    }
    let entries = count(
        &conn,
        "SELECT count(*) FROM audit_log WHERE action = 'backup' AND summary LIKE '备份到%'",
    );
    assert_eq!(entries, 1, "the completed backup is in the audit log");

    // Again: the photos already there are kept, a second database copy is added.
    backup::to_folder(&conn, &photo_dir, &stick, at("2026-11-29 11:00:00")).unwrap();
    assert_eq!(backup::list(&stick).unwrap().len(), 2);
}

#[test]
fn a_folder_backup_that_stops_half_way_never_looks_whole() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("huce.db");
    let conn = town(&db_path, 4);
    let photo_dir = huce_core::paths::photo_dir(&db_path);
    let a = photos::store(&conn, &photo_dir, &photo_file(dir.path(), "a.jpg", 5), NOW).unwrap();
    let stick = dir.path().join("U盘");
    // Where the photo must go, something that cannot be written over (as a stick pulled out
    // or a failing sector would refuse the write).
    std::fs::create_dir_all(
        stick
            .join("huce-photos")
            .join(&a.file_name[..2])
            .join(&a.file_name)
            .join("占用"),
    )
    .unwrap();
    let entries_before = count(&conn, "SELECT count(*) FROM audit_log");
    assert!(
        backup::to_folder(&conn, &photo_dir, &stick, at("2026-11-29 10:00:00")).is_err(),
        "the backup reports that it did not complete"
    );
    assert!(
        backup::list(&stick).unwrap().is_empty(),
        "no database copy on the stick looks whole"
    );
    assert_eq!(
        count(&conn, "SELECT count(*) FROM audit_log"),
        entries_before,
        "no backup is recorded that did not complete"
    );
}

#[test]
fn restoring_a_before_restore_backup_that_the_rotation_would_remove() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("huce.db");
    let mut conn = town(&db_path, 5);
    let backups = dir.path().join("backups");
    let wanted = dump(&conn);
    // The oldest of KEEP_EVENTS 恢复前 backups: the next 恢复前 backup rotates it away.
    let oldest = backup::take(
        &conn,
        &backups,
        Reason::BeforeRestore,
        at("2026-11-20 08:00:00"),
    )
    .unwrap();
    staff::add_staff(&conn, &person("备份后"), NOW).unwrap();
    for i in 0..backup::KEEP_EVENTS - 1 {
        backup::take(
            &conn,
            &backups,
            Reason::BeforeRestore,
            at(&format!("2026-11-21 08:{i:02}:00")),
        )
        .unwrap();
    }
    restore(&mut conn, &oldest, &backups, at("2026-11-29 10:00:00"))
        .expect("the chosen backup is restored");
    same(&dump(&conn), &wanted, "the database is the chosen backup");
    assert!(
        accounts::any(&conn).unwrap(),
        "the restored database has its accounts"
    );
    assert!(
        oldest.exists(),
        "the rotation never removes the restored file"
    );
    let v = audit::verify(&conn).unwrap();
    assert!(v.ok(), "{}", v.message());
}

#[test]
fn a_restore_refuses_files_that_are_not_a_backup_of_this_program_before_anything_changes() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("huce.db");
    let mut conn = town(&db_path, 6);
    let backups = dir.path().join("backups");
    // An unrelated SQLite database.
    let other = dir.path().join("别的程序.db");
    Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
        .unwrap();
    // A backup from a newer program.
    let newer = dir.path().join("huce-20261129-090000-手动.db");
    backup::backup_to(&conn, &newer).unwrap();
    Connection::open(&newer)
        .unwrap()
        .pragma_update(None, "user_version", db::SCHEMA_VERSION + 1)
        .unwrap();
    // A database from before accounts existed (schema 5).
    let old = dir.path().join("huce-20220920-090000-手动.db");
    {
        let c = Connection::open(&old).unwrap();
        db::configure(&c).unwrap();
        db::migrate_to(&c, 5).unwrap();
        huce_core::households::add_village(&c, "石鱼村", 1).unwrap();
        c.execute_batch("PRAGMA journal_mode = DELETE").unwrap();
    }
    // A backup of another town.
    let elsewhere = dir.path().join("elsewhere.db");
    let other_town = {
        let c = town(&elsewhere, 9);
        huce_core::town::save_names(&c, "铜梁区", "安居镇", crate::NOW).unwrap();
        let copy = dir.path().join("huce-20261128-090000-手动.db");
        backup::backup_to(&c, &copy).unwrap();
        copy
    };
    huce_core::town::save_names(&conn, "铜梁区", "石鱼镇", crate::NOW).unwrap();
    let before_names = dump(&conn);

    for (file, want) in [
        (&other, "不是本程序的数据库备份"),
        (&newer, "更新版本的程序"),
        (&old, "没有可以登录的管理员"),
        (&other_town, "安居镇"),
    ] {
        let entries = count(&conn, "SELECT count(*) FROM audit_log");
        let err =
            restore(&mut conn, file, &backups, at("2026-11-29 10:00:00")).expect_err("refused");
        assert!(err.to_string().contains(want), "{file:?}: {err}");
        same(
            &dump(&conn),
            &before_names,
            &format!("{file:?}: nothing changed"),
        );
        assert_eq!(
            count(&conn, "SELECT count(*) FROM audit_log"),
            entries,
            "{file:?}: not even a 恢复前 backup was recorded"
        );
        assert!(accounts::any(&conn).unwrap());
    }
}

#[test]
fn another_towns_backup_is_restored_only_when_its_town_is_confirmed_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = town(&dir.path().join("huce.db"), 6);
    huce_core::town::save_names(&conn, "铜梁区", "石鱼镇", crate::NOW).unwrap();
    let backups = dir.path().join("backups");
    let other = {
        let c = town(&dir.path().join("anju.db"), 9);
        huce_core::town::save_names(&c, "铜梁区", "安居镇", crate::NOW).unwrap();
        let copy = dir.path().join("huce-20261128-090000-手动.db");
        backup::backup_to(&c, &copy).unwrap();
        copy
    };
    let info = backup::inspect(&other, &backups, at("2026-11-29 10:00:00")).unwrap();
    assert_eq!(info.town_name, "安居镇");
    assert!(info.administrators >= 1);
    let err = backup::restore(
        &mut conn,
        &other,
        &backups,
        Some("石鱼镇"),
        at("2026-11-29 10:00:00"),
    )
    .expect_err("confirming the wrong name is no confirmation");
    assert!(err.to_string().contains("安居镇"), "{err}");
    backup::restore(
        &mut conn,
        &other,
        &backups,
        Some("安居镇"),
        at("2026-11-29 10:00:01"),
    )
    .unwrap();
    assert_eq!(
        settings::TownSettings::load(&conn).unwrap().town_name,
        "安居镇"
    );
    let v = audit::verify(&conn).unwrap();
    assert!(v.ok(), "{}", v.message());
}

/// Makes every audit entry fail to be written, as a crash between the change and its entry would.
fn audit_fails(conn: &Connection) {
    conn.execute_batch(
        "CREATE TEMP TRIGGER audit_fails BEFORE INSERT ON main.audit_log
         BEGIN SELECT RAISE(ABORT, 'audit entry not written'); END;",
    )
    .unwrap();
}

#[test]
fn an_audited_change_and_its_entry_are_one_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let conn = town(&dir.path().join("huce.db"), 7);
    let zhang = staff::add_staff(&conn, &person("张三"), NOW).unwrap();
    export::save_template(
        &conn,
        &ExportTemplate {
            name: "平台".into(),
            columns: vec![TemplateColumn {
                source: "户主姓名".into(),
                header: "户主".into(),
            }],
        },
        crate::NOW,
    )
    .unwrap();
    audit_fails(&conn);
    let before = dump(&conn);

    assert!(staff::add_staff(&conn, &person("李四"), NOW).is_err());
    assert!(staff::update_staff(&conn, zhang, &person("张三丰"), crate::NOW).is_err());
    let item = ProblemItemInput {
        part: ProblemPart::House,
        name: "门锁损坏".into(),
        stops_use: false,
        retired: false,
    };
    assert!(huce_core::problem_items::add_problem_item(&conn, &item, crate::NOW).is_err());
    assert!(huce_core::problem_items::update_problem_item(&conn, 1, &item, crate::NOW).is_err());
    assert!(export::save_template(
        &conn,
        &ExportTemplate {
            name: "新模板".into(),
            columns: vec![TemplateColumn {
                source: "户主姓名".into(),
                header: "户主".into(),
            }],
        },
        crate::NOW,
    )
    .is_err());
    assert!(export::delete_template(&conn, "平台", crate::NOW).is_err());
    same(
        &dump(&conn),
        &before,
        "a change whose audit entry could not be written is not made",
    );

    // An unmasked export whose entry cannot be written leaves no file behind.
    let out = dir.path().join("完整号码.xlsx");
    assert!(export::toilet_ledger(&conn, Scope::Town, Personal::Full, &out, "2026-11-29").is_err());
    assert!(
        !out.exists(),
        "an unaudited export of full ID numbers must not exist"
    );
}

#[test]
fn an_entry_and_the_head_kept_in_the_settings_are_written_together() {
    let conn = db::open_in_memory().unwrap();
    audit::append(&conn, NOW, "test", "t", 1, "第一条", serde_json::json!({})).unwrap();
    // The head cannot be written: the entry must not be written either.
    conn.execute_batch(
        "CREATE TEMP TRIGGER head_fails BEFORE UPDATE ON main.settings
         BEGIN SELECT RAISE(ABORT, 'head not written'); END;",
    )
    .unwrap();
    assert!(audit::append(&conn, NOW, "test", "t", 2, "第二条", serde_json::json!({})).is_err());
    assert_eq!(count(&conn, "SELECT count(*) FROM audit_log"), 1);
    let v = audit::verify(&conn).unwrap();
    assert!(v.ok(), "{}", v.message());
}

#[test]
fn a_full_disk_leaves_the_database_whole_and_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("huce.db");
    let ledger = dir.path().join("台账.xlsx");
    {
        let source = town(&dir.path().join("source.db"), 8);
        export::toilet_ledger(&source, Scope::Town, Personal::Full, &ledger, "2026-11-29").unwrap();
    }
    let mut conn = db::open(&db_path, crate::fixed_time()).unwrap();
    audit::set_actor(&conn, "测试员").unwrap();
    huce_core::town::save_names(&conn, "铜梁区", "石鱼镇", crate::NOW).unwrap();
    let before = dump(&conn);
    let pages: i64 = count(&conn, "PRAGMA page_count");
    conn.pragma_update(None, "max_page_count", pages + 2)
        .unwrap();
    let opts = huce_core::import::apply::ImportOptions {
        sheet: None,
        columns: None,
        default_village: None,
        create_places: true,
        actor: "测试员".into(),
        now: NOW.into(),
        current_year: 2026,
        list: Default::default(),
    };
    let mode = huce_core::import::apply::Mode::Commit {
        backup_dir: dir.path().join("backups"),
        stamp: "20261129-100000".into(),
    };
    let err =
        huce_core::import::apply::import_file(&mut conn, &ledger, &opts, &mode, &mut |_, _| {})
            .expect_err("the disk is full");
    assert_eq!(err.code(), "disk_full", "{err}");
    assert!(
        err.to_string().contains("磁盘空间已满") && err.to_string().contains("腾出空间"),
        "says what happened and what to do: {err}"
    );
    db::check_integrity(&conn).unwrap();
    same(&dump(&conn), &before, "nothing half-written remains");
    let v = audit::verify(&conn).unwrap();
    assert!(v.ok(), "{}", v.message());

    // Another writer on the same full disk: a staff edit.
    let err = (|| -> huce_core::Result<()> {
        for i in 0..200 {
            staff::add_staff(&conn, &person(&format!("工作人员{i}")), NOW)?;
        }
        Ok(())
    })()
    .expect_err("the disk fills up");
    assert_eq!(err.code(), "disk_full", "{err}");
    db::check_integrity(&conn).unwrap();
    let v = audit::verify(&conn).unwrap();
    assert!(
        v.ok(),
        "every staff member added is audited: {}",
        v.message()
    );
    let staff_rows = count(&conn, "SELECT count(*) FROM staff");
    let staff_entries = count(
        &conn,
        "SELECT count(*) FROM audit_log WHERE action = 'staff.add'",
    );
    assert_eq!(staff_rows, staff_entries, "no unaudited staff member");
}

#[test]
fn a_cut_off_tail_is_found_even_when_the_head_in_the_settings_was_edited_too() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("huce.db");
    let conn = town(&db_path, 10);
    for name in ["甲", "乙"] {
        staff::add_staff(&conn, &person(name), NOW).unwrap();
    }
    backup::take(
        &conn,
        &huce_core::paths::backup_dir(&db_path),
        Reason::Manual,
        at("2026-11-29 10:00:00"),
    )
    .unwrap();
    for name in ["丙", "丁"] {
        staff::add_staff(&conn, &person(name), NOW).unwrap();
    }
    let v = audit::verify(&conn).unwrap();
    assert!(v.ok(), "{}", v.message());
    assert!(
        v.message().contains("备份"),
        "the message names the outside anchor it compared with: {}",
        v.message()
    );

    // Outside the program: the last entries go, back to before the backup, and the head in
    // the settings is rewritten to match.
    let cut: i64 = count(
        &conn,
        "SELECT max(id) FROM audit_log WHERE action = 'staff.add' AND summary LIKE '%乙%'",
    );
    conn.execute("DELETE FROM audit_log WHERE id > ?1", [cut - 1])
        .unwrap();
    let (id, hash): (i64, String) = conn
        .query_row(
            "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    conn.execute(
        "UPDATE settings SET value = ?1 WHERE key = 'audit_head'",
        [format!("{id} {hash}")],
    )
    .unwrap();
    let v = audit::verify(&conn).unwrap();
    assert!(!v.ok(), "the cut is found");
    assert!(
        v.message().contains("备份"),
        "and the message says by which anchor: {}",
        v.message()
    );
}

#[test]
fn an_anchor_printed_on_paper_is_checked_against_the_log() {
    let conn = db::open_in_memory().unwrap();
    for i in 1..=3 {
        audit::append(&conn, NOW, "test", "t", i, "记录", serde_json::json!({})).unwrap();
    }
    let (id, hash) = audit::head(&conn).unwrap().unwrap();
    let printed = huce_core::anchors::printed(id, &hash);
    assert!(printed.starts_with("第 3 条 "), "{printed}");
    let paper: String = printed.chars().skip("第 3 条 ".chars().count()).collect();
    assert!(audit::check_printed(&conn, id, &paper)
        .unwrap()
        .starts_with("一致"));
    conn.execute("DELETE FROM audit_log WHERE id = 3", [])
        .unwrap();
    assert!(audit::check_printed(&conn, id, &paper)
        .unwrap()
        .starts_with("不一致"));
    assert!(audit::check_printed(&conn, 2, "0000 0000")
        .unwrap()
        .starts_with("不一致"));
    assert!(audit::check_printed(&conn, 2, "xyz").is_err());
}

/// The notice text, contact and documents folder are the town's settings: every change is
/// audited with old → new (the app's gate lets only administrators make it).
#[test]
fn document_settings_are_audited() {
    use huce_core::print::{DocumentSettings, NoticeSettings};
    let conn = db::open_in_memory().unwrap();
    audit::set_actor(&conn, "管理员（admin）").unwrap();
    let entries = |conn: &Connection| {
        count(
            conn,
            "SELECT count(*) FROM audit_log WHERE action = 'settings.documents'",
        )
    };
    let folder = std::env::temp_dir().join("户厕文书").display().to_string();
    let mut s = DocumentSettings::load(&conn).unwrap();
    s.save(&conn, crate::NOW).unwrap();
    assert_eq!(entries(&conn), 0, "nothing changed, nothing recorded");
    s.folder = Some(folder.clone());
    s.notice = NoticeSettings {
        phone: "023-45678901".into(),
        ..s.notice
    };
    s.save(&conn, crate::NOW).unwrap();
    assert_eq!(
        entries(&conn),
        2,
        "the notice and the folder, each with its entry"
    );
    let summary: String = conn
        .query_row(
            "SELECT group_concat(summary, '|') FROM audit_log WHERE action = 'settings.documents'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        summary.contains("023-45678901") && summary.contains(&folder),
        "{summary}"
    );
    s.folder = Some("文书".into());
    assert!(
        s.save(&conn, crate::NOW).is_err(),
        "a folder that is not a full path is refused"
    );
    assert_eq!(DocumentSettings::load(&conn).unwrap().folder, Some(folder));
}
