//! Text as the office typed or pasted it, made what a person reads: full-width ASCII to
//! half-width, nothing invisible, spaces collapsed. Every imported cell and every name typed in
//! the app goes through here (a base module: the import and the field work both use it).

/// Full-width ASCII (０-９, Ａ-Ｚ, （）…) to half-width, ideographic space to space, trimmed, and
/// runs of whitespace (including line breaks inside a cell) collapsed to one space.
pub fn clean(text: &str) -> String {
    // One pass, one allocation: every cell of an import goes through here.
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars().map(half_width) {
        if c.is_whitespace() {
            space = !out.is_empty();
        } else if invisible(c) {
            // Nothing a person sees: a zero-width space would make 王​五 another name than
            // 王五, a direction override turns a name around on screen, a control character
            // (NUL, ESC) has no place in a ledger.
        } else {
            if space {
                out.push(' ');
                space = false;
            }
            out.push(c);
        }
    }
    out
}

/// Control characters and the invisible format characters: zero-width spaces and joiners,
/// direction marks, embeddings, overrides and isolates, word joiners, the BOM, soft hyphens.
pub(crate) fn invisible(c: char) -> bool {
    // Every cell of an import passes here: most characters are CJK or ASCII, decided by a
    // comparison or two. The control characters (category Cc) are U+0000–U+001F and
    // U+007F–U+009F.
    let u = c as u32;
    if u < 0x20 || (0x7F..=0x9F).contains(&u) {
        return true;
    }
    if u < 0xAD || (0x3000..0xFEFF).contains(&u) {
        return false;
    }
    matches!(
        c,
        '\u{00AD}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// One character as [`clean`] sees it: full-width ASCII to half-width, wide spaces to a space.
pub fn half_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' | '\u{00A0}' => ' ',
        _ => c,
    }
}

/// A person's name: cleaned, with all inner spaces removed ("张 三" → "张三").
pub fn name(text: &str) -> Option<String> {
    let n: String = clean(text).chars().filter(|c| !c.is_whitespace()).collect();
    (!n.is_empty()).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The quick test is the definition: the control characters and the listed format ones.
    #[test]
    fn invisible_is_exactly_the_controls_and_the_listed_format_characters() {
        let listed = |c: char| {
            matches!(
                c,
                '\u{00AD}'
                    | '\u{200B}'..='\u{200F}'
                    | '\u{202A}'..='\u{202E}'
                    | '\u{2060}'..='\u{2064}'
                    | '\u{2066}'..='\u{2069}'
                    | '\u{FEFF}'
            )
        };
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            assert_eq!(invisible(c), c.is_control() || listed(c), "{:?}", c);
        }
    }
}
