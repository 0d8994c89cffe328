//! `update`: the only place the model changes. It returns whether the screen needs redrawing, so
//! nothing is drawn while nothing changes.

use crate::lesson::player::Phase;
use crate::lesson::player::PlayError;
use crate::lesson::{Advance, Player};
use crate::sim::cluster::CutScope;
use crate::sim::{Command, RackFault, Time};

use super::action::{Action, KeyAction};
use super::app::{App, Lab, SPEEDS, Screen, Session};
use super::theme::Theme;
use super::view;

/// Moves one playback tick may make at most, so a lesson full of instantaneous actions cannot
/// freeze the screen.
const MOVES_PER_TICK: usize = 10_000;

/// Silent scheduled work a sandbox step may run through looking for a visible event.
const SILENT_STEPS: usize = 100_000;

pub fn update(app: &mut App, action: Action) -> bool {
    let changed = apply(app, action);
    if changed && let Some(lab) = app.lab_mut() {
        lab.sample_metrics();
    }
    changed
}

fn apply(app: &mut App, action: Action) -> bool {
    match action {
        Action::Quit => {
            app.note_progress();
            app.quit = true;
        }
        Action::Resize { width, height } => {
            app.width = width;
            app.height = height;
        }
        Action::Tick { elapsed_ms } => return tick(app, elapsed_ms),
        Action::Click { column, row } => return click(app, column, row),
        Action::Digit(n) => {
            app.flash = None;
            digit(app, n);
        }
        Action::Key(key) => {
            app.flash = None;
            key_action(app, key);
        }
    }
    app.note_progress();
    true
}

fn key_action(app: &mut App, key: KeyAction) {
    match key {
        KeyAction::Quit => {
            app.quit = true;
            return;
        }
        KeyAction::Help => {
            app.help = !app.help;
            app.help_scroll = 0;
            return;
        }
        KeyAction::Back => {
            if app.help {
                app.help = false;
            } else {
                go_home(app);
            }
            return;
        }
        KeyAction::ToggleLanguage => {
            app.lang = app.lang.toggled();
            return;
        }
        KeyAction::ToggleMetrics if !app.help => {
            app.metrics = !app.metrics;
            return;
        }
        KeyAction::CycleTheme => {
            app.theme = Theme::new(app.theme.name.next());
            let name = app.theme.name.label();
            app.flash = Some(super::app::Flash::info(format!(
                "{} {name}",
                app.lang.pick("theme:", "配色：")
            )));
            return;
        }
        KeyAction::ToggleMouse => {
            app.mouse = !app.mouse;
            if app.mouse {
                app.say(
                    "mouse capture on: click a broker to select it (text selection is off; M turns it back)",
                    "鼠标捕获已开：点击 broker 即可选中（此时不能选中文字，按 M 关闭）",
                );
            } else {
                app.say(
                    "mouse capture off: the terminal's text selection works again",
                    "鼠标捕获已关：终端可以正常选中文字",
                );
            }
            return;
        }
        _ => {}
    }
    // The help overlay is modal: only the keys above reach through it, and ↑/↓ scroll it.
    if app.help {
        match key {
            KeyAction::SelectNext => {
                app.help_scroll = (app.help_scroll + 1).min(view::help_max_scroll(app));
            }
            KeyAction::SelectPrevious => app.help_scroll = app.help_scroll.saturating_sub(1),
            _ => {}
        }
        return;
    }
    if app.lab().is_some() {
        lab_key(app, key);
    } else {
        home_key(app, key);
    }
}

fn home_key(app: &mut App, key: KeyAction) {
    let count = app.lessons.len();
    match key {
        KeyAction::SelectNext if count > 0 => app.home_selected = (app.home_selected + 1) % count,
        KeyAction::SelectPrevious if count > 0 => {
            app.home_selected = (app.home_selected + count - 1) % count;
        }
        KeyAction::OpenLesson => {
            let Some(lesson) = app.lessons.get(app.home_selected).cloned() else {
                return;
            };
            match Lab::lesson(lesson) {
                Ok(lab) => app.screen = Screen::Lab(Box::new(lab)),
                Err(e) => app.warn(e),
            }
        }
        KeyAction::OpenSandbox => match Lab::sandbox(&super::app::default_sandbox()) {
            Ok(lab) => app.screen = Screen::Lab(Box::new(lab)),
            Err(e) => app.warn(e),
        },
        _ => {}
    }
}

/// Back to the lesson list, with the lesson just left highlighted.
fn go_home(app: &mut App) {
    let Some(lab) = app.lab() else { return };
    if let Some(id) = lab.player().map(|p| p.lesson().id.clone()) {
        app.note_progress();
        if let Some(i) = app.lessons.iter().position(|l| l.id == id) {
            app.home_selected = i;
        }
    }
    app.screen = Screen::Home;
}

fn lab_key(app: &mut App, key: KeyAction) {
    let lang = app.lang;
    let Some(lab) = app.lab_mut() else { return };
    let note = match key {
        KeyAction::StepForward => {
            lab.playing = false;
            step_forward(lab)
        }
        KeyAction::StepBack => {
            lab.playing = false;
            (!lab.session.step_back())
                .then_some(Note::Say("already at the start", "已经在最开始了"))
        }
        KeyAction::PlayPause => play_pause(lab),
        KeyAction::SelectClient => {
            lab.client = (lab.client + 1) % lab.client_count().max(1);
            None
        }
        KeyAction::Faster => {
            lab.speed = (lab.speed + 1).min(SPEEDS.len() - 1);
            None
        }
        KeyAction::Slower => {
            lab.speed = lab.speed.saturating_sub(1);
            None
        }
        KeyAction::NextBeat => {
            lab.playing = false;
            next_beat(lab)
        }
        KeyAction::PreviousBeat => {
            lab.playing = false;
            previous_beat(lab)
        }
        KeyAction::SelectNext | KeyAction::SelectPrevious => {
            let count = lab.world().brokers().len().max(1);
            let step = if key == KeyAction::SelectNext {
                1
            } else {
                count - 1
            };
            lab.selected = (lab.selected + step) % count;
            None
        }
        KeyAction::Crash
        | KeyAction::CutPower
        | KeyAction::CutPowerEverywhere
        | KeyAction::ShutDown
        | KeyAction::Restart
        | KeyAction::CutOffOrHeal
        | KeyAction::RackCutPower
        | KeyAction::RackRestart
        | KeyAction::RackCutOffOrHeal
        | KeyAction::Produce
        | KeyAction::KillProducer
        | KeyAction::KillConsumer => match command_for(lab, key) {
            Ok(command) => {
                lab.metrics.command_given(lab.session.sim());
                lab.session
                    .apply(command)
                    .err()
                    .map(|e| Note::warning(e.to_string()))
            }
            Err(why) => Some(Note::warning(lang.pick(why.0, why.1))),
        },
        _ => None,
    };
    if let Some(note) = note {
        app.flash = Some(note.into_flash(lang));
    }
}

/// What an update has to tell the learner. Words are chosen once the language is known.
enum Note {
    /// Words in English and Chinese.
    Say(&'static str, &'static str),
    Warning(String),
    /// The lesson's own move failed (a broken lesson, or the learner's changes made a scripted
    /// action impossible).
    Stopped {
        error: PlayError,
        changed: bool,
    },
    Predict {
        choices: usize,
    },
    Finished {
        right: usize,
        answered: usize,
    },
}

impl Note {
    fn warning(text: impl Into<String>) -> Note {
        Note::Warning(text.into())
    }

    fn into_flash(self, lang: crate::sim::Lang) -> super::app::Flash {
        use super::app::Flash;
        match self {
            Note::Say(en, zh) => Flash::info(lang.pick(en, zh)),
            Note::Warning(text) => Flash::warning(text),
            Note::Stopped { error, changed } => {
                let hint = match (changed, lang) {
                    (true, crate::sim::Lang::En) => {
                        " — your own faults changed history: step back (←) to undo them"
                    }
                    (true, crate::sim::Lang::Zh) => "——你注入的故障改变了历史：按 ← 撤销",
                    (false, _) => "",
                };
                Flash::warning(format!(
                    "{} {error}{hint}",
                    lang.pick("the lesson cannot go on:", "课程无法继续：")
                ))
            }
            Note::Predict { choices } => Flash::info(match lang {
                crate::sim::Lang::En => {
                    format!("predict first: press 1–{choices}, then watch what happens")
                }
                crate::sim::Lang::Zh => format!("先预测：按 1–{choices} 作答，然后再看结果"),
            }),
            Note::Finished { right, answered } => Flash::info(match lang {
                crate::sim::Lang::En => format!(
                    "lesson complete — predictions {right}/{answered} right. Esc: back to the lessons"
                ),
                crate::sim::Lang::Zh => {
                    format!("课程完成——预测答对 {right}/{answered}。按 Esc 返回课程列表")
                }
            }),
        }
    }
}

/// Applies a move of the lesson script and says what the learner should know about it; any
/// boundary (a question, the end of a beat, the end) stops playback.
fn lesson_moved(lab: &mut Lab, result: Result<Advance, PlayError>) -> Option<Note> {
    let player = lab.player()?;
    let note = match result {
        Ok(Advance::Event | Advance::Quiet) => return None,
        Ok(Advance::BeatDone) => None,
        Ok(Advance::AwaitingAnswer) => Some(Note::Predict {
            choices: lab.pending_question().map_or(0, |q| q.choices.len()),
        }),
        Ok(Advance::End) => {
            let (right, answered) = player.score();
            Some(Note::Finished { right, answered })
        }
        Err(error) => Some(Note::Stopped {
            error,
            changed: player.changed_history(),
        }),
    };
    lab.playing = false;
    note
}

fn player_mut(lab: &mut Lab) -> Option<&mut Player> {
    match &mut lab.session {
        Session::Lesson(player) => Some(player),
        Session::Sandbox(_) => None,
    }
}

fn lesson_over(lab: &Lab) -> Option<Note> {
    let (right, answered) = lab.player()?.score();
    Some(Note::Finished { right, answered })
}

fn step_forward(lab: &mut Lab) -> Option<Note> {
    match &mut lab.session {
        Session::Sandbox(sim) => {
            let before = sim.events().len();
            for _ in 0..SILENT_STEPS {
                if sim.world().next_due().is_none() || sim.events().len() > before {
                    break;
                }
                sim.step();
            }
            (sim.events().len() == before).then_some(Note::Say(
                "nothing is scheduled: produce a message or inject a fault",
                "没有待执行的事件：先生产一条消息或注入故障",
            ))
        }
        Session::Lesson(player) => {
            if player.is_finished() {
                return lesson_over(lab);
            }
            // A finished beat moves on to the next beat's narration, not straight into its events.
            let result = if player.cursor().phase == Phase::Done {
                player.advance()
            } else {
                player.step_event()
            };
            lesson_moved(lab, result)
        }
    }
}

fn play_pause(lab: &mut Lab) -> Option<Note> {
    if lab.playing {
        lab.playing = false;
        return None;
    }
    if let Some(player) = player_mut(lab) {
        if player.is_finished() {
            return lesson_over(lab);
        }
        if player.cursor().phase == Phase::Done {
            let result = player.advance();
            return lesson_moved(lab, result);
        }
        if let Some(question) = lab.pending_question() {
            return Some(Note::Predict {
                choices: question.choices.len(),
            });
        }
    }
    lab.playing = true;
    lab.carry = 0;
    None
}

fn next_beat(lab: &mut Lab) -> Option<Note> {
    let player = player_mut(lab)?;
    if player.is_finished() {
        return lesson_over(lab);
    }
    let result = if player.cursor().phase == Phase::Done {
        player.advance()
    } else {
        player.finish_beat()
    };
    lesson_moved(lab, result)
}

fn previous_beat(lab: &mut Lab) -> Option<Note> {
    let player = player_mut(lab)?;
    (!player.back_to_beat_start())
        .then_some(Note::Say("already at the first beat", "已经是第一节了"))
}

/// The engine command a fault or client key means for the selected broker, or why there is none
/// (in English and Chinese).
fn command_for(lab: &Lab, key: KeyAction) -> Result<Command, (&'static str, &'static str)> {
    let world = lab.world();
    let broker = lab.selected_broker();
    Ok(match key {
        KeyAction::Crash => Command::CrashProcess(broker),
        KeyAction::CutPower => Command::CutPower(broker),
        KeyAction::CutPowerEverywhere => Command::CutPowerEverywhere,
        KeyAction::ShutDown => Command::ShutDown(broker),
        KeyAction::Restart => Command::Restart(broker),
        KeyAction::CutOffOrHeal if world.broker(broker).cut_off.is_some() => Command::Heal(broker),
        KeyAction::CutOffOrHeal => Command::CutOff {
            broker,
            scope: CutScope::Everyone,
        },
        KeyAction::RackCutPower => rack_command(lab, RackFault::CutPower)?,
        KeyAction::RackRestart => rack_command(lab, RackFault::Restart)?,
        KeyAction::RackCutOffOrHeal => {
            let rack = lab.selected_rack().unwrap_or_default();
            let all_cut_off = world
                .rack_members(rack)
                .iter()
                .all(|b| world.broker(*b).cut_off.is_some());
            rack_command(
                lab,
                if all_cut_off {
                    RackFault::Heal
                } else {
                    RackFault::CutOff
                },
            )?
        }
        KeyAction::Produce => {
            let producer = lab
                .target_producer()
                .ok_or(("this setup has no producer", "这个场景没有 producer"))?;
            if !producer.is_alive() {
                return Err((
                    "the selected producer is not running: P starts it again",
                    "选中的 producer 没有在运行：按 P 重新启动",
                ));
            }
            Command::Produce {
                producer: producer.id,
                name: None,
                partition: None,
            }
        }
        KeyAction::KillProducer => {
            let producer = lab
                .target_producer()
                .ok_or(("this setup has no producer", "这个场景没有 producer"))?;
            if producer.is_alive() {
                Command::KillProducer(producer.id)
            } else {
                Command::RestartProducer(producer.id)
            }
        }
        KeyAction::KillConsumer => {
            let consumer = lab
                .target_consumer()
                .ok_or(("this setup has no consumer", "这个场景没有 consumer"))?;
            if consumer.is_alive() {
                Command::KillConsumer(consumer.id)
            } else {
                Command::RestartConsumer(consumer.id)
            }
        }
        _ => return Err(("not a fault", "不是故障操作")),
    })
}

/// `fault` on the selected broker's whole rack.
fn rack_command(lab: &Lab, fault: RackFault) -> Result<Command, (&'static str, &'static str)> {
    let rack = lab.selected_rack().ok_or((
        "the selected broker has no rack (broker.rack)",
        "选中的 broker 没有机架（broker.rack）",
    ))?;
    Ok(Command::Rack {
        rack: rack.to_string(),
        fault,
    })
}

fn digit(app: &mut App, n: u8) {
    let lang = app.lang;
    let Some(lab) = app.lab_mut() else { return };
    let n = usize::from(n);
    if let Some(choices) = lab.pending_question().map(|q| q.choices.len()) {
        if (1..=choices).contains(&n) {
            if let Some(player) = player_mut(lab) {
                player.answer(n);
            }
            app.say(
                "answer noted — press space to play the beat, or → to step through it",
                "已记录你的答案——按空格播放，或按 → 逐步查看",
            );
        } else {
            app.flash = Some(Note::Predict { choices }.into_flash(lang));
        }
        return;
    }
    if n >= 1 && n <= lab.world().brokers().len() {
        lab.selected = n - 1;
    } else {
        let text = match lang {
            crate::sim::Lang::En => format!("there is no broker B{n}"),
            crate::sim::Lang::Zh => format!("没有 broker B{n}"),
        };
        app.warn(text);
    }
}

fn click(app: &mut App, column: u16, row: u16) -> bool {
    if app.help {
        return false;
    }
    match view::hit(app, column, row) {
        Some(view::Hit::Broker(index)) => {
            if let Some(lab) = app.lab_mut() {
                lab.selected = index;
            }
            true
        }
        Some(view::Hit::Lesson(index)) => {
            app.home_selected = index;
            true
        }
        None => false,
    }
}

/// Playback: the simulated clock moves by `speed × elapsed` and whatever falls due happens.
fn tick(app: &mut App, elapsed_ms: u64) -> bool {
    let Some(lab) = app.lab_mut() else {
        return false;
    };
    if !lab.playing {
        return false;
    }
    lab.carry += lab.speed_ms() * elapsed_ms;
    let ms: Time = lab.carry / 1000;
    lab.carry %= 1000;
    if ms == 0 {
        return false;
    }
    let note = match &mut lab.session {
        Session::Sandbox(sim) => {
            let target = sim.now() + ms;
            sim.advance_to(target);
            None
        }
        Session::Lesson(player) => {
            let target = player.sim().now() + ms;
            let mut result = Ok(Advance::Quiet);
            for _ in 0..MOVES_PER_TICK {
                result = player.play_for(target.saturating_sub(player.sim().now()));
                let moving = matches!(result, Ok(Advance::Event | Advance::Quiet));
                if !moving || player.sim().now() >= target {
                    break;
                }
            }
            lesson_moved(lab, result)
        }
    };
    if let Some(note) = note {
        let lang = app.lang;
        app.flash = Some(note.into_flash(lang));
    }
    app.note_progress();
    true
}
