//! 月调度 numbers checked against direct SQL counts on a demo town, on several dates.

use huce_core::progress::{self, Measure};

use crate::engine::{self, TestDb};

fn count(t: &TestDb, sql: &str, village: i64, day: &str) -> i64 {
    t.query_row(sql, rusqlite::params![village, day], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// The state of a case on ?2, written independently of the core: the latest move up to it.
/// A case's state on the day: its last move by then (an opening to 待整改 moves nothing; a case
/// begins there).
const STATE_ON: &str = "coalesce((SELECT e.to_state FROM rectification_events e
    WHERE e.rectification_id = r.id AND e.to_state IS NOT NULL AND e.happened_on <= ?2
      AND NOT (e.kind = 'opened' AND e.to_state = 'pending')
    ORDER BY e.happened_on DESC, e.id DESC LIMIT 1), 'pending')";

#[test]
fn dashboard_numbers_match_direct_sql_counts() {
    let t = engine::demo(1500, 7);
    let week_before = huce_core::sql::days_before(t.engine(), "?2", 7);
    // Past the deadline on ?2: 逾期未整改 when not rectified, 逾期待验收 when rectified and not
    // yet accepted.
    let late = format!(
        "(r.planned_month < substr(?2, 1, 7) OR (r.category = 'immediate_fix' AND r.opened_on < {week_before}))"
    );
    let cases = "FROM rectifications r JOIN inspections i ON i.id = r.inspection_id
         WHERE r.village_id = ?1 AND r.opened_on <= ?2";
    for day in [
        "2022-09-10",
        "2022-09-30",
        "2022-10-20",
        "2023-06-30",
        "2026-11-29",
    ] {
        let p = progress::progress(&t, day).unwrap();
        assert_eq!(p.as_of, day);
        assert!(!p.villages.is_empty());
        for v in &p.villages {
            let id = v.village_id;
            let q = |sql: &str| count(&t, sql, id, day);
            let expected = [
                q("SELECT count(*) FROM households WHERE village_id = ?1 AND ?2 = ?2"),
                q("SELECT count(*) FROM toilets t JOIN households h ON h.id = t.household_id WHERE h.village_id = ?1 AND ?2 = ?2"),
                q("SELECT count(DISTINCT i.toilet_id) FROM inspections i JOIN toilets t ON t.id = i.toilet_id JOIN households h ON h.id = t.household_id WHERE h.village_id = ?1 AND i.inspected_on <= ?2"),
                q("SELECT count(DISTINCT i.toilet_id) FROM inspections i JOIN toilets t ON t.id = i.toilet_id JOIN households h ON h.id = t.household_id WHERE h.village_id = ?1 AND i.inspected_on <= ?2 AND i.kind = 'town_recheck'"),
                q(&format!("SELECT count(*) {cases}")),
                q(&format!("SELECT count(*) {cases} AND r.category IS NULL")),
                q(&format!("SELECT count(*) {cases} AND r.category = 'immediate_fix'")),
                q(&format!("SELECT count(*) {cases} AND r.category = 'plan_district'")),
                q(&format!("SELECT count(*) {cases} AND r.category = 'plan_town_funded'")),
                q(&format!("SELECT count(*) {cases} AND {STATE_ON} IN ('awaiting_acceptance', 'closed')")),
                q(&format!("SELECT count(*) {cases} AND {STATE_ON} = 'closed'")),
                q(&format!("SELECT count(*) {cases} AND {STATE_ON} IN ('pending', 'in_progress') AND {late}")),
                q(&format!("SELECT count(*) {cases} AND {STATE_ON} = 'awaiting_acceptance' AND {late}")),
            ];
            let got = [
                v.households,
                v.toilets,
                v.inspected,
                v.rechecked,
                v.problems,
                v.undecided,
                v.immediate_fix,
                v.plan_district,
                v.plan_town_funded,
                v.rectified,
                v.closed,
                v.overdue_unrectified,
                v.overdue_awaiting,
            ];
            assert_eq!(got, expected, "{} on {day}", v.name);
        }
        let sum = |f: fn(&progress::Counts) -> i64| p.villages.iter().map(f).sum::<i64>();
        assert_eq!(p.town.inspected, sum(|v| v.inspected));
        assert_eq!(p.town.closed, sum(|v| v.closed));
        assert_eq!(p.town.households, sum(|v| v.households));
        // The line ends at the town's totals.
        if let Some(last) = p.timeline.last() {
            assert!(last.date.as_str() <= day);
            assert_eq!(
                (last.inspected, last.problems, last.closed),
                (p.town.inspected, p.town.problems, p.town.closed)
            );
        } else {
            assert_eq!(p.town.inspected, 0);
        }
        // The ranking is by score, best first, and every village has a rank.
        for w in p.ranking.windows(2) {
            assert!(p.villages[w[0]].score >= p.villages[w[1]].score);
        }
        assert_eq!(p.villages[p.ranking[0]].rank, 1);
    }

    // Before the field work nothing is counted; by today every toilet of the demo was seen.
    let early = progress::progress(&t, "2022-09-10").unwrap();
    assert_eq!((early.town.inspected, early.town.problems), (0, 0));
    let late = progress::progress(&t, "2026-11-29").unwrap();
    assert!(late.town.inspected > 0 && late.town.closed > 0 && late.town.overdue_unrectified > 0);
    // The phases against the date: the inspection phase is over, and a village that has not
    // inspected every toilet is marked behind.
    let inspection = late
        .phases
        .iter()
        .find(|s| s.phase.measure == Some(Measure::Inspection))
        .unwrap();
    assert_eq!(inspection.state, "已结束");
    assert_eq!(inspection.expected, Some(100.0));
    for v in &late.villages {
        let behind = inspection.behind.contains(&v.name);
        assert_eq!(behind, v.inspected < v.toilets, "{}", v.name);
        assert_eq!(
            behind,
            v.behind
                .iter()
                .any(|b| b.starts_with(&inspection.phase.name)),
            "{}",
            v.name
        );
    }
    let mid = progress::progress(&t, "2022-09-28").unwrap();
    let s = mid
        .phases
        .iter()
        .find(|s| s.phase.measure == Some(Measure::Inspection))
        .unwrap();
    assert_eq!(s.state, "进行中");
    // 13 of the phase's 25 days have passed.
    assert!(
        (s.expected.unwrap() - 52.0).abs() < 1e-9,
        "{:?}",
        s.expected
    );
    let before = progress::progress(&t, "2022-08-01").unwrap();
    assert!(before.phases.iter().all(|s| s.state == "未开始"));

    let err = progress::progress(&t, "2022-13-01")
        .unwrap_err()
        .to_string();
    assert!(err.contains("不是有效日期"), "{err}");
}

/// The ranking does not reward finding nothing (#15): a village without problem toilets has no
/// 销号率 ("—"), its 综合进度 is its 排查率 alone (not a mean with a 100% it did not earn), and
/// each village's 问题发现率 stands beside the town's.
#[test]
fn finding_nothing_is_not_a_perfect_close_out() {
    let t = engine::demo(600, 2);
    // One village's problem cases and their problems are taken away: it "found nothing".
    let quiet: i64 = t
        .query_row(
            "SELECT id FROM villages ORDER BY sort_order LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    t.execute_batch(&format!(
        "DELETE FROM rectification_events WHERE rectification_id IN (SELECT id FROM rectifications WHERE village_id = {quiet});
         DELETE FROM rectifications WHERE village_id = {quiet};
         DELETE FROM inspection_problems WHERE inspection_id IN
           (SELECT i.id FROM inspections i JOIN toilets t ON t.id = i.toilet_id
            JOIN households h ON h.id = t.household_id WHERE h.village_id = {quiet});
         UPDATE inspections SET has_problems = 0 WHERE toilet_id IN
           (SELECT t.id FROM toilets t JOIN households h ON h.id = t.household_id WHERE h.village_id = {quiet});"
    ))
    .unwrap();
    let p = progress::progress(&t, "2026-11-29").unwrap();
    let v = p.villages.iter().find(|v| v.village_id == quiet).unwrap();
    assert_eq!(v.problems, 0);
    assert!(v.inspected > 0);
    assert_eq!(v.closed_percent(), None);
    assert_eq!(v.rates.closed, "—");
    assert_eq!(v.rates.closed_percent, None);
    assert!(
        (v.score - v.inspected_percent()).abs() < 1e-9,
        "{} {}",
        v.score,
        v.inspected_percent()
    );
    assert_eq!(v.rates.found, "0.0%");
    // A village with problems: the mean of the two, and its finding rate. The close-out the
    // ranking takes counts a case waiting past its deadline for the town's acceptance
    // (逾期待验收) as closed: the village is not ranked down for the town's late acceptance.
    let busy = p.villages.iter().find(|v| v.problems > 0).unwrap();
    let closed = busy.ranked_closed_percent().unwrap();
    assert_eq!(
        closed,
        huce_core::model::percent(busy.closed + busy.overdue_awaiting, busy.problems)
    );
    assert!((busy.score - (busy.inspected_percent() + closed) / 2.0).abs() < 1e-9);
    assert_eq!(
        busy.rates.found,
        huce_core::model::rate_text(busy.problems, busy.inspected)
    );
    assert_eq!(
        p.town.rates.found,
        huce_core::model::rate_text(p.town.problems, p.town.inspected)
    );
}

/// Toilets whose kept first inspection or first town re-check (schema 15) differ from what
/// the inspections say.
fn kept_days_wrong(t: &TestDb) -> i64 {
    t.query_row(
        "SELECT count(*) FROM toilets t
         WHERE t.first_inspected_on IS DISTINCT FROM
                 (SELECT min(i.inspected_on) FROM inspections i WHERE i.toilet_id = t.id)
            OR t.first_rechecked_on IS DISTINCT FROM
                 (SELECT min(i.inspected_on) FROM inspections i
                  WHERE i.toilet_id = t.id AND i.kind = 'town_recheck')",
        [],
        |r| r.get(0),
    )
    .unwrap()
}

/// The first inspection and first town re-check kept on each toilet follow every change to the
/// inspections, on both engines, and 进度调度 with them: an inspection added, a date corrected,
/// a re-check that was really a self-check, an inspection moved to another toilet, one deleted.
#[test]
fn the_first_inspection_kept_on_each_toilet_follows_every_change() {
    let t = engine::demo(300, 5);
    assert_eq!(kept_days_wrong(&t), 0, "kept by every write of the demo");
    let day = "2022-09-20";
    let inspected = |t: &TestDb| progress::progress(t, day).unwrap().town;
    let id = |sql: &str| -> i64 { t.query_row(sql, [], |r| r.get(0)).unwrap() };
    let unchecked = id("SELECT min(id) FROM toilets WHERE first_inspected_on IS NULL");
    let (checked, first) = t
        .query_row(
            "SELECT i.id, i.toilet_id FROM inspections i
             WHERE i.inspected_on > ?1 AND i.kind = 'village_self'
               AND NOT EXISTS (SELECT 1 FROM inspections o
                               WHERE o.toilet_id = i.toilet_id AND o.id <> i.id)
             ORDER BY i.id LIMIT 1",
            [day],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
        )
        .unwrap();
    let staff = id("SELECT min(id) FROM staff");
    let before = inspected(&t);

    // A town re-check of a toilet nobody had inspected, on the day.
    t.execute(
        "INSERT INTO inspections (toilet_id, kind, inspected_on, household_status, has_problems,
                                  proposal_reason, recorded_by, recorded_at)
         VALUES (?1, 'town_recheck', ?2, 'normal', 0, '—', ?3, '2022-09-20T10:00:00+08:00')",
        rusqlite::params![unchecked, day, staff],
    )
    .unwrap();
    assert_eq!(kept_days_wrong(&t), 0, "added");
    let added = id("SELECT max(id) FROM inspections");
    let now = inspected(&t);
    assert_eq!(
        (now.inspected, now.rechecked),
        (before.inspected + 1, before.rechecked + 1)
    );

    // A later inspection's date corrected to before the day.
    t.execute(
        "UPDATE inspections SET inspected_on = '2022-09-18' WHERE id = ?1",
        [checked],
    )
    .unwrap();
    assert_eq!(kept_days_wrong(&t), 0, "date corrected");
    assert_eq!(inspected(&t).inspected, before.inspected + 2);

    // The re-check was really the village's own check.
    t.execute(
        "UPDATE inspections SET kind = 'village_self' WHERE id = ?1",
        [added],
    )
    .unwrap();
    assert_eq!(kept_days_wrong(&t), 0, "kind corrected");
    assert_eq!(inspected(&t).rechecked, before.rechecked);

    // The corrected inspection belonged to the other toilet: its own toilet is uninspected again.
    t.execute(
        "UPDATE inspections SET toilet_id = ?1 WHERE id = ?2",
        [unchecked, checked],
    )
    .unwrap();
    assert_eq!(kept_days_wrong(&t), 0, "moved");
    assert!(t
        .query_row(
            "SELECT first_inspected_on FROM toilets WHERE id = ?1",
            [first],
            |r| r.get::<_, Option<String>>(0)
        )
        .unwrap()
        .is_none());
    assert_eq!(
        t.query_row(
            "SELECT first_inspected_on FROM toilets WHERE id = ?1",
            [unchecked],
            |r| r.get::<_, String>(0)
        )
        .unwrap(),
        "2022-09-18"
    );

    // The added inspection deleted: the other still stands for its toilet.
    t.execute("DELETE FROM inspections WHERE id = ?1", [added])
        .unwrap();
    assert_eq!(kept_days_wrong(&t), 0, "deleted");
    assert_eq!(inspected(&t).inspected, before.inspected + 1);
}

/// File only: on a database file 进度调度 reads the places and the cases at once, the cases on
/// a second read-only connection; the numbers are those of the same town read one after the
/// other in memory.
#[test]
fn the_dashboard_of_a_file_read_on_two_connections_is_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let opts = huce_core::demo::DemoOptions {
        households: 800,
        seed: 11,
    };
    let mut file = huce_core::db::open(&dir.path().join("town.db"), crate::fixed_time()).unwrap();
    huce_core::demo::generate(&mut file, opts, crate::NOW).unwrap();
    let mut memory = huce_core::db::open_in_memory().unwrap();
    huce_core::demo::generate(&mut memory, opts, crate::NOW).unwrap();
    for day in ["2022-09-25", "2026-11-29"] {
        let a = progress::progress(&file, day).unwrap();
        assert!(a.town.problems > 0 && a.town.closed > 0, "{day}");
        assert_eq!(a, progress::progress(&memory, day).unwrap(), "{day}");
    }
}

/// A case whose opening was recorded with a later date than a move (a date keyed in late) keeps
/// that move: a case begins 待整改, and its opening moves nothing, so it does not undo the
/// close-out before it (the replay used to put the case back to 待整改 on the opening's day).
#[test]
fn an_opening_dated_after_a_move_does_not_undo_it() {
    let t = engine::demo(600, 3);
    let day = "2026-11-29";
    let before = progress::progress(&t, day).unwrap();
    assert!(before.town.closed > 0);
    let case: i64 = t
        .query_row(
            "SELECT rectification_id FROM rectification_events
             WHERE to_state = 'closed' AND happened_on < ?1 ORDER BY id LIMIT 1",
            [day],
            |r| r.get(0),
        )
        .unwrap();
    t.execute(
        "UPDATE rectification_events SET happened_on = ?1
         WHERE rectification_id = ?2 AND kind = 'opened'",
        rusqlite::params![day, case],
    )
    .unwrap();
    let after = progress::progress(&t, day).unwrap();
    assert_eq!(after.town.closed, before.town.closed);
    assert_eq!(
        after.timeline.last().map(|p| p.closed),
        before.timeline.last().map(|p| p.closed),
        "no reopening on the opening's day"
    );
}
