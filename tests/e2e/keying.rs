//! #20: a clerk keys in a stack of village self-check forms with the keyboard only, counting the
//! keys; then a spot-check sample is keyed in as a flow, and the village list's form does not
//! inherit the sample's kind.

use super::*;

/// Keys sent to whatever has the focus, one at a time, counted.
pub(super) struct Keys<'a> {
    pub(super) d: &'a WebDriver,
    pub(super) n: usize,
}

impl Keys<'_> {
    /// Types `text` one character at a time into the focused element.
    pub(super) async fn typed(&mut self, text: &str) {
        for c in text.chars() {
            let focused = self.d.active_element().await.unwrap();
            focused.send_keys(c.to_string()).await.unwrap();
            self.n += 1;
        }
    }

    pub(super) async fn key(&mut self, key: Key) {
        let focused = self.d.active_element().await.unwrap();
        focused.send_keys(key).await.unwrap();
        self.n += 1;
    }

    /// The id of the focused element.
    pub(super) async fn focus(&self) -> String {
        let focused = self.d.active_element().await.unwrap();
        focused.id().await.unwrap().unwrap_or_default()
    }
}

/// The form's identity: household and toilet.
pub(super) async fn form_id(d: &WebDriver) -> String {
    format!(
        "{} {}",
        text_now(d, "#insp-title").await,
        text_now(d, ".insp-toilet").await
    )
}

/// Waits until the form shows another toilet than `before` (or closed), failing on a refusal.
pub(super) async fn next_form(d: &WebDriver, before: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        let error = text_now(d, "#insp-error").await;
        if !error.is_empty() {
            // What the form shows, for a refusal that should not have come (seen once on a
            // loaded machine: 正常使用 unanswered after it was ticked).
            let shown = d
                .execute(
                    "return JSON.stringify({
                       in_use: document.querySelector('#insp-in_use-1')?.checked,
                       none: document.querySelector('#insp-result-none')?.checked,
                       title: document.querySelector('#insp-title')?.textContent,
                       open: [...document.querySelectorAll('dialog[open]')].map((x) => x.id) });",
                    Vec::new(),
                )
                .await
                .map(|r| r.json().clone());
            panic!("the form was not saved: {error} (the form: {shown:?})");
        }
        if form_id(d).await != before {
            return;
        }
        assert!(Instant::now() < deadline, "Enter did not save {before}");
        tokio::time::sleep(POLL).await;
    }
}

/// Selects the list's first household and opens its form with Enter.
pub(super) async fn open_first_listed(d: &WebDriver) {
    click(d, ".hh-row:not(.loading) .c-name").await;
    wait_text(d, "#detail-name", |t| !t.is_empty()).await;
    find(d, "#list-body")
        .await
        .send_keys(Key::Enter)
        .await
        .unwrap();
    wait_text(d, "#insp-title", |t| t.starts_with("录入核查")).await;
}

/// Ticks a problem with the finder: what is typed, Enter, and the cause's number when the
/// problem stops use.
async fn tick(k: &mut Keys<'_>, what: &str) {
    assert_eq!(k.focus().await, "insp-find");
    k.typed(what).await;
    wait_text(k.d, "#insp-find-hint", |t| t.starts_with("回车勾选")).await;
    k.key(Key::Enter).await;
    if k.focus().await.starts_with("insp-cause-") {
        k.typed("1").await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn ten_forms_by_keyboard_then_a_sample_as_a_flow() {
    let _serial = SERIAL.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let (db, conn) = demo_database(dir.path(), "录入", huce_core::demo::DemoOptions::default());
    let person = |unit_like: &str| -> (String, String) {
        let name: String = conn
            .query_row(
                "SELECT name FROM staff WHERE unit LIKE ?1 AND active = 1 ORDER BY id LIMIT 1",
                [unit_like],
                |r| r.get(0),
            )
            .unwrap();
        let initials = huce_core::search_keys::initials_variants(&name)[0].clone();
        (name, initials)
    };
    let clerk = first_clerk(&conn);
    let (cadre, cadre_keys) = person("%人民政府");
    let (local, local_keys) = person("%村民委员会");
    // A sample for the district's spot check, drawn beforehand.
    huce_core::sampling::draw(
        &conn,
        &huce_core::sampling::SampleSpec {
            villages: vec![],
            size: huce_core::sampling::SampleSize::Count(5),
            min_per_village: 0,
            oversample_problems: false,
            batch: None,
            seed: None,
        },
        "测试",
        "2026-12-01T09:00:00+08:00",
    )
    .unwrap();
    let sampled: Vec<i64> = huce_core::sampling::sample(&conn, 1).unwrap().toilets;
    let inspections_before: i64 = conn
        .query_row("SELECT count(*) FROM inspections", [], |r| r.get(0))
        .unwrap();
    drop(conn);
    make_admin(&db);

    let s = start_app(&db).await;
    let d = &s.driver;
    d.set_window_rect(0, 0, 1366, 728).await.unwrap();
    log_in(d, ADMIN.0, ADMIN.1).await;
    // The clerk at the keyboard is chosen once, in the header.
    choose(d, "#operator", &clerk.to_string()).await;
    click(d, "[data-node^='village:']").await;

    // (#17, 2) The village's 入户排查表 for its self-check: pre-filled, one page per toilet,
    // and a blank one for a household found at the door.
    click(d, "#open-print").await;
    check(d, "#print-kind-survey_sheets").await;
    type_value(d, "#print-blanks", "1").await;
    uncheck(d, "#print-open").await; // no PDF viewer on a test machine
    click(d, "#print-go").await;
    let done = wait_text(d, "#print-result", |t| t.contains("已生成")).await;
    let pages_due: i64 = {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.query_row(
            "SELECT sum(max((SELECT count(*) FROM toilets t WHERE t.household_id = h.id), 1)) + 1
             FROM households h WHERE h.village_id = (SELECT id FROM villages ORDER BY sort_order, id LIMIT 1)",
            [],
            |r| r.get(0),
        )
        .unwrap()
    };
    assert!(done.contains(&format!("已生成 {pages_due} 页")), "{done}");
    let sheets = pdf_text_of(&db.parent().unwrap().join("文书"), "入户排查表");
    assert!(
        sheets.contains("入户排查表") && sheets.contains("新增农户"),
        "the sheets and the blank one"
    );
    click(d, "#print-close").await;
    // The worklist: the village's households not inspected yet (#20, 9).
    choose(d, "#list-check", "check:unchecked").await;
    wait_text(d, "#list-count", |t| {
        t.starts_with("找到") && t != "找到 0 户"
    })
    .await;
    let first = wait_text(d, ".hh-row:not(.loading) .c-check", |t| !t.is_empty()).await;
    assert_eq!(first, "未核查");
    // (#17, 3) Each worklist says how many households it holds, and prints.
    let shown = wait_text(d, "#list-count", |t| t.starts_with("找到")).await;
    let n = shown.trim_start_matches("找到 ").trim_end_matches(" 户");
    wait_text(d, "#list-check option[value='check:unchecked']", |t| {
        t == format!("未核查（{n}）")
    })
    .await;
    click(d, "#list-print").await;
    check(d, "#print-kind-worklist").await;
    click(d, "#print-go").await;
    wait_text(d, "#print-result", |t| t.contains("已生成")).await;
    let worklist = pdf_text_of(&db.parent().unwrap().join("文书"), "工作清单");
    assert!(worklist.contains("工作清单：未核查"), "{worklist}");
    click(d, "#print-close").await;
    open_first_listed(d).await;

    // Form 1 sets the group: typed initials, Enter each; then Tab to 正常使用.
    let mut k = Keys { d, n: 0 };
    assert_eq!(k.focus().await, "insp-group", "an empty group comes first");
    k.typed(&cadre_keys).await;
    wait_text(d, "#insp-group-list li.on", |t| t.contains(&cadre)).await;
    k.key(Key::Enter).await;
    k.typed(&local_keys).await;
    wait_text(d, "#insp-group-list li.on", |t| t.contains(&local)).await;
    k.key(Key::Enter).await;
    let group = text_now(d, "#insp-members").await;
    assert!(group.contains(&cadre) && group.contains(&local), "{group}");
    k.key(Key::Tab).await;
    k.key(Key::Tab).await;
    assert_eq!(k.focus().await, "insp-in_use-1");
    let form_one_group = k.n;

    let mut counts = Vec::new();
    let mut problem_forms = 0;
    for form in 1..=10 {
        let before = form_id(d).await;
        if form > 1 {
            k.n = 0;
            // The group and the date are kept from the last form, and say so.
            wait_text(d, "#insp-carried-members", |t| t == "沿用上一份").await;
            wait_text(d, "#insp-carried-date", |t| t == "沿用上一份").await;
            assert_eq!(k.focus().await, "insp-in_use-1", "form {form}: {before}");
        }
        if form % 4 == 0 {
            // Not in normal use, two problems: one by its number, one by pinyin initials.
            k.typed("0").await;
            k.typed("y").await;
            tick(&mut k, "2").await;
            tick(&mut k, "sl").await;
            let ticked = d
                .find_all(By::Css("#insp-checklist .item.on"))
                .await
                .unwrap()
                .len();
            assert_eq!(ticked, 2, "form {form}: two problems ticked");
            // The village's check proposes the category; it does not ask for a plan.
            wait_text(d, "#insp-later", |t| t.contains("待确定类别")).await;
            assert!(d.find(By::Css("#insp-measures")).await.is_err());
            problem_forms += 1;
        } else {
            k.typed("1").await;
            k.typed("w").await;
            assert_eq!(k.focus().await, "insp-save");
        }
        k.key(Key::Enter).await;
        next_form(d, &before).await;
        // The first form's count leaves out setting the group, done once for the stack.
        counts.push(if form == 1 { k.n - form_one_group } else { k.n });
    }
    let no_problem: Vec<usize> = counts
        .iter()
        .enumerate()
        .filter(|(i, _)| (i + 1) % 4 != 0)
        .map(|(_, n)| *n)
        .collect();
    let two_problems: Vec<usize> = counts
        .iter()
        .enumerate()
        .filter(|(i, _)| (i + 1) % 4 == 0)
        .map(|(_, n)| *n)
        .collect();
    println!("keys: setting the group {form_one_group}, per form {counts:?}");
    assert!(
        form_one_group <= 2 * 5 + 2,
        "two inspectors by their initials, Tab to the form: {form_one_group} keys"
    );
    assert!(
        no_problem.iter().all(|n| *n <= 6),
        "a form with no problems takes at most 6 keys: {counts:?}"
    );
    assert!(
        two_problems.iter().all(|n| *n <= 15),
        "a form with two problems takes at most 15 keys: {counts:?}"
    );
    screenshot(&s, "e2e-keying-form.png").await;

    // What was keyed in is stored: ten village self-checks, the problem ones in the ledger's
    // 待确定类别 with no plan.
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let (added, village_self): (i64, i64) = conn
            .query_row(
                "SELECT count(*), sum(kind = 'village_self') FROM inspections WHERE id > ?1",
                [inspections_before],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((added, village_self), (10, 10));
        let (cases, undecided): (i64, i64) = conn
            .query_row(
                "SELECT count(*), sum(category IS NULL AND measures IS NULL AND planned_month IS NULL)
                 FROM rectifications WHERE inspection_id > ?1",
                [inspections_before],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        let problems: i64 = conn
            .query_row(
                "SELECT count(*) FROM inspection_problems WHERE inspection_id > ?1",
                [inspections_before],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(cases, problem_forms);
        assert_eq!(undecided, problem_forms, "the town decides later");
        assert_eq!(problems, 2 * problem_forms);
    }

    // (#17, 4) A household found at the door: 新增农户, then a toilet the lists missed.
    k.key(Key::Escape).await;
    add_found_household(d, &db, "新发现户").await;
    open_first_listed(d).await;

    // A contradiction is flagged as it is entered, not at save.
    let before = form_id(d).await;
    k.typed("1").await;
    k.typed("y").await;
    tick(&mut k, "sl").await;
    let stops: bool = d
        .find(By::Css("#insp-checklist .item.on .sev.stop"))
        .await
        .is_ok();
    if stops {
        wait_text(d, "#insp-contradiction", |t| t.contains("影响使用")).await;
    }
    k.key(Key::Escape).await;
    assert_eq!(before, form_id(d).await);

    // The sample: its form opens as 区级抽查 and goes through the sampled toilets in order.
    click(d, "#view-checks").await;
    click(d, "#checks-tab-samples").await;
    wait_text(d, "#sample-title", |t| t.contains("第 1 号抽查样本")).await;
    click(d, "#sample-enter").await;
    wait_text(d, "#insp-queue", |t| t.contains("第 1 / 5 个")).await;
    wait_prop(d, "#insp-kind", "value", "district_spot").await;
    assert!(
        d.find(By::Css("#insp-carried-kind")).await.is_err(),
        "the kind comes from the sample, not the last form"
    );
    wait_text(d, "#list-sample", |t| t.contains("第 1 号样本（区级抽查）")).await;
    wait_text(d, "#list-count", |t| t.starts_with("找到")).await;
    let before = form_id(d).await;
    let mut k = Keys { d, n: 0 };
    k.typed("1").await;
    k.typed("w").await;
    k.key(Key::Enter).await;
    next_form(d, &before).await;
    wait_text(d, "#insp-queue", |t| t.contains("第 2 / 5 个")).await;
    wait_prop(d, "#insp-kind", "value", "district_spot").await;
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let (toilet, kind): (i64, String) = conn
            .query_row(
                "SELECT toilet_id, kind FROM inspections ORDER BY id DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(toilet, sampled[0], "the sample's first toilet");
        assert_eq!(kind, "district_spot");
    }
    screenshot(&s, "e2e-keying-sample.png").await;
    k.key(Key::Escape).await;

    // Back to the village list: its form is a 村级自查 again.
    click(d, "#list-sample-leave").await;
    click(d, "[data-node^='village:']").await;
    open_first_listed(d).await;
    wait_prop(d, "#insp-kind", "value", "village_self").await;
    k.key(Key::Escape).await;

    // 进度调度 names each village's next action; it opens the list it names (#20, 9).
    choose(d, "#list-check", "").await;
    click(d, "#view-progress").await;
    let next = wait_text(d, "#progress-rows tr[data-village] .next-action", |t| {
        !t.is_empty()
    })
    .await;
    d.execute(
        "document.querySelector('#progress-rows tr[data-village]').scrollIntoView({ block: 'start' });",
        vec![],
    )
    .await
    .unwrap();
    screenshot(&s, "e2e-keying-progress.png").await;
    assert!(
        next.starts_with("还有 ") && next.ends_with("个户厕未排查"),
        "the demo town's first village still has toilets to inspect: {next}"
    );
    click(d, "#progress-rows tr[data-village] .next-action").await;
    wait_prop(d, "#list-check", "value", "check:unchecked").await;
    wait_text(d, "#list-count", |t| {
        t.starts_with("找到") && t != "找到 0 户"
    })
    .await;
    let shown = d
        .find_all(By::Css(".hh-row:not(.loading) .c-check"))
        .await
        .unwrap();
    assert!(!shown.is_empty());
    for c in shown {
        assert_eq!(text(&c).await, "未核查");
    }
    s.driver.clone().quit().await.unwrap();
}
