//! `huce`: the workbench's command line, on the same core as the desktop app. For
//! administrators (demo data, statistics; later import, export, print, backup, verify),
//! scripts and benchmarks: demo data, statistics, import and export.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::Datelike;
use clap::{Parser, Subcommand};
use huce_core::demo::{self, DemoOptions};
use huce_core::export::{self, Personal};
use huce_core::households::Scope;
use huce_core::import::apply::{import_file, ImportOptions, ImportReport, Mode};
use huce_core::{db, households, print, settings::TownSettings};

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
    Init {
        /// 新数据库文件（必须不存在）
        file: PathBuf,
        /// 区（县）名称，例如 铜梁区
        #[arg(long)]
        district: String,
        /// 镇（乡）名称，例如 石鱼镇
        #[arg(long)]
        town: String,
    },
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
    /// 导入台账（.xlsx / .xls / .csv）：先校验，再在一个事务里写入，写入前自动备份
    Import {
        /// 要导入的文件
        file: PathBuf,
        /// 数据库文件
        #[arg(long)]
        db: PathBuf,
        /// 只检查、预览，不写入数据库
        #[arg(long)]
        dry_run: bool,
        /// 文件中没有“行政村”列时，所有行属于这个行政村
        #[arg(long)]
        village: Option<String>,
        /// 新建数据库中还没有的行政村和社（第一次导入全镇台账时使用）
        #[arg(long)]
        create_places: bool,
        /// 要导入的工作表名称（默认：第一个能识别表头的工作表）
        #[arg(long)]
        sheet: Option<String>,
        /// 把有问题的行导出到这个 .xlsx 文件，发回村里改正
        #[arg(long)]
        problems_out: Option<PathBuf>,
        /// 操作人姓名（记入修改记录）
        #[arg(long, default_value = "命令行")]
        actor: String,
        /// 结束时报告用时和峰值内存（用于性能测试）
        #[arg(long, hide = true)]
        report_resources: bool,
    },
    /// 导出 Excel：改厕台账（ledger）或农户名单（households）；身份证号、电话默认隐去中间位
    Export {
        /// ledger（改厕台账）或 households（农户名单）
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
    },
    /// 管理导出列模板：list 列出；save 保存（--columns "身份证号=证件号码,户主姓名=户主"）；delete 删除
    Template {
        /// list、save 或 delete
        action: TemplateAction,
        /// 数据库文件
        #[arg(long)]
        db: PathBuf,
        /// 模板名称（save、delete 时）
        #[arg(long)]
        name: Option<String>,
        /// 列：台账列名=导出表头，用逗号分隔；“=表头”可省略
        #[arg(long)]
        columns: Option<String>,
    },
    /// 显示数据库的概况：镇名、行政村、社、农户和户厕数
    Stats {
        /// 数据库文件
        file: PathBuf,
    },
    /// 打印文书（PDF）：notices 整改告知单、problem-ledger 问题厕所台账、toilet-ledger 改厕台账、signoff 签字背书表、check-sheets 区级抽查现场核查表
    Print {
        kind: PrintKind,
        /// 数据库文件
        #[arg(long)]
        db: PathBuf,
        /// 只打印这个行政村（签字背书表按村打印时必填）
        #[arg(long)]
        village: Option<String>,
        /// 输出的 .pdf 文件
        #[arg(short = 'o', long)]
        out: PathBuf,
        /// 户档案：农户编号（huce stats 不列出；可在程序的农户详情中看到）
        #[arg(long)]
        household: Option<i64>,
        /// 现场核查表：抽查样本编号（huce sample 抽样时显示）
        #[arg(long)]
        sample: Option<i64>,
        /// 最多打印多少份告知单（基准测试用）
        #[arg(long, hide = true)]
        limit: Option<usize>,
        /// 告知单写成 HTML 而不是 PDF（基准测试中与浏览器打印对比用）
        #[arg(long, hide = true)]
        html: bool,
    },
    /// 区级抽查：按行政村分层随机抽取户厕，保存样本（程序产生的随机种子和方法），可同时打印样本清单；--reproduce 复现核对已有样本
    Sample {
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
    },
    /// 多方比对：村级自查、镇级复核、区级抽查和台账底数不一致的地方（制表符分隔）
    Compare {
        /// 数据库文件
        #[arg(long)]
        db: PathBuf,
        /// 只比对这个行政村
        #[arg(long)]
        village: Option<String>,
        /// 把差异清单、各村和各调查组差异率写入这个 .xlsx 文件（不再在屏幕上列出）
        #[arg(long)]
        xlsx: Option<PathBuf>,
    },
    /// 核验：数据库完整性检查（integrity_check）、操作日志的串联校验和库外核对点，指出第一条被改动的记录
    Verify {
        /// 数据库文件
        #[arg(long)]
        db: PathBuf,
        /// 核对纸质签字背书表上印的核对值：条号:核对值，例如 812:3f2a9c0177b0e4d2
        #[arg(long)]
        anchor: Option<String>,
    },
    /// 备份数据库（联机备份并校验）；--to 备份到另一个文件夹（例如 U 盘），连同照片
    Backup {
        /// 数据库文件
        #[arg(long)]
        db: PathBuf,
        /// 备份到这个文件夹（不写则放在数据库旁的 backups 文件夹）
        #[arg(long)]
        to: Option<PathBuf>,
    },
    /// 操作日志：按操作人、操作、日期、内容筛选，列出或导出 Excel
    Audit {
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
    },
    /// (test harness) saves no-problem inspections one by one, printing "acked <id>" after each commit
    #[command(hide = true)]
    StressSave {
        #[arg(long)]
        db: PathBuf,
        #[arg(long, default_value_t = 100_000)]
        count: usize,
    },
    /// (test harness) adds and changes staff members one by one, printing "acked <id> <name>" after each commit
    #[command(hide = true)]
    StressStaff {
        #[arg(long)]
        db: PathBuf,
        #[arg(long, default_value_t = 100_000)]
        count: usize,
    },
    /// 从备份恢复数据库：先检查备份（本程序的、不比程序新、同一个镇、有管理员），现在的数据先另存为“恢复前”备份
    Restore {
        /// 数据库文件
        #[arg(long)]
        db: PathBuf,
        /// 要恢复的备份文件
        #[arg(long)]
        from: PathBuf,
        /// 备份是另一个镇的数据时，写上备份的镇名表示确认
        #[arg(long)]
        confirm_town: Option<String>,
    },
    /// 月通报（PDF）：各村排查、问题、整改、销号、逾期和排名，可同时导出 Excel
    Bulletin {
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
    },
    /// 问题厕所台账：各行政村问题户厕数和整改进度（待整改、整改中、待验收、已销号、逾期）
    Ledger {
        /// 数据库文件
        file: PathBuf,
        /// 逾期按哪个月算（YYYY-MM），默认本月
        #[arg(long)]
        month: Option<String>,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ExportKind {
    Ledger,
    Households,
    /// 按保存的列模板导出（需要 --template）
    Template,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum PrintKind {
    Notices,
    ProblemLedger,
    ToiletLedger,
    Signoff,
    /// 户档案（需要 --household）
    HouseholdFile,
    /// 区级抽查现场核查表（需要 --sample）
    CheckSheets,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum TemplateAction {
    List,
    Save,
    Delete,
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

/// Opens a database that must already exist (a typo must not create an empty one).
/// The scope of `--village NAME` (the whole town without it) and its title.
fn village_scope(
    conn: &rusqlite::Connection,
    village: Option<String>,
) -> Result<(Scope, String), huce_core::Error> {
    let Some(name) = village else {
        let town = TownSettings::load(conn)?;
        return Ok((Scope::Town, format!("{}（全镇）", town.town_name)));
    };
    let tree = households::tree(conn)?;
    let v = tree
        .villages
        .iter()
        .find(|v| v.name == name)
        .ok_or_else(|| {
            huce_core::Error::Invalid(format!(
                "没有名为“{name}”的行政村。现有：{}。",
                tree.villages
                    .iter()
                    .map(|v| v.name.as_str())
                    .collect::<Vec<_>>()
                    .join("、")
            ))
        })?;
    Ok((Scope::Village(v.id), name))
}

fn open_existing(path: &Path) -> Result<rusqlite::Connection, huce_core::Error> {
    if !path.exists() {
        return Err(huce_core::Error::Invalid(format!(
            "找不到数据库文件“{}”。请检查路径是否正确。",
            path.display()
        )));
    }
    let conn = db::open(path)?;
    huce_core::audit::set_actor(&conn, &cli_actor())?;
    Ok(conn)
}

/// How the audit log names what the command line does: the computer's user.
fn cli_actor() -> String {
    let user = std::env::var("USERNAME")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_else(|_| "未知用户".into());
    format!("命令行（{user}）")
}

fn print_report(r: &ImportReport) {
    println!(
        "{}：工作表“{}”，表头在第 {} 行",
        if r.committed {
            "已导入"
        } else {
            "预览（未写入）"
        },
        r.sheet_name,
        r.header_row
    );
    let cols: Vec<String> = r
        .columns
        .iter()
        .filter_map(|c| c.field_label.map(|f| format!("{}→{f}", c.header)))
        .collect();
    println!("识别的列：{}", cols.join("，"));
    println!(
        "数据行 {}（空行 {}），有问题未导入 {} 行",
        r.rows_total, r.rows_blank, r.rows_rejected
    );
    println!(
        "农户：新增 {}，更新 {}，无变化 {}；户厕：新增 {}，更新 {}，无变化 {}；修改字段 {} 处",
        r.households_new,
        r.households_updated,
        r.households_unchanged,
        r.toilets_new,
        r.toilets_updated,
        r.toilets_unchanged,
        r.fields_changed
    );
    if !r.new_villages.is_empty() {
        println!("新建行政村：{}", r.new_villages.join("、"));
    }
    if !r.new_groups.is_empty() {
        println!("新建社：{}", r.new_groups.join("、"));
    }
    for p in r.problems.iter().take(100) {
        let col = if p.column.is_empty() {
            String::new()
        } else {
            format!("【{}】", p.column)
        };
        println!("  第 {} 行{col}：{}", p.row, p.message);
    }
    if r.problems.len() > 100 {
        println!(
            "  …另有 {} 条问题，请用 --problems-out 导出全部问题行",
            r.problems.len() - 100
        );
    }
    if let Some(b) = &r.backup_path {
        println!("导入前的备份：{b}");
    }
}

/// Peak resident memory of this process in kB (Linux; None elsewhere).
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Saves no-problem 村级自查 inspections of toilets without an open case (over and over), one
/// transaction each, and
/// prints "acked <inspection id>" after each commit: the crash test kills this at random and
/// checks that every acknowledged save is in the database.
fn stress_save(db_path: &Path, count: usize) -> Result<(), huce_core::Error> {
    use std::io::Write;
    let conn = open_existing(db_path)?;
    let local = huce_core::accounts::Account::local(&cli_actor());
    let staff: Vec<i64> = conn
        .prepare("SELECT id FROM staff WHERE active = 1 ORDER BY id LIMIT 2")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if staff.len() < 2 {
        return Err(huce_core::Error::Invalid("需要至少 2 位工作人员。".into()));
    }
    let toilets: Vec<i64> = conn
        .prepare(
            "SELECT id FROM toilets t WHERE NOT EXISTS
               (SELECT 1 FROM rectifications r WHERE r.toilet_id = t.id AND r.state <> 'closed')
             ORDER BY id",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if toilets.is_empty() {
        return Ok(());
    }
    let today = chrono::Local::now().format("%Y-%m-%d").to_string();
    let mut out = std::io::stdout().lock();
    for toilet in toilets.iter().copied().cycle().take(count) {
        let input = huce_core::inspections::InspectionInput {
            toilet_id: toilet,
            kind: huce_core::model::InspectionKind::VillageSelf,
            inspected_on: today.clone(),
            members: staff.clone(),
            household_status: huce_core::model::HouseholdStatus::Normal,
            status_note: None,
            in_normal_use: Some(true),
            no_problem: true,
            problems: Vec::new(),
            photos: Vec::new(),
            corrections: Vec::new(),
            remarks: None,
            recorded_by: staff[0],
            decision: None,
            close_on_site: None,
        };
        let saved = huce_core::inspections::save(&conn, &local, &input, &today, &now())?;
        let _ = writeln!(out, "acked {}", saved.inspection_id);
        let _ = out.flush();
    }
    Ok(())
}

/// Adds a staff member, then changes them, over and over, one transaction each, printing
/// "acked <id> <name>" after each commit: the crash test kills this at random and checks that
/// every acknowledged change is there and every staff row matches its latest audit entry.
fn stress_staff(db_path: &Path, count: usize) -> Result<(), huce_core::Error> {
    use std::io::Write;
    let conn = open_existing(db_path)?;
    let mut out = std::io::stdout().lock();
    let stamp = chrono::Local::now().format("%H%M%S%f").to_string();
    for i in 0..count {
        let input = |name: String| huce_core::staff::StaffInput {
            name,
            unit: "压力测试".into(),
            phone: None,
            roles: String::new(),
            active: true,
        };
        let name = format!("员{stamp}-{i}");
        let id = huce_core::staff::add_staff(&conn, &input(name.clone()), &now())?;
        let _ = writeln!(out, "acked {id} {name}");
        let renamed = format!("{name}改");
        huce_core::staff::update_staff(&conn, id, &input(renamed.clone()))?;
        let _ = writeln!(out, "acked {id} {renamed}");
        let _ = out.flush();
    }
    Ok(())
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
        }
        Command::Import {
            file,
            db: db_path,
            dry_run,
            village,
            create_places,
            sheet,
            problems_out,
            actor,
            report_resources,
        } => {
            let started = std::time::Instant::now();
            let mut conn = open_existing(&db_path)?;
            let opts = ImportOptions {
                sheet,
                columns: None,
                default_village: village,
                create_places,
                actor,
                now: now(),
                current_year: chrono::Local::now().year() as i64,
            };
            let mode = if dry_run {
                Mode::DryRun
            } else {
                let dir = db_path
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new("."))
                    .join("backups");
                Mode::Commit {
                    backup_dir: dir,
                    stamp: chrono::Local::now().format("%Y%m%d-%H%M%S").to_string(),
                }
            };
            let r = import_file(&mut conn, &file, &opts, &mode, &mut |_, _| {})?;
            print_report(&r);
            if let Some(out) = problems_out {
                if r.problems.is_empty() {
                    println!("没有问题行，未生成 {}", out.display());
                } else {
                    let n = huce_core::import::apply::write_problem_rows(&file, &r, &out)?;
                    println!("已把 {n} 个问题行导出到 {}", out.display());
                }
            }
            if report_resources {
                println!(
                    "resources: wall_s={:.3} peak_rss_kb={}",
                    started.elapsed().as_secs_f64(),
                    peak_rss_kb().unwrap_or(0)
                );
            }
        }
        Command::Export {
            kind,
            db: db_path,
            out,
            village,
            full,
            template,
        } => {
            let conn = open_existing(&db_path)?;
            let (scope, _) = village_scope(&conn, village)?;
            let personal = if full {
                Personal::Full
            } else {
                Personal::Masked
            };
            let today = chrono::Local::now().format("%Y-%m-%d").to_string();
            let s = match kind {
                ExportKind::Ledger => export::toilet_ledger(&conn, scope, personal, &out, &today)?,
                ExportKind::Households => {
                    export::household_list(&conn, scope, personal, &out, &today)?
                }
                ExportKind::Template => {
                    let name = template.ok_or_else(|| {
                        huce_core::Error::Invalid("按模板导出时请用 --template 指定模板名称（huce template list 可以列出）。".into())
                    })?;
                    export::with_template(&conn, &name, scope, personal, &out, &today)?
                }
            };
            println!(
                "已导出 {} 户、{} 行 → {}",
                s.households,
                s.rows,
                out.display()
            );
        }
        Command::Template {
            action,
            db: db_path,
            name,
            columns,
        } => {
            let conn = open_existing(&db_path)?;
            let need_name = || {
                name.clone()
                    .ok_or_else(|| huce_core::Error::Invalid("请用 --name 指定模板名称。".into()))
            };
            match action {
                TemplateAction::List => {
                    let list = export::templates(&conn)?;
                    if list.is_empty() {
                        println!(
                            "还没有导出模板。可选的列：{}",
                            export::template_sources().join("、")
                        );
                    }
                    for t in list {
                        let cols: Vec<String> = t
                            .columns
                            .iter()
                            .map(|c| format!("{}={}", c.source, c.header))
                            .collect();
                        println!("{}：{}", t.name, cols.join("，"));
                    }
                }
                TemplateAction::Save => {
                    let spec = columns.ok_or_else(|| {
                        huce_core::Error::Invalid("请用 --columns 列出要导出的列，例如 --columns \"身份证号=证件号码,户主姓名=户主\"。".into())
                    })?;
                    let cols = spec
                        .split([',', '，'])
                        .filter(|p| !p.trim().is_empty())
                        .map(|p| {
                            let (source, header) = p.split_once('=').unwrap_or((p, p));
                            export::TemplateColumn {
                                source: source.trim().to_string(),
                                header: header.trim().to_string(),
                            }
                        })
                        .collect();
                    let t = export::ExportTemplate {
                        name: need_name()?,
                        columns: cols,
                    };
                    export::save_template(&conn, &t)?;
                    println!("已保存模板“{}”（{} 列）", t.name, t.columns.len());
                }
                TemplateAction::Delete => {
                    let n = need_name()?;
                    export::delete_template(&conn, &n)?;
                    println!("已删除模板“{n}”");
                }
            }
        }
        Command::Init {
            file,
            district,
            town,
        } => {
            if file.exists() {
                return Err(huce_core::Error::Invalid(format!(
                    "文件“{}”已经存在。为免覆盖已有数据，请换一个文件名。",
                    file.display()
                )));
            }
            if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|source| huce_core::Error::Io {
                    path: parent.to_path_buf(),
                    source,
                })?;
            }
            let conn = db::open(&file)?;
            let s = huce_core::town::save_names(&conn, &district, &town)?;
            println!(
                "已新建数据库 {}（{}{}）",
                file.display(),
                s.district_name,
                s.town_name
            );
        }
        Command::Stats { file } => {
            let conn = open_existing(&file)?;
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
            let count = |sql: &str| -> Result<i64, huce_core::Error> {
                Ok(conn.query_row(sql, [], |r| r.get(0))?)
            };
            println!(
                "入户核查 {} 次（已核查户厕 {} 个），问题户厕 {} 个，其中已销号 {} 个；工作人员 {} 人",
                count("SELECT count(*) FROM inspections")?,
                count("SELECT count(DISTINCT toilet_id) FROM inspections")?,
                count("SELECT count(*) FROM rectifications")?,
                count("SELECT count(*) FROM rectifications WHERE state = 'closed'")?,
                count("SELECT count(*) FROM staff WHERE active = 1")?
            );
        }
        Command::Print {
            kind,
            db: db_path,
            village,
            out,
            limit,
            html,
            household,
            sample,
        } => {
            let out = huce_core::paths::output_file(
                &out.to_string_lossy(),
                if html { "html" } else { "pdf" },
                &db_path,
            )?;
            let conn = open_existing(&db_path)?;
            let (scope, title) = village_scope(&conn, village)?;
            let now = chrono::Local::now();
            let today = now.format("%Y-%m-%d").to_string();
            let month = now.format("%Y-%m").to_string();
            let filter = huce_core::rectification::LedgerFilter {
                scope,
                category: None,
                state: None,
                overdue_only: false,
                sort: huce_core::rectification::LedgerSort::Place,
            };
            let started = std::time::Instant::now();
            let printed = match kind {
                PrintKind::Notices => {
                    let mut cases = print::notice_cases(&conn, &filter, &month)?;
                    cases.truncate(limit.unwrap_or(usize::MAX));
                    if html {
                        let page = print::notices_html(&conn, &cases, &today)?;
                        std::fs::write(&out, page).map_err(|source| huce_core::Error::Io {
                            path: out.clone(),
                            source,
                        })?;
                        println!("已写出 {} 份告知单的 HTML → {}", cases.len(), out.display());
                        return Ok(());
                    }
                    print::notices(&conn, &cases, &today, &mut |_, _| {})?
                }
                PrintKind::ProblemLedger => {
                    print::problem_ledger(&conn, &filter, &month, &today, &title)?
                }
                PrintKind::ToiletLedger => print::toilet_ledger(&conn, scope, &today, &title)?,
                PrintKind::Signoff => print::signoff_sheet(&conn, scope, &today, &title)?,
                PrintKind::HouseholdFile => {
                    let id = household.ok_or_else(|| {
                        huce_core::Error::Invalid(
                            "打印户档案要用 --household 指明农户编号。".into(),
                        )
                    })?;
                    let stem = db_path
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_else(|| "huce".into());
                    let photos = db_path.with_file_name(format!("{stem}-photos"));
                    print::household_file(&conn, id, &photos, &today)?
                }
                PrintKind::CheckSheets => {
                    let id = sample.ok_or_else(|| {
                        huce_core::Error::Invalid(
                            "打印现场核查表要用 --sample 指明抽查样本编号（抽样时显示的“第 N 号抽查样本”）。".into(),
                        )
                    })?;
                    print::check_sheets(&conn, id, &today)?
                }
            };
            std::fs::write(&out, &printed.bytes).map_err(|source| huce_core::Error::Io {
                path: out.clone(),
                source,
            })?;
            for w in &printed.warnings {
                eprintln!("注意：{w}");
            }
            println!(
                "已生成 {} 页，{:.1} MB，用时 {:.2} 秒 → {}",
                printed.pages,
                printed.bytes.len() as f64 / 1e6,
                started.elapsed().as_secs_f64(),
                out.display()
            );
            if let Some(kb) =
                peak_rss_kb().filter(|_| std::env::var_os("HUCE_REPORT_RESOURCES").is_some())
            {
                println!(
                    "resources: wall_s={:.3} peak_rss_kb={kb}",
                    started.elapsed().as_secs_f64()
                );
            }
        }
        Command::Sample {
            db: db_path,
            village,
            count,
            percent,
            min_per_village,
            oversample_problems,
            reproduce,
            out,
            actor,
        } => {
            let conn = open_existing(&db_path)?;
            if let Some(id) = reproduce {
                let r = huce_core::sampling::reproduce(&conn, id)?;
                println!("{}", r.message);
                if !r.same {
                    return Err(huce_core::Error::Invalid(format!(
                        "第 {id} 号样本复现不一致（见上）。"
                    )));
                }
                return Ok(());
            }
            let mut villages = Vec::new();
            for name in village {
                match village_scope(&conn, Some(name))?.0 {
                    Scope::Village(id) => villages.push(id),
                    _ => unreachable!("a named village"),
                }
            }
            let size = match (count, percent) {
                (Some(n), _) => huce_core::sampling::SampleSize::Count(n),
                (None, Some(p)) => huce_core::sampling::SampleSize::Percent(p),
                (None, None) => {
                    return Err(huce_core::Error::Invalid(
                        "请用 --count 指定抽几个户厕，或用 --percent 指定比例。".into(),
                    ))
                }
            };
            let spec = huce_core::sampling::SampleSpec {
                villages,
                size,
                min_per_village,
                oversample_problems,
                seed: None,
            };
            let sample = huce_core::sampling::draw(&conn, &spec, &actor, &now())?;
            println!(
                "第 {} 号抽查样本：{} 个户厕（总体 {} 个），随机种子 {}",
                sample.id,
                sample.toilets.len(),
                sample.population,
                sample.seed
            );
            println!("{}", sample.method);
            if let Some(out) = out {
                let out = huce_core::paths::output_file(&out.to_string_lossy(), "pdf", &db_path)?;
                let today = chrono::Local::now().format("%Y-%m-%d").to_string();
                let printed = print::sample_list(&conn, sample.id, &today)?;
                std::fs::write(&out, &printed.bytes).map_err(|source| huce_core::Error::Io {
                    path: out.clone(),
                    source,
                })?;
                println!("样本清单 {} 页 → {}", printed.pages, out.display());
            }
        }
        Command::Verify {
            db: db_path,
            anchor,
        } => {
            if !db_path.exists() {
                return Err(huce_core::Error::Invalid(format!(
                    "找不到数据库文件“{}”。",
                    db_path.display()
                )));
            }
            let conn = db::open_checked(&db_path)?;
            println!("数据库完整性检查：通过");
            let v = huce_core::audit::verify(&conn)?;
            if !v.ok() {
                return Err(huce_core::Error::Invalid(v.message()));
            }
            println!("{}", v.message());
            if let Some(anchor) = anchor {
                let (id, hash) = anchor
                    .split_once([':', '：'])
                    .and_then(|(id, hash)| Some((id.trim().parse::<i64>().ok()?, hash)))
                    .ok_or_else(|| {
                        huce_core::Error::Invalid(
                            "--anchor 请写成“条号:核对值”，例如 812:3f2a9c0177b0e4d2。".into(),
                        )
                    })?;
                let said = huce_core::audit::check_printed(&conn, id, hash)?;
                if !said.starts_with("一致") {
                    return Err(huce_core::Error::Invalid(said));
                }
                println!("{said}");
            }
        }
        Command::Backup { db: db_path, to } => {
            let conn = open_existing(&db_path)?;
            let now = chrono::Local::now().naive_local();
            match to {
                Some(dir) => {
                    let done = huce_core::backup::to_folder(
                        &conn,
                        &huce_core::paths::photo_dir(&db_path),
                        &dir,
                        now,
                    )?;
                    println!(
                        "已备份并校验 → {}（照片在 {}：新复制 {} 张，已有 {} 张）",
                        done.path.display(),
                        done.photo_dir.display(),
                        done.photos_copied,
                        done.photos_present
                    );
                }
                None => {
                    let dest = huce_core::backup::take(
                        &conn,
                        &huce_core::paths::backup_dir(&db_path),
                        huce_core::backup::Reason::Manual,
                        now,
                    )?;
                    println!("已备份并校验 → {}", dest.display());
                }
            }
        }
        Command::Audit {
            db: db_path,
            actor,
            action,
            from,
            to,
            text,
            xlsx,
        } => {
            let conn = open_existing(&db_path)?;
            let filter = huce_core::audit::Filter {
                actor,
                action,
                from,
                to,
                text,
            };
            if let Some(out) = xlsx {
                let out = huce_core::paths::output_file(&out.to_string_lossy(), "xlsx", &db_path)?;
                let n = export::audit_xlsx(&conn, &filter, &out)?;
                println!("已导出操作日志 {n} 条 → {}", out.display());
                return Ok(());
            }
            let (_, entries) = huce_core::audit::list(&conn, &filter, 0, i64::MAX)?;
            println!("编号\t时间\t操作人\t操作\t内容");
            for e in entries {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    e.id, e.at, e.actor, e.action, e.summary
                );
            }
        }
        Command::StressSave { db: db_path, count } => stress_save(&db_path, count)?,
        Command::StressStaff { db: db_path, count } => stress_staff(&db_path, count)?,
        Command::Restore {
            db: db_path,
            from,
            confirm_town,
        } => {
            // Not while the app (or another restore) has the database open.
            let _lock = db::lock(&db_path)?;
            let mut conn = open_existing(&db_path)?;
            let from = huce_core::paths::input_file(&from.to_string_lossy())?;
            let safety = huce_core::backup::restore(
                &mut conn,
                &from,
                &huce_core::paths::backup_dir(&db_path),
                confirm_town.as_deref(),
                chrono::Local::now().naive_local(),
            )?;
            println!(
                "已从 {} 恢复；恢复前的数据另存为 {}",
                from.display(),
                safety.display()
            );
        }
        Command::Compare {
            db: db_path,
            village,
            xlsx,
        } => {
            let conn = open_existing(&db_path)?;
            let (scope, _) = village_scope(&conn, village)?;
            if let Some(out) = xlsx {
                let out = huce_core::paths::output_file(&out.to_string_lossy(), "xlsx", &db_path)?;
                let n = huce_core::compare::comparison_xlsx(&conn, scope, &out)?;
                println!("已导出多方比对：{n} 处差异 → {}", out.display());
                return Ok(());
            }
            let c = huce_core::compare::compare(&conn, scope)?;
            println!("行政村\t比对户厕\t有差异\t差异率");
            for v in &c.villages {
                println!(
                    "{}\t{}\t{}\t{:.1}%",
                    v.name,
                    v.compared,
                    v.differing,
                    v.percent()
                );
            }
            println!();
            println!("调查组\t比对户厕\t有差异\t差异率");
            for g in &c.groups {
                println!(
                    "{}\t{}\t{}\t{:.1}%",
                    g.name,
                    g.compared,
                    g.differing,
                    g.percent()
                );
            }
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
        }
        Command::Bulletin {
            db: db_path,
            month,
            out,
            xlsx,
        } => {
            let out = huce_core::paths::output_file(&out.to_string_lossy(), "pdf", &db_path)?;
            let xlsx = xlsx
                .map(|x| huce_core::paths::output_file(&x.to_string_lossy(), "xlsx", &db_path))
                .transpose()?;
            let conn = open_existing(&db_path)?;
            let now = chrono::Local::now();
            let today = now.format("%Y-%m-%d").to_string();
            let month = month.unwrap_or_else(|| now.format("%Y-%m").to_string());
            let printed = print::bulletin(&conn, &month, &today)?;
            std::fs::write(&out, &printed.bytes).map_err(|source| huce_core::Error::Io {
                path: out.clone(),
                source,
            })?;
            for w in &printed.warnings {
                eprintln!("注意：{w}");
            }
            println!(
                "月通报（统计截至 {}）{} 页 → {}",
                huce_core::reports::bulletin::bulletin_as_of(&month, &today)?,
                printed.pages,
                out.display()
            );
            if let Some(x) = xlsx {
                let rows = huce_core::reports::bulletin::bulletin_xlsx(&conn, &month, &today, &x)?;
                println!("月通报表格 {rows} 行（含全镇合计）→ {}", x.display());
            }
        }
        Command::Ledger { file, month } => {
            let conn = open_existing(&file)?;
            let month = month.unwrap_or_else(|| chrono::Local::now().format("%Y-%m").to_string());
            let rows = huce_core::rectification::village_counts(&conn, &month)?;
            println!("行政村\t问题户厕\t待确定类别\t待整改\t整改中\t待验收\t已销号\t逾期\t销号率");
            let mut total = huce_core::rectification::VillageCounts {
                village_name: "合计".into(),
                ..Default::default()
            };
            for v in &rows {
                total.total += v.total;
                total.undecided += v.undecided;
                total.pending += v.pending;
                total.in_progress += v.in_progress;
                total.awaiting += v.awaiting;
                total.closed += v.closed;
                total.overdue += v.overdue;
            }
            for v in rows.iter().chain(std::iter::once(&total)) {
                let rate = if v.total > 0 {
                    format!("{}%", v.closed * 100 / v.total)
                } else {
                    "—".into()
                };
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    v.village_name,
                    v.total,
                    v.undecided,
                    v.pending,
                    v.in_progress,
                    v.awaiting,
                    v.closed,
                    v.overdue,
                    rate
                );
            }
        }
    }
    Ok(())
}
