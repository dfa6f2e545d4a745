//! #18: importing and exporting ledgers, and the pending lists, on the server (PostgreSQL) as on
//! the file.

use std::collections::BTreeMap;
use std::path::Path;

use huce_core::export::{self, ExportTemplate, Personal, TemplateColumn};
use huce_core::households::{Disclosure, ListFilter, Scope};
use huce_core::import::apply::{import_into, ImportOptions, ImportReport, Mode};
use huce_core::pending::{self, Settler};
use huce_core::sql::Db;
use rusqlite::Connection;

use crate::server::{all_rows, assert_same_rows, demo_town, pulled_rows, pushed};
use crate::NOW;

fn opts() -> ImportOptions {
    ImportOptions {
        sheet: None,
        columns: None,
        default_village: None,
        create_places: false,
        actor: "测试员".into(),
        now: NOW.into(),
        current_year: 2026,
        list: Default::default(),
    }
}

/// A sheet's rows of cells as (text, numeric).
type Rows = Vec<Vec<(String, bool)>>;

/// Every sheet of a workbook as (name, rows).
fn workbook(path: &Path) -> Vec<(String, Rows)> {
    huce_core::import::read::read_file(path)
        .unwrap()
        .into_iter()
        .map(|s| {
            (
                s.name,
                s.rows
                    .into_iter()
                    .map(|r| r.into_iter().map(|c| (c.text, c.numeric)).collect())
                    .collect(),
            )
        })
        .collect()
}

/// The town's whole 改厕台账 exported into `dir`, as its rows of cell texts.
fn exported_rows(conn: &Connection, dir: &Path) -> Vec<Vec<String>> {
    let exported = dir.join("导出.xlsx");
    export::toilet_ledger(conn, Scope::Town, Personal::Full, &exported, "2026-11-29").unwrap();
    workbook(&exported)[0]
        .1
        .iter()
        .map(|r| r.iter().map(|c| c.0.clone()).collect())
        .collect()
}

fn write_xlsx(path: &Path, rows: &[Vec<String>]) {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                sheet.write_string(r as u32, c as u16, v).unwrap();
            }
        }
    }
    book.save(path).unwrap();
}

/// The file's rows and the server's, compared: the audit log (and its head) apart, because an
/// import on the file records its backup (the server's backups are its own dumps). The audit
/// entries are compared without it, and each chain must verify.
fn assert_same_but_backups(conn: &Connection, scratch: &crate::server::Scratch, server: Db) {
    let strip = |mut rows: BTreeMap<String, Vec<String>>| {
        rows.remove("audit_log");
        if let Some(settings) = rows.get_mut("settings") {
            settings.retain(|r| !r.starts_with("Text(\"audit_head\")"));
        }
        rows
    };
    let file_audit = audit_entries(Db::File(conn));
    conn.execute("UPDATE import_batches SET backup_path = NULL", [])
        .unwrap();
    assert_same_rows(&strip(all_rows(conn)), &strip(pulled_rows(scratch)));
    assert_eq!(file_audit, audit_entries(server), "the same audit entries");
    assert!(huce_core::audit::verify(Db::File(conn)).unwrap().ok());
    assert!(huce_core::audit::verify(server).unwrap().ok());
}

fn audit_entries(db: Db) -> Vec<(i64, String, String, String)> {
    db.query_map(
        "SELECT id, actor, action, summary FROM audit_log ORDER BY id",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )
    .unwrap()
}

/// The parts of a report that do not name the backup.
fn outcome(r: &ImportReport) -> serde_json::Value {
    let mut v = serde_json::to_value(r).unwrap();
    v.as_object_mut().unwrap().remove("backup_path");
    v
}

/// A ledger exported from the town with corrections a village sends back: a new phone, a new
/// head of household, a move to another 社, a year and a phone number that cannot be taken
/// (待核实), 无厕所 written for a household that has a toilet, and a village that
/// is not in the town (rejected). No row adds a household.
fn corrected_ledger(conn: &Connection, dir: &Path) -> std::path::PathBuf {
    let mut rows = exported_rows(conn, dir);
    let header = rows[2].clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (village, group, name, id, phone, mode, year) = (
        col("行政村"),
        col("社"),
        col("户主姓名"),
        col("身份证号"),
        col("联系电话"),
        col("技术模式"),
        col("建设（改造）年度"),
    );
    let data: Vec<usize> = (3..rows.len()).collect();
    // Households on one row only (one toilet, or none), with an ID number: changes to them are
    // not repeated by a second row of the same household.
    let single: Vec<usize> = data
        .iter()
        .copied()
        .filter(|&i| {
            let key = (&rows[i][village], &rows[i][group], &rows[i][name]);
            data.iter()
                .filter(|&&j| (&rows[j][village], &rows[j][group], &rows[j][name]) == key)
                .count()
                == 1
                && !rows[i][id].is_empty()
                && !rows[i][mode].is_empty()
                && rows[i][mode] != "无厕所"
        })
        .collect();
    assert!(single.len() > 8, "enough one-row households to correct");
    rows[single[0]][phone] = "13800001111".into();
    rows[single[1]][name] = "新户主".into();
    rows[single[2]][year] = "2031".into();
    // Another 社 of the same village.
    let other = data
        .iter()
        .find(|&&j| {
            rows[j][village] == rows[single[3]][village] && rows[j][group] != rows[single[3]][group]
        })
        .map(|&j| rows[j][group].clone())
        .unwrap();
    rows[single[3]][group] = other;
    // A phone number a digit short.
    rows[single[4]][phone] = "1380000111".into();
    rows[single[5]][mode] = "无厕所".into();
    rows[single[6]][village] = "不存在村".into();
    let path = dir.join("更正后的台账.xlsx");
    write_xlsx(&path, &rows);
    path
}

/// An import applied to a town on the file and to the same town on the server leaves the same
/// rows in every table; importing the same file again changes nothing on either; a dry run
/// changes nothing and reports what the commit did.
#[test]
fn an_import_leaves_the_same_rows_on_the_server_as_on_the_file() {
    let conn = demo_town(150, 11);
    let dir = tempfile::tempdir().unwrap();
    // Exported (and so audited) before the town goes to the server.
    let path = corrected_ledger(&conn, dir.path());
    let (scratch, on_server) = pushed(&conn);
    let server = Db::Server(&on_server);
    for d in [Db::File(&conn), server] {
        huce_core::audit::set_actor(d, "测试员").unwrap();
    }
    let commit = Mode::Commit {
        backup_dir: dir.path().join("备份"),
        stamp: "20261129-100000".into(),
    };

    let on_file = import_into(&conn, &path, &opts(), &commit, &mut |_, _| {}).unwrap();
    let there = import_into(server, &path, &opts(), &commit, &mut |_, _| {}).unwrap();
    assert!(on_file.backup_path.is_some() && there.backup_path.is_none());
    assert_eq!(outcome(&on_file), outcome(&there));
    assert!(there.committed);
    assert_eq!(there.households_new, 0, "{there:#?}");
    assert!(there.households_updated >= 3, "{there:#?}");
    assert_eq!(there.rows_rejected, 1, "{:#?}", there.problems);
    assert!(there.rows_flagged >= 3, "{:#?}", there.flags);
    assert!(there.fields_changed >= 3);
    assert_same_but_backups(&conn, &scratch, server);

    // The same file again: nothing changes but the record of the import.
    let changes = |d: Db| -> i64 {
        d.query_row("SELECT count(*) FROM change_log", [], |r| r.get(0))
            .unwrap()
    };
    let before = (changes(Db::File(&conn)), changes(server));
    let on_file = import_into(&conn, &path, &opts(), &commit, &mut |_, _| {}).unwrap();
    let there = import_into(server, &path, &opts(), &commit, &mut |_, _| {}).unwrap();
    assert_eq!(outcome(&on_file), outcome(&there));
    assert_eq!(
        (
            there.households_updated,
            there.toilets_updated,
            there.fields_changed
        ),
        (0, 0, 0),
        "{there:#?}"
    );
    assert_eq!(before, (changes(Db::File(&conn)), changes(server)));
    assert_same_but_backups(&conn, &scratch, server);

    // A dry run changes nothing on either engine.
    let on_file = import_into(&conn, &path, &opts(), &Mode::DryRun, &mut |_, _| {}).unwrap();
    let there = import_into(server, &path, &opts(), &Mode::DryRun, &mut |_, _| {}).unwrap();
    assert_eq!(outcome(&on_file), outcome(&there));
    assert!(!there.committed);
    assert_same_but_backups(&conn, &scratch, server);
}

/// A subsidy list merged into the stored toilets (查缺补漏) on the server as on the file.
#[test]
fn a_subsidy_list_merges_the_same_on_the_server() {
    let conn = demo_town(120, 4);
    let (scratch, on_server) = pushed(&conn);
    let server = Db::Server(&on_server);
    let dir = tempfile::tempdir().unwrap();
    // The subsidised toilets of the town as a 财政补助改厕名单, one project written differently.
    let rows: Vec<Vec<String>> = conn
        .prepare(
            "SELECT v.name, g.name, h.head_name, h.id_number, t.subsidy_year,
                    t.subsidy_amount_fen, t.project_name
             FROM toilets t JOIN households h ON h.id = t.household_id
             JOIN villages v ON v.id = h.village_id JOIN village_groups g ON g.id = h.group_id
             WHERE t.subsidized = 1 AND t.subsidy_year IS NOT NULL ORDER BY t.id",
        )
        .unwrap()
        .query_map([], |r| {
            Ok(vec![
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                r.get::<_, i64>(4)?.to_string(),
                r.get::<_, Option<i64>>(5)?
                    .map(|f| (f / 100).to_string())
                    .unwrap_or_default(),
                r.get::<_, Option<String>>(6)?.unwrap_or_default(),
            ])
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(rows.len() > 10, "the demo town has subsidised toilets");
    let mut sheet = vec![[
        "行政村",
        "社",
        "户主姓名",
        "身份证号",
        "补助年度",
        "补助金额（元）",
        "项目名称",
    ]
    .map(String::from)
    .to_vec()];
    // Every other row: the rest are on the survey only.
    sheet.extend(rows.into_iter().step_by(2));
    sheet[1][6] = "另一个项目".into();
    let path = dir.path().join("财政补助改厕名单.xlsx");
    write_xlsx(&path, &sheet);
    let o = ImportOptions {
        list: huce_core::import::apply::BaselineList::Subsidy,
        ..opts()
    };
    let commit = Mode::Commit {
        backup_dir: dir.path().join("备份"),
        stamp: "20261129-100000".into(),
    };
    let on_file = import_into(&conn, &path, &o, &commit, &mut |_, _| {}).unwrap();
    let there = import_into(server, &path, &o, &commit, &mut |_, _| {}).unwrap();
    assert_eq!(outcome(&on_file), outcome(&there));
    let merge = there.merge.as_ref().unwrap();
    assert!(
        merge.matched > 5 && merge.only_on_survey_total > 0,
        "{merge:#?}"
    );
    assert_same_but_backups(&conn, &scratch, server);
}

/// Every export writes the same workbook from the server as from the file, and records the
/// same audit entries.
#[test]
fn exports_from_the_server_are_the_same_workbooks() {
    let conn = demo_town(140, 9);
    let (scratch, on_server) = pushed(&conn);
    let server = Db::Server(&on_server);
    let dir = tempfile::tempdir().unwrap();
    for d in [Db::File(&conn), server] {
        huce_core::audit::set_actor(d, "测试员").unwrap();
    }
    let template = ExportTemplate {
        name: "监测平台".into(),
        columns: export::template_sources()
            .into_iter()
            .map(|s| TemplateColumn {
                source: s.to_string(),
                header: format!("{s}（平台）"),
            })
            .collect(),
    };
    let village: i64 = conn
        .query_row("SELECT id FROM villages ORDER BY id LIMIT 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    let group: i64 = conn
        .query_row(
            "SELECT group_id FROM households GROUP BY group_id ORDER BY count(*) DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let mut compared = 0;
    // Each export to the same path from either engine (a full export's audit entry names it).
    let both = |name: &str, f: &dyn Fn(Db, &Path) -> usize| {
        let path = dir.path().join(name);
        let a = f(Db::File(&conn), &path);
        let on_file = workbook(&path);
        let b = f(server, &path);
        assert_eq!(a, b, "{name}: the same count");
        assert_eq!(on_file, workbook(&path), "{name}: the same workbook");
        on_file[0].1.len()
    };
    for d in [Db::File(&conn), server] {
        export::save_template(d, &template, NOW).unwrap();
    }
    for scope in [Scope::Town, Scope::Village(village), Scope::Group(group)] {
        for personal in [Personal::Masked, Personal::Full] {
            compared += both("改厕台账.xlsx", &|d, p| {
                export::toilet_ledger(d, scope, personal, p, NOW)
                    .unwrap()
                    .rows
            });
            compared += both("农户名单.xlsx", &|d, p| {
                export::household_list(d, scope, personal, p, NOW)
                    .unwrap()
                    .rows
            });
            compared += both("监测平台.xlsx", &|d, p| {
                export::with_template(d, "监测平台", scope, personal, p, NOW)
                    .unwrap()
                    .rows
            });
            compared += both("待核实清单.xlsx", &|d, p| {
                pending::export_xlsx(d, scope, "本村", personal, p, NOW).unwrap()
            });
        }
        compared += both("工作清单.xlsx", &|d, p| {
            export::worklist_xlsx(d, scope, &ListFilter::default(), "本村", p, NOW)
                .unwrap()
                .rows
        });
    }
    // The 操作日志 export (its filter's `?1 IS NULL OR actor = ?1` is typed from the values on
    // the server).
    compared += both("操作日志.xlsx", &|d, p| {
        export::audit_xlsx(d, &Default::default(), p).unwrap()
    });
    assert!(compared > 500, "{compared} rows compared");
    // The templates as saved, listed and deleted.
    assert_eq!(
        export::templates(&conn).unwrap(),
        export::templates(server).unwrap()
    );
    for d in [Db::File(&conn), server] {
        export::delete_template(d, "监测平台", NOW).unwrap();
        export::delete_template(d, "没有这个", NOW).unwrap();
    }
    assert!(export::templates(server).unwrap().is_empty());
    assert_same_rows(&all_rows(&conn), &pulled_rows(&scratch));
}

/// The 待核实 lists read the same from the server, in every scope and disclosure; settling an
/// entry (a correction, a note that it stays empty) writes the same rows.
#[test]
fn pending_lists_and_settlements_are_the_same_on_the_server() {
    let conn = demo_town(400, 3);
    let (scratch, on_server) = pushed(&conn);
    let server = Db::Server(&on_server);
    let villages = pending::by_village(&conn).unwrap();
    assert_eq!(villages, pending::by_village(server).unwrap());
    assert!(!villages.is_empty(), "the demo town has 待核实 entries");
    let mut scopes = vec![Scope::Town];
    for v in &villages {
        scopes.push(Scope::Village(v.village_id));
        scopes.extend(v.groups.iter().map(|g| Scope::Group(g.group_id)));
    }
    let mut entries = Vec::new();
    for scope in scopes {
        for disclosure in [Disclosure::Masked, Disclosure::Full] {
            let a = pending::list(&conn, scope, disclosure).unwrap();
            assert_eq!(
                a,
                pending::list(server, scope, disclosure).unwrap(),
                "{scope:?}"
            );
            if scope == Scope::Town && disclosure == Disclosure::Full {
                entries = a;
            }
        }
    }
    // A household with entries, one without, one that does not exist.
    let with = entries[0].household_id;
    let without: i64 = conn
        .query_row(
            "SELECT id FROM households WHERE id NOT IN (SELECT household_id FROM pending_checks)
             ORDER BY id LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    for h in [with, without] {
        let a = pending::of_household(&conn, h, Disclosure::Masked).unwrap();
        assert_eq!(
            a,
            pending::of_household(server, h, Disclosure::Masked).unwrap()
        );
    }
    assert!(pending::of_household(server, 999_999, Disclosure::Full).is_err());
    // An empty scope.
    assert!(
        pending::list(server, Scope::Group(999_999), Disclosure::Full)
            .unwrap()
            .is_empty()
    );

    // Settle some: a year corrected, others left empty, a correction that cannot be taken.
    let by = Settler {
        actor: "测试员",
        now: NOW,
        current_year: 2026,
    };
    for d in [Db::File(&conn), server] {
        huce_core::audit::set_actor(d, "测试员").unwrap();
    }
    // An ID number another household holds is refused on both (the entry stays open).
    let taken: String = conn
        .query_row(
            "SELECT id_number FROM households WHERE id_number IS NOT NULL ORDER BY id LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let open_id = entries.iter().find(|e| e.field == "id_number").unwrap().id;
    let (mut corrected, mut left) = (0, 0);
    for (k, e) in entries.iter().enumerate().filter(|(_, e)| e.id != open_id) {
        let value = match e.field.as_str() {
            "build_year" => Some("2019"),
            "phone" if k % 2 == 0 => Some("13912345678"),
            _ => None,
        };
        for d in [Db::File(&conn), server] {
            match value {
                Some(v) => pending::correct(d, e.id, v, &by).unwrap(),
                None => pending::leave_empty(d, e.id, "户主无身份证", &by).unwrap(),
            }
        }
        match value {
            Some(_) => corrected += 1,
            None => left += 1,
        }
    }
    assert!(
        corrected > 0 && left > 0,
        "{corrected} corrected, {left} left empty"
    );
    for d in [Db::File(&conn), server] {
        let err = pending::correct(d, open_id, &taken, &by).unwrap_err();
        assert!(err.to_string().contains("已登记在"), "{err}");
    }
    let again = entries.iter().find(|e| e.id != open_id).unwrap().id;
    for d in [Db::File(&conn), server] {
        let err = pending::leave_empty(d, again, "再次", &by).unwrap_err();
        assert!(err.to_string().contains("已经处理过"), "{err}");
    }
    assert_eq!(
        pending::by_village(&conn).unwrap(),
        pending::by_village(server).unwrap()
    );
    assert_same_rows(&all_rows(&conn), &pulled_rows(&scratch));
}

/// A column mapping the user corrected is remembered on the server as on the file, and the
/// next file of that layout uses it.
#[test]
fn a_corrected_mapping_is_remembered_on_the_server() {
    let conn = demo_town(60, 8);
    let dir = tempfile::tempdir().unwrap();
    let path = corrected_ledger(&conn, dir.path());
    let (scratch, on_server) = pushed(&conn);
    let server = Db::Server(&on_server);
    for d in [Db::File(&conn), server] {
        huce_core::audit::set_actor(d, "测试员").unwrap();
    }
    // The columns as recognised, from a dry run on the file (on the server a dry run uses up
    // ids: the rows a commit then writes would be numbered differently).
    let found = import_into(&conn, &path, &opts(), &Mode::DryRun, &mut |_, _| {}).unwrap();
    assert!(!found.used_saved_mapping);
    let o = ImportOptions {
        columns: Some(found.columns.iter().map(|c| c.field).collect()),
        ..opts()
    };
    let commit = Mode::Commit {
        backup_dir: dir.path().join("备份"),
        stamp: "20261129-100000".into(),
    };
    for d in [Db::File(&conn), server] {
        let r = import_into(d, &path, &o, &commit, &mut |_, _| {}).unwrap();
        assert!(r.committed && !r.used_saved_mapping);
        let again = import_into(d, &path, &opts(), &Mode::DryRun, &mut |_, _| {}).unwrap();
        assert!(again.used_saved_mapping, "the saved mapping is used");
    }
    assert_same_but_backups(&conn, &scratch, server);
}

/// A ledger that changes most households (more changes than the server sends in one
/// statement) leaves the same rows, change log in the same order, on both engines.
#[test]
fn a_ledger_changing_most_households_leaves_the_same_rows_on_the_server() {
    let conn = demo_town(400, 21);
    let dir = tempfile::tempdir().unwrap();
    let mut rows = exported_rows(&conn, dir.path());
    let col = |name: &str| rows[2].iter().position(|h| h == name).unwrap();
    let (phone, address) = (col("联系电话"), col("住址"));
    for row in rows.iter_mut().skip(3) {
        if row[phone].len() == 11 {
            row[phone].replace_range(3..7, "0000");
        }
        row[address] = format!("{}（新）", row[address]);
    }
    let path = dir.path().join("全镇更正.xlsx");
    write_xlsx(&path, &rows);
    let (scratch, on_server) = pushed(&conn);
    let server = Db::Server(&on_server);
    for d in [Db::File(&conn), server] {
        huce_core::audit::set_actor(d, "测试员").unwrap();
    }
    let commit = Mode::Commit {
        backup_dir: dir.path().join("备份"),
        stamp: "20261129-100000".into(),
    };
    let on_file = import_into(&conn, &path, &opts(), &commit, &mut |_, _| {}).unwrap();
    let there = import_into(server, &path, &opts(), &commit, &mut |_, _| {}).unwrap();
    assert_eq!(outcome(&on_file), outcome(&there));
    assert!(
        there.fields_changed > 500,
        "{} changes",
        there.fields_changed
    );
    assert_same_but_backups(&conn, &scratch, server);
}

/// A new server database starts with the problem-item list (问题口径) a new file has: a town set
/// up on the server can record the problems an inspection finds (and the demo town generates).
#[test]
fn a_new_server_database_has_the_problem_items_of_a_new_file() {
    use huce_core::problem_items::problem_items;
    let file = huce_core::db::open_in_memory().unwrap();
    let scratch = crate::server::Scratch::new();
    let (server, set_up) = huce_core::server::open(&scratch.url()).unwrap();
    assert_eq!(set_up, huce_core::server::SetUp::New);
    let on_file = problem_items(&file, true).unwrap();
    assert_eq!(on_file.len(), 35);
    assert_eq!(problem_items(&server, true).unwrap(), on_file);
    // Opened again, the server is left as it is: no second list.
    drop(server);
    let (again, set_up) = huce_core::server::open(&scratch.url()).unwrap();
    assert_eq!(set_up, huce_core::server::SetUp::Ready);
    assert_eq!(problem_items(&again, true).unwrap(), on_file);
}

/// A new file and an empty town pushed to the server, the ledger at `path` imported into
/// both (new villages and 社 created): the file, the server's scratch schema and a handle on
/// it, and the server's report (the same as the file's).
fn into_empty_towns(
    path: &Path,
    dir: &Path,
) -> (
    Connection,
    crate::server::Scratch,
    huce_core::sql::ServerConn,
    ImportReport,
) {
    let conn = huce_core::db::open_in_memory().unwrap();
    let (scratch, on_server) = pushed(&conn);
    let server = Db::Server(&on_server);
    for d in [Db::File(&conn), server] {
        huce_core::audit::set_actor(d, "测试员").unwrap();
    }
    let commit = Mode::Commit {
        backup_dir: dir.join("备份"),
        stamp: "20261129-100000".into(),
    };
    let whole = ImportOptions {
        create_places: true,
        ..opts()
    };
    let on_file = import_into(&conn, path, &whole, &commit, &mut |_, _| {}).unwrap();
    let there = import_into(server, path, &whole, &commit, &mut |_, _| {}).unwrap();
    assert_eq!(outcome(&on_file), outcome(&there));
    (conn, scratch, on_server, there)
}

/// A whole town's ledger imported into an empty town on the server (as after pushing a new
/// town's empty file, whose statistics say every table is empty): the same rows as on the file.
/// The statistics are taken again as the households double (else every insert's foreign-key
/// check scans all households written before it), and the search keys go a thousand to a
/// statement.
#[test]
fn a_whole_ledger_into_an_empty_town_leaves_the_same_rows_on_the_server() {
    let town = demo_town(2600, 5);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("全镇台账.xlsx");
    export::toilet_ledger(&town, Scope::Town, Personal::Full, &path, "2026-11-29").unwrap();
    let (conn, scratch, on_server, there) = into_empty_towns(&path, dir.path());
    let server = Db::Server(&on_server);
    assert_eq!(there.households_new, 2600, "{:#?}", there.problems);
    let counted: i64 = server
        .query_row(
            "SELECT CAST(reltuples AS bigint) FROM pg_class
             WHERE relname = 'households' AND relnamespace = CAST(current_schema() AS regnamespace)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        counted >= 2000,
        "the statistics were taken again as the town filled: {counted}"
    );
    assert_same_but_backups(&conn, &scratch, server);
}

/// Households new in a ledger whose second row says something else than their first (another
/// phone number) end the same on the server as on the file: the change is written over the row
/// the first one wrote, which on the server was still waiting to be written; a second row
/// putting the household in another 社 is refused on both (one household is not in two places).
/// And text the server's bulk format has to escape (line breaks in a cell, tabs,
/// backslashes) arrives as written.
#[test]
fn a_new_household_changed_by_its_second_row_ends_the_same_on_the_server() {
    let town = demo_town(80, 9);
    let dir = tempfile::tempdir().unwrap();
    let mut rows = exported_rows(&town, dir.path());
    let header = rows[2].clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (village, group, id, phone) = (col("行政村"), col("社"), col("身份证号"), col("联系电话"));
    // Second rows of households on two rows, with an ID number (it finds the household).
    let seconds: Vec<usize> = (4..rows.len())
        .filter(|&i| !rows[i][id].is_empty() && rows[i][id] == rows[i - 1][id])
        .collect();
    assert!(seconds.len() >= 2, "two households with two toilets");
    rows[seconds[0]][phone] = "13912345678".into();
    // Text that the server's bulk format must escape: a line break within a cell (Alt+Enter in
    // Excel), a tab, backslashes, and what would end its data if it were not escaped.
    let address = col("住址");
    let written = "重庆市铜梁区石鱼镇\n老房子\t后面 C:\\路\\.\r\n\\.\n\\N";
    let first_single = (3..rows.len())
        .find(|&i| !seconds.contains(&i) && !seconds.contains(&(i + 1)))
        .expect("a household on one row");
    rows[first_single][address] = written.into();
    let moved = seconds[1];
    let other = (3..rows.len())
        .find(|&j| rows[j][village] == rows[moved][village] && rows[j][group] != rows[moved][group])
        .map(|j| rows[j][group].clone())
        .expect("another 社 of the village");
    rows[moved][group] = other.clone();
    let path = dir.path().join("新台账.xlsx");
    write_xlsx(&path, &rows);

    let (conn, scratch, on_server, _) = into_empty_towns(&path, dir.path());
    let server = Db::Server(&on_server);
    for d in [Db::File(&conn), server] {
        let phone_now: Option<String> = d
            .query_row(
                "SELECT phone FROM households WHERE id_number = ?1",
                [&rows[seconds[0]][id]],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(
            phone_now.as_deref(),
            Some("13912345678"),
            "{:?}",
            d.engine()
        );
        let group_now: String = d
            .query_row(
                "SELECT g.name FROM households h JOIN village_groups g ON g.id = h.group_id
                 WHERE h.id_number = ?1",
                [&rows[moved][id]],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(group_now, rows[moved - 1][group], "{:?}", d.engine());
        let address_now: String = d
            .query_row(
                "SELECT address FROM households WHERE head_name = ?1 AND address LIKE '%老房子%'",
                [&rows[first_single][col("户主姓名")]],
                |r| r.get(0),
            )
            .unwrap();
        assert!(
            address_now.contains("C:\\路\\.") && address_now.contains("\\N"),
            "{:?}: {address_now:?}",
            d.engine()
        );
    }
    assert_same_but_backups(&conn, &scratch, server);
}
