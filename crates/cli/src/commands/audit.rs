//! `huce verify` and `huce audit`: the database's integrity and the audit log's chain checked
//! (naming the first entry changed outside the program), and the log listed or exported.

use std::path::PathBuf;

use huce_core::audit;
use huce_core::{db, Error, Result};

use super::common::{now_local, open_existing};

#[derive(clap::Args)]
pub struct VerifyArgs {
    /// 数据库文件
    #[arg(long)]
    db: PathBuf,
    /// 核对纸质签字背书表上印的核对值：条号:核对值，例如 812:3f2a9c0177b0e4d2
    #[arg(long)]
    anchor: Option<String>,
}

#[derive(clap::Args)]
pub struct AuditArgs {
    /// 数据库文件
    #[arg(long)]
    db: PathBuf,
    #[arg(long)]
    actor: Option<String>,
    /// 操作类别的开头，例如 case、import、login
    #[arg(long)]
    action: Option<String>,
    /// 起始日期 YYYY-MM-DD
    #[arg(long)]
    from: Option<String>,
    /// 截止日期 YYYY-MM-DD
    #[arg(long)]
    to: Option<String>,
    /// 内容中的关键词
    #[arg(long)]
    text: Option<String>,
    /// 写入这个 .xlsx 文件
    #[arg(long)]
    xlsx: Option<PathBuf>,
}

pub fn verify(a: VerifyArgs) -> Result<()> {
    if !a.db.exists() {
        return Err(Error::Invalid(format!(
            "找不到数据库文件“{}”。",
            a.db.display()
        )));
    }
    let conn = db::open_checked(&a.db, now_local())?;
    println!("数据库完整性检查：通过");
    let v = audit::verify(&conn)?;
    if !v.ok() {
        return Err(Error::Invalid(v.message()));
    }
    println!("{}", v.message());
    if let Some(anchor) = a.anchor {
        let (id, hash) = anchor
            .split_once([':', '：'])
            .and_then(|(id, hash)| Some((id.trim().parse::<i64>().ok()?, hash)))
            .ok_or_else(|| {
                Error::Invalid("--anchor 请写成“条号:核对值”，例如 812:3f2a9c0177b0e4d2。".into())
            })?;
        let said = audit::check_printed(&conn, id, hash)?;
        if !said.starts_with("一致") {
            return Err(Error::Invalid(said));
        }
        println!("{said}");
    }
    Ok(())
}

pub fn list(a: AuditArgs) -> Result<()> {
    let conn = open_existing(&a.db)?;
    let filter = audit::Filter {
        actor: a.actor,
        action: a.action,
        from: a.from,
        to: a.to,
        text: a.text,
    };
    if let Some(out) = a.xlsx {
        let out = huce_core::paths::output_file(&out.to_string_lossy(), "xlsx", &a.db)?;
        let n = huce_core::export::audit_xlsx(&conn, &filter, &out)?;
        println!("已导出操作日志 {n} 条 → {}", out.display());
        return Ok(());
    }
    let (_, entries) = audit::list(&conn, &filter, 0, i64::MAX)?;
    println!("编号\t时间\t操作人\t操作\t内容");
    for e in entries {
        println!(
            "{}\t{}\t{}\t{}\t{}",
            e.id, e.at, e.actor, e.action, e.summary
        );
    }
    Ok(())
}
