//! The cell and text budgets with lowered limits, so that passing them takes a small file: a
//! shared string repeated in many cells, merged blocks copied down, CSV cells and text.

use std::path::{Path, PathBuf};

use super::budget::Limits;
use super::{read_file_within, NextRow, Workbook};

/// Limits that a few hundred kilobytes of text pass.
const LOW: Limits = Limits {
    cells: 5_000,
    text: 256 << 10,
};

/// Reads `path` whole and row by row with `limits`; the errors.
fn refusals(path: &Path, limits: Limits) -> Vec<String> {
    let mut errors = Vec::new();
    if let Err(e) = read_file_within(path, limits) {
        errors.push(e.to_string());
    }
    match Workbook::open_within(path, true, limits) {
        Err(e) => errors.push(e.to_string()),
        Ok(mut book) => {
            for name in book.sheet_names() {
                let mut rows = book.rows(path, &name).unwrap();
                loop {
                    match rows.next_row() {
                        Ok(NextRow::Row(_)) => {}
                        Ok(_) => break,
                        Err(e) => {
                            errors.push(e.to_string());
                            break;
                        }
                    }
                }
            }
        }
    }
    errors
}

/// A sheet with `text` in `cells` cells (stored once, as a shared string) below a header.
fn repeated(dir: &Path, text: &str, cells: u32) -> PathBuf {
    let path = dir.join(format!("重复{cells}.xlsx"));
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "户主姓名").unwrap();
    for i in 0..cells {
        sheet.write_string(1 + i / 4, (i % 4) as u16, text).unwrap();
    }
    book.save(&path).unwrap();
    path
}

#[test]
fn a_shared_string_repeated_past_the_text_budget_is_refused_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    // 3,000 bytes in 100 cells: 300 KB of text from a file of a few KB.
    let text = "石".repeat(1_000);
    let path = repeated(dir.path(), &text, 100);
    let errors = refusals(&path, LOW);
    assert_eq!(errors.len(), 2, "refused both ways: {errors:?}");
    for e in errors {
        assert!(
            e.contains("文字合计超过 256 KB")
                && e.contains("没有读取")
                && e.contains("另存为")
                && e.contains("拆分"),
            "{e}"
        );
    }
    // Under the budget it reads.
    let fine = repeated(dir.path(), &text, 80);
    assert!(refusals(&fine, LOW).is_empty());
}

#[test]
fn text_copied_down_merged_blocks_counts_against_the_budget() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("合并.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "行政村").unwrap();
    sheet.write_string(0, 1, "户主姓名").unwrap();
    // 30 KB in one cell merged down 20 rows: 600 KB once copied into every row.
    let text = "石".repeat(10_000);
    let plain = rust_xlsxwriter::Format::new();
    sheet.merge_range(1, 0, 20, 0, &text, &plain).unwrap();
    for r in 1..=20 {
        sheet.write_string(r, 1, format!("户主{r}")).unwrap();
    }
    book.save(&path).unwrap();
    let errors = refusals(&path, LOW);
    assert_eq!(errors.len(), 2, "refused both ways: {errors:?}");
    assert!(
        errors.iter().all(|e| e.contains("文字合计超过")),
        "{errors:?}"
    );
}

#[test]
fn a_sheet_read_row_by_row_is_held_to_the_cell_budget() {
    let dir = tempfile::tempdir().unwrap();
    // 6,000 cells in rows of 20.
    let path = dir.path().join("六千格.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for r in 0..300 {
        for c in 0..20 {
            sheet.write_number(r, c, 1.0).unwrap();
        }
    }
    book.save(&path).unwrap();
    let errors = refusals(&path, LOW);
    assert_eq!(errors.len(), 2, "refused both ways: {errors:?}");
    assert!(
        errors.iter().all(|e| e.contains("超过 5000 个单元格")),
        "{errors:?}"
    );
}

#[test]
fn a_csv_past_the_cell_or_text_budget_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cells = dir.path().join("格多.csv");
    std::fs::write(&cells, "a,b,c,d,e,f,g,h,i\n".repeat(600)).unwrap();
    let errors = refusals(&cells, LOW);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors.iter().all(|e| e.contains("超过 5000 个单元格")),
        "{errors:?}"
    );
    let text = dir.path().join("字多.csv");
    std::fs::write(&text, format!("{}\n", "石".repeat(1_000)).repeat(100)).unwrap();
    let errors = refusals(&text, LOW);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors.iter().all(|e| e.contains("文字合计超过 256 KB")),
        "{errors:?}"
    );
}

#[test]
fn a_csv_row_past_the_row_bytes_is_refused_before_it_is_held() {
    // One row of 5 MB of commas: the csv reader would hold five million fields.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("一行.csv");
    let mut text = String::from("户主姓名\n张三");
    text.push_str(&",".repeat(5 << 20));
    std::fs::write(&path, text).unwrap();
    let errors = refusals(&path, super::budget::LEDGER);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors
            .iter()
            .all(|e| e.contains("第 2 行的内容超过 4 MB") && e.contains("没有读取")),
        "{errors:?}"
    );
}
