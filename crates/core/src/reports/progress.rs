//! 月调度: progress per village as of a date — households and toilets in scope, inspected,
//! problem toilets by category, rectified, closed out (销号), overdue — the town's totals, the
//! ranking of villages, a progress line over time from the dated records, and the phases of the
//! town's plan against that date with the villages behind schedule.
//!
//! Everything is computed from dated records: an inspection counts from its date, a case from
//! its inspection's date, and a case's state is replayed from its moves up to the date. The
//! category is the case's current one (a decision, not a dated state).

use std::collections::BTreeMap;

use crate::fast_map::FastMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{CaseState, Category};
use crate::store::settings;
use crate::store::sql::{Db, Engine};

/// The numbers of one village, or of the whole town.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Counts {
    pub village_id: i64,
    pub name: String,
    pub households: i64,
    /// 无厕所户: households without a toilet (not in 户厕数 nor in the 排查率).
    pub no_toilet: i64,
    pub toilets: i64,
    /// Toilets with at least one inspection (any kind) on or before the date.
    pub inspected: i64,
    /// Toilets re-checked by the town (镇级复核) on or before the date.
    pub rechecked: i64,
    /// Problem cases opened (their inspection on or before the date).
    pub problems: i64,
    pub undecided: i64,
    pub immediate_fix: i64,
    pub plan_district: i64,
    pub plan_town_funded: i64,
    /// Cases rectified: awaiting acceptance or closed out on the date.
    pub rectified: i64,
    pub closed: i64,
    /// 逾期未整改: on the date past the deadline (a planned month before the date's month, or
    /// 立行立改 older than the town's days) and not rectified (待整改, 整改中).
    pub overdue_unrectified: i64,
    /// 逾期待验收: on the date past the deadline, rectified and not yet accepted (已整改待验收):
    /// the town's close-out is late, not the farmer. With `overdue_unrectified`, every open case
    /// past its deadline.
    pub overdue_awaiting: i64,
    /// 综合进度, in per cent: the mean of the inspection rate and the close-out rate as ranked
    /// ([`Counts::ranked_closed_percent`]: a case waiting past its deadline for the town's
    /// acceptance counts as closed out, so a village is not ranked down for the town's late
    /// acceptance); for a place without problem toilets, which has no close-out rate, the
    /// inspection rate alone.
    pub score: f64,
    /// 1 = best; equal scores share a rank.
    pub rank: usize,
    /// Why the village is behind schedule (empty when it is not).
    pub behind: Vec<String>,
    /// The rates as shown, set with the score.
    pub rates: Rates,
    /// The one thing to do next, set with the score (none when all is done).
    pub next: Option<NextAction>,
}

/// What a place should do next, and the worklist that holds exactly that.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NextAction {
    /// e.g. "还有 37 个户厕未排查".
    pub text: String,
    pub list: Worklist,
}

/// The worklists 进度调度 opens: the household list's 未核查, or the problem ledger's filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Worklist {
    Unchecked,
    Undecided,
    Overdue,
    AwaitingAcceptance,
    InProgress,
}

impl Counts {
    /// The one next action, in the season's order: inspect what is left, decide the categories,
    /// chase the overdue, accept what is rectified, follow what is being rectified.
    pub fn next_action(&self) -> Option<NextAction> {
        let awaiting = self.rectified - self.closed;
        let open = self.problems - self.rectified - self.undecided;
        let (n, text, list) = if self.toilets > self.inspected {
            let n = self.toilets - self.inspected;
            (n, format!("还有 {n} 个户厕未排查"), Worklist::Unchecked)
        } else if self.undecided > 0 {
            let n = self.undecided;
            (n, format!("{n} 个问题待确定类别"), Worklist::Undecided)
        } else if self.overdue_unrectified > 0 {
            let n = self.overdue_unrectified;
            (n, format!("{n} 个问题逾期未整改"), Worklist::Overdue)
        } else if awaiting > 0 {
            let late = self.overdue_awaiting;
            (
                awaiting,
                if late > 0 {
                    format!("{awaiting} 个户厕已整改待验收销号（{late} 个已逾期待验收）")
                } else {
                    format!("{awaiting} 个户厕已整改待验收销号")
                },
                Worklist::AwaitingAcceptance,
            )
        } else if open > 0 {
            (open, format!("{open} 个问题正在整改"), Worklist::InProgress)
        } else {
            return None;
        };
        (n > 0).then_some(NextAction { text, list })
    }

    pub fn inspected_percent(&self) -> f64 {
        percent(self.inspected, self.toilets)
    }
    /// Closed out of the problem cases; none when there are no problem toilets (finding
    /// nothing is not a perfect close-out).
    pub fn closed_percent(&self) -> Option<f64> {
        (self.problems > 0).then(|| percent(self.closed, self.problems))
    }
    /// The close-out rate the ranking takes: closed out, and rectified cases waiting past their
    /// deadline for the town's acceptance (逾期待验收: the town's delay, not the village's), of
    /// the problem cases; none when there are no problem toilets.
    pub fn ranked_closed_percent(&self) -> Option<f64> {
        (self.problems > 0).then(|| percent(self.closed + self.overdue_awaiting, self.problems))
    }
    /// 问题发现率: problem toilets of the inspected ones.
    pub fn found_percent(&self) -> f64 {
        percent(self.problems, self.inspected)
    }
    /// The score and the rates' texts, once the counts are complete.
    fn finish(&mut self) {
        self.score = match self.ranked_closed_percent() {
            Some(closed) => (self.inspected_percent() + closed) / 2.0,
            None => self.inspected_percent(),
        };
        self.rates = Rates {
            inspected: rate_text(self.inspected, self.toilets),
            rechecked: rate_text(self.rechecked, self.inspected),
            closed: rate_text(self.closed, self.problems),
            found: rate_text(self.problems, self.inspected),
            score: percent_text(self.score),
            inspected_percent: self.inspected_percent(),
            closed_percent: self.closed_percent(),
        };
        self.next = self.next_action();
    }
    fn add(&mut self, o: &Counts) {
        self.households += o.households;
        self.no_toilet += o.no_toilet;
        self.toilets += o.toilets;
        self.inspected += o.inspected;
        self.rechecked += o.rechecked;
        self.problems += o.problems;
        self.undecided += o.undecided;
        self.immediate_fix += o.immediate_fix;
        self.plan_district += o.plan_district;
        self.plan_town_funded += o.plan_town_funded;
        self.rectified += o.rectified;
        self.closed += o.closed;
        self.overdue_unrectified += o.overdue_unrectified;
        self.overdue_awaiting += o.overdue_awaiting;
    }
}

pub use crate::model::percent;
use crate::model::{percent_text, rate_text};

/// The rates of a place as shown (see [`rate_text`]): the screen, the bulletin and the sheets
/// take these texts instead of rounding on their own; the charts take the two numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Rates {
    /// 排查率
    pub inspected: String,
    /// 复核率 (of the inspected)
    pub rechecked: String,
    /// 销号率 ("—" without problem toilets)
    pub closed: String,
    /// 问题发现率 (problem toilets of the inspected)
    pub found: String,
    /// 综合进度
    pub score: String,
    /// 排查率 and 销号率 (none without problem toilets), for charts.
    pub inspected_percent: f64,
    pub closed_percent: Option<f64>,
}

/// What a phase of the plan is measured by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// 排查完成率: inspected toilets of all toilets.
    Inspection,
    /// 复核率: toilets re-checked by the town of those inspected.
    Recheck,
    /// 销号率: closed-out cases of the problem cases.
    CloseOut,
}

impl Measure {
    pub fn label(self) -> &'static str {
        match self {
            Measure::Inspection => "排查完成率",
            Measure::Recheck => "镇级复核率",
            Measure::CloseOut => "销号率",
        }
    }
    fn of(self, c: &Counts) -> f64 {
        match self {
            Measure::Inspection => c.inspected_percent(),
            Measure::Recheck => percent(c.rechecked, c.inspected),
            // Nothing to close out: the phase asks nothing of the place.
            Measure::CloseOut => c.closed_percent().unwrap_or(100.0),
        }
    }
    /// A village's value, as its ranking takes it: its rectified cases waiting past their
    /// deadline for the town's acceptance (逾期待验收) count as closed out, so the town's late
    /// acceptance does not put the village behind schedule.
    fn of_village(self, c: &Counts) -> f64 {
        match self {
            Measure::CloseOut => c.ranked_closed_percent().unwrap_or(100.0),
            _ => self.of(c),
        }
    }
    /// The label of [`Measure::of_village`]'s value for `c`.
    fn village_label(self, c: &Counts) -> &'static str {
        match self {
            Measure::CloseOut if c.overdue_awaiting > 0 => "销号率（逾期待验收按已销号计）",
            _ => self.label(),
        }
    }
}

/// One phase of the town's plan (DOMAIN: the work, step by step).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Phase {
    pub name: String,
    /// `YYYY-MM-DD`, both days included.
    pub start: String,
    pub end: String,
    /// The share that should reach `target` by the end, rising evenly over the phase.
    pub measure: Option<Measure>,
    /// Per cent to reach by the end (100 for inspection and close-out).
    #[serde(default = "hundred")]
    pub target: f64,
}

fn hundred() -> f64 {
    100.0
}

pub const KEY_PHASES: &str = "plan_phases";

/// The phases of 石鱼镇's 2022 plan; problems are rectified within 十四五 (to 2025).
pub fn default_phases() -> Vec<Phase> {
    let p = |name: &str, start: &str, end: &str, measure, target| Phase {
        name: name.into(),
        start: start.into(),
        end: end.into(),
        measure,
        target,
    };
    vec![
        p("安排部署", "2022-08-30", "2022-09-15", None, 100.0),
        p(
            "镇村实施（入户排查）",
            "2022-09-16",
            "2022-10-10",
            Some(Measure::Inspection),
            100.0,
        ),
        p(
            "镇级核查（复核）",
            "2022-09-16",
            "2022-10-25",
            Some(Measure::Recheck),
            10.0,
        ),
        p(
            "问题整改（销号）",
            "2022-09-16",
            "2025-12-31",
            Some(Measure::CloseOut),
            100.0,
        ),
    ]
}

fn date(s: &str, what: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        Error::Invalid(format!(
            "{what}“{s}”不是有效日期，请按“2022-09-16”的格式填写。"
        ))
    })
}

/// The plan's phases from the settings, or the default plan.
pub fn phases<'a>(db: impl Into<Db<'a>>) -> Result<Vec<Phase>> {
    match settings::get(db, KEY_PHASES)? {
        Some(json) => serde_json::from_str(&json).map_err(|e| {
            Error::Invalid(format!(
                "设置中保存的工作阶段无法读取（{e}），请在“工作阶段”设置里重新保存。"
            ))
        }),
        None => Ok(default_phases()),
    }
}

/// Checks and saves the phases.
pub fn save_phases<'a>(db: impl Into<Db<'a>>, phases: &[Phase], now: &str) -> Result<Vec<Phase>> {
    if phases.is_empty() || phases.len() > 12 {
        return Err(Error::Invalid(
            "工作阶段应有 1 到 12 个，请检查后再保存。".into(),
        ));
    }
    let mut clean = Vec::new();
    for (i, p) in phases.iter().enumerate() {
        let n = i + 1;
        let name = p.name.trim();
        if name.is_empty() || name.chars().count() > 20 {
            return Err(Error::Invalid(format!(
                "第 {n} 个阶段的名称应为 1 到 20 个字，请修改。"
            )));
        }
        let start = date(&p.start, &format!("“{name}”的开始日期"))?;
        let end = date(&p.end, &format!("“{name}”的结束日期"))?;
        if end < start {
            return Err(Error::Invalid(format!(
                "“{name}”的结束日期 {end} 早于开始日期 {start}，请修改。"
            )));
        }
        if !(0.0..=100.0).contains(&p.target) {
            return Err(Error::Invalid(format!(
                "“{name}”的目标应在 0% 到 100% 之间，请修改。"
            )));
        }
        clean.push(Phase {
            name: name.into(),
            start: start.to_string(),
            end: end.to_string(),
            measure: p.measure,
            target: p.target,
        });
    }
    let json = serde_json::to_string(&clean).expect("phases serialize");
    db.into().atomically(|tx| {
        let old = settings::get(tx, KEY_PHASES)?;
        settings::set(tx, KEY_PHASES, &json)?;
        crate::store::audit::append(
            tx,
            now,
            "settings.phases",
            "settings",
            KEY_PHASES,
            "修改工作阶段",
            serde_json::json!({ "phases": [old, json] }),
        )?;
        Ok(())
    })?;
    Ok(clean)
}

/// A phase against the report's date.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhaseStatus {
    #[serde(flatten)]
    pub phase: Phase,
    /// 未开始 / 进行中 / 已结束
    pub state: &'static str,
    /// Share of the phase's days passed, 0–100.
    pub elapsed: f64,
    /// What the measure should be on the date (rising evenly to the target).
    pub expected: Option<f64>,
    /// The town's value of the measure.
    pub actual: Option<f64>,
    /// `expected` and `actual` as shown ("" without a measure).
    pub expected_text: String,
    pub actual_text: String,
    /// Names of the villages below the expected value.
    pub behind: Vec<String>,
}

/// One day on the progress line: cumulative counts at the end of that day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    pub date: String,
    pub inspected: i64,
    pub problems: i64,
    pub closed: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    pub as_of: String,
    /// In the town's order.
    pub villages: Vec<Counts>,
    pub town: Counts,
    /// Indices into `villages`, best first.
    pub ranking: Vec<usize>,
    /// Days on which something changed, up to the date.
    pub timeline: Vec<Point>,
    pub phases: Vec<PhaseStatus>,
}

fn month_of(d: &str) -> &str {
    d.get(..7).unwrap_or(d)
}

/// A case opened by the report's date, with its state on that date.
struct Case {
    village: usize,
    category: Option<Category>,
    planned: Option<String>,
    /// The day it was opened ([`day_key`]).
    opened_on: Day,
    state: CaseState,
}

/// (village index, day, toilets first inspected that day, of them re-checked by the town)
type FirstDays = Vec<(usize, Day, i64, i64)>;

/// (day, +1 for a case closed out that day, −1 for one reopened)
type Closings = Vec<(Day, i64)>;

/// What the counts are made of, as read from the database. The households, toilets and
/// no-toilet households of each village go straight into the villages' counts.
struct Facts {
    first_days: FirstDays,
    cases: Vec<Case>,
    closings: Closings,
}

/// Progress of every village as of `as_of` (`YYYY-MM-DD`, the day included).
///
/// A toilet counts as inspected from its first inspection's day and as re-checked from its first
/// town re-check's day, both kept on the toilet (schema version 15). The embedded file streams
/// the rows into arrays (faster there than SQLite's grouping); the server groups in SQL, so only
/// the village-and-day totals cross the network.
pub fn progress<'a>(db: impl Into<Db<'a>>, as_of: &str) -> Result<Progress> {
    let conn = db.into();
    let day = date(as_of, "统计日期")?.to_string();
    let day = day.as_str();
    let month = month_of(day);

    let mut villages: Vec<Counts> = Vec::new();
    let mut index: FastMap<i64, usize> = FastMap::default();
    conn.for_each(
        "SELECT id, name FROM villages ORDER BY sort_order, id",
        [],
        |r| {
            index.insert(r.get(0)?, villages.len());
            villages.push(Counts {
                village_id: r.get(0)?,
                name: r.get(1)?,
                ..Counts::default()
            });
            Ok(())
        },
    )?;
    // The places and the cases at once (on the file, a second reader on the other core).
    let (first_days, (cases, closings)) = crate::store::sql::in_parallel(
        conn,
        |conn| match conn.engine() {
            Engine::File => streamed_facts(conn, day, &index, &mut villages),
            Engine::Server => grouped_facts(conn, day, &index, &mut villages),
        },
        |conn| case_facts(conn, day, &index),
    )?;
    let facts = Facts {
        first_days,
        cases,
        closings,
    };

    // date → (inspected, problems, closed) changes
    let mut changes: BTreeMap<Day, (i64, i64, i64)> = BTreeMap::new();
    for (vx, on, n, re) in facts.first_days {
        villages[vx].inspected += n;
        villages[vx].rechecked += re;
        changes.entry(on).or_default().0 += n;
    }
    for (on, delta) in facts.closings {
        changes.entry(on).or_default().2 += delta;
    }
    // An open 立行立改 case found before this day is overdue (the town's working days).
    let days = crate::fieldwork::working::WorkingValues::load(conn)?.immediate_overdue_days;
    let immediate_cutoff = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .ok()
        .map(|d| {
            (d - chrono::Duration::days(days))
                .format("%Y-%m-%d")
                .to_string()
        });
    for case in &facts.cases {
        changes.entry(case.opened_on).or_default().1 += 1;
        let v = &mut villages[case.village];
        v.problems += 1;
        match case.category {
            None => v.undecided += 1,
            Some(Category::ImmediateFix) => v.immediate_fix += 1,
            Some(Category::PlanDistrict) => v.plan_district += 1,
            Some(Category::PlanTownFunded) => v.plan_town_funded += 1,
        }
        let late = case.planned.as_deref().is_some_and(|p| p < month)
            || (case.category == Some(Category::ImmediateFix)
                && immediate_cutoff
                    .as_deref()
                    .is_some_and(|c| case.opened_on.as_slice() < c.as_bytes()));
        match case.state {
            CaseState::Closed => {
                v.rectified += 1;
                v.closed += 1;
            }
            CaseState::AwaitingAcceptance => {
                v.rectified += 1;
                v.overdue_awaiting += i64::from(late);
            }
            CaseState::Pending | CaseState::InProgress => v.overdue_unrectified += i64::from(late),
        }
    }

    let mut town = Counts {
        name: "全镇".into(),
        ..Counts::default()
    };
    for v in &mut villages {
        v.finish();
        town.add(v);
    }
    town.finish();
    let mut ranking: Vec<usize> = (0..villages.len()).collect();
    ranking.sort_by(|&a, &b| {
        villages[b]
            .score
            .partial_cmp(&villages[a].score)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.cmp(&b))
    });
    for (pos, &i) in ranking.iter().enumerate() {
        let rank = if pos > 0 && villages[ranking[pos - 1]].score == villages[i].score {
            villages[ranking[pos - 1]].rank
        } else {
            pos + 1
        };
        villages[i].rank = rank;
    }

    let mut timeline = Vec::with_capacity(changes.len());
    let (mut a, mut b, mut c) = (0, 0, 0);
    for (d, (di, dp, dc)) in changes {
        a += di;
        b += dp;
        c += dc;
        timeline.push(Point {
            date: day_text(&d),
            inspected: a,
            problems: b,
            closed: c,
        });
    }

    let today = date(day, "统计日期")?;
    let mut statuses = Vec::new();
    for p in phases(conn)? {
        let start = date(&p.start, "阶段开始日期")?;
        let end = date(&p.end, "阶段结束日期")?;
        let days = (end - start).num_days() + 1;
        let passed = ((today - start).num_days() + 1).clamp(0, days);
        let elapsed = percent(passed, days);
        let state = if today < start {
            "未开始"
        } else if today > end {
            "已结束"
        } else {
            "进行中"
        };
        let (expected, actual, behind) = match p.measure {
            Some(m) if today >= start => {
                let expected = p.target * elapsed / 100.0;
                let behind: Vec<String> = villages
                    .iter()
                    .filter(|v| v.toilets > 0 && m.of_village(v) + 1e-9 < expected)
                    .map(|v| v.name.clone())
                    .collect();
                (Some(expected), Some(m.of(&town)), behind)
            }
            Some(m) => (Some(0.0), Some(m.of(&town)), Vec::new()),
            None => (None, None, Vec::new()),
        };
        for name in &behind {
            if let Some(v) = villages.iter_mut().find(|v| &v.name == name) {
                let m = p.measure.expect("behind only with a measure");
                v.behind.push(format!(
                    "{}：{}{}，应达 {}",
                    p.name,
                    m.village_label(v),
                    percent_text(m.of_village(v)),
                    percent_text(expected.unwrap_or(0.0))
                ));
            }
        }
        statuses.push(PhaseStatus {
            phase: p,
            state,
            elapsed,
            expected_text: expected.map(percent_text).unwrap_or_default(),
            actual_text: actual.map(percent_text).unwrap_or_default(),
            expected,
            actual,
            behind,
        });
    }

    Ok(Progress {
        as_of: day.to_string(),
        villages,
        town,
        ranking,
        timeline,
        phases: statuses,
    })
}

/// The facts on the embedded file: households and toilets streamed from their covering indexes
/// (cheaper there than SQLite's grouping), the cases' moves replayed in order.
fn streamed_facts(
    conn: Db<'_>,
    day: &str,
    index: &FastMap<i64, usize>,
    villages: &mut [Counts],
) -> Result<FirstDays> {
    conn.for_each("SELECT village_id FROM households", [], |r| {
        if let Some(&vx) = index.get(&r.get::<_, i64>(0)?) {
            villages[vx].households += 1;
        }
        Ok(())
    })?;
    no_toilet_by_village(conn, index, villages)?;
    // Each toilet's village, first inspection and first town re-check (kept on the toilet by
    // triggers), read from their covering index: toilets per village, and per village and
    // first day.
    let mut per_day: FastMap<(usize, Day), (i64, i64)> = FastMap::default();
    let before = |on: &[u8]| day_key(on) <= day_key(day.as_bytes());
    conn.for_each(
        "SELECT village_id, first_inspected_on, first_rechecked_on FROM toilets",
        [],
        |r| {
            let Some(&vx) = r.get::<_, Option<i64>>(0)?.and_then(|v| index.get(&v)) else {
                return Ok(());
            };
            villages[vx].toilets += 1;
            let Some(first) = r
                .get_ref(1)?
                .as_bytes_or_null()
                .map_err(rusqlite::Error::from)?
            else {
                return Ok(());
            };
            if !before(first) {
                return Ok(());
            }
            let rechecked = r
                .get_ref(2)?
                .as_bytes_or_null()
                .map_err(rusqlite::Error::from)?
                .is_some_and(before);
            let e = per_day.entry((vx, day_key(first))).or_default();
            e.0 += 1;
            e.1 += i64::from(rechecked);
            Ok(())
        },
    )?;
    Ok(first_days(per_day))
}

/// The households without a toilet in each village (a few, from their own index; the same on
/// both engines).
fn no_toilet_by_village(
    conn: Db<'_>,
    index: &FastMap<i64, usize>,
    villages: &mut [Counts],
) -> Result<()> {
    conn.for_each(
        "SELECT village_id, count(*) FROM households WHERE no_toilet = 1 GROUP BY village_id",
        [],
        |r| {
            if let Some(&vx) = index.get(&r.get::<_, i64>(0)?) {
                villages[vx].no_toilet = r.get(1)?;
            }
            Ok(())
        },
    )
}

/// (village, first day) → (toilets, of them re-checked) as the rows the totals are made of.
fn first_days(per_day: FastMap<(usize, Day), (i64, i64)>) -> FirstDays {
    per_day
        .into_iter()
        .map(|((vx, on), (n, re))| (vx, on, n, re))
        .collect()
}

/// A day as a fixed key: `YYYY-MM-DD`, ordered as bytes, without an allocation per row.
type Day = [u8; 10];

/// A `YYYY-MM-DD` day as a fixed key (ISO days order as bytes).
fn day_key(on: &[u8]) -> Day {
    let mut key = [0u8; 10];
    let n = on.len().min(10);
    key[..n].copy_from_slice(&on[..n]);
    key
}

/// The day a key was made of.
fn day_text(key: &Day) -> String {
    let end = key.iter().position(|&b| b == 0).unwrap_or(key.len());
    String::from_utf8_lossy(&key[..end]).into_owned()
}

/// The cases opened by the date, their state on it replayed from their moves, and the days
/// cases were closed out or reopened. A few tens of thousands of rows for a district, read as
/// they lie on both engines: cheaper than SQLite's sort, and than the server's window functions.
fn case_facts(
    conn: Db<'_>,
    day: &str,
    index: &FastMap<i64, usize>,
) -> Result<(Vec<Case>, Closings)> {
    let mut closings = Vec::new();
    let mut cases: Vec<Case> = Vec::new();
    let mut by_id: FastMap<i64, usize> = FastMap::default();
    conn.for_each(
        "SELECT id, village_id, category, planned_month, opened_on
         FROM rectifications WHERE opened_on <= ?1",
        [day],
        |r| {
            let Some(&vx) = index.get(&r.get::<_, i64>(1)?) else {
                return Ok(());
            };
            by_id.insert(r.get(0)?, cases.len());
            cases.push(Case {
                village: vx,
                category: r.get(2)?,
                planned: r.get(3)?,
                opened_on: day_key(r.get_ref(4)?.as_bytes().map_err(rusqlite::Error::from)?),
                state: CaseState::Pending,
            });
            Ok(())
        },
    )?;
    // The moves in the order they happened: read as they lie and sorted here, which is
    // cheaper than SQLite's sort.
    let mut moves: Vec<(Day, i64, usize, CaseState)> = Vec::new();
    // A case begins 待整改 (pending): the opening that says so moves nothing and is not read
    // (a third of the moves; and an opening dated after a move no longer undoes it).
    conn.for_each(
        "SELECT happened_on, id, rectification_id, to_state FROM rectification_events
         WHERE to_state IS NOT NULL AND happened_on <= ?1
           AND NOT (kind = 'opened' AND to_state = 'pending')",
        [day],
        |r| {
            if let Some(&case) = by_id.get(&r.get::<_, i64>(2)?) {
                let on = day_key(r.get_ref(0)?.as_bytes().map_err(rusqlite::Error::from)?);
                moves.push((on, r.get(1)?, case, r.get(3)?));
            }
            Ok(())
        },
    )?;
    moves.sort_unstable_by_key(|m| (m.0, m.1));
    for (on, _, case, to) in moves {
        let case = &mut cases[case];
        let was_closed = case.state == CaseState::Closed;
        let now_closed = to == CaseState::Closed;
        if was_closed != now_closed {
            closings.push((on, if now_closed { 1 } else { -1 }));
        }
        case.state = to;
    }
    Ok((cases, closings))
}

/// The facts on the server: grouped there, so a few thousand totals cross the network
/// instead of every toilet's rows; each from one covering index, the toilets' without joining
/// their households (schema version 19).
fn grouped_facts(
    conn: Db<'_>,
    day: &str,
    index: &FastMap<i64, usize>,
    villages: &mut [Counts],
) -> Result<FirstDays> {
    let village = |id: Option<i64>| id.and_then(|id| index.get(&id).copied());
    conn.for_each(
        "SELECT village_id, count(*) FROM households GROUP BY village_id",
        [],
        |r| {
            if let Some(vx) = village(r.get(0)?) {
                villages[vx].households = r.get(1)?;
            }
            Ok(())
        },
    )?;
    no_toilet_by_village(conn, index, villages)?;
    // Toilets per village and first inspection day; a day after the date is not inspected yet.
    let today = day_key(day.as_bytes());
    let mut per_day: FastMap<(usize, Day), (i64, i64)> = FastMap::default();
    conn.for_each(
        "SELECT village_id, first_inspected_on, count(*),
                count(*) FILTER (WHERE first_rechecked_on <= ?1)
         FROM toilets GROUP BY 1, 2",
        [day],
        |r| {
            if let Some(vx) = village(r.get(0)?) {
                let n: i64 = r.get(2)?;
                villages[vx].toilets += n;
                if let Some(on) = r.get::<_, Option<String>>(1)? {
                    let on = day_key(on.as_bytes());
                    if on <= today {
                        let e = per_day.entry((vx, on)).or_default();
                        e.0 += n;
                        e.1 += r.get::<_, i64>(3)?;
                    }
                }
            }
            Ok(())
        },
    )?;
    Ok(first_days(per_day))
}

#[cfg(test)]
mod next_tests {
    use super::*;

    #[test]
    fn the_next_action_follows_the_season() {
        let mut c = Counts {
            toilets: 100,
            inspected: 63,
            problems: 20,
            undecided: 12,
            rectified: 5,
            closed: 2,
            overdue_unrectified: 4,
            ..Counts::default()
        };
        let next = |c: &Counts| c.next_action().map(|n| (n.text, n.list));
        assert_eq!(
            next(&c),
            Some(("还有 37 个户厕未排查".into(), Worklist::Unchecked))
        );
        c.inspected = 100;
        assert_eq!(
            next(&c),
            Some(("12 个问题待确定类别".into(), Worklist::Undecided))
        );
        c.undecided = 0;
        assert_eq!(next(&c).unwrap().1, Worklist::Overdue);
        c.overdue_unrectified = 0;
        assert_eq!(
            next(&c),
            Some((
                "3 个户厕已整改待验收销号".into(),
                Worklist::AwaitingAcceptance
            ))
        );
        // Rectified and waiting past the deadline: the town's acceptance is late, not the
        // farmer's rectification.
        c.overdue_awaiting = 2;
        assert_eq!(
            next(&c),
            Some((
                "3 个户厕已整改待验收销号（2 个已逾期待验收）".into(),
                Worklist::AwaitingAcceptance
            ))
        );
        c.overdue_awaiting = 0;
        c.closed = 5;
        assert_eq!(
            next(&c),
            Some(("15 个问题正在整改".into(), Worklist::InProgress))
        );
        c.rectified = 20;
        c.closed = 20;
        assert_eq!(next(&c), None, "all done");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_default_save_and_refuse() {
        let conn = crate::store::db::open_in_memory().unwrap();
        assert_eq!(phases(&conn).unwrap(), default_phases());
        let mut p = default_phases();
        p[1].end = "2022-10-20".into();
        p[0].name = " 部署 ".into();
        let saved = save_phases(&conn, &p, "2026-11-29T10:00:00+08:00").unwrap();
        assert_eq!(saved[0].name, "部署");
        assert_eq!(phases(&conn).unwrap(), saved);
        let mut bad = default_phases();
        bad[2].end = "2022-09-01".into();
        let err = save_phases(&conn, &bad, "2026-11-29T10:00:00+08:00")
            .unwrap_err()
            .to_string();
        assert!(err.contains("早于开始日期"), "{err}");
        bad = default_phases();
        bad[0].start = "2022/8/30".into();
        let err = save_phases(&conn, &bad, "2026-11-29T10:00:00+08:00")
            .unwrap_err()
            .to_string();
        assert!(err.contains("不是有效日期"), "{err}");
        assert_eq!(
            phases(&conn).unwrap(),
            saved,
            "a refused save changes nothing"
        );
    }
}
