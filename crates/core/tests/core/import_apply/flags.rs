//! 待核实 (#14): a row that names a household is imported even when a field of it is wrong; the
//! field stays empty and the value waits on the worklist until corrected, in the app or by a
//! corrected ledger. Only rows that cannot be identified, exact duplicates and rows that would
//! merge two households are left out.

use huce_core::households::{self, Disclosure, Scope};
use huce_core::idcard;
use huce_core::model::{Location, TechMode};
use huce_core::pending::{self, Settler};

use crate::engine::TestDb;

use super::{change_log, opts, run, write_xlsx};

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

fn detail_of(t: &TestDb, name: &str) -> households::HouseholdDetail {
    let page = households::list(t, Scope::Town, name, Disclosure::Full, 0, 10).unwrap();
    let row = page
        .rows
        .iter()
        .find(|r| r.head_name == name)
        .unwrap_or_else(|| panic!("{name} was imported"));
    households::detail(t, row.id, Disclosure::Full).unwrap()
}

/// A new database on the run's engine, and a folder for the ledgers (and the file's backups).
fn new_town() -> (tempfile::TempDir, TestDb) {
    (tempfile::tempdir().unwrap(), crate::engine::fresh())
}

/// A new database with `rows` (under [`HEADER`]) imported and committed.
fn imported(rows: &[&[&str]]) -> (tempfile::TempDir, TestDb) {
    let (dir, t) = new_town();
    let path = dir.path().join("l.xlsx");
    let mut all: Vec<&[&str]> = vec![HEADER];
    all.extend_from_slice(rows);
    write_xlsx(&path, &all);
    commit(&t, &dir, &path);
    (dir, t)
}

/// Imports `path` for real (on the file, a backup into the folder's 备份 first).
fn commit(
    t: &TestDb,
    dir: &tempfile::TempDir,
    path: &std::path::Path,
) -> huce_core::import::apply::ImportReport {
    run(t, path, &opts(true), true, &dir.path().join("备份"))
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
    let (dir, t) = new_town();
    let path = ledger(dir.path());
    let dry = run(&t, &path, &opts(true), false, dir.path());
    let r = commit(&t, &dir, &path);
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
    assert_eq!(households::counts(&t).unwrap(), (7, 7));

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
    let qian = detail_of(&t, "钱二");
    assert_eq!(qian.toilets[0].tech_mode, Some(TechMode::Other));
    assert_eq!(qian.toilets[0].location, Some(Location::Other));
    assert_eq!(
        qian.toilets[0].is_sanitary, None,
        "其他 says nothing about it"
    );
    assert!(pending::of_household(&t, qian.id, Disclosure::Full)
        .unwrap()
        .is_empty());

    // A wrong checksum: the number is kept apart, never stored as the household's number.
    let bad_a = bad_checksum("50022419800202002");
    for name in ["孙三", "李四"] {
        let d = detail_of(&t, name);
        assert_eq!(d.id_number, None, "{name}");
        let p = pending::of_household(&t, d.id, Disclosure::Full).unwrap();
        assert_eq!(p.len(), 1, "{name}: {p:#?}");
        assert_eq!(
            (p[0].field.as_str(), p[0].field_label.as_str()),
            ("id_number", "身份证号")
        );
        assert_eq!(p[0].written, bad_a);
        assert!(p[0].reason.contains("校验"), "{}", p[0].reason);
        assert_eq!(p[0].source_row, Some(if name == "孙三" { 4 } else { 5 }));
        assert_eq!(p[0].file_name.as_deref(), Some("town.xlsx"));
        let masked = pending::of_household(&t, d.id, Disclosure::Masked).unwrap();
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
        households::list(&t, Scope::Town, &tail, Disclosure::Full, 0, 10)
            .unwrap()
            .total,
        0
    );

    let zhou = detail_of(&t, "周五");
    assert_eq!(zhou.toilets[0].build_year, None);
    assert_eq!(
        zhou.toilets[0].tech_mode,
        Some(TechMode::DoubleUrn),
        "the rest is taken"
    );
    let wu = detail_of(&t, "吴六");
    assert_eq!(wu.toilets[0].location, None);
    assert_eq!(wu.toilets[0].build_year, Some(2017));
    let zheng = pending::of_household(&t, detail_of(&t, "郑七").id, Disclosure::Full).unwrap();
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
    let all = pending::list(&t, Scope::Town, Disclosure::Full).unwrap();
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
    let villages = pending::by_village(&t).unwrap();
    let v: Vec<(&str, i64, i64)> = villages
        .iter()
        .map(|v| (v.village.as_str(), v.households, v.entries))
        .collect();
    assert_eq!(v, [("石鱼村", 3, 3), ("太平村", 2, 4)]);
    let groups: Vec<(&str, i64, i64)> = villages[0]
        .groups
        .iter()
        .map(|g| (g.group.as_str(), g.households, g.entries))
        .collect();
    assert_eq!(
        groups,
        [("1社", 1, 1), ("2社", 2, 2)],
        "a household is counted in its 社"
    );
    let second = villages[0].groups[1].group_id;
    let of_group = pending::list(&t, Scope::Group(second), Disclosure::Full).unwrap();
    let names: Vec<&str> = of_group.iter().map(|p| p.head_name.as_str()).collect();
    assert_eq!(names, ["李四", "周五"], "a 社's worklist");
    let stored: i64 = t
        .query_row("SELECT rows_flagged FROM import_batches", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored, 5);

    // The same ledger again: nothing new, no second entry for the same value.
    let again = commit(&t, &dir, &path);
    assert_eq!((again.households_new, again.fields_changed), (0, 0));
    assert_eq!(
        pending::list(&t, Scope::Town, Disclosure::Full)
            .unwrap()
            .len(),
        7
    );
}

#[test]
fn a_corrected_ledger_settles_the_flags_with_old_and_new() {
    let (dir, t) = new_town();
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
    commit(&t, &dir, &first);
    assert_eq!(
        pending::list(&t, Scope::Town, Disclosure::Full)
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
    let r = commit(&t, &dir, &fixed);
    assert_eq!(
        (r.rows_flagged, r.households_new, r.households_updated),
        (0, 0, 1)
    );
    assert!(pending::list(&t, Scope::Town, Disclosure::Full)
        .unwrap()
        .is_empty());
    let d = detail_of(&t, "孙三");
    assert_eq!(d.id_number.as_deref(), Some(good.as_str()));
    assert_eq!(d.toilets[0].build_year, Some(2021));
    let log = change_log(&t);
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
    let settled: Vec<(String, String)> = t
        .prepare("SELECT resolution, new_value FROM pending_checks ORDER BY field DESC")
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
        households::list(&t, Scope::Town, &good[14..], Disclosure::Full, 0, 10)
            .unwrap()
            .total,
        1
    );
}

#[test]
fn correcting_in_the_app_settles_the_flag_and_refuses_what_is_still_wrong() {
    let taken = valid_id("50022419700101001");
    let (_dir, t) = imported(&[
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
    ]);
    let entries = pending::list(&t, Scope::Town, Disclosure::Full).unwrap();
    let id_of = |field: &str| entries.iter().find(|p| p.field == field).unwrap().id;
    let by = settler();

    // Still wrong: refused with the reason, the entry stays open.
    let e = pending::correct(&t, id_of("build_year"), "2040", &by).unwrap_err();
    assert!(e.to_string().contains("建设（改造）年度"), "{e}");
    let e = pending::correct(&t, id_of("build_year"), "  ", &by).unwrap_err();
    assert!(e.to_string().contains("核实后留空"), "{e}");
    // Another household's number: refused, naming that household.
    let e = pending::correct(&t, id_of("id_number"), &taken, &by).unwrap_err();
    assert!(e.to_string().contains("赵一"), "{e}");
    assert_eq!(
        pending::list(&t, Scope::Town, Disclosure::Full)
            .unwrap()
            .len(),
        3
    );

    pending::correct(&t, id_of("build_year"), "2019年", &by).unwrap();
    pending::correct(&t, id_of("location"), "院外", &by).unwrap();
    let own = valid_id("50022419800202002");
    pending::correct(&t, id_of("id_number"), &own, &by).unwrap();
    let d = detail_of(&t, "孙三");
    assert_eq!(d.toilets[0].build_year, Some(2019));
    assert_eq!(d.toilets[0].location, Some(Location::Outside));
    assert_eq!(d.id_number.as_deref(), Some(own.as_str()));
    assert!(pending::list(&t, Scope::Town, Disclosure::Full)
        .unwrap()
        .is_empty());
    let log: Vec<(String, String, String, String)> = t
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
    let audited: i64 = t
        .query_row(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'correct_pending'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(audited, 3);
    // A settled entry cannot be settled again.
    let e = pending::correct(&t, id_of("build_year"), "2018", &by).unwrap_err();
    assert!(e.to_string().contains("已经处理过"), "{e}");
}

#[test]
fn an_entry_checked_and_left_empty_needs_a_note() {
    let (_dir, t) = imported(&[&["石鱼村", "1社", "孙三", "", "三格式", "院内", "不详年份"]]);
    let id = pending::list(&t, Scope::Town, Disclosure::Full).unwrap()[0].id;
    let e = pending::leave_empty(&t, id, " ", &settler()).unwrap_err();
    assert!(e.to_string().contains("核实情况"), "{e}");
    pending::leave_empty(&t, id, "户主记不清建设年份", &settler()).unwrap();
    assert!(pending::list(&t, Scope::Town, Disclosure::Full)
        .unwrap()
        .is_empty());
    let (resolution, note, by): (String, String, String) = t
        .query_row(
            "SELECT resolution, new_value, resolved_by FROM pending_checks",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(resolution, "left_empty");
    assert!(note.contains("户主记不清建设年份"));
    assert_eq!(by, "核实员");
    assert_eq!(detail_of(&t, "孙三").toilets[0].build_year, None);
}

/// The worklist prints (every name, every reason, ID numbers masked; a village's list has only
/// its own) and exports to Excel, names with the standard's rarest characters included.
#[test]
fn the_worklist_prints_and_exports_by_village() {
    use calamine::{open_workbook, Data, Reader, Xlsx};
    use huce_core::export::Personal;
    use huce_core::print::{print_document, DocumentKind, DocumentRequest};

    let (dir, t) = new_town();
    let bad = bad_checksum("50022419800202002");
    let rare = crate::RARE;
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
    commit(&t, &dir, &path);
    assert_eq!(
        pending::list(&t, Scope::Town, Disclosure::Full)
            .unwrap()
            .len(),
        rare.len()
    );

    let village = pending::by_village(&t).unwrap()[0].village_id;
    #[cfg(not(windows))]
    let mut texts: Vec<String> = Vec::new();
    for (scope, title) in [
        (Scope::Town, "石鱼镇（全镇）"),
        (Scope::Village(village), "石鱼村"),
    ] {
        let req = DocumentRequest::new(DocumentKind::PendingList, scope, title);
        let printed =
            print_document(&t, &req, dir.path(), crate::fixed_time(), &mut |_, _| {}).unwrap();
        assert!(printed.warnings.is_empty(), "{:?}", printed.warnings);
        let pdf = dir.path().join(format!("待核实清单-{title}.pdf"));
        printed.save(&pdf).unwrap();
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
        &t,
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

/// A questionable ID number is still an ID number: a row carrying one is never matched to a
/// namesake with another (valid or questionable) number — in the database or earlier in the
/// file — but the same questionable number finds its own household again.
#[test]
fn a_questionable_id_never_merges_two_namesakes() {
    let (dir, t) = new_town();
    let first = dir.path().join("first.xlsx");
    let valid = valid_id("50022419700101001");
    write_xlsx(
        &first,
        &[
            HEADER,
            &["石鱼村", "1社", "张三", &valid, "三格式", "室内", "2019"],
        ],
    );
    commit(&t, &dir, &first);

    let second = dir.path().join("second.xlsx");
    let bad_b = bad_checksum("50022419800202002");
    let bad_c = bad_checksum("50022419900303003");
    write_xlsx(
        &second,
        &[
            HEADER,
            // Another 张三 of 1社 whose number has a typo: not the one with the valid number.
            &["石鱼村", "1社", "张三", &bad_b, "双瓮式", "院内", "2020"],
            // A third 张三 with another typo: not the second one either.
            &["石鱼村", "1社", "张三", &bad_c, "三瓮式", "院外", "2021"],
        ],
    );
    let r = commit(&t, &dir, &second);
    assert_eq!(
        (r.households_new, r.households_updated),
        (2, 0),
        "{:#?}",
        r.problems
    );
    let first_zhang = detail_of(&t, "张三");
    assert_eq!(first_zhang.id_number.as_deref(), Some(valid.as_str()));
    let modes: Vec<String> = t
        .prepare("SELECT tech_mode FROM toilets ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        modes,
        ["three_compartment", "double_urn", "three_urn"],
        "nothing overwritten"
    );

    // The same ledger again: each questionable number finds its own household.
    let again = commit(&t, &dir, &second);
    assert_eq!(
        (again.households_new, again.households_unchanged),
        (0, 2),
        "{:#?}",
        again.problems
    );
    assert_eq!(households::counts(&t).unwrap().0, 3);
}

/// Correcting an ID or phone number keeps the full number out of the operation log (the 领导
/// and 督导 read it, and they may not see personal data); the reason on a masked list does not
/// quote it either.
#[test]
fn a_correction_keeps_personal_numbers_out_of_the_operation_log() {
    let bad = bad_checksum("50022419800202002");
    let (_dir, t) = imported(&[&["石鱼村", "1社", "孙三", &bad, "三格式", "院内", "2019"]]);
    let masked = pending::list(&t, Scope::Town, Disclosure::Masked).unwrap();
    assert!(!masked[0].reason.contains(&bad), "{}", masked[0].reason);
    let good = valid_id("50022419800202002");
    pending::correct(&t, masked[0].id, &good, &settler()).unwrap();
    let logged: Vec<String> = t
        .prepare("SELECT summary || ' ' || detail FROM audit_log")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        logged.iter().any(|l| l.contains("待核实更正")),
        "{logged:?}"
    );
    assert!(
        logged
            .iter()
            .all(|l| !l.contains(&good) && !l.contains(&bad)),
        "{logged:?}"
    );
}

/// A flag can sit on a field that still has a value (a later ledger wrote something that could
/// not be taken over a good value): settling it logs the value it replaces, not only what the
/// ledger wrote.
#[test]
fn settling_a_flag_on_a_filled_field_logs_the_value_it_replaces() {
    let (dir, t) = new_town();
    let one = dir.path().join("one.xlsx");
    write_xlsx(
        &one,
        &[
            HEADER,
            &["石鱼村", "1社", "孙三", "", "三格式", "院内", "2015"],
        ],
    );
    commit(&t, &dir, &one);
    let two = dir.path().join("two.xlsx");
    write_xlsx(
        &two,
        &[
            HEADER,
            &["石鱼村", "1社", "孙三", "", "三格式", "院内", "2031"],
        ],
    );
    commit(&t, &dir, &two);
    assert_eq!(
        detail_of(&t, "孙三").toilets[0].build_year,
        Some(2015),
        "kept"
    );
    let id = pending::list(&t, Scope::Town, Disclosure::Full).unwrap()[0].id;
    pending::correct(&t, id, "2016", &settler()).unwrap();
    let (old, new): (String, String) = t
        .query_row(
            "SELECT old_value, new_value FROM change_log ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(old.contains("2015年") && old.contains("2031"), "{old}");
    assert_eq!(new, "2016年");
}

/// A household on several rows (one per toilet) repeats its own fields: one row's bad or "同上"
/// value is no 待核实 when another row of the file gives the field, and a re-import leaves no
/// trail of entries opened and settled again.
#[test]
fn a_household_on_several_rows_is_flagged_only_when_no_row_gives_the_value() {
    let (dir, t) = new_town();
    let header: &[&str] = &[
        "行政村",
        "社",
        "户主姓名",
        "联系电话",
        "户厕类型",
        "建设年度",
    ];
    let path = dir.path().join("l.xlsx");
    write_xlsx(
        &path,
        &[
            header,
            &["石鱼村", "1社", "孙三", "13812345678", "三格式", "2019"],
            &["石鱼村", "1社", "孙三", "同上", "双瓮式", "2020"],
            &["石鱼村", "1社", "孙三", "1381234", "三瓮式", "2021"],
            &["石鱼村", "1社", "李四", "1391234", "三格式", "2019"],
            &["石鱼村", "1社", "李四", "13912345678", "三格式", "2019"],
        ],
    );
    for round in 0..2 {
        let r = commit(&t, &dir, &path);
        assert!(r.flags.is_empty(), "round {round}: {:#?}", r.flags);
        assert_eq!(r.rows_flagged, 0);
    }
    let entries: i64 = t
        .query_row("SELECT COUNT(*) FROM pending_checks", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        entries, 0,
        "no entry was opened, not even one settled at once"
    );
    assert_eq!(detail_of(&t, "孙三").phone.as_deref(), Some("13812345678"));
    assert_eq!(detail_of(&t, "李四").phone.as_deref(), Some("13912345678"));
}

/// A cell of thousands of characters is kept short on the worklist (its reason quotes it), so
/// the list still exports to Excel and prints.
#[test]
fn a_huge_cell_is_kept_short_on_the_worklist() {
    let huge = "旱".repeat(20_000);
    let (dir, t) = imported(&[&["石鱼村", "1社", "孙三", "", &huge, "院内", "2019"]]);
    let p = &pending::list(&t, Scope::Town, Disclosure::Full).unwrap()[0];
    assert!(
        p.written.chars().count() <= 101,
        "{}",
        p.written.chars().count()
    );
    assert!(p.written.ends_with('…'));
    assert!(
        p.reason.chars().count() < 400,
        "{}",
        p.reason.chars().count()
    );
    let out = dir.path().join("x.xlsx");
    let n = pending::export_xlsx(
        &t,
        Scope::Town,
        "石鱼镇",
        huce_core::export::Personal::Masked,
        &out,
        crate::NOW,
    )
    .unwrap();
    assert_eq!(n, 1);
}

/// A row left out after reading (an unknown village) still lists every value that would have
/// been 待核实, as a row the Checker leaves out does.
#[test]
fn a_row_left_out_for_its_village_lists_its_other_problems() {
    let (dir, t) = new_town();
    let path = dir.path().join("l.xlsx");
    write_xlsx(
        &path,
        &[
            HEADER,
            &["无名村", "1社", "孙三", "", "三格式", "院内", "2031"],
        ],
    );
    let r = run(&t, &path, &opts(false), false, dir.path());
    assert_eq!(r.rows_rejected, 1);
    let messages: Vec<&str> = r.problems.iter().map(|p| p.message.as_str()).collect();
    assert!(
        messages.iter().any(|m| m.contains("不在本镇的村名单")),
        "{messages:?}"
    );
    assert!(messages.iter().any(|m| m.contains("2031")), "{messages:?}");
    assert!(r.flags.is_empty(), "a row left out has no 待核实 values");
}

/// "同上" under 行政村 or 社 means the row above's place, never a village called 同上.
#[test]
fn ditto_marks_take_the_place_of_the_row_above() {
    let (dir, t) = new_town();
    let path = dir.path().join("l.xlsx");
    write_xlsx(
        &path,
        &[
            HEADER,
            &["石鱼村", "1社", "赵一", "", "三格式", "室内", "2019"],
            &["同上", "同上", "钱二", "", "三格式", "室内", "2019"],
            &["〃", "2社", "孙三", "", "三格式", "室内", "2019"],
            // Nothing above to take: left out, as a missing village is.
            &["太平村", "3社", "李四", "", "三格式", "室内", "2019"],
        ],
    );
    let first_ditto = dir.path().join("first.xlsx");
    write_xlsx(
        &first_ditto,
        &[
            HEADER,
            &["同上", "1社", "周五", "", "三格式", "室内", "2019"],
        ],
    );
    let r = commit(&t, &dir, &path);
    assert_eq!(r.rows_rejected, 0, "{:#?}", r.problems);
    assert_eq!(r.new_villages, ["石鱼村", "太平村"]);
    assert_eq!(detail_of(&t, "钱二").group_name, "1社");
    assert_eq!(detail_of(&t, "钱二").village_name, "石鱼村");
    assert_eq!(detail_of(&t, "孙三").village_name, "石鱼村");
    assert_eq!(detail_of(&t, "孙三").group_name, "2社");
    let r = run(&t, &first_ditto, &opts(true), false, dir.path());
    assert_eq!(r.rows_rejected, 1);
    assert!(
        r.problems[0].message.contains("缺少行政村"),
        "{:#?}",
        r.problems
    );
}

/// Correcting a 技术模式 also says whether the toilet is sanitary when nothing said so, as an
/// import does.
#[test]
fn a_corrected_mode_says_whether_the_toilet_is_sanitary() {
    let (_dir, t) = imported(&[&["石鱼村", "1社", "孙三", "", "抽水马桶", "院内", "2019"]]);
    assert_eq!(detail_of(&t, "孙三").toilets[0].is_sanitary, None);
    let id = pending::list(&t, Scope::Town, Disclosure::Full).unwrap()[0].id;
    pending::correct(&t, id, "非卫生厕所", &settler()).unwrap();
    let t = &detail_of(&t, "孙三").toilets[0];
    assert_eq!(t.tech_mode, Some(TechMode::NonSanitary));
    assert_eq!(t.is_sanitary, Some(false));
}
