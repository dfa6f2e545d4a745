//! The PDF file as it is written: each page's content goes out compressed as soon as the page is
//! finished, so a document of thousands of pages holds one page's drawing at a time (#19). The
//! finished bytes stay in memory while the document is small and move to a temporary file once it
//! grows, so the file itself does not grow the program's memory either. What only the whole
//! document knows (the page tree, the fonts subset to the glyphs used, the photos) is written at
//! the end; the fonts and photos by printpdf itself (see `Doc::finish` in the layout).

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use lopdf::{Object, ObjectId, StringFormat};
use printpdf::{Color, Op, PaintMode, TextItem};

/// Bytes kept in memory before the document moves to a temporary file.
const SPILL: usize = 1 << 20;

/// A finished PDF: in memory, or in a temporary file removed when the last copy is dropped.
#[derive(Debug, Clone)]
pub struct PdfBytes(Arc<Stored>);

#[derive(Debug)]
enum Stored {
    Memory(Vec<u8>),
    File { path: PathBuf, len: u64 },
}

impl Drop for Stored {
    fn drop(&mut self) {
        if let Stored::File { path, .. } = self {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl PdfBytes {
    /// The file's size in bytes.
    pub fn len(&self) -> u64 {
        match &*self.0 {
            Stored::Memory(b) => b.len() as u64,
            Stored::File { len, .. } => *len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The whole file (read back from its temporary file when it is there).
    pub fn read(&self) -> io::Result<Vec<u8>> {
        match &*self.0 {
            Stored::Memory(b) => Ok(b.clone()),
            Stored::File { path, .. } => std::fs::read(path),
        }
    }

    /// Writes the file to `path`, without reading a large one into memory.
    pub fn save(&self, path: &Path) -> io::Result<()> {
        match &*self.0 {
            Stored::Memory(b) => std::fs::write(path, b),
            Stored::File { path: from, .. } => std::fs::copy(from, path).map(|_| ()),
        }
    }
}

/// Where the bytes go while the document is written.
enum Sink {
    Memory(Vec<u8>),
    File {
        file: io::BufWriter<std::fs::File>,
        path: PathBuf,
    },
}

/// A temporary file no other print run (of this or another process) is using: named after the
/// process and a count, the first name not taken (one a crashed run left behind is skipped).
fn temporary_file() -> io::Result<(std::fs::File, PathBuf)> {
    static RUN: AtomicU64 = AtomicU64::new(0);
    loop {
        let n = RUN.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("huce-print-{}-{n}.pdf.part", std::process::id()));
        match std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(file) => return Ok((file, path)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && n < 10_000 => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Writes numbered objects one after another and the cross-reference table at the end. Writing
/// errors are kept and returned by [`PdfOut::finish`], so drawing code does not check each one.
pub(super) struct PdfOut {
    sink: Sink,
    pos: u64,
    /// Where each object starts, by object number − 1 (0 = reserved, not written yet).
    offsets: Vec<u64>,
    error: Option<io::Error>,
}

impl PdfOut {
    pub(super) fn new() -> PdfOut {
        let mut out = PdfOut {
            sink: Sink::Memory(Vec::with_capacity(64 * 1024)),
            pos: 0,
            offsets: Vec::new(),
            error: None,
        };
        out.put(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n");
        out
    }

    fn put(&mut self, bytes: &[u8]) {
        if self.error.is_some() {
            return;
        }
        let result = match &mut self.sink {
            Sink::Memory(buf) => {
                buf.extend_from_slice(bytes);
                Ok(())
            }
            Sink::File { file, .. } => file.write_all(bytes),
        };
        let result = match &self.sink {
            Sink::Memory(buf) if result.is_ok() && buf.len() > SPILL => self.spill(),
            _ => result,
        };
        match result {
            Ok(()) => self.pos += bytes.len() as u64,
            Err(e) => self.error = Some(e),
        }
    }

    fn spill(&mut self) -> io::Result<()> {
        let (file, path) = temporary_file()?;
        let mut file = io::BufWriter::with_capacity(256 * 1024, file);
        if let Sink::Memory(buf) = &self.sink {
            if let Err(e) = file.write_all(buf) {
                drop(file);
                let _ = std::fs::remove_file(&path);
                return Err(e);
            }
        }
        self.sink = Sink::File { file, path };
        Ok(())
    }

    /// A new object number, written later with [`PdfOut::object`].
    pub(super) fn reserve(&mut self) -> u32 {
        self.offsets.push(0);
        self.offsets.len() as u32
    }

    fn begin(&mut self, id: u32) {
        self.offsets[id as usize - 1] = self.pos;
        self.put(format!("{id} 0 obj\n").as_bytes());
    }

    /// Object `id` (reserved) with `body` as its text.
    pub(super) fn object(&mut self, id: u32, body: &[u8]) {
        self.begin(id);
        self.put(body);
        self.put(b"\nendobj\n");
    }

    /// Object `id` as a stream of `data`, compressed.
    pub(super) fn stream(&mut self, id: u32, data: &[u8]) {
        let packed = deflate(data);
        self.begin(id);
        self.put(format!("<</Length {}/Filter/FlateDecode>>\nstream\n", packed.len()).as_bytes());
        self.put(&packed);
        self.put(b"\nendstream\nendobj\n");
    }

    /// A new stream object of `data`; its number.
    pub(super) fn new_stream(&mut self, data: &[u8]) -> u32 {
        let id = self.reserve();
        self.stream(id, data);
        id
    }

    /// Copies the objects `roots` refer to in `pdf` (and all they refer to) into this file under
    /// new numbers; `roots` with their references renumbered.
    pub(super) fn copy_from(&mut self, pdf: &lopdf::Document, roots: &[Object]) -> Vec<Object> {
        let mut numbers: HashMap<ObjectId, u32> = HashMap::new();
        let mut queue: Vec<ObjectId> = Vec::new();
        let mut number_of = |id: ObjectId, out: &mut PdfOut, queue: &mut Vec<ObjectId>| {
            *numbers.entry(id).or_insert_with(|| {
                queue.push(id);
                out.reserve()
            })
        };
        let roots: Vec<Object> = roots
            .iter()
            .map(|o| renumbered(o, &mut |id| number_of(id, self, &mut queue)))
            .collect();
        let mut done = 0;
        while done < queue.len() {
            let old = queue[done];
            done += 1;
            let n = number_of(old, self, &mut queue);
            let Ok(object) = pdf.get_object(old) else {
                self.object(n, b"null");
                continue;
            };
            let copy = renumbered(object, &mut |id| number_of(id, self, &mut queue));
            match copy {
                Object::Stream(mut stream) => {
                    if !stream.dict.has(b"Filter") {
                        let _ = stream.compress();
                    }
                    stream
                        .dict
                        .set("Length", Object::Integer(stream.content.len() as i64));
                    let mut text = Vec::new();
                    write_object(&mut text, &Object::Dictionary(stream.dict));
                    self.begin(n);
                    self.put(&text);
                    self.put(b"\nstream\n");
                    self.put(&stream.content);
                    self.put(b"\nendstream\nendobj\n");
                }
                other => {
                    let mut text = Vec::new();
                    write_object(&mut text, &other);
                    self.object(n, &text);
                }
            }
        }
        roots
    }

    /// Writes the page tree (each page's content streams in order, every page with the
    /// `resources` object), the catalog, the document's title, then the cross-reference table:
    /// the finished file.
    pub(super) fn finish(
        mut self,
        pages: &[Vec<u32>],
        resources: u32,
        (width, height): (f32, f32),
        title: &str,
    ) -> io::Result<PdfBytes> {
        let tree = self.reserve();
        let mut kids = Vec::with_capacity(pages.len());
        for parts in pages {
            let id = self.reserve();
            let mut text =
                format!("<</Type/Page/Parent {tree} 0 R/Resources {resources} 0 R/Contents ")
                    .into_bytes();
            references(&mut text, parts);
            text.extend_from_slice(b">>");
            self.object(id, &text);
            kids.push(id);
        }
        let mut text = format!("<</Type/Pages/Count {}/MediaBox [0 0 ", kids.len()).into_bytes();
        number(&mut text, width);
        text.push(b' ');
        number(&mut text, height);
        text.extend_from_slice(b"]/Kids ");
        references(&mut text, &kids);
        text.extend_from_slice(b">>");
        self.object(tree, &text);
        let catalog = self.reserve();
        self.object(
            catalog,
            format!("<</Type/Catalog/Pages {tree} 0 R/PageLayout/OneColumn>>").as_bytes(),
        );
        let info = self.reserve();
        let mut text = b"<</Title ".to_vec();
        let utf16: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain(title.encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        hex_string(&mut text, &utf16);
        text.extend_from_slice(b"/Producer (huce)>>");
        self.object(info, &text);
        self.close(catalog, info)
    }

    /// Writes the cross-reference table and trailer; the finished file.
    fn close(mut self, root: u32, info: u32) -> io::Result<PdfBytes> {
        let start = self.pos;
        let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", self.offsets.len() + 1);
        for offset in &self.offsets {
            table.push_str(&format!("{offset:010} 00000 n \n"));
        }
        table.push_str(&format!(
            "trailer\n<</Size {}/Root {root} 0 R/Info {info} 0 R>>\nstartxref\n{start}\n%%EOF\n",
            self.offsets.len() + 1
        ));
        self.put(table.as_bytes());
        if let Some(e) = self.error.take() {
            if let Sink::File { path, .. } = &self.sink {
                let _ = std::fs::remove_file(path);
            }
            return Err(e);
        }
        let stored = match self.sink {
            Sink::Memory(buf) => Stored::Memory(buf),
            Sink::File { file, path } => {
                // Removed again by `stored` when it cannot be completed.
                let stored = Stored::File {
                    path,
                    len: self.pos,
                };
                file.into_inner().map_err(|e| e.into_error())?;
                stored
            }
        };
        Ok(PdfBytes(Arc::new(stored)))
    }
}

fn deflate(data: &[u8]) -> Vec<u8> {
    use flate2::write::ZlibEncoder;
    let mut z = ZlibEncoder::new(
        Vec::with_capacity(data.len() / 3 + 64),
        flate2::Compression::default(),
    );
    z.write_all(data)
        .expect("compressing into memory cannot fail");
    z.finish().expect("compressing into memory cannot fail")
}

/// `[1 0 R 2 0 R …]`.
fn references(out: &mut Vec<u8>, ids: &[u32]) {
    out.push(b'[');
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        out.extend_from_slice(format!("{id} 0 R").as_bytes());
    }
    out.push(b']');
}

fn renumbered(o: &Object, number: &mut dyn FnMut(ObjectId) -> u32) -> Object {
    match o {
        Object::Reference(id) => Object::Reference((number(*id), 0)),
        Object::Array(items) => {
            Object::Array(items.iter().map(|i| renumbered(i, number)).collect())
        }
        Object::Dictionary(d) => {
            let mut copy = lopdf::Dictionary::new();
            for (k, v) in d.iter() {
                copy.set(k.clone(), renumbered(v, number));
            }
            Object::Dictionary(copy)
        }
        Object::Stream(s) => {
            let dict = match renumbered(&Object::Dictionary(s.dict.clone()), number) {
                Object::Dictionary(d) => d,
                _ => unreachable!("a dictionary stays a dictionary"),
            };
            let mut copy = lopdf::Stream::new(dict, s.content.clone());
            copy.allows_compression = s.allows_compression;
            Object::Stream(copy)
        }
        other => other.clone(),
    }
}

/// An object in PDF syntax (streams are written by the caller: here only their dictionary).
pub(super) fn write_object(out: &mut Vec<u8>, o: &Object) {
    match o {
        Object::Null => out.extend_from_slice(b"null"),
        Object::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Object::Integer(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Object::Real(r) => number(out, *r),
        Object::Name(n) => name(out, n),
        Object::String(s, StringFormat::Hexadecimal) => hex_string(out, s),
        Object::String(s, StringFormat::Literal) => {
            out.push(b'(');
            for &b in s {
                if matches!(b, b'(' | b')' | b'\\') {
                    out.push(b'\\');
                }
                match b {
                    b'\r' => out.extend_from_slice(b"\\r"),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    _ => out.push(b),
                }
            }
            out.push(b')');
        }
        Object::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                write_object(out, item);
            }
            out.push(b']');
        }
        Object::Dictionary(d) => {
            out.extend_from_slice(b"<<");
            for (k, v) in d.iter() {
                name(out, k);
                out.push(b' ');
                write_object(out, v);
            }
            out.extend_from_slice(b">>");
        }
        Object::Stream(s) => write_object(out, &Object::Dictionary(s.dict.clone())),
        Object::Reference((n, g)) => out.extend_from_slice(format!("{n} {g} R").as_bytes()),
    }
}

fn name(out: &mut Vec<u8>, n: &[u8]) {
    out.push(b'/');
    for &b in n {
        if b.is_ascii_graphic() && !b"()<>[]{}/%#".contains(&b) {
            out.push(b);
        } else {
            out.extend_from_slice(format!("#{b:02X}").as_bytes());
        }
    }
}

fn hex_string(out: &mut Vec<u8>, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push(b'<');
    for &b in bytes {
        out.push(HEX[(b >> 4) as usize]);
        out.push(HEX[(b & 15) as usize]);
    }
    out.push(b'>');
}

/// A number as short as it can be written and still place a line to a thousandth of a point.
pub(super) fn number(out: &mut Vec<u8>, v: f32) {
    let v = if v.is_finite() { v } else { 0.0 };
    let scaled = (f64::from(v) * 1000.0).round() as i64;
    if scaled % 1000 == 0 {
        out.extend_from_slice((scaled / 1000).to_string().as_bytes());
        return;
    }
    let sign = if scaled < 0 { "-" } else { "" };
    let a = scaled.unsigned_abs();
    let text = format!("{sign}{}.{:03}", a / 1000, a % 1000);
    out.extend_from_slice(text.trim_end_matches('0').as_bytes());
}

/// How a page's drawing names its fonts and writes their glyphs.
pub(super) struct Fonts<'a> {
    /// The faces' printpdf font ids (their resource names), by face number.
    pub names: [&'a str; 2],
    /// The code a content stream writes for a glyph of a face.
    pub code: &'a dyn Fn(usize, u16) -> u16,
    /// The glyphs each face has drawn, with the text each stands for (for copying and search).
    pub used: &'a mut [BTreeMap<u16, String>; 2],
}

/// The content stream of `ops` (printpdf's drawing operations, as the layout's `Doc` records them):
/// the same operators printpdf writes, text as the glyphs' codes in the embedded font.
pub(super) fn encode(
    ops: &[Op],
    fonts: &mut Fonts,
    images: &HashMap<String, (f32, f32)>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(ops.len() * 24);
    let mut face = 0usize;
    let nums = |out: &mut Vec<u8>, vs: &[f32], op: &str| {
        for v in vs {
            number(out, *v);
            out.push(b' ');
        }
        out.extend_from_slice(op.as_bytes());
        out.push(b'\n');
    };
    for op in ops {
        match op {
            Op::SaveGraphicsState => out.extend_from_slice(b"q\n"),
            Op::RestoreGraphicsState => out.extend_from_slice(b"Q\n"),
            Op::StartTextSection => out.extend_from_slice(b"BT\n"),
            Op::EndTextSection => out.extend_from_slice(b"ET\n"),
            Op::SetOutlineColor { col } | Op::SetFillColor { col } => {
                let stroke = matches!(op, Op::SetOutlineColor { .. });
                match col {
                    Color::Rgb(c) => {
                        nums(&mut out, &[c.r, c.g, c.b], if stroke { "RG" } else { "rg" })
                    }
                    Color::Greyscale(g) => {
                        nums(&mut out, &[g.percent], if stroke { "G" } else { "g" })
                    }
                    Color::Cmyk(c) => nums(
                        &mut out,
                        &[c.c, c.m, c.y, c.k],
                        if stroke { "K" } else { "k" },
                    ),
                    Color::SpotColor(c) => nums(
                        &mut out,
                        &[c.c, c.m, c.y, c.k],
                        if stroke { "K" } else { "k" },
                    ),
                }
            }
            Op::SetOutlineThickness { pt } => nums(&mut out, &[pt.0], "w"),
            Op::SetLineDashPattern { dash } => {
                out.push(b'[');
                for (i, p) in dash.pattern.iter().enumerate() {
                    if i > 0 {
                        out.push(b' ');
                    }
                    number(&mut out, *p);
                }
                out.extend_from_slice(b"] ");
                nums(&mut out, &[dash.offset], "d");
            }
            Op::DrawLine { line } => {
                for (i, p) in line.points.iter().enumerate() {
                    nums(
                        &mut out,
                        &[p.p.x.0, p.p.y.0],
                        if i == 0 { "m" } else { "l" },
                    );
                }
                out.extend_from_slice(if line.is_closed { b"s\n" } else { b"S\n" });
            }
            Op::DrawRectangle { rectangle: r } => {
                nums(&mut out, &[r.x.0, r.y.0, r.width.0, r.height.0], "re");
                out.extend_from_slice(match r.mode {
                    Some(PaintMode::Fill) => b"f\n",
                    Some(PaintMode::FillStroke) => b"B\n",
                    Some(PaintMode::Clip) => b"W n\n",
                    _ => b"S\n",
                });
            }
            Op::SetFont { font, size } => {
                let name_of = font.get_resource_name();
                if let Some(f) = fonts.names.iter().position(|n| *n == name_of) {
                    face = f;
                    name(&mut out, fonts.names[f].as_bytes());
                    out.push(b' ');
                    nums(&mut out, &[size.0], "Tf");
                }
            }
            Op::SetTextCursor { pos } => nums(&mut out, &[pos.x.0, pos.y.0], "Td"),
            Op::ShowText { items } => {
                let mut codes = Vec::new();
                for item in items {
                    if let TextItem::GlyphIds(glyphs) = item {
                        for g in glyphs {
                            codes.extend_from_slice(&(fonts.code)(face, g.gid).to_be_bytes());
                            fonts.used[face]
                                .entry(g.gid)
                                .or_insert_with(|| g.cid.clone().unwrap_or_default());
                        }
                    }
                }
                hex_string(&mut out, &codes);
                out.extend_from_slice(b" Tj\n");
            }
            Op::BeginMarkedContent { tag } => {
                name(&mut out, tag.as_bytes());
                out.extend_from_slice(b" BMC\n");
            }
            Op::EndMarkedContent => out.extend_from_slice(b"EMC\n"),
            Op::UseXobject { id, transform } => {
                let (w, h) = images.get(&id.0).copied().unwrap_or((1.0, 1.0));
                let (sx, sy) = (
                    transform.scale_x.unwrap_or(1.0),
                    transform.scale_y.unwrap_or(1.0),
                );
                let (tx, ty) = (
                    transform.translate_x.map_or(0.0, |p| p.0),
                    transform.translate_y.map_or(0.0, |p| p.0),
                );
                out.extend_from_slice(b"q\n");
                nums(&mut out, &[w * sx, 0.0, 0.0, h * sy, tx, ty], "cm");
                name(&mut out, id.0.as_bytes());
                out.extend_from_slice(b" Do\nQ\n");
            }
            other => debug_assert!(false, "the layout does not draw {other:?}"),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short_and_exact_to_a_thousandth() {
        let text = |v: f32| {
            let mut out = Vec::new();
            number(&mut out, v);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(text(12.0), "12");
        assert_eq!(text(0.6), "0.6");
        assert_eq!(text(-3.25), "-3.25");
        assert_eq!(text(595.2756), "595.276");
        assert_eq!(text(-0.0004), "0");
        assert_eq!(text(f32::NAN), "0");
    }

    #[test]
    fn a_large_document_moves_to_a_temporary_file_that_goes_with_it() {
        let mut out = PdfOut::new();
        let chunk = vec![b'x'; 300 * 1024];
        for _ in 0..5 {
            let id = out.reserve();
            out.object(id, &chunk);
        }
        let pdf = out.close(1, 2).unwrap();
        let path = match &*pdf.0 {
            Stored::File { path, .. } => path.clone(),
            Stored::Memory(_) => panic!("1.5 MB stayed in memory"),
        };
        let bytes = pdf.read().unwrap();
        assert_eq!(bytes.len() as u64, pdf.len());
        assert!(bytes.starts_with(b"%PDF-1.7"));
        assert!(bytes.ends_with(b"%%EOF\n"));
        let copy = pdf.clone();
        drop(pdf);
        assert!(path.exists(), "a copy still holds it");
        drop(copy);
        assert!(
            !path.exists(),
            "the temporary file is removed with the last copy"
        );
    }
}
