//! Reading an import file into plain rows of cells: .xlsx/.xlsm, legacy .xls (by calamine) and
//! .csv in UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030/GBK (by encoding_rs + csv).
//!
//! The format is taken from the file's content, not its name (offices rename files). Nothing
//! here changes the database; a broken file gives a Chinese error, never a panic.

use std::io::Cursor;
use std::path::Path;

use calamine::{Data, Reader};

use crate::error::{Error, Result};

/// Files above this size are refused before reading: a town ledger is a few MB.
pub const MAX_FILE_BYTES: u64 = 100 * 1024 * 1024;

/// One cell as read. `text` is what a person would see; `numeric` is true when the spreadsheet
/// stored a number (so an ID number in it has already lost digits).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cell {
    pub text: String,
    pub numeric: bool,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell {
            text: s.into(),
            numeric: false,
        }
    }
}

/// A sheet's rows; row `i` is the spreadsheet's row `i + 1`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    pub name: String,
    pub rows: Vec<Vec<Cell>>,
}

/// The text encodings a CSV file can arrive in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    Utf8,
    Utf8Bom,
    Utf16Le,
    Utf16Be,
    Gb18030,
}

/// Decodes CSV bytes: a BOM decides; else strict UTF-8; else GB18030 (a superset of GBK).
pub fn decode_text(bytes: &[u8]) -> (String, TextEncoding) {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return (
            String::from_utf8_lossy(rest).into_owned(),
            TextEncoding::Utf8Bom,
        );
    }
    if bytes.starts_with(&[0xFF, 0xFE]) {
        let (text, _, _) = encoding_rs::UTF_16LE.decode(bytes);
        return (text.into_owned(), TextEncoding::Utf16Le);
    }
    if bytes.starts_with(&[0xFE, 0xFF]) {
        let (text, _, _) = encoding_rs::UTF_16BE.decode(bytes);
        return (text.into_owned(), TextEncoding::Utf16Be);
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_string(), TextEncoding::Utf8),
        Err(_) => {
            let (text, _, _) = encoding_rs::GB18030.decode(bytes);
            (text.into_owned(), TextEncoding::Gb18030)
        }
    }
}

fn number_text(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

fn cell_from(data: &Data) -> Cell {
    match data {
        Data::Empty | Data::Error(_) => Cell::default(),
        Data::String(s) => Cell::text(s.clone()),
        Data::Int(i) => Cell {
            text: i.to_string(),
            numeric: true,
        },
        Data::Float(f) => Cell {
            text: number_text(*f),
            numeric: true,
        },
        Data::Bool(b) => Cell::text(if *b { "是" } else { "否" }),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(d) => Cell::text(d.format("%Y-%m-%d").to_string()),
            None => Cell {
                text: number_text(dt.as_f64()),
                numeric: true,
            },
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::text(s.clone()),
    }
}

fn read_spreadsheet(path: &Path, bytes: Vec<u8>) -> Result<Vec<Sheet>> {
    let broken = |detail: String| {
        Error::Invalid(format!(
            "文件“{}”无法作为 Excel 表格读取（{detail}）。文件可能已损坏或没有保存完整；请用 Excel 或 WPS 打开后另存为 .xlsx 再导入。",
            path.display()
        ))
    };
    // calamine is third-party code fed untrusted bytes: a panic in it must not take the app down.
    let result = std::panic::catch_unwind(move || -> std::result::Result<Vec<Sheet>, String> {
        let mut book =
            calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| e.to_string())?;
        let mut sheets = Vec::new();
        for name in book.sheet_names() {
            let range = book.worksheet_range(&name).map_err(|e| e.to_string())?;
            let (row0, col0) = range.start().unwrap_or((0, 0));
            let mut rows: Vec<Vec<Cell>> = vec![Vec::new(); row0 as usize];
            for r in range.rows() {
                let mut cells = vec![Cell::default(); col0 as usize];
                cells.extend(r.iter().map(cell_from));
                while cells.last().is_some_and(|c| c.text.trim().is_empty()) {
                    cells.pop();
                }
                rows.push(cells);
            }
            sheets.push(Sheet { name, rows });
        }
        Ok(sheets)
    });
    match result {
        Ok(Ok(sheets)) => Ok(sheets),
        Ok(Err(detail)) => Err(broken(detail)),
        Err(_) => Err(broken("读取时出错".to_string())),
    }
}

fn read_csv(text: &str, name: &str) -> Result<Sheet> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| {
            Error::Invalid(format!("CSV 文件第 {} 行格式有误（{e}）。请检查引号是否成对，或在 Excel 中另存为 .xlsx 后导入。", i + 1))
        })?;
        rows.push(record.iter().map(Cell::text).collect());
    }
    Ok(Sheet {
        name: name.to_string(),
        rows,
    })
}

/// Reads every sheet of an import file (a CSV file has one).
pub fn read_file(path: &Path) -> Result<Vec<Sheet>> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > MAX_FILE_BYTES {
        return Err(Error::Invalid(format!(
            "文件“{}”太大（{:.0} MB），超过 {} MB，不像是一个镇的台账。请检查是否选错了文件，或按行政村拆分后分别导入。",
            path.display(),
            size as f64 / 1048576.0,
            MAX_FILE_BYTES / 1048576
        )));
    }
    let bytes = std::fs::read(path).map_err(io)?;
    let is_zip = bytes.starts_with(b"PK\x03\x04");
    let is_ole = bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    if is_zip || is_ole {
        return read_spreadsheet(path, bytes);
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if matches!(ext.as_str(), "xlsx" | "xlsm" | "xls") {
        return Err(Error::Invalid(format!(
            "文件“{}”的扩展名是 .{ext}，但内容不是 Excel 表格。文件可能已损坏；请用 Excel 或 WPS 打开后另存为 .xlsx 再导入。",
            path.display()
        )));
    }
    if bytes.iter().take(4096).filter(|b| **b == 0).count() > 8
        && !bytes.starts_with(&[0xFF, 0xFE])
        && !bytes.starts_with(&[0xFE, 0xFF])
    {
        return Err(Error::Invalid(format!(
            "文件“{}”不是可以导入的表格。请选择 .xlsx、.xls 或 .csv 文件。",
            path.display()
        )));
    }
    let (text, _) = decode_text(&bytes);
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("CSV")
        .to_string();
    Ok(vec![read_csv(&text, &name)?])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_are_detected() {
        let text = "户主姓名,所在社\n张堃,三社\n";
        let (gb, _, _) = encoding_rs::GB18030.encode(text);
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(text.as_bytes());
        let mut utf16 = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            utf16.extend_from_slice(&u.to_le_bytes());
        }
        let cases: Vec<(Vec<u8>, TextEncoding)> = vec![
            (text.as_bytes().to_vec(), TextEncoding::Utf8),
            (bom, TextEncoding::Utf8Bom),
            (gb.into_owned(), TextEncoding::Gb18030),
            (utf16, TextEncoding::Utf16Le),
        ];
        for (bytes, want) in cases {
            let (decoded, enc) = decode_text(&bytes);
            assert_eq!(enc, want);
            assert_eq!(
                decoded.trim_start_matches('\u{FEFF}'),
                text,
                "{want:?} decodes to the same text"
            );
        }
    }

    #[test]
    fn numbers_read_as_people_see_them() {
        assert_eq!(number_text(2019.0), "2019");
        assert_eq!(number_text(1000.5), "1000.5");
        assert_eq!(number_text(5.002241990010112e17), "500224199001011200");
    }
}
