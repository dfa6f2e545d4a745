//! `huce export`: the toilet ledger, the household list or a saved column template as Excel;
//! ID numbers and phones masked unless `--full`.

use std::path::PathBuf;

use huce_core::export::{self, Personal};
use huce_core::{Error, Result};

use super::common::{now, open_existing, village_scope};

#[derive(clap::Args)]
pub struct ExportArgs {
    /// ledger（改厕台账）、households（农户名单）、template（按列模板）或 problem-ledger（问题厕所台账）
    kind: ExportKind,
    /// 数据库文件
    #[arg(long)]
    db: PathBuf,
    /// 输出的 .xlsx 文件
    #[arg(long)]
    out: PathBuf,
    /// 只导出这个行政村
    #[arg(long)]
    village: Option<String>,
    /// 导出完整的身份证号和电话（用于重新导入；注意保管）
    #[arg(long)]
    full: bool,
    /// 列模板的名称（kind 为 template 时）
    #[arg(long)]
    template: Option<String>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ExportKind {
    Ledger,
    Households,
    /// 按保存的列模板导出（需要 --template）
    Template,
    /// 问题厕所台账（区里要求的格式：每个问题户厕一行）
    ProblemLedger,
}

pub fn run(a: ExportArgs) -> Result<()> {
    let conn = open_existing(&a.db)?;
    let (scope, title) = village_scope(&conn, a.village)?;
    let personal = if a.full {
        Personal::Full
    } else {
        Personal::Masked
    };
    let (out, now) = (&a.out, &now());
    let s = match a.kind {
        ExportKind::Ledger => export::toilet_ledger(&conn, scope, personal, out, now)?,
        ExportKind::Households => export::household_list(&conn, scope, personal, out, now)?,
        ExportKind::Template => {
            let name = a.template.ok_or_else(|| {
                Error::Invalid(
                    "按模板导出时请用 --template 指定模板名称（huce template list 可以列出）。"
                        .into(),
                )
            })?;
            export::with_template(&conn, &name, scope, personal, out, now)?
        }
        ExportKind::ProblemLedger => {
            let today = super::common::now_local().format("%Y-%m-%d").to_string();
            let s = huce_core::reports::problem_ledger::problem_ledger_xlsx(
                &conn,
                &huce_core::rectification::LedgerFilter::all_of(scope),
                &title,
                &today,
                out,
                now,
            )?;
            println!(
                "已导出问题厕所台账：{} 个问题户厕（{} 户）→ {}",
                s.rows,
                s.households,
                out.display()
            );
            return Ok(());
        }
    };
    println!(
        "已导出 {} 户、{} 行 → {}",
        s.households,
        s.rows,
        out.display()
    );
    Ok(())
}
