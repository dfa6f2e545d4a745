//! The paper trail (#15): a village's notices printed for cases of every category (the
//! undecided and 立行立改 ones left out and said so), one notice handed out and its signed 回执
//! back with a scan, the ledger's 未送达 / 回执未收回 filters, and the 户档案's list.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn notices_are_handed_out_and_their_receipts_come_back_with_a_scan() {
    let _serial = SERIAL.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let (db, conn) = demo_database(dir.path(), "告知", huce_core::demo::DemoOptions::default());
    // A village with open cases of both planned categories, 立行立改 and undecided ones (a case
    // rectified and waiting for acceptance needs its 验收单, not a notice).
    let open = |cat: &str| {
        format!(
            "(SELECT count(*) FROM rectifications r WHERE r.village_id = v.id AND r.state NOT IN ('closed', 'awaiting_acceptance') AND {cat})"
        )
    };
    let (village, undecided, immediate, planned): (i64, i64, i64, i64) = conn
        .query_row(
            &format!(
                "SELECT v.id, {u}, {i}, {d} + {t} FROM villages v
                 WHERE {u} > 0 AND {i} > 0 AND {d} > 0 AND {t} > 0 ORDER BY v.sort_order LIMIT 1",
                u = open("r.category IS NULL"),
                i = open("r.category = 'immediate_fix'"),
                d = open("r.category = 'plan_district'"),
                t = open("r.category = 'plan_town_funded'"),
            ),
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .expect("the demo town has a village with cases of every category");
    let courier: (i64, String) = conn
        .query_row(
            "SELECT id, name FROM staff WHERE unit LIKE '%村民委员会' ORDER BY id LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    drop(conn);
    make_admin(&db);

    let s = start_app(&db).await;
    let d = &s.driver;
    // On a 1366×768 screen's work area (#16).
    d.set_window_rect(0, 0, 1366, 728).await.unwrap();
    log_in(d, ADMIN.0, ADMIN.1).await;
    // The clerk at the PC keys in the returned 回执.
    choose(d, "#operator", &courier.0.to_string()).await;
    click(d, "#view-ledger").await;
    click(d, &format!("#counts-table tr[data-village='{village}'] td")).await;
    wait_text(d, "#ledger-title", |t| t.contains('村')).await;

    // Every open case still needing a notice is 未送达, not yet printed.
    choose(d, "#ledger-paper", "undelivered").await;
    wait_text(d, "#ledger-count", |t| {
        t == format!("共 {planned} 个问题户厕")
    })
    .await;
    wait_text(d, "#ledger-rows", |t| t.contains("告知单未打印")).await;
    choose(d, "#ledger-paper", "").await;

    // The village's notices: one per planned case; the undecided and 立行立改 ones said.
    click(d, "#ledger-print").await;
    check(d, "#print-kind-notices").await;
    click(d, "#print-go").await;
    let done = wait_text(d, "#print-result", |t| t.contains("已生成")).await;
    assert!(done.contains(&format!("已生成 {planned} 页")), "{done}");
    assert!(
        done.contains(&format!("说明：{undecided} 户整改类别尚未确定")),
        "{done}"
    );
    assert!(
        done.contains(&format!("说明：{immediate} 户属立行立改")),
        "{done}"
    );
    click(d, "#print-close").await;
    let pdf = std::fs::read_dir(db.parent().unwrap().join("文书"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("整改告知单"))
        .expect("the notices' PDF");
    let words = Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    let words = String::from_utf8_lossy(&words.stdout).replace(['\n', ' '], "");
    for w in ["将配合施工人员入户整改", "同意上述整改方案"] {
        assert!(words.contains(w), "both categories' texts are printed: {w}");
    }

    // Printed: in the register, still 未送达.
    choose(d, "#ledger-paper", "undelivered").await;
    wait_text(d, "#ledger-rows", |t| {
        t.contains("告知单未送达") && !t.contains("告知单未打印")
    })
    .await;
    click(d, "#ledger-rows tr[data-case]:first-child td.c-name").await;
    let number = wait_text(d, "#case-notice", |t| t.contains("编号")).await;
    assert!(number.contains("石鱼镇-"), "{number}");
    let case_id: i64 = find(d, "#ledger-rows tr.selected")
        .await
        .attr("data-case")
        .await
        .unwrap()
        .unwrap()
        .parse()
        .unwrap();

    // Handed out by a village cadre.
    click(d, "#case-deliver").await;
    choose(d, "#paper-actor", &courier.0.to_string()).await;
    click(d, "#paper-confirm").await;
    let delivered = wait_text(d, "#case-notice-delivered", |t| t.contains(&courier.1)).await;
    assert!(delivered.contains(&today()), "{delivered}");
    choose(d, "#ledger-paper", "receipt_missing").await;
    wait_text(d, "#ledger-count", |t| t == "共 1 个问题户厕").await;

    // The signed 回执 comes back, scanned to PDF.
    click(d, "#ledger-rows tr[data-case]:first-child td.c-name").await;
    click(d, "#case-receipt").await;
    let scan = db.parent().unwrap().join("回执扫描件.pdf");
    std::fs::copy(&pdf, &scan).unwrap();
    type_value(d, "#paper-scan-path", scan.to_str().unwrap()).await;
    click(d, "#paper-confirm").await;
    let receipt = wait_text(d, "#case-notice-receipt", |t| t.contains("已收回")).await;
    assert!(receipt.contains("查看扫描件"), "{receipt}");
    let history = text_now(d, "#case-history").await;
    assert!(
        history.contains("告知单送达") && history.contains("回执收回"),
        "{history}"
    );
    screenshot(&s, "e2e-notice-register.png").await;
    choose(d, "#ledger-paper", "receipt_missing").await;
    wait_text(d, "#ledger-count", |t| t == "共 0 个问题户厕").await;
    choose(d, "#ledger-paper", "returned").await;
    wait_text(d, "#ledger-count", |t| t == "共 1 个问题户厕").await;
    let stored: (String, Option<String>, Option<String>, String) = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row(
            "SELECT n.delivered_on, n.receipt_on, p.original_name, n.number FROM notices n
             LEFT JOIN photos p ON p.hash = n.receipt_scan WHERE n.rectification_id = ?1",
            [case_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert!(number.contains(&stored.3), "{number}");
    assert_eq!(stored.0, today());
    assert_eq!(stored.1.as_deref(), Some(today().as_str()));
    assert_eq!(stored.2.as_deref(), Some("回执扫描件.pdf"));

    // The 户档案 lists the household's notices.
    click(d, "#ledger-rows tr[data-case]:first-child td.c-name").await;
    click(d, "#case-open-household").await;
    let line = wait_text(d, ".notice-line", |t| t.contains("回执已收回")).await;
    assert!(line.contains(&stored.3), "{line}");

    // What the town cannot fix itself goes to the district's 人居办, with why; the ledger finds it.
    click(d, "#view-ledger").await;
    choose(d, "#ledger-paper", "").await;
    choose(d, "#ledger-state", "pending").await;
    wait_text(d, "#ledger-rows", |t| {
        t.contains("待整改") && !t.contains("已销号")
    })
    .await;
    click(d, "#ledger-rows tr[data-case]:first-child td.c-name").await;
    click(d, "#case-escalate").await;
    click(d, "#esc-confirm").await;
    wait_text(d, "#esc-error", |t| t.contains("写明原因")).await;
    type_value(d, "#esc-text", "地下水位高，现有技术模式都不适宜").await;
    click(d, "#esc-confirm").await;
    wait_text(d, "#case-escalated", |t| t.contains("地下水位高")).await;
    wait_text(d, "#case-escalation-reply", |t| t == "尚未答复").await;
    check(d, "#ledger-escalated").await;
    wait_text(d, "#ledger-count", |t| t == "共 1 个问题户厕").await;
    wait_text(d, "#ledger-rows", |t| t.contains("已报区研究")).await;
    screenshot(&s, "e2e-escalated.png").await;

    // 立行立改 has no notice; the office can print the short 现场整改确认单 instead.
    click(d, "#ledger-escalated").await;
    choose(d, "#ledger-state", "").await;
    choose(d, "#ledger-category", "immediate_fix").await;
    wait_text(d, "#ledger-rows", |t| t.contains("立行立改")).await;
    click(d, "#ledger-rows tr[data-case]:first-child td.c-name").await;
    click(d, "#case-print-onsite").await;
    check(d, "#print-kind-onsite_slips").await;
    click(d, "#print-go").await;
    wait_text(d, "#print-result", |t| t.contains("已生成 1 页")).await;
    click(d, "#print-close").await;

    s.driver.clone().quit().await.unwrap();
}

fn today() -> String {
    chrono::Local::now().format("%Y-%m-%d").to_string()
}
