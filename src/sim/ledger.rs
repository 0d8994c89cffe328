//! The ledger: the fate of every message, derived from engine state alone — like a Jepsen checker,
//! it never trusts what a script says should have happened.

use serde::Serialize;

use super::event::KafkaError;
use super::message::SendStatus;
use super::types::{BrokerId, MessageId, Offset, PartitionId, ProducerId};
use super::world::World;

/// Where one copy of a message lives now.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Copy {
    pub broker: BrokerId,
    pub offset: Offset,
    /// On disk (survives a power cut) rather than only in the page cache.
    pub on_disk: bool,
}

/// The ledger's judgement of a message.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Acknowledged, in the partition's log, and held by at least two replicas.
    Safe,
    /// Acknowledged and in the partition's log, but held by a single replica: one failure away
    /// from loss (acks=0/1 before replication, or the ISR down to the leader).
    AtRisk,
    /// Acknowledged to the producer, and no longer in the partition's log.
    AckedLost,
    /// Not acknowledged yet: buffered, in flight or queued.
    Pending,
    /// The producer reported failure (or never got an answer) and it is not in the log.
    NotAcked,
    /// The producer reported failure or never got an answer, yet it is in the log.
    InDoubt,
    /// Lost in the producer's memory when its process died before sending.
    LostInProducer,
}

impl Verdict {
    /// Whether the verdict is a loss the learner must notice.
    pub fn is_loss(self) -> bool {
        matches!(self, Verdict::AckedLost | Verdict::LostInProducer)
    }

    pub fn label(self, lang: super::describe::Lang) -> &'static str {
        use super::describe::Lang::{En, Zh};
        match (self, lang) {
            (Verdict::Safe, En) => "safe",
            (Verdict::AtRisk, En) => "acked, one copy only",
            (Verdict::AckedLost, En) => "ACKED AND LOST",
            (Verdict::Pending, En) => "pending",
            (Verdict::NotAcked, En) => "not acked",
            (Verdict::InDoubt, En) => "in doubt",
            (Verdict::LostInProducer, En) => "LOST IN PRODUCER",
            (Verdict::Safe, Zh) => "安全",
            (Verdict::AtRisk, Zh) => "已确认，仅一个副本",
            (Verdict::AckedLost, Zh) => "已确认却丢失",
            (Verdict::Pending, Zh) => "等待中",
            (Verdict::NotAcked, Zh) => "未确认",
            (Verdict::InDoubt, Zh) => "结果未知",
            (Verdict::LostInProducer, Zh) => "丢在 producer 中",
        }
    }
}

/// The producer's side of a message's fate.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum Acknowledgement {
    Pending,
    Acked { offset: Option<Offset> },
    Failed { error: KafkaError },
    LostInProducer,
    NoAnswer,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LedgerEntry {
    pub message: MessageId,
    pub name: String,
    pub producer: ProducerId,
    pub partition: PartitionId,
    pub ack: Acknowledgement,
    /// Every replica that holds it now, in assignment order.
    pub copies: Vec<Copy>,
    /// Offsets in the partition's authoritative log (more than one means duplicates).
    pub log_offsets: Vec<Offset>,
    /// In the authoritative log below its HW: consumers can read it.
    pub committed: bool,
    /// Times `poll()` returned it to an application.
    pub delivered: u32,
    /// Times an application finished processing it.
    pub processed: u32,
    /// A consumer group committed past it, yet nobody ever processed it.
    pub skipped: bool,
    /// The error that made the producer give up on it, with the state that explains it.
    pub failure: Option<super::errors::Failure>,
    pub verdict: Verdict,
}

impl LedgerEntry {
    pub fn is_duplicated(&self) -> bool {
        self.log_offsets.len() > 1
    }

    /// Delivered to consumers more than once.
    pub fn is_redelivered(&self) -> bool {
        self.delivered > 1
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Ledger {
    pub entries: Vec<LedgerEntry>,
}

impl Ledger {
    pub fn entry(&self, message: MessageId) -> Option<&LedgerEntry> {
        self.entries.get(message.index())
    }

    pub fn by_name(&self, name: &str) -> Option<&LedgerEntry> {
        self.entries.iter().find(|e| e.name == name)
    }

    /// Messages the producer was told were written that are gone.
    pub fn acked_and_lost(&self) -> impl Iterator<Item = &LedgerEntry> {
        self.entries
            .iter()
            .filter(|e| e.verdict == Verdict::AckedLost)
    }
}

impl World {
    /// The replica whose log is the partition's truth: the controller's leader while it runs and
    /// acts as leader in the current epoch; otherwise the replica a clean election will pick — the
    /// first running ISR member in assignment order, or, while none runs, the first ISR member
    /// (the partition waits for it).
    pub fn authoritative_replica(&self, partition: PartitionId) -> Option<BrokerId> {
        let p = &self.partitions[partition.index()];
        let running = |b: BrokerId| self.brokers[b.index()].is_registered();
        let acting = |b: BrokerId| {
            p.replica(b)
                .is_some_and(|r| r.role.is_leader() && r.leader_epoch == p.controller.leader_epoch)
        };
        if let Some(leader) = p.controller.leader.filter(|&l| running(l) && acting(l)) {
            return Some(leader);
        }
        let isr_members = || {
            p.assignment
                .iter()
                .copied()
                .filter(|&b| p.controller.isr.contains(b))
        };
        isr_members()
            .find(|&b| running(b))
            .or_else(|| isr_members().next())
    }

    /// Whether some group consuming the partition has committed an offset past `offset`.
    fn committed_past(&self, partition: PartitionId, offset: Offset) -> bool {
        self.coordinator.groups.values().any(|g| {
            g.committed
                .get(&partition)
                .is_some_and(|c| c.offset > offset)
        })
    }

    /// Computes the fate of every message from the current state.
    pub fn ledger(&self) -> Ledger {
        let mut copies: Vec<Vec<Copy>> = vec![Vec::new(); self.messages.len()];
        let mut log_offsets: Vec<Vec<Offset>> = vec![Vec::new(); self.messages.len()];
        let mut committed = vec![false; self.messages.len()];
        for partition in &self.partitions {
            let truth = self.authoritative_replica(partition.id);
            for replica in &partition.replicas {
                let is_truth = Some(replica.broker) == truth;
                for (offset, record) in replica.log.records().iter().enumerate() {
                    let offset = offset as Offset;
                    let m = record.message.index();
                    if m >= copies.len() {
                        continue;
                    }
                    if copies[m].last().is_none_or(|c| c.broker != replica.broker) {
                        copies[m].push(Copy {
                            broker: replica.broker,
                            offset,
                            on_disk: replica.log.is_durable(offset),
                        });
                    }
                    if is_truth {
                        log_offsets[m].push(offset);
                        committed[m] |= offset < replica.high_watermark;
                    }
                }
            }
        }
        let entries = self
            .messages
            .iter()
            .map(|info| {
                let m = info.id.index();
                let in_log = !log_offsets[m].is_empty();
                let ack = match info.status {
                    SendStatus::Queued | SendStatus::Buffered | SendStatus::InFlight => {
                        Acknowledgement::Pending
                    }
                    SendStatus::Acked { offset } => Acknowledgement::Acked { offset },
                    SendStatus::Failed { error } => Acknowledgement::Failed { error },
                    SendStatus::LostInBuffer => Acknowledgement::LostInProducer,
                    SendStatus::Abandoned => Acknowledgement::NoAnswer,
                };
                let verdict = match (ack, in_log) {
                    (Acknowledgement::Acked { .. }, true) if copies[m].len() >= 2 => Verdict::Safe,
                    (Acknowledgement::Acked { .. }, true) => Verdict::AtRisk,
                    (Acknowledgement::Acked { .. }, false) => Verdict::AckedLost,
                    (Acknowledgement::Pending, _) => Verdict::Pending,
                    (
                        Acknowledgement::Failed { .. }
                        | Acknowledgement::NoAnswer
                        | Acknowledgement::LostInProducer,
                        true,
                    ) => Verdict::InDoubt,
                    (Acknowledgement::Failed { .. } | Acknowledgement::NoAnswer, false) => {
                        Verdict::NotAcked
                    }
                    (Acknowledgement::LostInProducer, false) => Verdict::LostInProducer,
                };
                let skipped = info.processed == 0
                    && !self.in_progress(info.id)
                    && log_offsets[m]
                        .first()
                        .is_some_and(|&offset| self.committed_past(info.partition, offset));
                LedgerEntry {
                    message: info.id,
                    name: info.name.to_string(),
                    producer: info.producer,
                    partition: info.partition,
                    ack,
                    copies: std::mem::take(&mut copies[m]),
                    log_offsets: std::mem::take(&mut log_offsets[m]),
                    committed: committed[m],
                    delivered: info.delivered,
                    processed: info.processed,
                    skipped,
                    failure: info.failure,
                    verdict,
                }
            })
            .collect();
        Ledger { entries }
    }
}
