//! 多方比对 kept per toilet (#19): after each kind of change the comparison is made of, the
//! comparison read from what is kept equals one worked out afresh from every inspection, and
//! only the toilets changed are worked out again. On the run's engine.

use huce_core::compare::{self, Comparison};
use huce_core::households::Scope;

use crate::engine::{self, TestDb};

fn one(t: &TestDb, sql: &str) -> i64 {
    t.query_row(sql, [], |r| r.get(0)).unwrap()
}

fn kept(t: &TestDb, scope: Scope) -> Comparison {
    compare::compare(t.db(), scope).unwrap()
}

/// The comparison with nothing kept: every inspected toilet worked out again.
fn afresh(t: &TestDb, scope: Scope) -> Comparison {
    compare::rebuild(t.db()).unwrap();
    compare::compare(t.db(), scope).unwrap()
}

#[test]
fn what_is_kept_follows_every_change_and_equals_a_comparison_worked_out_afresh() {
    let t = engine::demo(300, 11);
    let mut before = kept(&t, Scope::Town);
    assert_eq!(before, afresh(&t, Scope::Town));
    assert_eq!(one(&t, "SELECT count(*) FROM compare_pending"), 0);
    // A toilet checked by the village and re-checked by the town, both finding the household
    // living there, with a staff member not in the village check's group and a problem item
    // neither check found.
    let toilet = one(
        &t,
        "SELECT a.toilet_id FROM inspections a JOIN inspections b ON b.toilet_id = a.toilet_id
         WHERE a.kind = 'village_self' AND b.kind = 'town_recheck'
           AND a.household_status = 'normal' AND b.household_status = 'normal'
           AND a.in_normal_use IS NOT NULL AND b.in_normal_use IS NOT NULL
         ORDER BY a.toilet_id LIMIT 1",
    );
    let check = |kind: &str| {
        one(
            &t,
            &format!(
                "SELECT max(id) FROM inspections WHERE toilet_id = {toilet} AND kind = '{kind}'"
            ),
        )
    };
    let (village_check, town_check) = (check("village_self"), check("town_recheck"));
    let item = one(
        &t,
        &format!(
            "SELECT min(id) FROM problem_items WHERE id NOT IN
               (SELECT item_id FROM inspection_problems WHERE inspection_id IN ({village_check}, {town_check}))"
        ),
    );
    let newcomer = one(
        &t,
        &format!(
            "SELECT min(id) FROM staff WHERE id NOT IN
               (SELECT staff_id FROM inspection_members WHERE inspection_id = {village_check})"
        ),
    );
    let household = one(
        &t,
        &format!("SELECT household_id FROM toilets WHERE id = {toilet}"),
    );
    // A 社 of another village, for the household to move to.
    let (village, elsewhere, its_village): (i64, i64, i64) = t
        .query_row(
            &format!(
                "SELECT h.village_id, g.id, g.village_id FROM households h, village_groups g
                 WHERE h.id = {household} AND g.village_id <> h.village_id ORDER BY g.id LIMIT 1"
            ),
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    // A toilet checked by the village only, which the town then re-checks.
    let once = one(
        &t,
        "SELECT toilet_id FROM inspections GROUP BY toilet_id HAVING count(*) = 1
         ORDER BY toilet_id LIMIT 1",
    );
    let recorder = one(&t, "SELECT min(id) FROM staff");

    let steps: Vec<(&str, String)> = vec![
        (
            "the re-check's answer on normal use changed",
            format!("UPDATE inspections SET in_normal_use = 1 - in_normal_use WHERE id = {town_check}"),
        ),
        (
            "a problem added to the village's check",
            format!(
                "INSERT INTO inspection_problems (inspection_id, item_id, stops_use)
                 VALUES ({village_check}, {item}, 1)"
            ),
        ),
        (
            "the problem item renamed",
            format!("UPDATE problem_items SET name = name || '（改名）' WHERE id = {item}"),
        ),
        (
            "the problem taken off again",
            format!(
                "DELETE FROM inspection_problems WHERE inspection_id = {village_check} AND item_id = {item}"
            ),
        ),
        (
            "a staff member added to the village check's group",
            format!(
                "INSERT INTO inspection_members (inspection_id, staff_id) VALUES ({village_check}, {newcomer})"
            ),
        ),
        (
            "the village check's date changed",
            format!("UPDATE inspections SET inspected_on = '2022-08-01' WHERE id = {village_check}"),
        ),
        (
            "the toilet's number changed",
            format!("UPDATE toilets SET seq = seq + 100 WHERE id = {toilet}"),
        ),
        (
            "the household's head renamed",
            format!("UPDATE households SET head_name = head_name || '甲' WHERE id = {household}"),
        ),
        (
            "the baseline's use status changed",
            format!(
                "UPDATE toilets SET use_status = CASE WHEN use_status = 'in_use' THEN 'unusable'
                 ELSE 'in_use' END WHERE id = {toilet}"
            ),
        ),
        (
            "a baseline field corrected by the village's check",
            format!(
                "INSERT INTO change_log (at, actor, entity, entity_id, field, old_value, new_value, source)
                 VALUES ('2026-11-29T10:00:00+08:00', '测试员', 'toilet', {toilet}, '补助年度', '2019', '2020',
                         '入户核查（村级自查，核查记录 {village_check}）')"
            ),
        ),
        (
            "the household moved to a 社 of another village",
            format!(
                "UPDATE households SET village_id = {its_village}, group_id = {elsewhere} WHERE id = {household}"
            ),
        ),
        (
            "a toilet checked once re-checked by the town",
            format!(
                "INSERT INTO inspections (toilet_id, kind, inspected_on, household_status, in_normal_use,
                     has_problems, proposal_reason, recorded_by, recorded_at)
                 VALUES ({once}, 'town_recheck', '2022-11-02', 'vacant', NULL, 0, '', {recorder},
                         '2026-11-29T10:00:00+08:00')"
            ),
        ),
        (
            "the re-check deleted",
            format!(
                "DELETE FROM inspections WHERE toilet_id = {once} AND kind = 'town_recheck'"
            ),
        ),
    ];
    for (what, sql) in steps {
        t.execute_batch(&sql).unwrap();
        let marked = one(&t, "SELECT count(*) FROM compare_pending");
        assert!(
            (1..=2).contains(&marked),
            "{what}: the toilet changed is marked, not more ({marked})"
        );
        let now = kept(&t, Scope::Town);
        assert_ne!(now, before, "{what}: the comparison shows it");
        assert_eq!(one(&t, "SELECT count(*) FROM compare_pending"), 0);
        let fresh = afresh(&t, Scope::Town);
        assert_eq!(now, fresh, "{what}: as worked out afresh");
        before = fresh;
    }
    // A village and a 社 read from what is kept, after a change, as afresh.
    t.execute_batch(&format!(
        "UPDATE inspections SET in_normal_use = 1 - in_normal_use WHERE id = {town_check}"
    ))
    .unwrap();
    for scope in [
        Scope::Village(village),
        Scope::Village(its_village),
        Scope::Group(elsewhere),
    ] {
        let now = kept(&t, scope);
        assert_eq!(now, afresh(&t, scope), "{scope:?}");
    }
}

/// A comparison made inside a unit of work on a database file sees that unit's own changes:
/// its two reads then run on the one connection (a second connection would read the file as
/// last committed, with the kept rows before the change). File only: the server's handle
/// already keeps a transaction's reads on its own connection.
#[test]
fn a_comparison_inside_a_transaction_sees_the_transactions_changes() {
    let dir = tempfile::tempdir().unwrap();
    let conn = crate::town_file(&dir.path().join("town.db"), 600, 8);
    let before = compare::compare(&conn, Scope::Town).unwrap();
    // A group to re-check, and a toilet nobody has inspected yet that it now checks.
    let group = before
        .groups
        .iter()
        .find(|g| !g.toilets.is_empty() && !g.staff.is_empty())
        .expect("the demo town has a group to re-check");
    let toilet: i64 = conn
        .query_row(
            "SELECT max(id) FROM toilets WHERE id NOT IN (SELECT toilet_id FROM inspections)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let db = huce_core::sql::Db::File(&conn);
    let inside = db
        .atomically(|db| {
            let check: i64 = db.query_row(
                "INSERT INTO inspections (toilet_id, kind, inspected_on, household_status,
                     in_normal_use, has_problems, proposal_reason, recorded_by, recorded_at)
                 VALUES (?1, 'village_self', '2022-09-30', 'normal', 1, 0, '', ?2,
                         '2026-11-29T10:00:00+08:00')
                 RETURNING id",
                [toilet, group.staff[0]],
                |r| r.get(0),
            )?;
            for s in &group.staff {
                db.execute(
                    "INSERT INTO inspection_members (inspection_id, staff_id) VALUES (?1, ?2)",
                    [check, *s],
                )?;
            }
            compare::compare(db, Scope::Town)
        })
        .unwrap();
    let now = inside
        .groups
        .iter()
        .find(|g| g.staff == group.staff)
        .unwrap();
    assert!(
        now.toilets.contains(&toilet),
        "the group's batch has the toilet it checked in this unit of work"
    );
}
