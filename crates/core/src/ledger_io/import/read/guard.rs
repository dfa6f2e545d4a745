//! The checks a spreadsheet passes before it is read: limits on size, rows, columns, cells and
//! shared strings, and the BIFF records of an .xls, so a damaged or crafted file is refused with
//! a message instead of exhausting memory.

use std::io::Cursor;
use std::path::Path;

use crate::error::{Error, Result};

/// The message for a spreadsheet calamine cannot read.
pub(super) fn broken(path: &Path, detail: &str) -> Error {
    Error::Invalid(format!(
        "文件“{}”无法作为 Excel 表格读取（{detail}）。文件可能已损坏或没有保存完整；请用 Excel 或 WPS 打开后另存为 .xlsx 再导入。",
        path.display()
    ))
}

/// Files above this size are refused before reading: a town ledger is a few MB.
pub const MAX_FILE_BYTES: u64 = 100 * 1024 * 1024;
/// How many cells a row may reach: a ledger has a few dozen columns; a cell far to the right
/// (a stray value, or a crafted file) would make every row that wide in memory.
pub const MAX_COLUMNS: u32 = 1000;
/// Excel's own limit on rows.
pub const MAX_ROWS: u32 = 1_048_576;
/// The unpacked size of all the parts of an .xlsx file together, and of one part.
pub const MAX_UNPACKED_BYTES: u64 = 2 << 30;
pub const MAX_PART_BYTES: u64 = 1 << 30;
/// The shared-string table is held in memory whole: its unpacked size and its string count.
pub const MAX_SHARED_STRINGS_BYTES: u64 = 256 << 20;
pub const MAX_SHARED_STRINGS: u64 = 20_000_000;
/// The cells a workbook read whole may occupy, all its sheets together (row slots and the
/// width each row reaches; for .xls the block calamine lays each sheet out in). A district's
/// ledger of 300,000 rows × 25 columns needs 7.5 million.
pub const MAX_CELLS: usize = 12_000_000;
/// Excel's own limit on the characters in one cell.
pub const MAX_CELL_CHARS: usize = 32_767;
/// The bytes of text (UTF-8) a workbook read whole, or one sheet read row by row, may hold as
/// its cells are made: one shared string may be repeated in every cell, so the unpacked size of
/// the file does not bound it. The import benchmark's 99,460 rows hold 18 MB.
pub const MAX_TEXT_BYTES: usize = 256 << 20;
/// The bytes one row of a CSV file may take: the csv reader holds a row whole before it can be
/// checked (a row of 50 million commas would need gigabytes). A ledger's row is well under 1 KB.
pub const MAX_CSV_ROW_BYTES: usize = 4 << 20;

pub(super) static CAUGHT_PANICS: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(0);

/// How many panics inside the spreadsheet reader (third-party code fed untrusted bytes) were
/// caught and turned into errors since the program started. Tests assert it stays 0: a caught
/// panic is still a bug.
pub fn caught_panics() -> usize {
    CAUGHT_PANICS.load(std::sync::atomic::Ordering::Relaxed)
}

/// Counts a panic caught around the reader (see [`caught_panics`]).
pub(crate) fn count_caught_panic() {
    CAUGHT_PANICS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

/// The message for a file that asks for more than any ledger needs.
pub(super) fn too_large(path: &Path, what: &str) -> Error {
    Error::Invalid(format!(
        "文件“{}”{what}，远超一个镇的台账，可能已损坏或被改动过，没有读取。请用 Excel 或 WPS 打开后检查、另存为 .xlsx 再导入。",
        path.display()
    ))
}

/// The message for a file whose cells, as they are read, hold more than any ledger: made or
/// changed by another program, or a ledger that should be imported in parts.
pub(super) fn too_much(path: &Path, what: &str) -> Error {
    Error::Invalid(format!(
        "文件“{}”{what}，超出一个台账可能的大小，可能是其他程序生成或改动过的，没有读取。请用 Excel 或 WPS 打开后检查、另存为 .xlsx 再导入；内容确实这么多的，请按行政村拆分成几个文件分别导入。",
        path.display()
    ))
}

/// A size in bytes as people read it: whole MB, or KB below 1 MB.
pub(super) fn size_text(bytes: usize) -> String {
    if bytes >= 1 << 20 {
        format!("{} MB", bytes >> 20)
    } else {
        format!("{} KB", bytes >> 10)
    }
}

/// What [`too_much`] says of a file whose cells' text passes `limit` bytes.
pub(super) fn text_past(limit: usize) -> String {
    format!(
        "的文字合计超过 {}（同一段文字被大量单元格重复引用时也会这样）",
        size_text(limit)
    )
}

/// The message for a cell longer than Excel keeps (`row`, `col` from 1); in a CSV file the usual
/// cause is a quotation mark left open, which joins what follows into one cell.
pub(super) fn cell_too_long(path: &Path, row: u64, col: u64, chars: usize, csv: bool) -> Error {
    let cause = if csv {
        "CSV 文件中有引号没有成对时，后面的内容会连成一格，请检查引号是否成对，或"
    } else {
        "可能是其他程序生成或改动过的。请"
    };
    Error::Invalid(format!(
        "文件“{}”第 {row} 行第 {col} 列的单元格有 {chars} 个字，超过 Excel 一个单元格最多能放的 {MAX_CELL_CHARS} 个字，没有读取。{cause}用 Excel 或 WPS 打开后检查、另存为 .xlsx 再导入。",
        path.display()
    ))
}

/// Checks an .xlsx package before calamine reads it: a real Excel workbook (not .xlsb or
/// .ods, whose readers expand repeated cells), parts whose unpacked sizes are bounded (the zip
/// reader refuses to unpack more than a part declares), and a shared-string count that fits
/// the table's size (calamine reserves room for the declared count up front).
pub(super) fn check_xlsx(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut zip =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| broken(path, &e.to_string()))?;
    if zip.len() > 10_000 {
        return Err(too_large(path, &format!("含有 {} 个部件", zip.len())));
    }
    let mut total: u64 = 0;
    let mut shared: Option<(usize, u64)> = None;
    let mut workbook = false;
    let mut other_kind = None;
    for i in 0..zip.len() {
        let entry = zip
            .by_index_data(i)
            .map_err(|e| broken(path, &e.to_string()))?;
        let name = entry.name().map_err(|e| broken(path, &e.to_string()))?;
        let size = entry.size();
        if size > MAX_PART_BYTES {
            return Err(too_large(
                path,
                &format!("中的“{name}”解压后有 {} MB", size >> 20),
            ));
        }
        total = total.saturating_add(size);
        match name.as_ref() {
            "xl/workbook.xml" => workbook = true,
            "xl/sharedStrings.xml" => shared = Some((i, size)),
            "xl/workbook.bin" => other_kind = Some(".xlsb（二进制工作簿）"),
            "content.xml" => other_kind = Some(".ods（开放文档表格）"),
            _ => {}
        }
    }
    if total > MAX_UNPACKED_BYTES {
        return Err(too_large(path, &format!("解压后共有 {} MB", total >> 20)));
    }
    if !workbook {
        return Err(Error::Invalid(match other_kind {
            Some(kind) => format!(
                "文件“{}”是 {kind} 格式，本程序只读 .xlsx、.xls 和 .csv。请用 Excel 或 WPS 打开后另存为 .xlsx 再导入。",
                path.display()
            ),
            None => format!(
                "文件“{}”是压缩包，但不是 Excel 工作簿。请选择 .xlsx、.xls 或 .csv 文件。",
                path.display()
            ),
        }));
    }
    if let Some((index, size)) = shared {
        if size > MAX_SHARED_STRINGS_BYTES {
            return Err(too_large(
                path,
                &format!("的共享文字表解压后有 {} MB", size >> 20),
            ));
        }
        // The declared counts are in the first tag; each string takes at least a few bytes.
        let mut head = Vec::with_capacity(4096);
        {
            use std::io::Read;
            let part = zip
                .by_index(index)
                .map_err(|e| broken(path, &e.to_string()))?;
            part.take(4096)
                .read_to_end(&mut head)
                .map_err(|e| broken(path, &e.to_string()))?;
        }
        let head = String::from_utf8_lossy(&head);
        for attr in ["uniqueCount", "count"] {
            if let Some(n) = declared_number(&head, attr) {
                if n > MAX_SHARED_STRINGS || n > size / 4 + 16 {
                    return Err(too_large(
                        path,
                        &format!("声明有 {n} 个不同的文字，而文字表只有 {size} 字节"),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The number in `name="123"` within the `<sst …>` tag at the start of `xml`.
pub(super) fn declared_number(xml: &str, name: &str) -> Option<u64> {
    let tag_start = xml.find("<sst")?;
    let tag = &xml[tag_start..];
    let tag = &tag[..tag.find('>')?];
    let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let digits: String = tag[at..].chars().take_while(char::is_ascii_digit).collect();
    // A number too long for u64 is certainly too many.
    Some(digits.parse().unwrap_or(u64::MAX))
}

/// Checks an .xls (BIFF) workbook before calamine reads it, record by record the way calamine
/// walks them (the globals, then each sheet from where the globals say it starts): fields
/// calamine reads without checking must be there (sheet positions inside the stream, the two
/// bytes of a code page or date mode, a MULRK's column range), DIMENSIONS must stay within
/// BIFF8's 65,536 rows × 256 columns (calamine reserves room for the declared range), and the
/// text the cells that refer to a shared string (LABELSST) are given must stay within
/// [`MAX_CELL_CHARS`] a cell and [`MAX_TEXT_BYTES`] in all (calamine copies the string into
/// every such cell as it opens the file).
pub(super) fn check_xls(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Read;
    let mut cfb =
        cfb::CompoundFile::open(Cursor::new(bytes)).map_err(|e| broken(path, &e.to_string()))?;
    if cfb.is_stream("/EncryptedPackage") {
        return Err(Error::Invalid(format!(
            "文件“{}”设有打开密码（已加密），本程序读不了。请在 Excel 或 WPS 中输入密码打开，去掉密码后另存为 .xlsx，再导入。",
            path.display()
        )));
    }
    let stream_name = ["/Workbook", "/Book"]
        .into_iter()
        .find(|n| cfb.is_stream(n))
        .ok_or_else(|| broken(path, "找不到工作簿数据"))?;
    let mut stream = Vec::new();
    cfb.open_stream(stream_name)
        .and_then(|s| s.take(MAX_FILE_BYTES).read_to_end(&mut stream))
        .map_err(|e| broken(path, &e.to_string()))?;
    let bad = |what: &str| broken(path, what);
    let mut sheets = Vec::new();
    // The characters of each shared string.
    let mut shared: Vec<u16> = Vec::new();
    // BIFF8 (Excel 97 and later) unless the BOF says an earlier version (as calamine reads it).
    let mut biff8 = true;
    for BiffRecord { kind, data, cont } in biff_records(&stream, 0) {
        match kind {
            0x0809 => match le_u16(data, 0) {
                Some(v) => {
                    let dt = le_u16(data, 2).unwrap_or(0);
                    let earlier = matches!(v, 0x0200 | 0x0002 | 0x0007 | 0x0300 | 0x0400 | 0x0500);
                    biff8 = !(earlier || (v == 0 && dt == 0x1000));
                }
                None => return Err(bad("记录不完整")),
            },
            // SST: the shared strings, read past their end by calamine when malformed.
            0x00FC => {
                shared.clear();
                if !sst_strings(data, &cont, &mut shared) {
                    return Err(bad("共享文字表不完整"));
                }
            }
            // FilePass, CodePage, DateMode, ExternSheet: a 16-bit field first.
            0x002F | 0x0042 | 0x0022 | 0x0017 if data.len() < 2 => return Err(bad("记录不完整")),
            // BoundSheet8: where a sheet starts in the stream, its state and type, its name.
            0x0085 => match le_u32(data, 0) {
                Some(pos) if (pos as usize) < stream.len() && data.len() >= 8 => {
                    sheets.push(pos as usize)
                }
                _ => return Err(bad("工作表的位置超出了文件")),
            },
            // Lbl: a defined name and its formula, read at fixed offsets.
            0x0018 if !name_is_safe(data, biff8) => return Err(bad("名称记录不完整")),
            0x000A => break,
            _ => {}
        }
    }
    // calamine lays every sheet out as one dense block (as large as the larger of its declared
    // range and the area its cells span), all sheets at once: together they stay in budget.
    let mut cells: u64 = 0;
    // The UTF-8 bytes the cells referring to shared strings are given, at most three a
    // character (what a UTF-16 unit or a byte of a code page takes at most).
    let mut text: u64 = 0;
    for start in sheets {
        let mut span: Option<(u16, u16, u16, u16)> = None;
        let mut declared: u64 = 0;
        for BiffRecord { kind, data, .. } in biff_records(&stream, start) {
            if let (
                0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD | 0x0006 | 0x00BD,
                Some(row),
                Some(col),
            ) = (kind, le_u16(data, 0), le_u16(data, 2))
            {
                let last = if kind == 0x00BD {
                    data.len()
                        .checked_sub(2)
                        .and_then(|at| le_u16(data, at))
                        .unwrap_or(col)
                } else {
                    col
                };
                span = Some(match span {
                    None => (row, row, col, last),
                    Some((r0, r1, c0, c1)) => (r0.min(row), r1.max(row), c0.min(col), c1.max(last)),
                });
            }
            if kind == 0x0200 {
                declared = declared.max(declared_cells(data));
            }
            // LabelSst: a row, a column, a format, the shared string's index.
            if kind == 0x00FD {
                let at = le_u32(data, 6).and_then(|i| shared.get(i as usize));
                if let (Some(&chars), Some(row), Some(col)) = (at, le_u16(data, 0), le_u16(data, 2))
                {
                    if chars as usize > MAX_CELL_CHARS {
                        return Err(cell_too_long(
                            path,
                            row as u64 + 1,
                            col as u64 + 1,
                            chars as usize,
                            false,
                        ));
                    }
                    text += 3 * chars as u64;
                    if text > MAX_TEXT_BYTES as u64 {
                        return Err(too_much(path, &text_past(MAX_TEXT_BYTES)));
                    }
                }
            }
            match kind {
                0x0809 if data.len() < 2 => return Err(bad("记录不完整")),
                // Cells (Number, Label, RString, BoolErr, Rk, LabelSst, Formula, MulRk): a row
                // and a column first. calamine lays a sheet out as one dense block as large as
                // its cells span, so a column beyond .xls's 256 is refused.
                0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD | 0x0006 | 0x00BD => {
                    let col = if kind == 0x00BD {
                        // MulRk: a row, the first column, cells, the last column.
                        let first = le_u16(data, 2);
                        let last = data.len().checked_sub(2).and_then(|at| le_u16(data, at));
                        match (first, last) {
                            (Some(f), Some(l)) if data.len() >= 6 && l >= f => Some(l),
                            _ => return Err(bad("单元格记录不完整")),
                        }
                    } else {
                        le_u16(data, 2)
                    };
                    if col.is_some_and(|c| c > 0xFF) {
                        return Err(too_large(
                            path,
                            &format!(
                                "的单元格在第 {} 列（.xls 最多 256 列）",
                                col.unwrap_or(0) as u32 + 1
                            ),
                        ));
                    }
                }
                0x0200 => check_dimensions(path, data)?,
                // MergeCells: a count, then 8 bytes for each range.
                0x00E5 => match le_u16(data, 0) {
                    Some(n) if 2 + n as usize * 8 <= data.len() => {}
                    _ => return Err(bad("合并单元格记录不完整")),
                },
                0x000A => break,
                _ => {}
            }
        }
        let spanned = span.map_or(0, |(r0, r1, c0, c1)| {
            (r1 as u64 - r0 as u64 + 1) * (c1.saturating_sub(c0) as u64 + 1)
        });
        cells += spanned.max(declared);
        if cells > MAX_CELLS as u64 {
            return Err(too_large(
                path,
                &format!("的各工作表合计要占 {cells} 个以上的单元格（最多 {MAX_CELLS} 个）"),
            ));
        }
    }
    Ok(())
}

/// The cells a DIMENSIONS record declares (calamine reserves room for them).
pub(super) fn declared_cells(data: &[u8]) -> u64 {
    let (rows, cols) = match data.len() {
        10 => (
            le_u16(data, 2)
                .zip(le_u16(data, 0))
                .map(|(l, f)| l.saturating_sub(f) as u64),
            le_u16(data, 6)
                .zip(le_u16(data, 4))
                .map(|(l, f)| l.saturating_sub(f) as u64),
        ),
        14 | 16 => (
            le_u32(data, 4)
                .zip(le_u32(data, 0))
                .map(|(l, f)| l.saturating_sub(f) as u64),
            le_u16(data, 10)
                .zip(le_u16(data, 8))
                .map(|(l, f)| l.saturating_sub(f) as u64),
        ),
        _ => (None, None),
    };
    rows.unwrap_or(0).saturating_mul(cols.unwrap_or(0))
}

pub(super) fn le_u16(data: &[u8], at: usize) -> Option<u16> {
    let b = data.get(at..at + 2)?;
    Some(u16::from_le_bytes([b[0], b[1]]))
}

pub(super) fn le_u32(data: &[u8], at: usize) -> Option<u32> {
    let b = data.get(at..at + 4)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// One BIFF record as calamine sees it: its type, its data and the data of the CONTINUE
/// records that follow it.
pub(super) struct BiffRecord<'a> {
    pub(super) kind: u16,
    pub(super) data: &'a [u8],
    pub(super) cont: Vec<&'a [u8]>,
}

/// The BIFF records of `stream` from `start`, grouped with their CONTINUE records exactly as
/// calamine's record iterator groups them; stops where a record does not fit (where calamine
/// stops with an error).
pub(super) fn biff_records(stream: &[u8], start: usize) -> impl Iterator<Item = BiffRecord<'_>> {
    let mut rest = stream.get(start..).unwrap_or(&[]);
    std::iter::from_fn(move || {
        let kind = le_u16(rest, 0)?;
        let len = le_u16(rest, 2)? as usize;
        let data = rest.get(4..4 + len)?;
        rest = &rest[4 + len..];
        let mut cont = Vec::new();
        if rest.len() > 4 && le_u16(rest, 0) == Some(0x003C) {
            while rest.len() > 4 && le_u16(rest, 0) == Some(0x003C) {
                let len = le_u16(rest, 2)? as usize;
                cont.push(rest.get(4..4 + len)?);
                rest = &rest[4 + len..];
            }
        }
        Some(BiffRecord { kind, data, cont })
    })
}

/// Walks a shared-string table (SST) the way calamine reads it and tells whether calamine
/// would index past the data (its string reader reads the rich-text and extension counts, and
/// the first byte of a continued string, without checking). Errors calamine reports itself
/// are fine here. Puts the characters of each string read whole in `chars`.
pub(super) fn sst_strings(data: &[u8], cont: &[&[u8]], chars: &mut Vec<u16>) -> bool {
    let mut chunks = cont.iter().copied();
    let Some(mut d) = data.get(8..) else {
        return true;
    };
    loop {
        if d.is_empty() {
            match chunks.next() {
                Some(next) => d = next,
                None => return true,
            }
            // An empty string at the start of a chunk reads as "" (no bytes consumed).
            if d.is_empty() {
                chars.push(0);
                continue;
            }
        }
        let Some(cch) = le_u16(d, 0) else {
            return true; // calamine: too short, an error
        };
        let Some(&flags) = d.get(2) else {
            return true;
        };
        d = &d[3..];
        let mut runs = 0usize;
        if flags & 0x8 != 0 {
            match le_u16(d, 0) {
                Some(n) => runs = n as usize,
                None => return false,
            }
            d = &d[2..];
        }
        let mut ext = 0usize;
        if flags & 0x4 != 0 {
            match le_u32(d, 0) {
                Some(n) => ext = n as i32 as usize,
                None => return false,
            }
            d = &d[4..];
        }
        // The characters, continued in the next chunk behind a flags byte.
        let mut left = cch as usize;
        let mut wide = flags & 0x1 != 0;
        while left > 0 {
            let n = if wide {
                (d.len() / 2).min(left)
            } else {
                d.len().min(left)
            };
            d = &d[if wide { 2 * n } else { n }..];
            left -= n;
            if left > 0 {
                match chunks.next() {
                    Some(next) => match next.first() {
                        Some(&f) => {
                            wide = f & 0x1 != 0;
                            d = &next[1..];
                        }
                        None => return false, // calamine reads next[0]
                    },
                    None => return true, // calamine: end of stream, an error
                }
            }
        }
        chars.push(cch);
        // Rich-text runs and the extension block are skipped across chunks.
        for mut skip in [runs.saturating_mul(4), ext] {
            while skip > 0 {
                if d.is_empty() {
                    match chunks.next() {
                        Some(next) => d = next,
                        None => return true, // calamine: an error
                    }
                    continue;
                }
                let n = skip.min(d.len());
                d = &d[n..];
                skip -= n;
            }
        }
    }
}

/// Whether calamine can read a Lbl (defined name) record without indexing past it: 14 bytes of
/// header, a formula no longer than the record, and the formula's first token whole.
pub(super) fn name_is_safe(data: &[u8], biff8: bool) -> bool {
    let Some(cce) = le_u16(data, 4) else {
        return false;
    };
    let cce = cce as usize;
    if data.len() < 14 || cce > data.len() {
        return false;
    }
    let rgce = &data[data.len() - cce..];
    let need = match (rgce.first(), biff8) {
        (None, _) => 0,
        (Some(0x3a | 0x5a | 0x7a), true) => 7,
        (Some(0x3a | 0x5a | 0x7a), false) => 18,
        (Some(0x3b | 0x5b | 0x7b), true) => 11,
        (Some(0x3b | 0x5b | 0x7b), false) => 21,
        (Some(0x3c | 0x5c | 0x7c | 0x3d | 0x5d | 0x7d), true) => 3,
        (Some(0x3c | 0x5c | 0x7c | 0x3d | 0x5d | 0x7d), false) => 13,
        _ => 0,
    };
    rgce.len() >= need
}

/// A DIMENSIONS record: rows and columns within what an .xls can hold, first before last.
pub(super) fn check_dimensions(path: &Path, data: &[u8]) -> Result<()> {
    let (first_row, last_row, first_col, last_col) = match data.len() {
        10 => (
            le_u16(data, 0).map(u32::from),
            le_u16(data, 2).map(u32::from),
            le_u16(data, 4),
            le_u16(data, 6),
        ),
        14 | 16 => (
            le_u32(data, 0),
            le_u32(data, 4),
            le_u16(data, 8),
            le_u16(data, 10),
        ),
        // calamine refuses other lengths with an error of its own.
        _ => return Ok(()),
    };
    let (Some(first_row), Some(last_row), Some(first_col), Some(last_col)) =
        (first_row, last_row, first_col, last_col)
    else {
        return Ok(());
    };
    // calamine's reading: the last row and column are one past the end; a first column beyond
    // 255 or past the last counts as 0.
    let first_col = if first_col > 0xFF || last_col < first_col {
        0
    } else {
        first_col
    };
    let rows = last_row.saturating_sub(first_row) as u64;
    let cols = last_col.saturating_sub(first_col) as u64;
    if rows > 65_536 || cols > 256 {
        return Err(too_large(
            path,
            &format!("的工作表声明了 {rows} 行 × {cols} 列（.xls 最多 65536 行 × 256 列）"),
        ));
    }
    if last_row >= 1 && first_row >= last_row {
        return Err(broken(path, "工作表的行范围不对"));
    }
    Ok(())
}
