//! Checks what the RON grammar cannot: that every broker, producer, consumer, partition and
//! message a lesson names exists when it is named, and that questions and ids make sense.

use std::collections::BTreeSet;
use std::ops::Range;

use super::facts::Refs;
use super::load::{Diagnostic, suggest};
use super::schema::{Action, Fact, Lesson};
use crate::sim::World;

/// All problems, each located in `source` (beats by their byte ranges in `beat_spans`).
pub fn validate(lesson: &Lesson, source: &str, beat_spans: &[Range<usize>]) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let field = |name: &str| find_field(source, name).map_or(0..0, |i| i..i + name.len());
    if !is_kebab_case(&lesson.id) {
        found.push(Diagnostic {
            message: format!(
                "lesson id `{}` must be lowercase words joined by `-`",
                lesson.id
            ),
            span: field("id"),
            label: "id".into(),
            help: Some("for example `acks-one-loss`".into()),
        });
    }
    if lesson.beats.is_empty() {
        found.push(Diagnostic {
            message: "a lesson needs at least one beat".into(),
            span: field("beats"),
            label: "no beats".into(),
            help: None,
        });
    }
    let world = match World::new(&lesson.setup) {
        Ok(world) => world,
        Err(e) => {
            found.push(Diagnostic {
                message: format!("setup: {e}"),
                span: field("setup"),
                label: "this setup".into(),
                help: None,
            });
            return found;
        }
    };
    let mut checker = Checker {
        world: &world,
        produced: BTreeSet::new(),
        source,
        found,
    };
    for (index, beat) in lesson.beats.iter().enumerate() {
        let span = beat_spans.get(index).cloned().unwrap_or(0..0);
        checker.beat(index, beat, &span);
    }
    checker.found
}

/// Byte offset of `name:` written as a field, outside comments.
pub(super) fn find_field(source: &str, name: &str) -> Option<usize> {
    let pattern = format!("{name}:");
    let mut offset = 0;
    for line in source.split_inclusive('\n') {
        let code = line.split("//").next().unwrap_or_default();
        if let Some(i) = code.find(&pattern)
            && code[..i]
                .chars()
                .last()
                .is_none_or(|c| c.is_whitespace() || c == '(' || c == ',')
        {
            return Some(offset + i);
        }
        offset += line.len();
    }
    None
}

fn is_kebab_case(id: &str) -> bool {
    !id.is_empty()
        && id.split('-').all(|w| {
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

struct Checker<'a> {
    world: &'a World,
    /// Messages produced by earlier actions, in script order.
    produced: BTreeSet<String>,
    source: &'a str,
    found: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn refs(&self) -> Refs<'_> {
        Refs { world: self.world }
    }

    /// The first occurrence of `needle` inside the beat, or the beat's first line.
    fn locate(&self, beat: &Range<usize>, needle: &str) -> Range<usize> {
        let text = &self.source[beat.clone()];
        match text.find(needle) {
            Some(i) => beat.start + i..beat.start + i + needle.len(),
            None => beat.start..beat.start + text.find('\n').unwrap_or(text.len()).min(text.len()),
        }
    }

    fn report(&mut self, beat: usize, span: Range<usize>, message: &str, help: Option<String>) {
        self.found.push(Diagnostic {
            message: format!("beat {}: {message}", beat + 1),
            span,
            label: "here".into(),
            help,
        });
    }

    fn beat(&mut self, index: usize, beat: &super::schema::Beat, span: &Range<usize>) {
        if let Some(ask) = &beat.ask {
            if ask.choices.len() < 2 {
                let at = self.locate(span, "choices");
                self.report(index, at, "a question needs at least two choices", None);
            }
            if ask.answer == 0 || ask.answer > ask.choices.len() {
                let at = self.locate(span, "answer");
                self.report(
                    index,
                    at,
                    &format!(
                        "answer {} is not one of the {} choices",
                        ask.answer,
                        ask.choices.len()
                    ),
                    Some("answers count from 1, as the learner sees the choices".into()),
                );
            }
        }
        for action in &beat.actions {
            self.action(index, action, span);
        }
        for fact in &beat.expect {
            self.fact(index, fact, span);
        }
    }

    fn check(
        &mut self,
        beat: usize,
        span: &Range<usize>,
        needle: &str,
        result: Result<(), String>,
    ) {
        if let Err(what) = result {
            let at = self.locate(span, needle);
            self.report(beat, at, &what, None);
        }
    }

    fn message(&mut self, beat: usize, span: &Range<usize>, name: &str) {
        if self.produced.contains(name) {
            return;
        }
        let known: Vec<&str> = self.produced.iter().map(String::as_str).collect();
        let help = suggest(name, &known).map(|s| format!("did you mean `{s}`?"));
        let at = self.locate(span, &format!("\"{name}\""));
        self.report(
            beat,
            at,
            &format!("message `{name}` is named before any action produces it"),
            help,
        );
    }

    fn broker(&mut self, beat: usize, span: &Range<usize>, number: u16) {
        let result = self.refs().broker(number).map(|_| ());
        self.check(beat, span, &number.to_string(), result);
    }

    fn partition(&mut self, beat: usize, span: &Range<usize>, name: Option<&String>) {
        let result = self.refs().partition(name.map(String::as_str)).map(|_| ());
        self.check(beat, span, name.map_or("partition", String::as_str), result);
    }

    fn producer(&mut self, beat: usize, span: &Range<usize>, name: &str) {
        let result = self.refs().producer(Some(name)).map(|_| ());
        self.check(beat, span, name, result);
    }

    fn consumer(&mut self, beat: usize, span: &Range<usize>, name: &str) {
        let result = self.refs().consumer(name).map(|_| ());
        self.check(beat, span, name, result);
    }

    fn action(&mut self, beat: usize, action: &Action, span: &Range<usize>) {
        match action {
            Action::Produce {
                message,
                producer,
                partition,
            } => {
                if !self.produced.insert(message.clone()) {
                    let at = self.locate(span, &format!("\"{message}\""));
                    self.report(
                        beat,
                        at,
                        &format!("message `{message}` is produced twice"),
                        Some("give every message its own name".into()),
                    );
                }
                if let Some(name) = producer {
                    self.producer(beat, span, name);
                } else {
                    let result = self.refs().producer(None).map(|_| ());
                    self.check(beat, span, "Produce", result);
                }
                if partition.is_some() {
                    self.partition(beat, span, partition.as_ref());
                }
            }
            Action::ProduceMany {
                prefix,
                first,
                count,
                producer,
                partition,
            } => {
                for i in 0..*count {
                    let message = format!("{prefix}{}", first + i);
                    if !self.produced.insert(message.clone()) {
                        let at = self.locate(span, prefix);
                        self.report(
                            beat,
                            at,
                            &format!("message `{message}` is produced twice"),
                            None,
                        );
                    }
                }
                let result = self.refs().producer(producer.as_deref()).map(|_| ());
                self.check(beat, span, "ProduceMany", result);
                if partition.is_some() {
                    self.partition(beat, span, partition.as_ref());
                }
            }
            Action::Resend { message, producer } => {
                self.message(beat, span, message);
                let result = self.refs().producer(producer.as_deref()).map(|_| ());
                self.check(beat, span, "Resend", result);
            }
            Action::RunFor(_) | Action::Step(_) | Action::PowerCutAll => {}
            Action::RunUntil(fact) => self.fact(beat, fact, span),
            Action::Crash(b)
            | Action::PowerCut(b)
            | Action::Shutdown(b)
            | Action::Restart(b)
            | Action::Heal(b)
            | Action::Fsync(b) => {
                self.broker(beat, span, *b);
            }
            Action::CutOff { broker, .. } => self.broker(beat, span, *broker),
            Action::PowerCutRack(rack)
            | Action::RestartRack(rack)
            | Action::CutOffRack(rack)
            | Action::HealRack(rack) => {
                let result = self.refs().rack(rack).map(|_| ());
                self.check(beat, span, rack, result);
            }
            Action::KillProducer(p)
            | Action::RestartProducer(p)
            | Action::Flush(p)
            | Action::Close(p) => {
                self.producer(beat, span, p);
            }
            Action::Poll(c)
            | Action::FailNext(c)
            | Action::CommitSync(c)
            | Action::KillConsumer(c)
            | Action::RestartConsumer(c)
            | Action::CloseConsumer(c) => self.consumer(beat, span, c),
            Action::Process { consumer, .. } => self.consumer(beat, span, consumer),
        }
    }

    fn fact(&mut self, beat: usize, fact: &Fact, span: &Range<usize>) {
        match fact {
            Fact::Acked(m) | Fact::Failed(m) | Fact::Duplicated(m) | Fact::Skipped(m) => {
                self.message(beat, span, m);
            }
            Fact::FailedWith { message, .. }
            | Fact::Verdict { message, .. }
            | Fact::Delivered { message, .. }
            | Fact::Processed { message, .. } => self.message(beat, span, message),
            Fact::OnBroker { message, broker } | Fact::OnDisk { message, broker } => {
                self.message(beat, span, message);
                self.broker(beat, span, *broker);
            }
            Fact::Leader { partition, is } => {
                self.partition(beat, span, partition.as_ref());
                self.broker(beat, span, *is);
            }
            Fact::Offline { partition } | Fact::CommittedOffset { partition, .. } => {
                self.partition(beat, span, partition.as_ref());
            }
            Fact::Isr { partition, is } => {
                self.partition(beat, span, partition.as_ref());
                for b in is {
                    self.broker(beat, span, *b);
                }
            }
            Fact::Hw {
                broker, partition, ..
            }
            | Fact::HwAtLeast {
                broker, partition, ..
            }
            | Fact::Leo {
                broker, partition, ..
            } => {
                self.broker(beat, span, *broker);
                self.partition(beat, span, partition.as_ref());
            }
            Fact::Log {
                broker,
                partition,
                is,
            } => {
                self.broker(beat, span, *broker);
                self.partition(beat, span, partition.as_ref());
                for m in is {
                    self.message(beat, span, m);
                }
            }
            Fact::BrokerIs { broker, .. } => self.broker(beat, span, *broker),
            Fact::AckedAt { message, .. }
            | Fact::SawError { message, .. }
            | Fact::Attempts { message, .. } => {
                self.message(beat, span, message);
            }
            Fact::LeaderEpoch { partition, .. } => self.partition(beat, span, partition.as_ref()),
            Fact::CommitFailed(consumer) => self.consumer(beat, span, consumer),
            Fact::Assigned {
                consumer,
                partition,
            } => {
                self.consumer(beat, span, consumer);
                self.partition(beat, span, partition.as_ref());
            }
            Fact::Not(inner) => self.fact(beat, inner, span),
            Fact::Metric { name, .. } => {
                if crate::sim::metrics::metric(self.world, &[], name).is_none() {
                    let help = suggest(name, &crate::sim::metrics::all_names())
                        .map(|s| format!("did you mean `{s}`?"));
                    let at = self.locate(span, name);
                    self.report(beat, at, &format!("no metric named `{name}`"), help);
                }
            }
        }
    }
}
