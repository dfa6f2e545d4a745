//! Printed documents, checked as a reader of the PDF would: poppler's pdftotext / pdffonts /
//! pdfinfo / pdftoppm, and PDFium (pypdfium2, as Chrome and Edge render). Page images are kept
//! in tests/output/print/ for a person to look at.

use std::path::{Path, PathBuf};
use std::process::Command;

use huce_core::households::{self, Scope};
use huce_core::inspections::{self, InspectionInput, ProblemInput};
use huce_core::model::*;
use huce_core::print::{self, NoticeSettings};
use huce_core::rectification::{Decision, LedgerFilter};
use huce_core::staff;

use crate::engine::{self, TestDb};
use crate::NOW;

pub(crate) const TODAY: &str = "2026-11-29";
pub(crate) use crate::RARE;

/// Every name of [`RARE`] that `text` (pdftotext's) lacks.
fn missing_names(text: &str) -> Vec<&'static str> {
    RARE.iter().copied().filter(|n| !text.contains(n)).collect()
}

fn out_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/output/print");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub(crate) fn tool(name: &str, args: &[&str]) -> String {
    let out = Command::new(name)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{name} must be installed (Debian poppler-utils): {e}"));
    assert!(
        out.status.success(),
        "{name} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub(crate) fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Renders pages with poppler and PDFium into tests/output/print; fails if either cannot.
pub(crate) fn render(pdf: &Path, name: &str, pages: &[usize]) {
    let dir = out_dir();
    for p in pages {
        let prefix = dir.join(format!("{name}-poppler-p{p}"));
        tool(
            "pdftoppm",
            &[
                "-png",
                "-r",
                "80",
                "-singlefile",
                "-f",
                &p.to_string(),
                "-l",
                &p.to_string(),
                s(pdf),
                s(&prefix),
            ],
        );
        assert!(prefix.with_extension("png").exists());
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/render-pdfium.py");
    let python = std::env::var("HUCE_PYTHON").unwrap_or_else(|_| "python3".into());
    let prefix = dir.join(format!("{name}-pdfium"));
    let out = Command::new(&python)
        .arg(&script)
        .arg(pdf)
        .arg(&prefix)
        .arg("0.6")
        .output()
        .expect("python3 must be installed");
    assert!(
        out.status.success(),
        "PDFium could not render {name} (pypdfium2 and pillow come from scripts/setup-linux.sh): {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub(crate) struct Town {
    pub(crate) db: TestDb,
    village: i64,
    pub(crate) cases: Vec<i64>,
}

/// A small demo town plus households whose names use rare characters, each with a problem.
pub(crate) fn town() -> Town {
    let db = engine::demo(400, 5);
    let tree = households::tree(&db).unwrap();
    let village = tree.villages[0].id;
    let group = tree.villages[0].groups[0].id;
    let staff: Vec<i64> = staff::list_staff(&db, false)
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    let leak = huce_core::problem_items::problem_items(&db, false)
        .unwrap()
        .into_iter()
        .find(|i| i.name == "渗漏")
        .unwrap()
        .id;
    let mut cases = Vec::new();
    for (k, name) in RARE.iter().chain(["王𠮷"].iter()).enumerate() {
        let h = households::insert_household(
            &db,
            &NewHousehold {
                group_id: group,
                head_name: name.to_string(),
                id_number: None,
                phone: Some("13800001234".into()),
                address: None,
                registered_pop: Some(3),
                resident_pop: Some(3),
                category: HouseholdCategory::Ordinary,
                is_resident: true,
            },
            NOW,
        )
        .unwrap();
        let t = households::insert_toilet(
            &db,
            h,
            &NewToilet {
                tech_mode: Some(TechMode::ThreeCompartment),
                location: Some(Location::Yard),
                build_year: Some(2016),
                subsidized: Some(true),
                subsidy_year: Some(2016),
                subsidy_amount_fen: Some(120_000),
                project_name: None,
                is_sanitary: Some(true),
                use_status: Some(UseStatus::InUse),
                baseline_source: BaselineSource::Subsidy,
            },
            NOW,
        )
        .unwrap();
        let long = "化粪池第二格池壁开裂渗水，雨季时溢流到院坝，农户反映已有两年，曾自行用水泥修补但仍渗漏，需要整体重新砌筑并做防渗处理，同时更换破损的池盖和过粪管。".repeat(k / 5 + 1);
        let saved = inspections::save(
            &db,
            &crate::local(),
            &InspectionInput {
                toilet_id: t,
                kind: InspectionKind::VillageSelf,
                inspected_on: "2022-09-20".into(),
                members: vec![staff[0], staff[1]],
                household_status: HouseholdStatus::Normal,
                status_note: None,
                in_normal_use: Some(false),
                no_problem: false,
                problems: vec![ProblemInput {
                    item_id: leak,
                    stops_use: true,
                    cause: Some(Cause::Construction),
                    remarks: Some(long),
                }],
                photos: vec![],
                corrections: vec![],
                remarks: None,
                recorded_by: staff[2],
                // Even cases: 镇筹资农户自改 (against the rules' proposal, with a reason); odd
                // ones: 纳入全区改厕计划.
                decision: Some(if k % 2 == 0 {
                    Decision {
                        category: Some(Category::PlanTownFunded),
                        override_reason: Some("农户自愿自改，镇村研究同意".into()),
                        measures: Some("重新砌筑化粪池并做防渗处理".into()),
                        responsible: Some("李明".into()),
                        planned_month: Some("2025-06".into()),
                        funding: Some("镇补助 800 元，其余农户自筹".into()),
                    }
                } else {
                    Decision {
                        category: Some(Category::PlanDistrict),
                        override_reason: None,
                        measures: Some("拆除重建三格式化粪池".into()),
                        responsible: Some("王强".into()),
                        planned_month: Some("2025-12".into()),
                        funding: Some("区级农村改厕资金".into()),
                    }
                }),
                close_on_site: None,
            },
            TODAY,
            NOW,
        )
        .unwrap();
        cases.push(saved.case_id.unwrap());
    }
    Town { db, village, cases }
}

/// A 区级抽查 sample of every toilet of `village`, drawn by 李明.
fn whole_village_sample(t: &Town, village: i64) -> huce_core::sampling::Sample {
    let spec = huce_core::sampling::SampleSpec {
        villages: vec![village],
        size: huce_core::sampling::SampleSize::Percent(100.0),
        min_per_village: 0,
        oversample_problems: false,
        batch: None,
        seed: None,
    };
    huce_core::sampling::draw(&t.db, &spec, "李明", NOW).unwrap()
}

fn filter(scope: Scope) -> LedgerFilter {
    LedgerFilter::all_of(scope)
}

#[test]
fn notices_name_every_household_exactly_one_page_each() {
    let t = town();
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("告知单.pdf");
    let mut calls = 0;
    let printed = print::notices(&t.db, &t.cases, TODAY, &mut |_, _| calls += 1).unwrap();
    printed.save(&pdf).unwrap();
    assert_eq!(printed.pages, t.cases.len(), "one notice per page");
    assert!(calls > t.cases.len(), "progress is reported");

    let info = tool("pdfinfo", &[s(&pdf)]);
    assert!(
        info.contains(&format!("Pages:           {}", t.cases.len())),
        "{info}"
    );
    assert!(info.contains("595.28 x 841.89 pts (A4)"), "{info}");
    let fonts = tool("pdffonts", &[s(&pdf)]);
    let embedded: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!embedded.is_empty(), "{fonts}");
    for line in &embedded {
        assert!(
            line.contains("yes yes yes"),
            "every font embedded as a subset: {line}"
        );
        assert!(
            line.split('+').next().unwrap().len() == 6,
            "a subset tag: {line}"
        );
    }
    assert!(
        printed.pdf.len() < 600_000,
        "subset fonts keep the file small: {} bytes",
        printed.pdf.len()
    );

    let text = tool("pdftotext", &["-layout", s(&pdf), "-"]);
    for name in RARE {
        assert!(
            text.contains(name),
            "{name} is printed: the text has no {name}"
        );
    }
    for words in [
        "农村户厕问题整改告知单",
        "回",
        "户主（签字或按手印）",
        "整改类别：计划整改·纳入全区改厕计划",
        "整改类别：计划整改·镇筹资农户自改",
        "渗漏（影响使用，原因：施工不到位）",
        "（盖章）",
    ] {
        assert!(text.contains(words), "{words} missing");
    }
    // A character no font has is printed as 〓 and reported with the household's name.
    assert!(text.contains("王〓"));
    assert!(
        printed
            .warnings
            .iter()
            .any(|w| w.contains("王𠮷") && w.contains("𠮷")),
        "{:?}",
        printed.warnings
    );
    // The long remark wraps inside the page (no line of text runs past the right margin).
    let page_text = tool("pdftotext", &["-f", "7", "-l", "7", "-bbox", s(&pdf), "-"]);
    let words: Vec<&str> = page_text.lines().filter(|l| l.contains("<word ")).collect();
    assert!(words.len() > 20, "page 7 has its words: {page_text}");
    for word in words {
        let x_max: f32 = word
            .split("xMax=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(x_max < 595.28 - 40.0, "text past the margin: {word}");
    }
    render(&pdf, "notice", &[1, 7]);
}

#[test]
fn ledgers_repeat_their_header_on_every_page_and_count_pages() {
    let t = town();
    let dir = tempfile::tempdir().unwrap();

    let printed =
        print::problem_ledger(&t.db, &filter(Scope::Town), TODAY, "石鱼镇（全镇）").unwrap();
    let pdf = dir.path().join("问题厕所台账.pdf");
    printed.save(&pdf).unwrap();
    assert!(
        printed.pages >= 2,
        "the town's ledger runs over pages: {}",
        printed.pages
    );
    let info = tool("pdfinfo", &[s(&pdf)]);
    assert!(
        info.contains("841.89 x 595.28 pts (A4)"),
        "landscape A4: {info}"
    );
    for p in 1..=printed.pages {
        let text = tool(
            "pdftotext",
            &["-f", &p.to_string(), "-l", &p.to_string(), s(&pdf), "-"],
        );
        assert!(text.contains("问题厕所台账"), "title on page {p}");
        assert!(
            text.contains("发现的问题"),
            "header row repeated on page {p}"
        );
        assert!(
            // (pdftotext keeps or drops the spaces around the numbers by their width)
            text.replace(' ', "")
                .contains(&format!("第{p}页共{}页", printed.pages)),
            "page {p} of {}: {}",
            printed.pages,
            text.chars()
                .rev()
                .take(120)
                .collect::<String>()
                .chars()
                .rev()
                .collect::<String>()
        );
        assert!(text.contains("制表人"), "signature line on page {p}");
    }
    let whole = tool("pdftotext", &[s(&pdf), "-"]);
    assert_eq!(
        missing_names(&whole),
        Vec::<&str>::new(),
        "names on the problem ledger"
    );
    render(&pdf, "problem-ledger", &[1, 2]);

    let printed = print::toilet_ledger(&t.db, Scope::Village(t.village), TODAY, "石鱼村").unwrap();
    let pdf = dir.path().join("改厕台账.pdf");
    printed.save(&pdf).unwrap();
    let text = tool("pdftotext", &[s(&pdf), "-"]);
    assert!(text.contains("农村改厕台账") && text.contains("技术模式"));
    assert_eq!(
        missing_names(&text),
        Vec::<&str>::new(),
        "names on the toilet ledger"
    );
    assert!(
        !text.contains("13800001234"),
        "no full phone numbers on paper"
    );
    render(&pdf, "toilet-ledger", &[1]);

    let printed = print::signoff_sheet(
        &t.db,
        Scope::Village(t.village),
        crate::fixed_time(),
        "石鱼村",
    )
    .unwrap();
    let pdf = dir.path().join("签字背书表.pdf");
    printed.save(&pdf).unwrap();
    let text = tool("pdftotext", &[s(&pdf), "-"]);
    assert_eq!(
        missing_names(&text),
        Vec::<&str>::new(),
        "names on the sign-off sheet"
    );
    for words in [
        "签字背书表",
        "排查人",
        "审核人签字",
        "负责人",
        "谁排查、谁审核、谁负责",
    ] {
        assert!(text.contains(words), "{words} missing");
    }
    // The audit log's head is printed as an anchor a person can check against the log later.
    let (id, hash) = huce_core::audit::head(&t.db).unwrap().unwrap();
    let flat = text.replace(char::is_whitespace, "");
    let anchor = huce_core::anchors::printed(id, &hash).replace(' ', "");
    assert!(
        flat.contains(&format!("操作日志核对值（打印时）：{anchor}")),
        "the anchor {anchor} is on the sheet"
    );
    render(&pdf, "signoff", &[1, printed.pages]);
}

#[test]
fn the_notice_text_is_the_offices_own_and_nothing_closed_is_noticed_again() {
    let t = town();
    let custom = NoticeSettings {
        text: "请于{镇}规定时间内完成整改，逾期未整改的，由村民小组督促落实。".into(),
        contact: "周玥".into(),
        phone: "023-45678901".into(),
        plan_title: huce_core::print::DEFAULT_PLAN_TITLE.into(),
        text_district: huce_core::print::DEFAULT_DISTRICT_TEXT.into(),
    };
    custom.save(&t.db, crate::NOW).unwrap();
    assert_eq!(NoticeSettings::load(&t.db).unwrap(), custom);
    assert!(NoticeSettings {
        text: " ".into(),
        ..custom.clone()
    }
    .save(&t.db, crate::NOW)
    .is_err());
    let printed = print::notices(&t.db, &t.cases[..1], TODAY, &mut |_, _| {}).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("n.pdf");
    printed.save(&pdf).unwrap();
    let text = tool("pdftotext", &[s(&pdf), "-"]);
    assert!(text.contains("请于石鱼镇规定时间内完成整改"), "{text}");
    assert!(text.contains("023-45678901"));

    // The notice run of a village skips cases already closed out.
    let cases = print::notice_cases(&t.db, &filter(Scope::Village(t.village)), TODAY).unwrap();
    let closed: i64 =
        t.db.query_row(
            "SELECT count(*) FROM rectifications WHERE village_id = ?1 AND state = 'closed'",
            [t.village],
            |r| r.get(0),
        )
        .unwrap();
    let all: i64 =
        t.db.query_row(
            "SELECT count(*) FROM rectifications WHERE village_id = ?1",
            [t.village],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        (cases.cases.len() + cases.undecided + cases.immediate + cases.awaiting) as i64,
        all - closed
    );
    assert!(print::notices(&t.db, &[], TODAY, &mut |_, _| {}).is_err());

    // Cases ticked in the ledger: closed ones left out, the rest in place order, once each.
    let closed_one: i64 =
        t.db.query_row(
            "SELECT id FROM rectifications WHERE state = 'closed' ORDER BY id LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let picked =
        print::open_cases_among(&t.db, &[t.cases[2], closed_one, t.cases[0], t.cases[2]]).unwrap();
    assert_eq!(picked.cases, vec![t.cases[0], t.cases[2]]);
}

/// A 400 × 200 JPEG whose EXIF says "turn a quarter clockwise" (as a phone held upright saves it).
fn sideways_photo() -> Vec<u8> {
    let img = image::RgbImage::from_fn(400, 200, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut plain = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 80)
        .encode_image(&img)
        .unwrap();
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend([0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0]);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(tiff);
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend(((app1.len() + 2) as u16).to_be_bytes());
    out.extend(app1);
    out.extend(&plain[2..]);
    out
}

#[test]
fn a_household_file_has_its_inspections_cases_and_upright_photos() {
    let t = town();
    let dir = tempfile::tempdir().unwrap();
    let photo_dir = dir.path().join("photos");
    let src = dir.path().join("IMG_0001.jpg");
    std::fs::write(&src, sideways_photo()).unwrap();
    let photo = huce_core::photos::store(&t.db, &photo_dir, &src, NOW).unwrap();
    // Attach the photo to the first rare-name household's inspection.
    let (household, inspection): (i64, i64) =
        t.db.query_row(
            "SELECT household_id, inspection_id FROM rectifications WHERE id = ?1",
            [t.cases[5]],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    t.db.execute(
        "INSERT INTO inspection_photos (inspection_id, hash) VALUES (?1, ?2)",
        rusqlite::params![inspection, photo.hash],
    )
    .unwrap();

    let printed = print::household_file(&t.db, household, &photo_dir, TODAY).unwrap();
    let pdf = dir.path().join("户档案.pdf");
    printed.save(&pdf).unwrap();
    let text = tool("pdftotext", &[s(&pdf), "-"]);
    for words in [
        "农村户厕档案（一户一档）",
        "陈䶮",
        "第 1 个户厕",
        "入户核查记录（1 次）",
        "渗漏（影响使用",
        "问题整改",
        "列入问题台账",
        "三格式化粪池",
    ] {
        assert!(text.contains(words), "{words} missing: {text}");
    }
    let images = tool("pdfimages", &["-list", s(&pdf)]);
    let row = images
        .lines()
        .nth(2)
        .unwrap_or_else(|| panic!("one image: {images}"));
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(
        (cols[3], cols[4]),
        ("200", "400"),
        "the photo is upright (portrait): {row}"
    );
    assert!(printed.warnings.is_empty(), "{:?}", printed.warnings);
    render(&pdf, "household-file", &[1]);

    // Several households in one file (a sample's files): each starts on its own page.
    let other: i64 =
        t.db.query_row(
            "SELECT household_id FROM rectifications WHERE id = ?1",
            [t.cases[0]],
            |r| r.get(0),
        )
        .unwrap();
    assert_ne!(other, household);
    let one = print::household_file(&t.db, other, &photo_dir, TODAY).unwrap();
    let both = print::household_files(&t.db, &[household, other], &photo_dir, TODAY).unwrap();
    assert_eq!(both.pages, printed.pages + one.pages);
    let pdf2 = dir.path().join("户档案-两户.pdf");
    both.save(&pdf2).unwrap();
    let text2 = tool("pdftotext", &[s(&pdf2), "-"]);
    assert_eq!(
        text2.matches("农村户厕档案（一户一档）").count(),
        2,
        "two files: {text2}"
    );
    assert!(print::household_files(&t.db, &[], &photo_dir, TODAY).is_err());

    // A photo whose file went missing leaves a marked gap and a warning, not a failure. The
    // server keeps the photo's bytes in the database, not in the folder: it still prints.
    let file = t.db.engine() == huce_core::sql::Engine::File;
    assert_eq!(
        photo_dir.exists(),
        file,
        "the file's photos are in the folder"
    );
    if file {
        std::fs::remove_dir_all(&photo_dir).unwrap();
    }
    let printed = print::household_file(&t.db, household, &photo_dir, TODAY).unwrap();
    match t.db.engine() {
        huce_core::sql::Engine::File => assert!(
            printed.warnings.iter().any(|w| w.contains("照片")),
            "{:?}",
            printed.warnings
        ),
        huce_core::sql::Engine::Server => {
            assert!(printed.warnings.is_empty(), "{:?}", printed.warnings);
            let pdf = dir.path().join("户档案-无文件夹.pdf");
            printed.save(&pdf).unwrap();
            let images = tool("pdfimages", &["-list", s(&pdf)]);
            assert_eq!(images.lines().skip(2).count(), 1, "{images}");
        }
    }
}

/// The rare names (GBK's, Extension A's and the 通用规范汉字表's beyond both) on the documents of
/// one household and of a spot-check sample: household files, the sample list, the check sheets.
#[test]
fn rare_names_print_on_household_files_sample_lists_and_check_sheets() {
    let t = town();
    let dir = tempfile::tempdir().unwrap();
    let households: Vec<i64> = t.cases[..RARE.len()]
        .iter()
        .map(|c| {
            t.db.query_row(
                "SELECT household_id FROM rectifications WHERE id = ?1",
                [c],
                |r| r.get(0),
            )
            .unwrap()
        })
        .collect();
    let printed = print::household_files(&t.db, &households, &dir.path().join("p"), TODAY).unwrap();
    assert!(printed.warnings.is_empty(), "{:?}", printed.warnings);
    let pdf = dir.path().join("户档案.pdf");
    printed.save(&pdf).unwrap();
    let text = tool("pdftotext", &[s(&pdf), "-"]);
    assert_eq!(missing_names(&text), Vec::<&str>::new(), "household files");

    // The whole village drawn (the rare-name households are among its toilets).
    let sample = whole_village_sample(&t, t.village);
    for (name, printed) in [
        (
            "样本清单",
            print::sample_list(&t.db, sample.id, TODAY).unwrap(),
        ),
        (
            "核查表",
            print::check_sheets(&t.db, sample.id, TODAY).unwrap(),
        ),
    ] {
        let pdf = dir.path().join(format!("{name}.pdf"));
        printed.save(&pdf).unwrap();
        let text = tool("pdftotext", &[s(&pdf), "-"]);
        assert_eq!(missing_names(&text), Vec::<&str>::new(), "{name}");
    }
}

/// The notice cites the town's real plan (#15): by default 《{镇名}农村户厕问题摸排整改后续工作实施方案》,
/// as the seed titles it; the title is a setting of its own ({方案} in the text), and a text saved
/// with the old, nonexistent 工作方案 reads the real title.
#[test]
fn the_notice_cites_the_towns_real_plan() {
    let t = town();
    let words = |db: &TestDb| {
        let printed = print::notices(db, &t.cases[..1], TODAY, &mut |_, _| {}).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let pdf = dir.path().join("n.pdf");
        printed.save(&pdf).unwrap();
        tool("pdftotext", &[s(&pdf), "-"]).replace(['\n', ' '], "")
    };
    let defaults = NoticeSettings::load(&t.db).unwrap();
    assert_eq!(
        defaults.plan_title,
        "《{镇}农村户厕问题摸排整改后续工作实施方案》"
    );
    assert!(defaults.text.contains("{方案}"), "{}", defaults.text);
    let text = words(&t.db);
    assert!(
        text.contains("根据《石鱼镇农村户厕问题摸排整改后续工作实施方案》"),
        "{text}"
    );
    assert!(!text.contains("整改工作方案"), "{text}");

    // The office's own title.
    let mut own = defaults.clone();
    own.plan_title = "《石鱼镇农村户厕问题摸排整改后续工作实施方案（修订）》".into();
    own.save(&t.db, crate::NOW).unwrap();
    assert!(words(&t.db).contains("实施方案（修订）》"));

    // A text saved before there was a title setting, citing the plan that does not exist.
    t.db.execute(
        "UPDATE settings SET value = ?1 WHERE key = 'notice_settings'",
        [serde_json::json!({
            "text": "根据《{镇}农村户厕问题摸排整改工作方案》，经入户核查，您家户厕存在上述问题。",
            "contact": "周玥",
            "phone": "023-45678901"
        })
        .to_string()],
    )
    .unwrap();
    let old = NoticeSettings::load(&t.db).unwrap();
    assert_eq!(old.contact, "周玥");
    assert!(old.text.starts_with("根据{方案}"), "{}", old.text);
    assert!(words(&t.db).contains("根据《石鱼镇农村户厕问题摸排整改后续工作实施方案》"));
    // An empty title is the default one.
    let mut empty = old.clone();
    empty.plan_title = " ".into();
    empty.save(&t.db, crate::NOW).unwrap();
    assert_eq!(
        NoticeSettings::load(&t.db).unwrap().plan_title,
        "《{镇}农村户厕问题摸排整改后续工作实施方案》"
    );
}

/// The notice says what the case's category means (#15): the district's plan rebuilds, the
/// household lets the builders in; a 镇筹资农户自改 household rectifies with the town's share
/// and its 回执 accepts the plan. 立行立改 and undecided cases get no notice, and the run says
/// how many households were left out and why.
#[test]
fn each_category_has_its_own_notice_and_the_undecided_none() {
    let t = town();
    let words = |printed: &print::Printed| {
        let dir = tempfile::tempdir().unwrap();
        let pdf = dir.path().join("n.pdf");
        printed.save(&pdf).unwrap();
        tool("pdftotext", &[s(&pdf), "-"]).replace(['\n', ' '], "")
    };
    let town_funded = print::notices(&t.db, &t.cases[..1], TODAY, &mut |_, _| {}).unwrap();
    let text = words(&town_funded);
    for w in [
        "整改类别：计划整改·镇筹资农户自改",
        "镇补助资金：镇补助800元，其余农户自筹",
        "由您家按上列整改措施",
        "同意上述整改方案",
    ] {
        assert!(text.contains(w), "{w}: {text}");
    }
    assert!(!text.contains("纳入全区改厕计划，由政府"), "{text}");
    let district = print::notices(&t.db, &t.cases[1..2], TODAY, &mut |_, _| {}).unwrap();
    let pdf = out_dir().join("notice-district.pdf");
    district.save(&pdf).unwrap();
    render(&pdf, "notice-district", &[1]);
    let text = words(&district);
    for w in [
        "整改类别：计划整改·纳入全区改厕计划",
        "已纳入全区改厕计划",
        "为施工人员入户",
        "将配合施工人员入户整改",
    ] {
        assert!(text.contains(w), "{w}: {text}");
    }
    assert!(
        !text.contains("抓紧整改") && !text.contains("将按时完成整改"),
        "{text}"
    );

    // The office's own text for the district's cases.
    let mut own = NoticeSettings::load(&t.db).unwrap();
    own.text_district = "您家户厕已列入{镇}改厕计划，请配合。".into();
    own.save(&t.db, crate::NOW).unwrap();
    let text = words(&print::notices(&t.db, &t.cases[1..2], TODAY, &mut |_, _| {}).unwrap());
    assert!(
        text.contains("您家户厕已列入石鱼镇改厕计划，请配合。"),
        "{text}"
    );

    // The town's run: the undecided and the 立行立改 cases are left out, and said so.
    let run = print::notice_cases(&t.db, &filter(Scope::Town), TODAY).unwrap();
    let count =
        |sql: &str| -> usize { t.db.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap() as usize };
    // (A case rectified and waiting for acceptance gets its 验收单, not a notice.)
    let undecided = count(
        "SELECT COUNT(*) FROM rectifications WHERE state NOT IN ('closed', 'awaiting_acceptance') AND category IS NULL",
    );
    let immediate = count(
        "SELECT COUNT(*) FROM rectifications WHERE state NOT IN ('closed', 'awaiting_acceptance') AND category = 'immediate_fix'",
    );
    let planned = count(
        "SELECT COUNT(*) FROM rectifications WHERE state NOT IN ('closed', 'awaiting_acceptance') AND category IN ('plan_district', 'plan_town_funded')",
    );
    assert!(
        undecided > 0 && immediate > 0 && planned > 0,
        "{undecided} {immediate} {planned}"
    );
    assert_eq!(run.cases.len(), planned);
    assert_eq!((run.undecided, run.immediate), (undecided, immediate));
    let notes = run.left_out();
    assert!(
        notes
            .iter()
            .any(|n| n.contains(&format!("{undecided} 户整改类别尚未确定"))),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains(&format!("{immediate} 户属立行立改"))),
        "{notes:?}"
    );
    // Given an undecided case directly, the notice run still prints none for it.
    let some_undecided: i64 = t
        .db
        .query_row(
            "SELECT id FROM rectifications WHERE category IS NULL AND state <> 'closed' ORDER BY id LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let e = print::notices(&t.db, &[some_undecided], TODAY, &mut |_, _| {}).unwrap_err();
    assert!(e.to_string().contains("尚未确定"), "{e}");
    let picked = print::open_cases_among(&t.db, &[t.cases[0], some_undecided]).unwrap();
    assert_eq!(picked.cases, vec![t.cases[0]]);
    assert_eq!(picked.undecided, 1);
}

/// The 验收单 (#15): one page per case awaiting acceptance or closed out, with the problems, what
/// was done, the verifier's conclusion and the household head's confirmation — or, when the head
/// did not sign, why. Cases not yet rectified get none.
#[test]
fn an_acceptance_sheet_has_the_verifier_and_the_heads_confirmation() {
    use huce_core::rectification::{self, MoveInput};
    let t = town();
    let staff: Vec<i64> =
        t.db.prepare("SELECT id FROM staff ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
    let step = |case_id, to, date: &str, actor, verifier, confirmed, why: Option<&str>| {
        rectification::move_case(
            &t.db,
            &crate::local(),
            &MoveInput {
                case_id,
                to,
                actor_id: actor,
                date: date.into(),
                remark: (to == CaseState::Closed).then(|| "复核无渗漏".to_string()),
                verifier_id: verifier,
                photo: None,
                head_confirmed: confirmed,
                unconfirmed_reason: why.map(str::to_string),
                scan: None,
            },
            TODAY,
            NOW,
        )
        .unwrap()
    };
    let (closed, waiting, pending) = (t.cases[0], t.cases[1], t.cases[2]);
    for c in [closed, waiting] {
        step(
            c,
            CaseState::AwaitingAcceptance,
            "2025-05-10",
            staff[0],
            None,
            false,
            None,
        );
    }
    step(
        closed,
        CaseState::Closed,
        "2025-05-20",
        staff[1],
        Some(staff[2]),
        false,
        Some("户主外出务工，由其子代签"),
    );
    let mut req = print::DocumentRequest::new(
        print::DocumentKind::AcceptanceSheets,
        Scope::Town,
        "石鱼镇（全镇）",
    );
    req.case_ids = Some(vec![closed, waiting, pending]);
    let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 29)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap();
    let printed = print::print_document(&t.db, &req, Path::new("."), now, &mut |_, _| {}).unwrap();
    assert_eq!(printed.pages, 2, "the pending case has no 验收单");
    assert!(printed.warnings.is_empty(), "{:?}", printed.warnings);
    let pdf = out_dir().join("acceptance.pdf");
    printed.save(&pdf).unwrap();
    render(&pdf, "acceptance", &[1, 2]);
    let page = |n: usize| {
        tool(
            "pdftotext",
            &["-f", &n.to_string(), "-l", &n.to_string(), s(&pdf), "-"],
        )
        .replace(['\n', ' '], "")
    };
    let verifier: String =
        t.db.query_row("SELECT name FROM staff WHERE id = ?1", [staff[2]], |r| {
            r.get(0)
        })
        .unwrap();
    let first = page(1);
    for w in [
        "石鱼镇农村户厕问题整改验收单",
        &format!("编号：石鱼镇-{closed:06}（验收）"),
        "一、核查发现的问题",
        "整改类别：计划整改·镇筹资农户自改",
        "整改措施：重新砌筑化粪池并做防渗处理",
        "整改完成：2025年5月10日",
        "验收合格，同意销号（2025年5月20日）",
        &format!("验收人：{verifier}（签字）"),
        "四、户主确认",
        "户主（签字或按手印）",
        "户主未签字确认，原因：户主外出务工，由其子代签",
        "（盖章）",
    ] {
        assert!(first.contains(w), "{w}: {first}");
    }
    let second = page(2);
    for w in [
        "验收结论（请圈选）：合格，同意销号／不合格，继续整改",
        "户主（签字或按手印）",
    ] {
        assert!(second.contains(w), "{w}: {second}");
    }
    assert!(!second.contains("户主未签字确认"), "{second}");

    // Nothing ready for acceptance: said in Chinese.
    req.case_ids = Some(vec![pending]);
    let err = print::print_document(&t.db, &req, Path::new("."), now, &mut |_, _| {}).unwrap_err();
    assert!(err.to_string().contains("已整改待验收"), "{err}");
}

/// #15: 立行立改 gets no notice; an office that wants paper prints a short 现场整改确认单 — two to
/// a page, no deadline, signed by the inspectors and the head.
#[test]
fn an_immediate_fix_gets_a_short_onsite_slip_not_a_notice() {
    let t = town();
    let staff: Vec<i64> =
        t.db.prepare("SELECT id FROM staff ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
    // Three cases become 立行立改 (against the proposal, with a reason); one is closed on site.
    for &c in &t.cases[..3] {
        huce_core::rectification::decide(
            &t.db,
            &crate::local(),
            c,
            &Decision {
                category: Some(Category::ImmediateFix),
                override_reason: Some("池盖破损，当场更换".into()),
                measures: None,
                responsible: None,
                planned_month: None,
                funding: None,
            },
            staff[0],
            TODAY,
            NOW,
        )
        .unwrap();
    }
    let mv = |to: CaseState, actor, verifier| huce_core::rectification::MoveInput {
        case_id: t.cases[0],
        to,
        actor_id: actor,
        date: "2022-09-20".into(),
        remark: (to == CaseState::Closed).then(|| "当场查看，已整改到位".to_string()),
        verifier_id: verifier,
        photo: None,
        head_confirmed: true,
        unconfirmed_reason: None,
        scan: None,
    };
    for m in [
        mv(CaseState::AwaitingAcceptance, staff[0], None),
        mv(CaseState::Closed, staff[1], Some(staff[2])),
    ] {
        huce_core::rectification::move_case(&t.db, &crate::local(), &m, TODAY, NOW).unwrap();
    }
    let mut req = print::DocumentRequest::new(
        print::DocumentKind::OnsiteSlips,
        Scope::Town,
        "石鱼镇（全镇）",
    );
    req.case_ids = Some(t.cases[..4].to_vec());
    let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 29)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap();
    let printed = print::print_document(&t.db, &req, Path::new("."), now, &mut |_, _| {}).unwrap();
    assert_eq!(
        printed.pages, 2,
        "three slips, two to a page; the planned case has none"
    );
    let pdf = out_dir().join("onsite-slips.pdf");
    printed.save(&pdf).unwrap();
    render(&pdf, "onsite-slips", &[1]);
    let text = tool("pdftotext", &["-f", "1", "-l", "1", s(&pdf), "-"]).replace(['\n', ' '], "");
    for w in [
        "石鱼镇农村户厕问题现场整改确认单",
        &format!("编号：石鱼镇-{:06}（现场）", t.cases[0]),
        "现场整改：核查时当场整改（立行立改），2022年9月20日",
        "现场验收，同意销号",
        "核查人（签字）",
        "户主确认：上述问题已当场整改",
        "沿此线剪开",
    ] {
        assert!(text.contains(w), "{w}: {text}");
    }
    for w in ["完成时限", "整改期限", "告知单"] {
        assert!(!text.contains(w), "no deadline and no notice: {w}");
    }
}

/// #16: the 使用手册 prints with the same layer as every document: every task's title and steps,
/// and its picture (the end-to-end tests' screenshots in ui/manual/); a missing picture is said.
#[test]
fn the_manual_prints_every_task_with_its_picture() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/manual");
    let read = |name: &str| std::fs::read(dir.join(format!("{name}.jpg"))).ok();
    let printed = print::manual_pdf(&read, TODAY).unwrap();
    assert!(printed.warnings.is_empty(), "{:?}", printed.warnings);
    let pdf = out_dir().join("manual.pdf");
    printed.save(&pdf).unwrap();
    render(&pdf, "manual", &[1, 2]);
    let text = tool("pdftotext", &[s(&pdf), "-"]).replace(['\n', ' '], "");
    for section in print::MANUAL {
        assert!(text.contains(section.title), "{}", section.title);
        assert!(
            read(section.image).is_some(),
            "ui/manual/{}.jpg is committed",
            section.image
        );
    }
    assert!(!text.contains("缺失"), "every picture is there");
    assert!(!text.contains('〓'), "no character the fonts lack: {text}");
    let images = tool("pdfimages", &["-list", s(&pdf)]);
    assert_eq!(images.lines().skip(2).count(), print::MANUAL.len());

    let without = print::manual_pdf(&|_| None, TODAY).unwrap();
    let path = out_dir().join("manual-without.pdf");
    without.save(&path).unwrap();
    let text = tool("pdftotext", &[s(&path), "-"]).replace(['\n', ' '], "");
    assert!(text.contains("（截图“accounts”缺失）"), "{text}");
}

/// #20 (5): a notice whose 完成时限 is already past on the print date says so on the page, and
/// the run tells the office which households to re-plan.
#[test]
fn a_notice_whose_deadline_has_passed_says_so() {
    let t = town();
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("过期.pdf");
    // Printed in the season: the deadlines (2025) are ahead.
    let printed = print::notices(&t.db, &t.cases, "2022-10-01", &mut |_, _| {}).unwrap();
    printed.save(&pdf).unwrap();
    let text = tool("pdftotext", &["-layout", s(&pdf), "-"]);
    assert!(!text.contains("此时限已过"), "{text}");
    assert!(
        printed.notes.iter().all(|n| !n.contains("完成时限已过")),
        "{:?}",
        printed.notes
    );
    // Printed in 2026: every deadline has passed.
    let printed = print::notices(&t.db, &t.cases, "2026-11-29", &mut |_, _| {}).unwrap();
    printed.save(&pdf).unwrap();
    let text = tool("pdftotext", &[s(&pdf), "-"]);
    assert_eq!(
        text.matches("此时限已过").count(),
        t.cases.len(),
        "each page says so"
    );
    let note = printed
        .notes
        .iter()
        .find(|n| n.contains("完成时限已过"))
        .expect("the run says so");
    assert!(note.starts_with(&format!("{} 份", t.cases.len())), "{note}");
}

/// #17 (2): the village self-check's 入户排查表: one page per toilet of the 社 (a household
/// without a toilet gets one too), the baseline printed with the ID masked, the form's keys and
/// numbered checklist, and blank sheets for households found at the door.
#[test]
fn survey_sheets_are_prefilled_per_toilet_with_the_forms_keys() {
    let t = town();
    let tree = households::tree(&t.db).unwrap();
    let group = tree.villages[0].groups[0].id;
    // A household of the 社 with no toilet on the list.
    let lone = households::insert_household(
        &t.db,
        &NewHousehold {
            group_id: group,
            head_name: "无厕户".into(),
            id_number: Some("500224198503120047".into()),
            phone: None,
            address: Some("石鱼村1社9号".into()),
            registered_pop: Some(2),
            resident_pop: Some(2),
            category: HouseholdCategory::Ordinary,
            is_resident: true,
        },
        NOW,
    )
    .unwrap();
    // One whose address wraps in the table: the form below moves down on its page.
    let long_address =
        "重庆市铜梁区石鱼镇石鱼村1社大湾子老院子对面坡上第三家，从村委会沿机耕道往北走约两公里";
    households::insert_household(
        &t.db,
        &NewHousehold {
            group_id: group,
            head_name: "长地址户".into(),
            id_number: None,
            phone: None,
            address: Some(long_address.into()),
            registered_pop: Some(1),
            resident_pop: Some(1),
            category: HouseholdCategory::Ordinary,
            is_resident: true,
        },
        NOW,
    )
    .unwrap();
    let pages_due: i64 =
        t.db.query_row(
            "SELECT sum(greatest((SELECT count(*) FROM toilets x WHERE x.household_id = h.id), 1))
             FROM households h WHERE h.group_id = ?1",
            [group],
            |r| r.get(0),
        )
        .unwrap();
    let mut calls = 0;
    let printed =
        print::survey_sheets(&t.db, Scope::Group(group), 2, TODAY, &mut |_, _| calls += 1).unwrap();
    assert_eq!(
        printed.pages as i64,
        pages_due + 2,
        "a page per toilet, and 2 blanks"
    );
    assert!(calls >= 2, "progress is told");
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("入户排查表.pdf");
    printed.save(&pdf).unwrap();
    let text = tool("pdftotext", &["-layout", s(&pdf), "-"]);
    let squeezed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    for words in [
        "农村户厕问题摸排入户排查表",
        "台账底数",
        "1 正常",
        "2 无人居住",
        "1 是",
        "0 否",
        "W 无问题",
        "入户调查人（签字）",
        "户主（签字或按手印）",
        "台账中本户没有户厕",
        &format!("表号 {lone}-0"),
        "新增农户（名单上没有的农户）",
        "500224********0047",
    ] {
        let words: String = words.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(squeezed.contains(&words), "{words} missing");
    }
    assert!(!text.contains("500224198503120047"), "the ID is masked");
    // The checklist carries the numbers the form's finder takes, in the form's order.
    let items = huce_core::problem_items::problem_items(&t.db, false).unwrap();
    // The 问题口径 a new database starts with, on either engine (a new server has them too).
    let new_file = huce_core::db::open_in_memory().unwrap();
    let seeded = huce_core::problem_items::problem_items(&new_file, false).unwrap();
    let names = |items: &[huce_core::problem_items::ProblemItem]| {
        items
            .iter()
            .map(|i| (i.id, i.name.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&items), names(&seeded));
    let mut ordered = Vec::new();
    for part in ProblemPart::ALL {
        ordered.extend(items.iter().filter(|i| i.part == *part));
    }
    let page1: String = tool("pdftotext", &["-f", "1", "-l", "1", s(&pdf), "-"])
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    for (k, item) in ordered.iter().enumerate() {
        let want = format!("{}{}", k + 1, item.name.replace(' ', ""));
        assert!(page1.contains(&want), "{want} on the sheet");
    }
    assert!(
        missing_names(&text).len() < RARE.len(),
        "the 社's names print"
    );
    assert!(!text.contains('〓') || printed.warnings.iter().any(|w| w.contains("𠮷")));
    // The printed form around the values is stored once for the pages that draw it alike; the
    // page of the long address draws it lower, from its own copy, with nothing lost.
    let loaded = lopdf::Document::load_mem(&printed.bytes().unwrap()).unwrap();
    let parts: Vec<Vec<lopdf::ObjectId>> = loaded
        .get_pages()
        .into_values()
        .map(|p| loaded.get_page_contents(p))
        .collect();
    let form = |page: usize| parts[page][1];
    assert!(parts.iter().all(|p| p.len() == 3), "{:?}", &parts[..2]);
    assert_eq!(form(0), form(1), "pages 1 and 2 share the form");
    let long_page = (1..=printed.pages)
        .find(|n| {
            let n = n.to_string();
            tool("pdftotext", &["-f", &n, "-l", &n, s(&pdf), "-"]).contains("长地址户")
        })
        .expect("the long address's page");
    let page_text: String = {
        let n = long_page.to_string();
        tool("pdftotext", &["-f", &n, "-l", &n, s(&pdf), "-"])
    }
    .chars()
    .filter(|c| !c.is_whitespace())
    .collect();
    for words in [
        long_address,
        "二、基本情况",
        "W无问题",
        "户主（签字或按手印）",
    ] {
        assert!(
            page_text.contains(words),
            "{words} on the long address's page"
        );
    }
    assert_ne!(form(long_page - 1), form(0), "the lower form is its own");
    let shared = parts.iter().filter(|p| p[1] == form(0)).count();
    assert!(
        shared + 3 >= parts.len(),
        "all but the long address and the blanks share: {shared} of {}",
        parts.len()
    );
    render(&pdf, "survey-sheet", &[1, long_page, printed.pages]);

    // A place without households is said so; blanks alone still print.
    let empty = households::add_group(&t.db, tree.villages[0].id, "99社", Some(99), 99).unwrap();
    let err =
        print::survey_sheets(&t.db, Scope::Group(empty), 0, TODAY, &mut |_, _| {}).unwrap_err();
    assert!(err.to_string().contains("空白排查表"), "{err}");
    let blanks =
        print::survey_sheets(&t.db, Scope::Group(empty), 3, TODAY, &mut |_, _| {}).unwrap();
    assert_eq!(blanks.pages, 3);
}

/// The notices' data are read a batch at a time: a run longer than a batch keeps the order it
/// was given across the batches, and a case picked twice prints twice.
#[test]
fn a_long_run_of_notices_keeps_its_order_across_batches() {
    let t = town();
    let once = print::notices(&t.db, &t.cases, TODAY, &mut |_, _| {}).unwrap();
    assert!(!once.notices.is_empty());
    let rounds = 450 / t.cases.len() + 1;
    let ids: Vec<i64> = t
        .cases
        .iter()
        .copied()
        .cycle()
        .take(t.cases.len() * rounds)
        .collect();
    let many = print::notices(&t.db, &ids, TODAY, &mut |_, _| {}).unwrap();
    let expected: Vec<_> = once
        .notices
        .iter()
        .copied()
        .cycle()
        .take(once.notices.len() * rounds)
        .collect();
    assert_eq!(many.notices, expected);
    assert_eq!(many.pages, expected.len());
}

/// A household of `group` headed by `head` with one toilet, a 三格式化粪池 built with subsidy in
/// `year`: the toilet.
fn household_with_toilet(t: &Town, group: i64, head: &str, phone: Option<&str>, year: i64) -> i64 {
    let h = households::insert_household(
        &t.db,
        &NewHousehold {
            group_id: group,
            head_name: head.into(),
            id_number: None,
            phone: phone.map(str::to_string),
            address: None,
            registered_pop: Some(4),
            resident_pop: Some(4),
            category: HouseholdCategory::Ordinary,
            is_resident: true,
        },
        NOW,
    )
    .unwrap();
    households::insert_toilet(
        &t.db,
        h,
        &NewToilet {
            tech_mode: Some(TechMode::ThreeCompartment),
            location: Some(Location::Yard),
            build_year: Some(year),
            subsidized: Some(true),
            subsidy_year: Some(year),
            subsidy_amount_fen: Some(120_000),
            project_name: None,
            is_sanitary: Some(true),
            use_status: Some(UseStatus::InUse),
            baseline_source: BaselineSource::Subsidy,
        },
        NOW,
    )
    .unwrap()
}

/// A household of the town's first 社 whose one toilet was found with the first `n` problem
/// items (each with `remark` when given), its case 纳入全区改厕计划: the case.
fn case_with_problems(t: &Town, head: &str, n: usize, remark: Option<&str>) -> i64 {
    let tree = households::tree(&t.db).unwrap();
    let group = tree.villages[0].groups[0].id;
    let staff: Vec<i64> = staff::list_staff(&t.db, false)
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    let toilet = household_with_toilet(t, group, head, Some("13800005678"), 2018);
    let items = huce_core::problem_items::problem_items(&t.db, false).unwrap();
    assert!(items.len() >= n, "{} problem items", items.len());
    let problems = items
        .iter()
        .take(n)
        .map(|i| ProblemInput {
            item_id: i.id,
            stops_use: i.stops_use,
            cause: i.stops_use.then_some(Cause::Construction),
            remarks: remark.map(str::to_string),
        })
        .collect();
    let saved = inspections::save(
        &t.db,
        &crate::local(),
        &InspectionInput {
            toilet_id: toilet,
            kind: InspectionKind::VillageSelf,
            inspected_on: "2026-09-20".into(),
            members: vec![staff[0], staff[1]],
            household_status: HouseholdStatus::Normal,
            status_note: None,
            in_normal_use: Some(false),
            no_problem: false,
            problems,
            photos: vec![],
            corrections: vec![],
            remarks: None,
            recorded_by: staff[2],
            decision: Some(Decision {
                category: Some(Category::PlanDistrict),
                override_reason: Some("问题较多，纳入全区改厕计划整体整改".into()),
                measures: Some("拆除重建三格式化粪池".into()),
                responsible: Some("王强".into()),
                planned_month: Some("2027-06".into()),
                funding: Some("区级农村改厕资金".into()),
            }),
            close_on_site: None,
        },
        TODAY,
        NOW,
    )
    .unwrap();
    saved.case_id.unwrap()
}

/// A word of `pdftotext -bbox`: its box in points from the page's top-left, and its text.
#[derive(Debug, Clone)]
struct Word {
    x0: f32,
    y0: f32,
    x1: f32,
    y1: f32,
    text: String,
}

impl Word {
    /// The boxes cross by more than a hair (neighbours on a line may touch).
    fn overlaps(&self, o: &Word) -> bool {
        self.x0.max(o.x0) + 1.0 < self.x1.min(o.x1) && self.y0.max(o.y0) + 1.0 < self.y1.min(o.y1)
    }
}

/// The words of each page of `pdf`.
fn page_words(pdf: &Path) -> Vec<Vec<Word>> {
    let html = tool("pdftotext", &["-bbox", s(pdf), "-"]);
    let mut pages: Vec<Vec<Word>> = Vec::new();
    for line in html.lines() {
        let line = line.trim();
        if line.starts_with("<page ") {
            pages.push(Vec::new());
        } else if let Some(rest) = line.strip_prefix("<word ") {
            let attr = |name: &str| -> f32 {
                rest.split(&format!("{name}=\""))
                    .nth(1)
                    .and_then(|v| v.split('"').next())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| panic!("no {name} in {line}"))
            };
            let text = rest
                .split_once('>')
                .and_then(|(_, t)| t.strip_suffix("</word>"))
                .unwrap_or_default()
                .to_string();
            let word = Word {
                x0: attr("xMin"),
                y0: attr("yMin"),
                x1: attr("xMax"),
                y1: attr("yMax"),
                text,
            };
            pages.last_mut().expect("a word inside a page").push(word);
        }
    }
    pages
}

/// A page's lines from the top: words whose tops are within 2 points, joined left to right
/// without spaces, with the line's top and bottom.
fn page_lines(words: &[Word]) -> Vec<(f32, f32, String)> {
    let mut sorted = words.to_vec();
    sorted.sort_by(|a, b| a.y0.total_cmp(&b.y0));
    let mut lines: Vec<Vec<Word>> = Vec::new();
    for w in sorted {
        match lines.last_mut() {
            Some(l) if (l[0].y0 - w.y0).abs() < 2.0 => l.push(w),
            _ => lines.push(vec![w]),
        }
    }
    lines
        .into_iter()
        .map(|mut l| {
            l.sort_by(|a, b| a.x0.total_cmp(&b.x0));
            let top = l.iter().map(|w| w.y0).fold(f32::MAX, f32::min);
            let bottom = l.iter().map(|w| w.y1).fold(f32::MIN, f32::max);
            let text = l
                .into_iter()
                .flat_map(|w| w.text.chars().collect::<Vec<_>>());
            (top, bottom, text.filter(|c| !c.is_whitespace()).collect())
        })
        .collect()
}

/// Checks a printed case paper of one case (`pdf`): no word is drawn over another; every page
/// carries `number` and the household head's name, and, when the paper runs past a page,
/// 第 x 页 共 y 页; lines starting with each of `text` and then of `together` follow in this
/// order, each once in the whole paper, those of `together` all on the last page. Returns the
/// number of pages.
fn check_case_paper(
    pdf: &Path,
    number: &str,
    head: &str,
    text: &[&str],
    together: &[&str],
) -> usize {
    let pages = page_words(pdf);
    let total = pages.len();
    assert!(total > 0, "{pdf:?} has pages");
    let mut all: Vec<(usize, f32, f32, String)> = Vec::new();
    for (p, words) in pages.iter().enumerate() {
        for (i, a) in words.iter().enumerate() {
            for b in &words[i + 1..] {
                assert!(
                    !a.overlaps(b),
                    "page {}: “{}” is drawn over “{}”",
                    p + 1,
                    a.text,
                    b.text
                );
            }
        }
        let lines = page_lines(words);
        let text: String = lines.iter().map(|l| l.2.as_str()).collect();
        assert!(
            text.contains(number),
            "page {} has no {number}: {text}",
            p + 1
        );
        assert!(text.contains(head), "page {} has no {head}: {text}", p + 1);
        let page_number = format!("第{}页共{total}页", p + 1);
        assert_eq!(
            text.contains(&page_number),
            total > 1,
            "page {} of {total}: {page_number}? {text}",
            p + 1
        );
        all.extend(
            lines
                .into_iter()
                .map(|(top, bottom, l)| (p, top, bottom, l)),
        );
    }
    let find = |what: &str| -> usize {
        let at: Vec<usize> = (0..all.len())
            .filter(|&i| all[i].3.starts_with(what))
            .collect();
        assert_eq!(
            at.len(),
            1,
            "“{what}” once: {:?}",
            all.iter().map(|l| &l.3).collect::<Vec<_>>()
        );
        at[0]
    };
    let mut last = find(text[0]);
    for (k, what) in text[1..].iter().chain(together).enumerate() {
        let at = find(what);
        assert!(
            at > last,
            "“{what}” comes after “{}”: {}",
            all[last].3,
            all[at].3
        );
        if k + 1 >= text.len() {
            assert_eq!(all[at].0, total - 1, "“{what}” is on the last page");
        }
        last = at;
    }
    total
}

/// A seal box (80 × 52 points around “（盖章）”, its text 20 points below the box's top) and a
/// cut line (through the middle of its label, across the page) cross no word of their page.
fn check_seal_and_cut_line(pdf: &Path) {
    let pages = page_words(pdf);
    for (p, words) in pages.iter().enumerate() {
        for seal in words.iter().filter(|w| w.text == "（盖章）") {
            let centre = (seal.x0 + seal.x1) / 2.0;
            let top = seal.y0 - 18.0;
            let bx = Word {
                x0: centre - 40.0,
                y0: top,
                x1: centre + 40.0,
                y1: top + 52.0,
                text: "盖章框".into(),
            };
            for w in words.iter().filter(|w| w.text != seal.text) {
                assert!(
                    !bx.overlaps(w),
                    "page {}: the seal box crosses “{}”",
                    p + 1,
                    w.text
                );
            }
        }
        for label in words.iter().filter(|w| w.text.starts_with("沿此线剪开")) {
            let y = (label.y0 + label.y1) / 2.0;
            for w in words.iter().filter(|w| !std::ptr::eq(*w, label)) {
                assert!(
                    !(w.y0 < y && y < w.y1),
                    "page {}: the cut line crosses “{}”",
                    p + 1,
                    w.text
                );
            }
        }
    }
}

/// A notice of many problems — or of fewer with long remarks — flows over as many pages as it
/// needs: the seal and date, the cut line and the 回执 follow the text together, on a page that
/// says whose notice it is, and nothing is drawn over anything. A short notice stays one page.
#[test]
fn a_long_notice_keeps_its_seal_cut_line_and_receipt_together_after_the_text() {
    let t = town();
    let items = huce_core::problem_items::problem_items(&t.db, false).unwrap();
    let remark = "现场查看发现该处存在明显缺陷，农户反映已有较长时间，需要按要求整改到位";
    let dir = tempfile::tempdir().unwrap();
    let mut shown = Vec::new();
    for (head, n, remark) in [
        ("甲二问", 2, None),
        ("乙八问", 8, None),
        ("丙十六问", 16, None),
        ("丁十八问", 18, None),
        ("戊二十问", 20, None),
        ("己卅五问", 35, Some(remark)),
    ] {
        let n = n.min(items.len());
        let case = case_with_problems(&t, head, n, remark);
        let printed = print::notices(&t.db, &[case], TODAY, &mut |_, _| {}).unwrap();
        assert!(printed.warnings.is_empty(), "{:?}", printed.warnings);
        let pdf = dir.path().join(format!("告知单-{n}.pdf"));
        printed.save(&pdf).unwrap();
        let last = format!("{n}.{}（", items[n - 1].name);
        let pages = check_case_paper(
            &pdf,
            &format!("编号：石鱼镇-{case:06}"),
            head,
            &[&last, "二、整改要求"],
            &[
                "联系人：",
                "（盖章）",
                "铜梁区石鱼镇人民政府",
                "2026年11月29日",
                "沿此线剪开",
                "回执",
                "本户已收到编号为",
                "户主（签字或按手印）",
            ],
        );
        check_seal_and_cut_line(&pdf);
        assert_eq!(printed.pages, pages);
        if n <= 2 {
            assert_eq!(pages, 1, "a short notice is one page");
        }
        shown.push((pdf, n, pages));
    }
    for (pdf, n, pages) in shown {
        render(
            &pdf,
            &format!("notice-{n}-problems"),
            &(1..=pages).collect::<Vec<_>>(),
        );
    }
}

/// A 验收单 of many problems flows the same way: 三、验收意见, 四、户主确认 and the town's seal
/// with the print date follow the text together, on a page that says whose sheet it is.
#[test]
fn a_long_acceptance_sheet_keeps_its_confirmation_and_seal_together_after_the_text() {
    use huce_core::rectification::{self, MoveInput};
    let t = town();
    let items = huce_core::problem_items::problem_items(&t.db, false).unwrap();
    let staff: Vec<i64> = staff::list_staff(&t.db, false)
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    let remark = "现场查看发现该处存在明显缺陷，农户反映已有较长时间，需要按要求整改到位";
    let dir = tempfile::tempdir().unwrap();
    for (head, n, remark) in [
        ("甲二问", 2, None),
        ("乙十二问", 12, None),
        ("丙十六问", 16, None),
        ("丁二十问", 20, None),
        ("戊卅五问", 35, Some(remark)),
    ] {
        let n = n.min(items.len());
        let case = case_with_problems(&t, head, n, remark);
        rectification::move_case(
            &t.db,
            &crate::local(),
            &MoveInput {
                case_id: case,
                to: CaseState::AwaitingAcceptance,
                actor_id: staff[0],
                date: "2026-11-10".into(),
                remark: None,
                verifier_id: None,
                photo: None,
                head_confirmed: false,
                unconfirmed_reason: None,
                scan: None,
            },
            TODAY,
            NOW,
        )
        .unwrap();
        let printed = print::acceptance_sheets(&t.db, &[case], TODAY).unwrap();
        let pdf = dir.path().join(format!("验收单-{n}.pdf"));
        printed.save(&pdf).unwrap();
        let last = format!("{n}.{}（", items[n - 1].name);
        let pages = check_case_paper(
            &pdf,
            &format!("编号：石鱼镇-{case:06}（验收）"),
            head,
            &[&last, "二、整改情况"],
            &[
                "三、验收意见",
                "验收结论",
                "验收人（签字）",
                "四、户主确认",
                "户主（签字或按手印）",
                "铜梁区石鱼镇人民政府（盖章）",
                "打印日期：2026年11月29日",
            ],
        );
        assert_eq!(printed.pages, pages);
        if n <= 2 {
            assert_eq!(pages, 1, "a short sheet is one page");
        }
        render(
            &pdf,
            &format!("acceptance-{n}-problems"),
            &(1..=pages).collect::<Vec<_>>(),
        );
    }
}

/// The words of each page joined without spaces (pdftotext's reading order).
fn page_texts(pdf: &Path, pages: usize) -> Vec<String> {
    (1..=pages)
        .map(|p| {
            tool(
                "pdftotext",
                &["-f", &p.to_string(), "-l", &p.to_string(), s(pdf), "-"],
            )
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect()
        })
        .collect()
}

/// 区级抽查现场核查表 are one page each, whatever a household brings: a long address (36
/// characters takes three lines of its cell), an address longer than any cell can hold (cut,
/// marked with …), a last inspection of every problem with a long 农户状态 note. Every page is
/// a whole sheet — its title and sample line, the household, the signatures above the footer —
/// nothing is drawn over anything, and the sheets are as many as the pages.
#[test]
fn check_sheets_with_long_addresses_and_findings_are_one_page_each() {
    let t = town();
    let items = huce_core::problem_items::problem_items(&t.db, false).unwrap();
    let household_of = |case: i64| -> i64 {
        t.db.query_row(
            "SELECT household_id FROM rectifications WHERE id = ?1",
            [case],
            |r| r.get(0),
        )
        .unwrap()
    };
    let long = "重庆市铜梁区石鱼镇石鱼村1社石板桥大庙子沟老院子下湾组团第二排左起第三户";
    assert_eq!(long.chars().count(), 36);
    let longest = format!("{long}（原石鱼乡石板桥村四组，二〇一五年并村后门牌未更新，门前有大黄葛树和晒坝，从村道岔口往山上步行约一公里）");
    let many = case_with_problems(&t, "多问户", items.len(), Some("现场查看存在明显缺陷"));
    let set_address = |case: i64, address: &str| {
        t.db.execute(
            "UPDATE households SET address = ?1 WHERE id = ?2",
            rusqlite::params![address, household_of(case)],
        )
        .unwrap();
    };
    set_address(t.cases[0], long);
    set_address(t.cases[1], &longest);
    set_address(many, long);
    t.db.execute(
        "UPDATE inspections SET household_status = 'other', status_note = ?1
         WHERE id = (SELECT inspection_id FROM rectifications WHERE id = ?2)",
        rusqlite::params![
            "户主长期在外务工，房屋由其兄代管，核查时由其兄代为确认；化粪池盖板被杂物覆盖未能打开查看，约定下次入户时再查",
            many,
        ],
    )
    .unwrap();

    let sample = whole_village_sample(&t, t.village);
    let sheets = sample.toilets.len();
    let printed = print::check_sheets(&t.db, sample.id, TODAY).unwrap();
    let pdf = out_dir().join("check-sheets-long.pdf");
    printed.save(&pdf).unwrap();
    let info = tool("pdfinfo", &[s(&pdf)]);
    assert!(
        info.contains(&format!("Pages:           {sheets}\n")),
        "{sheets} sheets: {info}"
    );
    assert_eq!(printed.pages, sheets, "one page a sheet");

    let words = page_words(&pdf);
    let texts = page_texts(&pdf, sheets);
    let mut shown = Vec::new();
    for (p, words) in words.iter().enumerate() {
        for (i, a) in words.iter().enumerate() {
            for b in &words[i + 1..] {
                assert!(
                    !a.overlaps(b),
                    "page {}: “{}” is drawn over “{}”",
                    p + 1,
                    a.text,
                    b.text
                );
            }
        }
        let text = &texts[p];
        for w in [
            "石鱼镇农村户厕区级抽查现场核查表".to_string(),
            format!("第{}/{sheets}个户厕", p + 1),
            "一、农户和户厕".into(),
            "二、最近一次核查".into(),
            "三、抽查核实".into(),
            "问题说明及备注".into(),
        ] {
            assert!(text.contains(&w), "page {}: {w}? {text}", p + 1);
        }
        // The signatures end the sheet, above its footer.
        let lines = page_lines(words);
        let line = |what: &str| {
            let at: Vec<&(f32, f32, String)> =
                lines.iter().filter(|l| l.2.starts_with(what)).collect();
            assert_eq!(at.len(), 1, "page {}: “{what}” once: {lines:?}", p + 1);
            at[0].clone()
        };
        let checker = line("抽查人（签字）");
        let head = line("户主（签字或按手印）");
        let footer = line("打印日期");
        assert!(checker.1 < head.0, "page {}", p + 1);
        assert!(
            head.1 < footer.0,
            "page {}: the signatures end above the footer",
            p + 1
        );
        if [RARE[0], RARE[1], "多问户"]
            .iter()
            .any(|h| text.contains(h))
        {
            shown.push(p + 1);
        }
    }
    let page_of = |head: &str| {
        texts
            .iter()
            .position(|t| t.contains(head))
            .unwrap_or_else(|| panic!("{head} has a sheet"))
    };
    // A long address is printed whole; one longer than its cell can hold is cut, visibly.
    assert!(
        texts[page_of(RARE[0])].contains(long),
        "{}",
        texts[page_of(RARE[0])]
    );
    assert!(texts[page_of("多问户")].contains(long));
    let cut = &texts[page_of(RARE[1])];
    let start: String = long.chars().take(18).collect();
    assert!(cut.contains(&start), "{cut}");
    assert!(cut.contains('…'), "a cut address says so: {cut}");
    assert!(!cut.contains(&longest), "{cut}");
    render(&pdf, "check-sheets-long", &shown);
}

/// A household head's 立行立改 case found with the first `n` problem items (each with
/// `remark`): the case.
fn onsite_case(t: &Town, head: &str, n: usize, remark: Option<&str>) -> i64 {
    let case = case_with_problems(t, head, n, remark);
    let staff = staff::list_staff(&t.db, false).unwrap()[0].id;
    huce_core::rectification::decide(
        &t.db,
        &crate::local(),
        case,
        &Decision {
            category: Some(Category::ImmediateFix),
            override_reason: Some("问题当场整改".into()),
            measures: None,
            responsible: None,
            planned_month: None,
            funding: None,
        },
        staff,
        TODAY,
        NOW,
    )
    .unwrap();
    case
}

/// 现场整改确认单 two to a page, when a slip is long: a slip that does not fit below the cut
/// line starts a new page; one longer than a page goes on with its number and head's name on
/// the next; each slip's signatures stay with it on one page, after its problems.
#[test]
fn a_long_onsite_slip_starts_a_page_and_keeps_its_signatures() {
    let t = town();
    let items = huce_core::problem_items::problem_items(&t.db, false).unwrap();
    let remark = "现场查看发现该处存在明显缺陷，农户反映已有较长时间，已当场整改到位";
    let slips = [
        ("甲短单", onsite_case(&t, "甲短单", 2, None)),
        ("乙长单", onsite_case(&t, "乙长单", 12, Some(remark))),
        ("丙短单", onsite_case(&t, "丙短单", 1, None)),
        ("丁短单", onsite_case(&t, "丁短单", 2, None)),
        (
            "戊超长单",
            onsite_case(&t, "戊超长单", items.len(), Some(remark)),
        ),
        ("己短单", onsite_case(&t, "己短单", 2, None)),
    ];
    let ids: Vec<i64> = slips.iter().map(|s| s.1).collect();
    let printed = print::onsite_slips(&t.db, &ids).unwrap();
    let pdf = out_dir().join("onsite-slips-long.pdf");
    printed.save(&pdf).unwrap();
    check_seal_and_cut_line(&pdf);
    let pages = page_words(&pdf);
    assert_eq!(printed.pages, pages.len());

    // Every line in order, with its page.
    let mut all: Vec<(usize, String)> = Vec::new();
    for (p, words) in pages.iter().enumerate() {
        for (i, a) in words.iter().enumerate() {
            for b in &words[i + 1..] {
                assert!(
                    !a.overlaps(b),
                    "page {}: “{}” is drawn over “{}”",
                    p + 1,
                    a.text,
                    b.text
                );
            }
        }
        all.extend(page_lines(words).into_iter().map(|l| (p, l.2)));
    }
    let page_text: Vec<String> = (0..pages.len())
        .map(|p| {
            all.iter()
                .filter(|l| l.0 == p)
                .map(|l| l.1.as_str())
                .collect()
        })
        .collect();
    let starts: Vec<usize> = slips
        .iter()
        .map(|(_, case)| {
            let number = format!("编号：石鱼镇-{case:06}（现场）");
            let at: Vec<usize> = (0..all.len())
                .filter(|&i| all[i].1.ends_with(&number))
                .collect();
            assert!(!at.is_empty(), "{number}: {all:?}");
            at[0]
        })
        .collect();
    for (k, (head, case)) in slips.iter().enumerate() {
        let number = format!("编号：石鱼镇-{case:06}（现场）");
        let end = starts.get(k + 1).copied().unwrap_or(all.len());
        let own = &all[starts[k]..end];
        let find = |what: &str| -> usize {
            let at: Vec<usize> = (0..own.len())
                .filter(|&i| own[i].1.starts_with(what))
                .collect();
            assert_eq!(at.len(), 1, "{head}: “{what}” once: {own:?}");
            at[0]
        };
        let order = [
            find("核查发现的问题"),
            find("现场整改"),
            find("核查人（签字）"),
            find("户主确认"),
            find("户主（签字或按手印）"),
        ];
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{head}: {own:?}");
        // The signatures stay together, and with the slip.
        let sign_page = own[order[2]].0;
        assert_eq!(own[order[4]].0, sign_page, "{head}: signatures on one page");
        // Every page the slip reaches says whose slip it is.
        for (p, text) in page_text
            .iter()
            .enumerate()
            .take(sign_page + 1)
            .skip(own[0].0)
        {
            assert!(
                text.contains(&number) && text.contains(head),
                "{head}: page {} has no {number} or name: {text}",
                p + 1,
            );
        }
    }
    render(
        &pdf,
        "onsite-slips-long",
        &(1..=pages.len()).collect::<Vec<_>>(),
    );
}

/// A household of `group` whose one toilet was inspected (no problem) by `members`: the
/// inspection's toilet.
fn inspected_by(t: &Town, group: i64, head: &str, members: &[i64], day: &str) -> i64 {
    let toilet = household_with_toilet(t, group, head, None, 2019);
    inspections::save(
        &t.db,
        &crate::local(),
        &InspectionInput {
            toilet_id: toilet,
            kind: InspectionKind::VillageSelf,
            inspected_on: day.into(),
            members: members.to_vec(),
            household_status: HouseholdStatus::Normal,
            status_note: None,
            in_normal_use: Some(true),
            no_problem: true,
            problems: vec![],
            photos: vec![],
            corrections: vec![],
            remarks: None,
            recorded_by: members[0],
            decision: None,
            close_on_site: None,
        },
        TODAY,
        NOW,
    )
    .unwrap();
    toilet
}

/// The lines of every page of `pdf` (see [`page_lines`]), with the page's number from 0.
fn all_lines(pdf: &Path) -> Vec<Vec<String>> {
    page_words(pdf)
        .iter()
        .map(|w| page_lines(w).into_iter().map(|l| l.2).collect())
        .collect()
}

/// A 签字背书表's paper, page by page, as the checker reads it: every page carries the title,
/// its place and its own 第 x 页 共 y 页 (numbered within `place`'s sheet, which starts on page
/// `first`); the signature block (from “以上核查结果” to “负责人”) is on the last page of
/// the place's sheet, under the table's header and at least one of its rows. Returns the
/// place's pages' lines.
fn check_signoff_part(lines: &[Vec<String>], first: usize, place: &str) -> Vec<String> {
    let total = (first..lines.len())
        .take_while(|&p| p == first || !lines[p].iter().any(|l| l.contains("第1页共")))
        .count();
    let mut own = Vec::new();
    for (k, page) in lines[first..first + total].iter().enumerate() {
        let text: String = page.concat();
        assert!(
            text.contains("农村户厕问题摸排签字背书表"),
            "page {}: {text}",
            first + k + 1
        );
        assert!(
            text.contains(place),
            "page {} has no {place}: {text}",
            first + k + 1
        );
        assert!(
            text.contains(&format!("第{}页共{total}页", k + 1)),
            "page {} is page {} of {total} of {place}: {text}",
            first + k + 1,
            k + 1
        );
        own.extend(page.iter().cloned());
    }
    let last = &lines[first + total - 1];
    let at = |what: &str| -> usize {
        let found: Vec<usize> = (0..last.len())
            .filter(|&i| last[i].starts_with(what))
            .collect();
        assert_eq!(
            found.len(),
            1,
            "{place}: “{what}” once on its last page: {last:?}"
        );
        found[0]
    };
    let header = at("序号社户主");
    let block = at("以上核查结果经本人");
    let leader = at("负责人（包村镇领导）");
    assert!(
        header + 1 < block && block < leader,
        "{place}: the signatures follow rows of the table on their page: {last:?}"
    );
    for page in &lines[first..first + total - 1] {
        assert!(
            !page.iter().any(|l| l.starts_with("以上核查结果经本人")),
            "{place}: one signature block, at the end"
        );
    }
    own
}

/// 谁排查、谁审核、谁负责: on a village's 签字背书表 every inspector named on it signs on a line
/// of his or her own, naming the rows (序号) he or she inspected; so does each of several
/// reviewers who signed in the app. Printed for the whole town, every village's part is a sheet
/// of its own — headed with the village on every page, numbered within it — that ends with its
/// own 排查人 / 审核人 / 负责人 block. The block stays on one page with the last rows of the
/// table, whatever the number of rows (it never stands alone on a page).
#[test]
fn the_signoff_sheet_has_a_line_per_inspector_and_a_block_per_village() {
    use huce_core::accounts::{self, AccountInput};
    use huce_core::signoff::{self, Step};
    let t = town();
    let dir = tempfile::tempdir().unwrap();
    let inspectors_of = |scope: &str, id: i64| -> Vec<String> {
        let mut stmt = t
            .db
            .prepare(&format!(
                "SELECT DISTINCT s.name FROM inspection_members m JOIN staff s ON s.id = m.staff_id
                 JOIN toilets t ON t.id = (SELECT toilet_id FROM inspections WHERE id = m.inspection_id)
                 JOIN households h ON h.id = t.household_id
                 WHERE {scope} = ?1
                   AND m.inspection_id = (SELECT max(x.id) FROM inspections x WHERE x.toilet_id = t.id)
                 ORDER BY s.name"
            ))
            .unwrap();
        stmt.query_map([id], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    };

    // Two reviewers signed the village's results in the app, each a part.
    let admin = crate::first_admin(&t.db);
    let reviewer = |user: &str, name: &str| {
        accounts::add(
            &t.db,
            &admin,
            &AccountInput {
                username: user.into(),
                display_name: name.into(),
                role: Role::Reviewer,
                staff_id: None,
                password: Some("shiyu2022".into()),
                active: true,
            },
            NOW,
        )
        .unwrap()
    };
    let (first, second) = (reviewer("sha", "审核员甲"), reviewer("shb", "审核员乙"));
    let ids = signoff::latest_in(&t.db, Scope::Village(t.village)).unwrap();
    let half = ids.len() / 2;
    signoff::sign(&t.db, &first, &ids[..half], Step::Review, NOW).unwrap();
    signoff::sign(&t.db, &second, &ids[half..], Step::Review, NOW).unwrap();

    let village_name: String =
        t.db.query_row(
            "SELECT name FROM villages WHERE id = ?1",
            [t.village],
            |r| r.get(0),
        )
        .unwrap();
    let printed = print::signoff_sheet(
        &t.db,
        Scope::Village(t.village),
        crate::fixed_time(),
        &village_name,
    )
    .unwrap();
    // (王𠮷 of the town's households has a character no font has: said, and only that.)
    assert!(
        printed.warnings.iter().all(|w| w.contains("王𠮷")),
        "{:?}",
        printed.warnings
    );
    let pdf = dir.path().join("签字背书表-村.pdf");
    printed.save(&pdf).unwrap();
    let lines = all_lines(&pdf);
    assert_eq!(lines.len(), printed.pages);
    let own = check_signoff_part(&lines, 0, &village_name);
    let inspectors = inspectors_of("h.village_id", t.village);
    assert!(inspectors.len() >= 3, "several inspectors: {inspectors:?}");
    let signs = |who: &str| -> Vec<&String> {
        own.iter()
            .filter(|l| l.starts_with(who) && l.contains("签字：") && l.contains("日期："))
            .collect()
    };
    for name in inspectors
        .iter()
        .map(String::as_str)
        .chain(["审核员甲", "审核员乙"])
    {
        let found = signs(name);
        assert_eq!(found.len(), 1, "{name} signs on a line of his own: {own:?}");
        assert!(
            found[0].contains("序号"),
            "{name}'s line names his rows: {}",
            found[0]
        );
    }
    render(&pdf, "signoff-village", &[printed.pages]);

    // The whole town: a sheet per village, each with its own signatures.
    let printed =
        print::signoff_sheet(&t.db, Scope::Town, crate::fixed_time(), "石鱼镇（全镇）").unwrap();
    let pdf = dir.path().join("签字背书表-全镇.pdf");
    printed.save(&pdf).unwrap();
    let lines = all_lines(&pdf);
    assert_eq!(lines.len(), printed.pages);
    let villages: Vec<(i64, String)> = {
        let mut stmt =
            t.db.prepare(
                "SELECT v.id, v.name FROM villages v WHERE EXISTS (
                     SELECT 1 FROM inspections i JOIN toilets t ON t.id = i.toilet_id
                     JOIN households h ON h.id = t.household_id WHERE h.village_id = v.id)
                 ORDER BY v.sort_order, v.id",
            )
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    };
    assert!(villages.len() >= 2, "{villages:?}");
    let leaders = lines
        .iter()
        .flatten()
        .filter(|l| l.starts_with("负责人（包村镇领导）"))
        .count();
    assert_eq!(leaders, villages.len(), "a 负责人 line per village");
    let mut first = 0;
    for (id, name) in &villages {
        let own = check_signoff_part(&lines, first, name);
        first += lines[first..]
            .iter()
            .skip(1)
            .position(|p| p.iter().any(|l| l.contains("第1页共")))
            .map_or(lines.len() - first, |n| n + 1);
        for inspector in inspectors_of("h.village_id", *id) {
            assert!(
                own.iter()
                    .any(|l| l.starts_with(&inspector) && l.contains("签字：")),
                "{name}: {inspector} signs on the village's sheet: {own:?}"
            );
        }
    }
    assert_eq!(
        first,
        lines.len(),
        "every page belongs to a village's sheet"
    );
    render(&pdf, "signoff-town", &[1, printed.pages]);

    // However many rows a 社 has, its signatures are not left alone on a page.
    let staff: Vec<i64> = staff::list_staff(&t.db, false)
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    let village = huce_core::households::add_village(&t.db, "新建村", 99).unwrap();
    let group = huce_core::households::add_group(&t.db, village, "1社", Some(1), 1).unwrap();
    for n in 1..=40 {
        let members = [staff[n % 4], staff[4 + n % 3]];
        inspected_by(&t, group, &format!("新户{n}"), &members, "2026-10-08");
        if n < 10 {
            continue;
        }
        let printed =
            print::signoff_sheet(&t.db, Scope::Group(group), crate::fixed_time(), "新建村1社")
                .unwrap();
        let pdf = dir.path().join(format!("签字背书表-{n}.pdf"));
        printed.save(&pdf).unwrap();
        let lines = all_lines(&pdf);
        check_signoff_part(&lines, 0, "新建村1社");
        if n == 40 {
            render(
                &pdf,
                "signoff-group",
                &(1..=printed.pages).collect::<Vec<_>>(),
            );
        }
    }
}

/// Every word of every page of `pdf` lies on its page, inside a band of `inner` points from
/// each edge, and no word is drawn over another (by more than the font's descent).
fn words_on_their_pages(pdf: &Path, inner: f32, what: &str) {
    let html = tool("pdftotext", &["-bbox", s(pdf), "-"]);
    let size = |name: &str| -> f32 {
        html.split(&format!("<page {name}=\""))
            .nth(1)
            .or_else(|| html.split(&format!(" {name}=\"")).nth(1))
            .and_then(|v| v.split('"').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no page {name}"))
    };
    let (width, height) = (size("width"), size("height"));
    for (p, words) in page_words(pdf).iter().enumerate() {
        for (i, a) in words.iter().enumerate() {
            assert!(
                a.x0 >= inner && a.x1 <= width - inner && a.y0 >= inner && a.y1 <= height - inner,
                "{what}, page {}: “{}” runs off the page ({:.0}–{:.0} of {width:.0} points)",
                p + 1,
                a.text,
                a.x0,
                a.x1
            );
            for b in &words[i + 1..] {
                // (Boxes by the font's ascent and descent: a title's reaches 1.4 points into the
                // line below it, where no glyph is.)
                let crosses =
                    a.x0.max(b.x0) + 1.0 < a.x1.min(b.x1) && a.y0.max(b.y0) + 2.0 < a.y1.min(b.y1);
                assert!(
                    !crosses,
                    "{what}, page {}: “{}” is drawn over “{}”",
                    p + 1,
                    a.text,
                    b.text
                );
            }
        }
    }
}

/// Names as long as the office may give them — a town of 20 characters (the settings' limit),
/// a village and a 社 of 60 (the import's limit), a household head of 40 (the import's limit)
/// with an address of 200 (the import's limit) — fit the lines that print them: the titles and
/// sub-headers are set smaller, then cut with …, never run off the page or over other text.
/// The 入户排查表 keeps its 表号 and stays one page a toilet.
#[test]
fn names_at_the_limits_fit_the_titles_and_sub_headers() {
    let t = town();
    let fill = |start: &str, n: usize| -> String {
        let pool = "石板桥大庙子沟老院子下湾组团坝上新街口黄葛树晒坝岔路";
        start.chars().chain(pool.chars().cycle()).take(n).collect()
    };
    let town_name = fill("石鱼", 19) + "镇";
    huce_core::town::save_names(&t.db, "铜梁区", &town_name, NOW).unwrap();
    let village_name = fill("长名", 59) + "村";
    let group_name = fill("长名", 59) + "社";
    let head = fill("欧阳", 40);
    let address = fill("重庆市铜梁区", 200);
    for (n, name) in [
        (60, &village_name),
        (60, &group_name),
        (40, &head),
        (200, &address),
    ] {
        assert_eq!(name.chars().count(), n);
    }
    let village = huce_core::households::add_village(&t.db, &village_name, 98).unwrap();
    let group = huce_core::households::add_group(&t.db, village, &group_name, Some(1), 1).unwrap();
    let staff: Vec<i64> = staff::list_staff(&t.db, false)
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    let toilet = inspected_by(&t, group, &head, &staff[..2], "2026-10-08");
    let household: i64 =
        t.db.query_row(
            "SELECT household_id FROM toilets WHERE id = ?1",
            [toilet],
            |r| r.get(0),
        )
        .unwrap();
    t.db.execute(
        "UPDATE households SET address = ?1 WHERE id = ?2",
        rusqlite::params![address, household],
    )
    .unwrap();
    let place = format!("{village_name}{group_name}");
    let dir = tempfile::tempdir().unwrap();

    let printed =
        print::survey_sheets(&t.db, Scope::Group(group), 1, TODAY, &mut |_, _| {}).unwrap();
    let pdf = dir.path().join("入户排查表.pdf");
    printed.save(&pdf).unwrap();
    assert_eq!(printed.pages, 2, "one page for the toilet, one blank");
    assert!(printed.warnings.is_empty(), "{:?}", printed.warnings);
    words_on_their_pages(&pdf, 10.0, "入户排查表");
    let first: String = page_texts(&pdf, 1).remove(0);
    assert!(first.contains(&format!("表号{household}-1")), "{first}");
    let start: String = village_name.chars().take(10).collect();
    assert!(first.contains(&start), "the place begins the line: {first}");
    assert!(first.contains('…'), "the cut is marked: {first}");
    render(&pdf, "survey-sheet-long-names", &[1]);

    let printed = print::household_file(&t.db, household, dir.path(), TODAY).unwrap();
    let pdf = dir.path().join("农户档案.pdf");
    printed.save(&pdf).unwrap();
    words_on_their_pages(&pdf, 10.0, "农户档案");
    render(&pdf, "household-file-long-names", &[1]);

    for (scope, title, name) in [
        (Scope::Group(group), place.as_str(), "group"),
        (Scope::Town, "全镇", "town"),
    ] {
        let printed = print::signoff_sheet(&t.db, scope, crate::fixed_time(), title).unwrap();
        let pdf = dir.path().join(format!("签字背书表-{name}.pdf"));
        printed.save(&pdf).unwrap();
        words_on_their_pages(&pdf, 10.0, "签字背书表");
        if name == "group" {
            render(&pdf, "signoff-long-names", &[1]);
        }
    }

    let printed = print::pending_list(&t.db, Scope::Group(group), &place, TODAY).unwrap();
    let pdf = dir.path().join("待核实清单.pdf");
    printed.save(&pdf).unwrap();
    words_on_their_pages(&pdf, 10.0, "待核实清单");

    // And where the names stand in tables, cells and running heads.
    let case = case_with_problems(&t, &head, 2, None);
    let sample = whole_village_sample(&t, village);
    for (printed, what) in [
        (
            print::toilet_ledger(&t.db, Scope::Group(group), TODAY, &place),
            "改厕台账",
        ),
        (
            print::notices(&t.db, &[case], TODAY, &mut |_, _| {}),
            "整改告知单",
        ),
        (print::sample_list(&t.db, sample.id, TODAY), "抽查名单"),
        (print::check_sheets(&t.db, sample.id, TODAY), "现场核查表"),
    ] {
        let pdf = dir.path().join(format!("{what}.pdf"));
        printed.unwrap().save(&pdf).unwrap();
        words_on_their_pages(&pdf, 10.0, what);
    }
}

/// The 联系人 line of a notice whose case has `responsible` as its 责任人.
fn contact_line_for(t: &Town, head: &str, responsible: &str) -> String {
    let case = case_with_problems(t, head, 1, None);
    t.db.execute(
        "UPDATE rectifications SET responsible = ?1 WHERE id = ?2",
        rusqlite::params![responsible, case],
    )
    .unwrap();
    let printed = print::notices(&t.db, &[case], TODAY, &mut |_, _| {}).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("告知单.pdf");
    printed.save(&pdf).unwrap();
    let lines = all_lines(&pdf).concat();
    let found: Vec<&String> = lines.iter().filter(|l| l.starts_with("联系人：")).collect();
    assert_eq!(found.len(), 1, "{lines:?}");
    if head == "覃联系" {
        render(&pdf, "notice-contact", &[1]);
    }
    found[0].clone()
}

/// The 联系人 and 电话 of a notice: the office's own (打印设置) when it set them; otherwise the
/// case's 责任人 when the staff list has one such person with a phone; otherwise blank lines
/// to fill in by hand. (No setting holds an office phone of the town.)
#[test]
fn a_notice_names_the_responsible_person_and_phone_when_the_office_set_no_contact() {
    let t = town();
    let add = |name: &str, unit: &str, phone: Option<&str>| {
        staff::add_staff(
            &t.db,
            &staff::StaffInput {
                name: name.into(),
                unit: unit.into(),
                phone: phone.map(str::to_string),
                roles: String::new(),
                active: true,
            },
            NOW,
        )
        .unwrap()
    };
    add("覃责任", "石鱼镇农业服务中心", Some("13912345678"));
    add("冉无电话", "石鱼镇", None);
    add("向同名", "石鱼镇", Some("13900000001"));
    add("向同名", "石鱼村", Some("13900000002"));
    assert_eq!(
        NoticeSettings::load(&t.db).unwrap().contact,
        "",
        "the office set no contact"
    );
    let blank = |line: &str| line.starts_with("联系人：____") && line.contains("联系电话：____");

    let line = contact_line_for(&t, "覃联系", "覃责任");
    assert_eq!(line, "联系人：覃责任联系电话：13912345678");
    // No phone, nobody of that name, two of that name: blank lines for the pen.
    for (head, who) in [
        ("冉无号", "冉无电话"),
        ("无此人", "不在名单"),
        ("两同名", "向同名"),
    ] {
        let line = contact_line_for(&t, head, who);
        assert!(blank(&line), "{who}: {line}");
    }
    // The office's own contact comes first.
    let mut settings = NoticeSettings::load(&t.db).unwrap();
    settings.contact = "镇农业服务中心 刘主任".into();
    settings.phone = "023-45678901".into();
    settings.save(&t.db, NOW).unwrap();
    let line = contact_line_for(&t, "办公室", "覃责任");
    assert_eq!(line, "联系人：镇农业服务中心刘主任联系电话：023-45678901");
}

/// A notice running past its first page names its household on every page beside its number:
/// a head's name of 40 characters (the import's limit) in a town of 20 is set smaller, then
/// cut, and runs neither off the page nor over the number.
#[test]
fn a_long_notices_running_head_fits_beside_its_number() {
    let t = town();
    let town_name: String = "石鱼板桥大庙子沟老院子下湾组团坝上新"
        .chars()
        .take(19)
        .collect::<String>()
        + "镇";
    huce_core::town::save_names(&t.db, "铜梁区", &town_name, NOW).unwrap();
    let head: String = "欧阳石板桥大庙子沟老院子下湾组团坝上新街口黄葛树晒坝岔路"
        .chars()
        .cycle()
        .take(40)
        .collect();
    let items = huce_core::problem_items::problem_items(&t.db, false).unwrap();
    let case = case_with_problems(
        &t,
        &head,
        items.len(),
        Some("现场查看发现该处存在明显缺陷，需要整改"),
    );
    let dir = tempfile::tempdir().unwrap();
    let printed = print::notices(&t.db, &[case], TODAY, &mut |_, _| {}).unwrap();
    assert!(printed.pages >= 2, "{} pages", printed.pages);
    let pdf = dir.path().join("告知单.pdf");
    printed.save(&pdf).unwrap();
    words_on_their_pages(&pdf, 10.0, "告知单");
    let texts = page_texts(&pdf, printed.pages);
    let start: String = head.chars().take(12).collect();
    for (p, text) in texts.iter().enumerate() {
        assert!(
            text.contains(&format!("-{case:06}")),
            "page {}: {text}",
            p + 1
        );
        assert!(
            text.contains(&start),
            "page {} names the head: {text}",
            p + 1
        );
    }
    render(&pdf, "notice-long-head", &[2]);
}
