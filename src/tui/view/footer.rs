//! The footer: a message from the last action, then the keys that apply right now (from the same
//! keymap the help shows).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::lesson::player::Phase;
use crate::sim::Lang;
use crate::sim::cluster::ProcessState;

use super::super::action::KeyAction;
use super::super::app::{App, Lab, Tone};
use super::super::text::width;

/// One key hint: `→ step`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hint {
    pub keys: String,
    pub words: String,
}

fn first_key(app: &App, action: KeyAction) -> String {
    app.keymap
        .keys(action)
        .first()
        .map_or_else(String::new, |k| k.label())
}

fn hint(app: &App, action: KeyAction, en: &str, zh: &str) -> Hint {
    Hint {
        keys: first_key(app, action),
        words: app.lang.pick(en, zh).to_string(),
    }
}

fn lab_hints(app: &App, lab: &Lab) -> Vec<Hint> {
    let lang = app.lang;
    let world = lab.world();
    let broker = lab.selected_broker();
    let b = world.broker(broker);
    let named = |en: &str, zh: &str| match lang {
        Lang::En => format!("{en} {broker}"),
        Lang::Zh => format!("{zh} {broker}"),
    };
    let mut hints = Vec::new();
    if let Some(question) = lab.pending_question() {
        hints.push(Hint {
            keys: format!("1–{}", question.choices.len()),
            words: lang.pick("answer", "作答").to_string(),
        });
        hints.push(hint(app, KeyAction::StepBack, "back", "后退"));
        return hints;
    }
    let phase = lab.player().map(|p| (p.is_finished(), p.cursor().phase));
    match phase {
        Some((true, _)) => {
            hints.push(hint(app, KeyAction::StepBack, "back", "后退"));
            hints.push(hint(
                app,
                KeyAction::PreviousBeat,
                "replay beat",
                "重放本节",
            ));
        }
        Some((false, Phase::Done)) => {
            hints.push(hint(app, KeyAction::NextBeat, "next beat", "下一节"));
            hints.push(hint(app, KeyAction::StepBack, "back", "后退"));
        }
        _ => {
            let play = if lab.playing {
                hint(app, KeyAction::PlayPause, "pause", "暂停")
            } else {
                hint(app, KeyAction::PlayPause, "play", "播放")
            };
            hints.push(play);
            hints.push(hint(app, KeyAction::StepForward, "step", "前进"));
            hints.push(hint(app, KeyAction::StepBack, "back", "后退"));
            if lab.player().is_some() {
                hints.push(hint(app, KeyAction::NextBeat, "finish beat", "完成本节"));
            } else {
                hints.push(hint(app, KeyAction::Produce, "produce", "生产消息"));
            }
        }
    }
    if b.is_running() {
        hints.push(Hint {
            keys: first_key(app, KeyAction::Crash),
            words: named("crash", "崩溃"),
        });
    } else {
        hints.push(Hint {
            keys: first_key(app, KeyAction::Restart),
            words: named("restart", "重启"),
        });
    }
    if b.process != ProcessState::PoweredOff {
        hints.push(Hint {
            keys: first_key(app, KeyAction::CutPower),
            words: named("power off", "断电"),
        });
    }
    hints.push(Hint {
        keys: first_key(app, KeyAction::CutOffOrHeal),
        words: if b.cut_off.is_some() {
            named("heal", "恢复网络")
        } else {
            named("cut off", "隔离")
        },
    });
    hints.extend(rack_hints(app, lab));
    hints.push(if app.metrics {
        hint(app, KeyAction::ToggleMetrics, "hide metrics", "隐藏指标")
    } else {
        hint(app, KeyAction::ToggleMetrics, "metrics", "指标")
    });
    hints.push(Hint {
        keys: format!("1–{}", world.brokers().len().min(9)),
        words: lang.pick("broker", "选 broker").to_string(),
    });
    hints.push(Hint {
        keys: format!(
            "{}{}",
            first_key(app, KeyAction::Faster),
            first_key(app, KeyAction::Slower)
        ),
        words: lang.pick("speed", "速度").to_string(),
    });
    hints
}

/// The selected broker's rack: black it out or power it back on, cut it off or heal it.
fn rack_hints(app: &App, lab: &Lab) -> Vec<Hint> {
    let Some(rack) = lab.selected_rack() else {
        return Vec::new();
    };
    let world = lab.world();
    let members = world.rack_members(rack);
    let all = |f: &dyn Fn(&crate::sim::cluster::Broker) -> bool| {
        members.iter().all(|b| f(world.broker(*b)))
    };
    let named = |action: KeyAction, en: &str, zh: &str| Hint {
        keys: first_key(app, action),
        words: match app.lang {
            Lang::En => format!("{en} rack {rack}"),
            Lang::Zh => format!("{zh}机架 {rack}"),
        },
    };
    let power = if all(&|b| b.process == ProcessState::PoweredOff) {
        named(KeyAction::RackRestart, "power on", "恢复供电：")
    } else {
        named(KeyAction::RackCutPower, "black out", "断电：")
    };
    let network = if all(&|b| b.cut_off.is_some()) {
        named(KeyAction::RackCutOffOrHeal, "heal", "恢复网络：")
    } else {
        named(KeyAction::RackCutOffOrHeal, "cut off", "隔离：")
    };
    vec![power, network]
}

/// The keys that apply now, most useful first; help and quit come last and are always shown.
pub fn hints(app: &App) -> Vec<Hint> {
    let mut hints = match app.lab() {
        _ if app.help => vec![hint(app, KeyAction::Back, "close help", "关闭帮助")],
        Some(lab) => {
            let mut hints = lab_hints(app, lab);
            hints.push(hint(app, KeyAction::Back, "lessons", "课程列表"));
            hints
        }
        None => vec![
            hint(app, KeyAction::OpenLesson, "start", "开始"),
            Hint {
                keys: format!(
                    "{}{}",
                    first_key(app, KeyAction::SelectPrevious),
                    first_key(app, KeyAction::SelectNext)
                ),
                words: app.lang.pick("choose", "选择").to_string(),
            },
            hint(app, KeyAction::OpenSandbox, "sandbox", "沙盒"),
            hint(app, KeyAction::ToggleLanguage, "中文", "English"),
        ],
    };
    hints.push(hint(app, KeyAction::Help, "help", "帮助"));
    hints.push(hint(app, KeyAction::Quit, "quit", "退出"));
    hints
}

pub struct Footer<'a> {
    pub app: &'a App,
}

impl Widget for Footer<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let theme = &app.theme;
        let mut spans = vec![Span::raw(" ")];
        let mut used = 1;
        if let Some(flash) = &app.flash {
            let style = match flash.tone {
                Tone::Info => theme.title,
                Tone::Warning => theme.bad,
            };
            spans.push(Span::styled(flash.text.clone(), style));
            spans.push(Span::raw("   "));
            used += width(&flash.text) + 3;
        }
        let all = hints(app);
        let cost = |h: &Hint| width(&h.keys) + width(&h.words) + 4;
        let always: usize = all.iter().rev().take(2).map(cost).sum();
        let mut room = usize::from(area.width).saturating_sub(used + always);
        let last_two = all.len().saturating_sub(2);
        for (i, h) in all.iter().enumerate() {
            if i < last_two {
                if cost(h) > room {
                    continue;
                }
                room -= cost(h);
            }
            spans.push(Span::styled(h.keys.clone(), theme.key));
            spans.push(Span::styled(format!(" {}   ", h.words), theme.dim));
        }
        Line::from(spans).render(area, buf);
    }
}
