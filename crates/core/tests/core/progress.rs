//! 月调度 numbers checked against direct SQL counts on a demo town, on several dates.

use huce_core::progress::{self, Measure};

use crate::engine::{self, TestDb};

fn count(t: &TestDb, sql: &str, village: i64, day: &str) -> i64 {
    t.query_row(sql, rusqlite::params![village, day], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// The state of a case on ?2, written independently of the core: the latest move up to it.
const STATE_ON: &str = "coalesce((SELECT e.to_state FROM rectification_events e
    WHERE e.rectification_id = r.id AND e.to_state IS NOT NULL AND e.happened_on <= ?2
    ORDER BY e.happened_on DESC, e.id DESC LIMIT 1), 'pending')";

#[test]
fn dashboard_numbers_match_direct_sql_counts() {
    let t = engine::demo(1500, 7);
    let week_before = huce_core::sql::days_before(t.engine(), "?2", 7);
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
                q(&format!("SELECT count(*) {cases} AND {STATE_ON} <> 'closed' AND (r.planned_month < substr(?2, 1, 7) OR (r.category = 'immediate_fix' AND r.opened_on < {week_before}))")),
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
                v.overdue,
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
    assert!(late.town.inspected > 0 && late.town.closed > 0 && late.town.overdue > 0);
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
    // A village with problems: the mean of the two, and its finding rate.
    let busy = p.villages.iter().find(|v| v.problems > 0).unwrap();
    let closed = busy.closed_percent().unwrap();
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
