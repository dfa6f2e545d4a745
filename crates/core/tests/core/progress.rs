//! 月调度 numbers checked against direct SQL counts on a demo town, on several dates.

use huce_core::db;
use huce_core::demo::{self, DemoOptions};
use huce_core::progress::{self, Measure};
use rusqlite::Connection;

use crate::NOW;

fn count(conn: &Connection, sql: &str, village: i64, day: &str) -> i64 {
    conn.query_row(sql, rusqlite::params![village, day], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// The state of a case on ?2, written independently of the core: the latest move up to it.
const STATE_ON: &str = "coalesce((SELECT e.to_state FROM rectification_events e
    WHERE e.rectification_id = r.id AND e.to_state IS NOT NULL AND e.happened_on <= ?2
    ORDER BY e.happened_on DESC, e.id DESC LIMIT 1), 'pending')";

#[test]
fn dashboard_numbers_match_direct_sql_counts() {
    let mut conn = db::open_in_memory().unwrap();
    demo::generate(
        &mut conn,
        DemoOptions {
            households: 1500,
            seed: 7,
        },
        NOW,
    )
    .unwrap();
    let cases = "FROM rectifications r JOIN inspections i ON i.id = r.inspection_id
         WHERE r.village_id = ?1 AND i.inspected_on <= ?2";
    for day in [
        "2022-09-10",
        "2022-09-30",
        "2022-10-20",
        "2023-06-30",
        "2026-11-29",
    ] {
        let p = progress::progress(&conn, day).unwrap();
        assert_eq!(p.as_of, day);
        assert!(!p.villages.is_empty());
        for v in &p.villages {
            let id = v.village_id;
            let q = |sql: &str| count(&conn, sql, id, day);
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
                q(&format!("SELECT count(*) {cases} AND {STATE_ON} <> 'closed' AND r.planned_month < substr(?2, 1, 7)")),
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
    let early = progress::progress(&conn, "2022-09-10").unwrap();
    assert_eq!((early.town.inspected, early.town.problems), (0, 0));
    let late = progress::progress(&conn, "2026-11-29").unwrap();
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
    let mid = progress::progress(&conn, "2022-09-28").unwrap();
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
    let before = progress::progress(&conn, "2022-08-01").unwrap();
    assert!(before.phases.iter().all(|s| s.state == "未开始"));

    let err = progress::progress(&conn, "2022-13-01")
        .unwrap_err()
        .to_string();
    assert!(err.contains("不是有效日期"), "{err}");
}
