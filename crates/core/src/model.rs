//! The domain model: places (镇 → 行政村 → 社), households (农户) and their toilets (户厕) with the
//! baseline fields (台账底数), plus the fixed vocabularies. Each vocabulary value is stored by a
//! stable English code and shown by its Chinese label, exactly as DOMAIN.md words it.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use serde::{Deserialize, Serialize};

/// Declares a vocabulary enum stored as its code and shown as its label.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident, $title:literal { $($variant:ident = $code:literal, $label:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $code)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The Chinese name of this vocabulary, as a form would head it.
            pub const TITLE: &'static str = $title;

            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }

            pub fn from_label(label: &str) -> Option<Self> {
                match label { $($label => Some($name::$variant),)+ _ => None }
            }

            fn vocab_entry() -> Vocabulary {
                Vocabulary {
                    name: stringify!($name),
                    title: $title,
                    entries: Self::ALL.iter().map(|v| VocabEntry { code: v.code(), label: v.label() }).collect(),
                }
            }
        }

        impl ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.code()))
            }
        }

        impl FromSql for $name {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                let text = value.as_str()?;
                $name::from_code(text).ok_or_else(|| {
                    FromSqlError::Other(format!("未知的{}代码：{text}", $title).into())
                })
            }
        }
    };
}

vocabulary!(
    /// 技术模式 — the toilet's technical mode, as in the national sanitation monitoring form.
    /// 其他 is the catch-all official sheets offer: a mode outside this list, not known to be
    /// sanitary.
    TechMode, "技术模式" {
        ThreeCompartment = "three_compartment", "三格式化粪池";
        DoubleUrn = "double_urn", "双瓮漏斗式";
        ThreeUrn = "three_urn", "三瓮式";
        Sewer = "sewer", "完整下水道水冲式";
        UrineDiversion = "urine_diversion", "粪尿分集式";
        DoublePit = "double_pit", "双坑交替式";
        Biogas = "biogas", "沼气池式";
        CentralCollection = "central_collection", "粪尿集中清运";
        OtherSanitary = "other_sanitary", "其他卫生厕所";
        Other = "other", "其他";
        NonSanitary = "non_sanitary", "非卫生厕所";
        NoToilet = "no_toilet", "无厕所";
    }
);

impl TechMode {
    /// Whether this mode counts as a sanitary toilet (卫生厕所) by the national definition;
    /// `None` for 其他, which says nothing about it.
    pub fn is_sanitary(self) -> Option<bool> {
        match self {
            TechMode::Other => None,
            TechMode::NonSanitary | TechMode::NoToilet => Some(false),
            _ => Some(true),
        }
    }
}

vocabulary!(
    /// 厕所位置.
    Location, "厕所位置" {
        Indoor = "indoor", "室内";
        Yard = "yard", "院内";
        Outside = "outside", "院外";
        Other = "other", "其他";
    }
);

vocabulary!(
    /// 使用状态, as county survey forms record it.
    UseStatus, "使用状态" {
        InUse = "in_use", "正常使用";
        Idle = "idle", "闲置（具备使用功能）";
        Unusable = "unusable", "无法使用";
        Demolished = "demolished", "已拆除";
    }
);

vocabulary!(
    /// 户类别.
    HouseholdCategory, "户类别" {
        PovertyAlleviated = "poverty_alleviated", "脱贫户";
        Monitored = "monitored", "监测对象";
        Ordinary = "ordinary", "一般农户";
    }
);

vocabulary!(
    /// Which baseline data set (台账底数) a toilet record came from.
    BaselineSource, "底数来源" {
        Survey = "survey", "农村户厕摸底调查数据";
        Subsidy = "subsidy", "2013年以来享受财政补助的农村户厕";
        Field = "field", "入户核查新增";
    }
);

vocabulary!(
    /// 核查类别: who made an inspection.
    InspectionKind, "核查类别" {
        VillageSelf = "village_self", "村级自查";
        TownRecheck = "town_recheck", "镇级复核";
        DistrictSpot = "district_spot", "区级抽查";
    }
);

vocabulary!(
    /// 农户状态 found at the door.
    HouseholdStatus, "农户状态" {
        Normal = "normal", "正常";
        Vacant = "vacant", "无人居住";
        MovedOut = "moved_out", "户已迁出";
        Demolished = "demolished", "厕所已拆除";
        Other = "other", "其他";
    }
);

vocabulary!(
    /// The part of a toilet a problem item belongs to (问题口径 by part).
    ProblemPart, "部位" {
        House = "house", "厕屋";
        Pan = "pan", "便器";
        Tank = "tank", "化粪池/粪池";
        Pipe = "pipe", "管道";
        Emptying = "emptying", "粪污清掏与处理";
        Usage = "usage", "使用情况";
    }
);

vocabulary!(
    /// Why a toilet cannot be used (the plan's words), or 其他.
    Cause, "问题原因" {
        Construction = "construction", "施工不到位";
        ProductQuality = "product_quality", "产品质量不过关";
        UnsuitableMode = "unsuitable_mode", "技术模式不适宜";
        Other = "other", "其他";
    }
);

vocabulary!(
    /// 整改类别.
    Category, "整改类别" {
        ImmediateFix = "immediate_fix", "立行立改";
        PlanDistrict = "plan_district", "计划整改·纳入全区改厕计划";
        PlanTownFunded = "plan_town_funded", "计划整改·镇筹资农户自改";
    }
);

impl Category {
    /// Planned rectification needs measures, a responsible person and a completion month.
    pub fn is_planned(self) -> bool {
        !matches!(self, Category::ImmediateFix)
    }
}

vocabulary!(
    /// 整改状态 of a problem toilet in the 问题厕所台账.
    CaseState, "整改状态" {
        Pending = "pending", "待整改";
        InProgress = "in_progress", "整改中";
        AwaitingAcceptance = "awaiting_acceptance", "已整改待验收";
        Closed = "closed", "已销号";
    }
);

vocabulary!(
    /// Why an open case past its deadline (计划完成时间, or the town's days for 立行立改) is
    /// late, and whose the delay is: the farmer's rectification (待整改, 整改中), or the town's
    /// acceptance of a toilet already rectified (已整改待验收). The two are never one 逾期.
    Overdue, "逾期" {
        Unrectified = "unrectified", "逾期未整改";
        AwaitingAcceptance = "awaiting_acceptance", "逾期待验收";
    }
);

impl Overdue {
    /// SQL: the states of case `r` this kind of lateness is about.
    fn states_sql(self) -> &'static str {
        match self {
            Overdue::Unrectified => "(r.state = 'pending' OR r.state = 'in_progress')",
            Overdue::AwaitingAcceptance => "r.state = 'awaiting_acceptance'",
        }
    }
}

vocabulary!(
    /// 角色 of a login account (DOMAIN: accountability).
    Role, "角色" {
        Admin = "admin", "管理员";
        Entry = "entry", "录入员";
        Reviewer = "reviewer", "审核人";
        Leader = "leader", "镇领导";
        Supervisor = "supervisor", "督导";
    }
);

#[derive(Debug, Clone, Serialize)]
pub struct VocabEntry {
    pub code: &'static str,
    pub label: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Vocabulary {
    pub name: &'static str,
    pub title: &'static str,
    pub entries: Vec<VocabEntry>,
}

/// Every fixed vocabulary, for the front end to turn codes into labels.
pub fn vocabularies() -> Vec<Vocabulary> {
    vec![
        TechMode::vocab_entry(),
        Location::vocab_entry(),
        UseStatus::vocab_entry(),
        HouseholdCategory::vocab_entry(),
        BaselineSource::vocab_entry(),
        InspectionKind::vocab_entry(),
        HouseholdStatus::vocab_entry(),
        ProblemPart::vocab_entry(),
        Cause::vocab_entry(),
        Category::vocab_entry(),
        CaseState::vocab_entry(),
        Overdue::vocab_entry(),
        Role::vocab_entry(),
    ]
}

/// 行政村.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Village {
    pub id: i64,
    pub name: String,
}

/// 社 (村民小组).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub id: i64,
    pub village_id: i64,
    pub name: String,
}

/// A household (农户) as stored, with full personal data. Never send this to a screen as is:
/// screens get [`crate::places::households::HouseholdDetail`], which masks by default.
#[derive(Debug, Clone, PartialEq)]
pub struct Household {
    pub id: i64,
    pub village_id: i64,
    pub group_id: i64,
    pub head_name: String,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub registered_pop: Option<i64>,
    pub resident_pop: Option<i64>,
    pub category: HouseholdCategory,
    pub is_resident: bool,
}

/// A household to insert.
#[derive(Debug, Clone, PartialEq)]
pub struct NewHousehold {
    pub group_id: i64,
    pub head_name: String,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub registered_pop: Option<i64>,
    pub resident_pop: Option<i64>,
    pub category: HouseholdCategory,
    pub is_resident: bool,
}

/// A toilet (户厕) with its baseline fields. `None` means "not recorded", never "no".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Toilet {
    pub id: i64,
    pub household_id: i64,
    /// 1 for the household's first toilet, 2 for the second, …
    pub seq: i64,
    pub tech_mode: Option<TechMode>,
    pub location: Option<Location>,
    /// 建设（改造）年度.
    pub build_year: Option<i64>,
    /// 是否财政补助.
    pub subsidized: Option<bool>,
    pub subsidy_year: Option<i64>,
    /// 补助金额, in fen (分) so sums are exact.
    pub subsidy_amount_fen: Option<i64>,
    pub project_name: Option<String>,
    /// 是否卫生厕所.
    pub is_sanitary: Option<bool>,
    pub use_status: Option<UseStatus>,
    pub baseline_source: BaselineSource,
}

/// A toilet to insert.
#[derive(Debug, Clone, PartialEq)]
pub struct NewToilet {
    pub tech_mode: Option<TechMode>,
    pub location: Option<Location>,
    pub build_year: Option<i64>,
    pub subsidized: Option<bool>,
    pub subsidy_year: Option<i64>,
    pub subsidy_amount_fen: Option<i64>,
    pub project_name: Option<String>,
    pub is_sanitary: Option<bool>,
    pub use_status: Option<UseStatus>,
    pub baseline_source: BaselineSource,
}

/// SQL: whether case `r`'s deadline has passed on the day bound as `param` (`YYYY-MM-DD`),
/// whatever its state: planned for a month before the day's month, or 立行立改 found before
/// `cutoff` (SQL for the day the town's working days before, in the engine's words:
/// `store::sql::days_before`). Never NULL (a case without a category or month is not late).
fn past_deadline_sql(param: &str, cutoff: &str) -> String {
    format!(
        "(CASE WHEN (r.planned_month IS NOT NULL AND r.planned_month < substr({param}, 1, 7))
          OR (r.category = 'immediate_fix' AND r.opened_on < {cutoff}) THEN 1 ELSE 0 END = 1)"
    )
}

/// SQL: whether case `r` is overdue of `kind` on the day bound as `param` (see
/// `past_deadline_sql`): 逾期未整改 when not rectified, 逾期待验收 when rectified and not yet
/// accepted; a closed case is neither. A condition on either engine (0/1 on the file, a boolean
/// on the server), for WHERE, FILTER or a column.
pub fn overdue_sql(kind: Overdue, param: &str, cutoff: &str) -> String {
    format!(
        "({} AND {})",
        kind.states_sql(),
        past_deadline_sql(param, cutoff)
    )
}

/// SQL: case `r`'s [`Overdue`] code on the day bound as `param`, NULL when it is not overdue.
pub fn overdue_code_sql(param: &str, cutoff: &str) -> String {
    format!(
        "(CASE WHEN r.state = 'closed' OR NOT {late} THEN NULL
               WHEN {awaiting} THEN '{a}' ELSE '{u}' END)",
        late = past_deadline_sql(param, cutoff),
        awaiting = Overdue::AwaitingAcceptance.states_sql(),
        a = Overdue::AwaitingAcceptance.code(),
        u = Overdue::Unrectified.code(),
    )
}

/// `part` of `whole` in per cent; 0 when there is nothing to count.
pub fn percent(part: i64, whole: i64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// A percentage as every screen, sheet, document and the CLI show it: one decimal, halves
/// rounded up (2 of 3 is 66.7%, 49 of 400 is 12.3%).
pub fn percent_text(p: f64) -> String {
    format!("{:.1}%", (p * 10.0).round() / 10.0)
}

/// A rate (销号率, 排查率, 差异率 …) as shown: [`percent_text`] of `part` of `whole`, or "—" when
/// there is nothing to count.
pub fn rate_text(part: i64, whole: i64) -> String {
    if whole == 0 {
        "—".into()
    } else {
        percent_text(percent(part, whole))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_labels_round_trip() {
        for v in vocabularies() {
            let mut codes = std::collections::HashSet::new();
            let mut labels = std::collections::HashSet::new();
            for e in &v.entries {
                assert!(
                    codes.insert(e.code),
                    "duplicate code {} in {}",
                    e.code,
                    v.name
                );
                assert!(
                    labels.insert(e.label),
                    "duplicate label {} in {}",
                    e.label,
                    v.name
                );
            }
        }
        for m in TechMode::ALL {
            assert_eq!(TechMode::from_code(m.code()), Some(*m));
            assert_eq!(TechMode::from_label(m.label()), Some(*m));
        }
        assert_eq!(
            TechMode::ALL.len(),
            12,
            "DOMAIN.md lists 11 technical modes; 其他 is the catch-all official sheets offer"
        );
    }

    #[test]
    fn sanitary_modes() {
        assert_eq!(TechMode::ThreeCompartment.is_sanitary(), Some(true));
        assert_eq!(TechMode::NonSanitary.is_sanitary(), Some(false));
        assert_eq!(TechMode::NoToilet.is_sanitary(), Some(false));
        assert_eq!(TechMode::Other.is_sanitary(), None);
    }

    #[test]
    fn rates_have_one_rounding() {
        assert_eq!(rate_text(2, 3), "66.7%");
        assert_eq!(rate_text(1, 3), "33.3%");
        assert_eq!(rate_text(49, 400), "12.3%", "a half is rounded up");
        assert_eq!(rate_text(3, 3), "100.0%");
        assert_eq!(rate_text(0, 0), "—");
        assert_eq!(percent_text(12.25), "12.3%");
        assert_eq!(percent_text(0.0), "0.0%");
    }
}
