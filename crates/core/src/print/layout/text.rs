//! The bundled fonts and text measured and wrapped by them: which face has a character, what is
//! missing, and where lines break (no 。 at a line start).

use std::sync::OnceLock;

use printpdf::ParsedFont;

/// The faces bundled in `assets/fonts` (Noto Serif CJK SC, SIL OFL 1.1; see the licence there).
pub(super) static REGULAR_BYTES: &[u8] =
    include_bytes!("../../../../../assets/fonts/NotoSerifSC-Regular-GBK-ExtA.otf");
pub(super) static BOLD_BYTES: &[u8] =
    include_bytes!("../../../../../assets/fonts/NotoSerifSC-Bold-GB2312.otf");

/// Drawn for a character no bundled face has: 〓 (the typesetter's mark for a missing glyph), so
/// a wrong name is never printed silently; the document also carries a warning naming it.
pub const MISSING_MARK: char = '〓';

pub(super) fn parsed(
    cell: &'static OnceLock<ParsedFont>,
    bytes: &'static [u8],
) -> &'static ParsedFont {
    cell.get_or_init(|| {
        ParsedFont::from_bytes(bytes, 0, &mut Vec::new()).expect("the bundled font parses")
    })
}

pub(super) fn regular() -> &'static ParsedFont {
    static CELL: OnceLock<ParsedFont> = OnceLock::new();
    parsed(&CELL, REGULAR_BYTES)
}

pub(super) fn bold() -> &'static ParsedFont {
    static CELL: OnceLock<ParsedFont> = OnceLock::new();
    parsed(&CELL, BOLD_BYTES)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    /// 宋体-style body text.
    Regular,
    /// Titles and headings.
    Bold,
}

impl Face {
    pub(super) fn font(self) -> &'static ParsedFont {
        match self {
            Face::Regular => regular(),
            Face::Bold => bold(),
        }
    }
}

/// The glyph of `c` in `face`, remembered: the font's own lookup searches its character map
/// linearly, and a page asks for the same few hundred characters thousands of times (it was
/// nine tenths of the time of a long print run). Characters of the Basic Multilingual Plane are
/// kept in a table per face (0 = not looked up yet, 1 = no glyph, else glyph + 2); the rarer
/// others are looked up each time.
pub(super) fn glyph(face: Face, c: char) -> Option<u16> {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::OnceLock;
    static TABLES: OnceLock<[Vec<AtomicU32>; 2]> = OnceLock::new();
    let code = c as u32;
    if code > 0xFFFF {
        return face.font().lookup_glyph_index(code);
    }
    let tables = TABLES.get_or_init(|| {
        let table = || (0..=0xFFFF).map(|_| AtomicU32::new(0)).collect::<Vec<_>>();
        [table(), table()]
    });
    let slot = &tables[face as usize][code as usize];
    match slot.load(Ordering::Relaxed) {
        0 => {
            let found = face.font().lookup_glyph_index(code);
            slot.store(found.map_or(1, |g| u32::from(g) + 2), Ordering::Relaxed);
            found
        }
        1 => None,
        g => Some((g - 2) as u16),
    }
}

/// The code a content stream writes for glyph `gid` of `face`. The bundled faces are CID-keyed
/// CFF fonts: a glyph is written as its CID in the font's charset, and the subset printpdf
/// embeds keeps every glyph's CID (it only leaves glyphs out), so a page's codes are known as
/// soon as the page is drawn, before the document knows every glyph it uses
/// ([`super::Doc::finish`] checks this against printpdf's own writing of the same glyphs).
pub(super) fn code(face: Face, gid: u16) -> u16 {
    static MAPS: OnceLock<[Option<std::collections::BTreeMap<u16, u16>>; 2]> = OnceLock::new();
    let maps = MAPS.get_or_init(|| {
        [REGULAR_BYTES, BOLD_BYTES].map(|bytes| printpdf::cff_charset_gid_to_cid_map(bytes, 0))
    });
    maps[face as usize]
        .as_ref()
        .and_then(|m| m.get(&gid).copied())
        .unwrap_or(gid)
}

/// Which face draws `c` when `face` is wanted: the face itself, else the regular face (the bold
/// one holds GB2312 only), else none.
pub fn face_for(c: char, face: Face) -> Option<Face> {
    if c.is_control() {
        return None;
    }
    if glyph(face, c).is_some() {
        return Some(face);
    }
    if face != Face::Regular && glyph(Face::Regular, c).is_some() {
        return Some(Face::Regular);
    }
    None
}

/// The characters of `text` as they are drawn: a tab (or another control that spaces) as a
/// space, nothing for a character nobody sees (a zero-width space, a direction mark, a
/// control character): printed, those were 〓 marks asking for a character by hand.
pub fn drawn(text: &str) -> impl Iterator<Item = char> + '_ {
    text.chars().filter_map(|c| {
        if c.is_whitespace() && c.is_control() {
            Some(' ')
        } else if crate::text::invisible(c) {
            None
        } else {
            Some(c)
        }
    })
}

/// The characters of `text` that no bundled face can draw.
pub fn missing_chars(text: &str) -> Vec<char> {
    let mut out: Vec<char> = drawn(text)
        .filter(|c| !c.is_whitespace() && face_for(*c, Face::Regular).is_none())
        .collect();
    out.dedup();
    out
}

/// The advance of one character in points.
pub(super) fn advance(c: char, face: Face, size: f32) -> f32 {
    let Some(f) = face_for(c, face) else {
        return advance(MISSING_MARK, Face::Regular, size);
    };
    let font = f.font();
    let gid = glyph(f, c).unwrap_or(0);
    let upem = font.pdf_font_metrics.units_per_em.max(1) as f32;
    font.get_horizontal_advance(gid) as f32 * size / upem
}

/// The width of `text` in points.
pub fn measure(text: &str, face: Face, size: f32) -> f32 {
    drawn(text).map(|c| advance(c, face, size)).sum()
}

/// Characters that must not begin a line (Chinese line-breaking rules, 避头点).
pub(super) fn no_line_start(c: char) -> bool {
    "，。、；：？！）」』】》〉”’%‰·…—～,.;:?!)]}".contains(c)
}

/// Characters that must not end a line (避尾点).
pub(super) fn no_line_end(c: char) -> bool {
    "（「『【《〈“‘([{".contains(c)
}

/// Splits `text` into tokens: a run of Latin letters/digits stays whole; every other
/// character is a token of its own.
pub(super) fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        // A decimal point inside a number and a per cent sign after one stay with it (9.4%).
        let next_digit = chars.peek().is_some_and(|(_, n)| n.is_ascii_digit());
        let word = c.is_ascii_alphanumeric()
            || c == '-'
            || c == '*'
            || c == '/'
            || (start.is_some() && (c == '%' || (c == '.' && next_digit)));
        match (word, start) {
            (true, None) => start = Some(i),
            (true, Some(_)) => {}
            (false, Some(s)) => {
                out.push(&text[s..i]);
                start = None;
                out.push(&text[i..i + c.len_utf8()]);
            }
            (false, None) => out.push(&text[i..i + c.len_utf8()]),
        }
    }
    if let Some(s) = start {
        out.push(&text[s..]);
    }
    out
}

/// Wraps `text` into lines no wider than `width`, keeping the rules of Chinese line breaking:
/// closing punctuation hangs at the end of the line instead of starting the next one, and
/// opening punctuation moves down with the character it opens. `\n` always breaks.
pub fn wrap(text: &str, face: Face, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut line: Vec<&str> = Vec::new();
        let mut used = 0.0;
        for tok in tokens(para) {
            let w = measure(tok, face, size);
            let first = tok.chars().next().unwrap_or(' ');
            if used + w > width + 0.01 && !line.is_empty() {
                // Closing punctuation may not start a line: push the character before it down
                // with it (推出), so nothing hangs past the edge.
                let mut pushed = Vec::new();
                if no_line_start(first) {
                    while line.len() > 1
                        && line.last().is_some_and(|t| t.chars().all(no_line_start))
                    {
                        pushed.push(line.pop().unwrap());
                    }
                    if line.len() > 1 {
                        pushed.push(line.pop().unwrap());
                    } else {
                        // A one-character line: let the punctuation hang rather than loop.
                        line.append(&mut pushed);
                        line.push(tok);
                        used += w;
                        continue;
                    }
                }
                // Carry opening punctuation at the end of the line down with its text.
                let mut carry = Vec::new();
                while line
                    .last()
                    .is_some_and(|t| t.chars().all(no_line_end) && line.len() > 1)
                {
                    carry.push(line.pop().unwrap());
                }
                let done: String = line.concat();
                lines.push(done.trim_end().to_string());
                carry.reverse();
                pushed.reverse();
                carry.extend(pushed);
                line = carry;
                used = line.iter().map(|t| measure(t, face, size)).sum();
                if tok == " " {
                    continue;
                }
            }
            // A Latin run longer than the whole line is cut where it must be.
            if w > width && tok.len() > 1 {
                for c in tok.chars() {
                    let cw = advance(c, face, size);
                    if used + cw > width && !line.is_empty() {
                        lines.push(line.concat());
                        line.clear();
                        used = 0.0;
                    }
                    line.push(&tok[tok.find(c).unwrap_or(0)..][..c.len_utf8()]);
                    used += cw;
                }
                continue;
            }
            line.push(tok);
            used += w;
        }
        lines.push(line.concat().trim_end().to_string());
    }
    lines
}
