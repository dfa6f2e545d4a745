//! 进度调度, 多方比对 and a 区级抽查 sample with its printed documents.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn dashboard_comparison_and_a_spot_check_sample() {
    let _serial = SERIAL.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let (db, conn) = demo_database(
        dir.path(),
        "抽查 样本",
        huce_core::demo::DemoOptions::default(),
    );
    let today = chrono::Local::now().format("%Y-%m-%d").to_string();
    let progress = huce_core::progress::progress(&conn, &today).unwrap();
    let clerk: i64 = conn
        .query_row("SELECT id FROM staff ORDER BY id LIMIT 1", [], |r| r.get(0))
        .unwrap();
    let comparison =
        huce_core::compare::compare(&conn, huce_core::households::Scope::Town).unwrap();
    drop(conn);

    make_admin(&db);
    let s = start_app(&db).await;
    let d = &s.driver;
    log_in(d, ADMIN.0, ADMIN.1).await;
    find(d, "[data-node^='village:']").await;
    choose(d, "#operator", &clerk.to_string()).await;

    // A view whose screen loads on first use is shown once the screen is built: right after the
    // click, before its module can have loaded, the pane is still hidden (a click on one of its
    // buttons in between was lost: the 工作总结 button, seen on a loaded machine).
    let shown_at_once = d
        .execute(
            "document.getElementById('view-progress').click();
             return !document.getElementById('progress-pane').hidden;",
            Vec::new(),
        )
        .await
        .unwrap()
        .json()
        .as_bool()
        .unwrap();
    assert!(!shown_at_once, "the 进度调度 pane waits for its screen");

    // 进度调度: the town's row carries the core's numbers; every village has a row.
    click(d, "#view-progress").await;
    wait_text(d, "#progress-status", |t| t.contains(&today)).await;
    let total = wait_text(d, "#progress-rows tr.total", |t| t.starts_with("全镇")).await;
    assert!(
        total.contains(&progress.town.inspected.to_string())
            && total.contains(&progress.town.closed.to_string()),
        "town row {total:?} vs {:?}",
        progress.town
    );
    let rows = d
        .find_all(By::Css("#progress-rows tr[data-village]"))
        .await
        .unwrap();
    assert_eq!(rows.len(), progress.villages.len());
    let phases = text_now(d, "#progress-phases").await;
    assert!(
        phases.contains("镇村实施（入户排查）") && phases.contains("已结束"),
        "{phases}"
    );
    find(d, "#progress-bars svg rect").await;
    find(d, "#progress-line svg path").await;
    screenshot(&s, "e2e-progress.png").await;
    manual_shot(&s, "progress").await;

    // A phase that ends before it starts is refused with a message; nothing is saved.
    click(d, "#progress-phases-edit").await;
    type_value(d, "#phases-rows tr:first-child .ph-end", "2022-08-01").await;
    click(d, "#phases-save").await;
    wait_text(d, "#phases-error", |t| t.contains("早于开始日期")).await;
    click(d, "#phases-cancel").await;

    // 多方比对 for the town: the count of differences, and a row opens its household.
    click(d, "#view-checks").await;
    let count = wait_text(d, "#diff-count", |t| t.contains("处差异")).await;
    assert!(
        count.contains(&format!("共 {} 处差异", comparison.differences.len())),
        "{count}"
    );
    let first = &comparison.differences[0];
    let row = wait_text(d, "#diff-rows tr:first-child", |t| !t.is_empty()).await;
    assert!(row.contains(&first.head_name), "{row}");
    screenshot(&s, "e2e-compare.png").await;
    manual_shot(&s, "checks").await;
    click(d, "#diff-rows tr:first-child td:nth-child(2)").await;
    wait_text(d, "#detail", |t| t.contains(&first.head_name)).await;

    // 区级抽查: draw a sample through the UI (the program draws the seed), reproduce it, and
    // print its list.
    click(d, "#view-checks").await;
    click(d, "#checks-tab-samples").await;
    wait_text(d, "#sample-list", |t| t.contains("还没有抽查样本")).await;
    click(d, "#sample-new").await;
    choose(d, "#sample-size-kind", "count").await;
    type_value(d, "#sample-size", "30").await;
    type_value(d, "#sample-min", "2").await;
    click(d, "#sample-draw").await;
    wait_text(d, "#sample-title", |t| {
        t.contains("第 1 号抽查样本（30 个户厕")
    })
    .await;
    let seed = {
        let conn = rusqlite::Connection::open(&db).unwrap();
        huce_core::sampling::sample(&conn, 1).unwrap().seed
    };
    let method = text_now(d, "#sample-method").await;
    assert!(
        method.contains(&seed.to_string()) && method.contains("随机种子由程序"),
        "{method}"
    );
    click(d, "#sample-reproduce").await;
    wait_text(d, "#sample-reproduce-result", |t| t.starts_with("复现一致")).await;
    let listed = d
        .find_all(By::Css("#sample-rows tr[data-household]"))
        .await
        .unwrap();
    assert_eq!(listed.len(), 30);
    screenshot(&s, "e2e-samples.png").await;

    // The same seed and data give the same sample outside the app.
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let stored = huce_core::sampling::sample(&conn, 1).unwrap();
        let spec = huce_core::sampling::SampleSpec {
            villages: vec![],
            size: huce_core::sampling::SampleSize::Count(30),
            min_per_village: 2,
            oversample_problems: true,
            batch: None,
            seed: Some(seed),
        };
        let (again, _, _) = huce_core::sampling::draw_toilets(&conn, &spec).unwrap();
        assert_eq!(stored.toilets, again, "the UI's sample is reproducible");
    }

    click(d, "#sample-print-list").await;
    check(d, "#print-kind-sample_list").await;
    uncheck(d, "#print-open").await; // no PDF viewer on a test machine
    click(d, "#print-go").await;
    wait_text(d, "#print-result", |t| t.contains("已生成")).await;
    let folder = db.parent().unwrap().join("文书");
    let text = pdf_text_of(&folder, "区级抽查样本清单");
    assert!(
        text.contains(&seed.to_string()),
        "the seed is printed: {text}"
    );
    click(d, "#print-close").await;

    // One field check sheet per sampled toilet.
    click(d, "#sample-print-sheets").await;
    check(d, "#print-kind-check_sheets").await;
    click(d, "#print-go").await;
    wait_text(d, "#print-result", |t| t.contains("已生成 30 页")).await;
    click(d, "#print-close").await;

    // (#20, 8) 多方比对's advice has a button that does it. With the town's thresholds set low,
    // groups are sent to a 二次回查: the button draws the re-check sample of that group's batch,
    // keyed in as 镇级复核.
    let thresholds = |second: f64, resurvey: f64| {
        let conn = huce_core::db::open(&db, chrono::Local::now().naive_local()).unwrap();
        huce_core::working::WorkingValues {
            retrain_above: 0.1,
            second_check_from: second,
            resurvey_above: resurvey,
            ..huce_core::working::WorkingValues::default()
        }
        .save(
            &conn,
            &huce_core::accounts::Account::local("测试"),
            "2026-12-04T10:00:00+08:00",
        )
        .unwrap();
        huce_core::compare::compare(&conn, huce_core::households::Scope::Town).unwrap()
    };
    thresholds(0.2, 100.0);
    click(d, "#checks-tab-compare").await;
    wait_text(d, "#rate-groups", |t| t.contains("二次回查")).await;
    click(d, "#rate-groups .advice-act[data-act='recheck']").await;
    wait_text(d, "#sample-title", |t| {
        t.contains("第 2 号样本·二次回查：调查组")
    })
    .await;
    wait_text(d, "#sample-progress", |t| t.contains("镇级复核")).await;
    click(d, "#sample-enter").await;
    wait_prop(d, "#insp-kind", "value", "town_recheck").await;
    click(d, "#insp-cancel").await;
    // Above the re-survey threshold the button lists the group's batch for re-inspection.
    let c = thresholds(0.2, 0.3);
    let group = c
        .groups
        .iter()
        .find(|g| g.level == "bad" && !g.households.is_empty())
        .unwrap();
    click(d, "#view-checks").await;
    click(d, "#checks-tab-compare").await;
    wait_text(d, "#rate-groups", |t| t.contains("重新调查该批")).await;
    click(d, "#rate-groups .advice-act[data-act='resurvey']").await;
    wait_text(d, "#list-sample", |t| t.contains("请重新入户调查")).await;
    wait_text(d, "#list-count", |t| {
        t == format!("找到 {} 户", group.households.len())
    })
    .await;
    click(d, "#list-sample-leave").await;
    wait_text(d, "#list-count", |t| t.starts_with('共')).await;

    // (#17, 6) The district's own list: matched, kept as a sample in its order, its sheets
    // printed, keyed in as 区级抽查.
    let sheets = district_sample(d, &db).await;
    assert!(sheets.contains("现场核查表"), "the district's sheets");

    // The month's bulletin from the dashboard.
    click(d, "#view-progress").await;
    click(d, "#progress-bulletin").await;
    check(d, "#print-kind-bulletin").await;
    click(d, "#print-go").await;
    wait_text(d, "#print-result", |t| t.contains("已生成")).await;
    let text = pdf_text_of(&folder, "月通报");
    assert!(
        text.contains("月通报") && text.contains(&progress.town.inspected.to_string()),
        "the bulletin carries the town's numbers: {text}"
    );
    click(d, "#print-close").await;

    // Backups: the day's backup was taken at start; 立即备份 adds one.
    menu(d, "#open-backup").await;
    wait_text(d, "#backup-rows", |t| t.contains("每日")).await;
    click(d, "#backup-now").await;
    wait_text(d, "#backup-rows", |t| t.contains("手动")).await;
    manual_shot(&s, "backup").await;
    click(d, "#backup-close").await;

    // Accounts: the administrator adds a 督导; the 督导 sees no import and is refused by the
    // command gate even when calling a command directly.
    menu(d, "#open-accounts").await;
    type_value(d, "#accounts-rows tr[data-new] .a-user", "dudao").await;
    type_value(d, "#accounts-rows tr[data-new] .a-name", "赵督导").await;
    choose(d, "#accounts-rows tr[data-new] .a-role", "supervisor").await;
    type_value(d, "#accounts-rows tr[data-new] .a-pass", "dudao2022").await;
    manual_shot(&s, "accounts").await;
    click(d, "#accounts-rows tr[data-new] button").await;
    let deadline = Instant::now() + WAIT;
    while d
        .find_all(By::Css("#accounts-rows tr[data-id]"))
        .await
        .unwrap()
        .len()
        < 2
    {
        assert!(Instant::now() < deadline, "the new account is listed");
        tokio::time::sleep(POLL).await;
    }
    click(d, "#accounts-close").await;
    click(d, "#logout").await;
    log_in_first_time(&s, "dudao", "dudao2022", "zhao2023x").await;
    wait_text(d, "#account-name", |t| t == "赵督导（督导）").await;
    find(d, "[data-node^='village:']").await;
    let import_shown = d
        .execute(
            "return !document.getElementById('open-import').hidden;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        import_shown.json(),
        &serde_json::json!(false),
        "no import for 督导"
    );
    let refused = d
        .execute_async(
            "const done = arguments[arguments.length - 1];
             window.__TAURI__.core.invoke('save_town_names', { districtName: 'x', townName: 'y' })
               .then(() => done('allowed'), (e) => done(JSON.stringify(e)));",
            vec![],
        )
        .await
        .unwrap();
    let refused = refused.json().as_str().unwrap().to_string();
    assert!(
        refused.contains("forbidden") && refused.contains("督导"),
        "the gate refuses: {refused}"
    );

    // The audit log shows the day's changes and checks whole; an edit outside the app is found.
    menu(d, "#open-audit").await;
    wait_text(d, "#audit-rows", |t| {
        t.contains("登录") && t.contains("抽取第 1 号")
    })
    .await;
    click(d, "#audit-verify").await;
    wait_text(d, "#audit-check", |t| t.contains("操作日志完整")).await;
    screenshot(&s, "e2e-audit.png").await;
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute(
            "UPDATE audit_log SET summary = '改过的记录' WHERE action = 'sample.draw'",
            [],
        )
        .unwrap();
    click(d, "#audit-verify").await;
    wait_text(d, "#audit-check", |t| t.contains("被改动")).await;
    click(d, "#audit-close").await;

    s.driver.clone().quit().await.unwrap();
}
