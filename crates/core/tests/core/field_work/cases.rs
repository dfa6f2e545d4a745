//! The problem ledger's cases: from the decision through rectification to close-out and
//! reopening, immediate fixes, re-checks and photos.

use super::*;

fn ledger(t: &Town, f: LedgerFilter) -> rectification::LedgerPage {
    rectification::ledger(&t.db, &f, TODAY, 0, 100).unwrap()
}

fn all(scope: Scope) -> LedgerFilter {
    LedgerFilter::all_of(scope)
}

fn mv(
    t: &Town,
    case_id: i64,
    to: CaseState,
    actor: i64,
    date: &str,
    remark: Option<&str>,
    verifier: Option<i64>,
) -> huce_core::Result<()> {
    rectification::move_case(
        &t.db,
        &crate::local(),
        &MoveInput {
            case_id,
            to,
            actor_id: actor,
            date: date.into(),
            remark: remark.map(str::to_string),
            verifier_id: verifier,
            photo: None,
            head_confirmed: to == CaseState::Closed,
            unconfirmed_reason: None,
            scan: None,
        },
        TODAY,
        NOW,
    )
}

#[test]
fn a_problem_moves_through_the_ledger_to_its_close_out_and_can_be_reopened() {
    let t = town();
    let mut f = form(&t, t.t2016);
    f.problems = vec![leak(&t)];
    let saved = inspections::save(&t.db, &crate::local(), &f, TODAY, NOW).unwrap();
    let case_id = saved.case_id.expect("a case is opened");

    let page = ledger(&t, all(Scope::Town));
    assert_eq!(page.total, 1);
    assert_eq!(page.rows[0].head_name, "张建国");
    assert_eq!(page.rows[0].problems, "渗漏");
    assert_eq!(page.rows[0].state, CaseState::Pending);
    assert_eq!(
        page.rows[0].category, None,
        "not decided until a person confirms"
    );
    let shiyu = |p: &rectification::LedgerPage| {
        p.villages
            .iter()
            .find(|v| v.village_id == t.village)
            .unwrap()
            .clone()
    };
    assert_eq!((shiyu(&page).total, shiyu(&page).undecided), (1, 1));

    // Nothing moves before the category is decided.
    let err = mv(
        &t,
        case_id,
        CaseState::InProgress,
        t.li,
        "2022-09-21",
        None,
        None,
    )
    .unwrap_err();
    assert!(err.to_string().contains("先确定整改类别"), "{err}");

    // Overriding the proposal needs a reason; both values are kept.
    let plan = |category, reason: Option<&str>| Decision {
        category: Some(category),
        override_reason: reason.map(str::to_string),
        measures: Some("重建化粪池".into()),
        responsible: Some("李明".into()),
        planned_month: Some("2023-06".into()),
        funding: Some("区级改厕资金".into()),
    };
    let err = rectification::decide(
        &t.db,
        &crate::local(),
        case_id,
        &plan(Category::PlanTownFunded, None),
        t.li,
        TODAY,
        NOW,
    )
    .unwrap_err();
    assert!(err.to_string().contains("需要写明理由"), "{err}");
    rectification::decide(
        &t.db,
        &crate::local(),
        case_id,
        &plan(Category::PlanTownFunded, Some("补助资金实为2019年拨付")),
        t.li,
        TODAY,
        NOW,
    )
    .unwrap();
    let c = rectification::case(&t.db, case_id).unwrap();
    assert_eq!(c.proposed_category, Some(Category::PlanDistrict));
    assert_eq!(c.category, Some(Category::PlanTownFunded));
    assert_eq!(c.override_reason.as_deref(), Some("补助资金实为2019年拨付"));
    for month in ["2031-03", "2022-08"] {
        let mut late = plan(Category::PlanDistrict, None);
        late.planned_month = Some(month.into());
        assert!(
            rectification::decide(&t.db, &crate::local(), case_id, &late, t.li, TODAY, NOW)
                .is_err(),
            "{month} is outside the plan's months"
        );
    }
    rectification::decide(
        &t.db,
        &crate::local(),
        case_id,
        &plan(Category::PlanDistrict, None),
        t.li,
        TODAY,
        NOW,
    )
    .unwrap();

    // Illegal moves are refused; legal ones recorded with who and when.
    assert!(mv(
        &t,
        case_id,
        CaseState::Closed,
        t.zhao,
        "2022-09-22",
        None,
        Some(t.zhao)
    )
    .is_err());
    mv(
        &t,
        case_id,
        CaseState::InProgress,
        t.li,
        "2022-10-01",
        None,
        None,
    )
    .unwrap();
    assert!(mv(
        &t,
        case_id,
        CaseState::Pending,
        t.li,
        "2022-10-02",
        None,
        None
    )
    .is_err());
    let err = mv(
        &t,
        case_id,
        CaseState::AwaitingAcceptance,
        t.wang,
        "2022-09-30",
        None,
        None,
    )
    .unwrap_err();
    assert!(err.to_string().contains("早于"), "{err}");
    mv(
        &t,
        case_id,
        CaseState::AwaitingAcceptance,
        t.wang,
        "2023-05-10",
        Some("化粪池已重建"),
        None,
    )
    .unwrap();

    // The person who recorded the rectification cannot verify it.
    let err = mv(
        &t,
        case_id,
        CaseState::Closed,
        t.wang,
        "2023-05-12",
        None,
        Some(t.wang),
    )
    .unwrap_err();
    assert!(err.to_string().contains("另一位工作人员"), "{err}");
    let err = mv(
        &t,
        case_id,
        CaseState::Closed,
        t.zhao,
        "2023-05-12",
        None,
        None,
    )
    .unwrap_err();
    assert!(err.to_string().contains("验收人"), "{err}");
    mv(
        &t,
        case_id,
        CaseState::Closed,
        t.li,
        "2023-05-12",
        Some("复核无渗漏"),
        Some(t.zhao),
    )
    .unwrap();
    let page = ledger(&t, all(Scope::Village(t.village)));
    assert_eq!(shiyu(&page).closed, 1);
    assert_eq!(page.rows[0].state, CaseState::Closed);

    // A wrong close-out is reopened with a reason, never deleted.
    let err = mv(
        &t,
        case_id,
        CaseState::InProgress,
        t.li,
        "2023-06-01",
        None,
        None,
    )
    .unwrap_err();
    assert!(err.to_string().contains("原因"), "{err}");
    mv(
        &t,
        case_id,
        CaseState::InProgress,
        t.li,
        "2023-06-01",
        Some("区级抽查发现仍渗漏"),
        None,
    )
    .unwrap();
    let c = rectification::case(&t.db, case_id).unwrap();
    let kinds: Vec<&str> = c.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["opened", "category", "category", "move", "move", "move", "reopen"]
    );
    let close = &c.events[5];
    assert_eq!(
        (
            close.actor.as_str(),
            close.verifier.as_deref(),
            close.happened_on.as_str()
        ),
        ("李明", Some("赵晓昇"), "2023-05-12")
    );
    assert_eq!(c.state, CaseState::InProgress);
    assert_eq!(c.next_states, vec![CaseState::AwaitingAcceptance]);

    // Overdue: planned for 2023-06, still open in 2026-11.
    let mut od = all(Scope::Town);
    od.overdue = Some(Overdue::Unrectified);
    let page = ledger(&t, od);
    assert_eq!(page.total, 1);
    assert_eq!(page.rows[0].overdue, Some(Overdue::Unrectified));
    assert_eq!(shiyu(&page).overdue_unrectified, 1);
}

#[test]
fn an_immediate_fix_is_closed_out_in_the_same_sitting() {
    let t = town();
    let mut f = form(&t, t.t2019);
    f.problems = vec![minor(&t)];
    f.in_normal_use = Some(true);
    f.decision = Some(Decision {
        category: Some(Category::ImmediateFix),
        ..Decision::default()
    });
    // The recorder cannot be their own verifier.
    f.close_on_site = Some(OnSiteClose {
        verifier_id: t.li,
        remark: None,
        head_confirmed: true,
    });
    refused(&t, &f, "另一位工作人员");
    // Without the head's confirmation a reason is needed.
    f.close_on_site = Some(OnSiteClose {
        verifier_id: t.wang,
        remark: None,
        head_confirmed: false,
    });
    refused(&t, &f, "户主没有在验收单上签字确认");
    f.close_on_site = Some(OnSiteClose {
        verifier_id: t.wang,
        remark: Some("已更换池盖".into()),
        head_confirmed: true,
    });
    let saved = inspections::save(&t.db, &crate::local(), &f, TODAY, NOW).unwrap();
    let c = rectification::case(&t.db, saved.case_id.unwrap()).unwrap();
    assert_eq!(c.state, CaseState::Closed);
    assert_eq!(c.category, Some(Category::ImmediateFix));
    assert_eq!(c.events.last().unwrap().verifier.as_deref(), Some("王芳"));
}

#[test]
fn a_recheck_of_a_toilet_with_an_open_case_adds_to_its_file_not_to_the_ledger() {
    let t = town();
    let mut f = form(&t, t.no_year);
    f.problems = vec![leak(&t)];
    let first = inspections::save(&t.db, &crate::local(), &f, TODAY, NOW).unwrap();
    assert_eq!(
        first.proposal.category, None,
        "subsidy year missing: a person decides"
    );
    f.kind = InspectionKind::TownRecheck;
    f.inspected_on = "2022-10-12".into();
    f.members = vec![t.wang, t.zhao];
    let second = inspections::save(&t.db, &crate::local(), &f, TODAY, NOW).unwrap();
    assert_eq!(second.case_id, None);
    assert_eq!(second.existing_case_id, first.case_id);
    let page = ledger(&t, all(Scope::Village(t.other_village)));
    assert_eq!(page.total, 1);
    let mut undecided = all(Scope::Town);
    undecided.category = Some("undecided".into());
    assert_eq!(ledger(&t, undecided).total, 1);
    let household =
        t.db.query_row(
            "SELECT household_id FROM toilets WHERE id = ?1",
            [t.no_year],
            |r| r.get::<_, i64>(0),
        )
        .unwrap();
    let file = inspections::field_file(&t.db, household).unwrap();
    assert_eq!(file.inspections.len(), 2);
    assert_eq!(
        file.inspections[0].kind,
        InspectionKind::TownRecheck,
        "newest first"
    );
    assert_eq!(file.cases.len(), 1);
}

#[test]
fn photos_stay_with_the_inspection_and_cases_follow_a_household_that_moves() {
    let t = town();
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("现场照片.jpg");
    std::fs::write(&src, b"\xFF\xD8\xFF\xE0 a very small jpeg").unwrap();
    let photo = huce_core::photos::store(&t.db, &tmp.path().join("photos"), &src, NOW).unwrap();
    std::fs::remove_file(&src).unwrap();

    let mut f = form(&t, t.t2016);
    f.problems = vec![leak(&t)];
    f.photos = vec![photo.hash.clone(), "0".repeat(64)];
    refused(&t, &f, "照片没有保存成功");
    f.photos = vec![photo.hash.clone()];
    let saved = inspections::save(&t.db, &crate::local(), &f, TODAY, NOW).unwrap();
    let household: i64 =
        t.db.query_row(
            "SELECT household_id FROM toilets WHERE id = ?1",
            [t.t2016],
            |r| r.get(0),
        )
        .unwrap();
    let file = inspections::field_file(&t.db, household).unwrap();
    assert_eq!(file.inspections[0].photos, vec![photo.hash]);

    // The household moves to another village's 社 (a corrected import): its case goes along.
    let other_group: i64 =
        t.db.query_row(
            "SELECT id FROM village_groups WHERE village_id = ?1",
            [t.other_village],
            |r| r.get(0),
        )
        .unwrap();
    t.db.execute(
        "UPDATE households SET group_id = ?1, village_id = ?2 WHERE id = ?3",
        rusqlite::params![other_group, t.other_village, household],
    )
    .unwrap();
    let page = ledger(&t, all(Scope::Village(t.other_village)));
    assert_eq!(page.rows.len(), 1);
    assert_eq!(page.rows[0].case_id, saved.case_id.unwrap());
    assert_eq!(ledger(&t, all(Scope::Village(t.village))).total, 0);
}

/// #15: a 镇级复核 or 区级抽查 on a toilet whose case is open updates the case — its current
/// problems and the rules' proposal — keeping the earlier findings in the history; a check that
/// finds the problem gone proposes acceptance and closes nothing; an older form keyed late
/// changes nothing.
#[test]
fn an_open_case_follows_the_latest_check_and_a_clear_check_proposes_acceptance() {
    let t = town();
    let mut f = form(&t, t.no_year);
    f.problems = vec![minor(&t)];
    f.in_normal_use = Some(true);
    let first = inspections::save(&t.db, &crate::local(), &f, TODAY, NOW).unwrap();
    let case_id = first.case_id.unwrap();

    // The town's re-check finds a leak as well: the ledger and the proposal follow it.
    f.kind = InspectionKind::TownRecheck;
    f.inspected_on = "2022-10-12".into();
    f.members = vec![t.wang, t.zhao];
    f.problems = vec![minor(&t), leak(&t)];
    f.in_normal_use = Some(false);
    let second = inspections::save(&t.db, &crate::local(), &f, TODAY, NOW).unwrap();
    assert_eq!(
        (
            second.case_id,
            second.existing_case_id,
            second.case_followed
        ),
        (None, Some(case_id), true)
    );
    let row = &ledger(&t, all(Scope::Town)).rows[0];
    assert_eq!(row.case_id, case_id);
    let minor_name = huce_core::problem_items::problem_items(&t.db, true)
        .unwrap()
        .into_iter()
        .find(|i| i.id == minor(&t).item_id)
        .unwrap()
        .name;
    let mut listed: Vec<&str> = row.problems.split('、').collect();
    listed.sort_unstable();
    let mut want = vec![minor_name.as_str(), "渗漏"];
    want.sort_unstable();
    assert_eq!(listed, want);
    assert_eq!(row.inspected_on, "2022-10-12");
    assert!(row.stops_use, "the leak stops use");
    let c = rectification::case(&t.db, case_id).unwrap();
    assert_eq!(c.inspection_id, second.inspection_id);
    assert_eq!(c.proposal_reason, second.proposal.reason);
    let recheck = c.events.last().unwrap();
    assert_eq!(recheck.kind, "recheck");
    assert_eq!(recheck.happened_on, "2022-10-12");
    assert!(
        recheck.remark.as_deref().unwrap().starts_with(&format!(
            "镇级复核（2022-10-12）：问题由“{minor_name}”变为“{minor_name}、渗漏”"
        )),
        "{:?}",
        recheck.remark
    );
    // The first findings stay in the file.
    let first_problems: i64 =
        t.db.query_row(
            "SELECT count(*) FROM inspection_problems WHERE inspection_id = ?1",
            [first.inspection_id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(first_problems, 1);

    // The case was found on the first check: the progress as of a day between the two counts it.
    let as_of = huce_core::progress::progress(&t.db, "2022-10-01").unwrap();
    assert_eq!(as_of.town.problems, 1, "found by the village's self-check");

    // An older form keyed in late changes nothing.
    f.kind = InspectionKind::VillageSelf;
    f.inspected_on = "2022-09-25".into();
    f.members = vec![t.li, t.wang];
    f.problems = vec![minor(&t)];
    let late = inspections::save(&t.db, &crate::local(), &f, TODAY, NOW).unwrap();
    assert!(!late.case_followed);
    assert_eq!(
        rectification::case(&t.db, case_id).unwrap().inspection_id,
        second.inspection_id
    );

    // Nobody at home is no finding: nothing is proposed.
    let mut away = form(&t, t.no_year);
    away.kind = InspectionKind::DistrictSpot;
    away.inspected_on = "2022-11-01".into();
    away.household_status = HouseholdStatus::Vacant;
    away.status_note = Some("常年外出".into());
    away.in_normal_use = None;
    away.no_problem = false;
    away.problems = vec![];
    if inspections::save(&t.db, &crate::local(), &away, TODAY, NOW).is_ok_and(|s| s.case_followed) {
        panic!("a vacant house proposes nothing");
    }

    // The district's spot check finds the problem gone: acceptance proposed, the case open.
    f.kind = InspectionKind::DistrictSpot;
    f.inspected_on = "2022-11-20".into();
    f.problems = vec![];
    f.no_problem = true;
    f.in_normal_use = Some(true);
    let clear = inspections::save(&t.db, &crate::local(), &f, TODAY, NOW).unwrap();
    assert!(clear.case_followed);
    let c = rectification::case(&t.db, case_id).unwrap();
    assert_eq!(
        c.state,
        CaseState::Pending,
        "a check never closes a case by itself"
    );
    assert_eq!(c.clear_check.as_deref(), Some("区级抽查（2022-11-20）"));
    assert_eq!(
        c.events.last().unwrap().remark.as_deref(),
        Some("区级抽查（2022-11-20）未发现问题：建议登记整改完成并验收销号（不会自动销号）")
    );
    let row = &ledger(&t, all(Scope::Town)).rows[0];
    assert!(row.clear_check);
    assert!(row.problems.contains("渗漏"), "the findings stay");
}

/// #15: an on-the-spot case (立行立改) still open some days after its problem was found is
/// overdue like a planned one; the days are the town's working value (7 by default).
#[test]
fn an_immediate_fix_still_open_after_the_towns_days_is_overdue() {
    let t = town();
    let mut f = form(&t, t.t2019);
    f.inspected_on = "2026-11-20".into();
    f.problems = vec![minor(&t)];
    f.in_normal_use = Some(true);
    f.decision = Some(Decision {
        category: Some(Category::ImmediateFix),
        ..Decision::default()
    });
    let case_id = inspections::save(&t.db, &crate::local(), &f, TODAY, NOW)
        .unwrap()
        .case_id
        .unwrap();
    let overdue_on = |day: &str| {
        let mut only = all(Scope::Town);
        only.overdue = Some(Overdue::Unrectified);
        let page = rectification::ledger(&t.db, &only, day, 0, 10).unwrap();
        let counted = page.town.overdue_unrectified;
        let progress = huce_core::progress::progress(&t.db, day)
            .unwrap()
            .town
            .overdue_unrectified;
        assert_eq!(
            page.total, counted,
            "{day}: the filter and the counts agree"
        );
        assert_eq!(progress, counted, "{day}: 月调度 and the ledger agree");
        assert!(page
            .rows
            .iter()
            .all(|r| r.overdue == Some(Overdue::Unrectified) && r.case_id == case_id));
        counted
    };
    assert_eq!(overdue_on("2026-11-27"), 0, "7 days: not yet");
    assert_eq!(overdue_on("2026-11-28"), 1, "8 days: overdue");
    let mut w = huce_core::working::WorkingValues::load(&t.db).unwrap();
    w.immediate_overdue_days = 10;
    w.save(&t.db, &crate::local(), NOW).unwrap();
    assert_eq!(overdue_on("2026-11-28"), 0);
    assert_eq!(overdue_on("2026-12-01"), 1);
    // A month is not a day: the ledger asks for the date.
    let err = rectification::ledger(&t.db, &all(Scope::Town), "2026-12", 0, 10).unwrap_err();
    assert!(err.to_string().contains("日期"), "{err}");
}

/// #15: what the town cannot fix itself is reported to the district's 人居办 with a reason; the
/// ledger filters it, the case says so, the district's answer is recorded; a closed case leaves
/// the list.
#[test]
fn a_case_the_town_cannot_fix_is_reported_to_the_district_with_a_reason() {
    use huce_core::escalation::{self, EscalationInput};
    let t = town();
    let mut f = form(&t, t.t2016);
    f.problems = vec![leak(&t)];
    let case_id = inspections::save(&t.db, &crate::local(), &f, TODAY, NOW)
        .unwrap()
        .case_id
        .unwrap();
    let input = |date: &str, text: &str| EscalationInput {
        case_id,
        date: date.into(),
        actor_id: t.li,
        text: text.into(),
    };
    let by = crate::local();
    let err = escalation::escalate(&t.db, &by, &input("2022-10-01", "难"), TODAY, NOW).unwrap_err();
    assert!(err.to_string().contains("写明原因"), "{err}");
    let err =
        escalation::record_reply(&t.db, &by, &input("2022-10-01", "同意"), TODAY, NOW).unwrap_err();
    assert!(err.to_string().contains("没有待答复的上报"), "{err}");
    let reason = "地下水位高，三格式化粪池无法建设";
    escalation::escalate(&t.db, &by, &input("2022-10-01", reason), TODAY, NOW).unwrap();
    let err =
        escalation::escalate(&t.db, &by, &input("2022-10-02", reason), TODAY, NOW).unwrap_err();
    assert!(err.to_string().contains("还没有答复"), "{err}");

    let mut only = all(Scope::Town);
    only.escalated_only = true;
    let page = ledger(&t, only.clone());
    assert_eq!(page.total, 1);
    assert!(page.rows[0].escalated);
    let listed = escalation::escalations(&t.db, "2022-10-31").unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].reason.as_str(), listed[0].reply.as_deref()),
        (reason, None)
    );
    assert!(
        escalation::escalations(&t.db, "2022-09-30")
            .unwrap()
            .is_empty(),
        "not yet reported"
    );

    let err =
        escalation::record_reply(&t.db, &by, &input("2022-09-30", "同意改水冲式"), TODAY, NOW)
            .unwrap_err();
    assert!(err.to_string().contains("早于上报日期"), "{err}");
    escalation::record_reply(
        &t.db,
        &by,
        &input("2022-11-05", "同意改为完整下水道水冲式"),
        TODAY,
        NOW,
    )
    .unwrap();
    let c = rectification::case(&t.db, case_id).unwrap();
    assert_eq!(
        (
            c.escalated_on.as_deref(),
            c.escalation_reason.as_deref(),
            c.replied_on.as_deref()
        ),
        (Some("2022-10-01"), Some(reason), Some("2022-11-05"))
    );
    let kinds: Vec<&str> = c.events.iter().map(|e| e.kind.as_str()).collect();
    assert!(kinds.ends_with(&["escalated", "reply"]), "{kinds:?}");
    // As of October the answer was not known yet.
    assert_eq!(
        escalation::escalations(&t.db, "2022-10-31").unwrap()[0].reply,
        None
    );
    assert_eq!(
        escalation::escalations(&t.db, "2022-11-30").unwrap()[0]
            .reply
            .as_deref(),
        Some("同意改为完整下水道水冲式")
    );

    // Fixed and closed out: off the list and the filter.
    rectification::decide(
        &t.db,
        &by,
        case_id,
        &Decision {
            category: Some(Category::PlanDistrict),
            override_reason: None,
            measures: Some("改建完整下水道水冲式".into()),
            responsible: Some("李明".into()),
            planned_month: Some("2023-06".into()),
            funding: None,
        },
        t.li,
        TODAY,
        NOW,
    )
    .unwrap();
    mv(
        &t,
        case_id,
        CaseState::AwaitingAcceptance,
        t.wang,
        "2023-05-10",
        None,
        None,
    )
    .unwrap();
    mv(
        &t,
        case_id,
        CaseState::Closed,
        t.li,
        "2023-05-12",
        Some("复核无渗漏"),
        Some(t.zhao),
    )
    .unwrap();
    assert_eq!(ledger(&t, only).total, 0);
    assert!(escalation::escalations(&t.db, TODAY).unwrap().is_empty());
    let err =
        escalation::escalate(&t.db, &by, &input("2023-06-01", reason), TODAY, NOW).unwrap_err();
    assert!(err.to_string().contains("已经销号"), "{err}");
}

/// #20 (5): the planned month runs to the town's plan horizon (a setting, by default the end of
/// the next five-year period, 2030-12), never before the inspection's month.
#[test]
fn the_plan_horizon_is_a_setting_and_a_month_cannot_precede_the_inspection() {
    let t = town();
    let mut f = form(&t, t.t2016);
    f.inspected_on = "2026-03-10".into();
    f.problems = vec![leak(&t)];
    let case_id = inspections::save(&t.db, &crate::local(), &f, TODAY, NOW)
        .unwrap()
        .case_id
        .unwrap();
    let decide = |month: &str| {
        rectification::decide(
            &t.db,
            &crate::local(),
            case_id,
            &Decision {
                category: Some(Category::PlanDistrict),
                override_reason: None,
                measures: Some("重建化粪池".into()),
                responsible: Some("李明".into()),
                planned_month: Some(month.into()),
                funding: None,
            },
            t.li,
            TODAY,
            NOW,
        )
    };
    // 2026 and later months are accepted up to 2030-12 by default (a later one than decided
    // before with a 延期原因).
    decide("2027-06").unwrap();
    rectification::decide_with(
        &t.db,
        &crate::local(),
        case_id,
        &rectification::DecisionInput {
            decision: Decision {
                category: Some(Category::PlanDistrict),
                override_reason: None,
                measures: Some("重建化粪池".into()),
                responsible: Some("李明".into()),
                planned_month: Some("2030-12".into()),
                funding: None,
            },
            delay_reason: Some("等待区级改厕计划".into()),
        },
        t.li,
        TODAY,
        NOW,
    )
    .unwrap();
    let err = decide("2031-01").unwrap_err();
    assert!(err.to_string().contains("2030-12"), "{err}");
    // A month before the inspection's is refused, saying which.
    let err = decide("2026-02").unwrap_err();
    assert!(err.to_string().contains("2026-03"), "{err}");
    decide("2026-03").unwrap();
    // The horizon is the town's setting.
    let mut w = huce_core::working::WorkingValues::load(&t.db).unwrap();
    assert_eq!(w.plan_horizon, "2030-12");
    w.plan_horizon = "2027-12".into();
    w.save(&t.db, &crate::local(), NOW).unwrap();
    let err = decide("2028-01").unwrap_err();
    assert!(err.to_string().contains("2027-12"), "{err}");
    w.plan_horizon = "2027-13".into();
    assert!(w.save(&t.db, &crate::local(), NOW).is_err());
}

/// A problem rectified before its deadline and still waiting for the town's acceptance after it
/// is 逾期待验收 (the town's close-out is late), never 逾期未整改 like a problem nobody fixed:
/// the ledger's rows, its filter and its village counts, 月调度's numbers and its ranking, and
/// the household worklists all tell the two apart; together they are every open case past its
/// deadline.
#[test]
fn a_rectified_case_waiting_past_its_deadline_is_late_acceptance_not_late_rectification() {
    let t = town();
    let open = |toilet: i64, category: Category| {
        let mut f = form(&t, toilet);
        f.problems = vec![leak(&t)];
        let case_id = inspections::save(&t.db, &crate::local(), &f, TODAY, NOW)
            .unwrap()
            .case_id
            .unwrap();
        let decision = Decision {
            category: Some(category),
            override_reason: None,
            measures: Some("重建化粪池".into()),
            responsible: Some("李明".into()),
            planned_month: Some("2023-06".into()),
            funding: Some("区级改厕资金".into()),
        };
        rectification::decide(&t.db, &crate::local(), case_id, &decision, t.li, TODAY, NOW)
            .unwrap();
        mv(
            &t,
            case_id,
            CaseState::InProgress,
            t.li,
            "2022-10-01",
            None,
            None,
        )
        .unwrap();
        case_id
    };
    // Nobody finished the first; the second was rectified in May 2023, before its deadline
    // (June 2023), and the town has not accepted it since.
    let unfixed = open(t.t2016, Category::PlanDistrict);
    // 曾玥's toilet was seen and has nothing wrong: the village has inspected every toilet.
    let mut fine = form(&t, t.unsupported);
    fine.no_problem = true;
    fine.in_normal_use = Some(true);
    inspections::save(&t.db, &crate::local(), &fine, TODAY, NOW).unwrap();
    let waiting = open(t.t2019, Category::PlanTownFunded);
    mv(
        &t,
        waiting,
        CaseState::AwaitingAcceptance,
        t.wang,
        "2023-05-20",
        None,
        None,
    )
    .unwrap();

    // The ledger's rows and its filter.
    let page = ledger(&t, all(Scope::Town));
    let row = |id: i64| page.rows.iter().find(|r| r.case_id == id).unwrap();
    assert_eq!(row(unfixed).overdue, Some(Overdue::Unrectified));
    assert_eq!(row(waiting).overdue, Some(Overdue::AwaitingAcceptance));
    assert_eq!(Overdue::Unrectified.label(), "逾期未整改");
    assert_eq!(Overdue::AwaitingAcceptance.label(), "逾期待验收");
    for (kind, id) in [
        (Overdue::Unrectified, unfixed),
        (Overdue::AwaitingAcceptance, waiting),
    ] {
        let mut f = all(Scope::Town);
        f.overdue = Some(kind);
        let only = ledger(&t, f);
        assert_eq!(
            only.rows.iter().map(|r| r.case_id).collect::<Vec<_>>(),
            [id],
            "{kind:?}"
        );
    }

    // The village's counts and the town's 合计: one of each, two open cases past the deadline.
    let village = page
        .villages
        .iter()
        .find(|v| v.village_id == t.village)
        .unwrap();
    assert_eq!(
        (village.overdue_unrectified, village.overdue_awaiting),
        (1, 1)
    );
    assert_eq!(
        (page.town.overdue_unrectified, page.town.overdue_awaiting),
        (1, 1)
    );
    assert_eq!(
        page.town.overdue_unrectified + page.town.overdue_awaiting,
        page.town.pending + page.town.in_progress + page.town.awaiting,
        "every open case here is past its deadline"
    );

    // 月调度 says the same, and its next step for the village is the farmer's late work.
    let p = huce_core::progress::progress(&t.db, TODAY).unwrap();
    let v = p
        .villages
        .iter()
        .find(|v| v.village_id == t.village)
        .unwrap();
    assert_eq!((v.overdue_unrectified, v.overdue_awaiting), (1, 1));
    assert_eq!(
        (p.town.overdue_unrectified, p.town.overdue_awaiting),
        (1, 1)
    );
    assert_eq!(v.next.as_ref().unwrap().text, "1 个问题逾期未整改");
    // The ranking: the case waiting past its deadline for the town's acceptance counts for the
    // village as closed out (every toilet inspected; 1 of 2 problems done).
    let expected = (100.0 + 50.0) / 2.0;
    assert!(
        (v.score - expected).abs() < 1e-9,
        "{} vs {expected}",
        v.score
    );
    assert_eq!(
        v.rates.closed, "0.0%",
        "the 销号率 itself stays closed of problems"
    );
    let behind = v
        .behind
        .iter()
        .find(|b| b.starts_with("问题整改（销号）"))
        .expect("behind: one problem is not rectified");
    assert!(
        behind.contains("销号率（逾期待验收按已销号计）50.0%，应达 100.0%"),
        "{behind}"
    );
    // Before the deadline the rectified case is not late, and it is not closed out yet.
    let before = huce_core::progress::progress(&t.db, "2023-06-30").unwrap();
    let b = before
        .villages
        .iter()
        .find(|v| v.village_id == t.village)
        .unwrap();
    assert_eq!((b.overdue_unrectified, b.overdue_awaiting), (0, 0));
    assert!((b.score - 50.0).abs() < 1e-9, "{}", b.score);
    // Once the farmer's case is rectified too, the next step is the town's late acceptance.
    mv(
        &t,
        unfixed,
        CaseState::AwaitingAcceptance,
        t.wang,
        "2026-11-20",
        None,
        None,
    )
    .unwrap();
    let p = huce_core::progress::progress(&t.db, TODAY).unwrap();
    let v = p
        .villages
        .iter()
        .find(|v| v.village_id == t.village)
        .unwrap();
    assert_eq!((v.overdue_unrectified, v.overdue_awaiting), (0, 2));
    assert_eq!(
        v.next.as_ref().unwrap().text,
        "2 个户厕已整改待验收销号（2 个已逾期待验收）"
    );
    // Nor is the village behind the plan's close-out phase for the town's late acceptance,
    // while the town's own 销号率 stays what it is.
    let close_out = p
        .phases
        .iter()
        .find(|s| s.phase.measure == Some(huce_core::progress::Measure::CloseOut))
        .unwrap();
    assert_eq!(close_out.state, "已结束");
    assert!(
        !close_out.behind.contains(&v.name),
        "{:?}",
        close_out.behind
    );
    assert!(
        !v.behind
            .iter()
            .any(|b| b.starts_with(&close_out.phase.name)),
        "{:?}",
        v.behind
    );
    assert_eq!(
        close_out.actual,
        Some(0.0),
        "the town has closed out nothing"
    );
    mv(
        &t,
        unfixed,
        CaseState::InProgress,
        t.li,
        "2026-11-21",
        Some("验收不通过"),
        None,
    )
    .unwrap();

    // The household worklists: 逾期未整改 and 逾期待验收 apart.
    let counts = households::worklist_counts(&t.db, Scope::Town, TODAY, 7).unwrap();
    let count = |code: &str| counts.iter().find(|(c, _)| c == code).unwrap().1;
    assert_eq!((count("overdue"), count("overdue_awaiting")), (1, 1));
    let names = |case| {
        households::list_all(
            &t.db,
            Scope::Town,
            &households::ListFilter {
                case: Some(case),
                today: Some(TODAY.into()),
                immediate_days: 7,
                ..households::ListFilter::default()
            },
        )
        .unwrap()
        .into_iter()
        .map(|r| r.head_name)
        .collect::<Vec<_>>()
    };
    assert_eq!(names(households::CaseList::Overdue), ["张建国"]);
    assert_eq!(names(households::CaseList::OverdueAwaiting), ["张建国"]);
    assert_eq!(households::CaseList::Overdue.label(), "逾期未整改");
    assert_eq!(households::CaseList::OverdueAwaiting.label(), "逾期待验收");
}

/// A planned case on the 2016 toilet, found by the village's self-check of 2022-09-20 and
/// decided for 2023-06.
fn decided_case(t: &Town) -> i64 {
    let mut f = form(t, t.t2016);
    f.problems = vec![leak(t)];
    let case_id = inspections::save(&t.db, &crate::local(), &f, TODAY, NOW)
        .unwrap()
        .case_id
        .unwrap();
    rectification::decide(
        &t.db,
        &crate::local(),
        case_id,
        &plan_for("2023-06"),
        t.li,
        TODAY,
        NOW,
    )
    .unwrap();
    case_id
}

fn plan_for(month: &str) -> Decision {
    Decision {
        category: Some(Category::PlanDistrict),
        override_reason: None,
        measures: Some("重建化粪池".into()),
        responsible: Some("李明".into()),
        planned_month: Some(month.into()),
        funding: None,
    }
}

/// [`decided_case`], its fix recorded by 王芳 on 2022-10-10: awaiting acceptance.
fn fixed_case(t: &Town) -> i64 {
    let case_id = decided_case(t);
    mv(
        t,
        case_id,
        CaseState::AwaitingAcceptance,
        t.wang,
        "2022-10-10",
        Some("化粪池已重建"),
        None,
    )
    .unwrap();
    case_id
}

/// A 销号 by 李明 with the head's confirmation and nothing else.
fn bare_close(case_id: i64, verifier: i64, date: &str) -> MoveInput {
    MoveInput {
        case_id,
        to: CaseState::Closed,
        actor_id: 0,
        date: date.into(),
        remark: None,
        verifier_id: Some(verifier),
        photo: None,
        head_confirmed: true,
        unconfirmed_reason: None,
        scan: None,
    }
}

fn last_audit(t: &Town, action: &str) -> (String, String) {
    t.db.query_row(
        "SELECT summary, detail FROM audit_log WHERE action = ?1 ORDER BY id DESC LIMIT 1",
        [action],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .unwrap()
}

/// Review (2): a decided plan changed later keeps old → new in the case's history and the audit
/// log; a deadline (计划完成时间) pushed later — which can take an overdue case out of 逾期 —
/// needs a 延期原因, recorded; an earlier or the same one needs none.
#[test]
fn a_deadline_pushed_back_needs_a_reason_and_a_changed_plan_keeps_its_old_values() {
    let t = town();
    let case_id = decided_case(&t);
    let mut od = all(Scope::Town);
    od.overdue = Some(Overdue::Unrectified);
    assert_eq!(ledger(&t, od.clone()).total, 1, "2023-06 is long past");

    let err = rectification::decide(
        &t.db,
        &crate::local(),
        case_id,
        &plan_for("2030-12"),
        t.li,
        TODAY,
        NOW,
    )
    .unwrap_err();
    assert!(err.to_string().contains("延期原因"), "{err}");
    assert_eq!(
        rectification::case(&t.db, case_id)
            .unwrap()
            .planned_month
            .as_deref(),
        Some("2023-06"),
        "nothing changed"
    );
    assert_eq!(ledger(&t, od.clone()).total, 1, "still overdue");

    // With the reason, the plan moves; history and log keep what it was and why it moved.
    let later = |month: &str, why: Option<&str>| rectification::DecisionInput {
        decision: Decision {
            funding: Some("区级改厕资金".into()),
            responsible: Some("王芳".into()),
            ..plan_for(month)
        },
        delay_reason: why.map(str::to_string),
    };
    let err = rectification::decide_with(
        &t.db,
        &crate::local(),
        case_id,
        &later("2030-12", Some(" ")),
        t.li,
        TODAY,
        NOW,
    )
    .unwrap_err();
    assert!(err.to_string().contains("延期原因"), "{err}");
    rectification::decide_with(
        &t.db,
        &crate::local(),
        case_id,
        &later("2030-12", Some("地下水位高，待区里研究技术模式")),
        t.li,
        TODAY,
        NOW,
    )
    .unwrap();
    assert_eq!(ledger(&t, od).total, 0, "the new deadline is ahead");
    let c = rectification::case(&t.db, case_id).unwrap();
    assert_eq!(
        (c.planned_month.as_deref(), c.responsible.as_deref()),
        (Some("2030-12"), Some("王芳"))
    );
    let said = c.events.last().unwrap().remark.clone().unwrap();
    for w in [
        "修改整改方案",
        "计划完成时间由“2023-06”改为“2030-12”，延期原因：地下水位高，待区里研究技术模式",
        "责任人由“李明”改为“王芳”",
        "资金来源由“（空）”改为“区级改厕资金”",
    ] {
        assert!(said.contains(w), "{w}: {said}");
    }
    assert!(!said.contains("整改措施"), "unchanged: {said}");
    let (summary, detail) = last_audit(&t, "case.decide");
    assert_eq!(summary, said);
    let detail: serde_json::Value = serde_json::from_str(&detail).unwrap();
    assert_eq!(
        detail["planned_month"],
        serde_json::json!(["2023-06", "2030-12"])
    );
    assert_eq!(detail["responsible"], serde_json::json!(["李明", "王芳"]));
    assert_eq!(
        detail["delay_reason"],
        serde_json::json!("地下水位高，待区里研究技术模式")
    );

    // An earlier month needs no reason; nor does the same one (and a reason given is not kept).
    for month in ["2027-06", "2027-06"] {
        rectification::decide_with(
            &t.db,
            &crate::local(),
            case_id,
            &later(month, Some("提前完成")),
            t.li,
            TODAY,
            NOW,
        )
        .unwrap();
        let (_, detail) = last_audit(&t, "case.decide");
        let detail: serde_json::Value = serde_json::from_str(&detail).unwrap();
        assert_eq!(detail["delay_reason"], serde_json::Value::Null);
    }
    let c = rectification::case(&t.db, case_id).unwrap();
    let remarks: Vec<&str> = c
        .events
        .iter()
        .rev()
        .take(2)
        .map(|e| e.remark.as_deref().unwrap())
        .collect();
    assert_eq!(
        remarks,
        [
            "李明确认方案建议的类别“计划整改·纳入全区改厕计划”",
            "李明修改整改方案（类别“计划整改·纳入全区改厕计划”不变）：计划完成时间由“2030-12”改为“2027-06”"
        ]
    );
    assert!(huce_core::audit::verify(&t.db).unwrap().ok());
}

/// Review (6): 销号 records how it was verified — an after-photo, a remark on the acceptance, or
/// the scan of the signed 验收单, at least one.
#[test]
fn a_close_out_needs_a_photo_a_remark_or_the_signed_sheet() {
    let t = town();
    let case_id = fixed_case(&t);
    let mut close = bare_close(case_id, t.zhao, "2022-10-12");
    close.actor_id = t.li;
    let err = rectification::move_case(&t.db, &crate::local(), &close, TODAY, NOW).unwrap_err();
    for w in ["整改后照片", "验收情况", "验收单扫描件"] {
        assert!(err.to_string().contains(w), "{w}: {err}");
    }
    close.remark = Some(" 好 ".into());
    assert!(
        rectification::move_case(&t.db, &crate::local(), &close, TODAY, NOW).is_err(),
        "one character says nothing"
    );
    assert_eq!(
        rectification::case(&t.db, case_id).unwrap().state,
        CaseState::AwaitingAcceptance
    );

    // An after-photo alone is enough, and the close-out keeps it.
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("整改后.jpg");
    std::fs::write(&src, b"\xFF\xD8\xFF\xE0 after the fix").unwrap();
    let photo = huce_core::photos::store(&t.db, &tmp.path().join("photos"), &src, NOW).unwrap();
    close.remark = None;
    close.photo = Some(photo.hash.clone());
    rectification::move_case(&t.db, &crate::local(), &close, TODAY, NOW).unwrap();
    let c = rectification::case(&t.db, case_id).unwrap();
    assert_eq!(c.state, CaseState::Closed);
    assert_eq!(
        c.events.last().unwrap().photo.as_deref(),
        Some(photo.hash.as_str())
    );

    // So is the signed sheet's scan alone, or what the verifier found.
    for (how, days) in [
        ("scan", ["2022-10-20", "2022-10-25", "2022-10-28"]),
        ("remark", ["2022-11-01", "2022-11-05", "2022-11-08"]),
    ] {
        mv(
            &t,
            case_id,
            CaseState::InProgress,
            t.li,
            days[0],
            Some("区级抽查发现仍渗漏"),
            None,
        )
        .unwrap();
        mv(
            &t,
            case_id,
            CaseState::AwaitingAcceptance,
            t.wang,
            days[1],
            None,
            None,
        )
        .unwrap();
        let mut close = bare_close(case_id, t.zhao, days[2]);
        close.actor_id = t.li;
        if how == "scan" {
            let sheet = tmp.path().join("验收单.pdf");
            std::fs::write(&sheet, b"%PDF-1.4 signed").unwrap();
            let scan =
                huce_core::photos::store_scan(&t.db, &tmp.path().join("photos"), &sheet, NOW)
                    .unwrap();
            close.scan = Some(scan.hash);
        } else {
            close.remark = Some("复核无渗漏，能正常使用".into());
        }
        rectification::move_case(&t.db, &crate::local(), &close, TODAY, NOW).unwrap();
    }
    let c = rectification::case(&t.db, case_id).unwrap();
    assert_eq!(
        c.events.last().unwrap().remark.as_deref(),
        Some("复核无渗漏，能正常使用（户主已签字确认）")
    );
}

/// The town's re-check (王芳, 赵晓昇) of the 2016 toilet on `on`, finding the leak.
fn town_recheck(t: &Town, on: &str) -> InspectionInput {
    let mut f = form(t, t.t2016);
    f.problems = vec![leak(t)];
    f.kind = InspectionKind::TownRecheck;
    f.inspected_on = on.into();
    f.members = vec![t.wang, t.zhao];
    f
}

/// Review (9): a later check the case follows that still finds the problem, while the case waits
/// for acceptance, takes it back to 整改中 as a failed acceptance does: it cannot be closed out
/// without a new fix.
#[test]
fn a_later_check_that_still_finds_the_problem_takes_a_rectified_case_back() {
    let t = town();
    let case_id = fixed_case(&t);
    let recheck = town_recheck(&t, "2022-10-15");
    let saved = inspections::save(&t.db, &crate::local(), &recheck, TODAY, NOW).unwrap();
    assert!(saved.case_followed);
    let mut close = bare_close(case_id, t.zhao, "2022-10-16");
    close.actor_id = t.li;
    close.remark = Some("验收合格".into());
    let err = rectification::move_case(&t.db, &crate::local(), &close, TODAY, NOW).unwrap_err();
    assert!(err.to_string().contains("已整改待验收"), "{err}");
    let c = rectification::case(&t.db, case_id).unwrap();
    assert_eq!(c.state, CaseState::InProgress);
    assert_eq!(c.state_since, "2022-10-15");
    let kinds: Vec<&str> = c.events.iter().map(|e| e.kind.as_str()).collect();
    assert!(kinds.ends_with(&["move", "recheck", "move"]), "{kinds:?}");
    let back = c.events.last().unwrap();
    assert_eq!(
        (back.from_state, back.to_state, back.happened_on.as_str()),
        (
            Some(CaseState::AwaitingAcceptance),
            Some(CaseState::InProgress),
            "2022-10-15"
        )
    );
    assert_eq!(
        back.remark.as_deref(),
        Some("镇级复核（2022-10-15）仍发现问题：渗漏")
    );
    let (summary, _) = last_audit(&t, "case.move");
    assert!(
        summary.contains(
            "由“已整改待验收”改为“整改中”（2022-10-15），镇级复核（2022-10-15）仍发现问题：渗漏"
        ),
        "{summary}"
    );
    // A new fix, then its acceptance.
    mv(
        &t,
        case_id,
        CaseState::AwaitingAcceptance,
        t.wang,
        "2022-10-20",
        Some("重新砌筑"),
        None,
    )
    .unwrap();
    close.date = "2022-10-22".into();
    rectification::move_case(&t.db, &crate::local(), &close, TODAY, NOW).unwrap();
}

/// Review (9), the other side: a check dated before the fix was recorded (keyed in late) found
/// the problem before the fix, and a check that finds it gone proposes acceptance: neither takes
/// the case back.
#[test]
fn a_check_from_before_the_fix_or_a_clear_one_leaves_a_rectified_case_waiting() {
    let t = town();
    let case_id = fixed_case(&t);
    let mut recheck = town_recheck(&t, "2022-10-05");
    assert!(
        inspections::save(&t.db, &crate::local(), &recheck, TODAY, NOW)
            .unwrap()
            .case_followed
    );
    assert_eq!(
        rectification::case(&t.db, case_id).unwrap().state,
        CaseState::AwaitingAcceptance
    );
    recheck.inspected_on = "2022-10-12".into();
    recheck.problems = vec![];
    recheck.no_problem = true;
    recheck.in_normal_use = Some(true);
    assert!(
        inspections::save(&t.db, &crate::local(), &recheck, TODAY, NOW)
            .unwrap()
            .case_followed
    );
    let c = rectification::case(&t.db, case_id).unwrap();
    assert_eq!(c.state, CaseState::AwaitingAcceptance);
    assert_eq!(c.clear_check.as_deref(), Some("镇级复核（2022-10-12）"));
}

/// Review (10): a staff member taken off the list (停用) verifies no close-out, as they join no
/// inspection group.
#[test]
fn a_retired_staff_member_cannot_verify_a_close_out() {
    let t = town();
    let case_id = fixed_case(&t);
    let zhao = staff::get_staff(&t.db, t.zhao).unwrap();
    staff::update_staff(
        &t.db,
        t.zhao,
        &StaffInput {
            name: zhao.name,
            unit: zhao.unit,
            phone: zhao.phone,
            roles: zhao.roles,
            active: false,
        },
        NOW,
    )
    .unwrap();
    let mut close = bare_close(case_id, t.zhao, TODAY);
    close.actor_id = t.li;
    close.remark = Some("复查无渗漏".into());
    let err = rectification::move_case(&t.db, &crate::local(), &close, TODAY, NOW).unwrap_err();
    assert!(err.to_string().contains("已停用"), "{err}");
    assert!(err.to_string().contains("验收人"), "{err}");
    close.verifier_id = Some(t.li);
    rectification::move_case(&t.db, &crate::local(), &close, TODAY, NOW).unwrap();
}

/// Review (11): a case is reported to the district (报区人居办研究解决) no earlier than the problem
/// was found.
#[test]
fn an_escalation_cannot_be_dated_before_the_problem_was_found() {
    use huce_core::escalation::{self, EscalationInput};
    let t = town();
    let case_id = decided_case(&t);
    let input = |date: &str| EscalationInput {
        case_id,
        date: date.into(),
        actor_id: t.li,
        text: "地下水位高，现有技术模式都不适宜".into(),
    };
    let err =
        escalation::escalate(&t.db, &crate::local(), &input("2020-01-01"), TODAY, NOW).unwrap_err();
    assert!(err.to_string().contains("2022-09-20"), "{err}");
    escalation::escalate(&t.db, &crate::local(), &input("2022-09-20"), TODAY, NOW).unwrap();
    escalation::record_reply(&t.db, &crate::local(), &input("2022-11-01"), TODAY, NOW).unwrap();
    // Reported again: not before the district answered the first report.
    let err =
        escalation::escalate(&t.db, &crate::local(), &input("2022-10-01"), TODAY, NOW).unwrap_err();
    assert!(err.to_string().contains("2022-11-01"), "{err}");
    escalation::escalate(&t.db, &crate::local(), &input("2022-11-01"), TODAY, NOW).unwrap();
}
