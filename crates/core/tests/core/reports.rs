//! 月通报 (PDF and Excel), 多方比对 in Excel and the 区级抽查 field check sheets, checked against
//! the core's own numbers (`progress`, `compare`, the stored sample) as a reader of the files
//! would see them: pdftotext / pdffonts / pdfinfo, calamine; pages rendered for a person to look at.

use calamine::{open_workbook, Data, Reader, Xlsx};
use huce_core::households::Scope;
use huce_core::print;
use huce_core::reports::bulletin::bulletin_cells;
use huce_core::sampling::{self, SampleSize, SampleSpec};
use huce_core::{compare, progress};

use crate::printing::{render, s, tool, town, TODAY};
use crate::NOW;

fn assert_fonts_embedded(pdf: &std::path::Path) {
    let fonts = tool("pdffonts", &[s(pdf)]);
    let lines: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!lines.is_empty(), "{fonts}");
    for l in lines {
        assert!(l.contains("yes yes yes"), "embedded subset: {l}");
    }
}

/// The cells of the table row whose first cell is `first` (a line of 16 words).
fn row_tokens<'a>(text: &'a str, first: &str) -> Vec<&'a str> {
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|w| w.len() == 16 && w[0] == first)
        .unwrap_or_else(|| panic!("no table row for {first}:\n{text}"))
}

#[test]
fn the_bulletin_prints_every_village_and_the_towns_numbers() {
    let t = town();
    let dir = tempfile::tempdir().unwrap();
    // The current month counts to today; a past month to its last day.
    for (month, as_of, heading) in [
        ("2026-11", TODAY, "2026年11月"),
        ("2022-10", "2022-10-31", "2022年10月"),
    ] {
        let printed = print::bulletin(&t.db, month, TODAY).unwrap();
        assert!(printed.warnings.is_empty(), "{:?}", printed.warnings);
        let pdf = dir.path().join(format!("月通报-{month}.pdf"));
        printed.save(&pdf).unwrap();
        let p = progress::progress(&t.db, as_of).unwrap();

        let info = tool("pdfinfo", &[s(&pdf)]);
        assert!(
            info.contains("841.89 x 595.28 pts (A4)"),
            "landscape: {info}"
        );
        assert!(info.contains(&format!("Pages:           {}", printed.pages)));
        assert_fonts_embedded(&pdf);

        let text = tool("pdftotext", &["-layout", s(&pdf), "-"]);
        for words in [
            "石鱼镇农村户厕问题摸排整改工作月通报",
            heading,
            "统计截至",
            "一、总体情况",
            "二、各村进度",
            "三、各村综合进度排名",
            "四、各村排查率和销号率",
            "排查率",
            "销号率",
            "镇筹资农户自改",
        ] {
            assert!(text.contains(words), "{words} missing in {month}");
        }
        let flat = text.replace([' ', '\n'], "");
        assert!(
            flat.contains("综合进度=（排查率+销号率）÷2"),
            "the ranking rule"
        );
        let (y, m, d) = (&as_of[..4], &as_of[5..7], &as_of[8..]);
        let date = format!(
            "{y}年{}月{}日",
            m.trim_start_matches('0'),
            d.trim_start_matches('0')
        );
        assert!(text.contains(&format!("统计截至{date}")), "as of {date}");
        for v in &p.villages {
            let row = row_tokens(&text, &v.name);
            let want: Vec<String> = bulletin_cells(v, Some(v.rank))
                .iter()
                .map(|c| c.text())
                .collect();
            assert_eq!(row, want, "{}'s row in {month}", v.name);
        }
        // The town's total row carries progress()'s town numbers, e.g. inspected and closed.
        let total = row_tokens(&text, "全镇合计");
        assert_eq!(total[3], p.town.inspected.to_string(), "{total:?}");
        assert_eq!(total[11], p.town.closed.to_string(), "{total:?}");
        assert_eq!(total[1], p.town.households.to_string());
        // The summary names the top village and the numbers it is written from.
        let best = &p.villages[p.ranking[0]].name;
        assert!(
            flat.contains(&format!("前3位是{best}")),
            "top village named"
        );
        assert!(flat.contains(&format!("已入户排查户厕{}个", p.town.inspected)));
        assert!(flat.contains(&format!("已验收销号{}个", p.town.closed)));
        // 第 x 页 共 y 页 on every page.
        for n in 1..=printed.pages {
            let page = tool(
                "pdftotext",
                &["-f", &n.to_string(), "-l", &n.to_string(), s(&pdf), "-"],
            );
            assert!(
                page.replace(' ', "")
                    .contains(&format!("第{n}页共{}页", printed.pages)),
                "page {n}"
            );
        }
        // Nothing runs past the margins (15 mm ≈ 42.5 pt; the footer sits in the bottom margin).
        let boxes = tool("pdftotext", &["-bbox", s(&pdf), "-"]);
        let words: Vec<&str> = boxes.lines().filter(|l| l.contains("<word ")).collect();
        assert!(words.len() > 20, "the bulletin's words are found");
        for word in words {
            let attr = |a: &str| -> f32 {
                word.split(&format!("{a}=\""))
                    .nth(1)
                    .unwrap()
                    .split('"')
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap()
            };
            assert!(
                attr("xMin") >= 40.0 && attr("xMax") <= 841.89 - 40.0,
                "{word}"
            );
            assert!(
                attr("yMin") >= 20.0 && attr("yMax") <= 595.28 - 15.0,
                "{word}"
            );
        }
        let pages: Vec<usize> = (1..=printed.pages).collect();
        render(&pdf, &format!("bulletin-{month}"), &pages);
    }
}

#[test]
fn a_bulletin_for_a_wrong_or_future_month_is_refused_in_chinese() {
    let t = town();
    for (month, words) in [
        ("2022-13", "格式不对"),
        ("2022-1", "格式不对"),
        ("十月", "格式不对"),
        ("2026-12", "还没有到"),
        ("2027-01", "还没有到"),
    ] {
        let err = print::bulletin(&t.db, month, TODAY)
            .unwrap_err()
            .to_string();
        assert!(err.contains(words), "{month}: {err}");
        let dir = tempfile::tempdir().unwrap();
        let err = huce_core::reports::bulletin::bulletin_xlsx(
            &t.db,
            month,
            TODAY,
            &dir.path().join("a.xlsx"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains(words), "{month}: {err}");
    }
    assert_eq!(
        huce_core::reports::bulletin::bulletin_as_of("2024-02", TODAY).unwrap(),
        "2024-02-29"
    );
    assert_eq!(
        huce_core::reports::bulletin::bulletin_as_of("2026-11", TODAY).unwrap(),
        TODAY
    );
}

fn sheet(path: &std::path::Path, name: &str) -> calamine::Range<Data> {
    let mut book: Xlsx<_> = open_workbook(path).unwrap();
    book.worksheet_range(name)
        .unwrap_or_else(|e| panic!("sheet {name}: {e}"))
}

fn num(d: &Data) -> f64 {
    match d {
        Data::Float(f) => *f,
        Data::Int(i) => *i as f64,
        other => panic!("not a number: {other:?}"),
    }
}

fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        other => panic!("not text: {other:?}"),
    }
}

#[test]
fn the_bulletin_and_comparison_workbooks_hold_the_cores_numbers() {
    let t = town();
    let dir = tempfile::tempdir().unwrap();

    let path = dir.path().join("月通报.xlsx");
    let rows = huce_core::reports::bulletin::bulletin_xlsx(&t.db, "2022-10", TODAY, &path).unwrap();
    let p = progress::progress(&t.db, "2022-10-31").unwrap();
    assert_eq!(rows, p.villages.len() + 1);
    let r = sheet(&path, "月通报");
    let cell = |row: usize, col: usize| r.get((row, col)).cloned().unwrap_or(Data::Empty);
    assert!(text(&cell(0, 0)).contains("月通报"));
    assert!(text(&cell(1, 0)).contains("2022-10-31"));
    let headers: Vec<String> = (0..16).map(|c| text(&cell(2, c))).collect();
    assert_eq!(
        headers,
        huce_core::reports::bulletin::BULLETIN_COLUMNS
            .iter()
            .map(|c| c.0.to_string())
            .collect::<Vec<_>>()
    );
    for (i, v) in p.villages.iter().chain([&p.town]).enumerate() {
        let row = 3 + i;
        let name = if i == p.villages.len() {
            "全镇合计"
        } else {
            &v.name
        };
        assert_eq!(text(&cell(row, 0)), name);
        assert_eq!(num(&cell(row, 1)), v.households as f64);
        assert_eq!(num(&cell(row, 3)), v.inspected as f64, "{name}");
        assert!((num(&cell(row, 4)) - v.inspected_percent() / 100.0).abs() < 1e-9);
        assert_eq!(num(&cell(row, 5)), v.problems as f64);
        assert_eq!(num(&cell(row, 11)), v.closed as f64, "{name}");
        match v.closed_percent() {
            Some(c) => assert!((num(&cell(row, 12)) - c / 100.0).abs() < 1e-9),
            None => assert_eq!(text(&cell(row, 12)), "—"),
        }
        assert_eq!(num(&cell(row, 13)), v.overdue_unrectified as f64);
        assert_eq!(num(&cell(row, 14)), v.overdue_awaiting as f64);
        if i < p.villages.len() {
            assert_eq!(num(&cell(row, 15)), v.rank as f64);
        }
    }
    assert_eq!(r.height(), 3 + rows, "nothing below the total");

    let path = dir.path().join("多方比对.xlsx");
    let n = huce_core::compare::comparison_xlsx(&t.db, Scope::Town, &path).unwrap();
    let c = compare::compare(&t.db, Scope::Town).unwrap();
    assert_eq!(n, c.differences.len());
    assert!(n > 0, "the demo town has differences to list");
    let r = sheet(&path, "差异清单");
    let cell = |row: usize, col: usize| r.get((row, col)).cloned().unwrap_or(Data::Empty);
    assert_eq!(
        (0..12).map(|c| text(&cell(2, c))).collect::<Vec<_>>(),
        [
            "序号",
            "村",
            "社",
            "户主",
            "厕所序号",
            "比对",
            "对照",
            "项目",
            "前者",
            "后者",
            "农户编号",
            "类型"
        ]
    );
    assert_eq!(r.height(), 3 + n);
    for (i, d) in c.differences.iter().enumerate() {
        let row = 3 + i;
        assert_eq!(text(&cell(row, 1)), d.village_name);
        assert_eq!(text(&cell(row, 3)), d.head_name);
        assert_eq!(num(&cell(row, 4)), d.toilet_seq as f64);
        assert_eq!(text(&cell(row, 7)), d.field);
        assert_eq!(num(&cell(row, 10)), d.household_id as f64);
        assert_eq!(text(&cell(row, 11)), compare::difference_kind(d));
    }
    assert!(
        c.differences.iter().any(|d| d.between_checks)
            && c.differences.iter().any(|d| !d.between_checks),
        "the demo town has both kinds"
    );
    for (name, rates) in [("各村差异率", &c.villages), ("各调查组差异率", &c.groups)] {
        let r = sheet(&path, name);
        let cell = |row: usize, col: usize| r.get((row, col)).cloned().unwrap_or(Data::Empty);
        assert_eq!(text(&cell(2, 1)), "比对户厕数");
        assert_eq!(text(&cell(2, 3)), "差异率");
        assert_eq!(r.height(), 3 + rates.len(), "{name}");
        for (i, rate) in rates.iter().enumerate() {
            assert_eq!(text(&cell(3 + i, 0)), rate.name);
            assert_eq!(num(&cell(3 + i, 1)), rate.compared as f64);
            assert_eq!(num(&cell(3 + i, 2)), rate.differing as f64);
            assert!((num(&cell(3 + i, 3)) - rate.percent() / 100.0).abs() < 1e-9);
            if name == "各村差异率" {
                assert_eq!(num(&cell(3 + i, 4)), rate.baseline_compared as f64);
                assert_eq!(num(&cell(3 + i, 5)), rate.baseline_differing as f64);
            }
        }
    }
}

#[test]
fn check_sheets_are_one_page_per_sampled_toilet_in_the_samples_order() {
    let t = town();
    let spec = SampleSpec {
        villages: vec![],
        size: SampleSize::Count(10),
        min_per_village: 0,
        oversample_problems: true,
        batch: None,
        seed: None,
    };
    let sample = sampling::draw(&t.db, &spec, "李明", NOW).unwrap();
    let printed = print::check_sheets(&t.db, sample.id, TODAY).unwrap();
    assert_eq!(printed.pages, sample.toilets.len(), "one page per toilet");
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("现场核查表.pdf");
    printed.save(&pdf).unwrap();
    let info = tool("pdfinfo", &[s(&pdf)]);
    assert!(info.contains("595.28 x 841.89 pts (A4)"), "{info}");
    assert!(info.contains(&format!("Pages:           {}", sample.toilets.len())));
    assert_fonts_embedded(&pdf);

    for (k, toilet) in sample.toilets.iter().enumerate() {
        let (head, seq, inspections): (String, i64, i64) = t
            .db
            .query_row(
                "SELECT h.head_name, t.seq, (SELECT count(*) FROM inspections i WHERE i.toilet_id = t.id)
                 FROM toilets t JOIN households h ON h.id = t.household_id WHERE t.id = ?1",
                [toilet],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        let n = (k + 1).to_string();
        let page = tool("pdftotext", &["-f", &n, "-l", &n, s(&pdf), "-"]);
        let flat = page.replace([' ', '\n'], "");
        // A character no bundled face has prints as the missing mark (and the document warns).
        let head: String = head
            .chars()
            .map(|c| {
                if print::layout::missing_chars(&c.to_string()).is_empty() {
                    c
                } else {
                    print::layout::MISSING_MARK
                }
            })
            .collect();
        assert!(page.contains(&head), "page {n} names {head}: {page}");
        assert!(
            flat.contains(&format!("随机种子：{}", sample.seed)),
            "seed on page {n}"
        );
        assert!(
            flat.contains(&format!(
                "第{}号抽查样本·第{}/{}个户厕",
                sample.id,
                n,
                sample.toilets.len()
            )),
            "page {n}: {flat}"
        );
        assert!(
            flat.contains(&format!("第{seq}个（本户共")),
            "toilet seq on page {n}"
        );
        for words in [
            "区级抽查现场核查表",
            "技术模式",
            "是否财政补助",
            "农户状态：",
            "无人居住",
            "户已迁出",
            "是否正常使用：",
            "化粪池/粪池",
            "过粪管装反",
            "问题说明及备注",
            "抽查人（签字）",
            "户主（签字或按手印）",
        ] {
            assert!(flat.contains(words), "{words} missing on page {n}");
        }
        if inspections == 0 {
            assert!(flat.contains("尚无核查记录"), "page {n}");
        } else {
            assert!(flat.contains("调查组："), "page {n}");
        }
        assert!(!flat.contains("13800001234"), "phones masked");
    }
    render(&pdf, "check-sheet", &[1, 2]);

    let err = print::check_sheets(&t.db, 9999, TODAY)
        .unwrap_err()
        .to_string();
    assert!(
        err.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "{err}"
    );
}

/// #15: the monthly bulletin lists what was reported to the district's 人居办 (PDF and Excel);
/// a month before the report says there is none.
#[test]
fn the_bulletin_lists_the_cases_reported_to_the_district() {
    use huce_core::escalation::{self, EscalationInput};
    let t = town();
    let staff: i64 =
        t.db.query_row("SELECT min(id) FROM staff", [], |r| r.get(0))
            .unwrap();
    let case_id = t.cases[1];
    let head: String = t
        .db
        .query_row(
            "SELECT h.head_name FROM rectifications r JOIN households h ON h.id = r.household_id WHERE r.id = ?1",
            [case_id],
            |r| r.get(0),
        )
        .unwrap();
    let reason = "地下水位高，现有技术模式都不适宜";
    escalation::escalate(
        &t.db,
        &crate::local(),
        &EscalationInput {
            case_id,
            date: "2026-11-20".into(),
            actor_id: staff,
            text: reason.into(),
        },
        TODAY,
        NOW,
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let words = |month: &str| {
        let printed = print::bulletin(&t.db, month, TODAY).unwrap();
        let pdf = dir.path().join(format!("{month}.pdf"));
        printed.save(&pdf).unwrap();
        (
            pdf.clone(),
            tool("pdftotext", &[s(&pdf), "-"]).replace([' ', '\n'], ""),
        )
    };
    let (pdf, now) = words("2026-11");
    for w in [
        "五、报区人居办研究解决的问题",
        "有1个问题户厕镇里无法自行解决",
        &head,
        &format!("2026-11-20上报，原因：{reason}；尚未答复"),
    ] {
        assert!(now.contains(w), "{w}: {now}");
    }
    let pages = tool("pdfinfo", &[s(&pdf)]);
    let last: usize = pages
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    render(&pdf, "bulletin-escalations", &[last]);
    let (_, before) = words("2022-10");
    assert!(
        before.contains("截至统计日，没有报区人居办研究解决的问题。"),
        "{before}"
    );

    let xlsx = dir.path().join("月通报.xlsx");
    huce_core::reports::bulletin::bulletin_xlsx(&t.db, "2026-11", TODAY, &xlsx).unwrap();
    let range = sheet(&xlsx, "报区研究解决");
    let row: Vec<String> = (0..8).map(|c| text(range.get((3, c)).unwrap())).collect();
    assert_eq!(row[2], head);
    assert_eq!((row[6].as_str(), row[7].as_str()), ("2026-11-20", reason));
}

/// #17 (5): the 问题厕所台账 as the district's .xlsx: one row per problem toilet with the
/// problems and their causes, the category and plan, the state and the notice; masked.
#[test]
fn the_problem_ledger_goes_up_as_one_row_per_problem_toilet() {
    let t = town();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("问题厕所台账.xlsx");
    let filter = huce_core::rectification::LedgerFilter::all_of(Scope::Town);
    let s = huce_core::reports::problem_ledger::problem_ledger_xlsx(
        &t.db,
        &filter,
        "全镇",
        TODAY,
        &path,
        "2026-11-29T10:00:00+08:00",
    )
    .unwrap();
    let page = huce_core::rectification::ledger(&t.db, &filter, TODAY, 0, i64::MAX).unwrap();
    assert_eq!(s.rows, page.rows.len());
    let r = sheet(&path, "问题厕所台账");
    let cell = |row: usize, col: usize| r.get((row, col)).cloned().unwrap_or(Data::Empty);
    let text = |d: &Data| match d {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => other.to_string(),
    };
    let headers: Vec<String> = (0..24).map(|c| text(&cell(2, c))).collect();
    assert_eq!(
        headers,
        huce_core::reports::problem_ledger::COLUMNS
            .iter()
            .map(|c| c.0.to_string())
            .collect::<Vec<_>>()
    );
    assert_eq!(r.height(), 3 + page.rows.len());
    // The printing town's own cases: 渗漏, 施工不到位, planned.
    let mine = (0..page.rows.len())
        .map(|i| 3 + i)
        .find(|row| text(&cell(*row, 9)).contains("渗漏（影响使用，施工不到位）"))
        .expect("a case with its cause");
    assert!(text(&cell(mine, 11)).starts_with("计划整改"));
    assert!(!text(&cell(mine, 12)).is_empty(), "measures");
    assert!(text(&cell(mine, 14)).starts_with("2025-"), "deadline");
    assert!(
        (3..r.height()).all(|row| !text(&cell(row, 4))
            .chars()
            .nth(8)
            .is_some_and(|c| c.is_ascii_digit())),
        "ID numbers are masked"
    );
}

/// #17 (7): the 工作总结 draft is a .docx that LibreOffice opens (as WPS/Word would), stating
/// the season's numbers, the village table and the month-by-month line.
#[test]
fn the_year_end_summary_is_a_docx_libreoffice_opens() {
    let t = town();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("工作总结.docx");
    let n = huce_core::print::summary::summary_docx(&t.db, TODAY, &path).unwrap();
    let p = progress::progress(&t.db, TODAY).unwrap();
    assert_eq!(
        (n.inspected, n.problems, n.closed),
        (p.town.inspected, p.town.problems, p.town.closed)
    );
    assert_eq!(
        (n.overdue_unrectified, n.overdue_awaiting),
        (p.town.overdue_unrectified, p.town.overdue_awaiting)
    );
    assert!(n.months >= 1);
    assert!(!dir.path().join("工作总结.docx.part").exists());
    // Opened and converted by LibreOffice headless, with its own throw-away profile.
    let profile = dir.path().join("lo-profile");
    let out = std::process::Command::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(dir.path())
        .arg(&path)
        .output()
        .expect("LibreOffice (soffice) must be installed: Debian package libreoffice-writer-nogui");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pdf = dir.path().join("工作总结.pdf");
    let text: String = tool("pdftotext", &[s(&pdf), "-"])
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    for words in [
        "农村户厕问题摸排整改工作总结（初稿）".to_string(),
        format!("已入户排查户厕{}个", p.town.inspected),
        format!("排查发现问题户厕{}个", p.town.problems),
        format!("已验收销号{}个", p.town.closed),
        // 逾期 told apart: the farmer's late rectification, the town's late acceptance.
        format!(
            "逾期未整改{}个，已整改但逾期待验收{}个",
            p.town.overdue_unrectified, p.town.overdue_awaiting
        ),
        "逾期待验收".into(),
        "五、各村情况".into(),
        "六、逐月进展".into(),
        p.villages[0].name.clone(),
    ] {
        assert!(text.contains(&words), "{words} missing: {text}");
    }
    render(&pdf, "summary", &[1, 2]);
    // The village table's numbers and rates stay on their village's line (equal columns made
    // "100.0%" wrap in LibreOffice).
    let layout = tool("pdftotext", &["-layout", s(&pdf), "-"]);
    for v in &p.villages {
        let line = layout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(v.name.as_str()))
            .unwrap_or_else(|| panic!("{}'s line: {layout}", v.name));
        let cells: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(
            cells[1..],
            [
                v.households.to_string(),
                v.toilets.to_string(),
                v.inspected.to_string(),
                v.rates.inspected.clone(),
                v.problems.to_string(),
                v.closed.to_string(),
                v.rates.closed.clone(),
                v.overdue_unrectified.to_string(),
                v.overdue_awaiting.to_string(),
            ],
            "{line}"
        );
    }
}

/// A problem rectified and waiting past its deadline for the town's acceptance is 逾期待验收 on
/// paper, apart from 逾期未整改: the printed 问题厕所台账's state, the district's .xlsx, the
/// bulletin's table (two columns that add up to every open case past its deadline), its summary
/// and its ranking, which counts the town's late acceptance as closed out for the village.
#[test]
fn late_acceptance_is_printed_apart_from_late_rectification() {
    use huce_core::model::{CaseState, Overdue};
    use huce_core::rectification::{self, LedgerFilter, MoveInput};
    let t = town();
    let staff: i64 =
        t.db.query_row("SELECT min(id) FROM staff", [], |r| r.get(0))
            .unwrap();
    // Two of the printing town's cases (planned for 2025, all of them late today) were
    // rectified in May 2025; the town has not accepted them.
    let waiting = [t.cases[0], t.cases[1]];
    for case_id in waiting {
        for (to, date) in [
            (CaseState::InProgress, "2025-03-01"),
            (CaseState::AwaitingAcceptance, "2025-05-10"),
        ] {
            rectification::move_case(
                &t.db,
                &crate::local(),
                &MoveInput {
                    case_id,
                    to,
                    actor_id: staff,
                    date: date.into(),
                    remark: None,
                    verifier_id: None,
                    photo: None,
                    head_confirmed: false,
                    unconfirmed_reason: None,
                    scan: None,
                },
                TODAY,
                NOW,
            )
            .unwrap();
        }
    }
    let all = LedgerFilter::all_of(Scope::Town);
    let page = rectification::ledger(&t.db, &all, TODAY, 0, i64::MAX).unwrap();
    let late_of = |id: i64| page.rows.iter().find(|r| r.case_id == id).unwrap().overdue;
    assert_eq!(late_of(t.cases[0]), Some(Overdue::AwaitingAcceptance));
    assert_eq!(late_of(t.cases[2]), Some(Overdue::Unrectified));
    let p = progress::progress(&t.db, TODAY).unwrap();
    assert!(p.town.overdue_awaiting >= 2, "{:?}", p.town);
    assert!(p.town.overdue_unrectified > 0, "{:?}", p.town);
    assert_eq!(
        (p.town.overdue_unrectified, p.town.overdue_awaiting),
        (page.town.overdue_unrectified, page.town.overdue_awaiting),
        "月调度 and the ledger agree"
    );
    assert_eq!(
        p.town.overdue_unrectified + p.town.overdue_awaiting,
        page.rows.iter().filter(|r| r.overdue.is_some()).count() as i64,
        "together every open case past its deadline"
    );
    for v in &p.villages {
        let ranked = v.ranked_closed_percent();
        assert_eq!(
            ranked,
            (v.problems > 0)
                .then(|| huce_core::model::percent(v.closed + v.overdue_awaiting, v.problems))
        );
        let want = match ranked {
            Some(c) => (v.inspected_percent() + c) / 2.0,
            None => v.inspected_percent(),
        };
        assert!((v.score - want).abs() < 1e-9, "{}", v.name);
    }

    // The printed ledger: each late case says whose the delay is.
    let dir = tempfile::tempdir().unwrap();
    let printed = print::problem_ledger(&t.db, &all, TODAY, "石鱼镇（全镇）").unwrap();
    let pdf = dir.path().join("问题厕所台账.pdf");
    printed.save(&pdf).unwrap();
    let flat = tool("pdftotext", &[s(&pdf), "-"]).replace(char::is_whitespace, "");
    for w in ["已整改待验收（逾期待验收）", "待整改（逾期未整改）"] {
        assert!(flat.contains(w), "{w} on the ledger");
    }
    assert!(!flat.contains("（逾期）"), "no bare 逾期 on the ledger");
    let first = tool("pdftotext", &["-f", "1", "-l", "1", s(&pdf), "-"]);
    assert!(first.contains("问题厕所台账"));
    render(&pdf, "problem-ledger-late", &[1]);

    // The district's sheet: 是否逾期 says which.
    let xlsx = dir.path().join("问题厕所台账.xlsx");
    huce_core::reports::problem_ledger::problem_ledger_xlsx(
        &t.db,
        &all,
        "全镇",
        TODAY,
        &xlsx,
        "2026-11-29T10:00:00+08:00",
    )
    .unwrap();
    let r = sheet(&xlsx, "问题厕所台账");
    let column = huce_core::reports::problem_ledger::COLUMNS
        .iter()
        .position(|c| c.0 == "是否逾期")
        .unwrap();
    let marks: Vec<String> = (3..r.height())
        .map(|row| match r.get((row, column)) {
            Some(Data::String(s)) => s.clone(),
            _ => String::new(),
        })
        .collect();
    let n = |w: &str| marks.iter().filter(|m| *m == w).count() as i64;
    assert_eq!(n("逾期待验收"), p.town.overdue_awaiting);
    assert_eq!(n("逾期未整改"), p.town.overdue_unrectified);
    assert_eq!(n("逾期"), 0);

    // The bulletin: two columns, the summary's words, the ranking's rule.
    let printed = print::bulletin(&t.db, "2026-11", TODAY).unwrap();
    let pdf = dir.path().join("月通报.pdf");
    printed.save(&pdf).unwrap();
    let text = tool("pdftotext", &["-layout", s(&pdf), "-"]);
    let total = row_tokens(&text, "全镇合计");
    assert_eq!(
        (total[13], total[14]),
        (
            p.town.overdue_unrectified.to_string().as_str(),
            p.town.overdue_awaiting.to_string().as_str()
        ),
        "{total:?}"
    );
    let flat = text.replace(char::is_whitespace, "");
    for w in [
        "逾期未整改".to_string(),
        "逾期待验收".to_string(),
        format!(
            "逾期未整改{}个，已整改但逾期待验收{}个",
            p.town.overdue_unrectified, p.town.overdue_awaiting
        ),
        "在排名和“进度情况”中按已销号计，村不因镇里验收滞后降低名次或列为滞后".to_string(),
        "综合进度=（排查率+销号率）÷2".to_string(),
    ] {
        assert!(flat.contains(&w), "{w} on the bulletin");
    }
    assert!(!flat.contains("逾期未完成整改"), "the old words");
    let pages: Vec<usize> = (1..=printed.pages).collect();
    render(&pdf, "bulletin-late-acceptance", &pages);

    // The Excel bulletin says the ranking's rule too.
    let xlsx = dir.path().join("月通报.xlsx");
    huce_core::reports::bulletin::bulletin_xlsx(&t.db, "2026-11", TODAY, &xlsx).unwrap();
    let r = sheet(&xlsx, "月通报");
    assert!(
        text_of(&r, 1, 0).contains("逾期待验收的按已销号计"),
        "{}",
        text_of(&r, 1, 0)
    );
}

fn text_of(r: &calamine::Range<Data>, row: usize, col: usize) -> String {
    text(r.get((row, col)).unwrap_or(&Data::Empty))
}
