//! 区级抽查 samples on a demo town: reproducible, stratified, kept.

use std::collections::HashMap;

use huce_core::sampling::{self, SampleSize, SampleSpec};

use crate::engine::{self, TestDb};
use crate::NOW;

fn town() -> TestDb {
    engine::demo(3000, 11)
}

/// A sample as a person asks for it (the program draws the seed).
fn spec() -> SampleSpec {
    SampleSpec {
        villages: vec![],
        size: SampleSize::Percent(10.0),
        min_per_village: 20,
        oversample_problems: false,
        batch: None,
        seed: None,
    }
}

/// The same with a seed, to draw toilets again from it.
fn seeded(seed: u64) -> SampleSpec {
    SampleSpec {
        seed: Some(seed),
        ..spec()
    }
}

#[test]
fn the_same_seed_and_data_give_the_same_sample() {
    let db = town();
    let a = sampling::draw(&db, &spec(), "李明", NOW).unwrap();
    let b = sampling::draw_toilets(&db, &seeded(a.seed)).unwrap();
    assert_eq!(a.toilets, b.0, "reproduced from the seed");
    let c = sampling::draw_toilets(&db, &seeded(a.seed + 1)).unwrap();
    assert_ne!(a.toilets, c.0, "another seed, another sample");
    assert!(
        a.method.contains(&format!("随机种子 {}", a.seed)),
        "{}",
        a.method
    );

    // Both are kept; the stored one reads back exactly.
    let d = sampling::draw(&db, &spec(), "王芳", NOW).unwrap();
    let stored = sampling::sample(&db, a.id).unwrap();
    assert_eq!(stored.toilets, a.toilets);
    assert_eq!(stored.seed, a.seed);
    assert_eq!(sampling::samples(&db).unwrap().len(), 2);
    assert_ne!(d.id, a.id);

    // The listed rows are the sample's toilets in its order, with their place.
    let rows = sampling::rows(&db, a.id).unwrap();
    assert_eq!(rows.len(), a.toilets.len());
    for (i, (row, toilet)) in rows.iter().zip(&a.toilets).enumerate() {
        assert_eq!(row.seq, i as i64 + 1);
        let (household, seq): (i64, i64) = db
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
    let err = sampling::rows(&db, 999).unwrap_err().to_string();
    assert!(err.contains("找不到编号为 999 的抽查样本"), "{err}");
}

#[test]
fn every_village_gets_its_share_and_the_floor() {
    let db = town();
    let toilets: i64 = db
        .query_row("SELECT count(*) FROM toilets", [], |r| r.get(0))
        .unwrap();
    let s = sampling::draw(&db, &spec(), "李明", NOW).unwrap();
    assert_eq!(s.population as i64, toilets);
    assert_eq!(s.toilets.len() as i64, (toilets as f64 * 0.1).ceil() as i64);
    let mut per_village: HashMap<i64, usize> = HashMap::new();
    for t in &s.toilets {
        let v: i64 = db
            .query_row("SELECT h.village_id FROM toilets t JOIN households h ON h.id = t.household_id WHERE t.id = ?1", [t], |r| r.get(0))
            .unwrap();
        *per_village.entry(v).or_default() += 1;
    }
    let villages: i64 = db
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
        &db,
        &SampleSpec {
            villages: vec![v],
            size: SampleSize::Count(15),
            min_per_village: 0,
            oversample_problems: false,
            batch: None,
            seed: Some(3),
        },
    )
    .unwrap();
    assert_eq!(one.0.len(), 15);
}

#[test]
fn problem_toilets_can_be_over_sampled() {
    let db = town();
    let share = |over: bool| {
        let mut s = seeded(99);
        s.oversample_problems = over;
        s.size = SampleSize::Percent(20.0);
        let (toilets, _, _) = sampling::draw_toilets(&db, &s).unwrap();
        let problems = toilets
            .iter()
            .filter(|t| {
                db.query_row(
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
    let db = town();
    let s = sampling::draw(&db, &spec(), "李明", NOW).unwrap();
    let printed = huce_core::print::sample_list(&db, s.id, "2026-11-29").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("抽查样本.pdf");
    printed.save(&pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let seed = format!("随机种子：{}", s.seed);
    for words in [
        "区级抽查样本清单",
        seed.as_str(),
        "抽样方法",
        "抽查人签字",
        "最近一次核查",
    ] {
        assert!(text.contains(words), "{words} missing");
    }
    assert!(printed.pages >= 2, "a 10% sample runs over pages");
}

/// A town could otherwise try seeds offline until a convenient sample comes up: a new sample's
/// seed is drawn by the program and recorded with who and when; a given seed is refused unless
/// it reproduces a recorded sample.
#[test]
fn a_new_samples_seed_is_drawn_by_the_program_and_a_given_seed_only_reproduces() {
    let db = town();
    let err = sampling::draw(&db, &seeded(20221016), "李明", NOW)
        .expect_err("a seed chosen by a person is refused")
        .to_string();
    assert!(err.contains("不能自行指定"), "{err}");
    assert_eq!(sampling::samples(&db).unwrap().len(), 0, "nothing drawn");

    let a = sampling::draw(&db, &spec(), "李明（liming）", NOW).unwrap();
    let b = sampling::draw(&db, &spec(), "李明（liming）", NOW).unwrap();
    assert!(a.seed_drawn && b.seed_drawn);
    assert_ne!(a.seed, b.seed, "each draw has its own seed");
    assert_eq!(a.seed.to_string().len(), 12, "twelve digits: {}", a.seed);
    let (actor, detail): (String, String) = db
        .query_row(
            "SELECT summary, detail FROM audit_log WHERE action = 'sample.draw' AND entity_id = ?1",
            [a.id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(
        actor.contains("李明（liming）") && detail.contains(&a.seed.to_string()),
        "who drew it and the seed are recorded: {actor} {detail}"
    );

    // The recorded seed is refused for a new draw, and reproduces the recorded sample.
    let err = sampling::draw(&db, &seeded(a.seed), "李明", NOW)
        .expect_err("a recorded seed does not make a new sample")
        .to_string();
    assert!(err.contains(&format!("第 {} 号样本", a.id)), "{err}");
    let r = sampling::reproduce(&db, a.id).unwrap();
    assert!(r.same, "{}", r.message);
    assert!(r.message.starts_with("复现一致"), "{}", r.message);

    // A record altered afterwards does not reproduce.
    db.execute(
        "UPDATE spot_sample_items SET toilet_id = (SELECT max(id) FROM toilets) WHERE sample_id = ?1 AND seq = 1",
        [a.id],
    )
    .unwrap();
    let r = sampling::reproduce(&db, a.id).unwrap();
    assert!(!r.same && r.message.contains("被改动"), "{}", r.message);
}

/// #20 (8): a group whose records differ too often gets a 二次回查: its batch is every toilet it
/// checked, and the re-check sample is drawn from exactly that batch, keyed in as 镇级复核.
#[test]
fn a_groups_second_back_check_is_drawn_from_its_own_batch() {
    use huce_core::model::InspectionKind;
    use huce_core::sampling::SampleBatch;
    let db = town();
    // Thresholds low enough that a group with any difference is sent back.
    let w = huce_core::working::WorkingValues {
        retrain_above: 0.1,
        second_check_from: 0.2,
        resurvey_above: 100.0,
        ..huce_core::working::WorkingValues::default()
    };
    w.save(&db, &huce_core::accounts::Account::local("测试"), NOW)
        .unwrap();
    let c = huce_core::compare::compare(&db, huce_core::households::Scope::Town).unwrap();
    let group = c
        .groups
        .iter()
        .find(|g| g.level == "bad" && g.compared >= 5)
        .expect("the demo town has a group to re-check");
    assert!(!group.staff.is_empty());
    assert!(group.toilets.len() >= group.compared, "the whole batch");
    assert!(!group.households.is_empty());
    // Every toilet of the batch was checked by exactly that group.
    let key: Vec<String> = group.staff.iter().map(i64::to_string).collect();
    for t in &group.toilets {
        let found: i64 = db
            .query_row(
                "SELECT count(*) FROM inspections i WHERE i.toilet_id = ?1 AND i.kind = 'village_self'
                   AND (SELECT string_agg(CAST(m.staff_id AS text), ',' ORDER BY m.staff_id)
                        FROM inspection_members m WHERE m.inspection_id = i.id) = ?2",
                rusqlite::params![t, key.join(",")],
                |r| r.get(0),
            )
            .unwrap();
        assert!(found > 0, "toilet {t} was checked by {}", group.name);
    }
    // A village that is fine carries no batch.
    assert!(c
        .villages
        .iter()
        .filter(|v| v.level != "bad")
        .all(|v| v.toilets.is_empty()));

    let spec = SampleSpec {
        size: SampleSize::Percent(30.0),
        min_per_village: 0,
        batch: Some(SampleBatch {
            toilets: group.toilets.clone(),
            kind: InspectionKind::TownRecheck,
            purpose: format!("二次回查：调查组 {}", group.name),
            listed: false,
        }),
        ..spec()
    };
    let s = sampling::draw(&db, &spec, "李明", NOW).unwrap();
    assert_eq!(s.population, group.toilets.len());
    assert!(!s.toilets.is_empty());
    assert!(s.toilets.iter().all(|t| group.toilets.contains(t)));
    let stored = sampling::sample(&db, s.id).unwrap();
    assert_eq!(stored.kind, InspectionKind::TownRecheck);
    assert_eq!(
        stored.purpose.as_deref(),
        Some(format!("二次回查：调查组 {}", group.name).as_str())
    );
    assert!(sampling::reproduce(&db, s.id).unwrap().same);
}

/// #17 (6): the district's own list is matched by 农户编号, 身份证号 or 户主 and kept as a sample
/// in the list's order, keyed in as 区级抽查; what does not match is said by row.
#[test]
fn the_districts_own_list_becomes_a_sample_in_its_order() {
    use huce_core::model::InspectionKind;
    use huce_core::reports::district_list;
    let db = town();
    let pick = |sql: &str| -> (i64, String, Option<String>) {
        db.query_row(sql, [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
    };
    let a = pick("SELECT id, head_name, id_number FROM households ORDER BY id DESC LIMIT 1");
    let b = pick(
        "SELECT id, head_name, id_number FROM households WHERE id_number IS NOT NULL AND id < 100 ORDER BY id LIMIT 1",
    );
    let c = pick(
        "SELECT h.id, h.head_name, h.id_number FROM households h WHERE h.id BETWEEN 200 AND 900
           AND (SELECT count(*) FROM households x WHERE x.head_name = h.head_name) = 1 ORDER BY h.id LIMIT 1",
    );
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("区级抽查名单.csv");
    std::fs::write(
        &list,
        format!(
            "区级抽查名单,,\n农户编号,身份证号,户主姓名\n{},,{}\n,{},\n,,{}\n,,查无此人\n{},,\n",
            a.0,
            a.1,
            b.2.clone().unwrap(),
            c.1,
            a.0
        ),
    )
    .unwrap();
    let m = district_list::match_list(&db, &list).unwrap();
    assert_eq!(
        m.households,
        vec![a.0, b.0, c.0],
        "in the list's order, once each"
    );
    assert_eq!(m.misses.len(), 1);
    assert_eq!(
        (m.misses[0].row, m.misses[0].text.as_str()),
        (6, "查无此人")
    );
    assert_eq!(
        sampling::samples(&db).unwrap().len(),
        0,
        "matching writes nothing"
    );

    let (s, _) = district_list::keep_list(&db, &list, "李明", NOW).unwrap();
    assert_eq!(s.kind, InspectionKind::DistrictSpot);
    assert!(!s.seed_drawn);
    assert!(s.purpose.as_deref().unwrap().contains("区里指定的抽查名单"));
    let first: i64 = db
        .query_row(
            "SELECT id FROM toilets WHERE household_id = ?1 ORDER BY seq LIMIT 1",
            [a.0],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(s.toilets[0], first, "the list's first household first");
    let err = sampling::reproduce(&db, s.id).unwrap_err();
    assert!(err.to_string().contains("区里指定"), "{err}");
    // Its check sheets print, exactly its toilets.
    let sheets = huce_core::print::check_sheets(&db, s.id, "2026-12-04").unwrap();
    assert_eq!(sheets.pages, s.toilets.len());

    // A list that matches nobody is refused, nothing kept.
    let none = dir.path().join("空.csv");
    std::fs::write(&none, "户主\n查无此人\n").unwrap();
    let err = district_list::keep_list(&db, &none, "李明", NOW).unwrap_err();
    assert!(err.to_string().contains("没有一户能对上"), "{err}");
    assert_eq!(sampling::samples(&db).unwrap().len(), 1);
}

/// #17 (6): the town's own draw is a 镇级抽查 of the whole population, keyed in as 镇级复核.
#[test]
fn the_towns_own_draw_is_labelled_and_keyed_in_as_the_towns() {
    use huce_core::model::InspectionKind;
    use huce_core::sampling::SampleBatch;
    let db = town();
    let district = sampling::draw(&db, &spec(), "李明", NOW).unwrap();
    let town_spec = SampleSpec {
        batch: Some(SampleBatch {
            toilets: vec![],
            kind: InspectionKind::TownRecheck,
            purpose: "镇级抽查".into(),
            listed: false,
        }),
        ..spec()
    };
    let own = sampling::draw(&db, &town_spec, "李明", NOW).unwrap();
    assert_eq!(own.population, district.population, "the whole town");
    let stored = sampling::sample(&db, own.id).unwrap();
    assert_eq!(stored.kind, InspectionKind::TownRecheck);
    assert_eq!(stored.purpose.as_deref(), Some("镇级抽查"));
    assert_eq!(
        sampling::sample(&db, district.id).unwrap().kind,
        InspectionKind::DistrictSpot
    );
    assert!(sampling::reproduce(&db, own.id).unwrap().same);
}
