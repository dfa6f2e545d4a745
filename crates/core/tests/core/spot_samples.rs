//! 区级抽查 samples on a demo town: reproducible, stratified, kept.

use std::collections::HashMap;

use huce_core::demo::{self, DemoOptions};
use huce_core::sampling::{self, SampleSize, SampleSpec};

use crate::NOW;

fn town() -> rusqlite::Connection {
    let mut conn = huce_core::db::open_in_memory().unwrap();
    demo::generate(
        &mut conn,
        DemoOptions {
            households: 3000,
            seed: 11,
        },
        NOW,
    )
    .unwrap();
    conn
}

fn spec(seed: u64) -> SampleSpec {
    SampleSpec {
        villages: vec![],
        size: SampleSize::Percent(10.0),
        min_per_village: 20,
        oversample_problems: false,
        seed,
    }
}

#[test]
fn the_same_seed_and_data_give_the_same_sample() {
    let conn = town();
    let a = sampling::draw(&conn, &spec(20221016), "李明", NOW).unwrap();
    let b = sampling::draw_toilets(&conn, &spec(20221016)).unwrap();
    assert_eq!(a.toilets, b.0, "reproduced from the seed");
    let c = sampling::draw_toilets(&conn, &spec(20221017)).unwrap();
    assert_ne!(a.toilets, c.0, "another seed, another sample");
    assert!(a.method.contains("随机种子 20221016"), "{}", a.method);

    // Both are kept; the stored one reads back exactly.
    let d = sampling::draw(&conn, &spec(7), "王芳", NOW).unwrap();
    let stored = sampling::sample(&conn, a.id).unwrap();
    assert_eq!(stored.toilets, a.toilets);
    assert_eq!(stored.seed, 20221016);
    assert_eq!(sampling::samples(&conn).unwrap().len(), 2);
    assert_ne!(d.id, a.id);

    // The listed rows are the sample's toilets in its order, with their place.
    let rows = sampling::rows(&conn, a.id).unwrap();
    assert_eq!(rows.len(), a.toilets.len());
    for (i, (row, toilet)) in rows.iter().zip(&a.toilets).enumerate() {
        assert_eq!(row.seq, i as i64 + 1);
        let (household, seq): (i64, i64) = conn
            .query_row(
                "SELECT household_id, seq FROM toilets WHERE id = ?1",
                [toilet],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((row.household_id, row.toilet_seq), (household, seq));
        assert!(!row.head_name.is_empty() && !row.village_name.is_empty());
        assert!(!row.spot_checked, "nothing was spot-checked after the draw");
    }
    let err = sampling::rows(&conn, 999).unwrap_err().to_string();
    assert!(err.contains("找不到编号为 999 的抽查样本"), "{err}");
}

#[test]
fn every_village_gets_its_share_and_the_floor() {
    let conn = town();
    let toilets: i64 = conn
        .query_row("SELECT count(*) FROM toilets", [], |r| r.get(0))
        .unwrap();
    let s = sampling::draw(&conn, &spec(1), "李明", NOW).unwrap();
    assert_eq!(s.population as i64, toilets);
    assert_eq!(s.toilets.len() as i64, (toilets as f64 * 0.1).ceil() as i64);
    let mut per_village: HashMap<i64, usize> = HashMap::new();
    for t in &s.toilets {
        let v: i64 = conn
            .query_row("SELECT h.village_id FROM toilets t JOIN households h ON h.id = t.household_id WHERE t.id = ?1", [t], |r| r.get(0))
            .unwrap();
        *per_village.entry(v).or_default() += 1;
    }
    let villages: i64 = conn
        .query_row("SELECT count(*) FROM villages", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        per_village.len() as i64,
        villages,
        "every village is in the sample"
    );
    assert!(per_village.values().all(|&n| n >= 20), "{per_village:?}");
    let unique: std::collections::HashSet<_> = s.toilets.iter().collect();
    assert_eq!(unique.len(), s.toilets.len(), "no toilet twice");

    // One village only, by count.
    let v: i64 = *per_village.keys().min().unwrap();
    let one = sampling::draw_toilets(
        &conn,
        &SampleSpec {
            villages: vec![v],
            size: SampleSize::Count(15),
            min_per_village: 0,
            oversample_problems: false,
            seed: 3,
        },
    )
    .unwrap();
    assert_eq!(one.0.len(), 15);
}

#[test]
fn problem_toilets_can_be_over_sampled() {
    let conn = town();
    let share = |over: bool| {
        let mut s = spec(99);
        s.oversample_problems = over;
        s.size = SampleSize::Percent(20.0);
        let (toilets, _, _) = sampling::draw_toilets(&conn, &s).unwrap();
        let problems = toilets
            .iter()
            .filter(|t| {
                conn.query_row(
                    "SELECT EXISTS (SELECT 1 FROM rectifications WHERE toilet_id = ?1)",
                    [t],
                    |r| r.get::<_, bool>(0),
                )
                .unwrap()
            })
            .count();
        problems as f64 / toilets.len() as f64
    };
    let (plain, over) = (share(false), share(true));
    assert!(
        over > plain * 1.4,
        "over-sampling raises the share of problem toilets: {plain:.3} → {over:.3}"
    );
}

#[test]
#[cfg_attr(windows, ignore = "checks the PDF with poppler (Linux)")]
fn the_sample_list_prints_its_seed_and_method() {
    let conn = town();
    let s = sampling::draw(&conn, &spec(20221016), "李明", NOW).unwrap();
    let printed = huce_core::print::sample_list(&conn, s.id, "2026-11-29").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("抽查样本.pdf");
    std::fs::write(&pdf, &printed.bytes).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for words in [
        "区级抽查样本清单",
        "随机种子：20221016",
        "抽样方法",
        "抽查人签字",
        "最近一次核查",
    ] {
        assert!(text.contains(words), "{words} missing");
    }
    assert!(printed.pages >= 2, "a 10% sample runs over pages");
}
