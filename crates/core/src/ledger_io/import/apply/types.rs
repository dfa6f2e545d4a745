//! The import's options and report, and the fast hashing of its in-memory indexes.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::ledger_io::import::headers::Field;
use crate::ledger_io::import::read::Cell;

pub(super) use crate::fast_map::{FastMap, FastSet, Fnv};

/// The text of a cell as compared for duplicate rows (spaces and full-width differences ignored).
pub(super) fn cell_key(cell: Option<&Cell>) -> impl Iterator<Item = char> + '_ {
    crate::ledger_io::import::headers::key_chars(cell.map(|c| c.text.as_str()).unwrap_or(""))
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
    /// Which baseline list the file is (recognised by default).
    pub list: BaselineList,
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

/// A value of an imported row that could not be taken (待核实): the household is imported, the
/// field stays empty and the value as written waits on the 待核实 list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowFlag {
    /// The spreadsheet's row number (1-based, as Excel shows it).
    pub row: usize,
    /// The column header.
    pub column: String,
    #[serde(skip)]
    pub field: Field,
    /// The cell as written.
    pub written: String,
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
    /// 合计 / 小计 rows and notes (制表人, 填表说明 …) between or below the data: skipped, each
    /// listed in `skipped`, and not counted as data rows or problems.
    pub rows_skipped: usize,
    pub rows_rejected: usize,
    /// Rows imported with at least one value left 待核实 (counted in `rows_total`, not in
    /// `rows_rejected`).
    pub rows_flagged: usize,
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
    /// The values of imported rows left 待核实, each with its reason.
    pub flags: Vec<RowFlag>,
    /// The rows skipped as totals or notes, with what they said.
    pub skipped: Vec<RowProblem>,
    /// Rows imported as a new household although an earlier row of the file names a head of the
    /// same name in the same 社 whose address or phone differs (同名另户): to be checked.
    pub namesakes: Vec<RowProblem>,
    /// Rows that give a stored household's ID number under another head's name, taken as
    /// 户主变更 (the head's name updated): to be checked, a mistyped ID number looks the same.
    pub new_heads: Vec<RowProblem>,
    /// Values of the file left as they are because field work established the stored value at
    /// the door (an inspection's correction, a toilet added at the door): per row and field,
    /// what the ledger wrote, what the door found, and what to do if the ledger is right.
    pub kept_from_door: Vec<RowProblem>,
    /// What the clerk should know about the file as a whole (formulas saved without their
    /// results, hidden rows imported), each a sentence.
    pub notes: Vec<String>,
    /// The columns came from a mapping saved when a file with the same header was imported.
    pub used_saved_mapping: bool,
    /// The sheet has no 行政村 column and its name is the village of its rows (a workbook with
    /// a sheet per village).
    pub village_from_sheet: Option<String>,
    /// The list the file was read as.
    pub list: BaselineList,
    /// A subsidy list's match against the stored survey list (查缺补漏).
    pub merge: Option<MergeReport>,
    pub committed: bool,
    /// The backup of the database file taken before the import changed it.
    pub backup_path: Option<String>,
    /// Committed on the database file without a backup: the import changed nothing but the
    /// record that it ran.
    pub backup_not_needed: bool,
    pub batch_id: Option<i64>,
}

/// Which baseline list a file is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BaselineList {
    /// Recognise it from its columns.
    #[default]
    Auto,
    /// 摸排名单 (or any ledger of households and toilets): the k-th toilet row of a household is
    /// its k-th toilet.
    Survey,
    /// 财政补助改厕名单: matched by the subsidy record, merged into the stored toilets.
    Subsidy,
}

impl BaselineList {
    pub fn label(self) -> &'static str {
        match self {
            BaselineList::Auto => "自动识别",
            BaselineList::Survey => "摸排名单（台账）",
            BaselineList::Subsidy => "财政补助改厕名单",
        }
    }

    /// The list a file is: as told, or recognised by its columns and its first rows (`rows`:
    /// the data rows read with the header). A subsidy list names the project or the amount,
    /// says nothing of the toilet's use, and gives the subsidy on every row: a ledger whose
    /// household has none of project, amount and subsidy year is a survey ledger with
    /// subsidy columns, filled where there was one.
    pub fn of_file(self, columns: &[Option<Field>], rows: &[Vec<Cell>]) -> BaselineList {
        let has = |f: Field| columns.contains(&Some(f));
        let blank = |row: &Vec<Cell>, f: Field| {
            columns
                .iter()
                .position(|c| *c == Some(f))
                .and_then(|i| row.get(i))
                .is_none_or(|c| c.text.trim().is_empty())
        };
        let unsubsidised_household = rows.iter().any(|row| {
            !blank(row, Field::HeadName)
                && [Field::ProjectName, Field::SubsidyAmount, Field::SubsidyYear]
                    .into_iter()
                    .all(|f| blank(row, f))
        });
        match self {
            BaselineList::Auto
                if (has(Field::ProjectName) || has(Field::SubsidyAmount))
                    && !has(Field::UseStatus)
                    && !has(Field::IsSanitary)
                    && !unsubsidised_household =>
            {
                BaselineList::Subsidy
            }
            BaselineList::Auto => BaselineList::Survey,
            told => told,
        }
    }
}

/// One line of the 查缺补漏 report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MergeLine {
    /// The file's row (None for a stored toilet no row named).
    pub row: Option<usize>,
    pub head_name: String,
    /// 村社.
    pub place: String,
    /// The stored toilet's 序号, when there is one.
    pub toilet_seq: Option<i64>,
    pub note: String,
}

/// How a subsidy list met the stored survey list.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MergeReport {
    /// Subsidy rows matched to a stored toilet.
    pub matched: usize,
    /// Of those, matched by an identical subsidy record already stored (a re-import).
    pub already: usize,
    /// On the subsidy list, household not on the survey list: the household is added.
    pub new_households: Vec<MergeLine>,
    /// On the subsidy list, the household found but no toilet of it to match: a toilet is added.
    pub new_toilets: Vec<MergeLine>,
    /// Matched to a toilet the survey recorded as not subsidised: to verify.
    pub survey_said_no: Vec<MergeLine>,
    /// Matched to a toilet whose stored subsidy record says otherwise (year, amount, project):
    /// the list's record is taken, the old one kept in the change log.
    pub record_differs: Vec<MergeLine>,
    /// Stored toilets the survey records as subsidised, in the file's villages, that no subsidy
    /// row matched (first 500 listed).
    pub only_on_survey: Vec<MergeLine>,
    pub only_on_survey_total: usize,
}
