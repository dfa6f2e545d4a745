//! The rows that had problems, written back with a 问题说明 column for the village to correct:
//! the rows left out, and the rows imported with values 待核实.

use std::path::Path;

use super::types::ImportReport;
use crate::error::{Error, Result};
use crate::ledger_io::import::read::read_file;

/// Writes the rows that had problems, as they were in the file, with a 问题说明 column, so the
/// village can correct them and send the file back. Returns how many rows were written.
pub fn write_problem_rows(source: &Path, report: &ImportReport, out: &Path) -> Result<usize> {
    let sheets = read_file(source)?;
    let sheet = sheets
        .iter()
        .find(|s| s.name == report.sheet_name)
        .or(sheets.first())
        .ok_or_else(|| Error::Invalid("源文件是空的。".into()))?;
    let e = |err: rust_xlsxwriter::XlsxError| {
        Error::Invalid(format!(
            "写入问题行文件“{}”失败（{err}）。请确认文件没有在 Excel 中打开后重试。",
            out.display()
        ))
    };
    let mut by_row: std::collections::BTreeMap<usize, Vec<String>> =
        std::collections::BTreeMap::new();
    for p in &report.problems {
        let msg = if p.column.is_empty() {
            p.message.clone()
        } else {
            format!("【{}】{}", p.column, p.message)
        };
        by_row.entry(p.row).or_default().push(msg);
    }
    for f in &report.flags {
        by_row.entry(f.row).or_default().push(format!(
            "【{}】{}（本户已导入，此项待核实）",
            f.column, f.message
        ));
    }
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name("问题行").map_err(e)?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let red = rust_xlsxwriter::Format::new()
        .set_font_color("#B3261E")
        .set_text_wrap();
    ws.write_string_with_format(
        0,
        0,
        format!(
            "“{}”导入时有问题的行：未导入的行和有待核实内容的行（改正后可重新导入）",
            report.file_name
        ),
        &bold,
    )
    .map_err(e)?;
    let headers: Vec<&str> = report.columns.iter().map(|c| c.header.as_str()).collect();
    ws.write_string_with_format(1, 0, "原行号", &bold)
        .map_err(e)?;
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(1, c as u16 + 1, *h, &bold)
            .map_err(e)?;
    }
    let msg_col = headers.len() as u16 + 1;
    ws.write_string_with_format(1, msg_col, "问题说明", &bold)
        .map_err(e)?;
    ws.set_column_width(msg_col, 60).map_err(e)?;
    ws.set_freeze_panes(2, 0).map_err(e)?;
    for (i, (row, msgs)) in by_row.iter().enumerate() {
        let r = i as u32 + 2;
        ws.write_number(r, 0, *row as f64).map_err(e)?;
        if let Some(cells) = sheet.rows.get(row - 1) {
            for (c, cell) in cells.iter().enumerate() {
                if !cell.text.is_empty() {
                    ws.write_string(r, c as u16 + 1, &cell.text).map_err(e)?;
                }
            }
        }
        ws.write_string_with_format(r, msg_col, msgs.join("；"), &red)
            .map_err(e)?;
    }
    book.save(out).map_err(e)?;
    Ok(by_row.len())
}
