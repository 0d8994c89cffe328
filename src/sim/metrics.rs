//! Kafka's own metrics, computed from engine state and events under Kafka's names.
//!
//! Gauges read the current state (`ReplicaManager`, `KafkaController`, the clients' metrics);
//! rates count events over the last simulated minute. (Kafka's meters report an exponentially
//! weighted one-minute rate; a plain 60 s window is easier to read step by step and agrees with it
//! once the rate is steady.)
//! A metric is named alone for the whole cluster (`UnderReplicatedPartitions`) or with a scope
//! after a colon (`UnderReplicatedPartitions:B1`, `record-error-rate:P1`, `records-lag-max:C1`).

use serde::Serialize;

use super::cluster::Partition;
use super::event::{Event, EventKind, IsrReason, KafkaError};
use super::types::{BrokerId, Time};
use super::world::World;

/// The window rates are computed over.
pub const RATE_WINDOW_MS: Time = 60_000;

/// Cluster and per-broker metrics.
pub const BROKER_METRICS: &[&str] = &[
    "UnderReplicatedPartitions",
    "UnderMinIsrPartitionCount",
    "OfflinePartitionsCount",
    "IsrShrinksPerSec",
    "IsrExpandsPerSec",
    "FailedProduceRequestsPerSec",
    "LeaderElectionRateAndTimeMs",
    "UncleanLeaderElectionsPerSec",
];

/// Per-producer metrics.
pub const PRODUCER_METRICS: &[&str] = &[
    "record-error-rate",
    "record-retry-rate",
    "buffer-available-bytes",
    "bufferpool-wait-time",
];

/// Per-consumer metrics.
pub const CONSUMER_METRICS: &[&str] = &["records-lag-max", "committed-offset-lag"];

/// Every metric name, unscoped (for suggestions).
pub fn all_names() -> Vec<&'static str> {
    [BROKER_METRICS, PRODUCER_METRICS, CONSUMER_METRICS].concat()
}

/// One metric's value.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricValue {
    /// The scoped name, as lessons and `ackscope run --format json` use it.
    pub name: String,
    pub value: f64,
}

/// A counter or gauge as a metric value; simulated values stay far below 2^52, so this is exact.
#[allow(clippy::cast_precision_loss)]
fn real(n: u64) -> f64 {
    n as f64
}

fn count(n: usize) -> f64 {
    real(n as u64)
}

/// Events per second over the rate window.
fn rate(n: u64) -> f64 {
    real(n) / (real(RATE_WINDOW_MS) / 1000.0)
}

/// The events of the last rate window.
fn window<'e>(world: &World, events: &'e [Event]) -> &'e [Event] {
    let since = world.now().saturating_sub(RATE_WINDOW_MS);
    let start = events.partition_point(|e| e.time < since);
    &events[start..]
}

/// Whether `broker` leads `partition` (for per-broker gauges, reported by the leader).
fn led_by(partition: &Partition, broker: Option<BrokerId>) -> bool {
    partition
        .controller
        .leader
        .is_some_and(|l| broker.is_none_or(|b| b == l))
}

fn broker_metric(
    world: &World,
    events: &[Event],
    name: &str,
    broker: Option<BrokerId>,
) -> Option<f64> {
    let partitions = world.partitions();
    let gauge = |f: &dyn Fn(&Partition) -> bool| {
        count(
            partitions
                .iter()
                .filter(|p| led_by(p, broker) && f(p))
                .count(),
        )
    };
    let recent = window(world, events);
    let rate_of = |f: &dyn Fn(&EventKind) -> u64| rate(recent.iter().map(|e| f(&e.kind)).sum());
    let mine = |leader: Option<BrokerId>| broker.is_none_or(|b| leader == Some(b));
    // Marked by the leader for its own AlterPartition (`Partition.handleAlterPartitionUpdate`),
    // not when the controller removes a fenced or shut-down broker.
    let leaders_isr_changes = |wanted: IsrReason| {
        rate_of(&|k| match *k {
            EventKind::IsrChanged { leader, reason, .. } if reason == wanted && mine(leader) => 1,
            _ => 0,
        })
    };
    Some(match name {
        // `ReplicaManager.UnderReplicatedPartitions`, reported by each partition's leader.
        "UnderReplicatedPartitions" => gauge(&|p| p.controller.isr.len() < p.assignment.len()),
        // `ReplicaManager.UnderMinIsrPartitionCount`.
        "UnderMinIsrPartitionCount" => {
            gauge(&|p| p.controller.isr.len() < world.effective_min_isr(p.id))
        }
        // `KafkaController.OfflinePartitionsCount`: the controller's, so it has no broker scope.
        "OfflinePartitionsCount" if broker.is_none() => count(
            partitions
                .iter()
                .filter(|p| p.controller.leader.is_none())
                .count(),
        ),
        "IsrShrinksPerSec" => leaders_isr_changes(IsrReason::FollowerLagging),
        "IsrExpandsPerSec" => leaders_isr_changes(IsrReason::FollowerCaughtUp),
        // `ReplicaManager.appendToLocalLog` marks it for unexpected append errors such as
        // NOT_ENOUGH_REPLICAS or a sequence error, not for NOT_LEADER_OR_FOLLOWER, and not when an
        // acks=all request later times out in purgatory.
        "FailedProduceRequestsPerSec" => rate_of(&|k| match *k {
            EventKind::ProduceRejected {
                broker: b, error, ..
            } if error != KafkaError::NotLeaderOrFollower && mine(Some(b)) => 1,
            _ => 0,
        }),
        "LeaderElectionRateAndTimeMs" if broker.is_none() => {
            rate_of(&|k| u64::from(matches!(k, EventKind::LeaderElected { .. })))
        }
        "UncleanLeaderElectionsPerSec" if broker.is_none() => {
            rate_of(&|k| u64::from(matches!(k, EventKind::LeaderElected { unclean: true, .. })))
        }
        _ => return None,
    })
}

fn producer_metric(
    world: &World,
    events: &[Event],
    name: &str,
    producer: super::types::ProducerId,
) -> Option<f64> {
    let p = world.producers().get(producer.index())?;
    let recent = window(world, events);
    let records = |retried: bool| {
        recent
            .iter()
            .map(|e| match e.kind {
                EventKind::BatchFailed {
                    producer: q,
                    span,
                    retry_in,
                    ..
                } if q == producer && retry_in.is_some() == retried => u64::from(span.count),
                EventKind::SendFailed { producer: q, .. } if q == producer && !retried => 1,
                _ => 0,
            })
            .sum::<u64>()
    };
    Some(match name {
        "record-error-rate" => rate(records(false)),
        "record-retry-rate" => rate(records(true)),
        "buffer-available-bytes" => real(p.config.buffer_memory.saturating_sub(p.buffer_used)),
        // How long the application thread has been blocked in send() waiting for memory (ms).
        "bufferpool-wait-time" => p
            .blocked
            .as_ref()
            .map_or(0.0, |b| real(world.now() - b.since)),
        _ => return None,
    })
}

fn consumer_metric(world: &World, name: &str, consumer: super::types::ConsumerId) -> Option<f64> {
    let c = world.consumers().get(consumer.index())?;
    let end = |partition: super::types::PartitionId| {
        let p = world.partition(partition);
        p.controller
            .leader
            .and_then(|l| p.replica(l))
            .map_or(0, |r| r.high_watermark)
    };
    let lags = |from: &dyn Fn(super::types::PartitionId) -> Option<u64>| {
        real(
            c.assigned
                .iter()
                .map(|&p| end(p).saturating_sub(from(p).unwrap_or(0)))
                .max()
                .unwrap_or(0),
        )
    };
    Some(match name {
        // `records-lag-max`: how far the position is behind the HW, worst partition. The client
        // uses the HW of its last fetch; here it is the leader's HW now, which is what that fetch
        // would say.
        "records-lag-max" => lags(&|p| c.positions.get(&p).map(|pos| pos.offset)),
        // Not a client metric: the LAG that `kafka-consumer-groups --describe` prints (HW minus the
        // group's committed offset), worst partition.
        "committed-offset-lag" => lags(&|p| world.coordinator().committed(&c.group, p)),
        _ => return None,
    })
}

/// A metric's current value by its (optionally scoped) Kafka name.
pub fn metric(world: &World, events: &[Event], scoped: &str) -> Option<f64> {
    let (name, scope) = scoped
        .split_once(':')
        .map_or((scoped, None), |(n, s)| (n, Some(s)));
    match scope {
        None if BROKER_METRICS.contains(&name) => broker_metric(world, events, name, None),
        None => None,
        Some(scope) => {
            if let Some(b) = world.brokers().iter().find(|b| b.id.to_string() == scope) {
                return broker_metric(world, events, name, Some(b.id));
            }
            if let Some(p) = world.producers().iter().find(|p| &*p.name == scope) {
                return producer_metric(world, events, name, p.id);
            }
            let c = world.consumers().iter().find(|c| &*c.name == scope)?;
            consumer_metric(world, name, c.id)
        }
    }
}

/// Every metric with every scope, in a stable order.
pub fn snapshot(world: &World, events: &[Event]) -> Vec<MetricValue> {
    let mut names: Vec<String> = BROKER_METRICS.iter().map(ToString::to_string).collect();
    for broker in world.brokers() {
        names.extend(BROKER_METRICS.iter().map(|m| format!("{m}:{}", broker.id)));
    }
    for p in world.producers() {
        names.extend(PRODUCER_METRICS.iter().map(|m| format!("{m}:{}", p.name)));
    }
    for c in world.consumers() {
        names.extend(CONSUMER_METRICS.iter().map(|m| format!("{m}:{}", c.name)));
    }
    names
        .into_iter()
        .filter_map(|name| {
            Some(MetricValue {
                value: metric(world, events, &name)?,
                name,
            })
        })
        .collect()
}

#[cfg(test)]
// The values compared are small whole numbers or the same division computed the same way.
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;
    use crate::sim::config::Acks;
    use crate::sim::testkit::{Lab, setup};

    fn value(lab: &Lab, name: &str) -> f64 {
        metric(lab.world(), lab.sim.events(), name).unwrap_or_else(|| panic!("no metric {name}"))
    }

    #[test]
    fn a_crashed_follower_shows_as_under_replicated_on_the_leader_only() {
        let mut lab = Lab::new(&setup(3, 3, 2, Acks::All));
        lab.produce("m1");
        lab.run_until_acked("m1");
        assert_eq!(value(&lab, "UnderReplicatedPartitions"), 0.0);
        let leader = lab.leader().expect("leader");
        let follower = (1..=3)
            .find(|&n| crate::sim::testkit::b(n) != leader)
            .expect("follower");
        lab.crash(follower);
        lab.run_until("ISR shrinks", |w| {
            w.partition(crate::sim::testkit::P0).controller.isr.len() == 2
        });
        assert_eq!(value(&lab, "UnderReplicatedPartitions"), 1.0);
        assert_eq!(
            value(&lab, &format!("UnderReplicatedPartitions:{leader}")),
            1.0
        );
        assert_eq!(
            value(&lab, &format!("UnderReplicatedPartitions:B{follower}")),
            0.0
        );
        assert_eq!(value(&lab, "UnderMinIsrPartitionCount"), 0.0);
        assert_eq!(
            value(&lab, "IsrShrinksPerSec"),
            0.0,
            "the controller fenced the follower: the leader marks nothing"
        );
    }

    #[test]
    fn a_lagging_follower_is_a_shrink_of_its_leader_and_the_rate_forgets_it_after_a_minute() {
        let mut lab = Lab::new(&setup(3, 3, 2, Acks::All));
        lab.produce("m1");
        lab.run_until_acked("m1");
        let leader = lab.leader().expect("leader");
        // Cut off from the other brokers only: it still heartbeats, so the leader, not the
        // controller, drops it after replica.lag.time.max.ms.
        let follower = (1..=3)
            .find(|&n| crate::sim::testkit::b(n) != leader)
            .expect("follower");
        lab.cut_off(follower, crate::sim::cluster::CutScope::Brokers);
        lab.produce("m2");
        lab.run_until("ISR shrinks", |w| {
            w.partition(crate::sim::testkit::P0).controller.isr.len() == 2
        });
        assert_eq!(value(&lab, "IsrShrinksPerSec"), 1.0 / 60.0);
        assert_eq!(
            value(&lab, &format!("IsrShrinksPerSec:{leader}")),
            1.0 / 60.0
        );
        assert_eq!(value(&lab, &format!("IsrShrinksPerSec:B{follower}")), 0.0);
        lab.run_for(RATE_WINDOW_MS + 1);
        assert_eq!(value(&lab, "IsrShrinksPerSec"), 0.0);
        assert_eq!(value(&lab, "UnderReplicatedPartitions"), 1.0);
    }

    #[test]
    fn rejected_produce_requests_count_as_failed_and_as_record_errors() {
        let mut lab = Lab::new(&setup(2, 2, 2, Acks::All));
        lab.produce("m1");
        lab.run_until_acked("m1");
        lab.crash(2);
        lab.run_until("ISR shrinks", |w| {
            w.partition(crate::sim::testkit::P0).controller.isr.len() == 1
        });
        assert_eq!(value(&lab, "UnderMinIsrPartitionCount"), 1.0);
        lab.produce("m2");
        lab.run_for(1_000);
        assert!(value(&lab, "FailedProduceRequestsPerSec") > 0.0);
        assert!(value(&lab, "FailedProduceRequestsPerSec:B1") > 0.0);
        // NOT_ENOUGH_REPLICAS is retriable, so the producer retries rather than failing the record.
        assert!(value(&lab, "record-retry-rate:P1") > 0.0);
        assert_eq!(value(&lab, "record-error-rate:P1"), 0.0);
    }

    #[test]
    fn unknown_names_and_scopes_have_no_value() {
        let lab = Lab::new(&setup(3, 3, 2, Acks::All));
        assert_eq!(metric(lab.world(), &[], "NoSuchMetric"), None);
        assert_eq!(
            metric(lab.world(), &[], "UnderReplicatedPartitions:B9"),
            None
        );
        assert_eq!(
            metric(lab.world(), &[], "record-error-rate"),
            None,
            "producer metrics need a producer"
        );
        assert_eq!(
            metric(lab.world(), &[], "buffer-available-bytes:P1"),
            Some(33_554_432.0)
        );
    }

    #[test]
    fn the_snapshot_lists_every_scope_once_in_a_stable_order() {
        let lab = Lab::new(&setup(3, 3, 2, Acks::All));
        let names: Vec<String> = snapshot(lab.world(), &[])
            .into_iter()
            .map(|m| m.name)
            .collect();
        assert_eq!(
            names.len(),
            BROKER_METRICS.len() + 3 * (BROKER_METRICS.len() - 3) + PRODUCER_METRICS.len()
        );
        assert_eq!(names[0], "UnderReplicatedPartitions");
        assert!(names.contains(&"UnderReplicatedPartitions:B3".to_string()));
        assert!(names.contains(&"record-retry-rate:P1".to_string()));
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len());
    }
}
