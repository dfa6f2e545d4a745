//! 问题厕所台账 on screen: the cases of a place filtered and sorted a page at a time, and every village's
//! counts with the town's 合计 row.

use rusqlite::params;

use crate::store::sql::{Db, Engine, Row};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{rate_text, CaseState, Category, Overdue, TechMode};
use crate::places::households::Scope;

/// Which cases the ledger shows.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LedgerFilter {
    pub scope: Scope,
    /// A category code, or "undecided" for cases a person has not categorised yet.
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub state: Option<CaseState>,
    /// Only the cases overdue of this kind: 逾期未整改 (not rectified) or 逾期待验收 (rectified,
    /// the town's acceptance late).
    #[serde(default)]
    pub overdue: Option<Overdue>,
    /// Where the case's notice is: `undelivered` also finds notices never printed.
    #[serde(default)]
    pub paper: Option<PaperState>,
    /// Only cases reported to the district (报区人居办研究解决) and not closed out.
    #[serde(default)]
    pub escalated_only: bool,
    #[serde(default)]
    pub sort: LedgerSort,
}

impl LedgerFilter {
    /// Every case of a place, in the paper ledger's order (what prints and the overview use).
    pub fn all_of(scope: Scope) -> LedgerFilter {
        LedgerFilter {
            scope,
            category: None,
            state: None,
            overdue: None,
            paper: None,
            escalated_only: false,
            sort: LedgerSort::Place,
        }
    }
}

/// Where a case's notice is: its step in the register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaperState {
    /// A notice is due (a planned category) but none was printed.
    Unprinted,
    /// Printed, not handed out (未送达).
    Undelivered,
    /// Handed out, the signed 回执 not back (回执未收回).
    ReceiptMissing,
    /// The signed 回执 is back.
    Returned,
}

impl PaperState {
    pub fn code(self) -> &'static str {
        match self {
            PaperState::Unprinted => "unprinted",
            PaperState::Undelivered => "undelivered",
            PaperState::ReceiptMissing => "receipt_missing",
            PaperState::Returned => "returned",
        }
    }

    pub fn from_code(code: &str) -> Option<PaperState> {
        [
            PaperState::Unprinted,
            PaperState::Undelivered,
            PaperState::ReceiptMissing,
            PaperState::Returned,
        ]
        .into_iter()
        .find(|p| p.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            PaperState::Unprinted => "告知单未打印",
            PaperState::Undelivered => "未送达",
            PaperState::ReceiptMissing => "回执未收回",
            PaperState::Returned => "回执已收回",
        }
    }
}

/// The SQL for a case's paper state (`r` is the case), NULL when no notice is due (立行立改,
/// not categorised).
pub(crate) const PAPER_STATE_SQL: &str = "(CASE
    WHEN EXISTS (SELECT 1 FROM notices n WHERE n.rectification_id = r.id AND n.receipt_on IS NOT NULL) THEN 'returned'
    WHEN EXISTS (SELECT 1 FROM notices n WHERE n.rectification_id = r.id AND n.delivered_on IS NOT NULL) THEN 'receipt_missing'
    WHEN r.category IS NULL OR r.category = 'immediate_fix' THEN NULL
    WHEN r.state IN ('awaiting_acceptance', 'closed') THEN NULL
    WHEN EXISTS (SELECT 1 FROM notices n WHERE n.rectification_id = r.id) THEN 'undelivered'
    ELSE 'unprinted' END)";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum LedgerSort {
    /// By village, 社 and household (the paper ledger's order).
    #[default]
    Place,
    /// Longest in their current state first.
    Oldest,
    /// Earliest planned completion first.
    Planned,
}

/// One line of the problem ledger.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LedgerRow {
    pub case_id: i64,
    pub household_id: i64,
    pub head_name: String,
    pub village_name: String,
    pub group_name: String,
    pub toilet_seq: i64,
    pub tech_mode: Option<TechMode>,
    pub subsidy_year: Option<i64>,
    pub inspected_on: String,
    pub problems: String,
    pub stops_use: bool,
    pub proposed_category: Option<Category>,
    pub category: Option<Category>,
    pub state: CaseState,
    pub state_since: String,
    pub planned_month: Option<String>,
    pub responsible: Option<String>,
    /// Past its deadline and open: not rectified, or rectified and not yet accepted.
    pub overdue: Option<Overdue>,
    /// Where the notice is (None when no notice is due).
    pub paper: Option<PaperState>,
    /// A later check found the problem gone: acceptance is proposed.
    pub clear_check: bool,
    /// Reported to the district (报区人居办研究解决).
    pub escalated: bool,
}

/// Counts of one village's cases.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct VillageCounts {
    pub village_id: i64,
    pub village_name: String,
    pub total: i64,
    pub undecided: i64,
    pub pending: i64,
    pub in_progress: i64,
    pub awaiting: i64,
    pub closed: i64,
    /// 逾期未整改: past the deadline, not rectified (待整改, 整改中).
    pub overdue_unrectified: i64,
    /// 逾期待验收: rectified, the town's acceptance past the deadline. With
    /// `overdue_unrectified`, every open case past its deadline.
    pub overdue_awaiting: i64,
    /// 销号率 as shown ([`crate::model::rate_text`]: "—" without problem toilets).
    pub close_out: String,
}

impl VillageCounts {
    /// The town's row (合计) of the villages' counts.
    pub fn town_total(villages: &[VillageCounts]) -> VillageCounts {
        let mut t = VillageCounts {
            village_name: "合计".into(),
            ..VillageCounts::default()
        };
        for v in villages {
            t.total += v.total;
            t.undecided += v.undecided;
            t.pending += v.pending;
            t.in_progress += v.in_progress;
            t.awaiting += v.awaiting;
            t.closed += v.closed;
            t.overdue_unrectified += v.overdue_unrectified;
            t.overdue_awaiting += v.overdue_awaiting;
        }
        t.close_out = rate_text(t.closed, t.total);
        t
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LedgerPage {
    pub total: i64,
    pub rows: Vec<LedgerRow>,
    /// Every village of the town (also those with no cases), in the town's order.
    pub villages: Vec<VillageCounts>,
    /// The villages' 合计 row.
    pub town: VillageCounts,
}

/// The cutoff day of an open 立行立改 case for the day bound as `?{day}`.
fn cutoff_sql(day: usize, immediate_days: i64, engine: Engine) -> (String, String) {
    let param = format!("?{day}");
    let cutoff = crate::store::sql::days_before(engine, &param, immediate_days);
    (param, cutoff)
}

/// Whether case `r` is overdue of `kind` on the day bound as `?{day}` (see
/// [`crate::model::overdue_sql`]).
pub(crate) fn overdue_sql(
    kind: Overdue,
    day: usize,
    immediate_days: i64,
    engine: Engine,
) -> String {
    let (param, cutoff) = cutoff_sql(day, immediate_days, engine);
    crate::model::overdue_sql(kind, &param, &cutoff)
}

/// Refuses a `today` that is not a date (a month would silently switch off the day rule).
fn check_day(today: &str) -> Result<()> {
    if today.len() != 10 || chrono::NaiveDate::parse_from_str(today, "%Y-%m-%d").is_err() {
        return Err(Error::Invalid(format!(
            "问题台账要按日期计算逾期：“{today}”不是年-月-日格式的日期。"
        )));
    }
    Ok(())
}

/// The problem ledger: one page of cases matching `f`, the number matching, and every
/// village's counts. `today` is `YYYY-MM-DD` (a planned case is overdue after its month, an
/// open 立行立改 case after the town's working days).
pub fn ledger<'a>(
    db: impl Into<Db<'a>>,
    f: &LedgerFilter,
    today: &str,
    offset: i64,
    limit: i64,
) -> Result<LedgerPage> {
    check_day(today)?;
    let db = db.into();
    let days = crate::fieldwork::working::WorkingValues::load(db)?.immediate_overdue_days;
    let (param, cutoff) = cutoff_sql(2, days, db.engine());
    let overdue_code = crate::model::overdue_code_sql(&param, &cutoff);
    let (place, place_id) = match f.scope {
        Scope::Town => ("1 = 1", 0),
        Scope::Village(v) => ("r.village_id = ?1", v),
        Scope::Group(g) => (
            "r.village_id = (SELECT village_id FROM village_groups WHERE id = ?1) AND r.group_id = ?1",
            g,
        ),
    };
    let category = match f.category.as_deref() {
        None | Some("") => "1 = 1".to_string(),
        Some("undecided") => "r.category IS NULL".to_string(),
        Some(code) => match Category::from_code(code) {
            Some(c) => format!("r.category = '{}'", c.code()),
            None => return Err(Error::Invalid(format!("未知的整改类别：{code}"))),
        },
    };
    let state = match f.state {
        Some(s) => format!("r.state = '{}'", s.code()),
        None => "1 = 1".into(),
    };
    let overdue = match f.overdue {
        Some(kind) => crate::model::overdue_sql(kind, &param, &cutoff),
        None => "1 = 1".into(),
    };
    let paper = match f.paper {
        None => "1 = 1".to_string(),
        Some(PaperState::Undelivered) => {
            format!("r.state <> 'closed' AND {PAPER_STATE_SQL} IN ('unprinted', 'undelivered')")
        }
        Some(p) => format!("{PAPER_STATE_SQL} = '{}'", p.code()),
    };
    let escalated = if f.escalated_only {
        "r.escalated_on IS NOT NULL AND r.state <> 'closed'"
    } else {
        "1 = 1"
    };
    let filter = format!(
        "{place} AND {category} AND {state} AND {overdue} AND {paper} AND {escalated} AND ?2 = ?2"
    );
    let total: i64 = db.query_row(
        &format!("SELECT count(*) FROM rectifications r WHERE {filter}"),
        params![place_id, today],
        |r| r.get(0),
    )?;
    let order = match f.sort {
        LedgerSort::Place => "v.sort_order, v.id, g.sort_order, g.id, r.household_id, t.seq, r.id",
        LedgerSort::Oldest => "r.state = 'closed', r.state_since, r.id",
        LedgerSort::Planned => "r.planned_month IS NULL, r.planned_month, r.id",
    };
    let sql = format!(
        "SELECT r.id, r.household_id, h.head_name, v.name, g.name, t.seq, t.tech_mode, t.subsidy_year,
                i.inspected_on,
                (SELECT string_agg(pi.name, '、' ORDER BY ip.item_id) FROM inspection_problems ip
                   JOIN problem_items pi ON pi.id = ip.item_id WHERE ip.inspection_id = r.inspection_id),
                EXISTS (SELECT 1 FROM inspection_problems ip WHERE ip.inspection_id = r.inspection_id AND ip.stops_use = 1),
                r.proposed_category, r.category, r.state, r.state_since, r.planned_month, r.responsible,
                {od}, {PAPER_STATE_SQL}, r.clear_inspection_id IS NOT NULL, r.escalated_on IS NOT NULL
         FROM rectifications r
         JOIN households h ON h.id = r.household_id
         JOIN villages v ON v.id = r.village_id
         JOIN village_groups g ON g.id = r.group_id
         JOIN toilets t ON t.id = r.toilet_id
         JOIN inspections i ON i.id = r.inspection_id
         WHERE {filter}
         ORDER BY {order}
         LIMIT ?3 OFFSET ?4",
        od = overdue_code
    );
    let rows = db.query_map(&sql, params![place_id, today, limit, offset], ledger_row)?;
    let villages = village_counts(db, today)?;
    Ok(LedgerPage {
        total,
        rows,
        town: VillageCounts::town_total(&villages),
        villages,
    })
}

pub(super) fn ledger_row(r: &Row<'_>) -> rusqlite::Result<LedgerRow> {
    Ok(LedgerRow {
        case_id: r.get(0)?,
        household_id: r.get(1)?,
        head_name: r.get(2)?,
        village_name: r.get(3)?,
        group_name: r.get(4)?,
        toilet_seq: r.get(5)?,
        tech_mode: r.get(6)?,
        subsidy_year: r.get(7)?,
        inspected_on: r.get(8)?,
        problems: r.get::<_, Option<String>>(9)?.unwrap_or_default(),
        stops_use: r.get(10)?,
        proposed_category: r.get(11)?,
        category: r.get(12)?,
        state: r.get(13)?,
        state_since: r.get(14)?,
        planned_month: r.get(15)?,
        responsible: r.get(16)?,
        overdue: r.get(17)?,
        paper: r
            .get::<_, Option<String>>(18)?
            .as_deref()
            .and_then(PaperState::from_code),
        clear_check: r.get(19)?,
        escalated: r.get(20)?,
    })
}

/// Every village's case counts (月调度's first columns) on `today` (`YYYY-MM-DD`).
pub fn village_counts<'a>(db: impl Into<Db<'a>>, today: &str) -> Result<Vec<VillageCounts>> {
    check_day(today)?;
    let db = db.into();
    let days = crate::fieldwork::working::WorkingValues::load(db)?.immediate_overdue_days;
    db.query_map(
        &format!(
            "SELECT v.id, v.name,
                count(r.id),
                count(r.id) FILTER (WHERE r.category IS NULL AND r.state <> 'closed'),
                count(r.id) FILTER (WHERE r.state = 'pending'),
                count(r.id) FILTER (WHERE r.state = 'in_progress'),
                count(r.id) FILTER (WHERE r.state = 'awaiting_acceptance'),
                count(r.id) FILTER (WHERE r.state = 'closed'),
                count(r.id) FILTER (WHERE {}),
                count(r.id) FILTER (WHERE {})
         FROM villages v LEFT JOIN rectifications r ON r.village_id = v.id
         GROUP BY v.id ORDER BY v.sort_order, v.id",
            overdue_sql(Overdue::Unrectified, 1, days, db.engine()),
            overdue_sql(Overdue::AwaitingAcceptance, 1, days, db.engine())
        ),
        [&today],
        |r| {
            Ok(VillageCounts {
                village_id: r.get(0)?,
                village_name: r.get(1)?,
                total: r.get(2)?,
                undecided: r.get(3)?,
                pending: r.get(4)?,
                in_progress: r.get(5)?,
                awaiting: r.get(6)?,
                closed: r.get(7)?,
                overdue_unrectified: r.get(8)?,
                overdue_awaiting: r.get(9)?,
                close_out: rate_text(r.get(7)?, r.get(2)?),
            })
        },
    )
}
