//! `huce pending`: the 待核实 worklist — values of imported ledgers that could not be taken —
//! listed by village and 社 (tab-separated), or exported to Excel with `--out`; ID numbers and
//! phones masked unless `--full`. Print it with `huce print pending-list`.

use std::path::PathBuf;

use huce_core::export::Personal;
use huce_core::households::Disclosure;
use huce_core::pending;
use huce_core::Result;

use super::common::{now, open_existing, place_scope};

#[derive(clap::Args)]
pub struct PendingArgs {
    /// 数据库文件
    #[arg(long)]
    db: PathBuf,
    /// 只列这个行政村
    #[arg(long)]
    village: Option<String>,
    /// 只列这个社（与 --village 一起用，例如 --village 石鱼村 --group 3社）
    #[arg(long, requires = "village")]
    group: Option<String>,
    /// 导出到这个 .xlsx 文件（不给则在屏幕上列出）
    #[arg(long)]
    out: Option<PathBuf>,
    /// 显示或导出完整的身份证号和电话（注意保管）
    #[arg(long)]
    full: bool,
}

pub fn run(a: PendingArgs) -> Result<()> {
    let conn = open_existing(&a.db)?;
    let (scope, title) = place_scope(&conn, a.village, a.group)?;
    let (personal, disclosure) = if a.full {
        (Personal::Full, Disclosure::Full)
    } else {
        (Personal::Masked, Disclosure::Masked)
    };
    if let Some(out) = &a.out {
        let out = huce_core::paths::output_file(&out.to_string_lossy(), "xlsx", &a.db)?;
        let n = pending::export_xlsx(&conn, scope, &title, personal, &out, &now())?;
        println!("已导出 {n} 项待核实内容 → {}", out.display());
        return Ok(());
    }
    let entries = pending::list(&conn, scope, disclosure)?;
    if entries.is_empty() {
        println!("没有待核实的内容。");
        return Ok(());
    }
    println!("编号\t行政村\t社\t户主\t户厕\t项目\t台账原值\t待核实原因");
    for p in &entries {
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            p.id,
            p.village,
            p.group,
            p.head_name,
            p.toilet_seq.map_or("—".into(), |s| s.to_string()),
            p.field_label,
            p.written,
            p.reason
        );
    }
    let households = entries
        .iter()
        .map(|p| p.household_id)
        .collect::<std::collections::HashSet<_>>()
        .len();
    println!("\n共 {households} 户 {} 项待核实", entries.len());
    Ok(())
}
