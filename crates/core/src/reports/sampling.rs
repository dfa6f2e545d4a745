//! 区级抽查 samples: a reproducible random sample of toilets, stratified by village (each village
//! gets its share and at least a minimum), optionally over-sampling problem toilets. The seed,
//! the method in words and the parameters are stored with the sample, so the same seed and data
//! give the same sample again and the district can check how it was drawn.

use rusqlite::params;

use crate::model::InspectionKind;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::store::sql::{Db, Optional};

/// How large the sample is.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SampleSize {
    Count(usize),
    /// Per cent of the population (e.g. 10.0 for 10%).
    Percent(f64),
}

/// What the user asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleSpec {
    /// Villages in scope; empty means the whole town.
    #[serde(default)]
    pub villages: Vec<i64>,
    pub size: SampleSize,
    /// At least this many toilets from every village in scope (or all it has).
    #[serde(default)]
    pub min_per_village: usize,
    /// Problem toilets (any case in the ledger) count twice in the draw.
    #[serde(default)]
    pub oversample_problems: bool,
    /// The seed. A new sample's seed is drawn by the program ([`draw`] refuses one given by a
    /// person); a given seed only reproduces a recorded sample ([`reproduce`]).
    #[serde(default)]
    pub seed: Option<u64>,
    /// A sample of one batch rather than of the villages: 多方比对's 二次回查 of an inspection
    /// group's records (re-checked by the town).
    #[serde(default)]
    pub batch: Option<SampleBatch>,
}

/// The batch a sample is drawn from, what its results are keyed in as, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleBatch {
    /// The toilets of the batch.
    pub toilets: Vec<i64>,
    /// What the sample's results are keyed in as (镇级复核 for a 二次回查).
    pub kind: InspectionKind,
    /// e.g. "二次回查：调查组 李明、王芳".
    pub purpose: String,
    /// The toilets are the district's own list, in its order, not drawn (nothing to reproduce).
    #[serde(default)]
    pub listed: bool,
}

/// A drawn sample.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sample {
    pub id: i64,
    pub created_at: String,
    pub created_by: String,
    pub seed: u64,
    /// The seed was drawn by the program (samples drawn before version 8 had seeds chosen by
    /// a person).
    pub seed_drawn: bool,
    pub method: String,
    pub population: usize,
    /// Toilet ids in the order printed (village, 社, household, toilet).
    pub toilets: Vec<i64>,
    /// What its results are keyed in as: 区级抽查, or 镇级复核 for a 二次回查.
    pub kind: InspectionKind,
    /// Why it was drawn, for a batch's sample.
    pub purpose: Option<String>,
}

/// A seed from the operating system's random source: twelve decimal digits, easy to print and
/// to type in again when the sample is reproduced.
pub fn new_seed() -> u64 {
    100_000_000_000 + crate::rng::os_random_u64() % 900_000_000_000
}

/// The sample size for estimating a rate `p` within ± `margin` at confidence `z` (1.96 for 95%),
/// with the finite-population correction: n = (z/m)²·p(1−p), n′ = nN/(n+N−1), rounded up.
pub fn recommended_size(population: usize, p: f64, margin: f64, z: f64) -> usize {
    if population == 0 {
        return 0;
    }
    let n = (z / margin).powi(2) * p * (1.0 - p);
    let big_n = population as f64;
    ((n * big_n) / (n + big_n - 1.0)).ceil() as usize
}

struct Unit {
    toilet: i64,
    village: i64,
    problem: bool,
}

/// Splits `total` over strata of the given sizes: proportional shares (largest remainder), at
/// least `min` each (or the whole stratum), never more than a stratum holds.
fn allocate(sizes: &[usize], total: usize, min: usize) -> Vec<usize> {
    let population: usize = sizes.iter().sum();
    let total = total.min(population);
    let mut take: Vec<usize> = sizes.iter().map(|&s| min.min(s)).collect();
    let mut left = total.saturating_sub(take.iter().sum());
    while left > 0 {
        // Give the rest in proportion to what each stratum still has room for.
        let room: Vec<usize> = sizes.iter().zip(&take).map(|(s, t)| s - t).collect();
        let room_total: usize = room.iter().sum();
        if room_total == 0 {
            break;
        }
        let shares: Vec<f64> = room
            .iter()
            .map(|&r| left as f64 * r as f64 / room_total as f64)
            .collect();
        let mut given = 0;
        for (i, sh) in shares.iter().enumerate() {
            let g = (sh.floor() as usize).min(room[i]);
            take[i] += g;
            given += g;
        }
        let mut rest = left - given;
        if rest > 0 {
            let mut order: Vec<usize> = (0..sizes.len()).filter(|&i| take[i] < sizes[i]).collect();
            order.sort_by(|&a, &b| {
                let fa = shares[a] - shares[a].floor();
                let fb = shares[b] - shares[b].floor();
                fb.partial_cmp(&fa)
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then(a.cmp(&b))
            });
            for i in order {
                if rest == 0 {
                    break;
                }
                take[i] += 1;
                rest -= 1;
            }
        }
        left = total.saturating_sub(take.iter().sum());
    }
    take
}

/// Draws the toilets of a sample without storing it (the spec must carry its seed).
pub fn draw_toilets<'a>(
    db: impl Into<Db<'a>>,
    spec: &SampleSpec,
) -> Result<(Vec<i64>, usize, String)> {
    let conn = db.into();
    let seed = spec
        .seed
        .ok_or_else(|| Error::Invalid("抽样需要随机种子。".into()))?;
    let mut units: Vec<Unit> = conn
        .prepare(
            "SELECT t.id, h.village_id, EXISTS (SELECT 1 FROM rectifications r WHERE r.toilet_id = t.id)
             FROM toilets t JOIN households h ON h.id = t.household_id
             ORDER BY h.village_id, t.id",
        )?
        .query_map([], |r| {
            Ok(Unit {
                toilet: r.get(0)?,
                village: r.get(1)?,
                problem: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    if !spec.villages.is_empty() {
        units.retain(|u| spec.villages.contains(&u.village));
    }
    // A batch narrows the draw to its toilets; an empty one (the town's own 镇级抽查) does not.
    if let Some(batch) = spec.batch.as_ref().filter(|b| !b.toilets.is_empty()) {
        let wanted: std::collections::HashSet<i64> = batch.toilets.iter().copied().collect();
        units.retain(|u| wanted.contains(&u.toilet));
    }
    if units.is_empty() {
        return Err(Error::Invalid(
            "所选范围内没有户厕，无法抽样。请换一个范围。".into(),
        ));
    }
    let population = units.len();
    let total = match spec.size {
        SampleSize::Count(n) => n,
        SampleSize::Percent(p) if p > 0.0 && p <= 100.0 => {
            ((population as f64) * p / 100.0).ceil() as usize
        }
        SampleSize::Percent(p) => {
            return Err(Error::Invalid(format!(
                "抽样比例 {p}% 不合适，请填 0 到 100 之间的数。"
            )))
        }
    };
    if total == 0 {
        return Err(Error::Invalid("抽样数量要大于 0。".into()));
    }
    let mut strata: Vec<(i64, Vec<&Unit>)> = Vec::new();
    for u in &units {
        match strata.last_mut() {
            Some((v, list)) if *v == u.village => list.push(u),
            _ => strata.push((u.village, vec![u])),
        }
    }
    let sizes: Vec<usize> = strata.iter().map(|s| s.1.len()).collect();
    let take = allocate(&sizes, total, spec.min_per_village);

    // Weighted sampling without replacement (Efraimidis–Spirakis): each toilet gets the key
    // u^(1/w) from the seeded generator, in a fixed order; the largest keys are taken.
    let mut rng = Rng::new(seed);
    let mut chosen = Vec::new();
    for ((_, list), k) in strata.iter().zip(&take) {
        let mut keyed: Vec<(f64, i64)> = list
            .iter()
            .map(|u| {
                let r = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                let w = if spec.oversample_problems && u.problem {
                    2.0
                } else {
                    1.0
                };
                (r.max(f64::MIN_POSITIVE).powf(1.0 / w), u.toilet)
            })
            .collect();
        keyed.sort_by(|a, b| {
            b.0.partial_cmp(&a.0)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.1.cmp(&b.1))
        });
        chosen.extend(keyed.into_iter().take(*k).map(|(_, t)| t));
    }
    let method = format!(
        "分层随机抽样：按行政村分层，各村按户厕数比例分配{}{}，共抽 {} 个（总体 {} 个户厕，{} 个行政村）；随机种子 {}，SplitMix64 生成器，按户厕编号顺序逐一生成随机数（Efraimidis–Spirakis 加权无放回抽样）。",
        if spec.min_per_village > 0 { format!("、每村至少 {} 个", spec.min_per_village) } else { String::new() },
        if spec.oversample_problems { "，问题户厕按 2 倍权重加抽" } else { "" },
        chosen.len(),
        population,
        strata.len(),
        seed
    );
    // Print order: village, 社, household, toilet.
    let mut ordered: Vec<(i64, i64, i64, i64, i64, i64)> = Vec::with_capacity(chosen.len());
    let mut stmt = conn.prepare_cached(
        "SELECT v.sort_order, v.id, g.sort_order, h.id, t.seq FROM toilets t
         JOIN households h ON h.id = t.household_id JOIN villages v ON v.id = h.village_id
         JOIN village_groups g ON g.id = h.group_id WHERE t.id = ?1",
    )?;
    for t in chosen {
        let k = stmt.query_row([t], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, t))
        })?;
        ordered.push(k);
    }
    ordered.sort_unstable();
    Ok((
        ordered.into_iter().map(|k| k.5).collect(),
        population,
        method,
    ))
}

/// Draws a sample and keeps it (seed, method, parameters and the toilets), recorded as drawn by
/// `actor` at `now`. The seed is drawn by the program from the operating system's random
/// source: a seed given in `spec` is refused, so nobody can try seeds until a convenient sample
/// comes up (a recorded sample is checked again with [`reproduce`]).
pub fn draw<'a>(
    db: impl Into<Db<'a>>,
    spec: &SampleSpec,
    actor: &str,
    now: &str,
) -> Result<Sample> {
    let conn = db.into();
    if let Some(seed) = spec.seed {
        let recorded: Option<i64> = conn
            .query_row(
                "SELECT id FROM spot_samples WHERE seed = ?1 ORDER BY id LIMIT 1",
                [seed as i64],
                |r| r.get(0),
            )
            .optional()?;
        return Err(Error::Invalid(match recorded {
            Some(id) => format!(
                "随机种子 {seed} 是第 {id} 号样本的种子。指定种子只能复现已经记录的样本：请在第 {id} 号样本上点“复现核对”（命令行：huce sample --reproduce {id}）。"
            ),
            None => "新样本的随机种子由程序随机产生并记录，不能自行指定（否则可以反复换种子挑选样本）。请不填种子重新抽样；要核对已有样本，请用“复现核对”。".into(),
        }));
    }
    let spec = SampleSpec {
        seed: Some(new_seed()),
        ..spec.clone()
    };
    let seed = spec.seed.unwrap_or_default();
    let (toilets, population, method) = draw_toilets(conn, &spec)?;
    let method = format!("{method}随机种子由程序从操作系统的随机数源产生，抽样时记录，不能自选。");
    keep(
        conn,
        &spec,
        Drawn {
            seed,
            seed_drawn: true,
            method,
            population,
            toilets,
        },
        actor,
        now,
    )
}

/// What a stored sample holds besides its parameters.
pub(crate) struct Drawn {
    pub(crate) seed: u64,
    pub(crate) seed_drawn: bool,
    pub(crate) method: String,
    pub(crate) population: usize,
    pub(crate) toilets: Vec<i64>,
}

/// Stores a sample (drawn, or listed by the district) and records it in the audit log.
pub(crate) fn keep(
    conn: Db<'_>,
    spec: &SampleSpec,
    d: Drawn,
    actor: &str,
    now: &str,
) -> Result<Sample> {
    let Drawn {
        seed,
        seed_drawn,
        method,
        population,
        toilets,
    } = d;
    let id = conn.atomically(|tx| {
    let id: i64 = tx.query_row(
        "INSERT INTO spot_samples (created_at, created_by, seed, method, params, population, size, seed_drawn)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
        params![
            now,
            actor,
            seed as i64,
            method,
            serde_json::to_string(spec).expect("spec serialises"),
            population as i64,
            toilets.len() as i64,
            seed_drawn
        ],
        |r| r.get(0),
    )?;
    {
        let mut item = tx.prepare_cached(
            "INSERT INTO spot_sample_items (sample_id, seq, toilet_id, village_id, is_problem)
             SELECT ?1, ?2, t.id, h.village_id,
                    CASE WHEN EXISTS (SELECT 1 FROM rectifications r WHERE r.toilet_id = t.id) THEN 1 ELSE 0 END
             FROM toilets t JOIN households h ON h.id = t.household_id WHERE t.id = ?3",
        )?;
        for (i, t) in toilets.iter().enumerate() {
            item.execute(params![id, i as i64 + 1, t])?;
        }
    }
    let what = spec
        .batch
        .as_ref()
        .map_or_else(|| "区级抽查".to_string(), |b| b.purpose.clone());
    let how = if seed_drawn {
        format!("，程序产生的随机种子 {seed}")
    } else {
        String::new()
    };
    crate::store::audit::append(
        tx,
        now,
        "sample.draw",
        "spot_sample",
        id,
        &format!(
            "{actor}{}第 {id} 号{what}样本，{} 个户厕{how}",
            if seed_drawn { "抽取" } else { "导入" },
            toilets.len()
        ),
        serde_json::json!({ "seed": seed, "method": method, "size": toilets.len(), "by": actor }),
    )?;
    Ok(id)
    })?;
    Ok(Sample {
        id,
        created_at: now.to_string(),
        created_by: actor.to_string(),
        seed,
        seed_drawn,
        method,
        population,
        toilets,
        kind: spec
            .batch
            .as_ref()
            .map_or(InspectionKind::DistrictSpot, |b| b.kind),
        purpose: spec.batch.as_ref().map(|b| b.purpose.clone()),
    })
}

impl Sample {
    /// How the sample came about, as the printed sheets say it: its random seed, or its purpose
    /// (a district's list has no seed).
    pub fn origin(&self) -> String {
        match (&self.purpose, self.seed_drawn || self.seed != 0) {
            (Some(p), false) => p.clone(),
            (Some(p), true) => format!("{p} · 随机种子：{}", self.seed),
            (None, _) => format!("随机种子：{}", self.seed),
        }
    }
}

/// A recorded sample drawn again from its seed and parameters on today's data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reproduction {
    pub sample_id: i64,
    pub seed: u64,
    /// The same toilets in the same order.
    pub same: bool,
    pub population_then: usize,
    pub population_now: usize,
    /// Toilets recorded but not drawn again, and drawn again but not recorded.
    pub only_recorded: Vec<i64>,
    pub only_redrawn: Vec<i64>,
    /// The result in a sentence.
    pub message: String,
}

/// Draws a recorded sample again with its seed and parameters and compares it with what was
/// recorded: the same data give the same sample; a difference is explained by the data having
/// changed since (households or toilets added) — or by a record that was altered.
pub fn reproduce<'a>(db: impl Into<Db<'a>>, id: i64) -> Result<Reproduction> {
    let conn = db.into();
    let recorded = sample(conn, id)?;
    let params: String =
        conn.query_row("SELECT params FROM spot_samples WHERE id = ?1", [id], |r| {
            r.get(0)
        })?;
    let mut spec: SampleSpec = serde_json::from_str(&params).map_err(|e| {
        Error::Invalid(format!(
            "第 {id} 号样本记录的抽样参数无法读取（{e}），不能复现。请把数据库交给管理员检查。"
        ))
    })?;
    if spec.batch.as_ref().is_some_and(|b| b.listed) {
        return Err(Error::Invalid(format!(
            "第 {id} 号样本是区里指定的抽查名单，不是随机抽取的，没有随机种子可以复现。"
        )));
    }
    spec.seed = Some(recorded.seed);
    let (again, population_now, _) = draw_toilets(conn, &spec)?;
    let only_recorded: Vec<i64> = recorded
        .toilets
        .iter()
        .copied()
        .filter(|t| !again.contains(t))
        .collect();
    let only_redrawn: Vec<i64> = again
        .iter()
        .copied()
        .filter(|t| !recorded.toilets.contains(t))
        .collect();
    let same = again == recorded.toilets;
    let message = if same {
        format!(
            "复现一致：用随机种子 {} 和记录的抽样参数重新抽取，得到与第 {id} 号样本完全相同的 {} 个户厕，顺序也相同。",
            recorded.seed,
            again.len()
        )
    } else if population_now != recorded.population {
        format!(
            "复现不一致：抽样时总体有 {} 个户厕，现在有 {population_now} 个（之后新增或删除了户厕），重新抽取的结果自然不同：有 {} 个户厕只在记录中，{} 个只在重新抽取的结果中。",
            recorded.population,
            only_recorded.len(),
            only_redrawn.len()
        )
    } else {
        format!(
            "复现不一致：总体户厕数没有变，但重新抽取的结果与记录不同（{} 个只在记录中，{} 个只在重新抽取的结果中）。样本记录或户厕数据可能被改动过，请报告管理员核查操作日志。",
            only_recorded.len(),
            only_redrawn.len()
        )
    };
    Ok(Reproduction {
        sample_id: id,
        seed: recorded.seed,
        same,
        population_then: recorded.population,
        population_now,
        only_recorded,
        only_redrawn,
        message,
    })
}

/// A stored sample.
pub fn sample<'a>(db: impl Into<Db<'a>>, id: i64) -> Result<Sample> {
    let conn = db.into();
    let head = conn
        .query_row(
            "SELECT created_at, created_by, seed, method, population, seed_drawn FROM spot_samples WHERE id = ?1",
            [id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, bool>(5)?,
                ))
            },
        )
        .optional()?
        .ok_or_else(|| Error::Invalid(format!("找不到编号为 {id} 的抽查样本。")))?;
    let params: String =
        conn.query_row("SELECT params FROM spot_samples WHERE id = ?1", [id], |r| {
            r.get(0)
        })?;
    let batch = serde_json::from_str::<SampleSpec>(&params)
        .ok()
        .and_then(|s| s.batch);
    let toilets = conn
        .prepare("SELECT toilet_id FROM spot_sample_items WHERE sample_id = ?1 ORDER BY seq")?
        .query_map([id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Sample {
        id,
        created_at: head.0,
        created_by: head.1,
        seed: head.2 as u64,
        seed_drawn: head.5,
        method: head.3,
        population: head.4 as usize,
        toilets,
        kind: batch
            .as_ref()
            .map_or(InspectionKind::DistrictSpot, |b| b.kind),
        purpose: batch.map(|b| b.purpose),
    })
}

/// One sampled toilet, as the sample screen lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SampleRow {
    pub seq: i64,
    pub household_id: i64,
    pub toilet_id: i64,
    pub village_name: String,
    pub group_name: String,
    pub head_name: String,
    pub toilet_seq: i64,
    pub is_problem: bool,
    /// The latest inspection's kind label and date, e.g. "村级自查 2022-09-20".
    pub last_check: Option<String>,
    /// Whether the sample's kind of check (区级抽查, or 镇级复核 for a 二次回查) has been recorded
    /// for the toilet since the sample was drawn.
    pub spot_checked: bool,
}

/// The toilets of a stored sample, in its order.
pub fn rows<'a>(db: impl Into<Db<'a>>, id: i64) -> Result<Vec<SampleRow>> {
    let conn = db.into();
    let created: String = conn
        .query_row(
            "SELECT created_at FROM spot_samples WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| Error::Invalid(format!("找不到编号为 {id} 的抽查样本。")))?;
    let mut stmt = conn.prepare_cached(
        "SELECT s.seq, h.id, v.name, g.name, h.head_name, t.seq, s.is_problem,
                (SELECT i.kind || ' ' || i.inspected_on FROM inspections i WHERE i.toilet_id = t.id
                 ORDER BY i.inspected_on DESC, i.id DESC LIMIT 1),
                EXISTS (SELECT 1 FROM inspections i WHERE i.toilet_id = t.id
                        AND i.kind = ?3 AND i.inspected_on >= substr(?2, 1, 10)),
                t.id
         FROM spot_sample_items s JOIN toilets t ON t.id = s.toilet_id
         JOIN households h ON h.id = t.household_id
         JOIN villages v ON v.id = h.village_id JOIN village_groups g ON g.id = h.group_id
         WHERE s.sample_id = ?1 ORDER BY s.seq",
    )?;
    let rows = stmt
        .query_map(params![id, created, sample(conn, id)?.kind], |r| {
            let last: Option<String> = r.get(7)?;
            Ok(SampleRow {
                seq: r.get(0)?,
                household_id: r.get(1)?,
                village_name: r.get(2)?,
                group_name: r.get(3)?,
                head_name: r.get(4)?,
                toilet_seq: r.get(5)?,
                is_problem: r.get(6)?,
                last_check: last.map(|l| {
                    let (kind, on) = l.split_once(' ').unwrap_or((l.as_str(), ""));
                    let label =
                        crate::model::InspectionKind::from_code(kind).map_or(kind, |k| k.label());
                    format!("{label} {on}")
                }),
                spot_checked: r.get(8)?,
                toilet_id: r.get(9)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// Every stored sample, newest first: (id, created_at, size, method).
pub fn samples<'a>(db: impl Into<Db<'a>>) -> Result<Vec<(i64, String, i64, String)>> {
    Ok(db
        .into()
        .prepare("SELECT id, created_at, size, method FROM spot_samples ORDER BY id DESC")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<rusqlite::Result<_>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_textbook_sample_size() {
        // n = (1.96/0.05)² · 0.25 = 384.16; with N = 10,000: 384.16·10000/(10383.16) = 369.98 → 370.
        assert_eq!(recommended_size(10_000, 0.5, 0.05, 1.96), 370);
        assert_eq!(recommended_size(100, 0.5, 0.05, 1.96), 80);
        assert_eq!(recommended_size(0, 0.5, 0.05, 1.96), 0);
    }

    #[test]
    fn allocation_is_proportional_with_a_floor_and_adds_up() {
        assert_eq!(allocate(&[100, 100, 200], 40, 0), vec![10, 10, 20]);
        let a = allocate(&[1000, 30, 5], 50, 5);
        assert_eq!(a.iter().sum::<usize>(), 50);
        assert!(a[1] >= 5 && a[2] == 5, "{a:?}");
        assert_eq!(
            allocate(&[3, 4], 100, 0),
            vec![3, 4],
            "never more than there is"
        );
        assert_eq!(allocate(&[10, 10, 10], 10, 0).iter().sum::<usize>(), 10);
    }
}
