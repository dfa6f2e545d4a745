//! #18: accounts, staff, permissions, places and the demo town on the server (PostgreSQL) as on the file.

use huce_core::accounts::{self, AccountInput};
use huce_core::model::Role;
use huce_core::sql::Db;
use huce_core::staff::{self, StaffInput};

use crate::server::{all_rows, assert_same_rows, demo_town, pulled_rows, pushed};

const AT: &str = "2026-11-29T10:00:00+08:00";
/// 20 minutes later: a lock of 15 minutes is over.
const LATER: &str = "2026-11-29T10:20:00+08:00";

fn input(username: &str, role: Role, password: &str) -> AccountInput {
    AccountInput {
        username: username.into(),
        display_name: format!("{username}的姓名"),
        role,
        staff_id: None,
        password: Some(password.into()),
        active: true,
    }
}

fn person(name: &str, unit: &str) -> StaffInput {
    StaffInput {
        name: name.into(),
        unit: unit.into(),
        phone: Some("023-4567890".into()),
        roles: "包村干部".into(),
        active: true,
    }
}

/// What a call answered, as text (the value or the error's message), for comparing engines.
fn said<T: std::fmt::Debug>(r: huce_core::Result<T>) -> String {
    match r {
        Ok(v) => format!("ok {v:?}"),
        Err(e) => format!("err {} {e}", e.code()),
    }
}

/// The hashes of passwords are salted: the same password hashes differently on each engine.
fn same_hash(db: Db<'_>) {
    db.execute("UPDATE accounts SET password_hash = 'salted'", [])
        .unwrap();
}

/// The accounts story on one engine: the first administrator, accounts added (a user name
/// taken in another case refused), logins (by any case of the name), five wrong passwords lock,
/// the lock ends, unknown names answer and lock like real ones, an administrator unlocks and
/// resets, one's own password is changed, the last administrator is kept, the idle time set.
/// Every answer is returned in order.
fn accounts_story(db: Db<'_>) -> Vec<String> {
    let mut out = Vec::new();
    out.push(said(accounts::any(db)));
    let admin =
        accounts::create_first_admin(db, &input("Admin", Role::Admin, "shiyu2022"), AT).unwrap();
    out.push(said(accounts::create_first_admin(
        db,
        &input("other", Role::Admin, "shiyu2022"),
        AT,
    )));
    out.push(said(accounts::any(db)));
    let li = staff::add_staff(db, &person("李明", "石鱼镇农业服务中心"), AT).unwrap();
    let clerk = accounts::add(
        db,
        &admin,
        &AccountInput {
            staff_id: Some(li),
            ..input("WangFang", Role::Entry, "clerk2022")
        },
        AT,
    )
    .unwrap();
    out.push(format!("{clerk:?}"));
    // User names are one regardless of case, on adding and on renaming.
    out.push(said(accounts::add(
        db,
        &admin,
        &input("wangfang", Role::Leader, "leader2022"),
        AT,
    )));
    out.push(said(accounts::add(
        db,
        &admin,
        &input("ADMIN", Role::Leader, "leader2022"),
        AT,
    )));
    let leader = accounts::add(
        db,
        &admin,
        &input("lingdao", Role::Leader, "leader2022"),
        AT,
    )
    .unwrap();
    out.push(said(accounts::update(
        db,
        &admin,
        leader.id,
        &AccountInput {
            password: None,
            ..input("WANGFANG", Role::Leader, "")
        },
        AT,
    )));
    // A staff member that does not exist.
    out.push(said(accounts::add(
        db,
        &admin,
        &AccountInput {
            staff_id: Some(-5),
            ..input("nobody", Role::Entry, "nobody2022")
        },
        AT,
    )));
    out.push(said(accounts::list(db)));

    // Login by any case of the name; the first login must change the password.
    let me = accounts::login(db, " wangFANG ", "clerk2022", AT).unwrap();
    out.push(format!("{me:?}"));
    out.push(said(huce_core::audit::actor(db)));
    // Five wrong passwords lock the account for 15 minutes, the right one included.
    for _ in 0..5 {
        out.push(said(accounts::login(db, "WangFang", "wrong-pass1", AT)));
    }
    out.push(said(accounts::login(db, "WangFang", "clerk2022", AT)));
    out.push(said(accounts::get(db, clerk.id)));
    // Once the lock is over, the right password works and the count starts again.
    out.push(said(accounts::login(db, "wangfang", "wrong-pass1", LATER)));
    let me = accounts::login(db, "wangfang", "clerk2022", LATER).unwrap();
    out.push(said(accounts::get(db, me.id)));
    // Unknown names answer as a wrong password does, and lock the same way (any case).
    for name in [
        "zhangsan", "ZhangSan", "ZHANGSAN", "zhangsan", "zhangsan", "zhangsan",
    ] {
        out.push(said(accounts::login(db, name, "whatever1", AT)));
    }
    out.push(said(accounts::login(db, "zhangsan", "whatever1", LATER)));

    // One's own password: a wrong old one counts, the same one is refused, then changed.
    out.push(said(accounts::change_own_password(
        db,
        &me,
        "wrong-pass1",
        "newpass2023",
        LATER,
    )));
    out.push(said(accounts::change_own_password(
        db,
        &me,
        "clerk2022",
        "clerk2022",
        LATER,
    )));
    out.push(said(accounts::change_own_password(
        db,
        &me,
        "clerk2022",
        "newpass2023",
        LATER,
    )));
    out.push(said(accounts::get(db, me.id)));
    out.push(said(accounts::login(db, "wangfang", "newpass2023", LATER)));
    out.push(said(accounts::logout(db, &me, None, LATER)));
    out.push(said(huce_core::audit::actor(db)));

    // An administrator locks nobody out for good: lock, unlock; reset a password.
    for _ in 0..5 {
        out.push(said(accounts::login(db, "lingdao", "wrong-pass1", LATER)));
    }
    out.push(said(accounts::unlock(db, &me, leader.id, LATER)));
    out.push(said(accounts::unlock(db, &admin, leader.id, LATER)));
    out.push(said(accounts::get(db, leader.id)));
    out.push(said(accounts::update(
        db,
        &admin,
        leader.id,
        &AccountInput {
            staff_id: Some(li),
            ..input("lingdao", Role::Leader, "reset2024x")
        },
        LATER,
    )));
    // The only administrator stays one.
    out.push(said(accounts::update(
        db,
        &admin,
        admin.id,
        &AccountInput {
            password: None,
            ..input("Admin", Role::Entry, "")
        },
        LATER,
    )));
    out.push(said(accounts::update(
        db,
        &admin,
        admin.id,
        &AccountInput {
            password: Some("mine2024xy".into()),
            ..input("Admin", Role::Admin, "")
        },
        LATER,
    )));
    out.push(said(accounts::get(db, admin.id)));
    out.push(said(accounts::update(
        db,
        &admin,
        9999,
        &input("x", Role::Entry, ""),
        LATER,
    )));

    // The idle time.
    out.push(said(accounts::idle_minutes(db)));
    out.push(said(accounts::save_idle_minutes(db, &me, 10, LATER)));
    out.push(said(accounts::save_idle_minutes(db, &admin, 0, LATER)));
    out.push(said(accounts::save_idle_minutes(db, &admin, 45, LATER)));
    out.push(said(accounts::idle_minutes(db)));
    out.push(said(accounts::list(db)));
    out
}

/// Logins, lockouts, user names unique regardless of case, password changes and the
/// administrator's account work answer for answer the same on the server as on the file, and
/// leave the same rows (the audit log included).
#[test]
fn accounts_and_logins_behave_on_the_server_as_on_the_file() {
    let conn = demo_town(20, 3);
    let (scratch, on_server) = pushed(&conn);
    let file = accounts_story(Db::File(&conn));
    let server = accounts_story(Db::Server(&on_server));
    assert_eq!(file.len(), server.len());
    for (i, (a, b)) in file.iter().zip(&server).enumerate() {
        assert_eq!(a, b, "answer {i}");
    }
    // The story does what it says (on both, as they are the same).
    assert!(file[1].contains("已经有账户"), "{}", file[1]);
    assert!(file[4].contains("已经有人用了"), "{}", file[4]);
    assert!(file[5].contains("“ADMIN”已经有人用了"), "{}", file[5]);
    assert!(file[6].contains("“WANGFANG”已经有人用了"), "{}", file[6]);
    assert!(file.iter().any(|a| a.contains("已被锁定 15 分钟")));
    assert!(
        file.iter()
            .filter(|a| a.contains("账户“zhangsan”已被锁定"))
            .count()
            >= 2,
        "an unknown name locks after five tries, in any case"
    );
    assert!(file.iter().any(|a| a.contains("唯一的管理员账户")));
    for db in [Db::File(&conn), Db::Server(&on_server)] {
        same_hash(db);
    }
    assert_same_rows(&all_rows(&conn), &pulled_rows(&scratch));
    assert!(huce_core::audit::verify(Db::Server(&on_server))
        .unwrap()
        .ok());
}

/// Two PCs failing the same account's password at once both count: the fifth failure locks it,
/// whichever PC it comes from.
#[test]
fn failed_logins_from_two_pcs_at_once_all_count() {
    let conn = demo_town(5, 1);
    let (scratch, on_server) = pushed(&conn);
    let admin = accounts::create_first_admin(
        Db::Server(&on_server),
        &input("admin", Role::Admin, "shiyu2022"),
        AT,
    )
    .unwrap();
    std::thread::scope(|s| {
        for _ in 0..2 {
            let url = scratch.url();
            s.spawn(move || {
                let mine = huce_core::sql::ServerConn::new(
                    postgres::Client::connect(&url, postgres::NoTls).unwrap(),
                );
                for _ in 0..2 {
                    assert!(
                        accounts::login(Db::Server(&mine), "admin", "wrong-pass1", AT).is_err()
                    );
                }
            });
        }
    });
    let failures: i64 = Db::Server(&on_server)
        .query_row(
            "SELECT failed_attempts FROM accounts WHERE id = ?1",
            [admin.id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(failures, 4);
    let err = accounts::login(Db::Server(&on_server), "ADMIN", "wrong-pass1", AT).unwrap_err();
    assert!(err.to_string().contains("已被锁定"), "{err}");
    let a = accounts::get(Db::Server(&on_server), admin.id).unwrap();
    assert!(a.locked_until.is_some());
}

/// The staff list on the server as on the file: adding (a second person of one unit with the
/// same name refused, without using up an id), changing (to a taken name refused), retiring,
/// the list with and without the retired, one by id.
#[test]
fn staff_are_kept_the_same_on_the_server_as_on_the_file() {
    let conn = demo_town(20, 8);
    let (scratch, on_server) = pushed(&conn);
    let story = |db: Db<'_>| -> Vec<String> {
        let mut out = Vec::new();
        let a = staff::add_staff(db, &person(" 周玥 ", "石鱼村村民委员会"), AT).unwrap();
        out.push(said(staff::add_staff(
            db,
            &person("周玥", "石鱼村村民委员会"),
            AT,
        )));
        // The same name in another unit is another person.
        let b = staff::add_staff(
            db,
            &StaffInput {
                phone: None,
                ..person("周玥", "")
            },
            AT,
        )
        .unwrap();
        out.push(format!("{a} {b}"));
        out.push(said(staff::update_staff(
            db,
            b,
            &person("周玥", "石鱼村村民委员会"),
            AT,
        )));
        out.push(said(staff::update_staff(
            db,
            b,
            &StaffInput {
                active: false,
                phone: Some("  ".into()),
                ..person("周玥（二社）", "石鱼村村民委员会")
            },
            AT,
        )));
        out.push(said(staff::update_staff(db, -1, &person("某某", ""), AT)));
        out.push(said(staff::add_staff(db, &person("  ", ""), AT)));
        out.push(said(staff::get_staff(db, b)));
        out.push(said(staff::get_staff(db, -1)));
        out.push(said(staff::list_staff(db, false)));
        out.push(said(staff::list_staff(db, true)));
        // The next id follows on: the refused add used none up.
        out.push(said(staff::add_staff(
            db,
            &person("吴昊", "石鱼镇人民政府"),
            AT,
        )));
        out
    };
    let file = story(Db::File(&conn));
    let server = story(Db::Server(&on_server));
    assert_eq!(file, server);
    assert!(file[0].contains("已经在工作人员名单中"), "{}", file[0]);
    assert!(file[2].contains("已经在工作人员名单中"), "{}", file[2]);
    assert_same_rows(&all_rows(&conn), &pulled_rows(&scratch));
}

/// The town's names saved on the server as on the file (a refused save changes nothing).
#[test]
fn the_towns_names_are_saved_on_the_server_as_on_the_file() {
    let conn = demo_town(10, 2);
    let (scratch, on_server) = pushed(&conn);
    for db in [Db::File(&conn), Db::Server(&on_server)] {
        let s = huce_core::town::save_names(db, " 大足区 ", "龙水镇\n", AT).unwrap();
        assert_eq!(
            (s.district_name.as_str(), s.town_name.as_str()),
            ("大足区", "龙水镇")
        );
        let err = huce_core::town::save_names(db, "大足区", "", AT).unwrap_err();
        assert!(err.to_string().contains("不能为空"), "{err}");
    }
    assert_same_rows(&all_rows(&conn), &pulled_rows(&scratch));
}
