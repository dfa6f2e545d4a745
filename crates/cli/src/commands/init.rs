//! `huce init` and `huce demo`: a new database, empty (with the district's and town's names)
//! or filled with a fictional demo town.

use std::path::PathBuf;

use huce_core::demo::{self, DemoOptions};
use huce_core::{db, Error, Result};

use super::common::{cli_actor, create_parent, now, now_local};

#[derive(clap::Args)]
pub struct InitArgs {
    /// 新数据库文件（必须不存在）
    file: PathBuf,
    /// 区（县）名称，例如 铜梁区
    #[arg(long)]
    district: String,
    /// 镇（乡）名称，例如 石鱼镇
    #[arg(long)]
    town: String,
}

#[derive(clap::Args)]
pub struct DemoArgs {
    /// 农户数（默认 9000，约 10000 个户厕；270000 户约 30 万个户厕）
    #[arg(long, default_value_t = DemoOptions::default().households)]
    households: usize,
    /// 随机种子：同一种子生成完全相同的数据
    #[arg(long, default_value_t = DemoOptions::default().seed)]
    seed: u64,
    /// 输出的数据库文件（必须不存在或为空库）
    #[arg(long)]
    out: PathBuf,
}

/// A new, empty database; an existing file is never touched.
pub fn init(a: InitArgs) -> Result<()> {
    if a.file.exists() {
        return Err(Error::Invalid(format!(
            "文件“{}”已经存在。为免覆盖已有数据，请换一个文件名。",
            a.file.display()
        )));
    }
    create_parent(&a.file)?;
    let conn = db::open(&a.file, now_local())?;
    let s = huce_core::town::save_names(&conn, &a.district, &a.town, &now())?;
    println!(
        "已新建数据库 {}（{}{}）",
        a.file.display(),
        s.district_name,
        s.town_name
    );
    Ok(())
}

/// The demo town in a new or empty database (the core refuses one with data).
pub fn demo(a: DemoArgs) -> Result<()> {
    let DemoArgs {
        households,
        seed,
        out,
    } = a;
    create_parent(&out)?;
    let mut conn = db::open(&out, now_local())?;
    huce_core::audit::set_actor(&conn, &cli_actor())?;
    let started = std::time::Instant::now();
    let s = demo::generate(&mut conn, DemoOptions { households, seed }, &now())?;
    println!(
        "已生成示例数据：{} 个行政村，{} 个社，{} 户，{} 个户厕（种子 {seed}，用时 {:.1} 秒）→ {}",
        s.villages,
        s.groups,
        s.households,
        s.toilets,
        started.elapsed().as_secs_f64(),
        out.display()
    );
    Ok(())
}
