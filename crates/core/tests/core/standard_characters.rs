//! Every character of the 通用规范汉字表 (2013) outside GBK and CJK Extension A, in household
//! names, through import (.xlsx, UTF-8 .csv and GB18030 .csv, where they are four-byte
//! sequences), search (the name and its pinyin initials), the Excel export and the printed
//! ledgers.

use std::path::Path;

use calamine::{open_workbook, Data, Reader, Xlsx};
use huce_core::export::{self, Personal};
use huce_core::households::{self, Disclosure, Scope};
use huce_core::import::apply::{import_into, ImportOptions, Mode};
use huce_core::search_keys::initials_variants;

use crate::engine::TestDb;
use crate::NOW;

/// The list with the dictionary's readings: `U+XXXXX<TAB>character<TAB>reading[,reading]`.
const LIST: &str = include_str!("../../../../assets/fonts/tgh2013-outside-gbk.tsv");

/// One household name per character of the list (王𬌗, 王𬱖, …).
fn names() -> Vec<String> {
    let names: Vec<String> = LIST
        .lines()
        .filter_map(|l| l.split('\t').nth(1))
        .map(|c| format!("王{c}"))
        .collect();
    assert_eq!(names.len(), 199, "the list is whole");
    names
}

fn rows(names: &[String]) -> Vec<Vec<String>> {
    std::iter::once(vec![
        "行政村".to_string(),
        "社".into(),
        "户主姓名".into(),
        "技术模式".into(),
    ])
    .chain(names.iter().map(|n| {
        vec![
            "石鱼村".to_string(),
            "1社".into(),
            n.clone(),
            "三格式化粪池".into(),
        ]
    }))
    .collect()
}

fn csv(names: &[String]) -> String {
    rows(names)
        .iter()
        .map(|r| r.join(","))
        .collect::<Vec<_>>()
        .join("\r\n")
}

fn import(conn: &TestDb, path: &Path, backups: &Path) {
    let opts = ImportOptions {
        sheet: None,
        columns: None,
        default_village: None,
        create_places: true,
        actor: "测试员".into(),
        now: NOW.into(),
        current_year: 2026,
        list: Default::default(),
    };
    let mode = Mode::Commit {
        backup_dir: backups.to_path_buf(),
        stamp: "20261129-100000".into(),
    };
    let report = import_into(conn, path, &opts, &mode, &mut |_, _| {})
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(report.rows_rejected, 0, "{:?}", report.problems);
    assert_eq!(report.households_new, 199, "{}", path.display());
}

fn stored_names(conn: &TestDb) -> Vec<String> {
    let mut names: Vec<String> = conn
        .prepare("SELECT head_name FROM households")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    names.sort();
    names
}

#[test]
fn standard_characters_survive_import_search_export_and_print() {
    let mut names = names();
    names.sort();
    let dir = tempfile::tempdir().unwrap();

    // Three files of the same households: .xlsx, UTF-8 CSV with BOM, and GB18030 CSV.
    let xlsx = dir.path().join("台账.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in rows(&names).iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, v).unwrap();
        }
    }
    book.save(&xlsx).unwrap();
    let utf8 = dir.path().join("台账-utf8.csv");
    std::fs::write(&utf8, format!("\u{feff}{}", csv(&names))).unwrap();
    let gb = dir.path().join("台账-gb18030.csv");
    let text = csv(&names);
    let (bytes, _, unmappable) = encoding_rs::GB18030.encode(&text);
    assert!(!unmappable, "GB18030 encodes every character");
    let four = |c: char| encoding_rs::GB18030.encode(&c.to_string()).0.len() == 4;
    assert!(
        names.iter().all(|n| n.chars().nth(1).is_some_and(four)),
        "every listed character is a four-byte sequence in GB18030"
    );
    std::fs::write(&gb, &bytes).unwrap();

    let mut towns: Vec<TestDb> = Vec::new();
    for file in [&xlsx, &utf8, &gb] {
        let conn = crate::engine::fresh();
        import(&conn, file, &dir.path().join("backups"));
        assert_eq!(stored_names(&conn), names, "{}", file.display());
        towns.push(conn);
    }

    // Search, the Excel export and the prints, on the first town.
    let conn = towns.swap_remove(0);
    for name in &names {
        let found = |q: &str| -> Vec<String> {
            households::list(&conn, Scope::Town, q, Disclosure::Masked, 0, 500)
                .unwrap()
                .rows
                .into_iter()
                .map(|r| r.head_name)
                .collect()
        };
        assert_eq!(found(name), vec![name.clone()], "by the name");
        let initials = &initials_variants(name)[0];
        assert_eq!(initials.chars().count(), 2, "{name}: {initials}");
        assert!(found(initials).contains(name), "{name} by {initials}");
    }

    let out = dir.path().join("导出.xlsx");
    export::toilet_ledger(&conn, Scope::Town, Personal::Masked, &out, NOW).unwrap();
    let mut book: Xlsx<_> = open_workbook(&out).unwrap();
    let first = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&first).unwrap();
    let mut exported: Vec<String> = range
        .rows()
        .filter_map(|r| match r.get(3) {
            Some(Data::String(s)) if s.starts_with('王') => Some(s.clone()),
            _ => None,
        })
        .collect();
    exported.sort();
    assert_eq!(exported, names, "the Excel export");

    #[cfg(not(windows))]
    {
        use crate::printing::{s, tool};
        let printed =
            huce_core::print::toilet_ledger(&conn, Scope::Town, "2026-11-29", "石鱼镇").unwrap();
        assert!(
            printed.pages >= 5,
            "a row per toilet: {} pages",
            printed.pages
        );
        assert!(
            printed.warnings.is_empty(),
            "no character is missing: {:?}",
            printed.warnings
        );
        let pdf = dir.path().join("改厕台账.pdf");
        printed.save(&pdf).unwrap();
        let text = tool("pdftotext", &[s(&pdf), "-"]);
        let missing: Vec<&String> = names.iter().filter(|n| !text.contains(*n)).collect();
        assert!(missing.is_empty(), "not in the PDF's text: {missing:?}");
    }
}
