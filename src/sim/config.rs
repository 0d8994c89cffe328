//! Everything a simulation is set up with: brokers, topics, era switches and client configuration.
//!
//! Field names follow Kafka's configuration names with `.` replaced by `_`
//! (`min.insync.replicas` → `min_insync_replicas`) and defaults are Kafka's, unless a comment says why not.
//! The same types are the `setup` section of a lesson file, so every struct rejects unknown fields.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::types::{BrokerId, MAX_BROKERS};

/// A complete description of the world at time zero.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Setup {
    /// Number of brokers, `B1..=Bn`.
    pub brokers: u16,
    /// `broker.rack` of each broker in order; empty means no racks.
    pub racks: Vec<String>,
    /// Seed of the portable RNG (network jitter, generated workloads).
    pub seed: u64,
    pub era: Era,
    pub broker: BrokerConfig,
    pub topics: Vec<TopicSetup>,
    pub producers: Vec<ProducerSetup>,
    pub consumers: Vec<ConsumerSetup>,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            brokers: 3,
            racks: Vec::new(),
            seed: 1,
            era: Era::default(),
            broker: BrokerConfig::default(),
            topics: vec![TopicSetup::default()],
            producers: vec![ProducerSetup::default()],
            consumers: Vec::new(),
        }
    }
}

/// Behaviour that changed between Kafka versions. The default is Kafka 3.7+ with KRaft.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Era {
    pub high_watermark: HighWatermarkRule,
    pub truncation: TruncationRule,
    pub restart: RestartRule,
}

impl Era {
    /// Kafka 0.10 with ZooKeeper: the era of KIP-101's two scenarios.
    pub const LEGACY_0_10: Era = Era {
        high_watermark: HighWatermarkRule::Classic,
        truncation: TruncationRule::HighWatermark,
        restart: RestartRule::KeepsIsrWithinSession,
    };

    /// A short label for the top bar and transcripts.
    pub fn label(self) -> &'static str {
        match (self.high_watermark, self.truncation, self.restart) {
            (
                HighWatermarkRule::StrictMinIsr,
                TruncationRule::LeaderEpoch,
                RestartRule::FencedUntilCaughtUp,
            ) => "kafka 3.7+",
            (HighWatermarkRule::Classic, TruncationRule::LeaderEpoch, _) => "kafka 0.11–3.6",
            (_, TruncationRule::HighWatermark, _) => "kafka ≤0.10",
            _ => "custom era",
        }
    }
}

/// When the leader may advance the high watermark.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum HighWatermarkRule {
    /// Kafka 3.7+ (KAFKA-15583, KIP-966 part 1): the HW does not move while |ISR| < min.insync.replicas.
    #[default]
    StrictMinIsr,
    /// Before 3.7: the HW follows the ISR whatever its size.
    Classic,
}

/// How a replica that becomes a follower finds the point where its log agrees with the leader.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TruncationRule {
    /// KIP-101/279, with truncation on fetch (2.8+): the leader's epoch history says where logs diverge.
    #[default]
    LeaderEpoch,
    /// Before 0.11: truncate to the local (possibly stale) high watermark, then fetch.
    HighWatermark,
}

/// What the controller does with a broker that comes back after an unclean stop.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum RestartRule {
    /// KRaft: a new incarnation registers fenced, leaves every ISR and rejoins only once caught up.
    #[default]
    FencedUntilCaughtUp,
    /// ZooKeeper era: a broker back before its session expired keeps its ISR membership
    /// (the assumption behind KIP-101 scenario 1).
    KeepsIsrWithinSession,
}

/// Broker-wide settings. Durations are milliseconds of simulated time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BrokerConfig {
    /// `replica.lag.time.max.ms`: a follower that has not caught up for this long leaves the ISR.
    pub replica_lag_time_max_ms: u64,
    /// `replica.fetch.wait.max.ms`: how long a follower's fetch waits at the leader for new records.
    pub replica_fetch_wait_max_ms: u64,
    /// `replica.fetch.backoff.ms`: pause before a follower retries a failed fetch.
    pub replica_fetch_backoff_ms: u64,
    /// Records returned by one fetch (stands in for `replica.fetch.max.bytes`).
    pub replica_fetch_max_records: u32,
    /// `broker.session.timeout.ms`: the controller fences a broker it has not heard from for this long.
    pub broker_session_timeout_ms: u64,
    /// `replica.high.watermark.checkpoint.interval.ms`: how often the HW is written to disk.
    pub replica_high_watermark_checkpoint_interval_ms: u64,
    /// `vm.dirty_expire_centisecs` × 10: age after which the OS writes a dirty page back to disk.
    pub os_dirty_expire_ms: u64,
    /// `vm.dirty_writeback_centisecs` × 10: how often the OS flusher wakes up.
    pub os_writeback_interval_ms: u64,
    /// One-way network latency between any two parties.
    pub network_latency_ms: u64,
    /// Extra random latency in `0..=jitter`, drawn from the seeded RNG.
    pub network_jitter_ms: u64,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        BrokerConfig {
            replica_lag_time_max_ms: 30_000,
            replica_fetch_wait_max_ms: 500,
            replica_fetch_backoff_ms: 1_000,
            replica_fetch_max_records: 500,
            broker_session_timeout_ms: 9_000,
            replica_high_watermark_checkpoint_interval_ms: 5_000,
            os_dirty_expire_ms: 30_000,
            os_writeback_interval_ms: 5_000,
            network_latency_ms: 1,
            network_jitter_ms: 0,
        }
    }
}

/// A topic and its configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TopicSetup {
    pub name: String,
    pub partitions: u32,
    pub replication_factor: u16,
    /// `min.insync.replicas`. Kafka's broker default is 1, which is why acks=all alone is not enough.
    pub min_insync_replicas: u16,
    /// `unclean.leader.election.enable` (false since 0.11).
    pub unclean_leader_election_enable: bool,
    /// `flush.messages`: fsync after this many appended records. Kafka's default is never.
    pub flush_messages: Option<u64>,
    /// `flush.ms`: fsync when the oldest unflushed record is this old. Kafka's default is never.
    pub flush_ms: Option<u64>,
    /// Explicit replica assignment per partition (broker numbers, preferred leader first).
    /// Without it replicas are spread evenly, rack-aware when racks are set.
    pub assignment: Option<Vec<Vec<BrokerId>>>,
}

impl Default for TopicSetup {
    fn default() -> Self {
        TopicSetup {
            name: "orders".to_string(),
            partitions: 1,
            replication_factor: 3,
            min_insync_replicas: 1,
            unclean_leader_election_enable: false,
            flush_messages: None,
            flush_ms: None,
            assignment: None,
        }
    }
}

impl TopicSetup {
    /// The flush policy in a few characters, for config chips (`flush=os`, `flush=every 1`).
    pub fn flush_label(&self) -> String {
        match (self.flush_messages, self.flush_ms) {
            (None, None) => "flush=os".to_string(),
            (Some(n), None) => format!("flush.messages={n}"),
            (None, Some(ms)) => format!("flush.ms={ms}"),
            (Some(n), Some(ms)) => format!("flush.messages={n},flush.ms={ms}"),
        }
    }
}

/// `acks`: how many replicas must have a record before the leader answers the producer.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum Acks {
    /// No response at all: the producer counts a record as sent once it is on the wire.
    Zero,
    /// The leader answers once the record is in its own log (page cache).
    One,
    /// The leader answers once every member of the current ISR has the record (the HW covers it).
    #[default]
    All,
}

impl fmt::Display for Acks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Acks::Zero => "0",
            Acks::One => "1",
            Acks::All => "all",
        })
    }
}

/// Written the way Kafka configs write it, so a serialised setup reads back: `0`, `1`, `"all"`.
impl Serialize for Acks {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Acks::Zero => serializer.serialize_u8(0),
            Acks::One => serializer.serialize_u8(1),
            Acks::All => serializer.serialize_str("all"),
        }
    }
}

/// Accepts what people write in Kafka configs: `0`, `1`, `-1`, `"all"`, and `"Zero"`, `"One"`, `"All"`.
impl<'de> Deserialize<'de> for Acks {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(AcksVisitor)
    }
}

struct AcksVisitor;

impl<'de> serde::de::Visitor<'de> for AcksVisitor {
    type Value = Acks;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("acks as 0, 1, -1 or \"all\"")
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Acks, E> {
        match v {
            0 => Ok(Acks::Zero),
            1 => Ok(Acks::One),
            -1 => Ok(Acks::All),
            _ => Err(E::custom(format!(
                "acks must be 0, 1 or -1 (all), found {v}"
            ))),
        }
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Acks, E> {
        self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Acks, E> {
        match v {
            "0" | "Zero" => Ok(Acks::Zero),
            "1" | "One" => Ok(Acks::One),
            "all" | "-1" | "All" => Ok(Acks::All),
            _ => Err(E::custom(format!(
                "acks must be 0, 1 or \"all\", found \"{v}\""
            ))),
        }
    }

    fn visit_enum<A: serde::de::EnumAccess<'de>>(self, data: A) -> Result<Acks, A::Error> {
        use serde::de::VariantAccess;
        let (name, variant): (String, _) = data.variant()?;
        variant.unit_variant()?;
        self.visit_str(&name)
    }
}

/// How the application hands records to `send()`.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SendMode {
    /// `producer.send(record, callback)`: returns at once, the record waits in the accumulator.
    #[default]
    Async,
    /// `producer.send(record).get()`: the application waits for the ack before its next send.
    Sync,
}

/// A producer client and its configuration (Kafka 4.x defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProducerSetup {
    pub name: String,
    pub acks: Acks,
    /// `enable.idempotence`; unset means Kafka's default: on, unless acks≠all (KIP-679).
    pub enable_idempotence: Option<bool>,
    pub retries: u32,
    pub max_in_flight_requests_per_connection: u32,
    pub batch_size: u32,
    pub linger_ms: u64,
    pub buffer_memory: u64,
    pub max_block_ms: u64,
    pub request_timeout_ms: u64,
    pub delivery_timeout_ms: u64,
    pub retry_backoff_ms: u64,
    pub retry_backoff_max_ms: u64,
    /// Size of each record the application sends, in bytes.
    pub record_bytes: u32,
    pub send_mode: SendMode,
    /// The seed article's third mitigation: the application writes each message to a local durable
    /// outbox first, and a sender drains it; a restarted application resends what was not acked.
    pub spool: bool,
    /// A steady load: the application produces one message every this many milliseconds.
    pub send_every_ms: Option<u64>,
}

impl Default for ProducerSetup {
    fn default() -> Self {
        ProducerSetup {
            name: "P1".to_string(),
            acks: Acks::All,
            enable_idempotence: None,
            retries: i32::MAX as u32,
            max_in_flight_requests_per_connection: 5,
            batch_size: 16_384,
            // KIP-1030 made 5 ms the default in Kafka 4.0.
            linger_ms: 5,
            buffer_memory: 33_554_432,
            max_block_ms: 60_000,
            request_timeout_ms: 30_000,
            delivery_timeout_ms: 120_000,
            retry_backoff_ms: 100,
            retry_backoff_max_ms: 1_000,
            record_bytes: 100,
            send_mode: SendMode::Async,
            spool: false,
            send_every_ms: None,
        }
    }
}

impl ProducerSetup {
    /// Whether idempotence is in effect: explicit setting, else on only when its preconditions hold
    /// (`KafkaProducer` silently disables the default when acks≠all, retries=0 or >5 in flight).
    pub fn idempotent(&self) -> bool {
        self.enable_idempotence.unwrap_or(
            self.acks == Acks::All
                && self.retries > 0
                && self.max_in_flight_requests_per_connection <= 5,
        )
    }
}

/// `auto.offset.reset`: where a consumer starts when its group has no committed offset.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum OffsetReset {
    Earliest,
    #[default]
    Latest,
    None,
}

/// How the application's poll loop processes what `poll()` returns.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProcessingStyle {
    /// Process every record inside the poll loop before polling again.
    #[default]
    InLoop,
    /// Push records to a worker thread's queue and poll again at once.
    HandOff,
}

/// When and what the application commits.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum CommitStyle {
    /// `enable.auto.commit=true`: positions of earlier polls are committed at the start of `poll()`.
    #[default]
    Auto,
    /// `commitSync()` after processing the whole batch (at-least-once).
    SyncAfterProcessing,
    /// `commitAsync()` after processing the whole batch.
    AsyncAfterProcessing,
    /// `commitSync()` right after `poll()`, before processing (at-most-once).
    SyncBeforeProcessing,
    /// Per partition `commitSync(Map.of(tp, new OffsetAndMetadata(lastOffset + 1)))`.
    PerPartitionNextOffset,
    /// The off-by-one mistake: committing `lastOffset` instead of `lastOffset + 1`.
    PerPartitionLastOffset,
    /// Nothing is committed unless a lesson says so.
    Manual,
}

/// A consumer client, its group and its application loop.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsumerSetup {
    pub name: String,
    pub group_id: String,
    pub topic: String,
    pub auto_commit_interval_ms: u64,
    pub auto_offset_reset: OffsetReset,
    pub max_poll_records: u32,
    pub max_poll_interval_ms: u64,
    pub session_timeout_ms: u64,
    pub commit: CommitStyle,
    pub processing: ProcessingStyle,
    /// How long the application takes to process one record.
    pub processing_ms: u64,
    /// Pause of the poll loop when `poll()` returned nothing.
    pub poll_timeout_ms: u64,
    /// `finally { consumer.close(); }` after a record fails to process.
    pub close_on_error: bool,
    /// Whether the poll loop runs by itself; when false a lesson drives it step by step.
    pub autorun: bool,
}

impl Default for ConsumerSetup {
    fn default() -> Self {
        ConsumerSetup {
            name: "C1".to_string(),
            group_id: "app".to_string(),
            topic: "orders".to_string(),
            auto_commit_interval_ms: 5_000,
            auto_offset_reset: OffsetReset::Latest,
            max_poll_records: 500,
            max_poll_interval_ms: 300_000,
            session_timeout_ms: 45_000,
            commit: CommitStyle::Auto,
            processing: ProcessingStyle::InLoop,
            processing_ms: 0,
            poll_timeout_ms: 100,
            close_on_error: false,
            autorun: true,
        }
    }
}

/// A setup that cannot be simulated, with the reason in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    #[error("a cluster needs 1 to {max} brokers, found {found}", max = MAX_BROKERS)]
    BrokerCount { found: u16 },
    #[error("topic `{topic}`: replication_factor {rf} is larger than the {brokers} brokers")]
    ReplicationFactor {
        topic: String,
        rf: u16,
        brokers: u16,
    },
    #[error("topic `{topic}`: {what}")]
    Topic { topic: String, what: String },
    #[error("{what}")]
    Other { what: String },
}
