//! Turning the rows of an import file into households and toilets: parse and validate every row,
//! match it to the database (by ID number, else by 户主 + 行政村 + 社), and insert or update,
//! recording every changed field as old → new in `change_log`.
//!
//! A dry run and a commit run the same code inside one transaction; the dry run rolls it back,
//! so the preview is exactly what the commit will do. A commit takes a verified backup first.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rusqlite::types::Value;
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::Serialize;

use super::headers::{find_header, Field, HeaderMatch};
use super::normalize::{self as norm, GroupName};
use super::read::{read_file, Cell, NextRow, Rows, Workbook};
use crate::error::{Error, Result};
use crate::model::{
    BaselineSource, HouseholdCategory, Location, NewHousehold, NewToilet, TechMode, UseStatus,
};
use crate::places::households;
use crate::{search_keys, store::backup};

/// FNV-1a: a fast, deterministic hasher for the import's in-memory indexes (the keys are our
/// own data, so SipHash's protection against crafted keys buys nothing here and costs time).
#[derive(Default, Clone, Copy)]
struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= *b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<Fnv>>;
type FastSet<K> = std::collections::HashSet<K, std::hash::BuildHasherDefault<Fnv>>;

/// The text of a cell as compared for duplicate rows (spaces and full-width differences ignored).
fn cell_key(cell: Option<&Cell>) -> impl Iterator<Item = char> + '_ {
    super::headers::key_chars(cell.map(|c| c.text.as_str()).unwrap_or(""))
}

/// What the user chose for this import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The sheet to read; by default the first sheet with a recognisable header.
    pub sheet: Option<String>,
    /// The column → field mapping as corrected by the user; by default the detected one.
    pub columns: Option<Vec<Option<Field>>>,
    /// The village of every row when the file has no 行政村 column (a file per village).
    pub default_village: Option<String>,
    /// Create villages and 社 the database does not have yet (the first import of a town).
    pub create_places: bool,
    /// Who imports (recorded with every change).
    pub actor: String,
    /// ISO timestamp of the import.
    pub now: String,
    /// Years after this are refused as implausible.
    pub current_year: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    DryRun,
    /// Apply, after a verified backup into `backup_dir`.
    Commit {
        backup_dir: PathBuf,
        stamp: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnInfo {
    pub index: usize,
    pub header: String,
    pub field: Option<Field>,
    pub field_label: Option<&'static str>,
}

/// One problem of one row, in the words of the person who has to fix it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowProblem {
    /// The spreadsheet's row number (1-based, as Excel shows it).
    pub row: usize,
    /// The column header, or empty when the problem is the whole row.
    pub column: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportReport {
    pub file_name: String,
    pub sheet_name: String,
    pub sheets: Vec<String>,
    /// 1-based row of the (last) header row.
    pub header_row: usize,
    pub columns: Vec<ColumnInfo>,
    pub rows_total: usize,
    pub rows_blank: usize,
    pub rows_rejected: usize,
    pub households_new: usize,
    pub households_updated: usize,
    pub households_unchanged: usize,
    pub toilets_new: usize,
    pub toilets_updated: usize,
    pub toilets_unchanged: usize,
    pub fields_changed: usize,
    pub new_villages: Vec<String>,
    pub new_groups: Vec<String>,
    pub problems: Vec<RowProblem>,
    /// The columns came from a mapping saved when a file with the same header was imported.
    pub used_saved_mapping: bool,
    pub committed: bool,
    pub backup_path: Option<String>,
    pub batch_id: Option<i64>,
}

/// The parsed values of one row; `None` means the cell was empty or the column absent.
#[derive(Debug, Clone, Default, PartialEq)]
struct Values {
    village: Option<String>,
    group: Option<GroupName>,
    head_name: Option<String>,
    id_number: Option<String>,
    phone: Option<String>,
    address: Option<String>,
    registered_pop: Option<i64>,
    resident_pop: Option<i64>,
    category: Option<HouseholdCategory>,
    is_resident: Option<bool>,
    tech_mode: Option<TechMode>,
    location: Option<Location>,
    build_year: Option<i64>,
    subsidized: Option<bool>,
    subsidy_year: Option<i64>,
    subsidy_amount_fen: Option<i64>,
    project_name: Option<String>,
    is_sanitary: Option<bool>,
    use_status: Option<UseStatus>,
}

impl Values {
    fn has_toilet(&self) -> bool {
        self.tech_mode.is_some()
            || self.location.is_some()
            || self.build_year.is_some()
            || self.subsidized.is_some()
            || self.subsidy_year.is_some()
            || self.subsidy_amount_fen.is_some()
            || self.project_name.is_some()
            || self.is_sanitary.is_some()
            || self.use_status.is_some()
    }
}

/// A value to store in one column, with how a person reads it (for the change log).
struct FieldValue {
    column: &'static str,
    label: &'static str,
    value: Value,
    display: String,
}

fn text(column: &'static str, label: &'static str, v: &Option<String>) -> Option<FieldValue> {
    v.as_ref().map(|s| FieldValue {
        column,
        label,
        value: Value::Text(s.clone()),
        display: s.clone(),
    })
}

fn int(
    column: &'static str,
    label: &'static str,
    v: Option<i64>,
    unit: &str,
) -> Option<FieldValue> {
    v.map(|n| FieldValue {
        column,
        label,
        value: Value::Integer(n),
        display: format!("{n}{unit}"),
    })
}

fn flag(column: &'static str, label: &'static str, v: Option<bool>) -> Option<FieldValue> {
    v.map(|b| FieldValue {
        column,
        label,
        value: Value::Integer(b as i64),
        display: (if b { "是" } else { "否" }).into(),
    })
}

fn code(
    column: &'static str,
    label: &'static str,
    v: Option<(&'static str, &'static str)>,
) -> Option<FieldValue> {
    v.map(|(c, l)| FieldValue {
        column,
        label,
        value: Value::Text(c.into()),
        display: l.into(),
    })
}

fn yuan(fen: i64) -> String {
    if fen % 100 == 0 {
        format!("{}元", fen / 100)
    } else {
        format!("{:.2}元", fen as f64 / 100.0)
    }
}

fn household_fields(v: &Values) -> Vec<FieldValue> {
    [
        text("head_name", "户主姓名", &v.head_name),
        text("id_number", "身份证号", &v.id_number),
        text("phone", "联系电话", &v.phone),
        text("address", "住址", &v.address),
        int("registered_pop", "户籍人口", v.registered_pop, "人"),
        int("resident_pop", "常住人口", v.resident_pop, "人"),
        code(
            "category",
            "户类别",
            v.category.map(|c| (c.code(), c.label())),
        ),
        flag("is_resident", "是否常住", v.is_resident),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn toilet_fields(v: &Values) -> Vec<FieldValue> {
    [
        code(
            "tech_mode",
            "技术模式",
            v.tech_mode.map(|m| (m.code(), m.label())),
        ),
        code(
            "location",
            "厕所位置",
            v.location.map(|m| (m.code(), m.label())),
        ),
        int("build_year", "建设（改造）年度", v.build_year, "年"),
        flag("subsidized", "是否财政补助", v.subsidized),
        int("subsidy_year", "补助年度", v.subsidy_year, "年"),
        v.subsidy_amount_fen.map(|f| FieldValue {
            column: "subsidy_amount_fen",
            label: "补助金额",
            value: Value::Integer(f),
            display: yuan(f),
        }),
        text("project_name", "项目名称", &v.project_name),
        flag("is_sanitary", "是否卫生厕所", v.is_sanitary),
        code(
            "use_status",
            "使用状态",
            v.use_status.map(|m| (m.code(), m.label())),
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// How a stored value reads in the change log (codes become labels).
fn display_stored(column: &str, v: &Value) -> Option<String> {
    let s = match v {
        Value::Null => return None,
        Value::Integer(n) => match column {
            "subsidized" | "is_sanitary" | "is_resident" => {
                (if *n != 0 { "是" } else { "否" }).to_string()
            }
            "subsidy_amount_fen" => yuan(*n),
            "build_year" | "subsidy_year" => format!("{n}年"),
            "registered_pop" | "resident_pop" => format!("{n}人"),
            _ => n.to_string(),
        },
        Value::Text(t) => match column {
            "tech_mode" => TechMode::from_code(t)
                .map(|m| m.label().to_string())
                .unwrap_or_else(|| t.clone()),
            "location" => Location::from_code(t)
                .map(|m| m.label().to_string())
                .unwrap_or_else(|| t.clone()),
            "use_status" => UseStatus::from_code(t)
                .map(|m| m.label().to_string())
                .unwrap_or_else(|| t.clone()),
            "category" => HouseholdCategory::from_code(t)
                .map(|m| m.label().to_string())
                .unwrap_or_else(|| t.clone()),
            _ => t.clone(),
        },
        Value::Real(f) => f.to_string(),
        Value::Blob(_) => "（二进制）".to_string(),
    };
    Some(s)
}

/// Parses one row; problems name the column by its header.
fn parse_row(
    cells: &[Cell],
    columns: &[Option<Field>],
    headers: &[String],
    row: usize,
    year_max: i64,
) -> (Values, Vec<RowProblem>) {
    let mut v = Values::default();
    let mut problems = Vec::new();
    for (i, field) in columns.iter().enumerate() {
        let Some(field) = field else { continue };
        let cell = cells.get(i).cloned().unwrap_or_default();
        let t = cell.text.as_str();
        let mut fail = |msg: String| {
            problems.push(RowProblem {
                row,
                column: headers.get(i).cloned().unwrap_or_default(),
                message: msg,
            })
        };
        let masked = t.contains('*');
        match field {
            Field::Village => v.village = norm::village(t),
            Field::Group => v.group = norm::group(t),
            Field::HeadName => v.head_name = norm::name(t),
            // A masked value (from a masked export) means "not given", never a wrong value.
            Field::IdNumber if masked => {}
            Field::IdNumber => match norm::id_number(t, cell.numeric) {
                Ok(x) => v.id_number = x,
                Err(p) => fail(p.message(&norm::clean(t))),
            },
            Field::Phone if masked => {}
            Field::Phone => match norm::phone(t) {
                Ok(x) => v.phone = x,
                Err(m) => fail(m),
            },
            Field::Address => v.address = Some(norm::clean(t)).filter(|s| !s.is_empty()),
            Field::ProjectName => v.project_name = Some(norm::clean(t)).filter(|s| !s.is_empty()),
            Field::RegisteredPop => norm::people(t)
                .map(|x| v.registered_pop = x)
                .unwrap_or_else(&mut fail),
            Field::ResidentPop => norm::people(t)
                .map(|x| v.resident_pop = x)
                .unwrap_or_else(&mut fail),
            Field::Category => norm::category(t)
                .map(|x| v.category = x)
                .unwrap_or_else(&mut fail),
            Field::IsResident => norm::yes_no(t)
                .map(|x| v.is_resident = x)
                .unwrap_or_else(&mut fail),
            Field::TechMode => norm::tech_mode(t)
                .map(|x| v.tech_mode = x)
                .unwrap_or_else(&mut fail),
            Field::Location => norm::location(t)
                .map(|x| v.location = x)
                .unwrap_or_else(&mut fail),
            Field::BuildYear => norm::year(t, year_max)
                .map(|x| v.build_year = x)
                .unwrap_or_else(&mut fail),
            Field::Subsidized => norm::yes_no(t)
                .map(|x| v.subsidized = x)
                .unwrap_or_else(&mut fail),
            Field::SubsidyYear => norm::year(t, year_max)
                .map(|x| v.subsidy_year = x)
                .unwrap_or_else(&mut fail),
            Field::SubsidyAmount => norm::amount_fen(t)
                .map(|x| v.subsidy_amount_fen = x)
                .unwrap_or_else(&mut fail),
            Field::IsSanitary => norm::yes_no(t)
                .map(|x| v.is_sanitary = x)
                .unwrap_or_else(&mut fail),
            Field::UseStatus => norm::use_status(t)
                .map(|x| v.use_status = x)
                .unwrap_or_else(&mut fail),
        }
    }
    // A subsidy year or amount means the toilet was subsidised, even without a 是否财政补助 column
    // (the 2013年以来享受财政补助 ledger often has none).
    if v.subsidized.is_none() && (v.subsidy_year.is_some() || v.subsidy_amount_fen.is_some()) {
        v.subsidized = Some(true);
    }
    let header_of = |f: Field| {
        columns
            .iter()
            .position(|c| *c == Some(f))
            .and_then(|i| headers.get(i).cloned())
            .unwrap_or_else(|| f.label().to_string())
    };
    if let Some(y) = v.subsidy_year.filter(|y| *y < 2013) {
        problems.push(RowProblem {
            row,
            column: header_of(Field::SubsidyYear),
            message: format!(
                "补助年度 {y} 年早于 2013 年：本台账只登记 2013 年以来的财政补助，请核对"
            ),
        });
    }
    if let (Some(r), Some(res)) = (v.registered_pop, v.resident_pop) {
        if res > r + 20 {
            problems.push(RowProblem {
                row,
                column: header_of(Field::ResidentPop),
                message: format!("常住人口 {res} 人远多于户籍人口 {r} 人，请核对"),
            });
        }
    }
    (v, problems)
}

/// The household a row belongs to, as far as this file is concerned.
struct FileHousehold {
    toilet_rows: i64,
    new: bool,
    changed: bool,
}

struct Places {
    villages: FastMap<String, i64>,
    /// (village_id, number) → group id, and (village_id, name) → group id.
    by_number: FastMap<(i64, i64), i64>,
    by_name: FastMap<(i64, String), i64>,
    names: FastMap<i64, String>,
}

impl Places {
    fn load(conn: &Connection) -> Result<Places> {
        let mut p = Places {
            villages: FastMap::default(),
            by_number: FastMap::default(),
            by_name: FastMap::default(),
            names: FastMap::default(),
        };
        let mut stmt = conn.prepare("SELECT id, name FROM villages")?;
        for r in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))? {
            let (id, name) = r?;
            p.villages.insert(name, id);
        }
        let mut stmt = conn.prepare("SELECT g.id, g.village_id, g.name, g.number, v.name FROM village_groups g JOIN villages v ON v.id = g.village_id")?;
        for r in stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<i64>>(3)?,
                r.get::<_, String>(4)?,
            ))
        })? {
            let (id, village, name, number, vname) = r?;
            if let Some(n) = number {
                p.by_number.insert((village, n), id);
            }
            p.names.insert(id, format!("{vname}{name}"));
            p.by_name.insert((village, name), id);
        }
        Ok(p)
    }
}

struct Households {
    count: usize,
    by_id_number: FastMap<String, i64>,
    by_name: FastMap<(i64, String), Vec<i64>>,
    /// Households that have an ID number on record.
    with_id: FastSet<i64>,
}

impl Households {
    fn load(conn: &Connection) -> Result<Households> {
        let mut h = Households {
            count: 0,
            by_id_number: FastMap::default(),
            by_name: FastMap::default(),
            with_id: FastSet::default(),
        };
        let mut stmt = conn.prepare("SELECT id, group_id, head_name, id_number FROM households")?;
        for r in stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
            ))
        })? {
            let (id, group, name, idn) = r?;
            h.count += 1;
            if let Some(idn) = idn {
                h.by_id_number.insert(idn, id);
                h.with_id.insert(id);
            }
            h.by_name.entry((group, name)).or_default().push(id);
        }
        Ok(h)
    }
}

fn columns_info(headers: &[String], columns: &[Option<Field>]) -> Vec<ColumnInfo> {
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
fn header_texts(rows: &[Vec<Cell>], header: &HeaderMatch) -> Vec<String> {
    let row = |i: usize| -> Vec<String> {
        rows.get(i)
            .map(|r| r.iter().map(|c| norm::clean(&c.text)).collect())
            .unwrap_or_default()
    };
    let lower = row(header.header_row);
    let two_rows = header.header_row > 0
        && rows.get(header.header_row - 1).is_some_and(|r| {
            r.iter()
                .any(|c| super::headers::match_header(&c.text) == Some(Field::HeadName))
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
// The file is parsed, and every row normalised and checked against the rest of the file, on a
// reader thread while this thread backs the database up and writes the rows already checked:
// the import takes about as long as the slower of the two instead of their sum. Everything the
// reader does depends on the file alone; matching and writing stay on the database's thread.

/// The rows searched for the header (and one more, for a header of two rows).
const HEAD_ROWS: usize = super::headers::HEADER_SEARCH_ROWS + 1;
/// Rows sent to the writer at a time, and how many such batches may wait: the reader runs
/// ahead while the backup is taken, with a bounded amount of memory.
const BATCH_ROWS: usize = 512;
const BATCHES_AHEAD: usize = 256;

/// The sheet the reader chose, with its first rows.
struct Opened {
    sheet_names: Vec<String>,
    chosen: Chosen,
}

enum Chosen {
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
struct Plan {
    header_row: usize,
    columns: Vec<Option<Field>>,
    headers: Vec<String>,
    default_village: Option<String>,
    current_year: i64,
}

/// One data row after the checks that need only the file.
enum Checked {
    Blank,
    /// Problems that reject the row (at least one).
    Rejected(Vec<RowProblem>),
    Valid(Box<ValidRow>),
}

struct ValidRow {
    row: usize,
    v: Values,
    name: String,
}

enum Msg {
    Opened(Opened),
    Rows(Vec<Checked>),
    End,
    /// The rows of the sheet are stored out of order: read it again, whole.
    Unordered,
    Failed(Error),
}

/// How applying the rows ended, short of a database error.
enum Flow {
    Done,
    Unordered,
    /// The file could not be read to its end (it was fine up to some row).
    Unreadable(Error),
}

/// The reader thread, seen from the writer.
struct RowReader {
    rx: Option<std::sync::mpsc::Receiver<Msg>>,
    plan_tx: Option<std::sync::mpsc::Sender<Plan>>,
    handle: Option<std::thread::JoinHandle<()>>,
    path: PathBuf,
}

impl RowReader {
    fn spawn(path: &Path, sheet: Option<String>, stream: bool) -> RowReader {
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
    fn recv(&mut self) -> Msg {
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

    fn opened(&mut self) -> Result<Opened> {
        match self.recv() {
            Msg::Opened(o) => Ok(o),
            Msg::Failed(e) => Err(e),
            _ => unreachable!("the reader opens the file first"),
        }
    }

    fn start(&mut self, plan: Plan) {
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
fn read_head(rows: &mut Rows) -> Result<Option<Vec<Vec<Cell>>>> {
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

fn texts(rows: &[Vec<Cell>]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| r.iter().map(|c| c.text.clone()).collect())
        .collect()
}

/// The reader thread: opens the file, picks the sheet (the one asked for, else the first with a
/// recognisable header, else the first), sends its first rows, waits for the plan, then checks
/// and sends the data rows in batches. Returns early, quietly, when the writer hangs up.
fn read_rows(
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
    let header = find_header(&texts(&head));
    let rows_hint = rows.rows_hint();
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
    let mut checker = Checker::new(&plan);
    let mut batch = Vec::with_capacity(BATCH_ROWS);
    let send = |batch: &mut Vec<Checked>| -> bool {
        let full = std::mem::replace(batch, Vec::with_capacity(BATCH_ROWS));
        tx.send(Msg::Rows(full)).is_ok()
    };
    for cells in head.into_iter().skip(plan.header_row + 1) {
        batch.push(checker.check(&cells));
    }
    // The rows below the head (when the header row is in the head, all of them are data).
    if head_len == HEAD_ROWS {
        loop {
            let cells = match rows.next_row()? {
                NextRow::Row(r) => r,
                NextRow::End => break,
                NextRow::Unordered => {
                    let _ = tx.send(Msg::Unordered);
                    return Ok(());
                }
            };
            batch.push(checker.check(&cells));
            if batch.len() == BATCH_ROWS && !send(&mut batch) {
                return Ok(());
            }
        }
    }
    if !batch.is_empty() && !send(&mut batch) {
        return Ok(());
    }
    let _ = tx.send(Msg::End);
    Ok(())
}

/// The checks of a row that need only the file: blank and duplicate rows, every cell's value,
/// the required fields, and one ID number given to two different names.
struct Checker<'p> {
    plan: &'p Plan,
    mapped_cols: Vec<usize>,
    /// The row's mapped cells as compared for duplicates, for every row so far: one string
    /// (see [`Checker::key`]) and each row's span of it.
    keys: String,
    spans: Vec<(usize, usize)>,
    /// Rows by the hash of their key; equal hashes are compared in full.
    seen_rows: FastMap<u64, Vec<usize>>,
    seen_ids: FastMap<String, (usize, String)>,
    k: usize,
}

impl<'p> Checker<'p> {
    fn new(plan: &'p Plan) -> Checker<'p> {
        Checker {
            plan,
            mapped_cols: plan
                .columns
                .iter()
                .enumerate()
                .filter(|(_, f)| f.is_some())
                .map(|(i, _)| i)
                .collect(),
            keys: String::new(),
            spans: Vec::new(),
            seen_rows: FastMap::default(),
            seen_ids: FastMap::default(),
            k: 0,
        }
    }

    /// The header of the column holding `f`, or the field's name.
    fn col(&self, f: Field) -> String {
        column_header(&self.plan.columns, &self.plan.headers, f)
    }

    fn check(&mut self, cells: &[Cell]) -> Checked {
        let k = self.k;
        self.k += 1;
        let row = self.plan.header_row + 2 + k;
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
        let (mut v, mut problems) =
            parse_row(cells, &plan.columns, &plan.headers, row, plan.current_year);
        if v.village.is_none() {
            v.village = plan.default_village.as_deref().and_then(norm::village);
        }
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
            return Checked::Rejected(problems);
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
            match self.seen_ids.get(idn) {
                Some((first, other)) if *other != name => reject(
                    &mut problems,
                    self.col(Field::IdNumber),
                    format!("身份证号与第 {first} 行相同，但户主姓名不同（“{other}”和“{name}”），请核对是哪一户"),
                ),
                _ => {
                    self.seen_ids.insert(idn.clone(), (row, name.clone()));
                }
            }
        }
        if !problems.is_empty() {
            return Checked::Rejected(problems);
        }
        Checked::Valid(Box::new(ValidRow { row, v, name }))
    }
}

/// Waits for the check of the backup copy, if one is running; its error if it failed.
fn backup_checked(verified: &mut Option<std::thread::JoinHandle<Result<()>>>) -> Result<()> {
    match verified.take().map(|h| h.join()) {
        None => Ok(()),
        Some(Ok(checked)) => checked,
        Some(Err(_)) => Err(Error::Invalid(
            "备份文件写入后无法校验。原数据库没有被改动；请检查磁盘空间后重试。".into(),
        )),
    }
}

/// The header of the column holding `f`, or the field's name when no column does.
fn column_header(columns: &[Option<Field>], headers: &[String], f: Field) -> String {
    columns
        .iter()
        .position(|c| *c == Some(f))
        .and_then(|i| headers.get(i).cloned())
        .unwrap_or_else(|| f.label().into())
}

/// Reads `path` and imports it: a dry run (nothing changes) or a commit (backup, then one
/// transaction). `progress(done, total)` is called as rows are processed.
pub fn import_file(
    conn: &mut Connection,
    path: &Path,
    opts: &ImportOptions,
    mode: &Mode,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ImportReport> {
    let mut reader = RowReader::spawn(path, opts.sheet.clone(), true);
    let opened = reader.opened()?;
    let file_name = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let sheet_names = opened.sheet_names;
    let (sheet_name, head, header, rows_hint) = match opened.chosen {
        Chosen::Sheet {
            name,
            head,
            header,
            rows_hint,
        } => (name, head, header, rows_hint),
        Chosen::NoSuchSheet => {
            return Err(Error::Invalid(format!(
                "文件“{file_name}”里没有名为“{}”的工作表。现有工作表：{}。",
                opts.sheet.as_deref().unwrap_or_default(),
                sheet_names.join("、")
            )))
        }
        Chosen::NoSheets => {
            return Err(Error::Invalid(format!(
                "文件“{file_name}”是空的，没有可导入的内容。"
            )))
        }
    };
    let mut used_saved_mapping = false;
    let header = match (header, &opts.columns) {
        (Some(h), Some(cols)) => HeaderMatch { header_row: h.header_row, columns: cols.clone() },
        (Some(h), None) => match super::mapping::load(conn, &header_texts(&head, &h))? {
            Some(saved) => {
                used_saved_mapping = true;
                HeaderMatch { header_row: h.header_row, columns: saved }
            }
            None => h,
        },
        (None, Some(cols)) => HeaderMatch { header_row: 0, columns: cols.clone() },
        (None, None) => {
            return Err(Error::Invalid(format!(
                "在“{file_name}”的工作表“{sheet_name}”里没有找到表头。表头行要有“户主姓名”（或“户主”“姓名”）一列，以及“行政村”“社”等列；请检查后重试，或在导入界面手动指定各列。",
            )))
        }
    };
    let headers = header_texts(&head, &header);
    let columns = header.columns.clone();
    let has = |f: Field| columns.contains(&Some(f));
    let mut missing = Vec::new();
    if !has(Field::HeadName) {
        missing.push("户主姓名");
    }
    if !has(Field::Group) {
        missing.push("社");
    }
    if !has(Field::Village) && opts.default_village.is_none() {
        missing.push("行政村（或在导入时指定本文件所属的行政村）");
    }
    if !missing.is_empty() {
        return Err(Error::Invalid(format!(
            "“{file_name}”缺少必需的列：{}。请在导入界面把对应的列指定出来。",
            missing.join("、")
        )));
    }
    let plan = Plan {
        header_row: header.header_row,
        columns: columns.clone(),
        headers: headers.clone(),
        default_village: opts.default_village.clone(),
        current_year: opts.current_year,
    };
    // The reader checks rows from here on, while the backup is taken.
    reader.start(plan.clone());

    let mut report = ImportReport {
        file_name: file_name.clone(),
        sheet_name,
        sheets: sheet_names,
        header_row: header.header_row + 1,
        columns: columns_info(&headers, &columns),
        used_saved_mapping,
        ..Default::default()
    };

    // The copy is checked (a full integrity check, the slow part) on a thread of its own while
    // the rows are written; the import commits only once the check has passed.
    let mut verified = None;
    if let Mode::Commit { backup_dir, stamp } = mode {
        let dest = backup::new_backup_path(backup_dir, stamp, "导入前");
        // Written under the `.part` name; it gets its real name once checked.
        let part = backup::part_path(&dest);
        if let Err(e) = backup::copy_to(conn, &part) {
            let _ = std::fs::remove_file(&part);
            return Err(e);
        }
        report.backup_path = Some(dest.display().to_string());
        verified = Some(
            std::thread::Builder::new()
                .name("backup-check".into())
                .spawn(move || {
                    let checked = backup::verify(&part).and_then(|()| {
                        std::fs::rename(&part, &dest).map_err(|source| Error::Io {
                            path: dest.clone(),
                            source,
                        })
                    });
                    if checked.is_err() {
                        let _ = std::fs::remove_file(&part);
                    }
                    checked
                })
                .expect("start the backup check thread"),
        );
    }

    // A bigger page cache while the import runs: matching and updating touch the whole table.
    let cache: i64 = conn.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
    conn.pragma_update(None, "cache_size", -131_072)?;
    let data_rows_hint = rows_hint.saturating_sub(header.header_row + 1);
    let before = report.clone();
    let mut result = import_in_transaction(
        conn,
        &mut reader,
        data_rows_hint,
        &columns,
        &headers,
        opts,
        mode,
        &mut verified,
        &mut report,
        progress,
    );
    if let Ok(Flow::Unordered) = result {
        // Rolled back: read the sheet again, whole, and import it from the start.
        drop(reader);
        report = before;
        reader = RowReader::spawn(path, opts.sheet.clone(), false);
        result = reader.opened().and_then(|_| {
            reader.start(plan);
            import_in_transaction(
                conn,
                &mut reader,
                data_rows_hint,
                &columns,
                &headers,
                opts,
                mode,
                &mut verified,
                &mut report,
                progress,
            )
        });
    }
    drop(reader);
    // Never leave the check running (an error above may have left it unjoined).
    let checked = backup_checked(&mut verified);
    conn.pragma_update(None, "cache_size", cache)?;
    let flow = result?;
    checked?;
    match flow {
        Flow::Done => Ok(report),
        Flow::Unreadable(e) => {
            // The file broke after the backup was taken: nothing changed, so the backup only
            // adds clutter (a file unreadable at the start never gets one).
            if let Some(backup) = &report.backup_path {
                let _ = std::fs::remove_file(backup);
            }
            Err(e)
        }
        Flow::Unordered => unreachable!("the whole-sheet reader hands out rows in order"),
    }
}

#[allow(clippy::too_many_arguments)]
fn import_in_transaction(
    conn: &mut Connection,
    reader: &mut RowReader,
    rows_hint: usize,
    columns: &[Option<Field>],
    headers: &[String],
    opts: &ImportOptions,
    mode: &Mode,
    verified: &mut Option<std::thread::JoinHandle<Result<()>>>,
    report: &mut ImportReport,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Flow> {
    let file_name = report.file_name.clone();
    let tx = conn.transaction()?;
    let batch_id = if matches!(mode, Mode::Commit { .. }) {
        tx.execute(
            "INSERT INTO import_batches (at, actor, file_name, sheet_name, rows_total, rows_rejected, households_new,
                                         households_updated, toilets_new, toilets_updated, backup_path)
             VALUES (?1, ?2, ?3, ?4, 0, 0, 0, 0, 0, 0, ?5)",
            params![opts.now, opts.actor, file_name, report.sheet_name, report.backup_path],
        )?;
        Some(tx.last_insert_rowid())
    } else {
        None
    };
    let flow = apply_rows(
        &tx, reader, rows_hint, columns, headers, opts, batch_id, report, progress,
    )?;
    if !matches!(flow, Flow::Done) {
        return Ok(flow); // dropping the transaction rolls it back
    }
    if let Some(id) = batch_id {
        tx.execute(
            "UPDATE import_batches SET rows_total = ?1, rows_rejected = ?2, households_new = ?3, households_updated = ?4,
                                      toilets_new = ?5, toilets_updated = ?6 WHERE id = ?7",
            params![
                report.rows_total as i64,
                report.rows_rejected as i64,
                report.households_new as i64,
                report.households_updated as i64,
                report.toilets_new as i64,
                report.toilets_updated as i64,
                id
            ],
        )?;
        if opts.columns.is_some() {
            // The user corrected the mapping: remember it for the next file of this layout.
            super::mapping::save(&tx, headers, columns)?;
        }
        crate::store::audit::append(
            &tx,
            &opts.now,
            "import",
            "import_batch",
            id,
            &format!(
                "导入“{file_name}”：新增 {} 户、更新 {} 户，新增户厕 {} 个、更新 {} 个，{} 行未导入",
                report.households_new,
                report.households_updated,
                report.toilets_new,
                report.toilets_updated,
                report.rows_rejected
            ),
            serde_json::json!({
                "file": file_name,
                "sheet": report.sheet_name,
                "rows": report.rows_total,
                "backup": report.backup_path,
            }),
        )?;
        backup_checked(verified)?;
        tx.commit()?;
        report.committed = true;
        report.batch_id = Some(id);
    }
    // A dry run drops the transaction here: nothing it did stays.
    Ok(Flow::Done)
}

#[allow(clippy::too_many_arguments)]
fn apply_rows(
    tx: &Transaction,
    reader: &mut RowReader,
    rows_hint: usize,
    columns: &[Option<Field>],
    headers: &[String],
    opts: &ImportOptions,
    batch_id: Option<i64>,
    report: &mut ImportReport,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Flow> {
    let mut places = Places::load(tx)?;
    let mut homes = Households::load(tx)?;
    // A file about as big as the town (a re-import, a corrected ledger) is compared with
    // everything stored, read in two table scans instead of a few lookups a row.
    let preload = rows_hint.saturating_mul(4) >= homes.count;
    let mut stored = Stored::load(tx, preload)?;
    let mut in_file: FastMap<i64, FileHousehold> = FastMap::default();
    let mut bulk = households::Bulk::new();
    let source = format!("导入：{}", report.file_name);
    let mut log = tx.prepare_cached(
        "INSERT INTO change_log (at, actor, entity, entity_id, field, old_value, new_value, source, import_batch_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    let col = |f: Field| column_header(columns, headers, f);
    let mut k = 0;
    loop {
        let batch = match reader.recv() {
            Msg::Rows(batch) => batch,
            Msg::End => break,
            Msg::Unordered => return Ok(Flow::Unordered),
            Msg::Failed(e) => return Ok(Flow::Unreadable(e)),
            Msg::Opened(_) => continue,
        };
        for checked in batch {
            if k % 500 == 0 {
                progress(k, rows_hint.max(k));
            }
            k += 1;
            let ValidRow { row, v, name } = match checked {
                Checked::Blank => {
                    report.rows_blank += 1;
                    continue;
                }
                Checked::Rejected(problems) => {
                    report.rows_total += 1;
                    report.rows_rejected += 1;
                    report.problems.extend(problems);
                    continue;
                }
                Checked::Valid(valid) => *valid,
            };
            report.rows_total += 1;
            let reject = |report: &mut ImportReport, column: String, message: String| {
                report.problems.push(RowProblem {
                    row,
                    column,
                    message,
                });
            };

            // Places.
            let village_name = v.village.clone().unwrap_or_default();
            let village_id = match places.villages.get(&village_name) {
                Some(id) => *id,
                None if opts.create_places => {
                    let id = households::add_village(
                        tx,
                        &village_name,
                        places.villages.len() as i64 + 1,
                    )?;
                    places.villages.insert(village_name.clone(), id);
                    report.new_villages.push(village_name.clone());
                    id
                }
                None => {
                    reject(report, col(Field::Village), format!("行政村“{village_name}”不在本镇的村名单里。请检查村名是否写错；如确是新村，请在导入时勾选“新建数据库中没有的行政村和社”"));
                    report.rows_rejected += 1;
                    continue;
                }
            };
            let g = v.group.clone().unwrap_or(GroupName {
                number: None,
                name: String::new(),
            });
            let existing_group = g
                .number
                .and_then(|n| places.by_number.get(&(village_id, n)).copied())
                .or_else(|| places.by_name.get(&(village_id, g.name.clone())).copied());
            let group_id = match existing_group {
                Some(id) => id,
                None if opts.create_places => {
                    let id = households::add_group(
                        tx,
                        village_id,
                        &g.name,
                        g.number,
                        g.number.unwrap_or(1000),
                    )?;
                    if let Some(n) = g.number {
                        places.by_number.insert((village_id, n), id);
                    }
                    places.by_name.insert((village_id, g.name.clone()), id);
                    places.names.insert(id, format!("{village_name}{}", g.name));
                    report.new_groups.push(format!("{village_name}{}", g.name));
                    id
                }
                None => {
                    reject(report, col(Field::Group), format!("{village_name}没有“{}”。请检查社名是否写错；如确是新社，请在导入时勾选“新建数据库中没有的行政村和社”", g.name));
                    report.rows_rejected += 1;
                    continue;
                }
            };

            // The household: by ID number, else by 户主 + 社.
            let by_id = v
                .id_number
                .as_ref()
                .and_then(|i| homes.by_id_number.get(i).copied());
            let matched = match by_id {
                Some(id) => Some(id),
                None => {
                    // A same-name household that already has another ID number is another person.
                    let candidates: Vec<i64> = homes
                        .by_name
                        .get(&(group_id, name.clone()))
                        .map(|c| {
                            c.iter()
                                .copied()
                                .filter(|h| v.id_number.is_none() || !homes.with_id.contains(h))
                                .collect()
                        })
                        .unwrap_or_default();
                    match candidates.as_slice() {
                        [] => None,
                        [one] => Some(*one),
                        many => {
                            // Several heads of that name in the 社: only an ID number can tell them apart.
                            let message = format!(
                                "{}有 {} 户户主都叫“{name}”，无法确定是哪一户：请填写身份证号",
                                places.names.get(&group_id).cloned().unwrap_or_default(),
                                many.len()
                            );
                            reject(report, col(Field::IdNumber), message);
                            report.rows_rejected += 1;
                            continue;
                        }
                    }
                }
            };
            let household_id = match matched {
                Some(id) => {
                    let changed = update_household(
                        tx,
                        &mut log,
                        id,
                        group_id,
                        &v,
                        &places,
                        opts,
                        &source,
                        batch_id,
                        report,
                        &mut stored,
                    )?;
                    if let Some(idn) = &v.id_number {
                        homes.by_id_number.insert(idn.clone(), id);
                        homes.with_id.insert(id);
                    }
                    let entry = in_file.entry(id).or_insert(FileHousehold {
                        toilet_rows: 0,
                        new: false,
                        changed: false,
                    });
                    entry.changed |= changed;
                    id
                }
                None => {
                    let new = NewHousehold {
                        group_id,
                        head_name: name.clone(),
                        id_number: v.id_number.clone(),
                        phone: v.phone.clone(),
                        address: v.address.clone(),
                        registered_pop: v.registered_pop,
                        resident_pop: v.resident_pop,
                        category: v.category.unwrap_or(HouseholdCategory::Ordinary),
                        is_resident: v.is_resident.unwrap_or(true),
                    };
                    let id = bulk.insert_household_now_in(tx, &new, village_id, &opts.now)?;
                    if let Some(idn) = &v.id_number {
                        homes.by_id_number.insert(idn.clone(), id);
                        homes.with_id.insert(id);
                    }
                    homes
                        .by_name
                        .entry((group_id, name.clone()))
                        .or_default()
                        .push(id);
                    in_file.insert(
                        id,
                        FileHousehold {
                            toilet_rows: 0,
                            new: true,
                            changed: false,
                        },
                    );
                    id
                }
            };

            // The toilet: the k-th toilet row of a household is its k-th toilet.
            if v.has_toilet() {
                let entry = in_file
                    .get_mut(&household_id)
                    .expect("household recorded above");
                entry.toilet_rows += 1;
                let seq = entry.toilet_rows;
                // A household created by this import has no toilets but the ones it adds.
                let existing = if entry.new {
                    None
                } else {
                    stored.toilet(tx, household_id, seq)?
                };
                match existing {
                    Some((toilet_id, mut current)) => {
                        if update_fields(
                            tx,
                            &mut log,
                            "toilets",
                            "toilet",
                            toilet_id,
                            &toilet_fields(&v),
                            &mut current,
                            &TOILET_COLUMNS,
                            opts,
                            &source,
                            batch_id,
                            report,
                        )? {
                            stored.set_toilet(household_id, seq, toilet_id, &current);
                            report.toilets_updated += 1;
                        } else {
                            report.toilets_unchanged += 1;
                        }
                    }
                    None => {
                        let t = NewToilet {
                            tech_mode: v.tech_mode,
                            location: v.location,
                            build_year: v.build_year,
                            subsidized: v.subsidized,
                            subsidy_year: v.subsidy_year,
                            subsidy_amount_fen: v.subsidy_amount_fen,
                            project_name: v.project_name.clone(),
                            is_sanitary: v.is_sanitary.or(v.tech_mode.map(TechMode::is_sanitary)),
                            use_status: v.use_status,
                            baseline_source: if v.subsidized == Some(true) {
                                BaselineSource::Subsidy
                            } else {
                                BaselineSource::Survey
                            },
                        };
                        bulk.insert_toilet(tx, household_id, &t, &opts.now)?;
                        stored.toilet_added(household_id);
                        report.toilets_new += 1;
                    }
                }
            }
        }
    }
    bulk.finish(tx)?;
    progress(k, k);
    for h in in_file.values() {
        if h.new {
            report.households_new += 1;
        } else if h.changed {
            report.households_updated += 1;
        } else {
            report.households_unchanged += 1;
        }
    }
    Ok(Flow::Done)
}

/// The stored columns an import compares, in the order [`Stored`] holds them.
const HOUSEHOLD_COLUMNS: [&str; 9] = [
    "head_name",
    "id_number",
    "phone",
    "address",
    "registered_pop",
    "resident_pop",
    "category",
    "is_resident",
    "group_id",
];
const TOILET_COLUMNS: [&str; 9] = [
    "tech_mode",
    "location",
    "build_year",
    "subsidized",
    "subsidy_year",
    "subsidy_amount_fen",
    "project_name",
    "is_sanitary",
    "use_status",
];

/// What the database holds for the households and toilets the import compares rows with: read
/// all at once when the file is big (two table scans beat a few lookups a row), else one row
/// at a time on first use. Every write of the import goes to the database and here alike.
/// Rows are kept packed ([`pack`]): a town's worth of `Value`s took several times the memory.
struct Stored {
    households: FastMap<i64, Box<[u8]>>,
    toilets: FastMap<ToiletKey, (i64, Box<[u8]>)>,
    /// Every toilet the database had before the import is in `toilets`.
    all_toilets: bool,
    /// Households that got a toilet in this import (their new toilets are not in `toilets`).
    toilets_added: FastSet<i64>,
}

/// (household, seq) of a toilet, which [`Stored`] maps to (toilet id, packed values).
type ToiletKey = (i64, i64);

/// Values packed into one allocation: per value a tag byte, then nothing (NULL), 8 bytes (an
/// integer or a real) or a 4-byte length and the bytes (text, blob).
fn pack<'a>(values: impl Iterator<Item = rusqlite::types::ValueRef<'a>>) -> Box<[u8]> {
    use rusqlite::types::ValueRef;
    let mut out = Vec::with_capacity(96);
    for v in values {
        match v {
            ValueRef::Null => out.push(0),
            ValueRef::Integer(n) => {
                out.push(1);
                out.extend_from_slice(&n.to_le_bytes());
            }
            ValueRef::Real(f) => {
                out.push(2);
                out.extend_from_slice(&f.to_le_bytes());
            }
            ValueRef::Text(b) | ValueRef::Blob(b) => {
                out.push(if matches!(v, ValueRef::Text(_)) { 3 } else { 4 });
                out.extend_from_slice(&(b.len() as u32).to_le_bytes());
                out.extend_from_slice(b);
            }
        }
    }
    out.into_boxed_slice()
}

fn pack_values(values: &[Value]) -> Box<[u8]> {
    pack(values.iter().map(rusqlite::types::ValueRef::from))
}

fn unpack(mut bytes: &[u8]) -> Vec<Value> {
    fn take<'a>(n: usize, bytes: &mut &'a [u8]) -> &'a [u8] {
        let (head, rest) = bytes.split_at(n);
        *bytes = rest;
        head
    }
    let mut out = Vec::with_capacity(HOUSEHOLD_COLUMNS.len());
    while let Some((&tag, rest)) = bytes.split_first() {
        bytes = rest;
        let v = match tag {
            0 => Value::Null,
            1 => Value::Integer(i64::from_le_bytes(
                take(8, &mut bytes).try_into().expect("8 bytes"),
            )),
            2 => Value::Real(f64::from_le_bytes(
                take(8, &mut bytes).try_into().expect("8 bytes"),
            )),
            _ => {
                let len = u32::from_le_bytes(take(4, &mut bytes).try_into().expect("4 bytes"));
                let b = take(len as usize, &mut bytes);
                if tag == 3 {
                    // Packed from SQLite text, which rusqlite hands out as UTF-8 too.
                    Value::Text(String::from_utf8_lossy(b).into_owned())
                } else {
                    Value::Blob(b.to_vec())
                }
            }
        };
        out.push(v);
    }
    out
}

/// The values of columns `from..from + n` of a row, packed.
fn packed_row(r: &rusqlite::Row, from: usize, n: usize) -> rusqlite::Result<Box<[u8]>> {
    let refs = (from..from + n)
        .map(|i| r.get_ref(i))
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(pack(refs.into_iter()))
}

impl Stored {
    fn load(conn: &Connection, all: bool) -> Result<Stored> {
        let mut s = Stored {
            households: FastMap::default(),
            toilets: FastMap::default(),
            all_toilets: all,
            toilets_added: FastSet::default(),
        };
        if all {
            let mut stmt = conn.prepare(&format!(
                "SELECT id, {} FROM households",
                HOUSEHOLD_COLUMNS.join(", ")
            ))?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                s.households
                    .insert(r.get(0)?, packed_row(r, 1, HOUSEHOLD_COLUMNS.len())?);
            }
            let mut stmt = conn.prepare(&format!(
                "SELECT household_id, seq, id, {} FROM toilets",
                TOILET_COLUMNS.join(", ")
            ))?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                s.toilets.insert(
                    (r.get(0)?, r.get(1)?),
                    (r.get(2)?, packed_row(r, 3, TOILET_COLUMNS.len())?),
                );
            }
        }
        Ok(s)
    }

    /// The stored values of a household ([`HOUSEHOLD_COLUMNS`]).
    fn household(&mut self, conn: &Connection, id: i64) -> Result<Vec<Value>> {
        if let Some(packed) = self.households.get(&id) {
            return Ok(unpack(packed));
        }
        // Not read yet, or written by this import.
        let packed = conn
            .prepare_cached(&format!(
                "SELECT {} FROM households WHERE id = ?1",
                HOUSEHOLD_COLUMNS.join(", ")
            ))?
            .query_row([id], |r| packed_row(r, 0, HOUSEHOLD_COLUMNS.len()))?;
        let values = unpack(&packed);
        self.households.insert(id, packed);
        Ok(values)
    }

    fn set_household(&mut self, id: i64, values: &[Value]) {
        self.households.insert(id, pack_values(values));
    }

    /// The toilet `seq` of a household with its stored values ([`TOILET_COLUMNS`]), if it has
    /// one.
    fn toilet(
        &mut self,
        conn: &Connection,
        household_id: i64,
        seq: i64,
    ) -> Result<Option<(i64, Vec<Value>)>> {
        let key = (household_id, seq);
        if let Some((id, packed)) = self.toilets.get(&key) {
            return Ok(Some((*id, unpack(packed))));
        }
        if self.all_toilets && !self.toilets_added.contains(&household_id) {
            return Ok(None);
        }
        let found = conn
            .prepare_cached(&format!(
                "SELECT id, {} FROM toilets WHERE household_id = ?1 AND seq = ?2",
                TOILET_COLUMNS.join(", ")
            ))?
            .query_row(params![household_id, seq], |r| {
                Ok((r.get::<_, i64>(0)?, packed_row(r, 1, TOILET_COLUMNS.len())?))
            })
            .optional()?;
        Ok(found.map(|(id, packed)| {
            let values = unpack(&packed);
            self.toilets.insert(key, (id, packed));
            (id, values)
        }))
    }

    fn set_toilet(&mut self, household_id: i64, seq: i64, id: i64, values: &[Value]) {
        self.toilets
            .insert((household_id, seq), (id, pack_values(values)));
    }

    fn toilet_added(&mut self, household_id: i64) {
        self.toilets_added.insert(household_id);
    }
}

/// Updates the household's fields that the row gives and that differ, and moves it to another
/// 社 when the row says so. Returns whether anything changed.
#[allow(clippy::too_many_arguments)]
fn update_household(
    tx: &Transaction,
    log: &mut rusqlite::CachedStatement,
    id: i64,
    group_id: i64,
    v: &Values,
    places: &Places,
    opts: &ImportOptions,
    source: &str,
    batch_id: Option<i64>,
    report: &mut ImportReport,
    stored: &mut Stored,
) -> Result<bool> {
    let mut current = stored.household(tx, id)?;
    let old_name = match &current[0] {
        Value::Text(name) => name.clone(),
        _ => String::new(),
    };
    let mut changed = update_fields(
        tx,
        log,
        "households",
        "household",
        id,
        &household_fields(v),
        &mut current,
        &HOUSEHOLD_COLUMNS,
        opts,
        source,
        batch_id,
        report,
    )?;
    let current_group = match current[8] {
        Value::Integer(g) => g,
        _ => 0,
    };
    if current_group != group_id {
        tx.execute(
            "UPDATE households SET group_id = ?1, village_id = (SELECT village_id FROM village_groups WHERE id = ?1), updated_at = ?2 WHERE id = ?3",
            params![group_id, opts.now, id],
        )?;
        current[8] = Value::Integer(group_id);
        log.execute(params![
            opts.now,
            opts.actor,
            "household",
            id,
            "社",
            places.names.get(&current_group),
            places.names.get(&group_id),
            source,
            batch_id
        ])?;
        report.fields_changed += 1;
        changed = true;
    }
    if changed {
        stored.set_household(id, &current);
    }
    if let Some(name) = v.head_name.as_ref().filter(|n| **n != old_name) {
        // A new head of household (户主变更): keep the search keys in step.
        tx.execute("DELETE FROM household_search WHERE household_id = ?1", [id])?;
        let mut keys = tx.prepare_cached(
            "INSERT OR IGNORE INTO household_search (term, household_id) VALUES (?1, ?2)",
        )?;
        for key in search_keys::household_keys(name) {
            keys.execute(params![key, id])?;
        }
    }
    Ok(changed)
}

/// Writes the given fields of one row where they differ from what is stored (`current`, the
/// values of `columns`), logging each change and keeping `current` in step. `table` and the
/// columns come from this module only, never from input.
#[allow(clippy::too_many_arguments)]
fn update_fields(
    tx: &Transaction,
    log: &mut rusqlite::CachedStatement,
    table: &'static str,
    entity: &'static str,
    id: i64,
    fields: &[FieldValue],
    current: &mut [Value],
    columns: &[&str],
    opts: &ImportOptions,
    source: &str,
    batch_id: Option<i64>,
    report: &mut ImportReport,
) -> Result<bool> {
    let mut changed = false;
    for f in fields {
        let i = columns
            .iter()
            .position(|c| *c == f.column)
            .expect("every imported field is a stored column");
        if current[i] == f.value {
            continue;
        }
        let old = std::mem::replace(&mut current[i], f.value.clone());
        tx.execute(
            &format!(
                "UPDATE {table} SET {} = ?1, updated_at = ?2 WHERE id = ?3",
                f.column
            ),
            params![f.value, opts.now, id],
        )?;
        if f.column == "id_number" {
            let rev: Option<String> = match &f.value {
                Value::Text(s) => Some(s.chars().rev().collect()),
                _ => None,
            };
            tx.execute(
                "UPDATE households SET id_number_rev = ?1 WHERE id = ?2",
                params![rev, id],
            )?;
        }
        log.execute(params![
            opts.now,
            opts.actor,
            entity,
            id,
            f.label,
            display_stored(f.column, &old),
            f.display,
            source,
            batch_id
        ])?;
        report.fields_changed += 1;
        changed = true;
    }
    Ok(changed)
}

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
        format!("“{}”导入时有问题的行（改正后可重新导入）", report.file_name),
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
