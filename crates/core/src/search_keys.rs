//! Search keys for households: name n-grams (any part of a name, including 1–2 characters, which
//! SQLite's FTS5 trigram tokenizer cannot find) and pinyin initials (拼音首字母, `zjg` → 张建国).
//!
//! Keys are stored in the `household_search` table as `n<gram>` and `p<initials>`, so one
//! B-tree answers every kind of name search with an index lookup or an index range. A name's
//! grams are its two-character parts and its last character: every character of the name
//! begins one of them, so a one-character search is the range of keys that begin with it
//! (#19: a third fewer keys to write than with every single character stored as well). Files
//! written before keep their single-character keys; the range finds them too.

use pinyin::ToPinyinMulti;

/// Surname readings that differ from the character's common reading (曾 zeng, not ceng).
/// Listed first for the first character of a name; the other readings are kept too.
const SURNAME_INITIALS: &[(char, char)] = &[
    ('曾', 'z'),
    ('单', 's'),
    ('解', 'x'),
    ('仇', 'q'),
    ('区', 'o'),
    ('查', 'z'),
    ('翟', 'z'),
    ('朴', 'p'),
    ('盖', 'g'),
    ('缪', 'm'),
    ('覃', 'q'),
    ('尉', 'y'),
    ('乐', 'y'),
    ('召', 's'),
    ('秘', 'b'),
    ('员', 'y'),
    ('种', 'c'),
];

/// At most this many initials spellings are stored for one name (polyphonic characters multiply).
const MAX_INITIALS_VARIANTS: usize = 16;

/// Prefix of name-gram keys.
pub const NAME_PREFIX: &str = "n";
/// Prefix of pinyin-initials keys.
pub const PINYIN_PREFIX: &str = "p";

/// The possible initial letters of one character, the most likely first.
fn char_initials(c: char, is_surname: bool) -> Vec<char> {
    let mut out = Vec::new();
    if is_surname {
        if let Some((_, i)) = SURNAME_INITIALS.iter().find(|(s, _)| *s == c) {
            out.push(*i);
        }
    }
    if let Some(multi) = c.to_pinyin_multi() {
        for p in multi {
            if let Some(i) = p.plain().chars().next() {
                if !out.contains(&i) {
                    out.push(i);
                }
            }
        }
    } else if c.is_ascii_alphanumeric() {
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// Every pinyin-initials spelling of a name, e.g. `曾长江` → `["zzj", "zcj", "czj", "ccj"]`.
/// Characters without a reading (punctuation, ·) are skipped.
pub fn initials_variants(name: &str) -> Vec<String> {
    initials_of(name, true)
}

/// Every pinyin-initials spelling of a term that is not a person's name (a problem item, a
/// place), e.g. `化粪池渗漏` → `["hfcsl", …]`.
pub fn term_initials(term: &str) -> Vec<String> {
    initials_of(term, false)
}

/// A list entry with the pinyin initials a type-ahead picker matches (staff, problem items).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Keyed<T> {
    #[serde(flatten)]
    pub item: T,
    pub initials: Vec<String>,
}

impl<T> Keyed<T> {
    pub fn new(item: T, initials: Vec<String>) -> Keyed<T> {
        Keyed { item, initials }
    }
}

fn initials_of(name: &str, person: bool) -> Vec<String> {
    let mut variants = vec![String::new()];
    for (i, c) in name.chars().filter(|c| !c.is_whitespace()).enumerate() {
        let options = char_initials(c, person && i == 0);
        if options.is_empty() {
            continue;
        }
        let mut next = Vec::with_capacity(variants.len() * options.len());
        for v in &variants {
            for o in &options {
                if next.len() < MAX_INITIALS_VARIANTS {
                    let mut s = v.clone();
                    s.push(*o);
                    next.push(s);
                }
            }
        }
        variants = next;
    }
    variants.retain(|v| !v.is_empty());
    variants
}

/// The two-character parts of a name and its last character (whitespace removed), e.g.
/// `张建国` → 张建, 建国, 国: every character begins one of them (see the module's notes).
pub fn name_grams(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().filter(|c| !c.is_whitespace()).collect();
    let mut grams: Vec<String> = chars.windows(2).map(|w| w.iter().collect()).collect();
    grams.extend(chars.last().map(|c| c.to_string()));
    grams.sort();
    grams.dedup();
    grams
}

/// All search keys of a household head's name, prefixed and deduplicated.
pub fn household_keys(name: &str) -> Vec<String> {
    let mut keys: Vec<String> = name_grams(name)
        .into_iter()
        .map(|g| format!("{NAME_PREFIX}{g}"))
        .chain(
            initials_variants(name)
                .into_iter()
                .map(|p| format!("{PINYIN_PREFIX}{p}")),
        )
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// What a user's search text asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// Nothing to filter by.
    All,
    /// Any part of the head's name.
    NamePart(String),
    /// The start of the pinyin initials (lower case), `zjg`.
    PinyinInitials(String),
    /// The last digits of the ID number (upper-case X), `123X`.
    IdTail(String),
}

impl Query {
    pub fn parse(text: &str) -> Query {
        let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        if t.is_empty() {
            Query::All
        } else if t
            .chars()
            .all(|c| c.is_ascii_digit() || c == 'x' || c == 'X')
            && t.chars().any(|c| c.is_ascii_digit())
        {
            Query::IdTail(t.to_ascii_uppercase())
        } else if t.chars().all(|c| c.is_ascii_alphabetic()) {
            Query::PinyinInitials(t.to_ascii_lowercase())
        } else {
            Query::NamePart(t)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_cases() {
        // (name, a spelling that must be among the variants)
        let cases = [
            ("张建国", "zjg"),
            ("曾小红", "zxh"),
            ("单雄", "sx"),
            ("解放", "xf"),
            ("仇伟", "qw"),
            ("区志强", "ozq"),
            ("查海", "zh"),
            ("翟明", "zm"),
            ("朴敏", "pm"),
            ("盖红梅", "ghm"),
            ("缪兰", "ml"),
            ("覃勇", "qy"),
            ("刘䶮", "ly"),
            ("王堃", "wk"),
            ("李长春", "lcc"),
        ];
        for (name, want) in cases {
            let v = initials_variants(name);
            assert!(
                v.iter().any(|x| x == want),
                "{name}: expected {want} among {v:?}"
            );
        }
        assert_eq!(
            initials_variants("曾小红")[0],
            "zxh",
            "the surname reading comes first"
        );
    }

    /// Every character of the 通用规范汉字表 (2013) outside GBK and CJK Extension A (the list in
    /// `assets/fonts/tgh2013-outside-gbk.tsv`, with the dictionary's readings) has its initial.
    #[test]
    fn every_standard_character_outside_gbk_has_its_initial() {
        let list = include_str!("../../../assets/fonts/tgh2013-outside-gbk.tsv");
        let mut missing = Vec::new();
        for line in list.lines() {
            let mut cols = line.split('\t');
            let (_, c, readings) = (cols.next(), cols.next(), cols.next().unwrap_or(""));
            let c = c
                .and_then(|c| c.chars().next())
                .expect("a character per line");
            let got = char_initials(c, false);
            let want: Vec<char> = readings
                .split(',')
                .filter_map(|r| {
                    let c = r.trim().chars().next()?;
                    ["āáǎàa", "ēéěèe", "ōóǒòo", "m̄ḿm"]
                        .iter()
                        .find(|v| v.contains(c))
                        .and_then(|v| v.chars().last())
                        .or(Some(c).filter(char::is_ascii_lowercase))
                })
                .collect();
            if !want.iter().any(|w| got.contains(w)) {
                missing.push(format!("{c} {readings} → {got:?}"));
            }
        }
        assert_eq!(list.lines().count(), 199);
        assert!(missing.is_empty(), "{}", missing.join("\n"));
        assert_eq!(initials_variants("王𬌗")[0].chars().next(), Some('w'));
    }

    #[test]
    fn variants_are_capped() {
        let v = initials_variants("单单单单单单");
        assert!(v.len() <= MAX_INITIALS_VARIANTS, "{} variants", v.len());
    }

    #[test]
    fn grams() {
        assert_eq!(name_grams("张建国"), vec!["国", "建国", "张建"]);
        assert_eq!(name_grams(" 李 四 "), vec!["四", "李四"]);
        assert_eq!(name_grams("王小王"), vec!["小王", "王", "王小"]);
        assert_eq!(name_grams("张"), vec!["张"]);
        assert!(name_grams(" ").is_empty());
    }

    #[test]
    fn query_kinds() {
        let cases = [
            ("", Query::All),
            ("  ", Query::All),
            ("zjg", Query::PinyinInitials("zjg".into())),
            ("ZJG", Query::PinyinInitials("zjg".into())),
            ("123x", Query::IdTail("123X".into())),
            ("0012", Query::IdTail("0012".into())),
            ("建国", Query::NamePart("建国".into())),
            ("张 建国", Query::NamePart("张建国".into())),
            ("X", Query::PinyinInitials("x".into())),
        ];
        for (text, want) in cases {
            assert_eq!(Query::parse(text), want, "parse {text:?}");
        }
    }
}
