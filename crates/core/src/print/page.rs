//! What every printed document shares: the finished document, the town's title, dates and
//! months in Chinese, page footers and a titled table over as many pages as it needs.

use super::layout::{Align, Column, Doc, Face, TableStyle};
use crate::error::Result;
use crate::places::households::Scope;
use crate::store::settings::TownSettings;

/// A finished document.
#[derive(Debug, Clone)]
pub struct Printed {
    pub bytes: Vec<u8>,
    pub pages: usize,
    /// Characters the fonts lack, naming where they occur (empty when all is well).
    pub warnings: Vec<String>,
    /// What the run left out and why (e.g. notices of undecided cases).
    pub notes: Vec<String>,
    /// The notices in the file, with the category each was printed for: the caller enters them
    /// in the register ([`crate::fieldwork::paper::record_printed`]) once the file is written.
    pub notices: Vec<(i64, crate::model::Category)>,
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
    let head = |d: &mut Doc| {
        d.centered(title, Face::Bold, 16.0, 6.0);
        d.centered(subtitle, Face::Regular, 9.5, 8.0);
    };
    doc.new_page();
    head(&mut doc);
    before(&mut doc);
    doc.table(columns, rows, &TableStyle::default(), &mut |d| head(d));
    after(&mut doc, &head);
    doc.each_page(|d, page, n, total| page_footer(d, page, n, total, signers));
    Ok(finished(doc))
}

/// The finished document with its page count and warnings.
pub(crate) fn finished(doc: Doc) -> Printed {
    let pages = doc.page_count();
    let warnings = doc.warnings.clone();
    Printed {
        bytes: doc.finish(),
        pages,
        warnings,
        notes: Vec::new(),
        notices: Vec::new(),
    }
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
