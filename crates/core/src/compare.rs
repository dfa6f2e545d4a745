//! 多方比对: the village's own check (村级自查) against the town's re-check (镇级复核) and the
//! district's spot check (区级抽查), and each against the baseline. Every field that differs is
//! listed; per village and per inspection group the share of toilets with a difference shows
//! where an office-only survey (办公室摸排) or a careless group is.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::Connection;
use serde::Serialize;

use crate::error::Result;
use crate::households::Scope;
use crate::model::{HouseholdStatus, InspectionKind, UseStatus};

/// One field on which two records of the same toilet disagree.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    pub household_id: i64,
    pub head_name: String,
    pub village_name: String,
    pub group_name: String,
    pub toilet_seq: i64,
    /// What is compared, e.g. "村级自查 2022-09-20" or "台账底数".
    pub left: String,
    pub right: String,
    pub field: String,
    pub left_value: String,
    pub right_value: String,
}

/// Counts of one village or inspection group.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Rate {
    pub name: String,
    pub compared: usize,
    pub differing: usize,
}

impl Rate {
    /// Share of compared toilets with at least one difference, in per cent.
    pub fn percent(&self) -> f64 {
        if self.compared == 0 {
            0.0
        } else {
            self.differing as f64 * 100.0 / self.compared as f64
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub differences: Vec<Difference>,
    pub villages: Vec<Rate>,
    /// By the inspection group whose result was checked (the earlier inspection's members).
    pub groups: Vec<Rate>,
}

#[derive(Clone)]
struct Visit {
    kind: InspectionKind,
    on: String,
    status: HouseholdStatus,
    in_use: Option<bool>,
    problems: BTreeSet<String>,
    stops_use: bool,
    members: String,
}

struct ToiletRow {
    household_id: i64,
    head_name: String,
    village: String,
    group: String,
    seq: i64,
    use_status: Option<UseStatus>,
    visits: Vec<Visit>,
}

fn yes_no(b: Option<bool>) -> String {
    b.map_or("未填".into(), |b| if b { "是".into() } else { "否".into() })
}

fn set_text(s: &BTreeSet<String>) -> String {
    if s.is_empty() {
        "无问题".into()
    } else {
        s.iter().cloned().collect::<Vec<_>>().join("、")
    }
}

/// Compares the inspections of every toilet in `scope`.
pub fn compare(conn: &Connection, scope: Scope) -> Result<Comparison> {
    let (filter, id) = match scope {
        Scope::Town => ("1", 0),
        Scope::Village(v) => ("h.village_id = ?1", v),
        Scope::Group(g) => ("h.group_id = ?1", g),
    };
    let mut toilets: BTreeMap<i64, ToiletRow> = BTreeMap::new();
    let sql = format!(
        "SELECT t.id, h.id, h.head_name, v.name, g.name, t.seq, t.use_status,
                i.kind, i.inspected_on, i.household_status, i.in_normal_use,
                (SELECT group_concat(pi.name, '|') FROM inspection_problems p JOIN problem_items pi ON pi.id = p.item_id WHERE p.inspection_id = i.id),
                EXISTS (SELECT 1 FROM inspection_problems p WHERE p.inspection_id = i.id AND p.stops_use = 1),
                (SELECT group_concat(name, '、') FROM (SELECT s.name FROM inspection_members m JOIN staff s ON s.id = m.staff_id WHERE m.inspection_id = i.id ORDER BY s.name))
         FROM inspections i JOIN toilets t ON t.id = i.toilet_id JOIN households h ON h.id = t.household_id
         JOIN villages v ON v.id = h.village_id JOIN village_groups g ON g.id = h.group_id
         WHERE {filter} AND ?1 = ?1
         ORDER BY v.sort_order, v.id, g.sort_order, g.id, h.id, t.seq, i.inspected_on, i.id"
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query([id])?;
    while let Some(r) = rows.next()? {
        let toilet: i64 = r.get(0)?;
        let problems: Option<String> = r.get(11)?;
        let visit = Visit {
            kind: r.get(7)?,
            on: r.get(8)?,
            status: r.get(9)?,
            in_use: r.get(10)?,
            problems: problems
                .map(|p| p.split('|').map(str::to_string).collect())
                .unwrap_or_default(),
            stops_use: r.get(12)?,
            members: r.get::<_, Option<String>>(13)?.unwrap_or_default(),
        };
        let entry = match toilets.entry(toilet) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => e.insert(ToiletRow {
                household_id: r.get(1)?,
                head_name: r.get(2)?,
                village: r.get(3)?,
                group: r.get(4)?,
                seq: r.get(5)?,
                use_status: r.get(6)?,
                visits: Vec::new(),
            }),
        };
        entry.visits.push(visit);
    }

    let mut differences = Vec::new();
    let mut villages: Vec<Rate> = Vec::new();
    let mut groups: BTreeMap<String, Rate> = BTreeMap::new();
    let mut order: Vec<(String, Vec<&ToiletRow>)> = Vec::new();
    for t in toilets.values() {
        match order.last_mut() {
            Some((v, list)) if *v == t.village => list.push(t),
            _ => order.push((t.village.clone(), vec![t])),
        }
    }
    for (village, list) in order {
        let mut rate = Rate {
            name: village,
            ..Rate::default()
        };
        for t in list {
            // The latest inspection of each kind, in the order 村级 → 镇级 → 区级.
            let mut latest: Vec<&Visit> = Vec::new();
            for kind in InspectionKind::ALL {
                if let Some(v) = t.visits.iter().rfind(|v| v.kind == *kind) {
                    latest.push(v);
                }
            }
            let before = differences.len();
            let mut push = |left: String, right: String, field: &str, a: String, b: String| {
                differences.push(Difference {
                    household_id: t.household_id,
                    head_name: t.head_name.clone(),
                    village_name: t.village.clone(),
                    group_name: t.group.clone(),
                    toilet_seq: t.seq,
                    left,
                    right,
                    field: field.to_string(),
                    left_value: a,
                    right_value: b,
                });
            };
            let name = |v: &Visit| format!("{} {}", v.kind.label(), v.on);
            for (i, a) in latest.iter().enumerate() {
                for b in &latest[i + 1..] {
                    if a.status != b.status {
                        push(
                            name(a),
                            name(b),
                            "农户状态",
                            a.status.label().into(),
                            b.status.label().into(),
                        );
                    }
                    if a.in_use != b.in_use {
                        push(
                            name(a),
                            name(b),
                            "是否正常使用",
                            yes_no(a.in_use),
                            yes_no(b.in_use),
                        );
                    }
                    if a.problems != b.problems {
                        push(
                            name(a),
                            name(b),
                            "发现的问题",
                            set_text(&a.problems),
                            set_text(&b.problems),
                        );
                    }
                    if a.stops_use != b.stops_use {
                        push(
                            name(a),
                            name(b),
                            "是否影响使用",
                            yes_no(Some(a.stops_use)),
                            yes_no(Some(b.stops_use)),
                        );
                    }
                }
            }
            // The baseline says in normal use; the field says not (or the other way round).
            if let (Some(base), Some(last)) = (t.use_status, latest.last()) {
                if let Some(in_use) = last.in_use {
                    let base_in_use = base == UseStatus::InUse;
                    if base_in_use != in_use {
                        push(
                            "台账底数".into(),
                            name(last),
                            "使用状态",
                            base.label().into(),
                            if in_use {
                                "正常使用".into()
                            } else {
                                "不能正常使用".into()
                            },
                        );
                    }
                }
            }
            let compared = latest.len() >= 2 || (t.use_status.is_some() && !latest.is_empty());
            if compared {
                rate.compared += 1;
                let differs = differences.len() > before;
                if differs {
                    rate.differing += 1;
                }
                if latest.len() >= 2 {
                    let g = groups
                        .entry(latest[0].members.clone())
                        .or_insert_with(|| Rate {
                            name: latest[0].members.clone(),
                            ..Rate::default()
                        });
                    g.compared += 1;
                    if differences[before..].iter().any(|d| d.left != "台账底数") {
                        g.differing += 1;
                    }
                }
            }
        }
        villages.push(rate);
    }
    let mut groups: Vec<Rate> = groups.into_values().collect();
    groups.sort_by(|a, b| {
        b.percent()
            .partial_cmp(&a.percent())
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(b.compared.cmp(&a.compared))
    });
    Ok(Comparison {
        differences,
        villages,
        groups,
    })
}
