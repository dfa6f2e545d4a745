//! Town settings (镇设置): one database serves one town; its names are settings, not code.

use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

use crate::error::{Error, Result};

pub const KEY_DISTRICT: &str = "district_name";
pub const KEY_TOWN: &str = "town_name";
/// "1" when the database holds the synthetic demo town (示例数据).
pub const KEY_DEMO: &str = "is_demo";
/// A random identity given to a database when it is created (or upgraded to schema 8). Its
/// backups carry the same value, so the audit log is compared only with its own backups and
/// anchors — whatever its entries say.
pub const KEY_DATABASE_ID: &str = "database_id";

/// A new random database identity (32 hex digits).
pub fn new_database_id() -> String {
    format!(
        "{:016x}{:016x}",
        crate::rng::os_random_u64(),
        crate::rng::os_random_u64()
    )
}

pub fn get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
            r.get(0)
        })
        .optional()?)
}

pub fn set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )?;
    Ok(())
}

/// The names the header and printed forms use.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TownSettings {
    pub district_name: String,
    pub town_name: String,
    pub is_demo: bool,
}

impl TownSettings {
    pub fn load(conn: &Connection) -> Result<TownSettings> {
        Ok(TownSettings {
            district_name: get(conn, KEY_DISTRICT)?.unwrap_or_default(),
            town_name: get(conn, KEY_TOWN)?.unwrap_or_else(|| "（未设置镇名）".to_string()),
            is_demo: get(conn, KEY_DEMO)?.as_deref() == Some("1"),
        })
    }
}

/// Saves the district and town names after checking them; both are required, as printed forms
/// and the header carry them.
pub fn save_names(conn: &Connection, district_name: &str, town_name: &str) -> Result<TownSettings> {
    let district = district_name.trim();
    let town = town_name.trim();
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
    let tx = conn.unchecked_transaction()?;
    let old = TownSettings::load(&tx)?;
    set(&tx, KEY_DISTRICT, district)?;
    set(&tx, KEY_TOWN, town)?;
    crate::store::audit::append_now(
        &tx,
        "settings.town",
        "settings",
        "town",
        &format!("区、镇名称设为“{district} {town}”"),
        serde_json::json!({
            "district_name": [old.district_name, district],
            "town_name": [old.town_name, town],
        }),
    )?;
    tx.commit()?;
    TownSettings::load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_overwrites_and_defaults_are_clear() {
        let conn = crate::store::db::open_in_memory().unwrap();
        let s = TownSettings::load(&conn).unwrap();
        assert_eq!(
            s.town_name, "（未设置镇名）",
            "an unset town name must be visible as unset"
        );
        assert!(!s.is_demo);
        set(&conn, KEY_TOWN, "石鱼镇").unwrap();
        set(&conn, KEY_TOWN, "安居镇").unwrap();
        assert_eq!(get(&conn, KEY_TOWN).unwrap().as_deref(), Some("安居镇"));
    }

    #[test]
    fn names_are_trimmed_and_checked() {
        let conn = crate::store::db::open_in_memory().unwrap();
        let s = save_names(&conn, " 铜梁区 ", "石鱼镇\n").unwrap();
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
            let err = save_names(&conn, d, t).unwrap_err();
            assert!(err.to_string().contains(msg), "{d:?}/{t:?}: {err}");
        }
        assert_eq!(
            TownSettings::load(&conn).unwrap().town_name,
            "石鱼镇",
            "a refused save changes nothing"
        );
    }
}
