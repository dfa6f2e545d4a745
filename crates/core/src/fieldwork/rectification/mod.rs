//! 问题厕所台账 and 销号管理: each problem toilet's case, its rectification category (proposed by
//! [`crate::fieldwork::rules`], confirmed or overridden by a person), its plan, and its moves
//! 待整改 → 整改中 → 已整改待验收 → 已销号, each a dated, signed event. Nothing is deleted: a wrong
//! close-out is reopened with a reason.

use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::access::accounts::Account;
use crate::access::permissions::Action;
use crate::error::{Error, Result};
use crate::model::{CaseState, Category, InspectionKind};
use crate::store::sql::{Db, Optional};

mod ledger;

pub use ledger::{
    ledger, village_counts, LedgerFilter, LedgerPage, LedgerRow, LedgerSort, PaperState,
    VillageCounts,
};

/// The town's plan starts in 2022.
pub const FIRST_PLANNED_MONTH: &str = "2022-01";

/// Why a move between two states is refused, or `None` when it is allowed.
pub fn refuse_move(from: CaseState, to: CaseState) -> Option<String> {
    use CaseState::*;
    let allowed = matches!(
        (from, to),
        (Pending, InProgress)
            | (Pending, AwaitingAcceptance)
            | (InProgress, AwaitingAcceptance)
            | (AwaitingAcceptance, Closed)
            | (AwaitingAcceptance, InProgress)
            | (Closed, InProgress)
    );
    if allowed {
        return None;
    }
    Some(match (from, to) {
        (a, b) if a == b => format!("这个问题已经是“{}”，不需要再改。", a.label()),
        (_, Closed) => {
            "只有“已整改待验收”的问题才能销号：请先登记整改完成，再由另一位工作人员验收销号。"
                .into()
        }
        (Closed, _) => "已销号的问题只能“重新打开”（并写明原因），不能直接改为其他状态。".into(),
        (_, Pending) => "问题一旦开始整改就不能退回“待整改”；整改没有完成请保持“整改中”。".into(),
        (a, b) => format!("不能从“{}”改为“{}”。", a.label(), b.label()),
    })
}

/// A person's category decision, with the plan for planned rectification.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
pub struct Decision {
    pub category: Option<Category>,
    #[serde(default)]
    pub override_reason: Option<String>,
    /// 整改措施.
    #[serde(default)]
    pub measures: Option<String>,
    /// 责任人.
    #[serde(default)]
    pub responsible: Option<String>,
    /// 计划完成时间, `YYYY-MM`.
    #[serde(default)]
    pub planned_month: Option<String>,
    /// 资金来源.
    #[serde(default)]
    pub funding: Option<String>,
}

/// A [`Decision`] as the case panel sends it: with, when an earlier plan's 计划完成时间 is moved
/// later, the reason (延期原因).
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
pub struct DecisionInput {
    #[serde(flatten)]
    pub decision: Decision,
    /// 延期原因: required when the case's planned month moves later.
    #[serde(default)]
    pub delay_reason: Option<String>,
}

impl From<Decision> for DecisionInput {
    fn from(decision: Decision) -> Self {
        DecisionInput {
            decision,
            delay_reason: None,
        }
    }
}

fn filled(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A planned month: `YYYY-MM`, not before `earliest` (the inspection's month) and not after the
/// town's plan horizon.
fn check_month(m: &str, earliest: &str, horizon: &str) -> Result<()> {
    if !crate::fieldwork::working::is_month(m) {
        return Err(Error::Invalid(format!(
            "计划完成时间“{m}”格式不对，请写成“2027-06”（年-月）。"
        )));
    }
    let earliest = earliest.max(FIRST_PLANNED_MONTH);
    if m < earliest {
        return Err(Error::Invalid(format!(
            "计划完成时间“{m}”早于发现问题的核查（{earliest}），请填 {earliest} 以后的年月。"
        )));
    }
    if m > horizon {
        return Err(Error::Invalid(format!(
            "计划完成时间“{m}”超出本镇的计划整改期限（{horizon}），请填 {earliest} 至 {horizon} 之间的年月；期限可由管理员在“设置”中调整。"
        )));
    }
    Ok(())
}

/// A date as `YYYY-MM-DD`, not after `today`.
pub fn check_date(d: &str, what: &str, today: &str) -> Result<()> {
    if chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err() || d.len() != 10 {
        return Err(Error::Invalid(format!(
            "{what}“{d}”不是有效日期，请写成“2022-09-20”这样的年-月-日。"
        )));
    }
    if d > today {
        return Err(Error::Invalid(format!(
            "{what}“{d}”在今天（{today}）之后，请核对日期。"
        )));
    }
    Ok(())
}

struct CaseCore {
    state: CaseState,
    proposed: Option<Category>,
    category: Option<Category>,
}

fn case_core(conn: Db<'_>, id: i64) -> Result<CaseCore> {
    conn.prepare_cached(
        "SELECT state, proposed_category, category FROM rectifications WHERE id = ?1",
    )?
    .query_row([id], |r| {
        Ok(CaseCore {
            state: r.get(0)?,
            proposed: r.get(1)?,
            category: r.get(2)?,
        })
    })
    .optional()?
    .ok_or_else(|| {
        Error::Invalid(format!(
            "找不到编号为 {id} 的整改记录，请刷新问题台账后重试。"
        ))
    })
}

/// One entry of a case's history.
pub(crate) struct Event<'a> {
    pub kind: &'a str,
    pub from: Option<CaseState>,
    pub to: Option<CaseState>,
    pub actor: i64,
    pub on: &'a str,
    pub remark: Option<&'a str>,
    pub verifier: Option<i64>,
    pub photo: Option<&'a str>,
    /// The login account that keyed it in.
    pub account: Option<i64>,
}

/// Appends a step to a case's history (in the caller's transaction).
pub(crate) fn add_event(conn: Db<'_>, case_id: i64, e: Event, now: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO rectification_events
           (rectification_id, kind, from_state, to_state, actor_id, happened_on, recorded_at, remark,
            verifier_id, photo_hash, account_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        case_id, e.kind, e.from, e.to, e.actor, e.on, now, e.remark, e.verifier, e.photo, e.account
    ])?;
    Ok(())
}

/// Opens a case for a toilet whose inspection found problems. Call inside the inspection's
/// transaction.
#[allow(clippy::too_many_arguments)]
pub(crate) fn open_case<'a>(
    db: impl Into<Db<'a>>,
    by: &Account,
    toilet_id: i64,
    inspection_id: i64,
    proposed: Option<Category>,
    reason: &str,
    actor: i64,
    on: &str,
    now: &str,
) -> Result<i64> {
    let conn = db.into();
    let id = conn
        .prepare_cached(
            "INSERT INTO rectifications
           (toilet_id, household_id, village_id, group_id, inspection_id, proposed_category,
            proposal_reason, state, state_since, created_at, opened_on)
         SELECT t.id, h.id, h.village_id, h.group_id, ?2, ?3, ?4, 'pending', ?5, ?6, ?5
         FROM toilets t JOIN households h ON h.id = t.household_id WHERE t.id = ?1 RETURNING id",
        )?
        .query_row(
            params![toilet_id, inspection_id, proposed, reason, on, now],
            |r| r.get::<_, i64>(0),
        )?;
    let opened = Event {
        kind: "opened",
        from: None,
        to: Some(CaseState::Pending),
        actor,
        on,
        remark: Some(reason),
        verifier: None,
        photo: None,
        account: by.account_id(),
    };
    add_event(conn, id, opened, now)?;
    Ok(id)
}

/// A step of a case that moves no state — a re-check, a delivery, a 回执, a report to the
/// district and its answer: one entry in the case's history and one in the audit log.
pub(crate) struct SideStep<'a> {
    pub case_id: i64,
    /// The history's kind (`recheck`, `delivered`, …).
    pub kind: &'a str,
    pub actor: i64,
    pub on: &'a str,
    pub remark: &'a str,
    pub photo: Option<&'a str>,
    /// The audit log's action, summary and detail.
    pub action: &'a str,
    pub summary: String,
    pub detail: serde_json::Value,
}

/// Records a [`SideStep`] in the caller's transaction.
pub(crate) fn record_side_step(conn: Db<'_>, by: &Account, s: SideStep, now: &str) -> Result<()> {
    add_event(
        conn,
        s.case_id,
        Event {
            kind: s.kind,
            from: None,
            to: None,
            actor: s.actor,
            on: s.on,
            remark: Some(s.remark),
            verifier: None,
            photo: s.photo,
            account: by.account_id(),
        },
        now,
    )?;
    crate::store::audit::append(
        conn,
        now,
        s.action,
        "rectification",
        s.case_id,
        &s.summary,
        s.detail,
    )?;
    Ok(())
}

/// What a later inspection of a toilet with an open case found.
pub(crate) struct Followed<'a> {
    pub inspection_id: i64,
    pub kind: InspectionKind,
    pub on: &'a str,
    /// The toilet was examined and nothing was found (not: nobody at home).
    pub clear: bool,
    pub proposed: Option<Category>,
    pub reason: &'a str,
}

/// The case follows a later inspection of its toilet (in the caller's transaction): with
/// problems, the case's current problems and the rules' proposal become the new ones; with none,
/// acceptance is proposed — never done by itself. The earlier findings stay in the history, with
/// who changed what. An inspection dated before the case's current one changes nothing. A check
/// that still finds problems on or after the day the fix was recorded, while the case waits for
/// acceptance, takes it back to 整改中 as a failed acceptance does (验收不通过): it cannot be
/// closed out without a new fix. Returns whether the case changed.
pub(crate) fn follow_inspection(
    conn: Db<'_>,
    by: &Account,
    case_id: i64,
    f: &Followed,
    actor: i64,
    now: &str,
) -> Result<bool> {
    let problems = |inspection: i64| -> Result<String> {
        Ok(conn
            .prepare_cached(
                "SELECT string_agg(pi.name, '、' ORDER BY ip.id) FROM inspection_problems ip
                 JOIN problem_items pi ON pi.id = ip.item_id WHERE ip.inspection_id = ?1",
            )?
            .query_row([inspection], |r| r.get::<_, Option<String>>(0))?
            .unwrap_or_default())
    };
    let (current, current_on, old_proposed, category, state, since): (
        i64,
        String,
        Option<Category>,
        Option<Category>,
        CaseState,
        String,
    ) = conn.query_row(
        "SELECT r.inspection_id, i.inspected_on, r.proposed_category, r.category, r.state,
                r.state_since
             FROM rectifications r JOIN inspections i ON i.id = r.inspection_id WHERE r.id = ?1",
        [case_id],
        |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        },
    )?;
    if f.on < current_on.as_str() {
        return Ok(false);
    }
    let what = format!("{}（{}）", f.kind.label(), f.on);
    let mut found = None;
    let remark = if f.clear {
        conn.prepare_cached("UPDATE rectifications SET clear_inspection_id = ?2 WHERE id = ?1")?
            .execute(params![case_id, f.inspection_id])?;
        format!("{what}未发现问题：建议登记整改完成并验收销号（不会自动销号）")
    } else {
        let (old, new) = (problems(current)?, problems(f.inspection_id)?);
        conn.prepare_cached(
            "UPDATE rectifications SET inspection_id = ?2, proposed_category = ?3,
                proposal_reason = ?4, clear_inspection_id = NULL WHERE id = ?1",
        )?
        .execute(params![case_id, f.inspection_id, f.proposed, f.reason])?;
        let mut remark = if old == new {
            format!("{what}：问题仍为“{new}”")
        } else {
            format!("{what}：问题由“{old}”变为“{new}”")
        };
        if old_proposed != f.proposed {
            let label = |c: Option<Category>| c.map_or("无（由人工确定）", |c| c.label());
            remark.push_str(&format!(
                "；方案建议由“{}”变为“{}”",
                label(old_proposed),
                label(f.proposed)
            ));
            if category.is_some_and(|c| Some(c) != f.proposed) {
                remark.push_str("，请核对已确定的整改类别");
            }
        }
        found = Some(new);
        remark
    };
    let step = SideStep {
        case_id,
        kind: "recheck",
        actor,
        on: f.on,
        remark: &remark,
        photo: None,
        action: "case.recheck",
        summary: format!("整改记录 {case_id} 随{remark}"),
        detail: serde_json::json!({ "inspection_id": f.inspection_id, "clear": f.clear }),
    };
    record_side_step(conn, by, step, now)?;
    // The fix was recorded, and a check on or after that day still finds the problem.
    let fixed_on = since.get(..10).unwrap_or(&since);
    if let (Some(found), CaseState::AwaitingAcceptance) = (found, state) {
        if f.on >= fixed_on {
            let why = format!("{what}仍发现问题：{found}");
            take_back(conn, by, case_id, f, actor, &why, now)?;
        }
    }
    Ok(true)
}

/// Takes a case waiting for acceptance back to 整改中 because a later check still found the
/// problem (see [`follow_inspection`]): the move, its reason, the audit entry, as 验收不通过.
fn take_back(
    conn: Db<'_>,
    by: &Account,
    case_id: i64,
    f: &Followed,
    actor: i64,
    why: &str,
    now: &str,
) -> Result<()> {
    let (from, to) = (CaseState::AwaitingAcceptance, CaseState::InProgress);
    conn.prepare_cached(
        "UPDATE rectifications SET state = ?2, state_since = ?3, head_confirmed = NULL,
            unconfirmed_reason = NULL, acceptance_scan = NULL WHERE id = ?1",
    )?
    .execute(params![case_id, to, f.on])?;
    let moved = Event {
        kind: "move",
        from: Some(from),
        to: Some(to),
        actor,
        on: f.on,
        remark: Some(why),
        verifier: None,
        photo: None,
        account: by.account_id(),
    };
    add_event(conn, case_id, moved, now)?;
    crate::store::audit::append(
        conn,
        now,
        "case.move",
        "rectification",
        case_id,
        &format!(
            "整改记录 {case_id} 由“{}”改为“{}”（{}），{why}",
            from.label(),
            to.label(),
            f.on
        ),
        serde_json::json!({
            "state": [from.code(), to.code()],
            "date": f.on,
            "inspection_id": f.inspection_id,
        }),
    )?;
    Ok(())
}

/// The open case of a toilet (any state but 已销号), if there is one.
pub fn open_case_of<'a>(db: impl Into<Db<'a>>, toilet_id: i64) -> Result<Option<i64>> {
    let conn = db.into();
    conn
        .prepare_cached(
            "SELECT id FROM rectifications WHERE toilet_id = ?1 AND state <> 'closed' ORDER BY id DESC LIMIT 1",
        )?
        .query_row([toilet_id], |r| r.get(0))
        .optional()
}

/// Confirms or overrides the category and records the plan, as `by` (whose role must handle
/// cases; an account linked to a staff member decides as that person, whatever `actor` says).
/// Runs in the caller's transaction. A plan that moves its 计划完成时间 later needs a reason: see
/// [`decide_with_in`].
pub fn decide_in<'a>(
    db: impl Into<Db<'a>>,
    by: &Account,
    case_id: i64,
    d: &Decision,
    actor: i64,
    today: &str,
    now: &str,
) -> Result<()> {
    let d = DecisionInput::from(d.clone());
    decide_with_in(db, by, case_id, &d, actor, today, now)
}

/// The plan of a case as it stands: 整改措施, 责任人, 计划完成时间, 资金来源.
struct Plan {
    measures: Option<String>,
    responsible: Option<String>,
    month: Option<String>,
    funding: Option<String>,
}

/// [`decide_in`] with the reason for a later deadline (延期原因). A case decided before keeps its
/// old plan in the history and the audit log (old → new for every field that changes); moving
/// its 计划完成时间 later — which can take an overdue case out of 逾期 — needs that reason,
/// recorded with it; an earlier or the same month needs none.
pub fn decide_with_in<'a>(
    db: impl Into<Db<'a>>,
    by: &Account,
    case_id: i64,
    input: &DecisionInput,
    actor: i64,
    today: &str,
    now: &str,
) -> Result<()> {
    let conn = db.into();
    let d = &input.decision;
    by.require(Action::HandleCase)?;
    let actor = by.signs_as(actor);
    let case = case_core(conn, case_id)?;
    let actor_name = crate::access::staff::get_staff(conn, actor)?.name;
    let (inspection, inspected_on, old): (i64, String, Plan) = conn.query_row(
        "SELECT r.inspection_id, i.inspected_on, r.measures, r.responsible, r.planned_month,
                r.funding
         FROM rectifications r JOIN inspections i ON i.id = r.inspection_id WHERE r.id = ?1",
        [case_id],
        |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                Plan {
                    measures: r.get(2)?,
                    responsible: r.get(3)?,
                    month: r.get(4)?,
                    funding: r.get(5)?,
                },
            ))
        },
    )?;
    crate::fieldwork::signoff::refuse_if_locked(conn, inspection)?;
    if case.state == CaseState::Closed {
        return Err(Error::Invalid(
            "这个问题已经销号，不能再改整改类别。确有错误请先“重新打开”。".into(),
        ));
    }
    let Some(category) = d.category else {
        return Err(Error::Invalid("请选择整改类别。".into()));
    };
    let reason = filled(&d.override_reason);
    if case.proposed != Some(category) && reason.as_deref().map_or(0, |r| r.chars().count()) < 2 {
        return Err(Error::Invalid(match case.proposed {
            Some(p) => format!(
                "按方案建议的类别是“{}”，改为“{}”需要写明理由。",
                p.label(),
                category.label()
            ),
            None => "方案对这种情况没有规定类别，由人工确定时需要写明理由。".into(),
        }));
    }
    let new = Plan {
        measures: filled(&d.measures),
        responsible: filled(&d.responsible),
        month: filled(&d.planned_month),
        funding: filled(&d.funding),
    };
    if category.is_planned() {
        let mut missing = Vec::new();
        if new.measures.is_none() {
            missing.push("整改措施");
        }
        if new.responsible.is_none() {
            missing.push("责任人");
        }
        if new.month.is_none() {
            missing.push("计划完成时间");
        }
        if !missing.is_empty() {
            return Err(Error::Invalid(format!(
                "“{}”要填写{}（路线图、任务书、时间表）。",
                category.label(),
                missing.join("、")
            )));
        }
    }
    if let Some(m) = &new.month {
        let horizon = crate::fieldwork::working::WorkingValues::load(conn)?.plan_horizon;
        check_month(m, inspected_on.get(..7).unwrap_or(""), &horizon)?;
    }
    // A deadline moved later needs its reason (延期原因); the reason is kept only then.
    let delayed = match (&old.month, &new.month) {
        (Some(o), Some(n)) if n > o => Some((o.clone(), n.clone())),
        _ => None,
    };
    let delay_reason = delayed.as_ref().and(filled(&input.delay_reason));
    if let Some((o, n)) = &delayed {
        if delay_reason.as_deref().map_or(0, |r| r.chars().count()) < 2 {
            return Err(Error::Invalid(format!(
                "计划完成时间由 {o} 推后到 {n}，要写明延期原因（例如：汛期无法施工，顺延至枯水期）。不延期请仍填 {o} 或更早的年月。"
            )));
        }
    }
    conn.prepare_cached(
        "UPDATE rectifications SET category = ?2, override_reason = ?3, confirmed_by = ?4,
            confirmed_at = ?5, measures = ?6, responsible = ?7, planned_month = ?8, funding = ?9
         WHERE id = ?1",
    )?
    .execute(params![
        case_id,
        category,
        if case.proposed == Some(category) {
            None
        } else {
            reason.clone()
        },
        actor,
        now,
        new.measures,
        new.responsible,
        new.month,
        new.funding
    ])?;
    // What an earlier decision's plan had and this one changes, as people read it.
    let mut changes = Vec::new();
    if case.category.is_some() {
        let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "（空）".into());
        for (label, o, n) in [
            ("整改措施", &old.measures, &new.measures),
            ("责任人", &old.responsible, &new.responsible),
            ("计划完成时间", &old.month, &new.month),
            ("资金来源", &old.funding, &new.funding),
        ] {
            if o != n {
                let mut change = format!("{label}由“{}”改为“{}”", shown(o), shown(n));
                if label == "计划完成时间" {
                    if let Some(r) = &delay_reason {
                        change.push_str(&format!("，延期原因：{r}"));
                    }
                }
                changes.push(change);
            }
        }
    }
    let mut remark = match (case.category, case.proposed == Some(category)) {
        (Some(old), _) if old != category => format!(
            "{actor_name}把类别由“{}”改为“{}”{}",
            old.label(),
            category.label(),
            reason.map(|r| format!("，理由：{r}")).unwrap_or_default()
        ),
        (Some(_), _) if !changes.is_empty() => {
            format!("{actor_name}修改整改方案（类别“{}”不变）", category.label())
        }
        (_, true) => format!("{actor_name}确认方案建议的类别“{}”", category.label()),
        (_, false) => format!(
            "{actor_name}确定类别“{}”（方案建议：{}），理由：{}",
            category.label(),
            case.proposed.map_or("无", |p| p.label()),
            reason.unwrap_or_default()
        ),
    };
    if !changes.is_empty() {
        let same = case.category == Some(category);
        remark.push(if same { '：' } else { '；' });
        remark.push_str(&changes.join("；"));
    }
    let decided = Event {
        kind: "category",
        from: None,
        to: None,
        actor,
        on: today,
        remark: Some(&remark),
        verifier: None,
        photo: None,
        account: by.account_id(),
    };
    add_event(conn, case_id, decided, now)?;
    crate::store::audit::append(
        conn,
        now,
        "case.decide",
        "rectification",
        case_id,
        &remark,
        serde_json::json!({
            "category": [case.category.map(|c| c.label()), category.label()],
            "measures": [old.measures, new.measures],
            "responsible": [old.responsible, new.responsible],
            "planned_month": [old.month, new.month],
            "funding": [old.funding, new.funding],
            "delay_reason": delay_reason,
        }),
    )?;
    Ok(())
}

/// A request to move a case to another state.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MoveInput {
    pub case_id: i64,
    pub to: CaseState,
    /// The person keying it in (or doing the work).
    pub actor_id: i64,
    /// When it happened (for 销号: the verification date), `YYYY-MM-DD`.
    pub date: String,
    /// A remark: for a move back the reason; for 销号 the 验收情况 (a 销号 needs it, the
    /// after-photo or the 验收单's scan).
    #[serde(default)]
    pub remark: Option<String>,
    /// 验收人, for 销号: not the person who recorded the rectification.
    #[serde(default)]
    pub verifier_id: Option<i64>,
    /// An after-photo, already stored (see [`crate::fieldwork::photos::store`]).
    #[serde(default)]
    pub photo: Option<String>,
    /// For 销号: the household head signed the 验收单 (户主确认).
    #[serde(default)]
    pub head_confirmed: bool,
    /// For 销号 without the head's confirmation: why (required).
    #[serde(default)]
    pub unconfirmed_reason: Option<String>,
    /// For 销号: the scan of the signed 验收单 (see [`crate::fieldwork::photos::store_scan`]).
    #[serde(default)]
    pub scan: Option<String>,
}

/// Moves a case, in the caller's transaction, as `by` (whose role must handle cases; an account
/// linked to a staff member acts as that person, whatever the input says).
pub fn move_in<'a>(
    db: impl Into<Db<'a>>,
    by: &Account,
    m: &MoveInput,
    today: &str,
    now: &str,
) -> Result<()> {
    let conn = db.into();
    by.require(Action::HandleCase)?;
    let signed = MoveInput {
        actor_id: by.signs_as(m.actor_id),
        ..m.clone()
    };
    let m = &signed;
    let case = case_core(conn, m.case_id)?;
    if let Some(why) = refuse_move(case.state, m.to) {
        return Err(Error::Invalid(why));
    }
    crate::access::staff::get_staff(conn, m.actor_id)?;
    check_date(&m.date, "日期", today)?;
    let remark = filled(&m.remark);
    if case.category.is_none() {
        return Err(Error::Invalid(
            "请先确定整改类别（确认方案建议的类别，或写明理由另定），再登记整改进度。".into(),
        ));
    }
    let backwards = matches!(
        (case.state, m.to),
        (CaseState::AwaitingAcceptance, CaseState::InProgress)
            | (CaseState::Closed, CaseState::InProgress)
    );
    if backwards && remark.as_deref().map_or(0, |r| r.chars().count()) < 2 {
        return Err(Error::Invalid(if case.state == CaseState::Closed {
            "重新打开已销号的问题必须写明原因（例如：复核发现仍有渗漏）。".into()
        } else {
            "验收不通过、退回整改，请写明原因。".into()
        }));
    }
    let since: String = conn.query_row(
        "SELECT state_since FROM rectifications WHERE id = ?1",
        [m.case_id],
        |r| r.get(0),
    )?;
    if m.date.as_str() < since.get(..10).unwrap_or("") {
        return Err(Error::Invalid(format!(
            "日期 {} 早于上一步（{}）的日期 {}，请核对。",
            m.date,
            case.state.label(),
            since.get(..10).unwrap_or(&since)
        )));
    }
    let mut verifier = None;
    if m.to == CaseState::Closed {
        let Some(v) = m.verifier_id else {
            return Err(Error::Invalid("销号要选择验收人。".into()));
        };
        let verifier_staff = crate::access::staff::get_staff(conn, v)?;
        if !verifier_staff.active {
            return Err(Error::Invalid(format!(
                "{}已停用（不在在岗名单中），不能作为验收人。请选择在岗的工作人员。",
                verifier_staff.name
            )));
        }
        let v_name = verifier_staff.name;
        // Who recorded the fix: the staff member named, and the person of the login account
        // that keyed it in (when that account is linked to one).
        let recorder: Option<(i64, Option<i64>)> = conn
            .query_row(
                "SELECT e.actor_id, a.staff_id FROM rectification_events e
                 LEFT JOIN accounts a ON a.id = e.account_id
                 WHERE e.rectification_id = ?1 AND e.to_state = 'awaiting_acceptance'
                 ORDER BY e.id DESC LIMIT 1",
                [m.case_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((named, keyed_by)) = recorder {
            if named == v || keyed_by == Some(v) {
                return Err(Error::Invalid(format!(
                    "整改完成是{v_name}登记的，验收销号要由另一位工作人员负责（谁整改、谁不能自己验收）。请换一位验收人。"
                )));
            }
        }
        verifier = Some(v);
        let why = filled(&m.unconfirmed_reason);
        if !m.head_confirmed && why.as_deref().map_or(0, |r| r.chars().count()) < 2 {
            return Err(Error::Invalid(
                "户主没有在验收单上签字确认的，销号要写明原因（例如：户主外出务工，由其子女代为确认）。户主已确认的，请勾选“户主已签字确认”。".into(),
            ));
        }
        // How it was verified: an after-photo, what the verifier found, or the signed sheet.
        let said = remark.as_deref().is_some_and(|r| r.chars().count() >= 2);
        if m.photo.is_none() && m.scan.is_none() && !said {
            return Err(Error::Invalid(
                "销号要记录是怎样验收的：请附整改后照片，或在“验收情况”中写明验收情况（例如：复核无渗漏，能正常使用），或附签字的验收单扫描件，至少一项。".into(),
            ));
        }
        if let Some(h) = &m.scan {
            if crate::fieldwork::photos::get(conn, h)?.is_none() {
                return Err(Error::Invalid(
                    "所选验收单扫描件没有保存成功，请重新选择文件。".into(),
                ));
            }
        }
    }
    if let Some(p) = &m.photo {
        let photo = crate::fieldwork::photos::get(conn, p)?
            .filter(|p| crate::fieldwork::photos::is_image(&p.file_name))
            .ok_or_else(|| Error::Invalid("所选照片没有保存成功，请重新选择照片。".into()))?;
        // Evidence of this household's fix only: not a photo of another household's toilet.
        let toilet_id: i64 = conn.query_row(
            "SELECT toilet_id FROM rectifications WHERE id = ?1",
            [m.case_id],
            |r| r.get(0),
        )?;
        crate::fieldwork::photos::refuse_another_households_photo(
            conn,
            toilet_id,
            p,
            &photo.original_name,
        )?;
    }
    let kind = if case.state == CaseState::Closed {
        "reopen"
    } else {
        "move"
    };
    // The 验收单's confirmation belongs to a close-out: set by 销号, cleared when reopened.
    let closing = m.to == CaseState::Closed;
    let confirmed = closing.then_some(m.head_confirmed);
    let why = if closing && !m.head_confirmed {
        filled(&m.unconfirmed_reason)
    } else {
        None
    };
    let scan = if closing { m.scan.clone() } else { None };
    conn.prepare_cached(
        "UPDATE rectifications SET state = ?2, state_since = ?3, head_confirmed = ?4,
            unconfirmed_reason = ?5, acceptance_scan = ?6 WHERE id = ?1",
    )?
    .execute(params![m.case_id, m.to, m.date, confirmed, why, scan])?;
    let remark = match (closing, m.head_confirmed, &why) {
        (true, true, _) => Some(match &remark {
            Some(r) => format!("{r}（户主已签字确认）"),
            None => "户主已签字确认".into(),
        }),
        (true, false, Some(w)) => Some(match &remark {
            Some(r) => format!("{r}（户主未确认：{w}）"),
            None => format!("户主未确认：{w}"),
        }),
        _ => remark,
    };
    let moved = Event {
        kind,
        from: Some(case.state),
        to: Some(m.to),
        actor: m.actor_id,
        on: &m.date,
        remark: remark.as_deref(),
        verifier,
        photo: m.photo.as_deref(),
        account: by.account_id(),
    };
    add_event(conn, m.case_id, moved, now)?;
    crate::store::audit::append(
        conn,
        now,
        if kind == "reopen" {
            "case.reopen"
        } else {
            "case.move"
        },
        "rectification",
        m.case_id,
        &format!(
            "整改记录 {} 由“{}”改为“{}”（{}）{}",
            m.case_id,
            case.state.label(),
            m.to.label(),
            m.date,
            remark
                .as_deref()
                .map(|r| format!("，{r}"))
                .unwrap_or_default()
        ),
        serde_json::json!({
            "state": [case.state.code(), m.to.code()],
            "date": m.date,
            "verifier_id": verifier,
            "photo": m.photo,
            "head_confirmed": confirmed,
            "scan": scan,
        }),
    )?;
    Ok(())
}

/// Moves a case in its own transaction (see [`move_in`]).
pub fn move_case<'a>(
    db: impl Into<Db<'a>>,
    by: &Account,
    m: &MoveInput,
    today: &str,
    now: &str,
) -> Result<()> {
    let conn = db.into();
    conn.atomically(|conn| move_in(conn, by, m, today, now))
}

/// Confirms or overrides the category in its own transaction (see [`decide_in`]).
pub fn decide<'a>(
    db: impl Into<Db<'a>>,
    by: &Account,
    case_id: i64,
    d: &Decision,
    actor: i64,
    today: &str,
    now: &str,
) -> Result<()> {
    let conn = db.into();
    conn.atomically(|conn| decide_in(conn, by, case_id, d, actor, today, now))
}

/// [`decide_with_in`] in its own transaction: a decision with its 延期原因.
pub fn decide_with<'a>(
    db: impl Into<Db<'a>>,
    by: &Account,
    case_id: i64,
    d: &DecisionInput,
    actor: i64,
    today: &str,
    now: &str,
) -> Result<()> {
    let conn = db.into();
    conn.atomically(|conn| decide_with_in(conn, by, case_id, d, actor, today, now))
}

/// One dated move of a case, as its history shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseEvent {
    pub kind: String,
    pub from_state: Option<CaseState>,
    pub to_state: Option<CaseState>,
    pub actor: String,
    pub happened_on: String,
    pub recorded_at: String,
    pub remark: Option<String>,
    pub verifier: Option<String>,
    pub photo: Option<String>,
}

/// A case with everything the ledger's side panel shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Case {
    pub id: i64,
    pub toilet_id: i64,
    pub household_id: i64,
    pub inspection_id: i64,
    pub proposed_category: Option<Category>,
    pub proposal_reason: String,
    pub category: Option<Category>,
    pub override_reason: Option<String>,
    pub measures: Option<String>,
    pub responsible: Option<String>,
    pub planned_month: Option<String>,
    pub funding: Option<String>,
    pub state: CaseState,
    pub state_since: String,
    /// 户主确认 of the last 销号 (None while not closed).
    pub head_confirmed: Option<bool>,
    pub unconfirmed_reason: Option<String>,
    /// The signed 验收单's scan.
    pub acceptance_scan: Option<String>,
    /// A later check found the problem gone ("区级抽查（2026-11-20）"): acceptance is proposed.
    pub clear_check: Option<String>,
    /// 报区人居办研究解决: when, why, and the district's answer.
    pub escalated_on: Option<String>,
    pub escalation_reason: Option<String>,
    pub escalation_reply: Option<String>,
    pub replied_on: Option<String>,
    /// The moves allowed from the current state.
    pub next_states: Vec<CaseState>,
    pub events: Vec<CaseEvent>,
    /// The case's version as read (see [`crate::store::versions`]).
    pub row_version: i64,
}

pub fn case<'a>(db: impl Into<Db<'a>>, id: i64) -> Result<Case> {
    let conn = db.into();
    let mut c = conn
        .prepare_cached(
            "SELECT id, toilet_id, household_id, inspection_id, proposed_category, proposal_reason,
                    category, override_reason, measures, responsible, planned_month, funding,
                    state, state_since, head_confirmed, unconfirmed_reason, acceptance_scan,
                    (SELECT i.kind || ' ' || i.inspected_on FROM inspections i
                     WHERE i.id = rectifications.clear_inspection_id),
                    escalated_on, escalation_reason, escalation_reply, replied_on, row_version
             FROM rectifications WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok(Case {
                id: r.get(0)?,
                toilet_id: r.get(1)?,
                household_id: r.get(2)?,
                inspection_id: r.get(3)?,
                proposed_category: r.get(4)?,
                proposal_reason: r.get(5)?,
                category: r.get(6)?,
                override_reason: r.get(7)?,
                measures: r.get(8)?,
                responsible: r.get(9)?,
                planned_month: r.get(10)?,
                funding: r.get(11)?,
                state: r.get(12)?,
                state_since: r.get(13)?,
                head_confirmed: r.get(14)?,
                unconfirmed_reason: r.get(15)?,
                acceptance_scan: r.get(16)?,
                clear_check: r.get::<_, Option<String>>(17)?.map(|k| {
                    let (kind, on) = k.split_once(' ').unwrap_or((&k, ""));
                    let kind = InspectionKind::from_code(kind).map_or(kind, |k| k.label());
                    format!("{kind}（{on}）")
                }),
                escalated_on: r.get(18)?,
                escalation_reason: r.get(19)?,
                escalation_reply: r.get(20)?,
                replied_on: r.get(21)?,
                next_states: vec![],
                events: vec![],
                row_version: r.get(22)?,
            })
        })
        .optional()?
        .ok_or_else(|| {
            Error::Invalid(format!(
                "找不到编号为 {id} 的整改记录，请刷新问题台账后重试。"
            ))
        })?;
    c.next_states = CaseState::ALL
        .iter()
        .copied()
        .filter(|to| refuse_move(c.state, *to).is_none())
        .collect();
    c.events = conn
        .prepare_cached(
            "SELECT e.kind, e.from_state, e.to_state, a.name, e.happened_on, e.recorded_at, e.remark,
                    v.name, e.photo_hash
             FROM rectification_events e
             JOIN staff a ON a.id = e.actor_id
             LEFT JOIN staff v ON v.id = e.verifier_id
             WHERE e.rectification_id = ?1 ORDER BY e.id",
        )?
        .query_map([id], |r| {
            Ok(CaseEvent {
                kind: r.get(0)?,
                from_state: r.get(1)?,
                to_state: r.get(2)?,
                actor: r.get(3)?,
                happened_on: r.get(4)?,
                recorded_at: r.get(5)?,
                remark: r.get(6)?,
                verifier: r.get(7)?,
                photo: r.get(8)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use CaseState::*;

    #[test]
    fn every_move_is_either_allowed_or_refused_with_a_reason() {
        let allowed = [
            (Pending, InProgress),
            (Pending, AwaitingAcceptance),
            (InProgress, AwaitingAcceptance),
            (AwaitingAcceptance, Closed),
            (AwaitingAcceptance, InProgress),
            (Closed, InProgress),
        ];
        for from in CaseState::ALL {
            for to in CaseState::ALL {
                let refused = refuse_move(*from, *to);
                if allowed.contains(&(*from, *to)) {
                    assert_eq!(refused, None, "{from:?} → {to:?} must be allowed");
                } else {
                    let why =
                        refused.unwrap_or_else(|| panic!("{from:?} → {to:?} must be refused"));
                    assert!(why.chars().count() > 8, "{from:?} → {to:?}: {why}");
                }
            }
        }
    }

    #[test]
    fn months_outside_the_plan_are_refused() {
        let ok = |m| check_month(m, "2022-09", "2030-12").is_ok();
        assert!(ok("2024-06"));
        assert!(ok("2030-12"));
        assert!(!ok("2031-01"));
        assert!(!ok("2022-08"));
        assert!(ok("2022-09"));
        assert!(!ok("2024-13"));
        assert!(!ok("2024/06"));
    }
}
