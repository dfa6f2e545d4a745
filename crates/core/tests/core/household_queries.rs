//! The household tree, list, search (names, pinyin initials, ID digits) and detail, with
//! masking of personal data, on the real schema.

use crate::engine::TestDb;
use crate::NOW;
use huce_core::households::{self, Disclosure, Scope};
use huce_core::model::{BaselineSource, HouseholdCategory, NewHousehold, NewToilet, TechMode};

struct Fixture {
    conn: TestDb,
    v1: i64,
    v2: i64,
    g1: i64,
    g2: i64,
}

fn household(group_id: i64, name: &str, id: Option<&str>, phone: Option<&str>) -> NewHousehold {
    NewHousehold {
        group_id,
        head_name: name.to_string(),
        id_number: id.map(str::to_string),
        phone: phone.map(str::to_string),
        address: None,
        registered_pop: Some(3),
        resident_pop: Some(2),
        category: HouseholdCategory::Ordinary,
        is_resident: true,
    }
}

fn toilet(mode: TechMode) -> NewToilet {
    NewToilet {
        tech_mode: Some(mode),
        location: None,
        build_year: Some(2017),
        subsidized: Some(true),
        subsidy_year: Some(2017),
        subsidy_amount_fen: Some(100_000),
        project_name: Some("2017年农村户厕改造项目".into()),
        is_sanitary: Some(true),
        use_status: None,
        baseline_source: BaselineSource::Subsidy,
    }
}

/// Two villages; 石鱼村 has 1社 and 2社.
fn fixture() -> Fixture {
    let conn = crate::engine::fresh();
    let v1 = households::add_village(&conn, "石鱼村", 1).unwrap();
    let v2 = households::add_village(&conn, "太平村", 2).unwrap();
    let g1 = households::add_group(&conn, v1, "1社", Some(1), 1).unwrap();
    let g2 = households::add_group(&conn, v1, "2社", Some(2), 2).unwrap();
    let g3 = households::add_group(&conn, v2, "1社", Some(1), 1).unwrap();
    let rows = [
        (
            g1,
            "张建国",
            Some("11010519491231002X"),
            Some("13812345678"),
        ),
        (g1, "曾建华", Some("440524188001010014"), None),
        (g2, "单雄信", None, None),
        (g2, "刘䶮", None, None),
        (g3, "张建国", None, None),
        (g3, "王100%_", None, None),
    ];
    for (g, name, id, phone) in rows {
        let h = households::insert_household(&conn, &household(g, name, id, phone), NOW).unwrap();
        households::insert_toilet(&conn, h, &toilet(TechMode::ThreeCompartment), NOW).unwrap();
    }
    Fixture {
        conn,
        v1,
        v2,
        g1,
        g2,
    }
}

/// 曾建华's household (1社 of 石鱼村): the one the tests move and delete.
fn zeng(f: &Fixture) -> i64 {
    f.conn
        .query_row(
            "SELECT id FROM households WHERE head_name = '曾建华'",
            [],
            |r| r.get(0),
        )
        .unwrap()
}

fn names(conn: &TestDb, scope: Scope, q: &str) -> Vec<String> {
    households::list(
        conn,
        scope,
        q,
        huce_core::households::Disclosure::Full,
        0,
        100,
    )
    .unwrap()
    .rows
    .into_iter()
    .map(|r| r.head_name)
    .collect()
}

#[test]
fn search_cases() {
    let f = fixture();
    // (scope, query, expected names in list order)
    let cases: Vec<(Scope, &str, Vec<&str>)> = vec![
        (
            Scope::Town,
            "",
            vec!["张建国", "曾建华", "单雄信", "刘䶮", "张建国", "王100%_"],
        ),
        (Scope::Town, "建国", vec!["张建国", "张建国"]),
        (Scope::Village(f.v1), "建国", vec!["张建国"]),
        (Scope::Town, "建", vec!["张建国", "曾建华", "张建国"]),
        (Scope::Town, "张建国", vec!["张建国", "张建国"]),
        (Scope::Town, "曾建华", vec!["曾建华"]),
        (Scope::Town, "建华", vec!["曾建华"]),
        (Scope::Town, "国建", vec![]),
        (Scope::Town, "zjg", vec!["张建国", "张建国"]),
        (Scope::Town, "ZJ", vec!["张建国", "曾建华", "张建国"]),
        (Scope::Town, "zjh", vec!["曾建华"]),
        (Scope::Town, "sxx", vec!["单雄信"]),
        (Scope::Town, "ly", vec!["刘䶮"]),
        (Scope::Town, "䶮", vec!["刘䶮"]),
        (Scope::Town, "002X", vec!["张建国"]),
        (Scope::Town, "002x", vec!["张建国"]),
        (Scope::Town, "0014", vec!["曾建华"]),
        (Scope::Town, "9999", vec![]),
        (Scope::Group(f.g2), "", vec!["单雄信", "刘䶮"]),
        (Scope::Group(f.g1), "sxx", vec![]),
        (Scope::Town, "100%_", vec!["王100%_"]),
        (Scope::Town, "0%_", vec!["王100%_"]),
        (Scope::Town, "%", vec!["王100%_"]),
        // `_` and `%` are literal, not LIKE wildcards: "10_" must not match "100".
        (Scope::Town, "10_", vec![]),
        (Scope::Town, "1%", vec![]),
    ];
    for (scope, q, want) in cases {
        assert_eq!(names(&f.conn, scope, q), want, "search {q:?} in {scope:?}");
    }
}

#[test]
fn paging_reports_total_and_slices() {
    let f = fixture();
    let page = households::list(
        &f.conn,
        Scope::Town,
        "",
        huce_core::households::Disclosure::Full,
        2,
        3,
    )
    .unwrap();
    assert_eq!(page.total, 6, "total counts all matches, not the page");
    assert_eq!(page.offset, 2);
    let got: Vec<_> = page.rows.iter().map(|r| r.head_name.as_str()).collect();
    assert_eq!(got, vec!["单雄信", "刘䶮", "张建国"]);
    let beyond = households::list(
        &f.conn,
        Scope::Town,
        "",
        huce_core::households::Disclosure::Full,
        100,
        10,
    )
    .unwrap();
    assert!(beyond.rows.is_empty() && beyond.total == 6);
}

#[test]
fn list_rows_are_masked_and_counted() {
    let f = fixture();
    let page = households::list(
        &f.conn,
        Scope::Group(f.g1),
        "",
        huce_core::households::Disclosure::Full,
        0,
        10,
    )
    .unwrap();
    let first = &page.rows[0];
    assert_eq!(
        first.id_number_masked.as_deref(),
        Some("110105********002X")
    );
    assert_eq!(first.toilet_count, 1);
    assert_eq!(first.group_name, "1社");
    assert_eq!(first.village_name, "石鱼村");
}

#[test]
fn tree_counts_every_level() {
    let f = fixture();
    let tree = households::tree(&f.conn).unwrap();
    assert_eq!((tree.households, tree.toilets), (6, 6));
    let v1 = tree.villages.iter().find(|v| v.id == f.v1).unwrap();
    assert_eq!((v1.households, v1.toilets), (4, 4));
    assert_eq!(
        v1.groups.iter().map(|g| g.households).collect::<Vec<_>>(),
        vec![2, 2]
    );
    let v2 = tree.villages.iter().find(|v| v.id == f.v2).unwrap();
    assert_eq!(v2.households, 2);
}

#[test]
fn detail_masks_by_default_and_reports_checksum() {
    let f = fixture();
    let id = households::list(
        &f.conn,
        Scope::Group(f.g1),
        "zjg",
        huce_core::households::Disclosure::Full,
        0,
        1,
    )
    .unwrap()
    .rows[0]
        .id;
    let masked = households::detail(&f.conn, id, Disclosure::Masked).unwrap();
    assert_eq!(masked.id_number.as_deref(), Some("110105********002X"));
    assert_eq!(masked.phone.as_deref(), Some("138****5678"));
    assert_eq!(masked.id_number_valid, Some(true));
    assert_eq!(masked.toilets.len(), 1);
    assert_eq!(
        masked.toilets[0].tech_mode,
        Some(TechMode::ThreeCompartment)
    );
    assert_eq!(masked.toilets[0].subsidy_year, Some(2017));
    let full = households::detail(&f.conn, id, Disclosure::Full).unwrap();
    assert_eq!(full.id_number.as_deref(), Some("11010519491231002X"));
    assert_eq!(full.phone.as_deref(), Some("13812345678"));
}

#[test]
fn missing_household_is_a_clear_error() {
    let f = fixture();
    let err = households::detail(&f.conn, 999_999, Disclosure::Masked).unwrap_err();
    assert_eq!(err.code(), "household_not_found");
    assert!(err.to_string().contains("刷新列表"), "{err}");
}

#[test]
fn toilets_get_consecutive_numbers() {
    let f = fixture();
    let h =
        households::insert_household(&f.conn, &household(f.g1, "李四", None, None), NOW).unwrap();
    for _ in 0..3 {
        households::insert_toilet(&f.conn, h, &toilet(TechMode::Biogas), NOW).unwrap();
    }
    let seqs: Vec<i64> = households::toilets_of(&f.conn, h)
        .unwrap()
        .iter()
        .map(|t| t.seq)
        .collect();
    assert_eq!(seqs, vec![1, 2, 3]);
}

#[test]
fn household_in_unknown_group_is_refused_in_chinese() {
    let f = fixture();
    let err = households::insert_household(&f.conn, &household(424242, "李四", None, None), NOW)
        .unwrap_err();
    assert!(err.to_string().contains("社（编号 424242）不存在"), "{err}");
}

#[test]
fn duplicate_id_number_is_refused() {
    let f = fixture();
    let dup = household(f.g2, "张建国", Some("11010519491231002x"), None);
    assert!(
        households::insert_household(&f.conn, &dup, NOW).is_err(),
        "the same ID number (x and X alike) must not belong to two households"
    );
}

/// A search of the whole town by a name part or pinyin initials is counted from the search
/// keys alone; the count is still the number of households listed, and the sum of the same
/// search's counts in each village (counted from the households).
#[test]
fn a_town_search_counts_what_it_lists_and_what_its_villages_count() {
    let conn = crate::engine::demo(400, 3);
    let tree = households::tree(conn.db()).unwrap();
    for q in ["建", "国", "秀英", "明", "z", "zj", "l", "wm", "zjg"] {
        let town = households::list(conn.db(), Scope::Town, q, Disclosure::Full, 0, 500).unwrap();
        assert_eq!(town.total as usize, town.rows.len(), "{q}");
        let in_villages: i64 = tree
            .villages
            .iter()
            .map(|v| {
                households::list(conn.db(), Scope::Village(v.id), q, Disclosure::Full, 0, 1)
                    .unwrap()
                    .total
            })
            .sum();
        assert_eq!(town.total, in_villages, "{q}");
        if matches!(q, "z" | "l" | "明") {
            assert!(town.total > 5, "{q} matches households in this town");
        }
    }
}

/// A household moved to another 社 (as an import moves one) is found there by its name and
/// pinyin, in that 社's place in the list, and no longer in the 社 it left.
#[test]
fn a_household_moved_to_another_group_is_found_there() {
    let f = fixture();
    let moved = zeng(&f);
    f.conn
        .execute(
            "UPDATE households SET group_id = ?1, village_id = ?2 WHERE id = ?3",
            [f.g2, f.v1, moved],
        )
        .unwrap();
    assert_eq!(names(&f.conn, Scope::Group(f.g2), "建华"), ["曾建华"]);
    assert_eq!(names(&f.conn, Scope::Group(f.g2), "zjh"), ["曾建华"]);
    assert!(names(&f.conn, Scope::Group(f.g1), "建华").is_empty());
    // In the town's list it now comes after 1社's households.
    assert_eq!(
        names(&f.conn, Scope::Village(f.v1), "zj"),
        ["张建国", "曾建华"]
    );
    assert_eq!(
        names(&f.conn, Scope::Town, "建"),
        ["张建国", "曾建华", "张建国"]
    );
}

/// Each toilet carries its household's village (schema 19, so that 进度调度 groups the
/// toilets without the households): written with the toilet, given by the database to a toilet
/// written without it, and moved with its household to another village.
#[test]
fn a_toilet_carries_its_households_village() {
    let f = fixture();
    let agree = |conn: &TestDb| {
        crate::count(
            conn,
            "SELECT count(*) FROM toilets t JOIN households h ON h.id = t.household_id
             WHERE t.village_id = h.village_id",
        )
    };
    assert_eq!(agree(&f.conn), 6);
    let moved = zeng(&f);
    let other_group: i64 = f
        .conn
        .query_row(
            "SELECT id FROM village_groups WHERE village_id = ?1",
            [f.v2],
            |r| r.get(0),
        )
        .unwrap();
    f.conn
        .execute(
            "UPDATE households SET group_id = ?1, village_id = ?2 WHERE id = ?3",
            [other_group, f.v2, moved],
        )
        .unwrap();
    assert_eq!(agree(&f.conn), 6);
    let there = format!(
        "SELECT count(*) FROM toilets WHERE household_id = {moved} AND village_id = {}",
        f.v2
    );
    assert_eq!(crate::count(&f.conn, &there), 1);
    // Another program's toilet, written without the village.
    f.conn
        .execute(
            "INSERT INTO toilets (household_id, seq, baseline_source, created_at, updated_at)
             VALUES (?1, 2, 'field', '2026-11-29', '2026-11-29')",
            [moved],
        )
        .unwrap();
    assert_eq!(crate::count(&f.conn, &there), 2);
    assert_eq!(agree(&f.conn), 7);
    // Back to its first 社: both toilets go along.
    f.conn
        .execute(
            "UPDATE households SET group_id = ?1, village_id = ?2 WHERE id = ?3",
            [f.g1, f.v1, moved],
        )
        .unwrap();
    assert_eq!(crate::count(&f.conn, &there), 0);
    assert_eq!(agree(&f.conn), 7);
}

/// A household deleted takes its search keys along (they carry no foreign key since schema 18:
/// a trigger deletes them), so a search neither finds nor counts it.
#[test]
fn a_deleted_household_leaves_no_search_keys() {
    let f = fixture();
    let gone = zeng(&f);
    let keys = |id: i64| -> i64 {
        f.conn
            .query_row(
                "SELECT count(*) FROM household_search WHERE household_id = ?1",
                [id],
                |r| r.get(0),
            )
            .unwrap()
    };
    assert!(keys(gone) > 0);
    f.conn
        .execute("DELETE FROM toilets WHERE household_id = ?1", [gone])
        .unwrap();
    f.conn
        .execute("DELETE FROM households WHERE id = ?1", [gone])
        .unwrap();
    assert_eq!(keys(gone), 0);
    assert!(names(&f.conn, Scope::Town, "zjh").is_empty());
}

/// A one-character search finds the character wherever it stands in the name (first, in the
/// middle, last, twice), each household once and counted as listed, in the town and in a
/// village; a name's keys are its two-character parts and its last character (#19), and a file
/// written before, with a key for every single character as well, is searched the same.
#[test]
fn a_one_character_search_finds_the_character_anywhere_in_the_name() {
    let f = fixture();
    for (g, name) in [(f.g2, "王小王"), (f.g1, "小明")] {
        households::insert_household(&f.conn, &household(g, name, None, None), NOW).unwrap();
    }
    let search = |scope: Scope, q: &str| {
        let page = households::list(f.conn.db(), scope, q, Disclosure::Full, 0, 100).unwrap();
        let names: Vec<String> = page.rows.into_iter().map(|r| r.head_name).collect();
        assert_eq!(
            page.total as usize,
            names.len(),
            "search {q:?} in {scope:?}"
        );
        names
    };
    let cases: Vec<(Scope, &str, Vec<&str>)> = vec![
        (Scope::Town, "张", vec!["张建国", "张建国"]),
        (Scope::Town, "曾", vec!["曾建华"]),
        (Scope::Town, "建", vec!["张建国", "曾建华", "张建国"]),
        (Scope::Town, "国", vec!["张建国", "张建国"]),
        (Scope::Town, "王", vec!["王小王", "王100%_"]),
        (Scope::Town, "小", vec!["小明", "王小王"]),
        (Scope::Village(f.v1), "王", vec!["王小王"]),
        (Scope::Village(f.v2), "王", vec!["王100%_"]),
        (Scope::Group(f.g1), "明", vec!["小明"]),
        (Scope::Town, "_", vec!["王100%_"]),
        (Scope::Town, "雄", vec!["单雄信"]),
        (Scope::Town, "李", vec![]),
    ];
    for (scope, q, want) in &cases {
        assert_eq!(search(*scope, q), *want, "search {q:?} in {scope:?}");
    }
    let keys_of = |name: &str| -> Vec<String> {
        f.conn
            .db()
            .query_map(
                "SELECT s.term FROM household_search s JOIN households h ON h.id = s.household_id
                 WHERE h.head_name = ?1 AND s.term LIKE 'n%' ORDER BY s.term",
                [name],
                |r| r.get(0),
            )
            .unwrap()
    };
    assert_eq!(keys_of("曾建华"), ["n华", "n建华", "n曾建"]);
    // The keys an earlier program wrote: every single character too.
    f.conn
        .execute(
            "INSERT INTO household_search (term, household_id, village_id, group_id)
             SELECT 'n' || substr(head_name, n.i, 1), id, village_id, group_id
             FROM households, (SELECT 1 AS i UNION ALL SELECT 2 UNION ALL SELECT 3) n
             WHERE n.i <= length(head_name)
             ON CONFLICT DO NOTHING",
            [],
        )
        .unwrap();
    assert_eq!(keys_of("曾建华"), ["n华", "n建", "n建华", "n曾", "n曾建"]);
    for (scope, q, want) in &cases {
        assert_eq!(search(*scope, q), *want, "earlier keys: {q:?} in {scope:?}");
    }
}
