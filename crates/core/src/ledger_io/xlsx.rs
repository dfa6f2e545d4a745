//! Writing .xlsx files the office reads: a title and subtitle, a header row the importer reads
//! back (frozen, fitting widths), typed cells, per-cent formats, and a Chinese error naming the
//! file when writing fails. Shared by the ledger exports and the reports.

use std::path::Path;

use rust_xlsxwriter::{Format, FormatAlign, Workbook, Worksheet, XlsxError};

use crate::error::{Error, Result};

pub(crate) fn xlsx_err(path: &Path) -> impl Fn(XlsxError) -> Error + '_ {
    move |e| {
        Error::Invalid(format!(
            "写入 Excel 文件“{}”失败（{e}）。请确认文件没有在 Excel 中打开、磁盘有空间后重试。",
            path.display()
        ))
    }
}

pub(crate) fn write_title(
    sheet: &mut Worksheet,
    title: &str,
    subtitle: &str,
    path: &Path,
) -> Result<()> {
    let e = xlsx_err(path);
    sheet
        .write_string_with_format(0, 0, title, &Format::new().set_bold().set_font_size(16))
        .map_err(&e)?;
    sheet.write_string(1, 0, subtitle).map_err(&e)?;
    Ok(())
}

pub(crate) fn header_row(
    sheet: &mut Worksheet,
    headers: &[(&str, f64)],
    path: &Path,
) -> Result<()> {
    let e = xlsx_err(path);
    let head = Format::new()
        .set_bold()
        .set_background_color("#E7F3EC")
        .set_align(FormatAlign::Center)
        .set_text_wrap();
    for (c, (h, w)) in headers.iter().enumerate() {
        sheet.set_column_width(c as u16, *w).map_err(&e)?;
        sheet
            .write_string_with_format(2, c as u16, *h, &head)
            .map_err(&e)?;
    }
    sheet.set_freeze_panes(3, 0).map_err(&e)?;
    Ok(())
}

/// A sheet with a title, a subtitle and a header row (row 3), named `name`.
pub(crate) fn titled_sheet<'a>(
    book: &'a mut Workbook,
    name: &str,
    title: &str,
    subtitle: &str,
    headers: &[(&str, f64)],
    path: &Path,
) -> Result<&'a mut Worksheet> {
    let sheet = book.add_worksheet();
    sheet.set_name(name).map_err(xlsx_err(path))?;
    write_title(sheet, title, subtitle, path)?;
    header_row(sheet, headers, path)?;
    Ok(sheet)
}

pub(crate) fn percent_format() -> Format {
    Format::new().set_num_format("0.0%")
}

/// One cell of an exported row.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Empty,
    Text(String),
    Number(f64),
}

impl Val {
    pub(crate) fn text(s: Option<String>) -> Val {
        s.filter(|s| !s.is_empty())
            .map(Val::Text)
            .unwrap_or(Val::Empty)
    }

    pub(crate) fn write(
        &self,
        sheet: &mut Worksheet,
        row: u32,
        col: u16,
    ) -> std::result::Result<(), XlsxError> {
        match self {
            Val::Empty => Ok(()),
            Val::Text(t) => sheet.write_string(row, col, t).map(|_| ()),
            Val::Number(n) => sheet.write_number(row, col, *n).map(|_| ()),
        }
    }
}
