//! Text held to the room it has: a long cell kept to its lines, a title or sub-header kept to
//! its line — set smaller first, then cut, the cut marked with [`CUT_MARK`].

use super::text::{measure, wrap, Face};

/// The smallest type a long text is set in before it is cut.
pub const MIN_FIT_SIZE: f32 = 7.0;
/// The closest a long cell's lines come, in times the type size (a table's own are 1.45):
/// the lines' boxes, as a reader or a search of the PDF sees them, still do not cross.
const MIN_FIT_LINE: f32 = 1.32;
/// What ends a text cut to fit.
pub const CUT_MARK: &str = "…";

/// `text` set within `lines` lines of `size` type `width` wide: at `size` when it takes no
/// more lines; otherwise smaller, with its lines closer, down to [`MIN_FIT_SIZE`]; past that
/// cut, the cut marked. Returns the size, the line height and the lines.
pub fn fit_lines(
    text: &str,
    face: Face,
    width: f32,
    size: f32,
    lines: usize,
) -> (f32, f32, Vec<String>) {
    let room = lines as f32 * size * 1.45;
    let mut s = size;
    while s >= MIN_FIT_SIZE {
        let wrapped = wrap(text, face, s, width);
        let line_h = (room / wrapped.len().max(1) as f32).min(s * 1.45);
        if line_h >= s * MIN_FIT_LINE {
            return (s, line_h, wrapped);
        }
        s -= 0.5;
    }
    let (s, line_h) = (MIN_FIT_SIZE, MIN_FIT_SIZE * MIN_FIT_LINE);
    let mut wrapped = wrap(text, face, s, width);
    wrapped.truncate(((room / line_h).floor() as usize).max(1));
    if let Some(last) = wrapped.last_mut() {
        cut_to(last, face, width, s);
    }
    (s, line_h, wrapped)
}

/// Shortens `line` until it and [`CUT_MARK`] fit `width`, and marks it.
pub fn cut_to(line: &mut String, face: Face, width: f32, size: f32) {
    while !line.is_empty() && measure(&format!("{line}{CUT_MARK}"), face, size) > width {
        line.pop();
    }
    line.push_str(CUT_MARK);
}

/// `head` and `tail` as one line within `width`: at `size` when it fits, else smaller (as
/// [`fit_lines`] sets a one-line cell); past the smallest type `head` is cut, marked, so that
/// `tail` (a number, a date) is kept whole. Returns the size and the line.
pub fn fit_line(head: &str, tail: &str, face: Face, size: f32, width: f32) -> (f32, String) {
    let whole = format!("{head}{tail}");
    let (s, _, lines) = fit_lines(&whole, face, width, size, 1);
    if lines.len() == 1 && lines[0] == whole {
        return (s, whole);
    }
    let room = width - measure(tail, face, s);
    if room
        < measure(
            &format!("{}{CUT_MARK}", head.chars().next().unwrap_or(' ')),
            face,
            s,
        )
    {
        // Not even the tail fits: the whole line is cut at its end.
        let mut line = whole;
        cut_to(&mut line, face, width, s);
        return (s, line);
    }
    let mut head = head.to_string();
    cut_to(&mut head, face, room, s);
    (s, format!("{head}{tail}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_cell_is_set_smaller_then_cut_visibly() {
        let width = 168.0;
        let fit = |text: &str| fit_lines(text, Face::Regular, width, 10.0, 2);
        // What fits two lines is as the table sets it.
        let (size, line_h, lines) = fit("重庆市铜梁区石鱼镇石鱼村1社");
        assert_eq!((size, line_h, lines.len()), (10.0, 14.5, 1));
        // Three lines at 10 points: smaller, in the room of two.
        let long = "重庆市铜梁区石鱼镇石鱼村1社石板桥大庙子沟老院子下湾组团第二排左起第三户";
        let (size, line_h, lines) = fit(long);
        assert!((MIN_FIT_SIZE..10.0).contains(&size), "{size}");
        assert!(lines.len() as f32 * line_h <= 29.0 + 0.01);
        assert_eq!(lines.concat(), long, "nothing is cut");
        // Past what the smallest type holds: cut, and the cut marked.
        let longest = long.repeat(3);
        let (size, line_h, lines) = fit(&longest);
        assert_eq!(size, MIN_FIT_SIZE);
        assert!(lines.len() as f32 * line_h <= 29.0 + 0.01);
        let shown = lines.concat();
        assert!(shown.ends_with(CUT_MARK), "{shown}");
        assert!(longest.starts_with(shown.trim_end_matches(CUT_MARK)));
        for l in &lines {
            assert!(measure(l, Face::Regular, size) <= width, "{l}");
        }
    }

    #[test]
    fn a_long_line_is_set_smaller_then_its_head_cut_keeping_its_tail() {
        let width = 160.0;
        let tail = " · 表号 12-1";
        // What fits is as it was.
        assert_eq!(
            fit_line("石鱼村1社", tail, Face::Regular, 9.5, width),
            (9.5, format!("石鱼村1社{tail}"))
        );
        // A little too long: smaller, whole.
        let place = "石鱼村石板桥大庙子沟老院子1社";
        let (size, line) = fit_line(place, tail, Face::Regular, 9.5, width);
        assert!((MIN_FIT_SIZE..9.5).contains(&size), "{size}");
        assert_eq!(line, format!("{place}{tail}"));
        assert!(measure(&line, Face::Regular, size) <= width);
        // Far too long: the head cut and marked, the tail whole.
        let place = place.repeat(4);
        let (size, line) = fit_line(&place, tail, Face::Regular, 9.5, width);
        assert_eq!(size, MIN_FIT_SIZE);
        assert!(line.ends_with(&format!("{CUT_MARK}{tail}")), "{line}");
        assert!(place.starts_with(line.trim_end_matches(tail).trim_end_matches(CUT_MARK)));
        assert!(measure(&line, Face::Regular, size) <= width);
        // A tail wider than the line: the line cut at its end.
        let tail = tail.repeat(8);
        let (size, line) = fit_line("石鱼村", &tail, Face::Regular, 9.5, width);
        assert!(
            line.starts_with("石鱼村") && line.ends_with(CUT_MARK),
            "{line}"
        );
        assert!(measure(&line, Face::Regular, size) <= width);
    }
}
