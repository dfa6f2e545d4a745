//! A small layout layer over printpdf: measured text (glyph advances of the bundled faces),
//! Chinese line breaking, and a document builder with pages, lines, boxes and tables whose
//! cells grow with their text and split across pages with the header repeated.
//!
//! Coordinates here are points from the top-left corner of the page; printpdf's origin is the
//! bottom-left, converted only when an op is written.

use std::collections::{BTreeMap, HashMap};

use printpdf::{
    Color, FontId, Line, LineDashPattern, LinePoint, Op, PdfDocument, PdfFontHandle, PdfPage,
    PdfSaveOptions, Point, Pt, Rgb, TextItem,
};
use text::{bold, regular};

mod file;
mod fit;
mod text;

pub use file::PdfBytes;
pub use fit::{cut_to, fit_line, fit_lines, CUT_MARK, MIN_FIT_SIZE};

pub use text::{face_for, measure, missing_chars, wrap, Face, MISSING_MARK};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Right,
}

/// A4 in points.
pub const A4_SHORT: f32 = 595.28;
pub const A4_LONG: f32 = 841.89;

/// Builds a document page by page.
pub struct Doc {
    doc: PdfDocument,
    regular: FontId,
    bold: FontId,
    pub width: f32,
    pub height: f32,
    pub margin: f32,
    /// The document's title (the file's properties show it).
    title: String,
    /// Each page's drawing not yet written out (a finished page is written when the next one
    /// starts; what is drawn on it later, such as 第 x 页 共 y 页, is written at the end).
    pages: Vec<Vec<Op>>,
    /// The file as written so far, and each page's content streams in it.
    out: file::PdfOut,
    contents: Vec<Vec<u32>>,
    /// Pages before this one are written (what is drawn on them later waits for the end).
    written: usize,
    /// The distinct shared blocks written (see [`Doc::begin_shared`]).
    blocks: HashMap<Vec<u8>, u32>,
    /// The glyphs each face has drawn (regular, bold), for the font subsets.
    used: [BTreeMap<u16, String>; 2],
    /// The photos placed, by printpdf's image id, with their size in pixels.
    images: HashMap<String, (f32, f32)>,
    /// Distance from the top of the current page to where the next block goes.
    pub y: f32,
    /// Lowest y a block may reach on a page (leaves room for the footer).
    pub bottom: f32,
    /// Characters no face could draw, with what they were part of.
    pub warnings: Vec<String>,
    /// Photos are recompressed as JPEG when the document has any.
    has_images: bool,
    /// A block drawn the same on many pages is open (see [`Doc::begin_shared`]).
    shared_open: bool,
}

/// The marked-content tag around a block drawn alike on many pages; the finished file keeps
/// one copy of each distinct block and lists it in the pages' /Contents arrays.
const SHARED_TAG: &str = "HuceShared";

impl Doc {
    pub fn new(title: &str, landscape: bool, margin_mm: f32) -> Doc {
        let mut doc = PdfDocument::new(title);
        let regular = doc.add_font(regular());
        let bold = doc.add_font(bold());
        let (width, height) = if landscape {
            (A4_LONG, A4_SHORT)
        } else {
            (A4_SHORT, A4_LONG)
        };
        let margin = margin_mm * 72.0 / 25.4;
        Doc {
            doc,
            regular,
            bold,
            width,
            height,
            margin,
            title: title.to_string(),
            pages: Vec::new(),
            out: file::PdfOut::new(),
            contents: Vec::new(),
            written: 0,
            blocks: HashMap::new(),
            used: [BTreeMap::new(), BTreeMap::new()],
            images: HashMap::new(),
            y: margin,
            bottom: height - margin,
            warnings: Vec::new(),
            has_images: false,
            shared_open: false,
        }
    }

    /// The usable width between the margins.
    pub fn inner_width(&self) -> f32 {
        self.width - 2.0 * self.margin
    }

    pub fn new_page(&mut self) {
        let continues = self.shared_open;
        if continues {
            self.end_shared();
        }
        // Strokes are black, 0.6 pt, unless an op says otherwise inside save/restore.
        self.pages.push(vec![
            Op::SetOutlineColor {
                col: Color::Rgb(Rgb {
                    r: 0.0,
                    g: 0.0,
                    b: 0.0,
                    icc_profile: None,
                }),
            },
            Op::SetOutlineThickness { pt: Pt(0.6) },
        ]);
        self.contents.push(Vec::new());
        let last = self.pages.len() - 1;
        for page in self.written..last {
            self.write_page(page);
        }
        self.written = self.written.max(last);
        self.y = self.margin;
        if continues {
            self.begin_shared();
        }
    }

    /// Starts a block that many pages draw byte for byte alike (the printed form around the
    /// filled-in values, at the same place on every page): the file then holds it once, which
    /// keeps a print run of thousands of sheets small. The block must begin in the page's
    /// starting graphics state and leave it so (every drawing op here restores what it
    /// changes). A block that runs onto a new page is split there, each part kept apart.
    pub fn begin_shared(&mut self) {
        let page = self.current();
        self.ops(page).push(Op::BeginMarkedContent {
            tag: SHARED_TAG.into(),
        });
        self.shared_open = true;
    }

    /// Ends the block [`Doc::begin_shared`] started.
    pub fn end_shared(&mut self) {
        if self.shared_open {
            let page = self.current();
            self.ops(page).push(Op::EndMarkedContent);
            self.shared_open = false;
        }
    }

    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    fn ops(&mut self, page: usize) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
            self.contents.push(Vec::new());
        }
        &mut self.pages[page]
    }

    fn current(&self) -> usize {
        self.pages.len().saturating_sub(1)
    }

    /// Notes characters of `text` that no face has (once per text), naming `what` it is.
    pub fn check(&mut self, what: &str, text: &str) {
        let missing = missing_chars(text);
        if !missing.is_empty() {
            let chars: String = missing.into_iter().collect();
            let w = format!(
                "{what}“{text}”中的“{chars}”字体中没有，打印为“{MISSING_MARK}”，请在打印件上手工填写。"
            );
            if !self.warnings.contains(&w) {
                self.warnings.push(w);
            }
        }
    }

    /// Draws one line of text with its left edge at `x` and its top at `top`.
    pub fn text_at(&mut self, page: usize, x: f32, top: f32, text: &str, face: Face, size: f32) {
        let baseline = top + size * 0.88;
        let mut runs: Vec<(Face, String)> = Vec::new();
        for c in text::drawn(text) {
            let (f, c) = match face_for(c, face) {
                Some(f) => (f, c),
                None => (Face::Regular, MISSING_MARK),
            };
            match runs.last_mut() {
                Some((rf, s)) if *rf == f => s.push(c),
                _ => runs.push((f, c.to_string())),
            }
        }
        let height = self.height;
        let (regular, bold) = (self.regular.clone(), self.bold.clone());
        let mut cx = x;
        let ops = self.ops(page);
        for (f, s) in runs {
            let id = if f == Face::Bold {
                bold.clone()
            } else {
                regular.clone()
            };
            // Glyph ids from our own table, with the character for copying and searching: the
            // PDF writer then has nothing to look up (its lookup searches the whole character
            // map for every character of every page).
            let glyphs = s
                .chars()
                .map(|c| (text::glyph(f, c).unwrap_or(0), c.to_string()))
                .collect();
            let at = Point {
                x: Pt(cx),
                y: Pt(height - baseline),
            };
            glyph_run(ops, id, size, Some(at), glyphs);
            cx += measure(&s, f, size);
        }
    }

    /// Draws `text` aligned within `[x, x + width]`.
    #[allow(clippy::too_many_arguments)]
    pub fn text_in(
        &mut self,
        page: usize,
        x: f32,
        width: f32,
        top: f32,
        text: &str,
        face: Face,
        size: f32,
        align: Align,
    ) {
        let w = measure(text, face, size);
        let left = match align {
            Align::Left => x,
            Align::Center => x + (width - w) / 2.0,
            Align::Right => x + width - w,
        };
        self.text_at(page, left, top, text, face, size);
    }

    /// The lines [`Doc::paragraph`] writes for `text`.
    fn paragraph_lines(
        &self,
        text: &str,
        face: Face,
        size: f32,
        indent_first: bool,
    ) -> Vec<String> {
        let text = if indent_first {
            format!("\u{3000}\u{3000}{text}")
        } else {
            text.to_string()
        };
        wrap(&text, face, size, self.inner_width())
    }

    /// The height [`Doc::paragraph`] takes for `text` on one page: what a block that must stay
    /// together measures before it is drawn.
    pub fn paragraph_height(&self, text: &str, face: Face, size: f32, indent_first: bool) -> f32 {
        self.paragraph_lines(text, face, size, indent_first).len() as f32 * size * 1.75
    }

    /// Writes a wrapped paragraph at the cursor, moving to a new page when it runs out.
    pub fn paragraph(&mut self, text: &str, face: Face, size: f32, indent_first: bool) {
        let line_h = size * 1.75;
        for line in self.paragraph_lines(text, face, size, indent_first) {
            if self.y + line_h > self.bottom {
                self.new_page();
            }
            let (page, margin, y) = (self.current(), self.margin, self.y);
            self.text_at(page, margin, y + (line_h - size) / 2.0, &line, face, size);
            self.y += line_h;
        }
    }

    /// Draws what `draw` draws from the cursor if it all fits on the current page, above
    /// [`Doc::bottom`], and returns `Ok`. Otherwise it takes all of it back (the page and the
    /// cursor are as before) and returns how far past the bottom it went: a block whose size
    /// is not known before it is drawn (a table's wrapped cells) is tried, and drawn again
    /// tighter or elsewhere. `draw` must not start a page.
    pub fn draw_within_page(&mut self, draw: impl FnOnce(&mut Doc)) -> Result<(), f32> {
        let page = self.current();
        let (pages, ops, y, bottom, warnings) = (
            self.pages.len(),
            self.pages.get(page).map_or(0, Vec::len),
            self.y,
            self.bottom,
            self.warnings.len(),
        );
        // Nothing moves to a new page while it is tried.
        self.bottom = f32::INFINITY;
        draw(self);
        self.bottom = bottom;
        debug_assert_eq!(self.pages.len(), pages, "a tried block started a page");
        if self.y <= bottom || self.pages.len() != pages {
            return Ok(());
        }
        let over = self.y - bottom;
        self.pages[page].truncate(ops);
        self.warnings.truncate(warnings);
        self.y = y;
        Err(over)
    }

    /// A centred line (titles): one too long for the line is set smaller, then cut (the cut
    /// marked), in the space the line has.
    pub fn centered(&mut self, text: &str, face: Face, size: f32, space_after: f32) {
        self.centered_parts(text, "", face, size, space_after);
    }

    /// A centred line of `head` then `tail` (a place's name, then its numbers): one too long
    /// for the line is set smaller, then `head` is cut and `tail` kept whole ([`fit_line`]),
    /// on the baseline and in the space of the line at `size`.
    pub fn centered_parts(
        &mut self,
        head: &str,
        tail: &str,
        face: Face,
        size: f32,
        space_after: f32,
    ) {
        let (page, margin, width, y) = (self.current(), self.margin, self.inner_width(), self.y);
        let text = format!("{head}{tail}");
        if measure(&text, face, size) <= width {
            self.text_in(page, margin, width, y, &text, face, size, Align::Center);
        } else {
            let (s, line) = fit_line(head, tail, face, size, width);
            let top = y + (size - s) * 0.88;
            self.text_in(page, margin, width, top, &line, face, s, Align::Center);
        }
        self.y += size + space_after;
    }

    /// A table without a header row (label and value cells) whose columns take `weights` of
    /// the width: drawn as [`Doc::table`] draws one, or, given `lines`, with every cell held to
    /// that many lines ([`Doc::fitted_table`]).
    pub fn plain_table(
        &mut self,
        weights: &[f32],
        rows: &[Vec<String>],
        style: &TableStyle,
        lines: Option<usize>,
    ) {
        match lines {
            Some(lines) => self.fitted_table(weights, rows, style, lines),
            None => {
                let columns: Vec<Column> = weights.iter().map(|w| Column::left("", *w)).collect();
                self.table(&columns, rows, style, &mut |_| {});
            }
        }
    }

    /// A table without a header row whose every cell is held to `lines` lines ([`fit_lines`]),
    /// drawn at the cursor as [`Doc::table`] draws one whose cells need no fitting (the rows
    /// stay on this page). Column widths are shares of the page's width, as [`Column`] weights.
    pub fn fitted_table(
        &mut self,
        weights: &[f32],
        rows: &[Vec<String>],
        style: &TableStyle,
        lines: usize,
    ) {
        let page = self.current();
        let total: f32 = weights.iter().sum();
        let widths: Vec<f32> = weights
            .iter()
            .map(|w| w / total * self.inner_width())
            .collect();
        let padding = style.padding;
        for row in rows {
            let cells: Vec<(f32, f32, Vec<String>)> = row
                .iter()
                .zip(&widths)
                .map(|(text, w)| {
                    fit_lines(text, Face::Regular, w - 2.0 * padding, style.size, lines)
                })
                .collect();
            let h = cells
                .iter()
                .map(|(_, line_h, lines)| lines.len() as f32 * line_h)
                .fold(style.size * 1.45, f32::max)
                + 2.0 * padding;
            let (mut x, y) = (self.margin, self.y);
            for ((size, line_h, lines), w) in cells.iter().zip(&widths) {
                self.rect(page, x, y, *w, h, false);
                let mut ty = y + padding + (line_h - size) / 2.0;
                for l in lines {
                    self.text_at(page, x + padding, ty, l, Face::Regular, *size);
                    ty += line_h;
                }
                x += w;
            }
            self.y += h;
        }
    }

    /// A dashed line across the page at `y` with `label` in a gap in its middle, where a
    /// paper is cut apart (沿此线剪开).
    pub fn cut_line(&mut self, page: usize, y: f32, label: &str) {
        let (m, w) = (self.margin, self.inner_width());
        let label_w = measure(label, Face::Regular, 8.0) + 16.0;
        let gap_x = m + (w - label_w) / 2.0;
        self.line(page, m, y, gap_x, y, 0.6, true);
        self.line(page, gap_x + label_w, y, m + w, y, 0.6, true);
        self.text_in(
            page,
            m,
            w,
            y - 4.5,
            label,
            Face::Regular,
            8.0,
            Align::Center,
        );
    }

    /// A straight line in points from the top-left; `dash` draws it dashed.
    #[allow(clippy::too_many_arguments)]
    pub fn line(
        &mut self,
        page: usize,
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width: f32,
        dash: bool,
    ) {
        let h = self.height;
        let ops = self.ops(page);
        ops.push(Op::SaveGraphicsState);
        ops.push(Op::SetOutlineColor {
            col: Color::Rgb(Rgb {
                r: 0.0,
                g: 0.0,
                b: 0.0,
                icc_profile: None,
            }),
        });
        ops.push(Op::SetOutlineThickness { pt: Pt(width) });
        if dash {
            ops.push(Op::SetLineDashPattern {
                dash: LineDashPattern::new(0.0, &[4.0, 3.0]),
            });
        }
        ops.push(Op::DrawLine {
            line: Line {
                points: vec![
                    LinePoint {
                        p: Point {
                            x: Pt(x1),
                            y: Pt(h - y1),
                        },
                        bezier: false,
                    },
                    LinePoint {
                        p: Point {
                            x: Pt(x2),
                            y: Pt(h - y2),
                        },
                        bezier: false,
                    },
                ],
                is_closed: false,
            },
        });
        ops.push(Op::RestoreGraphicsState);
    }

    /// A rectangle outline: one path op (a large table has tens of thousands of cells).
    pub fn rect(&mut self, page: usize, x: f32, y: f32, w: f32, h: f32, dash: bool) {
        if dash {
            self.line(page, x, y, x + w, y, 0.6, dash);
            self.line(page, x + w, y, x + w, y + h, 0.6, dash);
            self.line(page, x + w, y + h, x, y + h, 0.6, dash);
            self.line(page, x, y + h, x, y, 0.6, dash);
            return;
        }
        let page_h = self.height;
        self.ops(page).push(Op::DrawRectangle {
            rectangle: printpdf::Rect {
                x: Pt(x),
                y: Pt(page_h - y - h),
                width: Pt(w),
                height: Pt(h),
                mode: Some(printpdf::PaintMode::Stroke),
                winding_order: None,
            },
        });
    }

    /// A filled rectangle (no outline) in the colour `rgb` (0–1 each): the bars of a chart.
    pub fn fill_rect(&mut self, page: usize, x: f32, y: f32, w: f32, h: f32, rgb: [f32; 3]) {
        let page_h = self.height;
        let ops = self.ops(page);
        ops.push(Op::SaveGraphicsState);
        ops.push(Op::SetFillColor {
            col: Color::Rgb(Rgb {
                r: rgb[0],
                g: rgb[1],
                b: rgb[2],
                icc_profile: None,
            }),
        });
        ops.push(Op::DrawRectangle {
            rectangle: printpdf::Rect {
                x: Pt(x),
                y: Pt(page_h - y - h),
                width: Pt(w),
                height: Pt(h),
                mode: Some(printpdf::PaintMode::Fill),
                winding_order: None,
            },
        });
        ops.push(Op::RestoreGraphicsState);
    }

    /// Places an image with its top-left corner at (`x`, `top`), `width` points wide; returns
    /// its height in points.
    pub fn image(
        &mut self,
        page: usize,
        x: f32,
        top: f32,
        width: f32,
        img: &image::DynamicImage,
    ) -> f32 {
        let (w, h) = (img.width().max(1) as f32, img.height().max(1) as f32);
        let height = width * h / w;
        let Ok(raw) = printpdf::RawImage::from_dynamic_image(img.clone()) else {
            return 0.0;
        };
        let id = self.doc.add_image(&raw);
        self.has_images = true;
        self.images.insert(id.0.clone(), (w, h));
        let page_h = self.height;
        let scale = width / w;
        self.ops(page).push(Op::UseXobject {
            id,
            transform: printpdf::XObjectTransform {
                translate_x: Some(Pt(x)),
                translate_y: Some(Pt(page_h - top - height)),
                rotate: None,
                scale_x: Some(scale),
                scale_y: Some(scale),
                dpi: Some(72.0),
                no_auto_scale: false,
            },
        });
        height
    }

    /// Adds `draw(doc, page, page_number, total)` to every page once the page count is known
    /// (running headers and footers such as 第 x 页 共 y 页).
    pub fn each_page(&mut self, mut draw: impl FnMut(&mut Doc, usize, usize, usize)) {
        let total = self.pages.len();
        for page in 0..total {
            draw(self, page, page + 1, total);
        }
    }

    /// Writes what is drawn on `page` and not written yet as the page's next content streams:
    /// each shared block once for the whole document, the rest as the page's own.
    fn write_page(&mut self, page: usize) {
        let ops = std::mem::take(&mut self.pages[page]);
        if ops.is_empty() {
            return;
        }
        let names = [self.regular.0.clone(), self.bold.0.clone()];
        let code = |face: usize, gid: u16| {
            text::code(if face == 1 { Face::Bold } else { Face::Regular }, gid)
        };
        let mut fonts = file::Fonts {
            names: [&names[0], &names[1]],
            code: &code,
            used: &mut self.used,
        };
        let is_begin =
            |op: &Op| matches!(op, Op::BeginMarkedContent { tag } if tag.as_str() == SHARED_TAG);
        let mut at = 0;
        while at < ops.len() {
            let (shared, end) = if is_begin(&ops[at]) {
                let end = ops[at..]
                    .iter()
                    .position(|op| matches!(op, Op::EndMarkedContent))
                    .map_or(ops.len(), |i| at + i + 1);
                (true, end)
            } else {
                let end = ops[at..]
                    .iter()
                    .position(is_begin)
                    .map_or(ops.len(), |i| at + i);
                (false, end)
            };
            let bytes = file::encode(&ops[at..end], &mut fonts, &self.images);
            at = end;
            let id = if shared {
                match self.blocks.get(&bytes) {
                    Some(id) => *id,
                    None => {
                        let id = self.out.new_stream(&bytes);
                        self.blocks.insert(bytes, id);
                        id
                    }
                }
            } else {
                self.out.new_stream(&bytes)
            };
            self.contents[page].push(id);
        }
    }

    /// The finished PDF. The pages are already written; what is left is what they share: the
    /// fonts, subset to the glyphs used, and the photos, which printpdf writes (from one page
    /// that draws every glyph and photo once, whose resources every page then uses), the page
    /// tree and the cross-reference table.
    pub fn finish(mut self) -> std::io::Result<PdfBytes> {
        self.end_shared();
        for page in 0..self.pages.len() {
            self.write_page(page);
        }
        let (w, h) = (self.width, self.height);
        let mm = |pt: f32| printpdf::Mm(pt * 25.4 / 72.0);
        let mut ops = Vec::new();
        let mut expected: Vec<u8> = Vec::new();
        for (face, font) in [(Face::Regular, &self.regular), (Face::Bold, &self.bold)] {
            let used = &self.used[face as usize];
            if used.is_empty() {
                continue;
            }
            let glyphs = used
                .iter()
                .map(|(gid, s)| {
                    expected.extend_from_slice(&text::code(face, *gid).to_be_bytes());
                    (*gid, s.clone())
                })
                .collect();
            glyph_run(&mut ops, font.clone(), 10.0, None, glyphs);
        }
        for id in self.images.keys() {
            ops.push(Op::UseXobject {
                id: printpdf::XObjectId(id.clone()),
                transform: printpdf::XObjectTransform::default(),
            });
        }
        let options = PdfSaveOptions {
            subset_fonts: true,
            image_optimization: self.has_images.then(|| printpdf::ImageOptimizationOptions {
                quality: Some(0.8),
                format: Some(printpdf::ImageCompression::Jpeg),
                ..Default::default()
            }),
            ..PdfSaveOptions::default()
        };
        let shared = self
            .doc
            .with_pages(vec![PdfPage::new(mm(w), mm(h), ops)])
            .to_lopdf_document(&options, &mut Vec::new());
        let Some(page) = shared.get_pages().into_values().next() else {
            return Err(std::io::Error::other("printpdf wrote no page"));
        };
        // printpdf wrote the same glyphs with the same codes as the pages have.
        let content = shared.get_page_content(page);
        if hex_strings(&content) != expected {
            return Err(std::io::Error::other(
                "字体子集的字形编码与页面不一致，无法生成正确的 PDF（程序缺陷，请联系开发人员）。",
            ));
        }
        let resources = shared
            .get_dictionary(page)
            .and_then(|d| d.get(b"Resources"))
            .cloned()
            .unwrap_or(lopdf::Object::Dictionary(lopdf::Dictionary::new()));
        let resources = match self.out.copy_from(&shared, &[resources]).remove(0) {
            lopdf::Object::Reference((n, _)) => n,
            dict => {
                let id = self.out.reserve();
                let mut text = Vec::new();
                file::write_object(&mut text, &dict);
                self.out.object(id, &text);
                id
            }
        };
        let Doc {
            out,
            contents,
            title,
            ..
        } = self;
        out.finish(&contents, resources, (w, h), &title)
    }
}

/// One text section drawing `glyphs` (glyph id, the text it stands for) in `font` at `at`.
fn glyph_run(
    ops: &mut Vec<Op>,
    font: FontId,
    size: f32,
    at: Option<Point>,
    glyphs: Vec<(u16, String)>,
) {
    ops.push(Op::StartTextSection);
    ops.push(Op::SetFont {
        font: PdfFontHandle::External(font),
        size: Pt(size),
    });
    if let Some(pos) = at {
        ops.push(Op::SetTextCursor { pos });
    }
    let glyphs = glyphs
        .into_iter()
        .map(|(gid, text)| printpdf::Codepoint {
            gid,
            offset: 0.0,
            cid: Some(text),
        })
        .collect();
    ops.push(Op::ShowText {
        items: vec![TextItem::GlyphIds(glyphs)],
    });
    ops.push(Op::EndTextSection);
}

/// The bytes of every hexadecimal string in a content stream, in order (the text's codes).
fn hex_strings(content: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < content.len() {
        if content[i] == b'<' && content.get(i + 1) != Some(&b'<') {
            let end = content[i..]
                .iter()
                .position(|&b| b == b'>')
                .map_or(content.len(), |e| i + e);
            let digits: Vec<u8> = content[i + 1..end]
                .iter()
                .filter(|b| b.is_ascii_hexdigit())
                .copied()
                .collect();
            for pair in digits.chunks(2) {
                let text = std::str::from_utf8(pair).unwrap_or("0");
                let v = u8::from_str_radix(text, 16).unwrap_or(0);
                out.push(if pair.len() == 1 { v << 4 } else { v });
            }
            i = end + 1;
        } else if content[i] == b'<' {
            i += 2;
        } else {
            i += 1;
        }
    }
    out
}

/// A table column.
pub struct Column {
    pub title: &'static str,
    /// Share of the table's width (the widths are scaled to fill it).
    pub weight: f32,
    pub align: Align,
}

impl Column {
    pub const fn new(title: &'static str, weight: f32, align: Align) -> Column {
        Column {
            title,
            weight,
            align,
        }
    }
    pub const fn left(title: &'static str, weight: f32) -> Column {
        Column::new(title, weight, Align::Left)
    }
    pub const fn center(title: &'static str, weight: f32) -> Column {
        Column::new(title, weight, Align::Center)
    }
    pub const fn right(title: &'static str, weight: f32) -> Column {
        Column::new(title, weight, Align::Right)
    }
}

/// Table settings.
#[derive(Debug, Clone)]
pub struct TableStyle {
    /// Draw the column titles (repeated on every page).
    pub header: bool,
    pub size: f32,
    pub header_size: f32,
    pub padding: f32,
}

impl Default for TableStyle {
    fn default() -> Self {
        TableStyle {
            header: true,
            size: 9.0,
            header_size: 9.5,
            padding: 3.0,
        }
    }
}

impl Doc {
    /// Draws a table at the cursor. Cells wrap and grow; a row that does not fit goes to the next
    /// page (a row taller than a page is split line by line); the header row is repeated on
    /// every page the table reaches. `on_new_page` draws what goes above the table on a new page.
    pub fn table<R: AsRef<[String]>>(
        &mut self,
        columns: &[Column],
        rows: impl IntoIterator<Item = R>,
        style: &TableStyle,
        on_new_page: &mut dyn FnMut(&mut Doc),
    ) {
        let mut table = Table::start(self, columns, style, on_new_page);
        for row in rows {
            table.row(self, row.as_ref(), on_new_page);
        }
    }
}

/// A table drawn a row at a time ([`Doc::table`] draws one from a list): a long table need not
/// hold its rows, each goes to the page as it is read.
pub struct Table {
    widths: Vec<f32>,
    aligns: Vec<Align>,
    header_lines: Vec<Vec<String>>,
    header_h: f32,
    line_h: f32,
    style: TableStyle,
    /// Where the table's rows begin on the current page.
    top: f32,
}

impl Table {
    /// Starts a table at the cursor (on a new page when not even one row fits below it) and
    /// draws its header row.
    pub fn start(
        doc: &mut Doc,
        columns: &[Column],
        style: &TableStyle,
        on_new_page: &mut dyn FnMut(&mut Doc),
    ) -> Table {
        let total: f32 = columns.iter().map(|c| c.weight).sum();
        let widths: Vec<f32> = columns
            .iter()
            .map(|c| c.weight / total * doc.inner_width())
            .collect();
        let line_h = style.size * 1.45;
        let header_lines: Vec<Vec<String>> = columns
            .iter()
            .zip(&widths)
            .map(|(c, w)| {
                wrap(
                    c.title,
                    Face::Bold,
                    style.header_size,
                    w - 2.0 * style.padding,
                )
            })
            .collect();
        let header_h =
            header_lines.iter().map(Vec::len).max().unwrap_or(1) as f32 * style.header_size * 1.45
                + 2.0 * style.padding;
        let mut table = Table {
            widths,
            aligns: columns.iter().map(|c| c.align).collect(),
            header_lines,
            header_h,
            line_h,
            style: style.clone(),
            top: 0.0,
        };
        if doc.pages.is_empty() {
            doc.new_page();
            on_new_page(doc);
        }
        if doc.y + header_h + line_h + 2.0 * style.padding > doc.bottom {
            doc.new_page();
            on_new_page(doc);
        }
        table.draw_header(doc);
        table
    }

    fn draw_header(&mut self, doc: &mut Doc) {
        let style = &self.style;
        if style.header {
            let page = doc.current();
            let mut x = doc.margin;
            let y = doc.y;
            for (lines, w) in self.header_lines.iter().zip(&self.widths) {
                doc.rect(page, x, y, *w, self.header_h, false);
                let block = lines.len() as f32 * style.header_size * 1.45;
                let mut ty = y + (self.header_h - block) / 2.0 + style.header_size * 0.2;
                for l in lines {
                    doc.text_in(
                        page,
                        x + style.padding,
                        w - 2.0 * style.padding,
                        ty,
                        l,
                        Face::Bold,
                        style.header_size,
                        Align::Center,
                    );
                    ty += style.header_size * 1.45;
                }
                x += w;
            }
            doc.y += self.header_h;
        }
        self.top = doc.y;
    }

    /// Draws one row below the last.
    pub fn row(&mut self, doc: &mut Doc, row: &[String], on_new_page: &mut dyn FnMut(&mut Doc)) {
        let (size, padding, line_h) = (self.style.size, self.style.padding, self.line_h);
        let mut cells: Vec<Vec<String>> = row
            .iter()
            .zip(&self.widths)
            .map(|(t, w)| wrap(t, Face::Regular, size, w - 2.0 * padding))
            .collect();
        loop {
            let need = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
            let room = ((doc.bottom - doc.y - 2.0 * padding) / line_h).floor() as usize;
            let take = if need <= room {
                need
            } else if doc.y <= self.top + 0.01 && room >= 1 {
                room // taller than a whole page: split it line by line
            } else {
                self.break_page(doc, on_new_page);
                continue;
            };
            let h = take as f32 * line_h + 2.0 * padding;
            let page = doc.current();
            let mut x = doc.margin;
            let y = doc.y;
            for ((lines, w), align) in cells.iter_mut().zip(&self.widths).zip(&self.aligns) {
                doc.rect(page, x, y, *w, h, false);
                let mut ty = y + padding + (line_h - size) / 2.0;
                for l in lines.iter().take(take) {
                    doc.text_in(
                        page,
                        x + padding,
                        w - 2.0 * padding,
                        ty,
                        l,
                        Face::Regular,
                        size,
                        *align,
                    );
                    ty += line_h;
                }
                let done = lines.len().min(take);
                lines.drain(..done);
                x += w;
            }
            doc.y += h;
            if cells.iter().all(Vec::is_empty) {
                break;
            }
            self.break_page(doc, on_new_page);
        }
    }

    /// Goes on with the table on a new page: `on_new_page` draws what goes above it there, then
    /// the header row. The rows below it are drawn there (the last rows of a table move so with
    /// what must follow them on their page).
    pub fn break_page(&mut self, doc: &mut Doc, on_new_page: &mut dyn FnMut(&mut Doc)) {
        doc.new_page();
        on_new_page(doc);
        self.draw_header(doc);
    }
}

#[cfg(test)]
mod tests {
    use super::text::{no_line_end, no_line_start};
    use super::*;

    /// The content streams of each page, by object id, and the page's whole content.
    fn page_parts(bytes: &[u8]) -> Vec<(Vec<lopdf::ObjectId>, Vec<u8>)> {
        let pdf = lopdf::Document::load_mem(bytes).expect("the PDF loads");
        pdf.get_pages()
            .into_values()
            .map(|p| {
                let parts = pdf.get_page_contents(p);
                (parts, pdf.get_page_content(p))
            })
            .collect()
    }

    fn count(hay: &[u8], needle: &[u8]) -> usize {
        hay.windows(needle.len()).filter(|w| *w == needle).count()
    }

    #[test]
    fn a_block_pages_draw_alike_is_stored_once() {
        let mut doc = Doc::new("表", false, 15.0);
        for i in 0..4 {
            doc.new_page();
            doc.paragraph(&format!("第{i}户"), Face::Regular, 10.0, false);
            doc.begin_shared();
            let form = if i < 3 {
                "问题口径：厕屋破损"
            } else {
                "另一种表"
            };
            doc.paragraph(form, Face::Regular, 10.0, false);
            doc.end_shared();
            doc.paragraph("签字：", Face::Regular, 10.0, false);
        }
        let pages = page_parts(&doc.finish().unwrap().read().unwrap());
        assert_eq!(pages.len(), 4);
        for (parts, _) in &pages {
            assert_eq!(
                parts.len(),
                3,
                "own part, shared block, own part: {parts:?}"
            );
        }
        // The first three pages list one stored block; the fourth draws another.
        assert_eq!(pages[0].0[1], pages[1].0[1]);
        assert_eq!(pages[1].0[1], pages[2].0[1]);
        assert_ne!(pages[2].0[1], pages[3].0[1]);
        // What is each page's own stays its own.
        assert_ne!(pages[0].0[0], pages[1].0[0]);
        assert_ne!(pages[0].0[2], pages[1].0[2]);
        // Read as one stream, each page still draws its three lines.
        for (_, content) in &pages {
            assert_eq!(count(content, b"BT"), 3);
            assert_eq!(count(content, b"BMC"), 1);
            assert_eq!(count(content, b"EMC"), 1);
        }
    }

    #[test]
    fn a_shared_block_that_runs_onto_a_new_page_is_closed_on_each() {
        let mut doc = Doc::new("表", false, 15.0);
        doc.new_page();
        doc.begin_shared();
        for i in 0..80 {
            doc.paragraph(&format!("第{i}行"), Face::Regular, 10.0, false);
        }
        doc.end_shared();
        let pages = page_parts(&doc.finish().unwrap().read().unwrap());
        assert!(pages.len() >= 2, "{} pages", pages.len());
        for (_, content) in &pages {
            assert_eq!(count(content, b"BMC"), 1);
            assert_eq!(count(content, b"EMC"), 1);
        }
    }

    #[test]
    fn a_block_tried_on_a_page_is_drawn_when_it_fits_and_taken_back_when_not() {
        let mut doc = Doc::new("表", false, 15.0);
        doc.new_page();
        doc.paragraph("第一行", Face::Regular, 10.0, false);
        let y = doc.y;
        assert_eq!(
            doc.draw_within_page(|d| d.paragraph("第二行", Face::Regular, 10.0, false)),
            Ok(())
        );
        assert_eq!(doc.y, y + 17.5);
        let (y, ops) = (doc.y, doc.pages[0].len());
        let over = doc
            .draw_within_page(|d| {
                d.check("住址", "王𠮷");
                for _ in 0..60 {
                    d.paragraph("长长的一行", Face::Regular, 10.0, false);
                }
            })
            .unwrap_err();
        assert!(
            (over - (y + 60.0 * 17.5 - doc.bottom)).abs() < 0.01,
            "{over}"
        );
        assert_eq!((doc.y, doc.pages[0].len(), doc.page_count()), (y, ops, 1));
        assert!(doc.warnings.is_empty(), "{:?}", doc.warnings);
    }

    #[test]
    fn the_bundled_faces_cover_rare_name_characters() {
        for c in "堃犇喆赟昇珺玥䶮曾单解".chars() {
            assert_eq!(face_for(c, Face::Regular), Some(Face::Regular), "{c}");
        }
        // Bold holds GB2312; rarer characters fall back to the regular face.
        assert_eq!(face_for('张', Face::Bold), Some(Face::Bold));
        assert_eq!(face_for('䶮', Face::Bold), Some(Face::Regular));
        // An Extension B character is in neither: it is reported, not drawn silently.
        assert_eq!(missing_chars("王𠮷"), vec!['𠮷']);
    }

    /// Found in review: a remark or name typed with an invisible character (a zero-width
    /// space pasted from a web page, a direction mark, a tab) printed as 〓 — with a note asking
    /// the clerk to write by hand a character nobody can see, or none at all for the tab.
    #[test]
    fn invisible_characters_print_as_nothing_and_a_tab_as_a_space() {
        let size = 10.0;
        let plain = measure("王五 李四", Face::Regular, size);
        let typed = "王\u{200B}五\t李\u{200E}四\u{FEFF}";
        assert_eq!(missing_chars(typed), Vec::<char>::new());
        assert!((measure(typed, Face::Regular, size) - plain).abs() < 0.01);
        let mut doc = Doc::new("表", false, 15.0);
        doc.new_page();
        doc.check("备注", typed);
        doc.paragraph(typed, Face::Regular, size, false);
        assert!(doc.warnings.is_empty(), "{:?}", doc.warnings);
        // Drawn as measured: the line is as wide as 王五 李四.
        assert_eq!(text::drawn(typed).collect::<String>(), "王五 李四");
    }

    #[test]
    fn lines_break_by_the_chinese_rules() {
        let size = 10.0;
        let one = measure("字", Face::Regular, size);
        // Ten characters a line; the comma after the tenth character hangs on its line.
        let text = "一二三四五六七八九十，一二三四五（六七）八九十。";
        let lines = wrap(text, Face::Regular, size, one * 10.0);
        for l in &lines {
            let first = l.chars().next().unwrap();
            assert!(!no_line_start(first), "line starts with {first}: {lines:?}");
            let last = l.chars().last().unwrap();
            assert!(!no_line_end(last), "line ends with {last}: {lines:?}");
        }
        assert_eq!(
            lines[0], "一二三四五六七八九",
            "the comma takes the 十 down with it"
        );
        for l in &lines {
            assert!(
                measure(l, Face::Regular, size) <= one * 10.0 + 0.01,
                "{l} is too wide"
            );
        }
        assert_eq!(lines.concat(), text, "nothing is lost or added");
        // Latin words and numbers are not split.
        let lines = wrap("编号 SY2026000123 的告知单", Face::Regular, size, one * 8.0);
        assert!(
            lines.iter().any(|l| l.contains("SY2026000123")),
            "{lines:?}"
        );
        assert_eq!(wrap("甲\n乙", Face::Regular, size, 100.0), vec!["甲", "乙"]);
        // A rate is not split at its decimal point or before its per cent sign.
        let text = "镇级复核率三九点四为39.4%，应达10.0%";
        for width in 6..14 {
            let lines = wrap(text, Face::Regular, size, one * width as f32);
            assert!(
                lines.iter().all(|l| !l.starts_with(['.', '%', '4', '0'])),
                "{lines:?}"
            );
            assert_eq!(lines.concat(), text);
        }
    }
}
