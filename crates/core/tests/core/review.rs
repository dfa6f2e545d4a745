//! Defects found in review of the safety work (issue 12), each pinned by a test written before
//! its fix: who may record a 镇级复核, an atomic unit whose commit fails, the documents folder
//! set back to its default, an unknown user name kept out of the log, an unmasked export whose
//! file cannot be named, a restored file carrying objects of its own, the audit anchors against a
//! rewritten first entry and a made-up restore, a printed anchor from before a restore, a
//! workbook whose sheets together ask for too much memory, and anchors from before two restores
//! in a row (found by the crash test).

use std::io::Write;
use std::path::Path;

use huce_core::accounts::{self, AccountInput};
use huce_core::backup::{self, Reason};
use huce_core::export::{self, Personal};
use huce_core::households::Scope;
use huce_core::model::Role;
use huce_core::print::DocumentSettings;
use huce_core::{audit, db, settings, staff};
use rusqlite::Connection;

use crate::engine::TestDb;
use crate::{at, count, staff_member as person, town_file, NOW};

fn town(path: &Path) -> Connection {
    town_file(path, 40, 21)
}

/// The same town as [`town`], on the run's engine: with an administrator, acting as that
/// administrator.
fn town_db() -> TestDb {
    let t = crate::engine::fresh();
    crate::first_admin(&t);
    huce_core::demo::generate_on(
        &t,
        huce_core::demo::DemoOptions {
            households: 40,
            seed: 21,
        },
        NOW,
    )
    .unwrap();
    audit::set_actor(&t, "管理员（admin）").unwrap();
    t
}

/// The plan puts the town's 督导组 in charge of the 镇级核查: a 督导 records 镇级复核 results (and
/// 区级抽查), not 村级自查.
#[test]
fn a_supervisor_records_town_rechecks() {
    use huce_core::inspections::{self, InspectionInput};
    use huce_core::model::{HouseholdStatus, InspectionKind};
    let conn = town_db();
    let admin = accounts::login(&conn, "admin", "shiyu2022", NOW).unwrap();
    let supervisor = accounts::add(
        &conn,
        &admin,
        &AccountInput {
            username: "dudao".into(),
            display_name: "赵督导".into(),
            role: Role::Supervisor,
            staff_id: None,
            password: Some("dudao2022".into()),
            active: true,
        },
        NOW,
    )
    .unwrap();
    let staff: Vec<i64> = conn
        .prepare("SELECT id FROM staff WHERE active = 1 ORDER BY id LIMIT 2")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let toilet: i64 = conn
        .query_row(
            "SELECT id FROM toilets t WHERE NOT EXISTS (SELECT 1 FROM rectifications r
               WHERE r.toilet_id = t.id AND r.state <> 'closed') ORDER BY id LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let form = |kind| InspectionInput {
        toilet_id: toilet,
        kind,
        inspected_on: "2022-10-20".into(),
        members: staff.clone(),
        household_status: HouseholdStatus::Normal,
        status_note: None,
        in_normal_use: Some(true),
        no_problem: true,
        problems: vec![],
        photos: vec![],
        corrections: vec![],
        remarks: None,
        recorded_by: staff[0],
        decision: None,
        close_on_site: None,
    };
    inspections::save(
        &conn,
        &supervisor,
        &form(InspectionKind::TownRecheck),
        "2026-11-29",
        NOW,
    )
    .expect("a 督导 records a 镇级复核");
    let err = inspections::save(
        &conn,
        &supervisor,
        &form(InspectionKind::VillageSelf),
        "2026-11-29",
        NOW,
    )
    .unwrap_err();
    assert_eq!(
        err.code(),
        "forbidden",
        "the village's own check is not theirs: {err}"
    );
}

/// A unit whose commit fails (here: a foreign key checked at commit) leaves no transaction
/// open behind it; the next change commits normally.
// File only: a key checked at commit (PRAGMA defer_foreign_keys) and the open transaction are the file's.
#[test]
fn an_atomic_unit_whose_commit_fails_leaves_no_transaction_open() {
    let conn = db::open_in_memory().unwrap();
    conn.execute_batch("PRAGMA defer_foreign_keys = ON")
        .unwrap();
    let failed = db::atomically(&conn, |c| {
        c.execute(
            "INSERT INTO village_groups (village_id, name) VALUES (999, '3社')",
            [],
        )?;
        Ok(())
    });
    assert!(failed.is_err(), "the dangling reference fails the commit");
    assert!(conn.is_autocommit(), "no transaction is left open");
    huce_core::households::add_village(&conn, "石鱼村", 1).unwrap();
    assert_eq!(count(&conn, "SELECT count(*) FROM villages"), 1);
}

/// After a custom folder, the office can go back to `文书/` beside the database.
#[test]
fn the_documents_folder_goes_back_to_the_default() {
    let conn = crate::engine::fresh();
    let mut s = DocumentSettings::load(&conn).unwrap();
    s.folder = Some(std::env::temp_dir().join("文书甲").display().to_string());
    s.save(&conn, crate::NOW).unwrap();
    s.folder = Some(String::new());
    s.save(&conn, crate::NOW)
        .expect("an empty folder means the default");
    assert_eq!(DocumentSettings::load(&conn).unwrap().folder, None);
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM audit_log WHERE action = 'settings.documents'"
        ),
        2,
        "both changes are recorded"
    );
}

/// A name typed into the user-name box may be a password typed in the wrong box: it never goes
/// into the audit log, which many can read and nobody can clean.
#[test]
fn an_unknown_user_name_is_not_written_into_the_log() {
    let conn = crate::engine::fresh();
    crate::first_admin(&conn);
    let _ = accounts::login(&conn, "Secret-pass-2024", "x", NOW);
    let leaked = count(
        &conn,
        "SELECT count(*) FROM audit_log WHERE summary LIKE '%Secret-pass-2024%' OR detail LIKE '%Secret-pass-2024%'",
    );
    assert_eq!(leaked, 0);
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM audit_log WHERE action = 'login.failed'"
        ),
        1,
        "the failed attempt itself is recorded"
    );
}

/// An unmasked export whose file cannot get its name (a folder of that name, a file open in
/// Excel) leaves neither the full numbers on disk nor an entry saying it was exported.
#[test]
fn an_unmasked_export_that_cannot_be_named_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let conn = town_db();
    let out = dir.path().join("完整号码.xlsx");
    std::fs::create_dir_all(out.join("占用")).unwrap();
    let before = count(&conn, "SELECT count(*) FROM audit_log");
    assert!(export::toilet_ledger(&conn, Scope::Town, Personal::Full, &out, "2026-11-29").is_err());
    assert!(
        !dir.path().join("完整号码.xlsx.part").exists(),
        "the full numbers are not left in a .part file"
    );
    assert_eq!(
        count(&conn, "SELECT count(*) FROM audit_log"),
        before,
        "no entry for an export that did not happen"
    );
}

/// A "backup" carrying a trigger of its own would change later records behind the audit log's
/// back: a restore accepts only this program's schema.
// File only: backs up and restores the database file.
#[test]
fn a_backup_with_objects_of_its_own_is_not_restored() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = town(&dir.path().join("huce.db"));
    let crafted = dir.path().join("huce-20261129-090000-手动.db");
    backup::backup_to(&conn, &crafted).unwrap();
    Connection::open(&crafted)
        .unwrap()
        .execute_batch(
            "CREATE TRIGGER quiet AFTER INSERT ON inspections BEGIN
               UPDATE inspections SET has_problems = 0 WHERE id = NEW.id; END;",
        )
        .unwrap();
    let err = backup::restore(
        &mut conn,
        &crafted,
        &dir.path().join("backups"),
        None,
        at("2026-11-29 10:00:00"),
    )
    .expect_err("refused");
    assert!(err.to_string().contains("quiet"), "{err}");
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM sqlite_schema WHERE name = 'quiet'"
        ),
        0
    );
}

/// Recomputes the whole chain (what someone who edits the file and knows the hash would do),
/// and the head in the settings.
fn rehash(conn: &Connection) {
    /// at, actor, action, entity, entity_id, summary, detail
    type Row = [String; 7];
    let rows: Vec<Row> = conn
        .prepare("SELECT at, actor, action, entity, entity_id, summary, detail FROM audit_log ORDER BY id")
        .unwrap()
        .query_map([], |r| {
            Ok([
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ])
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    conn.execute("DELETE FROM audit_log", []).unwrap();
    conn.execute("DELETE FROM settings WHERE key = 'audit_head'", [])
        .unwrap();
    for [at, actor, action, entity, entity_id, summary, detail] in rows {
        audit::set_actor(conn, &actor).unwrap();
        let detail: serde_json::Value = serde_json::from_str(&detail).unwrap();
        audit::append(conn, &at, &action, &entity, entity_id, &summary, detail).unwrap();
    }
}

/// Rewriting the first entry (and so every hash after it) must not make the backups look like
/// another database's: they are compared, and the rewrite is found.
// File only: the anchors of the file's backups.
#[test]
fn a_rewritten_first_entry_does_not_hide_the_log_from_its_backups() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("huce.db");
    let conn = town(&db_path);
    backup::take(
        &conn,
        &huce_core::paths::backup_dir(&db_path),
        Reason::Manual,
        at("2026-11-29 10:00:00"),
    )
    .unwrap();
    std::fs::remove_file(huce_core::paths::anchors_file(&db_path)).unwrap();
    conn.execute(
        "UPDATE audit_log SET summary = summary || '（改）' WHERE id = 1",
        [],
    )
    .unwrap();
    rehash(&conn);
    let v = audit::verify(&conn).unwrap();
    assert!(
        !v.ok(),
        "the backup of this database still counts: {}",
        v.message()
    );
}

/// Appending a made-up restore entry does not excuse the anchors taken before it: without the
/// 恢复前 backup the restore names, they are compared as usual.
// File only: the anchors of the file's backups.
#[test]
fn a_made_up_restore_entry_does_not_excuse_earlier_anchors() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("huce.db");
    let conn = town(&db_path);
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
    // Cut the tail back before the backup, and append a "restore" dated after it.
    let cut: i64 = count(
        &conn,
        "SELECT max(id) FROM audit_log WHERE summary LIKE '%“甲”%'",
    );
    conn.execute("DELETE FROM audit_log WHERE id >= ?1", [cut])
        .unwrap();
    rehash(&conn);
    audit::append(
        &conn,
        "2026-11-29T11:00:00+08:00",
        "restore",
        "database",
        "main",
        "从备份 x 恢复数据库",
        serde_json::json!({ "from": "x", "safety": "y", "replaced_head": [999, "0"] }),
    )
    .unwrap();
    let v = audit::verify(&conn).unwrap();
    assert!(!v.ok(), "{}", v.message());
}

/// A 签字背书表 printed before a proper restore is said to be from before it — not tampering.
// File only: restores the database file from its backup.
#[test]
fn a_sheet_printed_before_a_restore_is_not_called_tampered() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("huce.db");
    let mut conn = town(&db_path);
    let backups = huce_core::paths::backup_dir(&db_path);
    let older = backup::take(&conn, &backups, Reason::Manual, at("2026-11-29 10:00:00")).unwrap();
    for name in ["甲", "乙", "丙"] {
        staff::add_staff(&conn, &person(name), NOW).unwrap();
    }
    let (id, hash) = audit::head(&conn).unwrap().unwrap();
    let printed: String = hash.chars().take(16).collect();
    backup::restore(&mut conn, &older, &backups, None, at("2026-11-29 11:00:00")).unwrap();
    let said = audit::check_printed(&conn, id, &printed).unwrap();
    assert!(
        said.contains("恢复") && !said.contains("报告镇纪委"),
        "the sheet is matched in the 恢复前 backup: {said}"
    );
}

/// Several sheets, each spanning the most an .xls can hold, together ask for gigabytes: the
/// budget is the workbook's, not each sheet's.
#[test]
fn an_xls_whose_sheets_together_ask_for_gigabytes_is_refused() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    fn record(out: &mut Vec<u8>, kind: u16, data: &[u8]) {
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&(data.len() as u16).to_le_bytes());
        out.extend_from_slice(data);
    }
    let bof = |dt: u16| {
        let mut d = vec![0u8; 16];
        d[0..2].copy_from_slice(&0x0600u16.to_le_bytes());
        d[2..4].copy_from_slice(&dt.to_le_bytes());
        d
    };
    let number = |row: u16, col: u16| {
        let mut d = Vec::new();
        d.extend_from_slice(&row.to_le_bytes());
        d.extend_from_slice(&col.to_le_bytes());
        d.extend_from_slice(&0u16.to_le_bytes());
        d.extend_from_slice(&1.0f64.to_le_bytes());
        d
    };
    let sheets = 8;
    let mut globals = Vec::new();
    record(&mut globals, 0x0809, &bof(0x0005));
    let mut pointers = Vec::new();
    for i in 0..sheets {
        pointers.push(globals.len() + 4);
        let mut bs = vec![0u8; 6];
        bs.push(1);
        bs.push(0);
        bs.push(b'A' + i as u8);
        record(&mut globals, 0x0085, &bs);
    }
    record(&mut globals, 0x000A, &[]);
    for p in pointers {
        let offset = globals.len() as u32;
        globals[p..p + 4].copy_from_slice(&offset.to_le_bytes());
        record(&mut globals, 0x0809, &bof(0x0010));
        record(&mut globals, 0x0203, &number(0, 0));
        record(&mut globals, 0x0203, &number(65_535, 255));
        record(&mut globals, 0x000A, &[]);
    }
    let path = dir.path().join("八张大表.xls");
    let mut cfb = cfb::create(&path).unwrap();
    cfb.create_stream("/Workbook")
        .unwrap()
        .write_all(&globals)
        .unwrap();
    cfb.flush().unwrap();
    drop(cfb);
    let mut size = Vec::new();
    std::fs::File::open(&path)
        .unwrap()
        .read_to_end(&mut size)
        .unwrap();
    assert!(size.len() < 50_000, "a small file: {} bytes", size.len());
    let err = huce_core::import::read::read_file(&path).expect_err("refused before reading");
    assert!(err.to_string().contains("没有读取"), "{err}");
}

/// The town names a restore compares: an empty town name in the live file accepts any backup,
/// as before; the check above is about named towns.
// File only: restores the database file from its backup.
#[test]
fn a_town_without_a_name_restores_any_backup_of_this_program() {
    let dir = tempfile::tempdir().unwrap();
    let source = town(&dir.path().join("a.db"));
    huce_core::town::save_names(&source, "铜梁区", "安居镇", crate::NOW).unwrap();
    let copy = dir.path().join("huce-20261129-090000-手动.db");
    backup::backup_to(&source, &copy).unwrap();
    let mut fresh = db::open(&dir.path().join("b.db"), crate::fixed_time()).unwrap();
    crate::first_admin(&fresh);
    backup::restore(
        &mut fresh,
        &copy,
        &dir.path().join("backups"),
        None,
        at("2026-11-29 10:00:00"),
    )
    .unwrap();
    assert_eq!(
        settings::TownSettings::load(&fresh).unwrap().town_name,
        "安居镇"
    );
}

/// Two restores, one after the other (the office restored the wrong backup, then the right one;
/// or twice within a second): the anchors and the sheets printed before the first restore are
/// found in the first restore's 恢复前 backup — reached through the second's — and the log
/// verifies.
// File only: restores the database file from its backups.
#[test]
fn anchors_from_before_two_restores_are_found_in_the_first_safety_backup() {
    for (first, second) in [
        ("2026-11-29 11:00:00", "2026-11-29 12:00:00"),
        ("2026-11-29 11:00:00", "2026-11-29 11:00:00"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let db_path = dir.path().join("huce.db");
        let mut conn = town(&db_path);
        let backups = huce_core::paths::backup_dir(&db_path);
        let older =
            backup::take(&conn, &backups, Reason::Manual, at("2026-11-29 10:00:00")).unwrap();
        for name in ["甲", "乙"] {
            staff::add_staff(&conn, &person(name), NOW).unwrap();
        }
        backup::take(&conn, &backups, Reason::Manual, at("2026-11-29 10:30:00")).unwrap();
        let (id, hash) = audit::head(&conn).unwrap().unwrap();
        let printed: String = hash.chars().take(16).collect();
        backup::restore(&mut conn, &older, &backups, None, at(first)).unwrap();
        let first_safety: Vec<_> = backup::list(&backups)
            .unwrap()
            .into_iter()
            .filter(|b| b.reason == Reason::BeforeRestore)
            .collect();
        assert_eq!(first_safety.len(), 1);
        staff::add_staff(&conn, &person("丙"), NOW).unwrap();
        backup::restore(&mut conn, &older, &backups, None, at(second)).unwrap();

        let v = audit::verify(&conn).unwrap();
        assert!(v.ok(), "{first} / {second}: {}", v.message());
        assert!(v.anchors_superseded > 0, "{}", v.message());
        let said = audit::check_printed(&conn, id, &printed).unwrap();
        assert!(
            said.contains("恢复") && !said.contains("报告镇纪委"),
            "{first} / {second}: {said}"
        );

        // The first 恢复前 backup rotated away (or deleted by hand): what came before the first
        // restore can no longer be checked, but it is not called tampering.
        std::fs::remove_file(&first_safety[0].path).unwrap();
        let v = audit::verify(&conn).unwrap();
        assert!(v.ok(), "{first} / {second}: {}", v.message());
    }
}
