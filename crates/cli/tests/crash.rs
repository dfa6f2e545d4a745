//! Crash test: the `huce` process is killed with SIGKILL at random moments while it imports a
//! ledger, saves a stream of inspections, edits staff, takes backups and restores a backup —
//! many times each. After every kill the database must pass `integrity_check`, an import must be
//! wholly there or not at all, every change the process acknowledged must be there, no change
//! may be there without its audit entry, a backup that looks whole must be recorded, a restore
//! must be whole (with its entry) or not at all, and the audit log's chain must still verify.

#![cfg(unix)]

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use huce_core::rng::Rng;
use rusqlite::Connection;

use common::{huce, open_db, run_ok};

/// Kills of each kind (260 in all).
const IMPORTS: usize = 80;
const SAVES: usize = 80;
const STAFF_EDITS: usize = 40;
const BACKUPS: usize = 30;
const RESTORES: usize = 30;

fn check_whole(db: &Path) -> Connection {
    let conn = Connection::open(db).unwrap();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok", "{db:?}");
    conn
}

fn audit_ok(db: &Path) {
    let conn = open_db(db);
    let v = huce_core::audit::verify(&conn).unwrap();
    assert!(v.ok(), "{}", v.message());
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// Runs `cmd`, kills it (SIGKILL) after `wait`, and returns the lines it printed.
fn kill_after(mut cmd: Command, wait: Duration) -> (Vec<String>, bool) {
    let mut child: Child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<String>>()
    });
    std::thread::sleep(wait);
    let _ = child.kill(); // SIGKILL
    let status = child.wait().unwrap();
    (reader.join().unwrap(), status.success())
}

/// How long a whole run of `cmd` takes here, to spread the kills over it.
fn time_of(mut cmd: Command) -> Duration {
    let started = Instant::now();
    run_ok(&mut cmd);
    started.elapsed()
}

fn between(rng: &mut Rng, full: Duration) -> Duration {
    let wait = full.as_micros() as u64 * 12 / 10;
    Duration::from_micros(rng.below(wait.max(1)))
}

#[test]
fn killed_imports_saves_staff_edits_backups_and_restores_leave_a_whole_audited_database() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo.db");
    run_ok(
        huce()
            .args(["demo", "--households", "400", "--seed", "11", "--out"])
            .arg(&demo),
    );
    let ledger = dir.path().join("ledger.xlsx");
    run_ok(
        huce()
            .args(["export", "ledger", "--db"])
            .arg(&demo)
            .arg("--out")
            .arg(&ledger)
            .arg("--full"),
    );
    let mut rng = Rng::new(20221016);
    let mut report = Vec::new();

    // Imports: all or nothing.
    let import_into = |db: &Path| {
        let mut c = huce();
        c.arg("import")
            .arg(&ledger)
            .arg("--db")
            .arg(db)
            .arg("--create-places");
        c
    };
    let init = |db: &Path| {
        run_ok(
            huce()
                .arg("init")
                .arg(db)
                .args(["--district", "铜梁区", "--town", "石鱼镇"]),
        )
    };
    let probe = dir.path().join("probe.db");
    init(&probe);
    let full = time_of(import_into(&probe));
    assert_eq!(
        count(&check_whole(&probe), "SELECT count(*) FROM households"),
        400
    );
    let (mut before, mut after) = (0, 0);
    for i in 0..IMPORTS {
        let db = dir.path().join(format!("import-{i}.db"));
        init(&db);
        kill_after(import_into(&db), between(&mut rng, full));
        let conn = check_whole(&db);
        let households = count(&conn, "SELECT count(*) FROM households");
        let batches = count(&conn, "SELECT count(*) FROM import_batches");
        let entries = count(
            &conn,
            "SELECT count(*) FROM audit_log WHERE action = 'import'",
        );
        match households {
            0 => {
                assert_eq!(
                    (batches, entries),
                    (0, 0),
                    "kill {i}: no households, no batch"
                );
                before += 1;
            }
            400 => {
                assert_eq!(
                    (batches, entries),
                    (1, 1),
                    "kill {i}: the batch is recorded and audited with its rows"
                );
                after += 1;
            }
            n => panic!("kill {i}: a half-applied import ({n} of 400 households)"),
        }
        drop(conn);
        audit_ok(&db);
        std::fs::remove_file(&db).unwrap();
    }
    assert!(
        before > 0 && after > 0,
        "kills landed on both sides of the commit"
    );
    report.push(format!(
        "{IMPORTS} imports ({before} before commit, {after} after; none half-applied)"
    ));

    // Inspections: every acknowledged save is there. (The demo town's own inspections are
    // recorded by one entry for the whole demo; the saves from here on each have their own.)
    let (mut acked_total, mut mid_stream) = (0, 0);
    let first_saved = count(
        &check_whole(&demo),
        "SELECT coalesce(max(id), 0) + 1 FROM inspections",
    );
    for i in 0..SAVES {
        let mut c = huce();
        c.args(["stress-save", "--count", "100000", "--db"])
            .arg(&demo);
        let (lines, finished) = kill_after(c, Duration::from_millis(20 + rng.below(180)));
        mid_stream += usize::from(!finished);
        let conn = check_whole(&demo);
        for id in lines.iter().filter_map(|l| l.strip_prefix("acked ")) {
            let there: bool = conn
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM inspections WHERE id = ?1)",
                    [id],
                    |r| r.get(0),
                )
                .unwrap();
            assert!(there, "kill {i}: acknowledged inspection {id} is missing");
            acked_total += 1;
        }
        let unaudited = count(
            &conn,
            &format!(
                "SELECT count(*) FROM inspections i WHERE i.id >= {first_saved} AND NOT EXISTS
                   (SELECT 1 FROM audit_log a WHERE a.entity = 'inspection'
                    AND a.entity_id = CAST(i.id AS TEXT) AND a.action = 'inspection.save')"
            ),
        );
        assert_eq!(
            unaudited, 0,
            "kill {i}: an inspection without its audit entry"
        );
        drop(conn);
        audit_ok(&demo);
    }
    assert!(acked_total > 0 && mid_stream > SAVES / 2);
    report.push(format!(
        "{SAVES} save streams ({mid_stream} mid-stream, {acked_total} acknowledged saves, all present and audited)"
    ));

    // Staff edits: every acknowledged change is there, every row matches its latest entry.
    let mut staff_acked = 0;
    for i in 0..STAFF_EDITS {
        let mut c = huce();
        c.args(["stress-staff", "--count", "100000", "--db"])
            .arg(&demo);
        let (lines, _) = kill_after(c, Duration::from_millis(20 + rng.below(180)));
        let conn = check_whole(&demo);
        let mut latest: std::collections::HashMap<i64, String> = Default::default();
        for l in &lines {
            if let Some((id, name)) = l.strip_prefix("acked ").and_then(|r| r.split_once(' ')) {
                latest.insert(id.parse().unwrap(), name.to_string());
                staff_acked += 1;
            }
        }
        for (id, name) in &latest {
            let now: String = conn
                .query_row("SELECT name FROM staff WHERE id = ?1", [id], |r| r.get(0))
                .unwrap_or_else(|_| panic!("kill {i}: acknowledged staff member {id} is missing"));
            assert!(
                now == *name || now == format!("{name}改"),
                "kill {i}: staff {id} is {now:?}, acknowledged as {name:?}"
            );
        }
        // No staff row, however it came to be, without the audit entry that names its state.
        let mut stmt = conn
            .prepare(
                "SELECT s.id, s.name, (SELECT a.detail FROM audit_log a WHERE a.entity = 'staff'
                   AND a.entity_id = CAST(s.id AS TEXT) ORDER BY a.id DESC LIMIT 1)
                 FROM staff s",
            )
            .unwrap();
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                ))
            })
            .unwrap();
        for row in rows {
            let (id, name, detail) = row.unwrap();
            let detail: serde_json::Value = serde_json::from_str(
                &detail.unwrap_or_else(|| panic!("kill {i}: staff {id} has no audit entry")),
            )
            .unwrap();
            let audited = match &detail["name"] {
                serde_json::Value::Array(pair) => pair[1].as_str().unwrap_or("").to_string(),
                v => v.as_str().unwrap_or("").to_string(),
            };
            assert_eq!(
                audited, name,
                "kill {i}: staff {id} changed without its entry"
            );
        }
        drop(stmt);
        drop(conn);
        audit_ok(&demo);
    }
    assert!(staff_acked > 0);
    report.push(format!(
        "{STAFF_EDITS} staff-edit streams ({staff_acked} acknowledged changes, all present and audited)"
    ));

    // Backups: a backup that looks whole is recorded; one cut short is marked .part.
    let backups = huce_core::paths::backup_dir(&demo);
    let backup_cmd = || {
        let mut c = huce();
        c.args(["backup", "--db"]).arg(&demo);
        c
    };
    let full = time_of(backup_cmd());
    let (mut whole, mut parts) = (0, 0);
    for i in 0..BACKUPS {
        kill_after(backup_cmd(), between(&mut rng, full));
        let conn = check_whole(&demo);
        for entry in std::fs::read_dir(&backups).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".part") {
                continue;
            }
            if name.contains("-手动") && name.ends_with(".db") {
                let recorded = count(
                    &conn,
                    &format!(
                        "SELECT count(*) FROM audit_log WHERE action = 'backup' AND detail LIKE '%{}%'",
                        name.replace('\'', "''")
                    ),
                );
                assert_eq!(
                    recorded, 1,
                    "kill {i}: {name} looks whole but was not recorded"
                );
                huce_core::backup::verify(&path).unwrap();
            }
        }
        drop(conn);
        audit_ok(&demo);
    }
    for entry in std::fs::read_dir(&backups).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        whole += usize::from(name.contains("-手动") && name.ends_with(".db"));
        parts += usize::from(name.ends_with(".part"));
    }
    report.push(format!(
        "{BACKUPS} backups ({whole} whole and recorded, {parts} left marked .part)"
    ));

    // Restores: whole with its audit entry, or not at all.
    std::fs::create_dir_all(dir.path().join("恢复")).unwrap();
    let town = dir.path().join("恢复").join("restore.db");
    std::fs::copy(&demo, &town).unwrap();
    {
        let conn = open_db(&town);
        huce_core::accounts::create_first_admin(
            &conn,
            &huce_core::accounts::AccountInput {
                username: "admin".into(),
                display_name: "管理员".into(),
                role: huce_core::model::Role::Admin,
                staff_id: None,
                password: Some("shiyu2022".into()),
                active: true,
            },
            "2026-11-29T09:00:00+08:00",
        )
        .unwrap();
    }
    let source = huce_core::paths::backup_dir(&town).join("source.db");
    {
        let conn = open_db(&town);
        huce_core::backup::backup_to(&conn, &source).unwrap();
    }
    let restore_cmd = || {
        let mut c = huce();
        c.args(["restore", "--db"])
            .arg(&town)
            .arg("--from")
            .arg(&source);
        c
    };
    let mark = |i: usize| {
        let conn = open_db(&town);
        huce_core::audit::set_actor(&conn, "测试").unwrap();
        huce_core::staff::add_staff(
            &conn,
            &huce_core::staff::StaffInput {
                name: format!("恢复前标记{i}"),
                unit: "测试".into(),
                phone: None,
                roles: String::new(),
                active: true,
            },
            "2026-11-29T09:00:00+08:00",
        )
        .unwrap();
    };
    mark(999);
    let full = time_of(restore_cmd());
    let (mut restored, mut untouched) = (0, 0);
    for i in 0..RESTORES {
        mark(i);
        kill_after(restore_cmd(), between(&mut rng, full));
        let conn = check_whole(&town);
        let marked = count(
            &conn,
            &format!("SELECT count(*) FROM staff WHERE name = '恢复前标记{i}'"),
        );
        let last: String = conn
            .query_row(
                "SELECT action FROM audit_log ORDER BY id DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        if marked == 1 {
            untouched += 1;
        } else {
            assert_eq!(
                last, "restore",
                "kill {i}: the data was replaced, so the restore is the last entry"
            );
            assert_eq!(
                count(
                    &conn,
                    "SELECT count(*) FROM staff WHERE name LIKE '恢复前标记%'"
                ),
                0,
                "kill {i}: restored whole, as the backup was"
            );
            restored += 1;
        }
        assert!(
            count(&conn, "SELECT count(*) FROM accounts WHERE role = 'admin'") >= 1,
            "kill {i}: never a database without an administrator"
        );
        drop(conn);
        audit_ok(&town);
    }
    assert!(restored > 0 && untouched > 0, "kills landed on both sides");
    report.push(format!(
        "{RESTORES} restores ({restored} done with their entry, {untouched} not begun or rolled back)"
    ));

    eprintln!(
        "crash test, {} kills: {}; integrity_check and the audit chain passed after every kill",
        IMPORTS + SAVES + STAFF_EDITS + BACKUPS + RESTORES,
        report.join("; ")
    );
}
