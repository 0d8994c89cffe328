//! Replica placement: where each partition's replicas live (`AdminUtils.assignReplicasToBrokers`).
//!
//! Deterministic versions of Kafka's algorithms: the random start index and shift are fixed at 0 so
//! that partition 0 of a 3-broker cluster is `[B1, B2, B3]`, as lessons expect.

use super::cluster::Broker;
use super::config::TopicSetup;
use super::types::BrokerId;

/// Replica lists for every partition of `topic`, preferred leader first.
pub fn assign(topic: &TopicSetup, brokers: &[Broker]) -> Vec<Vec<BrokerId>> {
    if let Some(explicit) = &topic.assignment {
        return explicit.clone();
    }
    let racked = brokers.iter().all(|b| b.rack.is_some()) && !brokers.is_empty();
    let order: Vec<BrokerId> = if racked {
        rack_alternated(brokers)
    } else {
        brokers.iter().map(|b| b.id).collect()
    };
    let rack_of = |id: BrokerId| brokers[id.index()].rack.clone();
    let rf = usize::from(topic.replication_factor);
    let n = order.len();
    let rack_count = {
        let mut racks: Vec<_> = brokers.iter().filter_map(|b| b.rack.clone()).collect();
        racks.sort();
        racks.dedup();
        racks.len()
    };
    let mut shift = 0usize;
    (0..topic.partitions as usize)
        .map(|p| {
            if p > 0 && p % n == 0 {
                shift += 1;
            }
            let first = p % n;
            let mut replicas = vec![order[first]];
            let mut k = 0usize;
            while replicas.len() < rf {
                let candidate = order[(first + 1 + (shift + k) % (n - 1).max(1)) % n];
                k += 1;
                if replicas.contains(&candidate) {
                    if k > 2 * n {
                        // Every broker was tried: fill from the plain order.
                        let next = order.iter().find(|b| !replicas.contains(b)).copied();
                        replicas.extend(next);
                    }
                    continue;
                }
                // Rack-aware: skip a broker whose rack already holds a replica until every rack has one.
                if racked && k <= 2 * n {
                    let racks_used: Vec<_> = replicas.iter().map(|&b| rack_of(b)).collect();
                    if racks_used.len() < rack_count && racks_used.contains(&rack_of(candidate)) {
                        continue;
                    }
                }
                replicas.push(candidate);
            }
            replicas
        })
        .collect()
}

/// Brokers ordered so that consecutive entries alternate racks:
/// racks a:{1,2} b:{3,4} c:{5,6} → 1,3,5,2,4,6 (`getRackAlternatedBrokerList`).
fn rack_alternated(brokers: &[Broker]) -> Vec<BrokerId> {
    let mut racks: Vec<(std::sync::Arc<str>, Vec<BrokerId>)> = Vec::new();
    for broker in brokers {
        let rack = broker
            .rack
            .clone()
            .unwrap_or_else(|| std::sync::Arc::from(""));
        match racks.iter_mut().find(|(r, _)| *r == rack) {
            Some((_, ids)) => ids.push(broker.id),
            None => racks.push((rack, vec![broker.id])),
        }
    }
    racks.sort_by(|a, b| a.0.cmp(&b.0));
    let longest = racks.iter().map(|(_, ids)| ids.len()).max().unwrap_or(0);
    (0..longest)
        .flat_map(|i| racks.iter().filter_map(move |(_, ids)| ids.get(i).copied()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::cluster::ProcessState;

    fn brokers(racks: &[&str]) -> Vec<Broker> {
        (0..racks.len())
            .map(|i| Broker {
                id: BrokerId::from_index(i),
                rack: (!racks[i].is_empty()).then(|| std::sync::Arc::from(racks[i])),
                process: ProcessState::Running,
                cut_off: None,
                incarnation: 1,
                registered_incarnation: 1,
                clean_shutdown: true,
                fenced: false,
                session_expiry: None,
                writeback: None,
            })
            .collect()
    }

    fn topic(partitions: u32, rf: u16) -> TopicSetup {
        TopicSetup {
            partitions,
            replication_factor: rf,
            ..TopicSetup::default()
        }
    }

    #[test]
    fn spreads_leaders_and_replicas_evenly() {
        let assignment = assign(&topic(6, 3), &brokers(&["", "", ""]));
        let ids = |v: &Vec<BrokerId>| v.iter().map(|b| b.0).collect::<Vec<_>>();
        assert_eq!(ids(&assignment[0]), vec![1, 2, 3]);
        assert_eq!(ids(&assignment[1]), vec![2, 3, 1]);
        assert_eq!(ids(&assignment[2]), vec![3, 1, 2]);
        let mut leaders = [0; 3];
        for a in &assignment {
            leaders[a[0].index()] += 1;
        }
        assert_eq!(leaders, [2, 2, 2]);
    }

    #[test]
    fn rack_aware_puts_each_replica_in_a_different_rack() {
        let brokers = brokers(&["a", "a", "b", "b", "c", "c"]);
        for replicas in assign(&topic(12, 3), &brokers) {
            let mut racks: Vec<_> = replicas
                .iter()
                .map(|b| brokers[b.index()].rack.clone())
                .collect();
            racks.sort();
            racks.dedup();
            assert_eq!(racks.len(), 3, "{replicas:?}");
        }
    }
}
