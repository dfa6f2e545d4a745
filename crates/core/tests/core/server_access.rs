//! #18: accounts, staff, permissions, places and the demo town on the server (PostgreSQL) as on the file.

use huce_core::accounts::{self, AccountInput};
use huce_core::model::{
    BaselineSource, HouseholdCategory, Location, NewHousehold, NewToilet, Role, TechMode, UseStatus,
};
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

fn household(group_id: i64, head_name: &str, id_number: Option<&str>) -> NewHousehold {
    NewHousehold {
        group_id,
        head_name: head_name.into(),
        id_number: id_number.map(str::to_string),
        phone: id_number.map(|_| "13912345678".to_string()),
        address: None,
        registered_pop: Some(4),
        resident_pop: None,
        category: HouseholdCategory::Monitored,
        is_resident: id_number.is_some(),
    }
}

fn a_toilet(subsidized: Option<bool>) -> NewToilet {
    NewToilet {
        tech_mode: Some(TechMode::ThreeCompartment),
        location: subsidized.map(|_| Location::Yard),
        build_year: Some(2019),
        subsidized,
        subsidy_year: subsidized.and_then(|s| s.then_some(2019)),
        subsidy_amount_fen: subsidized.and_then(|s| s.then_some(120_000)),
        project_name: None,
        is_sanitary: Some(true),
        use_status: Some(UseStatus::InUse),
        baseline_source: BaselineSource::Subsidy,
    }
}

/// Places, households and toilets written on the server as on the file: a village and its 社
/// (one without a number), households one by one and in bulk (search keys, toilet numbers, an
/// ID number with a lower-case x, NULLs), a household for a 社 that does not exist, a look at
/// the personal data (audited); the same rows after, and the same details read back.
#[test]
fn households_and_toilets_are_written_on_the_server_as_on_the_file() {
    use huce_core::bulk::Bulk;
    use huce_core::households::{self, Disclosure};
    let conn = demo_town(15, 6);
    let (scratch, on_server) = pushed(&conn);
    let story = |db: Db<'_>| -> Vec<String> {
        let mut out = Vec::new();
        let village = households::add_village(db, "新村", 99).unwrap();
        let numbered = households::add_group(db, village, "1社", Some(1), 1).unwrap();
        let plain = households::add_group(db, village, "新建社", None, 0).unwrap();
        let one = households::insert_household(
            db,
            &household(numbered, " 张建国 ", Some("11010519491231002x")),
            AT,
        )
        .unwrap();
        let t1 = households::insert_toilet(db, one, &a_toilet(Some(true)), AT).unwrap();
        let t2 = households::insert_toilet(db, one, &a_toilet(None), AT).unwrap();
        out.push(format!("{village} {numbered} {plain} {one} {t1} {t2}"));
        out.push(said(households::insert_household(
            db,
            &household(-3, "李四", None),
            AT,
        )));
        let ids = db
            .atomically(|db| {
                let mut bulk = Bulk::new();
                let a = bulk.insert_household(db, &household(plain, "单犇", None), AT)?;
                let b = bulk.insert_household_now_in(
                    db,
                    &household(numbered, "曾玥", Some("500224199001011237")),
                    village,
                    AT,
                )?;
                let mut ts = Vec::new();
                for h in [a, b, a, one] {
                    ts.push(bulk.insert_toilet(db, h, &a_toilet(Some(false)), AT)?);
                }
                bulk.finish(db)?;
                Ok((a, b, ts))
            })
            .unwrap();
        out.push(format!("{ids:?}"));
        out.push(said(households::reveal_personal(db, one, AT)));
        out.push(said(households::reveal_personal(db, -1, AT)));
        for h in [one, ids.0, ids.1] {
            out.push(said(households::detail(db, h, Disclosure::Masked)));
        }
        out.push(said(
            households::tree(db).map(|t| serde_json::to_string(&t).unwrap()),
        ));
        out.push(said(households::list(
            db,
            huce_core::households::Scope::Village(village),
            "zjg",
            Disclosure::Masked,
            0,
            10,
        )));
        out
    };
    let file = story(Db::File(&conn));
    let server = story(Db::Server(&on_server));
    for (i, (a, b)) in file.iter().zip(&server).enumerate() {
        assert_eq!(a, b, "answer {i}");
    }
    assert!(file[1].contains("不存在"), "{}", file[1]);
    assert!(file[3].contains("11010519491231002X"), "{}", file[3]);
    assert_same_rows(&all_rows(&conn), &pulled_rows(&scratch));
}

/// The demo town generated straight onto the server is the town the same seed gives on the
/// file, table for table (server tests build their towns this way).
#[test]
fn the_demo_town_generates_the_same_on_the_server() {
    let mut conn = huce_core::db::open_in_memory().unwrap();
    let (scratch, on_server) = pushed(&conn);
    let options = huce_core::demo::DemoOptions {
        households: 120,
        seed: 11,
    };
    let on_file = huce_core::demo::generate(&mut conn, options, AT).unwrap();
    let there = huce_core::demo::generate_on(Db::Server(&on_server), options, AT).unwrap();
    assert_eq!(on_file, there);
    assert!(on_file.inspections > 0 && on_file.problem_toilets > 0);
    assert_same_rows(&all_rows(&conn), &pulled_rows(&scratch));
    // A town already there is refused on the server as on the file.
    let err = huce_core::demo::generate_on(Db::Server(&on_server), options, AT).unwrap_err();
    assert_eq!(err.code(), "database_not_empty", "{err}");
}

/// Five failed logins with a name that does not exist lock that name on every PC, as they lock
/// a real account: from a second connection (a second PC on the server, a second program on
/// the same file) the name answers "locked" in any case, so trying names on two PCs tells
/// nothing. The name itself is kept nowhere in the database.
#[test]
fn an_unknown_name_locked_on_one_pc_is_locked_on_another() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("town.db");
    let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 29)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .unwrap();
    let file_a = huce_core::db::open(&path, now).unwrap();
    let file_b = huce_core::db::open(&path, now).unwrap();
    let (scratch, server_a) = pushed(&demo_town(5, 1));
    let server_b = huce_core::sql::ServerConn::new(
        postgres::Client::connect(&scratch.url(), postgres::NoTls).unwrap(),
    );
    for (a, b) in [
        (Db::File(&file_a), Db::File(&file_b)),
        (Db::Server(&server_a), Db::Server(&server_b)),
    ] {
        for i in 0..5 {
            let err = accounts::login(a, "Nobody-Secret9", "wrong-pass1", AT).unwrap_err();
            assert_eq!(
                err.to_string().contains("已被锁定"),
                i == 4,
                "try {i} on {:?}: {err}",
                a.engine()
            );
        }
        let err = accounts::login(b, "nobody-secret9", "wrong-pass1", AT).unwrap_err();
        assert!(err.to_string().contains("已被锁定"), "{err}");
        // Once the lock is over the name answers as a wrong password again, on both.
        let err = accounts::login(b, "NOBODY-SECRET9", "wrong-pass1", LATER).unwrap_err();
        assert_eq!(err.to_string(), accounts::WRONG_LOGIN);
        let kept: i64 = a
            .query_row(
                "SELECT count(*) FROM unknown_logins WHERE lower(name_key) LIKE '%secret%'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(kept, 0, "the name is kept only as a keyed hash");
        // A day after the last failure the count is gone.
        let _ = accounts::login(
            a,
            "someone-else",
            "wrong-pass1",
            "2026-11-30T10:21:00+08:00",
        );
        let rows: i64 = a
            .query_row("SELECT count(*) FROM unknown_logins", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 1, "only the newest name is still counted");
    }
}
