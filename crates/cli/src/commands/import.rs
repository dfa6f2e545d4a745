//! `huce import`: a ledger (.xlsx / .xls / .csv) checked, then written in one transaction after
//! a backup, with a report of what was recognised, written and refused.

use std::path::PathBuf;

use chrono::Datelike;
use huce_core::import::apply::{
    import_file, import_into, write_problem_rows, BaselineList, ColumnInfo, ImportOptions,
    ImportReport, Mode,
};
use huce_core::import::headers::{header_key, match_header, Field};
use huce_core::Result;

use super::common::{now, now_local, open_existing, peak_rss_kb, resources_line};

#[derive(clap::Args)]
pub struct ImportArgs {
    /// 要导入的文件
    file: PathBuf,
    /// 数据库文件
    #[arg(long, required_unless_present = "server", conflicts_with = "server")]
    db: Option<PathBuf>,
    /// 导入到服务器上的数据库（PostgreSQL）：postgres://用户名:密码@服务器地址:端口/数据库名。
    /// 服务器不在导入前备份：它的备份是办公室安排的定时 pg_dump
    #[arg(long)]
    server: Option<String>,
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
    /// 手动指定一列导入为哪一项：表头=项目（例如 --column "户主联系电话=联系电话"），
    /// 或列号=项目（--column D=联系电话）；项目写“不导入”则这一列不导入。可写多次。
    /// 指定的对应关系会记住，下次同样表头的文件自动沿用
    #[arg(long = "column", value_name = "列=项目")]
    columns: Vec<String>,
    /// 把有问题的行导出到这个 .xlsx 文件，发回村里改正
    #[arg(long)]
    problems_out: Option<PathBuf>,
    /// 名单类型：auto（按列自动识别）、survey（摸排名单/台账）、subsidy（财政补助改厕名单，
    /// 与已有户厕按补助记录比对合并，报告两份名单的差异）
    #[arg(long, default_value = "auto", value_parser = parse_list)]
    list: BaselineList,
    /// 操作人姓名（记入修改记录）
    #[arg(long, default_value = "命令行")]
    actor: String,
    /// 结束时报告用时和峰值内存（用于性能测试）
    #[arg(long, hide = true)]
    report_resources: bool,
}

pub fn run(a: ImportArgs) -> Result<()> {
    let started = std::time::Instant::now();
    let mut opts = ImportOptions {
        sheet: a.sheet.clone(),
        columns: None,
        default_village: a.village.clone(),
        create_places: a.create_places,
        actor: a.actor.clone(),
        now: now(),
        current_year: now_local().year() as i64,
        list: a.list,
    };
    let stamp = now_local().format("%Y%m%d-%H%M%S").to_string();
    // The columns set to 不导入 by hand: not listed as unread.
    let mut left_by_hand = Vec::new();
    if !a.columns.is_empty() {
        let by_hand = a
            .columns
            .iter()
            .map(|c| by_hand(c))
            .collect::<Result<Vec<_>>>()?;
        // The columns as the program reads them, from a preview; then the ones set by hand.
        let columns = match import(&a, &opts, true, &stamp) {
            Ok(r) => r.columns,
            // No header the program knows: only column letters can name the columns. (Any
            // other reason to refuse the file comes again from the import itself.)
            Err(_) if by_hand.iter().all(|(c, _)| letters(c).is_some()) => Vec::new(),
            Err(e) => return Err(e),
        };
        let (columns, left) = set_by_hand(&columns, &by_hand)?;
        opts.columns = Some(columns);
        left_by_hand = left;
    }
    let r = import(&a, &opts, a.dry_run, &stamp);
    let r = r.map_err(|e| match e {
        huce_core::Error::Invalid(m) if m.contains("没有找到表头") => huce_core::Error::Invalid(
            format!("{m}用命令行导入时，用 --column 按列号指定各列，例如 --column A=行政村 --column B=社 --column C=户主姓名。"),
        ),
        e => e,
    })?;
    print_report(&r, &left_by_hand);
    if let Some(out) = a.problems_out {
        if r.problems.is_empty() {
            println!("没有问题行，未生成 {}", out.display());
        } else {
            let n = write_problem_rows(&a.file, &r, &out)?;
            println!("已把 {n} 个问题行导出到 {}", out.display());
        }
    }
    if a.report_resources {
        println!("{}", resources_line(started, peak_rss_kb().unwrap_or(0)));
    }
    Ok(())
}

/// One `--column` as given: what names the column (its header or its letters) and the field,
/// `None` for 不导入.
fn by_hand(text: &str) -> Result<(String, Option<Field>)> {
    let Some((column, field)) = text.split_once(['=', '＝']) else {
        return Err(huce_core::Error::Invalid(format!(
            "--column “{text}”的写法不对：请写成 表头=项目，例如 --column \"户主联系电话=联系电话\"，或 --column D=联系电话。"
        )));
    };
    let (column, field) = (column.trim(), field.trim());
    if matches!(field, "不导入" | "忽略" | "不要") {
        return Ok((column.to_string(), None));
    }
    match match_header(field) {
        Some(f) => Ok((column.to_string(), Some(f))),
        None => {
            let fields: Vec<String> = Field::ALL.iter().map(|f| f.title()).collect();
            Err(huce_core::Error::Invalid(format!(
                "--column “{text}”：“{field}”不是本程序导入的项目。可以写的项目：{}，或“不导入”。",
                fields.join("、")
            )))
        }
    }
}

/// The 0-based column of Excel's column letters (`A`, `D`, `AB`), if `text` is such.
fn letters(text: &str) -> Option<usize> {
    let t = text.trim().to_ascii_uppercase();
    if t.is_empty() || t.len() > 3 || !t.chars().all(|c| c.is_ascii_uppercase()) {
        return None;
    }
    let n = t
        .chars()
        .fold(0usize, |n, c| n * 26 + (c as usize - 'A' as usize + 1));
    Some(n - 1)
}

/// Excel's letters of the 0-based column `i`.
fn column_letters(mut i: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push((b'A' + (i % 26) as u8) as char);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.iter().rev().collect()
}

/// The mapping of every column: as detected, with the columns set by hand (a header the sheet
/// has, else column letters); and the columns set to 不导入. A field set by hand is taken off
/// any other column.
fn set_by_hand(
    detected: &[ColumnInfo],
    by_hand: &[(String, Option<Field>)],
) -> Result<(Vec<Option<Field>>, Vec<usize>)> {
    let mut columns: Vec<Option<Field>> = detected.iter().map(|c| c.field).collect();
    let mut left = Vec::new();
    for (column, field) in by_hand {
        let key = header_key(column);
        let index = detected
            .iter()
            .find(|c| !key.is_empty() && header_key(&c.header) == key)
            .map(|c| c.index)
            .or_else(|| letters(column))
            .ok_or_else(|| {
                let list: Vec<String> = detected
                    .iter()
                    .filter(|c| !c.header.trim().is_empty())
                    .map(|c| format!("{} {}", column_letters(c.index), c.header))
                    .collect();
                huce_core::Error::Invalid(format!(
                    "--column：本表没有表头为“{column}”的列。本表的列：{}。可以写表头，也可以写列号（例如 D）。",
                    list.join("，")
                ))
            })?;
        if columns.len() <= index {
            columns.resize(index + 1, None);
        }
        if field.is_some() {
            for c in columns.iter_mut().filter(|c| *c == field) {
                *c = None;
            }
        }
        columns[index] = *field;
        if field.is_none() {
            left.push(index);
        }
    }
    Ok((columns, left))
}

/// Imports (or, `dry_run`, previews) into the file or the server the arguments name.
fn import(
    a: &ImportArgs,
    opts: &ImportOptions,
    dry_run: bool,
    stamp: &str,
) -> Result<ImportReport> {
    match (&a.db, &a.server) {
        (Some(db), _) => {
            let mode = if dry_run {
                Mode::DryRun
            } else {
                Mode::Commit {
                    backup_dir: huce_core::paths::backup_dir(db),
                    stamp: stamp.to_string(),
                }
            };
            import_file(
                &mut open_existing(db)?,
                &a.file,
                opts,
                &mode,
                &mut |_, _| {},
            )
        }
        (None, Some(url)) => {
            let mode = if dry_run {
                Mode::DryRun
            } else {
                // Not used on the server: its backups are its scheduled dumps.
                Mode::Commit {
                    backup_dir: PathBuf::new(),
                    stamp: stamp.to_string(),
                }
            };
            let mut server = huce_core::server::connect(url)?;
            if server.schema_version()?.is_none() {
                return Err(huce_core::Error::Invalid(format!(
                    "服务器上的数据库 {} 还是空的，没有镇的基础数据。请先用 huce push 推送本镇的数据库文件，或在程序里连接这个服务器完成初始设置，再导入台账。",
                    server.name
                )));
            }
            server.set_up()?;
            import_into(&server.into_conn(), &a.file, opts, &mode, &mut |_, _| {})
        }
        (None, None) => unreachable!("clap requires --db or --server"),
    }
}

fn parse_list(s: &str) -> std::result::Result<BaselineList, String> {
    match s {
        "auto" => Ok(BaselineList::Auto),
        "survey" => Ok(BaselineList::Survey),
        "subsidy" => Ok(BaselineList::Subsidy),
        _ => Err(format!("名单类型“{s}”不对：请写 auto、survey 或 subsidy")),
    }
}

/// The shown problems at most; the rest go to `--problems-out`.
const PROBLEMS_SHOWN: usize = 100;

fn print_report(r: &ImportReport, left_by_hand: &[usize]) {
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
    let unread: Vec<&str> = r
        .columns
        .iter()
        .filter(|c| {
            c.field_label.is_none()
                && !left_by_hand.contains(&c.index)
                && !c.header.trim().is_empty()
                && !huce_core::import::headers::is_row_number(&c.header)
        })
        .map(|c| c.header.as_str())
        .collect();
    if !unread.is_empty() {
        println!(
            "未识别、不导入的列：{}（如果其中有要导入的内容，请把表头改成本程序认得的名称，例如“联系电话”“建设（改造）年度”，或在工作台的导入界面里指定）",
            unread.join("，")
        );
    }
    let others: Vec<&str> = r
        .sheets
        .iter()
        .map(String::as_str)
        .filter(|s| *s != r.sheet_name)
        .collect();
    if !others.is_empty() {
        println!(
            "本文件还有 {} 个工作表没有导入：{}。一次导入一个工作表，请用 --sheet 指定后分别导入",
            others.len(),
            others.join("、")
        );
    }
    println!(
        "数据行 {}（空行 {}）：导入 {} 行，其中 {} 行有待核实的内容；未导入 {} 行",
        r.rows_total,
        r.rows_blank,
        r.rows_total - r.rows_rejected,
        r.rows_flagged,
        r.rows_rejected
    );
    for k in &r.skipped {
        println!("第 {} 行：{}", k.row, k.message);
    }
    for k in r.namesakes.iter().chain(&r.new_heads) {
        println!("第 {} 行：{}", k.row, k.message);
    }
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
    for f in r.flags.iter().take(PROBLEMS_SHOWN) {
        println!("  第 {} 行【{}】待核实：{}", f.row, f.column, f.message);
    }
    if r.flags.len() > PROBLEMS_SHOWN {
        println!(
            "  …另有 {} 项待核实，导入后用 huce pending 列出全部",
            r.flags.len() - PROBLEMS_SHOWN
        );
    }
    for n in &r.notes {
        println!("注意：{n}");
    }
    for k in &r.kept_from_door {
        println!("  第 {} 行【{}】{}", k.row, k.column, k.message);
    }
    for p in r.problems.iter().take(PROBLEMS_SHOWN) {
        let col = if p.column.is_empty() {
            String::new()
        } else {
            format!("【{}】", p.column)
        };
        println!("  第 {} 行{col}未导入：{}", p.row, p.message);
    }
    if r.problems.len() > PROBLEMS_SHOWN {
        println!(
            "  …另有 {} 条问题，请用 --problems-out 导出全部问题行",
            r.problems.len() - PROBLEMS_SHOWN
        );
    }
    println!("名单类型：{}", r.list.label());
    if let Some(m) = &r.merge {
        println!(
            "与已有户厕比对：对上 {} 个户厕（其中 {} 个补助记录已在库中）",
            m.matched, m.already
        );
        for (title, lines) in [
            ("补助名单有、摸排名单无此户（已新增）", &m.new_households),
            ("补助名单有、本户没有对应户厕（已新增户厕）", &m.new_toilets),
            ("摸排记为未获补助、补助名单有", &m.survey_said_no),
            ("补助记录与库中不同（按补助名单更正）", &m.record_differs),
            ("摸排记为财政补助、补助名单中没有", &m.only_on_survey),
        ] {
            if lines.is_empty() {
                continue;
            }
            println!("{title}：");
            for l in lines.iter().take(PROBLEMS_SHOWN) {
                let row = l.row.map(|r| format!("第 {r} 行 ")).unwrap_or_default();
                let seq = l
                    .toilet_seq
                    .map(|s| format!(" 第{s}个户厕"))
                    .unwrap_or_default();
                println!("  {row}{} {}{seq}：{}", l.place, l.head_name, l.note);
            }
        }
        if m.only_on_survey_total > m.only_on_survey.len() {
            println!(
                "  …摸排记为财政补助而补助名单中没有的共 {} 个",
                m.only_on_survey_total
            );
        }
    }
    if let Some(b) = &r.backup_path {
        println!("导入前的备份：{b}");
    } else if r.backup_not_needed {
        println!("本次没有改动任何数据，不需要另做备份。");
    }
}
