//! `view`: draws the model, never changes it. One widget per concept; the layout is a pure function
//! of the model and the terminal size, so mouse hit-testing uses exactly what was drawn.

mod clients;
mod cluster;
mod events;
mod footer;
mod help;
mod home;
mod ledger;
mod metrics;
mod narration;
mod top_bar;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

use super::app::{App, Lab};
use super::text::{width, wrap};
use super::theme::Theme;
use crate::sim::Lang;
pub use help::max_scroll as help_max_scroll;

/// Whether `c` is always a grapheme of its own, one column wide: printable ASCII and the
/// punctuation, Greek, arrows, box drawing, blocks and shapes the lab draws with. None of these
/// combine with a neighbour (no marks, joiners, Hangul or regional indicators); the soft hyphen
/// and the two emoji squares ◽◾ are left out.
fn single_column(c: char) -> bool {
    matches!(c,
        ' '..='~'
        | '\u{00A1}'..='\u{00AC}'
        | '\u{00AE}'..='\u{00FF}'
        | '\u{0391}'..='\u{03C9}'
        | '\u{2010}'..='\u{2027}'
        | '\u{2190}'..='\u{21FF}'
        | '\u{2500}'..='\u{25FC}'
        | '\u{25FF}'
        | '\u{2713}'
        | '\u{2717}'
    )
}

/// Draws one line of text into the first row of `area`, exactly as `Line::render` would.
///
/// Nearly all the lab's text is made of characters that are each one grapheme one column wide;
/// writing those cells directly skips ratatui's grapheme segmentation, which was most of the time
/// of a frame. Anything else (CJK, combining marks, centred text) goes through `Line::render`.
fn draw_line(line: &Line, area: Rect, buf: &mut Buffer) {
    let plain = |span: &Span| span.content.chars().all(single_column);
    let left = matches!(
        line.alignment,
        None | Some(ratatui::layout::Alignment::Left)
    );
    if !left || !line.spans.iter().all(plain) {
        line.render(area, buf);
        return;
    }
    let area = area.intersection(buf.area);
    if area.is_empty() || line.spans.iter().all(|s| s.content.is_empty()) {
        return;
    }
    let row = Rect { height: 1, ..area };
    buf.set_style(row, line.style);
    let mut x = row.x;
    for span in &line.spans {
        for c in span.content.chars() {
            if x >= row.right() {
                return;
            }
            buf[(x, row.y)].set_char(c).set_style(span.style);
            x += 1;
        }
    }
}

/// Below this the screen says so instead of drawing a garbled lab.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

pub fn view(app: &App, frame: &mut Frame) {
    let area = frame.area();
    let buf = frame.buffer_mut();
    buf.set_style(area, app.theme.base);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(area, buf, &app.theme, app.lang);
        return;
    }
    match app.lab() {
        Some(lab) => render_lab(app, lab, area, buf),
        None => home::render(app, area, buf),
    }
    if app.help {
        help::HelpOverlay { app }.render(area, buf);
    }
}

/// The centred "terminal too small" message (btop's pattern): back to normal once it grows.
fn too_small(area: Rect, buf: &mut Buffer, theme: &Theme, lang: Lang) {
    let text = vec![
        Line::styled(lang.pick("terminal too small", "终端窗口太小"), theme.bad),
        Line::raw(format!(
            "{} {MIN_WIDTH}×{MIN_HEIGHT}, {} {}×{}",
            lang.pick("need", "需要"),
            lang.pick("have", "当前"),
            area.width,
            area.height
        )),
        Line::styled(
            lang.pick(
                "enlarge the window or shrink the font",
                "请放大窗口或缩小字体",
            ),
            theme.dim,
        ),
    ];
    let rect = area.centered(Constraint::Fill(1), Constraint::Length(3));
    Paragraph::new(text).centered().render(rect, buf);
}

/// A bordered pane with a title, in the theme's colours.
fn pane<'t>(title: &'t str, theme: &Theme) -> Block<'t> {
    Block::bordered()
        .border_type(theme.lines)
        .border_style(theme.border)
        .title(Span::styled(title, theme.title))
}

/// Lays styled segments out in lines of at most `width` columns. A line breaks between segments;
/// a segment too long for a line of its own is wrapped by words. Continuation lines are indented.
fn flow(segments: Vec<Span<'static>>, width_cols: u16, indent: usize) -> Vec<Line<'static>> {
    let limit = usize::from(width_cols).max(indent + 8);
    let mut lines: Vec<Line<'static>> = Vec::new();
    let mut current: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    let new_line = |current: &mut Vec<Span<'static>>, used: &mut usize, lines: &mut Vec<_>| {
        lines.push(Line::from(std::mem::take(current)));
        current.push(Span::raw(" ".repeat(indent)));
        *used = indent;
    };
    for segment in segments {
        let w = width(&segment.content);
        if used + w <= limit {
            used += w;
            current.push(segment);
            continue;
        }
        if used > indent {
            new_line(&mut current, &mut used, &mut lines);
        }
        let text = segment.content.trim_start();
        for (i, piece) in wrap(text, limit - indent).into_iter().enumerate() {
            if i > 0 {
                new_line(&mut current, &mut used, &mut lines);
            }
            used += width(&piece);
            current.push(Span::styled(piece, segment.style));
        }
    }
    if used > indent || lines.is_empty() {
        lines.push(Line::from(current));
    }
    lines
}

/// A key and what it does, the words wrapped under themselves: the help's and the sandbox's rows.
fn key_row(
    keys: &str,
    key_width: usize,
    words: &str,
    width_cols: usize,
    theme: &Theme,
) -> Vec<Line<'static>> {
    wrap(words, width_cols.saturating_sub(key_width))
        .into_iter()
        .enumerate()
        .map(|(i, piece)| {
            let head = if i == 0 {
                super::text::pad(keys, key_width)
            } else {
                " ".repeat(key_width)
            };
            Line::from(vec![Span::styled(head, theme.key), Span::raw(piece)])
        })
        .collect()
}

/// Where each part of the lesson / sandbox screen goes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct LabAreas {
    top: Rect,
    chips: Rect,
    cluster: Rect,
    clients: Rect,
    events: Rect,
    /// Narration in a lesson; what to try in the sandbox.
    side: Rect,
    ledger: Rect,
    /// Kafka's metrics, when the learner shows them.
    metrics: Option<Rect>,
    footer: Rect,
}

/// Smallest event log worth showing.
const MIN_EVENTS: u16 = 5;
/// The side column is this wide when the metrics pane shares it (names, values, a sparkline);
/// narrower screens show the metrics in the event log's place instead.
const METRICS_SIDE: u16 = 70;

fn cluster_pane<'a>(app: &'a App, lab: &'a Lab) -> cluster::ClusterPane<'a> {
    cluster::ClusterPane {
        world: lab.world(),
        selected: lab.selected,
        theme: &app.theme,
        lang: app.lang,
    }
}

fn clients_pane<'a>(app: &'a App, lab: &'a Lab) -> clients::ClientsPane<'a> {
    clients::ClientsPane {
        world: lab.world(),
        selected: lab.client,
        theme: &app.theme,
        lang: app.lang,
    }
}

fn metrics_pane<'a>(app: &'a App, lab: &'a Lab) -> metrics::MetricsPane<'a> {
    metrics::MetricsPane {
        lab,
        theme: &app.theme,
        lang: app.lang,
    }
}

fn lab_areas(app: &App, lab: &Lab, area: Rect) -> LabAreas {
    let world = lab.world();
    let [top, chips, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let metrics_beside = app.metrics && body.width * 9 / 20 >= METRICS_SIDE;
    let side_width = if metrics_beside {
        METRICS_SIDE
    } else {
        (body.width * 2 / 5).clamp(36, 64)
    };
    let [left, right] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(side_width)]).areas(body);
    let clients = clients_pane(app, lab);
    let clients_height =
        (clients.lines(left.width.saturating_sub(2)).len() as u16 + 2).min(left.height / 3);
    let cluster_height = cluster_pane(app, lab).height_within(
        left.height.saturating_sub(clients_height + MIN_EVENTS),
        left.width,
    );
    let [cluster, clients, mut events] = Layout::vertical([
        Constraint::Length(cluster_height),
        Constraint::Length(clients_height),
        Constraint::Fill(1),
    ])
    .areas(left);
    // Beside: between the narration (or the sandbox guide) and the ledger, at most half the column.
    let metrics_height = if metrics_beside {
        metrics_pane(app, lab).height().min(right.height / 2)
    } else {
        0
    };
    // The ledger grows with the messages, but leaves a lesson's narration most of the column.
    let ledger_share = if lab.player().is_some() { 2 } else { 3 };
    let ledger_pane = ledger::LedgerPane {
        world,
        theme: &app.theme,
        lang: app.lang,
    };
    // Borders and a spare row.
    let ledger_wanted = ledger_pane.rows_wanted(right.width.saturating_sub(2)) + 3;
    let ledger_height = u16::try_from(ledger_wanted).unwrap_or(u16::MAX).clamp(
        4,
        right.height.saturating_sub(metrics_height) * ledger_share / 5,
    );
    let [side, beside, ledger] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(metrics_height),
        Constraint::Length(ledger_height),
    ])
    .areas(right);
    let metrics = if metrics_beside {
        Some(beside)
    } else if app.metrics {
        // No room beside: the metrics take the event log's place until toggled off.
        Some(std::mem::replace(&mut events, Rect::ZERO))
    } else {
        None
    };
    LabAreas {
        top,
        chips,
        cluster,
        clients,
        events,
        side,
        ledger,
        metrics,
        footer,
    }
}

fn render_lab(app: &App, lab: &Lab, area: Rect, buf: &mut Buffer) {
    let areas = lab_areas(app, lab, area);
    let world = lab.world();
    let (theme, lang) = (&app.theme, app.lang);
    top_bar::TopBar { app, lab }.render(areas.top, buf);
    top_bar::Chips { world, theme }.render(areas.chips, buf);
    cluster_pane(app, lab).render(areas.cluster, buf);
    clients_pane(app, lab).render(areas.clients, buf);
    if !areas.events.is_empty() {
        events::EventLog {
            sim: lab.session.sim(),
            theme,
            lang,
        }
        .render(areas.events, buf);
    }
    match lab.player() {
        Some(player) => narration::Narration {
            player,
            pending: lab.pending_question().is_some(),
            theme,
            lang,
        }
        .render(areas.side, buf),
        None => narration::SandboxGuide { app, lab }.render(areas.side, buf),
    }
    ledger::LedgerPane { world, theme, lang }.render(areas.ledger, buf);
    if let Some(rect) = areas.metrics {
        metrics_pane(app, lab).render(rect, buf);
    }
    footer::Footer { app }.render(areas.footer, buf);
}

/// What a mouse click landed on.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Hit {
    Broker(usize),
    Lesson(usize),
}

/// What is drawn at a cell, for mouse clicks.
pub fn hit(app: &App, column: u16, row: u16) -> Option<Hit> {
    let area = Rect::new(0, 0, app.width, app.height);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return None;
    }
    let position = ratatui::layout::Position::new(column, row);
    match app.lab() {
        Some(lab) => {
            let areas = lab_areas(app, lab, area);
            let inner = Block::bordered().inner(areas.cluster);
            cluster_pane(app, lab)
                .broker_rects(inner)
                .iter()
                .position(|r| r.contains(position))
                .map(Hit::Broker)
        }
        None => home::lesson_at(app, area, position).map(Hit::Lesson),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::{Color, Style};

    #[test]
    fn flow_breaks_between_segments_and_indents() {
        let segments = vec![
            Span::raw("P1 acks=all"),
            Span::styled(" · accumulator: m1 m2", Style::new().fg(Color::Yellow)),
            Span::raw(" · acked 3"),
        ];
        let lines: Vec<String> = flow(segments, 24, 2)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            lines,
            ["P1 acks=all", "  · accumulator: m1 m2", "  · acked 3"]
        );
    }

    fn styled_span() -> impl proptest::strategy::Strategy<Value = Span<'static>> {
        use proptest::prelude::*;
        use ratatui::style::Modifier;
        let text = prop_oneof![
            "[ -~]{0,12}",
            "[a-z·○●✓✗▸…—×←→Δ─═│┃║▁█┌┐ ]{0,12}",
            // Not plain ASCII: wide, combining and control characters take ratatui's own path.
            "[a-z 订单\u{301}\t]{0,6}",
        ];
        let style = (0u8..4, any::<bool>()).prop_map(|(color, bold)| {
            let style = Style::new().fg(Color::Indexed(color));
            if bold {
                style.add_modifier(Modifier::BOLD)
            } else {
                style
            }
        });
        (text, style).prop_map(|(text, style)| Span::styled(text, style))
    }

    #[test]
    fn single_column_characters_are_one_column_wide() {
        let wide: Vec<char> = ('\0'..=char::MAX)
            .filter(|&c| single_column(c) && Span::raw(c.to_string()).width() != 1)
            .collect();
        assert_eq!(wide, []);
    }

    proptest::proptest! {
        /// The fast path draws exactly what `Line::render` draws.
        #[test]
        fn draw_line_matches_line_render(
            spans in proptest::collection::vec(styled_span(), 0..5),
            line_color in 0u8..4,
            x in 0u16..6,
            width in 0u16..30,
        ) {
            let line = Line::from(spans).style(Style::new().bg(Color::Indexed(line_color)));
            let area = Rect::new(x, 1, width, 2);
            let mut expected = Buffer::empty(Rect::new(0, 0, 24, 3));
            let mut drawn = expected.clone();
            line.clone().render(area, &mut expected);
            draw_line(&line, area, &mut drawn);
            proptest::prop_assert_eq!(drawn, expected);
        }
    }
}
