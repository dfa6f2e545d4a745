//! #18: inspections, cases, sign-offs, photos and the rest of fieldwork on the server (PostgreSQL) as on the file.
//!
//! Each test takes a demo town, pushes it to a scratch schema, does the same writes on both
//! engines (same arguments, same `now`) and compares every table; reads are compared answer by
//! answer, refusals message by message.

use std::fmt::Debug;

use huce_core::accounts::Account;
use huce_core::fieldwork::photo_import;
use huce_core::households::Scope;
use huce_core::inspections::{self, CorrectionInput, InspectionInput, OnSiteClose, ProblemInput};
use huce_core::model::*;
use huce_core::rectification::{self, Decision, MoveInput};
use huce_core::sql::Db;
use huce_core::{escalation, found, paper, photos, problem_items, signoff, working};
use rusqlite::Connection;

use crate::server::{all_rows, assert_same_rows, demo_town, pulled_rows, pushed};
use crate::NOW;

const TODAY: &str = "2026-11-29";

/// Runs `f` on the file, then on the server, and asserts both answers are the same.
fn same<T: PartialEq + Debug>(file: Db<'_>, server: Db<'_>, mut f: impl FnMut(Db<'_>) -> T) -> T {
    let ours = f(file);
    let theirs = f(server);
    assert_eq!(ours, theirs, "the file and the server answer differently");
    ours
}

/// An error's message (refusals must read the same on both engines).
fn message<T: Debug>(r: huce_core::Result<T>) -> String {
    r.expect_err("refused").to_string()
}

fn ids(conn: &Connection, sql: &str) -> Vec<i64> {
    conn.prepare(sql)
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn item(conn: &Connection, name: &str) -> i64 {
    problem_items::problem_items(conn, true)
        .unwrap()
        .into_iter()
        .find(|i| i.name == name)
        .unwrap_or_else(|| panic!("problem item {name}"))
        .id
}

/// A demo town with an administrator (signatures name a login account), who acts.
fn town() -> (Connection, Account) {
    let conn = demo_town(40, 23);
    let admin = crate::first_admin(&conn);
    huce_core::audit::set_actor(&conn, "管理员（admin）").unwrap();
    (conn, admin)
}

fn act_as(db: Db<'_>) {
    huce_core::audit::set_actor(db, "管理员（admin）").unwrap();
}

/// The people and toilets the tests work with, read from the file before the push.
struct Cast {
    staff: Vec<i64>,
    /// Toilets nobody has inspected yet.
    fresh: Vec<i64>,
    /// A toilet with an open case.
    open: i64,
    leak: i64,
    lid: i64,
}

fn cast(conn: &Connection) -> Cast {
    Cast {
        staff: ids(conn, "SELECT id FROM staff WHERE active = 1 ORDER BY id LIMIT 3"),
        fresh: ids(
            conn,
            "SELECT t.id FROM toilets t WHERE NOT EXISTS (SELECT 1 FROM inspections i WHERE i.toilet_id = t.id)
             AND NOT EXISTS (SELECT 1 FROM rectifications r WHERE r.toilet_id = t.id) ORDER BY t.id LIMIT 4",
        ),
        open: ids(
            conn,
            "SELECT r.toilet_id FROM rectifications r JOIN inspections i ON i.id = r.inspection_id
             WHERE r.state <> 'closed' AND i.inspected_on < '2026-11-01' ORDER BY r.id LIMIT 1",
        )[0],
        leak: item(conn, "渗漏"),
        lid: item(conn, "池盖缺失或破损"),
    }
}

fn form(c: &Cast, toilet_id: i64) -> InspectionInput {
    InspectionInput {
        toilet_id,
        kind: InspectionKind::VillageSelf,
        inspected_on: "2026-11-28".into(),
        members: vec![c.staff[0], c.staff[1]],
        household_status: HouseholdStatus::Normal,
        status_note: None,
        in_normal_use: Some(false),
        no_problem: false,
        problems: vec![],
        photos: vec![],
        corrections: vec![],
        remarks: None,
        recorded_by: c.staff[0],
        decision: None,
        close_on_site: None,
    }
}

/// The forms of [`saves`]: an immediate fix closed on site with baseline corrections; a leak
/// that opens a case; a clear re-check of a toilet with an open case; a demolished toilet.
fn forms(c: &Cast) -> Vec<InspectionInput> {
    let mut on_site = form(c, c.fresh[0]);
    on_site.in_normal_use = Some(true);
    on_site.problems = vec![ProblemInput {
        item_id: c.lid,
        stops_use: false,
        cause: None,
        remarks: Some("池盖裂了".into()),
    }];
    on_site.corrections = vec![
        CorrectionInput {
            field: "build_year".into(),
            value: Some("2018".into()),
        },
        CorrectionInput {
            field: "project_name".into(),
            value: Some("2018年农村改厕项目".into()),
        },
        CorrectionInput {
            field: "location".into(),
            value: None,
        },
    ];
    on_site.decision = Some(Decision {
        category: Some(Category::ImmediateFix),
        override_reason: Some("当场换了池盖".into()),
        ..Decision::default()
    });
    on_site.close_on_site = Some(OnSiteClose {
        verifier_id: c.staff[2],
        remark: None,
        head_confirmed: true,
    });
    on_site.remarks = Some("  ".into());

    let mut leak = form(c, c.fresh[1]);
    leak.problems = vec![
        ProblemInput {
            item_id: c.leak,
            stops_use: true,
            cause: Some(Cause::Other),
            remarks: Some("化粪池底部渗漏".into()),
        },
        ProblemInput {
            item_id: c.lid,
            stops_use: false,
            cause: None,
            remarks: None,
        },
    ];
    leak.status_note = Some("户主在家".into());

    let mut clear = form(c, c.open);
    clear.kind = InspectionKind::TownRecheck;
    clear.in_normal_use = Some(true);
    clear.no_problem = true;

    let mut gone = form(c, c.fresh[2]);
    gone.household_status = HouseholdStatus::Demolished;
    gone.in_normal_use = None;
    vec![on_site, leak, clear, gone]
}

/// Saves [`forms`] on one engine; what each save answered.
fn saves(db: Db<'_>, by: &Account, c: &Cast) -> Vec<inspections::Saved> {
    forms(c)
        .iter()
        .map(|f| inspections::save(db, by, f, TODAY, NOW).unwrap())
        .collect()
}

/// #18: an inspection saved on the server writes what the file writes — inspection, members,
/// problems, the baseline corrections and their change log, the case it opens (and decides and
/// closes on site), the case it follows, the audit entries — and every read of it is the same.
#[test]
fn an_inspection_saved_on_the_server_writes_the_same_rows_as_on_the_file() {
    let (conn, admin) = town();
    let c = cast(&conn);
    assert_eq!(
        c.fresh.len(),
        4,
        "the demo town has toilets not yet inspected"
    );
    let (scratch, on_server) = pushed(&conn);
    let (file, server) = (Db::File(&conn), Db::Server(&on_server));
    act_as(server);

    // What the form shows before saving, and what it refuses, read the same.
    same(file, server, |d| {
        problem_items::problem_items(d, false).unwrap()
    });
    same(file, server, |d| {
        problem_items::problem_items(d, true).unwrap()
    });
    let f = &forms(&c)[1];
    same(file, server, |d| {
        inspections::preview_proposal(d, f.toilet_id, &f.problems, &[]).unwrap()
    });
    same(file, server, |d| {
        inspections::preview_proposal(
            d,
            f.toilet_id,
            &f.problems,
            &[CorrectionInput {
                field: "subsidized".into(),
                value: Some("0".into()),
            }],
        )
        .unwrap()
    });
    same(file, server, |d| {
        inspections::validate(d, f, TODAY).unwrap()
    });
    let mut alone = f.clone();
    alone.members = vec![c.staff[0]];
    let mut nobody = f.clone();
    nobody.recorded_by = 999_999;
    let mut unknown_photo = f.clone();
    unknown_photo.photos = vec!["0".repeat(64)];
    let mut no_toilet = f.clone();
    no_toilet.toilet_id = 999_999;
    for bad in [alone, nobody, unknown_photo, no_toilet] {
        let m = same(file, server, |d| {
            message(inspections::save(d, &admin, &bad, TODAY, NOW))
        });
        assert!(m.contains("请"), "{m}");
    }

    let saved = same(file, server, |d| saves(d, &admin, &c));
    assert!(saved[0].case_id.is_some() && saved[0].corrections_applied == 3);
    assert!(saved[1].case_id.is_some());
    assert!(saved[2].case_followed && saved[2].existing_case_id.is_some());
    assert_eq!(saved[3].corrections_applied, 1, "demolished: 使用状态");
    // A form with a photo taken at the door (stored first, as the form does).
    let dir = tempfile::tempdir().unwrap();
    let jpg = dir.path().join("门前.jpg");
    std::fs::write(&jpg, [0xFF, 0xD8, 0xFF, 0xE0, 9, 8, 7]).unwrap();
    let pdf = dir.path().join("扫描.pdf");
    std::fs::write(&pdf, b"%PDF-1.4 not a photo").unwrap();
    let mut with_photo = form(&c, c.fresh[3]);
    with_photo.in_normal_use = Some(true);
    with_photo.no_problem = true;
    let photo_dirs = [dir.path().join("file-photos"), dir.path().join("unused")];
    for (d, p) in [(file, &photo_dirs[0]), (server, &photo_dirs[1])] {
        let photo = photos::store(d, p, &jpg, NOW).unwrap();
        let scan = photos::store_scan(d, p, &pdf, NOW).unwrap();
        // A PDF is not a photo of the toilet.
        let mut bad = with_photo.clone();
        bad.photos = vec![scan.hash];
        assert!(message(inspections::save(d, &admin, &bad, TODAY, NOW)).contains("照片"));
        with_photo.photos = vec![photo.hash];
    }
    same(file, server, |d| {
        inspections::save(d, &admin, &with_photo, TODAY, NOW).unwrap()
    });
    assert_same_rows(&all_rows(&conn), &pulled_rows(&scratch));

    // The household's file, the cases and their panels read the same.
    let households = ids(
        &conn,
        &format!(
            "SELECT DISTINCT household_id FROM toilets WHERE id IN ({}, {}, {}, {}) ORDER BY 1",
            c.fresh[0], c.fresh[1], c.open, c.fresh[2]
        ),
    );
    for h in households {
        let f = same(file, server, |d| inspections::field_file(d, h).unwrap());
        assert!(!f.inspections.is_empty());
    }
    for s in &saved {
        let case = s.case_id.or(s.existing_case_id);
        if let Some(case) = case {
            same(file, server, |d| rectification::case(d, case).unwrap());
            same(file, server, |d| paper::case_file(d, case).unwrap());
        }
    }
    let closed = same(file, server, |d| {
        rectification::case(d, saved[0].case_id.unwrap()).unwrap()
    });
    assert_eq!(closed.state, CaseState::Closed);
    assert_eq!(closed.head_confirmed, Some(true));
    let followed = same(file, server, |d| {
        rectification::case(d, saved[2].existing_case_id.unwrap()).unwrap()
    });
    assert!(followed.clear_check.is_some(), "{followed:?}");
    same(file, server, |d| {
        rectification::open_case_of(d, c.fresh[1]).unwrap()
    });
    same(file, server, |d| {
        rectification::open_case_of(d, c.fresh[3]).unwrap()
    });
    same(file, server, |d| {
        found::gaps(d, "2026-01-01", TODAY).unwrap()
    });
    same(file, server, |d| {
        found::gaps(d, "2030-01-01", "2030-12-31").unwrap()
    });
}

/// #18: a case moves the same way on the server — the category decision with its plan, each
/// move to 销号 and a reopening, a report to the district and its answer, the notice printed
/// twice, delivered and its 回执 with a scan; refusals read the same; every table ends the same.
#[test]
fn a_case_moves_to_its_close_out_on_the_server_as_on_the_file() {
    let (conn, admin) = town();
    let c = cast(&conn);
    let (scratch, on_server) = pushed(&conn);
    let (file, server) = (Db::File(&conn), Db::Server(&on_server));
    act_as(server);
    let saved = same(file, server, |d| saves(d, &admin, &c));
    let case = saved[1].case_id.unwrap();
    let proposed = same(file, server, |d| {
        rectification::case(d, case).unwrap().proposed_category
    });
    let (planned, other) = if proposed == Some(Category::PlanDistrict) {
        (Category::PlanTownFunded, Category::PlanDistrict)
    } else {
        (Category::PlanDistrict, Category::PlanTownFunded)
    };
    let decision = Decision {
        category: Some(planned),
        override_reason: Some("农户愿意自筹资金改造".into()),
        measures: Some("重建化粪池".into()),
        responsible: Some("李明".into()),
        planned_month: Some("2027-06".into()),
        funding: Some("镇筹".into()),
    };
    let mv = |to: CaseState, actor: i64, date: &str, remark: Option<&str>| MoveInput {
        case_id: case,
        to,
        actor_id: actor,
        date: date.into(),
        remark: remark.map(str::to_string),
        verifier_id: None,
        photo: None,
        head_confirmed: false,
        unconfirmed_reason: None,
        scan: None,
    };
    let (s0, s1, s2) = (c.staff[0], c.staff[1], c.staff[2]);

    // Moving before a category is decided, a month outside the plan: the same refusals.
    same(file, server, |d| {
        message(rectification::move_case(
            d,
            &admin,
            &mv(CaseState::InProgress, s0, TODAY, None),
            TODAY,
            NOW,
        ))
    });
    let mut late = decision.clone();
    late.planned_month = Some("2099-01".into());
    same(file, server, |d| {
        message(rectification::decide(
            d, &admin, case, &late, s0, TODAY, NOW,
        ))
    });

    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("回执.pdf");
    std::fs::write(&pdf, b"%PDF-1.4 a signed receipt").unwrap();
    let jpg = dir.path().join("验收单.jpg");
    std::fs::write(&jpg, [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4, 5]).unwrap();
    let photo_dirs = [dir.path().join("file-photos"), dir.path().join("unused")];

    let steps = |d: Db<'_>, photo_dir: &std::path::Path| -> Vec<String> {
        let mut said = Vec::new();
        rectification::decide(d, &admin, case, &decision, s0, TODAY, NOW).unwrap();
        // Printed for another category, then reprinted after the decision: counted, no longer
        // outdated.
        paper::record_printed(d, &admin, &[(case, other)], NOW).unwrap();
        said.push(format!(
            "{:?}",
            paper::notice_of(d, case).unwrap().map(|n| n.outdated)
        ));
        paper::record_printed(d, &admin, &[(case, planned)], "2026-11-29T11:00:00+08:00").unwrap();
        let paper_input = |date: &str, actor: i64, scan: Option<String>| paper::PaperInput {
            case_id: case,
            date: date.into(),
            actor_id: actor,
            scan,
        };
        said.push(message(paper::record_receipt(
            d,
            &admin,
            &paper_input(TODAY, s0, None),
            TODAY,
            NOW,
        )));
        paper::record_delivery(d, &admin, &paper_input(TODAY, s1, None), TODAY, NOW).unwrap();
        paper::record_receipt(d, &admin, &paper_input(TODAY, s0, None), TODAY, NOW).unwrap();
        let scan = photos::store_scan(d, photo_dir, &pdf, NOW).unwrap();
        paper::record_receipt(
            d,
            &admin,
            &paper_input(TODAY, s0, Some(scan.hash.clone())),
            TODAY,
            NOW,
        )
        .unwrap();
        rectification::move_case(
            d,
            &admin,
            &mv(CaseState::InProgress, s0, TODAY, None),
            TODAY,
            NOW,
        )
        .unwrap();
        escalation::escalate(
            d,
            &admin,
            &escalation::EscalationInput {
                case_id: case,
                date: TODAY.into(),
                actor_id: s0,
                text: "地下水位高，现有技术模式都不适宜".into(),
            },
            TODAY,
            NOW,
        )
        .unwrap();
        said.push(message(escalation::escalate(
            d,
            &admin,
            &escalation::EscalationInput {
                case_id: case,
                date: TODAY.into(),
                actor_id: s0,
                text: "再报一次试试看".into(),
            },
            TODAY,
            NOW,
        )));
        escalation::record_reply(
            d,
            &admin,
            &escalation::EscalationInput {
                case_id: case,
                date: TODAY.into(),
                actor_id: s1,
                text: "同意改为完整下水道水冲式".into(),
            },
            TODAY,
            NOW,
        )
        .unwrap();
        let photo = photos::store(d, photo_dir, &jpg, NOW).unwrap();
        let mut fixed = mv(CaseState::AwaitingAcceptance, s0, TODAY, Some("已重建"));
        fixed.photo = Some(photo.hash.clone());
        rectification::move_case(d, &admin, &fixed, TODAY, NOW).unwrap();
        // The one who recorded the fix does not verify it.
        let mut own = mv(CaseState::Closed, s1, TODAY, None);
        own.verifier_id = Some(s0);
        own.head_confirmed = true;
        said.push(message(rectification::move_case(
            d, &admin, &own, TODAY, NOW,
        )));
        let mut close = mv(CaseState::Closed, s1, TODAY, Some("验收合格"));
        close.verifier_id = Some(s2);
        close.unconfirmed_reason = Some("户主外出务工，由其子女代为确认".into());
        close.scan = Some(scan.hash.clone());
        rectification::move_case(d, &admin, &close, TODAY, NOW).unwrap();
        said.push(message(rectification::decide(
            d, &admin, case, &decision, s0, TODAY, NOW,
        )));
        let reopen = mv(CaseState::InProgress, s0, TODAY, Some("复核发现仍有渗漏"));
        rectification::move_case(d, &admin, &reopen, TODAY, NOW).unwrap();
        // The case closed on site gets its signed 验收单.
        let on_site = saved[0].case_id.unwrap();
        paper::attach_acceptance_scan(d, &admin, on_site, &scan.hash, NOW).unwrap();
        said.push(message(paper::attach_acceptance_scan(
            d, &admin, case, &scan.hash, NOW,
        )));
        said
    };
    let said_file = steps(file, &photo_dirs[0]);
    let said_server = steps(server, &photo_dirs[1]);
    assert_eq!(said_file, said_server);
    assert_eq!(
        said_file[0], "Some(true)",
        "printed for another category: outdated"
    );
    assert!(
        !photo_dirs[1].exists(),
        "on the server the bytes go to the database, not a folder"
    );
    assert_same_rows(&all_rows(&conn), &pulled_rows(&scratch));

    let now = same(file, server, |d| rectification::case(d, case).unwrap());
    assert_eq!(now.state, CaseState::InProgress);
    // 进度调度 replays the close-out and the reopening alike (the server groups in SQL).
    let dashboard = same(file, server, |d| {
        huce_core::progress::progress(d, TODAY).unwrap()
    });
    assert!(
        dashboard.town.closed >= 1,
        "the case closed on site stays closed"
    );
    assert_eq!(
        dashboard.timeline.last().unwrap().closed,
        dashboard.town.closed,
        "the reopened case is no longer counted closed on the line"
    );
    assert_eq!(
        now.escalation_reply.as_deref(),
        Some("同意改为完整下水道水冲式")
    );
    let n = same(file, server, |d| paper::notice_of(d, case).unwrap()).unwrap();
    assert_eq!(n.times_printed, 2);
    assert!(!n.outdated, "reprinted with the decided category");
    assert_eq!(n.state, rectification::PaperState::Returned);
    same(file, server, |d| {
        paper::notice_of(d, saved[0].case_id.unwrap()).unwrap()
    });
    let listed = same(file, server, |d| escalation::escalations(d, TODAY).unwrap());
    assert!(listed.iter().any(|e| e.case_id == case));
    same(file, server, |d| {
        escalation::escalations(d, "2020-01-01").unwrap()
    });
    let household = now.household_id;
    same(file, server, |d| {
        paper::household_notices(d, household).unwrap()
    });

    // The scan reads back byte for byte from either engine.
    let hash = now.events.iter().find_map(|e| e.photo.clone()).unwrap();
    let (bytes, mime) = photos::read(server, &photo_dirs[1], &hash).unwrap();
    assert_eq!(
        (bytes.clone(), mime),
        photos::read(file, &photo_dirs[0], &hash).unwrap()
    );
    same(file, server, |d| photos::get(d, &hash).unwrap());
    // Opened from the server: a copy of the bytes in this PC's temporary folder.
    let copy = photos::file_path(server, &photo_dirs[1], &hash).unwrap();
    assert_eq!(std::fs::read(copy).unwrap(), bytes);
}

/// #18: review and 负责人 signatures, the counts and lists of the 签字背书表 and an unlocking read
/// and write the same on the server; a reviewed result refuses a change there too.
#[test]
fn sign_offs_and_their_counts_are_the_same_on_the_server() {
    let (conn, admin) = town();
    let c = cast(&conn);
    let account = |username: &str, name: &str, role: Role| {
        huce_core::accounts::add(
            &conn,
            &admin,
            &huce_core::accounts::AccountInput {
                username: username.into(),
                display_name: name.into(),
                role,
                staff_id: None,
                password: Some("shiyu2022".into()),
                active: true,
            },
            NOW,
        )
        .unwrap()
    };
    let reviewer = account("shenhe", "审核员", Role::Reviewer);
    let leader = account("lingdao", "镇领导", Role::Leader);
    let (scratch, on_server) = pushed(&conn);
    let (file, server) = (Db::File(&conn), Db::Server(&on_server));
    act_as(server);
    let saved = same(file, server, |d| saves(d, &admin, &c));
    let (village, group): (i64, i64) = conn
        .query_row(
            "SELECT h.village_id, h.group_id FROM toilets t JOIN households h ON h.id = t.household_id WHERE t.id = ?1",
            [c.fresh[1]],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let scopes = [Scope::Town, Scope::Village(village), Scope::Group(group)];
    for s in scopes {
        let l = same(file, server, |d| signoff::latest_in(d, s).unwrap());
        assert!(!l.is_empty(), "{s:?}");
        same(file, server, |d| signoff::progress(d, s).unwrap());
    }
    same(file, server, |d| {
        signoff::latest_in(d, Scope::Village(999_999)).unwrap()
    });
    let latest = signoff::latest_in(&conn, Scope::Village(village)).unwrap();
    let ids: Vec<i64> = latest.iter().copied().take(6).collect();
    let mine = saved[1].inspection_id;
    assert!(ids.contains(&mine) || latest.contains(&mine));

    same(file, server, |d| {
        message(signoff::sign(
            d,
            &leader,
            &[mine],
            signoff::Step::Responsible,
            NOW,
        ))
    });
    same(file, server, |d| {
        message(signoff::sign(d, &reviewer, &[], signoff::Step::Review, NOW))
    });
    same(file, server, |d| {
        message(signoff::sign(
            d,
            &reviewer,
            &[999_999],
            signoff::Step::Review,
            NOW,
        ))
    });
    let mut both: Vec<i64> = ids.clone();
    if !both.contains(&mine) {
        both.push(mine);
    }
    same(file, server, |d| {
        signoff::sign(d, &reviewer, &both, signoff::Step::Review, NOW).unwrap()
    });
    same(file, server, |d| {
        signoff::sign(d, &leader, &both, signoff::Step::Responsible, NOW).unwrap()
    });
    for s in scopes {
        same(file, server, |d| signoff::progress(d, s).unwrap());
    }
    let st = same(file, server, |d| signoff::state(d, mine).unwrap());
    assert!(st.locked() && st.responsible.is_some());
    // A locked result refuses a new category decision.
    let case = saved[1].case_id.unwrap();
    let d0 = Decision {
        category: Some(Category::PlanDistrict),
        override_reason: Some("纳入全区计划".into()),
        measures: Some("重建".into()),
        responsible: Some("李明".into()),
        planned_month: Some("2027-06".into()),
        funding: None,
    };
    let m = same(file, server, |d| {
        message(rectification::decide(
            d, &admin, case, &d0, c.staff[0], TODAY, NOW,
        ))
    });
    assert!(m.contains("已锁定"), "{m}");
    same(file, server, |d| {
        message(signoff::refuse_if_locked(d, mine))
    });
    same(file, server, |d| {
        message(signoff::unlock(d, &reviewer, mine, " ", NOW))
    });
    same(file, server, |d| {
        signoff::unlock(d, &reviewer, mine, "复核发现问题类别填错", NOW).unwrap()
    });
    same(file, server, |d| {
        message(signoff::unlock(d, &reviewer, mine, "再解锁一次", NOW))
    });
    same(file, server, |d| signoff::state(d, mine).unwrap());
    assert_same_rows(&all_rows(&conn), &pulled_rows(&scratch));
}

/// #18: the checklist's items, the town's working values, photos (stored, imported from a
/// folder by household) and the 查缺补漏 counts write and read the same on the server; adding a
/// household found at the door stays on the file until the household writes are ported.
#[test]
fn problem_items_working_values_and_photos_are_the_same_on_the_server() {
    let (conn, admin) = town();
    let c = cast(&conn);
    let (scratch, on_server) = pushed(&conn);
    let (file, server) = (Db::File(&conn), Db::Server(&on_server));
    act_as(server);
    same(file, server, |d| saves(d, &admin, &c));

    let input = problem_items::ProblemItemInput {
        part: ProblemPart::Tank,
        name: "出粪口未封闭".into(),
        stops_use: false,
        retired: false,
    };
    let id = same(file, server, |d| {
        problem_items::add_problem_item(d, &input, NOW).unwrap()
    });
    let dup = problem_items::ProblemItemInput {
        name: "渗漏".into(),
        ..input.clone()
    };
    let m = same(file, server, |d| {
        message(problem_items::add_problem_item(d, &dup, NOW))
    });
    assert!(m.contains("已经有"), "{m}");
    same(file, server, |d| {
        message(problem_items::update_problem_item(d, id, &dup, NOW))
    });
    same(file, server, |d| {
        message(problem_items::update_problem_item(d, 999_999, &input, NOW))
    });
    let retired = problem_items::ProblemItemInput {
        retired: true,
        ..input.clone()
    };
    same(file, server, |d| {
        problem_items::update_problem_item(d, id, &retired, NOW).unwrap()
    });
    same(file, server, |d| {
        problem_items::problem_items(d, true).unwrap()
    });

    let values = working::WorkingValues {
        immediate_overdue_days: 10,
        ..working::WorkingValues::default()
    };
    same(file, server, |d| values.save(d, &admin, NOW).unwrap());
    same(file, server, |d| working::WorkingValues::load(d).unwrap());

    // Photos named by household id, imported onto each household's latest inspection.
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("照片");
    std::fs::create_dir(&folder).unwrap();
    let households = ids(
        &conn,
        &format!(
            "SELECT household_id FROM toilets WHERE id IN ({}, {}) ORDER BY 1",
            c.fresh[1], c.fresh[3]
        ),
    );
    for (k, h) in households.iter().enumerate() {
        let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
        bytes.extend([k as u8; 64]);
        std::fs::write(folder.join(format!("{h}.jpg")), &bytes).unwrap();
        std::fs::write(folder.join(format!("{h}-2.jpg")), &bytes).unwrap();
    }
    std::fs::write(folder.join("没有这户.jpg"), [0xFF, 0xD8, 0xFF, 0xE1]).unwrap();
    let plan = same(file, server, |d| photo_import::plan(d, &folder).unwrap());
    assert!(plan.attach >= 1, "{plan:?}");
    let photo_dirs = [dir.path().join("file-photos"), dir.path().join("unused")];
    for (d, p) in [(file, &photo_dirs[0]), (server, &photo_dirs[1])] {
        photo_import::import(d, &admin, &folder, p, NOW).unwrap();
    }
    same(file, server, |d| photo_import::plan(d, &folder).unwrap());
    same(file, server, |d| {
        found::gaps(d, "2026-01-01", TODAY).unwrap()
    });
    assert_same_rows(&all_rows(&conn), &pulled_rows(&scratch));

    // A household the lists missed, found on the visit: the same rows on both.
    let h = found::FoundHousehold {
        group_id: conn
            .query_row("SELECT min(id) FROM village_groups", [], |r| r.get(0))
            .unwrap(),
        head_name: "新发现".into(),
        id_number: None,
        phone: None,
        address: None,
        resident_pop: Some(2),
        toilet: None,
    };
    same(file, server, |d| {
        found::add_household(d, &admin, &h, NOW).unwrap()
    });
    assert_same_rows(&all_rows(&conn), &pulled_rows(&scratch));
}
