//! Safety properties checked on every step by tests and by the explorer.
//!
//! From the TLA+ models of Kafka replication (`hachikuji/kafka-specification`: `LeaderInIsr`,
//! `StrongIsr`) and from what acks=all promises.

use std::fmt;

use super::config::TruncationRule;
use super::ledger::Verdict;
use super::types::{BrokerId, MessageId, Offset, PartitionId};
use super::world::World;

/// A broken safety property, in words a learner can follow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Violation {
    LeaderOutsideIsr {
        partition: PartitionId,
        leader: BrokerId,
    },
    HighWatermarkAboveIsrMember {
        partition: PartitionId,
        leader: BrokerId,
        member: BrokerId,
        hw: Offset,
        leo: Offset,
    },
    CommittedRecordsDiffer {
        partition: PartitionId,
        leader: BrokerId,
        member: BrokerId,
        offset: Offset,
    },
    AckedMessageLost {
        message: MessageId,
    },
    DuplicateInLog {
        message: MessageId,
    },
    /// A consumer group committed past a message nobody processed.
    ConsumerSkipped {
        message: MessageId,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::LeaderOutsideIsr { partition, leader } => {
                write!(
                    f,
                    "partition #{} is led by {leader}, which is not in its ISR",
                    partition.0
                )
            }
            Violation::HighWatermarkAboveIsrMember {
                partition,
                leader,
                member,
                hw,
                leo,
            } => write!(
                f,
                "partition #{}: leader {leader} has HW {hw} but ISR member {member} has only LEO {leo}",
                partition.0
            ),
            Violation::CommittedRecordsDiffer {
                partition,
                leader,
                member,
                offset,
            } => write!(
                f,
                "partition #{}: below the HW, offset {offset} differs between leader {leader} and ISR member {member}",
                partition.0
            ),
            Violation::AckedMessageLost { message } => {
                write!(f, "acknowledged message #{} was lost", message.0)
            }
            Violation::DuplicateInLog { message } => {
                write!(f, "message #{} appears twice in the log", message.0)
            }
            Violation::ConsumerSkipped { message } => {
                write!(
                    f,
                    "the group committed past message #{} without processing it",
                    message.0
                )
            }
        }
    }
}

/// Replication properties that hold in every configuration of the modern protocol.
pub fn replication_violations(world: &World) -> Vec<Violation> {
    let mut found = Vec::new();
    let epochs_era = world.setup().era.truncation == TruncationRule::LeaderEpoch;
    for partition in world.partitions() {
        let record = &partition.controller;
        let Some(leader) = record.leader else {
            continue;
        };
        if !record.isr.contains(leader) {
            found.push(Violation::LeaderOutsideIsr {
                partition: partition.id,
                leader,
            });
        }
        let Some(leader_replica) = partition.replica(leader) else {
            continue;
        };
        // Only a leader that knows it leads in the current epoch has the partition's HW.
        if !leader_replica.role.is_leader() || leader_replica.leader_epoch != record.leader_epoch {
            continue;
        }
        let hw = leader_replica.high_watermark;
        // A restarted broker that has not reached the controller yet is not the ISR member the
        // controller means (KIP-903 broker epochs).
        for member in record
            .isr
            .iter()
            .filter(|&b| b != leader && world.broker(b).is_registered())
        {
            let Some(replica) = partition.replica(member) else {
                continue;
            };
            let leo = replica.log.end_offset();
            if hw > leo {
                found.push(Violation::HighWatermarkAboveIsrMember {
                    partition: partition.id,
                    leader,
                    member,
                    hw,
                    leo,
                });
                continue;
            }
            if epochs_era {
                let differs = (0..hw).find(|&o| {
                    let (a, b) = (leader_replica.log.record(o), replica.log.record(o));
                    a.map(|r| (r.epoch, r.message)) != b.map(|r| (r.epoch, r.message))
                });
                if let Some(offset) = differs {
                    found.push(Violation::CommittedRecordsDiffer {
                        partition: partition.id,
                        leader,
                        member,
                        offset,
                    });
                }
            }
        }
    }
    found
}

/// Acknowledged messages that are no longer in their partition's log.
pub fn acked_losses(world: &World) -> Vec<Violation> {
    world
        .ledger()
        .entries
        .iter()
        .filter(|e| e.verdict == Verdict::AckedLost)
        .map(|e| Violation::AckedMessageLost { message: e.message })
        .collect()
}

/// Messages present more than once in their partition's log.
pub fn duplicates(world: &World) -> Vec<Violation> {
    world
        .ledger()
        .entries
        .iter()
        .filter(|e| e.is_duplicated())
        .map(|e| Violation::DuplicateInLog { message: e.message })
        .collect()
}
