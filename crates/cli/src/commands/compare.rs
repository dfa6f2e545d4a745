//! `huce compare`: where the village self-checks, the town's re-checks, the district's spot
//! checks and the ledger disagree — tab-separated on screen, or as an Excel workbook.

use std::path::PathBuf;

use huce_core::compare::{compare, comparison_xlsx, Rate};
use huce_core::Result;

use super::common::{open_existing, village_scope};

#[derive(clap::Args)]
pub struct CompareArgs {
    /// 数据库文件
    #[arg(long)]
    db: PathBuf,
    /// 只比对这个行政村
    #[arg(long)]
    village: Option<String>,
    /// 把差异清单、各村和各调查组差异率写入这个 .xlsx 文件（不再在屏幕上列出）
    #[arg(long)]
    xlsx: Option<PathBuf>,
}

pub fn run(a: CompareArgs) -> Result<()> {
    let conn = open_existing(&a.db)?;
    let (scope, _) = village_scope(&conn, a.village)?;
    if let Some(out) = a.xlsx {
        let out = huce_core::paths::output_file(&out.to_string_lossy(), "xlsx", &a.db)?;
        let n = comparison_xlsx(&conn, scope, &out)?;
        println!("已导出多方比对：{n} 处差异 → {}", out.display());
        return Ok(());
    }
    let c = compare(&conn, scope)?;
    print_rates("行政村", &c.villages);
    println!();
    print_rates("调查组", &c.groups);
    println!();
    println!("行政村\t社\t户主\t户厕\t比对\t字段\t前\t后");
    for d in &c.differences {
        println!(
            "{}\t{}\t{}\t{}\t{} / {}\t{}\t{}\t{}",
            d.village_name,
            d.group_name,
            d.head_name,
            d.toilet_seq,
            d.left,
            d.right,
            d.field,
            d.left_value,
            d.right_value
        );
    }
    Ok(())
}

/// A table of rates under `what` (行政村 or 调查组), the rate as the core shows it.
fn print_rates(what: &str, rates: &[Rate]) {
    println!("{what}\t比对户厕\t有差异\t差异率");
    for r in rates {
        println!("{}\t{}\t{}\t{}", r.name, r.compared, r.differing, r.shown);
    }
}
