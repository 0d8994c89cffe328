//! Errors that teach: every error with Kafka's name and one line explaining it from the state
//! that caused it, captured when it happened.

use serde::Serialize;

use super::describe::{Lang, Names};
use super::event::KafkaError;
use super::types::{BrokerId, BrokerSet, Offset, PartitionId, Time};

/// The state behind an error, captured when it happened.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub enum ErrorContext {
    /// The ISR and the minimum it was compared with.
    Isr {
        partition: PartitionId,
        isr: BrokerSet,
        min_isr: u16,
    },
    /// A broker that does not lead the partition, and who does as far as the controller knows.
    NotLeader {
        partition: PartitionId,
        broker: BrokerId,
        leader: Option<BrokerId>,
    },
    /// The HW stayed below what the request needed until its timeout.
    HwStuck {
        partition: PartitionId,
        hw: Offset,
        needed: Offset,
        isr: BrokerSet,
        timeout_ms: u32,
    },
    /// A sequence gap at the broker.
    Sequence {
        partition: PartitionId,
        expected: u32,
        got: u32,
    },
    /// The connection to a broker broke or stayed silent.
    Connection { broker: BrokerId },
    /// `buffer.memory` stayed full for `max.block.ms`.
    Buffer { total: u64, waited_ms: Time },
    /// `delivery.timeout.ms` passed since the batch was created.
    Delivery { timeout_ms: Time },
    /// The consumer is not in the group's current generation.
    Generation,
    /// Nothing more to say than the error's name.
    Plain,
}

/// An error and the state that explains it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub error: KafkaError,
    pub context: ErrorContext,
}

impl Failure {
    pub fn new(error: KafkaError, context: ErrorContext) -> Self {
        Failure { error, context }
    }

    /// `NAME — reason`, for the ledger and reports.
    pub fn explain(self, names: &impl Names, lang: Lang) -> String {
        match reason(self.error, self.context, names, lang) {
            Some(why) => format!("{} — {why}", self.error.kafka_name()),
            None => self.error.kafka_name().to_string(),
        }
    }
}

/// Why the error happened, in terms of the state, in the learner's language.
#[allow(clippy::too_many_lines)] // one sentence per error and context, in two languages
pub fn reason(
    error: KafkaError,
    context: ErrorContext,
    names: &impl Names,
    lang: Lang,
) -> Option<String> {
    let p = |partition: PartitionId| names.partition_name(partition).to_string();
    let zh = lang == Lang::Zh;
    let why = match (error, context) {
        (
            KafkaError::NotEnoughReplicas,
            ErrorContext::Isr {
                partition,
                isr,
                min_isr,
            },
        ) => {
            if zh {
                format!(
                    "acks=all 要求 ISR 中至少有 min.insync.replicas={min_isr} 个副本；{} 的 ISR 是 {isr}",
                    p(partition)
                )
            } else {
                format!(
                    "acks=all needs min.insync.replicas={min_isr} in-sync replicas; the ISR of {} is {isr}",
                    p(partition)
                )
            }
        }
        (
            KafkaError::NotEnoughReplicasAfterAppend,
            ErrorContext::Isr {
                partition,
                isr,
                min_isr,
            },
        ) => {
            if zh {
                format!(
                    "记录已写入，但确认前 {} 的 ISR 缩到了 {isr}，低于 min.insync.replicas={min_isr}",
                    p(partition)
                )
            } else {
                format!(
                    "written, but before the ack the ISR of {} shrank to {isr}, below min.insync.replicas={min_isr}",
                    p(partition)
                )
            }
        }
        (
            KafkaError::NotLeaderOrFollower,
            ErrorContext::NotLeader {
                partition,
                broker,
                leader,
            },
        ) => match (zh, leader) {
            (false, Some(l)) => format!(
                "{broker} does not lead {}; the controller says {l} does",
                p(partition)
            ),
            (false, None) => format!(
                "{broker} does not lead {}, which has no leader right now",
                p(partition)
            ),
            (true, Some(l)) => format!(
                "{broker} 不是 {} 的 leader；controller 说 leader 是 {l}",
                p(partition)
            ),
            (true, None) => format!(
                "{broker} 不是 {} 的 leader，而且它现在没有 leader",
                p(partition)
            ),
        },
        (
            KafkaError::RequestTimedOut,
            ErrorContext::HwStuck {
                partition,
                hw,
                needed,
                isr,
                timeout_ms,
            },
        ) => {
            if zh {
                format!(
                    "{} 的 HW 停在 {hw}，在 request.timeout.ms（{timeout_ms} ms）内没有到达 {needed}；ISR {isr}",
                    p(partition)
                )
            } else {
                format!(
                    "the HW of {} stayed at {hw} and did not reach {needed} within request.timeout.ms ({timeout_ms} ms); ISR {isr}",
                    p(partition)
                )
            }
        }
        (
            KafkaError::OutOfOrderSequenceNumber,
            ErrorContext::Sequence {
                partition,
                expected,
                got,
            },
        ) => {
            if zh {
                format!(
                    "{} 上这个 producer 的下一个序号应是 {expected}，收到的是 {got}：之前的记录不在日志里了",
                    p(partition)
                )
            } else {
                format!(
                    "{} expected sequence {expected} from this producer but got {got}: earlier records are missing from the log",
                    p(partition)
                )
            }
        }
        (KafkaError::NetworkException, ErrorContext::Connection { broker }) => {
            if zh {
                format!(
                    "到 {broker} 的连接断了或一直没有回应（进程没了、断网，或超过 request.timeout.ms）"
                )
            } else {
                format!(
                    "the connection to {broker} broke or went silent (process down, cut off, or no answer within request.timeout.ms)"
                )
            }
        }
        (KafkaError::BufferExhausted, ErrorContext::Buffer { total, waited_ms }) => {
            if zh {
                format!(
                    "buffer.memory（{total} 字节）在 max.block.ms（{waited_ms} ms）内一直是满的；send() 阻塞后失败"
                )
            } else {
                format!(
                    "buffer.memory ({total} bytes) stayed full for max.block.ms ({waited_ms} ms); send() blocked, then failed"
                )
            }
        }
        (KafkaError::DeliveryTimeout, ErrorContext::Delivery { timeout_ms }) => {
            if zh {
                format!("自批次创建起已过 delivery.timeout.ms（{timeout_ms} ms），producer 放弃了")
            } else {
                format!(
                    "delivery.timeout.ms ({timeout_ms} ms) passed since the batch was created; the producer gave up"
                )
            }
        }
        (KafkaError::CommitFailed, _) => {
            if zh {
                "这个成员已不在消费组的当前这一代里（发生了重平衡），它的提交被拒绝".to_string()
            } else {
                "this member is no longer in the group's current generation (a rebalance happened), so its commit is refused"
                    .to_string()
            }
        }
        _ => return None,
    };
    Some(why)
}
