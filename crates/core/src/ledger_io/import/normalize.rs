//! Normalising one cell of an imported ledger. Every parser takes the cell's text (numbers and
//! dates already turned into text by the reader) and returns the clean value, `None` for an empty
//! cell, or a Chinese message saying what is wrong with the value as written.

use crate::model::{HouseholdCategory, Location, TechMode, UseStatus};
use crate::places::idcard;

pub type Parsed<T> = Result<Option<T>, String>;

pub use crate::text::{clean, half_width, name};

/// The value of a Chinese numeral from 0 to 99 (一, 十二, 二十一, 两, 〇).
pub fn chinese_number(text: &str) -> Option<i64> {
    fn digit(c: char) -> Option<i64> {
        Some(match c {
            '〇' | '零' => 0,
            '一' => 1,
            '二' | '两' => 2,
            '三' => 3,
            '四' => 4,
            '五' => 5,
            '六' => 6,
            '七' => 7,
            '八' => 8,
            '九' => 9,
            _ => return None,
        })
    }
    let chars: Vec<char> = text.chars().collect();
    match chars.as_slice() {
        [] => None,
        ['十'] => Some(10),
        [d] => digit(*d),
        ['十', d] => Some(10 + digit(*d)?),
        [t, '十'] => Some(digit(*t)? * 10),
        [t, '十', d] => Some(digit(*t)? * 10 + digit(*d)?),
        _ => None,
    }
}

/// A 社 as written in a ledger: its number when it has one, and the name to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupName {
    pub number: Option<i64>,
    /// "3社" for numbered groups; the cleaned text otherwise.
    pub name: String,
}

/// 3社, 三社, 3组, 三组, 第三村民小组, 第3组, 03社, 3 → the same 社 (number 3, "3社").
/// A name without a number (e.g. "石坝社") is kept as written.
pub fn group(text: &str) -> Option<GroupName> {
    let t: String = clean(text).chars().filter(|c| !c.is_whitespace()).collect();
    if t.is_empty() {
        return None;
    }
    let core = t.strip_prefix('第').unwrap_or(&t);
    let core = ["村民小组", "小组", "社", "组", "队"]
        .iter()
        .find_map(|suffix| core.strip_suffix(suffix))
        .unwrap_or(core);
    let number = if !core.is_empty() && core.chars().all(|c| c.is_ascii_digit()) {
        core.parse::<i64>().ok()
    } else {
        chinese_number(core)
    };
    match number {
        Some(n) if (1..=99).contains(&n) => Some(GroupName {
            number: Some(n),
            name: format!("{n}社"),
        }),
        _ => Some(GroupName {
            number: None,
            name: t,
        }),
    }
}

/// A village name: cleaned; "石鱼" and "石鱼村" are the same village, so a missing 村 is added;
/// the village committee (石鱼村委会, 石鱼村村民委员会) is the village.
pub fn village(text: &str) -> Option<String> {
    let t: String = clean(text).chars().filter(|c| !c.is_whitespace()).collect();
    let t = match ["村民委员会", "村委会", "村委"]
        .iter()
        .find_map(|committee| t.strip_suffix(committee))
    {
        Some(named) if !named.is_empty() => named.to_string(),
        _ => t,
    };
    if t.is_empty() {
        None
    } else if t.ends_with('村') || t.ends_with("社区") || t.ends_with("居委会") {
        Some(t)
    } else {
        Some(format!("{t}村"))
    }
}

/// A place written after the places above it ("重庆市铜梁区石鱼镇石鱼村"): `prefixes` (the city,
/// district and town names, in that order) are taken off its front where written, and nothing
/// else; the place itself is never taken off.
pub fn without_prefixes<'a>(text: &'a str, prefixes: &[String]) -> &'a str {
    let mut rest = text;
    for p in prefixes.iter().filter(|p| !p.is_empty()) {
        match rest.strip_prefix(p.as_str()) {
            Some(r) if !r.is_empty() => rest = r,
            _ => {}
        }
    }
    rest
}

/// A 社 written with its village in front ("石鱼村3社", "石鱼3组", "石鱼镇石鱼村三社"), as the
/// numbered 社 of `village`; any other 社 name as it was.
pub fn group_in_village(g: GroupName, village: &str, prefixes: &[String]) -> GroupName {
    if g.number.is_some() {
        return g;
    }
    let rest = without_prefixes(&g.name, prefixes);
    let stem = village
        .strip_suffix('村')
        .filter(|s| !s.is_empty())
        .unwrap_or(village);
    [village, stem]
        .iter()
        .find_map(|v| {
            rest.strip_prefix(v)
                .and_then(group)
                .filter(|n| n.number.is_some())
        })
        .unwrap_or(g)
}

/// A year written as 2019, 2019年, 2019年度, 2019.0, 2019-05-01, 2019/5/1, 2019年5月, 2019.05,
/// or in Chinese numerals as 二〇一九年 (二零一九年五月). Years outside 1949..=`max_year` are refused
/// as implausible, and so is what is not one year (2013年以前, 2016-2017, 2019年左右).
pub fn year(text: &str, max_year: i64) -> Parsed<i64> {
    let written = clean(text);
    if written.is_empty() {
        return Ok(None);
    }
    let t = written.as_str();
    let ascii = year_in_ascii_digits(t);
    let digits: String = ascii.chars().take_while(|c| c.is_ascii_digit()).collect();
    let rest = ascii.strip_prefix(digits.as_str()).unwrap_or("");
    let plain_number = rest.is_empty() || rest == ".0" || rest == "年" || rest == "年度";
    let date_like = month_and_day(rest);
    if digits.len() == 4 && (plain_number || date_like) {
        let y: i64 = digits.parse().map_err(|_| format!("“{t}”不是年份"))?;
        if (1949..=max_year).contains(&y) {
            return Ok(Some(y));
        }
        return Err(format!("年份“{t}”不合理：应在 1949 到 {max_year} 年之间"));
    }
    Err(format!("“{t}”不是年份，请写成 2019 或 2019年"))
}

/// A year whose four digits are Chinese numerals (二〇一九, 二零一九) with them as ASCII digits;
/// any other text as it is.
fn year_in_ascii_digits(t: &str) -> std::borrow::Cow<'_, str> {
    let head: String = t.chars().take(4).collect();
    let digits: Option<String> = head
        .chars()
        .map(|c| match c {
            '十' | '两' => None,
            c => chinese_number(&c.to_string()).map(|d| char::from(b'0' + d as u8)),
        })
        .collect();
    match digits {
        Some(d) if d.len() == 4 => std::borrow::Cow::Owned(d + &t[head.len()..]),
        _ => std::borrow::Cow::Borrowed(t),
    }
}

/// Whether what follows a year is a month and maybe a day: -05-01, /5/1, .05, 年5月, 年5月1日,
/// 年五月, 年十二月三十一日.
fn month_and_day(rest: &str) -> bool {
    let number = |s: &str, max: u32| {
        (1..=2).contains(&s.len())
            && s.chars().all(|c| c.is_ascii_digit())
            && s.parse::<u32>().is_ok_and(|n| (1..=max).contains(&n))
    };
    if let Some(cn) = rest.strip_prefix('年') {
        let Some((month, day)) = cn.split_once('月') else {
            return false;
        };
        let either = |s: &str, max: i64| {
            number(s, max as u32) || chinese_number(s).is_some_and(|n| (1..=max).contains(&n))
        };
        return either(month, 12)
            && (day.is_empty() || day.strip_suffix('日').is_some_and(|d| either(d, 31)));
    }
    let Some(sep) = rest.chars().next().filter(|c| matches!(c, '-' | '/' | '.')) else {
        return false;
    };
    // A date with its time (2019-05-01 08:30:00, 2019-05-01T08:30).
    let rest = match rest.split_once([' ', 'T']) {
        Some((date, time)) if time.chars().all(|c| c.is_ascii_digit() || c == ':') => date,
        _ => rest,
    };
    let mut parts = rest[1..].split(sep);
    let month = parts.next().unwrap_or("");
    let day = parts.next();
    parts.next().is_none() && number(month, 12) && day.is_none_or(|d| number(d, 31))
}

/// Yes/no as ledgers write it: 是/否, √/×, 有/无, 1/0, Y/N, 已/未.
pub fn yes_no(text: &str) -> Parsed<bool> {
    let t = clean(text).to_lowercase();
    if t.is_empty() {
        return Ok(None);
    }
    const YES: &[&str] = &[
        "是",
        "√",
        "✓",
        "✔",
        "有",
        "1",
        "y",
        "yes",
        "true",
        "对",
        "已",
        "已补助",
        "享受",
    ];
    const NO: &[&str] = &[
        "否",
        "×",
        "✗",
        "✘",
        "x",
        "无",
        "没有",
        "0",
        "n",
        "no",
        "false",
        "未",
        "未补助",
        "不是",
        "/",
    ];
    if YES.contains(&t.as_str()) {
        Ok(Some(true))
    } else if NO.contains(&t.as_str()) {
        Ok(Some(false))
    } else {
        Err(format!("“{t}”看不出是“是”还是“否”，请填写 是 或 否"))
    }
}

/// An amount of money in yuan (1000, 1,000, 1000元, ￥1000.50, 0.1万元) → fen.
pub fn amount_fen(text: &str) -> Parsed<i64> {
    let mut t: String = clean(text)
        .chars()
        .filter(|c| !matches!(c, ',' | '，' | ' ' | '￥' | '¥'))
        .collect();
    if t.is_empty() {
        return Ok(None);
    }
    let mut scale = 1.0;
    if let Some(s) = t.strip_suffix("万元").or_else(|| t.strip_suffix('万')) {
        scale = 10_000.0;
        t = s.to_string();
    } else if let Some(s) = t.strip_suffix('元') {
        t = s.to_string();
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 && v * scale < 10_000_000.0 => {
            Ok(Some((v * scale * 100.0).round() as i64))
        }
        Ok(_) => Err(format!(
            "金额“{}”不合理，请填写以元为单位的数字",
            clean(text)
        )),
        Err(_) => Err(format!(
            "“{}”不是金额，请填写以元为单位的数字，例如 1000",
            clean(text)
        )),
    }
}

/// Why an ID number cannot be taken as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdProblem {
    /// Excel stored it as a number and kept only 15 significant digits.
    TruncatedByExcel,
    /// A 15-digit first-generation number.
    OldFormat,
    /// Not 18 characters, or letters where digits belong.
    Malformed,
    /// 18 characters but the check character is wrong.
    BadChecksum,
}

impl IdProblem {
    pub fn message(&self, written: &str) -> String {
        match self {
            IdProblem::TruncatedByExcel => format!(
                "身份证号已被Excel截断（“{written}”）：Excel 把它当成数字，只保留了前 15 位。请把这一列设为“文本”格式后重新填写"
            ),
            IdProblem::OldFormat => format!("“{written}”是 15 位旧身份证号，请换成 18 位身份证号"),
            IdProblem::Malformed => format!("身份证号“{written}”格式不对：应为 18 位，最后一位可以是 X"),
            IdProblem::BadChecksum => format!("身份证号“{written}”校验位不正确，可能有数字抄错，请核对"),
        }
    }
}

/// An ID number as a cell holds it. `from_number` is true when the spreadsheet stored the cell as
/// a number (then the last digits are already lost and nothing can "repair" it).
pub fn id_number(text: &str, from_number: bool) -> Result<Option<String>, IdProblem> {
    let t: String = clean(text)
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\'')
        .collect();
    if t.is_empty() {
        return Ok(None);
    }
    let upper = t.to_ascii_uppercase();
    if from_number || upper.contains("E+") || upper.contains('.') {
        return Err(IdProblem::TruncatedByExcel);
    }
    if upper.len() == 15 && upper.bytes().all(|b| b.is_ascii_digit()) {
        return Err(IdProblem::OldFormat);
    }
    // Counted in characters: a cell is untrusted text (a "×" for an X is two bytes).
    let chars: Vec<char> = upper.chars().collect();
    if chars.len() != 18 || !chars[..17].iter().all(|c| c.is_ascii_digit()) {
        return Err(IdProblem::Malformed);
    }
    if idcard::is_valid(&upper) {
        Ok(Some(upper))
    } else if upper.ends_with("000") {
        // 15 significant digits followed by zeros: a number Excel rounded, pasted back as text.
        Err(IdProblem::TruncatedByExcel)
    } else {
        Err(IdProblem::BadChecksum)
    }
}

/// A phone number: mobile (11 digits from 1) or landline (区号-号码); separators removed.
pub fn phone(text: &str) -> Parsed<String> {
    let t = clean(text);
    if t.is_empty() {
        return Ok(None);
    }
    let digits: String = t.chars().filter(|c| c.is_ascii_digit()).collect();
    let only_phone_chars = t
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '-' | ' ' | '(' | ')' | '+'));
    let digits = digits
        .strip_prefix("86")
        .filter(|d| d.len() == 11)
        .map(str::to_string)
        .unwrap_or(digits);
    if only_phone_chars && digits.len() == 11 && digits.starts_with('1') {
        Ok(Some(digits))
    } else if only_phone_chars && (10..=12).contains(&digits.len()) && digits.starts_with('0') {
        Ok(Some(format!("{}-{}", &digits[..3], &digits[3..])))
    } else {
        Err(format!(
            "联系电话“{t}”不对：手机号应为 11 位，座机写成 023-12345678"
        ))
    }
}

/// A whole number of people, 0..=50.
pub fn people(text: &str) -> Parsed<i64> {
    let t = clean(text);
    let t = t.strip_suffix('人').unwrap_or(&t).trim().to_string();
    if t.is_empty() {
        return Ok(None);
    }
    let t = t.strip_suffix(".0").unwrap_or(&t);
    match t.parse::<i64>() {
        Ok(n) if (0..=50).contains(&n) => Ok(Some(n)),
        _ => Err(format!("人口数“{t}”不对，请填写 0 到 50 之间的整数")),
    }
}

/// Looks `text` up in a synonym table after cleaning and removing spaces.
fn lookup<T: Copy>(text: &str, table: &[(&str, T)], what: &str, choices: &str) -> Parsed<T> {
    let t: String = clean(text).chars().filter(|c| !c.is_whitespace()).collect();
    if t.is_empty() {
        return Ok(None);
    }
    table
        .iter()
        .find(|(k, _)| *k == t)
        .map(|(_, v)| Some(*v))
        .ok_or_else(|| format!("{what}“{t}”无法识别，请填写：{choices}"))
}

pub fn tech_mode(text: &str) -> Parsed<TechMode> {
    use TechMode::*;
    const TABLE: &[(&str, TechMode)] = &[
        ("三格式化粪池", ThreeCompartment),
        ("三格式", ThreeCompartment),
        ("三格化粪池", ThreeCompartment),
        ("三格式化粪池厕所", ThreeCompartment),
        ("双瓮漏斗式", DoubleUrn),
        ("双瓮式", DoubleUrn),
        ("双瓮", DoubleUrn),
        ("三瓮式", ThreeUrn),
        ("三瓮", ThreeUrn),
        ("完整下水道水冲式", Sewer),
        ("完整下水道水冲式(接入管网)", Sewer),
        ("下水道水冲式", Sewer),
        ("完整下水道", Sewer),
        ("接入管网", Sewer),
        ("水冲式(接入管网)", Sewer),
        ("粪尿分集式", UrineDiversion),
        ("粪尿分集", UrineDiversion),
        ("双坑交替式", DoublePit),
        ("双坑交替", DoublePit),
        ("双坑式", DoublePit),
        ("沼气池式", Biogas),
        ("沼气池", Biogas),
        ("三联通沼气池", Biogas),
        ("三联通沼气池式", Biogas),
        ("三联通", Biogas),
        ("粪尿集中清运", CentralCollection),
        ("集中清运", CentralCollection),
        ("其他卫生厕所", OtherSanitary),
        ("其它卫生厕所", OtherSanitary),
        ("其他", Other),
        ("其它", Other),
        ("其他类型", Other),
        ("其他模式", Other),
        ("其他方式", Other),
        ("其他技术模式", Other),
        ("非卫生厕所", NonSanitary),
        ("旱厕", NonSanitary),
        ("简易旱厕", NonSanitary),
        ("无厕所", NoToilet),
        ("无", NoToilet),
    ];
    lookup(text, TABLE, "技术模式", "三格式化粪池、双瓮漏斗式、三瓮式、完整下水道水冲式、粪尿分集式、双坑交替式、沼气池式、粪尿集中清运、其他卫生厕所、其他、非卫生厕所、无厕所")
}

pub fn location(text: &str) -> Parsed<Location> {
    const TABLE: &[(&str, Location)] = &[
        ("室内", Location::Indoor),
        ("户内", Location::Indoor),
        ("屋内", Location::Indoor),
        ("院内", Location::Yard),
        ("院子内", Location::Yard),
        ("庭院内", Location::Yard),
        ("院外", Location::Outside),
        ("户外", Location::Outside),
        ("庭院外", Location::Outside),
        ("院子外", Location::Outside),
        ("其他", Location::Other),
        ("其它", Location::Other),
        ("其他位置", Location::Other),
    ];
    lookup(text, TABLE, "厕所位置", "室内、院内、院外、其他")
}

pub fn use_status(text: &str) -> Parsed<UseStatus> {
    const TABLE: &[(&str, UseStatus)] = &[
        ("正常使用", UseStatus::InUse),
        ("正常", UseStatus::InUse),
        ("在用", UseStatus::InUse),
        ("使用", UseStatus::InUse),
        ("闲置", UseStatus::Idle),
        ("闲置(具备使用功能)", UseStatus::Idle),
        ("无法使用", UseStatus::Unusable),
        ("不能使用", UseStatus::Unusable),
        ("不能正常使用", UseStatus::Unusable),
        ("已拆除", UseStatus::Demolished),
        ("拆除", UseStatus::Demolished),
    ];
    let t: String = clean(text).chars().filter(|c| !c.is_whitespace()).collect();
    // Under 是否正常使用: 是 is in use; 否 does not say whether it is idle or broken.
    match t.as_str() {
        "是" | "√" => return Ok(Some(UseStatus::InUse)),
        "否" | "×" => {
            return Err(format!(
                "使用状态“{t}”没有说明是闲置还是无法使用，请填写：闲置、无法使用 或 已拆除"
            ))
        }
        _ => {}
    }
    lookup(text, TABLE, "使用状态", "正常使用、闲置、无法使用、已拆除")
}

/// Whether a toilet is sanitary: yes/no ([`yes_no`]) or the answer written out (卫生厕所,
/// 非卫生厕所), as a 是否卫生厕所 column often has it.
pub fn sanitary(text: &str) -> Parsed<bool> {
    let t: String = clean(text).chars().filter(|c| !c.is_whitespace()).collect();
    match t.as_str() {
        "卫生厕所" | "卫生户厕" | "卫生" => Ok(Some(true)),
        "非卫生厕所" | "非卫生户厕" | "非卫生" | "不卫生" => Ok(Some(false)),
        _ => yes_no(text),
    }
}

pub fn category(text: &str) -> Parsed<HouseholdCategory> {
    use HouseholdCategory::*;
    const TABLE: &[(&str, HouseholdCategory)] = &[
        ("脱贫户", PovertyAlleviated),
        ("脱贫人口", PovertyAlleviated),
        ("建档立卡户", PovertyAlleviated),
        ("建档立卡贫困户", PovertyAlleviated),
        ("脱贫不稳定户", Monitored),
        ("监测对象", Monitored),
        ("监测户", Monitored),
        ("边缘易致贫户", Monitored),
        ("突发严重困难户", Monitored),
        ("一般农户", Ordinary),
        ("一般户", Ordinary),
        ("非贫困户", Ordinary),
        ("普通农户", Ordinary),
    ];
    lookup(text, TABLE, "户类别", "脱贫户、监测对象、一般农户")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::invisible;

    #[test]
    fn clean_cases() {
        let cases = [
            ("  张三 ", "张三"),
            ("２０１９年", "2019年"),
            ("（接入管网）", "(接入管网)"),
            ("3\u{3000}社", "3 社"),
            ("a\n b\t c", "a b c"),
        ];
        for (input, want) in cases {
            assert_eq!(clean(input), want, "clean({input:?})");
        }
        assert_eq!(name(" 张 三 "), Some("张三".into()));
        assert_eq!(name("  "), None);
    }

    #[test]
    fn villages_and_groups_as_offices_write_them() {
        for (written, want) in [
            ("石鱼村", "石鱼村"),
            ("石鱼", "石鱼村"),
            ("石鱼村委会", "石鱼村"),
            ("石鱼村村委会", "石鱼村"),
            ("石鱼村村民委员会", "石鱼村"),
            ("新市社区", "新市社区"),
        ] {
            assert_eq!(
                village(written).as_deref(),
                Some(want),
                "village({written:?})"
            );
        }
        let prefixes: Vec<String> = ["重庆市", "铜梁区", "石鱼镇"].map(String::from).to_vec();
        for (written, want) in [
            ("重庆市铜梁区石鱼镇石鱼村", "石鱼村"),
            ("铜梁区石鱼镇石鱼村", "石鱼村"),
            ("石鱼镇石鱼村", "石鱼村"),
            ("石鱼镇", "石鱼镇"),
            ("新市村", "新市村"),
            ("石鱼村", "石鱼村"),
        ] {
            assert_eq!(without_prefixes(written, &prefixes), want, "{written:?}");
        }
        let g = |t: &str| group_in_village(group(t).unwrap(), "石鱼村", &prefixes);
        assert_eq!(g("石鱼村3社").name, "3社");
        assert_eq!(g("石鱼三组").name, "3社");
        assert_eq!(g("石鱼镇石鱼村第三村民小组").name, "3社");
        assert_eq!(g("3社").name, "3社");
        assert_eq!(g("大湾社").name, "大湾社", "a named 社 keeps its name");
        assert_eq!(g("石鱼村大湾社").name, "石鱼村大湾社");
    }

    /// The one-pass `clean` is the definition: half-width, nothing invisible, then the words
    /// joined by one space.
    #[test]
    fn clean_is_half_width_words_joined_by_one_space() {
        let pieces = [
            "", " ", "\u{3000}", "\u{00A0}", "\n", "\r\n", "\t", "\u{2028}", "\u{FEFF}", "张",
            "\u{200B}", "\0", "\u{202E}", "３", "Ａ", "ｘ", "（", "a", "〇", "𠀀", "\u{FF5E}",
            "\u{FF5F}", "  ",
        ];
        let reference = |t: &str| {
            let half: String = t
                .chars()
                .map(half_width)
                .filter(|c| c.is_whitespace() || !invisible(*c))
                .collect();
            half.split_whitespace().collect::<Vec<_>>().join(" ")
        };
        let mut seed = 7u64;
        for _ in 0..5000 {
            let mut text = String::new();
            for _ in 0..(seed % 7) {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                text.push_str(pieces[(seed >> 33) as usize % pieces.len()]);
            }
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            assert_eq!(clean(&text), reference(&text), "clean({text:?})");
        }
    }

    #[test]
    fn chinese_numbers() {
        let cases = [
            ("一", Some(1)),
            ("十", Some(10)),
            ("十二", Some(12)),
            ("二十", Some(20)),
            ("二十一", Some(21)),
            ("两", Some(2)),
            ("九十九", Some(99)),
            ("百", None),
            ("", None),
            ("三三三", None),
        ];
        for (t, want) in cases {
            assert_eq!(chinese_number(t), want, "{t}");
        }
    }

    #[test]
    fn group_spellings_are_one_group() {
        for t in [
            "3社",
            "三社",
            "3组",
            "三组",
            "第三村民小组",
            "第3村民小组",
            "第三组",
            "03社",
            "３社",
            " 3 社 ",
            "3",
            "三队",
            "3小组",
        ] {
            assert_eq!(
                group(t),
                Some(GroupName {
                    number: Some(3),
                    name: "3社".into()
                }),
                "{t:?}"
            );
        }
        assert_eq!(group("十二社").unwrap().number, Some(12));
        assert_eq!(
            group("石坝社"),
            Some(GroupName {
                number: None,
                name: "石坝社".into()
            })
        );
        assert_eq!(group(""), None);
        assert_eq!(
            group("0社").unwrap().number,
            None,
            "there is no 社 number 0"
        );
    }

    #[test]
    fn villages() {
        assert_eq!(village("石鱼"), Some("石鱼村".into()));
        assert_eq!(village(" 石鱼村 "), Some("石鱼村".into()));
        assert_eq!(village("石鱼社区"), Some("石鱼社区".into()));
        assert_eq!(village(""), None);
    }

    #[test]
    fn years() {
        let ok = [
            ("2019", 2019),
            ("2019年", 2019),
            ("2019.0", 2019),
            ("2019-05-01", 2019),
            ("2019/5/1", 2019),
            ("2019年5月", 2019),
            ("２０１９", 2019),
            ("2019.05", 2019),
            ("2019年度", 2019),
            ("2019年5月1日", 2019),
            ("2019-5", 2019),
            ("2019-05-01 08:30:00", 2019),
            // In Chinese numerals, as a village's ledger may write it.
            ("二〇一九", 2019),
            ("二零一七年", 2017),
            ("二〇一八年度", 2018),
            ("二〇一九年五月", 2019),
            ("二〇一九年十二月三十一日", 2019),
            ("2019年十月", 2019),
        ];
        for (t, want) in ok {
            assert_eq!(year(t, 2026), Ok(Some(want)), "{t}");
        }
        assert_eq!(year("", 2026), Ok(None));
        // Not one year (found in review: these were read as the year they begin with, right
        // on the 2017/2018 line the rules draw): left for checking instead.
        for vague in [
            "2013年以前",
            "2018年后",
            "2016-2017",
            "2019年左右",
            "2016/2017",
            "2019年底前",
        ] {
            assert!(year(vague, 2026).is_err(), "{vague} must be refused");
        }
        for bad in [
            "19",
            "一九",
            "二〇三〇",
            "二〇一九年十三月",
            "二十一九",
            "2030",
            "1900",
            "43466",
            "去年",
        ] {
            assert!(year(bad, 2026).is_err(), "{bad} must be refused");
        }
        assert!(year("2030", 2026).unwrap_err().contains("1949 到 2026"));
    }

    /// Found in review: invisible and control characters in a name made "王\u{200b}五" another
    /// household than 王五, turned 李四五 around on screen (U+202E), and stored a NUL.
    #[test]
    fn invisible_and_control_characters_are_dropped() {
        assert_eq!(clean("王\u{200b}五"), "王五");
        assert_eq!(name("李\u{202e}四五"), Some("李四五".into()));
        assert_eq!(clean("张\0三\u{7}"), "张三");
        assert_eq!(clean("\u{feff}石鱼村\u{1b}[31m"), "石鱼村[31m");
        assert_eq!(clean("王\u{2060}五\u{ad}"), "王五");
        assert_eq!(
            clean("张三\t李四\n"),
            "张三 李四",
            "tabs and line breaks stay spaces"
        );
    }

    /// Found in review: the answers ledgers give under 是否正常使用 and 是否卫生厕所.
    #[test]
    fn answers_under_yes_no_headers_of_use_and_sanitary() {
        assert_eq!(use_status("是"), Ok(Some(UseStatus::InUse)));
        let no = use_status("否").unwrap_err();
        assert!(no.contains("闲置") && no.contains("无法使用"), "{no}");
        for (t, want) in [
            ("卫生厕所", true),
            ("卫生户厕", true),
            ("非卫生厕所", false),
            ("非卫生", false),
            ("是", true),
            ("否", false),
        ] {
            assert_eq!(sanitary(t), Ok(Some(want)), "{t}");
        }
        assert!(sanitary("不知道").is_err());
    }

    #[test]
    fn yes_no_cases() {
        for t in ["是", "√", "有", "1", "Y", "yes", "已"] {
            assert_eq!(yes_no(t), Ok(Some(true)), "{t}");
        }
        for t in ["否", "×", "无", "0", "N", "no", "未"] {
            assert_eq!(yes_no(t), Ok(Some(false)), "{t}");
        }
        assert_eq!(yes_no(" "), Ok(None));
        assert!(yes_no("可能").is_err());
    }

    #[test]
    fn amounts() {
        let ok = [
            ("1000", 100_000),
            ("1,000", 100_000),
            ("1000元", 100_000),
            ("￥1000.50", 100_050),
            ("0.1万元", 100_000),
            ("１２００", 120_000),
        ];
        for (t, want) in ok {
            assert_eq!(amount_fen(t), Ok(Some(want)), "{t}");
        }
        assert_eq!(amount_fen(""), Ok(None));
        for bad in ["一千", "-5", "abc", "99999999"] {
            assert!(amount_fen(bad).is_err(), "{bad} must be refused");
        }
    }

    #[test]
    fn id_numbers() {
        assert_eq!(
            id_number("11010519491231002x", false),
            Ok(Some("11010519491231002X".into()))
        );
        assert_eq!(
            id_number(" 110105 19491231002X ", false),
            Ok(Some("11010519491231002X".into()))
        );
        assert_eq!(id_number("", false), Ok(None));
        let cases = [
            ("5.00224E+17", false, IdProblem::TruncatedByExcel),
            ("500224199001011234", true, IdProblem::TruncatedByExcel),
            ("500224199001011000", false, IdProblem::TruncatedByExcel),
            ("500224900101123", false, IdProblem::OldFormat),
            ("50022419900101123", false, IdProblem::Malformed),
            ("5002241990010112AB", false, IdProblem::Malformed),
            ("110105194912310021", false, IdProblem::BadChecksum),
        ];
        for (t, numeric, want) in cases {
            assert_eq!(id_number(t, numeric), Err(want.clone()), "{t}");
        }
        assert!(IdProblem::TruncatedByExcel
            .message("5.00224E+17")
            .contains("身份证号已被Excel截断"));
    }

    #[test]
    fn phones() {
        assert_eq!(phone("138 1234 5678"), Ok(Some("13812345678".into())));
        assert_eq!(phone("+86 13812345678"), Ok(Some("13812345678".into())));
        assert_eq!(phone("023-45678901"), Ok(Some("023-45678901".into())));
        assert_eq!(phone(""), Ok(None));
        assert!(phone("1381234").is_err());
        assert!(phone("无").is_err());
    }

    #[test]
    fn vocabularies() {
        assert_eq!(tech_mode("三格式"), Ok(Some(TechMode::ThreeCompartment)));
        assert_eq!(
            tech_mode("完整下水道水冲式（接入管网）"),
            Ok(Some(TechMode::Sewer))
        );
        assert_eq!(tech_mode("三联通沼气池"), Ok(Some(TechMode::Biogas)));
        assert!(tech_mode("马桶")
            .unwrap_err()
            .contains("技术模式“马桶”无法识别"));
        for m in TechMode::ALL {
            assert_eq!(
                tech_mode(m.label()),
                Ok(Some(*m)),
                "every label is accepted: {}",
                m.label()
            );
        }
        for s in UseStatus::ALL {
            assert_eq!(use_status(s.label()), Ok(Some(*s)), "{}", s.label());
        }
        for l in Location::ALL {
            assert_eq!(location(l.label()), Ok(Some(*l)));
        }
        for c in HouseholdCategory::ALL {
            assert_eq!(category(c.label()), Ok(Some(*c)));
        }
        assert_eq!(people("3人"), Ok(Some(3)));
        assert_eq!(people("3.0"), Ok(Some(3)));
        assert!(people("-1").is_err());
    }
}
