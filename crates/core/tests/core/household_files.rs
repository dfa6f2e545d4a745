//! The printed household file (户档案, 一户一档) as a district spot check reads it, found in
//! review: every toilet numbered as its own section, the remarks of the inspection and of each
//! problem kept, and a household without a toilet saying so.

use std::path::Path;

use huce_core::print;

use crate::engine::TestDb;

const TODAY: &str = "2026-11-29";

fn text_of(t: &TestDb, household: i64, dir: &Path) -> String {
    let printed = print::household_file(t, household, &dir.join("photos"), TODAY).unwrap();
    let pdf = dir.join(format!("户档案-{household}.pdf"));
    printed.save(&pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args([pdf.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils)");
    assert!(out.status.success());
    // Lines as laid out, joined: a remark may wrap.
    String::from_utf8(out.stdout).unwrap().replace('\n', "")
}

#[test]
fn a_household_file_numbers_its_toilets_keeps_the_remarks_and_says_when_there_is_no_toilet() {
    let t = crate::engine::demo(300, 7);
    let dir = tempfile::tempdir().unwrap();
    // A household with two toilets, the first inspected with a problem.
    let (household, inspection, item): (i64, i64, i64) = t
        .query_row(
            "SELECT t.household_id, i.id, p.item_id FROM inspection_problems p
             JOIN inspections i ON i.id = p.inspection_id
             JOIN toilets t ON t.id = i.toilet_id
             WHERE (SELECT count(*) FROM toilets o WHERE o.household_id = t.household_id) >= 2
             ORDER BY t.household_id, i.id LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    t.execute(
        "UPDATE inspections SET remarks = '户主在外务工，由其母亲代为确认' WHERE id = ?1",
        [inspection],
    )
    .unwrap();
    t.execute(
        "UPDATE inspection_problems SET remarks = '池壁东侧裂缝约30厘米' WHERE inspection_id = ?1 AND item_id = ?2",
        [inspection, item],
    )
    .unwrap();
    let text = text_of(&t, household, dir.path());
    for words in [
        "二、户厕情况",
        "（一）第 1 个户厕",
        "（二）第 2 个户厕",
        "户主在外务工，由其母亲代为确认",
        "池壁东侧裂缝约30厘米",
    ] {
        assert!(text.contains(words), "{words} missing: {text}");
    }
    assert_eq!(
        text.matches("二、").count(),
        1,
        "one section of toilets: {text}"
    );

    let no_toilet: i64 = t
        .query_row(
            "SELECT id FROM households WHERE no_toilet = 1 ORDER BY id LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let text = text_of(&t, no_toilet, dir.path());
    assert!(text.contains("二、户厕情况"), "{text}");
    assert!(text.contains("本户无厕所"), "{text}");
}

/// Found in review: a case fixed and waiting for the town's acceptance (已整改待验收) got a
/// 整改告知单 telling the farmer to rectify it, "此时限已过" when its month had passed. A notice
/// run leaves such cases out and says so; the 验收单 is their paper.
#[test]
fn a_case_awaiting_acceptance_gets_no_notice() {
    use huce_core::households::Scope;
    use huce_core::rectification::LedgerFilter;
    let t = crate::engine::demo(300, 7);
    let awaiting: Vec<i64> = t
        .prepare(
            "SELECT id FROM rectifications WHERE state = 'awaiting_acceptance'
             AND category IN ('plan_district', 'plan_town_funded') ORDER BY id",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        !awaiting.is_empty(),
        "the demo town has cases awaiting acceptance"
    );
    let run = print::notice_cases(&t, &LedgerFilter::all_of(Scope::Town), TODAY).unwrap();
    assert!(run.cases.iter().all(|c| !awaiting.contains(c)), "{run:?}");
    assert!(
        run.left_out().iter().any(|n| n.contains("已整改待验收")),
        "{:?}",
        run.left_out()
    );
    let picked = print::open_cases_among(&t, &awaiting).unwrap();
    assert!(picked.cases.is_empty(), "{picked:?}");
    let err = print::notices(&t, &awaiting, TODAY, &mut |_, _| {}).unwrap_err();
    assert!(err.to_string().contains("已整改待验收"), "{err}");
    // Nor is it listed as a notice still to print (告知单未打印) in the problem ledger.
    let never_printed: Vec<i64> = t
        .prepare(
            "SELECT r.id FROM rectifications r WHERE r.state = 'awaiting_acceptance'
             AND NOT EXISTS (SELECT 1 FROM notices n WHERE n.rectification_id = r.id)",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(!never_printed.is_empty());
    let page = huce_core::rectification::ledger(
        &t,
        &LedgerFilter::all_of(Scope::Town),
        TODAY,
        0,
        i64::MAX,
    )
    .unwrap();
    for r in page
        .rows
        .iter()
        .filter(|r| never_printed.contains(&r.case_id))
    {
        assert_eq!(r.paper, None, "case {}", r.case_id);
    }
}
