//! Inspections, the category decision and the problem ledger's state machine, on the real schema.

use huce_core::households::{self, Scope};
use huce_core::inspections::{self, CorrectionInput, InspectionInput, OnSiteClose, ProblemInput};
use huce_core::model::*;
use huce_core::rectification::{self, Decision, LedgerFilter, LedgerSort, MoveInput};
use huce_core::staff::{self, StaffInput};
use rusqlite::Connection;

use super::NOW;

const TODAY: &str = "2026-11-29";
const MONTH: &str = "2026-11";

struct Town {
    conn: Connection,
    village: i64,
    other_village: i64,
    /// Toilets: fiscally supported 2016, 2019, not supported, subsidy year missing.
    t2016: i64,
    t2019: i64,
    unsupported: i64,
    no_year: i64,
    /// Staff: two inspectors and a verifier.
    li: i64,
    wang: i64,
    zhao: i64,
}

fn toilet(subsidized: Option<bool>, year: Option<i64>) -> NewToilet {
    NewToilet {
        tech_mode: Some(TechMode::ThreeCompartment),
        location: Some(Location::Yard),
        build_year: year,
        subsidized,
        subsidy_year: year.filter(|_| subsidized == Some(true)),
        subsidy_amount_fen: None,
        project_name: None,
        is_sanitary: Some(true),
        use_status: Some(UseStatus::InUse),
        baseline_source: BaselineSource::Subsidy,
    }
}

fn person(conn: &Connection, name: &str) -> i64 {
    staff::add_staff(
        conn,
        &StaffInput {
            name: name.into(),
            unit: "石鱼镇农业服务中心".into(),
            phone: None,
            roles: "包村干部".into(),
            active: true,
        },
        NOW,
    )
    .unwrap()
}

fn town() -> Town {
    let conn = huce_core::db::open_in_memory().unwrap();
    let village = households::add_village(&conn, "石鱼村", 1).unwrap();
    let other_village = households::add_village(&conn, "三和村", 2).unwrap();
    let group = households::add_group(&conn, village, "3社", Some(3), 3).unwrap();
    let other_group = households::add_group(&conn, other_village, "1社", Some(1), 1).unwrap();
    let hh = |name: &str, group_id: i64| {
        households::insert_household(
            &conn,
            &NewHousehold {
                group_id,
                head_name: name.into(),
                id_number: None,
                phone: None,
                address: None,
                registered_pop: None,
                resident_pop: None,
                category: HouseholdCategory::Ordinary,
                is_resident: true,
            },
            NOW,
        )
        .unwrap()
    };
    let a = hh("张建国", group);
    let b = hh("曾玥", group);
    let c = hh("单犇", other_group);
    let t2016 = households::insert_toilet(&conn, a, &toilet(Some(true), Some(2016)), NOW).unwrap();
    let t2019 = households::insert_toilet(&conn, a, &toilet(Some(true), Some(2019)), NOW).unwrap();
    let unsupported =
        households::insert_toilet(&conn, b, &toilet(Some(false), Some(2015)), NOW).unwrap();
    let mut missing = toilet(Some(true), Some(2016));
    missing.subsidy_year = None;
    let no_year = households::insert_toilet(&conn, c, &missing, NOW).unwrap();
    let li = person(&conn, "李明");
    let wang = person(&conn, "王芳");
    let zhao = person(&conn, "赵晓昇");
    Town {
        conn,
        village,
        other_village,
        t2016,
        t2019,
        unsupported,
        no_year,
        li,
        wang,
        zhao,
    }
}

fn item(conn: &Connection, name: &str) -> i64 {
    huce_core::problem_items::problem_items(conn, true)
        .unwrap()
        .into_iter()
        .find(|i| i.name == name)
        .unwrap_or_else(|| panic!("problem item {name}"))
        .id
}

fn form(t: &Town, toilet_id: i64) -> InspectionInput {
    InspectionInput {
        toilet_id,
        kind: InspectionKind::VillageSelf,
        inspected_on: "2022-09-20".into(),
        members: vec![t.li, t.wang],
        household_status: HouseholdStatus::Normal,
        status_note: None,
        in_normal_use: Some(false),
        no_problem: false,
        problems: vec![],
        photos: vec![],
        corrections: vec![],
        remarks: None,
        recorded_by: t.li,
        decision: None,
        close_on_site: None,
    }
}

fn leak(t: &Town) -> ProblemInput {
    ProblemInput {
        item_id: item(&t.conn, "渗漏"),
        stops_use: true,
        cause: Some(Cause::Construction),
        remarks: None,
    }
}

fn minor(t: &Town) -> ProblemInput {
    ProblemInput {
        item_id: item(&t.conn, "池盖缺失或破损"),
        stops_use: false,
        cause: None,
        remarks: None,
    }
}

fn count(conn: &Connection, table: &str) -> i64 {
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

fn refused(t: &Town, f: &InspectionInput, words: &str) {
    let before = count(&t.conn, "inspections");
    let err = inspections::save(&t.conn, &crate::local(), f, TODAY, NOW).unwrap_err();
    assert!(
        err.to_string().contains(words),
        "expected “{words}” in: {err}"
    );
    assert_eq!(
        count(&t.conn, "inspections"),
        before,
        "a refused form saves nothing"
    );
    assert_eq!(count(&t.conn, "rectifications"), 0);
}

#[test]
fn an_incomplete_or_contradictory_form_is_refused_with_what_to_fix() {
    let t = town();
    let mut f = form(&t, t.t2016);
    f.problems = vec![leak(&t)];

    let mut one = f.clone();
    one.members = vec![t.li, t.li];
    refused(&t, &one, "至少要有 2 人");

    let mut nothing = f.clone();
    nothing.problems.clear();
    refused(&t, &nothing, "无问题");

    let mut both = f.clone();
    both.no_problem = true;
    refused(&t, &both, "又勾选了问题");

    let mut no_cause = f.clone();
    no_cause.problems[0].cause = None;
    refused(&t, &no_cause, "请选择原因");

    let mut other = f.clone();
    other.problems[0].cause = Some(Cause::Other);
    refused(&t, &other, "写明原因");

    let mut in_use = f.clone();
    in_use.in_normal_use = Some(true);
    refused(&t, &in_use, "正常使用");

    let mut future = f.clone();
    future.inspected_on = "2026-12-01".into();
    refused(&t, &future, "之后");

    let mut bad_date = f.clone();
    bad_date.inspected_on = "2022-02-30".into();
    refused(&t, &bad_date, "不是有效日期");

    let mut status = f.clone();
    status.household_status = HouseholdStatus::Other;
    refused(&t, &status, "写明具体情况");

    let mut planned_closed = f.clone();
    planned_closed.decision = Some(Decision {
        category: Some(Category::PlanDistrict),
        ..Decision::default()
    });
    planned_closed.close_on_site = Some(OnSiteClose {
        verifier_id: t.zhao,
        remark: None,
    });
    refused(&t, &planned_closed, "当场销号");

    // A planned category without its plan fails at the decision step: the inspection written
    // before it in the same transaction is rolled back too.
    let mut no_plan = f.clone();
    no_plan.decision = Some(Decision {
        category: Some(Category::PlanDistrict),
        ..Decision::default()
    });
    refused(&t, &no_plan, "整改措施、责任人、计划完成时间");
}

#[test]
fn no_problem_is_a_result_and_a_vacant_house_needs_no_answer() {
    let t = town();
    let mut ok = form(&t, t.t2016);
    ok.no_problem = true;
    ok.in_normal_use = Some(true);
    let saved = inspections::save(&t.conn, &crate::local(), &ok, TODAY, NOW).unwrap();
    assert_eq!(saved.case_id, None);
    assert_eq!(saved.proposal.category, None);

    let mut vacant = form(&t, t.t2019);
    vacant.household_status = HouseholdStatus::Vacant;
    vacant.in_normal_use = None;
    inspections::save(&t.conn, &crate::local(), &vacant, TODAY, NOW).unwrap();

    let file = inspections::field_file(
        &t.conn,
        households::toilets_of(&t.conn, 1).unwrap()[0].household_id,
    )
    .unwrap();
    assert_eq!(file.inspections.len(), 2);
    assert!(file.inspections.iter().all(|i| !i.has_problems));
    assert_eq!(file.inspections[0].members, vec!["李明", "王芳"]);
    assert!(file.cases.is_empty());
}

#[test]
fn the_rules_propose_the_category_from_the_corrected_baseline() {
    let t = town();
    let cases = [
        (t.t2016, vec![leak(&t)], Some(Category::PlanDistrict)),
        (t.t2019, vec![leak(&t)], Some(Category::PlanTownFunded)),
        (t.unsupported, vec![leak(&t)], None),
        (t.no_year, vec![leak(&t)], None),
    ];
    for (toilet_id, problems, expected) in cases {
        let p = inspections::preview_proposal(&t.conn, toilet_id, &problems, &[]).unwrap();
        assert_eq!(p.category, expected, "toilet {toilet_id}: {}", p.reason);
    }
    // A minor problem beside a serious one does not make it 立行立改; alone it does.
    let both =
        inspections::preview_proposal(&t.conn, t.t2016, &[minor(&t), leak(&t)], &[]).unwrap();
    assert_eq!(both.category, Some(Category::PlanDistrict));
    let only_minor = inspections::preview_proposal(&t.conn, t.t2016, &[minor(&t)], &[]).unwrap();
    assert_eq!(only_minor.category, Some(Category::ImmediateFix));

    // The field finds the subsidy year was 2018, not 2016: the proposal follows the correction,
    // the toilet is corrected and the change log keeps old → new.
    let fix = vec![CorrectionInput {
        field: "subsidy_year".into(),
        value: Some("2018".into()),
    }];
    let mut f = form(&t, t.t2016);
    f.problems = vec![leak(&t)];
    f.corrections = fix.clone();
    assert_eq!(
        inspections::preview_proposal(&t.conn, t.t2016, &f.problems, &fix)
            .unwrap()
            .category,
        Some(Category::PlanTownFunded)
    );
    let saved = inspections::save(&t.conn, &crate::local(), &f, TODAY, NOW).unwrap();
    assert_eq!(saved.proposal.category, Some(Category::PlanTownFunded));
    assert_eq!(saved.corrections_applied, 1);
    let (field, old, new, actor): (String, String, String, String) = t
        .conn
        .query_row(
            "SELECT field, old_value, new_value, actor FROM change_log WHERE entity = 'toilet' AND entity_id = ?1",
            [t.t2016],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(
        (field.as_str(), old.as_str(), new.as_str(), actor.as_str()),
        ("补助年度", "2016", "2018", "李明")
    );
    let household: i64 = t
        .conn
        .query_row(
            "SELECT household_id FROM toilets WHERE id = ?1",
            [t.t2016],
            |r| r.get(0),
        )
        .unwrap();
    let file = inspections::field_file(&t.conn, household).unwrap();
    let c = &file.inspections[0].corrections;
    assert_eq!(c.len(), 1);
    assert_eq!(
        (
            c[0].field.as_str(),
            c[0].old_value.as_deref(),
            c[0].new_value.as_deref()
        ),
        ("补助年度", Some("2016"), Some("2018")),
        "the household's file shows what the inspection corrected"
    );
    let bad = vec![CorrectionInput {
        field: "tech_mode".into(),
        value: Some("火箭".into()),
    }];
    assert!(inspections::preview_proposal(&t.conn, t.t2016, &[], &bad).is_err());
}

fn ledger(t: &Town, f: LedgerFilter) -> rectification::LedgerPage {
    rectification::ledger(&t.conn, &f, MONTH, 0, 100).unwrap()
}

fn all(scope: Scope) -> LedgerFilter {
    LedgerFilter {
        scope,
        category: None,
        state: None,
        overdue_only: false,
        sort: LedgerSort::Place,
    }
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
        &t.conn,
        &crate::local(),
        &MoveInput {
            case_id,
            to,
            actor_id: actor,
            date: date.into(),
            remark: remark.map(str::to_string),
            verifier_id: verifier,
            photo: None,
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
    let saved = inspections::save(&t.conn, &crate::local(), &f, TODAY, NOW).unwrap();
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
        &t.conn,
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
        &t.conn,
        &crate::local(),
        case_id,
        &plan(Category::PlanTownFunded, Some("补助资金实为2019年拨付")),
        t.li,
        TODAY,
        NOW,
    )
    .unwrap();
    let c = rectification::case(&t.conn, case_id).unwrap();
    assert_eq!(c.proposed_category, Some(Category::PlanDistrict));
    assert_eq!(c.category, Some(Category::PlanTownFunded));
    assert_eq!(c.override_reason.as_deref(), Some("补助资金实为2019年拨付"));
    let mut late = plan(Category::PlanDistrict, None);
    late.planned_month = Some("2026-03".into());
    assert!(
        rectification::decide(&t.conn, &crate::local(), case_id, &late, t.li, TODAY, NOW).is_err()
    );
    rectification::decide(
        &t.conn,
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
    let c = rectification::case(&t.conn, case_id).unwrap();
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
    od.overdue_only = true;
    let page = ledger(&t, od);
    assert_eq!(page.total, 1);
    assert!(page.rows[0].overdue);
    assert_eq!(shiyu(&page).overdue, 1);
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
    });
    refused(&t, &f, "另一位工作人员");
    f.close_on_site = Some(OnSiteClose {
        verifier_id: t.wang,
        remark: Some("已更换池盖".into()),
    });
    let saved = inspections::save(&t.conn, &crate::local(), &f, TODAY, NOW).unwrap();
    let c = rectification::case(&t.conn, saved.case_id.unwrap()).unwrap();
    assert_eq!(c.state, CaseState::Closed);
    assert_eq!(c.category, Some(Category::ImmediateFix));
    assert_eq!(c.events.last().unwrap().verifier.as_deref(), Some("王芳"));
}

#[test]
fn a_recheck_of_a_toilet_with_an_open_case_adds_to_its_file_not_to_the_ledger() {
    let t = town();
    let mut f = form(&t, t.no_year);
    f.problems = vec![leak(&t)];
    let first = inspections::save(&t.conn, &crate::local(), &f, TODAY, NOW).unwrap();
    assert_eq!(
        first.proposal.category, None,
        "subsidy year missing: a person decides"
    );
    f.kind = InspectionKind::TownRecheck;
    f.inspected_on = "2022-10-12".into();
    f.members = vec![t.wang, t.zhao];
    let second = inspections::save(&t.conn, &crate::local(), &f, TODAY, NOW).unwrap();
    assert_eq!(second.case_id, None);
    assert_eq!(second.existing_case_id, first.case_id);
    let page = ledger(&t, all(Scope::Village(t.other_village)));
    assert_eq!(page.total, 1);
    let mut undecided = all(Scope::Town);
    undecided.category = Some("undecided".into());
    assert_eq!(ledger(&t, undecided).total, 1);
    let household = t
        .conn
        .query_row(
            "SELECT household_id FROM toilets WHERE id = ?1",
            [t.no_year],
            |r| r.get::<_, i64>(0),
        )
        .unwrap();
    let file = inspections::field_file(&t.conn, household).unwrap();
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
    let photo = huce_core::photos::store(&t.conn, &tmp.path().join("photos"), &src, NOW).unwrap();
    std::fs::remove_file(&src).unwrap();

    let mut f = form(&t, t.t2016);
    f.problems = vec![leak(&t)];
    f.photos = vec![photo.hash.clone(), "0".repeat(64)];
    refused(&t, &f, "照片没有保存成功");
    f.photos = vec![photo.hash.clone()];
    let saved = inspections::save(&t.conn, &crate::local(), &f, TODAY, NOW).unwrap();
    let household: i64 = t
        .conn
        .query_row(
            "SELECT household_id FROM toilets WHERE id = ?1",
            [t.t2016],
            |r| r.get(0),
        )
        .unwrap();
    let file = inspections::field_file(&t.conn, household).unwrap();
    assert_eq!(file.inspections[0].photos, vec![photo.hash]);

    // The household moves to another village's 社 (a corrected import): its case goes along.
    let other_group: i64 = t
        .conn
        .query_row(
            "SELECT id FROM village_groups WHERE village_id = ?1",
            [t.other_village],
            |r| r.get(0),
        )
        .unwrap();
    t.conn
        .execute(
            "UPDATE households SET group_id = ?1, village_id = ?2 WHERE id = ?3",
            rusqlite::params![other_group, t.other_village, household],
        )
        .unwrap();
    let page = ledger(&t, all(Scope::Village(t.other_village)));
    assert_eq!(page.rows.len(), 1);
    assert_eq!(page.rows[0].case_id, saved.case_id.unwrap());
    assert_eq!(ledger(&t, all(Scope::Village(t.village))).total, 0);
}

#[test]
fn the_village_check_the_town_recheck_and_the_baseline_are_compared() {
    let t = town();
    let save = |toilet: i64,
                kind: InspectionKind,
                on: &str,
                problems: Vec<ProblemInput>,
                in_use: bool,
                members: Vec<i64>| {
        let mut f = form(&t, toilet);
        f.kind = kind;
        f.inspected_on = on.into();
        f.no_problem = problems.is_empty();
        f.problems = problems;
        f.in_normal_use = Some(in_use);
        f.members = members;
        inspections::save(&t.conn, &crate::local(), &f, TODAY, NOW).unwrap();
    };
    // The village found a leak; the town found nothing: three fields differ.
    save(
        t.t2016,
        InspectionKind::VillageSelf,
        "2022-09-20",
        vec![leak(&t)],
        false,
        vec![t.li, t.wang],
    );
    save(
        t.t2016,
        InspectionKind::TownRecheck,
        "2022-10-12",
        vec![],
        true,
        vec![t.wang, t.zhao],
    );
    // Both found nothing; the village corrected the baseline's subsidy year: one difference.
    let mut f = form(&t, t.t2019);
    f.inspected_on = "2022-09-20".into();
    f.members = vec![t.li, t.wang];
    f.no_problem = true;
    f.in_normal_use = Some(true);
    f.corrections = vec![CorrectionInput {
        field: "subsidy_year".into(),
        value: Some("2020".into()),
    }];
    inspections::save(&t.conn, &crate::local(), &f, TODAY, NOW).unwrap();
    save(
        t.t2019,
        InspectionKind::TownRecheck,
        "2022-10-12",
        vec![],
        true,
        vec![t.wang, t.zhao],
    );
    // Only the village's check, which says not usable while the baseline says 正常使用.
    save(
        t.unsupported,
        InspectionKind::VillageSelf,
        "2022-09-21",
        vec![leak(&t)],
        false,
        vec![t.li, t.zhao],
    );

    let c = huce_core::compare::compare(&t.conn, Scope::Village(t.village)).unwrap();
    let fields: Vec<(&str, &str, &str, &str)> = c
        .differences
        .iter()
        .map(|d| {
            (
                d.head_name.as_str(),
                d.field.as_str(),
                d.left_value.as_str(),
                d.right_value.as_str(),
            )
        })
        .collect();
    assert_eq!(
        fields,
        vec![
            ("张建国", "是否正常使用", "否", "是"),
            ("张建国", "发现的问题", "渗漏", "无问题"),
            ("张建国", "是否影响使用", "是", "否"),
            ("张建国", "补助年度", "2019", "2020"),
            ("曾玥", "使用状态", "正常使用", "不能正常使用"),
        ]
    );
    assert_eq!(
        (
            c.differences[3].left.as_str(),
            c.differences[3].right.as_str()
        ),
        ("台账底数", "村级自查 2022-09-20"),
        "a correction is a difference between the baseline and the check that made it"
    );
    assert_eq!(c.differences[0].left, "村级自查 2022-09-20");
    assert_eq!(c.differences[0].right, "镇级复核 2022-10-12");
    assert_eq!(c.differences[4].left, "台账底数");
    assert_eq!(c.villages.len(), 1);
    assert_eq!((c.villages[0].compared, c.villages[0].differing), (3, 3));
    let group = c.groups.iter().find(|g| g.name == "李明、王芳").unwrap();
    assert_eq!((group.compared, group.differing), (2, 1));
    assert!((group.percent() - 50.0).abs() < 1e-9);

    // A database file is read on two connections at once; the result is the same.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("对比 town.db");
    t.conn
        .execute("VACUUM INTO ?1", [file.to_str().unwrap()])
        .unwrap();
    let on_disk = huce_core::db::open(&file).unwrap();
    for scope in [Scope::Village(t.village), Scope::Town] {
        assert_eq!(
            huce_core::compare::compare(&on_disk, scope).unwrap(),
            huce_core::compare::compare(&t.conn, scope).unwrap()
        );
    }
}
