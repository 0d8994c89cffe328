//! Faults and durability: process crash, power cut, clean shutdown, restart, network cuts, fsync,
//! the flush policy and OS write-back.
//!
//! Kafka writes to the page cache and does not fsync by default (`design.html` §4.2,
//! `ServerLogConfigs`): durability comes from replication. A `kill -9` keeps the page cache (the OS
//! still writes it back); a power cut loses everything not yet written back (`LogLoader` recovery
//! then finds only the durable prefix).

use serde::{Deserialize, Serialize};

use super::cluster::{CutScope, Fetcher, ProcessState, Role};
use super::event::{EventKind, FenceReason, FlushCause};
use super::types::{BrokerId, Offset, PartitionId, Time};
use super::world::{Due, Endpoint, Payload, World};

/// Why a command cannot be applied now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultError {
    #[error("{broker} is not running")]
    NotRunning { broker: BrokerId },
    #[error("{broker} is already running")]
    AlreadyRunning { broker: BrokerId },
    #[error("{broker} is already cut off")]
    AlreadyCutOff { broker: BrokerId },
    #[error("{broker} is not cut off")]
    NotCutOff { broker: BrokerId },
    #[error("there is no broker {broker}")]
    NoSuchBroker { broker: BrokerId },
    #[error("{broker} has not lost power")]
    HasPower { broker: BrokerId },
    #[error("no broker has broker.rack={rack:?}")]
    NoSuchRack { rack: String },
    #[error("{fault} changes nothing in rack {rack:?}: {why}")]
    RackUnchanged {
        rack: String,
        fault: RackFault,
        /// Why the first broker of the rack refused.
        why: Box<FaultError>,
    },
}

/// A fault that hits a whole rack.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RackFault {
    /// The rack's power feed fails: every machine in it loses power.
    CutPower,
    /// Power comes back: every powered-off broker in the rack starts (a broker stopped for another
    /// reason, a crash or a shutdown, stays down).
    Restart,
    /// The top-of-rack switch fails: every broker in the rack is cut off from everyone, rack-mates
    /// included (so no leader inside the rack keeps replicating to a rack-mate). A rack that keeps
    /// its internal links but loses its uplink is not modelled.
    CutOff,
    /// The switch is back: every cut-off broker in the rack is reconnected.
    Heal,
}

impl std::fmt::Display for RackFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RackFault::CutPower => "a rack power cut",
            RackFault::Restart => "restarting a rack",
            RackFault::CutOff => "cutting a rack off",
            RackFault::Heal => "healing a rack",
        })
    }
}

impl World {
    fn check_broker(&self, broker: BrokerId) -> Result<(), FaultError> {
        if broker.0 == 0 || broker.index() >= self.brokers.len() {
            return Err(FaultError::NoSuchBroker { broker });
        }
        Ok(())
    }

    fn check_running(&self, broker: BrokerId) -> Result<(), FaultError> {
        self.check_broker(broker)?;
        if !self.brokers[broker.index()].is_running() {
            return Err(FaultError::NotRunning { broker });
        }
        Ok(())
    }

    /// `kill -9`: the process and everything in its memory is gone; the page cache is not.
    pub fn crash_process(&mut self, broker: BrokerId) -> Result<(), FaultError> {
        self.check_running(broker)?;
        self.emit(EventKind::ProcessCrashed { broker });
        self.stop_process(broker, ProcessState::Crashed, true);
        Ok(())
    }

    /// The machine loses power: the process dies and the page cache with it.
    pub fn cut_power(&mut self, broker: BrokerId) -> Result<(), FaultError> {
        self.check_broker(broker)?;
        let state = self.brokers[broker.index()].process;
        if state == ProcessState::PoweredOff {
            return Err(FaultError::NotRunning { broker });
        }
        let now = self.now;
        let mut records_lost = 0;
        for partition in self.partitions_of(broker) {
            let replica = self.partitions[partition.index()]
                .replica_mut(broker)
                .expect("assigned");
            records_lost += replica.log.lose_page_cache(now);
            let end = replica.log.end_offset();
            replica.high_watermark = replica.high_watermark.min(end);
        }
        self.emit(EventKind::PowerLost {
            broker,
            records_lost,
        });
        let writeback = self.brokers[broker.index()].writeback.take();
        self.cancel(writeback);
        if state.is_running() {
            // A dead machine sends nothing: clients find out only through their request timeouts.
            self.stop_process(broker, ProcessState::PoweredOff, false);
        } else {
            self.brokers[broker.index()].process = ProcessState::PoweredOff;
        }
        Ok(())
    }

    /// Every broker loses power at the same instant.
    pub fn cut_power_everywhere(&mut self) {
        let brokers: Vec<BrokerId> = self.brokers.iter().map(|b| b.id).collect();
        for broker in brokers {
            // Already powered-off brokers are skipped; nothing else can fail here.
            let _ = self.cut_power(broker);
        }
    }

    /// The brokers whose `broker.rack` is `rack`, in id order.
    pub fn rack_members(&self, rack: &str) -> Vec<BrokerId> {
        self.brokers
            .iter()
            .filter(|b| b.rack.as_deref() == Some(rack))
            .map(|b| b.id)
            .collect()
    }

    /// Applies `fault` to every broker of `rack` at once. Brokers already in the target state are
    /// left alone; it is an error only when no broker of the rack changes.
    pub fn rack_fault(&mut self, rack: &str, fault: RackFault) -> Result<(), FaultError> {
        let members = self.rack_members(rack);
        let Some(&first) = members.first() else {
            return Err(FaultError::NoSuchRack {
                rack: rack.to_string(),
            });
        };
        let refusal = |world: &World, broker: BrokerId| -> Option<FaultError> {
            let b = &world.brokers[broker.index()];
            match fault {
                RackFault::CutPower => (b.process == ProcessState::PoweredOff)
                    .then_some(FaultError::NotRunning { broker }),
                RackFault::Restart => (b.process != ProcessState::PoweredOff)
                    .then_some(FaultError::HasPower { broker }),
                RackFault::CutOff => b
                    .cut_off
                    .is_some_and(|c| c.covers(CutScope::Everyone))
                    .then_some(FaultError::AlreadyCutOff { broker }),
                RackFault::Heal => b
                    .cut_off
                    .is_none()
                    .then_some(FaultError::NotCutOff { broker }),
            }
        };
        let targets: Vec<BrokerId> = members
            .iter()
            .copied()
            .filter(|&b| refusal(self, b).is_none())
            .collect();
        if targets.is_empty() {
            return Err(FaultError::RackUnchanged {
                rack: rack.to_string(),
                fault,
                why: Box::new(refusal(self, first).expect("every member refused")),
            });
        }
        self.emit(EventKind::RackFault { first, fault });
        for broker in targets {
            match fault {
                RackFault::CutPower => self.cut_power(broker),
                RackFault::Restart => self.restart(broker),
                RackFault::CutOff => self.cut_off(broker, CutScope::Everyone),
                RackFault::Heal => self.heal(broker),
            }
            .expect("checked above");
        }
        Ok(())
    }

    /// Controlled shutdown (SIGTERM): leadership moves away, logs are fsync'd, the clean-shutdown
    /// marker is written, so the restart needs no recovery.
    pub fn shut_down(&mut self, broker: BrokerId) -> Result<(), FaultError> {
        self.check_running(broker)?;
        self.emit(EventKind::ShutDown { broker });
        if self.reaches_controller(broker) {
            self.fence_broker(broker, FenceReason::ControlledShutdown);
        }
        for partition in self.partitions_of(broker) {
            self.fsync_replica(partition, broker, FlushCause::Fsync);
            let replica = self.partitions[partition.index()]
                .replica_mut(broker)
                .expect("assigned");
            replica.hw_at_last_tick = replica.high_watermark;
        }
        self.stop_process(broker, ProcessState::Stopped, true);
        self.brokers[broker.index()].clean_shutdown = true;
        Ok(())
    }

    /// Tears down a broker's process: in-flight messages to and from it are lost, its in-memory
    /// state (roles, waiting requests, parked fetches) is gone, and the controller starts waiting
    /// for heartbeats that will not come.
    fn stop_process(&mut self, broker: BrokerId, state: ProcessState, connection_resets: bool) {
        let me = Endpoint::Broker(broker);
        let dropped = self.drop_in_flight(
            |e| e.from == me || e.to == me,
            Some(broker),
            connection_resets,
        );
        if dropped > 0 {
            self.emit(EventKind::InFlightDropped { count: dropped });
        }
        for partition in self.partitions_of(broker) {
            if let Some(Role::Leader(leader_state)) = self.partitions[partition.index()]
                .replica(broker)
                .map(|r| r.role.clone())
            {
                for waiting in &leader_state.delayed_produce {
                    if connection_resets {
                        self.notify_disconnect(waiting.producer, waiting.request);
                    }
                }
                self.cancel(leader_state.isr_check);
                self.cancel(leader_state.purgatory_timer);
                for view in &leader_state.followers {
                    if let Some(parked) = &view.parked {
                        self.cancel(parked.timeout);
                    }
                }
            }
            let checkpoint = {
                let replica = self.partitions[partition.index()]
                    .replica(broker)
                    .expect("assigned");
                self.checkpointed_high_watermark(replica)
            };
            let replica = self.partitions[partition.index()]
                .replica_mut(broker)
                .expect("assigned");
            // The in-memory HW is gone; what the broker will know again is its last checkpoint.
            replica.high_watermark = checkpoint.min(replica.log.end_offset());
            replica.hw_at_last_tick = replica.high_watermark;
            replica.hw_changed_at = self.now;
            replica.role = Role::Unassigned;
            let flush = replica.flush_timer.take();
            self.cancel(flush);
            self.set_fetcher(partition, broker, Fetcher::Idle);
            self.forget_follower_everywhere(partition, broker);
        }
        let b = &mut self.brokers[broker.index()];
        b.process = state;
        b.clean_shutdown = false;
        self.stall_fetchers_of(broker);
        self.start_session_expiry(broker);
    }

    /// Leaders stop counting on a follower that can no longer fetch.
    fn forget_follower_everywhere(&mut self, partition: PartitionId, follower: BrokerId) {
        let leaders: Vec<BrokerId> = self.partitions[partition.index()]
            .replicas
            .iter()
            .filter(|r| r.broker != follower && r.role.is_leader())
            .map(|r| r.broker)
            .collect();
        for leader in leaders {
            self.abandon_parked_fetch(partition, leader, follower);
        }
    }

    /// Followers of `leader` whose fetch is lost wait until the leader is reachable again.
    fn stall_fetchers_of(&mut self, leader: BrokerId) {
        for partition in &mut self.partitions {
            for replica in &mut partition.replicas {
                if replica.role
                    == (Role::Follower {
                        leader: Some(leader),
                    })
                    && replica.fetcher == Fetcher::Fetching
                {
                    replica.fetcher = Fetcher::Stalled;
                }
            }
        }
    }

    /// Starts a stopped broker: log recovery after an unclean stop, HW from its checkpoint, then it
    /// registers with the controller.
    pub fn restart(&mut self, broker: BrokerId) -> Result<(), FaultError> {
        self.check_broker(broker)?;
        if self.brokers[broker.index()].is_running() {
            return Err(FaultError::AlreadyRunning { broker });
        }
        let clean = self.brokers[broker.index()].clean_shutdown;
        let now = self.now;
        let mut recovered_from: Option<Offset> = None;
        let mut records_kept = 0;
        for partition in self.partitions_of(broker) {
            let replica = self.partitions[partition.index()]
                .replica_mut(broker)
                .expect("assigned");
            if !clean {
                let (from, _) = replica.log.recover();
                recovered_from = Some(recovered_from.map_or(from, |f: Offset| f.min(from)));
            }
            records_kept += replica.log.end_offset();
            replica.high_watermark = replica.high_watermark.min(replica.log.end_offset());
            replica.hw_at_last_tick = replica.high_watermark;
            replica.hw_changed_at = now;
        }
        let b = &mut self.brokers[broker.index()];
        b.process = ProcessState::Running;
        b.incarnation += 1;
        self.emit(EventKind::Restarted {
            broker,
            recovered_from,
            records_kept,
        });
        self.arm_write_back(broker);
        if self.reaches_controller(broker) {
            self.broker_registered(broker);
        }
        self.brokers[broker.index()].clean_shutdown = false;
        self.resume_stalled_fetchers();
        Ok(())
    }

    /// Cuts a broker off the network.
    pub fn cut_off(&mut self, broker: BrokerId, scope: CutScope) -> Result<(), FaultError> {
        self.check_broker(broker)?;
        // A wider cut replaces a narrower one (a broker cut off from the other brokers whose whole
        // rack then loses its switch is cut off from everyone).
        if self.brokers[broker.index()]
            .cut_off
            .is_some_and(|current| current.covers(scope))
        {
            return Err(FaultError::AlreadyCutOff { broker });
        }
        self.brokers[broker.index()].cut_off = Some(scope);
        self.emit(EventKind::CutOff { broker, scope });
        let me = Endpoint::Broker(broker);
        let dropped = self.drop_in_flight(
            |e| {
                let crosses = |other: Endpoint| match scope {
                    CutScope::Everyone => true,
                    CutScope::Cluster | CutScope::Brokers => matches!(other, Endpoint::Broker(_)),
                };
                (e.from == me && crosses(e.to)) || (e.to == me && crosses(e.from))
            },
            None,
            false,
        );
        if dropped > 0 {
            self.emit(EventKind::InFlightDropped { count: dropped });
        }
        for partition in self.partitions_of(broker) {
            let is_fetching = self.partitions[partition.index()]
                .replica(broker)
                .is_some_and(|r| r.fetcher == Fetcher::Fetching);
            if is_fetching {
                self.set_fetcher(partition, broker, Fetcher::Stalled);
            }
            // Its followers' waiting fetches at it can no longer be answered, and vice versa.
            if let Some(state) = self.partitions[partition.index()]
                .replica(broker)
                .and_then(|r| r.role.leader_state())
            {
                let parked: Vec<BrokerId> = state
                    .followers
                    .iter()
                    .filter(|f| f.parked.is_some())
                    .map(|f| f.broker)
                    .collect();
                for follower in parked {
                    self.abandon_parked_fetch(partition, broker, follower);
                    self.set_fetcher(partition, follower, Fetcher::Stalled);
                }
            }
            self.forget_follower_everywhere(partition, broker);
        }
        self.stall_fetchers_of(broker);
        if !self.reaches_controller(broker) && self.brokers[broker.index()].is_running() {
            self.start_session_expiry(broker);
        }
        Ok(())
    }

    /// Reconnects a broker: its heartbeats reach the controller again and it learns what it missed.
    pub fn heal(&mut self, broker: BrokerId) -> Result<(), FaultError> {
        self.check_broker(broker)?;
        if self.brokers[broker.index()].cut_off.is_none() {
            return Err(FaultError::NotCutOff { broker });
        }
        self.brokers[broker.index()].cut_off = None;
        self.emit(EventKind::Healed { broker });
        if self.brokers[broker.index()].is_running() {
            self.broker_registered(broker);
        }
        self.resume_stalled_fetchers();
        Ok(())
    }

    /// An explicit fsync of every log on `broker`.
    pub fn fsync(&mut self, broker: BrokerId) -> Result<(), FaultError> {
        self.check_running(broker)?;
        for partition in self.partitions_of(broker) {
            self.fsync_replica(partition, broker, FlushCause::Fsync);
        }
        Ok(())
    }

    fn fsync_replica(&mut self, partition: PartitionId, broker: BrokerId, cause: FlushCause) {
        let Some(replica) = self.partitions[partition.index()].replica_mut(broker) else {
            return;
        };
        let flush = replica.flush_timer.take();
        let from = replica.log.fsync();
        let to = replica.log.end_offset();
        self.cancel(flush);
        if to > from {
            self.emit(EventKind::MadeDurable {
                broker,
                partition,
                from,
                to,
                cause,
            });
        }
    }

    /// After records land in a replica's page cache: the topic's flush policy, and OS write-back.
    pub(crate) fn after_append(&mut self, partition: PartitionId, broker: BrokerId) {
        let config = self.topic_config(partition);
        let (flush_messages, flush_ms) = (config.flush_messages, config.flush_ms);
        let Some(replica) = self.partitions[partition.index()].replica(broker) else {
            return;
        };
        if flush_messages.is_some_and(|n| replica.log.unflushed_count() >= n.max(1)) {
            self.fsync_replica(partition, broker, FlushCause::FlushMessages);
        } else if let Some(ms) = flush_ms
            && replica.flush_timer.is_none()
        {
            let at = replica.log.oldest_dirty_since().unwrap_or(self.now) + ms;
            let key = self.schedule(at, Due::FlushMs { partition, broker });
            self.partitions[partition.index()]
                .replica_mut(broker)
                .expect("exists")
                .flush_timer = Some(key);
        }
        self.arm_write_back(broker);
    }

    pub(crate) fn on_flush_ms(&mut self, partition: PartitionId, broker: BrokerId) {
        if let Some(replica) = self.partitions[partition.index()].replica_mut(broker) {
            replica.flush_timer = None;
        }
        self.fsync_replica(partition, broker, FlushCause::FlushMs);
    }

    /// Wakes the OS flusher at its next tick after the oldest dirty record expires.
    fn arm_write_back(&mut self, broker: BrokerId) {
        if self.brokers[broker.index()].writeback.is_some()
            || self.brokers[broker.index()].process == ProcessState::PoweredOff
        {
            return;
        }
        let oldest = self
            .partitions_of(broker)
            .into_iter()
            .filter_map(|p| {
                self.partitions[p.index()]
                    .replica(broker)?
                    .log
                    .oldest_dirty_since()
            })
            .min();
        let Some(oldest) = oldest else { return };
        let config = &self.setup.broker;
        let tick = config.os_writeback_interval_ms.max(1);
        let expires = oldest + config.os_dirty_expire_ms;
        let at: Time = expires.div_ceil(tick) * tick;
        let key = self.schedule(at, Due::WriteBack { broker });
        self.brokers[broker.index()].writeback = Some(key);
    }

    pub(crate) fn on_write_back(&mut self, broker: BrokerId) {
        self.brokers[broker.index()].writeback = None;
        let older_than = self
            .now
            .saturating_sub(self.setup.broker.os_dirty_expire_ms);
        for partition in self.partitions_of(broker) {
            let replica = self.partitions[partition.index()]
                .replica_mut(broker)
                .expect("assigned");
            let from = replica.log.durable_end();
            if let Some(to) = replica.log.write_back(older_than) {
                self.emit(EventKind::MadeDurable {
                    broker,
                    partition,
                    from,
                    to,
                    cause: FlushCause::OsWriteBack,
                });
            }
        }
        self.arm_write_back(broker);
    }

    /// Sends a produce response (or nothing, for acks=0) from `broker` to `producer`.
    pub(crate) fn answer_producer(
        &mut self,
        broker: BrokerId,
        producer: super::types::ProducerId,
        request: u64,
        partition: PartitionId,
        result: Result<Offset, super::errors::Failure>,
    ) {
        let response = super::world::ProduceResponse {
            request,
            partition,
            result,
        };
        self.send(
            Endpoint::Broker(broker),
            Endpoint::Producer(producer),
            Payload::ProduceResponse(response),
        );
    }
}
