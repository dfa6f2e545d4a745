//! Households by place: the 镇 → 行政村 → 社 tree with counts, the paged and searchable household
//! list, one household's details with its toilets, and the write path for places, households
//! and toilets (which keeps the search keys in step).

use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{HouseholdCategory, NewHousehold, NewToilet, Toilet};
use crate::places::idcard;
use crate::search_keys::{self, Query};
use crate::store::sql::{json_ids, numbered, Db, Engine, Optional, Row};

/// The largest page the list returns at once.
pub const MAX_PAGE: i64 = 500;

// ---------------------------------------------------------------------------------------------
// The place tree

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupNode {
    pub id: i64,
    pub name: String,
    pub households: i64,
    pub toilets: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VillageNode {
    pub id: i64,
    pub name: String,
    pub households: i64,
    pub toilets: i64,
    pub groups: Vec<GroupNode>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tree {
    pub households: i64,
    pub toilets: i64,
    pub villages: Vec<VillageNode>,
}

/// Every village and 社 (also empty ones) with its household and toilet counts.
pub fn tree<'a>(db: impl Into<Db<'a>>) -> Result<Tree> {
    use std::collections::HashMap;
    let db = db.into();
    let mut per_group: HashMap<i64, (i64, i64)> = HashMap::new();
    for (g, n) in db.query_map(
        "SELECT group_id, COUNT(*) FROM households GROUP BY group_id",
        [],
        |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
    )? {
        per_group.entry(g).or_default().0 = n;
    }
    for (g, n) in db.query_map(
        "SELECT h.group_id, COUNT(*) FROM toilets t JOIN households h ON h.id = t.household_id
         GROUP BY h.group_id",
        [],
        |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
    )? {
        per_group.entry(g).or_default().1 = n;
    }

    let mut villages: Vec<VillageNode> = db.query_map(
        "SELECT id, name FROM villages ORDER BY sort_order, id",
        [],
        |r| {
            Ok(VillageNode {
                id: r.get(0)?,
                name: r.get(1)?,
                households: 0,
                toilets: 0,
                groups: vec![],
            })
        },
    )?;
    let index: HashMap<i64, usize> = villages
        .iter()
        .enumerate()
        .map(|(i, v)| (v.id, i))
        .collect();
    // NULLS FIRST: SQLite puts a 社 without a number first; PostgreSQL must be told.
    for (id, village_id, name) in db.query_map(
        "SELECT id, village_id, name FROM village_groups
         ORDER BY village_id, sort_order, number NULLS FIRST, id",
        [],
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
            ))
        },
    )? {
        let (households, toilets) = per_group.get(&id).copied().unwrap_or_default();
        if let Some(&vi) = index.get(&village_id) {
            let v = &mut villages[vi];
            v.households += households;
            v.toilets += toilets;
            v.groups.push(GroupNode {
                id,
                name,
                households,
                toilets,
            });
        }
    }
    Ok(Tree {
        households: villages.iter().map(|v| v.households).sum(),
        toilets: villages.iter().map(|v| v.toilets).sum(),
        villages,
    })
}

// ---------------------------------------------------------------------------------------------
// The household list

/// Which node of the tree the list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Scope {
    Town,
    Village(i64),
    Group(i64),
}

/// 核查 state of a household, as the list's 核查 column shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckState {
    /// No toilet registered: nothing to inspect (无户厕).
    NoToilet,
    /// A toilet with no inspection yet (未核查): the household still needs a visit.
    Unchecked,
    /// Every toilet inspected, not all re-checked by the town or the district (已自查).
    SelfChecked,
    /// Every toilet re-checked by the town or spot-checked by the district (已复核).
    Rechecked,
}

impl CheckState {
    fn code(self) -> &'static str {
        match self {
            CheckState::NoToilet => "no_toilet",
            CheckState::Unchecked => "unchecked",
            CheckState::SelfChecked => "self_checked",
            CheckState::Rechecked => "rechecked",
        }
    }

    fn from_code(code: &str) -> CheckState {
        match code {
            "no_toilet" => CheckState::NoToilet,
            "unchecked" => CheckState::Unchecked,
            "rechecked" => CheckState::Rechecked,
            _ => CheckState::SelfChecked,
        }
    }
}

/// A household's [`CheckState`] in SQL (`h` is the household).
pub const CHECK_STATE_SQL: &str = "CASE
    WHEN NOT EXISTS (SELECT 1 FROM toilets t WHERE t.household_id = h.id) THEN 'no_toilet'
    WHEN EXISTS (SELECT 1 FROM toilets t WHERE t.household_id = h.id
                 AND NOT EXISTS (SELECT 1 FROM inspections i WHERE i.toilet_id = t.id)) THEN 'unchecked'
    WHEN EXISTS (SELECT 1 FROM toilets t WHERE t.household_id = h.id
                 AND NOT EXISTS (SELECT 1 FROM inspections i WHERE i.toilet_id = t.id
                                 AND i.kind <> 'village_self')) THEN 'self_checked'
    ELSE 'rechecked' END";

/// A worklist of households with a case in a given state (问题台账's lists, by household).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseList {
    /// 有问题未定类: an open case whose category is not decided.
    Undecided,
    /// 待验收: rectified, awaiting acceptance.
    AwaitingAcceptance,
    /// 逾期未整改: a case past its deadline on `ListFilter::today`, not rectified.
    Overdue,
    /// 逾期待验收: a case rectified and past its deadline, the town's acceptance late.
    OverdueAwaiting,
}

impl CaseList {
    pub const ALL: [CaseList; 4] = [
        CaseList::Undecided,
        CaseList::AwaitingAcceptance,
        CaseList::Overdue,
        CaseList::OverdueAwaiting,
    ];

    pub fn label(self) -> &'static str {
        match self {
            CaseList::Undecided => "有问题未定类",
            CaseList::AwaitingAcceptance => "待验收",
            CaseList::Overdue => crate::model::Overdue::Unrectified.label(),
            CaseList::OverdueAwaiting => crate::model::Overdue::AwaitingAcceptance.label(),
        }
    }

    fn sql(self, immediate_days: i64, engine: Engine) -> String {
        let cond = match self {
            CaseList::Undecided => "r.state <> 'closed' AND r.category IS NULL".to_string(),
            CaseList::AwaitingAcceptance => "r.state = 'awaiting_acceptance'".to_string(),
            CaseList::Overdue | CaseList::OverdueAwaiting => crate::model::overdue_sql(
                if self == CaseList::Overdue {
                    crate::model::Overdue::Unrectified
                } else {
                    crate::model::Overdue::AwaitingAcceptance
                },
                ":today",
                &crate::store::sql::days_before(engine, ":today", immediate_days),
            ),
        };
        format!("h.id IN (SELECT r.household_id FROM rectifications r WHERE {cond})")
    }
}

impl CheckState {
    pub const ALL: [CheckState; 4] = [
        CheckState::Unchecked,
        CheckState::SelfChecked,
        CheckState::Rechecked,
        CheckState::NoToilet,
    ];

    pub fn label(self) -> &'static str {
        match self {
            CheckState::NoToilet => "无户厕",
            CheckState::Unchecked => "未核查",
            CheckState::SelfChecked => "已自查（待复核）",
            CheckState::Rechecked => "已复核",
        }
    }
}

/// What narrows the household list beyond the place and the search: a stored 抽查样本's
/// households, a 核查 state, a case worklist, a batch of households (多方比对's 重新调查该批).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ListFilter {
    #[serde(default)]
    pub sample: Option<i64>,
    #[serde(default)]
    pub check: Option<CheckState>,
    #[serde(default)]
    pub case: Option<CaseList>,
    #[serde(default)]
    pub households: Option<Vec<i64>>,
    /// The day a worklist is for (逾期), `YYYY-MM-DD`; set by the caller.
    #[serde(default)]
    pub today: Option<String>,
    /// The town's days after which an open 立行立改 case is overdue; set by the caller.
    #[serde(default)]
    pub immediate_days: i64,
}

impl ListFilter {
    /// The list's name, e.g. "未核查".
    pub fn name(&self) -> &'static str {
        match (self.check, self.case) {
            (Some(c), _) => c.label(),
            (None, Some(c)) => c.label(),
            _ => "全部农户",
        }
    }
}

/// Every household of `scope` on the list `extra`, in the list's order, masked (for a printed
/// or exported 工作清单).
pub fn list_all<'a>(
    db: impl Into<Db<'a>>,
    scope: Scope,
    extra: &ListFilter,
) -> Result<Vec<HouseholdRow>> {
    let db = db.into();
    let mut rows = Vec::new();
    loop {
        let page = list_in(
            db,
            scope,
            "",
            extra,
            Disclosure::Masked,
            rows.len() as i64,
            MAX_PAGE,
        )?;
        let n = page.rows.len();
        rows.extend(page.rows);
        if n == 0 || rows.len() as i64 >= page.total {
            return Ok(rows);
        }
    }
}

/// Households of `scope` on each worklist: the 核查 states and the case lists, for the list's
/// filter to show beside each choice.
pub fn worklist_counts<'a>(
    db: impl Into<Db<'a>>,
    scope: Scope,
    today: &str,
    immediate_days: i64,
) -> Result<Vec<(String, i64)>> {
    let db = db.into();
    let count = |extra: ListFilter| -> Result<i64> {
        let filter = Filter::new(scope, &Query::All, &extra, db.engine());
        let (sql, params) = numbered(
            &format!("SELECT COUNT(*) FROM households h WHERE {}", filter.sql),
            &filter.params(),
        )?;
        db.query_row(&sql, &params, |r| r.get(0))
    };
    let mut out = Vec::new();
    for c in CheckState::ALL {
        out.push((
            c.code().to_string(),
            count(ListFilter {
                check: Some(c),
                ..ListFilter::default()
            })?,
        ));
    }
    for c in CaseList::ALL {
        out.push((
            serde_json::to_value(c)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            count(ListFilter {
                case: Some(c),
                today: Some(today.to_string()),
                immediate_days,
                ..ListFilter::default()
            })?,
        ));
    }
    Ok(out)
}

/// One line of the household list; personal data is already masked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HouseholdRow {
    pub id: i64,
    pub head_name: String,
    pub village_name: String,
    pub group_name: String,
    pub id_number_masked: Option<String>,
    pub category: HouseholdCategory,
    pub is_resident: bool,
    pub toilet_count: i64,
    /// 核查: 未核查 / 已自查 / 已复核.
    pub check: CheckState,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HouseholdPage {
    /// How many households match in all (not only on this page).
    pub total: i64,
    pub offset: i64,
    pub rows: Vec<HouseholdRow>,
    /// Set when the search was narrowed (a masked caller's ID-number search), saying how.
    pub note: Option<String>,
}

/// How many of an ID number's last characters the mask shows (`500224********123X`).
const VISIBLE_TAIL: usize = 4;

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The end of a prefix range: every string that starts with `prefix` sorts below it.
fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

/// The WHERE clause and its bound values for a scope and a search text.
struct Filter {
    sql: String,
    values: Vec<(&'static str, rusqlite::types::Value)>,
    /// The search keys' own condition, when nothing but a name part or pinyin initials narrows
    /// the town, a village or a 社: every key belongs to a household (deleting one deletes its
    /// keys) and carries its village and 社 in the list's order, so the matches are counted and
    /// a page of them taken from the keys alone; only the page's households are read (a search
    /// by two letters of pinyin matches thousands in a district).
    keys: Option<String>,
    /// Whether `keys` is a range of terms (one character of a name, pinyin initials): its rows
    /// come in the order of the terms, not the list's, and one household can match twice.
    keys_are_a_range: bool,
}

impl Filter {
    fn new(scope: Scope, query: &Query, extra: &ListFilter, engine: Engine) -> Filter {
        use rusqlite::types::Value::{Integer, Text};
        let mut clauses: Vec<&str> = Vec::new();
        let mut values = Vec::new();
        let check_clause;
        if let Some(sample) = extra.sample {
            clauses.push(
                "h.id IN (SELECT t.household_id FROM spot_sample_items s
                          JOIN toilets t ON t.id = s.toilet_id WHERE s.sample_id = :sample)",
            );
            values.push((":sample", Integer(sample)));
        }
        let ids_clause;
        if let Some(ids) = &extra.households {
            ids_clause = format!("h.id IN ({})", json_ids(engine, ":households"));
            clauses.push(&ids_clause);
            values.push((
                ":households",
                Text(serde_json::to_string(ids).expect("ids serialise")),
            ));
        }
        if let Some(check) = extra.check {
            check_clause = format!("({CHECK_STATE_SQL}) = :check");
            clauses.push(&check_clause);
            values.push((":check", Text(check.code().into())));
        }
        let case_clause;
        if let Some(case) = extra.case {
            case_clause = case.sql(extra.immediate_days, engine);
            clauses.push(&case_clause);
            if matches!(case, CaseList::Overdue | CaseList::OverdueAwaiting) {
                values.push((":today", Text(extra.today.clone().unwrap_or_default())));
            }
        }
        match scope {
            Scope::Town => {}
            Scope::Village(id) => {
                clauses.push("h.village_id = :scope");
                values.push((":scope", Integer(id)));
            }
            Scope::Group(id) => {
                clauses.push("h.group_id = :scope");
                values.push((":scope", Integer(id)));
            }
        }
        // The keys that begin with one character of a name (every character begins one of a
        // name's keys: `search_keys::name_grams`) or with pinyin initials.
        let key_range = match query {
            Query::NamePart(part) if part.chars().count() == 1 => {
                Some(format!("{}{part}", search_keys::NAME_PREFIX))
            }
            Query::PinyinInitials(initials) => {
                Some(format!("{}{initials}", search_keys::PINYIN_PREFIX))
            }
            _ => None,
        };
        let keys_are_a_range = key_range.is_some();
        match (query, key_range) {
            (_, Some(lo)) => {
                clauses.push(
                    "h.id IN (SELECT household_id FROM household_search WHERE term >= :lo AND term < :hi)",
                );
                values.push((":hi", Text(prefix_end(&lo))));
                values.push((":lo", Text(lo)));
            }
            // Pinyin initials are always a range (above).
            (Query::All | Query::PinyinInitials(_), None) => {}
            (Query::NamePart(part), None) => {
                let chars: Vec<char> = part.chars().collect();
                let gram: String = chars.iter().take(2).collect();
                clauses
                    .push("h.id IN (SELECT household_id FROM household_search WHERE term = :term)");
                values.push((":term", Text(format!("{}{gram}", search_keys::NAME_PREFIX))));
                if chars.len() > 2 {
                    clauses.push("h.head_name LIKE :like ESCAPE '\\'");
                    values.push((":like", Text(format!("%{}%", like_escape(part)))));
                }
            }
            (Query::IdTail(tail), None) => {
                let lo: String = tail.chars().rev().collect();
                clauses.push("h.id_number_rev IS NOT NULL AND h.id_number_rev >= :lo AND h.id_number_rev < :hi");
                values.push((":hi", Text(prefix_end(&lo))));
                values.push((":lo", Text(lo)));
            }
        }
        let nothing_else = extra.sample.is_none()
            && extra.households.is_none()
            && extra.check.is_none()
            && extra.case.is_none();
        let place = match scope {
            Scope::Town => "",
            Scope::Village(_) => " AND village_id = :scope",
            Scope::Group(_) => " AND group_id = :scope",
        };
        let keys = match query {
            _ if !nothing_else => None,
            _ if keys_are_a_range => Some(format!("term >= :lo AND term < :hi{place}")),
            Query::NamePart(part) if part.chars().count() == 2 => {
                Some(format!("term = :term{place}"))
            }
            _ => None,
        };
        let sql = if clauses.is_empty() {
            "1 = 1".to_string()
        } else {
            clauses.join(" AND ")
        };
        Filter {
            sql,
            values,
            keys,
            keys_are_a_range,
        }
    }

    fn params(&self) -> Vec<(&str, &dyn rusqlite::ToSql)> {
        self.values
            .iter()
            .map(|(k, v)| (*k, v as &dyn rusqlite::ToSql))
            .collect()
    }
}

/// A page of the households in `scope` whose head matches `search` (any part of the name, pinyin
/// initials, or the last digits of the ID number), in village, 社 and entry order.
///
/// A caller who sees ID numbers masked (`disclosure` is [`Disclosure::Masked`]) searches only
/// the digits the mask shows: a longer tail is cut to its last 4 characters, so searching longer
/// and longer tails cannot recover the hidden digits.
pub fn list<'a>(
    db: impl Into<Db<'a>>,
    scope: Scope,
    search: &str,
    disclosure: Disclosure,
    offset: i64,
    limit: i64,
) -> Result<HouseholdPage> {
    list_in(
        db,
        scope,
        search,
        &ListFilter::default(),
        disclosure,
        offset,
        limit,
    )
}

/// [`list`] narrowed further by `extra` (a sample's households, a 核查 state).
pub fn list_in<'a>(
    db: impl Into<Db<'a>>,
    scope: Scope,
    search: &str,
    extra: &ListFilter,
    disclosure: Disclosure,
    offset: i64,
    limit: i64,
) -> Result<HouseholdPage> {
    let mut query = Query::parse(search);
    let mut note = None;
    if let (Query::IdTail(tail), Disclosure::Masked) = (&query, disclosure) {
        let n = tail.chars().count();
        if n > VISIBLE_TAIL {
            let visible: String = tail.chars().skip(n - VISIBLE_TAIL).collect();
            note = Some(format!(
                "您的账户只能看到身份证号的后 {VISIBLE_TAIL} 位，所以只按后 {VISIBLE_TAIL} 位“{visible}”查找。"
            ));
            query = Query::IdTail(visible);
        }
    }
    let db = db.into();
    let filter = Filter::new(scope, &query, extra, db.engine());
    let limit = limit.clamp(1, MAX_PAGE);
    let offset = offset.max(0);
    if let (Some(keys), true) = (&filter.keys, filter.keys_are_a_range) {
        let (total, rows) = page_of_a_key_range(db, keys, &filter.params(), offset, limit)?;
        return Ok(HouseholdPage {
            total,
            offset,
            rows,
            note,
        });
    }
    let (count_sql, count_params) = numbered(
        &match &filter.keys {
            Some(keys) => {
                format!("SELECT COUNT(DISTINCT household_id) FROM household_search WHERE {keys}")
            }
            None => format!("SELECT COUNT(*) FROM households h WHERE {}", filter.sql),
        },
        &filter.params(),
    )?;
    let total: i64 = db.query_row(&count_sql, &count_params, |r| r.get(0))?;
    let sql = match &filter.keys {
        Some(keys) => format!(
            "SELECT {LIST_COLUMNS}, {CHECK_STATE_SQL}
             FROM (SELECT DISTINCT village_id, group_id, household_id FROM household_search
                   WHERE {keys}
                   ORDER BY village_id, group_id, household_id
                   LIMIT :limit OFFSET :offset) p
             JOIN households h ON h.id = p.household_id
             JOIN villages v ON v.id = h.village_id
             JOIN village_groups g ON g.id = h.group_id
             ORDER BY p.village_id, p.group_id, p.household_id"
        ),
        None => format!(
            "SELECT {LIST_COLUMNS}, {CHECK_STATE_SQL}
             FROM households h
             JOIN villages v ON v.id = h.village_id
             JOIN village_groups g ON g.id = h.group_id
             WHERE {}
             ORDER BY h.village_id, h.group_id, h.id
             LIMIT :limit OFFSET :offset",
            filter.sql
        ),
    };
    let mut params = filter.params();
    params.push((":limit", &limit));
    params.push((":offset", &offset));
    let (sql, params) = numbered(&sql, &params)?;
    let rows = db.query_map(&sql, &params, household_row)?;
    Ok(HouseholdPage {
        total,
        offset,
        rows,
        note,
    })
}

/// The columns of a [`HouseholdRow`], read by [`household_row`].
const LIST_COLUMNS: &str =
    "h.id, h.head_name, v.name, g.name, h.id_number, h.category, h.is_resident,
     (SELECT COUNT(*) FROM toilets t WHERE t.household_id = h.id)";

fn household_row(r: &Row<'_>) -> rusqlite::Result<HouseholdRow> {
    Ok(HouseholdRow {
        id: r.get(0)?,
        head_name: r.get(1)?,
        village_name: r.get(2)?,
        group_name: r.get(3)?,
        id_number_masked: r.get::<_, Option<String>>(4)?.map(|s| idcard::mask_id(&s)),
        category: r.get(5)?,
        is_resident: r.get(6)?,
        toilet_count: r.get(7)?,
        check: CheckState::from_code(&r.get::<_, String>(8)?),
    })
}

/// The count and one page of the households whose search keys fall in a range of terms (one
/// character of a name: thousands in a district): the matches' places are read once, in the
/// terms' order, and sorted and counted here, where SQL would read them twice (to count, then
/// to page) and sort them into a temporary B-tree each time; only the page's households are
/// read.
fn page_of_a_key_range(
    db: Db<'_>,
    keys: &str,
    params: &[(&str, &dyn rusqlite::ToSql)],
    offset: i64,
    limit: i64,
) -> Result<(i64, Vec<HouseholdRow>)> {
    let (sql, positional) = numbered(
        &format!("SELECT village_id, group_id, household_id FROM household_search WHERE {keys}"),
        params,
    )?;
    let mut places: Vec<(i64, i64, i64)> =
        db.query_map(&sql, &positional, |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    places.sort_unstable();
    places.dedup();
    let page: Vec<i64> = places
        .iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(0))
        .map(|p| p.2)
        .collect();
    let total = places.len() as i64;
    if page.is_empty() {
        return Ok((total, Vec::new()));
    }
    let ids = serde_json::to_string(&page).expect("ids serialise");
    let sql = format!(
        "SELECT {LIST_COLUMNS}, {CHECK_STATE_SQL}
         FROM households h
         JOIN villages v ON v.id = h.village_id
         JOIN village_groups g ON g.id = h.group_id
         WHERE h.id IN ({})
         ORDER BY h.village_id, h.group_id, h.id",
        json_ids(db.engine(), ":page")
    );
    let (sql, positional) = numbered(&sql, &[(":page", &ids as &dyn rusqlite::ToSql)])?;
    Ok((total, db.query_map(&sql, &positional, household_row)?))
}

// ---------------------------------------------------------------------------------------------
// One household

/// Whether personal data is shown in full. Lists and prints are always masked; full values are
/// for roles that need them, one household at a time, and each look is audited
/// ([`reveal_personal`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disclosure {
    Masked,
    Full,
}

/// A household as the details pane shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HouseholdDetail {
    pub id: i64,
    pub head_name: String,
    pub village_id: i64,
    pub village_name: String,
    pub group_id: i64,
    pub group_name: String,
    pub id_number: Option<String>,
    /// False when the stored ID number fails the GB 11643 checksum.
    pub id_number_valid: Option<bool>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub registered_pop: Option<i64>,
    pub resident_pop: Option<i64>,
    pub category: HouseholdCategory,
    pub is_resident: bool,
    /// 无厕所户: the household has no toilet (a fact about the household, not a toilet row).
    pub no_toilet: bool,
    pub masked: bool,
    pub toilets: Vec<Toilet>,
    /// The household's version as read (see [`crate::store::versions`]): a form saved for it
    /// names it back, so a change made meanwhile on another PC is not overwritten.
    pub row_version: i64,
}

/// The toilets of one household, in order.
pub fn toilets_of<'a>(db: impl Into<Db<'a>>, household_id: i64) -> Result<Vec<Toilet>> {
    db.into().query_map(
        "SELECT id, household_id, seq, tech_mode, location, build_year, subsidized, subsidy_year,
                subsidy_amount_fen, project_name, is_sanitary, use_status, baseline_source
         FROM toilets WHERE household_id = ?1 ORDER BY seq",
        [&household_id],
        |r| {
            Ok(Toilet {
                id: r.get(0)?,
                household_id: r.get(1)?,
                seq: r.get(2)?,
                tech_mode: r.get(3)?,
                location: r.get(4)?,
                build_year: r.get(5)?,
                subsidized: r.get(6)?,
                subsidy_year: r.get(7)?,
                subsidy_amount_fen: r.get(8)?,
                project_name: r.get(9)?,
                is_sanitary: r.get(10)?,
                use_status: r.get(11)?,
                baseline_source: r.get(12)?,
            })
        },
    )
}

/// The full ID number and phone of one household, for a role allowed to see them; the look is
/// recorded in the audit log (who saw whose personal data, and when).
pub fn reveal_personal<'a>(
    db: impl Into<Db<'a>>,
    id: i64,
    now: &str,
) -> Result<(Option<String>, Option<String>)> {
    let db = db.into();
    let d = detail(db, id, Disclosure::Full)?;
    crate::store::audit::append(
        db,
        now,
        "view.personal",
        "household",
        id,
        &format!(
            "查看{}（{}{}）的完整身份证号和电话",
            d.head_name, d.village_name, d.group_name
        ),
        serde_json::json!({}),
    )?;
    Ok((d.id_number, d.phone))
}

pub fn detail<'a>(
    db: impl Into<Db<'a>>,
    id: i64,
    disclosure: Disclosure,
) -> Result<HouseholdDetail> {
    let db = db.into();
    let masked = disclosure == Disclosure::Masked;
    let found = db
        .query_row(
            "SELECT h.id, h.head_name, h.village_id, v.name, h.group_id, g.name, h.id_number, h.phone,
                    h.address, h.registered_pop, h.resident_pop, h.category, h.is_resident, h.no_toilet,
                    h.row_version
             FROM households h
             JOIN villages v ON v.id = h.village_id
             JOIN village_groups g ON g.id = h.group_id
             WHERE h.id = ?1",
            [&id],
            |r| {
            let id_number: Option<String> = r.get(6)?;
            let phone: Option<String> = r.get(7)?;
            Ok(HouseholdDetail {
                id: r.get(0)?,
                head_name: r.get(1)?,
                village_id: r.get(2)?,
                village_name: r.get(3)?,
                group_id: r.get(4)?,
                group_name: r.get(5)?,
                id_number_valid: id_number.as_deref().map(idcard::is_valid),
                id_number: id_number.map(|s| if masked { idcard::mask_id(&s) } else { s }),
                phone: phone.map(|s| if masked { idcard::mask_phone(&s) } else { s }),
                address: r.get(8)?,
                registered_pop: r.get(9)?,
                resident_pop: r.get(10)?,
                category: r.get(11)?,
                is_resident: r.get(12)?,
                no_toilet: r.get(13)?,
                masked,
                toilets: vec![],
                row_version: r.get(14)?,
            })
            },
        )
        .optional()?;
    let mut detail = found.ok_or(Error::HouseholdNotFound(id))?;
    detail.toilets = toilets_of(db, id)?;
    Ok(detail)
}

// ---------------------------------------------------------------------------------------------
// Writes. Callers wrap multi-row work in one transaction (`Db::atomically`, or a `Transaction`).

/// Adds a village; its id.
pub fn add_village<'a>(db: impl Into<Db<'a>>, name: &str, sort_order: i64) -> Result<i64> {
    let new_id = db
        .into()
        .prepare_cached("INSERT INTO villages (name, sort_order) VALUES (?1, ?2) RETURNING id")?
        .query_row(params![name, sort_order], |r| r.get::<_, i64>(0))?;
    Ok(new_id)
}

/// Adds a 社 to a village; its id.
pub fn add_group<'a>(
    db: impl Into<Db<'a>>,
    village_id: i64,
    name: &str,
    number: Option<i64>,
    sort_order: i64,
) -> Result<i64> {
    let new_id = db.into().prepare_cached(
        "INSERT INTO village_groups (village_id, name, number, sort_order) VALUES (?1, ?2, ?3, ?4) RETURNING id",
    )?
    .query_row(params![village_id, name, number, sort_order], |r| r.get::<_, i64>(0))?;
    Ok(new_id)
}

/// Inserts a household and its search keys; `now` is an ISO timestamp.
pub fn insert_household<'a>(db: impl Into<Db<'a>>, h: &NewHousehold, now: &str) -> Result<i64> {
    let db = db.into();
    let keys = search_keys::household_keys(&h.head_name);
    let (id, village_id) = insert_household_row(db, h, &keys, now)?;
    write_keys(db, id, village_id, h.group_id, &keys)?;
    Ok(id)
}

/// The statement writing one search key: the key, the household, its village and 社.
pub(crate) const INSERT_KEY: &str =
    "INSERT INTO household_search (term, household_id, village_id, group_id) VALUES (?1, ?2, ?3, ?4)
     ON CONFLICT DO NOTHING";

/// Writes a household's search keys (those its row lists).
fn write_keys(db: Db<'_>, id: i64, village_id: i64, group_id: i64, keys: &[String]) -> Result<()> {
    let mut insert = db.prepare_cached(INSERT_KEY)?;
    for key in keys {
        insert.execute(params![key, id, village_id, group_id])?;
    }
    Ok(())
}

/// The keys a household's row lists (`search_terms`), as the row holds them.
pub(crate) fn terms_of(keys: &[String]) -> String {
    serde_json::to_string(keys).expect("strings serialise")
}

/// Gives a household the search keys of a new head's name (户主变更): the keys its row lists are
/// deleted by their primary key, the new ones written and listed.
pub(crate) fn replace_keys(db: Db<'_>, id: i64, head_name: &str) -> Result<()> {
    let (village_id, group_id, listed): (i64, i64, String) = db.query_row(
        "SELECT village_id, group_id, search_terms FROM households WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    match serde_json::from_str::<Vec<String>>(&listed) {
        Ok(old) => {
            let mut delete = db.prepare_cached(
                "DELETE FROM household_search
                 WHERE term = ?1 AND village_id = ?2 AND group_id = ?3 AND household_id = ?4",
            )?;
            for term in old {
                delete.execute(params![term, village_id, group_id, id])?;
            }
        }
        // A list someone else's program spoiled: the keys are looked for in the whole table.
        Err(_) => {
            db.execute("DELETE FROM household_search WHERE household_id = ?1", [id])?;
        }
    }
    let keys = search_keys::household_keys(head_name);
    db.prepare_cached("UPDATE households SET search_terms = ?1 WHERE id = ?2")?
        .execute(params![terms_of(&keys), id])?;
    write_keys(db, id, village_id, group_id, &keys)
}

/// The household row alone, without its search keys (`keys`, which it lists); its id and
/// village.
pub(super) fn insert_household_row(
    db: Db<'_>,
    h: &NewHousehold,
    keys: &[String],
    now: &str,
) -> Result<(i64, i64)> {
    let village_id: i64 = db
        .prepare_cached("SELECT village_id FROM village_groups WHERE id = ?1")?
        .query_row([h.group_id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| {
            Error::Invalid(format!(
                "社（编号 {}）不存在，无法添加农户“{}”。请先在行政村下建立这个社。",
                h.group_id, h.head_name
            ))
        })?;
    Ok((
        insert_household_in(db, h, village_id, keys, now)?,
        village_id,
    ))
}

/// The head's name, the ID number and the ID number reversed as a new household's row holds
/// them (the name trimmed, the ID number normalised).
pub(crate) fn written_forms(h: &NewHousehold) -> (&str, Option<String>, Option<String>) {
    let id_number = h.id_number.as_deref().map(idcard::normalize);
    let id_rev = id_number.as_deref().map(|s| s.chars().rev().collect());
    (h.head_name.trim(), id_number, id_rev)
}

/// A new household's columns, for writing many rows at once
/// ([`crate::places::bulk`]): the id first, then the values `insert_household_in` binds.
pub(super) const NEW_HOUSEHOLD_COLUMNS: &[&str] = &[
    "id",
    "village_id",
    "group_id",
    "head_name",
    "id_number",
    "id_number_rev",
    "phone",
    "address",
    "registered_pop",
    "resident_pop",
    "category",
    "is_resident",
    "created_at",
    "updated_at",
    "search_terms",
];

/// A new toilet's columns, as [`NEW_HOUSEHOLD_COLUMNS`].
pub(super) const NEW_TOILET_COLUMNS: &[&str] = &[
    "id",
    "household_id",
    "seq",
    "tech_mode",
    "location",
    "build_year",
    "subsidized",
    "subsidy_year",
    "subsidy_amount_fen",
    "project_name",
    "is_sanitary",
    "use_status",
    "baseline_source",
    "created_at",
    "updated_at",
    "village_id",
];

/// The household row, its group's village already known (the foreign key still checks it),
/// listing its search keys `keys` (written by the caller).
pub(super) fn insert_household_in(
    db: Db<'_>,
    h: &NewHousehold,
    village_id: i64,
    keys: &[String],
    now: &str,
) -> Result<i64> {
    let (head_name, id_number, id_rev) = written_forms(h);
    // Plain VALUES (no INSERT … SELECT, no subqueries) with numbered parameters: bulk imports
    // run this statement hundreds of thousands of times and it must never need re-preparing.
    inserted(
        db,
        "INSERT INTO households (village_id, group_id, head_name, id_number, id_number_rev, phone, address,
                                 registered_pop, resident_pop, category, is_resident, created_at, updated_at,
                                 search_terms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12, ?13) RETURNING id",
        params![
            village_id,
            h.group_id,
            head_name,
            id_number,
            id_rev,
            h.phone,
            h.address,
            h.registered_pop,
            h.resident_pop,
            h.category,
            h.is_resident,
            now,
            terms_of(keys),
        ],
    )
}

/// Runs an `INSERT … RETURNING id` of one row and gives the id. On the file the statement
/// runs without its `RETURNING` and the id is the connection's last rowid: SQLite's
/// `RETURNING` keeps its rows in a temporary table first, a cost every imported row paid.
fn inserted(db: Db<'_>, sql: &str, params: &[&dyn rusqlite::ToSql]) -> Result<i64> {
    match db {
        Db::File(c) => {
            let plain = sql.strip_suffix(" RETURNING id").unwrap_or(sql);
            c.prepare_cached(plain)?.execute(params)?;
            Ok(c.last_insert_rowid())
        }
        Db::Server(_) => db.prepare_cached(sql)?.query_row(params, |r| r.get(0)),
    }
}

pub(super) fn next_toilet_seq(db: Db<'_>, household_id: i64) -> Result<i64> {
    // An index lookup, not MAX(): the aggregate form was re-prepared on every call.
    let last: Option<i64> = db
        .prepare_cached(
            "SELECT seq FROM toilets WHERE household_id = ?1 ORDER BY seq DESC LIMIT 1",
        )?
        .query_row([household_id], |r| r.get(0))
        .optional()?;
    Ok(last.unwrap_or(0) + 1)
}

/// Inserts a toilet as the household's next one (seq = current count + 1).
pub fn insert_toilet<'a>(
    db: impl Into<Db<'a>>,
    household_id: i64,
    t: &NewToilet,
    now: &str,
) -> Result<i64> {
    let db = db.into();
    let seq = next_toilet_seq(db, household_id)?;
    insert_toilet_row(db, household_id, seq, t, now, None)
}

pub(super) fn insert_toilet_row(
    db: Db<'_>,
    household_id: i64,
    seq: i64,
    t: &NewToilet,
    now: &str,
    village_id: Option<i64>,
) -> Result<i64> {
    // The village when the caller knows it (a bulk import), else the household's.
    inserted(
        db,
        "INSERT INTO toilets (household_id, seq, tech_mode, location, build_year, subsidized, subsidy_year,
                              subsidy_amount_fen, project_name, is_sanitary, use_status, baseline_source,
                              created_at, updated_at, village_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13,
                 coalesce(?14, (SELECT village_id FROM households WHERE id = ?1))) RETURNING id",
        params![
            household_id,
            seq,
            t.tech_mode,
            t.location,
            t.build_year,
            t.subsidized,
            t.subsidy_year,
            t.subsidy_amount_fen,
            t.project_name,
            t.is_sanitary,
            t.use_status,
            t.baseline_source,
            now,
            village_id,
        ],
    )
}

/// Households and toilets in the whole database.
pub fn counts<'a>(db: impl Into<Db<'a>>) -> Result<(i64, i64)> {
    db.into().query_row(
        "SELECT (SELECT COUNT(*) FROM households), (SELECT COUNT(*) FROM toilets)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}
