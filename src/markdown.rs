//! Text that stays itself inside Markdown, as GitHub and GitLab render it: names as code spans,
//! table cells that cannot break their row, fences longer than anything they hold.

/// `text` as a code span: fenced with one backtick more than its longest run of backticks, and
/// padded when it starts or ends with one, so any name shows exactly as written.
pub(crate) fn code(text: &str) -> String {
    let text = text.replace(['\n', '\r'], " ");
    let fence = "`".repeat(longest_run(&text, '`') + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// Markdown text for one table cell: on one line, with `|` escaped (also inside code spans,
/// as GitHub Flavored Markdown requires).
pub(crate) fn cell(text: &str) -> String {
    text.replace(['\n', '\r'], " ").replace('|', "\\|")
}

/// The fence for a code block holding `text`: at least three backticks, more than any run in it.
pub(crate) fn fence(text: &str) -> String {
    "`".repeat(longest_run(text, '`').max(2) + 1)
}

fn longest_run(text: &str, c: char) -> usize {
    text.split(|x| x != c).map(str::len).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_hold_any_name() {
        assert_eq!(code("public.reading"), "`public.reading`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(code("two\nlines"), "`two lines`");
    }

    #[test]
    fn cells_stay_in_their_row() {
        assert_eq!(cell("`a|b`\nc"), "`a\\|b` c");
    }

    #[test]
    fn fences_outlast_their_contents() {
        assert_eq!(fence("SELECT 1;"), "```");
        assert_eq!(fence("a ```` b"), "`````");
    }
}
