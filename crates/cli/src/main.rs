//! `huce`: the workbench's command line, on the same core as the desktop app. For
//! administrators (demo data, statistics; later import, export, print, backup, verify),
//! scripts and benchmarks.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use huce_core::demo::{self, DemoOptions};
use huce_core::{db, households, settings::TownSettings};

#[derive(Parser)]
#[command(
    name = "huce",
    version,
    about = "农村户厕问题摸排整改工作台 · 命令行工具"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// 生成示例数据库（虚构的镇，可指定户数，用于试用、测试和性能测试）
    Demo {
        /// 农户数（默认 9000，约 10000 个户厕；270000 户约 30 万个户厕）
        #[arg(long, default_value_t = DemoOptions::default().households)]
        households: usize,
        /// 随机种子：同一种子生成完全相同的数据
        #[arg(long, default_value_t = DemoOptions::default().seed)]
        seed: u64,
        /// 输出的数据库文件（必须不存在或为空库）
        #[arg(long)]
        out: PathBuf,
    },
    /// 显示数据库的概况：镇名、行政村、社、农户和户厕数
    Stats {
        /// 数据库文件
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("错误：{e}");
            ExitCode::FAILURE
        }
    }
}

fn now() -> String {
    chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

fn run(command: Command) -> Result<(), huce_core::Error> {
    match command {
        Command::Demo {
            households,
            seed,
            out,
        } => {
            if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|source| huce_core::Error::Io {
                    path: parent.to_path_buf(),
                    source,
                })?;
            }
            let mut conn = db::open(&out)?;
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
        }
        Command::Stats { file } => {
            if !file.exists() {
                return Err(huce_core::Error::Invalid(format!(
                    "找不到数据库文件“{}”。请检查路径是否正确。",
                    file.display()
                )));
            }
            let conn = db::open(&file)?;
            let town = TownSettings::load(&conn)?;
            let tree = households::tree(&conn)?;
            let groups: usize = tree.villages.iter().map(|v| v.groups.len()).sum();
            println!("数据库：{}", file.display());
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
        }
    }
    Ok(())
}
