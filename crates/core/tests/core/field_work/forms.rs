//! The inspection form: what is refused and why, the rules' proposal, and the comparison of
//! the village's check with the town's re-check and the baseline.

use super::*;

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
        head_confirmed: true,
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
    let saved = inspections::save(&t.db, &crate::local(), &ok, TODAY, NOW).unwrap();
    assert_eq!(saved.case_id, None);
    assert_eq!(saved.proposal.category, None);

    let mut vacant = form(&t, t.t2019);
    vacant.household_status = HouseholdStatus::Vacant;
    vacant.in_normal_use = None;
    inspections::save(&t.db, &crate::local(), &vacant, TODAY, NOW).unwrap();

    let file = inspections::field_file(
        &t.db,
        households::toilets_of(&t.db, 1).unwrap()[0].household_id,
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
        let p = inspections::preview_proposal(&t.db, toilet_id, &problems, &[]).unwrap();
        assert_eq!(p.category, expected, "toilet {toilet_id}: {}", p.reason);
    }
    // A minor problem beside a serious one does not make it 立行立改; alone it does.
    let both = inspections::preview_proposal(&t.db, t.t2016, &[minor(&t), leak(&t)], &[]).unwrap();
    assert_eq!(both.category, Some(Category::PlanDistrict));
    let only_minor = inspections::preview_proposal(&t.db, t.t2016, &[minor(&t)], &[]).unwrap();
    assert_eq!(only_minor.category, Some(Category::ImmediateFix));

    // The plan reads the year the toilet was built: a later subsidy year alone changes nothing.
    let paid_later = vec![CorrectionInput {
        field: "subsidy_year".into(),
        value: Some("2018".into()),
    }];
    assert_eq!(
        inspections::preview_proposal(&t.db, t.t2016, &[leak(&t)], &paid_later)
            .unwrap()
            .category,
        Some(Category::PlanDistrict)
    );
    // The field finds it was built in 2018, not 2016: the proposal follows the correction,
    // the toilet is corrected and the change log keeps old → new.
    let fix = vec![CorrectionInput {
        field: "build_year".into(),
        value: Some("2018".into()),
    }];
    let mut f = form(&t, t.t2016);
    f.problems = vec![leak(&t)];
    f.corrections = fix.clone();
    assert_eq!(
        inspections::preview_proposal(&t.db, t.t2016, &f.problems, &fix)
            .unwrap()
            .category,
        Some(Category::PlanTownFunded)
    );
    let saved = inspections::save(&t.db, &crate::local(), &f, TODAY, NOW).unwrap();
    assert_eq!(saved.proposal.category, Some(Category::PlanTownFunded));
    assert_eq!(saved.corrections_applied, 1);
    let (field, old, new, actor): (String, String, String, String) = t
        .db
        .query_row(
            "SELECT field, old_value, new_value, actor FROM change_log WHERE entity = 'toilet' AND entity_id = ?1",
            [t.t2016],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert!(field.contains("建设"), "{field}");
    assert_eq!(
        (old.as_str(), new.as_str(), actor.as_str()),
        ("2016", "2018", "李明")
    );
    let household: i64 =
        t.db.query_row(
            "SELECT household_id FROM toilets WHERE id = ?1",
            [t.t2016],
            |r| r.get(0),
        )
        .unwrap();
    let file = inspections::field_file(&t.db, household).unwrap();
    let c = &file.inspections[0].corrections;
    assert_eq!(c.len(), 1);
    assert_eq!(
        (
            c[0].field.as_str(),
            c[0].old_value.as_deref(),
            c[0].new_value.as_deref()
        ),
        (field.as_str(), Some("2016"), Some("2018")),
        "the household's file shows what the inspection corrected"
    );
    let bad = vec![CorrectionInput {
        field: "tech_mode".into(),
        value: Some("火箭".into()),
    }];
    assert!(inspections::preview_proposal(&t.db, t.t2016, &[], &bad).is_err());
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
        inspections::save(&t.db, &crate::local(), &f, TODAY, NOW).unwrap();
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
    inspections::save(&t.db, &crate::local(), &f, TODAY, NOW).unwrap();
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

    let c = huce_core::compare::compare(&t.db, Scope::Village(t.village)).unwrap();
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
    // #20 (8): the village's rate measures the inspectors (check against re-check); what the
    // checks found against the baseline is counted apart.
    let v = &c.villages[0];
    assert_eq!((v.compared, v.differing), (2, 1));
    assert_eq!((v.baseline_compared, v.baseline_differing), (3, 2));
    let between: Vec<bool> = c.differences.iter().map(|d| d.between_checks).collect();
    assert_eq!(between, [true, true, true, false, false]);
    let group = c.groups.iter().find(|g| g.name == "李明、王芳").unwrap();
    assert_eq!((group.compared, group.differing), (2, 1));
    assert!((group.percent() - 50.0).abs() < 1e-9);

    // #20 (8): after 无人居住 nothing else was filled in; that is no difference.
    let vacant = |toilet: i64, kind: InspectionKind, on: &str, status: HouseholdStatus| {
        let mut f = form(&t, toilet);
        f.kind = kind;
        f.inspected_on = on.into();
        f.household_status = status;
        f.in_normal_use = (status == HouseholdStatus::Normal).then_some(true);
        f.no_problem = status == HouseholdStatus::Normal;
        f.problems = vec![];
        f.members = vec![t.li, t.zhao];
        inspections::save(&t.db, &crate::local(), &f, TODAY, NOW).unwrap();
    };
    vacant(
        t.no_year,
        InspectionKind::VillageSelf,
        "2022-09-22",
        HouseholdStatus::Vacant,
    );
    vacant(
        t.no_year,
        InspectionKind::TownRecheck,
        "2022-10-13",
        HouseholdStatus::Normal,
    );
    let c = huce_core::compare::compare(&t.db, Scope::Village(t.other_village)).unwrap();
    let on_it: Vec<&str> = c
        .differences
        .iter()
        .filter(|d| d.left.contains("2022-09-22"))
        .map(|d| d.field.as_str())
        .collect();
    assert_eq!(
        on_it,
        ["农户状态"],
        "only the status differs, not 未填 against 是"
    );

    // A database file is read on two connections at once; the result is the same. (A copy of
    // the file itself: the server has none.)
    if t.db.engine() == huce_core::sql::Engine::File {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("对比 town.db");
        t.db.file()
            .execute("VACUUM INTO ?1", [file.to_str().unwrap()])
            .unwrap();
        let on_disk = huce_core::db::open(&file, crate::fixed_time()).unwrap();
        for scope in [Scope::Village(t.village), Scope::Town] {
            assert_eq!(
                huce_core::compare::compare(&on_disk, scope).unwrap(),
                huce_core::compare::compare(&t.db, scope).unwrap()
            );
        }
    }
}

/// A toilet field filled another way than through the worklist — an inspection's correction —
/// settles its 待核实 entry: the worklist never asks again for what the field already found.
#[test]
fn an_inspection_correction_settles_the_pending_value() {
    let t = town();
    let household: i64 =
        t.db.query_row(
            "SELECT household_id FROM toilets WHERE id = ?1",
            [t.t2016],
            |r| r.get(0),
        )
        .unwrap();
    t.db.execute(
        "UPDATE toilets SET build_year = NULL WHERE id = ?1",
        [t.t2016],
    )
    .unwrap();
    t.db.execute(
        "INSERT INTO pending_checks (household_id, toilet_id, field, written, reason, created_at)
             VALUES (?1, ?2, 'build_year', '2031', '年份不合理', 'x')",
        [household, t.t2016],
    )
    .unwrap();
    let open = || {
        huce_core::pending::list(&t.db, Scope::Town, huce_core::households::Disclosure::Full)
            .unwrap()
            .len()
    };
    assert_eq!(open(), 1);
    let mut f = form(&t, t.t2016);
    f.no_problem = true;
    f.in_normal_use = Some(true);
    f.corrections = vec![CorrectionInput {
        field: "build_year".into(),
        value: Some("2016".into()),
    }];
    inspections::save(&t.db, &crate::local(), &f, TODAY, NOW).unwrap();
    assert_eq!(open(), 0, "the inspection found the year");
    let resolution: String =
        t.db.query_row("SELECT resolution FROM pending_checks", [], |r| r.get(0))
            .unwrap();
    assert_eq!(resolution, "superseded");
}

/// #15: 厕所已拆除 is the toilet's state: a visit that finds it demolished records it on the
/// toilet's 使用状态 (with the change in the log), not only as the household's status.
#[test]
fn a_demolished_toilet_is_recorded_on_the_toilet() {
    let t = town();
    let mut f = form(&t, t.t2019);
    f.household_status = HouseholdStatus::Demolished;
    f.in_normal_use = None;
    inspections::save(&t.db, &crate::local(), &f, TODAY, NOW).unwrap();
    let status: String =
        t.db.query_row(
            "SELECT use_status FROM toilets WHERE id = ?1",
            [t.t2019],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(status, "demolished");
    let logged: (String, String) =
        t.db.query_row(
            "SELECT field, new_value FROM change_log WHERE entity = 'toilet' AND entity_id = ?1",
            [t.t2019],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(logged, ("使用状态".to_string(), "已拆除".to_string()));
}

/// #20 (9): the household list's 核查 column and its filter: 未核查 while a toilet has no check,
/// 已自查 when all are checked, 已复核 when all are re-checked; a batch of households narrows it.
#[test]
fn the_household_list_shows_and_filters_the_check_state() {
    use huce_core::households::{CheckState, Disclosure, ListFilter};
    let t = town();
    let states = || -> Vec<(String, CheckState)> {
        households::list_in(
            &t.db,
            Scope::Town,
            "",
            &ListFilter::default(),
            Disclosure::Full,
            0,
            50,
        )
        .unwrap()
        .rows
        .into_iter()
        .map(|r| (r.head_name, r.check))
        .collect()
    };
    let with = |check: CheckState| -> Vec<String> {
        households::list_in(
            &t.db,
            Scope::Town,
            "",
            &ListFilter {
                check: Some(check),
                ..ListFilter::default()
            },
            Disclosure::Full,
            0,
            50,
        )
        .unwrap()
        .rows
        .into_iter()
        .map(|r| r.head_name)
        .collect()
    };
    assert!(states().iter().all(|(_, s)| *s == CheckState::Unchecked));
    let check = |toilet: i64, kind: InspectionKind| {
        let mut f = form(&t, toilet);
        f.kind = kind;
        f.no_problem = true;
        f.in_normal_use = Some(true);
        inspections::save(&t.db, &crate::local(), &f, TODAY, NOW).unwrap();
    };
    // One of 张建国's two toilets checked: still 未核查.
    check(t.t2016, InspectionKind::VillageSelf);
    assert_eq!(with(CheckState::Unchecked).len(), 3);
    check(t.t2019, InspectionKind::VillageSelf);
    assert_eq!(with(CheckState::SelfChecked), ["张建国"]);
    check(t.t2016, InspectionKind::TownRecheck);
    assert_eq!(
        with(CheckState::SelfChecked),
        ["张建国"],
        "one re-checked of two"
    );
    check(t.t2019, InspectionKind::DistrictSpot);
    assert_eq!(with(CheckState::Rechecked), ["张建国"]);
    assert_eq!(with(CheckState::Unchecked), ["曾玥", "单犇"]);

    // A batch of households (多方比对's 重新调查该批).
    let zeng = households::list(&t.db, Scope::Town, "曾玥", Disclosure::Full, 0, 5)
        .unwrap()
        .rows[0]
        .id;
    let batch = households::list_in(
        &t.db,
        Scope::Town,
        "",
        &ListFilter {
            households: Some(vec![zeng]),
            ..ListFilter::default()
        },
        Disclosure::Full,
        0,
        50,
    )
    .unwrap();
    assert_eq!((batch.total, batch.rows[0].id), (1, zeng));
}

/// #17 (3): worklists by household: 有问题未定类, 待验收, 逾期 beside the 核查 states, with their
/// counts, printed and exported.
#[test]
fn worklists_count_print_and_export_the_households_to_visit() {
    use calamine::{open_workbook, Data, Reader, Xlsx};
    use huce_core::households::{CaseList, CheckState, ListFilter};
    let t = town();
    // 曾玥's toilet has a problem nobody has put in a category yet.
    let mut f = form(&t, t.unsupported);
    f.problems = vec![leak(&t)];
    inspections::save(&t.db, &crate::local(), &f, TODAY, NOW).unwrap();
    let list = |case: CaseList| ListFilter {
        case: Some(case),
        today: Some(TODAY.into()),
        immediate_days: 7,
        ..ListFilter::default()
    };
    let names = |f: &ListFilter| -> Vec<String> {
        households::list_all(&t.db, Scope::Town, f)
            .unwrap()
            .into_iter()
            .map(|r| r.head_name)
            .collect()
    };
    assert_eq!(names(&list(CaseList::Undecided)), ["曾玥"]);
    assert!(names(&list(CaseList::AwaitingAcceptance)).is_empty());
    let counts = households::worklist_counts(&t.db, Scope::Town, TODAY, 7).unwrap();
    let count = |code: &str| counts.iter().find(|(c, _)| c == code).unwrap().1;
    assert_eq!(count("undecided"), 1);
    assert_eq!(count("unchecked"), 2, "张建国 and 单犇");
    assert_eq!(count("self_checked"), 1);
    assert_eq!(count("overdue"), 0);
    assert_eq!(
        names(&ListFilter {
            check: Some(CheckState::Unchecked),
            ..ListFilter::default()
        }),
        ["张建国", "单犇"]
    );

    // Printed and exported, masked, with the list's name.
    let dir = tempfile::tempdir().unwrap();
    let printed = huce_core::print::worklist(
        &t.db,
        Scope::Town,
        &list(CaseList::Undecided),
        "石鱼镇（全镇）",
        TODAY,
    )
    .unwrap();
    assert!(printed.pages >= 1);
    // (The PDF's text is read with poppler, which the Windows run does not have.)
    #[cfg(not(windows))]
    {
        let pdf = dir.path().join("工作清单.pdf");
        printed.save(&pdf).unwrap();
        let text = crate::printing::tool("pdftotext", &[crate::printing::s(&pdf), "-"]);
        assert!(
            text.contains("工作清单：有问题未定类") && text.contains("曾玥"),
            "{text}"
        );
    }
    let xlsx = dir.path().join("工作清单.xlsx");
    let n = huce_core::export::worklist_xlsx(
        &t.db,
        Scope::Town,
        &list(CaseList::Undecided),
        "石鱼镇（全镇）",
        &xlsx,
        NOW,
    )
    .unwrap();
    assert_eq!(n.households, 1);
    let mut book: Xlsx<_> = open_workbook(&xlsx).unwrap();
    let range = book.worksheet_range("工作清单").unwrap();
    assert_eq!(range.get((3, 3)), Some(&Data::String("曾玥".into())));
    // An empty list is said so.
    let err = huce_core::print::worklist(
        &t.db,
        Scope::Town,
        &list(CaseList::AwaitingAcceptance),
        "石鱼镇（全镇）",
        TODAY,
    )
    .unwrap_err();
    assert!(err.to_string().contains("清单是空的"), "{err}");
}

/// #17 (4): a household or a toilet found at the door is added with the source 入户核查新增,
/// who and when; the month's 查缺补漏 numbers reach the bulletin.
#[test]
fn households_and_toilets_found_at_the_door_are_recorded_and_counted() {
    use huce_core::found::{self, FoundHousehold, FoundToilet};
    let t = town();
    let group: i64 =
        t.db.query_row(
            "SELECT group_id FROM households WHERE head_name = '张建国'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let now = "2026-11-20T10:00:00+08:00";
    let first17 = "50022419850312004";
    let check = huce_core::idcard::check_char(first17).unwrap();
    let good = format!("{first17}{check}");
    let bad = format!("{first17}{}", if check == '1' { '2' } else { '1' });
    let by = crate::local();
    let found = |name: &str, id: Option<&str>, toilet: Option<FoundToilet>| FoundHousehold {
        group_id: group,
        head_name: name.into(),
        id_number: id.map(str::to_string),
        phone: None,
        address: Some("3社12号".into()),
        resident_pop: Some(2),
        toilet,
    };
    let with_toilet = FoundToilet {
        tech_mode: Some(TechMode::ThreeCompartment),
        build_year: Some(2019),
        ..FoundToilet::default()
    };
    let a = found::add_household(
        &t.db,
        &by,
        &found("新发现户", Some(&good), Some(with_toilet.clone())),
        now,
    )
    .unwrap();
    let b = found::add_household(&t.db, &by, &found("无厕新户", None, None), now).unwrap();
    // The same ID again is the same household: refused, naming it.
    let err =
        found::add_household(&t.db, &by, &found("重复户", Some(&good), None), now).unwrap_err();
    assert!(err.to_string().contains("新发现户"), "{err}");
    let err =
        found::add_household(&t.db, &by, &found("错号户", Some(&bad), None), now).unwrap_err();
    assert!(err.to_string().contains("校验位"), "{err}");
    let err = found::add_household(
        &t.db,
        &by,
        &found(
            "未来户",
            None,
            Some(FoundToilet {
                build_year: Some(2030),
                ..FoundToilet::default()
            }),
        ),
        now,
    )
    .unwrap_err();
    assert!(err.to_string().contains("年份"), "{err}");
    // A listed household's missed toilet.
    let zhang: i64 =
        t.db.query_row(
            "SELECT id FROM households WHERE head_name = '张建国'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let added = found::add_toilet(&t.db, &by, zhang, &with_toilet, now).unwrap();
    let (seq, source): (i64, String) =
        t.db.query_row(
            "SELECT seq, baseline_source FROM toilets WHERE id = ?1",
            [added],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((seq, source.as_str()), (3, "field"));
    let no_toilet: bool =
        t.db.query_row("SELECT no_toilet FROM households WHERE id = ?1", [b], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(
        no_toilet,
        "a household found without a toilet is a 无厕所户"
    );
    let toilets_of_a: i64 =
        t.db.query_row(
            "SELECT count(*) FROM toilets WHERE household_id = ?1 AND baseline_source = 'field'",
            [a],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(toilets_of_a, 1);
    // Recorded: change log with the source, audit log with who.
    let logged: i64 =
        t.db.query_row(
            "SELECT count(*) FROM change_log WHERE source = '入户核查新增'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(logged, 4, "two households, two toilets");
    let audited: i64 =
        t.db.query_row(
            "SELECT count(*) FROM audit_log WHERE action IN ('household.found', 'toilet.found')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(audited, 3);
    // The month's numbers.
    let g = found::gaps(&t.db, "2026-11-01", "2026-11-30").unwrap();
    assert_eq!((g.households_added, g.toilets_added), (2, 2));
    assert_eq!(
        found::gaps(&t.db, "2026-10-01", "2026-10-31")
            .unwrap()
            .households_added,
        0
    );
    let printed = huce_core::print::bulletin(&t.db, "2026-11", "2026-11-29").unwrap();
    assert!(printed.pages >= 1);
    // (The bulletin's text is read with poppler, which the Windows run does not have.)
    #[cfg(not(windows))]
    {
        let dir = tempfile::tempdir().unwrap();
        let pdf = dir.path().join("月通报.pdf");
        printed.save(&pdf).unwrap();
        let text: String = crate::printing::tool("pdftotext", &[crate::printing::s(&pdf), "-"])
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        assert!(
            text.contains("查缺补漏：本月入户核查新增农户2户、新增户厕2个"),
            "{text}"
        );
    }
    // A name typed or pasted with invisible characters is stored as it reads (found in review:
    // 王​五 and 王五 were two households).
    let pasted =
        found::add_household(&t.db, &by, &found("王\u{200b}五\u{202e}", None, None), now).unwrap();
    let stored: String =
        t.db.query_row(
            "SELECT head_name FROM households WHERE id = ?1",
            [pasted],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored, "王五");
}

/// A small JPEG of `shade`, with `taken` as its EXIF time when given.
fn phone_photo(shade: u8, taken: Option<&str>) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(8, 8, image::Rgb([shade, 90, 40]));
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new(&mut jpeg)
        .encode_image(&img)
        .unwrap();
    let Some(taken) = taken else {
        return jpeg;
    };
    let field = exif::Field {
        tag: exif::Tag::DateTimeOriginal,
        ifd_num: exif::In::PRIMARY,
        value: exif::Value::Ascii(vec![taken.as_bytes().to_vec()]),
    };
    let mut w = exif::experimental::Writer::new();
    w.push_field(&field);
    let mut tiff = std::io::Cursor::new(Vec::new());
    w.write(&mut tiff, false).unwrap();
    let payload = [b"Exif\0\0".as_slice(), tiff.get_ref()].concat();
    let len = (payload.len() + 2) as u16;
    let mut out = jpeg[..2].to_vec();
    out.extend([0xFF, 0xE1]);
    out.extend(len.to_be_bytes());
    out.extend(payload);
    out.extend(&jpeg[2..]);
    out
}

/// #17 (8): photos sent from phones, named by household, go to each household's latest
/// inspection with their EXIF time; copies are skipped, one photo under two households flagged.
#[test]
fn photos_named_by_household_are_attached_to_its_latest_inspection() {
    use huce_core::fieldwork::photo_import::{self, PhotoFate};
    let t = town();
    let mut f = form(&t, t.t2016);
    f.no_problem = true;
    f.in_normal_use = Some(true);
    let inspection = inspections::save(&t.db, &crate::local(), &f, TODAY, NOW)
        .unwrap()
        .inspection_id;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("照片");
    std::fs::create_dir_all(&folder).unwrap();
    let a = phone_photo(10, Some("2022:09:20 10:31:05"));
    let b = phone_photo(200, None);
    let c = phone_photo(120, None);
    for (name, bytes) in [
        ("张建国.jpg", &a),
        ("张建国-2.jpg", &a),
        ("石鱼村3社张建国(3).jpg", &b),
        ("曾玥.jpg", &c),
        ("单犇.jpg", &c),
        ("无名氏.jpg", &b),
    ] {
        std::fs::write(folder.join(name), bytes).unwrap();
    }
    std::fs::write(folder.join("说明.txt"), "not a photo").unwrap();
    let plan = photo_import::plan(&t.db, &folder).unwrap();
    let fate = |file: &str| {
        plan.lines
            .iter()
            .find(|l| l.file == file)
            .unwrap_or_else(|| panic!("{file} listed"))
            .clone()
    };
    assert_eq!(plan.lines.len(), 6, "the .txt is no photo");
    assert_eq!(fate("张建国.jpg").fate, PhotoFate::Attach);
    assert_eq!(fate("张建国.jpg").inspection_id, Some(inspection));
    assert_eq!(
        fate("张建国.jpg").taken_at.as_deref(),
        Some("2022-09-20 10:31")
    );
    assert_eq!(fate("张建国-2.jpg").fate, PhotoFate::Duplicate);
    assert_eq!(fate("石鱼村3社张建国(3).jpg").fate, PhotoFate::Attach);
    assert_eq!(
        fate("曾玥.jpg").fate,
        PhotoFate::TwoHouseholds,
        "{:?}",
        fate("曾玥.jpg")
    );
    assert_eq!(fate("单犇.jpg").fate, PhotoFate::TwoHouseholds);
    assert_eq!(fate("无名氏.jpg").fate, PhotoFate::Unmatched);
    assert_eq!(plan.attach, 2);

    let store = dir.path().join("photos");
    let done = photo_import::import(&t.db, &crate::local(), &folder, &store, NOW).unwrap();
    assert_eq!(done.attach, 2);
    let attached: i64 =
        t.db.query_row(
            "SELECT count(*) FROM inspection_photos WHERE inspection_id = ?1",
            [inspection],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(attached, 2);
    let taken: Option<String> =
        t.db.query_row(
            "SELECT p.taken_at FROM photos p JOIN inspection_photos i ON i.hash = p.hash
             WHERE i.inspection_id = ?1 AND p.taken_at IS NOT NULL",
            [inspection],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(taken.as_deref(), Some("2022-09-20 10:31"));
    // Again: nothing new.
    let again = photo_import::plan(&t.db, &folder).unwrap();
    assert_eq!(again.attach, 0);
    assert!(photo_import::import(&t.db, &crate::local(), &folder, &store, NOW).is_err());
    assert_eq!(
        again
            .lines
            .iter()
            .find(|l| l.file == "张建国.jpg")
            .unwrap()
            .fate,
        PhotoFate::AlreadyThere
    );
    // The photo already with 张建国, sent again under another household: flagged.
    let later = dir.path().join("照片2");
    std::fs::create_dir_all(&later).unwrap();
    std::fs::write(later.join("单犇.jpg"), &a).unwrap();
    let p = photo_import::plan(&t.db, &later).unwrap();
    assert_eq!(p.lines[0].fate, PhotoFate::TwoHouseholds);
    assert!(p.lines[0].note.contains("另一户"), "{}", p.lines[0].note);
}

/// A photo taken days before the inspection it goes to (an earlier visit's, passed off as this
/// one?) or days after it (the rectification's?) is still attached, with a note saying how far
/// apart; one taken the day after says nothing.
#[test]
fn a_photo_taken_days_away_from_its_inspection_is_noted() {
    use huce_core::fieldwork::photo_import::{self, PhotoFate};
    let t = town();
    let mut f = form(&t, t.t2016);
    f.no_problem = true;
    f.in_normal_use = Some(true);
    assert_eq!(f.inspected_on, "2022-09-20");
    inspections::save(&t.db, &crate::local(), &f, TODAY, NOW).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (name, shade, taken) in [
        ("张建国.jpg", 10, "2022:09:21 08:00:00"),
        ("张建国-2.jpg", 60, "2021:09:20 10:00:00"),
        ("张建国-3.jpg", 110, "2022:10:20 09:00:00"),
    ] {
        std::fs::write(dir.path().join(name), phone_photo(shade, Some(taken))).unwrap();
    }
    let plan = photo_import::plan(&t.db, dir.path()).unwrap();
    let line = |file: &str| plan.lines.iter().find(|l| l.file == file).unwrap().clone();
    for file in ["张建国.jpg", "张建国-2.jpg", "张建国-3.jpg"] {
        assert_eq!(line(file).fate, PhotoFate::Attach, "{file}");
    }
    assert_eq!(plan.attach, 3);
    assert_eq!(line("张建国.jpg").note, "", "a day apart says nothing");
    let before = line("张建国-2.jpg").note;
    assert!(
        before.contains("拍摄于 2021-09-20")
            && before.contains("核查（2022-09-20）早 365 天")
            && before.contains("是否是这次入户拍的"),
        "{before}"
    );
    let after = line("张建国-3.jpg").note;
    assert!(
        after.contains("晚 30 天") && after.contains("整改记录"),
        "{after}"
    );
}
