//! 本镇工作口径: the numbers the town's plan does not give and the office works with anyway —
//! after how many days an open 立行立改 case is overdue, and the 多方比对 discrepancy thresholds
//! (DOMAIN's survey practice: above 10% retrain, 20–30% a second back-check, above 40% re-survey).
//! They are settings, shown and printed as the town's own working values, not the plan's.

use serde::{Deserialize, Serialize};

use crate::access::accounts::Account;
use crate::access::permissions::Action;
use crate::error::{Error, Result};

const KEY: &str = "working_values";

/// The label every screen and document puts beside these numbers.
pub const LABEL: &str = "本镇工作口径（方案未规定，由镇里确定）";

/// The town's working values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkingValues {
    /// An open 立行立改 case is overdue this many days after its problem was found.
    pub immediate_overdue_days: i64,
    /// 差异率 above this (per cent): retrain the group.
    pub retrain_above: f64,
    /// 差异率 from this (per cent): a second back-check, more of the group's records.
    pub second_check_from: f64,
    /// 差异率 above this (per cent): re-survey the batch.
    pub resurvey_above: f64,
    /// 计划整改期限: the last month a planned rectification may be set for (`YYYY-MM`). The
    /// plan of 2022 said 十四五 (2025-12); from 2026 the default is the end of the next
    /// five-year period.
    #[serde(default = "default_horizon")]
    pub plan_horizon: String,
}

/// The end of the 十五五 period.
pub const DEFAULT_PLAN_HORIZON: &str = "2030-12";

fn default_horizon() -> String {
    DEFAULT_PLAN_HORIZON.into()
}

/// `m` is a month written `YYYY-MM`.
pub fn is_month(m: &str) -> bool {
    m.len() == 7
        && m.as_bytes()[4] == b'-'
        && m.get(..4)
            .is_some_and(|y| y.bytes().all(|b| b.is_ascii_digit()))
        && matches!(m.get(5..).map(str::parse::<u32>), Some(Ok(1..=12)))
}

impl Default for WorkingValues {
    fn default() -> Self {
        WorkingValues {
            immediate_overdue_days: 7,
            retrain_above: 10.0,
            second_check_from: 20.0,
            resurvey_above: 40.0,
            plan_horizon: default_horizon(),
        }
    }
}

impl WorkingValues {
    /// The stored values, or the defaults (also for a stored value that no longer makes sense).
    pub fn load<'a>(db: impl Into<crate::store::sql::Db<'a>>) -> Result<WorkingValues> {
        Ok(crate::store::settings::get(db, KEY)?
            .and_then(|v| serde_json::from_str::<WorkingValues>(&v).ok())
            .filter(|w| w.check().is_ok())
            .unwrap_or_default())
    }

    fn check(&self) -> Result<()> {
        if !(1..=365).contains(&self.immediate_overdue_days) {
            return Err(Error::Invalid(
                "立行立改的逾期天数请填 1 到 365 天（默认 7 天）。".into(),
            ));
        }
        let (a, b, c) = (
            self.retrain_above,
            self.second_check_from,
            self.resurvey_above,
        );
        if !(a.is_finite() && b.is_finite() && c.is_finite())
            || !(0.0 < a && a < b && b < c && c <= 100.0)
        {
            return Err(Error::Invalid(
                "差异率的三个界限要从小到大、在 0 到 100 之间：再培训 < 二次回查 < 重新调查（默认 10%、20%、40%）。"
                    .into(),
            ));
        }
        if !is_month(&self.plan_horizon)
            || !("2022-01"..="2099-12").contains(&self.plan_horizon.as_str())
        {
            return Err(Error::Invalid(format!(
                "计划整改期限“{}”不对，请写成“2030-12”这样的年-月（2022-01 以后）。",
                self.plan_horizon
            )));
        }
        Ok(())
    }

    /// Saves the values (an administrator's setting), audited with old → new.
    pub fn save<'a>(
        &self,
        db: impl Into<crate::store::sql::Db<'a>>,
        by: &Account,
        now: &str,
    ) -> Result<()> {
        by.require(Action::EditSettings)?;
        self.check()?;
        db.into().atomically(|conn| {
            let old = WorkingValues::load(conn)?;
            let json = serde_json::to_string(self).expect("working values serialise");
            crate::store::settings::set(conn, KEY, &json)?;
            crate::store::audit::append(
                conn,
                now,
                "settings.working_values",
                "settings",
                KEY,
                &format!(
                    "本镇工作口径：立行立改 {} 天未销号为逾期；差异率超过 {}% 再培训，{}% 起二次回查，超过 {}% 重新调查；计划整改期限至 {}",
                    self.immediate_overdue_days,
                    self.retrain_above,
                    self.second_check_from,
                    self.resurvey_above,
                    self.plan_horizon
                ),
                serde_json::json!({ "old": old, "new": self }),
            )?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_load_and_nonsense_is_refused() {
        let conn = crate::store::db::open_in_memory().unwrap();
        assert_eq!(
            WorkingValues::load(&conn).unwrap(),
            WorkingValues::default()
        );
        let admin = Account::local("测试");
        let mut w = WorkingValues {
            immediate_overdue_days: 3,
            ..WorkingValues::default()
        };
        w.save(&conn, &admin, "2026-12-04T10:00:00+08:00").unwrap();
        assert_eq!(
            WorkingValues::load(&conn).unwrap().immediate_overdue_days,
            3
        );
        w.immediate_overdue_days = 0;
        assert!(w.save(&conn, &admin, "x").is_err());
        w.immediate_overdue_days = 7;
        w.second_check_from = 50.0;
        let err = w.save(&conn, &admin, "x").unwrap_err();
        assert!(err.to_string().contains("从小到大"), "{err}");
        assert_eq!(
            WorkingValues::load(&conn).unwrap().immediate_overdue_days,
            3
        );
    }
}
