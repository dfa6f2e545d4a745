//! The town's names (镇设置): checked, saved and recorded in the audit log.

use crate::error::{Error, Result};
use crate::store::settings::{set, TownSettings, KEY_DISTRICT, KEY_TOWN};
use crate::store::sql::Db;

/// Saves the district and town names after checking them; both are required, as printed forms
/// and the header carry them.
pub fn save_names<'a>(
    db: impl Into<Db<'a>>,
    district_name: &str,
    town_name: &str,
    now: &str,
) -> Result<TownSettings> {
    // Nothing invisible, no spaces: the names head every printed document.
    let district = &crate::text::name(district_name).unwrap_or_default();
    let town = &crate::text::name(town_name).unwrap_or_default();
    for (what, value, example) in [
        ("区（县）名称", district, "铜梁区"),
        ("镇（乡）名称", town, "石鱼镇"),
    ] {
        if value.is_empty() {
            return Err(Error::Invalid(format!(
                "{what}不能为空，请填写，例如“{example}”。"
            )));
        }
        if value.chars().count() > 20 {
            return Err(Error::Invalid(format!(
                "{what}“{value}”太长（{} 个字），请不超过 20 个字。",
                value.chars().count()
            )));
        }
    }
    let db = db.into();
    db.atomically(|tx| {
        let old = TownSettings::load(tx)?;
        set(tx, KEY_DISTRICT, district)?;
        set(tx, KEY_TOWN, town)?;
        crate::store::audit::append(
            tx,
            now,
            "settings.town",
            "settings",
            "town",
            &format!("区、镇名称设为“{district} {town}”"),
            serde_json::json!({
                "district_name": [old.district_name, district],
                "town_name": [old.town_name, town],
            }),
        )
    })?;
    TownSettings::load(db)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_checked() {
        let conn = crate::store::db::open_in_memory().unwrap();
        let s = save_names(&conn, " 铜梁区 ", "石鱼镇\n", "2026-11-29T10:00:00+08:00").unwrap();
        assert_eq!(
            (s.district_name.as_str(), s.town_name.as_str()),
            ("铜梁区", "石鱼镇")
        );
        let long = "镇".repeat(21);
        let cases = [
            ("", "石鱼镇", "区（县）名称不能为空"),
            ("铜梁区", "  ", "镇（乡）名称不能为空"),
            ("铜梁区", long.as_str(), "太长"),
        ];
        for (d, t, msg) in cases {
            let err = save_names(&conn, d, t, "2026-11-29T10:00:00+08:00").unwrap_err();
            assert!(err.to_string().contains(msg), "{d:?}/{t:?}: {err}");
        }
        assert_eq!(
            TownSettings::load(&conn).unwrap().town_name,
            "石鱼镇",
            "a refused save changes nothing"
        );
    }
}
