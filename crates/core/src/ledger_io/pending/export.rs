//! The 待核实 worklist as .xlsx, for the villages to check and fill in.

use std::path::Path;

use rust_xlsxwriter::Workbook;

use crate::error::Result;
use crate::ledger_io::export::{save_audited, Personal};
use crate::ledger_io::xlsx::{titled_sheet, xlsx_err};
use crate::places::households::{Disclosure, Scope};
use crate::store::settings::TownSettings;
use crate::store::sql::Db;

const HEADERS: [(&str, f64); 11] = [
    ("序号", 6.0),
    ("行政村", 10.0),
    ("社", 8.0),
    ("户主姓名", 10.0),
    ("户厕", 6.0),
    ("项目", 16.0),
    ("台账原值", 22.0),
    ("待核实原因", 48.0),
    ("来源", 22.0),
    ("核实结果", 22.0),
    ("核实人", 10.0),
];

/// Writes the open entries of `scope`; returns how many. Full ID and phone numbers only with
/// `Personal::Full`, recorded in the operation log like every such export.
pub fn export_xlsx<'a>(
    db: impl Into<Db<'a>>,
    scope: Scope,
    scope_title: &str,
    personal: Personal,
    path: &Path,
    now: &str,
) -> Result<usize> {
    let db = db.into();
    let e = xlsx_err(path);
    let disclosure = match personal {
        Personal::Full => Disclosure::Full,
        Personal::Masked => Disclosure::Masked,
    };
    let entries = crate::ledger_io::pending::worklist::list(db, scope, disclosure)?;
    let households = entries
        .iter()
        .map(|p| p.household_id)
        .collect::<std::collections::HashSet<_>>()
        .len();
    let town = TownSettings::load(db)?;
    let mut book = Workbook::new();
    let sheet = titled_sheet(
        &mut book,
        "待核实清单",
        &match scope {
            Scope::Town => format!("{}{}农户台账待核实清单", town.district_name, town.town_name),
            _ => format!(
                "{}{}{scope_title}农户台账待核实清单",
                town.district_name, town.town_name
            ),
        },
        &format!(
            "导出日期：{}　共 {households} 户 {} 项{}",
            now.get(..10).unwrap_or(now),
            entries.len(),
            if personal == Personal::Masked {
                "　身份证号、电话已隐去中间位"
            } else {
                ""
            }
        ),
        &HEADERS,
        path,
    )?;
    for (i, p) in entries.iter().enumerate() {
        let row = 3 + i as u32;
        sheet.write_number(row, 0, (i + 1) as f64).map_err(&e)?;
        let source = match (&p.file_name, p.source_row) {
            (Some(f), Some(r)) => format!("{f} 第 {r} 行"),
            (Some(f), None) => f.clone(),
            _ => String::new(),
        };
        let texts = [
            (1, p.village.as_str()),
            (2, p.group.as_str()),
            (3, p.head_name.as_str()),
            (5, p.field_label.as_str()),
            (6, p.written.as_str()),
            (7, p.reason.as_str()),
            (8, source.as_str()),
        ];
        for (c, t) in texts {
            if !t.is_empty() {
                sheet.write_string(row, c, t).map_err(&e)?;
            }
        }
        if let Some(seq) = p.toilet_seq {
            sheet.write_number(row, 4, seq as f64).map_err(&e)?;
        }
    }
    save_audited(db, &mut book, personal, "待核实清单", path, households, now)?;
    Ok(entries.len())
}
