//! What a form may not do to results and evidence already recorded: replace a reviewed (locked)
//! result by keying the same check in again, use one photo as evidence for two households, or be
//! dated before the campaign began.

use huce_core::accounts::{self, Account, AccountInput};
use huce_core::signoff::{self, Step};

use super::*;

/// A 审核人 account (not linked to a staff member, so not one of the inspection group).
fn reviewer(t: &Town) -> Account {
    let admin = crate::first_admin(&t.db);
    accounts::add(
        &t.db,
        &admin,
        &AccountInput {
            username: "shenhe".into(),
            display_name: "审核员甲".into(),
            role: Role::Reviewer,
            staff_id: None,
            password: Some("shiyu2022".into()),
            active: true,
        },
        NOW,
    )
    .unwrap()
}

fn plan_district() -> Decision {
    Decision {
        category: Some(Category::PlanDistrict),
        override_reason: None,
        measures: Some("重建化粪池".into()),
        responsible: Some("李明".into()),
        planned_month: Some("2023-06".into()),
        funding: None,
    }
}

fn immediate() -> Decision {
    Decision {
        category: Some(Category::ImmediateFix),
        override_reason: Some("小毛病".into()),
        ..Decision::default()
    }
}

fn refused_with(t: &Town, f: &InspectionInput, words: &[&str]) -> String {
    let before = count(&t.db, "inspections");
    let err = inspections::save(&t.db, &crate::local(), f, TODAY, NOW)
        .unwrap_err()
        .to_string();
    for w in words {
        assert!(err.contains(w), "expected “{w}” in: {err}");
    }
    assert_eq!(
        count(&t.db, "inspections"),
        before,
        "a refused form saves nothing"
    );
    err
}

/// Review probe (3): a reviewed 村级自查's category is locked; keying the same form in again (same
/// toilet, kind and day) made a new unreviewed result the case followed, and the category could
/// be changed without an unlock — the reviewed result also dropped off the 签字背书表. Now that
/// entry, and one dated earlier, is refused until a reviewer unlocks the result with a reason.
#[test]
fn a_same_day_second_entry_cannot_replace_a_reviewed_result() {
    let t = town();
    let admin = crate::local();
    let mut f = form(&t, t.t2016);
    f.problems = vec![leak(&t)];
    let first = inspections::save(&t.db, &admin, &f, TODAY, NOW).unwrap();
    let case = first.case_id.unwrap();
    rectification::decide(&t.db, &admin, case, &plan_district(), t.li, TODAY, NOW).unwrap();
    let reviewer = reviewer(&t);
    signoff::sign(&t.db, &reviewer, &[first.inspection_id], Step::Review, NOW).unwrap();
    assert!(
        rectification::decide(&t.db, &admin, case, &immediate(), t.li, TODAY, NOW).is_err(),
        "the reviewed category is locked"
    );

    // The same form again, and one dated before the reviewed result.
    let err = refused_with(&t, &f, &["已锁定", "审核人解锁并写明原因后修改原记录"]);
    assert!(
        err.contains("村级自查") && err.contains("2022-09-20"),
        "{err}"
    );
    let mut earlier = f.clone();
    earlier.inspected_on = "2022-09-18".into();
    refused_with(&t, &earlier, &["已锁定"]);
    assert!(
        rectification::decide(&t.db, &admin, case, &immediate(), t.li, TODAY, NOW).is_err(),
        "still locked"
    );
    let rows = signoff::sheet_rows(&t.db, Scope::Village(t.village)).unwrap();
    assert!(
        rows.iter().any(|r| r.review.is_some()),
        "the reviewed result stays on the 签字背书表"
    );

    // Another toilet of the same household is another result.
    let mut other_toilet = form(&t, t.t2019);
    other_toilet.in_normal_use = Some(true);
    other_toilet.no_problem = true;
    inspections::save(&t.db, &admin, &other_toilet, TODAY, NOW).unwrap();
    // The town's re-check of the same toilet the same day is another kind of result.
    let mut recheck = f.clone();
    recheck.kind = InspectionKind::TownRecheck;
    recheck.members = vec![t.wang, t.zhao];
    inspections::save(&t.db, &admin, &recheck, TODAY, NOW).unwrap();
    let mut spot = recheck.clone();
    spot.kind = InspectionKind::DistrictSpot;
    inspections::save(&t.db, &admin, &spot, TODAY, NOW).unwrap();
    // A later 村级自查 of this toilet is a new result, which the case follows.
    let mut later = f.clone();
    later.inspected_on = "2022-10-08".into();
    assert!(
        inspections::save(&t.db, &admin, &later, TODAY, NOW)
            .unwrap()
            .case_followed
    );

    // Unlocked with a reason, the result can be keyed in again.
    signoff::unlock(&t.db, &reviewer, first.inspection_id, "问题填错", NOW).unwrap();
    inspections::save(&t.db, &admin, &f, TODAY, NOW).unwrap();
}

/// Decision: a second 村级自查 of the same toilet on the same day while the first is not reviewed
/// is how a form keyed in wrongly is put right (a saved inspection is never edited): it is saved,
/// the case follows it, and both stay in the household's file.
#[test]
fn an_unreviewed_result_keyed_in_again_the_same_day_is_replaced() {
    let t = town();
    let admin = crate::local();
    let mut f = form(&t, t.t2016);
    f.problems = vec![leak(&t)];
    let first = inspections::save(&t.db, &admin, &f, TODAY, NOW).unwrap();
    let mut right = f.clone();
    right.problems = vec![minor(&t)];
    right.in_normal_use = Some(true);
    let second = inspections::save(&t.db, &admin, &right, TODAY, NOW).unwrap();
    assert_eq!(second.existing_case_id, first.case_id);
    assert!(second.case_followed);
    assert_eq!(count(&t.db, "inspections"), 2, "both entries are kept");
}

fn stored_photo(t: &Town, dir: &std::path::Path, name: &str, bytes: &[u8]) -> String {
    let src = dir.join(name);
    std::fs::write(&src, bytes).unwrap();
    huce_core::photos::store(&t.db, &dir.join("photos"), &src, NOW)
        .unwrap()
        .hash
}

/// Review probe (8): the same photo (same content) saved on the forms of two households was
/// accepted; the photo import flags exactly this (同一张照片用在另一户). The form now refuses it,
/// naming the household the photo is evidence for. The same household's other toilet may use it.
#[test]
fn one_photo_cannot_be_evidence_for_two_households() {
    let dir = tempfile::tempdir().unwrap();
    let t = town();
    let admin = crate::local();
    let hash = stored_photo(&t, dir.path(), "厕所.png", b"\x89PNG\r\n\x1a\n one toilet");
    let mut a = form(&t, t.t2016);
    a.problems = vec![leak(&t)];
    a.photos = vec![hash.clone()];
    inspections::save(&t.db, &admin, &a, TODAY, NOW).unwrap();

    // 曾玥's toilet (another household of the same 社).
    let mut b = form(&t, t.unsupported);
    b.in_normal_use = Some(true);
    b.no_problem = true;
    b.photos = vec![hash.clone()];
    let before = count(&t.db, "inspection_photos");
    let err = inspections::save(&t.db, &admin, &b, TODAY, NOW)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("石鱼村3社 张建国") && err.contains("照片"),
        "{err}"
    );
    assert_eq!(count(&t.db, "inspection_photos"), before);

    // 张建国's other toilet, and a later check of the same toilet: the same household.
    let mut same_household = form(&t, t.t2019);
    same_household.in_normal_use = Some(true);
    same_household.no_problem = true;
    same_household.photos = vec![hash.clone()];
    inspections::save(&t.db, &admin, &same_household, TODAY, NOW).unwrap();
    let mut later = a.clone();
    later.inspected_on = "2022-10-08".into();
    inspections::save(&t.db, &admin, &later, TODAY, NOW).unwrap();

    // A photo of the fix (整改后照片) of 张建国's case is evidence for his household too.
    let fixed_photo = stored_photo(&t, dir.path(), "整改后.png", b"\x89PNG\r\n\x1a\n fixed");
    let case = rectification::open_case_of(&t.db, t.t2016)
        .unwrap()
        .unwrap();
    rectification::decide(&t.db, &admin, case, &plan_district(), t.li, TODAY, NOW).unwrap();
    let fixed = rebuilt(&t, case, &fixed_photo);
    rectification::move_case(&t.db, &admin, &fixed, TODAY, NOW).unwrap();
    let mut c = form(&t, t.no_year);
    c.in_normal_use = Some(true);
    c.no_problem = true;
    c.photos = vec![fixed_photo];
    let err = inspections::save(&t.db, &admin, &c, TODAY, NOW)
        .unwrap_err()
        .to_string();
    assert!(err.contains("石鱼村3社 张建国"), "{err}");
}

/// Review probe (12): an inspection dated 2015 was saved — the earliest date allowed was
/// 2013-01-01 although the message said the work began in 2022 (the seed plan is of 2022).
#[test]
fn an_inspection_cannot_be_dated_before_the_campaign() {
    let t = town();
    let mut f = form(&t, t.t2016);
    f.problems = vec![leak(&t)];
    for on in ["2015-03-01", "2021-12-31"] {
        let mut early = f.clone();
        early.inspected_on = on.into();
        refused(&t, &early, "2022 年");
    }
    f.inspected_on = "2022-01-01".into();
    inspections::save(&t.db, &crate::local(), &f, TODAY, NOW).unwrap();
}

/// Found in review: the 签字背书表 took a toilet's latest result by record number, everything
/// else by its date (then record number): a 镇级复核 keyed in later but dated before the
/// reviewed 村级自查 became the sheet's line and pushed the reviewed result off it.
#[test]
fn the_signoff_sheet_takes_a_toilets_latest_result_by_date() {
    let t = town();
    let admin = crate::local();
    let mut f = form(&t, t.t2016);
    f.problems = vec![leak(&t)];
    let reviewed = inspections::save(&t.db, &admin, &f, TODAY, NOW).unwrap();
    signoff::sign(
        &t.db,
        &reviewer(&t),
        &[reviewed.inspection_id],
        Step::Review,
        NOW,
    )
    .unwrap();
    let mut earlier = form(&t, t.t2016);
    earlier.problems = vec![leak(&t)];
    earlier.kind = InspectionKind::TownRecheck;
    earlier.inspected_on = "2022-09-18".into();
    let keyed_later = inspections::save(&t.db, &admin, &earlier, TODAY, NOW).unwrap();
    assert!(keyed_later.inspection_id > reviewed.inspection_id);
    let village: i64 = t
        .db
        .query_row("SELECT h.village_id FROM households h JOIN toilets t ON t.household_id = h.id WHERE t.id = ?1", [t.t2016], |r| r.get(0))
        .unwrap();
    let ids = signoff::latest_in(&t.db, huce_core::households::Scope::Village(village)).unwrap();
    assert!(ids.contains(&reviewed.inspection_id), "{ids:?}");
    assert!(!ids.contains(&keyed_later.inspection_id), "{ids:?}");
    let rows = signoff::sheet_rows(&t.db, huce_core::households::Scope::Village(village)).unwrap();
    assert!(
        rows.iter()
            .any(|r| r.inspected_on == "2022-09-20" && r.kind == InspectionKind::VillageSelf),
        "the reviewed result is the sheet's line"
    );
}

/// Found in review (the other half of the photo check): a photo already evidence on another
/// household's inspection was taken as the 整改后照片 of this household's case.
#[test]
fn another_households_photo_cannot_be_the_photo_of_a_fix() {
    let dir = tempfile::tempdir().unwrap();
    let t = town();
    let admin = crate::local();
    let hash = stored_photo(
        &t,
        dir.path(),
        "曾玥家.png",
        b"\x89PNG\r\n\x1a\n zeng's toilet",
    );
    let mut b = form(&t, t.unsupported);
    b.in_normal_use = Some(true);
    b.no_problem = true;
    b.photos = vec![hash.clone()];
    inspections::save(&t.db, &admin, &b, TODAY, NOW).unwrap();

    let mut a = form(&t, t.t2016);
    a.problems = vec![leak(&t)];
    let case = inspections::save(&t.db, &admin, &a, TODAY, NOW)
        .unwrap()
        .case_id
        .unwrap();
    rectification::decide(&t.db, &admin, case, &plan_district(), t.li, TODAY, NOW).unwrap();
    let fixed = rebuilt(&t, case, &hash);
    let err = rectification::move_case(&t.db, &admin, &fixed, TODAY, NOW)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("石鱼村3社 曾玥") && err.contains("照片"),
        "{err}"
    );
    assert_eq!(
        rectification::case(&t.db, case).unwrap().state,
        CaseState::Pending
    );
}

/// The case rebuilt (已整改待验收) on 2022-10-10 by 李, with `photo` as its 整改后照片.
fn rebuilt(t: &Town, case: i64, photo: &str) -> MoveInput {
    MoveInput {
        case_id: case,
        to: CaseState::AwaitingAcceptance,
        actor_id: t.li,
        date: "2022-10-10".into(),
        remark: Some("已重建".into()),
        verifier_id: None,
        photo: Some(photo.to_string()),
        head_confirmed: false,
        unconfirmed_reason: None,
        scan: None,
    }
}
