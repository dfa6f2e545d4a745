//! 分类整改 rules: which rectification category the town's plan proposes for a problem toilet.
//! The proposal is a suggestion a person confirms; where the plan says nothing (a toilet built
//! without fiscal support) or data is missing, there is no proposal and a person decides.

use serde::Serialize;

pub use crate::model::{Category, Cause};

/// One problem found on a toilet, as the rules need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    /// 影响使用 (true) or 不影响使用.
    pub stops_use: bool,
    pub cause: Option<Cause>,
}

/// What the rules propose, and why, in words for the person who confirms it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Proposal {
    pub category: Option<Category>,
    pub reason: String,
}

/// The last year whose fiscally supported toilets go into the district's plan (2017年（含）前).
pub const LAST_DISTRICT_PLAN_YEAR: i64 = 2017;

/// Proposes a category from the problems found and the toilet's baseline data. The plan speaks
/// of the year the toilet was built with public money ("2017年（含）前财政支持修建的"): its
/// 建设年度, or its 补助年度 when the build year is missing; the reason says which.
pub fn propose(
    problems: &[Found],
    subsidized: Option<bool>,
    build_year: Option<i64>,
    subsidy_year: Option<i64>,
) -> Proposal {
    let none = |reason: &str| Proposal {
        category: None,
        reason: reason.to_string(),
    };
    if problems.is_empty() {
        return none("没有发现问题，不需要整改。");
    }
    let stopping: Vec<&Found> = problems.iter().filter(|p| p.stops_use).collect();
    if stopping.is_empty() {
        return Proposal {
            category: Some(Category::ImmediateFix),
            reason: "问题不影响使用，按“立行立改”在排查中整改并销号。".into(),
        };
    }
    let planned_cause = |c: Option<Cause>| {
        matches!(
            c,
            Some(Cause::Construction | Cause::ProductQuality | Cause::UnsuitableMode)
        )
    };
    if !stopping.iter().all(|p| planned_cause(p.cause)) {
        return none(
            "有影响使用的问题原因为“其他”或未填写，方案没有规定类别，请人工确定并写明理由。",
        );
    }
    let (year, which) = match (build_year, subsidy_year) {
        (Some(y), _) => (Some(y), "按建设年度"),
        (None, Some(y)) => (Some(y), "台账缺建设年度，按补助年度"),
        (None, None) => (None, ""),
    };
    match (subsidized, year) {
        (Some(false), _) => none("不能正常使用，但不是财政补助修建的，方案没有规定类别，请人工确定并写明理由。"),
        (None, _) => none("台账没有“是否财政补助”，无法按方案判断类别，请核实后人工确定。"),
        (Some(true), None) => none("财政补助修建但缺少建设年度和补助年度，无法判断是否在 2017 年（含）以前，请核实建设年度或补助年度，或人工确定。"),
        (Some(true), Some(y)) if y <= LAST_DISTRICT_PLAN_YEAR => Proposal {
            category: Some(Category::PlanDistrict),
            reason: format!("{y} 年财政支持修建（{which}），不能正常使用：2017 年（含）前的纳入全区改厕计划逐年整改。"),
        },
        (Some(true), Some(y)) => Proposal {
            category: Some(Category::PlanTownFunded),
            reason: format!("{y} 年财政支持修建（{which}），不能正常使用：2018 年后的由镇筹集部分资金、农户自行逐年整改。"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Category::*;
    use Cause::*;

    const MINOR: Found = Found {
        stops_use: false,
        cause: None,
    };
    const fn stop(c: Cause) -> Found {
        Found {
            stops_use: true,
            cause: Some(c),
        }
    }

    /// (problems, subsidized, subsidy year, expected category)
    type Case = (Vec<Found>, Option<bool>, Option<i64>, Option<Category>);

    #[test]
    fn rules_table() {
        let cases: Vec<Case> = vec![
            (vec![], Some(true), Some(2016), None),
            (vec![MINOR], Some(true), Some(2016), Some(ImmediateFix)),
            (vec![MINOR, MINOR], None, None, Some(ImmediateFix)),
            (
                vec![stop(Construction)],
                Some(true),
                Some(2017),
                Some(PlanDistrict),
            ),
            (
                vec![stop(ProductQuality)],
                Some(true),
                Some(2018),
                Some(PlanTownFunded),
            ),
            (
                vec![stop(UnsuitableMode)],
                Some(true),
                Some(2013),
                Some(PlanDistrict),
            ),
            (
                vec![stop(Construction)],
                Some(true),
                Some(2022),
                Some(PlanTownFunded),
            ),
            (vec![stop(Construction)], Some(true), None, None),
            (vec![stop(Construction)], Some(false), None, None),
            (vec![stop(Construction)], None, Some(2016), None),
            (vec![stop(Other)], Some(true), Some(2016), None),
            (
                vec![Found {
                    stops_use: true,
                    cause: None,
                }],
                Some(true),
                Some(2016),
                None,
            ),
            // Several problems of different severity: one that stops use decides.
            (
                vec![MINOR, stop(Construction)],
                Some(true),
                Some(2017),
                Some(PlanDistrict),
            ),
            (
                vec![MINOR, stop(ProductQuality), stop(UnsuitableMode)],
                Some(true),
                Some(2019),
                Some(PlanTownFunded),
            ),
            (
                vec![stop(Construction), stop(Other)],
                Some(true),
                Some(2016),
                None,
            ),
        ];
        for (problems, sub, year, want) in cases {
            let p = propose(&problems, sub, None, year);
            assert_eq!(
                p.category, want,
                "{problems:?} subsidized={sub:?} year={year:?}: {}",
                p.reason
            );
            assert!(!p.reason.is_empty(), "every proposal says why");
        }
    }

    /// The plan speaks of the year a toilet was built with public money (2017年（含）前财政支持
    /// 修建的): 建设年度 decides, 补助年度 only when the build year is missing, and the reason
    /// says which (#15).
    #[test]
    fn the_build_year_decides_and_the_reason_says_which() {
        let built_2017_paid_2018 =
            propose(&[stop(Construction)], Some(true), Some(2017), Some(2018));
        assert_eq!(built_2017_paid_2018.category, Some(PlanDistrict));
        assert!(
            built_2017_paid_2018.reason.contains("2017 年")
                && built_2017_paid_2018.reason.contains("建设年度"),
            "{}",
            built_2017_paid_2018.reason
        );
        let built_2018_paid_2017 =
            propose(&[stop(Construction)], Some(true), Some(2018), Some(2017));
        assert_eq!(built_2018_paid_2017.category, Some(PlanTownFunded));
        let year_missing = propose(&[stop(Construction)], Some(true), None, Some(2018));
        assert_eq!(year_missing.category, Some(PlanTownFunded));
        assert!(
            year_missing.reason.contains("缺建设年度") && year_missing.reason.contains("补助年度"),
            "{}",
            year_missing.reason
        );
        let neither = propose(&[stop(Construction)], Some(true), None, None);
        assert_eq!(neither.category, None);
        assert!(neither.reason.contains("建设年度") && neither.reason.contains("补助年度"));
    }

    #[test]
    fn reasons_tell_the_person_what_to_do() {
        assert!(propose(&[stop(Construction)], Some(false), None, None)
            .reason
            .contains("请人工确定"));
        assert!(propose(&[stop(Construction)], Some(true), None, None)
            .reason
            .contains("补助年度"));
        assert_eq!(PlanTownFunded.label(), "计划整改·镇筹资农户自改");
    }
}
