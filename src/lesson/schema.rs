//! The lesson file format, version 1 (documented with an example in `lessons/README.md`).
//!
//! Every struct and enum rejects unknown fields, so a typo is an error with a suggestion, never a
//! silently ignored line.

use serde::{Deserialize, Serialize};

use crate::sim::Setup;
use crate::sim::cluster::CutScope;
use crate::sim::describe::Lang;

/// The format version this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// Text in English and, optionally, Chinese (English is shown when Chinese is missing).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub en: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zh: Option<String>,
}

impl Text {
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => self.zh.as_deref().unwrap_or(&self.en),
            Lang::En => &self.en,
        }
    }

    pub fn en(text: impl Into<String>) -> Text {
        Text {
            en: text.into(),
            zh: None,
        }
    }
}

/// A lesson: metadata, a world to start from, and beats to step through.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lesson {
    /// Format version; this build reads version 1.
    pub version: u32,
    /// Short, unique, kebab-case: what `ackscope run` and `ackscope lesson` accept.
    pub id: String,
    pub title: Text,
    pub chapter: Text,
    pub summary: Text,
    /// The section of the seed article this lesson teaches, e.g. `1.2.2 ack=1`.
    pub teaches: String,
    pub setup: Setup,
    pub beats: Vec<Beat>,
}

/// One step of the story: narration, an optional prediction, actions, then expectations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Beat {
    /// A few words for beat lists and transcripts.
    pub title: Text,
    pub say: Text,
    /// Asked before the beat's actions run: the learner commits to an answer, then watches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ask: Option<Prediction>,
    #[serde(default)]
    pub actions: Vec<Action>,
    /// Checked once the actions have run; `ackscope check` fails if one does not hold.
    #[serde(default)]
    pub expect: Vec<Fact>,
}

/// A multiple-choice question about what is about to happen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prediction {
    pub question: Text,
    pub choices: Vec<Text>,
    /// The right choice, counting from 1 as the learner sees them.
    pub answer: usize,
    /// Shown after the reveal.
    pub explain: Text,
}

/// Something that happens when a beat runs. Brokers are numbers (`1` is B1); producers,
/// consumers and messages are names; partitions are `topic-index` and may be left out when the
/// setup has a single partition.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Action {
    /// The application produces a message (named for the ledger) through a producer.
    Produce {
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        producer: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        partition: Option<String>,
    },
    /// Many messages at once: `prefix` followed by `first`, `first + 1`, … (`m1`…`m64`).
    ProduceMany {
        prefix: String,
        first: u32,
        count: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        producer: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        partition: Option<String>,
    },
    /// The application sends an earlier message again (same ledger entry, a new send).
    Resend {
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        producer: Option<String>,
    },
    /// Let simulated time pass, running whatever happens meanwhile.
    RunFor(u64),
    /// Run until a fact holds (at most ten simulated minutes).
    RunUntil(Fact),
    /// Run exactly this many engine events.
    Step(u32),
    /// `kill -9` a broker's process (its page cache survives).
    Crash(u16),
    /// Cut a broker machine's power (its page cache is lost).
    PowerCut(u16),
    /// Cut the power of every broker at once.
    PowerCutAll,
    /// Controlled shutdown of a broker.
    Shutdown(u16),
    Restart(u16),
    /// Cut a broker off the network: from `Everyone`, from the `Cluster` (clients still reach it)
    /// or only from the other `Brokers` (it still heartbeats to the controller).
    CutOff {
        broker: u16,
        from: CutScope,
    },
    Heal(u16),
    /// Cut the power of every broker in a rack (`racks` in the setup): `PowerCutRack("a")`.
    PowerCutRack(String),
    /// Power comes back in a rack: its stopped brokers restart.
    RestartRack(String),
    /// A rack's top-of-rack switch fails: its brokers are cut off from everyone, each other included.
    CutOffRack(String),
    /// The rack's switch is back.
    HealRack(String),
    /// fsync every log of a broker.
    Fsync(u16),
    /// `kill -9` the producer's application: its buffer is lost.
    KillProducer(String),
    RestartProducer(String),
    /// `producer.flush()`.
    Flush(String),
    /// `producer.close()`.
    Close(String),
    /// One `poll()` of a consumer that the lesson drives by hand.
    Poll(String),
    /// Process the next `count` records a hand-driven consumer holds.
    Process {
        consumer: String,
        count: u32,
    },
    /// Processing of the consumer's next record throws.
    FailNext(String),
    /// `commitSync()` of everything polled so far.
    CommitSync(String),
    /// `kill -9` a consumer's application.
    KillConsumer(String),
    RestartConsumer(String),
    /// `consumer.close()`.
    CloseConsumer(String),
}

/// A statement about the world, used to wait (`RunUntil`) and to check (`expect`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Fact {
    /// The producer reported success.
    Acked(String),
    /// The producer reported failure (any error).
    Failed(String),
    /// The producer reported this error (Kafka's name, e.g. `NotEnoughReplicas`).
    FailedWith { message: String, error: ErrorName },
    /// The ledger's verdict: `Safe`, `AtRisk`, `AckedLost`, `Pending`, `NotAcked`, `InDoubt`, `LostInProducer`.
    Verdict { message: String, is: VerdictName },
    /// The message is in this broker's copy of its partition's log.
    OnBroker { message: String, broker: u16 },
    /// The message is on this broker's disk (not only in its page cache).
    OnDisk { message: String, broker: u16 },
    /// The message appears more than once in its partition's log.
    Duplicated(String),
    Leader {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        partition: Option<String>,
        is: u16,
    },
    /// The partition has no leader.
    Offline {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        partition: Option<String>,
    },
    Isr {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        partition: Option<String>,
        is: Vec<u16>,
    },
    /// A broker's high watermark for the partition equals `is`.
    Hw {
        broker: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        partition: Option<String>,
        is: u64,
    },
    /// A broker's high watermark for the partition is at least `is` (handy with `RunUntil`).
    HwAtLeast {
        broker: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        partition: Option<String>,
        is: u64,
    },
    /// A broker's log end offset for the partition.
    Leo {
        broker: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        partition: Option<String>,
        is: u64,
    },
    /// The messages in a broker's log, in offset order.
    Log {
        broker: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        partition: Option<String>,
        is: Vec<String>,
    },
    /// A broker's process state: `Running`, `Crashed`, `PoweredOff` or `Stopped`.
    BrokerIs { broker: u16, is: BrokerStateName },
    /// How many times consumers received the message from `poll()`.
    Delivered { message: String, times: u32 },
    /// How many times the application finished processing the message.
    Processed { message: String, times: u32 },
    /// A committed offset passed the message but no one ever processed it.
    Skipped(String),
    /// The group's committed offset for the partition (`is: None`: nothing committed yet).
    CommittedOffset {
        group: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        partition: Option<String>,
        is: Option<u64>,
    },
    /// The producer reported success with this offset.
    AckedAt { message: String, offset: u64 },
    /// Some send of the message met this error, even if a retry then succeeded.
    SawError { message: String, error: ErrorName },
    /// The message was sent at least this many times (retries and resends included).
    Attempts { message: String, at_least: u32 },
    /// The partition's leader epoch, as the controller records it.
    LeaderEpoch {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        partition: Option<String>,
        is: u32,
    },
    /// The consumer got a `CommitFailedException` at least once.
    CommitFailed(String),
    /// The consumer currently owns the partition.
    Assigned {
        consumer: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        partition: Option<String>,
    },
    /// A Kafka metric's current value, e.g. `UnderMinIsrPartitionCount`.
    Metric { name: String, is: f64 },
    /// The fact does not hold: `Not(OnDisk(message: "m1", broker: 1))`.
    Not(Box<Fact>),
}

impl Fact {
    /// The fact as a lesson writer writes it, on one line: `Hw(broker: 1, partition: "orders-0", is: 0)`.
    pub fn as_written(&self) -> String {
        let config = ron::ser::PrettyConfig::new()
            .extensions(ron::extensions::Extensions::IMPLICIT_SOME)
            .compact_arrays(true)
            .compact_structs(true)
            .new_line(String::new())
            .indentor(String::new());
        ron::Options::default()
            .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
            .to_string_pretty(self, config)
            .unwrap_or_else(|_| format!("{self:?}"))
    }
}

/// Ledger verdicts as lesson files name them.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum VerdictName {
    Safe,
    AtRisk,
    AckedLost,
    Pending,
    NotAcked,
    InDoubt,
    LostInProducer,
}

/// Broker process states as lesson files name them.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BrokerStateName {
    Running,
    Crashed,
    PoweredOff,
    Stopped,
}

/// Client errors as lesson files name them.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorName {
    NotLeaderOrFollower,
    NotEnoughReplicas,
    NotEnoughReplicasAfterAppend,
    RequestTimedOut,
    NetworkException,
    OutOfOrderSequenceNumber,
    BufferExhausted,
    /// `TimeoutException: Expiring N record(s)` after delivery.timeout.ms.
    DeliveryTimeout,
    ProducerClosed,
    CommitFailed,
}
