//! Events: every state change of the engine, as data. Words for them live in `describe`.
//!
//! One engine step produces a group of events: the first is the cause (a fetch handled, a broker
//! crashed), the rest its consequences (the HW moved, a message was acked). Events are small and
//! `Copy` so that millions of them stay cheap to record.

use serde::Serialize;

use super::cluster::CutScope;
use super::config::Acks;
use super::errors::Failure;
use super::faults::RackFault;
use super::types::{
    BrokerId, BrokerSet, ConsumerId, Epoch, MessageId, Offset, PartitionId, ProducerId, Time,
};

/// Kafka's own error names, as clients and brokers report them.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum KafkaError {
    /// 6: the broker is not the leader of the partition (any more).
    NotLeaderOrFollower,
    /// 19: acks=all and |ISR| < min.insync.replicas before the append; nothing was written.
    NotEnoughReplicas,
    /// 20: written, but the ISR shrank below min.insync.replicas before the ack.
    NotEnoughReplicasAfterAppend,
    /// 7: the broker's acks=all wait exceeded the request's timeout.
    RequestTimedOut,
    /// The connection to the broker broke (client-side `NetworkException`).
    NetworkException,
    /// 45: an idempotent batch arrived with a sequence gap.
    OutOfOrderSequenceNumber,
    /// 74: the requester's leader epoch is older than the broker's.
    FencedLeaderEpoch,
    /// 75: the requester's leader epoch is newer than the broker's.
    UnknownLeaderEpoch,
    /// `BufferExhaustedException`: `send()` could not get buffer memory within max.block.ms.
    BufferExhausted,
    /// `TimeoutException: Expiring N record(s)`: delivery.timeout.ms passed since batch creation.
    DeliveryTimeout,
    /// The producer was closed or killed with the record unsent.
    ProducerClosed,
    /// `CommitFailedException`: the member was removed from the group before committing.
    CommitFailed,
    /// `LogTruncationException` with auto.offset.reset=none (KIP-320).
    LogTruncation,
    /// `NoOffsetForPartitionException` with auto.offset.reset=none.
    NoOffsetForPartition,
}

impl KafkaError {
    /// The name Kafka prints.
    pub fn kafka_name(self) -> &'static str {
        match self {
            KafkaError::NotLeaderOrFollower => "NOT_LEADER_OR_FOLLOWER",
            KafkaError::NotEnoughReplicas => "NOT_ENOUGH_REPLICAS",
            KafkaError::NotEnoughReplicasAfterAppend => "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
            KafkaError::RequestTimedOut => "REQUEST_TIMED_OUT",
            KafkaError::NetworkException => "NetworkException",
            KafkaError::OutOfOrderSequenceNumber => "OUT_OF_ORDER_SEQUENCE_NUMBER",
            KafkaError::FencedLeaderEpoch => "FENCED_LEADER_EPOCH",
            KafkaError::UnknownLeaderEpoch => "UNKNOWN_LEADER_EPOCH",
            KafkaError::BufferExhausted => "BufferExhaustedException",
            KafkaError::DeliveryTimeout => "TimeoutException",
            KafkaError::ProducerClosed => "KafkaException: producer closed",
            KafkaError::CommitFailed => "CommitFailedException",
            KafkaError::LogTruncation => "LogTruncationException",
            KafkaError::NoOffsetForPartition => "NoOffsetForPartitionException",
        }
    }

    /// A distinct bit per error, for sets of errors.
    pub fn bit(self) -> u32 {
        1 << (self as u32)
    }

    /// Whether the producer retries after this error (`RetriableException` subclasses).
    pub fn is_retriable(self) -> bool {
        matches!(
            self,
            KafkaError::NotLeaderOrFollower
                | KafkaError::NotEnoughReplicas
                | KafkaError::NotEnoughReplicasAfterAppend
                | KafkaError::RequestTimedOut
                | KafkaError::NetworkException
                | KafkaError::OutOfOrderSequenceNumber
        )
    }

    /// Whether the client should refresh its metadata after this error.
    pub fn invalidates_metadata(self) -> bool {
        matches!(
            self,
            KafkaError::NotLeaderOrFollower
                | KafkaError::NetworkException
                | KafkaError::RequestTimedOut
        )
    }
}

/// A run of messages, as events name them: `m3` or `m3…m7 (5 records)`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MessageSpan {
    pub first: MessageId,
    pub last: MessageId,
    pub count: u32,
    /// Whether the messages are `first`, `first + 1`, … `last` with none missing.
    pub consecutive: bool,
}

impl MessageSpan {
    pub fn single(message: MessageId) -> Self {
        MessageSpan {
            first: message,
            last: message,
            count: 1,
            consecutive: true,
        }
    }

    pub fn of(messages: &[MessageId]) -> Option<Self> {
        Self::from_ids(messages.iter().copied())
    }

    /// The span of a run of message ids, without collecting them.
    pub fn from_ids(mut ids: impl Iterator<Item = MessageId>) -> Option<Self> {
        let first = ids.next()?;
        let mut span = MessageSpan::single(first);
        for id in ids {
            span.consecutive &= id.0 == span.last.0 + 1;
            span.last = id;
            span.count += 1;
        }
        Some(span)
    }
}

/// Why the controller changed an ISR.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub enum IsrReason {
    /// The leader saw the follower fall behind for longer than replica.lag.time.max.ms.
    FollowerLagging,
    /// The follower caught up to the HW (and the leader epoch's start, KIP-320).
    FollowerCaughtUp,
    /// The broker was fenced (no heartbeat, or a new incarnation registered).
    BrokerFenced,
    /// Controlled shutdown.
    BrokerShutdown,
    /// An unclean election forced the ISR to the new leader alone.
    UncleanElection,
}

/// What made the classic consumer auto-commit (`ConsumerCoordinator`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub enum AutoCommitTrigger {
    /// At the start of `poll()`, once auto.commit.interval.ms has elapsed.
    Poll,
    /// Synchronously in `close()`.
    Close,
    /// Before a rebalance (`onJoinPrepare`).
    Rebalance,
}

/// Why the controller fenced a broker.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub enum FenceReason {
    SessionExpired,
    /// A new incarnation registered after an unclean stop (KRaft, KIP-903/KIP-966).
    Restarted,
    ControlledShutdown,
}

/// Why a replica cut the end off its log.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub enum TruncationReason {
    /// Legacy rule: a new follower truncates to its own high watermark.
    HighWatermark,
    /// The leader's epoch history shows where the logs diverge (KIP-101/279, truncation on fetch).
    DivergingEpoch,
    /// The leader's log is shorter than the fetch offset (legacy `OFFSET_OUT_OF_RANGE`).
    OffsetOutOfRange,
}

/// What made a log durable.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub enum FlushCause {
    /// `flush.messages` reached.
    FlushMessages,
    /// `flush.ms` elapsed.
    FlushMs,
    /// An explicit fsync command.
    Fsync,
    /// The OS flusher wrote back dirty pages older than the expiry age.
    OsWriteBack,
}

/// Every state change the engine makes.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub enum EventKind {
    // ---- faults and operations ----
    ProcessCrashed {
        broker: BrokerId,
    },
    PowerLost {
        broker: BrokerId,
        records_lost: u64,
    },
    ShutDown {
        broker: BrokerId,
    },
    Restarted {
        broker: BrokerId,
        recovered_from: Option<Offset>,
        records_kept: u64,
    },
    CutOff {
        broker: BrokerId,
        scope: CutScope,
    },
    Healed {
        broker: BrokerId,
    },
    /// A whole rack is hit; the per-broker events follow. `first` names the rack's first broker.
    RackFault {
        first: BrokerId,
        fault: RackFault,
    },
    /// Messages on the wire to or from a failed party that will never arrive.
    InFlightDropped {
        count: u32,
    },

    // ---- controller ----
    BrokerFenced {
        broker: BrokerId,
        reason: FenceReason,
    },
    BrokerUnfenced {
        broker: BrokerId,
    },
    LeaderElected {
        partition: PartitionId,
        leader: BrokerId,
        epoch: Epoch,
        unclean: bool,
    },
    PartitionOffline {
        partition: PartitionId,
        last_isr: BrokerSet,
    },
    IsrChanged {
        partition: PartitionId,
        /// The leader when the change was made (the requester of a leader-driven change).
        leader: Option<BrokerId>,
        from: BrokerSet,
        to: BrokerSet,
        reason: IsrReason,
    },
    AlterPartitionUnreachable {
        partition: PartitionId,
        leader: BrokerId,
    },

    // ---- a broker's view of its replicas ----
    BecameLeader {
        broker: BrokerId,
        partition: PartitionId,
        epoch: Epoch,
        log_end: Offset,
    },
    BecameFollower {
        broker: BrokerId,
        partition: PartitionId,
        leader: Option<BrokerId>,
        epoch: Epoch,
    },
    Truncated {
        broker: BrokerId,
        partition: PartitionId,
        from: Offset,
        to: Offset,
        reason: TruncationReason,
    },
    HighWatermarkMoved {
        broker: BrokerId,
        partition: PartitionId,
        from: Offset,
        to: Offset,
    },
    MadeDurable {
        broker: BrokerId,
        partition: PartitionId,
        from: Offset,
        to: Offset,
        cause: FlushCause,
    },

    // ---- replication ----
    /// A follower's fetch reached the leader; `span` is what it will receive.
    FetchServed {
        leader: BrokerId,
        follower: BrokerId,
        partition: PartitionId,
        fetch_offset: Offset,
        span: Option<MessageSpan>,
        high_watermark: Offset,
    },
    /// A fetch with nothing to return waits at the leader (long poll).
    FetchParked {
        leader: BrokerId,
        follower: BrokerId,
        partition: PartitionId,
        fetch_offset: Offset,
    },
    /// The leader's epoch history shows the follower's log diverged.
    FetchDiverged {
        leader: BrokerId,
        follower: BrokerId,
        partition: PartitionId,
        epoch: Epoch,
        end_offset: Offset,
    },
    FetchRejected {
        leader: BrokerId,
        follower: BrokerId,
        partition: PartitionId,
        error: KafkaError,
    },
    /// The fetch response reached the follower.
    FetchApplied {
        follower: BrokerId,
        leader: BrokerId,
        partition: PartitionId,
        span: Option<MessageSpan>,
        log_end: Offset,
    },

    // ---- produce at the leader ----
    Appended {
        leader: BrokerId,
        partition: PartitionId,
        producer: ProducerId,
        span: MessageSpan,
        first_offset: Offset,
        acks: Acks,
    },
    DuplicateBatch {
        leader: BrokerId,
        partition: PartitionId,
        producer: ProducerId,
        first_offset: Offset,
    },
    ProduceRejected {
        broker: BrokerId,
        partition: PartitionId,
        producer: ProducerId,
        error: KafkaError,
    },
    /// A waiting acks=all request completed (HW reached) or failed.
    ProduceCompleted {
        leader: BrokerId,
        partition: PartitionId,
        producer: ProducerId,
        error: Option<KafkaError>,
    },

    // ---- producer client ----
    SendQueued {
        producer: ProducerId,
        message: MessageId,
    },
    SendAppended {
        producer: ProducerId,
        message: MessageId,
        partition: PartitionId,
        batch_records: u32,
    },
    SendBlocked {
        producer: ProducerId,
        message: MessageId,
        buffer_used: u64,
    },
    SendFailed {
        producer: ProducerId,
        message: MessageId,
        error: KafkaError,
    },
    BatchSent {
        producer: ProducerId,
        broker: BrokerId,
        partition: PartitionId,
        span: MessageSpan,
        attempt: u32,
    },
    BatchAcked {
        producer: ProducerId,
        partition: PartitionId,
        span: MessageSpan,
        offset: Option<Offset>,
    },
    BatchFailed {
        producer: ProducerId,
        partition: PartitionId,
        span: MessageSpan,
        error: KafkaError,
        retry_in: Option<Time>,
    },
    MetadataUpdated {
        producer: ProducerId,
        partition: PartitionId,
        leader: Option<BrokerId>,
    },
    ProducerKilled {
        producer: ProducerId,
        unsent: u32,
        in_flight: u32,
    },
    ProducerStarted {
        producer: ProducerId,
        producer_id: u32,
        resent: u32,
    },
    ProducerFlushing {
        producer: ProducerId,
        closing: bool,
    },
    ProducerDrained {
        producer: ProducerId,
        closed: bool,
    },

    // ---- consumer client and group ----
    Polled {
        consumer: ConsumerId,
        partition: PartitionId,
        from: Offset,
        span: Option<MessageSpan>,
        high_watermark: Offset,
    },
    AutoCommitted {
        consumer: ConsumerId,
        partition: PartitionId,
        offset: Offset,
        trigger: AutoCommitTrigger,
    },
    /// Why the error just reported happened, in terms of the state then.
    Why {
        failure: Failure,
    },
    /// A spooled message whose send failed goes back to the spool's drainer.
    SpoolResends {
        producer: ProducerId,
        span: MessageSpan,
    },
    Committed {
        consumer: ConsumerId,
        partition: PartitionId,
        offset: Offset,
        sync: bool,
    },
    CommitRejected {
        consumer: ConsumerId,
        error: KafkaError,
    },
    ProcessingStarted {
        consumer: ConsumerId,
        message: MessageId,
        offset: Offset,
    },
    Processed {
        consumer: ConsumerId,
        message: MessageId,
        offset: Offset,
    },
    ProcessingFailed {
        consumer: ConsumerId,
        message: MessageId,
        offset: Offset,
    },
    HandedOff {
        consumer: ConsumerId,
        span: MessageSpan,
    },
    ConsumerCrashed {
        consumer: ConsumerId,
        abandoned: u32,
    },
    ConsumerClosed {
        consumer: ConsumerId,
    },
    ConsumerStarted {
        consumer: ConsumerId,
    },
    Assigned {
        consumer: ConsumerId,
        partition: PartitionId,
        position: Offset,
        from_commit: bool,
    },
    Revoked {
        consumer: ConsumerId,
        partition: PartitionId,
    },
    MemberRemoved {
        consumer: ConsumerId,
        poll_interval_exceeded: bool,
    },
    PositionReset {
        consumer: ConsumerId,
        partition: PartitionId,
        from: Offset,
        to: Offset,
        truncation: bool,
    },
}

/// An event with the logical time it happened at and the engine step it belongs to.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Event {
    pub step: u64,
    pub time: Time,
    pub kind: EventKind,
}
