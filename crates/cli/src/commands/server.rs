//! `huce push` and `huce pull`: a town's database file copied into an empty server database
//! (PostgreSQL), and a database file made from the server (a snapshot to take away or keep).

use std::path::PathBuf;

use huce_core::{paths, server, Result};

use super::common::{now_local, open_existing};

#[derive(clap::Args)]
pub struct PushArgs {
    /// 本机的数据库文件
    #[arg(long)]
    db: PathBuf,
    /// 服务器上的空数据库：postgres://用户名:密码@服务器地址:端口/数据库名
    #[arg(long)]
    to: String,
}

#[derive(clap::Args)]
pub struct PullArgs {
    /// 服务器上的数据库：postgres://用户名:密码@服务器地址:端口/数据库名
    #[arg(long)]
    from: String,
    /// 要写出的新数据库文件（不能是已有的文件）
    #[arg(long)]
    out: PathBuf,
}

/// Shows the table being copied and its rows, on one line that is rewritten.
fn progress() -> impl FnMut(&str, u64) {
    |table: &str, rows: u64| eprint!("\r正在复制 {table}：{rows} 行          ")
}

pub fn push(a: PushArgs) -> Result<()> {
    let conn = open_existing(&a.db)?;
    let mut target = server::connect(&a.to)?;
    let report = server::push(
        &conn,
        &paths::photo_dir(&a.db),
        &mut target,
        &mut progress(),
    )?;
    eprintln!();
    println!("已推送到服务器 {}：{}", target.name, report.summary());
    Ok(())
}

pub fn pull(a: PullArgs) -> Result<()> {
    let mut source = server::connect(&a.from)?;
    let report = server::pull(&mut source, &a.out, now_local(), &mut progress())?;
    eprintln!();
    println!(
        "已从服务器 {} 拉取到 {}：{}",
        source.name,
        a.out.display(),
        report.summary()
    );
    Ok(())
}
