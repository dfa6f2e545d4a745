//! #18: the server (PostgreSQL) schema against the file's: the same tables, columns (kind, NOT
//! NULL, default), keys, foreign keys, indexes and triggers, at the same version (the server adds
//! `huce_schema`, its version, and `photo_blobs`, the photos' bytes). Runs against
//! the throw-away cluster of `scripts/pg-cluster.sh`, named by `HUCE_TEST_PG` (scripts/test.sh
//! starts it and sets the variable).

use std::collections::BTreeMap;

use huce_core::db;
use rusqlite::Connection;

/// A name no other test of any run has: `prefix`, the process, the time in nanoseconds.
fn unique_name(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}{}_{nanos}", std::process::id())
}

/// A schema of its own in the test database, dropped when done.
pub(crate) struct Scratch {
    client: postgres::Client,
    name: String,
    url: String,
}

impl Scratch {
    /// The URL of the scratch schema, for a connection of the code under test. On Linux it
    /// leaves `sslmode` to the default (`prefer`: the cluster has SSL on, so these tests run
    /// encrypted through OpenSSL). Under Wine the connection is plain: Wine's SChannel stalls
    /// when two encrypted connections wait on each other's locks, which real Windows does not
    /// need checking here for the domain's tests (the encryption test says what Wine checks).
    pub(crate) fn url(&self) -> String {
        let plain = if cfg!(windows) {
            "&sslmode=disable"
        } else {
            ""
        };
        format!(
            "{}?options=-c%20search_path%3D{}{plain}",
            self.url, self.name
        )
    }

    pub(crate) fn new() -> Scratch {
        let url = std::env::var("HUCE_TEST_PG").expect(
            "HUCE_TEST_PG names the test server: start one with `bash scripts/pg-cluster.sh start` \
             (scripts/test.sh does) and set HUCE_TEST_PG to the URL it prints",
        );
        let mut client = postgres::Client::connect(&url, postgres::NoTls)
            .unwrap_or_else(|e| panic!("the test server at {url} answers: {e}"));
        let name = unique_name("t");
        client
            .batch_execute(&format!("CREATE SCHEMA {name}; SET search_path TO {name};"))
            .unwrap();
        Scratch { client, name, url }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = self
            .client
            .batch_execute(&format!("DROP SCHEMA {} CASCADE", self.name));
    }
}

/// One table as both engines are asked about it.
#[derive(Debug, Default, PartialEq)]
struct Table {
    /// name → (kind, not null, default)
    columns: BTreeMap<String, (String, bool, Option<String>)>,
    primary_key: Vec<String>,
    unique: Vec<Vec<String>>,
    /// (columns, table, its columns)
    foreign_keys: Vec<(Vec<String>, String, Vec<String>)>,
}

/// Defaults as text without PostgreSQL's casts (`'ordinary'::text` → `'ordinary'`).
fn plain_default(d: Option<String>) -> Option<String> {
    d.map(|d| match d.find("::") {
        Some(i) => d[..i].to_string(),
        None => d,
    })
}

fn sqlite_tables(conn: &Connection) -> BTreeMap<String, Table> {
    let names: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
             ORDER BY name",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut out = BTreeMap::new();
    for t in names {
        let mut table = Table::default();
        let mut pk: Vec<(i64, String)> = Vec::new();
        let mut stmt = conn
            .prepare("SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?1)")
            .unwrap();
        let mut rows = stmt.query([&t]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            let name: String = r.get(0).unwrap();
            let kind: String = r.get(1).unwrap();
            let key: i64 = r.get(4).unwrap();
            if key > 0 {
                pk.push((key, name.clone()));
            }
            let not_null = r.get::<_, bool>(2).unwrap() || key > 0;
            // The integer key is the row's own number: it has no default to compare.
            table
                .columns
                .insert(name, (kind, not_null, r.get(3).unwrap()));
        }
        pk.sort();
        table.primary_key = pk.into_iter().map(|(_, n)| n).collect();
        let uniques: Vec<String> = conn
            .prepare("SELECT name FROM pragma_index_list(?1) WHERE origin = 'u'")
            .unwrap()
            .query_map([&t], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for index in uniques {
            let cols: Vec<String> = conn
                .prepare("SELECT name FROM pragma_index_info(?1) ORDER BY seqno")
                .unwrap()
                .query_map([&index], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            table.unique.push(cols);
        }
        table.unique.sort();
        let mut fks: BTreeMap<i64, (Vec<String>, String, Vec<String>)> = BTreeMap::new();
        let mut stmt = conn
            .prepare(
                "SELECT id, \"from\", \"table\", \"to\" FROM pragma_foreign_key_list(?1) ORDER BY id, seq",
            )
            .unwrap();
        let mut rows = stmt.query([&t]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            let e = fks.entry(r.get(0).unwrap()).or_default();
            e.0.push(r.get(1).unwrap());
            e.1 = r.get(2).unwrap();
            e.2.push(r.get(3).unwrap());
        }
        table.foreign_keys = fks.into_values().collect();
        table.foreign_keys.sort();
        out.insert(t, table);
    }
    out
}

/// SQLite's column kinds for PostgreSQL's types.
fn kind_of(pg_type: &str) -> String {
    match pg_type {
        "bigint" => "INTEGER",
        "text" => "TEXT",
        "double precision" => "REAL",
        "bytea" => "BLOB",
        other => other,
    }
    .to_string()
}

fn server_tables(c: &mut postgres::Client, schema: &str) -> BTreeMap<String, Table> {
    let mut out: BTreeMap<String, Table> = BTreeMap::new();
    for r in c
        .query(
            "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text,
                    column_default::text, is_identity::text
             FROM information_schema.columns WHERE table_schema = $1
               AND table_name NOT IN ('huce_schema', 'photo_blobs')",
            &[&schema],
        )
        .unwrap()
    {
        let identity = r.get::<_, String>(5) == "YES";
        out.entry(r.get(0)).or_default().columns.insert(
            r.get(1),
            (
                kind_of(&r.get::<_, String>(2)),
                r.get::<_, String>(3) == "NO",
                if identity {
                    None
                } else {
                    plain_default(r.get(4))
                },
            ),
        );
    }
    // Keys from the catalogue: contype p (primary), u (unique), f (foreign).
    for r in c
        .query(
            "SELECT t.relname::text, k.contype::text,
                    array(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY u(n, o)
                          JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n ORDER BY u.o),
                    coalesce(f.relname::text, ''),
                    array(SELECT a.attname::text FROM unnest(coalesce(k.confkey, '{}')) WITH ORDINALITY u(n, o)
                          JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n ORDER BY u.o)
             FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid
             JOIN pg_namespace s ON s.oid = t.relnamespace
             LEFT JOIN pg_class f ON f.oid = k.confrelid
             WHERE s.nspname = $1 AND k.contype IN ('p', 'u', 'f')
               AND t.relname NOT IN ('huce_schema', 'photo_blobs')",
            &[&schema],
        )
        .unwrap()
    {
        let table = out.entry(r.get(0)).or_default();
        let cols: Vec<String> = r.get(2);
        match r.get::<_, String>(1).as_str() {
            "p" => table.primary_key = cols,
            "u" => table.unique.push(cols),
            _ => table.foreign_keys.push((cols, r.get(3), r.get(4))),
        }
    }
    for t in out.values_mut() {
        t.unique.sort();
        t.foreign_keys.sort();
    }
    out
}

#[test]
fn the_server_schema_is_the_file_schema_in_postgresqls_words() {
    let file = db::open_in_memory().unwrap();
    let mut s = Scratch::new();
    s.client.batch_execute(&db::postgres_schema()).unwrap();
    let version: i64 = s
        .client
        .query_one("SELECT version FROM huce_schema", &[])
        .unwrap()
        .get(0);
    assert_eq!(version, db::SCHEMA_VERSION, "the same schema version");

    let ours = sqlite_tables(&file);
    let theirs = server_tables(&mut s.client, &s.name);
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>(),
        "the same tables"
    );
    for (name, table) in &ours {
        assert_eq!(table, &theirs[name], "table {name}");
    }

    // The same named indexes (the server adds one: user names unique without regard to case)
    // and the same triggers.
    let file_indexes: Vec<String> = file
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut server_indexes: Vec<String> = s
        .client
        .query(
            "SELECT i.indexname::text FROM pg_indexes i WHERE i.schemaname = $1
               AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conname = i.indexname)
             ORDER BY 1",
            &[&s.name],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    server_indexes.retain(|n| n != "accounts_username_nocase");
    assert_eq!(file_indexes, server_indexes);
    let file_triggers: Vec<String> = file
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let server_triggers: Vec<String> = s
        .client
        .query(
            "SELECT DISTINCT trigger_name::text FROM information_schema.triggers
             WHERE trigger_schema = $1 ORDER BY 1",
            &[&s.name],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(file_triggers, server_triggers);
}

/// The server keeps what the file keeps: the checks refuse the same bad rows, the triggers
/// settle 待核实 entries and move cases with their household, user names are one per person
/// whatever the case.
#[test]
fn the_server_schema_refuses_and_follows_as_the_file_does() {
    let mut s = Scratch::new();
    let c = &mut s.client;
    c.batch_execute(&db::postgres_schema()).unwrap();
    c.batch_execute(
        "INSERT INTO villages (name) VALUES ('石鱼村'), ('太平村');
         INSERT INTO village_groups (village_id, name) VALUES (1, '1社'), (2, '1社');
         INSERT INTO households (village_id, group_id, head_name, created_at, updated_at)
           VALUES (1, 1, '张建国', '2026-11-29', '2026-11-29');
         INSERT INTO toilets (household_id, seq, baseline_source, created_at, updated_at)
           VALUES (1, 1, 'survey', '2026-11-29', '2026-11-29');
         INSERT INTO pending_checks (household_id, toilet_id, field, written, reason, created_at)
           VALUES (1, 1, 'build_year', '', '年份不是数字', '2026-11-29'),
                  (1, NULL, 'phone', '', '号码位数不对', '2026-11-29');
         INSERT INTO staff (name, created_at) VALUES ('王会计', '2026-11-29');
         INSERT INTO inspections (toilet_id, kind, inspected_on, household_status, has_problems,
                                  proposal_reason, recorded_by, recorded_at)
           VALUES (1, 'village_self', '2026-11-20', 'normal', 1, '渗漏', 1, '2026-11-29');
         INSERT INTO rectifications (toilet_id, household_id, village_id, group_id, inspection_id,
                                     proposal_reason, state, state_since, created_at)
           VALUES (1, 1, 1, 1, 1, '渗漏', 'pending', '2026-11-29', '2026-11-29');",
    )
    .unwrap();
    // Checks: a date not in the ISO form, a flag that is not 0/1, an unknown state.
    for bad in [
        "UPDATE inspections SET inspected_on = '2026/11/20'",
        "UPDATE inspections SET has_problems = 2",
        "UPDATE rectifications SET state = 'done'",
        "UPDATE rectifications SET planned_month = '2026-1'",
        "UPDATE households SET id_number = '123'",
        "UPDATE households SET group_id = 2", // 2 is another village's 社
    ] {
        let err = c.batch_execute(bad).expect_err(bad);
        assert!(
            err.as_db_error().is_some(),
            "{bad} is refused by the schema: {err}"
        );
    }
    // Triggers: a corrected field settles its 待核实 entry; a household moved to another 社
    // takes its cases along.
    c.batch_execute(
        "UPDATE toilets SET build_year = 2019, updated_at = '2026-11-30' WHERE id = 1;
         INSERT INTO village_groups (village_id, name) VALUES (1, '2社');
         UPDATE households SET group_id = 3, updated_at = '2026-11-30' WHERE id = 1;",
    )
    .unwrap();
    let settled: Vec<(String, Option<String>)> = c
        .query(
            "SELECT field, resolution FROM pending_checks ORDER BY id",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        settled,
        vec![
            ("build_year".to_string(), Some("superseded".to_string())),
            ("phone".to_string(), None)
        ]
    );
    let group: i64 = c
        .query_one("SELECT group_id FROM rectifications WHERE id = 1", &[])
        .unwrap()
        .get(0);
    assert_eq!(group, 3);
    // One account per user name, whatever the case.
    c.batch_execute(
        "INSERT INTO accounts (username, display_name, role, password_hash, created_at)
         VALUES ('Admin', '管理员', 'admin', 'x', '2026-11-29')",
    )
    .unwrap();
    assert!(c
        .batch_execute(
            "INSERT INTO accounts (username, display_name, role, password_hash, created_at)
             VALUES ('admin', '管理员', 'admin', 'x', '2026-11-29')",
        )
        .is_err());
}

/// Every row of every table of a database file, sorted, as text.
pub(crate) fn all_rows(conn: &Connection) -> BTreeMap<String, Vec<String>> {
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    tables
        .into_iter()
        .map(|t| {
            let mut stmt = conn.prepare(&format!("SELECT * FROM {t}")).unwrap();
            let n = stmt.column_count();
            let mut rows: Vec<String> = stmt
                .query_map([], |r| {
                    Ok((0..n)
                        .map(|i| format!("{:?}", r.get::<_, rusqlite::types::Value>(i).unwrap()))
                        .collect::<Vec<_>>()
                        .join("|"))
                })
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            rows.sort();
            (t, rows)
        })
        .collect()
}

/// #18 (4): a town pushed into an empty server database and pulled back into a new file is the
/// same town, every table row for row and the photos byte for byte; a target that is not empty
/// is refused, and the server's ids go on after the copied ones.
#[test]
fn a_town_pushed_to_the_server_and_pulled_back_is_the_same_in_every_table() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("石鱼镇.db");
    let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 29)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap();
    let mut conn = db::open(&file, now).unwrap();
    huce_core::demo::generate(
        &mut conn,
        huce_core::demo::DemoOptions {
            households: 300,
            seed: 7,
        },
        crate::NOW,
    )
    .unwrap();
    let photo_dir = huce_core::paths::photo_dir(&file);
    let src = dir.path().join("门前.jpg");
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.extend((0..5000u32).map(|i| (i as u8).wrapping_mul(11)));
    std::fs::write(&src, &bytes).unwrap();
    let photo = huce_core::photos::store(&conn, &photo_dir, &src, crate::NOW).unwrap();

    let scratch = Scratch::new();
    let mut server = huce_core::server::connect(&scratch.url()).unwrap();
    let mut told = Vec::new();
    let pushed = huce_core::server::push(&conn, &photo_dir, &mut server, &mut |t, n| {
        told.push((t.to_string(), n))
    })
    .unwrap();
    assert!(
        told.iter().any(|(t, _)| t == "households"),
        "progress is told"
    );
    let households: i64 = conn
        .query_row("SELECT count(*) FROM households", [], |r| r.get(0))
        .unwrap();
    assert!(pushed
        .tables
        .contains(&("households".to_string(), households as u64)));
    assert_eq!(pushed.photos, 1);
    assert!(pushed.audit_entries > 0);
    assert!(
        pushed.summary().contains(&format!("农户 {households} 户")),
        "{}",
        pushed.summary()
    );

    // Pushing again into the same (now full) database is refused, and changes nothing.
    let err = huce_core::server::push(&conn, &photo_dir, &mut server, &mut |_, _| {}).unwrap_err();
    assert!(err.to_string().contains("不是空的"), "{err}");

    // Pulled back into a new file: the same rows in every table, the photo, a sound chain.
    let copy = dir.path().join("副本.db");
    let pulled = huce_core::server::pull(&mut server, &copy, now, &mut |_, _| {}).unwrap();
    assert_eq!(pulled.tables.len(), pushed.tables.len());
    assert_eq!(pulled.photos, 1);
    assert_eq!(pulled.audit_entries, pushed.audit_entries);
    let copied = db::open(&copy, now).unwrap();
    let (ours, theirs) = (all_rows(&conn), all_rows(&copied));
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>()
    );
    for (table, rows) in &ours {
        assert!(
            rows == &theirs[table],
            "table {table} differs after the round trip"
        );
    }
    let copied_photo =
        huce_core::paths::photo_file(&huce_core::paths::photo_dir(&copy), &photo.file_name)
            .unwrap();
    assert_eq!(std::fs::read(copied_photo).unwrap(), bytes);
    assert!(huce_core::audit::verify(&copied).unwrap().ok());
    // A pull does not overwrite a file.
    let err = huce_core::server::pull(&mut server, &copy, now, &mut |_, _| {}).unwrap_err();
    assert!(err.to_string().contains("已经存在"), "{err}");

    // The server's next ids follow the copied ones.
    let mut c = scratch_client(&scratch);
    let max: i64 = c
        .query_one("SELECT max(id) FROM households", &[])
        .unwrap()
        .get(0);
    let next: i64 = c
        .query_one(
            "INSERT INTO households (village_id, group_id, head_name, created_at, updated_at)
             SELECT village_id, id, '新户', '2026-12-05', '2026-12-05' FROM village_groups LIMIT 1
             RETURNING id",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(next, max + 1);
}

/// A demo town in memory.
pub(crate) fn demo_town(households: usize, seed: u64) -> Connection {
    let mut conn = db::open_in_memory().unwrap();
    huce_core::demo::generate(
        &mut conn,
        huce_core::demo::DemoOptions { households, seed },
        crate::NOW,
    )
    .unwrap();
    conn
}

/// `conn` pushed into a scratch schema (kept while the first value lives), and a handle on it.
pub(crate) fn pushed(conn: &Connection) -> (Scratch, huce_core::sql::ServerConn) {
    let scratch = Scratch::new();
    let mut server = huce_core::server::connect(&scratch.url()).unwrap();
    let photos = tempfile::tempdir().unwrap();
    huce_core::server::push(conn, photos.path(), &mut server, &mut |_, _| {}).unwrap();
    let on_server = huce_core::sql::ServerConn::new(scratch_client(&scratch));
    (scratch, on_server)
}

pub(crate) fn scratch_client(s: &Scratch) -> postgres::Client {
    postgres::Client::connect(&s.url(), postgres::NoTls).unwrap()
}

/// A server that cannot be reached, or refuses the password, says so in Chinese.
#[test]
fn a_server_that_cannot_be_reached_or_refuses_the_login_says_so() {
    let err = huce_core::server::connect("postgres://huce:x@127.0.0.1:1/huce")
        .err()
        .unwrap();
    assert!(err.to_string().contains("连不上服务器数据库"), "{err}");
    let url = std::env::var("HUCE_TEST_PG").unwrap();
    let wrong = url.replacen("huce-test-only", "wrong-password", 1);
    let err = huce_core::server::connect(&wrong).err().unwrap();
    assert!(err.to_string().contains("用户名或密码"), "{err}");
    assert!(!err.to_string().contains("wrong-password"));
    let err = huce_core::server::connect("mysql://x").err().unwrap();
    assert!(err.to_string().contains("postgres://"), "{err}");
}

/// #18 (1): ported code runs unchanged on both engines — the village tree and the counts of a
/// town pushed to the server are those of its file.
#[test]
fn the_village_tree_reads_the_same_from_the_server() {
    let conn = demo_town(400, 9);
    // A 社 without a number sorts as the file sorts it (NULL first).
    let village = huce_core::households::tree(&conn).unwrap().villages[0].id;
    let first_order: i64 = conn
        .query_row(
            "SELECT min(sort_order) FROM village_groups WHERE village_id = ?1",
            [village],
            |r| r.get(0),
        )
        .unwrap();
    huce_core::households::add_group(&conn, village, "新建社", None, first_order).unwrap();
    let tree = huce_core::households::tree(&conn).unwrap();
    assert_eq!(tree.villages[0].groups[0].name, "新建社");
    let (_scratch, on_server) = pushed(&conn);

    let file_tree = huce_core::households::tree(&conn).unwrap();
    let server_tree = huce_core::households::tree(&on_server).unwrap();
    assert_eq!(
        serde_json::to_value(&file_tree).unwrap(),
        serde_json::to_value(&server_tree).unwrap()
    );
    assert!(file_tree.households > 0);
    assert_eq!(
        huce_core::households::counts(&conn).unwrap(),
        huce_core::households::counts(&on_server).unwrap()
    );

    // The household list: every search form, every worklist, the batch and the sample filters,
    // page by page; the worklists' counts; one household's details.
    use huce_core::households::{self, CaseList, CheckState, Disclosure, ListFilter, Scope};
    let some: Vec<(String, String)> = conn
        .prepare(
            "SELECT head_name, id_number FROM households WHERE id_number IS NOT NULL ORDER BY id LIMIT 3",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let initials = huce_core::search_keys::initials_variants(&some[0].0)[0].clone();
    let name_part: String = some[1].0.chars().skip(1).collect();
    let tail: String = some[2]
        .1
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let batch: Vec<i64> = conn
        .prepare("SELECT id FROM households ORDER BY id DESC LIMIT 7")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut filters = vec![ListFilter::default()];
    for check in CheckState::ALL {
        filters.push(ListFilter {
            check: Some(check),
            ..ListFilter::default()
        });
    }
    for case in CaseList::ALL {
        filters.push(ListFilter {
            case: Some(case),
            today: Some("2026-11-29".into()),
            immediate_days: 15,
            ..ListFilter::default()
        });
    }
    filters.push(ListFilter {
        households: Some(batch),
        ..ListFilter::default()
    });
    let mut compared = 0;
    for scope in [Scope::Town, Scope::Village(village)] {
        for search in ["", initials.as_str(), name_part.as_str(), tail.as_str()] {
            for extra in &filters {
                for offset in [0, 50] {
                    let a = households::list_in(
                        &conn,
                        scope,
                        search,
                        extra,
                        Disclosure::Masked,
                        offset,
                        50,
                    )
                    .unwrap();
                    let b = households::list_in(
                        &on_server,
                        scope,
                        search,
                        extra,
                        Disclosure::Masked,
                        offset,
                        50,
                    )
                    .unwrap();
                    assert_eq!(a, b, "{scope:?} {search:?} {extra:?} from {offset}");
                    compared += a.rows.len();
                }
            }
        }
        assert_eq!(
            households::worklist_counts(&conn, scope, "2026-11-29", 15).unwrap(),
            households::worklist_counts(&on_server, scope, "2026-11-29", 15).unwrap()
        );
    }
    assert!(compared > 300, "{compared} rows compared");
    let overdue = households::list_in(
        &conn,
        Scope::Town,
        "",
        &filters[1 + CheckState::ALL.len() + 2],
        Disclosure::Masked,
        0,
        50,
    )
    .unwrap();
    assert!(
        overdue.total > 0,
        "the demo town has overdue cases to compare"
    );
    let first = households::list(&conn, Scope::Town, "", Disclosure::Masked, 0, 1)
        .unwrap()
        .rows[0]
        .id;
    for disclosure in [Disclosure::Masked, Disclosure::Full] {
        assert_eq!(
            households::detail(&conn, first, disclosure).unwrap(),
            households::detail(&on_server, first, disclosure).unwrap()
        );
    }
    assert!(matches!(
        households::detail(&on_server, -1, Disclosure::Masked),
        Err(huce_core::Error::HouseholdNotFound(-1))
    ));
}

/// #18 (1): the 问题厕所台账 reads the same from the server: every category, state, paper state,
/// overdue and escalated filter, each sort, two pages, and the villages' counts.
#[test]
fn the_problem_ledger_reads_the_same_from_the_server() {
    use huce_core::households::Scope;
    use huce_core::rectification::{self, LedgerFilter, LedgerSort, PaperState};
    let conn = demo_town(600, 4);
    let (_scratch, on_server) = pushed(&conn);
    let village = huce_core::households::tree(&conn).unwrap().villages[0].id;

    let mut filters = Vec::new();
    for scope in [Scope::Town, Scope::Village(village)] {
        for category in [
            None,
            Some("undecided"),
            Some("immediate_fix"),
            Some("plan_district"),
        ] {
            for sort in [LedgerSort::Place, LedgerSort::Oldest, LedgerSort::Planned] {
                filters.push(LedgerFilter {
                    category: category.map(str::to_string),
                    sort,
                    ..LedgerFilter::all_of(scope)
                });
            }
        }
        for state in huce_core::model::CaseState::ALL {
            filters.push(LedgerFilter {
                state: Some(*state),
                ..LedgerFilter::all_of(scope)
            });
        }
        for paper in [
            PaperState::Unprinted,
            PaperState::Undelivered,
            PaperState::ReceiptMissing,
            PaperState::Returned,
        ] {
            filters.push(LedgerFilter {
                paper: Some(paper),
                ..LedgerFilter::all_of(scope)
            });
        }
        for kind in huce_core::model::Overdue::ALL {
            filters.push(LedgerFilter {
                overdue: Some(*kind),
                ..LedgerFilter::all_of(scope)
            });
        }
        filters.push(LedgerFilter {
            escalated_only: true,
            ..LedgerFilter::all_of(scope)
        });
    }
    let mut rows = 0;
    for f in &filters {
        for offset in [0, 40] {
            let a = rectification::ledger(&conn, f, "2026-11-29", offset, 40).unwrap();
            let b = rectification::ledger(&on_server, f, "2026-11-29", offset, 40).unwrap();
            assert_eq!(
                serde_json::to_value(&a).unwrap(),
                serde_json::to_value(&b).unwrap(),
                "{f:?} from {offset}"
            );
            rows += a.rows.len();
        }
    }
    assert!(rows > 200, "{rows} ledger rows compared");
    let overdue = rectification::ledger(
        &conn,
        &LedgerFilter {
            overdue: Some(huce_core::model::Overdue::Unrectified),
            ..LedgerFilter::all_of(Scope::Town)
        },
        "2026-11-29",
        0,
        10,
    )
    .unwrap();
    assert!(overdue.total > 0, "the demo town has overdue cases");
}

/// Every table of the server database behind `scratch`, pulled into a new file and read as
/// [`all_rows`] reads a file: a write done on both engines is compared table by table.
pub(crate) fn pulled_rows(scratch: &Scratch) -> BTreeMap<String, Vec<String>> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pulled.db");
    let mut server = huce_core::server::connect(&scratch.url()).unwrap();
    let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 29)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap();
    huce_core::server::pull(&mut server, &out, now, &mut |_, _| {}).unwrap();
    all_rows(&Connection::open(&out).unwrap())
}

/// Asserts two [`all_rows`] readings are the same, naming the first table that differs.
pub(crate) fn assert_same_rows(
    file: &BTreeMap<String, Vec<String>>,
    server: &BTreeMap<String, Vec<String>>,
) {
    for (table, rows) in file {
        let theirs = server
            .get(table)
            .unwrap_or_else(|| panic!("{table} is on the server"));
        if rows != theirs {
            let only_file: Vec<_> = rows
                .iter()
                .filter(|r| !theirs.contains(r))
                .take(3)
                .collect();
            let only_server: Vec<_> = theirs
                .iter()
                .filter(|r| !rows.contains(r))
                .take(3)
                .collect();
            panic!(
                "{table} differs: only in the file {only_file:?}; only on the server {only_server:?}"
            );
        }
    }
}

/// #18 (5): the audit log stays one chain when two PCs append at once (the append takes the
/// server's transaction lock), it verifies on the server, and an append there is the same entry
/// the file would have written.
#[test]
fn the_audit_log_stays_one_chain_when_two_pcs_append_at_once() {
    let conn = demo_town(30, 5);
    let (scratch, on_server) = pushed(&conn);
    let db = huce_core::sql::Db::Server(&on_server);
    assert!(huce_core::audit::verify(db).unwrap().ok());

    // The same append on both engines writes the same rows.
    for d in [huce_core::sql::Db::File(&conn), db] {
        huce_core::audit::set_actor(d, "王会计").unwrap();
        huce_core::audit::append(
            d,
            "2026-11-29T10:00:00+08:00",
            "test.note",
            "household",
            1,
            "一条记录",
            serde_json::json!({"a": 1}),
        )
        .unwrap();
    }
    assert_same_rows(&all_rows(&conn), &pulled_rows(&scratch));

    // Two PCs, each appending in its own transactions, interleaved on the server.
    let before = huce_core::audit::head(db).unwrap().unwrap().0;
    std::thread::scope(|s| {
        for pc in ["甲", "乙"] {
            let url = scratch.url();
            s.spawn(move || {
                let mine = huce_core::sql::ServerConn::new(
                    postgres::Client::connect(&url, postgres::NoTls).unwrap(),
                );
                let d = huce_core::sql::Db::Server(&mine);
                huce_core::audit::set_actor(d, pc).unwrap();
                for i in 0..20 {
                    d.atomically(|d| {
                        huce_core::audit::append(
                            d,
                            "2026-11-29T10:00:00+08:00",
                            "test.note",
                            "household",
                            i,
                            &format!("{pc}的第{i}条"),
                            serde_json::json!({}),
                        )?;
                        // Hold the transaction a moment so the other PC's append must wait.
                        std::thread::sleep(std::time::Duration::from_millis(2));
                        Ok(())
                    })
                    .unwrap();
                }
            });
        }
    });
    assert_eq!(huce_core::audit::head(db).unwrap().unwrap().0, before + 40);
    let v = huce_core::audit::verify(db).unwrap();
    assert!(v.ok(), "{}", v.message());
    let by: Vec<String> = db
        .query_map(
            "SELECT actor FROM audit_log WHERE id > ?1 ORDER BY id",
            [before],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(by.iter().filter(|a| *a == "甲").count(), 20);
    assert_eq!(by.iter().filter(|a| *a == "乙").count(), 20);
}

/// #18 (3): the first PC to reach an empty server database sets it up (the schema, its
/// identity); the next PCs find it ready; a database of another program, or of another version,
/// is refused with what to do.
#[test]
fn the_first_pc_sets_up_an_empty_server_database_and_the_next_find_it_ready() {
    let mut scratch = Scratch::new();
    let (conn, set_up) = huce_core::server::open(&scratch.url()).unwrap();
    assert_eq!(set_up, huce_core::server::SetUp::New);
    let db = huce_core::sql::Db::Server(&conn);
    assert!(
        huce_core::settings::get(db, huce_core::settings::KEY_DATABASE_ID)
            .unwrap()
            .is_some_and(|id| id.len() == 32)
    );
    assert_eq!(huce_core::households::counts(db).unwrap(), (0, 0));
    assert!(huce_core::audit::verify(db).unwrap().ok());
    // It starts as a new file does: the 问题口径 list the migrations give.
    let file = db::open_in_memory().unwrap();
    let items = huce_core::problem_items::problem_items(db, true).unwrap();
    assert!(!items.is_empty());
    assert_eq!(
        items,
        huce_core::problem_items::problem_items(&file, true).unwrap()
    );
    drop(conn);
    let (_, again) = huce_core::server::open(&scratch.url()).unwrap();
    assert_eq!(again, huce_core::server::SetUp::Ready);

    scratch
        .client
        .batch_execute("UPDATE huce_schema SET version = version + 1")
        .unwrap();
    let err = huce_core::server::open(&scratch.url()).err().unwrap();
    assert!(err.to_string().contains("升级"), "{err}");
    scratch
        .client
        .batch_execute("UPDATE huce_schema SET version = 13")
        .unwrap();
    let err = huce_core::server::open(&scratch.url()).err().unwrap();
    assert!(err.to_string().contains("无法升级"), "{err}");

    let other = Scratch::new();
    let mut c = scratch_client(&other);
    c.batch_execute("CREATE TABLE invoices (id bigint)")
        .unwrap();
    let err = huce_core::server::open(&other.url()).err().unwrap();
    assert!(err.to_string().contains("不是空的"), "{err}");
}

/// #18 (5): every change moves a household's or case's version on, on both engines; a save
/// that names the version it saw is refused, with who changed the record meanwhile, when
/// another PC changed it first; of two PCs saving at the same moment, one wins.
#[test]
fn a_change_made_meanwhile_on_another_pc_is_refused_with_its_author() {
    use huce_core::versions::{claim, current, Versioned};
    let conn = demo_town(30, 5);
    let (scratch, on_server) = pushed(&conn);
    let case: i64 = conn
        .query_row("SELECT min(id) FROM rectifications", [], |r| r.get(0))
        .unwrap();
    for db in [
        huce_core::sql::Db::File(&conn),
        huce_core::sql::Db::Server(&on_server),
    ] {
        let seen = current(db, Versioned::Household, 1).unwrap();
        // Any write moves it on (the trigger), an import's as a clerk's.
        db.execute(
            "UPDATE households SET phone = '13800000000' WHERE id = 1",
            [],
        )
        .unwrap();
        let now = current(db, Versioned::Household, 1).unwrap();
        assert_eq!(now, seen + 1);
        huce_core::audit::set_actor(db, "王会计").unwrap();
        huce_core::audit::append(
            db,
            "2026-11-29T10:32:00+08:00",
            "household.edit",
            "household",
            1,
            "改了电话",
            serde_json::json!({}),
        )
        .unwrap();
        let err = claim(db, Versioned::Household, 1, seen).unwrap_err();
        assert_eq!(err.code(), "conflict", "{err}");
        let m = err.to_string();
        assert!(
            m.contains("王会计") && m.contains("2026-11-29 10:32") && m.contains("改了电话"),
            "{m}"
        );
        claim(db, Versioned::Household, 1, now).unwrap();
        assert_eq!(current(db, Versioned::Household, 1).unwrap(), now + 1);

        let v = current(db, Versioned::Case, case).unwrap();
        db.execute(
            "UPDATE rectifications SET measures = '换便器' WHERE id = ?1",
            [case],
        )
        .unwrap();
        let err = claim(db, Versioned::Case, case, v).unwrap_err();
        assert!(err.to_string().contains("这个整改问题"), "{err}");
    }

    // Two PCs claim the same case at once, each in its own transaction on the server.
    let seen = current(
        huce_core::sql::Db::Server(&on_server),
        Versioned::Case,
        case,
    )
    .unwrap();
    let results: Vec<Result<(), String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let url = scratch.url();
                s.spawn(move || {
                    let mine = huce_core::sql::ServerConn::new(
                        postgres::Client::connect(&url, postgres::NoTls).unwrap(),
                    );
                    let d = huce_core::sql::Db::Server(&mine);
                    d.atomically(|d| {
                        claim(d, Versioned::Case, case, seen)?;
                        std::thread::sleep(std::time::Duration::from_millis(50));
                        Ok(())
                    })
                    .map_err(|e| e.to_string())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    assert!(results
        .iter()
        .any(|r| r.as_ref().is_err_and(|m| m.contains("没有写入"))));
}

/// A statement whose parameter type the server cannot tell from the SQL (`?1 IS NULL` alone)
/// is prepared again with the value's type — inside a transaction too, which the failed first
/// try must not abort.
#[test]
fn a_parameter_the_server_cannot_type_works_inside_a_transaction() {
    let conn = demo_town(10, 3);
    let (_scratch, on_server) = pushed(&conn);
    let db = huce_core::sql::Db::Server(&on_server);
    let n: i64 = db
        .atomically(|d| {
            d.execute(
                "UPDATE settings SET value = value WHERE key = 'town_name'",
                [],
            )?;
            let n: i64 = d.query_row(
                "SELECT count(*) FROM households WHERE ?1 IS NULL OR ?2 IS NULL",
                [Some("x"), None],
                |r| r.get(0),
            )?;
            d.execute(
                "UPDATE settings SET value = value WHERE key = 'town_name'",
                [],
            )?;
            Ok(n)
        })
        .unwrap();
    assert_eq!(n, 10);
}

/// #18 (5): two PCs sign the same result at the same moment: one signature stands, the other
/// PC is told who signed it — not a bare database error, and no second signature.
#[test]
fn two_pcs_signing_one_result_at_once_leave_one_signature_and_say_who() {
    let conn = demo_town(30, 5);
    let (scratch, on_server) = pushed(&conn);
    let id: i64 = huce_core::sql::Db::Server(&on_server)
        .query_row(
            "SELECT min(id) FROM inspections WHERE id NOT IN (SELECT inspection_id FROM signoffs)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    // Two reviewers' accounts on the server.
    let reviewers: Vec<huce_core::accounts::Account> = ["jia", "yi"]
        .iter()
        .zip(["甲审核人", "乙审核人"])
        .map(|(user, name)| {
            huce_core::accounts::add(
                huce_core::sql::Db::Server(&on_server),
                &huce_core::accounts::Account::local("管理员"),
                &huce_core::accounts::AccountInput {
                    username: user.to_string(),
                    display_name: name.into(),
                    role: huce_core::model::Role::Reviewer,
                    staff_id: None,
                    password: Some("reviewer-2026".into()),
                    active: true,
                },
                crate::NOW,
            )
            .unwrap()
        })
        .collect();
    let barrier = std::sync::Barrier::new(2);
    let results: Vec<Result<usize, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = reviewers
            .iter()
            .map(|who| {
                let url = scratch.url();
                let barrier = &barrier;
                s.spawn(move || {
                    let mine = huce_core::sql::ServerConn::new(
                        postgres::Client::connect(&url, postgres::NoTls).unwrap(),
                    );
                    barrier.wait();
                    huce_core::signoff::sign(
                        huce_core::sql::Db::Server(&mine),
                        who,
                        &[id],
                        huce_core::signoff::Step::Review,
                        crate::NOW,
                    )
                    .map(|s| s.signed)
                    .map_err(|e| format!("{}: {e}", e.code()))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        results.iter().filter(|r| r == &&Ok(1)).count(),
        1,
        "{results:?}"
    );
    let told = results.iter().find_map(|r| r.as_ref().err()).unwrap();
    assert!(
        told.starts_with("conflict") && told.contains("审核人") && told.contains("已由"),
        "{told}"
    );
    let active: i64 = huce_core::sql::Db::Server(&on_server)
        .query_row(
            "SELECT count(*) FROM signoffs WHERE inspection_id = ?1 AND cleared_at IS NULL",
            [id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(active, 1);
}

/// #18 (1): a server database set up by the previous program (version 14) is brought up to
/// this one's by the first PC that opens it, in one transaction: version 15 keeps each
/// toilet's first inspection, written from the inspections already there; version 16 counts
/// unknown user names in the database; version 17 gives the search keys their households'
/// places; version 19 each toilet its household's village; version 20 keeps 多方比对 per
/// toilet, every inspected toilet marked to be worked out; version 21 lists each household's
/// search keys on its row.
#[test]
fn a_server_database_of_the_previous_version_is_upgraded_by_the_first_pc() {
    let town = demo_town(300, 9);
    let file = &town;
    let (scratch, _) = pushed(file);
    // Back to version 14 as the previous program left it.
    let mut c = scratch_client(&scratch);
    c.batch_execute(
        "ALTER TABLE households DROP COLUMN search_terms;
         CREATE INDEX household_search_by_household ON household_search(household_id);",
    )
    .unwrap();
    let mut undo_20 = String::new();
    for (table, triggers) in [
        (
            "inspections",
            "inspection_added inspection_changed inspection_removed",
        ),
        (
            "inspection_problems",
            "problem_added problem_changed problem_removed",
        ),
        (
            "inspection_members",
            "member_added member_changed member_removed",
        ),
        ("problem_items", "problem_item_renamed"),
        ("toilets", "toilet_changed"),
        ("households", "household_changed"),
        ("change_log", "correction"),
    ] {
        for t in triggers.split(' ') {
            undo_20.push_str(&format!("DROP TRIGGER compare_after_{t} ON {table};\n"));
        }
    }
    undo_20.push_str(
        "DROP FUNCTION compare_after_inspection(), compare_after_inspection_part(),
           compare_after_problem_item_renamed(), compare_after_toilet_changed(),
           compare_after_household_changed(), compare_after_correction(), compare_mark(bigint);
         DROP TABLE compare_pending, compare_toilets, compare_differences, compare_counts,
           compare_self_checks;
         DROP INDEX inspection_members_by_staff;",
    );
    c.batch_execute(&undo_20).unwrap();
    c.batch_execute(
        "DROP TRIGGER toilets_village_when_added ON toilets;
         DROP TRIGGER toilets_village_when_moved ON toilets;
         DROP TRIGGER toilets_follow_household ON households;
         DROP FUNCTION toilets_take_village();
         DROP FUNCTION toilets_follow_household();
         ALTER TABLE toilets DROP COLUMN village_id;
         DROP TRIGGER toilets_first_inspection_added ON inspections;
         DROP TRIGGER toilets_first_inspection_changed ON inspections;
         DROP TRIGGER toilets_first_inspection_removed ON inspections;
         DROP FUNCTION toilets_first_inspections();
         ALTER TABLE toilets DROP COLUMN first_inspected_on;
         ALTER TABLE toilets DROP COLUMN first_rechecked_on;
         DROP TABLE unknown_logins;
         DROP TRIGGER household_search_goes_with_household ON households;
         DROP FUNCTION household_search_goes_with_household();
         ALTER TABLE household_search ADD FOREIGN KEY (household_id)
           REFERENCES households(id) ON DELETE CASCADE;
         DROP TRIGGER household_search_follows_household ON households;
         DROP FUNCTION household_search_follows_household();
         ALTER TABLE household_search DROP CONSTRAINT household_search_pkey;
         ALTER TABLE household_search DROP COLUMN village_id;
         ALTER TABLE household_search DROP COLUMN group_id;
         ALTER TABLE household_search ADD PRIMARY KEY (term, household_id);
         UPDATE huce_schema SET version = 14;",
    )
    .unwrap();
    let (conn, set_up) = huce_core::server::open(&scratch.url()).unwrap();
    assert_eq!(set_up, huce_core::server::SetUp::Upgraded(14));
    let version: i64 = c
        .query_one("SELECT version FROM huce_schema", &[])
        .unwrap()
        .get(0);
    assert_eq!(version, db::SCHEMA_VERSION);
    let keys_checked: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_constraint
             WHERE conrelid = CAST('household_search' AS regclass) AND contype = 'f'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(keys_checked, 0, "the search keys' foreign key is gone (18)");
    let err =
        huce_core::accounts::login(&conn, "nobody", "wrong-pass1", "2026-11-29T10:00:00+08:00")
            .unwrap_err();
    assert_eq!(
        err.to_string(),
        huce_core::accounts::WRONG_LOGIN,
        "unknown names are counted"
    );
    let search = |db: huce_core::sql::Db<'_>| {
        huce_core::households::list(
            db,
            huce_core::households::Scope::Town,
            "zj",
            huce_core::households::Disclosure::Full,
            0,
            50,
        )
        .unwrap()
    };
    let (there, here) = (
        search(huce_core::sql::Db::Server(&conn)),
        search(huce_core::sql::Db::File(file)),
    );
    assert!(there.total > 0);
    assert_eq!(
        (there.total, format!("{:?}", there.rows)),
        (here.total, format!("{:?}", here.rows)),
        "the keys found and listed in order as on the file"
    );
    // Each household lists its keys on its row (21), the same as the file's.
    let listed = |db: huce_core::sql::Db<'_>| -> Vec<(i64, Vec<String>)> {
        db.query_map(
            "SELECT id, search_terms FROM households ORDER BY id",
            [],
            |r| Ok((r.get(0)?, r.get::<_, String>(1)?)),
        )
        .unwrap()
        .into_iter()
        .map(|(id, terms)| {
            let mut terms: Vec<String> = serde_json::from_str(&terms).unwrap();
            terms.sort();
            (id, terms)
        })
        .collect()
    };
    let on_server = listed(huce_core::sql::Db::Server(&conn));
    assert!(on_server.iter().all(|(_, terms)| !terms.is_empty()));
    assert_eq!(on_server, listed(huce_core::sql::Db::File(file)));
    // The same kept days as the file's, and the same 进度调度.
    let days = |sql: &str| -> Vec<(i64, Option<String>, Option<String>)> {
        huce_core::sql::Db::Server(&conn)
            .query_map(sql, [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
    };
    // Each toilet's village (19), from its household, as on the file.
    let villages = |db: huce_core::sql::Db<'_>| -> Vec<(i64, Option<i64>)> {
        db.query_map("SELECT id, village_id FROM toilets ORDER BY id", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap()
    };
    let on_server = villages(huce_core::sql::Db::Server(&conn));
    assert!(on_server.iter().all(|(_, v)| v.is_some()));
    assert_eq!(on_server, villages(huce_core::sql::Db::File(file)));
    let sql = "SELECT id, first_inspected_on, first_rechecked_on FROM toilets ORDER BY id";
    let on_server = days(sql);
    assert!(on_server.iter().any(|(_, first, _)| first.is_some()));
    assert_eq!(
        on_server,
        huce_core::sql::Db::File(file)
            .query_map(sql, [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
    );
    assert_eq!(
        huce_core::progress::progress(huce_core::sql::Db::Server(&conn), "2026-11-29").unwrap(),
        huce_core::progress::progress(file, "2026-11-29").unwrap()
    );
    // Every inspected toilet marked (20), and the same 多方比对 as the file's.
    let marked: i64 = c
        .query_one("SELECT count(*) FROM compare_pending", &[])
        .unwrap()
        .get(0);
    let inspected: i64 = file
        .query_row(
            "SELECT count(DISTINCT toilet_id) FROM inspections",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(inspected > 0);
    assert_eq!(marked, inspected);
    let whole = huce_core::households::Scope::Town;
    assert_eq!(
        huce_core::compare::compare(huce_core::sql::Db::Server(&conn), whole).unwrap(),
        huce_core::compare::compare(file, whole).unwrap()
    );
    drop(conn);
    let (_, again) = huce_core::server::open(&scratch.url()).unwrap();
    assert_eq!(again, huce_core::server::SetUp::Ready);
}

/// #18 (3): the connection is encrypted when the settings ask: `require` encrypts without
/// checking the certificate (libpq's meaning); `verify-full` with the office's root certificate
/// checks it and that it names the host; without that certificate, or by a name the certificate
/// does not carry, it is refused in Chinese and nothing is opened; `disable` stays plain.
#[test]
fn connections_are_encrypted_when_asked_and_the_certificate_checked() {
    let s = Scratch::new();
    let mut c = scratch_client(&s);
    let ssl: String = c.query_one("SHOW ssl", &[]).unwrap().get(0);
    assert_eq!(
        ssl, "on",
        "scripts/pg-cluster.sh starts the cluster with SSL"
    );
    let cert: String = c.query_one("SHOW ssl_cert_file", &[]).unwrap().get(0);
    let base = s.url().replace("&sslmode=disable", "");
    let encrypted = |extra: &str| -> huce_core::Result<bool> {
        let mut server = huce_core::server::connect(&format!("{base}&{extra}"))?;
        server.set_up()?;
        let conn = server.into_conn();
        huce_core::sql::Db::Server(&conn).query_row(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            [],
            |r| r.get(0),
        )
    };
    assert!(!encrypted("sslmode=disable").unwrap());
    assert!(encrypted("sslmode=require").unwrap());
    let err = encrypted("sslmode=verify-full&sslrootcert=/nowhere/ca.crt")
        .unwrap_err()
        .to_string();
    assert!(err.contains("读不到根证书文件"), "{err}");
    // Not trusted: a self-signed certificate nobody gave this PC.
    let err = encrypted("sslmode=verify-full").unwrap_err().to_string();
    assert!(err.contains("证书没有通过校验"), "{err}");
    // Checking against a root certificate file is OpenSSL's (Linux) here: Wine's SChannel does
    // not take an extra root for a self-signed certificate, and real Windows is not at hand.
    // On Windows the README has the office install the certificate into the trusted roots.
    if cfg!(windows) {
        return;
    }
    let root = format!("sslrootcert={}", percent(&cert));
    assert!(encrypted(&format!("sslmode=verify-full&{root}")).unwrap());
    assert!(encrypted(&format!("sslmode=verify-ca&{root}")).unwrap());

    // Trusted, but reached by a name the certificate does not carry (it names 127.0.0.1 only):
    // verify-ca takes it, verify-full does not.
    let by_name = s.url().replace("127.0.0.1", "localhost");
    assert_ne!(by_name, s.url());
    let via = |mode: &str| {
        huce_core::server::connect(&format!("{by_name}&sslmode={mode}&{root}")).map(|_| ())
    };
    via("verify-ca").unwrap();
    let err = via("verify-full").err().unwrap().to_string();
    assert!(err.contains("证书没有通过校验"), "{err}");
}

/// `%XX` for everything but unreserved characters (a path in a URL's query).
fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// #19: 多方比对 kept on the server while another PC saves. PC 1's comparison has taken the
/// marks (its refresh not yet committed) when PC 2 changes one of those toilets: PC 2 waits
/// for PC 1 and marks the toilet again, so PC 1's next comparison shows PC 2's change; nothing
/// is lost between the two.
#[test]
fn a_change_saved_while_another_pc_compares_is_in_the_next_comparison() {
    use huce_core::households::Scope;
    let conn = demo_town(120, 5);
    let (scratch, first) = pushed(&conn);
    let pc1 = huce_core::sql::Db::Server(&first);
    huce_core::compare::rebuild(pc1).unwrap();
    let check: i64 = pc1
        .query_row(
            "SELECT max(id) FROM inspections WHERE in_normal_use IS NOT NULL AND kind = 'town_recheck'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let (taken, saved) = (
        std::sync::mpsc::channel::<()>(),
        std::sync::mpsc::channel::<()>(),
    );
    std::thread::scope(|s| {
        let url = scratch.url();
        let pc2 = s.spawn(move || {
            let second = huce_core::sql::ServerConn::new(
                postgres::Client::connect(&url, postgres::NoTls).unwrap(),
            );
            taken.1.recv().unwrap();
            // Waits on PC 1's refresh, which holds the toilet's mark.
            huce_core::sql::Db::Server(&second)
                .execute(
                    "UPDATE inspections SET in_normal_use = 1 - in_normal_use WHERE id = ?1",
                    [check],
                )
                .unwrap();
            saved.0.send(()).unwrap();
        });
        pc1.atomically(|db| {
            huce_core::compare::compare(db, Scope::Town)?;
            taken.0.send(()).unwrap();
            // PC 2 is held until this commits.
            let waited = saved
                .1
                .recv_timeout(std::time::Duration::from_millis(500))
                .is_err();
            assert!(waited, "PC 2's mark waits for PC 1's refresh");
            Ok(())
        })
        .unwrap();
        saved.1.recv().unwrap();
        pc2.join().unwrap();
    });
    let marked: i64 = pc1
        .query_row("SELECT count(*) FROM compare_pending", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        marked, 1,
        "PC 2's toilet is marked again after PC 1 committed"
    );
    let kept = huce_core::compare::compare(pc1, Scope::Town).unwrap();
    huce_core::compare::rebuild(pc1).unwrap();
    assert_eq!(kept, huce_core::compare::compare(pc1, Scope::Town).unwrap());
}

/// #19: the other order. A toilet is already marked when PC 2 changes it again in a unit of
/// work still open; PC 1's comparison waits for PC 2 to commit (PC 2's mark locked the row)
/// and so works out the toilet with PC 2's change, instead of taking the old mark and missing it.
#[test]
fn a_comparison_waits_for_a_change_of_a_marked_toilet_being_saved() {
    use huce_core::households::Scope;
    let conn = demo_town(120, 5);
    let (scratch, first) = pushed(&conn);
    let pc1 = huce_core::sql::Db::Server(&first);
    huce_core::compare::compare(pc1, Scope::Town).unwrap();
    let check: i64 = pc1
        .query_row(
            "SELECT max(id) FROM inspections WHERE in_normal_use IS NOT NULL AND kind = 'town_recheck'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let flip = "UPDATE inspections SET in_normal_use = 1 - in_normal_use WHERE id = ?1";
    // Marked, not yet worked out.
    pc1.execute(flip, [check]).unwrap();
    let changing = std::sync::mpsc::channel::<()>();
    let kept = std::thread::scope(|s| {
        let url = scratch.url();
        s.spawn(move || {
            let second = huce_core::sql::ServerConn::new(
                postgres::Client::connect(&url, postgres::NoTls).unwrap(),
            );
            huce_core::sql::Db::Server(&second)
                .atomically(|db| {
                    db.execute(flip, [check])?;
                    db.execute(flip, [check])?;
                    db.execute(flip, [check])?;
                    changing.0.send(()).unwrap();
                    std::thread::sleep(std::time::Duration::from_millis(300));
                    Ok(())
                })
                .unwrap();
        });
        changing.1.recv().unwrap();
        huce_core::compare::compare(pc1, Scope::Town).unwrap()
    });
    huce_core::compare::rebuild(pc1).unwrap();
    assert_eq!(
        kept,
        huce_core::compare::compare(pc1, Scope::Town).unwrap(),
        "the comparison made while PC 2 saved shows PC 2's change"
    );
}

/// A database of its own on the test cluster that compares text as Chinese does (ICU `zh`, by
/// pinyin), as one made with a Windows installer's defaults on a Chinese system does; dropped
/// when done.
struct ChineseOrderDatabase {
    admin: postgres::Client,
    name: String,
    url: String,
}

impl ChineseOrderDatabase {
    fn new() -> ChineseOrderDatabase {
        let base = std::env::var("HUCE_TEST_PG").unwrap();
        let mut admin = postgres::Client::connect(&base, postgres::NoTls).unwrap();
        let name = unique_name("zh");
        admin
            .batch_execute(&format!(
                "CREATE DATABASE {name} LOCALE_PROVIDER icu ICU_LOCALE 'zh' LOCALE 'C' TEMPLATE template0"
            ))
            .unwrap();
        let (server, _) = base.rsplit_once('/').unwrap();
        // Plain under Wine, as [`Scratch::url`] says why.
        let plain = if cfg!(windows) {
            "?sslmode=disable"
        } else {
            ""
        };
        let url = format!("{server}/{name}{plain}");
        let mut probe = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        let pinyin: bool = probe.query_one("SELECT '张' < '丁'", &[]).unwrap().get(0);
        assert!(!pinyin, "the database compares 张 and 丁 by pinyin");
        ChineseOrderDatabase { admin, name, url }
    }
}

impl Drop for ChineseOrderDatabase {
    fn drop(&mut self) {
        let _ = self
            .admin
            .batch_execute(&format!("DROP DATABASE {} WITH (FORCE)", self.name));
    }
}

/// The text columns of the database at `url` that do not compare in code-point order.
fn not_in_code_point_order(url: &str) -> i64 {
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    c.query_one(huce_core::db::POSTGRES_NOT_IN_CODE_POINT_ORDER, &[])
        .unwrap()
        .get(0)
}

/// A town pushed to a server database that compares text as Chinese does finds what the file
/// finds, for every kind of search: one character of a name anywhere in it, pinyin initials of
/// every length, two characters, a whole name, an ID number's last digits; and sorts names as
/// the file does.
#[test]
fn a_server_database_ordering_text_as_chinese_searches_and_sorts_as_the_file() {
    let conn = demo_town(300, 21);
    let zh = ChineseOrderDatabase::new();
    let mut server = huce_core::server::connect(&zh.url).unwrap();
    let photos = tempfile::tempdir().unwrap();
    huce_core::server::push(&conn, photos.path(), &mut server, &mut |_, _| {}).unwrap();
    assert_eq!(not_in_code_point_order(&zh.url), 0);
    let on_server = huce_core::sql::ServerConn::new(
        postgres::Client::connect(&zh.url, postgres::NoTls).unwrap(),
    );

    let people: Vec<(String, Option<String>)> = conn
        .prepare("SELECT head_name, id_number FROM households ORDER BY id LIMIT 12")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut searches: Vec<String> = Vec::new();
    for (name, id) in &people {
        let chars: Vec<char> = name.chars().collect();
        searches.extend(chars.iter().map(|c| c.to_string()));
        searches.push(chars[..2].iter().collect());
        searches.push(name.clone());
        let initials = huce_core::search_keys::initials_variants(name)[0].clone();
        for n in 1..=initials.len() {
            searches.push(initials[..n].to_string());
        }
        if let Some(id) = id {
            searches.push(id[id.len() - 4..].to_string());
        }
    }
    use huce_core::households::{self, Disclosure, ListFilter, Scope};
    let mut found = 0;
    for search in &searches {
        let filter = ListFilter::default();
        let a = households::list_in(
            &conn,
            Scope::Town,
            search,
            &filter,
            Disclosure::Masked,
            0,
            500,
        )
        .unwrap();
        let b = households::list_in(
            &on_server,
            Scope::Town,
            search,
            &filter,
            Disclosure::Masked,
            0,
            500,
        )
        .unwrap();
        assert!(
            a.total > 0,
            "{search:?} finds its own household in the file"
        );
        assert_eq!(a, b, "search {search:?}");
        found += a.total;
    }
    assert!(found > searches.len() as i64, "{found} households found");

    // Lists ordered by name come in the file's order: the staff (the header's 当前操作人, the
    // pickers), as every PC and every printed list shows them.
    let file_staff = huce_core::staff::list_staff(&conn, true).unwrap();
    assert!(file_staff.len() > 10);
    assert_eq!(
        huce_core::staff::list_staff(&on_server, true).unwrap(),
        file_staff
    );
}

/// A server database that a program before this one set up keeps the database's own text order;
/// the first PC to connect with this one changes every text column to code-point order and keeps
/// every trigger (a trigger naming a column is made again around the change).
#[test]
fn a_server_database_set_up_in_its_own_text_order_is_changed_to_code_points() {
    let zh = ChineseOrderDatabase::new();
    let mut c = postgres::Client::connect(&zh.url, postgres::NoTls).unwrap();
    let before = db::postgres_schema().replace(db::POSTGRES_CODE_POINT_ORDER, "");
    c.batch_execute(&before).unwrap();
    let triggers = |c: &mut postgres::Client| -> Vec<String> {
        c.query(
            "SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class r ON r.oid = t.tgrelid
             WHERE r.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal
             ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
    };
    let had = triggers(&mut c);
    assert!(had.iter().any(|t| t.contains("UPDATE OF")), "{had:?}");
    assert!(not_in_code_point_order(&zh.url) > 20);

    let (_, set_up) = huce_core::server::open(&zh.url).unwrap();
    assert!(matches!(set_up, huce_core::server::SetUp::Ready));
    assert_eq!(not_in_code_point_order(&zh.url), 0);
    assert_eq!(triggers(&mut c), had, "every trigger, as it was");
    // The next PC finds nothing to change.
    huce_core::server::open(&zh.url).unwrap();
    assert_eq!(not_in_code_point_order(&zh.url), 0);
}
