//! Integration tests of the core on real SQLite files and in-memory databases with the real
//! migrations. One binary, one module per area.

mod accounts;
mod audit_log;
mod backups;
mod demo_town;
mod field_work;
mod hostile_files;
mod household_queries;
mod import_apply;
mod import_files;
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
mod signoffs;
mod spot_samples;
mod who_does_what;
#[cfg(windows)]
mod windows_paths;

pub const NOW: &str = "2026-11-29T10:00:00+08:00";

/// Whoever works on the file itself (as the command line does): an administrator linked to no
/// staff member.
pub fn local() -> huce_core::accounts::Account {
    huce_core::accounts::Account::local("测试员")
}

/// The first administrator, as the first start of the app makes it (admin / shiyu2022).
pub fn first_admin(conn: &rusqlite::Connection) -> huce_core::accounts::Account {
    huce_core::accounts::create_first_admin(
        conn,
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
