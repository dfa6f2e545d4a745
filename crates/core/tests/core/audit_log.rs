//! The hash-chained audit log: changes are recorded with who and old → new, and an entry
//! edited, deleted or moved outside the app is found, naming the first broken entry.

use huce_core::audit::{self, Filter};
use huce_core::demo::{self, DemoOptions};
use huce_core::staff::{self, StaffInput};

use crate::engine::TestDb;
use crate::NOW;

fn person(name: &str) -> StaffInput {
    StaffInput {
        name: name.into(),
        unit: "石鱼镇农业服务中心".into(),
        phone: Some("13800000000".into()),
        roles: String::new(),
        active: true,
    }
}

/// A small town with a few recorded changes by two people. The demo's own field work is logged
/// as it is made; the last three entries are the changes made here.
fn logged() -> TestDb {
    let conn = crate::engine::fresh();
    audit::set_actor(&conn, "管理员").unwrap();
    demo::generate_on(
        &conn,
        DemoOptions {
            households: 120,
            seed: 3,
        },
        NOW,
    )
    .unwrap();
    huce_core::town::save_names(&conn, "铜梁区", "石鱼镇", crate::NOW).unwrap();
    audit::set_actor(&conn, "李明").unwrap();
    let id = staff::add_staff(&conn, &person("周玥"), NOW).unwrap();
    let mut changed = person("周玥");
    changed.phone = Some("13900000000".into());
    staff::update_staff(&conn, id, &changed, crate::NOW).unwrap();
    conn
}

fn count(conn: &TestDb) -> i64 {
    conn.query_row("SELECT count(*) FROM audit_log", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn changes_are_logged_with_who_and_old_and_new() {
    let conn = logged();
    let n = count(&conn);
    assert!(n > 4, "the demo's staff and decisions are logged too");
    let v = audit::verify(&conn).unwrap();
    assert!(v.ok(), "{}", v.message());
    assert_eq!(v.entries, n);
    assert!(v.message().contains(&format!("共 {n} 条")));

    let (total, entries) = audit::list(&conn, &Filter::default(), 0, 200).unwrap();
    assert_eq!(total, n);
    assert_eq!(entries[0].action, "staff.update", "newest first");
    assert_eq!(entries[0].actor, "李明");
    let detail: serde_json::Value = serde_json::from_str(&entries[0].detail).unwrap();
    assert_eq!(
        detail["phone"],
        serde_json::json!(["13800000000", "13900000000"]),
        "old → new"
    );
    assert_eq!(entries[1].action, "staff.add");
    assert_eq!(entries[2].action, "settings.town");
    assert_eq!(entries[3].action, "demo");
    assert!(
        entries.iter().skip(2).all(|e| e.actor == "管理员"),
        "what the administrator did is signed with the administrator"
    );
    assert!(entries.iter().any(|e| e.action == "case.move"));

    let by = |f: Filter| audit::list(&conn, &f, 0, 10).unwrap().0;
    assert_eq!(
        by(Filter {
            actor: Some("李明".into()),
            ..Filter::default()
        }),
        2
    );
    assert_eq!(
        by(Filter {
            action: Some("staff.update".into()),
            ..Filter::default()
        }),
        1
    );
    assert_eq!(
        by(Filter {
            text: Some("区、镇名称".into()),
            ..Filter::default()
        }),
        1
    );
    assert_eq!(
        by(Filter {
            from: Some("2099-01-01".into()),
            ..Filter::default()
        }),
        0
    );
}

fn broken_at(conn: &TestDb) -> (Option<i64>, String) {
    let v = audit::verify(conn).unwrap();
    (v.broken_at, v.message())
}

#[test]
fn an_edited_entry_is_found() {
    let conn = logged();
    conn.execute(
        "UPDATE audit_log SET summary = '添加工作人员“别人”' WHERE id = 3",
        [],
    )
    .unwrap();
    let (at, msg) = broken_at(&conn);
    assert_eq!(at, Some(3), "{msg}");
    assert!(
        msg.contains("第 3 条") && msg.contains("内容被改写"),
        "{msg}"
    );
}

#[test]
fn a_deleted_entry_is_found() {
    let conn = logged();
    conn.execute("DELETE FROM audit_log WHERE id = 2", [])
        .unwrap();
    let (at, msg) = broken_at(&conn);
    assert_eq!(at, Some(2), "{msg}");
    assert!(msg.contains("被删除"), "{msg}");
}

#[test]
fn reordered_entries_are_found() {
    let conn = logged();
    // Swap the contents of entries 2 and 3, keeping their ids and stored hashes.
    conn.execute_batch(
        "UPDATE audit_log SET id = -2 WHERE id = 2;
         UPDATE audit_log SET id = 2 WHERE id = 3;
         UPDATE audit_log SET id = 3 WHERE id = -2;",
    )
    .unwrap();
    let (at, msg) = broken_at(&conn);
    assert_eq!(at, Some(2), "{msg}");
}

#[test]
fn entries_cut_off_the_end_are_found() {
    let conn = logged();
    let last = count(&conn);
    conn.execute("DELETE FROM audit_log WHERE id = ?1", [last])
        .unwrap();
    let (at, msg) = broken_at(&conn);
    assert_eq!(at, Some(last), "{msg}");
    assert!(msg.contains("末尾"), "{msg}");
}

#[test]
fn a_forged_entry_appended_outside_the_app_is_found() {
    let conn = logged();
    conn.execute(
        "INSERT INTO audit_log (id, at, actor, action, entity, entity_id, summary, detail, prev_hash, hash)
         SELECT id + 1, at, actor, action, entity, entity_id, summary, detail, hash, hash
         FROM audit_log ORDER BY id DESC LIMIT 1",
        [],
    )
    .unwrap();
    let (at, msg) = broken_at(&conn);
    assert_eq!(at, Some(count(&conn)), "{msg}");
}
