//! What calamine does not say about an .xlsx sheet, found by searching its inflated parts for a
//! few words instead of parsing them: whether any sheet has merged cells, and which rows and
//! columns of each sheet are hidden (`<row r="5" hidden="1">`, `<col min="3" max="3"
//! hidden="1"/>`). The search is a fraction of what calamine takes to parse a sheet. An .xls
//! file's hidden rows and columns are read from its ROW and COLINFO records ([`scan_xls`]).

use std::io::{Cursor, Read};

use memchr::memmem::Finder;

use super::guard::{biff_records, le_u16, le_u32, BiffRecord, MAX_FILE_BYTES};

/// The rows and columns of one sheet hidden in Excel, counted from 0 (rows in order).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Hidden {
    pub rows: Vec<u32>,
    /// Ranges of columns, first and last.
    pub columns: Vec<(u32, u32)>,
}

/// A sheet with nothing hidden.
static NOTHING_HIDDEN: Hidden = Hidden {
    rows: Vec::new(),
    columns: Vec::new(),
};

impl Hidden {
    pub fn column(&self, col: u32) -> bool {
        self.columns.iter().any(|&(a, b)| a <= col && col <= b)
    }

    fn is_empty(&self) -> bool {
        self.rows.is_empty() && self.columns.is_empty()
    }
}

/// What searching an .xlsx file's parts found.
#[derive(Debug, Default)]
pub(super) struct Scan {
    /// Whether any sheet has merged cells.
    pub(super) merges: bool,
    /// The sheets with hidden rows or columns, by name.
    pub(super) hidden: Vec<(String, Hidden)>,
}

impl Scan {
    /// What is hidden in the sheet called `name`.
    pub(super) fn of(&self, name: &str) -> &Hidden {
        self.hidden
            .iter()
            .find(|(n, _)| n == name)
            .map_or(&NOTHING_HIDDEN, |(_, h)| h)
    }
}

const MERGE: &[u8] = b"mergeCell";
const HIDDEN: &[u8] = b"hidden=\"";
/// How far back the start of a tag is looked for at the end of a chunk.
const TAG_BYTES: usize = 1 << 16;

/// Searches the XML parts of the .xlsx `bytes` (not the shared strings) for merged cells and,
/// with `hidden`, the worksheets for hidden rows and columns. Without `hidden` it stops at the
/// first merged cell.
pub(super) fn scan(bytes: &[u8], hidden: bool) -> Scan {
    let mut found = Scan::default();
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return found;
    };
    let merge = Finder::new(MERGE);
    let attr = Finder::new(HIDDEN);
    let mut buf = vec![0u8; 1 << 18];
    let mut parts: Vec<(String, Hidden)> = Vec::new();
    for i in 0..zip.len() {
        let Ok(mut part) = zip.by_index(i) else {
            continue;
        };
        let Ok(name) = part.name().map(|n| n.to_string()) else {
            continue;
        };
        let lower = name.to_ascii_lowercase();
        if !lower.ends_with(".xml") || lower.ends_with("sharedstrings.xml") {
            continue;
        }
        let sheet = hidden && lower.starts_with("xl/worksheets/");
        if found.merges && !sheet {
            continue;
        }
        let mut seen = Hidden::default();
        // The bytes kept from the chunk before: the tag it ended in (or the end of it, where a
        // word may be split).
        let mut kept = 0;
        loop {
            // A part that cannot be inflated ends here (calamine says what is wrong with it).
            let n = part.read(&mut buf[kept..]).unwrap_or_default();
            let end = kept + n;
            let data = &buf[..end];
            if !found.merges && merge.find(data).is_some() {
                found.merges = true;
                if !sheet {
                    break;
                }
            }
            // Each tag is read whole: those before the last '<' now, the last one with the
            // next chunk (or now, at the end of the part).
            let cut = if n == 0 {
                end
            } else {
                memchr::memrchr(b'<', &data[end.saturating_sub(TAG_BYTES)..])
                    .map(|at| end.saturating_sub(TAG_BYTES) + at)
                    .unwrap_or(end.saturating_sub(MERGE.len() - 1))
            };
            if sheet {
                for at in attr.find_iter(&data[..cut]) {
                    note(data, at, &mut seen);
                }
            }
            if n == 0 {
                break;
            }
            kept = end - cut;
            buf.copy_within(cut..end, 0);
        }
        if !seen.is_empty() {
            seen.rows.sort_unstable();
            seen.rows.dedup();
            parts.push((lower, seen));
        }
    }
    if !parts.is_empty() {
        found.hidden = sheet_names(&mut zip)
            .into_iter()
            .filter_map(|(name, part)| {
                let at = parts.iter().position(|(p, _)| *p == part)?;
                Some((name, parts.swap_remove(at).1))
            })
            .collect();
    }
    found
}

/// What is hidden in the sheets of an .xls workbook (BIFF8, Excel 97 and later): the rows whose
/// ROW record says they have no height (fDyZero), the columns whose COLINFO record says fHidden.
/// Sheets are named as calamine names them (BIFF8 names are UTF-16, or Latin-1 compressed).
/// An earlier BIFF, or a stream that does not hold together, says nothing is hidden (calamine
/// and the checks before it say what is wrong with it).
pub(super) fn scan_xls(bytes: &[u8]) -> Scan {
    let mut found = Scan::default();
    let Ok(mut cfb) = cfb::CompoundFile::open(Cursor::new(bytes)) else {
        return found;
    };
    let Some(stream_name) = ["/Workbook", "/Book"]
        .into_iter()
        .find(|n| cfb.is_stream(n))
    else {
        return found;
    };
    let mut stream = Vec::new();
    if cfb
        .open_stream(stream_name)
        .and_then(|s| s.take(MAX_FILE_BYTES).read_to_end(&mut stream))
        .is_err()
    {
        return found;
    }
    let mut sheets: Vec<(String, usize)> = Vec::new();
    for BiffRecord { kind, data, .. } in biff_records(&stream, 0) {
        match kind {
            0x0809 if le_u16(data, 0) != Some(0x0600) => return found,
            // BoundSheet8: where the sheet starts, its state and type, its name.
            0x0085 => {
                if let (Some(pos), Some(name)) = (le_u32(data, 0), short_string(data.get(6..))) {
                    sheets.push((name, pos as usize));
                }
            }
            0x000A => break,
            _ => {}
        }
    }
    for (name, start) in sheets {
        let mut seen = Hidden::default();
        // A sheet's substream may hold others (an embedded chart's BOF … EOF).
        let mut depth = 0usize;
        for BiffRecord { kind, data, .. } in biff_records(&stream, start) {
            match kind {
                0x0809 => depth += 1,
                0x000A => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        break;
                    }
                }
                // Row: its number, …, then its flags (bit 5: fDyZero, the row is hidden).
                0x0208 if depth == 1 => {
                    if let (Some(row), Some(flags)) = (le_u16(data, 0), le_u32(data, 12)) {
                        if flags & 0x20 != 0 {
                            seen.rows.push(row as u32);
                        }
                    }
                }
                // ColInfo: the first and last column, width, format, then flags (bit 0: fHidden).
                0x007D if depth == 1 => {
                    if let (Some(first), Some(last), Some(flags)) =
                        (le_u16(data, 0), le_u16(data, 2), le_u16(data, 8))
                    {
                        if flags & 1 != 0 {
                            seen.columns.push((first as u32, last.max(first) as u32));
                        }
                    }
                }
                _ => {}
            }
            if depth == 0 {
                // The offset did not point at the sheet's BOF.
                break;
            }
        }
        if !seen.is_empty() {
            seen.rows.sort_unstable();
            seen.rows.dedup();
            found.hidden.push((name, seen));
        }
    }
    found
}

/// A BIFF8 ShortXLUnicodeString: a count of characters, a flag (bit 0: UTF-16, else one byte a
/// character), the characters.
fn short_string(data: Option<&[u8]>) -> Option<String> {
    let data = data?;
    let count = *data.first()? as usize;
    let wide = data.get(1)? & 1 != 0;
    let chars = data.get(2..)?;
    if wide {
        let units: Vec<u16> = chars
            .chunks_exact(2)
            .take(count)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        Some(String::from_utf16_lossy(&units))
    } else {
        Some(chars.iter().take(count).map(|&b| b as char).collect())
    }
}

/// Notes the row or columns whose tag holds `hidden="` at `at` in `data`, when it says 1 or
/// true.
fn note(data: &[u8], at: usize, seen: &mut Hidden) {
    let value = &data[at + HIDDEN.len()..];
    if !(value.starts_with(b"1\"") || value.starts_with(b"true\"")) {
        return;
    }
    if !at
        .checked_sub(1)
        .is_some_and(|b| data[b].is_ascii_whitespace())
    {
        return;
    }
    let Some(start) = memchr::memrchr(b'<', &data[..at]) else {
        return;
    };
    let Some(len) = memchr::memchr(b'>', &data[start..]) else {
        return;
    };
    let tag = &data[start + 1..start + len];
    let number =
        |name: &str| attribute(tag, name).and_then(|v| v.parse::<u32>().ok().filter(|n| *n >= 1));
    match local_name(tag) {
        b"row" => {
            if let Some(r) = number("r") {
                seen.rows.push(r - 1);
            }
        }
        b"col" => {
            if let (Some(min), Some(max)) = (number("min"), number("max")) {
                seen.columns.push((min - 1, max.max(min) - 1));
            }
        }
        _ => {}
    }
}

/// The name of the element a tag (without its '<') opens, without a namespace prefix.
fn local_name(tag: &[u8]) -> &[u8] {
    let end = tag
        .iter()
        .position(|b| b.is_ascii_whitespace() || *b == b'/')
        .unwrap_or(tag.len());
    let name = &tag[..end];
    match memchr::memchr(b':', name) {
        Some(colon) => &name[colon + 1..],
        None => name,
    }
}

/// The value of the attribute `name` (with any prefix when `name` starts with ':') of a tag,
/// its entities replaced.
fn attribute(tag: &[u8], name: &str) -> Option<String> {
    let key = format!("{name}=\"");
    let finder = Finder::new(key.as_bytes());
    for at in finder.find_iter(tag) {
        let whole = name.starts_with(':')
            || at
                .checked_sub(1)
                .is_some_and(|b| tag[b].is_ascii_whitespace());
        if !whole {
            continue;
        }
        let value = &tag[at + key.len()..];
        let end = memchr::memchr(b'"', value)?;
        return Some(unescape(&String::from_utf8_lossy(&value[..end])));
    }
    None
}

/// XML text with its entities replaced.
fn unescape(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find(';') else {
            break;
        };
        let entity = &rest[1..end];
        let c = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .map(|h| u32::from_str_radix(h, 16))
                .or_else(|| entity.strip_prefix('#').map(str::parse::<u32>))
                .and_then(|n| n.ok())
                .and_then(char::from_u32),
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The tags (without '<' and '>') of the elements called `local` in `xml`.
fn tags<'a>(xml: &'a [u8], local: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
    memchr::memchr_iter(b'<', xml).filter_map(move |start| {
        let len = memchr::memchr(b'>', &xml[start..])?;
        let tag = &xml[start + 1..start + len];
        (local_name(tag) == local).then_some(tag)
    })
}

/// Each sheet's name and its part (lower case), from the workbook and its relationships.
fn sheet_names<R: Read + std::io::Seek>(zip: &mut zip::ZipArchive<R>) -> Vec<(String, String)> {
    let mut read = |name: &str| {
        let mut data = Vec::new();
        zip.by_name(name)
            .ok()
            .and_then(|part| part.take(64 << 20).read_to_end(&mut data).ok())
            .map(|_| data)
            .unwrap_or_default()
    };
    let book = read("xl/workbook.xml");
    let rels = read("xl/_rels/workbook.xml.rels");
    let targets: Vec<(String, String)> = tags(&rels, b"Relationship")
        .filter_map(|tag| Some((attribute(tag, "Id")?, attribute(tag, "Target")?)))
        .collect();
    tags(&book, b"sheet")
        .filter_map(|tag| {
            let name = attribute(tag, "name")?;
            let id = attribute(tag, ":id")?;
            let target = &targets.iter().find(|(i, _)| *i == id)?.1;
            let part = match target.strip_prefix('/') {
                Some(absolute) => absolute.to_string(),
                None => format!("xl/{target}"),
            };
            Some((name, part.to_ascii_lowercase()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_attributes_are_read_as_xml_says() {
        let tag = br#"row r="12" spans="1:5" hidden="1" x:r="3""#;
        assert_eq!(local_name(tag), b"row");
        assert_eq!(attribute(tag, "r").as_deref(), Some("12"));
        assert_eq!(local_name(b"x:col min=\"1\""), b"col");
        let sheet = br#"sheet name="A&amp;B &#x4E00;" sheetId="1" r:id="rId3"/"#;
        assert_eq!(attribute(sheet, "name").as_deref(), Some("A&B 一"));
        assert_eq!(attribute(sheet, ":id").as_deref(), Some("rId3"));
        let mut seen = Hidden::default();
        let xml = br#"<cols><col min="2" max="3" width="0" hidden="1"/></cols><row r="4" hidden="true"><c r="A4"/></row><row r="5" hidden="0">"#;
        for at in Finder::new(HIDDEN).find_iter(xml) {
            note(xml, at, &mut seen);
        }
        assert_eq!(seen.rows, vec![3]);
        assert_eq!(seen.columns, vec![(1, 2)]);
        assert!(seen.column(2) && !seen.column(3));
    }
}
