//! The top bar (what is playing, where, how fast) and the config chips under it.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::lesson::player::Phase;
use crate::sim::World;
use crate::sim::config::{Acks, TopicSetup};

use super::super::app::{App, Lab, speed_label};
use super::super::text::{seconds, truncate, width};
use super::super::theme::Theme;

/// Position of the lesson title among the top bar's spans.
const TITLE: usize = 2;

pub struct TopBar<'a> {
    pub app: &'a App,
    pub lab: &'a Lab,
}

impl Widget for TopBar<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (app, lab) = (self.app, self.lab);
        let (theme, lang) = (&app.theme, app.lang);
        let sep = || Span::styled(" │ ", theme.dim);
        let mut spans = vec![Span::styled(" ackscope", theme.title), sep()];
        match lab.player() {
            Some(player) => {
                let lesson = player.lesson();
                let beats = lesson.beats.len();
                let cursor = player.cursor();
                spans.push(Span::styled(
                    lesson.title.get(lang).to_string(),
                    theme.title,
                ));
                spans.push(sep());
                let beat = if player.is_finished() {
                    lang.pick("lesson complete", "课程完成").to_string()
                } else {
                    let phase = match cursor.phase {
                        Phase::Intro => lang.pick("", ""),
                        Phase::Acting { .. } => lang.pick(" · running", " · 进行中"),
                        Phase::Done => lang.pick(" · done", " · 已完成"),
                    };
                    format!(
                        "{} {}/{beats}{phase}",
                        lang.pick("beat", "第"),
                        cursor.beat + 1
                    )
                };
                spans.push(Span::raw(beat));
            }
            None => spans.push(Span::styled(lang.pick("sandbox", "沙盒"), theme.title)),
        }
        spans.push(sep());
        spans.push(Span::raw(format!("t = {}", seconds(lab.world().now()))));
        spans.push(sep());
        spans.push(if lab.playing {
            Span::styled(lang.pick("▸ playing", "▸ 播放中"), theme.good)
        } else {
            Span::styled(lang.pick("paused", "已暂停"), theme.warn)
        });
        spans.push(Span::raw(format!(
            " {} {}",
            lang.pick("at", "速度"),
            speed_label(lab.speed_ms())
        )));
        if player_changed_history(lab) {
            spans.push(sep());
            spans.push(Span::styled(
                lang.pick("you changed history", "你改变了历史"),
                theme.warn,
            ));
        }
        let help = format!(
            "{} {} ",
            app.keymap.label(super::super::action::KeyAction::Help),
            lang.pick("help", "帮助")
        );
        let room = area.width.saturating_sub(width(&help) as u16 + 1);
        // The lesson title gives way first: time and play state must stay visible.
        let total: usize = spans.iter().map(|s| width(&s.content)).sum();
        let excess = total.saturating_sub(usize::from(room));
        if excess > 0 && lab.player().is_some() {
            let title = &mut spans[TITLE];
            let keep = width(&title.content).saturating_sub(excess).max(8);
            title.content = truncate(&title.content, keep).into();
        }
        Line::from(spans).render(
            Rect {
                width: room,
                ..area
            },
            buf,
        );
        Line::from(vec![Span::styled(help, theme.key)])
            .right_aligned()
            .render(area, buf);
    }
}

fn player_changed_history(lab: &Lab) -> bool {
    lab.player()
        .is_some_and(crate::lesson::Player::changed_history)
}

/// `acks=all`, `min.insync.replicas=2`, `RF=3`, `flush=os`, `unclean=off`, era.
pub struct Chips<'a> {
    pub world: &'a World,
    pub theme: &'a Theme,
}

impl Chips<'_> {
    fn labels(&self) -> Vec<String> {
        let setup = self.world.setup();
        let mut chips = Vec::new();
        let acks: Vec<Acks> = setup.producers.iter().map(|p| p.acks).collect();
        match acks.as_slice() {
            [] => {}
            [only] => chips.push(format!("acks={only}")),
            several => {
                for (p, a) in setup.producers.iter().zip(several) {
                    chips.push(format!("{} acks={a}", p.name));
                }
            }
        }
        let several = setup.topics.len() > 1;
        let first = setup.topics.first().map(topic_chips).unwrap_or_default();
        for (i, topic) in setup.topics.iter().enumerate() {
            let mine = topic_chips(topic);
            // Later topics show only where they differ from the first.
            let shown: Vec<String> = if i == 0 {
                mine
            } else {
                mine.into_iter().filter(|c| !first.contains(c)).collect()
            };
            for (j, chip) in shown.into_iter().enumerate() {
                if several && j == 0 {
                    chips.push(format!("{}: {chip}", topic.name));
                } else {
                    chips.push(chip);
                }
            }
        }
        chips.push(setup.era.label().to_string());
        chips
    }
}

/// `min.insync.replicas=2`, `RF=3`, `flush=os`, `unclean=off`, `3 partitions`.
fn topic_chips(topic: &TopicSetup) -> Vec<String> {
    let mut chips = vec![
        format!("min.insync.replicas={}", topic.min_insync_replicas),
        format!("RF={}", topic.replication_factor),
        topic.flush_label(),
        format!(
            "unclean={}",
            if topic.unclean_leader_election_enable {
                "on"
            } else {
                "off"
            }
        ),
    ];
    if topic.partitions > 1 {
        chips.push(format!("{} partitions", topic.partitions));
    }
    chips
}

impl Widget for Chips<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let mut spans = vec![Span::raw(" ")];
        for chip in self.labels() {
            spans.push(Span::styled(format!(" {chip} "), self.theme.chip));
            spans.push(Span::raw(" "));
        }
        Line::from(spans).render(area, buf);
    }
}
