//! What every printed document shares: the finished document, the town's title, dates and
//! months in Chinese, page footers and a titled table over as many pages as it needs.

use super::layout::{fit_line, measure, Align, Column, Doc, Face, Table, TableStyle};
use crate::error::Result;
use crate::places::households::Scope;
use crate::store::settings::TownSettings;

/// A finished document.
#[derive(Debug, Clone)]
pub struct Printed {
    /// The PDF (a long one waits in a temporary file: [`Printed::save`] writes it out).
    pub pdf: super::layout::PdfBytes,
    pub pages: usize,
    /// Characters the fonts lack, naming where they occur (empty when all is well).
    pub warnings: Vec<String>,
    /// What the run left out and why (e.g. notices of undecided cases).
    pub notes: Vec<String>,
    /// The notices in the file, with the category each was printed for: the caller enters them
    /// in the register ([`crate::fieldwork::paper::record_printed`]) once the file is written.
    pub notices: Vec<(i64, crate::model::Category)>,
}

impl Printed {
    /// Writes the PDF to `path`.
    pub fn save(&self, path: &std::path::Path) -> Result<()> {
        self.pdf
            .save(path)
            .map_err(|source| crate::error::Error::Io {
                path: path.to_path_buf(),
                source,
            })
    }

    /// The whole PDF in memory (for a check of its bytes; a file is written with [`Printed::save`]).
    pub fn bytes(&self) -> Result<Vec<u8>> {
        self.pdf.read().map_err(temporary_file_error)
    }
}

/// A failure to write or read the temporary file of a long document.
pub(crate) fn temporary_file_error(source: std::io::Error) -> crate::error::Error {
    crate::error::Error::Io {
        path: std::env::temp_dir(),
        source,
    }
}

pub(crate) fn town_title(t: &TownSettings) -> String {
    format!("{}{}", t.district_name, t.town_name)
}

pub(crate) fn chinese_date(day: &str) -> String {
    match (day.get(0..4), day.get(5..7), day.get(8..10)) {
        (Some(y), Some(m), Some(d)) => format!(
            "{y}年{}月{}日",
            m.trim_start_matches('0'),
            d.trim_start_matches('0')
        ),
        _ => day.to_string(),
    }
}

pub(crate) fn month_text(m: &Option<String>) -> String {
    match m {
        Some(m) => match (m.get(..4), m.get(5..)) {
            (Some(y), Some(mo)) if m.len() == 7 => {
                format!("{y}年{}月底前", mo.trim_start_matches('0'))
            }
            _ => "—".into(),
        },
        _ => "—".into(),
    }
}

pub(crate) fn page_footer(doc: &mut Doc, page: usize, n: usize, total: usize, signers: bool) {
    let y = doc.height - doc.margin * 0.75;
    let (m, w) = (doc.margin, doc.inner_width());
    if signers {
        doc.text_at(
            page,
            m,
            y,
            "制表人：____________    审核人：____________",
            Face::Regular,
            9.0,
        );
    }
    doc.text_in(
        page,
        m,
        w,
        y,
        &format!("第 {n} 页 共 {total} 页"),
        Face::Regular,
        9.0,
        Align::Right,
    );
}

/// Marks the pages of one case's paper (a notice, a 验收单) that ran past its first page, which
/// is `first` (the paper ends on the last page so far): every page after the first carries
/// `title` at the left and `number` at the right where the first page has its number, and every
/// page of the paper its own 第 x 页 共 y 页 at the foot. A one-page paper is left as it is.
pub(crate) fn paper_pages(doc: &mut Doc, first: usize, title: &str, number: &str) {
    let total = doc.page_count().saturating_sub(first);
    if total < 2 {
        return;
    }
    let (m, w) = (doc.margin, doc.inner_width());
    // The title beside the number: a long one (a head's name of 40 characters) is set
    // smaller, then cut, so that it runs neither off the page nor over the number; whose paper
    // it is (after the title's 　) goes last.
    let room = w - measure(number, Face::Regular, 9.0) - 18.0;
    let (size, title) = if measure(title, Face::Regular, 9.0) <= room {
        (9.0, title.to_string())
    } else {
        match title.split_once('　') {
            Some((paper, whose)) => {
                match fit_line(paper, &format!("　{whose}"), Face::Regular, 9.0, room) {
                    (s, line) if line.ends_with(whose) => (s, line),
                    _ => fit_line(whose, "", Face::Regular, 9.0, room),
                }
            }
            None => fit_line(title, "", Face::Regular, 9.0, room),
        }
    };
    for k in 0..total {
        let page = first + k;
        if k > 0 {
            let top = m - 18.0 + (9.0 - size) * 0.88;
            doc.text_in(page, m, w, top, &title, Face::Regular, size, Align::Left);
            doc.text_in(
                page,
                m,
                w,
                m - 18.0,
                number,
                Face::Regular,
                9.0,
                Align::Right,
            );
        }
        page_footer(doc, page, k + 1, total, false);
    }
}

/// A titled table over as many pages as it needs, given a row at a time (a long ledger is not
/// held in memory): the title and subtitle head every page, then 第 x 页 共 y 页.
pub(crate) struct TablePages<'t> {
    doc: Doc,
    table: Table,
    title: &'t str,
    subtitle: &'t str,
}

fn table_head(d: &mut Doc, title: &str, subtitle: &str) {
    d.centered(title, Face::Bold, 16.0, 6.0);
    d.centered(subtitle, Face::Regular, 9.5, 8.0);
}

impl<'t> TablePages<'t> {
    pub(crate) fn start(
        mut doc: Doc,
        title: &'t str,
        subtitle: &'t str,
        columns: &[Column],
    ) -> TablePages<'t> {
        doc.new_page();
        table_head(&mut doc, title, subtitle);
        let table = Table::start(&mut doc, columns, &TableStyle::default(), &mut |d| {
            table_head(d, title, subtitle)
        });
        TablePages {
            doc,
            table,
            title,
            subtitle,
        }
    }

    pub(crate) fn doc(&mut self) -> &mut Doc {
        &mut self.doc
    }

    pub(crate) fn row(&mut self, cells: &[String]) {
        let (title, subtitle) = (self.title, self.subtitle);
        self.table.row(&mut self.doc, cells, &mut |d| {
            table_head(d, title, subtitle)
        });
    }

    pub(crate) fn finish(mut self, signers: bool) -> Result<Printed> {
        self.doc
            .each_page(|d, page, n, total| page_footer(d, page, n, total, signers));
        finished(self.doc)
    }
}

/// A titled landscape table over as many pages as it needs, with page footers; `after` adds
/// what follows the table (it gets the page-head drawer for a page break of its own).
pub(crate) fn table_document(
    doc: Doc,
    title: &str,
    subtitle: &str,
    columns: &[Column],
    rows: &[Vec<String>],
    signers: bool,
    after: impl FnOnce(&mut Doc, &dyn Fn(&mut Doc)),
) -> Result<Printed> {
    table_document_with(doc, title, subtitle, |_| {}, columns, rows, signers, after)
}

/// [`table_document`] with `before` adding what goes between the title and the table.
#[allow(clippy::too_many_arguments)]
pub(crate) fn table_document_with(
    mut doc: Doc,
    title: &str,
    subtitle: &str,
    before: impl FnOnce(&mut Doc),
    columns: &[Column],
    rows: &[Vec<String>],
    signers: bool,
    after: impl FnOnce(&mut Doc, &dyn Fn(&mut Doc)),
) -> Result<Printed> {
    let head = |d: &mut Doc| table_head(d, title, subtitle);
    doc.new_page();
    head(&mut doc);
    before(&mut doc);
    doc.table(columns, rows, &TableStyle::default(), &mut |d| head(d));
    after(&mut doc, &head);
    doc.each_page(|d, page, n, total| page_footer(d, page, n, total, signers));
    finished(doc)
}

/// The finished document with its page count and warnings.
pub(crate) fn finished(doc: Doc) -> Result<Printed> {
    let pages = doc.page_count();
    let warnings = doc.warnings.clone();
    Ok(Printed {
        pdf: doc.finish().map_err(temporary_file_error)?,
        pages,
        warnings,
        notes: Vec::new(),
        notices: Vec::new(),
    })
}

/// The condition on `h` (households) of `scope` and the value bound to its `?1` (the town's
/// condition uses it too, so that every scope binds one value and the server can tell its type).
pub(crate) fn scope_filter(scope: Scope) -> (&'static str, i64) {
    match scope {
        Scope::Town => ("?1 = 0", 0),
        Scope::Village(v) => ("h.village_id = ?1", v),
        Scope::Group(g) => ("h.group_id = ?1", g),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::print::layout::PdfBytes;

    /// A ledger of about `pages` pages drawn a row at a time, like the 改厕台账 (names and places
    /// from one pool of characters, so a long run uses no more glyphs than a short one).
    fn ledger_of(pages: usize) -> (PdfBytes, usize) {
        let columns = crate::print::ledgers::TOILET_LEDGER_COLUMNS;
        let pool: Vec<char> = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤明华国建平志英秀芳玉兰桂春文德荣"
            .chars()
            .collect();
        let mut doc = Doc::new("改厕台账", true, 15.0);
        doc.bottom = doc.height - doc.margin - 16.0;
        let mut table = TablePages::start(
            doc,
            "石鱼镇农村改厕台账",
            "石鱼镇（全镇） · 制表日期：2026年12月5日",
            &columns,
        );
        let mut n = 0usize;
        while table.doc().page_count() <= pages {
            n += 1;
            let c = |k: usize| pool[(n * 7 + k * 13) % pool.len()];
            table.row(&[
                n.to_string(),
                format!("{}{}村{}社", c(1), c(2), n % 12 + 1),
                format!("{}{}{}", c(3), c(4), c(5)),
                format!("500224********{:04}", n % 10_000),
                "1".into(),
                "三格式化粪池".into(),
                "院内".into(),
                "2019".into(),
                "是".into(),
                "2019".into(),
                "正常使用".into(),
                if n.is_multiple_of(3) {
                    "问题整改中"
                } else {
                    "已核查，无问题"
                }
                .into(),
            ]);
        }
        let printed = table.finish(true).unwrap();
        (printed.pdf, printed.pages)
    }

    /// Run in a process of its own by the test below, with `HUCE_LEDGER_PAGES` pages: prints
    /// the peak memory of that process.
    #[test]
    #[ignore = "a child of a_long_ledger_needs_no_more_memory_than_a_short_one"]
    fn print_a_ledger_and_report_peak_memory() {
        let Some(pages) = std::env::var("HUCE_LEDGER_PAGES").ok() else {
            return;
        };
        let (pdf, printed) = ledger_of(pages.parse().unwrap());
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let peak = status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap();
        println!("ledger pages={printed} bytes={} peak_kb={peak}", pdf.len());
    }

    /// #19: a long document streams: its pages go to the file as they are finished, and the file
    /// to disk once it grows, so ten times the pages takes not much more memory. (Peak memory is
    /// a process's own, so each ledger is printed by a child process.)
    #[cfg(target_os = "linux")]
    #[test]
    fn a_long_ledger_needs_no_more_memory_than_a_short_one() {
        let run = |pages: usize| -> (usize, u64, u64) {
            let out = std::process::Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "print::page::tests::print_a_ledger_and_report_peak_memory",
                    "--ignored",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env("HUCE_LEDGER_PAGES", pages.to_string())
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout).to_string();
            let line = text
                .lines()
                .find_map(|l| l.find("ledger pages=").map(|at| &l[at..]))
                .unwrap_or_else(|| panic!("no report from the child: {text}"));
            let field = |name: &str| -> u64 {
                line.split_whitespace()
                    .find_map(|p| p.strip_prefix(name))
                    .unwrap()
                    .parse()
                    .unwrap()
            };
            (field("pages=") as usize, field("bytes="), field("peak_kb="))
        };
        let (short_pages, short_bytes, short_peak) = run(300);
        let (long_pages, long_bytes, long_peak) = run(3000);
        println!(
            "{short_pages} pages: {short_peak} kB peak, {short_bytes} bytes; \
             {long_pages} pages: {long_peak} kB peak, {long_bytes} bytes"
        );
        assert!(
            short_pages >= 300 && long_pages >= 3000,
            "{short_pages} / {long_pages} pages"
        );
        assert!(
            long_bytes > 8 * short_bytes,
            "the long file holds its pages: {long_bytes} against {short_bytes} bytes"
        );
        assert!(
            long_peak as f64 <= 1.2 * short_peak as f64,
            "{long_pages} pages took {long_peak} kB at peak, {short_pages} pages {short_peak} kB: \
             more than 1.2 ×"
        );
    }
}
