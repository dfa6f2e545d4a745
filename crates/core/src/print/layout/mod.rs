//! A small layout layer over printpdf: measured text (glyph advances of the bundled faces),
//! Chinese line breaking, and a document builder with pages, lines, boxes and tables whose
//! cells grow with their text and split across pages with the header repeated.
//!
//! Coordinates here are points from the top-left corner of the page; printpdf's origin is the
//! bottom-left, converted only when an op is written.

use printpdf::{
    Color, FontId, Line, LineDashPattern, LinePoint, Op, PdfDocument, PdfFontHandle, PdfPage,
    PdfSaveOptions, Point, Pt, Rgb, TextItem,
};
use text::{bold, regular};

mod text;

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
    pages: Vec<Vec<Op>>,
    /// Distance from the top of the current page to where the next block goes.
    pub y: f32,
    /// Lowest y a block may reach on a page (leaves room for the footer).
    pub bottom: f32,
    /// Characters no face could draw, with what they were part of.
    pub warnings: Vec<String>,
    /// Photos are recompressed as JPEG when the document has any.
    has_images: bool,
}

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
            pages: Vec::new(),
            y: margin,
            bottom: height - margin,
            warnings: Vec::new(),
            has_images: false,
        }
    }

    /// The usable width between the margins.
    pub fn inner_width(&self) -> f32 {
        self.width - 2.0 * self.margin
    }

    pub fn new_page(&mut self) {
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
        self.y = self.margin;
    }

    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    fn ops(&mut self, page: usize) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
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
        for c in text.chars() {
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
            ops.push(Op::StartTextSection);
            ops.push(Op::SetFont {
                font: PdfFontHandle::External(id),
                size: Pt(size),
            });
            ops.push(Op::SetTextCursor {
                pos: Point {
                    x: Pt(cx),
                    y: Pt(height - baseline),
                },
            });
            // Glyph ids from our own table, with the character for copying and searching: the
            // PDF writer then has nothing to look up (its lookup searches the whole character
            // map for every character of every page).
            let glyphs = s
                .chars()
                .map(|c| printpdf::Codepoint {
                    gid: text::glyph(f, c).unwrap_or(0),
                    offset: 0.0,
                    cid: Some(c.to_string()),
                })
                .collect();
            ops.push(Op::ShowText {
                items: vec![TextItem::GlyphIds(glyphs)],
            });
            ops.push(Op::EndTextSection);
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

    /// Writes a wrapped paragraph at the cursor, moving to a new page when it runs out.
    pub fn paragraph(&mut self, text: &str, face: Face, size: f32, indent_first: bool) {
        let width = self.inner_width();
        let line_h = size * 1.75;
        let text = if indent_first {
            format!("\u{3000}\u{3000}{text}")
        } else {
            text.to_string()
        };
        for line in wrap(&text, face, size, width) {
            if self.y + line_h > self.bottom {
                self.new_page();
            }
            let (page, margin, y) = (self.current(), self.margin, self.y);
            self.text_at(page, margin, y + (line_h - size) / 2.0, &line, face, size);
            self.y += line_h;
        }
    }

    /// A centred line (titles).
    pub fn centered(&mut self, text: &str, face: Face, size: f32, space_after: f32) {
        let (page, margin, width, y) = (self.current(), self.margin, self.inner_width(), self.y);
        self.text_in(page, margin, width, y, text, face, size, Align::Center);
        self.y += size + space_after;
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

    /// The finished PDF (fonts subset to the characters used).
    pub fn finish(self) -> Vec<u8> {
        let (w, h) = (self.width, self.height);
        let mm = |pt: f32| printpdf::Mm(pt * 25.4 / 72.0);
        let pages: Vec<PdfPage> = self
            .pages
            .into_iter()
            .map(|ops| PdfPage::new(mm(w), mm(h), ops))
            .collect();
        let mut doc = self.doc;
        let options = PdfSaveOptions {
            subset_fonts: true,
            image_optimization: self.has_images.then(|| printpdf::ImageOptimizationOptions {
                quality: Some(0.8),
                format: Some(printpdf::ImageCompression::Jpeg),
                ..Default::default()
            }),
            ..PdfSaveOptions::default()
        };
        doc.with_pages(pages).save(&options, &mut Vec::new())
    }
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
    pub fn table(
        &mut self,
        columns: &[Column],
        rows: &[Vec<String>],
        style: &TableStyle,
        on_new_page: &mut dyn FnMut(&mut Doc),
    ) {
        let total: f32 = columns.iter().map(|c| c.weight).sum();
        let widths: Vec<f32> = columns
            .iter()
            .map(|c| c.weight / total * self.inner_width())
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

        let draw_header = |doc: &mut Doc| {
            if !style.header {
                return;
            }
            let page = doc.current();
            let mut x = doc.margin;
            let y = doc.y;
            for (lines, w) in header_lines.iter().zip(&widths) {
                doc.rect(page, x, y, *w, header_h, false);
                let block = lines.len() as f32 * style.header_size * 1.45;
                let mut ty = y + (header_h - block) / 2.0 + style.header_size * 0.2;
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
            doc.y += header_h;
        };

        if self.pages.is_empty() {
            self.new_page();
            on_new_page(self);
        }
        if self.y + header_h + line_h + 2.0 * style.padding > self.bottom {
            self.new_page();
            on_new_page(self);
        }
        draw_header(self);
        let mut table_top = self.y;
        for row in rows {
            let mut cells: Vec<Vec<String>> = row
                .iter()
                .zip(&widths)
                .map(|(t, w)| wrap(t, Face::Regular, style.size, w - 2.0 * style.padding))
                .collect();
            loop {
                let need = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
                let room = ((self.bottom - self.y - 2.0 * style.padding) / line_h).floor() as usize;
                let take = if need <= room {
                    need
                } else if self.y <= table_top + 0.01 && room >= 1 {
                    room // taller than a whole page: split it line by line
                } else {
                    self.new_page();
                    on_new_page(self);
                    draw_header(self);
                    table_top = self.y;
                    continue;
                };
                let h = take as f32 * line_h + 2.0 * style.padding;
                let page = self.current();
                let mut x = self.margin;
                let y = self.y;
                for ((lines, w), c) in cells.iter_mut().zip(&widths).zip(columns) {
                    self.rect(page, x, y, *w, h, false);
                    let mut ty = y + style.padding + (line_h - style.size) / 2.0;
                    for l in lines.iter().take(take) {
                        self.text_in(
                            page,
                            x + style.padding,
                            w - 2.0 * style.padding,
                            ty,
                            l,
                            Face::Regular,
                            style.size,
                            c.align,
                        );
                        ty += line_h;
                    }
                    let done = lines.len().min(take);
                    lines.drain(..done);
                    x += w;
                }
                self.y += h;
                if cells.iter().all(Vec::is_empty) {
                    break;
                }
                self.new_page();
                on_new_page(self);
                draw_header(self);
                table_top = self.y;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::text::{no_line_end, no_line_start};
    use super::*;

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
