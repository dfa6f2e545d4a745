//! `huce ledger`: the problem toilets of each village and how their rectification stands, with
//! the town's 合计 row and the 销号率 as the core shows it (one decimal, "—" without cases).

use std::path::PathBuf;

use huce_core::rectification::{village_counts, VillageCounts};
use huce_core::Result;

use super::common::{now_local, open_existing};

#[derive(clap::Args)]
pub struct LedgerArgs {
    /// 数据库文件
    file: PathBuf,
    /// 逾期按哪一天算（YYYY-MM-DD），默认今天
    #[arg(long)]
    date: Option<String>,
}

pub fn run(a: LedgerArgs) -> Result<()> {
    let conn = open_existing(&a.file)?;
    let day = a
        .date
        .unwrap_or_else(|| now_local().format("%Y-%m-%d").to_string());
    let rows = village_counts(&conn, &day)?;
    let total = VillageCounts::town_total(&rows);
    println!("行政村\t问题户厕\t待确定类别\t待整改\t整改中\t待验收\t已销号\t逾期未整改\t逾期待验收\t销号率");
    for v in rows.iter().chain([&total]) {
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            v.village_name,
            v.total,
            v.undecided,
            v.pending,
            v.in_progress,
            v.awaiting,
            v.closed,
            v.overdue_unrectified,
            v.overdue_awaiting,
            v.close_out
        );
    }
    Ok(())
}
