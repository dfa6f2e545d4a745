//! The paper trail of a case: the notice register (printed, handed out, 回执 back with a scan),
//! the ledger's 未送达 / 回执未收回 filters, and 销号 with the head's confirmation on the 验收单.

use huce_core::paper::{self, PaperInput};
use huce_core::rectification::PaperState;
use huce_core::sql::Engine;

use super::*;

/// A planned case (纳入全区改厕计划) on the 2016 toilet.
fn planned_case(t: &Town) -> i64 {
    let mut f = form(t, t.t2016);
    f.problems = vec![leak(t)];
    f.decision = Some(Decision {
        category: Some(Category::PlanDistrict),
        override_reason: None,
        measures: Some("重建化粪池".into()),
        responsible: Some("李明".into()),
        planned_month: Some("2025-06".into()),
        funding: None,
    });
    inspections::save(&t.db, &crate::local(), &f, TODAY, NOW)
        .unwrap()
        .case_id
        .unwrap()
}

fn paper_filter(p: PaperState) -> LedgerFilter {
    let mut f = LedgerFilter::all_of(Scope::Town);
    f.paper = Some(p);
    f
}

fn found(t: &Town, p: PaperState) -> Vec<i64> {
    rectification::ledger(&t.db, &paper_filter(p), TODAY, 0, 100)
        .unwrap()
        .rows
        .iter()
        .map(|r| r.case_id)
        .collect()
}

fn input(case_id: i64, date: &str, actor: i64, scan: Option<String>) -> PaperInput {
    PaperInput {
        case_id,
        date: date.into(),
        actor_id: actor,
        scan,
    }
}

fn scan_file(dir: &std::path::Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn a_notice_is_registered_when_printed_handed_out_and_its_receipt_comes_back_with_a_scan() {
    let t = town();
    huce_core::settings::set(&t.db, "town_name", "石鱼镇").unwrap();
    let case_id = planned_case(&t);
    let by = crate::local();

    // Not printed yet: nothing to deliver, and the ledger's 未送达 finds it.
    let err = paper::record_delivery(
        &t.db,
        &by,
        &input(case_id, "2026-11-20", t.li, None),
        TODAY,
        NOW,
    )
    .unwrap_err();
    assert!(err.to_string().contains("还没有打印"), "{err}");
    assert_eq!(found(&t, PaperState::Undelivered), vec![case_id]);
    let row = &rectification::ledger(&t.db, &LedgerFilter::all_of(Scope::Town), TODAY, 0, 9)
        .unwrap()
        .rows[0];
    assert_eq!(row.paper, Some(PaperState::Unprinted));

    // Printing enters it in the register with the number printed on it.
    let printed = huce_core::print::notices(&t.db, &[case_id], TODAY, &mut |_, _| {}).unwrap();
    assert_eq!(printed.notices, vec![(case_id, Category::PlanDistrict)]);
    paper::record_printed(&t.db, &by, &printed.notices, "2026-11-18T09:00:00+08:00").unwrap();
    let n = paper::notice_of(&t.db, case_id).unwrap().unwrap();
    let number = format!("石鱼镇-{case_id:06}");
    assert_eq!(n.number, number);
    assert_eq!((n.times_printed, n.state), (1, PaperState::Undelivered));
    assert_eq!(found(&t, PaperState::Undelivered), vec![case_id]);

    // A 回执 cannot come back before the notice was handed out.
    let err = paper::record_receipt(
        &t.db,
        &by,
        &input(case_id, "2026-11-21", t.li, None),
        TODAY,
        NOW,
    )
    .unwrap_err();
    assert!(err.to_string().contains("还没有登记送达"), "{err}");
    // A delivery before the print, or in the future, is refused.
    for (day, words) in [("2026-11-17", "早于告知单打印"), ("2026-12-01", "今天")] {
        let err = paper::record_delivery(&t.db, &by, &input(case_id, day, t.li, None), TODAY, NOW)
            .unwrap_err();
        assert!(err.to_string().contains(words), "{day}: {err}");
    }
    let n = paper::record_delivery(
        &t.db,
        &by,
        &input(case_id, "2026-11-20", t.wang, None),
        TODAY,
        NOW,
    )
    .unwrap();
    assert_eq!(
        (
            n.delivered_on.as_deref(),
            n.delivered_by.as_deref(),
            n.state
        ),
        (Some("2026-11-20"), Some("王芳"), PaperState::ReceiptMissing)
    );
    assert!(found(&t, PaperState::Undelivered).is_empty());
    assert_eq!(found(&t, PaperState::ReceiptMissing), vec![case_id]);
    let again = paper::record_delivery(
        &t.db,
        &by,
        &input(case_id, "2026-11-21", t.li, None),
        TODAY,
        NOW,
    )
    .unwrap_err();
    assert!(
        again.to_string().contains("已登记由王芳于 2026-11-20 送达"),
        "{again}"
    );

    // A reprint counts, keeps the delivery.
    paper::record_printed(&t.db, &by, &printed.notices, NOW).unwrap();
    let n = paper::notice_of(&t.db, case_id).unwrap().unwrap();
    assert_eq!((n.times_printed, n.state), (2, PaperState::ReceiptMissing));

    // The signed 回执 comes back, scanned as a PDF.
    let tmp = tempfile::tempdir().unwrap();
    let photos = tmp.path().join("photos");
    let pdf = scan_file(tmp.path(), "回执.pdf", b"%PDF-1.4\n% a scanned receipt\n");
    assert!(
        huce_core::photos::store(&t.db, &photos, &pdf, NOW).is_err(),
        "a PDF is not a field photo"
    );
    let scan = huce_core::photos::store_scan(&t.db, &photos, &pdf, NOW).unwrap();
    assert!(scan.file_name.ends_with(".pdf"));
    let opened = huce_core::photos::file_path(&t.db, &photos, &scan.hash).unwrap();
    match t.db.engine() {
        // In the photo folder beside the file.
        Engine::File => assert_eq!(
            opened,
            photos.join(&scan.file_name[..2]).join(&scan.file_name)
        ),
        // The server holds the bytes: a copy in this PC's temporary folder.
        Engine::Server => assert!(
            opened.starts_with(std::env::temp_dir())
                && opened.ends_with(format!("{}/{}", &scan.file_name[..2], scan.file_name)),
            "{}",
            opened.display()
        ),
    }
    assert_eq!(
        std::fs::read(&opened).unwrap(),
        b"%PDF-1.4\n% a scanned receipt\n"
    );
    let not_a_scan = scan_file(tmp.path(), "回执.docx", b"PK\x03\x04 a word file");
    let err = huce_core::photos::store_scan(&t.db, &photos, &not_a_scan, NOW).unwrap_err();
    assert!(err.to_string().contains("PDF"), "{err}");
    let err = paper::record_receipt(
        &t.db,
        &by,
        &input(case_id, "2026-11-19", t.li, None),
        TODAY,
        NOW,
    )
    .unwrap_err();
    assert!(err.to_string().contains("早于送达日期"), "{err}");
    let n = paper::record_receipt(
        &t.db,
        &by,
        &input(case_id, "2026-11-25", t.li, Some(scan.hash.clone())),
        TODAY,
        NOW,
    )
    .unwrap();
    assert_eq!(
        (n.receipt_on.as_deref(), n.receipt_scan.as_deref(), n.state),
        (
            Some("2026-11-25"),
            Some(scan.hash.as_str()),
            PaperState::Returned
        )
    );
    assert!(found(&t, PaperState::ReceiptMissing).is_empty());
    assert_eq!(found(&t, PaperState::Returned), vec![case_id]);

    // The case's history and the 户档案's list say it.
    let c = paper::case_file(&t.db, case_id).unwrap();
    // #20 (6): the panel shows each problem with the cause recorded at the door.
    assert_eq!(c.problems.len(), 1);
    assert_eq!(
        (
            c.problems[0].name.as_str(),
            c.problems[0].stops_use,
            c.problems[0].cause
        ),
        ("渗漏", true, Some(Cause::Construction))
    );
    let steps: Vec<(&str, &str)> = c
        .case
        .events
        .iter()
        .filter(|e| e.kind == "delivered" || e.kind == "receipt")
        .map(|e| (e.kind.as_str(), e.happened_on.as_str()))
        .collect();
    assert_eq!(
        steps,
        [("delivered", "2026-11-20"), ("receipt", "2026-11-25")]
    );
    assert!(c
        .case
        .events
        .iter()
        .any(|e| e.remark.as_deref() == Some(format!("告知单 {number} 由王芳送达农户").as_str())));
    assert_eq!(c.notice.unwrap().number, number);
    let household = c.case.household_id;
    let listed = paper::household_notices(&t.db, household).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].toilet_seq, listed[0].state),
        (1, PaperState::Returned)
    );

    // Every step is in the audit log.
    let actions: Vec<String> =
        t.db.prepare("SELECT action FROM audit_log WHERE action LIKE 'notice.%' ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
    assert_eq!(
        actions,
        [
            "notice.print",
            "notice.deliver",
            "notice.print",
            "notice.receipt"
        ]
    );

    // A changed category marks the delivered notice as outdated (its later deadline with the
    // reason for it).
    rectification::decide_with(
        &t.db,
        &by,
        case_id,
        &rectification::DecisionInput {
            decision: Decision {
                category: Some(Category::PlanTownFunded),
                override_reason: Some("区计划名额已满，改为镇筹资".into()),
                measures: Some("更换化粪池".into()),
                responsible: Some("李明".into()),
                planned_month: Some("2025-10".into()),
                funding: Some("镇补助 800 元".into()),
            },
            delay_reason: Some("改为镇筹资，农户自改需重新排期".into()),
        },
        t.li,
        TODAY,
        NOW,
    )
    .unwrap();
    assert!(paper::notice_of(&t.db, case_id).unwrap().unwrap().outdated);
}

#[test]
fn an_immediate_fix_or_undecided_case_needs_no_notice_and_is_not_undelivered() {
    let t = town();
    let mut f = form(&t, t.no_year);
    f.problems = vec![leak(&t)];
    let undecided = inspections::save(&t.db, &crate::local(), &f, TODAY, NOW)
        .unwrap()
        .case_id
        .unwrap();
    let mut f = form(&t, t.t2019);
    f.problems = vec![minor(&t)];
    f.in_normal_use = Some(true);
    f.decision = Some(Decision {
        category: Some(Category::ImmediateFix),
        ..Decision::default()
    });
    let immediate = inspections::save(&t.db, &crate::local(), &f, TODAY, NOW)
        .unwrap()
        .case_id
        .unwrap();
    assert!(found(&t, PaperState::Undelivered).is_empty());
    let rows = rectification::ledger(&t.db, &LedgerFilter::all_of(Scope::Town), TODAY, 0, 9)
        .unwrap()
        .rows;
    for r in rows {
        assert!([undecided, immediate].contains(&r.case_id));
        assert_eq!(r.paper, None, "no notice is due");
    }
}

#[test]
fn a_close_out_records_the_heads_confirmation_or_why_not_and_the_signed_sheet() {
    let t = town();
    let case_id = planned_case(&t);
    let by = crate::local();
    let step = |to, actor, date: &str, verifier, confirmed, why: Option<&str>, scan| {
        rectification::move_case(
            &t.db,
            &by,
            &MoveInput {
                case_id,
                to,
                actor_id: actor,
                date: date.into(),
                // 销号 says how it was verified.
                remark: (to == CaseState::Closed).then(|| "复核无渗漏".to_string()),
                verifier_id: verifier,
                photo: None,
                head_confirmed: confirmed,
                unconfirmed_reason: why.map(str::to_string),
                scan,
            },
            TODAY,
            NOW,
        )
    };
    step(
        CaseState::AwaitingAcceptance,
        t.wang,
        "2025-05-10",
        None,
        false,
        None,
        None,
    )
    .unwrap();
    let err = step(
        CaseState::Closed,
        t.li,
        "2025-05-12",
        Some(t.zhao),
        false,
        None,
        None,
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("户主没有在验收单上签字确认"),
        "{err}"
    );
    let err = step(
        CaseState::Closed,
        t.li,
        "2025-05-12",
        Some(t.zhao),
        false,
        Some(" "),
        None,
    )
    .unwrap_err();
    assert!(err.to_string().contains("写明原因"), "{err}");

    let tmp = tempfile::tempdir().unwrap();
    let photos = tmp.path().join("photos");
    let sheet = scan_file(
        tmp.path(),
        "验收单.jpg",
        b"\xFF\xD8\xFF\xE0 a photographed sheet",
    );
    let scan = huce_core::photos::store_scan(&t.db, &photos, &sheet, NOW).unwrap();
    step(
        CaseState::Closed,
        t.li,
        "2025-05-12",
        Some(t.zhao),
        false,
        Some("户主外出务工，由其子代签"),
        Some(scan.hash.clone()),
    )
    .unwrap();
    let c = rectification::case(&t.db, case_id).unwrap();
    assert_eq!(c.head_confirmed, Some(false));
    assert_eq!(
        c.unconfirmed_reason.as_deref(),
        Some("户主外出务工，由其子代签")
    );
    assert_eq!(c.acceptance_scan.as_deref(), Some(scan.hash.as_str()));
    assert_eq!(
        c.events.last().unwrap().remark.as_deref(),
        Some("复核无渗漏（户主未确认：户主外出务工，由其子代签）")
    );

    // Reopened, the confirmation belongs to the old close-out; a new one is confirmed.
    rectification::move_case(
        &t.db,
        &by,
        &MoveInput {
            case_id,
            to: CaseState::InProgress,
            actor_id: t.li,
            date: "2025-06-01".into(),
            remark: Some("区级抽查发现仍渗漏".into()),
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
    let c = rectification::case(&t.db, case_id).unwrap();
    assert_eq!((c.head_confirmed, c.acceptance_scan), (None, None));
    let err = paper::attach_acceptance_scan(&t.db, &by, case_id, &scan.hash, NOW).unwrap_err();
    assert!(err.to_string().contains("还没有销号"), "{err}");
    step(
        CaseState::AwaitingAcceptance,
        t.wang,
        "2025-06-10",
        None,
        false,
        None,
        None,
    )
    .unwrap();
    step(
        CaseState::Closed,
        t.li,
        "2025-06-12",
        Some(t.zhao),
        true,
        None,
        None,
    )
    .unwrap();
    let c = rectification::case(&t.db, case_id).unwrap();
    assert_eq!(
        (c.head_confirmed, c.unconfirmed_reason.as_deref()),
        (Some(true), None)
    );
    assert_eq!(
        c.events.last().unwrap().remark.as_deref(),
        Some("复核无渗漏（户主已签字确认）")
    );
    // The signed sheet is scanned later.
    paper::attach_acceptance_scan(&t.db, &by, case_id, &scan.hash, NOW).unwrap();
    let c = rectification::case(&t.db, case_id).unwrap();
    assert_eq!(c.acceptance_scan.as_deref(), Some(scan.hash.as_str()));
}

#[test]
fn a_scan_that_is_a_pdf_is_no_inspection_photo() {
    let t = town();
    let tmp = tempfile::tempdir().unwrap();
    let pdf = scan_file(tmp.path(), "a.pdf", b"%PDF-1.7\n");
    let scan = huce_core::photos::store_scan(&t.db, &tmp.path().join("p"), &pdf, NOW).unwrap();
    let mut f = form(&t, t.t2016);
    f.problems = vec![leak(&t)];
    f.photos = vec![scan.hash];
    refused(&t, &f, "照片没有保存成功");
}

/// Review (7): the signed 验收单's scan of a closed case is not replaced silently: a replacement
/// needs a reason and keeps the old file and old → new in the audit log and the case's history.
#[test]
fn replacing_the_signed_sheets_scan_needs_a_reason_and_keeps_the_old_one() {
    let t = town();
    let case_id = planned_case(&t);
    let by = crate::local();
    let tmp = tempfile::tempdir().unwrap();
    let photos = tmp.path().join("photos");
    let store = |name: &str, bytes: &[u8]| {
        huce_core::photos::store_scan(&t.db, &photos, &scan_file(tmp.path(), name, bytes), NOW)
            .unwrap()
            .hash
    };
    let (first, second) = (
        store("a.pdf", b"%PDF-1.4 the signed sheet"),
        store("b.pdf", b"%PDF-1.4 another sheet"),
    );
    let mut m = MoveInput {
        case_id,
        to: CaseState::AwaitingAcceptance,
        actor_id: t.wang,
        date: "2025-05-10".into(),
        remark: None,
        verifier_id: None,
        photo: None,
        head_confirmed: false,
        unconfirmed_reason: None,
        scan: None,
    };
    rectification::move_case(&t.db, &by, &m, TODAY, NOW).unwrap();
    m.to = CaseState::Closed;
    m.actor_id = t.li;
    m.date = "2025-05-12".into();
    m.verifier_id = Some(t.zhao);
    m.head_confirmed = true;
    m.scan = Some(first.clone());
    rectification::move_case(&t.db, &by, &m, TODAY, NOW).unwrap();

    let err = paper::attach_acceptance_scan(&t.db, &by, case_id, &second, NOW).unwrap_err();
    assert!(err.to_string().contains("更换原因"), "{err}");
    let c = rectification::case(&t.db, case_id).unwrap();
    assert_eq!(c.acceptance_scan.as_deref(), Some(first.as_str()));
    let err = paper::replace_acceptance_scan(&t.db, &by, case_id, &second, Some(" 换 "), NOW)
        .unwrap_err();
    assert!(err.to_string().contains("更换原因"), "{err}");
    let err = paper::replace_acceptance_scan(&t.db, &by, case_id, &first, Some("重新扫描"), NOW)
        .unwrap_err();
    assert!(err.to_string().contains("就是"), "{err}");

    // With a reason: the new file, old → new and why in the log and the history; the old file
    // stays stored.
    paper::replace_acceptance_scan(
        &t.db,
        &by,
        case_id,
        &second,
        Some("原扫描件缺户主签字页"),
        NOW,
    )
    .unwrap();
    let c = rectification::case(&t.db, case_id).unwrap();
    assert_eq!(c.acceptance_scan.as_deref(), Some(second.as_str()));
    let e = c.events.last().unwrap();
    assert_eq!(
        (e.kind.as_str(), e.actor.as_str(), e.happened_on.as_str()),
        ("plan", "李明", &NOW[..10])
    );
    assert_eq!(
        e.remark.as_deref(),
        Some("更换签字的验收单扫描件，原因：原扫描件缺户主签字页（原扫描件保留）")
    );
    let (summary, detail): (String, String) =
        t.db.query_row(
            "SELECT summary, detail FROM audit_log WHERE action = 'case.acceptance_scan'
             ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(summary.contains("原扫描件缺户主签字页"), "{summary}");
    let detail: serde_json::Value = serde_json::from_str(&detail).unwrap();
    assert_eq!(detail["scan"], serde_json::json!([first, second]));
    assert!(huce_core::photos::get(&t.db, &first).unwrap().is_some());
    assert!(huce_core::audit::verify(&t.db).unwrap().ok());
}
