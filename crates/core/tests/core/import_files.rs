//! Reading real import files: xlsx written by rust_xlsxwriter, a legacy .xls fixture, CSV in
//! several encodings, and broken inputs that must give a Chinese error and never a panic.
//! Nothing here opens a database, so every test runs the same on either engine.

use std::path::Path;

use huce_core::import::headers::{find_header, Field};
use huce_core::import::read::{read_file, Cell, Sheet};
use rust_xlsxwriter::{Format, Workbook};

use crate::fixture;

fn texts(sheet: &Sheet) -> Vec<Vec<String>> {
    sheet
        .rows
        .iter()
        .map(|r| r.iter().map(|c| c.text.clone()).collect())
        .collect()
}

/// A survey ledger as an office makes it: title row, merged title, header, an ID as text and one
/// typed as a number (Excel keeps 15 significant digits), a date-formatted year.
fn write_survey_xlsx(path: &Path) {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("摸底调查").unwrap();
    let bold = Format::new().set_bold();
    sheet
        .merge_range(0, 0, 0, 5, "石鱼镇农村户厕摸排台账", &bold)
        .unwrap();
    for (c, h) in [
        "序号",
        "行政村",
        "所在社",
        "户主姓名",
        "身份证号码",
        "建设年份",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(1, c as u16, *h).unwrap();
    }
    sheet.write_number(2, 0, 1).unwrap();
    sheet.write_string(2, 1, "石鱼村").unwrap();
    sheet.write_string(2, 2, "3社").unwrap();
    sheet.write_string(2, 3, "张建国").unwrap();
    sheet.write_string(2, 4, "11010519491231002X").unwrap();
    let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2019, 5, 1).unwrap();
    sheet
        .write_datetime_with_format(2, 5, &date, &Format::new().set_num_format("yyyy-mm-dd"))
        .unwrap();
    sheet.write_number(3, 0, 2).unwrap();
    sheet.write_string(3, 1, "石鱼村").unwrap();
    sheet.write_string(3, 2, "三社").unwrap();
    sheet.write_string(3, 3, "李四").unwrap();
    sheet.write_number(3, 4, 440524188001010014.0).unwrap();
    sheet.write_number(3, 5, 2018).unwrap();
    book.save(path).unwrap();
}

#[test]
fn xlsx_with_title_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("台账 2022.xlsx");
    write_survey_xlsx(&path);
    let sheets = read_file(&path).unwrap();
    assert_eq!(sheets.len(), 1);
    assert_eq!(sheets[0].name, "摸底调查");
    let rows = texts(&sheets[0]);
    assert_eq!(rows[0][0], "石鱼镇农村户厕摸排台账");
    assert_eq!(
        rows[2],
        vec![
            "1",
            "石鱼村",
            "3社",
            "张建国",
            "11010519491231002X",
            "2019-05-01"
        ]
    );
    assert_eq!(
        sheets[0].rows[3][4],
        Cell {
            text: "440524188001010000".into(),
            numeric: true,
            uncalculated: false,
        },
        "a numeric ID is flagged as numeric"
    );
    let header = find_header(&rows).unwrap();
    assert_eq!(header.header_row, 1);
    assert_eq!(header.columns[3], Some(Field::HeadName));
}

#[test]
fn legacy_xls_with_merged_two_row_header() {
    let sheets = read_file(&fixture("ledger-legacy.xls")).unwrap();
    let rows = texts(&sheets[0]);
    let header = find_header(&rows).unwrap();
    assert_eq!(header.header_row, 2);
    assert_eq!(
        header.columns,
        vec![
            Some(Field::Village),
            Some(Field::Group),
            Some(Field::HeadName),
            Some(Field::IdNumber),
            Some(Field::TechMode),
            Some(Field::BuildYear),
            Some(Field::SubsidyYear),
            Some(Field::SubsidyAmount)
        ]
    );
    assert_eq!(rows[3][2], "张建国");
    assert_eq!(
        rows[6][2], "王䶮",
        "characters outside GBK survive a legacy .xls"
    );
    assert!(
        sheets[0].rows[4][3].numeric,
        "an ID typed as a number is known to be damaged"
    );
    assert!(
        rows[5].iter().all(|c| c.is_empty()),
        "the blank row stays blank"
    );
}

#[test]
fn csv_in_gb18030_and_utf8_bom() {
    let dir = tempfile::tempdir().unwrap();
    let text = "户主姓名,所在社,身份证号\r\n张建国,三社,11010519491231002X\r\n\"曾,小红\",3组,\r\n";
    let (gb, _, _) = encoding_rs::GB18030.encode(text);
    let gb_path = dir.path().join("gbk.csv");
    std::fs::write(&gb_path, &gb).unwrap();
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice(text.as_bytes());
    let bom_path = dir.path().join("bom.csv");
    std::fs::write(&bom_path, &bom).unwrap();
    for path in [gb_path, bom_path] {
        let rows = texts(&read_file(&path).unwrap()[0]);
        assert_eq!(rows[0][0], "户主姓名", "{}", path.display());
        assert_eq!(rows[2][0], "曾,小红", "quoted commas stay in the cell");
        assert_eq!(rows.len(), 3);
    }
}

#[test]
fn broken_inputs_give_chinese_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mut good = Vec::new();
    write_survey_xlsx(&dir.path().join("good.xlsx"));
    good.extend(std::fs::read(dir.path().join("good.xlsx")).unwrap());
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated.xlsx",
            good[..good.len() / 2].to_vec(),
            "无法作为 Excel 表格读取",
        ),
        (
            "random.xlsx",
            (0..5000u32)
                .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
                .collect(),
            "内容不是 Excel 表格",
        ),
        (
            "binary.csv",
            (0..5000u32).map(|i| (i % 7) as u8).collect(),
            "不是可以导入的表格",
        ),
        (
            "ole-junk.xls",
            [
                vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1],
                vec![0u8; 600],
            ]
            .concat(),
            "无法作为 Excel 表格读取",
        ),
    ];
    for (name, bytes, want) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let err = read_file(&path).unwrap_err();
        assert!(err.to_string().contains(want), "{name}: {err}");
    }
    let err = read_file(&dir.path().join("没有这个文件.xlsx")).unwrap_err();
    assert_eq!(err.code(), "io");
}

#[test]
fn oversized_files_are_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.csv");
    let f = std::fs::File::create(&path).unwrap();
    f.set_len(huce_core::import::read::MAX_FILE_BYTES + 1)
        .unwrap(); // sparse: no disk used
    let err = read_file(&path).unwrap_err();
    assert!(err.to_string().contains("太大"), "{err}");
}

#[test]
fn random_bytes_never_panic() {
    // A small deterministic fuzz: mutations of a valid xlsx and of random data.
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.xlsx");
    write_survey_xlsx(&base);
    let good = std::fs::read(&base).unwrap();
    let mut rng = huce_core::rng::Rng::new(11);
    for i in 0..150 {
        let mut bytes = good.clone();
        for _ in 0..(1 + rng.below(20)) {
            let at = rng.below(bytes.len() as u64) as usize;
            bytes[at] = rng.below(256) as u8;
        }
        if i % 3 == 0 {
            bytes.truncate(rng.below(bytes.len() as u64) as usize);
        }
        let path = dir.path().join(format!("m{i}.xlsx"));
        std::fs::write(&path, &bytes).unwrap();
        match read_file(&path) {
            Ok(sheets) => assert!(!sheets.is_empty(), "a workbook that reads has its sheets"),
            Err(e) => assert!(
                e.to_string().contains("文件") && e.to_string().contains("请"),
                "a Chinese message that says what to do: {e}"
            ),
        }
    }
    assert_eq!(
        huce_core::import::read::caught_panics(),
        0,
        "no panic inside the reader, not even a caught one"
    );
}

/// A ledger as a village keeps it by hand: a title merged across, the 行政村 merged down the whole
/// sheet (a blank row inside it), each 社 down its rows, and a household's own columns (序号, 户主,
/// 身份证号) down the rows of its two toilets, and one 技术模式 down two households' rows.
pub(crate) fn write_merged_ledger(path: &Path) {
    let mut book = Workbook::new();
    let s = book.add_worksheet();
    s.set_name("摸排").unwrap();
    let f = Format::new();
    s.merge_range(0, 0, 0, 5, "石鱼镇农村户厕摸排台账", &f)
        .unwrap();
    for (c, h) in ["序号", "行政村", "社", "户主姓名", "身份证号", "技术模式"]
        .iter()
        .enumerate()
    {
        s.write_string(1, c as u16, *h).unwrap();
    }
    s.merge_range(2, 1, 7, 1, "石鱼村", &f).unwrap();
    s.merge_range(2, 2, 4, 2, "1社", &f).unwrap();
    s.merge_range(2, 0, 3, 0, "1", &f).unwrap();
    s.merge_range(2, 3, 3, 3, "张建国", &f).unwrap();
    s.merge_range(2, 4, 3, 4, "11010519491231002X", &f).unwrap();
    s.write_string(2, 5, "三格式").unwrap();
    s.write_string(3, 5, "沼气池").unwrap();
    s.write_number(4, 0, 2).unwrap();
    s.write_string(4, 3, "李四").unwrap();
    s.write_string(4, 5, "双瓮").unwrap();
    // Row 6 is blank, inside the 行政村's block.
    s.merge_range(6, 2, 7, 2, "2社", &f).unwrap();
    s.write_number(6, 0, 3).unwrap();
    s.write_string(6, 3, "王五").unwrap();
    s.write_string(6, 4, "440524188001010014").unwrap();
    s.merge_range(6, 5, 7, 5, "三格式", &f).unwrap();
    s.write_number(7, 0, 4).unwrap();
    s.write_string(7, 3, "赵六").unwrap();
    s.merge_range(8, 0, 8, 5, "以下空白", &f).unwrap();
    book.save(path).unwrap();
}

/// Merged cells read as a person sees them: the value of a block merged down belongs to every row
/// of it (a blank row stays blank); a block merged across keeps its value in its first cell. The
/// streamed rows are the rows read whole.
#[test]
fn cells_merged_down_belong_to_every_row_of_their_block() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("merged.xlsx");
    write_merged_ledger(&path);
    let whole = read_file(&path).unwrap();
    let rows = texts(&whole[0]);
    let want: Vec<Vec<&str>> = vec![
        vec!["石鱼镇农村户厕摸排台账"],
        vec!["序号", "行政村", "社", "户主姓名", "身份证号", "技术模式"],
        vec![
            "1",
            "石鱼村",
            "1社",
            "张建国",
            "11010519491231002X",
            "三格式",
        ],
        vec![
            "1",
            "石鱼村",
            "1社",
            "张建国",
            "11010519491231002X",
            "沼气池",
        ],
        vec!["2", "石鱼村", "1社", "李四", "", "双瓮"],
        vec![],
        vec!["3", "石鱼村", "2社", "王五", "440524188001010014", "三格式"],
        vec!["4", "石鱼村", "2社", "赵六", "", "三格式"],
        vec!["以下空白"],
    ];
    assert_eq!(rows, want);
    let mut streamed = huce_core::import::read::Workbook::open(&path, true).unwrap();
    assert_eq!(streamed_rows(&mut streamed, &path, "摸排"), whole[0].rows);
}

/// Every row of one sheet as the streaming reader hands them out.
fn streamed_rows(
    book: &mut huce_core::import::read::Workbook,
    path: &Path,
    sheet: &str,
) -> Vec<Vec<Cell>> {
    let mut rows = book.rows(path, sheet).unwrap();
    let mut got = Vec::new();
    loop {
        match rows.next_row().unwrap() {
            huce_core::import::read::NextRow::Row(r) => got.push(r),
            huce_core::import::read::NextRow::End => return got,
            huce_core::import::read::NextRow::Unordered => panic!("rows are in order"),
        }
    }
}

/// A two-row header whose single-column names are merged down over both rows (as in most office
/// ledgers) is found as before: the lower row, every column named.
#[test]
fn a_two_row_header_merged_down_is_found_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("header.xlsx");
    let mut book = Workbook::new();
    let s = book.add_worksheet();
    let f = Format::new();
    s.merge_range(0, 0, 0, 4, "石鱼镇农村户厕摸排台账", &f)
        .unwrap();
    for (c, h) in ["行政村", "社", "户主姓名"].iter().enumerate() {
        s.merge_range(1, c as u16, 2, c as u16, h, &f).unwrap();
    }
    s.merge_range(1, 3, 1, 4, "户厕情况", &f).unwrap();
    s.write_string(2, 3, "技术模式").unwrap();
    s.write_string(2, 4, "建设年份").unwrap();
    for (c, v) in ["石鱼村", "3社", "张建国", "三格式", "2019"]
        .iter()
        .enumerate()
    {
        s.write_string(3, c as u16, *v).unwrap();
    }
    book.save(&path).unwrap();
    let rows = texts(&read_file(&path).unwrap()[0]);
    let header = find_header(&rows).unwrap();
    assert_eq!(header.header_row, 2);
    assert_eq!(
        header.columns,
        vec![
            Some(Field::Village),
            Some(Field::Group),
            Some(Field::HeadName),
            Some(Field::TechMode),
            Some(Field::BuildYear)
        ]
    );
    assert_eq!(rows[3], ["石鱼村", "3社", "张建国", "三格式", "2019"]);
}

#[test]
fn streamed_rows_are_the_rows_read_whole() {
    // Leading empty rows and columns, gaps, cells of spaces at a row's end, shared and inline
    // strings, numbers, dates, booleans, and a second sheet.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("layout.xlsx");
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("台账").unwrap();
    sheet.write_string(2, 1, "户主姓名").unwrap();
    sheet.write_string(2, 2, "社").unwrap();
    sheet.write_string(2, 4, "   ").unwrap();
    sheet.write_string(3, 1, "张三").unwrap();
    sheet.write_number(3, 2, 3).unwrap();
    sheet.write_number(3, 3, 1000.5).unwrap();
    sheet.write_boolean(3, 5, true).unwrap();
    let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2019, 5, 1).unwrap();
    sheet
        .write_datetime_with_format(7, 2, &date, &Format::new().set_num_format("yyyy-mm-dd"))
        .unwrap();
    sheet.write_string(7, 6, "李四").unwrap();
    sheet.write_blank(9, 3, &Format::new().set_bold()).unwrap();
    let second = book.add_worksheet();
    second.write_string(0, 0, "另一张表").unwrap();
    book.save(&path).unwrap();

    let whole = read_file(&path).unwrap();
    let mut streamed = huce_core::import::read::Workbook::open(&path, true).unwrap();
    assert_eq!(
        streamed.sheet_names(),
        whole.iter().map(|s| s.name.clone()).collect::<Vec<_>>()
    );
    for sheet in &whole {
        let got = streamed_rows(&mut streamed, &path, &sheet.name);
        assert_eq!(got, sheet.rows, "sheet {}", sheet.name);
    }
}

#[test]
fn a_csv_with_rows_in_two_encodings_names_the_row() {
    let dir = tempfile::tempdir().unwrap();
    let lines = [
        "行政村,所在社,户主姓名,技术模式",
        "石鱼村,一社,张建国,三格式化粪池",
        "石鱼村,二社,李秀英,双瓮漏斗式",
        "太平村,三社,王德福,三格式化粪池",
        "太平村,四社,赵小红,无厕所",
    ];
    let gbk = |s: &str| encoding_rs::GB18030.encode(s).0.into_owned();
    // A UTF-8 file (with or without BOM) into which row 4 was pasted from a GBK file.
    for bom in [false, true] {
        let mut bytes = if bom {
            vec![0xEF, 0xBB, 0xBF]
        } else {
            Vec::new()
        };
        for (i, line) in lines.iter().enumerate() {
            let line = format!("{line}\r\n");
            if i == 3 {
                bytes.extend(gbk(&line));
            } else {
                bytes.extend(line.as_bytes());
            }
        }
        let path = dir.path().join(format!("混合{bom}.csv"));
        std::fs::write(&path, &bytes).unwrap();
        let e = read_file(&path).expect_err("refused").to_string();
        assert!(
            e.contains("第 4 行不是 UTF-8 编码")
                && e.contains("UTF-8")
                && e.contains("GBK")
                && e.contains("另存为"),
            "{e}"
        );
    }
    // A GBK file into which row 2 was pasted from a UTF-8 file.
    let mut bytes = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let line = format!("{line}\r\n");
        if i == 1 {
            bytes.extend(line.as_bytes());
        } else {
            bytes.extend(gbk(&line));
        }
    }
    let path = dir.path().join("混合gbk.csv");
    std::fs::write(&path, &bytes).unwrap();
    let e = read_file(&path).expect_err("refused").to_string();
    assert!(
        e.contains("第 2 行是 UTF-8 编码") && e.contains("GBK"),
        "{e}"
    );
    // Either encoding whole reads.
    let whole = lines.join("\r\n");
    for (name, bytes) in [
        ("utf8.csv", whole.as_bytes().to_vec()),
        ("gbk.csv", gbk(&whole)),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let rows = texts(&read_file(&path).unwrap()[0]);
        assert_eq!(rows[3][2], "王德福", "{name}");
    }
}
