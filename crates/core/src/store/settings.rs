//! Settings: a key–value table in the database, the keys the store itself uses, and the town's
//! names as the header and printed forms read them (one database serves one town; its names are
//! settings, not code). Changing the names is [`crate::places::town`]'s.

use serde::Serialize;

use crate::store::sql::Db;

use crate::error::Result;

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

pub fn get<'a>(db: impl Into<Db<'a>>, key: &str) -> Result<Option<String>> {
    use crate::store::sql::Optional;
    db.into()
        .query_row("SELECT value FROM settings WHERE key = ?1", [&key], |r| {
            r.get(0)
        })
        .optional()
}

pub fn set<'a>(db: impl Into<Db<'a>>, key: &str, value: &str) -> Result<()> {
    db.into().execute(
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
    pub fn load<'a>(db: impl Into<Db<'a>>) -> Result<TownSettings> {
        let conn = db.into();
        Ok(TownSettings {
            district_name: get(conn, KEY_DISTRICT)?.unwrap_or_default(),
            town_name: get(conn, KEY_TOWN)?.unwrap_or_else(|| "（未设置镇名）".to_string()),
            is_demo: get(conn, KEY_DEMO)?.as_deref() == Some("1"),
        })
    }
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
}
