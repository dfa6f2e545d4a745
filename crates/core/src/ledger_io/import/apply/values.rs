//! The parsed values of one row and how each field is stored and shown in the change log.

use rusqlite::types::Value;

use super::types::RowFlag;
use crate::ledger_io::import::headers::Field;
use crate::ledger_io::import::normalize::{self as norm, GroupName};
use crate::ledger_io::import::read::Cell;
use crate::model::{HouseholdCategory, Location, TechMode, UseStatus};

/// The parsed values of one row; `None` means the cell was empty or the column absent.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Values {
    pub(super) village: Option<String>,
    pub(super) group: Option<GroupName>,
    pub(super) head_name: Option<String>,
    pub(super) id_number: Option<String>,
    pub(super) phone: Option<String>,
    pub(super) address: Option<String>,
    pub(super) registered_pop: Option<i64>,
    pub(super) resident_pop: Option<i64>,
    pub(super) category: Option<HouseholdCategory>,
    pub(super) is_resident: Option<bool>,
    pub(super) tech_mode: Option<TechMode>,
    pub(super) location: Option<Location>,
    pub(super) build_year: Option<i64>,
    pub(super) subsidized: Option<bool>,
    pub(super) subsidy_year: Option<i64>,
    pub(super) subsidy_amount_fen: Option<i64>,
    pub(super) project_name: Option<String>,
    pub(super) is_sanitary: Option<bool>,
    pub(super) use_status: Option<UseStatus>,
}

impl Values {
    /// The household fields this row gives a value (bits of [`Field::bit`]).
    pub(super) fn household_given(&self) -> u32 {
        [
            (self.head_name.is_some(), Field::HeadName),
            (self.id_number.is_some(), Field::IdNumber),
            (self.phone.is_some(), Field::Phone),
            (self.address.is_some(), Field::Address),
            (self.registered_pop.is_some(), Field::RegisteredPop),
            (self.resident_pop.is_some(), Field::ResidentPop),
            (self.category.is_some(), Field::Category),
            (self.is_resident.is_some(), Field::IsResident),
        ]
        .into_iter()
        .filter(|(given, _)| *given)
        .fold(0, |bits, (_, f)| bits | f.bit())
    }

    pub(super) fn has_toilet(&self) -> bool {
        self.tech_mode.is_some()
            || self.location.is_some()
            || self.build_year.is_some()
            || self.subsidized.is_some()
            || self.subsidy_year.is_some()
            || self.subsidy_amount_fen.is_some()
            || self.project_name.is_some()
            || self.is_sanitary.is_some()
            || self.use_status.is_some()
    }
}

/// A value to store in one column, with how a person reads it (for the change log).
pub(crate) struct FieldValue {
    pub(crate) column: &'static str,
    pub(crate) label: &'static str,
    pub(crate) value: Value,
    pub(crate) display: String,
}

pub(super) fn text(
    column: &'static str,
    label: &'static str,
    v: &Option<String>,
) -> Option<FieldValue> {
    v.as_ref().map(|s| FieldValue {
        column,
        label,
        value: Value::Text(s.clone()),
        display: s.clone(),
    })
}

pub(super) fn int(
    column: &'static str,
    label: &'static str,
    v: Option<i64>,
    unit: &str,
) -> Option<FieldValue> {
    v.map(|n| FieldValue {
        column,
        label,
        value: Value::Integer(n),
        display: format!("{n}{unit}"),
    })
}

pub(super) fn flag(
    column: &'static str,
    label: &'static str,
    v: Option<bool>,
) -> Option<FieldValue> {
    v.map(|b| FieldValue {
        column,
        label,
        value: Value::Integer(b as i64),
        display: (if b { "是" } else { "否" }).into(),
    })
}

pub(super) fn code(
    column: &'static str,
    label: &'static str,
    v: Option<(&'static str, &'static str)>,
) -> Option<FieldValue> {
    v.map(|(c, l)| FieldValue {
        column,
        label,
        value: Value::Text(c.into()),
        display: l.into(),
    })
}

pub(super) fn yuan(fen: i64) -> String {
    if fen % 100 == 0 {
        format!("{}元", fen / 100)
    } else {
        format!("{:.2}元", fen as f64 / 100.0)
    }
}

pub(super) fn household_fields(v: &Values) -> Vec<FieldValue> {
    [
        text("head_name", "户主姓名", &v.head_name),
        text("id_number", "身份证号", &v.id_number),
        text("phone", "联系电话", &v.phone),
        text("address", "住址", &v.address),
        int("registered_pop", "户籍人口", v.registered_pop, "人"),
        int("resident_pop", "常住人口", v.resident_pop, "人"),
        code(
            "category",
            "户类别",
            v.category.map(|c| (c.code(), c.label())),
        ),
        flag("is_resident", "是否常住", v.is_resident),
    ]
    .into_iter()
    .flatten()
    .collect()
}

pub(super) fn toilet_fields(v: &Values) -> Vec<FieldValue> {
    [
        code(
            "tech_mode",
            "技术模式",
            v.tech_mode.map(|m| (m.code(), m.label())),
        ),
        code(
            "location",
            "厕所位置",
            v.location.map(|m| (m.code(), m.label())),
        ),
        int("build_year", "建设（改造）年度", v.build_year, "年"),
        flag("subsidized", "是否财政补助", v.subsidized),
        int("subsidy_year", "补助年度", v.subsidy_year, "年"),
        v.subsidy_amount_fen.map(|f| FieldValue {
            column: "subsidy_amount_fen",
            label: "补助金额",
            value: Value::Integer(f),
            display: yuan(f),
        }),
        text("project_name", "项目名称", &v.project_name),
        flag("is_sanitary", "是否卫生厕所", v.is_sanitary),
        code(
            "use_status",
            "使用状态",
            v.use_status.map(|m| (m.code(), m.label())),
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// How a stored value reads in the change log (codes become labels).
pub(crate) fn display_stored(column: &str, v: &Value) -> Option<String> {
    let s = match v {
        Value::Null => return None,
        Value::Integer(n) => match column {
            "subsidized" | "is_sanitary" | "is_resident" => {
                (if *n != 0 { "是" } else { "否" }).to_string()
            }
            "subsidy_amount_fen" => yuan(*n),
            "build_year" | "subsidy_year" => format!("{n}年"),
            "registered_pop" | "resident_pop" => format!("{n}人"),
            _ => n.to_string(),
        },
        Value::Text(t) => match column {
            "tech_mode" => TechMode::from_code(t)
                .map(|m| m.label().to_string())
                .unwrap_or_else(|| t.clone()),
            "location" => Location::from_code(t)
                .map(|m| m.label().to_string())
                .unwrap_or_else(|| t.clone()),
            "use_status" => UseStatus::from_code(t)
                .map(|m| m.label().to_string())
                .unwrap_or_else(|| t.clone()),
            "category" => HouseholdCategory::from_code(t)
                .map(|m| m.label().to_string())
                .unwrap_or_else(|| t.clone()),
            _ => t.clone(),
        },
        Value::Real(f) => f.to_string(),
        Value::Blob(_) => "（二进制）".to_string(),
    };
    Some(s)
}

/// Parses one cell of `field` into `v`; the message says what is wrong with it. A masked ID or
/// phone number (from a masked export) means "not given", never a wrong value.
/// The longest 户主姓名 taken (a minority name with its · is about 20 characters).
const MAX_NAME_CHARS: usize = 40;
/// The longest 行政村 or 社 taken, with what offices write before it (重庆市铜梁区石鱼镇石鱼村村民委员会).
const MAX_PLACE_CHARS: usize = 60;
/// The longest 住址 or 项目名称 taken.
const MAX_TEXT_CHARS: usize = 200;

pub(crate) fn parse_field(
    field: Field,
    cell: &Cell,
    year_max: i64,
    v: &mut Values,
) -> Result<(), String> {
    let t = cell.text.as_str();
    let masked = t.contains('*');
    // "同上" in a household's own columns on its second toilet's row: the same household,
    // nothing new said.
    if !field.is_toilet() && is_ditto(t) {
        return Ok(());
    }
    // Longer than any real one (a name of 10 MB took the import minutes): said, not kept.
    let limit = match field {
        Field::HeadName => Some((MAX_NAME_CHARS, "户主姓名")),
        Field::Village => Some((MAX_PLACE_CHARS, "行政村")),
        Field::Group => Some((MAX_PLACE_CHARS, "社")),
        Field::Address => Some((MAX_TEXT_CHARS, "住址")),
        Field::ProjectName => Some((MAX_TEXT_CHARS, "项目名称")),
        _ => None,
    };
    if let Some((max, what)) = limit {
        let n = t.chars().take(max + 1).count();
        if n > max {
            return Err(format!(
                "{what}太长（超过 {max} 个字），不像台账里的{what}，请核对这一格"
            ));
        }
    }
    match field {
        Field::Village => v.village = norm::village(t),
        Field::Group => v.group = norm::group(t),
        Field::HeadName => v.head_name = norm::name(t),
        Field::IdNumber if masked => {}
        Field::IdNumber => {
            v.id_number =
                norm::id_number(t, cell.numeric).map_err(|p| p.message(&norm::clean(t)))?
        }
        Field::Phone if masked => {}
        Field::Phone => v.phone = norm::phone(t)?,
        Field::Address => v.address = Some(norm::clean(t)).filter(|s| !s.is_empty()),
        Field::ProjectName => v.project_name = Some(norm::clean(t)).filter(|s| !s.is_empty()),
        Field::RegisteredPop => v.registered_pop = norm::people(t)?,
        Field::ResidentPop => v.resident_pop = norm::people(t)?,
        Field::Category => v.category = norm::category(t)?,
        Field::IsResident => v.is_resident = norm::yes_no(t)?,
        Field::TechMode => v.tech_mode = norm::tech_mode(t)?,
        Field::Location => v.location = norm::location(t)?,
        Field::BuildYear => v.build_year = norm::year(t, year_max)?,
        Field::Subsidized => v.subsidized = norm::yes_no(t)?,
        Field::SubsidyYear => v.subsidy_year = norm::year(t, year_max)?,
        Field::SubsidyAmount => v.subsidy_amount_fen = norm::amount_fen(t)?,
        Field::IsSanitary => v.is_sanitary = norm::sanitary(t)?,
        Field::UseStatus => v.use_status = norm::use_status(t)?,
    }
    Ok(())
}

/// "同上" and its kin: "the same as the row above".
pub(super) fn is_ditto(text: &str) -> bool {
    // Most cells are not: decided without allocating.
    let first = text.trim_start().chars().next();
    if !matches!(first, Some('同' | '〃' | '”' | '"' | '＂')) || text.len() > 32 {
        return false;
    }
    let t: String = norm::clean(text)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    matches!(t.as_str(), "同上" | "同前" | "同左" | "同户主" | "〃" | "”")
}

/// The longest value kept as written on the 待核实 list (a cell can hold 32,767 characters;
/// the list, the printed page and the Excel export need a line).
const WRITTEN_MAX: usize = 100;

/// `text` cut to `max` characters, with "…" when cut.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max).collect();
    s.push('…');
    s
}

/// The stored value of `field` parsed from `text` as a person corrects it: `Ok(None)` when the
/// text is empty.
pub(crate) fn field_value(
    field: Field,
    text: &str,
    year_max: i64,
) -> Result<Option<FieldValue>, String> {
    let mut v = Values::default();
    let cell = Cell::text(text);
    parse_field(field, &cell, year_max, &mut v)?;
    let column = field.column();
    Ok(household_fields(&v)
        .into_iter()
        .chain(toilet_fields(&v))
        .find(|f| Some(f.column) == column))
}

/// Parses one row. A cell that cannot be taken is left empty and flagged (待核实) with its
/// column's header, what was written and why.
pub(super) fn parse_row(
    cells: &[Cell],
    columns: &[Option<Field>],
    headers: &[String],
    row: usize,
    year_max: i64,
) -> (Values, Vec<RowFlag>) {
    let mut v = Values::default();
    let mut flags = Vec::new();
    let header_at = |i: usize| headers.get(i).cloned().unwrap_or_default();
    let empty = Cell::default();
    for (i, field) in columns.iter().enumerate() {
        let Some(field) = field else { continue };
        let mut cell = cells.get(i).unwrap_or(&empty);
        // 补助金额（万元）: an amount without its own unit is in the header's 万元.
        let in_wan;
        if *field == Field::SubsidyAmount && headers.get(i).is_some_and(|h| h.contains("万元")) {
            let t = cell.text.trim();
            if !t.is_empty() && !t.ends_with(['元', '万']) {
                in_wan = Cell {
                    text: format!("{t}万元"),
                    ..cell.clone()
                };
                cell = &in_wan;
            }
        }
        if let Err(message) = parse_field(*field, cell, year_max, &mut v) {
            let written = norm::clean(&cells.get(i).unwrap_or(&empty).text);
            let short = cut(&written, WRITTEN_MAX);
            // The message quotes the value (cleaned, maybe without its spaces): quote it short.
            let squeezed: String = written.chars().filter(|c| !c.is_whitespace()).collect();
            let message = if short == written {
                message
            } else {
                cut(
                    &message
                        .replace(&written, &short)
                        .replace(&squeezed, &cut(&squeezed, WRITTEN_MAX)),
                    3 * WRITTEN_MAX,
                )
            };
            flags.push(RowFlag {
                row,
                column: header_at(i),
                field: *field,
                written: short,
                message,
            });
        }
    }
    // A subsidy year or amount means the toilet was subsidised, even without a 是否财政补助 column
    // (the 2013年以来享受财政补助 ledger often has none).
    if v.subsidized.is_none() && (v.subsidy_year.is_some() || v.subsidy_amount_fen.is_some()) {
        v.subsidized = Some(true);
    }
    let mut flag = |f: Field, written: String, message: String| {
        let column = columns
            .iter()
            .position(|c| *c == Some(f))
            .map(header_at)
            .unwrap_or_else(|| f.label().to_string());
        flags.push(RowFlag {
            row,
            column,
            field: f,
            written,
            message,
        });
    };
    if let Some(y) = v.subsidy_year.filter(|y| *y < 2013) {
        v.subsidy_year = None;
        flag(
            Field::SubsidyYear,
            y.to_string(),
            format!("补助年度 {y} 年早于 2013 年：本台账只登记 2013 年以来的财政补助，请核对"),
        );
    }
    if let (Some(r), Some(res)) = (v.registered_pop, v.resident_pop) {
        if res > r + 20 {
            v.resident_pop = None;
            flag(
                Field::ResidentPop,
                res.to_string(),
                format!("常住人口 {res} 人远多于户籍人口 {r} 人，请核对"),
            );
        }
    }
    (v, flags)
}
