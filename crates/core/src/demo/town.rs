//! The demo town (示例数据): a synthetic but realistic town, generated deterministically from a
//! seed, so the app can be tried at once and tests and benchmarks can build towns of any size
//! (a 9,000-household town by default; 270,000 households ≈ 300,000 toilets for a district).
//!
//! Everything here is invented: names, ID numbers (valid GB 11643 checksums, never real people's
//! numbers by design — the sequence part is random), phones and toilets. The database is marked
//! with the `is_demo` setting and the app shows 示例数据 in its header.

use std::collections::HashSet;

use rusqlite::Connection;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::{
    BaselineSource, HouseholdCategory, Location, NewHousehold, NewToilet, TechMode, UseStatus,
};
use crate::places::households;
use crate::places::idcard;
use crate::rng::Rng;
use crate::store::settings;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoOptions {
    pub households: usize,
    pub seed: u64,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            households: 9_000,
            seed: 20_220_916,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DemoSummary {
    pub villages: usize,
    pub groups: usize,
    pub households: usize,
    pub toilets: usize,
    /// 工作人员, inspections and problem toilets of the demo's field work.
    pub staff: usize,
    pub inspections: usize,
    pub problem_toilets: usize,
}

const VILLAGE_NAMES: &[&str] = &[
    "石鱼村",
    "太平村",
    "龙井村",
    "红岩村",
    "新华村",
    "金龙村",
    "双河村",
    "长岭村",
    "永安村",
    "桂花村",
    "白云村",
    "青龙村",
];
/// For districts bigger than one town: two syllables from here make further village names.
const VILLAGE_SYLLABLES: &[&str] = &[
    "安", "宝", "碑", "朝", "大", "东", "凤", "高", "观", "广", "合", "和", "虎", "花", "黄", "金",
    "进", "旧", "乐", "莲", "林", "柳", "龙", "马", "茅", "梅", "南", "平", "千", "清", "庆", "三",
    "沙", "山", "狮", "双", "水", "松", "塘", "天", "铁", "万", "文", "五", "西", "仙", "小", "新",
    "兴", "杨", "永", "玉", "元", "云", "长", "中", "竹",
];

/// Surnames with rough frequencies in rural western Chongqing; polyphonic surnames included on
/// purpose (曾 zeng, 单 shan, 解 xie, 仇 qiu, 区 ou, 查 zha, 翟 zhai, 朴 piao, 盖 ge, 缪 miao, 覃 qin).
const SURNAMES: &[(&str, u32)] = &[
    ("王", 60),
    ("李", 60),
    ("张", 55),
    ("刘", 50),
    ("陈", 50),
    ("杨", 40),
    ("黄", 25),
    ("周", 30),
    ("吴", 20),
    ("徐", 15),
    ("赵", 20),
    ("罗", 25),
    ("唐", 25),
    ("邓", 20),
    ("蒋", 18),
    ("谭", 18),
    ("何", 18),
    ("胡", 15),
    ("曾", 15),
    ("彭", 12),
    ("冉", 8),
    ("向", 8),
    ("甘", 6),
    ("余", 12),
    ("蒲", 6),
    ("秦", 6),
    ("喻", 5),
    ("代", 8),
    ("付", 8),
    ("龙", 6),
    ("舒", 5),
    ("廖", 8),
    ("肖", 10),
    ("郭", 10),
    ("林", 8),
    ("游", 5),
    ("蔡", 6),
    ("卢", 6),
    ("牟", 5),
    ("熊", 6),
    ("雷", 6),
    ("侯", 5),
    ("单", 3),
    ("解", 3),
    ("仇", 2),
    ("区", 2),
    ("查", 2),
    ("翟", 3),
    ("朴", 1),
    ("盖", 2),
    ("缪", 2),
    ("覃", 3),
];

/// Whole given names common among household heads born 1935–1995.
const GIVEN_NAMES: &[&str] = &[
    "建国", "建华", "国强", "秀英", "桂兰", "玉珍", "德明", "光荣", "志强", "永福", "世华", "昌友",
    "素珍", "淑芬", "明德", "文华", "长春", "少华", "桂芳", "春梅", "太平", "天云", "德贵", "正清",
    "中华", "泽民", "玉兰", "素芳", "家富", "世伦", "光明", "朝贵", "红英", "小平", "大勇", "仕成",
];
/// Single characters for the rest of the names.
const GIVEN_CHARS: &[&str] = &[
    "明", "华", "英", "兰", "芳", "德", "文", "光", "伟", "勇", "军", "平", "红", "琼", "淑", "素",
    "世", "昌", "福", "贵", "强", "林", "成", "国", "庆", "荣", "清", "云", "海", "泽", "凤", "仙",
    "珍", "全", "友", "富", "康", "春", "秋", "冬", "梅", "菊", "莲", "蓉", "容", "先", "绍", "宗",
    "祖", "远", "良", "志", "忠", "孝", "义", "礼", "长", "天", "玉", "金", "银", "秀", "丽", "敏",
    "静", "洪", "波", "涛",
];
/// Characters outside GB2312 that real registers contain; printing and search must cope with them.
const RARE_CHARS: &[&str] = &["堃", "犇", "喆", "赟", "昇", "珺", "玥", "䶮"];

const PHONE_PREFIXES: &[&str] = &[
    "133", "135", "136", "137", "138", "139", "150", "151", "152", "157", "158", "159", "177",
    "180", "181", "182", "183", "185", "187", "188", "189", "199",
];

const TECH_MODES: &[(TechMode, u32)] = &[
    (TechMode::ThreeCompartment, 46),
    (TechMode::ThreeUrn, 14),
    (TechMode::DoubleUrn, 5),
    (TechMode::Sewer, 8),
    (TechMode::UrineDiversion, 2),
    (TechMode::DoublePit, 2),
    (TechMode::Biogas, 9),
    (TechMode::CentralCollection, 2),
    (TechMode::OtherSanitary, 3),
    (TechMode::NonSanitary, 7),
    (TechMode::NoToilet, 2),
];

/// `count` distinct village names: the twelve of the town first, then made-up two-syllable ones.
fn village_names(count: usize) -> Vec<String> {
    let n = VILLAGE_SYLLABLES.len();
    let mut seen = HashSet::new();
    let generated = (0..).map(|k: usize| {
        let a = (k / (n - 1)) % n;
        let b = k % (n - 1);
        let b = if b >= a { b + 1 } else { b };
        let round = k / (n * (n - 1));
        let suffix = if round == 0 {
            String::new()
        } else {
            (round + 1).to_string()
        };
        format!("{}{}{suffix}村", VILLAGE_SYLLABLES[a], VILLAGE_SYLLABLES[b])
    });
    VILLAGE_NAMES
        .iter()
        .map(|s| s.to_string())
        .chain(generated)
        .filter(|name| seen.insert(name.clone()))
        .take(count)
        .collect()
}

pub(crate) fn person_name(rng: &mut Rng) -> String {
    let mut name = rng.weighted(SURNAMES).to_string();
    let roll = rng.below(100);
    if roll < 40 {
        name.push_str(rng.pick(GIVEN_NAMES));
    } else {
        name.push_str(rng.pick(GIVEN_CHARS));
        if roll < 85 {
            name.push_str(rng.pick(GIVEN_CHARS));
        }
    }
    if rng.chance(0.012) {
        // Replace the last character with a rare one.
        name.pop();
        name.push_str(rng.pick(RARE_CHARS));
    }
    name
}

fn id_number(rng: &mut Rng, male: bool) -> String {
    let region = if rng.chance(0.6) { "500224" } else { "500151" };
    let year = 1935 + rng.below(61) as i64;
    let month = rng.range(1, 12);
    let day = rng.range(1, 28);
    let mut seq = rng.below(1000);
    if (seq % 2 == 1) != male {
        seq = (seq + 1) % 1000;
    }
    let body = format!("{region}{year:04}{month:02}{day:02}{seq:03}");
    let check = idcard::check_char(&body).expect("17 digits");
    format!("{body}{check}")
}

pub(crate) fn phone(rng: &mut Rng) -> String {
    format!("{}{:08}", rng.pick(PHONE_PREFIXES), rng.below(100_000_000))
}

fn toilet(rng: &mut Rng, district: &str) -> NewToilet {
    let mode = *rng.weighted(TECH_MODES);
    if mode == TechMode::NoToilet {
        return NewToilet {
            tech_mode: Some(mode),
            location: None,
            build_year: None,
            subsidized: Some(false),
            subsidy_year: None,
            subsidy_amount_fen: None,
            project_name: None,
            is_sanitary: Some(false),
            use_status: None,
            baseline_source: BaselineSource::Survey,
        };
    }
    let sanitary = mode.is_sanitary();
    let build_year = if sanitary {
        Some(rng.range(2013, 2022))
    } else {
        None
    };
    let subsidized = sanitary && rng.chance(0.72);
    let (subsidy_year, amount, project) = if subsidized {
        let by = build_year.unwrap_or(2018);
        let year = if rng.chance(0.03) {
            None // a record that lost its subsidy year: a person must decide its category
        } else if rng.chance(0.8) {
            Some(by)
        } else {
            Some((by + 1).min(2022))
        };
        let yuan = rng.pick(&[800i64, 1000, 1000, 1200, 1500, 2000]);
        let project = match year {
            Some(y) if rng.chance(0.5) => format!("{y}年{district}农村户厕改造项目"),
            Some(y) => format!("{y}年农村人居环境整治改厕项目"),
            None => "农村户厕改造项目".to_string(),
        };
        (year, Some(yuan * 100), Some(project))
    } else {
        (None, None, None)
    };
    let location = *rng.weighted(&[
        (Location::Indoor, 35),
        (Location::Yard, 45),
        (Location::Outside, 20),
    ]);
    let use_status = *rng.weighted(&[
        (UseStatus::InUse, 88),
        (UseStatus::Idle, 6),
        (UseStatus::Unusable, 4),
        (UseStatus::Demolished, 2),
    ]);
    NewToilet {
        tech_mode: Some(mode),
        location: Some(location),
        build_year,
        subsidized: Some(subsidized),
        subsidy_year,
        subsidy_amount_fen: amount,
        project_name: project,
        is_sanitary: Some(sanitary),
        use_status: Some(use_status),
        baseline_source: if subsidized {
            BaselineSource::Subsidy
        } else {
            BaselineSource::Survey
        },
    }
}

/// Fills an empty database with a demo town. Refuses a database that already has households,
/// so demo data never mixes with real data. All of it is written in one transaction.
pub fn generate(conn: &mut Connection, opts: DemoOptions, now: &str) -> Result<DemoSummary> {
    let (existing, _) = households::counts(conn)?;
    if existing > 0 {
        return Err(Error::DatabaseNotEmpty {
            households: existing,
        });
    }
    if opts.households == 0 || opts.households > 1_000_000 {
        return Err(Error::Invalid(format!(
            "示例农户数 {} 不合适：请填写 1 到 1,000,000 之间的数。",
            opts.households
        )));
    }
    let district = "铜梁区";
    let mut rng = Rng::new(opts.seed);
    let village_count = if opts.households <= 12_000 {
        12
    } else {
        opts.households.div_ceil(750)
    };

    // Plan the places and how many households each 社 gets, then write them in order so that a
    // 社's households are listed together, as on the village's paper register.
    let mut plan: Vec<(String, Vec<(String, usize)>)> = Vec::with_capacity(village_count);
    let mut weights: Vec<(usize, usize, u32)> = Vec::new();
    for (v, name) in village_names(village_count).into_iter().enumerate() {
        let groups = rng.range(6, 12) as usize;
        plan.push((name, (1..=groups).map(|g| (format!("{g}社"), 0)).collect()));
        for g in 0..groups {
            weights.push((v, g, 70 + rng.below(60) as u32));
        }
    }
    let total_weight: u64 = weights.iter().map(|w| w.2 as u64).sum();
    for _ in 0..opts.households {
        let mut r = rng.below(total_weight);
        for &(v, g, w) in &weights {
            if r < w as u64 {
                plan[v].1[g].1 += 1;
                break;
            }
            r -= w as u64;
        }
    }

    // Random-order inserts into the search-key B-tree need a cache the size of the index, or a
    // district-sized town spends most of its time re-reading pages.
    let cache: i64 = conn.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
    conn.pragma_update(
        None,
        "cache_size",
        -((opts.households as i64 / 1000 + 32) * 1024),
    )?;
    let result = write_town(conn, &plan, &mut rng, opts, district, now);
    conn.pragma_update(None, "cache_size", cache)?;
    result
}

fn write_town(
    conn: &mut Connection,
    plan: &[(String, Vec<(String, usize)>)],
    rng: &mut Rng,
    opts: DemoOptions,
    district: &str,
    now: &str,
) -> Result<DemoSummary> {
    let tx = conn.transaction()?;
    settings::set(&tx, settings::KEY_DISTRICT, district)?;
    settings::set(&tx, settings::KEY_TOWN, "石鱼镇")?;
    settings::set(&tx, settings::KEY_DEMO, "1")?;
    let mut used_ids = HashSet::with_capacity(opts.households);
    let mut bulk = households::Bulk::new();
    let mut summary = DemoSummary {
        villages: 0,
        groups: 0,
        households: 0,
        toilets: 0,
        staff: 0,
        inspections: 0,
        problem_toilets: 0,
    };
    for (vi, (vname, groups)) in plan.iter().enumerate() {
        let village_id = households::add_village(&tx, vname, vi as i64 + 1)?;
        summary.villages += 1;
        for (gi, (gname, count)) in groups.iter().enumerate() {
            let group_id =
                households::add_group(&tx, village_id, gname, Some(gi as i64 + 1), gi as i64 + 1)?;
            summary.groups += 1;
            for n in 0..*count {
                let male = rng.chance(0.8);
                let id = loop {
                    let id = id_number(rng, male);
                    if used_ids.insert(id.clone()) {
                        break id;
                    }
                };
                let registered = rng.range(1, 7);
                let is_resident = rng.chance(0.85);
                let household = NewHousehold {
                    group_id,
                    head_name: person_name(rng),
                    id_number: Some(id),
                    phone: if rng.chance(0.85) {
                        Some(phone(rng))
                    } else {
                        None
                    },
                    address: Some(format!("重庆市{district}石鱼镇{vname}{gname}{}号", n + 1)),
                    registered_pop: Some(registered),
                    resident_pop: Some(if is_resident {
                        rng.range(1, registered)
                    } else {
                        0
                    }),
                    category: *rng.weighted(&[
                        (HouseholdCategory::PovertyAlleviated, 9),
                        (HouseholdCategory::Monitored, 2),
                        (HouseholdCategory::Ordinary, 89),
                    ]),
                    is_resident,
                };
                let household_id = bulk.insert_household(&tx, &household, now)?;
                summary.households += 1;
                let toilets = *rng.weighted(&[(1usize, 87), (2, 11), (3, 2)]);
                for _ in 0..toilets {
                    bulk.insert_toilet(&tx, household_id, &toilet(rng, district), now)?;
                    summary.toilets += 1;
                }
            }
        }
    }
    bulk.finish(&tx)?;
    let field = crate::demo::field::generate(&tx, opts.seed, now)?;
    summary.staff = field.staff;
    summary.inspections = field.inspections;
    summary.problem_toilets = field.problem_toilets;
    crate::store::audit::append(
        &tx,
        now,
        "demo",
        "database",
        "demo",
        &format!(
            "载入示例数据（虚构）：{} 户、{} 个户厕、{} 次核查",
            summary.households, summary.toilets, summary.inspections
        ),
        serde_json::json!({ "seed": opts.seed, "households": summary.households }),
    )?;
    tx.commit()?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn village_names_are_unique_for_a_district() {
        let names = village_names(4000);
        assert_eq!(names.len(), 4000);
        assert_eq!(
            names.iter().collect::<HashSet<_>>().len(),
            4000,
            "village names must not repeat"
        );
        assert_eq!(names[0], "石鱼村", "the town's own villages come first");
    }

    #[test]
    fn ids_pass_checksum_and_carry_gender() {
        let mut rng = Rng::new(3);
        for _ in 0..1000 {
            let male = rng.chance(0.5);
            let id = id_number(&mut rng, male);
            assert!(idcard::is_valid(&id), "demo ID {id} must pass GB 11643");
            let gender_digit = id.as_bytes()[16] - b'0';
            assert_eq!(
                gender_digit % 2 == 1,
                male,
                "17th digit odd means male: {id}"
            );
        }
    }
}
