//! The controller: the always-available authority over leaders, leader epochs and ISRs.
//!
//! Kafka sources: `PartitionChangeBuilder.java` (`electLeader`, unclean election, the ISR never
//! emptied without ELR), `ReplicationControlManager.java` (fencing, controlled shutdown),
//! `Partition.makeLeader` / `makeFollower` for how a broker applies what the controller decided.

use super::cluster::{Fetcher, FollowerView, LeaderState, Role};
use super::config::{RestartRule, TruncationRule};
use super::errors::{ErrorContext, Failure};
use super::event::{EventKind, FenceReason, IsrReason, KafkaError, TruncationReason};
use super::types::{BrokerId, BrokerSet, Epoch, PartitionId};
use super::world::{Due, World};

impl World {
    /// Partitions with a replica on `broker`.
    pub(crate) fn partitions_of(&self, broker: BrokerId) -> Vec<PartitionId> {
        self.partitions
            .iter()
            .filter(|p| p.assignment.contains(&broker))
            .map(|p| p.id)
            .collect()
    }

    /// The controller stops hearing from `broker`: after `broker.session.timeout.ms` it fences it.
    pub(crate) fn start_session_expiry(&mut self, broker: BrokerId) {
        let b = &self.brokers[broker.index()];
        if b.fenced || b.session_expiry.is_some() {
            return;
        }
        let at = self.now + self.setup.broker.broker_session_timeout_ms;
        let key = self.schedule(at, Due::SessionExpired { broker });
        self.brokers[broker.index()].session_expiry = Some(key);
    }

    pub(crate) fn on_session_expired(&mut self, broker: BrokerId) {
        self.brokers[broker.index()].session_expiry = None;
        if self.reaches_controller(broker) {
            return;
        }
        self.fence_broker(broker, FenceReason::SessionExpired);
    }

    /// Removes `broker` from every ISR it is in (unless it is the last member) and moves its leaderships.
    pub(crate) fn fence_broker(&mut self, broker: BrokerId, reason: FenceReason) {
        let pending = self.brokers[broker.index()].session_expiry.take();
        self.cancel(pending);
        self.brokers[broker.index()].fenced = true;
        self.emit(EventKind::BrokerFenced { broker, reason });
        let isr_reason = if reason == FenceReason::ControlledShutdown {
            IsrReason::BrokerShutdown
        } else {
            IsrReason::BrokerFenced
        };
        for partition in self.partitions_of(broker) {
            let record = &self.partitions[partition.index()].controller;
            let was_leader = record.leader == Some(broker);
            // Without ELR the ISR is never emptied: its last member stays, leaderless (KIP-966 §"last replica standing").
            if record.isr.contains(broker) && record.isr.len() > 1 {
                let mut isr = record.isr;
                isr.remove(broker);
                self.controller_set_isr_silently(partition, isr, isr_reason);
            }
            if was_leader {
                self.elect_leader(partition);
            }
            self.push_partition_state(partition);
        }
    }

    /// The broker reaches the controller: a new incarnation registers (restart, possibly delayed
    /// by a network cut) or the same one resumes heartbeats (heal).
    pub(crate) fn broker_registered(&mut self, broker: BrokerId) {
        let pending = self.brokers[broker.index()].session_expiry.take();
        self.cancel(pending);
        let b = &mut self.brokers[broker.index()];
        let new_incarnation = b.incarnation != b.registered_incarnation;
        b.registered_incarnation = b.incarnation;
        let fenced = self.brokers[broker.index()].fenced;
        if !fenced && new_incarnation && self.setup.era.restart == RestartRule::FencedUntilCaughtUp
        {
            // KRaft: a new incarnation replaces the old registration, which is fenced first, so a
            // restarted broker is out of every ISR until it has caught up.
            self.fence_broker(broker, FenceReason::Restarted);
        }
        if self.brokers[broker.index()].fenced {
            self.brokers[broker.index()].fenced = false;
            self.emit(EventKind::BrokerUnfenced { broker });
            for partition in self.partitions_of(broker) {
                if self.partitions[partition.index()]
                    .controller
                    .leader
                    .is_none()
                {
                    self.elect_leader(partition);
                }
            }
        }
        // The broker catches up with the metadata it missed; others learn of elections.
        for partition in self.partitions_of(broker) {
            self.push_partition_state(partition);
        }
    }

    /// `PartitionChangeBuilder.electLeader`: the first replica in assignment order that is in the
    /// ISR and not fenced; else, if allowed, the first unfenced replica (unclean); else no leader.
    pub(crate) fn elect_leader(&mut self, partition: PartitionId) {
        let unclean_allowed = self.topic_config(partition).unclean_leader_election_enable;
        let p = &self.partitions[partition.index()];
        let eligible = |b: &&BrokerId| !self.brokers[b.index()].fenced;
        let clean = p
            .assignment
            .iter()
            .filter(eligible)
            .find(|b| p.controller.isr.contains(**b))
            .copied();
        let unclean = if clean.is_none() && unclean_allowed {
            p.assignment.iter().find(eligible).copied()
        } else {
            None
        };
        let new_leader = clean.or(unclean);
        let old = p.controller.clone();
        if new_leader == old.leader {
            return;
        }
        let record = &mut self.partitions[partition.index()].controller;
        record.leader = new_leader;
        record.leader_epoch += 1;
        record.partition_epoch += 1;
        let epoch = record.leader_epoch;
        match (clean, unclean) {
            (Some(leader), _) => {
                self.emit(EventKind::LeaderElected {
                    partition,
                    leader,
                    epoch,
                    unclean: false,
                });
            }
            (None, Some(leader)) => {
                // "If the election was unclean, we have to forcibly set the ISR to just the new leader.
                // This can result in data loss!" (PartitionChangeBuilder.tryElection)
                let record = &mut self.partitions[partition.index()].controller;
                record.isr = BrokerSet::of([leader]);
                record.recovering = true;
                self.emit(EventKind::IsrChanged {
                    partition,
                    leader: Some(leader),
                    from: old.isr,
                    to: BrokerSet::of([leader]),
                    reason: IsrReason::UncleanElection,
                });
                self.emit(EventKind::LeaderElected {
                    partition,
                    leader,
                    epoch,
                    unclean: true,
                });
            }
            (None, None) => self.emit(EventKind::PartitionOffline {
                partition,
                last_isr: old.isr,
            }),
        }
    }

    /// Applies an ISR change at the controller and tells the brokers.
    pub(crate) fn controller_set_isr(
        &mut self,
        partition: PartitionId,
        isr: BrokerSet,
        reason: IsrReason,
    ) {
        if self.controller_set_isr_silently(partition, isr, reason) {
            self.push_partition_state(partition);
        }
    }

    /// Applies an ISR change at the controller; the caller pushes the new state.
    fn controller_set_isr_silently(
        &mut self,
        partition: PartitionId,
        isr: BrokerSet,
        reason: IsrReason,
    ) -> bool {
        let record = &mut self.partitions[partition.index()].controller;
        if record.isr == isr || isr.is_empty() {
            return false;
        }
        let from = record.isr;
        let leader = record.leader;
        record.isr = isr;
        record.partition_epoch += 1;
        if record.recovering && reason == IsrReason::FollowerCaughtUp {
            record.recovering = false;
        }
        self.emit(EventKind::IsrChanged {
            partition,
            leader,
            from,
            to: isr,
            reason,
        });
        true
    }

    /// Sends the controller's record of `partition` to every replica's broker that can hear it.
    pub(crate) fn push_partition_state(&mut self, partition: PartitionId) {
        let brokers = self.partitions[partition.index()].assignment.clone();
        for broker in brokers {
            if self.reaches_controller(broker) {
                self.apply_partition_state(partition, broker);
            }
        }
    }

    /// A broker applies the controller's record for one of its replicas.
    pub(crate) fn apply_partition_state(&mut self, partition: PartitionId, broker: BrokerId) {
        let record = self.partitions[partition.index()].controller.clone();
        let Some(replica) = self.partitions[partition.index()].replica_mut(broker) else {
            return;
        };
        if record.leader == Some(broker) {
            match replica.role.leader_state_mut() {
                Some(state) if replica.leader_epoch == record.leader_epoch => {
                    state.isr = record.isr;
                    state.partition_epoch = record.partition_epoch;
                    state.alter_blocked = false;
                    // A smaller ISR may let the HW move (Partition.maybeIncrementLeaderHW on ISR change).
                    self.maybe_advance_high_watermark(partition, broker);
                    self.arm_isr_check(partition, broker);
                }
                _ => self.become_leader(partition, broker),
            }
        } else {
            let current = replica.role
                == Role::Follower {
                    leader: record.leader,
                }
                && replica.leader_epoch == record.leader_epoch;
            if !current {
                self.become_follower(partition, broker, record.leader, record.leader_epoch);
            }
        }
    }

    /// `Partition.makeLeader`.
    fn become_leader(&mut self, partition: PartitionId, broker: BrokerId) {
        let now = self.now;
        let record = self.partitions[partition.index()].controller.clone();
        let followers: Vec<FollowerView> = self.partitions[partition.index()]
            .assignment
            .iter()
            .filter(|&&b| b != broker)
            .map(|&b| FollowerView {
                broker: b,
                // Unknown until the follower fetches from this new leader.
                log_end_offset: None,
                last_fetch_time: now,
                last_fetch_leader_end: 0,
                last_caught_up_time: if record.isr.contains(b) { now } else { 0 },
                parked: None,
            })
            .collect();
        self.step_down(partition, broker);
        let replica = self.partitions[partition.index()]
            .replica_mut(broker)
            .expect("replica exists");
        replica.leader_epoch = record.leader_epoch;
        // KAFKA-7415: cache the new epoch at the current LEO even before any append.
        replica.log.assign_epoch_start(record.leader_epoch);
        let log_end = replica.log.end_offset();
        replica.role = Role::Leader(Box::new(LeaderState {
            isr: record.isr,
            partition_epoch: record.partition_epoch,
            epoch_start: log_end,
            since: now,
            followers,
            delayed_produce: Vec::new(),
            purgatory_timer: None,
            isr_check: None,
            alter_blocked: false,
        }));
        self.set_fetcher(partition, broker, Fetcher::Idle);
        self.emit(EventKind::BecameLeader {
            broker,
            partition,
            epoch: record.leader_epoch,
            log_end,
        });
        self.maybe_advance_high_watermark(partition, broker);
        self.arm_isr_check(partition, broker);
    }

    /// `Partition.makeFollower`, then the fetcher starts. In the legacy era the new follower first
    /// truncates to its own high watermark (the rule KIP-101 replaced).
    fn become_follower(
        &mut self,
        partition: PartitionId,
        broker: BrokerId,
        leader: Option<BrokerId>,
        epoch: Epoch,
    ) {
        self.step_down(partition, broker);
        let replica = self.partitions[partition.index()]
            .replica_mut(broker)
            .expect("replica exists");
        replica.role = Role::Follower { leader };
        replica.leader_epoch = epoch;
        let hw = replica.high_watermark;
        self.emit(EventKind::BecameFollower {
            broker,
            partition,
            leader,
            epoch,
        });
        if self.setup.era.truncation == TruncationRule::HighWatermark && leader.is_some() {
            self.truncate_replica(partition, broker, hw, TruncationReason::HighWatermark);
        }
        self.set_fetcher(partition, broker, Fetcher::Idle);
        if leader.is_some() {
            self.send_fetch(partition, broker);
        }
    }

    /// A leader losing its leadership answers its waiting acks=all requests with
    /// NOT_LEADER_OR_FOLLOWER and drops the fetches parked at it.
    pub(crate) fn step_down(&mut self, partition: PartitionId, broker: BrokerId) {
        let Some(replica) = self.partitions[partition.index()].replica_mut(broker) else {
            return;
        };
        let Role::Leader(state) = std::mem::replace(&mut replica.role, Role::Unassigned) else {
            return;
        };
        self.cancel(state.isr_check);
        self.cancel(state.purgatory_timer);
        for view in &state.followers {
            if let Some(parked) = &view.parked {
                self.cancel(parked.timeout);
            }
        }
        let leader = self.partitions[partition.index()].controller.leader;
        let failure = Failure::new(
            KafkaError::NotLeaderOrFollower,
            ErrorContext::NotLeader {
                partition,
                broker,
                leader,
            },
        );
        for waiting in state.delayed_produce {
            self.answer_producer(
                broker,
                waiting.producer,
                waiting.request,
                partition,
                Err(failure),
            );
            self.emit(EventKind::ProduceCompleted {
                leader: broker,
                partition,
                producer: waiting.producer,
                error: Some(failure.error),
            });
        }
    }
}
