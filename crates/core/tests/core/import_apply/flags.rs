//! 待核实 (#14): a row that names a household is imported even when a field of it is wrong; the
//! field stays empty and the value waits on the worklist until corrected, in the app or by a
//! corrected ledger. Only rows that cannot be identified, exact duplicates and rows that would
//! merge two households are left out.

use huce_core::households::{self, Disclosure, Scope};
use huce_core::idcard;
use huce_core::model::{Location, TechMode};
use huce_core::pending::{self, Settler};
use rusqlite::Connection;

use super::{opts, run, write_xlsx};

/// An ID number with a right check digit, from its first 17 digits.
fn valid_id(first17: &str) -> String {
    format!("{first17}{}", idcard::check_char(first17).unwrap())
}

/// The same number with a wrong check digit.
fn bad_checksum(first17: &str) -> String {
    let right = idcard::check_char(first17).unwrap();
    let wrong = if right == '1' { '2' } else { '1' };
    format!("{first17}{wrong}")
}

const HEADER: &[&str] = &[
    "行政村",
    "社",
    "户主姓名",
    "身份证号",
    "户厕类型",
    "厕所位置",
    "建设年度",
];

fn detail_of(conn: &Connection, name: &str) -> households::HouseholdDetail {
    let page = households::list(conn, Scope::Town, name, Disclosure::Full, 0, 10).unwrap();
    let row = page
        .rows
        .iter()
        .find(|r| r.head_name == name)
        .unwrap_or_else(|| panic!("{name} was imported"));
    households::detail(conn, row.id, Disclosure::Full).unwrap()
}

fn settler() -> Settler<'static> {
    Settler {
        actor: "核实员",
        now: "2026-12-01T09:00:00+08:00",
        current_year: 2026,
    }
}

/// The town ledger of the issue: 其他, bad checksums, a year like 2031, an unknown 厕所位置.
fn ledger(dir: &std::path::Path) -> std::path::PathBuf {
    let ok_id = valid_id("50022419700101001");
    let bad_a = bad_checksum("50022419800202002");
    let path = dir.join("town.xlsx");
    write_xlsx(
        &path,
        &[
            HEADER,
            &["石鱼村", "1社", "赵一", &ok_id, "三格式", "室内", "2019"],
            &["石鱼村", "1社", "钱二", "", "其他", "其他", "2018"],
            &["石鱼村", "1社", "孙三", &bad_a, "三格式", "院内", "2020"],
            // The same wrong number on another household: neither collides with the other.
            &["石鱼村", "2社", "李四", &bad_a, "三格式", "院内", "2020"],
            &["石鱼村", "2社", "周五", "", "双瓮式", "院内", "2031"],
            &["太平村", "3社", "吴六", "", "三格式", "房顶上", "2017"],
            // Several wrong values in one row: all flagged, the row still imported.
            &["太平村", "3社", "郑七", "12345", "抽水马桶", "", "二〇五〇"],
            // Not identifiable: no 户主.
            &["太平村", "3社", "", "", "三格式", "室内", "2019"],
            // An exact duplicate of 赵一.
            &["石鱼村", "1社", "赵一", &ok_id, "三格式", "室内", "2019"],
            // Would merge two households: 赵一's valid number under another name.
            &["太平村", "3社", "王八", &ok_id, "三格式", "室内", "2019"],
            &["合计", "", "", "", "", "", ""],
        ],
    );
    path
}

#[test]
fn every_identifiable_household_is_imported_with_its_flags() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = huce_core::db::open(&dir.path().join("town.db"), crate::fixed_time()).unwrap();
    let path = ledger(dir.path());
    let dry = run(&mut conn, &path, &opts(true), false, dir.path());
    let r = run(
        &mut conn,
        &path,
        &opts(true),
        true,
        &dir.path().join("备份"),
    );
    let counts = |r: &huce_core::import::apply::ImportReport| {
        (
            r.rows_total,
            r.rows_flagged,
            r.rows_rejected,
            r.rows_skipped,
        )
    };
    assert_eq!(
        counts(&r),
        (10, 5, 3, 1),
        "{:#?}\n{:#?}",
        r.problems,
        r.flags
    );
    assert_eq!(
        counts(&dry),
        counts(&r),
        "the preview says what the commit does"
    );
    assert_eq!(dry.flags, r.flags);
    assert_eq!(r.households_new, 7);
    assert_eq!(households::counts(&conn).unwrap(), (7, 7));

    // The rows left out are exactly the three that cannot be taken, each with its reason.
    let out: Vec<(usize, bool)> = r
        .problems
        .iter()
        .map(|p| {
            (
                p.row,
                p.message.contains("户主")
                    || p.message.contains("完全相同")
                    || p.message.contains("户主姓名不同"),
            )
        })
        .collect();
    assert_eq!(
        out,
        vec![(9, true), (10, true), (11, true)],
        "{:#?}",
        r.problems
    );

    // 其他 is a value, not a problem.
    let qian = detail_of(&conn, "钱二");
    assert_eq!(qian.toilets[0].tech_mode, Some(TechMode::Other));
    assert_eq!(qian.toilets[0].location, Some(Location::Other));
    assert_eq!(
        qian.toilets[0].is_sanitary, None,
        "其他 says nothing about it"
    );
    assert!(pending::of_household(&conn, qian.id, Disclosure::Full)
        .unwrap()
        .is_empty());

    // A wrong checksum: the number is kept apart, never stored as the household's number.
    let bad_a = bad_checksum("50022419800202002");
    for name in ["孙三", "李四"] {
        let d = detail_of(&conn, name);
        assert_eq!(d.id_number, None, "{name}");
        let p = pending::of_household(&conn, d.id, Disclosure::Full).unwrap();
        assert_eq!(p.len(), 1, "{name}: {p:#?}");
        assert_eq!(
            (p[0].field.as_str(), p[0].field_label.as_str()),
            ("id_number", "身份证号")
        );
        assert_eq!(p[0].written, bad_a);
        assert!(p[0].reason.contains("校验"), "{}", p[0].reason);
        assert_eq!(p[0].source_row, Some(if name == "孙三" { 4 } else { 5 }));
        assert_eq!(p[0].file_name.as_deref(), Some("town.xlsx"));
        let masked = pending::of_household(&conn, d.id, Disclosure::Masked).unwrap();
        assert_ne!(masked[0].written, bad_a, "the worklist masks ID numbers");
    }
    // Searching by the wrong number's tail finds nobody: it is not used for matching.
    let tail: String = bad_a
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    assert_eq!(
        households::list(&conn, Scope::Town, &tail, Disclosure::Full, 0, 10)
            .unwrap()
            .total,
        0
    );

    let zhou = detail_of(&conn, "周五");
    assert_eq!(zhou.toilets[0].build_year, None);
    assert_eq!(
        zhou.toilets[0].tech_mode,
        Some(TechMode::DoubleUrn),
        "the rest is taken"
    );
    let wu = detail_of(&conn, "吴六");
    assert_eq!(wu.toilets[0].location, None);
    assert_eq!(wu.toilets[0].build_year, Some(2017));
    let zheng =
        pending::of_household(&conn, detail_of(&conn, "郑七").id, Disclosure::Full).unwrap();
    let fields: Vec<&str> = zheng.iter().map(|p| p.field_label.as_str()).collect();
    assert_eq!(
        fields,
        ["身份证号", "技术模式", "建设（改造）年度"],
        "in the ledger's order"
    );
    assert!(zheng
        .iter()
        .all(|p| p.toilet_seq.is_some() == (p.field != "id_number")));

    // The worklist: by village and 社, in the town's order.
    let all = pending::list(&conn, Scope::Town, Disclosure::Full).unwrap();
    let who: Vec<(&str, &str, &str)> = all
        .iter()
        .map(|p| (p.village.as_str(), p.group.as_str(), p.head_name.as_str()))
        .collect();
    assert_eq!(
        who,
        [
            ("石鱼村", "1社", "孙三"),
            ("石鱼村", "2社", "李四"),
            ("石鱼村", "2社", "周五"),
            ("太平村", "3社", "吴六"),
            ("太平村", "3社", "郑七"),
            ("太平村", "3社", "郑七"),
            ("太平村", "3社", "郑七"),
        ]
    );
    let villages = pending::by_village(&conn).unwrap();
    let v: Vec<(&str, i64, i64)> = villages
        .iter()
        .map(|v| (v.village.as_str(), v.households, v.entries))
        .collect();
    assert_eq!(v, [("石鱼村", 3, 3), ("太平村", 2, 4)]);
    let stored: i64 = conn
        .query_row("SELECT rows_flagged FROM import_batches", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored, 5);

    // The same ledger again: nothing new, no second entry for the same value.
    let again = run(
        &mut conn,
        &path,
        &opts(true),
        true,
        &dir.path().join("备份"),
    );
    assert_eq!((again.households_new, again.fields_changed), (0, 0));
    assert_eq!(
        pending::list(&conn, Scope::Town, Disclosure::Full)
            .unwrap()
            .len(),
        7
    );
}

#[test]
fn a_corrected_ledger_settles_the_flags_with_old_and_new() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = huce_core::db::open(&dir.path().join("town.db"), crate::fixed_time()).unwrap();
    let bad = bad_checksum("50022419800202002");
    let good = valid_id("50022419800202002");
    let first = dir.path().join("first.xlsx");
    write_xlsx(
        &first,
        &[
            HEADER,
            &["石鱼村", "1社", "孙三", &bad, "三格式", "院内", "2031"],
        ],
    );
    run(
        &mut conn,
        &first,
        &opts(true),
        true,
        &dir.path().join("备份"),
    );
    assert_eq!(
        pending::list(&conn, Scope::Town, Disclosure::Full)
            .unwrap()
            .len(),
        2
    );

    let fixed = dir.path().join("fixed.xlsx");
    write_xlsx(
        &fixed,
        &[
            HEADER,
            &["石鱼村", "1社", "孙三", &good, "三格式", "院内", "2021"],
        ],
    );
    let r = run(
        &mut conn,
        &fixed,
        &opts(true),
        true,
        &dir.path().join("备份"),
    );
    assert_eq!(
        (r.rows_flagged, r.households_new, r.households_updated),
        (0, 0, 1)
    );
    assert!(pending::list(&conn, Scope::Town, Disclosure::Full)
        .unwrap()
        .is_empty());
    let d = detail_of(&conn, "孙三");
    assert_eq!(d.id_number.as_deref(), Some(good.as_str()));
    assert_eq!(d.toilets[0].build_year, Some(2021));
    let log: Vec<(String, Option<String>, Option<String>)> = conn
        .prepare("SELECT field, old_value, new_value FROM change_log ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        log,
        [
            (
                "身份证号".to_string(),
                Some(format!("{bad}（待核实）")),
                Some(good.clone())
            ),
            (
                "建设（改造）年度".to_string(),
                Some("2031（待核实）".to_string()),
                Some("2021年".to_string())
            ),
        ]
    );
    let settled: Vec<(String, String)> = conn
        .prepare("SELECT resolution, new_value FROM pending_checks ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        settled,
        [
            ("reimported".to_string(), good.clone()),
            ("reimported".to_string(), "2021年".to_string())
        ]
    );
    // The corrected number now matches: the household is found by it.
    assert_eq!(
        households::list(&conn, Scope::Town, &good[14..], Disclosure::Full, 0, 10)
            .unwrap()
            .total,
        1
    );
}

#[test]
fn correcting_in_the_app_settles_the_flag_and_refuses_what_is_still_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = huce_core::db::open(&dir.path().join("town.db"), crate::fixed_time()).unwrap();
    let taken = valid_id("50022419700101001");
    let path = dir.path().join("l.xlsx");
    write_xlsx(
        &path,
        &[
            HEADER,
            &["石鱼村", "1社", "赵一", &taken, "三格式", "室内", "2019"],
            &[
                "石鱼村",
                "1社",
                "孙三",
                &bad_checksum("50022419800202002"),
                "三格式",
                "房顶上",
                "2031",
            ],
        ],
    );
    run(
        &mut conn,
        &path,
        &opts(true),
        true,
        &dir.path().join("备份"),
    );
    let entries = pending::list(&conn, Scope::Town, Disclosure::Full).unwrap();
    let id_of = |field: &str| entries.iter().find(|p| p.field == field).unwrap().id;
    let by = settler();

    // Still wrong: refused with the reason, the entry stays open.
    let e = pending::correct(&conn, id_of("build_year"), "2040", &by).unwrap_err();
    assert!(e.to_string().contains("建设（改造）年度"), "{e}");
    let e = pending::correct(&conn, id_of("build_year"), "  ", &by).unwrap_err();
    assert!(e.to_string().contains("核实后留空"), "{e}");
    // Another household's number: refused, naming that household.
    let e = pending::correct(&conn, id_of("id_number"), &taken, &by).unwrap_err();
    assert!(e.to_string().contains("赵一"), "{e}");
    assert_eq!(
        pending::list(&conn, Scope::Town, Disclosure::Full)
            .unwrap()
            .len(),
        3
    );

    pending::correct(&conn, id_of("build_year"), "2019年", &by).unwrap();
    pending::correct(&conn, id_of("location"), "院外", &by).unwrap();
    let own = valid_id("50022419800202002");
    pending::correct(&conn, id_of("id_number"), &own, &by).unwrap();
    let d = detail_of(&conn, "孙三");
    assert_eq!(d.toilets[0].build_year, Some(2019));
    assert_eq!(d.toilets[0].location, Some(Location::Outside));
    assert_eq!(d.id_number.as_deref(), Some(own.as_str()));
    assert!(pending::list(&conn, Scope::Town, Disclosure::Full)
        .unwrap()
        .is_empty());
    let log: Vec<(String, String, String, String)> = conn
        .prepare("SELECT field, old_value, new_value, source FROM change_log ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(log[0].0, "建设（改造）年度");
    assert_eq!(
        (log[0].1.as_str(), log[0].2.as_str()),
        ("2031（待核实）", "2019年")
    );
    assert_eq!(
        (log[1].1.as_str(), log[1].2.as_str()),
        ("房顶上（待核实）", "院外")
    );
    assert_eq!(log[2].2, own);
    assert!(log.iter().all(|l| l.3 == "待核实更正"));
    let audited: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'correct_pending'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(audited, 3);
    // A settled entry cannot be settled again.
    let e = pending::correct(&conn, id_of("build_year"), "2018", &by).unwrap_err();
    assert!(e.to_string().contains("已经处理过"), "{e}");
}

#[test]
fn an_entry_checked_and_left_empty_needs_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = huce_core::db::open(&dir.path().join("town.db"), crate::fixed_time()).unwrap();
    let path = dir.path().join("l.xlsx");
    write_xlsx(
        &path,
        &[
            HEADER,
            &["石鱼村", "1社", "孙三", "", "三格式", "院内", "不详年份"],
        ],
    );
    run(
        &mut conn,
        &path,
        &opts(true),
        true,
        &dir.path().join("备份"),
    );
    let id = pending::list(&conn, Scope::Town, Disclosure::Full).unwrap()[0].id;
    let e = pending::leave_empty(&conn, id, " ", &settler()).unwrap_err();
    assert!(e.to_string().contains("核实情况"), "{e}");
    pending::leave_empty(&conn, id, "户主记不清建设年份", &settler()).unwrap();
    assert!(pending::list(&conn, Scope::Town, Disclosure::Full)
        .unwrap()
        .is_empty());
    let (resolution, note, by): (String, String, String) = conn
        .query_row(
            "SELECT resolution, new_value, resolved_by FROM pending_checks",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(resolution, "left_empty");
    assert!(note.contains("户主记不清建设年份"));
    assert_eq!(by, "核实员");
    assert_eq!(detail_of(&conn, "孙三").toilets[0].build_year, None);
}

/// The worklist prints (every name, every reason, ID numbers masked; a village's list has only
/// its own) and exports to Excel, names with the standard's rarest characters included.
#[test]
fn the_worklist_prints_and_exports_by_village() {
    use calamine::{open_workbook, Data, Reader, Xlsx};
    use huce_core::export::Personal;
    use huce_core::print::{print_document, DocumentKind, DocumentRequest};

    let dir = tempfile::tempdir().unwrap();
    let mut conn = huce_core::db::open(&dir.path().join("town.db"), crate::fixed_time()).unwrap();
    let bad = bad_checksum("50022419800202002");
    let rare = crate::printing::RARE;
    let mut rows: Vec<Vec<String>> = vec![HEADER.iter().map(|h| h.to_string()).collect()];
    for (i, name) in rare.iter().enumerate() {
        let village = if i % 2 == 0 { "石鱼村" } else { "太平村" };
        let (id, year) = if i == 0 {
            (bad.as_str(), "2019")
        } else {
            ("", "2031")
        };
        rows.push(
            [village, "1社", name, id, "三格式", "院内", year]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        );
    }
    let refs: Vec<Vec<&str>> = rows
        .iter()
        .map(|r| r.iter().map(|s| s.as_str()).collect())
        .collect();
    let slices: Vec<&[&str]> = refs.iter().map(|r| r.as_slice()).collect();
    let path = dir.path().join("台账.xlsx");
    write_xlsx(&path, &slices);
    run(
        &mut conn,
        &path,
        &opts(true),
        true,
        &dir.path().join("备份"),
    );
    assert_eq!(
        pending::list(&conn, Scope::Town, Disclosure::Full)
            .unwrap()
            .len(),
        rare.len()
    );

    let village = pending::by_village(&conn).unwrap()[0].village_id;
    let mut texts = Vec::new();
    for (scope, title) in [
        (Scope::Town, "石鱼镇（全镇）"),
        (Scope::Village(village), "石鱼村"),
    ] {
        let req = DocumentRequest::new(DocumentKind::PendingList, scope, title);
        let printed =
            print_document(&conn, &req, dir.path(), crate::fixed_time(), &mut |_, _| {}).unwrap();
        assert!(printed.warnings.is_empty(), "{:?}", printed.warnings);
        let pdf = dir.path().join(format!("待核实清单-{title}.pdf"));
        std::fs::write(&pdf, &printed.bytes).unwrap();
        #[cfg(not(windows))]
        {
            use crate::printing::{s, tool};
            texts.push(tool("pdftotext", &[s(&pdf), "-"]));
            if scope == Scope::Town {
                crate::printing::render(&pdf, "pending-list", &[1]);
            }
        }
    }
    #[cfg(not(windows))]
    {
        let (town, own) = (&texts[0], &texts[1]);
        for (i, name) in rare.iter().enumerate() {
            assert!(town.contains(name), "{name} on the town's list");
            assert_eq!(own.contains(name), i % 2 == 0, "{name} on 石鱼村's list");
        }
        for words in [
            "农户台账待核实清单",
            "待核实原因",
            "核实结果",
            "校验位",
            "不合理",
        ] {
            assert!(town.contains(words), "{words}");
        }
        assert!(!town.contains(&bad), "the printed list masks the ID number");
        assert!(town.contains(&huce_core::idcard::mask_id(&bad)));
    }

    let out = dir.path().join("待核实清单.xlsx");
    let n = pending::export_xlsx(
        &conn,
        Scope::Town,
        "石鱼镇（全镇）",
        Personal::Masked,
        &out,
        crate::NOW,
    )
    .unwrap();
    assert_eq!(n, rare.len());
    let mut book: Xlsx<_> = open_workbook(&out).unwrap();
    let range = book.worksheet_range("待核实清单").unwrap();
    let cells: Vec<Vec<String>> = range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::String(s) => s.clone(),
                    Data::Float(f) => f.to_string(),
                    _ => String::new(),
                })
                .collect()
        })
        .collect();
    assert_eq!(
        cells[2][..8],
        [
            "序号",
            "行政村",
            "社",
            "户主姓名",
            "户厕",
            "项目",
            "台账原值",
            "待核实原因"
        ]
    );
    let mut names: Vec<&str> = cells[3..].iter().map(|r| r[3].as_str()).collect();
    names.sort();
    let mut expected = rare.to_vec();
    expected.sort();
    assert_eq!(names, expected);
    assert!(
        cells.iter().flatten().all(|c| !c.contains(&bad)),
        "masked in Excel too"
    );
    assert!(
        cells[3..].iter().all(|r| r[8].starts_with("台账.xlsx 第")),
        "the source row is named"
    );
}
