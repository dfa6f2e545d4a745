//! `huce`: the workbench's command line, on the same core as the desktop app. For
//! administrators (demo data, statistics; later import, export, print, backup, verify),
//! scripts and benchmarks: demo data, statistics, import and export.
//!
//! This file holds the list of subcommands and hands each to its module in `commands`.

mod commands;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use commands::{
    audit, backup, bulletin, compare, export, import, init, ledger, pending, print, sample, server,
    stats, stress, template,
};

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
    /// 新建一个空数据库，并填写区、镇名称（之后用 import 导入台账）
    Init(init::InitArgs),
    /// 生成示例数据库（虚构的镇，可指定户数，用于试用、测试和性能测试）
    Demo(init::DemoArgs),
    /// 导入台账（.xlsx / .xls / .csv）：先校验，再在一个事务里写入，写入前自动备份
    Import(import::ImportArgs),
    /// 导出 Excel：改厕台账（ledger）或农户名单（households）；身份证号、电话默认隐去中间位
    Export(export::ExportArgs),
    /// 管理导出列模板：list 列出；save 保存（--columns "身份证号=证件号码,户主姓名=户主"）；delete 删除
    Template(template::TemplateArgs),
    /// 显示数据库的概况：镇名、行政村、社、农户和户厕数
    Stats(stats::StatsArgs),
    /// 打印文书（PDF）：notices 整改告知单、problem-ledger 问题厕所台账、toilet-ledger 改厕台账、signoff 签字背书表、check-sheets 区级抽查现场核查表、survey-sheets 入户排查表、pending-list 待核实清单等
    Print(print::PrintArgs),
    /// 区级抽查：按行政村分层随机抽取户厕，保存样本（程序产生的随机种子和方法），可同时打印样本清单；--reproduce 复现核对已有样本
    Sample(sample::SampleArgs),
    /// 多方比对：村级自查、镇级复核、区级抽查和台账底数不一致的地方（制表符分隔）
    Compare(compare::CompareArgs),
    /// 核验：数据库完整性检查（integrity_check）、操作日志的串联校验和库外核对点，指出第一条被改动的记录
    Verify(audit::VerifyArgs),
    /// 备份数据库（联机备份并校验）；--to 备份到另一个文件夹（例如 U 盘），连同照片
    Backup(backup::BackupArgs),
    /// 操作日志：按操作人、操作、日期、内容筛选，列出或导出 Excel
    Audit(audit::AuditArgs),
    /// (test harness) saves no-problem inspections one by one, printing "acked <id>" after each commit
    #[command(hide = true)]
    StressSave(stress::StressArgs),
    /// (test harness) adds and changes staff members one by one, printing "acked <id> <name>" after each commit
    #[command(hide = true)]
    StressStaff(stress::StressArgs),
    /// 从备份恢复数据库：先检查备份（本程序的、不比程序新、同一个镇、有管理员），现在的数据先另存为“恢复前”备份
    Restore(backup::RestoreArgs),
    /// 月通报（PDF）：各村排查、问题、整改、销号、逾期和排名，可同时导出 Excel
    Bulletin(bulletin::BulletinArgs),
    /// 工作总结初稿（.docx，用 WPS 或 Word 修改）：全年排查、问题、分类整改、销号、比对和各村、逐月情况
    Summary(bulletin::SummaryArgs),
    /// 问题厕所台账：各行政村问题户厕数和整改进度（待整改、整改中、待验收、已销号、逾期未整改、逾期待验收）
    Ledger(ledger::LedgerArgs),
    /// 待核实清单：导入时写得不对或无法识别、暂时留空的内容，按村社列出，或 --out 导出 Excel
    Pending(pending::PendingArgs),
    /// 推送到服务器：把本机数据库文件（连同照片）复制到服务器上一个新建的空数据库（PostgreSQL），复制后核对操作日志
    Push(server::PushArgs),
    /// 从服务器拉取：把服务器上的数据（连同照片）复制成一个新的数据库文件，可带走或留存，复制后校验
    Pull(server::PullArgs),
}

/// mimalloc: an import's rows are allocated on its reader threads and freed on the writer's,
/// which glibc's allocator makes costly (a quarter of an import's CPU time went to it). The app
/// keeps the system's: there mimalloc added ~30 MB to the memory after login (#21).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

fn run(command: Command) -> huce_core::Result<()> {
    match command {
        Command::Init(a) => init::init(a),
        Command::Demo(a) => init::demo(a),
        Command::Import(a) => import::run(a),
        Command::Export(a) => export::run(a),
        Command::Template(a) => template::run(a),
        Command::Stats(a) => stats::run(a),
        Command::Print(a) => print::run(a),
        Command::Pending(a) => pending::run(a),
        Command::Sample(a) => sample::run(a),
        Command::Compare(a) => compare::run(a),
        Command::Verify(a) => audit::verify(a),
        Command::Backup(a) => backup::backup(a),
        Command::Audit(a) => audit::list(a),
        Command::StressSave(a) => stress::save_stream(a),
        Command::StressStaff(a) => stress::staff_stream(a),
        Command::Restore(a) => backup::restore(a),
        Command::Bulletin(a) => bulletin::run(a),
        Command::Summary(a) => bulletin::summary(a),
        Command::Ledger(a) => ledger::run(a),
        Command::Push(a) => server::push(a),
        Command::Pull(a) => server::pull(a),
    }
}
