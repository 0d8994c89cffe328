//! The event log: engine events in words, one group per engine step, newest last, the latest group
//! marked and highlighted.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::sim::{Lang, Sim, describe_group};

use super::super::text::{seconds, width, wrap};
use super::super::theme::Theme;
use super::{draw_line, pane};

pub struct EventLog<'a> {
    pub sim: &'a Sim,
    pub theme: &'a Theme,
    pub lang: Lang,
}

impl EventLog<'_> {
    /// The newest whole groups that fit in `height` lines of `width` columns, oldest first, and
    /// whether older groups were left out.
    fn lines(&self, width_cols: usize, height: usize) -> (Vec<Line<'static>>, bool) {
        let world = self.sim.world();
        let mut newest_first: Vec<Vec<Line<'static>>> = Vec::new();
        let mut count = 0;
        let mut left_out = false;
        for (i, group) in self
            .sim
            .events()
            .chunk_by(|a, b| a.step == b.step)
            .rev()
            .enumerate()
        {
            let latest = i == 0;
            let kinds: Vec<_> = group.iter().map(|e| e.kind).collect();
            let text = describe_group(&kinds, world, self.lang);
            let marker = if latest { "▸" } else { " " };
            let time = seconds(group[0].time).replace(' ', "");
            let prefix = format!("{marker}{time:>8} ");
            let indent = width(&prefix);
            let style = if latest {
                self.theme.latest
            } else {
                self.theme.base
            };
            let mut lines: Vec<Line<'static>> = wrap(&text, width_cols.saturating_sub(indent))
                .into_iter()
                .enumerate()
                .map(|(j, piece)| {
                    let head = if j == 0 {
                        Span::styled(prefix.clone(), if latest { style } else { self.theme.dim })
                    } else {
                        Span::raw(" ".repeat(indent))
                    };
                    Line::from(vec![head, Span::styled(piece, style)])
                })
                .collect();
            // The newest group alone may not fit: show its start, where the cause is told.
            if latest && lines.len() > height {
                lines.truncate(height);
            }
            if count + lines.len() > height {
                left_out = true;
                break;
            }
            count += lines.len();
            newest_first.push(lines);
        }
        let lines = newest_first.into_iter().rev().flatten().collect();
        (lines, left_out)
    }
}

impl Widget for EventLog<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let block = pane(
            self.lang
                .pick(" Events (newest last) ", " 事件（最新在下） "),
            self.theme,
        );
        let inner = block.inner(area);
        block.render(area, buf);
        let (lines, left_out) = self.lines(usize::from(inner.width), usize::from(inner.height));
        if lines.is_empty() {
            Line::styled(
                self.lang.pick(
                    "nothing has happened yet: → steps one event, space plays",
                    "还没有事件：按 → 前进一个事件，按空格播放",
                ),
                self.theme.dim,
            )
            .render(inner, buf);
        }
        // A full log keeps its newest line on the bottom row, as a log does.
        let skip = if left_out {
            usize::from(inner.height).saturating_sub(lines.len())
        } else {
            0
        };
        for (line, row) in lines.into_iter().zip(inner.rows().skip(skip)) {
            draw_line(&line, row, buf);
        }
    }
}
