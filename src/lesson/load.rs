//! Reading lesson files: RON with every error located (`file:line:col`), explained, and — for
//! misspelled names — a suggestion. Every problem in a file is reported at once.
//!
//! ron stops at the first error, so a file is parsed in two phases: first with each beat kept as
//! raw text (`RawValue`), then each beat on its own, so a typo in beat 2 does not hide one in
//! beat 5. Then `validate` checks what serde cannot (references, ranges).

use std::fmt;
use std::fmt::Write as _;
use std::ops::Range;

use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};
use ron::extensions::Extensions;
use ron::value::RawValue;
use serde::Deserialize;

use super::schema::{Beat, FORMAT_VERSION, Lesson, Text};
use crate::sim::Setup;

/// One problem in a lesson file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub message: String,
    /// Byte range in the source the problem points at.
    pub span: Range<usize>,
    pub label: String,
    pub help: Option<String>,
}

/// Everything wrong with one lesson file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LessonError {
    pub path: String,
    pub source: String,
    pub diagnostics: Vec<Diagnostic>,
}

impl LessonError {
    pub fn single(path: &str, source: &str, diagnostic: Diagnostic) -> Self {
        LessonError {
            path: path.to_string(),
            source: source.to_string(),
            diagnostics: vec![diagnostic],
        }
    }

    /// `line:col` (1-based, columns in characters) of a byte offset.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        position(&self.source, offset)
    }

    /// The errors with source snippets, as the terminal shows them.
    pub fn render(&self, color: bool) -> String {
        let renderer = if color {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        let mut out = String::new();
        for d in &self.diagnostics {
            let mut group = Level::ERROR.primary_title(d.message.as_str()).element(
                Snippet::source(self.source.as_str())
                    .path(self.path.as_str())
                    .annotation(
                        AnnotationKind::Primary
                            .span(d.span.clone())
                            .label(d.label.as_str()),
                    ),
            );
            if let Some(help) = &d.help {
                group = group.element(Level::HELP.message(help.as_str()));
            }
            out.push_str(&renderer.render(&[group]));
            out.push_str("\n\n");
        }
        let count = self.diagnostics.len();
        let _ = writeln!(
            out,
            "{count} error{} in {}",
            if count == 1 { "" } else { "s" },
            self.path
        );
        out
    }
}

impl fmt::Display for LessonError {
    /// One line per problem: `file:line:col: message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            let (line, col) = self.position(d.span.start);
            write!(f, "{}:{line}:{col}: {}", self.path, d.message)?;
            if let Some(help) = &d.help {
                write!(f, " ({help})")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for LessonError {}

pub fn position(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..offset.min(source.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// ron `Position` (1-based line, column in characters) to a byte offset.
fn byte_offset(source: &str, pos: ron::de::Position) -> usize {
    let mut line_start = 0;
    for _ in 1..pos.line {
        match source[line_start..].find('\n') {
            Some(i) => line_start += i + 1,
            None => return source.len(),
        }
    }
    source[line_start..]
        .char_indices()
        .nth(pos.col.saturating_sub(1))
        .map_or(source.len(), |(i, _)| line_start + i)
}

/// A span that points at the token, never at the whitespace before it, and is never empty.
fn token_span(source: &str, start: usize, end: usize) -> Range<usize> {
    let mut s = start.min(source.len());
    let e = end.min(source.len()).max(s);
    while s < e && source[s..].starts_with(char::is_whitespace) {
        s += source[s..].chars().next().map_or(1, char::len_utf8);
    }
    if s < e {
        return s..e;
    }
    // Empty: cover the next token (an identifier or a single character).
    let rest = &source[s..];
    let skipped = rest.len() - rest.trim_start().len();
    let s = s + skipped;
    let token = source[s..]
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .map(char::len_utf8)
        .sum::<usize>();
    let width = if token > 0 {
        token
    } else {
        source[s..].chars().next().map_or(0, char::len_utf8)
    };
    s..(s + width).min(source.len())
}

/// The closest valid name to `found`, if one is close enough to be a likely typo: similar by
/// Jaro-Winkler, or one edit away for short names like `m9`.
pub fn suggest<'a>(found: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let found_lower = found.to_lowercase();
    candidates
        .iter()
        .map(|c| {
            let lower = c.to_lowercase();
            let score = strsim::jaro_winkler(&found_lower, &lower);
            let one_edit =
                found.chars().count() <= 4 && strsim::levenshtein(&found_lower, &lower) <= 1;
            (if one_edit { score.max(0.8) } else { score }, *c)
        })
        .filter(|(score, _)| *score > 0.75)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// "did you mean `X`? Expected one of …", or just the list when nothing is close.
fn expected_help(found: &str, expected: &[&str]) -> String {
    match suggest(found, expected) {
        Some(s) => format!(
            "did you mean `{s}`? Expected one of {}",
            quoted_list(expected)
        ),
        None => format!("expected one of {}", quoted_list(expected)),
    }
}

fn quoted_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Turns a ron error at `base` in `source` into a diagnostic a person can act on.
#[allow(clippy::too_many_lines)] // one arm per kind of ron error worth explaining
fn from_ron(
    source: &str,
    base: usize,
    fragment: &str,
    error: &ron::error::SpannedError,
) -> Diagnostic {
    let start = base + byte_offset(fragment, error.span.start);
    let end = base + byte_offset(fragment, error.span.end);
    let span = token_span(source, start, end);
    let found_token = source[span.clone()].to_string();
    let (message, label, help) = match &error.code {
        ron::Error::NoSuchStructField {
            expected,
            found,
            outer,
        } => {
            let place = outer
                .as_deref()
                .map_or(String::new(), |o| format!(" in `{o}`"));
            (
                format!("unknown field `{found}`{place}"),
                "unknown field".to_string(),
                Some(expected_help(found, expected)),
            )
        }
        ron::Error::NoSuchEnumVariant {
            expected,
            found,
            outer,
        } => {
            let place = outer
                .as_deref()
                .map_or(String::new(), |o| format!(" of `{o}`"));
            (
                format!("unknown name `{found}`{place}"),
                "not a known name here".to_string(),
                Some(expected_help(found, expected)),
            )
        }
        ron::Error::MissingStructField { field, outer } => {
            let place = outer
                .as_deref()
                .map_or(String::new(), |o| format!(" in `{o}`"));
            (
                format!("missing field `{field}`{place}"),
                format!("`{field}` is required before this"),
                None,
            )
        }
        ron::Error::DuplicateStructField { field, outer } => {
            let place = outer
                .as_deref()
                .map_or(String::new(), |o| format!(" in `{o}`"));
            (
                format!("field `{field}` appears twice{place}"),
                "second occurrence".to_string(),
                None,
            )
        }
        ron::Error::ExpectedComma if found_token == "(" => (
            "unexpected `(`: this name takes no value".to_string(),
            "remove the parentheses".to_string(),
            Some("names like `PowerCutAll` are written without `()`".to_string()),
        ),
        ron::Error::ExpectedComma if found_token == "." => (
            "expected a whole number, found a decimal".to_string(),
            "not a whole number".to_string(),
            None,
        ),
        ron::Error::ExpectedComma => (
            format!(
                "expected `,` or a closing bracket, found `{}`",
                found_token.trim()
            ),
            "expected `,` here".to_string(),
            Some("a missing `)` or `]` above also reads this way".to_string()),
        ),
        ron::Error::ExpectedOption => (
            "expected an optional value".to_string(),
            "write the value, or `None`".to_string(),
            None,
        ),
        ron::Error::Eof => (
            "the file ends before the lesson is complete".to_string(),
            "a `)` or `]` is missing".to_string(),
            None,
        ),
        other => {
            let text = other.to_string();
            let found = if found_token.is_empty() {
                String::new()
            } else {
                format!(", found `{found_token}`")
            };
            (
                format!("{}{found}", lowercase_first(&text)),
                "here".to_string(),
                None,
            )
        }
    };
    Diagnostic {
        message,
        span,
        label,
        help,
    }
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or(String::new(), |c| c.to_lowercase().chain(chars).collect())
}

fn ron_options() -> ron::Options {
    ron::Options::default().with_default_extension(Extensions::IMPLICIT_SOME)
}

/// The top level of a lesson with beats kept as raw text.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // fields are read through the typed `Lesson`; this pass only locates beats
struct RawLesson<'a> {
    version: u32,
    id: String,
    title: Text,
    chapter: Text,
    summary: Text,
    teaches: String,
    setup: Setup,
    #[serde(borrow)]
    beats: Vec<&'a RawValue>,
}

/// Just the version, read before anything else so a newer file gets the right advice.
#[derive(Deserialize)]
struct VersionProbe {
    version: Option<u32>,
}

/// Parses and validates a lesson. `path` is only used in messages.
pub fn parse(path: &str, source: &str) -> Result<Lesson, LessonError> {
    let error = |diagnostics: Vec<Diagnostic>| LessonError {
        path: path.to_string(),
        source: source.to_string(),
        diagnostics,
    };
    let options = ron_options();
    if let Ok(VersionProbe {
        version: Some(version),
    }) = options.from_str::<VersionProbe>(source)
        && version != FORMAT_VERSION
    {
        let span =
            super::validate::find_field(source, "version").map_or(0..0, |i| i..i + "version".len());
        let (message, help) = if version > FORMAT_VERSION {
            (
                format!(
                    "this lesson uses format version {version}; this ackscope reads version {FORMAT_VERSION}"
                ),
                "update ackscope to read it".to_string(),
            )
        } else {
            (
                format!("format version {version} does not exist"),
                format!("version {FORMAT_VERSION} is the current format: see lessons/README.md"),
            )
        };
        return Err(error(vec![Diagnostic {
            message,
            span,
            label: "version".into(),
            help: Some(help),
        }]));
    }
    let raw = match options.from_str::<RawLesson>(source) {
        Ok(raw) => raw,
        Err(raw_error) => {
            // The typed parse gives the better message for the same problem.
            let e = options
                .from_str::<Lesson>(source)
                .err()
                .unwrap_or(raw_error);
            return Err(error(vec![from_ron(source, 0, source, &e)]));
        }
    };
    let mut beats = Vec::new();
    let mut spans = Vec::new();
    let mut diagnostics = Vec::new();
    for raw_beat in &raw.beats {
        let text = raw_beat.get_ron();
        let base = text.as_ptr() as usize - source.as_ptr() as usize;
        spans.push(base..base + text.len());
        match options.from_str::<Beat>(text) {
            Ok(beat) => beats.push(beat),
            Err(e) => diagnostics.push(from_ron(source, base, text, &e)),
        }
    }
    if !diagnostics.is_empty() {
        return Err(error(diagnostics));
    }
    let lesson = Lesson {
        version: raw.version,
        id: raw.id,
        title: raw.title,
        chapter: raw.chapter,
        summary: raw.summary,
        teaches: raw.teaches,
        setup: raw.setup,
        beats,
    };
    let diagnostics = super::validate::validate(&lesson, source, &spans);
    if diagnostics.is_empty() {
        Ok(lesson)
    } else {
        Err(error(diagnostics))
    }
}

/// Reads and parses a lesson file.
pub fn load_file(path: &std::path::Path) -> Result<Lesson, LessonError> {
    let shown = path.display().to_string();
    let source = std::fs::read_to_string(path).map_err(|e| {
        LessonError::single(
            &shown,
            "",
            Diagnostic {
                message: format!("cannot read the file: {e}"),
                span: 0..0,
                label: String::new(),
                help: None,
            },
        )
    })?;
    parse(&shown, &source)
}
