//! Permissions the core enforces whatever the caller sends (issue 12): category decisions and
//! 销号 need the case-handling permission for every kind of inspection; who recorded, moved or
//! signed comes from the login account; a reviewer does not review their own inspection; an
//! ID-number search without the personal-data permission matches only the digits the mask shows.

use crate::engine::TestDb;
use crate::{count, NOW};
use huce_core::accounts::{self, Account, AccountInput};
use huce_core::households::{self, Disclosure, Scope};
use huce_core::inspections::{self, InspectionInput, OnSiteClose, ProblemInput};
use huce_core::model::*;
use huce_core::rectification::{self, Decision, MoveInput};
use huce_core::signoff::{self, Step};

const TODAY: &str = "2026-11-29";

struct Office {
    conn: TestDb,
    toilets: Vec<i64>,
    /// Staff: 李明, 王芳 (an inspection group), 赵晓昇, 陈红.
    li: i64,
    wang: i64,
    zhao: i64,
    chen: i64,
    admin: Account,
}

fn office() -> Office {
    let conn = crate::engine::fresh();
    let village = households::add_village(&conn, "石鱼村", 1).unwrap();
    let group = households::add_group(&conn, village, "3社", Some(3), 3).unwrap();
    let mut toilets = Vec::new();
    for (i, name) in ["张建国", "曾玥", "单犇", "李四"].iter().enumerate() {
        let h = households::insert_household(
            &conn,
            &NewHousehold {
                group_id: group,
                head_name: (*name).into(),
                id_number: Some(
                    [
                        "11010519491231002X",
                        "500224199001011237",
                        "500224198506060019",
                        "500224197712120511",
                    ][i]
                        .into(),
                ),
                phone: None,
                address: None,
                registered_pop: None,
                resident_pop: None,
                category: HouseholdCategory::Ordinary,
                is_resident: true,
            },
            NOW,
        )
        .unwrap();
        let t = households::insert_toilet(
            &conn,
            h,
            &NewToilet {
                tech_mode: Some(TechMode::ThreeCompartment),
                location: Some(Location::Yard),
                build_year: Some(2019),
                subsidized: Some(true),
                subsidy_year: Some(2019),
                subsidy_amount_fen: None,
                project_name: None,
                is_sanitary: Some(true),
                use_status: Some(UseStatus::InUse),
                baseline_source: BaselineSource::Subsidy,
            },
            NOW,
        )
        .unwrap();
        toilets.push(t);
    }
    let li = crate::add_person(&conn, "李明");
    let wang = crate::add_person(&conn, "王芳");
    let zhao = crate::add_person(&conn, "赵晓昇");
    let chen = crate::add_person(&conn, "陈红");
    let admin = crate::first_admin(&conn);
    Office {
        conn,
        toilets,
        li,
        wang,
        zhao,
        chen,
        admin,
    }
}

fn account(o: &Office, username: &str, role: Role, staff: Option<i64>) -> Account {
    accounts::add(
        &o.conn,
        &o.admin,
        &AccountInput {
            username: username.into(),
            display_name: username.into(),
            role,
            staff_id: staff,
            password: Some("shiyu2022".into()),
            active: true,
        },
        NOW,
    )
    .unwrap()
}

fn minor_problem(conn: &TestDb) -> ProblemInput {
    let id = huce_core::problem_items::problem_items(conn, false)
        .unwrap()
        .into_iter()
        .find(|i| i.name == "池盖缺失或破损")
        .unwrap()
        .id;
    ProblemInput {
        item_id: id,
        stops_use: false,
        cause: None,
        remarks: None,
    }
}

fn form(o: &Office, toilet_id: i64, kind: InspectionKind) -> InspectionInput {
    InspectionInput {
        toilet_id,
        kind,
        inspected_on: "2022-10-20".into(),
        members: vec![o.li, o.wang],
        household_status: HouseholdStatus::Normal,
        status_note: None,
        in_normal_use: Some(true),
        no_problem: false,
        problems: vec![minor_problem(&o.conn)],
        photos: vec![],
        corrections: vec![],
        remarks: None,
        recorded_by: o.li,
        decision: None,
        close_on_site: None,
    }
}

fn on_the_spot(o: &Office, toilet_id: i64, kind: InspectionKind) -> InspectionInput {
    InspectionInput {
        decision: Some(Decision {
            category: Some(Category::ImmediateFix),
            ..Default::default()
        }),
        close_on_site: Some(OnSiteClose {
            verifier_id: o.zhao,
            remark: None,
            head_confirmed: true,
        }),
        ..form(o, toilet_id, kind)
    }
}

#[test]
fn a_supervisor_records_spot_checks_but_neither_decides_categories_nor_closes_cases() {
    let o = office();
    let supervisor = account(&o, "dudao", Role::Supervisor, None);
    let t = o.toilets[0];
    let err = inspections::save(
        &o.conn,
        &supervisor,
        &on_the_spot(&o, t, InspectionKind::DistrictSpot),
        TODAY,
        NOW,
    )
    .expect_err("a 区级抽查 carrying a decision and a close-out is refused to a 督导");
    assert_eq!(err.code(), "forbidden", "{err}");
    assert!(err.to_string().contains("确定整改类别"), "{err}");
    assert_eq!(count(&o.conn, "SELECT count(*) FROM inspections"), 0);
    assert_eq!(count(&o.conn, "SELECT count(*) FROM rectifications"), 0);

    // The result itself is the 督导's to record (镇级复核 and 区级抽查 alike)…
    let saved = inspections::save(
        &o.conn,
        &supervisor,
        &form(&o, t, InspectionKind::DistrictSpot),
        TODAY,
        NOW,
    )
    .unwrap();
    let case = saved.case_id.expect("the problem opens a case");
    // … but not the decision or the moves of the case.
    let err = rectification::decide(
        &o.conn,
        &supervisor,
        case,
        &Decision {
            category: Some(Category::ImmediateFix),
            ..Default::default()
        },
        o.li,
        TODAY,
        NOW,
    )
    .unwrap_err();
    assert_eq!(err.code(), "forbidden", "{err}");
    let err = rectification::move_case(
        &o.conn,
        &supervisor,
        &MoveInput {
            case_id: case,
            to: CaseState::AwaitingAcceptance,
            actor_id: o.li,
            date: TODAY.into(),
            remark: None,
            verifier_id: None,
            photo: None,
            head_confirmed: false,
            unconfirmed_reason: None,
            scan: None,
        },
        TODAY,
        NOW,
    )
    .unwrap_err();
    assert_eq!(err.code(), "forbidden", "{err}");

    // A 录入员 may decide and close on the spot.
    let clerk = account(&o, "luru", Role::Entry, None);
    inspections::save(
        &o.conn,
        &clerk,
        &on_the_spot(&o, o.toilets[1], InspectionKind::VillageSelf),
        TODAY,
        NOW,
    )
    .unwrap();
    // A 镇领导 records no results at all.
    let leader = account(&o, "lingdao", Role::Leader, None);
    let err = inspections::save(
        &o.conn,
        &leader,
        &form(&o, o.toilets[2], InspectionKind::TownRecheck),
        TODAY,
        NOW,
    )
    .unwrap_err();
    assert_eq!(err.code(), "forbidden", "{err}");
}

#[test]
fn who_did_it_comes_from_the_login_not_from_the_form() {
    let o = office();
    // 王芳 logs in as a 录入员 and the form (or a tampered webview) names 李明 as recorder.
    let wang = account(&o, "wangfang", Role::Entry, Some(o.wang));
    let saved = inspections::save(
        &o.conn,
        &wang,
        &form(&o, o.toilets[0], InspectionKind::VillageSelf),
        TODAY,
        NOW,
    )
    .unwrap();
    let (recorded_by, account_id): (i64, Option<i64>) = o
        .conn
        .query_row(
            "SELECT recorded_by, account_id FROM inspections WHERE id = ?1",
            [saved.inspection_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(recorded_by, o.wang, "recorded as the account's person");
    assert_eq!(account_id, Some(wang.id), "and under the account");

    let case = saved.case_id.unwrap();
    rectification::decide(
        &o.conn,
        &wang,
        case,
        &Decision {
            category: Some(Category::ImmediateFix),
            ..Default::default()
        },
        o.chen,
        TODAY,
        NOW,
    )
    .unwrap();
    rectification::move_case(
        &o.conn,
        &wang,
        &MoveInput {
            case_id: case,
            to: CaseState::AwaitingAcceptance,
            actor_id: o.chen,
            date: TODAY.into(),
            remark: None,
            verifier_id: None,
            photo: None,
            head_confirmed: false,
            unconfirmed_reason: None,
            scan: None,
        },
        TODAY,
        NOW,
    )
    .unwrap();
    let actors: Vec<(i64, Option<i64>)> = o
        .conn
        .prepare("SELECT actor_id, account_id FROM rectification_events WHERE rectification_id = ?1 AND kind <> 'opened' ORDER BY id")
        .unwrap()
        .query_map([case], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        actors,
        vec![(o.wang, Some(wang.id)), (o.wang, Some(wang.id))],
        "the decision and the move are 王芳's, whatever actor the input named"
    );

    // The fix was keyed in by 王芳's account: she cannot be the verifier of its 销号, even when
    // another clerk (not linked to anyone) keys in the close-out.
    let other = account(&o, "other", Role::Entry, None);
    let close = |verifier: i64| MoveInput {
        case_id: case,
        to: CaseState::Closed,
        actor_id: o.zhao,
        date: TODAY.into(),
        remark: Some("复核无渗漏".into()),
        verifier_id: Some(verifier),
        photo: None,
        head_confirmed: true,
        unconfirmed_reason: None,
        scan: None,
    };
    let err = rectification::move_case(&o.conn, &other, &close(o.wang), TODAY, NOW).unwrap_err();
    assert!(err.to_string().contains("另一位工作人员"), "{err}");
    rectification::move_case(&o.conn, &other, &close(o.zhao), TODAY, NOW).unwrap();
}

#[test]
fn a_reviewer_does_not_review_an_inspection_they_recorded_or_took_part_in() {
    let o = office();
    let clerk = account(&o, "luru", Role::Entry, None);
    // 王芳 is in the inspection group of the first two results; 陈红 of none.
    let ids: Vec<i64> = o.toilets[..3]
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut f = form(&o, *t, InspectionKind::VillageSelf);
            f.problems = vec![];
            f.no_problem = true;
            if i == 2 {
                f.members = vec![o.li, o.zhao];
            }
            inspections::save(&o.conn, &clerk, &f, TODAY, NOW)
                .unwrap()
                .inspection_id
        })
        .collect();
    let wang = account(&o, "wang-sh", Role::Reviewer, Some(o.wang));
    let err = signoff::sign(&o.conn, &wang, &ids[..2], Step::Review, NOW)
        .expect_err("谁排查、谁审核 are different people");
    assert!(err.to_string().contains("另一位审核人"), "{err}");
    let done = signoff::sign(&o.conn, &wang, &ids, Step::Review, NOW).unwrap();
    assert_eq!(
        (done.signed, done.own_skipped),
        (1, 2),
        "the one she did not inspect is signed, her own are left for another reviewer"
    );
    let chen = account(&o, "chen-sh", Role::Reviewer, Some(o.chen));
    let done = signoff::sign(&o.conn, &chen, &ids, Step::Review, NOW).unwrap();
    assert_eq!((done.signed, done.own_skipped), (2, 0));

    // A reviewer who keyed a result in under their own account does not review it either.
    let keyer = account(&o, "keyer-sh", Role::Reviewer, None);
    let mut f = form(&o, o.toilets[3], InspectionKind::VillageSelf);
    f.problems = vec![];
    f.no_problem = true;
    let own = inspections::save(&o.conn, &keyer, &f, TODAY, NOW)
        .unwrap()
        .inspection_id;
    let err = signoff::sign(&o.conn, &keyer, &[own], Step::Review, NOW).unwrap_err();
    assert!(err.to_string().contains("另一位审核人"), "{err}");
}

#[test]
fn a_masked_id_search_matches_only_the_digits_the_mask_shows() {
    let o = office();
    let search =
        |q: &str, d: Disclosure| households::list(&o.conn, Scope::Town, q, d, 0, 50).unwrap();
    // 500224199001011237 and 500224198506060019 … share no tail beyond 4; 0019/1237 visible.
    let full = search("01011237", Disclosure::Full);
    assert_eq!(
        full.total, 1,
        "a role that may see full numbers searches them"
    );
    assert!(full.note.is_none());
    let four = search("1237", Disclosure::Masked);
    assert_eq!(four.total, 1, "one household's number ends in 1237");
    for probe in ["11237", "011237", "01011237", "500224199001011237"] {
        let masked = search(probe, Disclosure::Masked);
        assert_eq!(
            masked.total, four.total,
            "{probe}: the hidden digits do not narrow the search"
        );
        let note = masked.note.expect("the narrowing is said");
        assert!(note.contains("后 4 位"), "{note}");
    }
    // A wrong hidden digit finds the same households as the right one: nothing is revealed.
    assert_eq!(
        search("91011237", Disclosure::Masked).total,
        search("01011237", Disclosure::Masked).total
    );
    assert_eq!(search("91011237", Disclosure::Full).total, 0);
}
