//! Migrations: a database written by every earlier schema version upgrades to today's with its
//! data, migrating twice changes nothing, the result is the committed schema, a file uses WAL,
//! and a path that cannot be opened gives a Chinese message.

use huce_core::db::{self, MIGRATIONS, SCHEMA_VERSION};
use huce_core::households::{self, Scope};
use rusqlite::Connection;

/// Builds a database at `version` with one household written by that version's schema.
fn database_at(version: i64) -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    db::configure(&conn).unwrap();
    db::migrate_to(&conn, version).unwrap();
    assert_eq!(db::schema_version(&conn).unwrap(), version);
    if version >= 1 {
        conn.execute_batch(
            "INSERT INTO villages (id, name) VALUES (1, '石鱼村');
             INSERT INTO village_groups (id, village_id, name, number) VALUES (1, 1, '3社', 3);
             INSERT INTO households (id, village_id, group_id, head_name, id_number, category, is_resident, created_at, updated_at)
               VALUES (1, 1, 1, '曾建国', '11010519491231002X', 'ordinary', 1, 'x', 'x');
             INSERT INTO toilets (household_id, seq, tech_mode, baseline_source, created_at, updated_at)
               VALUES (1, 1, 'three_urn', 'survey', 'x', 'x');",
        )
        .unwrap();
    }
    if version >= 2 {
        // What version 2's write path adds for every household: search keys, reversed ID.
        conn.execute(
            "UPDATE households SET id_number_rev = reverse_text(id_number)",
            [],
        )
        .unwrap();
        // From version 17 the keys carry the household's village and 社.
        let insert = if version >= 17 {
            "INSERT INTO household_search (term, household_id, village_id, group_id) VALUES (?1, 1, 1, 1)"
        } else {
            "INSERT INTO household_search (term, household_id) VALUES (?1, 1)"
        };
        for key in huce_core::search_keys::household_keys("曾建国") {
            conn.execute(insert, [key]).unwrap();
        }
        if version >= 21 {
            // From version 21 the household's row lists its keys.
            conn.execute(
                "UPDATE households SET search_terms = (SELECT json_group_array(term) FROM household_search)",
                [],
            )
            .unwrap();
        }
    }
    conn
}

#[test]
fn every_earlier_version_upgrades_to_current_and_keeps_data() {
    for start in 0..SCHEMA_VERSION {
        let conn = database_at(start);
        db::migrate(&conn).unwrap_or_else(|e| panic!("upgrade from version {start} failed: {e}"));
        assert_eq!(
            db::schema_version(&conn).unwrap(),
            SCHEMA_VERSION,
            "from version {start}"
        );
        let (h, t) = households::counts(&conn).unwrap();
        let expected = if start >= 1 { (1, 1) } else { (0, 0) };
        assert_eq!(
            (h, t),
            expected,
            "data written at version {start} must survive the upgrade"
        );
        if start >= 2 {
            // The search keys written then carry the household's village and 社 now.
            let places: Vec<(i64, i64)> = conn
                .prepare("SELECT DISTINCT village_id, group_id FROM household_search")
                .unwrap()
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            assert_eq!(places, [(1, 1)], "from version {start}");
            let found = households::list(
                &conn,
                Scope::Village(1),
                "建国",
                households::Disclosure::Full,
                0,
                10,
            )
            .unwrap();
            assert_eq!(found.total, 1, "from version {start}");
        }
        if start >= 1 {
            // Search keys must exist for rows written before search existed.
            for q in ["曾", "建国", "zjg", "002X"] {
                let page = households::list(
                    &conn,
                    Scope::Town,
                    q,
                    huce_core::households::Disclosure::Full,
                    0,
                    10,
                )
                .unwrap();
                assert_eq!(
                    page.total, 1,
                    "query {q:?} after upgrade from version {start}"
                );
            }
        }
    }
}

#[test]
fn migrating_twice_changes_nothing() {
    let conn = database_at(SCHEMA_VERSION);
    let schema = |c: &Connection| -> Vec<String> {
        c.prepare("SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let before = schema(&conn);
    db::migrate(&conn).unwrap();
    assert_eq!(
        schema(&conn),
        before,
        "re-running migrations on a current database must be a no-op"
    );
}

/// The schema as text: every table, index and trigger with its SQL, the application id and the
/// version, in a fixed order.
fn schema_text(c: &Connection) -> String {
    let mut out = format!(
        "-- The schema a database has after every migration (huce-core, schema version {}).\n\
         -- Written by the test `migrations::the_schema_is_the_committed_schema` with\n\
         -- HUCE_WRITE_SCHEMA=1; review its diff with every new migration.\n\
         PRAGMA application_id = {};\nPRAGMA user_version = {};\n",
        db::schema_version(c).unwrap(),
        c.query_row("PRAGMA application_id", [], |r| r.get::<_, i64>(0))
            .unwrap(),
        db::schema_version(c).unwrap()
    );
    let rows: Vec<(String, String, String)> = c
        .prepare(
            "SELECT type, name, sql FROM sqlite_schema
             WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY type DESC, name",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (kind, name, sql) in rows {
        out.push_str(&format!("\n-- {kind} {name}\n{};\n", sql.trim()));
    }
    out
}

/// The schema built from scratch, and after upgrading from every earlier version, is the one
/// committed in `crates/core/schema.sql` (so an edited old migration shows up in review).
#[test]
fn the_schema_is_the_committed_schema() {
    let committed_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.sql");
    let fresh = schema_text(&db::open_in_memory().unwrap());
    if std::env::var_os("HUCE_WRITE_SCHEMA").is_some() {
        std::fs::write(&committed_path, &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(&committed_path)
        .expect("crates/core/schema.sql is committed")
        .replace("\r\n", "\n");
    assert!(
        fresh == committed,
        "the schema from scratch differs from crates/core/schema.sql; if the change is an added \
         migration, run the test with HUCE_WRITE_SCHEMA=1 and review the diff"
    );
    for start in 0..SCHEMA_VERSION {
        let conn = database_at(start);
        db::migrate(&conn).unwrap();
        assert!(
            schema_text(&conn) == committed,
            "upgrading from version {start} gives another schema than crates/core/schema.sql"
        );
    }
}

#[test]
fn schema_matches_the_migrations_from_scratch() {
    // A database built step by step equals one built in a single run, table for table.
    let stepwise = Connection::open_in_memory().unwrap();
    db::configure(&stepwise).unwrap();
    for m in MIGRATIONS {
        db::migrate_to(&stepwise, m.version).unwrap();
    }
    let direct = db::open_in_memory().unwrap();
    let dump = |c: &Connection| -> Vec<(String, String)> {
        c.prepare("SELECT name, sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY name")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert_eq!(dump(&stepwise), dump(&direct));
}

#[test]
fn file_database_uses_wal_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("张三的 数据").join("户厕.db");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    {
        let conn = db::open(&path, crate::fixed_time()).unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal", "file databases must use WAL");
        households::add_village(&conn, "太平村", 1).unwrap();
    }
    let conn = db::open(&path, crate::fixed_time()).unwrap();
    assert_eq!(
        households::tree(&conn).unwrap().villages.len(),
        1,
        "data must persist across opens"
    );
}

#[test]
fn unopenable_path_gives_a_chinese_message() {
    let dir = tempfile::tempdir().unwrap();
    let err = db::open(
        &dir.path().join("没有这个文件夹").join("a.db"),
        crate::fixed_time(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "db_open");
    assert!(err.to_string().contains("无法打开数据库文件"), "{err}");
}

/// Version 9 widens the toilets table's CHECK lists in place: after the upgrade of a file
/// written by version 8, 其他 is accepted for 技术模式 and 厕所位置 (by this connection and by a
/// new one), other unknown codes are still refused, and the file passes SQLite's checks.
#[test]
fn version_9_accepts_other_in_an_upgraded_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v8.sqlite");
    {
        let conn = Connection::open(&path).unwrap();
        db::configure(&conn).unwrap();
        db::migrate_to(&conn, 8).unwrap();
        conn.execute_batch(
            "INSERT INTO villages (id, name) VALUES (1, '石鱼村');
             INSERT INTO village_groups (id, village_id, name, number) VALUES (1, 1, '3社', 3);
             INSERT INTO households (id, village_id, group_id, head_name, category, is_resident, created_at, updated_at)
               VALUES (1, 1, 1, '曾建国', 'ordinary', 1, 'x', 'x');
             INSERT INTO toilets (household_id, seq, tech_mode, location, baseline_source, created_at, updated_at)
               VALUES (1, 1, 'three_urn', 'yard', 'survey', 'x', 'x');",
        )
        .unwrap();
        let refused = conn.execute(
            "INSERT INTO toilets (household_id, seq, tech_mode, baseline_source, created_at, updated_at)
             VALUES (1, 2, 'other', 'survey', 'x', 'x')",
            [],
        );
        assert!(refused.is_err(), "version 8 has no 其他");
        db::migrate(&conn).unwrap();
        conn.execute(
            "INSERT INTO toilets (household_id, seq, tech_mode, location, baseline_source, created_at, updated_at)
             VALUES (1, 2, 'other', 'other', 'survey', 'x', 'x')",
            [],
        )
        .expect("the upgrading connection accepts 其他");
    }
    let conn = Connection::open(&path).unwrap();
    db::configure(&conn).unwrap();
    conn.execute(
        "INSERT INTO toilets (household_id, seq, tech_mode, location, baseline_source, created_at, updated_at)
         VALUES (1, 3, 'other', 'indoor', 'survey', 'x', 'x')",
        [],
    )
    .expect("a new connection accepts 其他");
    for (mode, location) in [("elsewhere", "indoor"), ("other", "roof")] {
        let bad = conn.execute(
            "INSERT INTO toilets (household_id, seq, tech_mode, location, baseline_source, created_at, updated_at)
             VALUES (1, 4, ?1, ?2, 'survey', 'x', 'x')",
            [mode, location],
        );
        assert!(bad.is_err(), "{mode}/{location} must still be refused");
    }
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let modes: Vec<String> = conn
        .prepare("SELECT tech_mode FROM toilets ORDER BY seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(modes, ["three_urn", "other", "other"]);
}

/// The 问题口径 list fits 铜梁 (#15): the frost items (冬季冻裂, 冬季无法使用) do not occur in its
/// climate and start retired — in a new file and in one upgraded from version 9 — while they stay
/// on the list for old records and can be brought back; every other item keeps the severity
/// DOMAIN gives it.
#[test]
fn frost_items_start_retired_in_tongliang() {
    let active = |conn: &Connection| -> Vec<String> {
        huce_core::problem_items::problem_items(conn, false)
            .unwrap()
            .into_iter()
            .map(|i| i.name)
            .collect()
    };
    let fresh = db::open_in_memory().unwrap();
    let upgraded = Connection::open_in_memory().unwrap();
    db::configure(&upgraded).unwrap();
    db::migrate_to(&upgraded, 9).unwrap();
    assert!(active(&upgraded).iter().any(|n| n == "冬季冻裂"));
    db::migrate(&upgraded).unwrap();
    for conn in [&fresh, &upgraded] {
        let names = active(conn);
        assert!(!names.iter().any(|n| n.contains("冬季")), "{names:?}");
        assert_eq!(names.len(), 33, "{names:?}");
        let all = huce_core::problem_items::problem_items(conn, true).unwrap();
        assert_eq!(all.len(), 35, "retired items stay for old records");
        for (name, stops) in [
            ("渗漏", true),
            ("便器破损", true),
            ("池盖缺失或破损", false),
            ("清掏不及时、无清掏服务", false),
            ("远离庭院、不便使用", false),
        ] {
            let item = all.iter().find(|i| i.name == name).unwrap();
            assert_eq!(item.stops_use, stops, "{name}");
        }
    }
}

/// Version 11: a case keeps the day its problem was found (`opened_on`, from its inspection in
/// an upgraded file), and the history takes the new steps (复核, 送达, 回执).
#[test]
fn version_11_keeps_each_cases_first_day_and_takes_the_new_steps() {
    let conn = database_at(10);
    conn.execute_batch(
        "INSERT INTO staff (id, name, created_at) VALUES (1, '李明', 'x');
         INSERT INTO inspections (id, toilet_id, kind, inspected_on, household_status, has_problems,
             proposal_reason, recorded_by, recorded_at)
           VALUES (1, 1, 'village_self', '2022-09-20', 'normal', 1, '—', 1, 'x');
         INSERT INTO rectifications (id, toilet_id, household_id, village_id, group_id, inspection_id,
             proposal_reason, state, state_since, created_at)
           VALUES (1, 1, 1, 1, 1, 1, '—', 'pending', '2022-09-20', 'x');",
    )
    .unwrap();
    db::migrate(&conn).unwrap();
    let opened: String = conn
        .query_row(
            "SELECT opened_on FROM rectifications WHERE id = 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(opened, "2022-09-20");
    for kind in ["recheck", "delivered", "receipt", "escalated", "reply"] {
        conn.execute(
            "INSERT INTO rectification_events (rectification_id, kind, actor_id, happened_on, recorded_at)
             VALUES (1, ?1, 1, '2022-10-01', 'x')",
            [kind],
        )
        .unwrap();
    }
    assert!(conn
        .execute(
            "INSERT INTO rectification_events (rectification_id, kind, actor_id, happened_on, recorded_at)
             VALUES (1, 'lost', 1, '2022-10-01', 'x')",
            [],
        )
        .is_err());
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}

/// Version 12: a household whose only toilet rows said 无厕所 becomes a 无厕所户 and those rows
/// go — unless an inspection refers to one (kept for a person to sort out); a household with a
/// real toilet beside a 无厕所 row keeps both and is not marked.
#[test]
fn version_12_marks_households_without_a_toilet_and_keeps_what_is_referred_to() {
    let conn = database_at(11);
    conn.execute_batch(
        "INSERT INTO households (id, village_id, group_id, head_name, category, is_resident, created_at, updated_at)
           VALUES (2, 1, 1, '王无厕', 'ordinary', 1, 'x', 'x'),
                  (3, 1, 1, '赵查过', 'ordinary', 1, 'x', 'x'),
                  (4, 1, 1, '钱两样', 'ordinary', 1, 'x', 'x');
         INSERT INTO toilets (id, household_id, seq, tech_mode, baseline_source, created_at, updated_at)
           VALUES (20, 2, 1, 'no_toilet', 'survey', 'x', 'x'),
                  (30, 3, 1, 'no_toilet', 'survey', 'x', 'x'),
                  (40, 4, 1, 'no_toilet', 'survey', 'x', 'x'),
                  (41, 4, 2, 'three_urn', 'survey', 'x', 'x');
         INSERT INTO staff (id, name, created_at) VALUES (1, '李明', 'x');
         INSERT INTO inspections (id, toilet_id, kind, inspected_on, household_status, has_problems,
             proposal_reason, recorded_by, recorded_at)
           VALUES (1, 30, 'village_self', '2022-09-20', 'normal', 0, '—', 1, 'x');",
    )
    .unwrap();
    db::migrate(&conn).unwrap();
    let state = |h: i64| -> (bool, Vec<i64>) {
        let flag = conn
            .query_row("SELECT no_toilet FROM households WHERE id = ?1", [h], |r| {
                r.get(0)
            })
            .unwrap();
        let toilets = conn
            .prepare("SELECT id FROM toilets WHERE household_id = ?1 ORDER BY id")
            .unwrap()
            .query_map([h], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        (flag, toilets)
    };
    assert_eq!(state(1), (false, vec![1]), "an ordinary household");
    assert_eq!(state(2), (true, vec![]));
    assert_eq!(state(3), (true, vec![30]), "an inspected row stays");
    assert_eq!(
        state(4),
        (false, vec![40, 41]),
        "a contradiction is left to a person"
    );
}

/// File only: version 15 writes each toilet's first inspection and first town re-check from the
/// inspections already there; a toilet never inspected keeps neither.
#[test]
fn version_15_keeps_each_toilets_first_inspection_from_those_already_there() {
    let conn = database_at(14);
    conn.execute_batch(
        "INSERT INTO toilets (id, household_id, seq, tech_mode, baseline_source, created_at, updated_at)
           VALUES (2, 1, 2, 'three_urn', 'survey', 'x', 'x');
         INSERT INTO staff (id, name, created_at) VALUES (1, '李明', 'x');
         INSERT INTO inspections (toilet_id, kind, inspected_on, household_status, has_problems,
             proposal_reason, recorded_by, recorded_at)
           VALUES (1, 'town_recheck', '2022-10-12', 'normal', 0, '—', 1, 'x'),
                  (1, 'village_self', '2022-09-20', 'normal', 0, '—', 1, 'x'),
                  (1, 'town_recheck', '2022-10-03', 'normal', 0, '—', 1, 'x');",
    )
    .unwrap();
    db::migrate(&conn).unwrap();
    let days = |id: i64| -> (Option<String>, Option<String>) {
        conn.query_row(
            "SELECT first_inspected_on, first_rechecked_on FROM toilets WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    };
    assert_eq!(
        days(1),
        (Some("2022-09-20".into()), Some("2022-10-03".into()))
    );
    assert_eq!(days(2), (None, None));
}

/// File only: version 21 lists each household's search keys on its row, those an earlier
/// program wrote (a key for every single character) included, and drops the keys' index by
/// household: a household moved to another 社 takes every key along, one deleted leaves none.
#[test]
fn version_21_lists_every_key_a_household_has_and_moves_and_deletes_them_all() {
    let conn = database_at(20);
    conn.execute_batch(
        "INSERT INTO household_search (term, household_id, village_id, group_id)
           VALUES ('n曾', 1, 1, 1), ('n建', 1, 1, 1), ('n国', 1, 1, 1)
           ON CONFLICT DO NOTHING;
         INSERT INTO villages (id, name) VALUES (2, '太平村');
         INSERT INTO village_groups (id, village_id, name, number) VALUES (2, 2, '1社', 1);",
    )
    .unwrap();
    let keys = |village: i64| -> Vec<String> {
        conn.prepare(
            "SELECT term FROM household_search WHERE household_id = 1 AND village_id = ?1 ORDER BY term",
        )
        .unwrap()
        .query_map([village], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
    };
    let before = keys(1);
    assert!(before.len() > huce_core::search_keys::household_keys("曾建国").len());
    db::migrate(&conn).unwrap();
    let listed: String = conn
        .query_row(
            "SELECT search_terms FROM households WHERE id = 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let mut listed: Vec<String> = serde_json::from_str(&listed).unwrap();
    listed.sort();
    assert_eq!(listed, before);
    let index: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name = 'household_search_by_household'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(index, 0, "the keys' copy by household is gone");
    conn.execute(
        "UPDATE households SET village_id = 2, group_id = 2 WHERE id = 1",
        [],
    )
    .unwrap();
    assert!(keys(1).is_empty(), "no key stays in the 社 it left");
    assert_eq!(keys(2), before);
    conn.execute_batch("DELETE FROM toilets; DELETE FROM households WHERE id = 1;")
        .unwrap();
    let left: i64 = conn
        .query_row("SELECT count(*) FROM household_search", [], |r| r.get(0))
        .unwrap();
    assert_eq!(left, 0);
}
