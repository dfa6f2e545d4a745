//! What the readers tell the clerk about a file whose cells are not what they look like:
//! formulas saved without their results, a CSV with rows in two encodings, hidden rows and
//! hidden columns of an .xlsx or an .xls.

use std::path::Path;

use huce_core::households;
use huce_core::import::apply::{import_into, Mode};
use rust_xlsxwriter::Workbook;

use super::{opts, run};
use crate::hostile_files::{pack, parts};

/// Rewrites the first sheet's XML of the workbook at `path` with `edit`.
fn edit_sheet(path: &Path, edit: impl Fn(String) -> String) {
    let mut p = parts(&std::fs::read(path).unwrap());
    let sheet = p
        .iter_mut()
        .find(|(n, _)| n == "xl/worksheets/sheet1.xml")
        .unwrap();
    sheet.1 = edit(String::from_utf8(sheet.1.clone()).unwrap()).into_bytes();
    std::fs::write(path, pack(&p)).unwrap();
}

/// The cached results of every formula taken out, as a program that writes formulas without
/// calculating them leaves them.
fn without_results(xml: String) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml.as_str();
    while let Some(at) = rest.find("</f><v>") {
        out.push_str(&rest[..at + 4]);
        let after = &rest[at + 4..];
        rest = &after[after.find("</v>").unwrap() + 4..];
    }
    out.push_str(rest);
    out
}

const HEADER: [&str; 5] = ["行政村", "所在社", "户主姓名", "技术模式", "建设年份"];

/// A ledger of `rows` households whose columns in `formulas` are formulas, their results taken
/// out unless `results`.
fn ledger_with_formulas(path: &Path, rows: u32, formulas: &[u16], results: bool) {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in HEADER.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for r in 1..=rows {
        let values = [
            "石鱼村".to_string(),
            format!("{}社", r % 3 + 1),
            format!("户主{r}"),
            "三格式化粪池".to_string(),
            "2019".to_string(),
        ];
        for (c, v) in values.iter().enumerate() {
            let c = c as u16;
            if formulas.contains(&c) {
                let f = rust_xlsxwriter::Formula::new(format!("=\"{v}\"")).set_result(v);
                sheet.write_formula(r, c, f).unwrap();
            } else if c == 4 {
                sheet.write_number(r, c, 2019.0).unwrap();
            } else {
                sheet.write_string(r, c, v).unwrap();
            }
        }
    }
    book.save(path).unwrap();
    if !results {
        edit_sheet(path, without_results);
    }
}

#[test]
fn head_names_that_are_formulas_without_results_refuse_the_file_once() {
    let dir = tempfile::tempdir().unwrap();
    let t = crate::engine::fresh();
    let path = dir.path().join("程序生成.xlsx");
    ledger_with_formulas(&path, 30, &[2], false);
    let mode = Mode::Commit {
        backup_dir: dir.path().join("备份"),
        stamp: "20261129-100000".into(),
    };
    let e = import_into(&t, &path, &opts(true), &mode, &mut |_, _| {})
        .expect_err("a file whose names are not there is refused")
        .to_string();
    assert!(
        e.contains("公式")
            && e.contains("户主姓名")
            && e.contains("请在 Excel（或 WPS）中打开该文件、保存后再导入"),
        "{e}"
    );
    assert_eq!(e.matches("公式").count(), 1, "said once: {e}");
    assert_eq!(households::counts(&t).unwrap(), (0, 0), "nothing written");
}

#[test]
fn answers_that_are_formulas_without_results_are_named_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let t = crate::engine::fresh();
    let path = dir.path().join("程序生成.xlsx");
    ledger_with_formulas(&path, 30, &[3], false);
    let r = run(&t, &path, &opts(true), false, dir.path());
    assert_eq!(
        (r.rows_total, r.rows_rejected),
        (30, 0),
        "{:#?}",
        r.problems
    );
    let said: Vec<&String> = r.notes.iter().filter(|n| n.contains("公式")).collect();
    assert_eq!(said.len(), 1, "one note for the file: {:#?}", r.notes);
    assert!(
        said[0].contains("“技术模式”")
            && said[0].contains("30 个")
            && said[0].contains("请在 Excel（或 WPS）中打开该文件、保存后再导入"),
        "{}",
        said[0]
    );
    // A file whose formulas carry their results says nothing.
    let fine = dir.path().join("已保存.xlsx");
    ledger_with_formulas(&fine, 30, &[2, 3], true);
    let r = run(&t, &fine, &opts(true), false, dir.path());
    assert!(r.notes.is_empty(), "{:#?}", r.notes);
}

/// A ledger with two 户主姓名 columns, the first hidden (the names before they were corrected),
/// and rows 3 and 5 hidden (households the office has dealt with).
fn ledger_with_hidden_parts(path: &Path) {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["行政村", "所在社", "户主姓名", "户主姓名", "技术模式"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for r in 1..=6u32 {
        sheet.write_string(r, 0, "石鱼村").unwrap();
        sheet.write_string(r, 1, format!("{r}社")).unwrap();
        sheet.write_string(r, 2, format!("旧名{r}")).unwrap();
        sheet.write_string(r, 3, format!("户主{r}")).unwrap();
        sheet.write_string(r, 4, "三格式化粪池").unwrap();
    }
    sheet.set_column_hidden(2).unwrap();
    sheet.set_row_hidden(2).unwrap();
    sheet.set_row_hidden(4).unwrap();
    book.save(path).unwrap();
}

#[test]
fn a_hidden_column_loses_to_a_visible_one_and_hidden_rows_are_noted() {
    let dir = tempfile::tempdir().unwrap();
    let t = crate::engine::fresh();
    let path = dir.path().join("隐藏.xlsx");
    ledger_with_hidden_parts(&path);
    hidden_parts_are_handled(&t, &path, dir.path());
    // A file without hidden rows says nothing of them.
    let plain = dir.path().join("不隐藏.xlsx");
    ledger_with_formulas(&plain, 5, &[], true);
    let r = run(&t, &plain, &opts(true), false, dir.path());
    assert!(r.notes.is_empty(), "{:#?}", r.notes);
}

/// The ledger of [`ledger_with_hidden_parts`] (in whichever format) imported: the visible
/// 户主姓名 column wins, every row is imported, and one note names the hidden rows.
fn hidden_parts_are_handled(t: &crate::engine::TestDb, path: &Path, dir: &Path) {
    let r = run(t, path, &opts(true), true, &dir.join("备份"));
    let heads: Vec<Option<&str>> = r.columns.iter().map(|c| c.field_label).collect();
    assert_eq!(
        heads,
        vec![
            Some("行政村"),
            Some("社"),
            None,
            Some("户主姓名"),
            Some("技术模式")
        ],
        "the visible 户主姓名 column is imported"
    );
    assert_eq!(
        (r.households_new, r.rows_rejected),
        (6, 0),
        "{:#?}",
        r.problems
    );
    let names: Vec<String> = t
        .prepare("SELECT head_name FROM households ORDER BY head_name")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        names,
        (1..=6).map(|i| format!("户主{i}")).collect::<Vec<_>>()
    );
    let said: Vec<&String> = r.notes.iter().filter(|n| n.contains("隐藏")).collect();
    assert_eq!(said.len(), 1, "{:#?}", r.notes);
    assert!(
        said[0].contains("第 3、5 行在 Excel 中是隐藏的，已一并导入"),
        "{}",
        said[0]
    );
}

/// A column hidden in Excel that is the only one of its field is imported, and the report says
/// which (it is often one the office hid as not for use); a hidden column no field is taken
/// from says nothing.
#[test]
fn a_hidden_column_that_is_the_only_one_of_its_field_is_imported_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let t = crate::engine::fresh();
    let path = dir.path().join("隐藏身份证号.xlsx");
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in [
        "行政村",
        "所在社",
        "户主姓名",
        "身份证号",
        "备用",
        "技术模式",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for r in 1..=3u32 {
        sheet.write_string(r, 0, "石鱼村").unwrap();
        sheet.write_string(r, 1, "1社").unwrap();
        sheet.write_string(r, 2, format!("户主{r}")).unwrap();
        let id = format!("11010519491231{:03}", 100 + r);
        let check = huce_core::idcard::check_char(&id).unwrap();
        sheet.write_string(r, 3, format!("{id}{check}")).unwrap();
        sheet.write_string(r, 4, "x").unwrap();
        sheet.write_string(r, 5, "三格式化粪池").unwrap();
    }
    sheet.set_column_hidden(3).unwrap();
    sheet.set_column_hidden(4).unwrap();
    book.save(&path).unwrap();
    let r = run(&t, &path, &opts(true), true, &dir.path().join("备份"));
    assert_eq!(
        (r.households_new, r.rows_rejected),
        (3, 0),
        "{:#?}",
        r.problems
    );
    let ids: i64 = t
        .query_row(
            "SELECT count(*) FROM households WHERE id_number IS NOT NULL",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(ids, 3, "the hidden 身份证号 column is imported");
    let said: Vec<&String> = r.notes.iter().filter(|n| n.contains("隐藏")).collect();
    assert_eq!(said.len(), 1, "{:#?}", r.notes);
    assert!(
        said[0].contains("第 4 列“身份证号”（身份证号）在 Excel 中是隐藏的"),
        "{}",
        said[0]
    );
    assert!(!said[0].contains("备用"), "{}", said[0]);
}

/// The same ledger saved as an Excel 97–2003 .xls (`tests/fixtures/make_xls.py`, by xlwt):
/// its hidden column and rows are found in the ROW and COLINFO records.
#[test]
fn an_xls_ledgers_hidden_column_and_rows_are_treated_as_an_xlsx_ones() {
    let dir = tempfile::tempdir().unwrap();
    let t = crate::engine::fresh();
    hidden_parts_are_handled(&t, &crate::fixture("ledger-hidden.xls"), dir.path());
    // The legacy ledger hides nothing and says nothing of it.
    let t = crate::engine::fresh();
    let r = run(
        &t,
        &crate::fixture("ledger-legacy.xls"),
        &opts(true),
        false,
        dir.path(),
    );
    assert!(
        !r.notes.iter().any(|n| n.contains("隐藏")),
        "{:#?}",
        r.notes
    );
}
