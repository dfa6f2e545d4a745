//! 入户核查: recording what an inspection group found at one toilet — household status, use,
//! the checklist's problems with their severity and cause, photos, and corrections to the
//! baseline — in one transaction together with the problem ledger entry it opens, the category
//! decision and, for 立行立改, the close-out made in the same sitting.

use rusqlite::params;
use rusqlite::types::Value;
use serde::{Deserialize, Serialize};

use crate::access::accounts::Account;
use crate::access::permissions::Action;
use crate::error::{Error, Result};
use crate::fieldwork::rectification::{self, check_date, Decision, MoveInput};
use crate::fieldwork::rules::{self, Found, Proposal};
use crate::model::{
    CaseState, Category, Cause, HouseholdStatus, InspectionKind, Location, TechMode, Toilet,
    UseStatus,
};
use crate::places::households::toilets_of;
use crate::store::sql::{Db, Optional};

/// One problem found.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ProblemInput {
    pub item_id: i64,
    /// 影响使用; the form fills it from the item's default severity, the inspector may change it.
    pub stops_use: bool,
    #[serde(default)]
    pub cause: Option<Cause>,
    #[serde(default)]
    pub remarks: Option<String>,
}

/// A correction to one baseline field: the field's code and the new value (a vocabulary code,
/// a year, "1"/"0" for yes/no, or text). `None` clears the field.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct CorrectionInput {
    pub field: String,
    #[serde(default)]
    pub value: Option<String>,
}

/// 立行立改 fixed and verified during the visit.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct OnSiteClose {
    /// 验收人: not the recorder.
    pub verifier_id: i64,
    #[serde(default)]
    pub remark: Option<String>,
    /// The household head signed the on-site 验收 (户主确认); without it `remark` says why.
    #[serde(default)]
    pub head_confirmed: bool,
}

/// One filled-in inspection form.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct InspectionInput {
    pub toilet_id: i64,
    pub kind: InspectionKind,
    /// `YYYY-MM-DD`.
    pub inspected_on: String,
    /// The inspection group: at least two people from the staff list.
    pub members: Vec<i64>,
    pub household_status: HouseholdStatus,
    #[serde(default)]
    pub status_note: Option<String>,
    /// 是否正常使用.
    #[serde(default)]
    pub in_normal_use: Option<bool>,
    /// "No problem" is an explicit answer.
    #[serde(default)]
    pub no_problem: bool,
    #[serde(default)]
    pub problems: Vec<ProblemInput>,
    /// Hashes of photos already stored with [`crate::fieldwork::photos::store`].
    #[serde(default)]
    pub photos: Vec<String>,
    #[serde(default)]
    pub corrections: Vec<CorrectionInput>,
    #[serde(default)]
    pub remarks: Option<String>,
    /// Who keyed it in (录入人).
    pub recorded_by: i64,
    /// The category decision, made on the same form (optional: it can be made later).
    #[serde(default)]
    pub decision: Option<Decision>,
    #[serde(default)]
    pub close_on_site: Option<OnSiteClose>,
}

/// What saving an inspection did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Saved {
    pub inspection_id: i64,
    pub proposal: Proposal,
    /// The case opened in the problem ledger.
    pub case_id: Option<i64>,
    /// The toilet already had an open case, which stays as it is.
    pub existing_case_id: Option<i64>,
    /// The existing case now follows this check (its problems and proposal, or acceptance
    /// proposed when nothing was found).
    pub case_followed: bool,
    pub corrections_applied: usize,
}

/// A baseline field the form can correct.
struct FieldSpec {
    code: &'static str,
    label: &'static str,
}

const FIELDS: &[FieldSpec] = &[
    FieldSpec {
        code: "tech_mode",
        label: "技术模式",
    },
    FieldSpec {
        code: "location",
        label: "厕所位置",
    },
    FieldSpec {
        code: "build_year",
        label: "建设（改造）年度",
    },
    FieldSpec {
        code: "subsidized",
        label: "是否财政补助",
    },
    FieldSpec {
        code: "subsidy_year",
        label: "补助年度",
    },
    FieldSpec {
        code: "is_sanitary",
        label: "是否卫生厕所",
    },
    FieldSpec {
        code: "use_status",
        label: "使用状态",
    },
    FieldSpec {
        code: "project_name",
        label: "项目名称",
    },
];

/// The value a correction writes and how the change log shows it.
fn parse_correction(c: &CorrectionInput) -> Result<(&'static FieldSpec, Value, String)> {
    let spec = FIELDS
        .iter()
        .find(|f| f.code == c.field)
        .ok_or_else(|| Error::Invalid(format!("“{}”不是可以在核查时更正的台账字段。", c.field)))?;
    let raw = c.value.as_deref().map(str::trim).filter(|v| !v.is_empty());
    let Some(raw) = raw else {
        return Ok((spec, Value::Null, "（空）".into()));
    };
    let bad = || {
        Error::Invalid(format!(
            "更正“{}”的新值“{raw}”无法识别，请从下拉列表中选择。",
            spec.label
        ))
    };
    let year = || -> Result<(Value, String)> {
        let y: i64 = raw.parse().map_err(|_| bad())?;
        if !(1949..=2100).contains(&y) {
            return Err(Error::Invalid(format!(
                "“{}”填的 {y} 不是合理的年份。",
                spec.label
            )));
        }
        Ok((Value::Integer(y), y.to_string()))
    };
    let yes_no = || -> Result<(Value, String)> {
        match raw {
            "1" | "是" => Ok((Value::Integer(1), "是".into())),
            "0" | "否" => Ok((Value::Integer(0), "否".into())),
            _ => Err(bad()),
        }
    };
    let (v, shown) = match spec.code {
        "tech_mode" => {
            let m = TechMode::from_code(raw).ok_or_else(bad)?;
            (Value::Text(m.code().into()), m.label().into())
        }
        "location" => {
            let m = Location::from_code(raw).ok_or_else(bad)?;
            (Value::Text(m.code().into()), m.label().into())
        }
        "use_status" => {
            let m = UseStatus::from_code(raw).ok_or_else(bad)?;
            (Value::Text(m.code().into()), m.label().into())
        }
        "build_year" | "subsidy_year" => year()?,
        "subsidized" | "is_sanitary" => yes_no()?,
        _ => (Value::Text(raw.to_string()), raw.to_string()),
    };
    Ok((spec, v, shown))
}

fn shown(field: &str, v: &Value) -> String {
    match (field, v) {
        (_, Value::Null) => "（空）".into(),
        ("subsidized" | "is_sanitary", Value::Integer(i)) => {
            if *i == 1 { "是" } else { "否" }.into()
        }
        ("tech_mode", Value::Text(t)) => {
            TechMode::from_code(t).map_or(t.clone(), |m| m.label().into())
        }
        ("location", Value::Text(t)) => {
            Location::from_code(t).map_or(t.clone(), |m| m.label().into())
        }
        ("use_status", Value::Text(t)) => {
            UseStatus::from_code(t).map_or(t.clone(), |m| m.label().into())
        }
        (_, Value::Integer(i)) => i.to_string(),
        (_, Value::Text(t)) => t.clone(),
        (_, other) => format!("{other:?}"),
    }
}

fn toilet(conn: Db<'_>, id: i64) -> Result<Toilet> {
    let household: i64 = conn
        .query_row(
            "SELECT household_id FROM toilets WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| {
            Error::Invalid(format!("找不到编号为 {id} 的户厕，请刷新农户信息后重试。"))
        })?;
    Ok(toilets_of(conn, household)?
        .into_iter()
        .find(|t| t.id == id)
        .expect("the toilet of its own household"))
}

/// The category the rules propose for these problems on this toilet, taking the form's
/// corrections to the subsidy fields and the build year into account (the live hint on the form).
pub fn preview_proposal<'a>(
    db: impl Into<Db<'a>>,
    toilet_id: i64,
    problems: &[ProblemInput],
    corrections: &[CorrectionInput],
) -> Result<Proposal> {
    let t = toilet(db.into(), toilet_id)?;
    let mut subsidized = t.subsidized;
    let mut build_year = t.build_year;
    let mut subsidy_year = t.subsidy_year;
    for c in corrections {
        let (spec, v, _) = parse_correction(c)?;
        match (spec.code, v) {
            ("subsidized", Value::Integer(i)) => subsidized = Some(i == 1),
            ("subsidized", _) => subsidized = None,
            ("build_year", Value::Integer(y)) => build_year = Some(y),
            ("build_year", _) => build_year = None,
            ("subsidy_year", Value::Integer(y)) => subsidy_year = Some(y),
            ("subsidy_year", _) => subsidy_year = None,
            _ => {}
        }
    }
    let found: Vec<Found> = problems
        .iter()
        .map(|p| Found {
            stops_use: p.stops_use,
            cause: p.cause,
        })
        .collect();
    Ok(rules::propose(&found, subsidized, build_year, subsidy_year))
}

fn text(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The earliest inspection date: the town's plan for this work (the seed, 《石鱼镇农村户厕问题摸排整改
/// 后续工作实施方案》) is of 2022 — set-up from Aug 30, visits from Sep 16. The earlier surveys
/// (摸底调查, 2013 年以来财政补助的户厕) are the baseline, imported, never keyed in as inspections.
pub const CAMPAIGN_START: &str = "2022-01-01";

/// Refuses a form that would take the place of a reviewed (locked) result: another inspection
/// of the same kind of the same toilet dated the same day as, or before, a reviewed one. Saved,
/// it would become the toilet's result — the case would follow it and the 签字背书表 list it —
/// so the locked category could change with no unlock. A later check, or another kind of check
/// (镇级复核, 区级抽查) the same day, is a result of its own. While the first is not reviewed a
/// second entry of the same day is allowed: a saved inspection is never edited, so keying the
/// form in again is how a wrongly keyed one is put right (both stay in the household's file).
fn refuse_replacing_a_reviewed_result(conn: Db<'_>, f: &InspectionInput) -> Result<()> {
    let same: Vec<(i64, String)> = conn
        .prepare_cached(
            "SELECT id, inspected_on FROM inspections
             WHERE toilet_id = ?1 AND kind = ?2 AND inspected_on >= ?3
             ORDER BY inspected_on DESC, id DESC",
        )?
        .query_map(params![f.toilet_id, f.kind, f.inspected_on], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    for (id, on) in same {
        let Some(review) = crate::fieldwork::signoff::state(conn, id)?.review else {
            continue;
        };
        let kind = f.kind.label();
        return Err(Error::Invalid(format!(
            "这个户厕 {on} 的{kind}（核查记录 {id}）已由审核人{}于 {} 审核签字，已锁定；不能再录入同一天或更早的{kind}来代替它。如是重复录入，不用保存；确需修改，请审核人解锁并写明原因后修改原记录（解锁后重新录入这份核查表，再重新审核）。",
            review.signer,
            review.signed_at.get(..10).unwrap_or(&review.signed_at)
        )));
    }
    Ok(())
}

/// Checks a form without saving it; every refusal says what to fix.
pub fn validate<'a>(db: impl Into<Db<'a>>, f: &InspectionInput, today: &str) -> Result<()> {
    let conn = db.into();
    toilet(conn, f.toilet_id)?;
    check_date(&f.inspected_on, "核查日期", today)?;
    if f.inspected_on.as_str() < CAMPAIGN_START {
        return Err(Error::Invalid(format!(
            "核查日期“{}”太早了，请核对（本项工作从 2022 年开始）。",
            f.inspected_on
        )));
    }
    refuse_replacing_a_reviewed_result(conn, f)?;
    let mut members = f.members.clone();
    members.sort_unstable();
    members.dedup();
    if members.len() < 2 {
        return Err(Error::Invalid(
            "入户调查组至少要有 2 人（包村包社干部 + 村社人员）。请在“调查组成员”中再选一人。"
                .into(),
        ));
    }
    for m in &members {
        let s = crate::access::staff::get_staff(conn, *m)?;
        if !s.active {
            return Err(Error::Invalid(format!(
                "{}已停用（不在在岗名单中），不能作为调查组成员。",
                s.name
            )));
        }
    }
    crate::access::staff::get_staff(conn, f.recorded_by)?;
    if f.household_status == HouseholdStatus::Other && text(&f.status_note).is_none() {
        return Err(Error::Invalid(
            "农户状态选了“其他”，请写明具体情况。".into(),
        ));
    }
    let normal = f.household_status == HouseholdStatus::Normal;
    if normal && f.in_normal_use.is_none() {
        return Err(Error::Invalid("请选择户厕是否正常使用。".into()));
    }
    if f.no_problem && !f.problems.is_empty() {
        return Err(Error::Invalid(
            "选了“无问题”，又勾选了问题。请取消“无问题”，或者取消勾选的问题。".into(),
        ));
    }
    if normal && !f.no_problem && f.problems.is_empty() {
        return Err(Error::Invalid(
            "请勾选发现的问题；没有发现问题请选择“无问题”（“无问题”也是核查结果，要明确选择）。"
                .into(),
        ));
    }
    let items = crate::fieldwork::problem_items::problem_items(conn, true)?;
    let mut seen = std::collections::HashSet::new();
    for p in &f.problems {
        let item = items.iter().find(|i| i.id == p.item_id).ok_or_else(|| {
            Error::Invalid(format!("问题项 {} 不存在，请刷新后重新勾选。", p.item_id))
        })?;
        if !seen.insert(p.item_id) {
            return Err(Error::Invalid(format!("问题“{}”勾选了两次。", item.name)));
        }
        if item.retired {
            return Err(Error::Invalid(format!(
                "问题项“{}”已经停用，不能再用于新的核查。请选择现行的问题项。",
                item.name
            )));
        }
        if p.stops_use && p.cause.is_none() {
            return Err(Error::Invalid(format!(
                "问题“{}”影响使用，请选择原因（施工不到位 / 产品质量不过关 / 技术模式不适宜 / 其他）。",
                item.name
            )));
        }
        if p.cause == Some(Cause::Other) && text(&p.remarks).is_none() {
            return Err(Error::Invalid(format!(
                "问题“{}”的原因选了“其他”，请在备注里写明原因。",
                item.name
            )));
        }
        if p.stops_use && f.in_normal_use == Some(true) {
            return Err(Error::Invalid(format!(
                "填了“正常使用”，但问题“{}”标为影响使用。请核对：能正常使用就把问题改为“不影响使用”，否则把“是否正常使用”改为“否”。",
                item.name
            )));
        }
    }
    for h in &f.photos {
        let Some(photo) = crate::fieldwork::photos::get(conn, h)?
            .filter(|p| crate::fieldwork::photos::is_image(&p.file_name))
        else {
            return Err(Error::Invalid(
                "有一张照片没有保存成功，请删除后重新选择。".into(),
            ));
        };
        crate::fieldwork::photos::refuse_another_households_photo(
            conn,
            f.toilet_id,
            h,
            &photo.original_name,
        )?;
    }
    for c in &f.corrections {
        parse_correction(c)?;
    }
    if f.close_on_site.is_some() {
        let category = f.decision.as_ref().and_then(|d| d.category);
        if category != Some(Category::ImmediateFix) {
            return Err(Error::Invalid(
                "只有“立行立改”的问题可以在核查时当场销号；计划整改请在问题台账中跟踪。".into(),
            ));
        }
    }
    Ok(())
}

/// Saves one inspection and everything that follows from it, all or nothing, as `by`: its role
/// must allow the kind of result (村级自查, or the re-checks 镇级复核 and 区级抽查) and, when the form carries
/// a category decision or an on-site close-out, the handling of cases. An account linked to a
/// staff member records as that person, whatever the form says.
pub fn save<'a>(
    db: impl Into<Db<'a>>,
    by: &Account,
    f: &InspectionInput,
    today: &str,
    now: &str,
) -> Result<Saved> {
    db.into()
        .atomically(|conn| save_in(conn, by, f, today, now))
}

/// Whether `by` may save the form `f` (see [`save`]).
pub fn check_allowed(by: &Account, f: &InspectionInput) -> Result<()> {
    by.require(if f.kind == InspectionKind::VillageSelf {
        Action::RecordInspection
    } else {
        Action::RecordSpotCheck
    })?;
    if f.decision.is_some() || f.close_on_site.is_some() {
        by.require(Action::HandleCase)?;
    }
    Ok(())
}

/// [`save`] inside the caller's transaction.
pub fn save_in<'a>(
    db: impl Into<Db<'a>>,
    by: &Account,
    f: &InspectionInput,
    today: &str,
    now: &str,
) -> Result<Saved> {
    let conn = db.into();
    check_allowed(by, f)?;
    let signed = InspectionInput {
        recorded_by: by.signs_as(f.recorded_by),
        ..f.clone()
    };
    let f = &signed;
    validate(conn, f, today)?;
    let recorder = crate::access::staff::get_staff(conn, f.recorded_by)?.name;

    // Corrections first: the category rules read the corrected baseline. 厕所已拆除 is the
    // toilet's state: the visit records it on the toilet's 使用状态 too.
    let mut corrections = f.corrections.clone();
    if f.household_status == HouseholdStatus::Demolished
        && !corrections.iter().any(|c| c.field == "use_status")
    {
        corrections.push(CorrectionInput {
            field: "use_status".into(),
            value: Some(crate::model::UseStatus::Demolished.code().into()),
        });
    }
    let mut applied = Vec::new();
    for c in &corrections {
        let (spec, new, new_shown) = parse_correction(c)?;
        let old: Value = conn.query_row(
            &format!("SELECT {} FROM toilets WHERE id = ?1", spec.code),
            [f.toilet_id],
            |r| r.get(0),
        )?;
        if old == new {
            continue;
        }
        conn.execute(
            &format!(
                "UPDATE toilets SET {} = ?1, updated_at = ?2 WHERE id = ?3",
                spec.code
            ),
            params![new, now, f.toilet_id],
        )?;
        applied.push((spec.label, shown(spec.code, &old), new_shown));
    }
    let has_problems = !f.problems.is_empty();
    let proposal = preview_proposal(conn, f.toilet_id, &f.problems, &[])?;
    let id = conn.prepare_cached(
        "INSERT INTO inspections (toilet_id, kind, inspected_on, household_status, status_note,
            in_normal_use, has_problems, remarks, proposed_category, proposal_reason, recorded_by, recorded_at,
            account_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) RETURNING id",
    )?
    .query_row(params![
        f.toilet_id,
        f.kind,
        f.inspected_on,
        f.household_status,
        text(&f.status_note),
        f.in_normal_use,
        has_problems,
        text(&f.remarks),
        proposal.category,
        proposal.reason,
        f.recorded_by,
        now,
        by.account_id()
    ], |r| r.get::<_, i64>(0))?;
    {
        let mut member = conn.prepare_cached(
            "INSERT INTO inspection_members (inspection_id, staff_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        )?;
        for m in &f.members {
            member.execute(params![id, m])?;
        }
        let mut problem = conn.prepare_cached(
            "INSERT INTO inspection_problems (inspection_id, item_id, stops_use, cause, remarks)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for p in &f.problems {
            problem.execute(params![
                id,
                p.item_id,
                p.stops_use,
                p.cause,
                text(&p.remarks)
            ])?;
        }
        let mut photo = conn.prepare_cached(
            "INSERT INTO inspection_photos (inspection_id, hash) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        )?;
        for h in &f.photos {
            photo.execute(params![id, h])?;
        }
        let mut log = conn.prepare_cached(
            "INSERT INTO change_log (at, actor, entity, entity_id, field, old_value, new_value, source)
             VALUES (?1, ?2, 'toilet', ?3, ?4, ?5, ?6, ?7)",
        )?;
        let source = correction_source(f.kind, id);
        for (label, old, new) in &applied {
            log.execute(params![now, recorder, f.toilet_id, label, old, new, source])?;
        }
    }

    let mut case_id = None;
    let mut existing_case_id = None;
    let mut case_followed = false;
    let open = rectification::open_case_of(conn, f.toilet_id)?;
    // A toilet with an open case: the case follows this check (not an older one keyed late).
    let follow = |case: i64, clear: bool| {
        let followed = rectification::Followed {
            inspection_id: id,
            kind: f.kind,
            on: &f.inspected_on,
            clear,
            proposed: proposal.category,
            reason: &proposal.reason,
        };
        rectification::follow_inspection(conn, by, case, &followed, f.recorded_by, now)
    };
    if has_problems {
        match open {
            Some(open) => {
                existing_case_id = Some(open);
                case_followed = follow(open, false)?;
            }
            None => {
                let c = rectification::open_case(
                    conn,
                    by,
                    f.toilet_id,
                    id,
                    proposal.category,
                    &proposal.reason,
                    f.recorded_by,
                    &f.inspected_on,
                    now,
                )?;
                if let Some(d) = &f.decision {
                    rectification::decide_in(conn, by, c, d, f.recorded_by, today, now)?;
                }
                if let Some(close) = &f.close_on_site {
                    let fixed = MoveInput {
                        case_id: c,
                        to: CaseState::AwaitingAcceptance,
                        actor_id: f.recorded_by,
                        date: f.inspected_on.clone(),
                        remark: Some("立行立改，核查时当场整改".into()),
                        verifier_id: None,
                        photo: None,
                        head_confirmed: false,
                        unconfirmed_reason: None,
                        scan: None,
                    };
                    rectification::move_in(conn, by, &fixed, today, now)?;
                    let closed = MoveInput {
                        case_id: c,
                        to: CaseState::Closed,
                        actor_id: f.recorded_by,
                        date: f.inspected_on.clone(),
                        // Without the head's confirmation the remark is the reason why.
                        remark: text(&close.remark)
                            .filter(|_| close.head_confirmed)
                            .or(Some("当场验收销号".into())),
                        verifier_id: Some(close.verifier_id),
                        photo: None,
                        head_confirmed: close.head_confirmed,
                        unconfirmed_reason: text(&close.remark),
                        scan: None,
                    };
                    rectification::move_in(conn, by, &closed, today, now)?;
                }
                case_id = Some(c);
            }
        }
    } else if f.decision.is_some() || f.close_on_site.is_some() {
        return Err(Error::Invalid("没有勾选问题，不需要确定整改类别。".into()));
    } else if let Some(open) = open {
        // Examined and nothing found: acceptance is proposed, the case stays open.
        if f.household_status == HouseholdStatus::Normal && f.no_problem {
            existing_case_id = Some(open);
            case_followed = follow(open, true)?;
        }
    }
    crate::store::audit::append(
        conn,
        now,
        "inspection.save",
        "inspection",
        id,
        &format!(
            "{recorder}录入{} {}（户厕 {}）：{}{}",
            f.kind.label(),
            f.inspected_on,
            f.toilet_id,
            if f.problems.is_empty() {
                "无问题".to_string()
            } else {
                format!("{} 个问题", f.problems.len())
            },
            case_id
                .map(|c| format!("，进入问题台账（记录 {c}）"))
                .unwrap_or_default()
        ),
        serde_json::json!({
            "toilet_id": f.toilet_id,
            "kind": f.kind.code(),
            "inspected_on": f.inspected_on,
            "household_status": f.household_status.code(),
            "in_normal_use": f.in_normal_use,
            "problems": f.problems.iter().map(|p| p.item_id).collect::<Vec<_>>(),
            "members": f.members,
            "photos": f.photos,
            "corrections": applied.len(),
            "case_id": case_id,
        }),
    )?;
    Ok(Saved {
        inspection_id: id,
        proposal,
        case_id,
        existing_case_id,
        case_followed,
        corrections_applied: applied.len(),
    })
}

/// How `change_log` names an inspection as the source of a correction.
fn correction_source(kind: InspectionKind, id: i64) -> String {
    format!("入户核查（{}，核查记录 {id}）", kind.label())
}

/// A baseline field an inspection corrected.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Correction {
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}

/// One problem as a record shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FoundProblem {
    pub item_id: i64,
    pub part: crate::model::ProblemPart,
    pub name: String,
    pub stops_use: bool,
    pub cause: Option<Cause>,
    pub remarks: Option<String>,
}

/// One inspection as the household's file shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InspectionRecord {
    pub id: i64,
    pub toilet_id: i64,
    pub kind: InspectionKind,
    pub inspected_on: String,
    pub members: Vec<String>,
    pub household_status: HouseholdStatus,
    pub status_note: Option<String>,
    pub in_normal_use: Option<bool>,
    pub has_problems: bool,
    pub problems: Vec<FoundProblem>,
    pub photos: Vec<String>,
    /// Baseline corrections made with this inspection (old → new).
    pub corrections: Vec<Correction>,
    pub remarks: Option<String>,
    pub proposed_category: Option<Category>,
    pub recorded_by: String,
    pub recorded_at: String,
    /// 审核人 and 负责人 signatures in force (签字背书).
    pub signatures: crate::fieldwork::signoff::SignState,
}

/// A case as the household's file shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseSummary {
    pub id: i64,
    pub toilet_id: i64,
    pub category: Option<Category>,
    pub proposed_category: Option<Category>,
    pub state: CaseState,
    pub state_since: String,
    pub planned_month: Option<String>,
}

/// Everything recorded in the field for one household: its inspections (newest first) and
/// its problem cases.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldFile {
    pub inspections: Vec<InspectionRecord>,
    pub cases: Vec<CaseSummary>,
    /// The household's notices in the register (printed, handed out, 回执 back).
    pub notices: Vec<crate::fieldwork::paper::NoticeEntry>,
}

pub fn field_file<'a>(db: impl Into<Db<'a>>, household_id: i64) -> Result<FieldFile> {
    let conn = db.into();
    let mut inspections: Vec<InspectionRecord> = conn
        .prepare_cached(
            "SELECT i.id, i.toilet_id, i.kind, i.inspected_on, i.household_status, i.status_note,
                    i.in_normal_use, i.has_problems, i.remarks, i.proposed_category, s.name, i.recorded_at
             FROM inspections i JOIN toilets t ON t.id = i.toilet_id JOIN staff s ON s.id = i.recorded_by
             WHERE t.household_id = ?1 ORDER BY i.inspected_on DESC, i.id DESC",
        )?
        .query_map([household_id], |r| {
            Ok(InspectionRecord {
                id: r.get(0)?,
                toilet_id: r.get(1)?,
                kind: r.get(2)?,
                inspected_on: r.get(3)?,
                household_status: r.get(4)?,
                status_note: r.get(5)?,
                in_normal_use: r.get(6)?,
                has_problems: r.get(7)?,
                remarks: r.get(8)?,
                proposed_category: r.get(9)?,
                recorded_by: r.get(10)?,
                recorded_at: r.get(11)?,
                members: vec![],
                problems: vec![],
                photos: vec![],
                corrections: vec![],
                signatures: crate::fieldwork::signoff::SignState {
                    inspection_id: r.get(0)?,
                    review: None,
                    responsible: None,
                },
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    for i in &mut inspections {
        i.signatures = crate::fieldwork::signoff::state(conn, i.id)?;
        i.members = conn
            .prepare_cached(
                "SELECT s.name FROM inspection_members m JOIN staff s ON s.id = m.staff_id
                 WHERE m.inspection_id = ?1 ORDER BY s.name",
            )?
            .query_map([i.id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        i.problems = conn
            .prepare_cached(
                "SELECT p.item_id, pi.part, pi.name, p.stops_use, p.cause, p.remarks
                 FROM inspection_problems p JOIN problem_items pi ON pi.id = p.item_id
                 WHERE p.inspection_id = ?1 ORDER BY p.id",
            )?
            .query_map([i.id], |r| {
                Ok(FoundProblem {
                    item_id: r.get(0)?,
                    part: r.get(1)?,
                    name: r.get(2)?,
                    stops_use: r.get(3)?,
                    cause: r.get(4)?,
                    remarks: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        i.photos = conn
            .prepare_cached("SELECT hash FROM inspection_photos WHERE inspection_id = ?1")?
            .query_map([i.id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        i.corrections = conn
            .prepare_cached(
                "SELECT field, old_value, new_value FROM change_log
                 WHERE entity = 'toilet' AND entity_id = ?1 AND source = ?2 ORDER BY id",
            )?
            .query_map(params![i.toilet_id, correction_source(i.kind, i.id)], |r| {
                Ok(Correction {
                    field: r.get(0)?,
                    old_value: r.get(1)?,
                    new_value: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
    }
    let cases = conn
        .prepare_cached(
            "SELECT id, toilet_id, category, proposed_category, state, state_since, planned_month
             FROM rectifications WHERE household_id = ?1 ORDER BY id DESC",
        )?
        .query_map([household_id], |r| {
            Ok(CaseSummary {
                id: r.get(0)?,
                toilet_id: r.get(1)?,
                category: r.get(2)?,
                proposed_category: r.get(3)?,
                state: r.get(4)?,
                state_since: r.get(5)?,
                planned_month: r.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(FieldFile {
        inspections,
        cases,
        notices: crate::fieldwork::paper::household_notices(conn, household_id)?,
    })
}

/// The baseline fields the form offers for correction: code and label.
pub fn correctable_fields() -> Vec<(&'static str, &'static str)> {
    FIELDS.iter().map(|f| (f.code, f.label)).collect()
}
