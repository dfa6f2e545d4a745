//! #18: reports and printing on the server (PostgreSQL) as on the file.

use huce_core::households::{Scope, Tree};
use huce_core::print::{self, Printed};
use huce_core::rectification::LedgerFilter;
use huce_core::reports::district_list;
use huce_core::sql::Db;
use huce_core::{compare, progress, sampling};

use crate::server::{all_rows, assert_same_rows, demo_town, pulled_rows, pushed};
use crate::NOW;

const TODAY: &str = "2026-11-29";

/// The text a reader of the PDF sees (poppler's pdftotext, page by page).
fn pdf_text(p: &Printed) -> String {
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("doc.pdf");
    p.save(&pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", pdf.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

/// Two printed documents say the same: pages, notes, warnings, notices and the text.
fn assert_same_print(what: &str, file: &Printed, server: &Printed) {
    assert_eq!(file.pages, server.pages, "{what}: pages");
    assert_eq!(file.notes, server.notes, "{what}: notes");
    assert_eq!(file.warnings, server.warnings, "{what}: warnings");
    assert_eq!(file.notices, server.notices, "{what}: notices");
    assert_eq!(pdf_text(file), pdf_text(server), "{what}: the text");
}

/// The first village and its first 社.
fn first_places(tree: &Tree) -> (i64, i64) {
    let v = &tree.villages[0];
    (v.id, v.groups[0].id)
}

/// 进度调度: the dashboard's numbers, the ranking, the progress line and the plan's phases are
/// the same from a town pushed to the server, before the season, during it and at its end;
/// the plan's phases saved on both write the same rows.
#[test]
fn progress_reads_the_same_from_the_server() {
    let conn = demo_town(600, 21);
    let (scratch, on_server) = pushed(&conn);
    let server = Db::Server(&on_server);
    let line = progress::progress(&conn, TODAY).unwrap().timeline;
    assert!(line.len() > 3, "the demo town has a season to replay");
    let mut days = vec![
        "2000-01-01".to_string(),
        line[0].date.clone(),
        line[line.len() / 2].date.clone(),
        TODAY.to_string(),
    ];
    days.dedup();
    for day in &days {
        let a = progress::progress(&conn, day).unwrap();
        let b = progress::progress(server, day).unwrap();
        assert_eq!(a, b, "as of {day}");
    }
    let today = progress::progress(server, TODAY).unwrap();
    assert!(today.town.inspected > 0 && today.town.problems > 0 && today.town.closed > 0);
    assert!(
        today.town.no_toilet > 0,
        "households without a toilet are counted"
    );
    let err = progress::progress(server, "2026/11/29").unwrap_err();
    assert!(err.to_string().contains("不是有效日期"), "{err}");

    // The plan: the default on both, then the same save on both.
    assert_eq!(
        progress::phases(server).unwrap(),
        progress::phases(&conn).unwrap()
    );
    let mut phases = progress::default_phases();
    phases[1].end = "2022-10-20".into();
    for db in [Db::File(&conn), server] {
        huce_core::audit::set_actor(db, "王会计").unwrap();
        progress::save_phases(db, &phases, NOW).unwrap();
    }
    assert_eq!(
        progress::phases(server).unwrap(),
        progress::phases(&conn).unwrap()
    );
    assert_eq!(
        progress::progress(server, TODAY).unwrap().phases,
        progress::progress(&conn, TODAY).unwrap().phases
    );
    assert_same_rows(&all_rows(&conn), &pulled_rows(&scratch));
}

/// A server that refused the second connection (the heavy reports' two reads at once) is
/// asked again after the line was lost and the handle reconnected: the refusal is not kept for
/// the rest of the session. Meanwhile, and after, the reports read the same.
#[test]
fn a_refused_second_connection_is_asked_for_again_after_a_reconnection() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    let conn = demo_town(120, 5);
    let (scratch, _) = pushed(&conn);
    let asked = Arc::new(AtomicUsize::new(0));
    let url = scratch.url();
    let counted = Arc::clone(&asked);
    let on_server = huce_core::sql::ServerConn::new(crate::server::scratch_client(&scratch))
        .reopened_with(Box::new(move || {
            if counted.fetch_add(1, Ordering::SeqCst) == 0 {
                Err(huce_core::Error::Invalid("连接数已满".into()))
            } else {
                huce_core::server::connect(&url).map(huce_core::server::Server::into_client)
            }
        }));
    let expected = compare::compare(&conn, Scope::Town).unwrap();
    for _ in 0..2 {
        assert_eq!(compare::compare(&on_server, Scope::Town).unwrap(), expected);
    }
    assert_eq!(
        asked.load(Ordering::SeqCst),
        1,
        "refused once, then one read after the other without asking each time"
    );
    on_server.replace_client(crate::server::scratch_client(&scratch));
    for _ in 0..2 {
        assert_eq!(compare::compare(&on_server, Scope::Town).unwrap(), expected);
    }
    assert_eq!(
        asked.load(Ordering::SeqCst),
        2,
        "asked again after the reconnection, and the second connection kept"
    );
}

/// 多方比对: the differences, the villages' and the inspection groups' rates (with the batches
/// of the groups to re-check) read the same on the server, for the town, a village and a 社,
/// from a database file (the two readers at once) and from the server (one after the other).
#[test]
fn the_comparison_reads_the_same_from_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let conn = crate::town_file(&dir.path().join("town.db"), 600, 8);
    let (_scratch, on_server) = pushed(&conn);
    let (village, group) = first_places(&huce_core::households::tree(&conn).unwrap());
    for scope in [Scope::Town, Scope::Village(village), Scope::Group(group)] {
        let a = compare::compare(&conn, scope).unwrap();
        let b = compare::compare(&on_server, scope).unwrap();
        assert_eq!(a, b, "{scope:?}");
    }
    let town = compare::compare(&on_server, Scope::Town).unwrap();
    assert!(
        !town.differences.is_empty(),
        "the demo town has differences"
    );
    assert!(town.differences.iter().any(|d| d.between_checks));
    assert!(town.differences.iter().any(|d| !d.between_checks));
    assert!(!town.groups.is_empty() && !town.villages.is_empty());
    assert!(
        town.groups.iter().any(|g| !g.toilets.is_empty()),
        "a group to re-check, with its batch: {:?}",
        town.groups
            .iter()
            .map(|g| (&g.name, g.compared, g.differing, &g.level))
            .collect::<Vec<_>>()
    );

    // The workbook: the same number of differences.
    let a = compare::comparison_xlsx(&conn, Scope::Town, &dir.path().join("a.xlsx")).unwrap();
    let b = compare::comparison_xlsx(&on_server, Scope::Town, &dir.path().join("b.xlsx")).unwrap();
    assert_eq!(a, b);
    assert_eq!(a, town.differences.len());
}

/// 区级抽查: a draw from a given seed picks the same toilets in the same order on both; a sample
/// drawn on the server is kept, read back and reproduced there; the district's own list is
/// matched and kept the same on both (the same rows written).
#[test]
fn spot_samples_draw_and_read_the_same_on_the_server() {
    let conn = demo_town(500, 13);
    let (scratch, on_server) = pushed(&conn);
    let server = Db::Server(&on_server);
    let village = huce_core::households::tree(&conn).unwrap().villages[1].id;
    for spec in [
        sampling::SampleSpec {
            villages: vec![],
            size: sampling::SampleSize::Percent(10.0),
            min_per_village: 3,
            oversample_problems: true,
            seed: Some(20_221_016),
            batch: None,
        },
        sampling::SampleSpec {
            villages: vec![village],
            size: sampling::SampleSize::Count(12),
            min_per_village: 0,
            oversample_problems: false,
            seed: Some(7),
            batch: None,
        },
    ] {
        let a = sampling::draw_toilets(&conn, &spec).unwrap();
        let b = sampling::draw_toilets(server, &spec).unwrap();
        assert_eq!(a, b, "{spec:?}");
        assert!(!a.0.is_empty());
    }

    // The district's list: matched the same, kept the same on both.
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("区抽查名单.csv");
    let (id, head, id_number): (i64, String, Option<String>) = conn
        .query_row(
            "SELECT id, head_name, id_number FROM households h WHERE id_number IS NOT NULL
               AND EXISTS (SELECT 1 FROM toilets t WHERE t.household_id = h.id)
             ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let (name, village_name): (String, String) = conn
        .query_row(
            "SELECT h.head_name, v.name FROM households h JOIN villages v ON v.id = h.village_id
             WHERE (SELECT count(*) FROM households x WHERE x.head_name = h.head_name) = 1
               AND EXISTS (SELECT 1 FROM toilets t WHERE t.household_id = h.id)
             ORDER BY h.id LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    std::fs::write(
        &list,
        format!(
            "农户编号,身份证号,户主,村,社\n{id},,{head},,\n,{},,,\n,,{name},{village_name},\n,,查无此人,,\n",
            id_number.unwrap()
        ),
    )
    .unwrap();
    let a = district_list::match_list(&conn, &list).unwrap();
    let b = district_list::match_list(server, &list).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.misses.len(), 1, "{:?}", a.misses);
    assert_eq!(
        a.households.len(),
        2,
        "a household listed twice counts once"
    );
    for db in [Db::File(&conn), server] {
        huce_core::audit::set_actor(db, "李明").unwrap();
        district_list::keep_list(db, &list, "李明", NOW).unwrap();
    }
    assert_same_rows(&all_rows(&conn), &pulled_rows(&scratch));
    let kept = sampling::samples(&conn).unwrap();
    assert_eq!(kept, sampling::samples(server).unwrap());
    let id = kept[0].0;
    assert_eq!(
        sampling::sample(&conn, id).unwrap(),
        sampling::sample(server, id).unwrap()
    );
    assert_eq!(
        sampling::rows(&conn, id).unwrap(),
        sampling::rows(server, id).unwrap()
    );
    assert!(sampling::reproduce(server, id)
        .unwrap_err()
        .to_string()
        .contains("没有随机种子"));
    assert!(sampling::sample(server, 999_999)
        .unwrap_err()
        .to_string()
        .contains("找不到编号为 999999 的抽查样本"));

    // A draw on the server: kept, read back, its rows listed and reproduced.
    let s = sampling::draw(
        server,
        &sampling::SampleSpec {
            villages: vec![],
            size: sampling::SampleSize::Count(20),
            min_per_village: 1,
            oversample_problems: true,
            seed: None,
            batch: None,
        },
        "李明",
        NOW,
    )
    .unwrap();
    assert_eq!(sampling::sample(server, s.id).unwrap(), s);
    let rows = sampling::rows(server, s.id).unwrap();
    assert_eq!(rows.len(), 20);
    assert!(rows.iter().any(|r| r.last_check.is_some()));
    let again = sampling::reproduce(server, s.id).unwrap();
    assert!(again.same, "{}", again.message);
    assert!(huce_core::audit::verify(server).unwrap().ok());
}

/// The printed documents' data: 整改告知单 (the run, the PDF and the HTML), 验收单, 现场整改确认单,
/// 问题厕所台账, 改厕台账, 签字背书表, 抽查样本清单 and 工作清单 print the same from the server; the
/// notice settings save the same rows.
#[test]
fn printed_documents_read_the_same_from_the_server() {
    let conn = demo_town(300, 17);
    let (scratch, on_server) = pushed(&conn);
    let server = Db::Server(&on_server);
    let (village, group) = first_places(&huce_core::households::tree(&conn).unwrap());
    let town = LedgerFilter::all_of(Scope::Town);
    let in_village = LedgerFilter::all_of(Scope::Village(village));

    // 整改告知单
    for filter in [&town, &in_village] {
        assert_eq!(
            print::notice_cases(&conn, filter, TODAY).unwrap(),
            print::notice_cases(server, filter, TODAY).unwrap()
        );
    }
    let run = print::notice_cases(server, &town, TODAY).unwrap();
    assert!(run.cases.len() > 3, "{run:?}");
    let cases: Vec<i64> = run.cases.iter().copied().take(12).collect();
    let picked: Vec<i64> = conn
        .prepare("SELECT id FROM rectifications ORDER BY id DESC LIMIT 30")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        print::open_cases_among(&conn, &picked).unwrap(),
        print::open_cases_among(server, &picked).unwrap()
    );
    assert_same_print(
        "告知单",
        &print::notices(&conn, &cases, TODAY, &mut |_, _| {}).unwrap(),
        &print::notices(server, &cases, TODAY, &mut |_, _| {}).unwrap(),
    );
    assert_eq!(
        print::notices_html(&conn, &cases, TODAY).unwrap(),
        print::notices_html(server, &cases, TODAY).unwrap()
    );

    // 验收单 and 现场整改确认单
    let accept = print::acceptance_cases(&conn, &town, None, TODAY).unwrap();
    assert_eq!(
        accept,
        print::acceptance_cases(server, &town, None, TODAY).unwrap()
    );
    assert!(!accept.is_empty(), "the demo town has cases to accept");
    let accept: Vec<i64> = accept.into_iter().take(10).collect();
    assert_same_print(
        "验收单",
        &print::acceptance_sheets(&conn, &accept, TODAY).unwrap(),
        &print::acceptance_sheets(server, &accept, TODAY).unwrap(),
    );
    let onsite = print::onsite_cases(&conn, &town, None, TODAY).unwrap();
    assert_eq!(
        onsite,
        print::onsite_cases(server, &town, None, TODAY).unwrap()
    );
    assert!(!onsite.is_empty(), "the demo town has 立行立改 cases");
    let onsite: Vec<i64> = onsite.into_iter().take(6).collect();
    assert_same_print(
        "现场整改确认单",
        &print::onsite_slips(&conn, &onsite).unwrap(),
        &print::onsite_slips(server, &onsite).unwrap(),
    );

    // The tables: 问题厕所台账, 改厕台账 (town, village), 签字背书表 (village, 社), 工作清单.
    assert_same_print(
        "问题厕所台账",
        &print::problem_ledger(&conn, &in_village, TODAY, "一村").unwrap(),
        &print::problem_ledger(server, &in_village, TODAY, "一村").unwrap(),
    );
    for scope in [Scope::Town, Scope::Village(village)] {
        assert_same_print(
            "改厕台账",
            &print::toilet_ledger(&conn, scope, TODAY, "某处").unwrap(),
            &print::toilet_ledger(server, scope, TODAY, "某处").unwrap(),
        );
    }
    for scope in [Scope::Village(village), Scope::Group(group)] {
        assert_same_print(
            "签字背书表",
            &print::signoff_sheet(&conn, scope, crate::fixed_time(), "某处").unwrap(),
            &print::signoff_sheet(server, scope, crate::fixed_time(), "某处").unwrap(),
        );
    }
    let list = huce_core::households::ListFilter {
        check: Some(huce_core::households::CheckState::ALL[0]),
        today: Some(TODAY.into()),
        immediate_days: 15,
        ..Default::default()
    };
    assert_same_print(
        "工作清单",
        &print::worklist(&conn, Scope::Village(village), &list, "一村", TODAY).unwrap(),
        &print::worklist(server, Scope::Village(village), &list, "一村", TODAY).unwrap(),
    );

    // 抽查样本清单, of a sample drawn on the file and pushed with it.
    let conn2 = demo_town(120, 3);
    let s = sampling::draw(
        &conn2,
        &sampling::SampleSpec {
            villages: vec![],
            size: sampling::SampleSize::Count(15),
            min_per_village: 0,
            oversample_problems: false,
            seed: None,
            batch: None,
        },
        "李明",
        NOW,
    )
    .unwrap();
    let (_scratch2, on_server2) = pushed(&conn2);
    assert_same_print(
        "抽查样本清单",
        &print::sample_list(&conn2, s.id, TODAY).unwrap(),
        &print::sample_list(&on_server2, s.id, TODAY).unwrap(),
    );

    // The same request through print_document.
    let mut request = print::DocumentRequest::new(
        print::DocumentKind::Notices,
        Scope::Village(village),
        "一村",
    );
    request.filter = in_village.clone();
    let photos = tempfile::tempdir().unwrap();
    assert_same_print(
        "print_document",
        &print::print_document(
            &conn,
            &request,
            photos.path(),
            crate::fixed_time(),
            &mut |_, _| {},
        )
        .unwrap(),
        &print::print_document(
            server,
            &request,
            photos.path(),
            crate::fixed_time(),
            &mut |_, _| {},
        )
        .unwrap(),
    );

    // The notice settings: read the same, saved the same.
    assert_eq!(
        print::DocumentSettings::load(&conn).unwrap(),
        print::DocumentSettings::load(server).unwrap()
    );
    let mut settings = print::NoticeSettings::load(&conn).unwrap();
    settings.contact = "张三".into();
    settings.phone = "023-12345678".into();
    for db in [Db::File(&conn), server] {
        huce_core::audit::set_actor(db, "王会计").unwrap();
        settings.save(db, NOW).unwrap();
        print::DocumentSettings {
            notice: settings.clone(),
            folder: Some("/srv/文书".into()),
        }
        .save(db, NOW)
        .unwrap();
        print::DocumentSettings {
            notice: settings.clone(),
            folder: Some(String::new()),
        }
        .save(db, NOW)
        .unwrap();
    }
    assert_same_rows(&all_rows(&conn), &pulled_rows(&scratch));
    assert_eq!(
        print::NoticeSettings::load(server).unwrap(),
        print::NoticeSettings::load(&conn).unwrap()
    );
}

/// A database with no town in it yet: the numbers are empty and the documents refuse with the
/// same words on both engines.
#[test]
fn an_empty_database_reports_the_same_on_the_server() {
    let conn = huce_core::db::open_in_memory().unwrap();
    let (_scratch, on_server) = pushed(&conn);
    let server = Db::Server(&on_server);
    let p = progress::progress(server, TODAY).unwrap();
    assert_eq!(p, progress::progress(&conn, TODAY).unwrap());
    assert!(p.villages.is_empty() && p.timeline.is_empty());
    assert_eq!(
        compare::compare(server, Scope::Town).unwrap(),
        compare::compare(&conn, Scope::Town).unwrap()
    );
    assert!(sampling::samples(server).unwrap().is_empty());
    let town = LedgerFilter::all_of(Scope::Town);
    assert_eq!(
        print::notice_cases(server, &town, TODAY).unwrap(),
        print::notice_cases(&conn, &town, TODAY).unwrap()
    );
    let said = |r: huce_core::Result<Printed>| r.map(|p| p.pages).map_err(|e| e.to_string());
    {
        let db = server;
        assert_eq!(
            said(print::toilet_ledger(db, Scope::Town, TODAY, "全镇")),
            said(print::toilet_ledger(&conn, Scope::Town, TODAY, "全镇"))
        );
        assert_eq!(
            said(print::signoff_sheet(
                db,
                Scope::Town,
                crate::fixed_time(),
                "全镇"
            )),
            said(print::signoff_sheet(
                &conn,
                Scope::Town,
                crate::fixed_time(),
                "全镇"
            ))
        );
        assert_eq!(
            said(print::notices(db, &[], TODAY, &mut |_, _| {})),
            said(print::notices(&conn, &[], TODAY, &mut |_, _| {}))
        );
        assert_eq!(
            said(print::acceptance_sheets(db, &[], TODAY)),
            said(print::acceptance_sheets(&conn, &[], TODAY))
        );
    }
    let spec = sampling::SampleSpec {
        villages: vec![],
        size: sampling::SampleSize::Count(5),
        min_per_village: 0,
        oversample_problems: false,
        seed: Some(1),
        batch: None,
    };
    let err = sampling::draw_toilets(server, &spec)
        .unwrap_err()
        .to_string();
    assert!(err.contains("没有户厕"), "{err}");
}
