//! The ledger: every message and its fate. Losses are loud — a symbol, capital words and the loss
//! style — and are never scrolled away.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::sim::ledger::{Acknowledgement, LedgerEntry};
use crate::sim::{Lang, Verdict, World};

use super::super::text::{pad, width};
use super::super::theme::Theme;
use super::pane;

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

impl LedgerPane<'_> {
    /// Which entries fit in `rows`: every loss, then the newest of the rest, in message order.
    fn shown(entries: &[LedgerEntry], rows: usize) -> (Vec<&LedgerEntry>, usize) {
        if entries.len() <= rows {
            return (entries.iter().collect(), 0);
        }
        let room = rows.saturating_sub(1);
        let losses = entries.iter().filter(|e| e.verdict.is_loss()).count();
        let mut others_left = room.saturating_sub(losses);
        let mut keep = vec![false; entries.len()];
        for (i, entry) in entries.iter().enumerate().rev() {
            if entry.verdict.is_loss() {
                keep[i] = true;
            } else if others_left > 0 {
                keep[i] = true;
                others_left -= 1;
            }
        }
        let shown: Vec<&LedgerEntry> = entries
            .iter()
            .zip(&keep)
            .filter(|(_, k)| **k)
            .map(|(e, _)| e)
            .take(room)
            .collect();
        let hidden = entries.len() - shown.len();
        (shown, hidden)
    }
}

impl Widget for LedgerPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (theme, lang) = (self.theme, self.lang);
        let ledger = self.world.ledger();
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
        let (shown, hidden) = Self::shown(&ledger.entries, usize::from(inner.height));
        let name_w = shown.iter().map(|e| width(&e.name)).max().unwrap_or(2) + 1;
        let verdict_w = shown
            .iter()
            .map(|e| width(e.verdict.label(lang)))
            .max()
            .unwrap_or(4)
            + 1;
        let copies_w = shown
            .iter()
            .map(|e| width(&copies(e, lang)))
            .max()
            .unwrap_or(4)
            + 1;
        let mut rows = inner.rows();
        if hidden > 0
            && let Some(row) = rows.next()
        {
            let words = match lang {
                Lang::En => format!("… {hidden} earlier message(s) not shown"),
                Lang::Zh => format!("… 还有 {hidden} 条较早的消息未显示"),
            };
            Line::styled(words, theme.dim).render(row, buf);
        }
        for (entry, row) in shown.into_iter().zip(rows) {
            let style = verdict_style(entry.verdict, theme);
            let loss = entry.verdict.is_loss();
            let rest = if loss { style } else { theme.base };
            Line::from(vec![
                Span::styled(format!("{} ", symbol(entry.verdict)), style),
                Span::styled(pad(&entry.name, name_w), rest),
                Span::styled(pad(entry.verdict.label(lang), verdict_w), style),
                Span::styled(pad(&copies(entry, lang), copies_w), rest),
                Span::styled(format!("{} ", ack_words(entry.ack, lang)), rest),
                Span::styled(flags(entry, lang), if loss { style } else { theme.dim }),
            ])
            .render(row, buf);
        }
    }
}
