//! The follower fetch loop, the high watermark and the leader's side of ISR changes.
//!
//! Kafka sources: `Partition.scala` (`fetchRecords`, `updateFollowerFetchState`,
//! `maybeIncrementLeaderHW`, `maybeShrinkIsr`, `maybeExpandIsr`), `Replica.scala` (`isCaughtUp`),
//! `AbstractFetcherThread.scala` / `ReplicaFetcherThread.scala` (the follower side).

use super::cluster::{Fetcher, FollowerView, ParkedFetch, Role};
use super::config::{HighWatermarkRule, TruncationRule};
use super::event::{EventKind, IsrReason, KafkaError, MessageSpan, TruncationReason};
use super::log::{GhostCause, Record};
use super::types::{BrokerId, BrokerSet, Offset, PartitionId};
use super::world::{Due, Endpoint, FetchRequest, FetchResponse, FetchResult, Payload, World};

impl World {
    fn era_uses_epochs(&self) -> bool {
        self.setup.era.truncation == TruncationRule::LeaderEpoch
    }

    // ------------------------------------------------------------------ follower side

    /// The follower asks its leader for records from its LEO.
    pub(crate) fn send_fetch(&mut self, partition: PartitionId, follower: BrokerId) {
        let uses_epochs = self.era_uses_epochs();
        let Some(replica) = self.partitions[partition.index()].replica(follower) else {
            return;
        };
        let Role::Follower {
            leader: Some(leader),
        } = replica.role
        else {
            self.set_fetcher(partition, follower, Fetcher::Idle);
            return;
        };
        let request = FetchRequest {
            partition,
            fetch_offset: replica.log.end_offset(),
            last_fetched_epoch: if uses_epochs {
                replica.log.last_record_epoch()
            } else {
                None
            },
            leader_epoch: replica.leader_epoch,
        };
        let sent = self.send(
            Endpoint::Broker(follower),
            Endpoint::Broker(leader),
            Payload::Fetch(request),
        );
        self.set_fetcher(
            partition,
            follower,
            if sent {
                Fetcher::Fetching
            } else {
                Fetcher::Stalled
            },
        );
    }

    pub(crate) fn set_fetcher(
        &mut self,
        partition: PartitionId,
        broker: BrokerId,
        fetcher: Fetcher,
    ) {
        let Some(replica) = self.partitions[partition.index()].replica_mut(broker) else {
            return;
        };
        let old = std::mem::replace(&mut replica.fetcher, fetcher);
        if let Fetcher::Backoff(key) = old {
            self.cancel(Some(key));
        }
    }

    pub(crate) fn on_fetch_retry(&mut self, partition: PartitionId, follower: BrokerId) {
        if let Some(replica) = self.partitions[partition.index()].replica_mut(follower) {
            replica.fetcher = Fetcher::Idle;
        }
        self.send_fetch(partition, follower);
    }

    /// Restarts every fetcher that was waiting for its leader to become reachable.
    pub(crate) fn resume_stalled_fetchers(&mut self) {
        let stalled: Vec<(PartitionId, BrokerId)> = self
            .partitions
            .iter()
            .flat_map(|p| {
                p.replicas
                    .iter()
                    .filter(|r| r.fetcher == Fetcher::Stalled)
                    .map(move |r| (p.id, r.broker))
            })
            .collect();
        for (partition, follower) in stalled {
            if self.brokers[follower.index()].is_running() {
                self.send_fetch(partition, follower);
            }
        }
    }

    pub(crate) fn handle_fetch_response(
        &mut self,
        follower: BrokerId,
        leader: BrokerId,
        response: FetchResponse,
    ) {
        let partition = response.partition;
        let Some(replica) = self.partitions[partition.index()].replica(follower) else {
            return;
        };
        // A response from a leader this replica no longer follows is stale: a new fetch is already out.
        if replica.role
            != (Role::Follower {
                leader: Some(leader),
            })
            || replica.leader_epoch != response.leader_epoch
        {
            return;
        }
        match response.result {
            FetchResult::Records {
                records,
                high_watermark,
            } => {
                self.apply_fetched_records(partition, follower, leader, &records, high_watermark);
                self.send_fetch(partition, follower);
            }
            FetchResult::Diverging { epoch, end_offset } => {
                let target =
                    self.divergence_truncation_point(partition, follower, epoch, end_offset);
                self.truncate_replica(
                    partition,
                    follower,
                    target,
                    TruncationReason::DivergingEpoch,
                );
                self.send_fetch(partition, follower);
            }
            FetchResult::OutOfRange { leader_end } => {
                self.truncate_replica(
                    partition,
                    follower,
                    leader_end,
                    TruncationReason::OffsetOutOfRange,
                );
                self.send_fetch(partition, follower);
            }
            FetchResult::Error(_) => {
                let at = self.now + self.setup.broker.replica_fetch_backoff_ms;
                let key = self.schedule(
                    at,
                    Due::FetchRetry {
                        partition,
                        follower,
                    },
                );
                self.set_fetcher(partition, follower, Fetcher::Backoff(key));
            }
        }
    }

    fn apply_fetched_records(
        &mut self,
        partition: PartitionId,
        follower: BrokerId,
        leader: BrokerId,
        records: &[Record],
        leader_hw: Offset,
    ) {
        let now = self.now;
        let replica = self.partitions[partition.index()]
            .replica_mut(follower)
            .expect("checked by caller");
        for record in records {
            replica.log.append(Record {
                appended_at: now,
                ..*record
            });
        }
        let log_end = replica.log.end_offset();
        self.emit(EventKind::FetchApplied {
            follower,
            leader,
            partition,
            span: MessageSpan::from_ids(records.iter().map(|r| r.message)),
            log_end,
        });
        // ReplicaFetcherThread: the follower's HW is the leader's, capped by its own LEO; never backwards.
        let current = self.partitions[partition.index()]
            .replica(follower)
            .map_or(0, |r| r.high_watermark);
        let new_hw = leader_hw.min(log_end);
        if new_hw > current {
            self.set_high_watermark(partition, follower, new_hw);
        }
        if !records.is_empty() {
            self.after_append(partition, follower);
        }
    }

    /// `AbstractFetcherThread.getOffsetTruncationState` (KIP-279): truncate to the end of the
    /// largest epoch both logs know, never above the leader's end for it or this replica's LEO.
    fn divergence_truncation_point(
        &self,
        partition: PartitionId,
        follower: BrokerId,
        leader_epoch: super::types::Epoch,
        leader_end: Offset,
    ) -> Offset {
        let log = &self.partitions[partition.index()]
            .replica(follower)
            .expect("follower exists")
            .log;
        let target = match log.end_offset_for_epoch(leader_epoch) {
            Some((epoch, own_end)) if epoch == leader_epoch => leader_end.min(own_end),
            Some((_, own_end)) => own_end.min(leader_end),
            None => 0,
        };
        target.min(log.end_offset())
    }

    /// Cuts a replica's log at `to`; the removed records stay visible as ghosts.
    pub(crate) fn truncate_replica(
        &mut self,
        partition: PartitionId,
        broker: BrokerId,
        to: Offset,
        reason: TruncationReason,
    ) {
        let now = self.now;
        let Some(replica) = self.partitions[partition.index()].replica_mut(broker) else {
            return;
        };
        let from = replica.log.end_offset();
        if replica.log.truncate_to(to, GhostCause::Truncated, now) == 0 {
            return;
        }
        let hw = replica.high_watermark;
        self.emit(EventKind::Truncated {
            broker,
            partition,
            from,
            to,
            reason,
        });
        if hw > to {
            // `UnifiedLog.truncateTo` pulls the HW down with the log end.
            let replica = self.partitions[partition.index()]
                .replica_mut(broker)
                .expect("exists");
            replica.high_watermark = to;
            replica.hw_at_last_tick = replica.hw_at_last_tick.min(to);
            self.emit(EventKind::HighWatermarkMoved {
                broker,
                partition,
                from: hw,
                to,
            });
        }
    }

    // ------------------------------------------------------------------ leader side

    pub(crate) fn handle_fetch_request(
        &mut self,
        leader: BrokerId,
        follower: BrokerId,
        request: &FetchRequest,
    ) {
        let partition = request.partition;
        let uses_epochs = self.era_uses_epochs();
        let max_records = self.setup.broker.replica_fetch_max_records as usize;
        let Some(replica) = self.partitions[partition.index()].replica(leader) else {
            return;
        };
        let leader_epoch = replica.leader_epoch;
        let reject = |error| FetchResult::Error(error);
        let result = if !replica.role.is_leader() {
            Some(reject(KafkaError::NotLeaderOrFollower))
        } else if uses_epochs && request.leader_epoch < leader_epoch {
            // KIP-320: the follower has not heard of this epoch yet; it will get the metadata.
            Some(reject(KafkaError::FencedLeaderEpoch))
        } else if uses_epochs && request.leader_epoch > leader_epoch {
            // This broker is behind: another leader was elected without it knowing (a zombie).
            Some(reject(KafkaError::UnknownLeaderEpoch))
        } else if let Some(last_epoch) = request.last_fetched_epoch {
            // Truncation on fetch (2.8+): does the follower's last epoch end where it thinks?
            match replica.log.end_offset_for_epoch(last_epoch) {
                Some((epoch, end)) if epoch == last_epoch && end >= request.fetch_offset => None,
                Some((epoch, end)) => Some(FetchResult::Diverging {
                    epoch,
                    end_offset: end,
                }),
                None => Some(FetchResult::Diverging {
                    epoch: last_epoch,
                    end_offset: 0,
                }),
            }
        } else if request.fetch_offset > replica.log.end_offset() {
            Some(FetchResult::OutOfRange {
                leader_end: replica.log.end_offset(),
            })
        } else {
            None
        };
        if let Some(result) = result {
            match &result {
                FetchResult::Error(error) => {
                    self.emit(EventKind::FetchRejected {
                        leader,
                        follower,
                        partition,
                        error: *error,
                    });
                }
                FetchResult::Diverging { epoch, end_offset } => {
                    self.emit(EventKind::FetchDiverged {
                        leader,
                        follower,
                        partition,
                        epoch: *epoch,
                        end_offset: *end_offset,
                    });
                }
                FetchResult::OutOfRange { .. } | FetchResult::Records { .. } => {}
            }
            self.respond_to_fetch(partition, leader, follower, leader_epoch, result);
            return;
        }
        // `Partition.fetchRecords`: the HW is read before the follower's state is updated, so a
        // response with data carries the HW from before this fetch (one round trip behind).
        let high_watermark = replica.high_watermark;
        let start = request.fetch_offset as usize;
        let end = (start + max_records).min(replica.log.records().len());
        let records: Vec<Record> = replica.log.records().range(start, end).copied().collect();
        self.update_follower_fetch_state(partition, leader, follower, request.fetch_offset);
        if records.is_empty() {
            self.park_fetch(
                partition,
                leader,
                follower,
                request.fetch_offset,
                high_watermark,
            );
            return;
        }
        self.emit(EventKind::FetchServed {
            leader,
            follower,
            partition,
            fetch_offset: request.fetch_offset,
            span: MessageSpan::from_ids(records.iter().map(|r| r.message)),
            high_watermark,
        });
        self.respond_to_fetch(
            partition,
            leader,
            follower,
            leader_epoch,
            FetchResult::Records {
                records,
                high_watermark,
            },
        );
    }

    fn respond_to_fetch(
        &mut self,
        partition: PartitionId,
        leader: BrokerId,
        follower: BrokerId,
        leader_epoch: super::types::Epoch,
        result: FetchResult,
    ) {
        let response = FetchResponse {
            partition,
            leader_epoch,
            result,
        };
        self.send(
            Endpoint::Broker(leader),
            Endpoint::Broker(follower),
            Payload::FetchResponse(response),
        );
    }

    /// `Replica.updateFetchStateOrThrow` and what follows it: the fetch offset is the follower's
    /// acknowledgement; it may let the follower rejoin the ISR and the HW advance.
    fn update_follower_fetch_state(
        &mut self,
        partition: PartitionId,
        leader: BrokerId,
        follower: BrokerId,
        fetch_offset: Offset,
    ) {
        let now = self.now;
        let Some(replica) = self.partitions[partition.index()].replica_mut(leader) else {
            return;
        };
        let leader_end = replica.log.end_offset();
        let Some(state) = replica.role.leader_state_mut() else {
            return;
        };
        let Some(view) = state.follower_mut(follower) else {
            return;
        };
        if fetch_offset >= leader_end {
            view.last_caught_up_time = now;
        } else if fetch_offset >= view.last_fetch_leader_end {
            view.last_caught_up_time = view.last_caught_up_time.max(view.last_fetch_time);
        }
        view.log_end_offset = Some(fetch_offset);
        view.last_fetch_leader_end = leader_end;
        view.last_fetch_time = now;
        self.maybe_expand_isr(partition, leader, follower);
        self.maybe_advance_high_watermark(partition, leader);
        self.arm_isr_check(partition, leader);
    }

    fn park_fetch(
        &mut self,
        partition: PartitionId,
        leader: BrokerId,
        follower: BrokerId,
        fetch_offset: Offset,
        hw_sent: Offset,
    ) {
        let now = self.now;
        if let Some(view) = self.follower_view_mut(partition, leader, follower) {
            view.parked = Some(ParkedFetch {
                since: now,
                fetch_offset,
                hw_sent,
                timeout: None,
            });
        }
        self.emit(EventKind::FetchParked {
            leader,
            follower,
            partition,
            fetch_offset,
        });
        self.arm_parked_fetch_timeouts(partition, leader);
    }

    /// The leader's view of its `index`th follower: walking followers by index lets each step
    /// change the world without first copying the list.
    fn nth_follower(
        &self,
        partition: PartitionId,
        leader: BrokerId,
        index: usize,
    ) -> Option<&FollowerView> {
        self.partitions[partition.index()]
            .replica(leader)?
            .role
            .leader_state()?
            .followers
            .get(index)
    }

    fn follower_view_mut(
        &mut self,
        partition: PartitionId,
        leader: BrokerId,
        follower: BrokerId,
    ) -> Option<&mut FollowerView> {
        self.partitions[partition.index()]
            .replica_mut(leader)?
            .role
            .leader_state_mut()?
            .follower_mut(follower)
    }

    /// A parked fetch whose follower has not seen the current HW gets its answer when its
    /// `replica.fetch.wait.max.ms` runs out. Waits that would return nothing new are not simulated:
    /// the follower is simply treated as re-fetching at the same offset.
    fn arm_parked_fetch_timeouts(&mut self, partition: PartitionId, leader: BrokerId) {
        let now = self.now;
        let wait = self.setup.broker.replica_fetch_wait_max_ms.max(1);
        let Some(hw) = self.partitions[partition.index()]
            .replica(leader)
            .map(|r| r.high_watermark)
        else {
            return;
        };
        let mut index = 0;
        while let Some(view) = self.nth_follower(partition, leader, index) {
            index += 1;
            let Some(parked) = view.parked.as_ref() else {
                continue;
            };
            if parked.hw_sent >= hw || parked.timeout.is_some() {
                continue;
            }
            let follower = view.broker;
            let waited = now - parked.since;
            let at = parked.since + (waited / wait + 1) * wait;
            let key = self.schedule(
                at,
                Due::FetchWaitExpired {
                    partition,
                    leader,
                    follower,
                },
            );
            if let Some(parked) = self
                .follower_view_mut(partition, leader, follower)
                .and_then(|v| v.parked.as_mut())
            {
                parked.timeout = Some(key);
            }
        }
    }

    pub(crate) fn on_fetch_wait_expired(
        &mut self,
        partition: PartitionId,
        leader: BrokerId,
        follower: BrokerId,
    ) {
        self.answer_parked_fetch(partition, leader, follower);
    }

    /// New records at the leader complete every parked fetch (`DelayedFetch`).
    pub(crate) fn complete_parked_fetches(&mut self, partition: PartitionId, leader: BrokerId) {
        let mut index = 0;
        while let Some(view) = self.nth_follower(partition, leader, index) {
            index += 1;
            if view.parked.is_some() {
                let follower = view.broker;
                self.answer_parked_fetch(partition, leader, follower);
            }
        }
    }

    /// Answers a waiting fetch with whatever is there now and the current HW.
    fn answer_parked_fetch(
        &mut self,
        partition: PartitionId,
        leader: BrokerId,
        follower: BrokerId,
    ) {
        let now = self.now;
        let max_records = self.setup.broker.replica_fetch_max_records as usize;
        let Some(view) = self.follower_view_mut(partition, leader, follower) else {
            return;
        };
        let Some(parked) = view.parked.take() else {
            return;
        };
        // While parked the follower was at the leader's end: caught up until this moment.
        view.last_caught_up_time = now;
        view.last_fetch_time = now;
        view.last_fetch_leader_end = parked.fetch_offset;
        self.cancel(parked.timeout);
        let replica = self.partitions[partition.index()]
            .replica(leader)
            .expect("leader exists");
        let high_watermark = replica.high_watermark;
        let leader_epoch = replica.leader_epoch;
        let start = (parked.fetch_offset as usize).min(replica.log.records().len());
        let end = (start + max_records).min(replica.log.records().len());
        let records: Vec<Record> = replica.log.records().range(start, end).copied().collect();
        self.emit(EventKind::FetchServed {
            leader,
            follower,
            partition,
            fetch_offset: parked.fetch_offset,
            span: MessageSpan::from_ids(records.iter().map(|r| r.message)),
            high_watermark,
        });
        self.respond_to_fetch(
            partition,
            leader,
            follower,
            leader_epoch,
            FetchResult::Records {
                records,
                high_watermark,
            },
        );
        self.arm_isr_check(partition, leader);
    }

    /// Forgets a follower's waiting fetch because the follower can no longer receive the answer
    /// (it died or was cut off); from now on it is no longer caught up.
    pub(crate) fn abandon_parked_fetch(
        &mut self,
        partition: PartitionId,
        leader: BrokerId,
        follower: BrokerId,
    ) {
        let now = self.now;
        let Some(view) = self.follower_view_mut(partition, leader, follower) else {
            return;
        };
        if let Some(parked) = view.parked.take() {
            view.last_caught_up_time = now;
            view.last_fetch_time = now;
            self.cancel(parked.timeout);
        }
        self.arm_isr_check(partition, leader);
    }

    // ------------------------------------------------------------------ high watermark

    /// Whether the leader sees `view` as caught up (`ReplicaState.isCaughtUp`).
    fn is_caught_up(&self, view: &FollowerView, leader_end: Offset) -> bool {
        let lag = self.setup.broker.replica_lag_time_max_ms;
        let caught_up_time = if view.parked.is_some() {
            self.now
        } else {
            view.last_caught_up_time
        };
        view.log_end_offset == Some(leader_end) || self.now.saturating_sub(caught_up_time) <= lag
    }

    /// `Partition.maybeIncrementLeaderHW`. Returns whether the HW moved.
    pub(crate) fn maybe_advance_high_watermark(
        &mut self,
        partition: PartitionId,
        leader: BrokerId,
    ) -> bool {
        let min_isr = self.effective_min_isr(partition);
        let strict = self.setup.era.high_watermark == HighWatermarkRule::StrictMinIsr;
        let Some(replica) = self.partitions[partition.index()].replica(leader) else {
            return false;
        };
        let Some(state) = replica.role.leader_state() else {
            return false;
        };
        // KAFKA-15583 (3.7+): no progress at all while the ISR is below min.insync.replicas.
        if strict && state.isr.len() < min_isr {
            return false;
        }
        let leader_end = replica.log.end_offset();
        let mut new_hw = leader_end;
        for view in &state.followers {
            let waits_for = state.isr.contains(view.broker)
                || (self.is_caught_up(view, leader_end)
                    && !self.brokers[view.broker.index()].fenced);
            if waits_for {
                new_hw = new_hw.min(view.log_end_offset.unwrap_or(0));
            }
        }
        if new_hw <= replica.high_watermark {
            return false;
        }
        self.set_high_watermark(partition, leader, new_hw);
        self.wake_consumers_of(partition);
        self.complete_delayed_produce(partition, leader);
        self.arm_parked_fetch_timeouts(partition, leader);
        true
    }

    // ------------------------------------------------------------------ ISR

    /// `Partition.maybeExpandIsr`: a follower at or past the HW (and, KIP-320, past the start of the
    /// leader's epoch) whose broker is not fenced is proposed back into the ISR.
    fn maybe_expand_isr(&mut self, partition: PartitionId, leader: BrokerId, follower: BrokerId) {
        let uses_epochs = self.era_uses_epochs();
        let fenced = self.brokers[follower.index()].fenced;
        let Some(replica) = self.partitions[partition.index()].replica(leader) else {
            return;
        };
        let Some(state) = replica.role.leader_state() else {
            return;
        };
        let Some(view) = state.follower(follower) else {
            return;
        };
        let Some(log_end) = view.log_end_offset else {
            return;
        };
        let in_sync =
            log_end >= replica.high_watermark && (!uses_epochs || log_end >= state.epoch_start);
        if state.isr.contains(follower) || !in_sync || fenced {
            return;
        }
        let mut isr = state.isr;
        isr.insert(follower);
        self.alter_isr(partition, leader, isr, IsrReason::FollowerCaughtUp);
    }

    /// Makes sure an ISR-expiration check is pending if any ISR follower could fall out of sync.
    /// Checks run on the `isr-expiration` schedule, every replica.lag.time.max.ms / 2 since the
    /// leader took over, so a silent follower leaves the ISR between 1× and 1.5× the lag time.
    pub(crate) fn arm_isr_check(&mut self, partition: PartitionId, leader: BrokerId) {
        let lag = self.setup.broker.replica_lag_time_max_ms;
        let period = (lag / 2).max(1);
        let Some(replica) = self.partitions[partition.index()].replica(leader) else {
            return;
        };
        let Some(state) = replica.role.leader_state() else {
            return;
        };
        if state.isr_check.is_some() {
            return;
        }
        let leader_end = replica.log.end_offset();
        let earliest_lag = state
            .followers
            .iter()
            .filter(|v| {
                state.isr.contains(v.broker)
                    && v.parked.is_none()
                    && v.log_end_offset != Some(leader_end)
            })
            .map(|v| v.last_caught_up_time + lag)
            .min();
        let Some(deadline) = earliest_lag else { return };
        let since = state.since;
        // The first tick of the leader's schedule after both the deadline and now.
        let from = deadline.max(self.now).max(since);
        let at = since + ((from - since) / period + 1) * period;
        let key = self.schedule(at, Due::IsrCheck { partition, leader });
        if let Some(state) = self.partitions[partition.index()]
            .replica_mut(leader)
            .and_then(|r| r.role.leader_state_mut())
        {
            state.isr_check = Some(key);
        }
    }

    /// `Partition.maybeShrinkIsr`.
    pub(crate) fn on_isr_check(&mut self, partition: PartitionId, leader: BrokerId) {
        let Some(state) = self.partitions[partition.index()]
            .replica_mut(leader)
            .and_then(|r| r.role.leader_state_mut())
        else {
            return;
        };
        state.isr_check = None;
        let replica = self.partitions[partition.index()]
            .replica(leader)
            .expect("leader exists");
        let leader_end = replica.log.end_offset();
        let state = replica.role.leader_state().expect("just checked");
        let isr = state.isr;
        let out_of_sync: Vec<BrokerId> = state
            .followers
            .iter()
            .filter(|v| isr.contains(v.broker) && !self.is_caught_up(v, leader_end))
            .map(|v| v.broker)
            .collect();
        if !out_of_sync.is_empty() {
            let mut shrunk = isr;
            for broker in out_of_sync {
                shrunk.remove(broker);
            }
            if !self.alter_isr(partition, leader, shrunk, IsrReason::FollowerLagging) {
                // Nothing can change until the controller hears this leader again; the metadata it
                // then receives re-arms the check (`apply_partition_state`).
                return;
            }
        }
        self.arm_isr_check(partition, leader);
    }

    /// Sends an AlterPartition to the controller, which applies it if the leader is current.
    /// The controller is always available; only the leader's link to it can fail.
    /// Returns whether the controller accepted it.
    fn alter_isr(
        &mut self,
        partition: PartitionId,
        leader: BrokerId,
        isr: BrokerSet,
        reason: IsrReason,
    ) -> bool {
        if !self.reaches_controller(leader) {
            let Some(state) = self.partitions[partition.index()]
                .replica_mut(leader)
                .and_then(|r| r.role.leader_state_mut())
            else {
                return false;
            };
            if !state.alter_blocked {
                state.alter_blocked = true;
                self.emit(EventKind::AlterPartitionUnreachable { partition, leader });
            }
            return false;
        }
        let epoch = self.partitions[partition.index()]
            .replica(leader)
            .map(|r| r.leader_epoch);
        let record = &self.partitions[partition.index()].controller;
        if record.leader != Some(leader) || Some(record.leader_epoch) != epoch {
            return false;
        }
        self.controller_set_isr(partition, isr, reason);
        true
    }
}
