//! The help overlay, generated from the keymap (so it always shows the keys that work), plus the
//! fixed keys and the symbols the screen uses.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Widget};

use crate::sim::Lang;

use super::super::action::{KeyAction, Scope};
use super::super::app::App;
use super::super::text::{width, wrap};
use super::{draw_line, key_row};

pub struct HelpOverlay<'a> {
    pub app: &'a App,
}

fn section_title(scope: Scope, lang: Lang) -> &'static str {
    match scope {
        Scope::Lab | Scope::Lesson | Scope::Racks => {
            lang.pick("In a lesson or the sandbox", "课程与沙盒中")
        }
        Scope::Home => lang.pick("On the lesson list", "课程列表中"),
        Scope::Everywhere => lang.pick("Everywhere", "任何时候"),
    }
}

impl HelpOverlay<'_> {
    fn lines(&self, width_cols: usize) -> Vec<Line<'static>> {
        let (app, theme, lang) = (self.app, &self.app.theme, self.app.lang);
        let key_w = KeyAction::ALL
            .iter()
            .map(|a| width(&app.keymap.label(*a)))
            .max()
            .unwrap_or(4)
            .max(8)
            + 2;
        let row = |keys: String, words: &str| key_row(&keys, key_w, words, width_cols, theme);
        let mut lines = Vec::new();
        for scope in [Scope::Lab, Scope::Home, Scope::Everywhere] {
            lines.push(Line::styled(section_title(scope, lang), theme.title));
            // Rack faults are listed only where there are racks to hit.
            let listed = |a: KeyAction| match a.scope() {
                Scope::Lesson => scope == Scope::Lab,
                Scope::Racks => scope == Scope::Lab && app.applies(a),
                own => own == scope,
            };
            for action in KeyAction::ALL.iter().copied().filter(|a| listed(*a)) {
                lines.extend(row(app.keymap.label(action), action.describe(lang)));
            }
            if scope == Scope::Lab {
                lines.extend(row(
                    "1–9".to_string(),
                    lang.pick(
                        "answer the question (when one waits), else select broker N",
                        "回答问题（有问题等待时），否则选择第 N 个 broker",
                    ),
                ));
                lines.extend(row(
                    lang.pick("click", "点击").to_string(),
                    lang.pick(
                        "select a broker (mouse capture on)",
                        "选择 broker（需打开鼠标捕获）",
                    ),
                ));
            }
            if scope == Scope::Everywhere {
                lines.extend(row(
                    "Ctrl-C".to_string(),
                    lang.pick("quit, always", "随时退出"),
                ));
            }
            lines.push(Line::raw(""));
        }
        lines.extend(symbols(&row, lang, theme));
        lines.push(Line::raw(""));
        let keymap_file = app.keymap_file.as_ref().map_or_else(
            || {
                lang.pick(
                    "keymap.ron in ackscope's config directory",
                    "ackscope 配置目录下的 keymap.ron",
                )
                .to_string()
            },
            |p| p.display().to_string(),
        );
        let note = match lang {
            Lang::En => format!(
                "Your own keys: {keymap_file} (only the actions you change, e.g. {{ \"crash\": [\"x\"] }})"
            ),
            Lang::Zh => format!(
                "自定义按键：{keymap_file}（只写要改的动作，例如 {{ \"crash\": [\"x\"] }}）"
            ),
        };
        for piece in wrap(&note, width_cols) {
            lines.push(Line::styled(piece, theme.dim));
        }
        lines
    }
}

/// What the screen's symbols mean, as help rows.
fn symbols(
    row: &dyn Fn(String, &str) -> Vec<Line<'static>>,
    lang: Lang,
    theme: &super::super::theme::Theme,
) -> Vec<Line<'static>> {
    let mut lines = vec![Line::styled(lang.pick("Symbols", "符号"), theme.title)];
    for (symbol, en, zh) in [
        (
            "● ○",
            "record on disk / only in the page cache",
            "记录已落盘 / 仅在 page cache",
        ),
        (
            "┃",
            "high watermark: records left of it are committed",
            "高水位：左侧的记录已提交",
        ),
        (
            "m1✗",
            "record lost: truncated or gone with the page cache",
            "记录丢失：被截断或随 page cache 消失",
        ),
        (
            "e1:m1",
            "record written in leader epoch 1",
            "在 leader 任期 1 写入的记录",
        ),
        (
            "✓ ✗ ⚡ ✂",
            "up / down / power off / cut off the network",
            "运行 / 宕机 / 断电 / 网络隔离",
        ),
        (
            "▸",
            "the newest event group; a metric the latest step moved",
            "最新的一组事件；刚被上一步改变的指标",
        ),
        (
            "∉ISR",
            "follower outside the in-sync replica set",
            "不在 ISR 中的 follower",
        ),
    ] {
        lines.extend(row(symbol.to_string(), lang.pick(en, zh)));
    }
    lines
}

/// Widest the help is drawn in one column; wider screens get two columns when it is too tall.
const ONE_COLUMN: u16 = 96;
/// Borders and a column of margin on each side.
const CHROME: u16 = 4;

/// How the help is laid out: its width, its columns, and how far it is scrolled.
struct HelpLayout {
    width: u16,
    columns: [Vec<Line<'static>>; 2],
    scroll: usize,
    max_scroll: usize,
}

impl HelpOverlay<'_> {
    /// One column if it fits, else two if they fit, else one column that scrolls.
    fn layout(&self, area: Rect) -> HelpLayout {
        let max_height = usize::from(area.height.saturating_sub(2 + 2));
        let narrow = area.width.saturating_sub(4).min(ONE_COLUMN);
        let single = self.lines(usize::from(narrow.saturating_sub(CHROME)));
        if single.len() <= max_height {
            return HelpLayout {
                width: narrow,
                columns: [single, Vec::new()],
                scroll: 0,
                max_scroll: 0,
            };
        }
        let wide = area.width.saturating_sub(4).min(2 * ONE_COLUMN - 20);
        let half = usize::from(wide.saturating_sub(CHROME + 2) / 2);
        let mut left = self.lines(half);
        // Break at a blank line near the middle, so a section stays in one column.
        let middle = left.len() / 2;
        let split = (middle..left.len())
            .find(|&i| left[i].width() == 0)
            .map_or(middle, |i| i + 1);
        let right = left.split_off(split);
        if left.len().max(right.len()) <= max_height && half >= 40 {
            return HelpLayout {
                width: wide,
                columns: [left, right],
                scroll: 0,
                max_scroll: 0,
            };
        }
        let max_scroll = single.len() - max_height;
        HelpLayout {
            width: narrow,
            columns: [single, Vec::new()],
            scroll: self.app.help_scroll.min(max_scroll),
            max_scroll,
        }
    }
}

/// How far the help can scroll on this screen (0 when it fits).
pub fn max_scroll(app: &App) -> usize {
    HelpOverlay { app }
        .layout(Rect::new(0, 0, app.width, app.height))
        .max_scroll
}

impl Widget for HelpOverlay<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = &self.app.theme;
        let lang = self.app.lang;
        let max_height = usize::from(area.height.saturating_sub(2 + 2));
        let layout = self.layout(area);
        let rows = layout.columns[0]
            .len()
            .max(layout.columns[1].len())
            .min(max_height);
        let scrolls = layout.max_scroll > 0;
        let mut title = lang
            .pick(" Keys — Esc closes ", " 按键说明——Esc 关闭 ")
            .to_string();
        if scrolls {
            title.push_str(lang.pick("· ↑/↓ scroll ", "· ↑/↓ 滚动 "));
        }
        let block = Block::bordered()
            .border_type(BorderType::Double)
            .border_style(theme.border_selected)
            .style(theme.base)
            .title(Span::styled(title, theme.title));
        let popup = area.centered(
            Constraint::Length(layout.width),
            Constraint::Length(rows as u16 + 2),
        );
        Clear.render(popup, buf);
        let inner = block.inner(popup).inner(ratatui::layout::Margin::new(1, 0));
        block.render(popup, buf);
        let [left, right] = Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)])
            .spacing(2)
            .areas(inner);
        let two = !layout.columns[1].is_empty();
        let first_area = if two { left } else { inner };
        let first = layout.columns[0].iter().skip(layout.scroll);
        for (line, row) in first.zip(first_area.rows()) {
            draw_line(line, row, buf);
        }
        for (line, row) in layout.columns[1].iter().zip(right.rows()) {
            draw_line(line, row, buf);
        }
    }
}
