//! 签字背书: a reviewer and then a leader sign a village's results.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_reviewer_then_a_leader_sign_a_village() {
    let _serial = SERIAL.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let (db, conn) = demo_database(
        dir.path(),
        "签字",
        huce_core::demo::DemoOptions {
            households: 300,
            seed: 4,
        },
    );
    drop(conn);
    make_admin(&db);
    {
        let conn = huce_core::db::open(&db, chrono::Local::now().naive_local()).unwrap();
        let admin =
            huce_core::accounts::login(&conn, ADMIN.0, ADMIN.1, "2026-11-29T09:01:00+08:00")
                .unwrap();
        for (user, name, role) in [
            ("sh", "审核员甲", huce_core::model::Role::Reviewer),
            ("ld", "镇领导乙", huce_core::model::Role::Leader),
        ] {
            huce_core::accounts::add(
                &conn,
                &admin,
                &huce_core::accounts::AccountInput {
                    username: user.into(),
                    display_name: name.into(),
                    role,
                    staff_id: None,
                    password: Some("qianzi2022".into()),
                    active: true,
                },
                "2026-11-29T09:02:00+08:00",
            )
            .unwrap();
        }
    }

    let s = start_app(&db).await;
    let d = &s.driver;
    // The administrator set the password: changed at the first login.
    log_in_first_time(&s, "sh", "qianzi2022", "xinmima2023").await;
    click(d, "[data-node^='village:'] .node-name").await;
    click(d, "#open-signoff").await;
    let counts = wait_text(d, "#signoff-counts", |t| t.contains("审核人已签 0 个")).await;
    click(d, "#signoff-review").await;
    wait_text(d, "#signoff-counts", |t| {
        t.contains("负责人已签 0 个") && !t.contains("审核人已签 0 个")
    })
    .await;
    let hidden = d
        .execute(
            "return document.getElementById('signoff-responsible').hidden;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        hidden.json(),
        &serde_json::json!(true),
        "a reviewer does not sign as 负责人"
    );
    click(d, "#signoff-close").await;

    // A reviewer backs up locally but does not copy the database (full ID numbers) off the PC.
    menu(d, "#open-backup").await;
    find(d, "#backup-dialog[open]").await;
    let copy_out = d
        .execute(
            "return !document.getElementById('backup-to').hidden;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        copy_out.json(),
        &serde_json::json!(false),
        "no 备份到 for 审核人"
    );
    screenshot(&s, "e2e-backup-reviewer.png").await;
    click(d, "#backup-close").await;

    // One's own password, with the old one.
    click(d, "#account-name").await;
    type_value(d, "#pw-old", "xinmima2023").await;
    type_value(d, "#pw-new", "shenhe2024").await;
    type_value(d, "#pw-new2", "shenhe2024").await;
    click(d, "#pw-save").await;
    wait_text(d, "#toast", |t| t.contains("密码已修改")).await;
    click(d, "#logout").await;

    log_in_first_time(&s, "ld", "qianzi2022", "lingdao2023").await;
    click(d, "[data-node^='village:'] .node-name").await;
    click(d, "#open-signoff").await;
    wait_text(d, "#signoff-counts", |t| t.contains("负责人已签 0 个")).await;
    click(d, "#signoff-responsible").await;
    let done = wait_text(d, "#signoff-counts", |t| !t.contains("负责人已签 0 个")).await;
    screenshot(&s, "e2e-signoff.png").await;
    let results: String = counts
        .split("已核查户厕 ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .unwrap()
        .to_string();
    assert!(
        done.contains(&format!("负责人已签 {results} 个")),
        "{done} / {counts}"
    );
    click(d, "#signoff-print").await;
    check(d, "#print-kind-signoff").await;
    uncheck(d, "#print-open").await;
    click(d, "#print-go").await;
    wait_text(d, "#print-result", |t| t.contains("已生成")).await;
    let text = pdf_text_of(&db.parent().unwrap().join("文书"), "签字背书表")
        .replace(char::is_whitespace, "");
    assert!(
        text.contains("系统内已签：审核员甲") && text.contains("系统内已签：镇领导乙"),
        "{text}"
    );
    click(d, "#print-close").await;

    // The sheet carries the audit log's 核对值; typed into the log dialog, it checks the paper.
    let anchor = text
        .split("操作日志核对值（打印时）：第")
        .nth(1)
        .expect("the anchor is printed");
    let id: String = anchor.chars().take_while(char::is_ascii_digit).collect();
    let hash: String = anchor
        .trim_start_matches(|c: char| c.is_ascii_digit())
        .trim_start_matches('条')
        .chars()
        .take(16)
        .collect();
    menu(d, "#open-audit").await;
    type_value(d, "#anchor-id", &id).await;
    type_value(d, "#anchor-hash", &hash).await;
    click(d, "#anchor-check").await;
    wait_text(d, "#anchor-result", |t| t.starts_with("一致")).await;
    click(d, "#audit-verify").await;
    wait_text(d, "#audit-check", |t| t.contains("核对点")).await;
    screenshot(&s, "e2e-audit-anchor.png").await;
    click(d, "#audit-close").await;
    click(d, "#logout").await;
    log_in(d, "sh", "shenhe2024").await;
    wait_text(d, "#account-name", |t| t.starts_with("审核员甲")).await;
    s.driver.clone().quit().await.unwrap();
}
