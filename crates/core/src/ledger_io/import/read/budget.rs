//! What a read may materialise as cells are made: their number and the bytes of their text
//! (a file's declared sizes are checked before, by `guard`; these count what reading makes of
//! them, where one shared string may be repeated in every cell), and why a read stopped.

use std::path::Path;

use super::guard::{
    broken, cell_too_long, text_past, too_much, MAX_CELLS, MAX_CELL_CHARS, MAX_TEXT_BYTES,
};
use crate::error::Error;

/// The most a read may make: cells (row slots and the width each row reaches, plus cells filled
/// from merged blocks) and bytes of text. Tests lower them; the program reads with [`LEDGER`].
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    pub(super) cells: usize,
    pub(super) text: usize,
}

/// The limits a ledger is read with.
pub(super) const LEDGER: Limits = Limits {
    cells: MAX_CELLS,
    text: MAX_TEXT_BYTES,
};

/// What is left of [`Limits`] as a workbook read whole, or one sheet read row by row, is made.
#[derive(Debug)]
pub(super) struct Budget {
    limits: Limits,
    cells: usize,
    text: usize,
}

impl Budget {
    pub(super) fn new(limits: Limits) -> Budget {
        Budget {
            limits,
            cells: limits.cells,
            text: limits.text,
        }
    }

    pub(super) fn cells(&mut self, n: usize) -> Result<(), Refusal> {
        self.cells = self.cells.checked_sub(n).ok_or_else(|| {
            Refusal::TooMuch(format!(
                "的内容超过 {} 个单元格（台账最多 {} 个）",
                self.limits.cells, self.limits.cells
            ))
        })?;
        Ok(())
    }

    pub(super) fn text(&mut self, bytes: usize) -> Result<(), Refusal> {
        self.text = self
            .text
            .checked_sub(bytes)
            .ok_or_else(|| Refusal::TooMuch(text_past(self.limits.text)))?;
        Ok(())
    }
}

/// Refuses a cell's text longer than Excel keeps in a cell (`row`, `col` from 0). The bytes
/// are compared first: only a text of more than 32,767 bytes is counted character by character.
pub(super) fn check_cell_text(text: &str, row: u32, col: u32) -> Result<(), Refusal> {
    if text.len() > MAX_CELL_CHARS {
        let chars = text.chars().count();
        if chars > MAX_CELL_CHARS {
            return Err(Refusal::LongCell {
                row: row as u64 + 1,
                col: col as u64 + 1,
                chars,
            });
        }
    }
    Ok(())
}

/// Why reading a file stopped.
#[derive(Debug)]
pub(super) enum Refusal {
    /// The reader could not read it (the detail, for [`broken`]).
    Broken(String),
    /// It holds more than a ledger can (what, for [`too_much`]).
    TooMuch(String),
    /// A cell holds more characters than Excel keeps in one (row and column from 1).
    LongCell { row: u64, col: u64, chars: usize },
}

impl From<String> for Refusal {
    fn from(detail: String) -> Refusal {
        Refusal::Broken(detail)
    }
}

impl Refusal {
    /// The message for the file at `path` (`csv`: read as CSV text, not a workbook).
    pub(super) fn into_error(self, path: &Path, csv: bool) -> Error {
        match self {
            Refusal::Broken(detail) => broken(path, &detail),
            Refusal::TooMuch(what) => too_much(path, &what),
            Refusal::LongCell { row, col, chars } => cell_too_long(path, row, col, chars, csv),
        }
    }
}
