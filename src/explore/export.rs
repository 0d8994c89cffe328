//! A counterexample for people: a trace in words, and a lesson that replays it with a narrated beat
//! per fault.

use std::fmt::Write as _;

use crate::lesson::schema::{Action, Beat, Fact, Lesson, Text, VerdictName};
use crate::sim::describe::{Lang, describe};
use crate::sim::event::EventKind;
use crate::sim::invariants::Violation;
use crate::sim::{Command, Setup, Sim, Time, World};

use super::{Fault, FaultKind, Found, Input, Phase, Recovery, drive};

/// Text in both languages.
fn both(en: String, zh: String) -> Text {
    Text { en, zh: Some(zh) }
}

fn pick(lang: Lang, en: String, zh: String) -> String {
    match lang {
        Lang::En => en,
        Lang::Zh => zh,
    }
}

fn fault_words(fault: Fault, lang: Lang) -> String {
    let b = fault.broker;
    let what = match (fault.kind, lang) {
        (FaultKind::Crash, Lang::En) => format!("{b}'s process crashes (kill -9)"),
        (FaultKind::Crash, Lang::Zh) => format!("{b} 进程崩溃（kill -9）"),
        (FaultKind::PowerCut, Lang::En) => format!("{b}'s machine loses power"),
        (FaultKind::PowerCut, Lang::Zh) => format!("{b} 所在机器断电"),
        (FaultKind::CutOff, Lang::En) => format!("{b} is cut off the network"),
        (FaultKind::CutOff, Lang::Zh) => format!("{b} 与网络断开"),
    };
    let back = match (fault.recovery, fault.kind == FaultKind::CutOff, lang) {
        (Recovery::Immediately, false, Lang::En) => "and restarts at once".to_string(),
        (Recovery::Immediately, true, Lang::En) => "and is reconnected at once".to_string(),
        (Recovery::After(ms), false, Lang::En) => format!("and restarts {} later", seconds(ms)),
        (Recovery::After(ms), true, Lang::En) => {
            format!("and is reconnected {} later", seconds(ms))
        }
        (Recovery::AtEnd, _, Lang::En) => "until the end of the run".to_string(),
        (Recovery::Immediately, false, Lang::Zh) => "，随即重启".to_string(),
        (Recovery::Immediately, true, Lang::Zh) => "，随即恢复连接".to_string(),
        (Recovery::After(ms), false, Lang::Zh) => format!("，{} 后重启", seconds(ms)),
        (Recovery::After(ms), true, Lang::Zh) => format!("，{} 后恢复连接", seconds(ms)),
        (Recovery::AtEnd, _, Lang::Zh) => "，直到运行结束".to_string(),
    };
    match lang {
        Lang::En => format!("{what} {back}"),
        Lang::Zh => format!("{what}{back}"),
    }
}

fn seconds(ms: Time) -> String {
    format!("{}.{:03} s", ms / 1000, ms % 1000)
}

/// Logs longer than this are abbreviated in words.
const LONG_LOG: usize = 8;

/// Each partition's leader, ISR and every replica's log, e.g.
/// `orders-0: leader B1 (epoch 0), ISR {1,2,3}; B1 m1○ HW 0 · B2 (empty) HW 0`.
/// `●` on disk, `○` only in the page cache.
pub fn state_words(world: &World, lang: Lang) -> String {
    let mut out = String::new();
    for p in world.partitions() {
        let c = &p.controller;
        let leader = c.leader.map_or_else(
            || pick(lang, "no leader".into(), "没有 leader".into()),
            |l| {
                pick(
                    lang,
                    format!("leader {l} (epoch {})", c.leader_epoch),
                    format!("leader {l}（epoch {}）", c.leader_epoch),
                )
            },
        );
        let (comma, semicolon) = match lang {
            Lang::En => (", ", "; "),
            Lang::Zh => ("，", "；"),
        };
        let _ = write!(out, "{}: {leader}{comma}ISR {}", p.name, c.isr);
        for r in &p.replicas {
            let cell = |offset: usize| {
                let record = r.log.records().get(offset).expect("within the log");
                let disk = if (offset as u64) < r.log.durable_end() {
                    '●'
                } else {
                    '○'
                };
                format!("{}{disk}", world.messages()[record.message.index()].name)
            };
            // Long logs show their first and last records: the ends are where losses happen.
            let len = r.log.records().len();
            let cells: Vec<String> = if len <= LONG_LOG {
                (0..len).map(cell).collect()
            } else {
                let (head, tail) = (LONG_LOG / 2, len - LONG_LOG / 2);
                (0..head)
                    .map(cell)
                    .chain([format!("… ({len})")])
                    .chain((tail..len).map(cell))
                    .collect()
            };
            let log = if cells.is_empty() {
                pick(lang, "(empty)".into(), "空".into())
            } else {
                cells.join(" ")
            };
            let down = if world.broker(r.broker).is_running() {
                ""
            } else {
                " ✗"
            };
            let _ = write!(
                out,
                "{semicolon}{}{down} {log} HW {}",
                r.broker, r.high_watermark
            );
        }
        out.push('\n');
    }
    out.trim_end().to_string()
}

/// The events worth reading in a counterexample: faults, the controller, truncation, the HW, acks
/// and errors — not every fetch.
fn is_key_event(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::ProcessCrashed { .. }
            | EventKind::PowerLost { .. }
            | EventKind::Restarted { .. }
            | EventKind::CutOff { .. }
            | EventKind::Healed { .. }
            | EventKind::BrokerFenced { .. }
            | EventKind::LeaderElected { .. }
            | EventKind::PartitionOffline { .. }
            | EventKind::IsrChanged { .. }
            | EventKind::Truncated { .. }
            | EventKind::HighWatermarkMoved { .. }
            | EventKind::Appended { .. }
            | EventKind::FetchApplied { .. }
            | EventKind::DuplicateBatch { .. }
            | EventKind::SendAppended { .. }
            | EventKind::BatchAcked { .. }
            | EventKind::BatchFailed { .. }
            | EventKind::SendFailed { .. }
            | EventKind::Why { .. }
    )
}

/// What a violation says, with message names instead of numbers.
fn violation_words(world: &World, violation: &Violation, lang: Lang) -> String {
    let name = |m: crate::sim::MessageId| world.messages()[m.index()].name.to_string();
    match (violation, lang) {
        (Violation::AckedMessageLost { message }, Lang::En) => {
            format!(
                "{} was acknowledged to the producer and is lost",
                name(*message)
            )
        }
        (Violation::AckedMessageLost { message }, Lang::Zh) => {
            format!("{} 已向 producer 确认，却丢失了", name(*message))
        }
        (Violation::DuplicateInLog { message }, Lang::En) => {
            format!(
                "{} is in the log twice although idempotence is on",
                name(*message)
            )
        }
        (Violation::DuplicateInLog { message }, Lang::Zh) => {
            format!("开启了幂等，{} 却在日志里出现两次", name(*message))
        }
        (Violation::ConsumerSkipped { message }, Lang::En) => {
            format!(
                "the group committed past {} without anyone processing it",
                name(*message)
            )
        }
        (Violation::ConsumerSkipped { message }, Lang::Zh) => format!(
            "消费组提交的位移越过了 {}，却没有人处理过它",
            name(*message)
        ),
        (other, _) => {
            let text = other.to_string();
            world.partitions().iter().fold(text, |t, p| {
                t.replace(&format!("partition #{}", p.id.0), &p.name)
            })
        }
    }
}

/// What a counterexample breaks, one sentence per violation, with message names.
pub fn violation_texts(setup: &Setup, found: &Found, lang: Lang) -> Vec<String> {
    let (run, violations) =
        drive(setup, &found.bounds, &found.plan, false).expect("the setup ran before");
    violations
        .iter()
        .map(|v| violation_words(&run.world, v, lang))
        .collect()
}

/// A recorded run replayed through a `Sim`, split where faults strike.
struct Chapter {
    /// The fault that opens it (`None` for the run before the first fault and for the end).
    fault: Option<Fault>,
    end_phase: bool,
    inputs: Vec<Input>,
    /// The world before its first input.
    before: World,
    /// The world after its last input.
    after: World,
    /// First event index of this chapter in the replay.
    events: std::ops::Range<usize>,
}

/// The replay of a recorded run, split into chapters, and the `Sim` at its end.
fn chapters(setup: &Setup, inputs: &[Input]) -> (Vec<Chapter>, Sim) {
    let mut sim = Sim::new(setup).expect("the setup ran before");
    let mut chapters: Vec<Chapter> = Vec::new();
    let open = |sim: &Sim, fault, end_phase, chapters: &mut Vec<Chapter>| {
        if let Some(last) = chapters.last_mut() {
            last.after = sim.world().clone();
            last.events.end = sim.events().len();
        }
        chapters.push(Chapter {
            fault,
            end_phase,
            inputs: Vec::new(),
            before: sim.world().clone(),
            after: sim.world().clone(),
            events: sim.events().len()..sim.events().len(),
        });
    };
    open(&sim, None, false, &mut chapters);
    for input in inputs {
        match input {
            Input::FaultNext(fault) => {
                open(&sim, Some(*fault), false, &mut chapters);
                continue;
            }
            Input::EndPhase => {
                open(&sim, None, true, &mut chapters);
                continue;
            }
            Input::Command(command) => {
                sim.apply(command.clone())
                    .expect("replayed command applies");
            }
            Input::Step => {
                sim.step();
            }
            Input::RunTo(time) => sim.advance_to(*time),
        }
        chapters
            .last_mut()
            .expect("opened")
            .inputs
            .push(input.clone());
    }
    open(&sim, None, false, &mut chapters);
    chapters.pop();
    (chapters, sim)
}

/// The heading of a chapter of the trace: which fault, when, and the state just before it.
fn heading(chapter: &Chapter, number: usize, at_step: u32, lang: Lang) -> String {
    let t = seconds(chapter.before.now());
    match chapter.fault {
        Some(fault) => {
            let what = fault_words(fault, lang);
            let state = state_words(&chapter.before, lang).replace('\n', "\n    ");
            pick(
                lang,
                format!(
                    "Fault {number} at t={t}, after {at_step} engine steps: {what}\n  just before: {state}"
                ),
                format!(
                    "故障 {number}：t={t}，引擎第 {at_step} 步之后：{what}\n  故障之前：{state}"
                ),
            )
        }
        None if chapter.end_phase => {
            let settle = seconds(super::run::SETTLE_MS);
            pick(
                lang,
                format!(
                    "End, t={t}: every broker is brought back and the cluster settles for {settle}"
                ),
                format!("结束，t={t}：所有 broker 恢复，集群稳定 {settle}"),
            )
        }
        None => pick(
            lang,
            "Before the first fault:".into(),
            "第一次故障之前：".into(),
        ),
    }
}

/// The trace of a counterexample in words.
pub fn words(setup: &Setup, found: &Found, lang: Lang) -> String {
    let (run, violations) =
        drive(setup, &found.bounds, &found.plan, true).expect("the setup ran before");
    let (chapters, sim) = chapters(setup, &run.record.unwrap_or_default());
    let world = sim.world();
    let how = match (found.phase, lang) {
        (Phase::Exhaustive, Lang::En) => "the exhaustive search".to_string(),
        (Phase::Exhaustive, Lang::Zh) => "穷举搜索".to_string(),
        (Phase::Random { run }, Lang::En) => format!("random schedule #{run}, then shrunk"),
        (Phase::Random { run }, Lang::Zh) => format!("第 {run} 个随机调度（已化简）"),
    };
    let faults = found.plan.len();
    let mut out = pick(
        lang,
        format!("Counterexample with {faults} fault(s), found by {how}:\n"),
        format!("反例：{faults} 次故障，由{how}找到：\n"),
    );
    for v in &violations {
        let _ = writeln!(out, "  ✗ {}", violation_words(world, v, lang));
    }
    out.push('\n');
    let mut number: usize = 0;
    for chapter in &chapters {
        let key_events: Vec<_> = sim.events()[chapter.events.clone()]
            .iter()
            .filter(|e| is_key_event(&e.kind))
            .collect();
        if chapter.fault.is_some() {
            number += 1;
        } else if !chapter.end_phase && key_events.is_empty() {
            continue;
        }
        let at_step = found.plan.get(number.saturating_sub(1)).map_or(0, |p| p.at);
        let _ = writeln!(out, "{}", heading(chapter, number, at_step, lang));
        for event in key_events {
            let _ = writeln!(
                out,
                "  {:>8} {}",
                seconds(event.time),
                describe(&event.kind, world, lang)
            );
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "{} {}",
        pick(lang, "Final state:".into(), "最终状态：".into()),
        state_words(world, lang)
    );
    out
}

/// Lesson actions for recorded inputs, with consecutive steps merged, replayed on `sim` as they go.
fn actions(inputs: &[Input], sim: &mut Sim) -> Vec<Action> {
    let mut actions: Vec<Action> = Vec::new();
    for input in inputs {
        let action = match input {
            Input::Step => {
                sim.step();
                if let Some(Action::Step(n)) = actions.last_mut() {
                    *n += 1;
                    continue;
                }
                Action::Step(1)
            }
            Input::RunTo(time) => {
                let ms = time - sim.now();
                sim.advance_to(*time);
                Action::RunFor(ms)
            }
            Input::Command(command) => {
                sim.apply(command.clone())
                    .expect("replayed command applies");
                command_action(command)
            }
            Input::FaultNext(_) | Input::EndPhase => continue,
        };
        actions.push(action);
    }
    actions
}

fn command_action(command: &Command) -> Action {
    match command {
        Command::CrashProcess(b) => Action::Crash(b.0),
        Command::CutPower(b) => Action::PowerCut(b.0),
        Command::CutOff { broker, scope } => Action::CutOff {
            broker: broker.0,
            from: *scope,
        },
        Command::Restart(b) => Action::Restart(b.0),
        Command::Heal(b) => Action::Heal(b.0),
        Command::Produce { name, .. } => Action::Produce {
            message: name.clone().unwrap_or_default(),
            producer: None,
            partition: None,
        },
        other => unreachable!("the explorer never records {other:?}"),
    }
}

/// Facts that hold at the end of the replay and show what broke.
fn violation_facts(world: &World, violations: &[Violation]) -> Vec<Fact> {
    let name = |m: crate::sim::MessageId| world.messages()[m.index()].name.to_string();
    let log = |broker: crate::sim::BrokerId, partition: crate::sim::PartitionId| Fact::Log {
        broker: broker.0,
        partition: (world.partitions().len() > 1)
            .then(|| world.partition(partition).name.to_string()),
        is: world.log_names(broker, partition),
    };
    let mut facts = Vec::new();
    for v in violations {
        match *v {
            Violation::AckedMessageLost { message } => {
                facts.push(Fact::Acked(name(message)));
                facts.push(Fact::Verdict {
                    message: name(message),
                    is: VerdictName::AckedLost,
                });
            }
            Violation::DuplicateInLog { message } => facts.push(Fact::Duplicated(name(message))),
            Violation::ConsumerSkipped { message } => facts.push(Fact::Skipped(name(message))),
            Violation::LeaderOutsideIsr { partition, leader } => facts.push(log(leader, partition)),
            Violation::HighWatermarkAboveIsrMember {
                partition,
                leader,
                member,
                ..
            }
            | Violation::CommittedRecordsDiffer {
                partition,
                leader,
                member,
                ..
            } => {
                facts.push(log(leader, partition));
                facts.push(log(member, partition));
            }
        }
    }
    facts.dedup();
    facts
}

/// A beat's title and narration for a chapter of the replay.
fn beat_words(chapter: &Chapter, number: usize) -> (Text, Text) {
    let t = seconds(chapter.before.now());
    let after_en = state_words(&chapter.after, Lang::En);
    let after_zh = state_words(&chapter.after, Lang::Zh);
    match chapter.fault {
        Some(fault) => {
            let (what_en, what_zh) = (fault_words(fault, Lang::En), fault_words(fault, Lang::Zh));
            let before_en = state_words(&chapter.before, Lang::En);
            let before_zh = state_words(&chapter.before, Lang::Zh);
            (
                both(
                    format!("Fault {number}: {what_en}"),
                    format!("故障 {number}：{what_zh}"),
                ),
                both(
                    format!(
                        "At t={t}: {what_en}. Just before, {before_en}. After this beat: {after_en}."
                    ),
                    format!("t={t}：{what_zh}。故障之前：{before_zh}。本节结束时：{after_zh}。"),
                ),
            )
        }
        None if chapter.end_phase => {
            let settle = seconds(super::run::SETTLE_MS);
            (
                both("Everything comes back".into(), "全部恢复".into()),
                both(
                    format!(
                        "Every broker is restarted and reconnected, and the cluster settles for {settle}. At the end: {after_en}."
                    ),
                    format!("所有 broker 重启并恢复网络，集群稳定 {settle}。最终：{after_zh}。"),
                ),
            )
        }
        None => (
            both("Before the first fault".into(), "第一次故障之前".into()),
            both(
                format!(
                    "The workload starts: each message is sent once the previous one is acknowledged or has failed. After this beat: {after_en}."
                ),
                format!("负载开始：上一条消息确认或失败后才发送下一条。本节结束时：{after_zh}。"),
            ),
        ),
    }
}

/// A lesson that replays the counterexample, one beat per fault, ending on facts that show the
/// broken property (so `ackscope check` confirms the replay).
pub fn lesson(setup: &Setup, found: &Found) -> Lesson {
    let (run, violations) =
        drive(setup, &found.bounds, &found.plan, true).expect("the setup ran before");
    let (chapters, end) = chapters(setup, &run.record.unwrap_or_default());
    let mut sim = Sim::new(setup).expect("the setup ran before");
    let mut number = 0;
    let mut beats: Vec<Beat> = chapters
        .iter()
        .map(|chapter| {
            number += usize::from(chapter.fault.is_some());
            let (title, say) = beat_words(chapter, number);
            Beat {
                title,
                say,
                ask: None,
                actions: actions(&chapter.inputs, &mut sim),
                expect: Vec::new(),
            }
        })
        .collect();
    let world = end.world();
    if let Some(last) = beats.last_mut() {
        last.expect = violation_facts(world, &violations);
    }
    let broken = |lang, separator| {
        violations
            .iter()
            .map(|v| violation_words(world, v, lang))
            .collect::<Vec<_>>()
            .join(separator)
    };
    let (broken_en, broken_zh) = (broken(Lang::En, "; "), broken(Lang::Zh, "；"));
    let faults = found.plan.len();
    Lesson {
        version: 1,
        id: "explored-counterexample".to_string(),
        title: both(
            format!("Found by ackscope explore: {broken_en}"),
            format!("ackscope explore 找到的反例：{broken_zh}"),
        ),
        chapter: both("Explorer finds".into(), "探索器的发现".into()),
        summary: both(
            format!("A schedule of {faults} fault(s) that ackscope explore found: {broken_en}."),
            format!("ackscope explore 找到的 {faults} 次故障的调度：{broken_zh}。"),
        ),
        teaches: "ackscope explore".to_string(),
        setup: setup.clone(),
        beats,
    }
}

/// The lesson as a RON file, the way lesson writers write them (no `Some(…)`).
pub fn lesson_source(lesson: &Lesson) -> String {
    let config = ron::ser::PrettyConfig::new()
        .struct_names(false)
        .escape_strings(false)
        .extensions(ron::extensions::Extensions::IMPLICIT_SOME);
    let body = ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .to_string_pretty(lesson, config)
        .expect("a lesson always serialises");
    format!(
        "// Written by `ackscope explore`: a counterexample replayed step by step.\n// Check it with `ackscope check FILE`; open it with `ackscope lesson FILE`.\n{body}\n"
    )
}
