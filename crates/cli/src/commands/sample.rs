//! `huce sample`: the district's spot-check sample drawn (stratified by village, with a seed
//! the program picks and records), its list optionally printed, or a recorded sample reproduced.

use std::path::PathBuf;

use huce_core::households::Scope;
use huce_core::sampling::{self, SampleSize, SampleSpec};
use huce_core::{Error, Result};

use super::common::{now, open_existing, today, village_scope};

#[derive(clap::Args)]
pub struct SampleArgs {
    /// 数据库文件
    #[arg(long)]
    db: PathBuf,
    /// 只从这些行政村抽（可重复；不写则全镇）
    #[arg(long)]
    village: Vec<String>,
    /// 抽多少个户厕
    #[arg(long, conflicts_with = "percent")]
    count: Option<usize>,
    /// 抽百分之几（例如 10）
    #[arg(long)]
    percent: Option<f64>,
    /// 每个行政村至少抽几个
    #[arg(long, default_value_t = 0)]
    min_per_village: usize,
    /// 问题户厕按 2 倍权重加抽
    #[arg(long)]
    oversample_problems: bool,
    /// 复现核对第几号样本：用它记录的随机种子和参数重新抽取，与记录比对（新样本的随机种子由程序产生，不能自选）
    #[arg(long)]
    reproduce: Option<i64>,
    /// 同时把样本清单打印成 PDF
    #[arg(short = 'o', long)]
    out: Option<PathBuf>,
    /// 抽样人（记录在样本上）
    #[arg(long, default_value = "管理员（命令行）")]
    actor: String,
}

pub fn run(a: SampleArgs) -> Result<()> {
    let conn = open_existing(&a.db)?;
    if let Some(id) = a.reproduce {
        let r = sampling::reproduce(&conn, id)?;
        println!("{}", r.message);
        if !r.same {
            return Err(Error::Invalid(format!(
                "第 {id} 号样本复现不一致（见上）。"
            )));
        }
        return Ok(());
    }
    let mut villages = Vec::new();
    for name in a.village {
        match village_scope(&conn, Some(name))?.0 {
            Scope::Village(id) => villages.push(id),
            _ => unreachable!("a named village"),
        }
    }
    let size = match (a.count, a.percent) {
        (Some(n), _) => SampleSize::Count(n),
        (None, Some(p)) => SampleSize::Percent(p),
        (None, None) => {
            return Err(Error::Invalid(
                "请用 --count 指定抽几个户厕，或用 --percent 指定比例。".into(),
            ))
        }
    };
    let spec = SampleSpec {
        villages,
        size,
        min_per_village: a.min_per_village,
        oversample_problems: a.oversample_problems,
        batch: None,
        seed: None,
    };
    let sample = sampling::draw(&conn, &spec, &a.actor, &now())?;
    println!(
        "第 {} 号抽查样本：{} 个户厕（总体 {} 个），随机种子 {}",
        sample.id,
        sample.toilets.len(),
        sample.population,
        sample.seed
    );
    println!("{}", sample.method);
    if let Some(out) = a.out {
        let out = huce_core::paths::output_file(&out.to_string_lossy(), "pdf", &a.db)?;
        let printed = huce_core::print::sample_list(&conn, sample.id, &today())?;
        printed.save(&out)?;
        println!("样本清单 {} 页 → {}", printed.pages, out.display());
    }
    Ok(())
}
