//! Headless reports of a lesson run: a transcript in words, and a stable JSON document.

use serde::Serialize;

use crate::lesson::Player;
use crate::lesson::player::Checked;
use crate::sim::describe::{Lang, Names, describe_group};
use crate::sim::ledger::{Acknowledgement, LedgerEntry};
use crate::sim::{Event, World};

pub mod text;

/// Version of the JSON document `ackscope run --format json` prints. Bumped on any change that
/// could break a reader; fields are only ever added within a version.
pub const JSON_SCHEMA_VERSION: u32 = 1;

/// Everything a run produced, grouped by beat.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    pub schema_version: u32,
    pub lesson: LessonInfo,
    pub seed: u64,
    pub lang: Lang,
    /// Every expectation held and the lesson played to its end.
    pub passed: bool,
    /// Why the lesson stopped early, if it did.
    pub error: Option<String>,
    pub beats: Vec<BeatReport>,
    pub ledger: Vec<LedgerLine>,
    pub metrics: Vec<crate::sim::metrics::MetricValue>,
}

#[derive(Clone, Debug, Serialize)]
pub struct LessonInfo {
    pub id: String,
    pub title: String,
    pub teaches: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct BeatReport {
    /// 1-based.
    pub index: usize,
    pub title: String,
    pub narration: String,
    pub question: Option<QuestionReport>,
    pub events: Vec<EventLine>,
    pub expectations: Vec<ExpectationLine>,
}

#[derive(Clone, Debug, Serialize)]
pub struct QuestionReport {
    pub question: String,
    pub choices: Vec<String>,
    /// 1-based.
    pub answer: usize,
    pub explain: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct EventLine {
    pub time_ms: u64,
    pub step: u64,
    pub text: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct ExpectationLine {
    /// The fact as written in the lesson (RON).
    pub fact: String,
    pub holds: bool,
    /// What the world showed.
    pub actual: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct ReplicaCopy {
    pub broker: u16,
    pub offset: u64,
    /// `page_cache` or `disk`.
    pub storage: &'static str,
}

#[derive(Clone, Debug, Serialize)]
#[allow(clippy::struct_excessive_bools)] // a JSON record: each flag is a field readers filter on
pub struct LedgerLine {
    pub id: String,
    pub producer: String,
    pub partition: String,
    pub acked: bool,
    pub offset: Option<u64>,
    pub error: Option<String>,
    /// The error with Kafka's name and why it happened, in the report's language.
    pub error_explained: Option<String>,
    pub replicas: Vec<ReplicaCopy>,
    pub committed: bool,
    pub duplicated: bool,
    pub delivered: u32,
    pub processed: u32,
    pub skipped: bool,
    pub verdict: crate::sim::Verdict,
}

fn ledger_line(world: &World, entry: &LedgerEntry, lang: Lang) -> LedgerLine {
    let (acked, offset, error) = match entry.ack {
        Acknowledgement::Acked { offset } => (true, offset, None),
        Acknowledgement::Failed { error } => (false, None, Some(error.kafka_name().to_string())),
        Acknowledgement::Pending | Acknowledgement::LostInProducer | Acknowledgement::NoAnswer => {
            (false, None, None)
        }
    };
    LedgerLine {
        id: entry.name.clone(),
        producer: world.producer_name(entry.producer).to_string(),
        partition: world.partition_name(entry.partition).to_string(),
        acked,
        offset,
        error,
        error_explained: entry.failure.map(|f| f.explain(world, lang)),
        replicas: entry
            .copies
            .iter()
            .map(|c| ReplicaCopy {
                broker: c.broker.0,
                offset: c.offset,
                storage: if c.on_disk { "disk" } else { "page_cache" },
            })
            .collect(),
        committed: entry.committed,
        duplicated: entry.is_duplicated(),
        delivered: entry.delivered,
        processed: entry.processed,
        skipped: entry.skipped,
        verdict: entry.verdict,
    }
}

/// Groups events by step into lines of words.
pub fn event_lines(events: &[Event], names: &impl Names, lang: Lang) -> Vec<EventLine> {
    events
        .chunk_by(|a, b| a.step == b.step)
        .map(|group| {
            let kinds: Vec<_> = group.iter().map(|e| e.kind).collect();
            EventLine {
                time_ms: group[0].time,
                step: group[0].step,
                text: describe_group(&kinds, names, lang),
            }
        })
        .collect()
}

fn expectation_lines(checked: &[Checked]) -> Vec<ExpectationLine> {
    checked
        .iter()
        .map(|c| ExpectationLine {
            fact: c.fact.as_written(),
            holds: c.outcome.holds,
            actual: c.outcome.actual.clone(),
        })
        .collect()
}

/// Plays a lesson to its end (or its first broken action) and reports it.
pub fn run(player: &mut Player, lang: Lang) -> RunReport {
    let lesson = player.lesson().clone();
    let mut beats = Vec::new();
    let mut error = None;
    for (index, beat) in lesson.beats.iter().enumerate() {
        let events_before = player.sim().events().len();
        let outcome = player.finish_beat();
        let events = event_lines(
            &player.sim().events()[events_before..],
            player.sim().world(),
            lang,
        );
        let checked = player
            .checked()
            .iter()
            .find(|(b, _)| *b == index)
            .map(|(_, c)| c.clone())
            .unwrap_or_default();
        beats.push(BeatReport {
            index: index + 1,
            title: beat.title.get(lang).to_string(),
            narration: beat.say.get(lang).to_string(),
            question: beat.ask.as_ref().map(|q| QuestionReport {
                question: q.question.get(lang).to_string(),
                choices: q.choices.iter().map(|c| c.get(lang).to_string()).collect(),
                answer: q.answer,
                explain: q.explain.get(lang).to_string(),
            }),
            events,
            expectations: expectation_lines(&checked),
        });
        if let Err(e) = outcome {
            error = Some(e.to_string());
            break;
        }
        // Move past the finished beat.
        if let Err(e) = player.advance() {
            error = Some(e.to_string());
            break;
        }
    }
    let world = player.sim().world();
    let passed = error.is_none() && beats.iter().all(|b| b.expectations.iter().all(|e| e.holds));
    RunReport {
        schema_version: JSON_SCHEMA_VERSION,
        lesson: LessonInfo {
            id: lesson.id.clone(),
            title: lesson.title.get(lang).to_string(),
            teaches: lesson.teaches.clone(),
        },
        seed: world.setup().seed,
        lang,
        passed,
        error,
        beats,
        ledger: world
            .ledger()
            .entries
            .iter()
            .map(|e| ledger_line(world, e, lang))
            .collect(),
        metrics: crate::sim::metrics::snapshot(world, player.sim().events()),
    }
}
