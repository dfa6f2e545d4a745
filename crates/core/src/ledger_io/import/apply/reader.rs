//! Reading and checking rows on a thread of their own, and the header texts shown in the preview.

use std::path::{Path, PathBuf};

use super::types::{cell_key, ColumnInfo, FastMap, Fnv, RowFlag, RowProblem};
use super::values::{is_ditto, parse_row, Values};
use crate::error::{Error, Result};
use crate::ledger_io::import::headers::{
    find_header, find_header_with, match_header, Field, HeaderMatch,
};
use crate::ledger_io::import::normalize::{self as norm};
use crate::ledger_io::import::read::{Cell, Hidden, NextRow, Rows, Workbook};

pub(super) fn columns_info(headers: &[String], columns: &[Option<Field>]) -> Vec<ColumnInfo> {
    (0..headers.len().max(columns.len()))
        .map(|i| {
            let field = columns.get(i).copied().flatten();
            ColumnInfo {
                index: i,
                header: headers.get(i).cloned().unwrap_or_default(),
                field,
                field_label: field.map(Field::label),
            }
        })
        .collect()
}

/// The header text of each column; for a two-row header, "upper / lower" where both exist.
/// `rows` are the first rows of the sheet (the header is always among them).
pub(super) fn header_texts(rows: &[Vec<Cell>], header: &HeaderMatch) -> Vec<String> {
    let row = |i: usize| -> Vec<String> {
        rows.get(i)
            .map(|r| r.iter().map(|c| norm::clean(&c.text)).collect())
            .unwrap_or_default()
    };
    let mut lower = row(header.header_row);
    // A column named only by the row above (行政村 over a blank cell, see `find_header`).
    if let Some(above) = header.header_row.checked_sub(1).map(row) {
        for (i, field) in header.columns.iter().enumerate() {
            let named_above = above.get(i).filter(|t| {
                field.is_some() && crate::ledger_io::import::headers::match_header(t) == *field
            });
            if let Some(text) = named_above {
                if lower.get(i).is_none_or(|l| l.is_empty()) {
                    lower.resize(lower.len().max(i + 1), String::new());
                    lower[i] = text.clone();
                }
            }
        }
    }
    let two_rows = header.header_row > 0
        && rows.get(header.header_row - 1).is_some_and(|r| {
            r.iter().any(|c| {
                crate::ledger_io::import::headers::match_header(&c.text) == Some(Field::HeadName)
            })
        });
    if !two_rows {
        return lower;
    }
    let mut upper = row(header.header_row - 1);
    let n = upper.len().max(lower.len());
    upper.resize(n, String::new());
    (0..n)
        .map(|i| {
            let l = lower.get(i).cloned().unwrap_or_default();
            if l.is_empty() {
                upper[i].clone()
            } else {
                l
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Reading and checking rows on a thread of their own
//
// The file is parsed on a reader thread, and every row normalised and checked against the rest
// of the file on a check thread, while the database's thread matches and writes the rows
// already checked: the import takes about as long as the slowest of the three instead of their
// sum. Everything the reader and the checks do depends on the file alone; matching and writing
// stay on the database's thread.

/// The rows searched for the header (and one more, for a header of two rows).
pub(super) const HEAD_ROWS: usize = crate::ledger_io::import::headers::HEADER_SEARCH_ROWS + 1;
/// Rows sent to the writer at a time, and how many such batches may wait: the reader runs
/// ahead of the writer with a bounded amount of memory.
pub(super) const BATCH_ROWS: usize = 512;
pub(super) const BATCHES_AHEAD: usize = 256;

/// The sheet the reader chose, with its first rows.
pub(super) struct Opened {
    pub(super) sheet_names: Vec<String>,
    pub(super) chosen: Chosen,
}

pub(super) enum Chosen {
    /// `opts.sheet` names no sheet of the file.
    NoSuchSheet,
    /// The file has no sheets.
    NoSheets,
    Sheet {
        name: String,
        head: Vec<Vec<Cell>>,
        header: Option<HeaderMatch>,
        /// Rows in the sheet as it declares them (for progress; 0 when unknown).
        rows_hint: usize,
    },
}

/// What the reader needs to check rows: decided from the header by the writer's thread.
#[derive(Clone)]
pub(super) struct Plan {
    pub(super) header_row: usize,
    pub(super) columns: Vec<Option<Field>>,
    pub(super) headers: Vec<String>,
    pub(super) default_village: Option<String>,
    pub(super) current_year: i64,
    /// The names written before a village in front of it: the city, district and town.
    pub(super) place_prefixes: Vec<String>,
}

/// One data row after the checks that need only the file.
pub(super) enum Checked {
    Blank,
    /// A 合计 / 小计 row or a note (制表人, 填表说明 …): skipped, with what it said.
    Skipped(RowProblem),
    /// Problems that reject the row (at least one).
    Rejected(Vec<RowProblem>),
    Valid(Box<ValidRow>),
}

pub(super) struct ValidRow {
    pub(super) row: usize,
    pub(super) v: Values,
    pub(super) name: String,
    /// The values left empty 待核实, with what was written.
    pub(super) flags: Vec<RowFlag>,
}

pub(super) enum Msg {
    Opened(Opened),
    Rows(Vec<Checked>),
    End,
    /// The rows of the sheet are stored out of order: read it again, whole.
    Unordered,
    Failed(Error),
    /// A note for the report about the file as a whole (sent before `End`).
    Note(String),
}

/// How applying the rows ended, short of a database error.
pub(super) enum Flow {
    Done,
    Unordered,
    /// The file could not be read to its end (it was fine up to some row).
    Unreadable(Error),
}

/// The reader thread, seen from the writer.
pub(super) struct RowReader {
    pub(super) rx: Option<std::sync::mpsc::Receiver<Msg>>,
    pub(super) plan_tx: Option<std::sync::mpsc::Sender<Plan>>,
    pub(super) handle: Option<std::thread::JoinHandle<()>>,
    pub(super) path: PathBuf,
}

impl RowReader {
    pub(super) fn spawn(path: &Path, sheet: Option<String>, stream: bool) -> RowReader {
        let (tx, rx) = std::sync::mpsc::sync_channel(BATCHES_AHEAD);
        let (plan_tx, plan_rx) = std::sync::mpsc::channel();
        let p = path.to_path_buf();
        let handle = std::thread::Builder::new()
            .name("import-reader".into())
            .spawn(move || {
                if let Err(e) = read_rows(&p, sheet.as_deref(), stream, &tx, &plan_rx) {
                    let _ = tx.send(Msg::Failed(e));
                }
            })
            .expect("start the import reader thread");
        RowReader {
            rx: Some(rx),
            plan_tx: Some(plan_tx),
            handle: Some(handle),
            path: path.to_path_buf(),
        }
    }

    /// The next message; the reader's panic (calamine is third-party code fed untrusted bytes)
    /// becomes the same error a broken file gives.
    pub(super) fn recv(&mut self) -> Msg {
        if let Some(msg) = self.rx.as_ref().and_then(|rx| rx.recv().ok()) {
            return msg;
        }
        if let Some(h) = self.handle.take() {
            if h.join().is_err() {
                crate::ledger_io::import::read::count_caught_panic();
            }
        }
        Msg::Failed(Error::Invalid(format!(
            "文件“{}”无法作为 Excel 表格读取（读取时出错）。文件可能已损坏或没有保存完整；请用 Excel 或 WPS 打开后另存为 .xlsx 再导入。",
            self.path.display()
        )))
    }

    pub(super) fn opened(&mut self) -> Result<Opened> {
        match self.recv() {
            Msg::Opened(o) => Ok(o),
            Msg::Failed(e) => Err(e),
            _ => unreachable!("the reader opens the file first"),
        }
    }

    pub(super) fn start(&mut self, plan: Plan) {
        if let Some(tx) = &self.plan_tx {
            let _ = tx.send(plan);
        }
    }
}

impl Drop for RowReader {
    fn drop(&mut self) {
        // Closing both channels stops the reader at its next send or wait.
        self.rx = None;
        self.plan_tx = None;
        if let Some(h) = self.handle.take() {
            if h.join().is_err() {
                crate::ledger_io::import::read::count_caught_panic();
            }
        }
    }
}

/// Reads up to [`HEAD_ROWS`] rows; `None` when the rows are out of order.
pub(super) fn read_head(rows: &mut Rows) -> Result<Option<Vec<Vec<Cell>>>> {
    let mut head = Vec::new();
    while head.len() < HEAD_ROWS {
        match rows.next_row()? {
            NextRow::Row(r) => head.push(r),
            NextRow::End => break,
            NextRow::Unordered => return Ok(None),
        }
    }
    Ok(Some(head))
}

pub(super) fn texts(rows: &[Vec<Cell>]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| r.iter().map(|c| c.text.clone()).collect())
        .collect()
}

/// The reader thread: opens the file, picks the sheet (the one asked for, else the first with a
/// recognisable header, else the first), sends its first rows, waits for the plan, then checks
/// and sends the data rows in batches. Returns early, quietly, when the writer hangs up.
pub(super) fn read_rows(
    path: &Path,
    sheet: Option<&str>,
    stream: bool,
    tx: &std::sync::mpsc::SyncSender<Msg>,
    plan_rx: &std::sync::mpsc::Receiver<Plan>,
) -> Result<()> {
    let mut book = Workbook::open(path, stream)?;
    let sheet_names = book.sheet_names();
    let opened = |chosen| {
        Msg::Opened(Opened {
            sheet_names: sheet_names.clone(),
            chosen,
        })
    };
    let mut pick: Option<(String, Option<HeaderMatch>)> = None;
    match sheet {
        Some(name) if !sheet_names.iter().any(|s| s == name) => {
            let _ = tx.send(opened(Chosen::NoSuchSheet));
            return Ok(());
        }
        Some(name) => pick = Some((name.to_string(), None)),
        None => {
            for name in &sheet_names {
                let Some(head) = read_head(&mut book.rows(path, name)?)? else {
                    return read_rows(path, sheet, false, tx, plan_rx);
                };
                if let Some(h) = find_header(&texts(&head)) {
                    pick = Some((name.clone(), Some(h)));
                    break;
                }
            }
        }
    }
    let (name, _) = match pick.or_else(|| sheet_names.first().map(|n| (n.clone(), None))) {
        Some(p) => p,
        None => {
            let _ = tx.send(opened(Chosen::NoSheets));
            return Ok(());
        }
    };
    let mut rows = book.rows(path, &name)?;
    let Some(head) = read_head(&mut rows)? else {
        drop(rows);
        return read_rows(path, sheet, false, tx, plan_rx);
    };
    // A hidden column loses to a visible one naming the same field.
    let header = find_header_with(&texts(&head), &|c| rows.hidden().column(c as u32));
    let rows_hint = rows.rows_hint();
    let hidden = rows.hidden().clone();
    let head_len = head.len();
    if tx
        .send(opened(Chosen::Sheet {
            name,
            head: head.clone(),
            header,
            rows_hint,
        }))
        .is_err()
    {
        return Ok(());
    }
    let Ok(plan) = plan_rx.recv() else {
        return Ok(());
    };
    let columns_note = hidden_columns_note(&plan, &hidden);
    // The rows are parsed here and checked on a thread of their own: on two cores the parse,
    // the checks and the writer's matching each get most of a core, and an import takes about
    // as long as the slowest of the three.
    let (raw_tx, raw_rx) = std::sync::mpsc::sync_channel::<Raw>(RAW_AHEAD);
    std::thread::scope(|s| {
        let plan = &plan;
        std::thread::Builder::new()
            .name("import-checks".into())
            .spawn_scoped(s, move || {
                check_rows(path, plan, &hidden.rows, columns_note, &raw_rx, tx)
            })
            .expect("start the import check thread");
        let parsed = parse_rows(&mut rows, head, head_len, plan.header_row, &raw_tx);
        let last = match parsed {
            Ok(Some(last)) => last,
            // The checks hung up: so did the writer.
            Ok(None) => return Ok(()),
            Err(e) => Raw::Failed(e),
        };
        let _ = raw_tx.send(last);
        Ok(())
    })
}

/// Rows parsed, on their way to the checks; how the sheet ended.
enum Raw {
    Rows(Vec<Vec<Cell>>),
    End,
    Unordered,
    Failed(Error),
}

/// Parsed batches that may wait for the checks (which are faster than the parse).
const RAW_AHEAD: usize = 16;

/// Sends the data rows of the head, then the rows below it, in batches; the last message
/// (`None` when the checks hung up).
fn parse_rows(
    rows: &mut Rows,
    head: Vec<Vec<Cell>>,
    head_len: usize,
    header_row: usize,
    raw_tx: &std::sync::mpsc::SyncSender<Raw>,
) -> Result<Option<Raw>> {
    let mut batch: Vec<Vec<Cell>> = head.into_iter().skip(header_row + 1).collect();
    // The rows below the head (when the header row is in the head, all of them are data).
    if head_len == HEAD_ROWS {
        loop {
            match rows.next_row()? {
                NextRow::Row(r) => batch.push(r),
                NextRow::End => break,
                NextRow::Unordered => return Ok(Some(Raw::Unordered)),
            }
            if batch.len() == BATCH_ROWS {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH_ROWS));
                if raw_tx.send(Raw::Rows(full)).is_err() {
                    return Ok(None);
                }
            }
        }
    }
    if !batch.is_empty() && raw_tx.send(Raw::Rows(batch)).is_err() {
        return Ok(None);
    }
    Ok(Some(Raw::End))
}

/// The check thread: checks the parsed rows in order and sends them to the writer, then what
/// the file as a whole needs to say and how the sheet ended. Returns quietly when the writer
/// hangs up.
fn check_rows(
    path: &Path,
    plan: &Plan,
    hidden_rows: &[u32],
    columns_note: Option<String>,
    raw_rx: &std::sync::mpsc::Receiver<Raw>,
    tx: &std::sync::mpsc::SyncSender<Msg>,
) {
    let mut checker = Checker::new(plan);
    // The rows hidden in Excel (from 0) still ahead, and those imported (as Excel numbers them).
    let mut hidden = hidden_rows.iter().copied().peekable();
    let mut hidden_imported: Vec<usize> = Vec::new();
    while let Ok(raw) = raw_rx.recv() {
        let msg = match raw {
            Raw::Rows(rows) => {
                let checked = rows
                    .iter()
                    .map(|cells| {
                        let checked = checker.check(cells);
                        // The row just checked, from 0 as the sheet counts them.
                        let at = (plan.header_row + checker.k) as u32;
                        while hidden.next_if(|&r| r < at).is_some() {}
                        if hidden.next_if_eq(&at).is_some() && matches!(checked, Checked::Valid(_))
                        {
                            hidden_imported.push(at as usize + 1);
                        }
                        checked
                    })
                    .collect();
                match checker.uncalculated.refusal(path, plan) {
                    Some(e) => Msg::Failed(e),
                    None => Msg::Rows(checked),
                }
            }
            Raw::End => {
                let notes = [
                    checker.uncalculated.note(plan),
                    hidden_note(&hidden_imported),
                    columns_note.clone(),
                ];
                for note in notes.into_iter().flatten() {
                    if tx.send(Msg::Note(note)).is_err() {
                        return;
                    }
                }
                Msg::End
            }
            Raw::Unordered => Msg::Unordered,
            Raw::Failed(e) => Msg::Failed(e),
        };
        let last = !matches!(msg, Msg::Rows(_));
        if tx.send(msg).is_err() || last {
            return;
        }
    }
}

/// The note for rows hidden in Excel that were imported (`rows` as Excel numbers them).
fn hidden_note(rows: &[usize]) -> Option<String> {
    if rows.is_empty() {
        return None;
    }
    let shown: Vec<String> = rows.iter().take(10).map(usize::to_string).collect();
    let which = if rows.len() > shown.len() {
        format!("第 {} 行等共 {} 行", shown.join("、"), rows.len())
    } else {
        format!("第 {} 行", shown.join("、"))
    };
    Some(format!(
        "{which}在 Excel 中是隐藏的，已一并导入（隐藏的行常是已经处理过的）。请在 Excel 中取消隐藏，核对这些行是否应当导入。"
    ))
}

/// The note for columns hidden in Excel that fields are imported from (a hidden column loses
/// to a visible one naming the same field, so these are the only ones of their field, or the
/// clerk's choice).
fn hidden_columns_note(plan: &Plan, hidden: &Hidden) -> Option<String> {
    let taken: Vec<String> = plan
        .columns
        .iter()
        .enumerate()
        .filter(|(i, _)| hidden.column(*i as u32))
        .filter_map(|(i, field)| {
            let field = (*field)?;
            let header = plan.headers.get(i).map_or("", String::as_str);
            Some(format!("第 {} 列“{header}”（{}）", i + 1, field.label()))
        })
        .collect();
    if taken.is_empty() {
        return None;
    }
    Some(format!(
        "{}在 Excel 中是隐藏的，已按此导入。请在 Excel 中取消隐藏，核对这些列是否是要导入的内容。",
        taken.join("、")
    ))
}

/// What it takes to find the household a row is about: a formula without its result in one of
/// these columns refuses the file (the rows cannot be told apart); elsewhere it is noted.
const KEY_FIELDS: [Field; 4] = [
    Field::Village,
    Field::Group,
    Field::HeadName,
    Field::IdNumber,
];

/// The imported cells that are formulas saved without their results (see
/// [`Cell::uncalculated`]): read as empty, they are not answers left blank.
#[derive(Default)]
pub(super) struct Uncalculated {
    /// The first row with such a cell in a key column, and those columns.
    key: Option<(usize, Vec<usize>)>,
    /// Each other column with such cells: (column, how many, the first row).
    answers: Vec<(usize, usize, usize)>,
}

impl Uncalculated {
    /// Notes the cells of `row` that are formulas without results, in the imported columns.
    fn count(&mut self, plan: &Plan, cells: &[Cell], row: usize) {
        let mut keys = Vec::new();
        for (i, cell) in cells.iter().enumerate() {
            let Some(field) = plan.columns.get(i).copied().flatten() else {
                continue;
            };
            if !cell.uncalculated {
                continue;
            }
            if KEY_FIELDS.contains(&field) {
                keys.push(i);
            } else if let Some(seen) = self.answers.iter_mut().find(|(c, _, _)| *c == i) {
                seen.1 += 1;
            } else {
                self.answers.push((i, 1, row));
            }
        }
        if !keys.is_empty() && self.key.is_none() {
            self.key = Some((row, keys));
        }
    }

    /// The columns' headers, each in quotes.
    fn named(plan: &Plan, cols: impl Iterator<Item = usize>) -> String {
        cols.map(|i| {
            let header = plan.headers.get(i).map(String::as_str).unwrap_or_default();
            let field = plan.columns.get(i).copied().flatten();
            let shown = match field {
                Some(f) if header.is_empty() => f.label(),
                _ => header,
            };
            format!("“{shown}”")
        })
        .collect()
    }

    /// The file refused: a key column is formulas without results.
    fn refusal(&self, path: &Path, plan: &Plan) -> Option<Error> {
        let (row, cols) = self.key.as_ref()?;
        Some(Error::Invalid(format!(
            "文件“{}”第 {row} 行的{}是公式，文件里没有保存计算结果，读出来是空的，没有导入。这样的文件通常是其他程序生成、没有在 Excel 中保存过的。请在 Excel（或 WPS）中打开该文件、保存后再导入。",
            path.display(),
            Uncalculated::named(plan, cols.iter().copied())
        )))
    }

    /// The note for the report: answer columns with formulas without results.
    fn note(&self, plan: &Plan) -> Option<String> {
        let first = self.answers.iter().map(|(_, _, row)| *row).min()?;
        let total: usize = self.answers.iter().map(|(_, n, _)| n).sum();
        Some(format!(
            "{}列有 {total} 个单元格是公式，文件里没有保存计算结果（第 {first} 行起），这些单元格没有导入（已有的内容不变）。这样的文件通常是其他程序生成、没有在 Excel 中保存过的：请在 Excel（或 WPS）中打开该文件、保存后再导入。",
            Uncalculated::named(plan, self.answers.iter().map(|(c, _, _)| *c))
        ))
    }
}

/// Row labels of totals: a cell that is one of these, or (outside the 户主 column) ends with one
/// (石鱼村合计, 3社小计).
const TOTAL_WORDS: [&str; 5] = ["合计", "小计", "总计", "共计", "累计"];
/// How notes above a ledger's signatures and its instructions begin.
const NOTE_STARTS: [&str; 22] = [
    "制表人",
    "制表单位",
    "制表日期",
    "制表时间",
    "填表人",
    "填报人",
    "填表单位",
    "填报单位",
    "填表日期",
    "填报日期",
    "审核人",
    "负责人",
    "分管领导",
    "联系人",
    "联系电话",
    "填表说明",
    "填报说明",
    "说明：",
    "说明:",
    "注：",
    "注:",
    "备注：",
];

/// Whether the text of a 户主 cell is a total rather than a name: 合计, 小计（2户）, 合计：3户,
/// 共2户, 2户 (a name never starts with a total word followed by a count, nor is a count of
/// households; 王小计 is a name).
fn is_total_in_name_column(text: &str) -> bool {
    let counted = |rest: &str| {
        rest.is_empty()
            || rest.starts_with([':', '：', '(', '（'])
            || rest.starts_with(|c: char| c.is_ascii_digit() || ('０'..='９').contains(&c))
    };
    if TOTAL_WORDS
        .iter()
        .chain(&["共"])
        .any(|w| text.strip_prefix(w).is_some_and(counted))
    {
        return true;
    }
    // 2户, 共计 12 户: digits and 户 only.
    let digits = text.trim_end_matches('户').trim_start_matches(['共', '计']);
    text.ends_with('户')
        && !digits.is_empty()
        && digits
            .chars()
            .all(|c| c.is_ascii_digit() || ('０'..='９').contains(&c))
}

/// Whether a row is a total or a note rather than a household: judged by its first non-empty
/// cell (and its 户主 cell for totals). Returns the message that says what was skipped.
pub(super) fn note_row(cells: &[Cell], columns: &[Option<Field>]) -> Option<String> {
    let squeeze = |c: &Cell| -> String {
        c.text
            .chars()
            .filter(|ch| !ch.is_whitespace())
            .collect::<String>()
            .trim_end_matches([':', '：'])
            .to_string()
    };
    let (first_col, first) = cells
        .iter()
        .enumerate()
        .map(|(i, c)| (i, squeeze(c)))
        .find(|(_, t)| !t.is_empty())?;
    let head_col = columns.iter().position(|f| *f == Some(Field::HeadName));
    let shown: String = first.chars().take(20).collect();
    // 合计, 石鱼村小计 (not in the 户主 column: 王小计 is a name), 合计：56户, 合计（3个村）.
    let total = TOTAL_WORDS.iter().any(|w| {
        first == *w
            || (Some(first_col) != head_col && first.ends_with(w))
            || first.strip_prefix(w).is_some_and(|rest| {
                rest.starts_with([':', '：', '(', '（'])
                    || rest.starts_with(|c: char| c.is_ascii_digit())
            })
    }) || head_col
        .and_then(|i| cells.get(i))
        .is_some_and(|c| is_total_in_name_column(&squeeze(c)));
    if total {
        return Some(format!("合计行（“{shown}”），不是农户，已跳过"));
    }
    // The header again, above the next village's block: 户主 (or 户主姓名, 姓名) in the 户主
    // column. (One look-up a row: the other cells are not read unless it is.)
    let repeated_header = head_col
        .and_then(|i| cells.get(i))
        .is_some_and(|c| match_header(&c.text) == Some(Field::HeadName));
    if repeated_header {
        let shown: String = cells
            .iter()
            .map(|c| c.text.trim())
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .take(30)
            .collect();
        return Some(format!("重复的表头行（“{shown}”），不是农户，已跳过"));
    }
    let raw: String = cells[first_col]
        .text
        .chars()
        .filter(|ch| !ch.is_whitespace())
        .collect();
    // 村负责人：, 单位（盖章）: a signature line anywhere in the first cell.
    let signs = [
        "负责人：",
        "负责人:",
        "审核：",
        "审核:",
        "（盖章）",
        "(盖章)",
    ];
    if NOTE_STARTS.iter().any(|w| raw.starts_with(w)) || signs.iter().any(|w| raw.contains(w)) {
        return Some(format!("表格说明或签字行（“{shown}”），不是农户，已跳过"));
    }
    None
}

/// The checks of a row that need only the file: blank and duplicate rows, every cell's value,
/// the required fields, and one ID number given to two different names.
pub(super) struct Checker<'p> {
    pub(super) plan: &'p Plan,
    pub(super) mapped_cols: Vec<usize>,
    /// Whether each column is imported or a row number (序号): the other columns (备注 …)
    /// also tell two rows apart.
    pub(super) not_compared: Vec<bool>,
    /// The 与户主关系 column of a roster of people (a row per family member), if any.
    pub(super) relation_col: Option<usize>,
    /// The row's mapped cells as compared for duplicates, for every row so far: one string
    /// (see [`Checker::key`]) and each row's span of it.
    pub(super) keys: String,
    pub(super) spans: Vec<(usize, usize)>,
    /// Rows by the hash of their key; equal hashes are compared in full.
    pub(super) seen_rows: FastMap<u64, Vec<usize>>,
    /// The first row of each ID number, with its head's name and its place (村社).
    pub(super) seen_ids: FastMap<String, (usize, String, String)>,
    pub(super) k: usize,
    /// The place of the row above, for a "同上" under 行政村 or 社.
    pub(super) last_village: Option<String>,
    pub(super) last_group: Option<norm::GroupName>,
    /// The imported cells that are formulas without their results.
    pub(super) uncalculated: Uncalculated,
}

impl<'p> Checker<'p> {
    pub(super) fn new(plan: &'p Plan) -> Checker<'p> {
        Checker {
            plan,
            mapped_cols: plan
                .columns
                .iter()
                .enumerate()
                .filter(|(_, f)| f.is_some())
                .map(|(i, _)| i)
                .collect(),
            not_compared: plan
                .columns
                .iter()
                .zip(
                    plan.headers
                        .iter()
                        .map(String::as_str)
                        .chain(std::iter::repeat("")),
                )
                .map(|(f, h)| f.is_some() || crate::ledger_io::import::headers::is_row_number(h))
                .collect(),
            relation_col: plan.headers.iter().position(|h| {
                matches!(
                    crate::ledger_io::import::headers::header_key(h).as_str(),
                    "与户主关系" | "与户主的关系" | "家庭关系" | "成员关系"
                )
            }),
            keys: String::new(),
            spans: Vec::new(),
            seen_rows: FastMap::default(),
            seen_ids: FastMap::default(),
            k: 0,
            last_village: None,
            last_group: None,
            uncalculated: Uncalculated::default(),
        }
    }

    /// The header of the column holding `f`, or the field's name.
    pub(super) fn col(&self, f: Field) -> String {
        column_header(&self.plan.columns, &self.plan.headers, f)
    }

    pub(super) fn check(&mut self, cells: &[Cell]) -> Checked {
        let k = self.k;
        self.k += 1;
        let row = self.plan.header_row + 2 + k;
        if cells.iter().any(|c| c.uncalculated) {
            self.uncalculated.count(self.plan, cells, row);
        }
        let member = self
            .relation_col
            .and_then(|i| cells.get(i))
            .map(|c| norm::clean(&c.text))
            .filter(|r| !r.is_empty() && !matches!(r.as_str(), "户主" | "本人" | "户主本人"))
            .map(|r| format!("家庭成员的行（与户主关系：{r}），不是户主，已跳过"));
        if let Some(message) = note_row(cells, &self.plan.columns).or(member) {
            self.spans.push((self.keys.len(), self.keys.len()));
            return Checked::Skipped(RowProblem {
                row,
                column: String::new(),
                message,
            });
        }
        // The key: each mapped cell's comparison characters, NUL escaped as NUL 1 and each cell
        // ended by NUL NUL, so two rows have equal keys exactly when every cell compares equal.
        let start = self.keys.len();
        let mut blank = true;
        for &i in &self.mapped_cols {
            for c in cell_key(cells.get(i)) {
                blank = false;
                self.keys.push(c);
                if c == '\0' {
                    self.keys.push('\u{1}');
                }
            }
            self.keys.push_str("\0\0");
        }
        if blank {
            self.keys.truncate(start);
            self.spans.push((start, start));
            return Checked::Blank;
        }
        // Then the other filled cells (备注 …), each after its column's number.
        for (i, cell) in cells.iter().enumerate() {
            if self.not_compared.get(i).copied().unwrap_or(false)
                || cell_key(Some(cell)).next().is_none()
            {
                continue;
            }
            self.keys.push_str(&format!("\0\u{2}{i}\0\0"));
            for c in cell_key(Some(cell)) {
                self.keys.push(c);
                if c == '\0' {
                    self.keys.push('\u{1}');
                }
            }
            self.keys.push_str("\0\0");
        }
        let key = &self.keys[start..];
        let mut hasher = Fnv::default();
        std::hash::Hasher::write(&mut hasher, key.as_bytes());
        let hash = std::hash::Hasher::finish(&hasher);
        let same_as = self.seen_rows.get(&hash).and_then(|earlier| {
            earlier.iter().copied().find(|&j| {
                let (a, b) = self.spans[j];
                self.keys[a..b] == *key
            })
        });
        if let Some(j) = same_as {
            self.keys.truncate(start);
            self.spans.push((start, start));
            let first = self.plan.header_row + 2 + j;
            return Checked::Rejected(vec![RowProblem {
                row,
                column: String::new(),
                message: format!("与第 {first} 行完全相同（重复行），已跳过"),
            }]);
        }
        self.spans.push((start, self.keys.len()));
        self.seen_rows.entry(hash).or_default().push(k);

        let plan = self.plan;
        let (mut v, flags) = parse_row(cells, &plan.columns, &plan.headers, row, plan.current_year);
        let mut problems = Vec::new();
        if v.village.is_none() {
            v.village = plan.default_village.as_deref().and_then(norm::village);
        }
        let ditto = |f: Field| {
            plan.columns
                .iter()
                .position(|c| *c == Some(f))
                .and_then(|i| cells.get(i))
                .is_some_and(|c| is_ditto(&c.text))
        };
        if ditto(Field::Village) {
            v.village = self.last_village.clone();
        }
        if ditto(Field::Group) {
            v.group = self.last_group.clone();
        }
        // "石鱼镇石鱼村", "石鱼村3社": the village and the 社 without the places written before them.
        if let Some(written) = &v.village {
            let bare = norm::without_prefixes(written, &plan.place_prefixes);
            if bare.len() < written.len() {
                v.village = norm::village(bare);
            }
        }
        if let (Some(g), Some(village)) = (v.group.take(), &v.village) {
            v.group = Some(norm::group_in_village(g, village, &plan.place_prefixes));
        }
        self.last_village = v.village.clone();
        self.last_group = v.group.clone();
        let reject = |problems: &mut Vec<RowProblem>, column: String, message: String| {
            problems.push(RowProblem {
                row,
                column,
                message,
            });
        };
        let Some(name) = v.head_name.clone() else {
            reject(
                &mut problems,
                self.col(Field::HeadName),
                "缺少户主姓名".into(),
            );
            return Checked::Rejected(with_flags(problems, flags));
        };
        if v.village.is_none() {
            reject(&mut problems, self.col(Field::Village), "缺少行政村".into());
        }
        if v.group.is_none() {
            reject(
                &mut problems,
                self.col(Field::Group),
                "缺少社（村民小组）".into(),
            );
        }
        if let Some(idn) = &v.id_number {
            // Where the row puts the household: its village as `norm::village` wrote it (石鱼 =
            // 石鱼村 = 石鱼村委会) and its 社 (一社 = 1社).
            let place = format!(
                "{}{}",
                v.village.as_deref().unwrap_or_default(),
                v.group
                    .as_ref()
                    .map(|g| g.name.as_str())
                    .unwrap_or_default()
            );
            match self.seen_ids.get(idn) {
                Some((first, other, _)) if *other != name => reject(
                    &mut problems,
                    self.col(Field::IdNumber),
                    format!("身份证号与第 {first} 行相同，但户主姓名不同（“{other}”和“{name}”），请核对是哪一户"),
                ),
                Some((first, _, there)) if *there != place => reject(
                    &mut problems,
                    self.col(Field::IdNumber),
                    format!("身份证号与第 {first} 行相同，但第 {first} 行在{there}、本行在{place}：同一户不能在两个地方，请核对"),
                ),
                Some(_) => {}
                None => {
                    self.seen_ids.insert(idn.clone(), (row, name.clone(), place));
                }
            }
        }
        if !problems.is_empty() {
            return Checked::Rejected(with_flags(problems, flags));
        }
        Checked::Valid(Box::new(ValidRow {
            row,
            v,
            name,
            flags,
        }))
    }
}

/// A rejected row's problems: why it is left out, then every value that would have been
/// 待核实 (the village fixes them all at once).
pub(super) fn with_flags(mut problems: Vec<RowProblem>, flags: Vec<RowFlag>) -> Vec<RowProblem> {
    problems.extend(flags.into_iter().map(|f| RowProblem {
        row: f.row,
        column: f.column,
        message: f.message,
    }));
    problems
}

/// The header of the column holding `f`, or the field's name when no column does.
pub(super) fn column_header(columns: &[Option<Field>], headers: &[String], f: Field) -> String {
    columns
        .iter()
        .position(|c| *c == Some(f))
        .and_then(|i| headers.get(i).cloned())
        .unwrap_or_else(|| f.label().into())
}
