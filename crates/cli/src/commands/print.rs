//! `huce print`: a document as PDF, chosen and made by the core's `print_document` from the
//! same request as the desktop app's print dialog (the notices also as HTML, for the benchmark
//! that compares with printing from a browser).

use std::path::PathBuf;
use std::time::Instant;

use huce_core::print::{self, DocumentKind, DocumentRequest};
use huce_core::{Error, Result};

use super::common::{
    cli_actor, now_local, open_existing, peak_rss_kb, place_scope, resources_line, write_file,
    write_printed,
};

#[derive(clap::Args)]
pub struct PrintArgs {
    kind: PrintKind,
    /// 数据库文件
    #[arg(long)]
    db: PathBuf,
    /// 只打印这个行政村（签字背书表按村打印时必填）
    #[arg(long)]
    village: Option<String>,
    /// 只打印这个社（与 --village 一起用，例如入户排查表 --village 石鱼村 --group 3社）
    #[arg(long, requires = "village")]
    group: Option<String>,
    /// 输出的 .pdf 文件
    #[arg(short = 'o', long)]
    out: PathBuf,
    /// 户档案：农户编号（huce stats 不列出；可在程序的农户详情中看到）
    #[arg(long)]
    household: Option<i64>,
    /// 现场核查表：抽查样本编号（huce sample 抽样时显示）
    #[arg(long)]
    sample: Option<i64>,
    /// 入户排查表：在名单上的农户之后再加几张空白表（给名单上没有的农户）
    #[arg(long)]
    blanks: Option<usize>,
    /// 最多打印多少份告知单（基准测试用）
    #[arg(long, hide = true)]
    limit: Option<usize>,
    /// 告知单写成 HTML 而不是 PDF（基准测试中与浏览器打印对比用）
    #[arg(long, hide = true)]
    html: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum PrintKind {
    Notices,
    ProblemLedger,
    ToiletLedger,
    Signoff,
    /// 户档案（需要 --household）
    HouseholdFile,
    /// 区级抽查现场核查表（需要 --sample）
    CheckSheets,
    /// 待核实清单（导入时留空待核实的内容）
    PendingList,
    /// 整改验收单（已整改待验收和已销号的问题户厕，每户厕一页）
    AcceptanceSheets,
    /// 现场整改确认单（立行立改的问题户厕，每页两份）
    OnsiteSlips,
    /// 入户排查表（村级自查用，每个户厕一页，预填台账底数；--blanks 加空白表）
    SurveySheets,
}

impl PrintKind {
    fn document(self) -> DocumentKind {
        match self {
            PrintKind::Notices => DocumentKind::Notices,
            PrintKind::ProblemLedger => DocumentKind::ProblemLedger,
            PrintKind::ToiletLedger => DocumentKind::ToiletLedger,
            PrintKind::Signoff => DocumentKind::Signoff,
            PrintKind::HouseholdFile => DocumentKind::HouseholdFile,
            PrintKind::CheckSheets => DocumentKind::CheckSheets,
            PrintKind::PendingList => DocumentKind::PendingList,
            PrintKind::AcceptanceSheets => DocumentKind::AcceptanceSheets,
            PrintKind::OnsiteSlips => DocumentKind::OnsiteSlips,
            PrintKind::SurveySheets => DocumentKind::SurveySheets,
        }
    }
}

pub fn run(a: PrintArgs) -> Result<()> {
    let html = a.html && a.kind == PrintKind::Notices;
    let out = huce_core::paths::output_file(
        &a.out.to_string_lossy(),
        if a.html { "html" } else { "pdf" },
        &a.db,
    )?;
    let conn = open_existing(&a.db)?;
    let (scope, title) = place_scope(&conn, a.village, a.group)?;
    // Said with the option to use, before the core's own message for the app's dialog.
    match a.kind {
        PrintKind::HouseholdFile if a.household.is_none() => {
            return Err(Error::Invalid(
                "打印户档案要用 --household 指明农户编号。".into(),
            ))
        }
        PrintKind::CheckSheets if a.sample.is_none() => {
            return Err(Error::Invalid(
                "打印现场核查表要用 --sample 指明抽查样本编号（抽样时显示的“第 N 号抽查样本”）。"
                    .into(),
            ))
        }
        _ => {}
    }
    let mut req = DocumentRequest::new(a.kind.document(), scope, &title);
    req.household_id = a.household;
    req.sample_id = a.sample;
    req.limit = a.limit;
    req.blanks = a.blanks;
    let now = now_local();
    let started = Instant::now();
    if html {
        let cases = req
            .notice_cases(&conn, &now.format("%Y-%m-%d").to_string())?
            .cases;
        let page = print::notices_html(&conn, &cases, &now.format("%Y-%m-%d").to_string())?;
        write_file(&out, page)?;
        println!("已写出 {} 份告知单的 HTML → {}", cases.len(), out.display());
        return Ok(());
    }
    let photos = huce_core::paths::photo_dir(&a.db);
    let printed = print::print_document(&conn, &req, &photos, now, &mut |_, _| {})?;
    write_printed(&out, &printed)?;
    if !printed.notices.is_empty() {
        let by = huce_core::accounts::Account::local(&cli_actor());
        huce_core::paper::record_printed(&conn, &by, &printed.notices, &super::common::now())?;
        println!("已登记到告知单登记簿：{} 份", printed.notices.len());
    }
    for note in &printed.notes {
        println!("说明：{note}");
    }
    println!(
        "已生成 {} 页，{:.1} MB，用时 {:.2} 秒 → {}",
        printed.pages,
        printed.pdf.len() as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        out.display()
    );
    if let Some(kb) = peak_rss_kb().filter(|_| std::env::var_os("HUCE_REPORT_RESOURCES").is_some())
    {
        println!("{}", resources_line(started, kb));
    }
    Ok(())
}
