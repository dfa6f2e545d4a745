//! Which document to print and with what: one request shape and one choice for the desktop app's
//! print dialog and the CLI's `print`, so both print the same document from the same inputs.

use std::path::Path;

use crate::store::sql::Db;
use chrono::NaiveDateTime;
use serde::Deserialize;

use super::page::Printed;
use crate::error::{Error, Result};
use crate::fieldwork::rectification::LedgerFilter;
use crate::places::households::Scope;

/// The printed documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Notices,
    ProblemLedger,
    ToiletLedger,
    Signoff,
    HouseholdFile,
    SampleList,
    CheckSheets,
    SampleFiles,
    Bulletin,
    PendingList,
    AcceptanceSheets,
    OnsiteSlips,
    SurveySheets,
    Worklist,
}

impl DocumentKind {
    /// The document's name, as file names and messages show it.
    pub fn title(self) -> &'static str {
        match self {
            DocumentKind::Notices => "整改告知单",
            DocumentKind::ProblemLedger => "问题厕所台账",
            DocumentKind::ToiletLedger => "改厕台账",
            DocumentKind::Signoff => "签字背书表",
            DocumentKind::HouseholdFile => "户档案",
            DocumentKind::SampleList => "区级抽查样本清单",
            DocumentKind::CheckSheets => "区级抽查现场核查表",
            DocumentKind::SampleFiles => "区级抽查户档案",
            DocumentKind::Bulletin => "月通报",
            DocumentKind::PendingList => "待核实清单",
            DocumentKind::AcceptanceSheets => "整改验收单",
            DocumentKind::OnsiteSlips => "现场整改确认单",
            DocumentKind::SurveySheets => "入户排查表",
            DocumentKind::Worklist => "工作清单",
        }
    }
}

/// What to print: the kind and what it needs.
#[derive(Debug, Clone, Deserialize)]
pub struct DocumentRequest {
    pub kind: DocumentKind,
    /// The ledger filter (its scope is also the scope of the other documents).
    pub filter: LedgerFilter,
    /// The place as the title shows it (石鱼村, 石鱼村 3社, 石鱼镇（全镇）).
    pub scope_title: String,
    /// The household, for 户档案.
    #[serde(default)]
    pub household_id: Option<i64>,
    /// Cases ticked in the ledger (or the one case of the panel): their notices only (cases
    /// closed since are left out), or their 验收单.
    #[serde(default)]
    pub case_ids: Option<Vec<i64>>,
    /// The spot-check sample, for its list, check sheets and household files.
    #[serde(default)]
    pub sample_id: Option<i64>,
    /// The month of the bulletin, `YYYY-MM` (the current month when not given).
    #[serde(default)]
    pub month: Option<String>,
    /// At most this many notices (the first ones in the ledger's order).
    #[serde(default)]
    pub limit: Option<usize>,
    /// Blank 入户排查表 after the pre-filled ones (households found at the door).
    #[serde(default)]
    pub blanks: Option<usize>,
    /// The household list's worklist, for 工作清单.
    #[serde(default)]
    pub list: Option<crate::places::households::ListFilter>,
}

impl DocumentRequest {
    /// A request for `kind` over a place, in the ledger's place order, with nothing else set.
    pub fn new(kind: DocumentKind, scope: Scope, scope_title: &str) -> DocumentRequest {
        DocumentRequest {
            kind,
            filter: LedgerFilter::all_of(scope),
            scope_title: scope_title.to_string(),
            household_id: None,
            case_ids: None,
            sample_id: None,
            month: None,
            limit: None,
            blanks: None,
            list: None,
        }
    }

    fn sample(&self) -> Result<i64> {
        self.sample_id.ok_or_else(|| {
            Error::Invalid(format!(
                "打印{}要先选定一个抽查样本（抽样时显示的“第 N 号抽查样本”）。",
                self.kind.title()
            ))
        })
    }

    fn household(&self) -> Result<i64> {
        self.household_id
            .ok_or_else(|| Error::Invalid("打印户档案要先选定一户农户。".into()))
    }

    /// The notices' run: the ticked cases still open, or the filter's, cut to the limit, with
    /// those left out (undecided, 立行立改) counted.
    pub fn notice_cases<'a>(
        &self,
        db: impl Into<Db<'a>>,
        today: &str,
    ) -> Result<super::notice::NoticeRun> {
        let conn = db.into();
        let mut run = match &self.case_ids {
            Some(ids) => super::notice::open_cases_among(conn, ids)?,
            None => super::notice::notice_cases(conn, &self.filter, today)?,
        };
        run.cases.truncate(self.limit.unwrap_or(usize::MAX));
        Ok(run)
    }
}

/// Prints the requested document as of `now` (the date printed on it; the current month for
/// overdue cases and the bulletin). `photos` is the database's photo folder; `progress` is
/// told (done, total) on long notice runs.
pub fn print_document<'a>(
    db: impl Into<Db<'a>>,
    request: &DocumentRequest,
    photos: &Path,
    now: NaiveDateTime,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Printed> {
    let conn = db.into();
    let today = now.format("%Y-%m-%d").to_string();
    let month = now.format("%Y-%m").to_string();
    let scope = request.filter.scope;
    let title = &request.scope_title;
    match request.kind {
        DocumentKind::Notices => {
            let run = request.notice_cases(conn, &today)?;
            if run.cases.is_empty() {
                return Err(run.nothing_to_print());
            }
            let mut printed = super::notice::notices(conn, &run.cases, &today, progress)?;
            printed.notes.splice(0..0, run.left_out());
            Ok(printed)
        }
        DocumentKind::ProblemLedger => {
            super::ledgers::problem_ledger(conn, &request.filter, &today, title)
        }
        DocumentKind::ToiletLedger => super::ledgers::toilet_ledger(conn, scope, &today, title),
        DocumentKind::Signoff => super::signoff_sheet::signoff_sheet(conn, scope, now, title),
        DocumentKind::HouseholdFile => {
            super::household_file::household_file(conn, request.household()?, photos, &today)
        }
        DocumentKind::SampleList => {
            super::sample_list::sample_list(conn, request.sample()?, &today)
        }
        DocumentKind::CheckSheets => {
            super::check_sheet::check_sheets(conn, request.sample()?, &today)
        }
        DocumentKind::SampleFiles => {
            let rows = crate::reports::sampling::rows(conn, request.sample()?)?;
            let mut seen = std::collections::HashSet::new();
            let households: Vec<i64> = rows
                .iter()
                .map(|r| r.household_id)
                .filter(|h| seen.insert(*h))
                .collect();
            super::household_file::household_files(conn, &households, photos, &today)
        }
        DocumentKind::Bulletin => {
            let month = request.month.clone().unwrap_or(month);
            super::bulletin::bulletin(conn, &month, &today)
        }
        DocumentKind::PendingList => super::pending_list::pending_list(conn, scope, title, &today),
        DocumentKind::AcceptanceSheets => {
            let cases = super::acceptance_sheet::acceptance_cases(
                conn,
                &request.filter,
                request.case_ids.as_deref(),
                &today,
            )?;
            super::acceptance_sheet::acceptance_sheets(conn, &cases, &today)
        }
        DocumentKind::OnsiteSlips => {
            let cases = super::onsite_slip::onsite_cases(
                conn,
                &request.filter,
                request.case_ids.as_deref(),
                &today,
            )?;
            super::onsite_slip::onsite_slips(conn, &cases)
        }
        DocumentKind::Worklist => {
            let mut list = request.list.clone().unwrap_or_default();
            list.today = Some(today.clone());
            list.immediate_days =
                crate::fieldwork::working::WorkingValues::load(conn)?.immediate_overdue_days;
            super::worklist::worklist(conn, scope, &list, title, &today)
        }
        DocumentKind::SurveySheets => super::survey_sheet::survey_sheets(
            conn,
            scope,
            request.blanks.unwrap_or(0).min(500),
            &today,
            progress,
        ),
    }
}

/// A file name that says what, where and when (to the second), so a later print never
/// overwrites an earlier one; characters Windows refuses in names are left out.
pub fn document_file_name(kind: DocumentKind, scope_title: &str, now: NaiveDateTime) -> String {
    let place: String = scope_title
        .chars()
        .filter(|c| !matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|'))
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect();
    format!(
        "{}-{place}-{}.pdf",
        kind.title(),
        now.format("%Y%m%d-%H%M%S")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_say_what_where_and_when_without_forbidden_characters() {
        let now = chrono::NaiveDate::from_ymd_opt(2026, 3, 5)
            .unwrap()
            .and_hms_opt(9, 8, 7)
            .unwrap();
        assert_eq!(
            document_file_name(DocumentKind::Signoff, "石鱼村 3社", now),
            "签字背书表-石鱼村3社-20260305-090807.pdf"
        );
        assert_eq!(
            document_file_name(DocumentKind::Notices, "a/b:c*?\"<>|\\\td", now),
            "整改告知单-abcd-20260305-090807.pdf"
        );
    }

    #[test]
    fn a_missing_household_or_sample_is_said_in_chinese() {
        let conn = crate::store::schema::open_in_memory().unwrap();
        let now = chrono::NaiveDate::from_ymd_opt(2026, 3, 5)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap();
        let dir = std::path::PathBuf::from(".");
        for kind in [DocumentKind::HouseholdFile, DocumentKind::CheckSheets] {
            let req = DocumentRequest::new(kind, Scope::Town, "石鱼镇（全镇）");
            let err = print_document(&conn, &req, &dir, now, &mut |_, _| {}).unwrap_err();
            assert!(err.to_string().contains("要先选定"), "{kind:?}: {err}");
        }
    }
}
