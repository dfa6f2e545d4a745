//! Browsing the demo town by village and 社, searching, and importing a ledger into an empty
//! database, through the real app.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn browse_demo_town_by_village_and_group() {
    let _serial = SERIAL.lock().await;
    let dir = tempfile::tempdir().unwrap();
    // A user folder with Chinese characters and a space, as on real office PCs.
    let db = dir.path().join("张三 的文件").join("huce.db");
    let s = start_app(&db).await;
    let d = &s.driver;

    // The first start asks for the administrator's account; a weak password is refused.
    wait_text(d, "#login-go", |t| t.contains("建立管理员账户")).await;
    screenshot(&s, "e2e-first-start.png").await;
    type_value(d, "#login-display", "张三").await;
    type_value(d, "#login-username", "zhangsan").await;
    type_value(d, "#login-password", "12345678").await;
    type_value(d, "#login-password2", "12345678").await;
    click(d, "#login-go").await;
    wait_text(d, "#login-error", |t| t.contains("不能全是数字")).await;
    type_value(d, "#login-password", "shiyu2022").await;
    type_value(d, "#login-password2", "shiyu2022").await;
    click(d, "#login-go").await;
    wait_text(d, "#account-name", |t| t == "张三（管理员）").await;

    // An empty database offers the demo data.
    let load = find(d, "#load-demo").await;
    assert_eq!(text(&load).await, "载入示例数据");
    screenshot(&s, "e2e-empty.png").await;
    load.click().await.unwrap();

    // The tree appears with villages and counts; the header marks the demo and names the file.
    let village = find(d, "[data-node^='village:']").await;
    let village_name = text_in(&village, ".node-name").await;
    assert!(
        village_name.ends_with('村'),
        "a village node: {village_name:?}"
    );
    let town = wait_text(d, "#town-name", |t| t.contains("石鱼镇")).await;
    assert!(town.contains("铜梁区"), "{town}");
    assert!(
        d.find(By::Id("demo-badge"))
            .await
            .unwrap()
            .is_displayed()
            .await
            .unwrap(),
        "示例数据 badge shown"
    );
    let path_text = text(&d.find(By::Id("db-path")).await.unwrap()).await;
    assert!(
        path_text.contains("huce.db"),
        "header names the open database: {path_text}"
    );
    let root_count = text_in(&find(d, "[data-node='town']").await, ".node-count").await;
    assert_eq!(
        root_count,
        "9000户 · ".to_string() + root_count.split(" · ").nth(1).unwrap()
    );

    // Village → 社 → household.
    village.click().await.unwrap();
    wait_text(d, "#scope-title", |t| t == village_name).await;
    let group = find(d, "[data-node^='group:']").await;
    let group_name = text_in(&group, ".node-name").await;
    group.click().await.unwrap();
    let title = wait_text(d, "#scope-title", |t| t.contains(&group_name)).await;
    assert_eq!(title, format!("{village_name} {group_name}"));
    wait_text(d, "#list-count", |t| t.starts_with('共') && t != "共 0 户").await;

    // The first household with a toilet (a 无厕所户 has none to show).
    find(d, ".hh-row:not(.loading)").await;
    let mut with_toilet = None;
    for r in d.find_all(By::Css(".hh-row:not(.loading)")).await.unwrap() {
        if text_in(&r, ".c-toilets").await != "0" {
            with_toilet = Some(r);
            break;
        }
    }
    let row = with_toilet.expect("the 社 has a household with a toilet");
    let row_name = text_in(&row, ".c-name").await;
    let row_place = text_in(&row, ".c-place").await;
    assert_eq!(
        row_place, group_name,
        "the row belongs to the chosen 社, named without its village (shown in the title)"
    );
    assert_eq!(text_now(d, ".list-head .c-place").await, "社");
    let row_id = text_in(&row, ".c-id").await;
    assert!(
        row_id.contains("********"),
        "ID numbers are masked in the list: {row_id}"
    );
    let row_toilets: usize = text_in(&row, ".c-toilets").await.parse().unwrap();
    row.click().await.unwrap();

    wait_text(d, "#detail-name", |t| t == row_name).await;
    let cards = d
        .query(By::Css(".toilet-card"))
        .wait(WAIT, POLL)
        .all_from_selector_required()
        .await
        .unwrap();
    assert!(row_toilets >= 1, "demo households have toilets");
    assert_eq!(
        cards.len(),
        row_toilets,
        "one card per toilet of the household"
    );
    let card_text = text(&cards[0]).await;
    for field in [
        "技术模式",
        "建设（改造）年度",
        "是否财政补助",
        "补助年度",
        "项目名称",
    ] {
        assert!(
            card_text.contains(field),
            "toilet card shows {field}: {card_text}"
        );
    }
    screenshot(&s, "e2e-household.png").await;

    // The administrator may see the full numbers of one household; the look is logged.
    click(d, "#reveal-personal").await;
    let fields = wait_text(d, ".household-fields", |t| !t.contains("********")).await;
    let prefix: String = row_id.chars().take(6).collect();
    assert!(fields.contains(&prefix), "{fields}");
    let looked: i64 = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row(
            "SELECT count(*) FROM audit_log WHERE action = 'view.personal' AND actor LIKE '张三%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(looked, 1);

    // Search the whole town by pinyin initials.
    click(d, "[data-node='town']").await;
    let search = find(d, "#search").await;
    search.send_keys("zjg").await.unwrap();
    wait_text(d, "#list-count", |t| t.starts_with("找到")).await;
    let names = d
        .query(By::Css(".hh-row:not(.loading) .c-name"))
        .wait(WAIT, POLL)
        .all_from_selector_required()
        .await
        .unwrap();
    let mut found = Vec::new();
    for n in names {
        found.push(text(&n).await);
    }
    assert!(
        found.iter().any(|n| n == "张建国"),
        "zjg finds 张建国 among {found:?}"
    );
    // Across the town each row names its village too.
    let place = wait_text(d, ".hh-row:not(.loading) .c-place", |t| !t.is_empty()).await;
    assert!(place.contains(" · "), "{place}");
    assert_eq!(text_now(d, ".list-head .c-place").await, "行政村 · 社");
    screenshot(&s, "e2e-search.png").await;

    // Export: build a column template for the 防止返贫 platform (the save dialog itself is native).
    click(d, "#open-export").await;
    click(d, "#edit-templates").await;
    find(d, "#tpl-name")
        .await
        .send_keys("防止返贫监测平台")
        .await
        .unwrap();
    let boxes = d
        .query(By::Css("#tpl-columns .tpl-row input[type=checkbox]"))
        .wait(WAIT, POLL)
        .all_from_selector_required()
        .await
        .unwrap();
    assert_eq!(
        boxes.len(),
        20 + 9,
        "every ledger column can be chosen, and the latest check's and case's (#17)"
    );
    boxes[4].click().await.unwrap(); // 身份证号
    let header = find(d, "#tpl-columns .tpl-row:nth-child(5) input[type=text]").await;
    header.clear().await.unwrap();
    header.send_keys("证件号码").await.unwrap();
    click(d, "#tpl-columns .tpl-row:nth-child(4) input[type=checkbox]").await; // 户主姓名
    screenshot(&s, "e2e-template.png").await;
    click(d, "#tpl-save").await;
    wait_text(d, "#export-template", |t| t.contains("防止返贫监测平台")).await;
    click(d, "#export-cancel").await;

    // Settings: an empty town name is refused with a message; a valid one shows in the header.
    menu(d, "#open-settings").await;
    let town_input = find(d, "#set-town").await;
    town_input.clear().await.unwrap();
    click(d, "#settings-save").await;
    wait_text(d, "#settings-error", |t| t.contains("镇（乡）名称不能为空")).await;
    town_input.send_keys("安居镇").await.unwrap();
    screenshot(&s, "e2e-settings.png").await;
    click(d, "#settings-save").await;
    wait_text(d, "#town-name", |t| t == "铜梁区 安居镇").await;
    wait_text(d, "#scope-title", |t| t == "安居镇（全镇）").await;

    // 本镇工作口径: the town's own numbers, labelled so, kept across openings and used by 比对.
    menu(d, "#open-settings").await;
    wait_prop(d, "#set-immediate-days", "value", "7").await;
    type_value(d, "#set-immediate-days", "5").await;
    type_value(d, "#set-retrain", "15").await;
    click(d, "#settings-save").await;
    wait_text(d, "#toast", |t| t.contains("已保存")).await;
    menu(d, "#open-settings").await;
    wait_prop(d, "#set-immediate-days", "value", "5").await;
    let label = text_now(d, "#settings-dialog fieldset.working-values legend").await;
    assert_eq!(label, "本镇工作口径（方案未规定，由镇里确定）");
    click(d, "#settings-cancel").await;
    click(d, "#view-checks").await;
    wait_text(d, "#compare-note", |t| {
        t.contains("超过 15% 的应组织再培训") && t.contains("本镇工作口径")
    })
    .await;

    // Fast clicks through the town and every village in view (the tree scrolled to its top):
    // each view ends on the last village clicked;
    // a late answer for the place clicked before (the town's is the slowest) never replaces it (the ledger's rows and counts, the
    // comparison's differences).
    for (view, rows) in [
        ("#view-ledger", "#ledger-rows tr[data-case] td:nth-child(3)"),
        ("#view-checks", "#diff-rows tr td:nth-child(1)"),
    ] {
        click(d, view).await;
        let last = d
            .execute(
                "const tree = document.getElementById('tree');
                 tree.scrollTop = 0;
                 tree.dispatchEvent(new Event('scroll'));
                 const nodes = [...document.querySelectorAll(\"[data-node^='village:']\")];
                 const town = document.querySelector(\"[data-node='town']\");
                 for (const n of nodes) { town.click(); n.click(); }
                 return nodes[nodes.length - 1].querySelector('.node-name').textContent;",
                vec![],
            )
            .await
            .unwrap()
            .json()
            .as_str()
            .unwrap()
            .to_string();
        let places = || async {
            d.execute(
                "return [...document.querySelectorAll(arguments[0])].map((e) => e.textContent);",
                vec![serde_json::json!(rows)],
            )
            .await
            .unwrap()
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect::<Vec<_>>()
        };
        let started = Instant::now();
        while places().await.is_empty() || places().await.iter().any(|p| !p.starts_with(&last)) {
            assert!(
                started.elapsed() < WAIT,
                "{view}: rows of {last} only: {:?}",
                places().await
            );
            tokio::time::sleep(POLL).await;
        }
        // Every answer is in by now; the view still shows the last village.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let shown = places().await;
        assert!(
            !shown.is_empty() && shown.iter().all(|p| p.starts_with(&last)),
            "{view} after the late answers: {shown:?} (expected {last})"
        );
        if view == "#view-ledger" {
            let selected = text_now(d, "#counts-table tr.selected td:first-child").await;
            assert_eq!(selected, last, "the counts mark the last village");
        }
    }

    s.driver.clone().quit().await.unwrap();
    assert!(
        db.exists(),
        "the database file was created where the app was told"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn import_a_ledger_into_an_empty_database() {
    let _serial = SERIAL.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("导入 测试").join("huce.db");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    make_admin(&db);
    let s = start_app(&db).await;
    let d = &s.driver;
    log_in(d, ADMIN.0, ADMIN.1).await;
    let fixture =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/ledger-legacy.xls");

    // The empty database offers the import next to the demo data.
    click(d, "#empty-import").await;
    let path = find(d, "#import-path").await;
    path.send_keys(fixture.canonicalize().unwrap().to_str().unwrap())
        .await
        .unwrap();
    let create = find(d, "#import-create").await;
    assert!(
        create.is_selected().await.unwrap(),
        "an empty database creates villages and 社 by default"
    );
    click(d, "#import-check").await;

    // The preview counts what is imported, what waits 待核实 and what is left out; nothing is
    // written yet. The ID number Excel cut short does not keep 李堃's household out.
    wait_text(d, "#import-counts", |t| t.contains("农户：新增 3")).await;
    let tally = text_now(d, "#import-tally").await;
    assert!(
        tally.contains("导入 3 行")
            && tally.contains("待核实 1 行")
            && tally.contains("未导入 1 行"),
        "{tally}"
    );
    let flags = wait_text(d, "#import-flags", |t| t.contains("身份证号已被Excel截断")).await;
    assert!(flags.contains("身份证号"), "{flags}");
    let problems = wait_text(d, "#import-problems", |t| t.contains("与第 7 行完全相同")).await;
    assert!(
        !problems.contains("Excel截断"),
        "an imported row is not a row left out: {problems}"
    );
    assert!(
        !problems.contains("合计"),
        "the 合计 row is not a problem: {problems}"
    );
    let skipped = wait_text(d, "#import-skipped", |t| !t.is_empty()).await;
    assert_eq!(skipped, "跳过合计行和表格说明 2 行：第 9 行、第 10 行");
    let mapping = text(&find(d, "#import-mapping").await).await;
    assert!(mapping.contains("户主姓名"), "{mapping}");
    screenshot(&s, "e2e-import-preview.png").await;
    manual_shot(&s, "import").await;

    // Commit, then find an imported household through the search box.
    click(d, "#import-commit").await;
    wait_text(d, "#import-summary", |t| t.contains("已导入")).await;
    click(d, "#import-close").await;
    wait_text(d, "#list-count", |t| t == "共 3 户").await;
    let search = find(d, "#search").await;
    search.send_keys("wy").await.unwrap();
    wait_text(d, "#list-count", |t| t == "找到 1 户").await;
    click(d, ".hh-row:not(.loading)").await;
    wait_text(d, "#detail-name", |t| t == "王䶮").await;
    let card = text(&find(d, ".toilet-card").await).await;
    assert!(
        card.contains("双瓮漏斗式") && card.contains("2016年"),
        "{card}"
    );
    screenshot(&s, "e2e-import-done.png").await;

    // The household whose number Excel cut short shows it waits 待核实.
    search.clear().await.unwrap();
    search.send_keys("李堃").await.unwrap();
    wait_text(d, ".hh-row:not(.loading)", |t| t.contains("李堃")).await;
    click(d, ".hh-row:not(.loading)").await;
    wait_text(d, "#detail-name", |t| t == "李堃").await;
    let box_text = wait_text(d, "#detail-pending", |t| t.contains("待核实 1 项")).await;
    assert!(
        box_text.contains("身份证号") && box_text.contains("Excel"),
        "{box_text}"
    );

    // The 待核实 list: the cut-short number, corrected in the app.
    wait_text(d, "#open-pending", |t| t == "待核实 1 项").await;
    click(d, "#open-pending").await;
    let rows = wait_text(d, "#pending-rows", |t| t.contains("李堃")).await;
    assert!(
        rows.contains("身份证号") && rows.contains("Excel截断"),
        "{rows}"
    );
    screenshot(&s, "e2e-pending.png").await;
    // A number that is still wrong is refused and the entry stays.
    type_value(d, "#pending-rows input.fix", "500224").await;
    click(d, "#pending-rows button.correct").await;
    wait_text(d, "#pending-error", |t| t.contains("身份证号")).await;
    let first17 = "50022419850312004";
    let right = format!(
        "{first17}{}",
        huce_core::idcard::check_char(first17).unwrap()
    );
    type_value(d, "#pending-rows input.fix", &right).await;
    click(d, "#pending-rows button.correct").await;
    wait_text(d, "#pending-count", |t| t == "已全部处理（1 项）").await;
    find(d, "#pending-rows tr.done").await;
    click(d, "#pending-close").await;
    wait_prop(d, "#open-pending", "hidden", "true").await;
    // The household pane follows: nothing waits any more, and the number is the corrected one.
    let pane = wait_text(d, "#detail", |t| !t.contains("待核实")).await;
    assert!(pane.contains("李堃") && pane.contains("500224"), "{pane}");
    screenshot(&s, "e2e-import-done.png").await;
    assert!(
        db.parent()
            .unwrap()
            .join("backups")
            .read_dir()
            .unwrap()
            .count()
            >= 1,
        "a backup was taken before the import"
    );

    // (#17, 1) The subsidy list: recognised by its columns, matched to the stored toilets by
    // its record, and what is on one list only is shown before anything is written.
    let (village, group): (String, String) = {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.query_row(
            "SELECT v.name, g.name FROM households h JOIN villages v ON v.id = h.village_id
             JOIN village_groups g ON g.id = h.group_id WHERE h.head_name = '王䶮'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    };
    let list = db.parent().unwrap().join("财政补助改厕名单.csv");
    std::fs::write(
        &list,
        format!(
            "行政村,社,户主姓名,项目名称,补助年度,补助金额\n\
             {village},{group},王䶮,2016年农村改厕项目,2016,1000\n\
             {village},{group},补助新户,2016年农村改厕项目,2016,1000\n"
        ),
    )
    .unwrap();
    click(d, "#open-import").await;
    type_value(d, "#import-path", list.to_str().unwrap()).await;
    click(d, "#import-check").await;
    wait_text(d, "#import-list-kind", |t| t.contains("财政补助改厕名单")).await;
    let merge = wait_text(d, "#import-merge", |t| t.contains("对上 1 个户厕")).await;
    assert!(
        merge.contains("补助名单有、摸排名单无此户（将新增）（1 个）")
            && merge.contains("补助新户"),
        "{merge}"
    );
    screenshot(&s, "e2e-import-subsidy.png").await;
    click(d, "#import-commit").await;
    wait_text(d, "#import-summary", |t| t.contains("已导入")).await;
    click(d, "#import-close").await;

    // Two heads of one name in one 社, each with his own address: two households, and the
    // preview asks the clerk to check the second.
    let namesakes = db.parent().unwrap().join("同名.csv");
    let first17 = "51010219800101123";
    let id = format!(
        "{first17}{}",
        huce_core::idcard::check_char(first17).unwrap()
    );
    std::fs::write(
        &namesakes,
        format!(
            "行政村,社,户主姓名,身份证号,住址,技术模式\n\
             {village},{group},何光荣,,{village}{group}40号,三格式\n\
             {village},{group},何光荣,{id},{village}{group}64号,三格式\n"
        ),
    )
    .unwrap();
    click(d, "#open-import").await;
    type_value(d, "#import-path", namesakes.to_str().unwrap()).await;
    click(d, "#import-check").await;
    wait_text(d, "#import-counts", |t| t.contains("农户：新增 2")).await;
    let note = wait_text(d, "#import-namesakes", |t| !t.is_empty()).await;
    assert_eq!(
        note,
        "同名另户 1 行（与前面同社同名的户主住址或电话不同，按另一户新增，请核实）：第 3 行"
    );
    screenshot(&s, "e2e-import-namesakes.png").await;
    click(d, "#import-close").await;

    // A stored household's ID number under another head's name: 户主变更, listed in the
    // preview for the clerk to check (a mistyped ID number looks the same).
    let (village, group, id_number): (String, String, String) = {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.query_row(
            "SELECT v.name, g.name, h.id_number FROM households h
             JOIN villages v ON v.id = h.village_id JOIN village_groups g ON g.id = h.group_id
             WHERE h.id_number IS NOT NULL ORDER BY h.id LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
    };
    let new_head = db.parent().unwrap().join("户主变更.csv");
    std::fs::write(
        &new_head,
        format!("行政村,社,户主姓名,身份证号\n{village},{group},新户主甲,{id_number}\n"),
    )
    .unwrap();
    click(d, "#open-import").await;
    type_value(d, "#import-path", new_head.to_str().unwrap()).await;
    click(d, "#import-check").await;
    wait_text(d, "#import-counts", |t| t.contains("农户：新增 0，更新 1")).await;
    let note = wait_text(d, "#import-new-heads", |t| !t.is_empty()).await;
    assert_eq!(
        note,
        "户主变更 1 户（身份证号与已有农户相同、户主姓名不同，按户主变更更新户主，请核实不是身份证号写错）：第 2 行"
    );
    screenshot(&s, "e2e-import-new-heads.png").await;
    click(d, "#import-close").await;

    // A workbook with a sheet per village and no 行政村 column: the first sheet with a header
    // is checked, its rows belong to the village its name says, and after its import the next
    // sheet is chosen in the dialog.
    let by_village = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/ledger-by-village.xlsx")
        .canonicalize()
        .unwrap();
    click(d, "#open-import").await;
    type_value(d, "#import-path", by_village.to_str().unwrap()).await;
    click(d, "#import-check").await;
    wait_text(d, "#import-sheet-village", |t| t.contains("“石鱼村”")).await;
    let sheets = text_now(d, "#import-sheets").await;
    assert!(sheets.contains("本文件有 3 个工作表"), "{sheets}");
    wait_text(d, "#import-counts", |t| t.contains("农户：新增 2")).await;
    screenshot(&s, "e2e-import-sheets.png").await;
    click(d, "#import-commit").await;
    wait_text(d, "#import-summary", |t| t.contains("已导入")).await;
    choose(d, "#import-sheet", "太平村").await;
    wait_text(d, "#import-sheet-village", |t| t.contains("“太平村”")).await;
    wait_text(d, "#import-counts", |t| t.contains("农户：新增 1")).await;
    click(d, "#import-commit").await;
    wait_text(d, "#import-summary", |t| t.contains("已导入")).await;
    click(d, "#import-close").await;
    s.driver.clone().quit().await.unwrap();
}

/// A tree of hundreds of villages (a district file) builds only the rows in view: the last
/// village is reached by scrolling and by the keyboard, and the selected row stays built (it
/// holds the focus) when the tree is scrolled away from it (#21: memory that grows with the file).
#[tokio::test(flavor = "multi_thread")]
async fn a_district_tree_builds_only_the_rows_in_view() {
    let _serial = SERIAL.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("huce.db");
    const VILLAGES: i64 = 300;
    let (first_village, last_village) = {
        let mut conn = huce_core::db::open(&db, chrono::Local::now().naive_local()).unwrap();
        make_admin_on(&conn);
        let tx = conn.transaction().unwrap();
        let mut ids = Vec::new();
        for v in 1..=VILLAGES {
            let village = huce_core::households::add_village(&*tx, &format!("第{v}村"), v).unwrap();
            ids.push(village);
            let group = huce_core::households::add_group(&*tx, village, "1社", Some(1), 1).unwrap();
            huce_core::households::insert_household(
                &*tx,
                &huce_core::model::NewHousehold {
                    group_id: group,
                    head_name: format!("户主{v}"),
                    id_number: None,
                    phone: None,
                    address: None,
                    registered_pop: None,
                    resident_pop: None,
                    category: huce_core::model::HouseholdCategory::Ordinary,
                    is_resident: true,
                },
                "2026-11-29T09:00:00+08:00",
            )
            .unwrap();
        }
        tx.commit().unwrap();
        (ids[0], ids[ids.len() - 1])
    };
    let s = start_app(&db).await;
    let d = &s.driver;
    log_in(d, ADMIN.0, ADMIN.1).await;
    let first_node = format!("[data-node='village:{first_village}']");
    find(d, &first_node).await;
    let built = |d: &WebDriver| {
        let d = d.clone();
        async move {
            d.execute(
                "return document.querySelectorAll('#tree .node').length;",
                vec![],
            )
            .await
            .unwrap()
            .json()
            .as_i64()
            .unwrap()
        }
    };
    let first = built(d).await;
    assert!(
        first > 10 && first < 120,
        "{first} of {} rows built",
        VILLAGES + 1
    );
    let size = find(d, &first_node)
        .await
        .attr("aria-setsize")
        .await
        .unwrap();
    assert_eq!(size.as_deref(), Some("300"));

    // Scrolled to the end, the last village is there to click.
    d.execute(
        "const t = document.getElementById('tree'); t.scrollTop = t.scrollHeight;",
        vec![],
    )
    .await
    .unwrap();
    let last = format!("[data-node='village:{last_village}']");
    click(d, &last).await;
    wait_text(d, "#scope-title", |t| t == format!("第{VILLAGES}村")).await;
    assert!(built(d).await < 120);

    // The keyboard moves through the rows: ↓ to the last village's 社 (opened by the click),
    // then ↑ ↑ to the village before it.
    d.action_chain()
        .send_keys(Key::Down)
        .perform()
        .await
        .unwrap();
    wait_text(d, "#scope-title", |t| t == format!("第{VILLAGES}村 1社")).await;
    d.action_chain()
        .send_keys(Key::Up + Key::Up)
        .perform()
        .await
        .unwrap();
    wait_text(d, "#scope-title", |t| t == format!("第{}村", VILLAGES - 1)).await;

    // Scrolled back to the top, the selected village is still built and focused.
    d.execute("document.getElementById('tree').scrollTop = 0;", vec![])
        .await
        .unwrap();
    find(d, &first_node).await;
    let focused = d
        .execute("return document.activeElement.dataset.node;", vec![])
        .await
        .unwrap()
        .json()
        .clone();
    assert_eq!(
        focused,
        serde_json::json!(format!("village:{}", last_village - 1)),
        "the village before the last is selected and holds the focus"
    );
    screenshot(&s, "e2e-district-tree.png").await;
    s.driver.clone().quit().await.unwrap();
}
