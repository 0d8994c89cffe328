//! The clients pane: each producer (accumulator, requests in flight, acks, errors, a send blocked on
//! a full buffer) and each consumer (position, committed offset, records in hand, auto-commit timer).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::sim::config::{CommitStyle, ProcessingStyle, SendMode};
use crate::sim::consumer::Consumer;
use crate::sim::message::SendStatus;
use crate::sim::producer::{ClientState, Drain, Producer};
use crate::sim::{Lang, MessageId, World};

use super::super::text::seconds;
use super::super::theme::Theme;
use super::{draw_line, flow, pane};

pub struct ClientsPane<'a> {
    pub world: &'a World,
    /// The selected client (producers, then consumers), marked `▸` when there are several.
    pub selected: usize,
    pub theme: &'a Theme,
    pub lang: Lang,
}

fn names(world: &World, ids: impl IntoIterator<Item = MessageId>) -> String {
    let names: Vec<&str> = ids
        .into_iter()
        .map(|m| world.messages().get(m.index()).map_or("?", |i| &*i.name))
        .collect();
    names.join(" ")
}

fn state<'t>(state: ClientState, theme: &Theme, lang: Lang) -> Span<'t> {
    match state {
        ClientState::Running => Span::styled(lang.pick("✓ running", "✓ 运行中"), theme.good),
        ClientState::Killed => Span::styled(lang.pick("✗ KILLED", "✗ 已被杀掉"), theme.bad),
        ClientState::Closed => Span::styled(lang.pick("closed", "已关闭"), theme.dim),
    }
}

/// A piece of a client's description after its name: ` · text`, styled.
type Item = (String, Style);

fn producer_head<'t>(p: &Producer, theme: &Theme, lang: Lang) -> Vec<Span<'t>> {
    let mut config = format!("acks={}", p.config.acks);
    if p.idempotent {
        config.push_str(lang.pick(" · idempotent", " · 幂等"));
    }
    if p.config.send_mode == SendMode::Sync {
        config.push_str(lang.pick(" · sync send", " · 同步发送"));
    }
    if p.config.spool {
        config.push_str(lang.pick(" · local spool", " · 本地落盘"));
    }
    vec![
        Span::styled(format!("{} ", p.name), theme.title),
        Span::styled(format!("{config} "), theme.dim),
        state(p.state, theme, lang),
    ]
}

/// What the producer holds and is doing: accumulator, requests in flight, blocked sends.
fn producer_activity(world: &World, p: &Producer, theme: &Theme, lang: Lang) -> Vec<Item> {
    let mut items = Vec::new();
    let buffered: Vec<MessageId> = p
        .buffered()
        .flat_map(|b| b.messages.iter().copied())
        .collect();
    let batches = p.buffered().count();
    items.push((
        if buffered.is_empty() {
            lang.pick("accumulator empty", "accumulator 为空")
                .to_string()
        } else {
            format!(
                "{} {} ({} {}, {batches} {})",
                lang.pick("accumulator:", "accumulator："),
                names(world, buffered.iter().copied()),
                buffered.len(),
                lang.pick("records", "条"),
                lang.pick("batch(es)", "个批次"),
            )
        },
        theme.cache,
    ));
    for request in &p.in_flight {
        let messages = p
            .batches
            .iter()
            .find(|b| b.id == request.batch)
            .map(|b| names(world, b.messages.iter().copied()))
            .unwrap_or_default();
        let words = lang.pick("in flight:", "在途：");
        items.push((
            format!("{words} {messages} → {}", request.broker),
            theme.warn,
        ));
    }
    if !p.app_queue.is_empty() {
        let words = lang.pick("waiting to send():", "等待 send()：");
        let queued = names(world, p.app_queue.iter().copied());
        items.push((format!("{words} {queued}"), theme.dim));
    }
    if let Some(m) = p.awaiting {
        let words = lang.pick("send().get() waits for", "send().get() 正在等待");
        items.push((format!("{words} {}", names(world, [m])), theme.warn));
    }
    if let Some(drain) = p.draining {
        let words = match drain {
            Drain::Flush => lang.pick("flush() in progress", "flush() 进行中"),
            Drain::Close => lang.pick("close() in progress", "close() 进行中"),
        };
        items.push((words.to_string(), theme.warn));
    }
    if let Some(blocked) = &p.blocked {
        items.push((
            format!(
                "{} {} ({} {})",
                lang.pick(
                    "BLOCKED in send(): buffer.memory full —",
                    "send() 阻塞：buffer.memory 已满——"
                ),
                names(world, [blocked.message]),
                lang.pick("since", "开始于"),
                seconds(blocked.since)
            ),
            theme.bad,
        ));
    }
    items
}

/// How the producer's sends turned out: acks and errors.
fn producer_outcomes(world: &World, p: &Producer, theme: &Theme, lang: Lang) -> Vec<Item> {
    let mine = || world.messages().iter().filter(|m| m.producer == p.id);
    let acked = mine().filter(|m| m.is_acked()).count();
    let mut items = vec![(
        format!("{} {acked}", lang.pick("acked", "已确认")),
        theme.good,
    )];
    let failed: Vec<String> = mine()
        .filter_map(|m| {
            let why = match m.status {
                SendStatus::Failed { error } => error.kafka_name(),
                SendStatus::LostInBuffer => lang.pick("lost in the buffer", "丢在缓冲区"),
                SendStatus::Abandoned => lang.pick("no answer", "无应答"),
                _ => return None,
            };
            Some(format!("{} {why}", m.name))
        })
        .collect();
    if !failed.is_empty() {
        let hidden = failed.len().saturating_sub(3);
        let more = if hidden > 0 {
            format!("… +{hidden} ")
        } else {
            String::new()
        };
        items.push((
            format!(
                "{} {}: {more}{}",
                lang.pick("errors", "错误"),
                failed.len(),
                failed[hidden..].join(", ")
            ),
            theme.bad,
        ));
    }
    items
}

/// Segments describing one producer, in reading order.
fn producer_segments<'t>(world: &World, p: &Producer, theme: &Theme, lang: Lang) -> Vec<Span<'t>> {
    let mut segments = producer_head(p, theme, lang);
    let items = producer_activity(world, p, theme, lang)
        .into_iter()
        .chain(producer_outcomes(world, p, theme, lang));
    segments.extend(items.map(|(text, style)| Span::styled(format!(" · {text}"), style)));
    segments
}

fn commit_words(style: CommitStyle, lang: Lang) -> &'static str {
    match style {
        CommitStyle::Auto => lang.pick("auto-commit", "自动提交"),
        CommitStyle::SyncAfterProcessing => {
            lang.pick("commitSync after processing", "处理后 commitSync")
        }
        CommitStyle::AsyncAfterProcessing => {
            lang.pick("commitAsync after processing", "处理后 commitAsync")
        }
        CommitStyle::SyncBeforeProcessing => {
            lang.pick("commitSync before processing", "处理前 commitSync")
        }
        CommitStyle::PerPartitionNextOffset => lang.pick(
            "per-partition commit lastOffset+1",
            "按分区提交 lastOffset+1",
        ),
        CommitStyle::PerPartitionLastOffset => lang.pick(
            "per-partition commit lastOffset (off by one)",
            "按分区提交 lastOffset（差一）",
        ),
        CommitStyle::Manual => lang.pick("manual commits", "手动提交"),
    }
}

/// Segments describing one consumer, in reading order.
fn consumer_segments<'t>(world: &World, c: &Consumer, theme: &Theme, lang: Lang) -> Vec<Span<'t>> {
    let processing = match c.config.processing {
        ProcessingStyle::InLoop => lang.pick("in-loop processing", "在 poll 循环内处理"),
        ProcessingStyle::HandOff => lang.pick("hand-off to a worker", "交给工作线程处理"),
    };
    let mut segments = vec![
        Span::styled(format!("{} ", c.name), theme.title),
        Span::styled(
            format!(
                "group {} · {} · {processing} ",
                c.group,
                commit_words(c.config.commit, lang)
            ),
            theme.dim,
        ),
        state(c.state, theme, lang),
    ];
    let mut add = |text: String, style| {
        segments.push(Span::styled(format!(" · {text}"), style));
    };
    if c.is_alive() && !c.member {
        add(
            lang.pick("not in the group", "不在消费组中").to_string(),
            theme.warn,
        );
    }
    for partition in &c.assigned {
        let name = world.partition(*partition).name.clone();
        let position = c
            .positions
            .get(partition)
            .map_or("—".to_string(), |p| p.offset.to_string());
        let committed = world
            .coordinator()
            .committed(&c.group, *partition)
            .map_or("—".to_string(), |o| o.to_string());
        add(
            format!(
                "{name}: {} {position} · {} {committed}",
                lang.pick("position", "位置"),
                lang.pick("committed", "已提交")
            ),
            theme.base,
        );
    }
    if !c.in_hand.is_empty() {
        add(
            format!(
                "{} {}",
                lang.pick("in hand:", "手上："),
                names(world, c.in_hand.iter().map(|d| d.message))
            ),
            theme.cache,
        );
    }
    if let Some((delivery, _)) = &c.processing {
        add(
            format!(
                "{} {}",
                lang.pick("processing:", "处理中："),
                names(world, [delivery.message])
            ),
            theme.warn,
        );
    }
    let worker: Vec<MessageId> = c
        .worker_busy
        .iter()
        .map(|(d, _)| d.message)
        .chain(c.worker_queue.iter().map(|d| d.message))
        .collect();
    if !worker.is_empty() {
        add(
            format!(
                "{} {}",
                lang.pick("worker:", "工作线程："),
                names(world, worker)
            ),
            theme.warn,
        );
    }
    if c.config.commit == CommitStyle::Auto && c.is_alive() {
        let due = c.last_auto_commit + c.config.auto_commit_interval_ms;
        let text = if due > world.now() {
            format!(
                "{} {}",
                lang.pick("auto-commit in", "距离自动提交"),
                seconds(due - world.now())
            )
        } else {
            lang.pick("auto-commit at the next poll()", "下次 poll() 时自动提交")
                .to_string()
        };
        add(text, theme.dim);
    }
    segments
}

impl ClientsPane<'_> {
    /// Every line of the pane at this inner width.
    pub fn lines(&self, width: u16) -> Vec<Line<'static>> {
        let (world, theme, lang) = (self.world, self.theme, self.lang);
        let clients = world
            .producers()
            .iter()
            .map(|p| producer_segments(world, p, theme, lang));
        let clients: Vec<Vec<Span<'static>>> = clients
            .chain(
                world
                    .consumers()
                    .iter()
                    .map(|c| consumer_segments(world, c, theme, lang)),
            )
            .collect();
        // With one client there is nothing to choose, so no mark.
        let marked = clients.len() > 1;
        let mut lines = Vec::new();
        for (i, mut segments) in clients.into_iter().enumerate() {
            if marked {
                let mark = if i == self.selected {
                    Span::styled("▸ ", theme.border_selected)
                } else {
                    Span::raw("  ")
                };
                segments.insert(0, mark);
            }
            lines.extend(flow(segments, width, 4));
        }
        if lines.is_empty() {
            lines.push(Line::styled(
                self.lang.pick("no clients", "没有客户端"),
                self.theme.dim,
            ));
        }
        lines
    }
}

impl Widget for &ClientsPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let block = pane(
            self.lang
                .pick(" Producers and consumers ", " 生产者与消费者 "),
            self.theme,
        );
        let inner = block.inner(area);
        block.render(area, buf);
        for (line, y) in self.lines(inner.width).into_iter().zip(inner.rows()) {
            draw_line(&line, y, buf);
        }
    }
}
