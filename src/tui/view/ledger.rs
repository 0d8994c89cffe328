//! The ledger: every message and its fate. Losses are loud — a symbol, capital words and the loss
//! style — and are never scrolled away. A failed message says why, with Kafka's error name and
//! the state that caused it.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::sim::errors::reason;
use crate::sim::ledger::{Acknowledgement, LedgerEntry};
use crate::sim::{Lang, Verdict, World};

use super::super::text::{pad, width, wrap};
use super::super::theme::Theme;
use super::{draw_line, pane};

pub struct LedgerPane<'a> {
    pub world: &'a World,
    pub theme: &'a Theme,
    pub lang: Lang,
}

fn symbol(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Safe => "✓",
        Verdict::AtRisk | Verdict::InDoubt => "?",
        Verdict::AckedLost | Verdict::LostInProducer => "✗",
        Verdict::Pending => "…",
        Verdict::NotAcked => "-",
    }
}

fn verdict_style(verdict: Verdict, theme: &Theme) -> Style {
    match verdict {
        Verdict::Safe => theme.good,
        Verdict::AtRisk | Verdict::InDoubt => theme.warn,
        Verdict::AckedLost | Verdict::LostInProducer => theme.loss,
        Verdict::Pending | Verdict::NotAcked => theme.dim,
    }
}

fn ack_words(ack: Acknowledgement, lang: Lang) -> String {
    match ack {
        Acknowledgement::Acked { offset: Some(o) } => {
            format!("{} @{o}", lang.pick("ack", "已确认"))
        }
        Acknowledgement::Acked { offset: None } => {
            lang.pick("ack (acks=0)", "已确认（acks=0）").to_string()
        }
        Acknowledgement::Failed { error } => {
            format!("{} {}", lang.pick("failed:", "失败："), error.kafka_name())
        }
        Acknowledgement::Pending => lang.pick("waiting for ack", "等待确认").to_string(),
        Acknowledgement::LostInProducer => lang.pick("never sent", "从未发出").to_string(),
        Acknowledgement::NoAnswer => lang.pick("no answer", "无应答").to_string(),
    }
}

fn copies(entry: &LedgerEntry, lang: Lang) -> String {
    if entry.copies.is_empty() {
        return lang.pick("no copy", "无副本").to_string();
    }
    let list: Vec<String> = entry
        .copies
        .iter()
        .map(|c| format!("{}{}", c.broker, if c.on_disk { "●" } else { "○" }))
        .collect();
    list.join(" ")
}

fn flags(entry: &LedgerEntry, lang: Lang) -> String {
    let mut flags = Vec::new();
    if entry.is_duplicated() {
        flags.push(lang.pick("DUPLICATED", "重复").to_string());
    }
    if entry.skipped {
        flags.push(
            lang.pick("SKIPPED by the consumer", "被 consumer 跳过")
                .to_string(),
        );
    }
    if entry.delivered > 0 {
        flags.push(format!(
            "{}×{}",
            lang.pick("delivered", "投递"),
            entry.delivered
        ));
    }
    if entry.processed > 0 {
        flags.push(format!(
            "{}×{}",
            lang.pick("processed", "处理"),
            entry.processed
        ));
    }
    flags.join(" ")
}

/// Why a message failed, in terms of the state when it did: the reason alone when the line above
/// already names the error (`failed: NOT_ENOUGH_REPLICAS`), else the error's name and the reason.
fn explanation(entry: &LedgerEntry, world: &World, lang: Lang) -> Option<String> {
    let failure = entry.failure?;
    match entry.ack {
        Acknowledgement::Failed { error } if error == failure.error => {
            reason(failure.error, failure.context, world, lang)
        }
        _ => Some(failure.explain(world, lang)),
    }
}

/// Columns the explanation is indented by, under the message's name.
const EXPLAIN_INDENT: usize = 4;

/// One message's lines: its row, and the wrapped explanation of its failure.
struct Item {
    explanation: Option<String>,
    /// Rows the explanation takes when it is drawn.
    explanation_rows: usize,
    loss: bool,
}

/// The rows `chosen` (in message order) take: a row each, plus each explanation that differs
/// from the one just above it (the same reason for a run of messages is told once).
fn rows_of(items: &[Item], chosen: impl Iterator<Item = usize>) -> usize {
    let mut rows = 0;
    let mut above: Option<&str> = None;
    for i in chosen {
        let text = items[i].explanation.as_deref();
        rows += 1;
        if text.is_some() && text != above {
            rows += items[i].explanation_rows;
        }
        above = text;
    }
    rows
}

/// Which messages fit in `rows`: every loss, then the newest of the rest, in message order, and
/// how many were left out (a line says so).
fn shown(items: &[Item], rows: usize) -> (Vec<usize>, usize) {
    if rows_of(items, 0..items.len()) <= rows {
        return ((0..items.len()).collect(), 0);
    }
    let room = rows.saturating_sub(1);
    let losses = (0..items.len()).rev().filter(|&i| items[i].loss);
    let others = (0..items.len()).rev().filter(|&i| !items[i].loss);
    let mut chosen = std::collections::BTreeSet::new();
    let mut order = losses.chain(others);
    // The most important message is shown even when its explanation does not fit whole.
    chosen.extend(order.next());
    for i in order {
        chosen.insert(i);
        let used = rows_of(items, chosen.iter().copied());
        if used > room {
            chosen.remove(&i);
        } else if used == room {
            break;
        }
    }
    let hidden = items.len() - chosen.len();
    (chosen.into_iter().collect(), hidden)
}

impl LedgerPane<'_> {
    fn items(&self, inner_width: u16) -> Vec<Item> {
        let explain_width = usize::from(inner_width).saturating_sub(EXPLAIN_INDENT);
        self.world
            .ledger()
            .entries
            .iter()
            .map(|entry| {
                let explanation = explanation(entry, self.world, self.lang);
                Item {
                    explanation_rows: explanation
                        .as_deref()
                        .map_or(0, |t| wrap(t, explain_width).len()),
                    explanation,
                    loss: entry.verdict.is_loss(),
                }
            })
            .collect()
    }

    /// Rows every message and explanation would take at `inner_width` columns.
    pub fn rows_wanted(&self, inner_width: u16) -> usize {
        let items = self.items(inner_width);
        rows_of(&items, 0..items.len())
    }
}

impl Widget for LedgerPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (theme, lang, world) = (self.theme, self.lang, self.world);
        let ledger = world.ledger();
        let losses = ledger
            .entries
            .iter()
            .filter(|e| e.verdict.is_loss())
            .count();
        let mut block = pane(lang.pick(" Ledger ", " 消息账本 "), theme);
        if losses > 0 {
            let words = match lang {
                Lang::En => format!(" {losses} LOST "),
                Lang::Zh => format!(" 丢失 {losses} 条 "),
            };
            block = block.title(Span::styled(words, theme.loss));
        }
        let inner = block.inner(area);
        block.render(area, buf);
        if ledger.entries.is_empty() {
            Line::styled(
                lang.pick("no messages produced yet", "还没有生产任何消息"),
                theme.dim,
            )
            .render(inner, buf);
            return;
        }
        let explain_width = usize::from(inner.width).saturating_sub(EXPLAIN_INDENT);
        let items = self.items(inner.width);
        let (shown, hidden) = shown(&items, usize::from(inner.height));
        let entries: Vec<&LedgerEntry> = shown.iter().map(|&i| &ledger.entries[i]).collect();
        let name_w = entries.iter().map(|e| width(&e.name)).max().unwrap_or(2) + 1;
        let verdict_w = entries
            .iter()
            .map(|e| width(e.verdict.label(lang)))
            .max()
            .unwrap_or(4)
            + 1;
        let copies_w = entries
            .iter()
            .map(|e| width(&copies(e, lang)))
            .max()
            .unwrap_or(4)
            + 1;
        let mut lines = Vec::new();
        if hidden > 0 {
            let words = match lang {
                Lang::En => format!("… {hidden} earlier message(s) not shown"),
                Lang::Zh => format!("… 还有 {hidden} 条较早的消息未显示"),
            };
            lines.push(Line::styled(words, theme.dim));
        }
        let mut above: Option<&str> = None;
        for (&i, entry) in shown.iter().zip(entries) {
            let style = verdict_style(entry.verdict, theme);
            let loss = entry.verdict.is_loss();
            let rest = if loss { style } else { theme.base };
            lines.push(Line::from(vec![
                Span::styled(format!("{} ", symbol(entry.verdict)), style),
                Span::styled(pad(&entry.name, name_w), rest),
                Span::styled(pad(entry.verdict.label(lang), verdict_w), style),
                Span::styled(pad(&copies(entry, lang), copies_w), rest),
                Span::styled(format!("{} ", ack_words(entry.ack, lang)), rest),
                Span::styled(flags(entry, lang), if loss { style } else { theme.dim }),
            ]));
            let text = items[i].explanation.as_deref();
            if let Some(text) = text.filter(|t| Some(*t) != above) {
                for (k, piece) in wrap(text, explain_width).into_iter().enumerate() {
                    let head = if k == 0 { "  ↳ " } else { "    " };
                    lines.push(Line::from(vec![
                        Span::styled(head, theme.warn),
                        Span::styled(piece, theme.warn),
                    ]));
                }
            }
            above = text;
        }
        for (line, row) in lines.into_iter().zip(inner.rows()) {
            draw_line(&line, row, buf);
        }
    }
}
