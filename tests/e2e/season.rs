//! #17: the season on the demo town in one run, from the district's lists to what goes up at the
//! end: the subsidy list merged into the survey list with its mismatch shown, a village's
//! 入户排查表 printed, the village's 未核查 list worked down by keying sheets in, a household
//! the lists missed added, phone photos attached without a form, the 问题厕所台账 .xlsx for the
//! district, the district's own spot-check list matched and its sheets printed, and the 工作总结
//! .docx (with the 查缺补漏 numbers) opened by LibreOffice.

use calamine::{Data, Reader};
use huce_core::households::CHECK_STATE_SQL;

use super::keying::{form_id, next_form, open_first_listed, Keys};
use super::*;

/// A small JPEG-looking file (the photo store checks the first bytes only); `salt` makes it
/// another photo.
fn photo(dir: &Path, name: &str, salt: u8) {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.extend((0..4000u32).map(|i| (i as u8).wrapping_mul(salt)));
    std::fs::write(dir.join(name), bytes).unwrap();
}

/// The number in a worklist option's text, 未核查（n）.
async fn unchecked_shown(d: &WebDriver) -> i64 {
    let t = wait_text(d, "#list-check option[value='check:unchecked']", |t| {
        t.starts_with("未核查（")
    })
    .await;
    t.trim_start_matches("未核查（")
        .trim_end_matches('）')
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_season_from_the_two_lists_to_the_summary() {
    let _serial = SERIAL.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let (db, conn) = demo_database(dir.path(), "一季", huce_core::demo::DemoOptions::default());
    let folder = db.parent().unwrap().to_path_buf();
    let unique_head = "(SELECT count(*) FROM households x WHERE x.head_name = h.head_name) = 1";
    // The subsidy list names a listed household with one toilet, and one the survey missed.
    let (village, group, head): (String, String, String) = conn
        .query_row(
            &format!(
                "SELECT v.name, g.name, h.head_name FROM households h
                 JOIN villages v ON v.id = h.village_id JOIN village_groups g ON g.id = h.group_id
                 WHERE (SELECT count(*) FROM toilets t WHERE t.household_id = h.id) = 1
                   AND {unique_head} ORDER BY h.id LIMIT 1"
            ),
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    // Two households inspected already, whose photos come from a phone.
    let photographed: Vec<(String, i64)> = conn
        .prepare(&format!(
            "SELECT v.name || g.name || h.head_name, h.id FROM households h
             JOIN villages v ON v.id = h.village_id JOIN village_groups g ON g.id = h.group_id
             WHERE EXISTS (SELECT 1 FROM inspections i JOIN toilets t ON t.id = i.toilet_id
                           WHERE t.household_id = h.id)
               AND NOT EXISTS (SELECT 1 FROM signoffs o JOIN inspections i ON i.id = o.inspection_id
                               JOIN toilets t ON t.id = i.toilet_id WHERE t.household_id = h.id)
               AND {unique_head} ORDER BY h.id LIMIT 2"
        ))
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(photographed.len(), 2);
    let names = |unit: &str| -> String {
        conn.query_row(
            "SELECT name FROM staff WHERE unit LIKE ?1 AND active = 1 ORDER BY id LIMIT 1",
            [unit],
            |r| r.get(0),
        )
        .unwrap()
    };
    let (cadre, local) = (names("%人民政府"), names("%村民委员会"));
    let clerk = first_clerk(&conn);
    let first_village: i64 = conn
        .query_row(
            "SELECT id FROM villages ORDER BY sort_order, id LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    drop(conn);
    make_admin(&db);

    let s = start_app(&db).await;
    let d = &s.driver;
    d.set_window_rect(0, 0, 1366, 728).await.unwrap();
    log_in(d, ADMIN.0, ADMIN.1).await;
    // The clerk at the keyboard, chosen once in the header.
    choose(d, "#operator", &clerk.to_string()).await;

    // 1. The 财政补助改厕名单 after the 摸排名单: matched, and what is on one list only shown
    //    before anything is written.
    let list = folder.join("财政补助改厕名单.csv");
    std::fs::write(
        &list,
        format!(
            "行政村,社,户主姓名,项目名称,补助年度,补助金额\n\
             {village},{group},{head},2018年农村改厕项目,2018,1000\n\
             {village},{group},补助名单新户,2018年农村改厕项目,2018,1000\n"
        ),
    )
    .unwrap();
    click(d, "#open-import").await;
    type_value(d, "#import-path", list.to_str().unwrap()).await;
    click(d, "#import-check").await;
    wait_text(d, "#import-list-kind", |t| t.contains("财政补助改厕名单")).await;
    let merge = wait_text(d, "#import-merge", |t| t.contains("补助名单新户")).await;
    assert!(
        merge.contains("补助名单有、摸排名单无此户（将新增）（1 个）"),
        "{merge}"
    );
    screenshot(&s, "e2e-season-subsidy.png").await;
    click(d, "#import-commit").await;
    wait_text(d, "#import-summary", |t| t.contains("已导入")).await;
    click(d, "#import-close").await;
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let (year, fen): (Option<i64>, Option<i64>) = conn
            .query_row(
                "SELECT t.subsidy_year, t.subsidy_amount_fen FROM toilets t
                 JOIN households h ON h.id = t.household_id WHERE h.head_name = ?1",
                [&head],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((year, fen), (Some(2018), Some(100_000)), "{head}'s toilet");
        let added: i64 = conn
            .query_row(
                "SELECT count(*) FROM households WHERE head_name = '补助名单新户'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(added, 1);
    }

    // 2. The first village's 入户排查表, then its 未核查 list worked down by keying sheets in.
    click(d, &format!("[data-node='village:{first_village}']")).await;
    click(d, "#open-print").await;
    check(d, "#print-kind-survey_sheets").await;
    uncheck(d, "#print-open").await; // no PDF viewer on a test machine
    click(d, "#print-go").await;
    wait_text(d, "#print-result", |t| t.contains("已生成")).await;
    let sheets = pdf_text_of(&folder.join("文书"), "入户排查表");
    assert!(sheets.contains("是否发现问题"), "the form on the sheets");
    click(d, "#print-close").await;
    choose(d, "#list-check", "check:unchecked").await;
    let before = unchecked_shown(d).await;
    let unchecked_in_db = || -> i64 {
        rusqlite::Connection::open(&db)
            .unwrap()
            .query_row(
                &format!(
                    "SELECT count(*) FROM households h
                     WHERE h.village_id = ?1 AND {CHECK_STATE_SQL} = 'unchecked'"
                ),
                [first_village],
                |r| r.get(0),
            )
            .unwrap()
    };
    assert_eq!(before, unchecked_in_db());
    open_first_listed(d).await;
    pick_member(d, &cadre).await;
    pick_member(d, &local).await;
    let mut k = Keys { d, n: 0 };
    k.key(Key::Tab).await;
    k.key(Key::Tab).await;
    for _ in 0..3 {
        assert_eq!(k.focus().await, "insp-in_use-1");
        let was = form_id(d).await;
        k.typed("1").await;
        k.typed("w").await;
        k.key(Key::Enter).await;
        next_form(d, &was).await;
    }
    k.key(Key::Escape).await;
    let after = unchecked_in_db();
    assert!(after < before, "three sheets keyed in: {before} → {after}");
    wait_text(d, "#list-check option[value='check:unchecked']", |t| {
        t == format!("未核查（{after}）")
    })
    .await;
    wait_text(d, "#list-count", |t| t == format!("找到 {after} 户")).await;
    screenshot(&s, "e2e-season-worklist.png").await;
    // A household the lists missed, found at the door.
    add_found_household(d, &db, "入户新发现").await;

    // 3. Photos from a phone, named by household: each goes to its household's latest
    //    inspection; the same photo under two names is flagged and attached to neither.
    let photos = folder.join("手机照片");
    std::fs::create_dir_all(&photos).unwrap();
    photo(&photos, &format!("{}-1.jpg", photographed[0].0), 3);
    photo(&photos, &format!("{}-2.jpg", photographed[0].0), 5);
    photo(&photos, &format!("{}-1.jpg", photographed[1].0), 7);
    photo(&photos, &format!("{}-2.jpg", photographed[1].0), 5);
    menu(d, "#open-photo-import").await;
    type_value(d, "#photo-folder", photos.to_str().unwrap()).await;
    click(d, "#photo-check").await;
    let plan = wait_text(d, "#photo-summary", |t| t.starts_with("可以导入")).await;
    assert!(
        plan.contains("可以导入 2 张") && plan.contains("用在两户，请核对 2 张"),
        "{plan}"
    );
    screenshot(&s, "e2e-season-photos.png").await;
    click(d, "#photo-import").await;
    wait_text(d, "#photo-summary", |t| t.starts_with("已导入 2 张")).await;
    click(d, "#photo-close").await;
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        for (_, household) in &photographed {
            let n: i64 = conn
                .query_row(
                    "SELECT count(*) FROM inspection_photos p
                     WHERE p.inspection_id = (SELECT j.id FROM inspections j JOIN toilets u
                                              ON u.id = j.toilet_id WHERE u.household_id = ?1
                                              ORDER BY j.inspected_on DESC, j.id DESC LIMIT 1)",
                    [household],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(
                n, 1,
                "household {household}: one photo on its latest inspection"
            );
        }
    }

    // 4. The 问题厕所台账 for the district, as .xlsx in its layout.
    click(d, "#view-ledger").await;
    click(d, "[data-node='town']").await;
    click(d, "#ledger-print").await;
    check(d, "#print-kind-problem_ledger").await;
    let ledger = folder.join("problem-ledger.xlsx");
    answer_next_dialog(d, &ledger).await;
    click(d, "#print-xlsx").await;
    let done = wait_text(d, "#print-done", |t| t.contains("个问题户厕")).await;
    let rows: usize = done
        .trim_start_matches("已导出 ")
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(rows > 0, "{done}");
    click(d, "#print-close").await;
    let mut book = calamine::open_workbook_auto(&ledger).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    let cell = |r: usize, c: usize| match sheet.get((r, c)) {
        Some(Data::String(s)) => s.clone(),
        Some(Data::Empty) | None => String::new(),
        Some(other) => other.to_string(),
    };
    let headers: Vec<String> = (0..huce_core::reports::problem_ledger::COLUMNS.len())
        .map(|c| cell(2, c))
        .collect();
    assert_eq!(
        headers,
        huce_core::reports::problem_ledger::COLUMNS
            .iter()
            .map(|c| c.0.to_string())
            .collect::<Vec<_>>()
    );
    assert_eq!(sheet.height(), 3 + rows, "a row per problem toilet");

    // 5. The district picks its own households: its list matched, its sheets printed.
    let sheets = district_sample(d, &db).await;
    assert!(sheets.contains("现场核查表"), "the district's sheets");

    // 6. The 工作总结 draft, made from 进度调度 and opened by LibreOffice as Word or WPS would.
    click(d, "#view-progress").await;
    let summary = folder.join("summary.docx");
    answer_next_dialog(d, &summary).await;
    click(d, "#progress-summary").await;
    wait_text(d, "#toast", |t| t.contains("已生成工作总结初稿")).await;
    screenshot(&s, "e2e-season-summary.png").await;
    s.driver.clone().quit().await.unwrap();
    let profile = dir.path().join("lo-profile");
    let out = Command::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(&folder)
        .arg(&summary)
        .output()
        .expect("LibreOffice (soffice) must be installed: Debian package libreoffice-writer-nogui");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = Command::new("pdftotext")
        .arg(folder.join("summary.pdf"))
        .arg("-")
        .output()
        .unwrap();
    let text: String = String::from_utf8_lossy(&text.stdout)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    for words in [
        "工作总结（初稿）",
        "五、各村情况",
        "六、逐月进展",
        "查缺补漏",
    ] {
        assert!(text.contains(words), "{words} in the summary: {text}");
    }
}
