//! `huce bulletin`: the monthly bulletin (月通报) as PDF — each village's survey, problems,
//! rectification, close-out, overdue cases and ranking — and optionally its table as Excel.

use std::path::PathBuf;

use huce_core::reports::bulletin::{bulletin_as_of, bulletin_xlsx};
use huce_core::Result;

use super::common::{now_local, open_existing, write_printed};

#[derive(clap::Args)]
pub struct BulletinArgs {
    /// 数据库文件
    #[arg(long)]
    db: PathBuf,
    /// 通报的月份（YYYY-MM），默认本月；本月统计到今天，以前的月份统计到月底
    #[arg(long)]
    month: Option<String>,
    /// 输出的 .pdf 文件
    #[arg(short = 'o', long)]
    out: PathBuf,
    /// 同时把通报表格导出到这个 .xlsx 文件
    #[arg(long)]
    xlsx: Option<PathBuf>,
}

pub fn run(a: BulletinArgs) -> Result<()> {
    let out = huce_core::paths::output_file(&a.out.to_string_lossy(), "pdf", &a.db)?;
    let xlsx = a
        .xlsx
        .map(|x| huce_core::paths::output_file(&x.to_string_lossy(), "xlsx", &a.db))
        .transpose()?;
    let conn = open_existing(&a.db)?;
    let now = now_local();
    let today = now.format("%Y-%m-%d").to_string();
    let month = a.month.unwrap_or_else(|| now.format("%Y-%m").to_string());
    let printed = huce_core::print::bulletin(&conn, &month, &today)?;
    write_printed(&out, &printed)?;
    println!(
        "月通报（统计截至 {}）{} 页 → {}",
        bulletin_as_of(&month, &today)?,
        printed.pages,
        out.display()
    );
    if let Some(x) = xlsx {
        let rows = bulletin_xlsx(&conn, &month, &today, &x)?;
        println!("月通报表格 {rows} 行（含全镇合计）→ {}", x.display());
    }
    Ok(())
}

#[derive(clap::Args)]
pub struct SummaryArgs {
    /// 数据库文件
    #[arg(long)]
    db: PathBuf,
    /// 统计截至哪一天（YYYY-MM-DD），默认今天
    #[arg(long)]
    date: Option<String>,
    /// 输出的 .docx 文件（用 WPS 或 Word 打开修改）
    #[arg(short = 'o', long)]
    out: PathBuf,
}

/// `huce summary`: the 工作总结 draft as .docx.
pub fn summary(a: SummaryArgs) -> Result<()> {
    let out = huce_core::paths::output_file(&a.out.to_string_lossy(), "docx", &a.db)?;
    let conn = open_existing(&a.db)?;
    let date = a
        .date
        .unwrap_or_else(|| now_local().format("%Y-%m-%d").to_string());
    if chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d").is_err() {
        return Err(huce_core::Error::Invalid(format!(
            "日期“{date}”不对，请写成 2026-12-31 这样的年-月-日。"
        )));
    }
    let n = huce_core::print::summary::summary_docx(&conn, &date, &out)?;
    println!(
        "工作总结初稿（统计截至 {date}）：排查户厕 {} 个，问题户厕 {} 个，已销号 {} 个 → {}",
        n.inspected,
        n.problems,
        n.closed,
        out.display()
    );
    Ok(())
}
