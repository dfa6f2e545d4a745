//! 签字背书表 of a village or 社: the latest result of every toilet, who signed in the app, the
//! signature lines and the audit log's 核对值 at printing. Printed for the whole town it is a
//! sheet per village, each ending with the village's own signatures.

use crate::store::sql::Db;

use super::layout::{measure, wrap, Column, Doc, Face, Table, TableStyle};
use super::page::{chinese_date, finished, page_footer, Printed};
use crate::error::Result;
use crate::fieldwork::signoff::{self, SheetRow, Signature};
use crate::places::households::Scope;
use crate::store::settings::TownSettings;

const COLUMNS: [Column; 12] = [
    Column::center("序号", 0.5),
    Column::center("社", 0.6),
    Column::left("户主", 0.8),
    Column::center("户厕", 0.45),
    Column::center("核查日期", 0.95),
    Column::center("核查类别", 0.8),
    Column::center("核查结果", 0.8),
    Column::left("发现的问题", 1.75),
    Column::left("整改类别", 1.3),
    Column::left("排查人", 1.2),
    // Wide enough for their titles on one line.
    Column::left("审核（系统内）", 1.15),
    Column::left("负责人（系统内）", 1.3),
];

/// The last rows of a sheet kept on one page with its signatures.
const KEEP_WITH_SIGNATURES: usize = 2;

/// 签字背书表 of a village or 社 (`scope_title` names it), or of the town: a sheet per village.
/// Each sheet lists every inspected toilet with its latest result, then the signature lines
/// 排查人 / 审核人 / 负责人 — every inspector named on the sheet on a line of his or her own
/// with the rows inspected, and so every 审核人 and 负责人 when several signed in the app — kept
/// on one page with the sheet's last rows. Every page carries the title and the place, and its
/// 第 x 页 共 y 页 within its sheet.
pub fn signoff_sheet<'a>(
    db: impl Into<Db<'a>>,
    scope: Scope,
    now: chrono::NaiveDateTime,
    scope_title: &str,
) -> Result<Printed> {
    let conn = db.into();
    let today = &now.format("%Y-%m-%d").to_string();
    let town = TownSettings::load(conn)?;
    let rows = signoff::sheet_rows(conn, scope)?;
    if rows.is_empty() {
        return Err(crate::Error::Invalid(format!(
            "{scope_title}还没有核查记录，没有可以签字背书的内容。"
        )));
    }
    // The audit log's head, printed as an anchor a person can check later (see `anchors`), and
    // recorded beside the database file.
    let anchor = crate::store::audit::head(conn)?;
    // Beside the database file only: the server's anchors are its administrator's dumps.
    let file = match conn {
        Db::File(c) => c.path().filter(|p| !p.is_empty()).map(|p| (c, p)),
        Db::Server(_) => None,
    };
    if let (Some(_), Some((conn, db))) = (&anchor, file) {
        let at = now.format("%Y-%m-%d %H:%M:%S").to_string();
        // A second copy of what the log holds: a failure to write it loses nothing.
        let _ = crate::store::anchors::record_head(
            conn,
            std::path::Path::new(db),
            anchor.clone(),
            &at,
            &format!("打印签字背书表（{scope_title}）"),
        );
    }
    let anchor = anchor.map(|(id, hash)| {
        format!(
            "操作日志核对值（打印时）：{}。日后可在程序“操作日志”中输入核对，一致说明打印之后到这一条为止的记录没有被改动。",
            crate::store::anchors::printed(id, &hash)
        )
    });

    let mut doc = Doc::new("签字背书表", true, 15.0);
    doc.bottom = doc.height - doc.margin - 16.0;
    let title = format!("{}农村户厕问题摸排签字背书表", town.town_name);
    // Each sheet's first page and page count.
    let mut sheets = Vec::new();
    for village in rows.chunk_by(|a, b| a.village_id == b.village_id) {
        let place = match scope {
            Scope::Town => village[0].village.as_str(),
            _ => scope_title,
        };
        let first = doc.page_count();
        sheet(&mut doc, &title, place, village, today, anchor.as_deref());
        sheets.push((first, doc.page_count() - first));
    }
    for (first, pages) in sheets {
        for k in 0..pages {
            page_footer(&mut doc, first + k, k + 1, pages, false);
        }
    }
    finished(doc)
}

/// One place's sheet from a new page: the table, then the signatures on one page with its
/// last rows.
fn sheet(
    doc: &mut Doc,
    title: &str,
    place: &str,
    rows: &[SheetRow],
    today: &str,
    anchor: Option<&str>,
) {
    let subtitle = format!(
        " · 已核查户厕 {} 个 · 制表日期：{}",
        rows.len(),
        chinese_date(today)
    );
    // A long place name is set smaller, then cut; the count and the date stay whole.
    let mut head = |d: &mut Doc| {
        d.centered(title, Face::Bold, 16.0, 6.0);
        d.centered_parts(place, &subtitle, Face::Regular, 9.5, 8.0);
    };
    let cells: Vec<Vec<String>> = rows
        .iter()
        .enumerate()
        .map(|(k, r)| {
            doc.check(&format!("农户{}", r.head_name), &r.head_name);
            row_cells(k + 1, r)
        })
        .collect();
    let block = Signatures::of(rows, anchor);
    for (_, name) in rows.iter().flat_map(|r| &r.inspectors) {
        doc.check("排查人", name);
    }
    for (step, signed) in rows
        .iter()
        .flat_map(|r| [("审核人", &r.review), ("负责人", &r.responsible)])
    {
        if let Some(s) = signed {
            doc.check(step, &s.signer);
        }
    }

    doc.new_page();
    head(doc);
    let mut table = Table::start(doc, &COLUMNS, &TableStyle::default(), &mut head);
    let (body, last) = cells.split_at(cells.len() - cells.len().min(KEEP_WITH_SIGNATURES));
    for row in body {
        table.row(doc, row, &mut head);
    }
    let together = |d: &mut Doc, table: &mut Table| {
        d.draw_within_page(|d| {
            for row in last {
                table.row(d, row, &mut |_| {});
            }
            block.draw(d, &mut |_| {});
        })
    };
    if together(doc, &mut table).is_ok() {
        return;
    }
    // The last rows go over with the signatures (unless they are all the sheet has).
    if !body.is_empty() {
        table.break_page(doc, &mut head);
        if together(doc, &mut table).is_ok() {
            return;
        }
    }
    // Rows too tall for that: the rows, then the signatures together on a page of their own
    // when they do not fit below them (over pages only when taller than a page).
    for row in last {
        table.row(doc, row, &mut head);
    }
    if doc
        .draw_within_page(|d| block.draw(d, &mut |_| {}))
        .is_err()
    {
        doc.new_page();
        head(doc);
        block.draw(doc, &mut head);
    }
}

fn row_cells(number: usize, r: &SheetRow) -> Vec<String> {
    let result = if r.status != crate::model::HouseholdStatus::Normal {
        r.status.label().to_string()
    } else if r.has_problems {
        "有问题".to_string()
    } else {
        "无问题".to_string()
    };
    let signed = |s: &Option<Signature>| {
        s.as_ref().map_or_else(String::new, |s| {
            format!("{} {}", s.signer, s.signed_at.get(5..10).unwrap_or(""))
        })
    };
    vec![
        number.to_string(),
        r.group.clone(),
        r.head_name.clone(),
        r.seq.to_string(),
        r.inspected_on.clone(),
        r.kind.label().to_string(),
        result,
        r.problems.clone().unwrap_or_default(),
        r.category
            .map_or(if r.has_problems { "待确定" } else { "—" }, |c| {
                c.label()
            })
            .to_string(),
        r.inspectors
            .iter()
            .map(|(_, n)| n.as_str())
            .collect::<Vec<_>>()
            .join("、"),
        signed(&r.review),
        signed(&r.responsible),
    ]
}

/// Who signs for which rows (序号 on the sheet).
struct Signer {
    name: String,
    rows: Vec<usize>,
}

/// The people of `rows` by `who` (a key and a name; none: not on record), in order of first
/// appearance; and the rows with nobody.
fn signers<K: PartialEq>(
    rows: &[SheetRow],
    who: impl Fn(&SheetRow) -> Vec<(K, String)>,
) -> (Vec<(K, Signer)>, Vec<usize>) {
    let mut found: Vec<(K, Signer)> = Vec::new();
    let mut nobody = Vec::new();
    for (k, r) in rows.iter().enumerate() {
        let people = who(r);
        if people.is_empty() {
            nobody.push(k + 1);
        }
        for (key, name) in people {
            match found.iter_mut().find(|(x, _)| *x == key) {
                Some((_, s)) => s.rows.push(k + 1),
                None => found.push((
                    key,
                    Signer {
                        name,
                        rows: vec![k + 1],
                    },
                )),
            }
        }
    }
    (found, nobody)
}

/// Row numbers as ranges: 1-5、9、12-14.
fn ranges(rows: &[usize]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < rows.len() {
        let mut j = i;
        while j + 1 < rows.len() && rows[j + 1] == rows[j] + 1 {
            j += 1;
        }
        parts.push(if j > i {
            format!("{}-{}", rows[i], rows[j])
        } else {
            rows[i].to_string()
        });
        i = j + 1;
    }
    parts.join("、")
}

/// A line of the signature block.
enum SignLine {
    /// Text alone (the statement, a heading, the 核对值), in `size` points.
    Text(String, f32),
    /// A role signing as one: its label, then the blanks for the pen.
    One(String),
    /// A person signing for rows: the name, the rows, then the blanks for the pen.
    Person(String, String),
}

/// The pen's blanks after a name.
const PEN: &str = "签字：________________    日期：______年____月____日";
/// The type size of the signature lines.
const SIGN_SIZE: f32 = 10.5;
/// The height of a line signed by hand.
const SIGN_LINE: f32 = 26.0;

/// The signature block of a sheet: 谁排查、谁审核、谁负责.
struct Signatures {
    lines: Vec<SignLine>,
}

impl Signatures {
    fn of(rows: &[SheetRow], anchor: Option<&str>) -> Signatures {
        let mut lines = vec![SignLine::Text(
            "以上核查结果经本人逐户逐厕核实，真实准确。谁排查、谁审核、谁负责。".into(),
            SIGN_SIZE,
        )];
        let person = |s: &Signer| {
            SignLine::Person(
                s.name.clone(),
                format!("序号 {}（共 {} 个）", ranges(&s.rows), s.rows.len()),
            )
        };
        // 排查人: each inspector on record for the rows of his or her group.
        let (inspectors, unknown) = signers(rows, |r| r.inspectors.clone());
        if inspectors.is_empty() {
            lines.push(SignLine::One("排查人".into()));
        } else {
            lines.push(SignLine::Text(
                "排查人（每人对本人参加排查的户厕签字负责）：".into(),
                SIGN_SIZE,
            ));
            lines.extend(inspectors.iter().map(|(_, s)| person(s)));
            if !unknown.is_empty() {
                lines.push(person(&Signer {
                    name: "（未记录排查人）".into(),
                    rows: unknown,
                }));
            }
        }
        // 审核人 and 负责人: one line for the role, or one per person who signed in the app
        // when several did.
        for (label, each, step) in [
            (
                "审核人",
                "审核人（每人对本人在系统内审核的户厕签字）：",
                (|r| &r.review) as fn(&SheetRow) -> &Option<Signature>,
            ),
            (
                "负责人（包村镇领导）",
                "负责人（包村镇领导，每人对本人在系统内签过的户厕签字）：",
                |r| &r.responsible,
            ),
        ] {
            let (signed, unsigned) = signers(rows, |r| {
                step(r)
                    .as_ref()
                    .map(|s| (s.signer.clone(), s.signer.clone()))
                    .into_iter()
                    .collect()
            });
            match signed.as_slice() {
                [] => lines.push(SignLine::One(label.into())),
                [(name, _)] => lines.push(SignLine::One(format!("{label}（系统内已签：{name}）"))),
                _ => {
                    lines.push(SignLine::Text(each.into(), SIGN_SIZE));
                    lines.extend(signed.iter().map(|(_, s)| person(s)));
                    if !unsigned.is_empty() {
                        lines.push(person(&Signer {
                            name: "（系统内未签）".into(),
                            rows: unsigned,
                        }));
                    }
                }
            }
        }
        if let Some(a) = anchor {
            lines.push(SignLine::Text(a.into(), 9.0));
        }
        Signatures { lines }
    }

    /// Draws the block at the cursor; a line that does not fit goes to a new page, headed by
    /// `head`.
    fn draw(&self, doc: &mut Doc, head: &mut dyn FnMut(&mut Doc)) {
        let (m, w) = (doc.margin, doc.inner_width());
        let indent = 2.0 * SIGN_SIZE;
        let pen_x = m + w - measure(PEN, Face::Regular, SIGN_SIZE);
        // The names' column: as wide as the widest name, within reason.
        let name_w = self
            .lines
            .iter()
            .filter_map(|l| match l {
                SignLine::Person(name, _) => Some(measure(name, Face::Regular, SIGN_SIZE)),
                _ => None,
            })
            .fold(0.0, f32::max)
            .min(8.0 * SIGN_SIZE)
            + SIGN_SIZE;
        let rows_x = m + indent + name_w;
        let text_h = SIGN_SIZE * 1.5;
        doc.y += 14.0;
        for line in &self.lines {
            // What the line draws: (x, width, lines) of each text, and its height.
            let parts: Vec<(f32, Vec<String>)> = match line {
                SignLine::Text(text, size) => {
                    let lines = wrap(text, Face::Regular, *size, w);
                    let h = lines.len() as f32 * size * 1.75;
                    if doc.y + h > doc.bottom {
                        doc.new_page();
                        head(doc);
                    }
                    doc.paragraph(text, Face::Regular, *size, false);
                    continue;
                }
                SignLine::One(label) => {
                    let text = format!("{label}{PEN}");
                    vec![(m, wrap(&text, Face::Regular, SIGN_SIZE, w))]
                }
                SignLine::Person(name, rows) => vec![
                    (
                        m + indent,
                        wrap(name, Face::Regular, SIGN_SIZE, name_w - SIGN_SIZE),
                    ),
                    (
                        rows_x,
                        wrap(rows, Face::Regular, SIGN_SIZE, pen_x - rows_x - SIGN_SIZE),
                    ),
                    (pen_x, vec![PEN.to_string()]),
                ],
            };
            let n = parts.iter().map(|(_, l)| l.len()).max().unwrap_or(1);
            let h = SIGN_LINE.max(n as f32 * text_h + (SIGN_LINE - text_h));
            if doc.y + h > doc.bottom {
                doc.new_page();
                head(doc);
            }
            let page = doc.page_count() - 1;
            let top = doc.y + (SIGN_LINE - SIGN_SIZE) / 2.0;
            for (x, lines) in parts {
                for (k, l) in lines.iter().enumerate() {
                    doc.text_at(
                        page,
                        x,
                        top + k as f32 * text_h,
                        l,
                        Face::Regular,
                        SIGN_SIZE,
                    );
                }
            }
            doc.y += h;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ranges;

    #[test]
    fn row_numbers_are_written_as_ranges() {
        assert_eq!(ranges(&[1, 2, 3, 5, 7, 8, 10]), "1-3、5、7-8、10");
        assert_eq!(ranges(&[4]), "4");
        assert_eq!(ranges(&[]), "");
    }
}
