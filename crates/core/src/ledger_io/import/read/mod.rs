//! Reading an import file into plain rows of cells: .xlsx/.xlsm, legacy .xls (by calamine) and
//! .csv in UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030/GBK (by encoding_rs + csv).
//!
//! The format is taken from the file's content, not its name (offices rename files). Nothing
//! here changes the database; a broken file gives a Chinese error, never a panic.

use std::io::Cursor;
use std::path::Path;

use calamine::{Data, DataRef, Reader, Sheets, Xlsx, XlsxError};

use crate::error::{Error, Result};
use budget::{check_cell_text, Budget, Limits, Refusal, LEDGER};
use guard::{broken, check_xls, check_xlsx, MAX_CSV_ROW_BYTES};

mod budget;
mod guard;
mod hidden;
#[cfg(test)]
mod limit_tests;

pub use hidden::Hidden;
use hidden::Scan;

pub(crate) use guard::count_caught_panic;
pub use guard::{
    caught_panics, MAX_CELLS, MAX_CELL_CHARS, MAX_COLUMNS, MAX_FILE_BYTES, MAX_PART_BYTES,
    MAX_ROWS, MAX_SHARED_STRINGS, MAX_SHARED_STRINGS_BYTES, MAX_TEXT_BYTES, MAX_UNPACKED_BYTES,
};

/// One cell as read. `text` is what a person would see; `numeric` is true when the spreadsheet
/// stored a number (so an ID number in it has already lost digits). `uncalculated` is true for
/// a formula saved without its result (a workbook written by a program and never opened and
/// saved in Excel): its text is empty, but nobody left it blank.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cell {
    pub text: String,
    pub numeric: bool,
    pub uncalculated: bool,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell {
            text: s.into(),
            ..Cell::default()
        }
    }

    /// A formula without its result.
    fn uncalculated() -> Cell {
        Cell {
            uncalculated: true,
            ..Cell::default()
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

/// Refuses CSV bytes in two encodings: rows in GBK pasted into a UTF-8 file (with or without
/// BOM), or rows in UTF-8 pasted into a GBK file. Decoded as one encoding, the other rows would
/// be garbled (and a garbled header is not found). Only a file that is not UTF-8 whole is looked
/// at line by line.
fn check_one_encoding(path: &Path, bytes: &[u8]) -> Result<()> {
    let bom = bytes.starts_with(&[0xEF, 0xBB, 0xBF]);
    let text = if bom { &bytes[3..] } else { bytes };
    if bytes.starts_with(&[0xFF, 0xFE])
        || bytes.starts_with(&[0xFE, 0xFF])
        || std::str::from_utf8(text).is_ok()
    {
        return Ok(());
    }
    // Each line (from 1) that is not UTF-8, and each that is UTF-8 with Chinese in it (three
    // characters or more: a line of GBK is UTF-8 by chance only when very short).
    let mut not_utf8 = Vec::new();
    let mut utf8 = Vec::new();
    for (i, line) in text.split(|b| *b == b'\n').enumerate() {
        match std::str::from_utf8(line) {
            Err(_) => not_utf8.push(i + 1),
            Ok(s) if s.chars().filter(|c| !c.is_ascii()).nth(2).is_some() => utf8.push(i + 1),
            Ok(_) => {}
        }
    }
    let rows = |lines: &[usize]| -> String {
        let shown: Vec<String> = lines.iter().take(5).map(|n| n.to_string()).collect();
        let more = if lines.len() > 5 {
            format!(" 等 {} 行", lines.len())
        } else {
            String::new()
        };
        format!("第 {} 行{more}", shown.join("、"))
    };
    let what = if bom || utf8.len() >= not_utf8.len() {
        format!(
            "{}不是 UTF-8 编码（其他各行是 UTF-8），可能是从另一个文件复制粘贴过来的（那个文件多半是 GBK 编码）",
            rows(&not_utf8)
        )
    } else if !utf8.is_empty() {
        format!(
            "{}是 UTF-8 编码，其他各行是 GBK 编码，可能是从另一个文件复制粘贴过来的",
            rows(&utf8)
        )
    } else {
        return Ok(());
    };
    Err(Error::Invalid(format!(
        "文件“{}”{what}。一个 CSV 文件只能用一种编码，否则这些行读出来是乱码，所以没有读取。请用 Excel 或 WPS 打开，核对这些行后把整个文件另存为 UTF-8 编码的 CSV（或另存为 .xlsx），或整个文件都用 GBK 编码，再导入。",
        path.display()
    )))
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
            ..Cell::default()
        },
        Data::Float(f) => Cell {
            text: number_text(*f),
            numeric: true,
            ..Cell::default()
        },
        Data::Bool(b) => Cell::text(if *b { "是" } else { "否" }),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(d) => Cell::text(d.format("%Y-%m-%d").to_string()),
            None => Cell {
                text: number_text(dt.as_f64()),
                numeric: true,
                ..Cell::default()
            },
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::text(s.clone()),
    }
}

/// The same cell as [`cell_from`] gives for the `Data` calamine would have made of it, at `row`,
/// `col` (from 0): a text longer than Excel allows is refused and every text is counted against
/// `budget` before it is copied (one shared string may be repeated in every cell).
fn cell_from_ref(
    data: &DataRef,
    row: u32,
    col: u32,
    budget: &mut Budget,
) -> std::result::Result<Cell, Refusal> {
    let text = match data {
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.as_str(),
        DataRef::SharedString(s) => s,
        other => {
            let cell = cell_from_scalar(other);
            budget.text(cell.text.len())?;
            return Ok(cell);
        }
    };
    check_cell_text(text, row, col)?;
    budget.text(text.len())?;
    Ok(Cell::text(text))
}

/// [`cell_from_ref`] unchecked (it is called for the values that are not text).
fn cell_from_scalar(data: &DataRef) -> Cell {
    match data {
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => {
            Cell::text(s.as_str())
        }
        DataRef::SharedString(s) => Cell::text(*s),
        DataRef::Empty => Cell::default(),
        DataRef::Int(i) => cell_from(&Data::Int(*i)),
        DataRef::Float(f) => cell_from(&Data::Float(*f)),
        DataRef::Bool(b) => cell_from(&Data::Bool(*b)),
        DataRef::DateTime(dt) => cell_from(&Data::DateTime(*dt)),
        DataRef::Error(e) => cell_from(&Data::Error(e.clone())),
    }
}

/// Drops the empty cells at the end of a row, as every reader here does (a formula without its
/// result is not empty).
fn trim_row(cells: &mut Vec<Cell>) {
    while cells
        .last()
        .is_some_and(|c| c.text.trim().is_empty() && !c.uncalculated)
    {
        cells.pop();
    }
}

/// The rows of one .xlsx sheet read cell by cell (never as calamine's dense range, which is as
/// big as the area the cells span): cells are placed by position, whatever their order. Row
/// slots, cells and their text count against `budget`, the whole workbook's.
fn read_xlsx_sheet(
    reader: &mut calamine::XlsxCellReader<'_, Cursor<Vec<u8>>>,
    budget: &mut Budget,
) -> std::result::Result<Vec<Vec<Cell>>, Refusal> {
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    while let Some(cell) = reader
        .next_cell_with_formula_metadata()
        .map_err(|e| e.to_string())?
    {
        let (value, uncalculated) = match (&cell.value, &cell.formula) {
            (DataRef::Empty, None) => continue,
            (DataRef::Empty, Some(_)) => (&cell.value, true),
            (value, _) => (value, false),
        };
        let (r, c) = cell.pos;
        check_position(r, c)?;
        let (row, col) = (r as usize, c as usize);
        if rows.len() <= row {
            budget.cells(row + 1 - rows.len())?;
            rows.resize(row + 1, Vec::new());
        }
        if rows[row].len() <= col {
            budget.cells(col + 1 - rows[row].len())?;
        }
        let cell = if uncalculated {
            Cell::uncalculated()
        } else {
            cell_from_ref(value, r, c, budget)?
        };
        place(&mut rows[row], c, cell);
    }
    for row in &mut rows {
        trim_row(row);
    }
    Ok(rows)
}

/// Refuses a cell beyond what a ledger can hold (its position names the cell).
fn check_position(row: u32, col: u32) -> std::result::Result<(), String> {
    if col >= MAX_COLUMNS || row >= MAX_ROWS {
        return Err(format!(
            "第 {} 行第 {} 列有内容，超出台账可能的范围（最多 {MAX_COLUMNS} 列）。请删除表格右侧或下方多余的内容后再导入",
            row as u64 + 1,
            col as u64 + 1
        ));
    }
    Ok(())
}

/// Every sheet of an opened workbook, read whole. `merges` says whether an .xlsx file has merged
/// cells at all (see [`hidden::scan`]).
fn read_book(
    book: &mut Sheets<Cursor<Vec<u8>>>,
    merges: bool,
    limits: Limits,
) -> std::result::Result<Vec<Sheet>, Refusal> {
    let mut sheets = Vec::new();
    let mut budget = Budget::new(limits);
    for name in book.sheet_names() {
        let mut down = match &mut *book {
            Sheets::Xlsx(x) => MergedDown::of_xlsx(x, &name, merges)?,
            Sheets::Xls(x) => {
                MergedDown::new(x.merge_cells_by_sheet_name(&name).unwrap_or_default())
            }
            _ => MergedDown::default(),
        };
        let mut rows = if let Sheets::Xlsx(x) = &mut *book {
            match x.worksheet_cells_reader(&name) {
                Ok(mut reader) => read_xlsx_sheet(&mut reader, &mut budget)?,
                Err(XlsxError::NotAWorksheet(_)) => Vec::new(),
                Err(e) => return Err(e.to_string().into()),
            }
        } else {
            {
                let range = book.worksheet_range(&name).map_err(|e| e.to_string())?;
                let (row0, col0) = range.start().unwrap_or((0, 0));
                let mut rows: Vec<Vec<Cell>> = vec![Vec::new(); row0 as usize];
                for r in range.rows() {
                    let mut cells = vec![Cell::default(); col0 as usize];
                    for data in r {
                        let cell = cell_from(data);
                        check_cell_text(&cell.text, rows.len() as u32, cells.len() as u32)?;
                        budget.text(cell.text.len())?;
                        cells.push(cell);
                    }
                    trim_row(&mut cells);
                    rows.push(cells);
                }
                rows
            }
        };
        for (r, row) in rows.iter_mut().enumerate() {
            let before = row.len();
            let text = down.fill(r as u32, row);
            budget.cells(row.len() - before)?;
            budget.text(text)?;
        }
        sheets.push(Sheet { name, rows });
    }
    Ok(sheets)
}

/// Cells merged down (a block more than one row high), read as a person sees them: the value of
/// the block's top cell belongs to every row of the block, in the block's first column (a ledger
/// merges a village down its households, a household down its toilets). A block merged across
/// only keeps its value in its first cell, and a blank row inside a block stays blank. Rows are
/// given to [`MergedDown::fill`] in order, each once.
#[derive(Default)]
struct MergedDown {
    /// (first row, last row, column) of each block, by first row.
    blocks: Vec<(u32, u32, u32)>,
    next: usize,
    /// The blocks being filled: (column, last row, value).
    open: Vec<(u32, u32, Cell)>,
}

impl MergedDown {
    fn new(regions: Vec<calamine::Dimensions>) -> MergedDown {
        let mut blocks: Vec<(u32, u32, u32)> = regions
            .iter()
            .filter(|d| d.end.0 > d.start.0 && d.start.1 < MAX_COLUMNS)
            .map(|d| (d.start.0, d.end.0, d.start.1))
            .collect();
        blocks.sort_unstable();
        MergedDown {
            blocks,
            next: 0,
            open: Vec::new(),
        }
    }

    /// The blocks of an .xlsx sheet; none without looking when the file has no merged cells
    /// (`merges`, see [`hidden::scan`]) or the sheet is a chart.
    fn of_xlsx(
        x: &mut Xlsx<Cursor<Vec<u8>>>,
        sheet: &str,
        merges: bool,
    ) -> std::result::Result<MergedDown, String> {
        if !merges {
            return Ok(MergedDown::default());
        }
        match x.merge_cells_by_sheet_name(sheet) {
            Ok(regions) => Ok(MergedDown::new(regions)),
            Err(XlsxError::NotAWorksheet(_)) => Ok(MergedDown::default()),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Fills row `r` from the blocks above it, then notes the blocks that start on it. Returns
    /// the bytes of text it copied into the row.
    fn fill(&mut self, r: u32, cells: &mut Vec<Cell>) -> usize {
        if self.blocks.is_empty() {
            return 0;
        }
        self.open.retain(|(_, last, _)| *last >= r);
        let blank = |c: Option<&Cell>| c.is_none_or(|c| c.text.trim().is_empty());
        let mut copied = 0;
        if !cells.iter().all(|c| blank(Some(c))) {
            for (col, _, value) in &self.open {
                if blank(cells.get(*col as usize)) {
                    copied += value.text.len();
                    place(cells, *col, value.clone());
                }
            }
        }
        while let Some(&(first, last, col)) = self.blocks.get(self.next) {
            if first > r {
                break;
            }
            self.next += 1;
            if first < r || blank(cells.get(col as usize)) {
                continue;
            }
            self.open.retain(|(c, _, _)| *c != col);
            self.open.push((col, last, cells[col as usize].clone()));
        }
        copied
    }
}

/// Checks a spreadsheet's bytes before calamine reads them (see [`check_xlsx`], [`check_xls`]).
fn check_spreadsheet(path: &Path, bytes: &[u8]) -> Result<()> {
    if bytes.starts_with(b"PK\x03\x04") {
        check_xlsx(path, bytes)
    } else {
        check_xls(path, bytes)
    }
}

fn read_spreadsheet(path: &Path, bytes: Vec<u8>, limits: Limits) -> Result<Vec<Sheet>> {
    check_spreadsheet(path, &bytes)?;
    // calamine is third-party code fed untrusted bytes: a panic in it must not take the app down.
    let result = std::panic::catch_unwind(move || -> std::result::Result<Vec<Sheet>, Refusal> {
        let merges = hidden::scan(&bytes, false).merges;
        let mut book =
            calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| e.to_string())?;
        read_book(&mut book, merges, limits)
    });
    match result {
        Ok(Ok(sheets)) => Ok(sheets),
        Ok(Err(refusal)) => Err(refusal.into_error(path, false)),
        Err(_) => {
            count_caught_panic();
            Err(broken(path, "读取时出错"))
        }
    }
}

/// The bytes of a CSV text as the csv reader reads them, never past `end`, which the reading
/// loop moves on a row at a time: the reader holds a row whole before it can be checked, so
/// one row may take at most [`MAX_CSV_ROW_BYTES`].
struct RowCapped<'a> {
    bytes: &'a [u8],
    at: usize,
    end: usize,
}

impl RowCapped<'_> {
    /// Whether reading stopped at `end`, inside a row too long.
    fn stopped(&self) -> bool {
        self.at >= self.end && self.at < self.bytes.len()
    }
}

impl std::io::Read for RowCapped<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.stopped() {
            return Err(std::io::Error::other("row too long"));
        }
        let end = self.end.min(self.bytes.len());
        let n = buf.len().min(end.saturating_sub(self.at));
        buf[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// The rows of a CSV text, refused as soon as they pass what a ledger can hold: Excel's rows,
/// [`MAX_COLUMNS`], Excel's characters in a cell, and `limits` (cells and text, as a workbook).
fn read_csv(path: &Path, text: &str, name: &str, limits: Limits) -> Result<Sheet> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(RowCapped {
            bytes: text.as_bytes(),
            at: 0,
            end: MAX_CSV_ROW_BYTES,
        });
    let mut budget = Budget::new(limits);
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    let mut record = csv::StringRecord::new();
    let refuse = |refusal: Refusal| refusal.into_error(path, true);
    loop {
        let row = rows.len() as u64 + 1;
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(_) if reader.get_ref().stopped() => {
                return Err(refuse(Refusal::TooMuch(format!(
                    "第 {row} 行的内容超过 {}（台账一行不到 1 KB，这一行的列太多或文字太长；CSV 文件中有引号没有成对时，后面的内容也会连成一行）",
                    guard::size_text(MAX_CSV_ROW_BYTES)
                ))));
            }
            Err(e) => {
                return Err(Error::Invalid(format!("CSV 文件第 {row} 行格式有误（{e}）。请检查引号是否成对，或在 Excel 中另存为 .xlsx 后导入。")));
            }
        }
        if rows.len() >= MAX_ROWS as usize {
            return Err(refuse(Refusal::TooMuch(format!(
                "有 {MAX_ROWS} 行以上（Excel 一个工作表最多 {MAX_ROWS} 行）"
            ))));
        }
        if record.len() > MAX_COLUMNS as usize {
            return Err(refuse(Refusal::TooMuch(format!(
                "第 {row} 行有 {} 列（台账最多 {MAX_COLUMNS} 列）",
                record.len()
            ))));
        }
        budget.cells(1 + record.len()).map_err(refuse)?;
        budget.text(record.as_slice().len()).map_err(refuse)?;
        let mut cells = Vec::with_capacity(record.len());
        for (col, field) in record.iter().enumerate() {
            check_cell_text(field, row as u32 - 1, col as u32).map_err(refuse)?;
            cells.push(Cell::text(field));
        }
        rows.push(cells);
        let at = reader.position().byte() as usize;
        reader.get_mut().end = at.saturating_add(MAX_CSV_ROW_BYTES);
    }
    Ok(Sheet {
        name: name.to_string(),
        rows,
    })
}

/// Reads the bytes of an import file, refusing files far too big to be a ledger.
fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_dir() {
        return Err(Error::Invalid(format!(
            "“{}”是一个文件夹，不是台账文件。请选择文件夹里的 .xlsx、.xls 或 .csv 文件。",
            path.display()
        )));
    }
    let size = meta.len();
    if size > MAX_FILE_BYTES {
        return Err(Error::Invalid(format!(
            "文件“{}”太大（{:.0} MB），超过 {} MB，不像是一个镇的台账。请检查是否选错了文件，或按行政村拆分后分别导入。",
            path.display(),
            size as f64 / 1048576.0,
            MAX_FILE_BYTES / 1048576
        )));
    }
    std::fs::read(path).map_err(io)
}

fn is_spreadsheet(bytes: &[u8]) -> bool {
    let is_zip = bytes.starts_with(b"PK\x03\x04");
    let is_ole = bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    is_zip || is_ole
}

/// Reads every sheet of an import file (a CSV file has one).
pub fn read_file(path: &Path) -> Result<Vec<Sheet>> {
    read_file_within(path, LEDGER)
}

/// [`read_file`] with `limits` (tests lower them).
fn read_file_within(path: &Path, limits: Limits) -> Result<Vec<Sheet>> {
    let bytes = read_bytes(path)?;
    read_bytes_as_sheets(path, bytes, limits)
}

fn read_bytes_as_sheets(path: &Path, bytes: Vec<u8>, limits: Limits) -> Result<Vec<Sheet>> {
    if is_spreadsheet(&bytes) {
        return read_spreadsheet(path, bytes, limits);
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
    check_one_encoding(path, &bytes)?;
    let (text, _) = decode_text(&bytes);
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("CSV")
        .to_string();
    Ok(vec![read_csv(path, &text, &name, limits)?])
}

/// An import file opened for reading one sheet row by row. The sheets of an .xlsx file are
/// parsed as they are read, so no copy of a whole sheet is ever held in memory and the rows can
/// be used while the rest of the file is still being parsed; other formats are read whole by
/// [`read_file`] first. Either way the rows are exactly those [`read_file`] gives.
///
/// calamine runs unguarded here: call this on a thread of its own, whose panic (a bug in the
/// parser fed untrusted bytes) the caller turns into an error.
pub struct Workbook {
    inner: Book,
    limits: Limits,
    /// An .xlsx file's merged cells and hidden rows and columns (an .xls file's hidden ones).
    scan: Scan,
}

enum Book {
    /// The workbook, and whether it has merged cells at all.
    Xlsx(Box<Xlsx<Cursor<Vec<u8>>>>, bool),
    Read(Vec<Sheet>),
}

/// What [`Rows::next_row`] found.
#[derive(Debug, PartialEq)]
pub enum NextRow {
    Row(Vec<Cell>),
    End,
    /// The sheet stores its rows out of order (Excel never writes that): only [`read_file`],
    /// which places every cell before handing out any row, reads it correctly.
    Unordered,
}

impl Workbook {
    /// Opens `path`. With `stream` false every format is read whole first (the fallback for an
    /// .xlsx sheet whose rows are out of order).
    pub fn open(path: &Path, stream: bool) -> Result<Workbook> {
        Workbook::open_within(path, stream, LEDGER)
    }

    /// [`Workbook::open`] with `limits`, for the workbook read whole or for each sheet read row
    /// by row (tests lower them).
    fn open_within(path: &Path, stream: bool, limits: Limits) -> Result<Workbook> {
        let bytes = read_bytes(path)?;
        let xlsx = bytes.starts_with(b"PK\x03\x04");
        if !stream || !xlsx {
            // (An .xlsx file read whole is searched for what is hidden on its own.)
            let scan = if xlsx {
                check_spreadsheet(path, &bytes)?;
                hidden::scan(&bytes, true)
            } else if is_spreadsheet(&bytes) {
                check_spreadsheet(path, &bytes)?;
                hidden::scan_xls(&bytes)
            } else {
                Scan::default()
            };
            return Ok(Workbook {
                inner: Book::Read(read_bytes_as_sheets(path, bytes, limits)?),
                limits,
                scan,
            });
        }
        check_spreadsheet(path, &bytes)?;
        let scan = hidden::scan(&bytes, true);
        let book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
            .map_err(|e| broken(path, &e.to_string()))?;
        let inner = match book {
            Sheets::Xlsx(x) => Book::Xlsx(Box::new(x), scan.merges),
            mut other => Book::Read(
                read_book(&mut other, scan.merges, limits)
                    .map_err(|e| e.into_error(path, false))?,
            ),
        };
        Ok(Workbook {
            inner,
            limits,
            scan,
        })
    }

    pub fn sheet_names(&self) -> Vec<String> {
        match &self.inner {
            Book::Xlsx(x, _) => x.sheet_names(),
            Book::Read(sheets) => sheets.iter().map(|s| s.name.clone()).collect(),
        }
    }

    /// The rows of the sheet called `name`, from the first.
    pub fn rows(&mut self, path: &Path, name: &str) -> Result<Rows<'_>> {
        let hidden = self.scan.of(name);
        match &mut self.inner {
            Book::Xlsx(x, merges) => {
                let down = MergedDown::of_xlsx(x, name, *merges).map_err(|e| broken(path, &e))?;
                let reader = match x.worksheet_cells_reader(name) {
                    Ok(reader) => Some(reader),
                    // A chart sheet reads as an empty sheet, as in `worksheet_range`.
                    Err(XlsxError::NotAWorksheet(_)) => None,
                    Err(e) => return Err(broken(path, &e.to_string())),
                };
                let hint = reader
                    .as_ref()
                    .map(|r| r.dimensions().end.0 as usize + 1)
                    .unwrap_or(0);
                Ok(Rows {
                    inner: RowsInner::Xlsx(Box::new(XlsxRows {
                        reader,
                        next: 0,
                        collecting: None,
                        ready: None,
                        done: false,
                        down,
                        budget: Budget::new(self.limits),
                    })),
                    hint,
                    path: path.to_path_buf(),
                    hidden,
                })
            }
            Book::Read(sheets) => {
                let rows = sheets
                    .iter()
                    .find(|s| s.name == name)
                    .map(|s| s.rows.as_slice())
                    .unwrap_or(&[]);
                Ok(Rows {
                    hint: rows.len(),
                    inner: RowsInner::Read(rows.iter()),
                    path: path.to_path_buf(),
                    hidden,
                })
            }
        }
    }
}

/// The rows of one sheet, in order; row `i` is the spreadsheet's row `i + 1`.
pub struct Rows<'a> {
    inner: RowsInner<'a>,
    hint: usize,
    path: std::path::PathBuf,
    /// The sheet's rows and columns hidden in Excel (.xlsx and .xls).
    hidden: &'a Hidden,
}

enum RowsInner<'a> {
    Xlsx(Box<XlsxRows<'a>>),
    Read(std::slice::Iter<'a, Vec<Cell>>),
}

struct XlsxRows<'a> {
    reader: Option<calamine::XlsxCellReader<'a, Cursor<Vec<u8>>>>,
    /// The index of the next row to hand out.
    next: u32,
    /// The row whose cells are being read.
    collecting: Option<(u32, Vec<Cell>)>,
    /// A complete row, handed out when `next` reaches it.
    ready: Option<(u32, Vec<Cell>)>,
    done: bool,
    down: MergedDown,
    /// The sheet's cells and text so far (as [`read_book`] counts a workbook's).
    budget: Budget,
}

impl Rows<'_> {
    /// How many rows the sheet says it has (for progress only; 0 when unknown).
    pub fn rows_hint(&self) -> usize {
        self.hint
    }

    /// The rows and columns hidden in Excel (none in a CSV file).
    pub fn hidden(&self) -> &Hidden {
        self.hidden
    }

    pub fn next_row(&mut self) -> Result<NextRow> {
        match &mut self.inner {
            RowsInner::Read(rows) => Ok(match rows.next() {
                Some(r) => NextRow::Row(r.clone()),
                None => NextRow::End,
            }),
            RowsInner::Xlsx(x) => x.next_row().map_err(|e| e.into_error(&self.path, false)),
        }
    }
}

impl XlsxRows<'_> {
    /// Rows as `worksheet_range` lays them out: calamine's empty cells are skipped, every row
    /// up to the last one with a cell is handed out (empty rows as empty), cells are placed by
    /// their column, and trailing empty cells are dropped; then cells merged down are filled.
    fn next_row(&mut self) -> std::result::Result<NextRow, Refusal> {
        loop {
            if let Some((r, _)) = &self.ready {
                if self.next < *r {
                    return self.hand_out(Vec::new());
                }
                let (_, cells) = self.ready.take().expect("checked above");
                return self.hand_out(cells);
            }
            if self.done {
                return Ok(NextRow::End);
            }
            let Some(reader) = self.reader.as_mut() else {
                self.done = true;
                continue;
            };
            let Some(cell) = reader
                .next_cell_with_formula_metadata()
                .map_err(|e| e.to_string())?
            else {
                self.done = true;
                self.ready = self.collecting.take();
                continue;
            };
            let uncalculated = match (&cell.value, &cell.formula) {
                (DataRef::Empty, None) => continue,
                (DataRef::Empty, Some(_)) => true,
                _ => false,
            };
            let (r, c) = cell.pos;
            check_position(r, c)?;
            if r < self.next {
                return Ok(NextRow::Unordered);
            }
            let made = if uncalculated {
                Cell::uncalculated()
            } else {
                cell_from_ref(&cell.value, r, c, &mut self.budget)?
            };
            match &mut self.collecting {
                Some((row, cells)) if *row == r => place(cells, c, made),
                Some((row, _)) if *row > r => return Ok(NextRow::Unordered),
                _ => {
                    // Rows of a ledger are about as wide as the one before.
                    let width = self.collecting.as_ref().map_or(0, |(_, cells)| cells.len());
                    let mut cells = Vec::with_capacity(width.max(c as usize + 1));
                    place(&mut cells, c, made);
                    self.ready = self.collecting.replace((r, cells));
                }
            }
        }
    }

    /// Hands out the next row, its cells counted as [`read_book`] counts them: a slot for the
    /// row and the width it reached, then the cells filled from merged blocks and their text.
    fn hand_out(&mut self, mut cells: Vec<Cell>) -> std::result::Result<NextRow, Refusal> {
        self.budget.cells(1 + cells.len())?;
        trim_row(&mut cells);
        let before = cells.len();
        let text = self.down.fill(self.next, &mut cells);
        self.budget.cells(cells.len() - before)?;
        self.budget.text(text)?;
        self.next += 1;
        Ok(NextRow::Row(cells))
    }
}

fn place(cells: &mut Vec<Cell>, col: u32, cell: Cell) {
    let col = col as usize;
    if cells.len() <= col {
        cells.resize(col + 1, Cell::default());
    }
    cells[col] = cell;
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
