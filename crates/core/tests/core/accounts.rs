//! Local accounts: the first administrator, password rules, lockout after repeated failures,
//! and who may manage accounts.

use huce_core::accounts::{self, AccountInput};
use huce_core::model::Role;

const T0: &str = "2026-11-29T09:00:00+08:00";
const T_LOCKED: &str = "2026-11-29T09:10:00+08:00";
const T_LATER: &str = "2026-11-29T09:16:00+08:00";

fn input(username: &str, name: &str, role: Role, password: &str) -> AccountInput {
    AccountInput {
        username: username.into(),
        display_name: name.into(),
        role,
        staff_id: None,
        password: Some(password.into()),
        active: true,
    }
}

#[test]
fn the_first_start_creates_the_administrator_once() {
    let conn = crate::engine::fresh();
    assert!(!accounts::any(&conn).unwrap());
    for (pw, msg) in [
        ("abc12", "至少要 8 位"),
        ("12345678", "不能全是数字"),
        ("abcdefgh", "不能全是数字或全是字母"),
    ] {
        let err = accounts::create_first_admin(&conn, &input("admin", "张三", Role::Entry, pw), T0)
            .unwrap_err()
            .to_string();
        assert!(err.contains(msg), "{pw}: {err}");
    }
    let admin =
        accounts::create_first_admin(&conn, &input("admin", "张三", Role::Entry, "shiyu2022"), T0)
            .unwrap();
    assert_eq!(
        admin.role,
        Role::Admin,
        "the first account is the administrator"
    );
    let err =
        accounts::create_first_admin(&conn, &input("other", "李四", Role::Admin, "shiyu2022"), T0)
            .unwrap_err()
            .to_string();
    assert!(err.contains("已经有账户"), "{err}");
    let stored: String = conn
        .query_row("SELECT password_hash FROM accounts", [], |r| r.get(0))
        .unwrap();
    assert!(stored.starts_with("$argon2id$") && !stored.contains("shiyu2022"));
}

#[test]
fn wrong_passwords_lock_the_account_for_a_while() {
    let conn = crate::engine::fresh();
    accounts::create_first_admin(&conn, &input("admin", "张三", Role::Admin, "shiyu2022"), T0)
        .unwrap();
    let me = accounts::login(&conn, "admin", "shiyu2022", T0).unwrap();
    assert_eq!(huce_core::audit::actor(&conn).unwrap(), me.actor());

    let err = accounts::login(&conn, "nobody", "shiyu2022", T0)
        .unwrap_err()
        .to_string();
    assert!(err.contains("用户名或密码不对"), "{err}");
    for n in 1..=4 {
        let err = accounts::login(&conn, "ADMIN", "wrong-pass1", T0)
            .unwrap_err()
            .to_string();
        assert_eq!(err, accounts::WRONG_LOGIN, "{n}");
    }
    let err = accounts::login(&conn, "admin", "wrong-pass1", T0)
        .unwrap_err()
        .to_string();
    assert!(err.contains("已被锁定 15 分钟"), "{err}");
    // Locked: even the right password is refused, and the message says until when.
    let err = accounts::login(&conn, "admin", "shiyu2022", T_LOCKED)
        .unwrap_err()
        .to_string();
    assert!(err.contains("09:15 以后再试"), "{err}");
    // After the lock, the right password works.
    accounts::login(&conn, "admin", "shiyu2022", T_LATER).unwrap();

    let actions: Vec<String> = conn
        .prepare("SELECT action FROM audit_log ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        actions.iter().filter(|a| *a == "login.failed").count(),
        4 + 1,
        "four wrong passwords and one unknown name: {actions:?}"
    );
    assert!(actions.contains(&"login.locked".to_string()));
    assert_eq!(actions.iter().filter(|a| *a == "login").count(), 2);
    assert!(huce_core::audit::verify(&conn).unwrap().ok());
}

#[test]
fn only_an_administrator_manages_accounts() {
    let conn = crate::engine::fresh();
    let admin =
        accounts::create_first_admin(&conn, &input("admin", "张三", Role::Admin, "shiyu2022"), T0)
            .unwrap();
    let clerk = accounts::add(
        &conn,
        &admin,
        &input("lm", "李明", Role::Entry, "luru2022a"),
        T0,
    )
    .unwrap();
    let err = accounts::add(
        &conn,
        &admin,
        &input("LM", "另一个", Role::Entry, "luru2022a"),
        T0,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("已经有人用了"), "usernames ignore case: {err}");
    let err = accounts::add(
        &conn,
        &clerk,
        &input("x", "某人", Role::Admin, "luru2022a"),
        T0,
    )
    .unwrap_err();
    assert_eq!(err.code(), "forbidden");
    assert!(err.to_string().contains("录入员"), "{err}");

    // The only administrator stays one.
    let mut demote = input("admin", "张三", Role::Entry, "");
    demote.password = None;
    let err = accounts::update(&conn, &admin, admin.id, &demote, T0)
        .unwrap_err()
        .to_string();
    assert!(err.contains("唯一的管理员"), "{err}");

    // A deactivated account cannot log in; a reset password works and unlocks.
    let mut off = input("lm", "李明", Role::Entry, "");
    off.password = None;
    off.active = false;
    accounts::update(&conn, &admin, clerk.id, &off, T0).unwrap();
    let err = accounts::login(&conn, "lm", "luru2022a", T0)
        .unwrap_err()
        .to_string();
    assert!(err.contains("已停用"), "{err}");
    let mut back = input("lm", "李明", Role::Reviewer, "newpass2022");
    back.active = true;
    let again = accounts::update(&conn, &admin, clerk.id, &back, T0).unwrap();
    assert_eq!(again.role, Role::Reviewer);
    let me = accounts::login(&conn, "lm", "newpass2022", T0).unwrap();
    assert!(
        me.must_change_password,
        "a password the administrator set must be changed at the next login"
    );

    // One's own password, with the old one.
    let err = accounts::change_own_password(&conn, &me, "wrong", "another2022", T0)
        .unwrap_err()
        .to_string();
    assert!(err.contains("原密码不对"), "{err}");
    accounts::change_own_password(&conn, &me, "newpass2022", "another2022", T0).unwrap();
    assert!(
        !accounts::login(&conn, "lm", "another2022", T0)
            .unwrap()
            .must_change_password
    );

    // An administrator lifts a lock.
    for _ in 0..5 {
        let _ = accounts::login(&conn, "lm", "nope-nope-1", T0);
    }
    let locked = accounts::login(&conn, "lm", "another2022", T0).unwrap_err();
    assert!(locked.to_string().contains("已被锁定"), "{locked}");
    accounts::unlock(&conn, &admin, clerk.id, T0).unwrap();
    accounts::login(&conn, "lm", "another2022", T0).unwrap();
    assert!(huce_core::audit::verify(&conn).unwrap().ok());
}

/// An unknown user name and a wrong password answer alike, also once "locked": trying names
/// tells nothing about which exist.
#[test]
fn unknown_names_and_wrong_passwords_are_indistinguishable() {
    let conn = crate::engine::fresh();
    accounts::create_first_admin(&conn, &input("admin", "张三", Role::Admin, "shiyu2022"), T0)
        .unwrap();
    let mut real = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..6 {
        real.push(
            accounts::login(&conn, "admin", "wrong-pass1", T0)
                .unwrap_err()
                .to_string(),
        );
        unknown.push(
            accounts::login(&conn, "nobody", "wrong-pass1", T0)
                .unwrap_err()
                .to_string(),
        );
    }
    let unknown: Vec<String> = unknown
        .iter()
        .map(|m| m.replace("nobody", "admin"))
        .collect();
    assert_eq!(real, unknown, "the same answers, in the same order");
    assert!(real[5].contains("已被锁定"), "{}", real[5]);
}

/// Wrong old passwords in 修改密码 count toward the lockout, like wrong passwords at login.
#[test]
fn wrong_old_passwords_count_toward_the_lockout() {
    let conn = crate::engine::fresh();
    accounts::create_first_admin(&conn, &input("admin", "张三", Role::Admin, "shiyu2022"), T0)
        .unwrap();
    let me = accounts::login(&conn, "admin", "shiyu2022", T0).unwrap();
    for n in 1..=4 {
        let err =
            accounts::change_own_password(&conn, &me, "guess-000", "another2022", T0).unwrap_err();
        assert!(err.to_string().contains("原密码不对"), "{n}: {err}");
    }
    let err =
        accounts::change_own_password(&conn, &me, "guess-000", "another2022", T0).unwrap_err();
    assert_eq!(err.code(), "login", "the fifth locks the account: {err}");
    assert!(err.to_string().contains("已被锁定"), "{err}");
    let err = accounts::login(&conn, "admin", "shiyu2022", T_LOCKED).unwrap_err();
    assert!(err.to_string().contains("已被锁定"), "{err}");
    accounts::login(&conn, "admin", "shiyu2022", T_LATER).unwrap();
}

/// A password an administrator set (a new account or a reset) must be changed by its owner at
/// the next login; an administrator changing their own does not need to.
#[test]
fn a_password_set_by_an_administrator_must_be_changed() {
    let conn = crate::engine::fresh();
    let admin =
        accounts::create_first_admin(&conn, &input("admin", "张三", Role::Admin, "shiyu2022"), T0)
            .unwrap();
    assert!(
        !admin.must_change_password,
        "the first administrator chose it"
    );
    accounts::add(
        &conn,
        &admin,
        &input("lm", "李明", Role::Entry, "luru2022a"),
        T0,
    )
    .unwrap();
    let lm = accounts::login(&conn, "lm", "luru2022a", T0).unwrap();
    assert!(lm.must_change_password);
    let err = accounts::change_own_password(&conn, &lm, "luru2022a", "luru2022a", T0).unwrap_err();
    assert!(err.to_string().contains("不能和原密码一样"), "{err}");
    accounts::change_own_password(&conn, &lm, "luru2022a", "mine2022x", T0).unwrap();
    assert!(
        !accounts::login(&conn, "lm", "mine2022x", T0)
            .unwrap()
            .must_change_password
    );
    // The administrator resets it: to be changed again.
    accounts::update(
        &conn,
        &admin,
        lm.id,
        &input("lm", "李明", Role::Entry, "reset2022a"),
        T0,
    )
    .unwrap();
    assert!(
        accounts::login(&conn, "lm", "reset2022a", T0)
            .unwrap()
            .must_change_password
    );
    // The administrator's own password set in the accounts dialog: no forced change.
    accounts::update(
        &conn,
        &admin,
        admin.id,
        &input("admin", "张三", Role::Admin, "admin2023b"),
        T0,
    )
    .unwrap();
    assert!(
        !accounts::login(&conn, "admin", "admin2023b", T0)
            .unwrap()
            .must_change_password
    );
}

/// The idle time after which the app logs out is a setting (30 minutes by default).
#[test]
fn the_idle_logout_time_is_an_administrators_setting() {
    let conn = crate::engine::fresh();
    let admin =
        accounts::create_first_admin(&conn, &input("admin", "张三", Role::Admin, "shiyu2022"), T0)
            .unwrap();
    assert_eq!(accounts::idle_minutes(&conn).unwrap(), 30);
    accounts::save_idle_minutes(&conn, &admin, 10, T0).unwrap();
    assert_eq!(accounts::idle_minutes(&conn).unwrap(), 10);
    assert!(accounts::save_idle_minutes(&conn, &admin, 0, T0).is_err());
    let clerk = accounts::add(
        &conn,
        &admin,
        &input("lm", "李明", Role::Entry, "luru2022a"),
        T0,
    )
    .unwrap();
    assert_eq!(
        accounts::save_idle_minutes(&conn, &clerk, 60, T0)
            .unwrap_err()
            .code(),
        "forbidden"
    );
}

/// Names typed or pasted into the app's forms (staff, accounts, the town's names) are cleaned as
/// the import cleans a ledger's cells: an invisible character kept would make 王​五 a second
/// person beside 王五, a name print with a blank on the 签字背书表, a user name never match.
#[test]
fn names_typed_in_the_forms_are_cleaned_as_the_import_cleans_them() {
    let conn = crate::engine::fresh();
    let staff_in = |name: &str, unit: &str, phone: &str| huce_core::staff::StaffInput {
        name: name.into(),
        unit: unit.into(),
        phone: Some(phone.into()),
        roles: "排查\u{200B}人".into(),
        active: true,
    };
    let id = huce_core::staff::add_staff(
        &conn,
        &staff_in(
            "王\u{200B}五",
            "石鱼镇\u{200E}农服中心",
            "１３８０００００００１",
        ),
        T0,
    )
    .unwrap();
    let s = huce_core::staff::get_staff(&conn, id).unwrap();
    assert_eq!(
        (
            s.name.as_str(),
            s.unit.as_str(),
            s.phone.as_deref(),
            s.roles.as_str()
        ),
        ("王五", "石鱼镇农服中心", Some("13800000001"), "排查人")
    );
    let err = huce_core::staff::add_staff(
        &conn,
        &staff_in("王五", "石鱼镇农服中心", "13800000002"),
        T0,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("已经在工作人员名单中"), "{err}");
    let err = huce_core::staff::add_staff(
        &conn,
        &staff_in("\u{200B}\u{FEFF}", "石鱼镇", "13800000003"),
        T0,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("请填写工作人员的姓名"), "{err}");

    let admin = accounts::create_first_admin(
        &conn,
        &input("ad\u{200B}min", "李\u{202E}四", Role::Admin, "shiyu2022"),
        T0,
    )
    .unwrap();
    assert_eq!(
        (admin.username.as_str(), admin.display_name.as_str()),
        ("admin", "李四")
    );
    accounts::login(&conn, "admin", "shiyu2022", T0).unwrap();
    // Typed with the input method in full-width mode.
    accounts::login(&conn, "ａｄｍｉｎ", "shiyu2022", T0).unwrap();

    let t = huce_core::town::save_names(&conn, "铜梁区\u{FEFF}", "石鱼\u{200B}镇", T0).unwrap();
    assert_eq!(
        (t.district_name.as_str(), t.town_name.as_str()),
        ("铜梁区", "石鱼镇")
    );
}
