//! Byte offsets to lines and columns and back: where each line of a text starts, found once.

use serde::Serialize;

/// 1-based line, and 1-based column in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> LineIndex {
        LineIndex {
            starts: std::iter::once(0)
                .chain(text.match_indices('\n').map(|(at, _)| at + 1))
                .collect(),
        }
    }

    /// Where byte `offset` of `text` (the text this index was made from) is.
    pub(crate) fn location(&self, text: &str, offset: usize) -> Location {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&start| start <= offset);
        let start = self.starts[line - 1];
        Location {
            line,
            column: text[start..offset].chars().count() + 1,
        }
    }

    /// The byte offset of `location` in `text`, if the text has it.
    pub(crate) fn offset(&self, text: &str, location: Location) -> Option<usize> {
        let start = *self.starts.get(location.line.checked_sub(1)?)?;
        let line = text[start..].split('\n').next().unwrap_or_default();
        if location.column == line.chars().count() + 1 {
            return Some(start + line.len());
        }
        line.char_indices()
            .nth(location.column.checked_sub(1)?)
            .map(|(at, _)| start + at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_one_based_and_count_characters() {
        let text = "a: 1\nbé: [x\n";
        let lines = LineIndex::new(text);
        let at = |line, column| Location { line, column };
        assert_eq!(lines.location(text, 0), at(1, 1));
        assert_eq!(lines.location(text, 5), at(2, 1));
        assert_eq!(lines.location(text, 10), at(2, 5));
        assert_eq!(lines.location(text, 99), at(3, 1));
        assert_eq!(lines.offset(text, at(1, 1)), Some(0));
        assert_eq!(lines.offset(text, at(2, 5)), Some(10));
        assert_eq!(lines.offset(text, at(9, 1)), None);
    }
}
