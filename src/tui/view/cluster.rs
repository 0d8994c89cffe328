//! The cluster pane: a box per broker with its state, inside it a line per replica — role, epoch,
//! LEO, HW and the log as cells — then each partition's ISR, then a legend.
//!
//! Log cells of one partition line up by offset across brokers, so the learner can read down a
//! column and compare what each replica holds at that offset. The gap before offset HW is drawn
//! as `┃`: everything left of it is committed. That, and `●`/`○` for disk/page cache and `✗` for
//! lost records, keeps every state readable without colour.

use std::collections::BTreeMap;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Padding, Widget};

use crate::sim::cluster::{CutScope, Partition, ProcessState, Replica, Role};
use crate::sim::log::Record;
use crate::sim::{BrokerId, Lang, Offset, World};

use super::super::text::{pad, width};
use super::super::theme::Theme;
use super::{draw_line, flow, pane};

/// The cluster pane.
pub struct ClusterPane<'a> {
    pub world: &'a World,
    pub selected: usize,
    pub theme: &'a Theme,
    pub lang: Lang,
}

/// Partitions with a replica on `broker`, in partition order.
fn hosted(world: &World, broker: BrokerId) -> impl Iterator<Item = &Partition> {
    world
        .partitions()
        .iter()
        .filter(move |p| p.replica(broker).is_some())
}

fn replica_rows(world: &World, broker: BrokerId) -> u16 {
    (hosted(world, broker).count().max(1)) as u16
}

/// Rows one broker takes, drawn as a box or (when space is short) under a header line.
fn broker_height(world: &World, broker: BrokerId, boxed: bool) -> u16 {
    replica_rows(world, broker) + if boxed { 2 } else { 1 }
}

/// Brokers grouped by `broker.rack`, racks in order of their first broker; brokers without a
/// rack come last. One group without a heading when there are no racks at all.
fn rack_groups(world: &World) -> Vec<(Option<&str>, Vec<usize>)> {
    let mut groups: Vec<(Option<&str>, Vec<usize>)> = Vec::new();
    for (i, broker) in world.brokers().iter().enumerate() {
        let rack = broker.rack.as_deref();
        match groups.iter_mut().find(|(r, _)| *r == rack) {
            Some((_, members)) => members.push(i),
            None => groups.push((rack, vec![i])),
        }
    }
    groups.sort_by_key(|(rack, _)| rack.is_none());
    groups
}

/// Whether the groups get a heading line each (only when some broker has a rack).
fn racked(world: &World) -> bool {
    world.brokers().iter().any(|b| b.rack.is_some())
}

/// Rows the brokers and their rack headings take.
fn brokers_height(world: &World, boxed: bool) -> u16 {
    let brokers: u16 = world
        .brokers()
        .iter()
        .map(|b| broker_height(world, b.id, boxed))
        .sum();
    let headings = if racked(world) {
        rack_groups(world).len() as u16
    } else {
        0
    };
    brokers + headings
}

/// Where the brokers and the rack headings are drawn.
struct Placement<'w> {
    /// By broker index (what a mouse click hits).
    brokers: Vec<Rect>,
    /// A heading line per rack: the rack and its brokers' indices.
    racks: Vec<(Rect, Option<&'w str>, Vec<usize>)>,
}

impl ClusterPane<'_> {
    /// Every partition's ISR line, wrapped to the pane's inner `width`.
    fn isr_lines(&self, width: u16) -> Vec<Line<'static>> {
        self.world
            .partitions()
            .iter()
            .flat_map(|p| flow(isr_spans(self.world, p, self.theme, self.lang), width, 2))
            .collect()
    }

    /// Rows below the brokers: the ISR lines and the legend.
    fn footer_rows(&self, width: u16) -> u16 {
        self.isr_lines(width).len() as u16 + 1
    }

    /// The height the pane takes within `max` rows when `width` wide, borders included: boxes
    /// when they fit, else the compact form.
    pub fn height_within(&self, max: u16, width: u16) -> u16 {
        let footer = self.footer_rows(width.saturating_sub(2));
        let boxed = brokers_height(self.world, true) + footer + 2;
        if boxed <= max {
            boxed
        } else {
            (brokers_height(self.world, false) + footer + 2).min(max)
        }
    }

    fn boxed_fits(&self, inner: Rect) -> bool {
        brokers_height(self.world, true) + self.footer_rows(inner.width) <= inner.height
    }

    /// Where each broker is drawn inside the pane's inner area (also what a mouse click hits).
    pub fn broker_rects(&self, inner: Rect) -> Vec<Rect> {
        self.placement(inner).brokers
    }

    /// Brokers grouped by rack, each rack under a heading line.
    fn placement(&self, inner: Rect) -> Placement<'_> {
        let world = self.world;
        let boxed = self.boxed_fits(inner);
        let headings = racked(world);
        let mut y = inner.y;
        let mut row = |h: u16| {
            let rect = Rect::new(inner.x, y, inner.width, h).intersection(inner);
            y = y.saturating_add(h);
            rect
        };
        let mut placement = Placement {
            brokers: vec![Rect::ZERO; world.brokers().len()],
            racks: Vec::new(),
        };
        for (rack, members) in rack_groups(world) {
            if headings {
                placement.racks.push((row(1), rack, members.clone()));
            }
            for i in members {
                placement.brokers[i] = row(broker_height(world, world.brokers()[i].id, boxed));
            }
        }
        placement
    }
}

/// `rack a ──── ⚡ POWER OFF`: a rack's heading, with the state all its brokers share.
fn rack_heading<'t>(
    world: &World,
    rack: Option<&str>,
    members: &[usize],
    width_cols: u16,
    theme: &Theme,
    lang: Lang,
) -> Line<'t> {
    let brokers = || members.iter().map(|&i| &world.brokers()[i]);
    let name = match rack {
        Some(rack) => format!("rack {rack} "),
        None => lang.pick("no rack ", "无机架 ").to_string(),
    };
    let shared = if brokers().all(|b| b.process == ProcessState::PoweredOff) {
        Some((lang.pick(" ⚡ NO POWER", " ⚡ 整架断电"), theme.bad))
    } else if brokers().all(|b| b.cut_off.is_some()) {
        Some((lang.pick(" ✂ CUT OFF", " ✂ 整架隔离"), theme.warn))
    } else {
        None
    };
    let used = width(&name) + shared.map_or(0, |(w, _)| width(w));
    let mut spans = vec![
        Span::styled(name, theme.title),
        Span::styled(
            "─".repeat(usize::from(width_cols).saturating_sub(used)),
            theme.border,
        ),
    ];
    if let Some((words, style)) = shared {
        spans.push(Span::styled(words, style));
    }
    Line::from(spans)
}

/// The state words of a broker's title: `✓ UP`, `✗ DOWN (crashed)`, `⚡ POWER OFF`, `✂ CUT OFF`.
fn broker_state<'t>(world: &World, broker: BrokerId, theme: &Theme, lang: Lang) -> Vec<Span<'t>> {
    let b = world.broker(broker);
    let mut spans = vec![match b.process {
        ProcessState::Running => Span::styled(lang.pick("✓ UP", "✓ 运行中"), theme.good),
        ProcessState::Crashed => Span::styled(
            lang.pick("✗ DOWN (process crashed)", "✗ 宕机（进程崩溃）"),
            theme.bad,
        ),
        ProcessState::PoweredOff => Span::styled(lang.pick("⚡ POWER OFF", "⚡ 断电"), theme.bad),
        ProcessState::Stopped => Span::styled(
            lang.pick("✗ DOWN (clean shutdown)", "✗ 已停止（正常关闭）"),
            theme.warn,
        ),
    }];
    if let Some(scope) = b.cut_off {
        let words = match scope {
            CutScope::Everyone => lang.pick("✂ CUT OFF", "✂ 网络隔离"),
            CutScope::Cluster => lang.pick("✂ CUT OFF from the cluster", "✂ 与集群隔离"),
            CutScope::Brokers => lang.pick("✂ CUT OFF from brokers", "✂ 与其他 broker 隔离"),
        };
        spans.push(Span::raw("  "));
        spans.push(Span::styled(words, theme.warn));
    }
    if b.fenced {
        spans.push(Span::raw("  "));
        spans.push(Span::styled(
            lang.pick("fenced by the controller", "被 controller 隔离（fenced）"),
            theme.warn,
        ));
    }
    spans
}

/// Column widths shared by every replica line, so logs line up across brokers.
struct Columns {
    /// Partition names are shown only when there are several.
    name: usize,
    role: usize,
    epoch: usize,
    leo: usize,
    hw: usize,
}

impl Columns {
    fn of(world: &World, lang: Lang) -> Columns {
        let partitions = world.partitions();
        let replicas = || partitions.iter().flat_map(|p| p.replicas.iter());
        let digits = |n: Offset| n.to_string().len();
        let name = if partitions.len() > 1 {
            partitions.iter().map(|p| width(&p.name)).max().unwrap_or(0) + 1
        } else {
            0
        };
        // As wide as the widest role on screen now, so every log starts in the same column.
        let role = partitions
            .iter()
            .flat_map(|p| {
                p.replicas.iter().map(move |r| {
                    width(role_words(
                        &r.role,
                        p.controller.isr.contains(r.broker),
                        lang,
                    ))
                })
            })
            .max()
            .unwrap_or(0);
        Columns {
            name,
            role: role + 1,
            epoch: replicas()
                .map(|r| digits(u64::from(r.leader_epoch)))
                .max()
                .unwrap_or(1)
                + 2,
            leo: replicas()
                .map(|r| digits(r.log.end_offset()))
                .max()
                .unwrap_or(1)
                + 5,
            hw: replicas()
                .map(|r| digits(r.high_watermark))
                .max()
                .unwrap_or(1)
                + 4,
        }
    }

    fn total(&self) -> usize {
        self.name + self.role + self.epoch + self.leo + self.hw
    }
}

// Kafka's own words for a replica's role, kept in English in both languages like all Kafka terms.
const LEADER: &str = "LEADER";
const FOLLOWER: &str = "follower";
const FOLLOWER_OUT: &str = "follower ∉ISR";

/// A replica whose broker is down has no role.
fn down_words(lang: Lang) -> &'static str {
    lang.pick("— (down)", "—（不可用）")
}

fn role_words(role: &Role, in_isr: bool, lang: Lang) -> &'static str {
    match (role, in_isr) {
        (Role::Leader(_), _) => LEADER,
        (Role::Follower { .. }, true) => FOLLOWER,
        (Role::Follower { .. }, false) => FOLLOWER_OUT,
        (Role::Unassigned, _) => down_words(lang),
    }
}

/// How one partition's logs are laid out: which offsets are visible and how wide a cell is.
struct LogWindow {
    first: Offset,
    end: Offset,
    cell: usize,
    epochs: bool,
}

impl LogWindow {
    fn of(partition: &Partition, world: &World, room: usize) -> LogWindow {
        let epochs = partition.replicas.iter().any(|r| {
            r.log.records().iter().any(|rec| rec.epoch > 0)
                || r.log.ghosts().iter().any(|g| g.record.epoch > 0)
        });
        let mut end = 0;
        let mut cell = 1;
        for replica in &partition.replicas {
            let ghosts = Ghosts::of(replica);
            end = end
                .max(replica.log.end_offset())
                .max(ghosts.in_place.keys().last().map_or(0, |o| o + 1));
            let records = replica.log.records().iter();
            for record in records.chain(replica.log.ghosts().iter().map(|g| &g.record)) {
                cell = cell.max(width(&cell_text(world, record, epochs, "✗")));
            }
        }
        // Each visible offset takes a gap and a cell; one more gap closes the row.
        let fit = (room.saturating_sub(1) / (cell + 1)).max(1) as Offset;
        LogWindow {
            first: end.saturating_sub(fit),
            end,
            cell,
            epochs,
        }
    }
}

/// A replica's ghosts: drawn struck-out in their own offset's column when the live log has not
/// reached it again (the latest ghost of each offset), else listed after the log.
struct Ghosts<'r> {
    in_place: BTreeMap<Offset, &'r Record>,
    listed: Vec<(Offset, &'r Record)>,
}

impl<'r> Ghosts<'r> {
    fn of(replica: &'r Replica) -> Ghosts<'r> {
        let end = replica.log.end_offset();
        let mut in_place = BTreeMap::new();
        let mut listed: Vec<(Offset, &Record)> = Vec::new();
        for ghost in replica.log.ghosts().iter().rev() {
            let seen =
                |o: Offset, r: &Record| o == ghost.offset && r.message == ghost.record.message;
            if ghost.offset >= end && !in_place.contains_key(&ghost.offset) {
                in_place.insert(ghost.offset, &ghost.record);
            } else if !in_place.iter().any(|(o, r)| seen(*o, r))
                && !listed.iter().any(|(o, r)| seen(*o, r))
            {
                // The same record lost twice at the same place (lost, fetched again, lost again)
                // is listed once.
                listed.push((ghost.offset, &ghost.record));
            }
        }
        listed.reverse();
        Ghosts { in_place, listed }
    }
}

/// `m1●`, or `e1:m1●` when the partition's records carry different leader epochs.
fn cell_text(world: &World, record: &Record, epochs: bool, marker: &str) -> String {
    let name = world
        .messages()
        .get(record.message.index())
        .map_or("?", |m| &m.name);
    if epochs {
        format!("e{}:{name}{marker}", record.epoch)
    } else {
        format!("{name}{marker}")
    }
}

/// One replica's line: role, epoch, LEO, HW, then its log.
fn replica_line<'t>(
    world: &World,
    partition: &Partition,
    replica: &Replica,
    columns: &Columns,
    window: &LogWindow,
    theme: &Theme,
    lang: Lang,
) -> Line<'t> {
    let in_isr = partition.controller.isr.contains(replica.broker);
    let mut spans = Vec::new();
    if columns.name > 0 {
        spans.push(Span::styled(pad(&partition.name, columns.name), theme.dim));
    }
    let role_style = match (&replica.role, in_isr) {
        (Role::Leader(_), _) => theme.leader,
        (Role::Follower { .. }, false) => theme.warn,
        _ => theme.base,
    };
    spans.push(Span::styled(
        pad(role_words(&replica.role, in_isr, lang), columns.role),
        role_style,
    ));
    spans.push(Span::raw(pad(
        &format!("e{}", replica.leader_epoch),
        columns.epoch,
    )));
    spans.push(Span::raw(pad(
        &format!("LEO {}", replica.log.end_offset()),
        columns.leo,
    )));
    spans.push(Span::raw(pad(
        &format!("HW {}", replica.high_watermark),
        columns.hw,
    )));
    let ghosts = Ghosts::of(replica);
    spans.extend(log_cells(world, replica, &ghosts, window, theme));
    if !ghosts.listed.is_empty() {
        spans.push(Span::styled(lang.pick("  lost:", "  丢失："), theme.dim));
        for (offset, record) in ghosts.listed {
            let text = cell_text(world, record, window.epochs, "✗");
            spans.push(Span::raw(" "));
            spans.push(Span::styled(format!("{text}@{offset}"), theme.ghost));
        }
    }
    Line::from(spans)
}

/// The log as aligned cells with the HW bar in the gap before offset HW.
fn log_cells<'t>(
    world: &World,
    replica: &Replica,
    ghosts: &Ghosts,
    window: &LogWindow,
    theme: &Theme,
) -> Vec<Span<'t>> {
    let hw = replica.high_watermark;
    let mut spans = Vec::new();
    let gap = |offset: Offset| -> Span<'t> {
        if offset == hw {
            Span::styled("┃", theme.leader)
        } else if offset == window.first && window.first > 0 {
            Span::styled("…", theme.dim)
        } else {
            Span::raw(" ")
        }
    };
    for offset in window.first..window.end {
        spans.push(gap(offset));
        let (text, style) = if let Some(record) = replica.log.record(offset) {
            let durable = replica.log.is_durable(offset);
            let marker = if durable { "●" } else { "○" };
            let mut style = if durable { theme.disk } else { theme.cache };
            if offset < hw {
                style = style.patch(theme.committed);
            }
            (cell_text(world, record, window.epochs, marker), style)
        } else if let Some(record) = ghosts.in_place.get(&offset) {
            (cell_text(world, record, window.epochs, "✗"), theme.ghost)
        } else {
            (String::new(), theme.base)
        };
        spans.push(Span::styled(pad(&text, window.cell), style));
    }
    spans.push(gap(window.end));
    if window.end == 0 {
        spans.push(Span::styled("(empty)", theme.dim));
    }
    spans
}

/// `orders-0 leader B1 · epoch 0 · ISR {1,2,3} · out of ISR: B3`, as segments to flow.
fn isr_spans(
    world: &World,
    partition: &Partition,
    theme: &Theme,
    lang: Lang,
) -> Vec<Span<'static>> {
    let c = &partition.controller;
    let min_isr = world.effective_min_isr(partition.id);
    let mut spans = vec![Span::styled(format!("{} ", partition.name), theme.title)];
    match c.leader {
        Some(leader) => spans.push(Span::styled(
            format!("{} {leader}", lang.pick("leader", "leader")),
            theme.leader,
        )),
        None => spans.push(Span::styled(
            lang.pick("✗ OFFLINE: no leader", "✗ 离线：没有 leader"),
            theme.bad,
        )),
    }
    spans.push(Span::raw(format!(" · epoch {}", c.leader_epoch)));
    spans.push(Span::raw(format!(" · ISR {}", c.isr)));
    let outside: Vec<String> = partition
        .assignment
        .iter()
        .filter(|b| !c.isr.contains(**b))
        .map(ToString::to_string)
        .collect();
    if !outside.is_empty() {
        spans.push(Span::styled(
            format!(
                " · {} {}",
                lang.pick("out of ISR:", "不在 ISR："),
                outside.join(",")
            ),
            theme.warn,
        ));
    }
    if c.leader.is_some() && c.isr.len() < min_isr {
        spans.push(Span::styled(
            format!(" · ✗ ISR < min.insync.replicas={min_isr}:"),
            theme.bad,
        ));
        spans.push(Span::styled(
            lang.pick(" acks=all writes are refused", " acks=all 写入会被拒绝"),
            theme.bad,
        ));
    }
    if c.recovering {
        spans.push(Span::styled(
            lang.pick(
                " · recovering after an unclean election",
                " · 脏选举后恢复中",
            ),
            theme.warn,
        ));
    }
    spans
}

/// What the log symbols mean, as many items as fit in `room` columns.
fn legend<'t>(theme: &Theme, lang: Lang, epochs: bool, room: usize) -> Line<'t> {
    let mut items = vec![
        ("●", theme.disk, lang.pick("disk", "已落盘")),
        ("○", theme.cache, lang.pick("page cache", "仅在 page cache")),
        (
            "┃",
            theme.leader,
            lang.pick("HW (left of it: committed)", "HW（左侧已提交）"),
        ),
        (
            "✗",
            theme.ghost,
            lang.pick("lost (struck out)", "已丢失（删除线）"),
        ),
    ];
    if epochs {
        items.push(("eN:", theme.base, lang.pick("leader epoch", "leader 任期")));
    }
    let mut spans = Vec::new();
    let mut used = 0;
    for (symbol, style, words) in items {
        let text = format!(" {words}   ");
        used += width(symbol) + width(&text);
        if used > room {
            break;
        }
        spans.push(Span::styled(symbol, style));
        spans.push(Span::styled(text, theme.dim));
    }
    Line::from(spans)
}

impl Widget for &ClusterPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (theme, world, lang) = (self.theme, self.world, self.lang);
        let block = pane(lang.pick(" Cluster ", " 集群 "), theme);
        let inner = block.inner(area);
        block.render(area, buf);
        let boxed = self.boxed_fits(inner);
        let columns = Columns::of(world, lang);
        let placement = self.placement(inner);
        for (rect, rack, members) in &placement.racks {
            rack_heading(world, *rack, members, rect.width, theme, lang).render(*rect, buf);
        }
        let rects = placement.brokers;
        let log_room =
            usize::from(inner.width).saturating_sub(columns.total() + if boxed { 4 } else { 1 });
        let windows: Vec<LogWindow> = world
            .partitions()
            .iter()
            .map(|p| LogWindow::of(p, world, log_room))
            .collect();
        for (i, (broker, rect)) in world.brokers().iter().zip(&rects).enumerate() {
            let selected = i == self.selected;
            let mut title = vec![Span::styled(
                format!(" {}{} ", if selected { "▸ " } else { "" }, broker.id),
                if selected {
                    theme.border_selected
                } else {
                    theme.title
                },
            )];
            title.extend(broker_state(world, broker.id, theme, lang));
            title.push(Span::raw(" "));
            let content = if boxed {
                let block = Block::bordered()
                    .padding(Padding::horizontal(1))
                    // A shape, not only a colour, marks the selection; double lines never look
                    // like the `┃` of a high watermark.
                    .border_type(if selected {
                        BorderType::Double
                    } else {
                        BorderType::Plain
                    })
                    .border_style(if selected {
                        theme.border_selected
                    } else {
                        theme.border
                    })
                    .title(Line::from(title));
                let content = block.inner(*rect);
                block.render(*rect, buf);
                content
            } else {
                Line::from(title).render(*rect, buf);
                Rect {
                    x: rect.x + 1,
                    y: rect.y + 1,
                    width: rect.width.saturating_sub(1),
                    height: rect.height.saturating_sub(1),
                }
            };
            let mut y = content.y;
            for (p_index, partition) in world.partitions().iter().enumerate() {
                let Some(replica) = partition.replica(broker.id) else {
                    continue;
                };
                if y >= content.bottom() {
                    break;
                }
                let line = replica_line(
                    world,
                    partition,
                    replica,
                    &columns,
                    &windows[p_index],
                    theme,
                    lang,
                );
                draw_line(&line, Rect::new(content.x, y, content.width, 1), buf);
                y += 1;
            }
        }
        let mut y = rects.iter().map(|r| r.bottom()).max().unwrap_or(inner.y);
        for line in self.isr_lines(inner.width) {
            if y >= inner.bottom() {
                return;
            }
            draw_line(&line, Rect::new(inner.x, y, inner.width, 1), buf);
            y += 1;
        }
        if y < inner.bottom() {
            let epochs = windows.iter().any(|w| w.epochs);
            legend(theme, lang, epochs, usize::from(inner.width))
                .render(Rect::new(inner.x, y, inner.width, 1), buf);
        }
    }
}
