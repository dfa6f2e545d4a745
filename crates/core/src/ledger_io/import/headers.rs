//! Finding the header row of an imported sheet and mapping its columns to fields by Chinese
//! synonyms. Title rows ("石鱼镇农村户厕摸排台账"), blank rows and merged two-row headers
//! ("户厕情况" over "技术模式 | 建设年份") are handled; the user can still correct the mapping.

use serde::{Deserialize, Serialize};

/// A field of the import, one per column the town's ledgers use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Village,
    Group,
    HeadName,
    IdNumber,
    Phone,
    Address,
    RegisteredPop,
    ResidentPop,
    Category,
    IsResident,
    TechMode,
    Location,
    BuildYear,
    Subsidized,
    SubsidyYear,
    SubsidyAmount,
    ProjectName,
    IsSanitary,
    UseStatus,
}

impl Field {
    pub const ALL: &'static [Field] = &[
        Field::Village,
        Field::Group,
        Field::HeadName,
        Field::IdNumber,
        Field::Phone,
        Field::Address,
        Field::RegisteredPop,
        Field::ResidentPop,
        Field::Category,
        Field::IsResident,
        Field::TechMode,
        Field::Location,
        Field::BuildYear,
        Field::Subsidized,
        Field::SubsidyYear,
        Field::SubsidyAmount,
        Field::ProjectName,
        Field::IsSanitary,
        Field::UseStatus,
    ];

    /// The stored column of this field (households or toilets); `None` for the place fields.
    pub fn column(self) -> Option<&'static str> {
        Some(match self {
            Field::Village | Field::Group => return None,
            Field::HeadName => "head_name",
            Field::IdNumber => "id_number",
            Field::Phone => "phone",
            Field::Address => "address",
            Field::RegisteredPop => "registered_pop",
            Field::ResidentPop => "resident_pop",
            Field::Category => "category",
            Field::IsResident => "is_resident",
            Field::TechMode => "tech_mode",
            Field::Location => "location",
            Field::BuildYear => "build_year",
            Field::Subsidized => "subsidized",
            Field::SubsidyYear => "subsidy_year",
            Field::SubsidyAmount => "subsidy_amount_fen",
            Field::ProjectName => "project_name",
            Field::IsSanitary => "is_sanitary",
            Field::UseStatus => "use_status",
        })
    }

    /// The field whose stored column is `column`.
    pub fn of_column(column: &str) -> Option<Field> {
        Field::ALL
            .iter()
            .copied()
            .find(|f| f.column() == Some(column))
    }

    /// This field's bit in a set of fields (its place in [`Field::ALL`]).
    pub fn bit(self) -> u32 {
        1 << Field::ALL.iter().position(|f| *f == self).unwrap_or(31)
    }

    /// Whether the field belongs to the toilet (户厕) rather than the household.
    pub fn is_toilet(self) -> bool {
        matches!(
            self,
            Field::TechMode
                | Field::Location
                | Field::BuildYear
                | Field::Subsidized
                | Field::SubsidyYear
                | Field::SubsidyAmount
                | Field::ProjectName
                | Field::IsSanitary
                | Field::UseStatus
        )
    }

    /// The field's name as a person reads it (full-width brackets: 建设（改造）年度).
    pub fn title(self) -> String {
        self.label().replace('(', "（").replace(')', "）")
    }

    /// The header the app itself writes on export.
    pub fn label(self) -> &'static str {
        self.synonyms()[0]
    }

    /// Header texts that mean this field, after [`header_key`] normalisation; the first is the
    /// canonical one.
    pub fn synonyms(self) -> &'static [&'static str] {
        match self {
            Field::Village => &[
                "行政村",
                "村",
                "所在村",
                "村名",
                "行政村名称",
                "村(社区)",
                "村社区",
            ],
            Field::Group => &[
                "社",
                "所在社",
                "村民小组",
                "组",
                "社(组)",
                "村民小组(社)",
                "组别",
                "小组",
            ],
            Field::HeadName => &["户主姓名", "户主", "姓名", "户主名", "农户姓名"],
            Field::IdNumber => &[
                "身份证号",
                "身份证号码",
                "证件号码",
                "户主身份证号",
                "户主身份证号码",
                "公民身份号码",
                "身份证",
            ],
            Field::Phone => &[
                "联系电话",
                "电话",
                "手机号",
                "手机号码",
                "联系方式",
                "电话号码",
            ],
            Field::Address => &["住址", "家庭住址", "地址", "详细地址"],
            Field::RegisteredPop => &[
                "户籍人口",
                "户籍人口数",
                "家庭人口",
                "家庭人口数",
                "户籍人数",
            ],
            Field::ResidentPop => &["常住人口", "常住人口数", "常住人数"],
            Field::Category => &["户类别", "户类型", "农户类别", "农户类型", "户属性"],
            Field::IsResident => &["是否常住", "常住", "是否常住户"],
            Field::TechMode => &[
                "技术模式",
                "改厕模式",
                "厕所类型",
                "户厕类型",
                "改厕类型",
                "厕所模式",
            ],
            Field::Location => &["厕所位置", "位置", "户厕位置"],
            Field::BuildYear => &[
                "建设(改造)年度",
                "建设年度",
                "改造年度",
                "改厕年度",
                "建设年份",
                "改厕年份",
                "建设时间",
                "改厕时间",
                "建成年份",
            ],
            Field::Subsidized => &[
                "是否财政补助",
                "财政补助",
                "是否享受财政补助",
                "是否补助",
                "享受补助",
            ],
            Field::SubsidyYear => &["补助年度", "补助年份", "享受补助年度", "财政补助年度"],
            Field::SubsidyAmount => &[
                "补助金额",
                "补助金额(元)",
                "补助资金",
                "财政补助金额",
                "补助标准",
            ],
            Field::ProjectName => &["项目名称", "改厕项目", "项目"],
            Field::IsSanitary => &["是否卫生厕所", "卫生厕所", "是否卫生户厕"],
            Field::UseStatus => &["使用状态", "使用情况", "是否正常使用"],
        }
    }
}

/// A header cell reduced to what matters: no spaces or line breaks, half-width brackets, no
/// required-field stars, no trailing units in brackets except where a synonym keeps them.
pub fn header_key(text: &str) -> String {
    key_chars(text).collect()
}

/// The characters of [`header_key`], without building a string (for hashing and comparing
/// hundreds of thousands of cells).
pub fn key_chars(text: &str) -> impl Iterator<Item = char> + '_ {
    text.chars()
        .map(super::normalize::half_width)
        .filter(|c| !c.is_whitespace() && !matches!(c, '*' | '★' | ':' | '：'))
}

/// Whether a column's header names a row number (序号, 编号), counted on by every row and
/// never imported.
pub fn is_row_number(header: &str) -> bool {
    let key = header_key(header).to_lowercase();
    matches!(key.as_str(), "序号" | "编号" | "序" | "行号" | "no" | "no.")
}

/// The field a header cell names, if any.
pub fn match_header(text: &str) -> Option<Field> {
    let key = header_key(text);
    if key.is_empty() {
        return None;
    }
    let find = |k: &str| {
        Field::ALL
            .iter()
            .copied()
            .find(|f| f.synonyms().contains(&k))
    };
    find(&key).or_else(|| {
        // "补助金额（元）", "建设年份(年)": drop a trailing bracketed unit and try again.
        key.rfind('(')
            .filter(|_| key.ends_with(')'))
            .and_then(|i| find(&key[..i]))
    })
}

/// The header found in a sheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeaderMatch {
    /// 0-based index of the last header row; data starts on the next row.
    pub header_row: usize,
    /// The field of each column (None: not imported).
    pub columns: Vec<Option<Field>>,
}

/// How many rows from the top are searched for the header.
pub const HEADER_SEARCH_ROWS: usize = 30;

/// Finds the header: the row (within the first 30) whose cells name the most fields, at least
/// the household head and one other. When the row below also names fields (a merged two-row
/// header), its names fill and override the columns of the upper row.
pub fn find_header(rows: &[Vec<String>]) -> Option<HeaderMatch> {
    find_header_with(rows, &|_| false)
}

/// [`find_header`] for a sheet whose columns may be hidden in Excel (`hidden(i)`): a field named
/// by a hidden column and a visible one is taken from the visible one (a hidden column is
/// usually an older copy kept out of sight).
pub fn find_header_with(
    rows: &[Vec<String>],
    hidden: &dyn Fn(usize) -> bool,
) -> Option<HeaderMatch> {
    let map =
        |row: &Vec<String>| -> Vec<Option<Field>> { row.iter().map(|c| match_header(c)).collect() };
    let score = |cols: &[Option<Field>]| cols.iter().filter(|c| c.is_some()).count();
    let (best, cols) = rows
        .iter()
        .take(HEADER_SEARCH_ROWS)
        .enumerate()
        .map(|(i, r)| (i, map(r)))
        .filter(|(_, cols)| cols.contains(&Some(Field::HeadName)) && score(cols) >= 2)
        .max_by_key(|(i, cols)| (score(cols), std::cmp::Reverse(*i)))?;
    let mut columns = cols;
    let mut header_row = best;
    // The upper row of a two-row header whose lower row has the names (户主 among them): its
    // fields over the lower row's blank cells (行政村, 社 spanning both rows; merged in the
    // spreadsheet, or not any more once saved as CSV).
    if let Some(above) = best.checked_sub(1).and_then(|i| rows.get(i)) {
        let upper = map(above);
        if !upper.contains(&Some(Field::HeadName)) {
            for (i, f) in upper.into_iter().enumerate() {
                let Some(f) = f else { continue };
                let blank_below = rows[best].get(i).is_none_or(|c| c.trim().is_empty());
                if blank_below && !columns.contains(&Some(f)) {
                    columns.resize(columns.len().max(i + 1), None);
                    columns[i] = Some(f);
                }
            }
        }
    }
    if let Some(next) = rows.get(best + 1) {
        let below = map(next);
        // The lower row of a merged header is blank under 户主 (merged down) and names what
        // it says; a first household's row has a name there, and answers that may be header
        // words too (常住, 卫生厕所) among values that are not.
        let head = columns.iter().position(|c| *c == Some(Field::HeadName));
        let blank_under_head = head
            .and_then(|i| next.get(i))
            .is_none_or(|c| c.trim().is_empty());
        let filled = next.iter().filter(|c| !c.trim().is_empty()).count();
        let header_like = 2 * score(&below) >= filled;
        if score(&below) >= 1
            && !below.contains(&Some(Field::HeadName))
            && blank_under_head
            && header_like
        {
            columns.resize(columns.len().max(below.len()), None);
            for (i, f) in below.into_iter().enumerate() {
                if f.is_some() {
                    columns[i] = f;
                }
            }
            header_row = best + 1;
        }
    }
    // A field mapped twice keeps its first visible column (its first column when all are
    // hidden); the user can change it in the preview.
    let mut seen = std::collections::HashSet::new();
    let visible = (0..columns.len()).filter(|&i| !hidden(i));
    for i in visible.chain((0..columns.len()).filter(|&i| hidden(i))) {
        if let Some(f) = columns[i] {
            if !seen.insert(f) {
                columns[i] = None;
            }
        }
    }
    Some(HeaderMatch {
        header_row,
        columns,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn synonyms_are_unique_and_labels_match() {
        let mut seen = std::collections::HashMap::new();
        for f in Field::ALL {
            for s in f.synonyms() {
                assert_eq!(header_key(s), *s, "synonym {s} must already be normalised");
                if let Some(other) = seen.insert(*s, *f) {
                    panic!("{s} means both {other:?} and {f:?}");
                }
            }
            assert_eq!(match_header(f.label()), Some(*f));
        }
    }

    #[test]
    fn header_cells() {
        let cases = [
            ("户主姓名", Some(Field::HeadName)),
            (" 户 主 ", Some(Field::HeadName)),
            ("*身份证号码", Some(Field::IdNumber)),
            ("证件号码", Some(Field::IdNumber)),
            ("所在社", Some(Field::Group)),
            ("村民小组", Some(Field::Group)),
            ("改厕年度", Some(Field::BuildYear)),
            ("建设（改造）年度", Some(Field::BuildYear)),
            ("建设年份\n(年)", Some(Field::BuildYear)),
            ("补助金额（元）", Some(Field::SubsidyAmount)),
            ("财政补助", Some(Field::Subsidized)),
            ("备注", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(match_header(text), want, "{text:?}");
        }
    }

    #[test]
    fn title_rows_are_skipped() {
        let rows = vec![
            row(&["石鱼镇农村户厕摸排台账"]),
            row(&["填报单位：石鱼村", "", "", "2022年9月"]),
            row(&[]),
            row(&[
                "序号",
                "行政村",
                "所在社",
                "户主姓名",
                "身份证号码",
                "技术模式",
            ]),
            row(&[
                "1",
                "石鱼村",
                "3社",
                "张建国",
                "11010519491231002X",
                "三格式",
            ]),
        ];
        let h = find_header(&rows).unwrap();
        assert_eq!(h.header_row, 3);
        assert_eq!(
            h.columns,
            vec![
                None,
                Some(Field::Village),
                Some(Field::Group),
                Some(Field::HeadName),
                Some(Field::IdNumber),
                Some(Field::TechMode)
            ]
        );
    }

    #[test]
    fn merged_two_row_header() {
        let rows = vec![
            row(&["2013年以来享受财政补助的农村户厕"]),
            row(&["行政村", "社", "户主", "户厕情况", "", "财政补助", ""]),
            row(&[
                "",
                "",
                "",
                "技术模式",
                "建设年份",
                "补助年度",
                "补助金额（元）",
            ]),
            row(&["石鱼村", "三社", "李四", "三瓮式", "2017", "2017", "1000"]),
        ];
        let h = find_header(&rows).unwrap();
        assert_eq!(h.header_row, 2, "data starts below the second header row");
        assert_eq!(
            h.columns,
            vec![
                Some(Field::Village),
                Some(Field::Group),
                Some(Field::HeadName),
                Some(Field::TechMode),
                Some(Field::BuildYear),
                Some(Field::SubsidyYear),
                Some(Field::SubsidyAmount)
            ],
            "the lower row names the columns under the merged cells"
        );
    }

    /// Found in review: a two-row header saved as CSV (the merges gone): 行政村 and 社 are only
    /// in the upper row, blank below, and the lower row has the names.
    #[test]
    fn a_two_row_header_without_merges_keeps_the_upper_rows_columns() {
        let rows = vec![
            row(&["石鱼镇2022年农村户厕问题摸排台账"]),
            row(&["序号", "行政村", "社", "户主信息", "", "户厕情况", ""]),
            row(&["", "", "", "姓名", "身份证号", "技术模式", "建设年份"]),
            row(&[
                "1",
                "石鱼村",
                "1社",
                "张一",
                "11010519491231002X",
                "三格式",
                "2019",
            ]),
        ];
        let h = find_header(&rows).unwrap();
        assert_eq!(h.header_row, 2);
        assert_eq!(
            h.columns,
            vec![
                None,
                Some(Field::Village),
                Some(Field::Group),
                Some(Field::HeadName),
                Some(Field::IdNumber),
                Some(Field::TechMode),
                Some(Field::BuildYear)
            ]
        );
    }

    #[test]
    fn a_first_data_row_whose_answer_is_a_header_word_is_data() {
        for answer in ["常住", "卫生厕所", "财政补助"] {
            let rows = vec![
                row(&["序号", "行政村", "社", "户主姓名", "身份证号", "备注"]),
                row(&["1", "石鱼村", "1社", "邱一", "11010519491231002X", answer]),
                row(&["2", "石鱼村", "1社", "邱二", "110105194912310030", ""]),
            ];
            let h = find_header(&rows).unwrap();
            assert_eq!(h.header_row, 0, "{answer}: 邱一's row is data");
            assert_eq!(h.columns.len(), 6);
            assert_eq!(h.columns[5], None, "{answer}: 备注 stays unmapped");
        }
    }

    #[test]
    fn no_header_without_a_name_column() {
        let rows = vec![
            row(&["序号", "技术模式", "建设年份"]),
            row(&["1", "三格式", "2019"]),
        ];
        assert_eq!(
            find_header(&rows),
            None,
            "a sheet without a 户主 column cannot be imported"
        );
    }

    #[test]
    fn a_field_named_twice_keeps_its_first_column() {
        let rows = vec![row(&["户主", "姓名", "身份证号"])];
        let h = find_header(&rows).unwrap();
        assert_eq!(
            h.columns,
            vec![Some(Field::HeadName), None, Some(Field::IdNumber)]
        );
    }
}
