//! Hostile and damaged input (issue 12): crafted workbooks that ask the reader for terabytes,
//! text that is not what a byte offset expects, names from a database file that was edited
//! outside the program, and a bounded fuzz run over the readers and the normalisers. Nothing
//! here may abort or panic; every refusal is a Chinese sentence. Only the photo-name test opens
//! a database (the file: it is about the photo folder beside it); the rest read files alone and
//! run the same on either engine.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use huce_core::import::normalize;
use huce_core::import::read::{self, read_file, NextRow, Workbook as Book};
use huce_core::rng::Rng;
use rust_xlsxwriter::Workbook;

use crate::fixture;

/// A small real ledger as .xlsx bytes (with a shared-string table).
fn ledger_xlsx(dir: &Path) -> Vec<u8> {
    let path = dir.join("ledger.xlsx");
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["行政村", "所在社", "户主姓名", "身份证号码", "建设年份"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for r in 1..20u32 {
        sheet.write_string(r, 0, "石鱼村").unwrap();
        sheet
            .write_string(r, 1, format!("{}社", r % 5 + 1))
            .unwrap();
        sheet.write_string(r, 2, format!("户主{r}")).unwrap();
        sheet.write_string(r, 3, "11010519491231002X").unwrap();
        sheet.write_number(r, 4, 2019.0).unwrap();
    }
    book.save(&path).unwrap();
    std::fs::read(&path).unwrap()
}

/// The parts of a zip archive, in order.
pub(crate) fn parts(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            (f.name().unwrap().to_string(), data)
        })
        .collect()
}

/// A zip archive of `parts`, deflated.
pub(crate) fn pack(parts: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in parts {
        out.start_file(name.as_str(), opts).unwrap();
        out.write_all(data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// Reads a file both ways the importer does (whole, and row by row) and returns the errors.
fn read_both(path: &Path) -> Vec<String> {
    let mut errors = Vec::new();
    if let Err(e) = read_file(path) {
        errors.push(e.to_string());
    }
    // Row by row, as the import does on a thread of its own: a panic there is caught and
    // counted the way the import's reader thread counts it.
    let streamed = std::panic::catch_unwind(|| read_streamed(path));
    match streamed {
        Ok(mut e) => errors.append(&mut e),
        Err(_) => panic!("a panic while reading {path:?} row by row"),
    }
    errors
}

fn read_streamed(path: &Path) -> Vec<String> {
    let mut errors = Vec::new();
    match Book::open(path, true) {
        Err(e) => errors.push(e.to_string()),
        Ok(mut book) => {
            for name in book.sheet_names() {
                match book.rows(path, &name) {
                    Err(e) => errors.push(e.to_string()),
                    Ok(mut rows) => loop {
                        match rows.next_row() {
                            Ok(NextRow::Row(_)) => {}
                            Ok(NextRow::End | NextRow::Unordered) => break,
                            Err(e) => {
                                errors.push(e.to_string());
                                break;
                            }
                        }
                    },
                }
            }
        }
    }
    errors
}

#[test]
fn a_workbook_declaring_a_hundred_billion_strings_is_refused_not_aborted() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = parts(&ledger_xlsx(dir.path()));
    let sst = p
        .iter_mut()
        .find(|(n, _)| n == "xl/sharedStrings.xml")
        .expect("the ledger has a shared-string table");
    let xml = String::from_utf8(sst.1.clone()).unwrap();
    let start = xml.find("uniqueCount=\"").unwrap() + "uniqueCount=\"".len();
    let end = start + xml[start..].find('"').unwrap();
    sst.1 = format!("{}100000000000{}", &xml[..start], &xml[end..]).into_bytes();
    let path = dir.path().join("千亿字符串.xlsx");
    std::fs::write(&path, pack(&p)).unwrap();
    assert!(
        std::fs::metadata(&path).unwrap().len() < 20_000,
        "a small file"
    );
    let errors = read_both(&path);
    assert_eq!(errors.len(), 2, "refused both ways: {errors:?}");
    for e in errors {
        assert!(e.contains("100000000000") && e.contains("没有读取"), "{e}");
    }
}

#[test]
fn a_sheet_whose_cells_span_a1_to_xfd1048576_is_refused_not_aborted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("满表.xlsx");
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "户主姓名").unwrap();
    sheet.write_string(1_048_575, 16_383, "右下角").unwrap();
    book.save(&path).unwrap();
    let errors = read_both(&path);
    assert_eq!(errors.len(), 2, "both readers refuse it: {errors:?}");
    for e in &errors {
        assert!(
            e.contains("第 1048576 行第 16384 列") && e.contains("请删除"),
            "the cell and what to do are named: {e}"
        );
    }
}

#[test]
fn a_zip_bomb_is_refused_before_it_is_unpacked() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = parts(&ledger_xlsx(dir.path()));
    // 300 MB of blanks after the table's opening tag pack into about 300 KB.
    let sst = p
        .iter_mut()
        .find(|(n, _)| n == "xl/sharedStrings.xml")
        .unwrap();
    let mut bomb = br#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">"#.to_vec();
    bomb.resize(bomb.len() + 300 * 1024 * 1024, b' ');
    bomb.extend_from_slice(b"<si><t>x</t></si></sst>");
    sst.1 = bomb;
    let path = dir.path().join("炸弹.xlsx");
    std::fs::write(&path, pack(&p)).unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() < 2_000_000);
    let errors = read_both(&path);
    assert_eq!(errors.len(), 2, "both readers refuse it: {errors:?}");
    for e in errors {
        assert!(e.contains("MB") && e.contains("没有读取"), "{e}");
    }
}

/// One BIFF record.
fn biff_record(out: &mut Vec<u8>, kind: u16, data: &[u8]) {
    out.extend_from_slice(&kind.to_le_bytes());
    out.extend_from_slice(&(data.len() as u16).to_le_bytes());
    out.extend_from_slice(data);
}

/// A minimal BIFF8 workbook at `path`, in a compound file (as Excel 97–2003 writes it): globals
/// naming one sheet, with `globals` (records) after the code page, and `sheet` (records)
/// between the sheet's BOF and EOF.
fn xls_with(path: &Path, globals_extra: &[u8], sheet_body: &[u8]) {
    let bof = |dt: u16| {
        let mut d = vec![0u8; 16];
        d[0..2].copy_from_slice(&0x0600u16.to_le_bytes());
        d[2..4].copy_from_slice(&dt.to_le_bytes());
        d
    };
    let name = "台账";
    let mut globals = Vec::new();
    biff_record(&mut globals, 0x0809, &bof(0x0005));
    biff_record(&mut globals, 0x0042, &1200u16.to_le_bytes()); // CODEPAGE: UTF-16
    let sheet_ptr = globals.len() + 4; // lbPlyPos, patched below
    let mut boundsheet = vec![0u8; 6];
    boundsheet.push(name.chars().count() as u8);
    boundsheet.push(1); // UTF-16
    for u in name.encode_utf16() {
        boundsheet.extend_from_slice(&u.to_le_bytes());
    }
    biff_record(&mut globals, 0x0085, &boundsheet);
    globals.extend_from_slice(globals_extra);
    biff_record(&mut globals, 0x000A, &[]);
    let offset = globals.len() as u32;
    globals[sheet_ptr..sheet_ptr + 4].copy_from_slice(&offset.to_le_bytes());
    biff_record(&mut globals, 0x0809, &bof(0x0010));
    globals.extend_from_slice(sheet_body);
    biff_record(&mut globals, 0x000A, &[]);
    // Version 3 (512-byte sectors), as Excel writes it: calamine reads no other.
    let file = std::fs::File::create(path).unwrap();
    let mut cfb = cfb::CompoundFile::create_with_version(cfb::Version::V3, file).unwrap();
    cfb.create_stream("/Workbook")
        .unwrap()
        .write_all(&globals)
        .unwrap();
    cfb.flush().unwrap();
}

/// A DIMENSIONS record (BIFF8) of `rows` rows from the first and the columns A to `last_col`.
fn xls_dimensions(rows: u32, last_col: u16) -> Vec<u8> {
    let mut dims = Vec::new();
    dims.extend_from_slice(&0u32.to_le_bytes());
    dims.extend_from_slice(&rows.to_le_bytes());
    dims.extend_from_slice(&0u16.to_le_bytes());
    dims.extend_from_slice(&last_col.to_le_bytes());
    dims.extend_from_slice(&0u16.to_le_bytes());
    let mut out = Vec::new();
    biff_record(&mut out, 0x0200, &dims);
    out
}

/// A minimal BIFF8 workbook whose one sheet's DIMENSIONS record declares `rows` rows.
fn xls_declaring(dir: &Path, rows: u32) -> PathBuf {
    let path = dir.join(format!("声明{rows}行.xls"));
    xls_with(&path, &[], &xls_dimensions(rows, 255));
    path
}

/// A minimal BIFF8 workbook whose shared-string table holds one string of `chars` characters
/// (石, stored as UTF-16, continued over CONTINUE records as Excel splits it), and whose sheet
/// has `cells` cells that all refer to it (LABELSST), four to a row.
fn xls_sharing(dir: &Path, chars: usize, cells: u32) -> PathBuf {
    const MAX_DATA: usize = 8224;
    let mut sst = Vec::new();
    let mut data = Vec::new();
    data.extend_from_slice(&cells.to_le_bytes()); // cstTotal
    data.extend_from_slice(&1u32.to_le_bytes()); // cstUnique
    data.extend_from_slice(&(chars as u16).to_le_bytes());
    data.push(1); // fHighByte: UTF-16
    let unit = "石".encode_utf16().next().unwrap().to_le_bytes();
    let mut left = chars;
    loop {
        let n = left.min((MAX_DATA - data.len()) / 2);
        for _ in 0..n {
            data.extend_from_slice(&unit);
        }
        left -= n;
        let kind = if sst.is_empty() { 0x00FC } else { 0x003C };
        biff_record(&mut sst, kind, &data);
        if left == 0 {
            break;
        }
        // A string continued: the next record starts with its flags.
        data = vec![1];
    }
    let mut sheet = xls_dimensions(cells / 4 + 1, 4);
    for i in 0..cells {
        let mut label = Vec::new();
        label.extend_from_slice(&((i / 4) as u16).to_le_bytes());
        label.extend_from_slice(&((i % 4) as u16).to_le_bytes());
        label.extend_from_slice(&0u16.to_le_bytes()); // ixfe
        label.extend_from_slice(&0u32.to_le_bytes()); // isst
        biff_record(&mut sheet, 0x00FD, &label);
    }
    let path = dir.join(format!("共享{chars}字{cells}格.xls"));
    xls_with(&path, &sst, &sheet);
    path
}

#[test]
fn an_xls_repeating_one_long_shared_string_is_refused_before_it_is_copied() {
    let dir = tempfile::tempdir().unwrap();
    // Under the budget it reads, every cell the string.
    let fine = xls_sharing(dir.path(), 9_000, 10);
    let sheets = read_file(&fine).unwrap();
    assert_eq!(sheets[0].rows.len(), 3);
    assert_eq!(sheets[0].rows[2][1].text, "石".repeat(9_000));
    // 32,000 characters (96 KB) in 10,000 cells: almost 1 GB of text from a file of 200 KB.
    let path = xls_sharing(dir.path(), 32_000, 10_000);
    assert!(std::fs::metadata(&path).unwrap().len() < 300_000);
    let t = Instant::now();
    let errors = read_both(&path);
    let took = t.elapsed();
    assert_eq!(errors.len(), 2, "both readers refuse it: {errors:?}");
    for e in errors {
        assert!(
            e.contains("文字合计超过 256 MB") && e.contains("没有读取") && e.contains("另存为"),
            "{e}"
        );
    }
    assert!(took < Duration::from_secs(1), "refused in {took:?}");
    // A shared string longer than a cell can hold, in one cell: refused by its place.
    let long = xls_sharing(dir.path(), 40_000, 1);
    for e in read_both(&long) {
        assert!(
            e.contains("第 1 行第 1 列") && e.contains("40000 个字"),
            "{e}"
        );
    }
}

/// Found in review: a folder given as the ledger was "Is a directory (os error 21)" with advice
/// about disk space.
#[test]
fn a_folder_given_as_a_ledger_says_it_is_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let errors = read_both(dir.path());
    assert_eq!(errors.len(), 2, "{errors:?}");
    for e in errors {
        assert!(e.contains("是一个文件夹"), "{e}");
    }
}

/// Found in review: a workbook saved with an opening password (an OLE file holding the
/// encrypted package) was called damaged ("找不到工作簿数据"); it says it has a password.
#[test]
fn a_workbook_with_a_password_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("加密台账.xlsx");
    let mut cfb = cfb::create(&path).unwrap();
    cfb.create_stream("/EncryptionInfo")
        .unwrap()
        .write_all(&[4, 0, 4, 0, 0x40, 0, 0, 0])
        .unwrap();
    cfb.create_stream("/EncryptedPackage")
        .unwrap()
        .write_all(&[0u8; 4096])
        .unwrap();
    cfb.flush().unwrap();
    let errors = read_both(&path);
    assert_eq!(errors.len(), 2, "{errors:?}");
    for e in errors {
        assert!(e.contains("密码") && e.contains("另存"), "{e}");
    }
}

#[test]
fn an_xls_declaring_four_billion_rows_is_refused_not_aborted() {
    let dir = tempfile::tempdir().unwrap();
    // The same file with a plausible range reads (the sheet is empty).
    let fine = xls_declaring(dir.path(), 20);
    read_file(&fine).expect("a well-formed small .xls reads");
    let path = xls_declaring(dir.path(), u32::MAX - 1);
    let errors = read_both(&path);
    assert_eq!(errors.len(), 2, "{errors:?}");
    for e in errors {
        assert!(e.contains("4294967294 行") && e.contains("没有读取"), "{e}");
    }
}

#[test]
fn text_with_multibyte_characters_where_digits_are_expected_never_panics() {
    // A × (two bytes) where the ID's X belongs: 18 bytes, 17 characters.
    let id = "5002241990010112×";
    assert_eq!(id.len(), 18);
    assert!(normalize::id_number(id, false).is_err());
    for text in [
        "２０１９年",
        "2019年５月",
        "一九",
        "２０２",
        "𬌗",
        "\u{301}",
        "0\u{feff}1",
    ] {
        let _ = normalize::year(text, 2026);
        let _ = normalize::phone(text);
        let _ = normalize::people(text);
        let _ = normalize::amount_fen(text);
        let _ = normalize::id_number(text, false);
    }
}

// File only: the name is a path into the photo folder beside the database file; the server
// keeps a photo's bytes in the database (photo_blobs) and reads no file by that name.
#[test]
fn a_photo_name_from_an_edited_database_is_refused_not_sliced_or_followed() {
    let dir = tempfile::tempdir().unwrap();
    let conn = huce_core::db::open(&dir.path().join("huce.db"), crate::fixed_time()).unwrap();
    for (hash, name) in [("a", "é"), ("b", "../../secret.txt"), ("c", ""), ("d", "x")] {
        conn.execute(
            "INSERT INTO photos (hash, file_name, original_name, bytes, added_at) VALUES (?1, ?2, 'p.jpg', 1, 'x')",
            [hash, name],
        )
        .unwrap();
        std::fs::write(dir.path().join("secret.txt"), b"secret").unwrap();
        let err = huce_core::photos::read(&conn, &dir.path().join("a").join("b"), hash)
            .expect_err("refused");
        assert!(err.to_string().contains("文件名"), "{name:?}: {err}");
    }
}

/// Random changes to one byte in `bytes`, a cut, an insertion or a copied run.
fn mutate(rng: &mut Rng, mut bytes: Vec<u8>) -> Vec<u8> {
    for _ in 0..1 + rng.below(6) {
        if bytes.is_empty() {
            break;
        }
        let at = rng.below(bytes.len() as u64) as usize;
        match rng.below(5) {
            0 => bytes[at] = rng.below(256) as u8,
            1 => bytes.truncate(at),
            2 => bytes.insert(at, rng.below(256) as u8),
            3 => {
                let n = (rng.below(64) as usize).min(bytes.len() - at);
                let run: Vec<u8> = bytes[at..at + n].to_vec();
                let to = rng.below(bytes.len() as u64) as usize;
                bytes.splice(to..to, run);
            }
            _ => bytes[at] ^= 1 << rng.below(8),
        }
    }
    bytes
}

/// Text a cell may hold: digits, ASCII, full-width forms, CJK (also beyond the BMP),
/// combining marks, controls and separators.
fn random_text(rng: &mut Rng) -> String {
    const PIECES: &[&str] = &[
        "0",
        "1",
        "2",
        "9",
        "X",
        "x",
        "×",
        "年",
        "月",
        "社",
        "组",
        "村",
        "三",
        "十",
        "第",
        "-",
        ".",
        "/",
        " ",
        "\u{3000}",
        "\t",
        "\n",
        "\"",
        "'",
        "，",
        "（",
        ")",
        "是",
        "否",
        "√",
        "２",
        "０",
        "Ｘ",
        "𬌗",
        "𫖯",
        "\u{301}",
        "\u{200b}",
        "\u{feff}",
        "\u{0}",
        "e+",
        "E+17",
        "元",
        "万",
        "人",
        "三格式",
        "其他",
        "室内",
        "已拆除",
        "脱贫户",
        "023",
        "138",
        "+86",
    ];
    let n = rng.below(12) as usize;
    (0..n).map(|_| rng.pick(PIECES)).collect()
}

/// A bounded fuzz run (HUCE_FUZZ_SECONDS, 20 s by default; CI runs it on every build):
/// mutations of real .xlsx, .xls and .csv files through both readers, and random cell text
/// through every normaliser and the search parser. A panic fails the test — also one the
/// readers catch to keep the app alive (counted by `caught_panics`).
#[test]
fn fuzzing_the_readers_and_normalisers_finds_no_panic() {
    let seconds: u64 = std::env::var("HUCE_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    let xlsx = ledger_xlsx(dir.path());
    let xls = std::fs::read(fixture("ledger-legacy.xls")).unwrap();
    let csv = "行政村,所在社,户主姓名,身份证号码\n石鱼村,三社,张堃,11010519491231002X\n".as_bytes();
    let (gb, _, _) = encoding_rs::GB18030.encode("户主姓名,社\n𬌗,3组\n");
    let bases: Vec<(&str, Vec<u8>)> = vec![
        ("xlsx", xlsx),
        ("xls", xls),
        ("csv", csv.to_vec()),
        ("csv", gb.into_owned()),
    ];
    // A fixed seed by default, so every CI run walks the same inputs (a time bound only cuts the
    // walk short); HUCE_FUZZ_SEED=random explores new ones, a number repeats a run.
    let seed = match std::env::var("HUCE_FUZZ_SEED").ok().as_deref() {
        Some("random") => huce_core::rng::os_random_u64(),
        Some(s) => s.parse().expect("HUCE_FUZZ_SEED is a number or \"random\""),
        None => 20_221_016,
    };
    eprintln!("fuzz seed {seed}");
    let mut rng = Rng::new(seed);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let (mut files, mut texts) = (0u64, 0u64);
    let before = read::caught_panics();
    while Instant::now() < deadline {
        let (ext, base) = &bases[rng.below(bases.len() as u64) as usize];
        let path = dir.path().join(format!("f{files}.{ext}"));
        let bytes = if *ext == "xlsx" && rng.chance(0.5) {
            // A well-formed package whose XML is damaged: reaches the XML readers.
            let mut p = parts(base);
            let k = rng.below(p.len() as u64) as usize;
            p[k].1 = mutate(&mut rng, std::mem::take(&mut p[k].1));
            pack(&p)
        } else {
            mutate(&mut rng, base.clone())
        };
        std::fs::write(&path, bytes).unwrap();
        for e in read_both(&path) {
            assert!(
                e.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "a Chinese message: {e}"
            );
        }
        std::fs::remove_file(&path).unwrap();
        files += 1;
        for _ in 0..50 {
            let t = random_text(&mut rng);
            let _ = normalize::clean(&t);
            let _ = normalize::name(&t);
            let _ = normalize::chinese_number(&t);
            let _ = normalize::group(&t);
            let _ = normalize::village(&t);
            let _ = normalize::year(&t, 2026);
            let _ = normalize::yes_no(&t);
            let _ = normalize::amount_fen(&t);
            let _ = normalize::id_number(&t, rng.chance(0.2));
            let _ = normalize::phone(&t);
            let _ = normalize::people(&t);
            let _ = normalize::tech_mode(&t);
            let _ = normalize::location(&t);
            let _ = normalize::use_status(&t);
            let _ = normalize::category(&t);
            let _ = huce_core::import::headers::match_header(&t);
            let _ = huce_core::search_keys::household_keys(&t);
            let _ = huce_core::search_keys::Query::parse(&t);
            let _ = huce_core::idcard::mask_id(&t);
            let _ = huce_core::idcard::mask_phone(&t);
            let _ = huce_core::idcard::is_valid(&t);
            texts += 1;
        }
    }
    eprintln!("fuzz: {files} mutated files and {texts} cell texts in {seconds} s, no panic");
    assert_eq!(
        read::caught_panics(),
        before,
        "a panic inside a reader was caught: still a bug (seed {seed})"
    );
    assert!(files > 50, "the run did some work ({files} files)");
}

/// A workbook whose one shared string, `text`, fills `cells` cells below a header (Excel and
/// rust_xlsxwriter store a repeated text once, in the shared-string table). The text is put
/// into the table afterwards: rust_xlsxwriter refuses one longer than Excel allows.
fn repeated_string_xlsx(path: &Path, text: &str, cells: u32) {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["行政村", "所在社", "户主姓名"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for i in 0..cells {
        sheet
            .write_string(1 + i / 3, (i % 3) as u16, "长文字占位")
            .unwrap();
    }
    book.save(path).unwrap();
    let mut p = parts(&std::fs::read(path).unwrap());
    let sst = p
        .iter_mut()
        .find(|(n, _)| n == "xl/sharedStrings.xml")
        .expect("a shared-string table");
    sst.1 = String::from_utf8(sst.1.clone())
        .unwrap()
        .replace("长文字占位", text)
        .into_bytes();
    std::fs::write(path, pack(&p)).unwrap();
}

#[test]
fn a_shared_string_longer_than_excel_allows_repeated_in_many_cells_is_refused() {
    // The review's amp.xlsx in small: 100,000 characters (300 KB) shared by 200 cells, which
    // read as 60 MB of text (the real file's 120,000 cells: 36 GB).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("长文字.xlsx");
    repeated_string_xlsx(&path, &"石".repeat(100_000), 200);
    assert!(
        std::fs::metadata(&path).unwrap().len() < 50_000,
        "a small file"
    );
    let errors = read_both(&path);
    assert_eq!(errors.len(), 2, "refused both ways: {errors:?}");
    for e in errors {
        assert!(
            e.contains("第 2 行第 1 列")
                && e.contains("32767")
                && e.contains("没有读取")
                && e.contains("另存为"),
            "the cell, Excel's limit and what to do are named: {e}"
        );
    }
    // The longest text Excel keeps in a cell still reads.
    let fine = dir.path().join("满格.xlsx");
    repeated_string_xlsx(&fine, &"石".repeat(32_767), 3);
    let sheets = read_file(&fine).expect("a cell of 32,767 characters reads");
    assert_eq!(sheets[0].rows[1][2].text.chars().count(), 32_767);
    assert!(read_streamed(&fine).is_empty());
}

/// Reads a CSV file both ways and returns the errors (as [`read_both`]), after checking it is
/// small enough to have passed the size limit.
fn refusals_of_csv(path: &Path) -> Vec<String> {
    assert!(std::fs::metadata(path).unwrap().len() < read::MAX_FILE_BYTES);
    read_both(path)
}

#[test]
fn a_csv_row_wider_than_the_column_limit_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("宽表.csv");
    let mut text = String::from("行政村,所在社,户主姓名\n石鱼村,1社,张三");
    text.push_str(&",x".repeat(read::MAX_COLUMNS as usize));
    text.push('\n');
    std::fs::write(&path, &text).unwrap();
    let errors = refusals_of_csv(&path);
    assert_eq!(errors.len(), 2, "refused both ways: {errors:?}");
    for e in errors {
        assert!(
            e.contains("第 2 行")
                && e.contains(&format!("{}", read::MAX_COLUMNS))
                && e.contains("没有读取")
                && e.contains("拆分"),
            "the row, the limit and what to do are named: {e}"
        );
    }
    // A row exactly as wide as the limit reads.
    let fine = dir.path().join("满宽.csv");
    let mut text = String::from("户主姓名");
    text.push_str(&",x".repeat(read::MAX_COLUMNS as usize - 1));
    std::fs::write(&fine, &text).unwrap();
    assert_eq!(read_file(&fine).unwrap()[0].rows[0].len(), 1000);
}

#[test]
fn a_csv_with_more_rows_than_excel_is_refused() {
    // 1,048,577 short rows: 2 MB that the old reader held as a million rows.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("长表.csv");
    let mut text = String::from("行政村,所在社,户主姓名\n");
    text.push_str(&"a\n".repeat(read::MAX_ROWS as usize));
    std::fs::write(&path, &text).unwrap();
    let errors = refusals_of_csv(&path);
    assert_eq!(errors.len(), 2, "refused both ways: {errors:?}");
    for e in errors {
        assert!(
            e.contains(&format!("{}", read::MAX_ROWS))
                && e.contains("没有读取")
                && e.contains("拆分"),
            "the limit and what to do are named: {e}"
        );
    }
}

#[test]
fn a_csv_cell_longer_than_excel_allows_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("长格.csv");
    let text = format!("户主姓名,住址\n张三,\"{}\n", "石".repeat(40_000));
    std::fs::write(&path, &text).unwrap();
    let errors = refusals_of_csv(&path);
    assert_eq!(errors.len(), 2, "refused both ways: {errors:?}");
    for e in errors {
        assert!(
            e.contains("第 2 行第 2 列") && e.contains("32767") && e.contains("引号"),
            "the cell, the limit and the likely cause are named: {e}"
        );
    }
}
