//! The narration pane of a lesson: the beat's text, its prediction (asked before the decisive
//! actions run, revealed after them), and the beat's checked expectations. In the sandbox the
//! same place shows what to try.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::Widget;

use crate::lesson::Player;
use crate::lesson::player::{Checked, Phase};
use crate::lesson::schema::Beat;
use crate::sim::Lang;

use super::super::action::KeyAction;
use super::super::app::{App, Lab};
use super::super::text::wrap;
use super::super::theme::Theme;
use super::{draw_line, key_row, pane};

pub struct Narration<'a> {
    pub player: &'a Player,
    /// The beat's question waits for an answer.
    pub pending: bool,
    pub theme: &'a Theme,
    pub lang: Lang,
}

/// Wrapped lines of one style.
fn paragraph(text: &str, width: usize, style: Style) -> Vec<Line<'static>> {
    wrap(text, width)
        .into_iter()
        .map(|l| Line::styled(l, style))
        .collect()
}

/// Wrapped lines with a first-line prefix and a hanging indent.
fn hanging(prefix: &str, text: &str, width: usize, style: Style) -> Vec<Line<'static>> {
    let indent = super::super::text::width(prefix);
    wrap(text, width.saturating_sub(indent))
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            let head = if i == 0 {
                prefix.to_string()
            } else {
                " ".repeat(indent)
            };
            Line::styled(format!("{head}{l}"), style)
        })
        .collect()
}

impl Narration<'_> {
    fn question(&self, beat: &Beat, index: usize, width: usize) -> Vec<Line<'static>> {
        let (theme, lang) = (self.theme, self.lang);
        let Some(ask) = &beat.ask else {
            return Vec::new();
        };
        let answered = self.player.answer_of(index);
        let revealed = self.player.cursor().phase == Phase::Done;
        let mut lines = vec![Line::raw("")];
        lines.extend(hanging("? ", ask.question.get(lang), width, theme.prompt));
        for (i, choice) in ask.choices.iter().enumerate() {
            let n = i + 1;
            let right = n == ask.answer;
            let mine = answered == Some(n);
            let mark = match (revealed, right, mine) {
                (true, true, true) => lang.pick("  ✓ your answer, right", "  ✓ 你的答案，正确"),
                (true, true, false) => lang.pick("  ✓ the right answer", "  ✓ 正确答案"),
                (true, false, true) => lang.pick("  ✗ your answer", "  ✗ 你的答案"),
                (false, _, true) => lang.pick("  ◂ your answer", "  ◂ 你的答案"),
                _ => "",
            };
            let style = if revealed && n == ask.answer {
                theme.good
            } else if answered == Some(n) {
                theme.title
            } else {
                theme.base
            };
            lines.extend(hanging(
                &format!("  {n}) "),
                &format!("{}{mark}", choice.get(lang)),
                width,
                style,
            ));
        }
        if self.pending {
            let words = match lang {
                Lang::En => format!(
                    "Predict first: press 1–{}. The beat runs after you answer.",
                    ask.choices.len()
                ),
                Lang::Zh => format!(
                    "请先预测：按 1–{} 作答，答完后才会播放。",
                    ask.choices.len()
                ),
            };
            lines.extend(hanging("▸ ", &words, width, theme.prompt));
        } else if revealed {
            let (words, style) = match answered {
                Some(a) if a == ask.answer => {
                    (lang.pick("✓ You were right.", "✓ 你答对了。"), theme.good)
                }
                Some(_) => (lang.pick("✗ Not this time.", "✗ 这次没答对。"), theme.bad),
                None => (lang.pick("(not answered)", "（未作答）"), theme.dim),
            };
            lines.push(Line::styled(words, style));
            lines.extend(hanging(
                lang.pick("Why: ", "解释："),
                ask.explain.get(lang),
                width,
                theme.base,
            ));
        } else if answered.is_some() {
            lines.extend(paragraph(
                lang.pick(
                    "Answer noted. space plays the beat, → steps through it.",
                    "答案已记录。按空格播放本节，按 → 逐步查看。",
                ),
                width,
                theme.dim,
            ));
        }
        lines
    }

    fn checks(&self, checked: &[Checked], width: usize) -> Vec<Line<'static>> {
        let (theme, lang) = (self.theme, self.lang);
        if checked.is_empty() {
            return Vec::new();
        }
        let mut lines = vec![
            Line::raw(""),
            Line::styled(lang.pick("Checks", "检查"), theme.title),
        ];
        if self.player.changed_history() {
            lines.extend(paragraph(
                lang.pick(
                    "you changed history: these checks describe the scripted run, so some may fail",
                    "你改变了历史：这些检查描述的是原本的剧本，可能不再成立",
                ),
                width,
                theme.warn,
            ));
        }
        for c in checked {
            let fact = c.fact.as_written();
            if c.outcome.holds {
                lines.extend(hanging("✓ ", &fact, width, theme.good));
            } else {
                let text = format!(
                    "{fact} — {} {}",
                    lang.pick("actually", "实际"),
                    c.outcome.actual
                );
                lines.extend(hanging("✗ ", &text, width, theme.bad));
            }
        }
        lines
    }

    fn finished(&self, width: usize) -> Vec<Line<'static>> {
        let (theme, lang) = (self.theme, self.lang);
        let (right, answered) = self.player.score();
        let score = match lang {
            Lang::En => format!("Predictions: {right} of {answered} right."),
            Lang::Zh => format!("预测：{answered} 题中答对 {right} 题。"),
        };
        let mut lines = vec![
            Line::styled(lang.pick("Lesson complete.", "课程完成。"), theme.good),
            Line::raw(""),
            Line::raw(score),
            Line::raw(""),
        ];
        lines.extend(paragraph(
            lang.pick(
                "Esc: back to the lesson list. p: replay the last beat. ← steps back through history; fault keys still work here.",
                "Esc：返回课程列表。p：重放最后一节。← 可沿历史后退；故障键仍然可用。",
            ),
            width,
            theme.dim,
        ));
        lines
    }
}

impl Widget for Narration<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (theme, lang) = (self.theme, self.lang);
        let lesson = self.player.lesson();
        let cursor = self.player.cursor();
        let title = match lesson.beats.get(cursor.beat) {
            Some(beat) => format!(
                " {} {}/{} · {} ",
                lang.pick("Beat", "第"),
                cursor.beat + 1,
                lesson.beats.len(),
                beat.title.get(lang)
            ),
            None => format!(" {} ", lesson.title.get(lang)),
        };
        let block = pane(&title, theme);
        let inner = block.inner(area);
        block.render(area, buf);
        let width = usize::from(inner.width);
        let height = usize::from(inner.height);
        let Some(beat) = lesson.beats.get(cursor.beat) else {
            for (line, row) in self.finished(width).into_iter().zip(inner.rows()) {
                draw_line(&line, row, buf);
            }
            return;
        };
        let mut say = paragraph(beat.say.get(lang), width, theme.base);
        let question = self.question(beat, cursor.beat, width);
        let checked = if cursor.phase == Phase::Done {
            self.player
                .checked()
                .iter()
                .rev()
                .find(|(b, _)| *b == cursor.beat)
                .map(|(_, c)| c.as_slice())
                .unwrap_or_default()
        } else {
            &[]
        };
        let checks = self.checks(checked, width);
        // Once the beat runs, the question and the results matter more than the text already read.
        let below = question.len() + checks.len();
        if say.len() + below > height && cursor.phase != Phase::Intro {
            let keep = height.saturating_sub(below).max(2);
            if keep < say.len() {
                say.truncate(keep.saturating_sub(1));
                say.push(Line::styled("…", theme.dim));
            }
        }
        let lines = say.into_iter().chain(question).chain(checks);
        for (line, row) in lines.zip(inner.rows()) {
            draw_line(&line, row, buf);
        }
    }
}

/// The sandbox's side pane: what to try.
pub struct SandboxGuide<'a> {
    pub app: &'a App,
    pub lab: &'a Lab,
}

impl Widget for SandboxGuide<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (app, lab) = (self.app, self.lab);
        let (theme, lang) = (&app.theme, app.lang);
        let block = pane(lang.pick(" Sandbox ", " 沙盒 "), theme);
        let inner = block.inner(area);
        block.render(area, buf);
        let width = usize::from(inner.width);
        let mut lines = paragraph(
            lang.pick(
                "Your own cluster. Produce messages, then break things and watch the ledger. Faults hit the selected broker (1–9 or ↑/↓ choose it); ← undoes any step exactly.",
                "你自己的集群。生产消息，然后制造故障，观察消息账本。故障作用于选中的 broker（按 1–9 或 ↑/↓ 选择）；← 可以精确撤销任何一步。",
            ),
            width,
            theme.base,
        );
        lines.push(Line::raw(""));
        let actions = [
            KeyAction::Produce,
            KeyAction::Crash,
            KeyAction::CutPower,
            KeyAction::CutPowerEverywhere,
            KeyAction::ShutDown,
            KeyAction::Restart,
            KeyAction::CutOffOrHeal,
            KeyAction::RackCutPower,
            KeyAction::RackRestart,
            KeyAction::RackCutOffOrHeal,
            KeyAction::KillProducer,
            KeyAction::KillConsumer,
            KeyAction::SelectClient,
            KeyAction::ToggleMetrics,
        ];
        let label_w = actions
            .iter()
            .map(|a| super::super::text::width(&app.keymap.label(*a)))
            .max()
            .unwrap_or(1)
            + 1;
        for action in actions {
            let pointless = match action {
                KeyAction::KillConsumer => lab.world().consumers().is_empty(),
                KeyAction::SelectClient => lab.client_count() < 2,
                _ => !app.applies(action),
            };
            if pointless {
                continue;
            }
            lines.extend(key_row(
                &app.keymap.label(action),
                label_w,
                action.describe(lang),
                width,
                theme,
            ));
        }
        for (line, row) in lines.into_iter().zip(inner.rows()) {
            draw_line(&line, row, buf);
        }
    }
}
