//! Text layout that respects display width: Chinese characters take two columns, so wrapping and
//! padding count columns with `unicode-width`, never bytes or chars.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Display width of `text` in terminal columns.
pub fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

fn char_width(c: char) -> usize {
    UnicodeWidthChar::width(c).unwrap_or(0)
}

/// Punctuation that must not begin a line (the Chinese rule, and the same for `)` `,` `.`).
fn no_break_before(c: char) -> bool {
    matches!(
        c,
        '，' | '。'
            | '、'
            | '；'
            | '：'
            | '！'
            | '？'
            | '）'
            | '」'
            | '』'
            | '》'
            | '】'
            | ')'
            | ','
            | '.'
            | ';'
            | ':'
            | '!'
            | '?'
    )
}

/// A piece of a paragraph that wrapping keeps whole: a run of spaces, one wide character (Chinese
/// text can break between any two characters), or a run of narrow non-space characters (a word).
/// Closing punctuation stays with what precedes it.
fn tokens(paragraph: &str) -> Vec<&str> {
    #[derive(PartialEq)]
    enum Kind {
        Space,
        Wide,
        Word,
    }
    let kind = |c: char| {
        if c == ' ' {
            Kind::Space
        } else if char_width(c) > 1 {
            Kind::Wide
        } else {
            Kind::Word
        }
    };
    let mut out = Vec::new();
    let mut start = 0;
    let mut current: Option<Kind> = None;
    for (i, c) in paragraph.char_indices() {
        let k = kind(c);
        let split = match &current {
            None => false,
            Some(Kind::Space) => k != Kind::Space,
            _ if no_break_before(c) => false,
            Some(Kind::Wide) => true,
            Some(prev) => *prev != k,
        };
        if split {
            out.push(&paragraph[start..i]);
            start = i;
        }
        current = Some(k);
    }
    if start < paragraph.len() {
        out.push(&paragraph[start..]);
    }
    out
}

/// Splits a token wider than `width` into pieces that fit.
fn hard_split(token: &str, width: usize) -> Vec<String> {
    let mut pieces = vec![String::new()];
    let mut used = 0;
    for c in token.chars() {
        let w = char_width(c);
        if used + w > width && used > 0 {
            pieces.push(String::new());
            used = 0;
        }
        if let Some(last) = pieces.last_mut() {
            last.push(c);
        }
        used += w;
    }
    pieces
}

/// Wraps `text` into lines at most `width` columns wide: at spaces where possible, between any two
/// Chinese characters, and inside a word only when the word alone is too long. Newlines are kept.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        let mut used = 0;
        let mut pending_space = false;
        for token in tokens(paragraph) {
            if token.starts_with(' ') {
                pending_space = !line.is_empty();
                continue;
            }
            let w = self::width(token);
            let gap = usize::from(pending_space);
            if used + gap + w <= width {
                if pending_space {
                    line.push(' ');
                }
                line.push_str(token);
                used += gap + w;
            } else {
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                let mut pieces = hard_split(token, width);
                line = pieces.pop().unwrap_or_default();
                used = self::width(&line);
                lines.extend(pieces);
            }
            pending_space = false;
        }
        lines.push(line);
    }
    lines
}

/// `text` cut to at most `max` columns, with `…` when something was cut.
pub fn truncate(text: &str, max: usize) -> String {
    if width(text) <= max {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = char_width(c);
        if used + w + 1 > max {
            break;
        }
        out.push(c);
        used += w;
    }
    if max > 0 {
        out.push('…');
    }
    out
}

/// `text` padded with spaces on the right to exactly `columns` (cut if longer).
pub fn pad(text: &str, columns: usize) -> String {
    let cut = truncate(text, columns);
    let fill = columns.saturating_sub(width(&cut));
    format!("{cut}{}", " ".repeat(fill))
}

/// Simulated milliseconds as the top bar and the event log show them: `12.345 s`.
pub fn seconds(ms: u64) -> String {
    format!("{}.{:03} s", ms / 1000, ms % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_spaces() {
        assert_eq!(
            wrap("the leader appends m1 to its log", 12),
            vec!["the leader", "appends m1", "to its log"]
        );
    }

    #[test]
    fn wraps_chinese_by_columns() {
        let lines = wrap("分区 orders-0 有三个副本：B1 是 leader", 10);
        assert!(lines.iter().all(|l| width(l) <= 10), "{lines:?}");
        assert_eq!(
            lines.concat().replace(' ', ""),
            "分区orders-0有三个副本：B1是leader"
        );
    }

    #[test]
    fn closing_punctuation_never_starts_a_line() {
        let lines = wrap("取到 m2（HW 1）；处理完", 9);
        assert!(
            lines
                .iter()
                .all(|l| !l.starts_with('）') && !l.starts_with('；')),
            "{lines:?}"
        );
    }

    #[test]
    fn breaks_words_longer_than_the_line() {
        assert_eq!(wrap("abcdefgh", 3), vec!["abc", "def", "gh"]);
    }

    #[test]
    fn keeps_newlines_and_empty_lines() {
        assert_eq!(wrap("a\n\nb", 5), vec!["a", "", "b"]);
    }

    #[test]
    fn truncates_and_pads_by_width() {
        assert_eq!(truncate("副本机制", 5), "副本…");
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(width(&pad("副本机制", 5)), 5);
    }
}
