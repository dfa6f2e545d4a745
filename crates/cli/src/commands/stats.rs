//! `huce stats`: an overview of a database — the town, its villages, groups, households and
//! toilets, and how far the field work has come.

use std::path::PathBuf;

use huce_core::settings::TownSettings;
use huce_core::{db, households, Result};

use super::common::open_existing;

#[derive(clap::Args)]
pub struct StatsArgs {
    /// 数据库文件
    file: PathBuf,
}

pub fn run(a: StatsArgs) -> Result<()> {
    let conn = open_existing(&a.file)?;
    let town = TownSettings::load(&conn)?;
    let tree = households::tree(&conn)?;
    let groups: usize = tree.villages.iter().map(|v| v.groups.len()).sum();
    println!("数据库：{}", a.file.display());
    println!("结构版本：{}", db::schema_version(&conn)?);
    println!(
        "镇：{}{}{}",
        town.district_name,
        town.town_name,
        if town.is_demo {
            "（示例数据）"
        } else {
            ""
        }
    );
    println!(
        "行政村 {} 个，社 {} 个，农户 {} 户，户厕 {} 个",
        tree.villages.len(),
        groups,
        tree.households,
        tree.toilets
    );
    for v in &tree.villages {
        println!(
            "  {}：{} 个社，{} 户，{} 个户厕",
            v.name,
            v.groups.len(),
            v.households,
            v.toilets
        );
    }
    let count = |sql: &str| -> Result<i64> { Ok(conn.query_row(sql, [], |r| r.get(0))?) };
    println!(
        "入户核查 {} 次（已核查户厕 {} 个），问题户厕 {} 个，其中已销号 {} 个；工作人员 {} 人",
        count("SELECT count(*) FROM inspections")?,
        count("SELECT count(DISTINCT toilet_id) FROM inspections")?,
        count("SELECT count(*) FROM rectifications")?,
        count("SELECT count(*) FROM rectifications WHERE state = 'closed'")?,
        count("SELECT count(*) FROM staff WHERE active = 1")?
    );
    Ok(())
}
