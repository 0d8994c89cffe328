//! Events in words: one line each, in English or Chinese. Kafka's own terms (ISR, HW, LEO, acks,
//! error names) stay as they are in both languages.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::cluster::CutScope;
use super::event::{
    AutoCommitTrigger, EventKind, FenceReason, FlushCause, IsrReason, MessageSpan, TruncationReason,
};
use super::faults::RackFault;
use super::types::{BrokerId, ConsumerId, MessageId, PartitionId, ProducerId};
use super::world::World;

/// A language for everything the learner reads.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    #[must_use]
    pub fn toggled(self) -> Lang {
        match self {
            Lang::En => Lang::Zh,
            Lang::Zh => Lang::En,
        }
    }

    /// Picks the text for this language.
    pub fn pick<'a>(self, en: &'a str, zh: &'a str) -> &'a str {
        match self {
            Lang::En => en,
            Lang::Zh => zh,
        }
    }
}

/// Names of things, as the learner sees them.
pub trait Names {
    fn partition_name(&self, partition: PartitionId) -> &str;
    fn message_name(&self, message: MessageId) -> &str;
    fn producer_name(&self, producer: ProducerId) -> &str;
    fn consumer_name(&self, consumer: ConsumerId) -> &str;
    /// The brokers of `broker`'s rack, as `rack a (B1, B2)`.
    fn rack_words(&self, broker: BrokerId) -> String;
}

impl Names for World {
    fn rack_words(&self, broker: BrokerId) -> String {
        let rack = self
            .brokers()
            .get(broker.index())
            .and_then(|b| b.rack.as_deref())
            .unwrap_or("?");
        let members: Vec<String> = self
            .rack_members(rack)
            .iter()
            .map(ToString::to_string)
            .collect();
        format!("{rack} ({})", members.join(", "))
    }
    fn partition_name(&self, partition: PartitionId) -> &str {
        self.partitions()
            .get(partition.index())
            .map_or("?", |p| &p.name)
    }

    fn message_name(&self, message: MessageId) -> &str {
        self.messages()
            .get(message.index())
            .map_or("?", |m| &m.name)
    }

    fn producer_name(&self, producer: ProducerId) -> &str {
        self.producers()
            .get(producer.index())
            .map_or("?", |p| &p.name)
    }

    fn consumer_name(&self, consumer: ConsumerId) -> &str {
        self.consumers()
            .get(consumer.index())
            .map_or("?", |c| &c.name)
    }
}

/// `m3`, or `m3…m7 (5 records)` / `m3…m7（5 条）`.
pub fn span_words(names: &impl Names, span: MessageSpan, lang: Lang) -> String {
    let first = names.message_name(span.first);
    let last = names.message_name(span.last);
    let n = span.count;
    match (lang, n) {
        (_, 1) => first.to_string(),
        (Lang::En, _) if span.first == span.last => format!("{first} ×{n}"),
        (Lang::Zh, _) if span.first == span.last => format!("{first}（{n} 次）"),
        (Lang::En, 2) => format!("{first} and {last}"),
        (Lang::Zh, 2) => format!("{first} 和 {last}"),
        (Lang::En, _) if span.consecutive => format!("{first}…{last} ({n} records)"),
        (Lang::Zh, _) if span.consecutive => format!("{first}…{last}（{n} 条）"),
        (Lang::En, _) => format!("{n} records from {first} to {last}"),
        (Lang::Zh, _) => format!("从 {first} 到 {last} 的 {n} 条记录"),
    }
}

fn opt_span(names: &impl Names, span: Option<MessageSpan>, lang: Lang) -> Option<String> {
    span.map(|s| span_words(names, s, lang))
}

/// One line describing an event.
#[allow(clippy::too_many_lines)] // one arm per event kind, each a sentence
pub fn describe(kind: &EventKind, names: &impl Names, lang: Lang) -> String {
    let p = |partition: PartitionId| names.partition_name(partition).to_string();
    let pr = |producer: ProducerId| names.producer_name(producer).to_string();
    let cn = |consumer: ConsumerId| names.consumer_name(consumer).to_string();
    let m = |message: MessageId| names.message_name(message).to_string();
    let zh = lang == Lang::Zh;
    match *kind {
        EventKind::ProcessCrashed { broker } => {
            if zh {
                format!("{broker} 进程崩溃（kill -9）：进程没了，page cache 还在")
            } else {
                format!("{broker} crashed (kill -9): the process is gone, its page cache survives")
            }
        }
        EventKind::PowerLost {
            broker,
            records_lost,
        } => match (zh, records_lost) {
            (false, 0) => {
                format!("{broker} lost power: everything was already on disk, nothing lost locally")
            }
            (false, n) => format!(
                "{broker} lost power: {n} record(s) that were only in the page cache are gone"
            ),
            (true, 0) => format!("{broker} 断电：数据都已落盘，本地没有丢失"),
            (true, n) => format!("{broker} 断电：只在 page cache 里的 {n} 条记录丢失"),
        },
        EventKind::RackFault { first, fault } => {
            let rack = names.rack_words(first);
            match (zh, fault) {
                (false, RackFault::CutPower) => {
                    format!("rack {rack} loses power: every machine in it goes dark at once")
                }
                (false, RackFault::Restart) => {
                    format!("power is back in rack {rack}: its brokers start")
                }
                (false, RackFault::CutOff) => {
                    format!(
                        "rack {rack}'s top-of-rack switch fails: its brokers are cut off from everyone, each other included"
                    )
                }
                (false, RackFault::Heal) => format!("rack {rack}'s switch is back"),
                (true, RackFault::CutPower) => format!("机架 {rack} 断电：里面的机器同时掉电"),
                (true, RackFault::Restart) => format!("机架 {rack} 恢复供电：其中的 broker 启动"),
                (true, RackFault::CutOff) => {
                    format!("机架 {rack} 的交换机故障：其中的 broker 与所有人断开，彼此之间也断开")
                }
                (true, RackFault::Heal) => format!("机架 {rack} 的交换机恢复"),
            }
        }
        EventKind::ShutDown { broker } => {
            if zh {
                format!("{broker} 正常关闭：先迁走 leader，再 fsync 所有日志")
            } else {
                format!("{broker} shuts down cleanly: leadership moves away, logs are fsync'd")
            }
        }
        EventKind::Restarted {
            broker,
            recovered_from,
            records_kept,
        } => match (zh, recovered_from) {
            (false, Some(from)) => {
                format!(
                    "{broker} restarted: log recovery from offset {from}, {records_kept} record(s) kept"
                )
            }
            (false, None) => {
                format!("{broker} restarted after a clean shutdown: no recovery needed")
            }
            (true, Some(from)) => {
                format!("{broker} 重启：从 offset {from} 开始日志恢复，保留 {records_kept} 条记录")
            }
            (true, None) => format!("{broker} 在正常关闭后重启：无需日志恢复"),
        },
        EventKind::CutOff { broker, scope } => match (zh, scope) {
            (false, CutScope::Everyone) => format!("{broker} is cut off from the network"),
            (false, CutScope::Cluster) => {
                format!(
                    "{broker} is cut off from the other brokers and the controller; clients still reach it"
                )
            }
            (false, CutScope::Brokers) => {
                format!(
                    "{broker} is cut off from the other brokers: it still heartbeats but cannot replicate"
                )
            }
            (true, CutScope::Everyone) => format!("{broker} 与网络断开"),
            (true, CutScope::Brokers) => {
                format!("{broker} 与其他 broker 断开：仍有心跳，但无法复制")
            }
            (true, CutScope::Cluster) => {
                format!("{broker} 与其他 broker 和 controller 断开，客户端仍能连上它")
            }
        },
        EventKind::Healed { broker } => {
            if zh {
                format!("{broker} 网络恢复")
            } else {
                format!("{broker} is back on the network")
            }
        }
        EventKind::InFlightDropped { count } => {
            if zh {
                format!("网络上的 {count} 条消息永远到不了了")
            } else {
                format!("{count} message(s) on the wire will never arrive")
            }
        }
        EventKind::BrokerFenced { broker, reason } => match (zh, reason) {
            (false, FenceReason::SessionExpired) => {
                format!("controller fenced {broker}: no heartbeat within broker.session.timeout.ms")
            }
            (false, FenceReason::Restarted) => {
                format!(
                    "controller fenced {broker}'s old incarnation: it restarted after an unclean stop"
                )
            }
            (false, FenceReason::ControlledShutdown) => {
                format!("controller fenced {broker}: controlled shutdown")
            }
            (true, FenceReason::SessionExpired) => {
                format!("controller 隔离了 {broker}：broker.session.timeout.ms 内没有心跳")
            }
            (true, FenceReason::Restarted) => {
                format!("controller 隔离了 {broker} 的旧实例：它在非正常停止后重启")
            }
            (true, FenceReason::ControlledShutdown) => {
                format!("controller 隔离了 {broker}：受控关闭")
            }
        },
        EventKind::BrokerUnfenced { broker } => {
            if zh {
                format!("controller 解除 {broker} 的隔离：它已注册并恢复心跳")
            } else {
                format!("controller unfenced {broker}: it is registered and heartbeating")
            }
        }
        EventKind::LeaderElected {
            partition,
            leader,
            epoch,
            unclean,
        } => match (zh, unclean) {
            (false, false) => format!(
                "controller elected {leader} leader of {} in epoch {epoch}",
                p(partition)
            ),
            (false, true) => format!(
                "UNCLEAN election: {leader}, not in the ISR, leads {} in epoch {epoch}; what it lacks is lost",
                p(partition)
            ),
            (true, false) => format!(
                "controller 选举 {leader} 为 {} 的 leader，epoch {epoch}",
                p(partition)
            ),
            (true, true) => format!(
                "unclean 选举：不在 ISR 中的 {leader} 成为 {} 的 leader（epoch {epoch}），它没有的数据全部丢失",
                p(partition)
            ),
        },
        EventKind::PartitionOffline {
            partition,
            last_isr,
        } => {
            if zh {
                format!(
                    "{} 下线：没有可选的 leader（ISR 仍为 {last_isr}）",
                    p(partition)
                )
            } else {
                format!(
                    "{} is offline: no eligible leader (ISR stays {last_isr})",
                    p(partition)
                )
            }
        }
        EventKind::IsrChanged {
            partition,
            from,
            to,
            reason,
            ..
        } => {
            let why = match (zh, reason) {
                (false, IsrReason::FollowerLagging) => {
                    "a follower lagged longer than replica.lag.time.max.ms"
                }
                (false, IsrReason::FollowerCaughtUp) => "a follower caught up",
                (false, IsrReason::BrokerFenced) => "a broker was fenced",
                (false, IsrReason::BrokerShutdown) => "a broker is shutting down",
                (false, IsrReason::UncleanElection) => "unclean election",
                (true, IsrReason::FollowerLagging) => "follower 落后超过 replica.lag.time.max.ms",
                (true, IsrReason::FollowerCaughtUp) => "follower 追上了",
                (true, IsrReason::BrokerFenced) => "broker 被隔离",
                (true, IsrReason::BrokerShutdown) => "broker 正在关闭",
                (true, IsrReason::UncleanElection) => "unclean 选举",
            };
            if zh {
                format!("{} 的 ISR {from}→{to}：{why}", p(partition))
            } else {
                format!("ISR of {} {from}→{to}: {why}", p(partition))
            }
        }
        EventKind::AlterPartitionUnreachable { partition, leader } => {
            if zh {
                format!(
                    "{leader} 想修改 {} 的 ISR，但连不上 controller",
                    p(partition)
                )
            } else {
                format!(
                    "{leader} cannot reach the controller to change the ISR of {}",
                    p(partition)
                )
            }
        }
        EventKind::BecameLeader {
            broker,
            partition,
            epoch,
            log_end,
        } => {
            if zh {
                format!(
                    "{broker} 成为 {} 的 leader（epoch {epoch}，从 offset {log_end} 开始）",
                    p(partition)
                )
            } else {
                format!(
                    "{broker} now leads {} (epoch {epoch} starts at offset {log_end})",
                    p(partition)
                )
            }
        }
        EventKind::BecameFollower {
            broker,
            partition,
            leader,
            epoch,
        } => match (zh, leader) {
            (false, Some(leader)) => format!(
                "{broker} now follows {leader} for {} (epoch {epoch})",
                p(partition)
            ),
            (false, None) => format!("{broker} has no leader to follow for {}", p(partition)),
            (true, Some(leader)) => format!(
                "{broker} 成为 {} 的 follower，跟随 {leader}（epoch {epoch}）",
                p(partition)
            ),
            (true, None) => format!("{broker} 找不到 {} 的 leader", p(partition)),
        },
        EventKind::Truncated {
            broker,
            partition,
            from,
            to,
            reason,
        } => {
            let why = match (zh, reason) {
                (false, TruncationReason::HighWatermark) => {
                    "to its own high watermark (pre-0.11 rule)"
                }
                (false, TruncationReason::DivergingEpoch) => {
                    "where its log diverges from the leader's (leader epoch)"
                }
                (false, TruncationReason::OffsetOutOfRange) => "to the leader's shorter log",
                (true, TruncationReason::HighWatermark) => "截断到自己的 HW（0.11 之前的规则）",
                (true, TruncationReason::DivergingEpoch) => {
                    "截断到与 leader 分叉的位置（leader epoch）"
                }
                (true, TruncationReason::OffsetOutOfRange) => "截断到 leader 更短的日志末尾",
            };
            if zh {
                format!(
                    "{broker} 把 {} 从 LEO {from} {why}：offset {to}",
                    p(partition)
                )
            } else {
                format!(
                    "{broker} truncated {} from LEO {from} to {to}, {why}",
                    p(partition)
                )
            }
        }
        EventKind::HighWatermarkMoved {
            broker,
            partition,
            from,
            to,
        } => {
            if zh {
                format!("{broker} 上 {} 的 HW {from}→{to}", p(partition))
            } else {
                format!("{broker} HW of {} {from}→{to}", p(partition))
            }
        }
        EventKind::MadeDurable {
            broker,
            partition,
            from,
            to,
            cause,
        } => {
            let how = match (zh, cause) {
                (false, FlushCause::FlushMessages) => "flush.messages reached: fsync",
                (false, FlushCause::FlushMs) => "flush.ms elapsed: fsync",
                (false, FlushCause::Fsync) => "fsync",
                (false, FlushCause::OsWriteBack) => "OS write-back of old dirty pages",
                (true, FlushCause::FlushMessages) => "达到 flush.messages：fsync",
                (true, FlushCause::FlushMs) => "达到 flush.ms：fsync",
                (true, FlushCause::Fsync) => "fsync",
                (true, FlushCause::OsWriteBack) => "操作系统回写过期的脏页",
            };
            let range = if to - from == 1 {
                format!("{from}")
            } else {
                format!("{from}..{}", to - 1)
            };
            if zh {
                format!(
                    "{broker} 上 {} 的 offset {range} 已落盘（{how}）",
                    p(partition)
                )
            } else {
                format!("{broker} {} offset {range} on disk ({how})", p(partition))
            }
        }
        EventKind::FetchServed {
            leader,
            follower,
            partition,
            fetch_offset,
            span,
            high_watermark,
        } => match (zh, opt_span(names, span, lang)) {
            (false, Some(s)) => format!(
                "{follower} fetched {s} from {leader} at offset {fetch_offset} (response carries HW {high_watermark})"
            ),
            (false, None) => format!(
                "{leader} answers {follower}'s waiting fetch for {}: nothing new, HW {high_watermark}",
                p(partition)
            ),
            (true, Some(s)) => format!(
                "{follower} 从 {leader} 的 offset {fetch_offset} 拉取到 {s}（响应携带 HW {high_watermark}）"
            ),
            (true, None) => {
                format!(
                    "{leader} 回复 {follower} 等待中的 {} fetch：没有新数据，HW {high_watermark}",
                    p(partition)
                )
            }
        },
        EventKind::FetchParked {
            leader,
            follower,
            partition,
            fetch_offset,
        } => {
            if zh {
                format!(
                    "{follower} 已追平 {leader} 的 {}（offset {fetch_offset}），fetch 请求挂起等待新数据",
                    p(partition)
                )
            } else {
                format!(
                    "{follower} is level with {leader} on {} at offset {fetch_offset}: its fetch waits for new records",
                    p(partition)
                )
            }
        }
        EventKind::FetchDiverged {
            leader,
            follower,
            partition,
            epoch,
            end_offset,
        } => {
            if zh {
                format!(
                    "{leader} 告诉 {follower}：{} 的日志在 epoch {epoch} 结束处（offset {end_offset}）分叉",
                    p(partition)
                )
            } else {
                format!(
                    "{leader} tells {follower}: on {} your log diverges where epoch {epoch} ends (offset {end_offset})",
                    p(partition)
                )
            }
        }
        EventKind::FetchRejected {
            leader,
            follower,
            partition,
            error,
        } => {
            if zh {
                format!(
                    "{leader} 拒绝了 {follower} 对 {} 的 fetch：{}",
                    p(partition),
                    error.kafka_name()
                )
            } else {
                format!(
                    "{leader} rejected {follower}'s fetch for {}: {}",
                    p(partition),
                    error.kafka_name()
                )
            }
        }
        EventKind::FetchApplied {
            follower,
            leader,
            partition,
            span,
            log_end,
        } => match (zh, opt_span(names, span, lang)) {
            (false, Some(s)) => format!(
                "{follower} appended {s} from {leader} to {} (LEO {log_end})",
                p(partition)
            ),
            (false, None) => format!(
                "{follower} got {leader}'s answer for {}: no new records",
                p(partition)
            ),
            (true, Some(s)) => format!("{follower} 把 {s} 写入 {}（LEO {log_end}）", p(partition)),
            (true, None) => format!(
                "{follower} 收到 {leader} 对 {} 的回复：没有新记录",
                p(partition)
            ),
        },
        EventKind::Appended {
            leader,
            partition,
            producer,
            span,
            first_offset,
            acks,
        } => {
            let s = span_words(names, span, lang);
            if zh {
                format!(
                    "{leader} 把 {} 的 {s} 写入 {} 的 offset {first_offset}（page cache），acks={acks}",
                    pr(producer),
                    p(partition)
                )
            } else {
                format!(
                    "{leader} appended {s} from {} to {} at offset {first_offset} (page cache), acks={acks}",
                    pr(producer),
                    p(partition)
                )
            }
        }
        EventKind::DuplicateBatch {
            leader,
            partition,
            producer,
            first_offset,
        } => {
            if zh {
                format!(
                    "{leader} 认出 {} 重试的批次已在 {} 的 offset {first_offset}：不再重复写入",
                    pr(producer),
                    p(partition)
                )
            } else {
                format!(
                    "{leader} recognised {}'s retried batch, already at {} offset {first_offset}: not appended again",
                    pr(producer),
                    p(partition)
                )
            }
        }
        EventKind::ProduceRejected {
            broker,
            partition,
            producer,
            error,
        } => {
            if zh {
                format!(
                    "{broker} 拒绝了 {} 发往 {} 的批次：{}",
                    pr(producer),
                    p(partition),
                    error.kafka_name()
                )
            } else {
                format!(
                    "{broker} rejected {}'s batch for {}: {}",
                    pr(producer),
                    p(partition),
                    error.kafka_name()
                )
            }
        }
        EventKind::ProduceCompleted {
            leader,
            partition,
            producer,
            error,
        } => match (zh, error) {
            (false, None) => format!(
                "{leader} answers {}: the HW of {} covers the batch",
                pr(producer),
                p(partition)
            ),
            (false, Some(e)) => format!(
                "{leader} answers {} for {}: {}",
                pr(producer),
                p(partition),
                e.kafka_name()
            ),
            (true, None) => format!(
                "{leader} 回复 {}：{} 的 HW 已覆盖该批次",
                pr(producer),
                p(partition)
            ),
            (true, Some(e)) => format!(
                "{leader} 回复 {}（{}）：{}",
                pr(producer),
                p(partition),
                e.kafka_name()
            ),
        },
        EventKind::SendQueued { producer, message } => {
            if zh {
                format!(
                    "{} 的应用线程正忙，{} 排队等待调用 send()",
                    pr(producer),
                    m(message)
                )
            } else {
                format!(
                    "{}'s application thread is busy; {} waits to be sent",
                    pr(producer),
                    m(message)
                )
            }
        }
        EventKind::SendAppended {
            producer,
            message,
            partition,
            batch_records,
        } => {
            if zh {
                format!(
                    "{} send({})：放入 {} 的批次（共 {batch_records} 条）",
                    pr(producer),
                    m(message),
                    p(partition)
                )
            } else {
                format!(
                    "{} send({}): buffered in the batch for {} ({batch_records} record(s))",
                    pr(producer),
                    m(message),
                    p(partition)
                )
            }
        }
        EventKind::SendBlocked {
            producer,
            message,
            buffer_used,
        } => {
            if zh {
                format!(
                    "{} send({}) 阻塞：buffer.memory 已满（已用 {buffer_used} 字节）",
                    pr(producer),
                    m(message)
                )
            } else {
                format!(
                    "{} send({}) blocks: buffer.memory is full ({buffer_used} bytes in use)",
                    pr(producer),
                    m(message)
                )
            }
        }
        EventKind::SendFailed {
            producer,
            message,
            error,
        } => {
            if zh {
                format!(
                    "{} send({}) 失败：{}（回调收到异常）",
                    pr(producer),
                    m(message),
                    error.kafka_name()
                )
            } else {
                format!(
                    "{} send({}) failed: {} (the callback gets the exception)",
                    pr(producer),
                    m(message),
                    error.kafka_name()
                )
            }
        }
        EventKind::BatchSent {
            producer,
            broker,
            partition,
            span,
            attempt,
        } => {
            let s = span_words(names, span, lang);
            match (zh, attempt) {
                (false, 1) => format!("{} sent {s} to {broker} for {}", pr(producer), p(partition)),
                (false, n) => format!(
                    "{} sent {s} to {broker} for {} (attempt {n})",
                    pr(producer),
                    p(partition)
                ),
                (true, 1) => format!("{} 把 {s} 发给 {broker}（{}）", pr(producer), p(partition)),
                (true, n) => format!(
                    "{} 把 {s} 发给 {broker}（{}，第 {n} 次）",
                    pr(producer),
                    p(partition)
                ),
            }
        }
        EventKind::BatchAcked {
            producer,
            partition,
            span,
            offset,
        } => {
            let s = span_words(names, span, lang);
            match (zh, offset) {
                (false, Some(o)) => {
                    format!("{}: {s} acked at {} offset {o}", pr(producer), p(partition))
                }
                (false, None) => format!(
                    "{}: {s} counted as sent (acks=0: no response, offset -1)",
                    pr(producer)
                ),
                (true, Some(o)) => format!(
                    "{}：{s} 已确认（ack），位于 {} 的 offset {o}",
                    pr(producer),
                    p(partition)
                ),
                (true, None) => format!(
                    "{}：{s} 视为发送成功（acks=0：没有响应，offset -1）",
                    pr(producer)
                ),
            }
        }
        EventKind::BatchFailed {
            producer,
            span,
            error,
            retry_in,
            ..
        } => {
            let s = span_words(names, span, lang);
            match (zh, retry_in) {
                (false, Some(ms)) => format!(
                    "{}: {s} failed with {}, retry in {ms} ms",
                    pr(producer),
                    error.kafka_name()
                ),
                (false, None) => format!(
                    "{}: {s} FAILED for good: {}",
                    pr(producer),
                    error.kafka_name()
                ),
                (true, Some(ms)) => format!(
                    "{}：{s} 失败（{}），{ms} ms 后重试",
                    pr(producer),
                    error.kafka_name()
                ),
                (true, None) => format!("{}：{s} 最终失败：{}", pr(producer), error.kafka_name()),
            }
        }
        EventKind::MetadataUpdated {
            producer,
            partition,
            leader,
        } => match (zh, leader) {
            (false, Some(l)) => {
                format!("{} metadata: {} is led by {l}", pr(producer), p(partition))
            }
            (false, None) => format!("{} metadata: {} has no leader", pr(producer), p(partition)),
            (true, Some(l)) => format!(
                "{} 更新元数据：{} 的 leader 是 {l}",
                pr(producer),
                p(partition)
            ),
            (true, None) => format!("{} 更新元数据：{} 没有 leader", pr(producer), p(partition)),
        },
        EventKind::ProducerKilled {
            producer,
            unsent,
            in_flight,
        } => {
            if zh {
                format!(
                    "{} 进程被杀：缓冲区里 {unsent} 条未发送的记录丢失，{in_flight} 条在途记录结果未知",
                    pr(producer)
                )
            } else {
                format!(
                    "{}'s process was killed: {unsent} unsent record(s) lost with its buffer, {in_flight} in flight in doubt",
                    pr(producer)
                )
            }
        }
        EventKind::ProducerStarted {
            producer,
            producer_id,
            resent,
        } => match (zh, resent) {
            (false, 0) => format!(
                "{} started with a new producer id {producer_id}",
                pr(producer)
            ),
            (false, n) => format!(
                "{} started (producer id {producer_id}) and resends {n} spooled message(s)",
                pr(producer)
            ),
            (true, 0) => format!("{} 启动，新的 producer id {producer_id}", pr(producer)),
            (true, n) => format!(
                "{} 启动（producer id {producer_id}），重发本地暂存的 {n} 条消息",
                pr(producer)
            ),
        },
        EventKind::ProducerFlushing { producer, closing } => match (zh, closing) {
            (false, false) => format!(
                "{} flush(): sends everything buffered and waits for the results",
                pr(producer)
            ),
            (false, true) => format!(
                "{} close(): sends everything buffered, waits, then closes",
                pr(producer)
            ),
            (true, false) => format!(
                "{} flush()：立即发送缓冲区里的全部记录并等待结果",
                pr(producer)
            ),
            (true, true) => format!(
                "{} close()：发送缓冲区里的全部记录，等待结果后关闭",
                pr(producer)
            ),
        },
        EventKind::ProducerDrained { producer, closed } => match (zh, closed) {
            (false, false) => format!(
                "{} flush() returned: every record has a result",
                pr(producer)
            ),
            (false, true) => format!("{} close() returned", pr(producer)),
            (true, false) => format!("{} flush() 返回：每条记录都有了结果", pr(producer)),
            (true, true) => format!("{} close() 返回", pr(producer)),
        },
        EventKind::Polled {
            consumer,
            partition,
            from,
            span,
            high_watermark,
        } => match (zh, opt_span(names, span, lang)) {
            (false, Some(s)) => format!(
                "{} poll() got {s} from {} offset {from} (HW {high_watermark})",
                cn(consumer),
                p(partition)
            ),
            (false, None) => format!(
                "{} poll() at {} offset {from}: nothing below HW {high_watermark}",
                cn(consumer),
                p(partition)
            ),
            (true, Some(s)) => format!(
                "{} poll() 从 {} 的 offset {from} 取到 {s}（HW {high_watermark}）",
                cn(consumer),
                p(partition)
            ),
            (true, None) => format!(
                "{} poll() 在 {} 的 offset {from}：HW {high_watermark} 以下没有新消息",
                cn(consumer),
                p(partition)
            ),
        },
        EventKind::AutoCommitted {
            consumer,
            partition,
            offset,
            trigger: AutoCommitTrigger::Close,
        } => {
            if zh {
                format!(
                    "{} 在 close() 中同步自动提交了 {} 的 offset {offset}（整个位置，不管处理完没有）",
                    cn(consumer),
                    p(partition)
                )
            } else {
                format!(
                    "{} close() auto-committed {} offset {offset} synchronously (the whole position, processed or not)",
                    cn(consumer),
                    p(partition)
                )
            }
        }
        EventKind::AutoCommitted {
            consumer,
            partition,
            offset,
            trigger: AutoCommitTrigger::Rebalance,
        } => {
            if zh {
                format!(
                    "{} 在重平衡前自动提交了 {} 的 offset {offset}",
                    cn(consumer),
                    p(partition)
                )
            } else {
                format!(
                    "{} auto-committed {} offset {offset} before a rebalance",
                    cn(consumer),
                    p(partition)
                )
            }
        }
        EventKind::Why { failure } => {
            match super::errors::reason(failure.error, failure.context, names, lang) {
                Some(why) if zh => format!("原因：{why}"),
                Some(why) => format!("because {why}"),
                None => failure.error.kafka_name().to_string(),
            }
        }
        EventKind::SpoolResends { producer, span } => {
            let s = span_words(names, span, lang);
            if zh {
                format!(
                    "{} 的本地暂存区会再次发送 {s}：确认之前它不会从暂存区删除",
                    pr(producer)
                )
            } else {
                format!(
                    "{}'s spool will send {s} again: it stays in the outbox until acked",
                    pr(producer)
                )
            }
        }
        EventKind::AutoCommitted {
            consumer,
            partition,
            offset,
            trigger: AutoCommitTrigger::Poll,
        } => {
            if zh {
                format!(
                    "{} 在 poll() 开头自动提交 {} 的 offset {offset}（之前各次 poll 的位置）",
                    cn(consumer),
                    p(partition)
                )
            } else {
                format!(
                    "{} auto-committed {} offset {offset} at the start of poll() (positions of earlier polls)",
                    cn(consumer),
                    p(partition)
                )
            }
        }
        EventKind::Committed {
            consumer,
            partition,
            offset,
            sync,
        } => {
            let how = if sync { "commitSync" } else { "commitAsync" };
            if zh {
                format!(
                    "{} {how}：{} 的 offset {offset}",
                    cn(consumer),
                    p(partition)
                )
            } else {
                format!("{} {how}: {} offset {offset}", cn(consumer), p(partition))
            }
        }
        EventKind::CommitRejected { consumer, error } => {
            if zh {
                format!("{} 提交失败：{}", cn(consumer), error.kafka_name())
            } else {
                format!("{} commit failed: {}", cn(consumer), error.kafka_name())
            }
        }
        EventKind::ProcessingStarted {
            consumer,
            message,
            offset,
        } => {
            if zh {
                format!(
                    "{} 开始处理 {}（offset {offset}）",
                    cn(consumer),
                    m(message)
                )
            } else {
                format!(
                    "{} starts processing {} (offset {offset})",
                    cn(consumer),
                    m(message)
                )
            }
        }
        EventKind::Processed {
            consumer,
            message,
            offset,
        } => {
            if zh {
                format!("{} 处理完 {}（offset {offset}）", cn(consumer), m(message))
            } else {
                format!(
                    "{} processed {} (offset {offset})",
                    cn(consumer),
                    m(message)
                )
            }
        }
        EventKind::ProcessingFailed {
            consumer,
            message,
            offset,
        } => {
            if zh {
                format!(
                    "{} 处理 {}（offset {offset}）时抛出异常",
                    cn(consumer),
                    m(message)
                )
            } else {
                format!(
                    "{} threw an exception processing {} (offset {offset})",
                    cn(consumer),
                    m(message)
                )
            }
        }
        EventKind::HandedOff { consumer, span } => {
            let s = span_words(names, span, lang);
            if zh {
                format!("{} 把 {s} 交给工作线程，立刻再次 poll()", cn(consumer))
            } else {
                format!(
                    "{} hands {s} to its worker thread and polls again at once",
                    cn(consumer)
                )
            }
        }
        EventKind::ConsumerCrashed {
            consumer,
            abandoned,
        } => {
            if zh {
                format!(
                    "{} 进程崩溃：{abandoned} 条已取到但未处理完的记录随之丢弃",
                    cn(consumer)
                )
            } else {
                format!(
                    "{} crashed: {abandoned} fetched but unfinished record(s) abandoned",
                    cn(consumer)
                )
            }
        }
        EventKind::ConsumerClosed { consumer } => {
            if zh {
                format!("{} close() 返回", cn(consumer))
            } else {
                format!("{} close() returned", cn(consumer))
            }
        }
        EventKind::ConsumerStarted { consumer } => {
            if zh {
                format!("{} 启动并加入消费组", cn(consumer))
            } else {
                format!("{} started and joins its group", cn(consumer))
            }
        }
        EventKind::Assigned {
            consumer,
            partition,
            position,
            from_commit,
        } => match (zh, from_commit) {
            (false, true) => format!(
                "{} is assigned {} and resumes at the committed offset {position}",
                cn(consumer),
                p(partition)
            ),
            (false, false) => format!(
                "{} is assigned {}: no committed offset, auto.offset.reset puts it at {position}",
                cn(consumer),
                p(partition)
            ),
            (true, true) => format!(
                "{} 分配到 {}，从已提交的 offset {position} 继续",
                cn(consumer),
                p(partition)
            ),
            (true, false) => format!(
                "{} 分配到 {}：没有已提交的 offset，按 auto.offset.reset 从 {position} 开始",
                cn(consumer),
                p(partition)
            ),
        },
        EventKind::Revoked {
            consumer,
            partition,
        } => {
            if zh {
                format!("{} 失去了 {}", cn(consumer), p(partition))
            } else {
                format!("{} loses {}", cn(consumer), p(partition))
            }
        }
        EventKind::MemberRemoved {
            consumer,
            poll_interval_exceeded,
        } => match (zh, poll_interval_exceeded) {
            (false, true) => format!(
                "{} left the group: max.poll.interval.ms exceeded",
                cn(consumer)
            ),
            (false, false) => format!(
                "{} was removed from the group: session.timeout.ms without heartbeat",
                cn(consumer)
            ),
            (true, true) => format!("{} 离开消费组：超过 max.poll.interval.ms", cn(consumer)),
            (true, false) => format!(
                "{} 被移出消费组：session.timeout.ms 内没有心跳",
                cn(consumer)
            ),
        },
        EventKind::PositionReset {
            consumer,
            partition,
            from,
            to,
            truncation,
        } => match (zh, truncation) {
            (false, true) => format!(
                "{} detected log truncation on {} (KIP-320): position {from} → {to}",
                cn(consumer),
                p(partition)
            ),
            (false, false) => format!(
                "{} reset its position on {}: {from} → {to}",
                cn(consumer),
                p(partition)
            ),
            (true, true) => format!(
                "{} 发现 {} 的日志被截断（KIP-320）：位置 {from} → {to}",
                cn(consumer),
                p(partition)
            ),
            (true, false) => format!(
                "{} 重置了 {} 的位置：{from} → {to}",
                cn(consumer),
                p(partition)
            ),
        },
    }
}

/// The events of one step as one line: the cause, then its consequences after `;`.
pub fn describe_group(kinds: &[EventKind], names: &impl Names, lang: Lang) -> String {
    let mut line = String::new();
    for (i, kind) in kinds.iter().enumerate() {
        if i > 0 {
            line.push_str("; ");
        }
        let _ = write!(line, "{}", describe(kind, names, lang));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::types::BrokerId;

    struct Fixed;
    impl Names for Fixed {
        fn partition_name(&self, _: PartitionId) -> &'static str {
            "orders-0"
        }
        fn message_name(&self, m: MessageId) -> &'static str {
            ["m1", "m2", "m3"][m.index()]
        }
        fn producer_name(&self, _: ProducerId) -> &'static str {
            "P1"
        }
        fn consumer_name(&self, _: ConsumerId) -> &'static str {
            "C1"
        }
        fn rack_words(&self, _: BrokerId) -> String {
            "a (B1, B2)".to_string()
        }
    }

    #[test]
    fn fetch_is_told_the_way_the_brief_shows_it() {
        let kind = EventKind::FetchServed {
            leader: BrokerId(1),
            follower: BrokerId(2),
            partition: PartitionId(0),
            fetch_offset: 1,
            span: Some(MessageSpan::single(MessageId(1))),
            high_watermark: 1,
        };
        assert_eq!(
            describe(&kind, &Fixed, Lang::En),
            "B2 fetched m2 from B1 at offset 1 (response carries HW 1)"
        );
        assert_eq!(
            describe(&kind, &Fixed, Lang::Zh),
            "B2 从 B1 的 offset 1 拉取到 m2（响应携带 HW 1）"
        );
    }

    #[test]
    fn spans_name_first_and_last() {
        let ids = |ids: &[u32]| {
            MessageSpan::from_ids(ids.iter().map(|&i| MessageId(i))).expect("non-empty")
        };
        assert_eq!(
            span_words(&Fixed, ids(&[0, 1, 2]), Lang::En),
            "m1…m3 (3 records)"
        );
        assert_eq!(
            span_words(&Fixed, ids(&[0, 1, 2]), Lang::Zh),
            "m1…m3（3 条）"
        );
        assert_eq!(span_words(&Fixed, ids(&[0, 2]), Lang::En), "m1 and m3");
        assert_eq!(
            span_words(&Fixed, ids(&[0, 0, 2]), Lang::En),
            "3 records from m1 to m3"
        );
        assert_eq!(span_words(&Fixed, ids(&[1, 1]), Lang::En), "m2 ×2");
    }
}
