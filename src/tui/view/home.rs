//! The home screen: the bundled lessons by chapter with the learner's progress, and a preview of
//! the highlighted one.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Widget};

use crate::sim::Lang;

use super::super::action::KeyAction;
use super::super::app::App;
use super::super::text::{pad, truncate, width, wrap};
use super::footer::Footer;
use super::{draw_line, pane};

/// A row of the lesson list.
enum Row {
    Chapter(String),
    Lesson(usize),
    Blank,
}

fn rows(app: &App) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut chapter = None;
    for (i, lesson) in app.lessons.iter().enumerate() {
        let this = lesson.chapter.get(app.lang);
        if chapter != Some(this) {
            if chapter.is_some() {
                rows.push(Row::Blank);
            }
            rows.push(Row::Chapter(this.to_string()));
            chapter = Some(this);
        }
        rows.push(Row::Lesson(i));
    }
    rows
}

/// The first row shown, so that the selected lesson stays in view with a row below it.
fn first_row(rows: &[Row], selected: usize, height: usize) -> usize {
    let at = rows
        .iter()
        .position(|r| matches!(r, Row::Lesson(i) if *i == selected))
        .unwrap_or(0);
    (at + 2)
        .saturating_sub(height)
        .min(rows.len().saturating_sub(height))
}

struct Areas {
    header: Rect,
    list: Rect,
    preview: Rect,
    footer: Rect,
}

fn areas(area: Rect) -> Areas {
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let [list, preview] = Layout::horizontal([
        Constraint::Length((body.width * 2 / 5).clamp(36, 64)),
        Constraint::Fill(1),
    ])
    .areas(body);
    Areas {
        header,
        list,
        preview,
        footer,
    }
}

/// The lesson whose row is at `position`, for mouse clicks.
pub fn lesson_at(app: &App, area: Rect, position: Position) -> Option<usize> {
    let inner = Block::bordered().inner(areas(area).list);
    if !inner.contains(position) {
        return None;
    }
    let rows = rows(app);
    let first = first_row(&rows, app.home_selected, usize::from(inner.height));
    match rows.get(first + usize::from(position.y - inner.y))? {
        Row::Lesson(i) => Some(*i),
        _ => None,
    }
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let (theme, lang) = (&app.theme, app.lang);
    let areas = areas(area);
    Line::from(vec![
        Span::styled(" ackscope", theme.title),
        Span::styled(
            lang.pick(
                " — when does Kafka keep a message, and when does it lose it?",
                " —— Kafka 什么时候保住消息，什么时候丢失消息？",
            ),
            theme.base,
        ),
    ])
    .render(areas.header, buf);
    Line::styled(
        format!(
            "{} {} ",
            app.keymap.label(KeyAction::Help),
            lang.pick("help", "帮助")
        ),
        theme.key,
    )
    .right_aligned()
    .render(areas.header, buf);

    let rows = rows(app);
    let height = usize::from(areas.list.height.saturating_sub(2));
    let first = first_row(&rows, app.home_selected, height);
    let mut list = pane(lang.pick(" Lessons ", " 课程 "), theme);
    if first > 0 {
        list =
            list.title(Line::styled(lang.pick(" ↑ more ", " ↑ 更多 "), theme.dim).right_aligned());
    }
    if first + height < rows.len() {
        list = list.title_bottom(
            Line::styled(lang.pick(" ↓ more ", " ↓ 更多 "), theme.dim).right_aligned(),
        );
    }
    let inner = list.inner(areas.list);
    list.render(areas.list, buf);
    if app.lessons.is_empty() {
        Line::styled(lang.pick("no lessons bundled", "没有内置课程"), theme.dim).render(inner, buf);
    }
    let list_width = usize::from(inner.width);
    for (row, rect) in rows.into_iter().skip(first).zip(inner.rows()) {
        match row {
            Row::Chapter(name) => Line::styled(name, theme.title).render(rect, buf),
            Row::Blank => {}
            Row::Lesson(i) => {
                let lesson = &app.lessons[i];
                let progress = app.progress.of(&lesson.id);
                let done = if progress.is_some_and(|p| p.done) {
                    "✓"
                } else {
                    " "
                };
                let score = progress
                    .filter(|p| p.answered > 0)
                    .map_or(String::new(), |p| format!(" {}/{}", p.right, p.answered));
                let selected = i == app.home_selected;
                let head = format!("{}{done} ", if selected { " ▸" } else { "  " });
                let title_room = list_width.saturating_sub(width(&head) + width(&score));
                let text = format!("{head}{}{score}", pad(lesson.title.get(lang), title_room));
                let style = if selected { theme.selected } else { theme.base };
                Line::styled(text, style).render(rect, buf);
            }
        }
    }

    Preview { app }.render(areas.preview, buf);
    Footer { app }.render(areas.footer, buf);
}

/// The highlighted lesson: what it teaches, its beats, the learner's progress.
struct Preview<'a> {
    app: &'a App,
}

impl Widget for Preview<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let (theme, lang) = (&app.theme, app.lang);
        let Some(lesson) = app.lessons.get(app.home_selected) else {
            pane("", theme).render(area, buf);
            return;
        };
        let title = format!(" {} ", lesson.title.get(lang));
        let block = pane(&title, theme);
        let inner = block.inner(area).inner(ratatui::layout::Margin::new(1, 0));
        block.render(area, buf);
        let w = usize::from(inner.width);
        let mut lines = vec![Line::styled(
            truncate(
                &match lang {
                    Lang::En => format!(
                        "{} · {} beats · teaches {}",
                        lesson.chapter.get(lang),
                        lesson.beats.len(),
                        lesson.teaches,
                    ),
                    Lang::Zh => format!(
                        "{} · {} 节 · 对应 {}",
                        lesson.chapter.get(lang),
                        lesson.beats.len(),
                        lesson.teaches,
                    ),
                },
                w,
            ),
            theme.dim,
        )];
        lines.push(Line::styled(
            truncate(&format!("ackscope lesson {}", lesson.id), w),
            theme.dim,
        ));
        lines.push(Line::raw(""));
        lines.extend(wrap(lesson.summary.get(lang), w).into_iter().map(Line::raw));
        lines.push(Line::raw(""));
        let progress = app.progress.of(&lesson.id);
        let status = match (progress, lang) {
            (Some(p), Lang::En) if p.done => {
                format!("✓ done · predictions {}/{} right", p.right, p.answered)
            }
            (Some(p), Lang::Zh) if p.done => {
                format!("✓ 已完成 · 预测答对 {}/{}", p.right, p.answered)
            }
            (Some(p), Lang::En) if p.answered > 0 => {
                format!("started · predictions {}/{} right", p.right, p.answered)
            }
            (Some(p), Lang::Zh) if p.answered > 0 => {
                format!("进行中 · 预测答对 {}/{}", p.right, p.answered)
            }
            (_, lang) => lang.pick("not started yet", "尚未开始").to_string(),
        };
        let done = progress.is_some_and(|p| p.done);
        lines.push(Line::styled(
            status,
            if done { theme.good } else { theme.dim },
        ));
        lines.push(Line::raw(""));
        lines.push(Line::styled(lang.pick("Beats", "小节"), theme.title));
        for (i, beat) in lesson.beats.iter().enumerate() {
            let question = if beat.ask.is_some() {
                lang.pick("  (prediction)", "  （预测题）")
            } else {
                ""
            };
            lines.push(Line::raw(truncate(
                &format!("{:>3}. {}{question}", i + 1, beat.title.get(lang)),
                w,
            )));
        }
        lines.push(Line::raw(""));
        lines.push(Line::from(vec![
            Span::styled(app.keymap.label(KeyAction::OpenLesson), theme.key),
            Span::raw(lang.pick(" start this lesson   ", " 开始本课   ")),
            Span::styled(app.keymap.label(KeyAction::OpenSandbox), theme.key),
            Span::raw(lang.pick(" open the sandbox", " 打开沙盒")),
        ]));
        for (line, row) in lines.into_iter().zip(inner.rows()) {
            draw_line(&line, row, buf);
        }
    }
}
