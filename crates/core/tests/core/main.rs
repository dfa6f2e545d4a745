//! Integration tests of the core on real SQLite files and in-memory databases with the real
//! migrations. One binary, one module per area.

mod accounts;
mod audit_log;
mod backups;
mod compare_kept;
mod demo_town;
mod engine;
mod field_work;
mod hostile_files;
#[cfg(not(windows))]
mod household_files;
mod household_queries;
mod import_apply;
mod import_files;
// Reads the core's source files, which the Windows build (run under Wine) does not carry.
#[cfg(not(windows))]
mod layers;
mod migrations;
// Printed documents are checked with poppler and PDFium, which the Windows build (run under
// Wine) does not have; on Windows these two modules are left out.
#[cfg(not(windows))]
mod printing;
mod progress;
#[cfg(not(windows))]
mod reports;
mod review;
mod safety;
// Needs the throw-away PostgreSQL cluster scripts/test.sh starts (HUCE_TEST_PG); the Windows
// run under Wine connects to the same cluster on the Linux host.
mod server;
#[cfg(not(windows))]
mod server_access;
#[cfg(not(windows))]
mod server_fieldwork;
#[cfg(not(windows))]
mod server_ledger_io;
#[cfg(not(windows))]
mod server_reports;
mod signoffs;
mod spot_samples;
mod standard_characters;
mod who_does_what;
#[cfg(windows)]
mod windows_paths;

pub const NOW: &str = "2026-11-29T10:00:00+08:00";

/// Names with rare characters: GBK's (堃 犇 喆 赟 昇), Extension A's (䶮) and the 通用规范汉字表's
/// outside both (CJK Extension B–E, four bytes in UTF-8 and in GB18030).
pub(crate) const RARE: [&str; 14] = [
    "李堃", "张犇", "王喆", "赵赟", "刘昇", "陈䶮", "王𬌗", "李𬱖", "张𫖯", "赵𬀩", "刘𬍤", "陈𬸚",
    "杨𫐄", "黄𬣙",
];

/// Whoever works on the file itself (as the command line does): an administrator linked to no
/// staff member.
pub fn local() -> huce_core::accounts::Account {
    huce_core::accounts::Account::local("测试员")
}

/// A staff member of 石鱼镇 named `name`, active, without roles; their id.
pub fn add_person<'a>(db: impl Into<huce_core::sql::Db<'a>>, name: &str) -> i64 {
    huce_core::staff::add_staff(
        db,
        &huce_core::staff::StaffInput {
            name: name.into(),
            unit: "石鱼镇".into(),
            phone: None,
            roles: String::new(),
            active: true,
        },
        NOW,
    )
    .unwrap()
}

/// The first administrator, as the first start of the app makes it (admin / shiyu2022).
pub fn first_admin<'a>(db: impl Into<huce_core::sql::Db<'a>>) -> huce_core::accounts::Account {
    huce_core::accounts::create_first_admin(
        db,
        &huce_core::accounts::AccountInput {
            username: "admin".into(),
            display_name: "管理员".into(),
            role: huce_core::model::Role::Admin,
            staff_id: None,
            password: Some("shiyu2022".into()),
            active: true,
        },
        NOW,
    )
    .unwrap()
}

/// `YYYY-MM-DD HH:MM:SS` as a time.
pub fn at(s: &str) -> chrono::NaiveDateTime {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
}

/// The one number a query gives.
pub fn count<'a>(db: impl Into<huce_core::sql::Db<'a>>, sql: &str) -> i64 {
    db.into().query_row(sql, [], |r| r.get(0)).unwrap()
}

/// A demo town in a file, with an administrator (as every database the app uses has), acting
/// as that administrator.
pub fn town_file(path: &std::path::Path, households: usize, seed: u64) -> rusqlite::Connection {
    let mut conn = huce_core::db::open(path, crate::fixed_time()).unwrap();
    first_admin(&conn);
    huce_core::demo::generate(
        &mut conn,
        huce_core::demo::DemoOptions { households, seed },
        NOW,
    )
    .unwrap();
    huce_core::audit::set_actor(&conn, "管理员（admin）").unwrap();
    conn
}

/// A staff member of the town office.
pub fn staff_member(name: &str) -> huce_core::staff::StaffInput {
    huce_core::staff::StaffInput {
        name: name.into(),
        unit: "石鱼镇".into(),
        phone: None,
        roles: String::new(),
        active: true,
    }
}

/// Every row of every table except the audit log and its head (in the settings), which record
/// the backups and restores themselves.
pub fn dump(conn: &rusqlite::Connection) -> Vec<String> {
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'audit_log' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut out = Vec::new();
    for t in tables {
        let filter = if t == "settings" {
            " WHERE key <> 'audit_head'"
        } else {
            ""
        };
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM \"{t}\"{filter}"))
            .unwrap();
        let n = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            let cells: Vec<String> = (0..n)
                .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                .collect();
            out.push(format!("{t}|{}", cells.join("|")));
        }
    }
    out.sort();
    out
}

/// A file of the repository's `tests/fixtures`.
pub fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name)
}

/// [`NOW`] as a local time, for the steps that take one (opening, backups, printing).
pub fn fixed_time() -> chrono::NaiveDateTime {
    at("2026-11-29 10:00:00")
}
