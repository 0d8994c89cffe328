//! Kafka's own metrics, computed from engine state under Kafka's names.
//!
//! Gauges are read from the current state (`ReplicaManager` / `KafkaController` MBeans).

use super::world::World;

/// Every metric the engine computes, in the order tools list them.
pub const ALL: &[&str] = &[
    "UnderReplicatedPartitions",
    "UnderMinIsrPartitionCount",
    "OfflinePartitionsCount",
];

/// Current value of a metric by its Kafka name.
pub fn metric(world: &World, name: &str) -> Option<f64> {
    let partitions = world.partitions();
    let count = |f: &dyn Fn(&super::cluster::Partition) -> bool| {
        u32::try_from(partitions.iter().filter(|p| f(p)).count()).map_or(f64::MAX, f64::from)
    };
    Some(match name {
        // `ReplicaManager.UnderReplicatedPartitions`: led partitions whose ISR is smaller than the
        // replica set (summed over brokers, as a cluster dashboard shows it).
        "UnderReplicatedPartitions" => {
            count(&|p| p.controller.leader.is_some() && p.controller.isr.len() < p.assignment.len())
        }
        // `ReplicaManager.UnderMinIsrPartitionCount`: led partitions with |ISR| < min.insync.replicas.
        "UnderMinIsrPartitionCount" => count(&|p| {
            p.controller.leader.is_some() && p.controller.isr.len() < world.effective_min_isr(p.id)
        }),
        // `KafkaController.OfflinePartitionsCount`: partitions without a leader.
        "OfflinePartitionsCount" => count(&|p| p.controller.leader.is_none()),
        _ => return None,
    })
}
