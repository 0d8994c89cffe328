//! The consumer client (classic protocol, as `ClassicKafkaConsumer` behaves), its application loop,
//! and the group coordinator that stores committed offsets.
//!
//! Kafka sources: `ClassicKafkaConsumer.poll` (auto-commit at the start of `poll()`, then fetch),
//! `ConsumerCoordinator.maybeAutoCommitOffsetsAsync` / `close` (sync auto-commit) / `onJoinPrepare`
//! (commit before a rebalance), `FetchCollector` (the position moves when `poll()` returns records),
//! `SubscriptionState.maybeCompleteValidation` (KIP-320 truncation detection).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use super::config::{CommitStyle, ConsumerSetup, OffsetReset, ProcessingStyle};
use super::event::{AutoCommitTrigger, EventKind, KafkaError, MessageSpan};
use super::producer::ClientState;
use super::types::{ConsumerId, Epoch, MessageId, Offset, PartitionId};
use super::world::{Due, QueueKey, World};

/// Timers a consumer sets for itself.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ConsumerTimer {
    /// The poll loop calls `poll()`.
    Poll,
    /// The application finishes processing its current record.
    ProcessingDone,
    /// The worker thread (hand-off) finishes its current record.
    WorkerDone,
    /// The loop reached its commit call after processing a batch.
    CommitAfterBatch,
    /// No `poll()` for max.poll.interval.ms: the member leaves the group.
    PollIntervalExceeded,
    /// The coordinator heard nothing for session.timeout.ms from a dead member.
    SessionExpired,
}

/// A record returned by `poll()` that the application holds.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub partition: PartitionId,
    pub offset: Offset,
    pub epoch: Epoch,
    pub message: MessageId,
}

/// Where a consumer reads next in a partition, and the epoch of the last record it read (KIP-320).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Position {
    pub offset: Offset,
    pub epoch: Option<Epoch>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Consumer {
    pub id: ConsumerId,
    pub name: Arc<str>,
    pub config: ConsumerSetup,
    pub group: Arc<str>,
    pub state: ClientState,
    /// Whether the coordinator counts it as a member of its group.
    pub member: bool,
    pub generation: u32,
    pub assigned: Vec<PartitionId>,
    pub positions: BTreeMap<PartitionId, Position>,
    pub last_auto_commit: super::types::Time,
    /// Records from `poll()` the poll loop has not processed yet (in-loop processing).
    pub in_hand: VecDeque<Delivery>,
    /// The record being processed, and when it will be done.
    pub processing: Option<(Delivery, QueueKey)>,
    /// The worker thread's queue (hand-off processing) and its current record.
    pub worker_queue: VecDeque<Delivery>,
    pub worker_busy: Option<(Delivery, QueueKey)>,
    /// The next record to process throws.
    pub fail_next: bool,
    pub poll_timer: Option<QueueKey>,
    pub poll_deadline: Option<QueueKey>,
    /// When the application last called `poll()` (for max.poll.interval.ms).
    pub last_poll: super::types::Time,
    /// Waiting in `poll()` for records to arrive.
    pub waiting: bool,
    /// `CommitFailedException`s the application got.
    pub commit_failures: u32,
}

impl Consumer {
    pub fn new(id: ConsumerId, config: ConsumerSetup) -> Self {
        Consumer {
            id,
            name: Arc::from(config.name.as_str()),
            group: Arc::from(config.group_id.as_str()),
            config,
            state: ClientState::Running,
            member: false,
            generation: 0,
            assigned: Vec::new(),
            positions: BTreeMap::new(),
            last_auto_commit: 0,
            in_hand: VecDeque::new(),
            processing: None,
            worker_queue: VecDeque::new(),
            worker_busy: None,
            fail_next: false,
            poll_timer: None,
            poll_deadline: None,
            last_poll: 0,
            waiting: false,
            commit_failures: 0,
        }
    }

    pub fn is_alive(&self) -> bool {
        self.state == ClientState::Running
    }

    /// Records fetched but not yet processed by anyone.
    pub fn unfinished(&self) -> usize {
        self.in_hand.len()
            + self.worker_queue.len()
            + usize::from(self.processing.is_some())
            + usize::from(self.worker_busy.is_some())
    }
}

/// A group's state at the coordinator (assumed always available and durable, like
/// `__consumer_offsets` with its own replication).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Group {
    pub generation: u32,
    pub members: Vec<ConsumerId>,
    pub committed: BTreeMap<PartitionId, Position>,
    /// Pending session expiry per dead member.
    pub expiries: BTreeMap<ConsumerId, QueueKey>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupCoordinator {
    pub groups: BTreeMap<Arc<str>, Group>,
}

impl GroupCoordinator {
    pub fn committed(&self, group: &str, partition: PartitionId) -> Option<Offset> {
        self.groups
            .get(group)?
            .committed
            .get(&partition)
            .map(|p| p.offset)
    }

    /// The group's members now (empty for an unknown group).
    pub fn members(&self, group: &str) -> Vec<ConsumerId> {
        self.groups
            .get(group)
            .map(|g| g.members.clone())
            .unwrap_or_default()
    }
}

/// Why a consumer command cannot be applied now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConsumerError {
    #[error("consumer {name} is not running")]
    NotRunning { name: String },
    #[error("consumer {name} is already running")]
    AlreadyRunning { name: String },
    #[error("consumer {name} holds no record to process")]
    NothingToProcess { name: String },
    #[error("there is no consumer #{index}")]
    NoSuchConsumer { index: usize },
}

impl World {
    fn consumer_ref(&self, id: ConsumerId) -> Result<&Consumer, ConsumerError> {
        self.consumers
            .get(id.index())
            .ok_or(ConsumerError::NoSuchConsumer { index: id.index() })
    }

    fn running_consumer(&self, id: ConsumerId) -> Result<&Consumer, ConsumerError> {
        let c = self.consumer_ref(id)?;
        if !c.is_alive() {
            return Err(ConsumerError::NotRunning {
                name: c.name.to_string(),
            });
        }
        Ok(c)
    }

    /// At time zero every consumer joins its group; the initial assignment is silent.
    pub(crate) fn start_consumers(&mut self) {
        let ids: Vec<ConsumerId> = self.consumers.iter().map(|c| c.id).collect();
        for id in &ids {
            let group = self.consumers[id.index()].group.clone();
            let g = self.coordinator.groups.entry(group).or_default();
            g.members.push(*id);
            self.consumers[id.index()].member = true;
        }
        let groups: Vec<Arc<str>> = self.coordinator.groups.keys().cloned().collect();
        for group in groups {
            self.assign_group(&group);
        }
        for id in ids {
            self.schedule_poll(id, 0);
        }
    }

    fn topic_partitions(&self, topic: &str) -> Vec<PartitionId> {
        self.partitions
            .iter()
            .filter(|p| &*self.topics[p.topic].name == topic)
            .map(|p| p.id)
            .collect()
    }

    /// Sticky assignment, as Kafka's `CooperativeStickyAssignor` does it: a member keeps the
    /// partitions it owns (up to a fair share); only partitions without an owner move, each to the
    /// member holding the fewest. So a rebalance never takes work away from a member that is busy
    /// processing it. Positions of newly owned partitions start at the committed offset, or per
    /// auto.offset.reset.
    fn assign_group(&mut self, group: &str) {
        let Some(g) = self.coordinator.groups.get_mut(group) else {
            return;
        };
        g.generation += 1;
        let generation = g.generation;
        let mut members = g.members.clone();
        members.sort();
        let Some(first) = members.first() else { return };
        let partitions = self.topic_partitions(&self.consumers[first.index()].config.topic.clone());
        let fair_share = partitions.len().div_ceil(members.len());
        let mut owned: Vec<Vec<PartitionId>> = members
            .iter()
            .map(|m| {
                let current = &self.consumers[m.index()].assigned;
                partitions
                    .iter()
                    .filter(|p| current.contains(p))
                    .take(fair_share)
                    .copied()
                    .collect()
            })
            .collect();
        for &partition in &partitions {
            if owned.iter().any(|o| o.contains(&partition)) {
                continue;
            }
            let lightest = (0..members.len())
                .min_by_key(|&i| (owned[i].len(), i))
                .expect("members exist");
            owned[lightest].push(partition);
        }
        for (member, mine) in members.iter().zip(owned) {
            self.apply_assignment(group, *member, generation, &mine);
        }
    }

    fn apply_assignment(
        &mut self,
        group: &str,
        member: ConsumerId,
        generation: u32,
        mine: &[PartitionId],
    ) {
        let old: Vec<PartitionId> = self.consumers[member.index()].assigned.clone();
        for &p in old.iter().filter(|p| !mine.contains(p)) {
            self.emit(EventKind::Revoked {
                consumer: member,
                partition: p,
            });
        }
        let c = &mut self.consumers[member.index()];
        c.generation = generation;
        c.assigned = mine.to_vec();
        c.positions.retain(|p, _| mine.contains(p));
        for &p in mine.iter().filter(|p| !old.contains(p)) {
            match self.initial_position(group, p, member.index()) {
                (Some(position), from_commit) => {
                    self.consumers[member.index()].positions.insert(p, position);
                    self.emit(EventKind::Assigned {
                        consumer: member,
                        partition: p,
                        position: position.offset,
                        from_commit,
                    });
                }
                (None, _) => {
                    self.emit(EventKind::CommitRejected {
                        consumer: member,
                        error: KafkaError::NoOffsetForPartition,
                    });
                }
            }
        }
    }

    /// The committed offset, or auto.offset.reset when the group has none.
    fn initial_position(
        &self,
        group: &str,
        partition: PartitionId,
        consumer: usize,
    ) -> (Option<Position>, bool) {
        if let Some(committed) = self
            .coordinator
            .groups
            .get(group)
            .and_then(|g| g.committed.get(&partition))
        {
            return (Some(*committed), true);
        }
        let log_end = self
            .authoritative_replica(partition)
            .and_then(|b| self.partitions[partition.index()].replica(b))
            .map_or(0, |r| r.high_watermark);
        let position = match self.consumers[consumer].config.auto_offset_reset {
            OffsetReset::Earliest => Some(Position {
                offset: 0,
                epoch: None,
            }),
            OffsetReset::Latest => Some(Position {
                offset: log_end,
                epoch: None,
            }),
            OffsetReset::None => None,
        };
        (position, false)
    }

    /// Makes sure the poll loop runs `delay` from now (or earlier, if already planned).
    fn schedule_poll(&mut self, consumer: ConsumerId, delay: super::types::Time) {
        let c = &self.consumers[consumer.index()];
        let at = self.now + delay;
        if !c.config.autorun || !c.is_alive() || c.poll_timer.is_some_and(|k| k.time <= at) {
            return;
        }
        let planned = c.poll_timer;
        self.cancel(planned);
        let key = self.consumer_timer(consumer, at, ConsumerTimer::Poll);
        let c = &mut self.consumers[consumer.index()];
        c.poll_timer = Some(key);
        c.waiting = false;
    }

    /// The HW of `partition` moved at its leader: consumers waiting in `poll()` for it wake up.
    pub(crate) fn wake_consumers_of(&mut self, partition: PartitionId) {
        let latency = self.setup.broker.network_latency_ms;
        // Waking one consumer changes nothing about another, so no list of them is needed.
        for index in 0..self.consumers.len() {
            let c = &self.consumers[index];
            if c.waiting && c.is_alive() && c.assigned.contains(&partition) {
                self.schedule_poll(c.id, latency);
            }
        }
    }

    pub(crate) fn on_consumer_timer(&mut self, consumer: ConsumerId, timer: ConsumerTimer) {
        match timer {
            ConsumerTimer::SessionExpired => self.on_member_session_expired(consumer),
            _ if !self.consumers[consumer.index()].is_alive() => {}
            ConsumerTimer::Poll => {
                self.consumers[consumer.index()].poll_timer = None;
                self.run_poll_loop(consumer);
            }
            ConsumerTimer::ProcessingDone => self.finish_processing(consumer),
            ConsumerTimer::WorkerDone => self.finish_worker_record(consumer),
            ConsumerTimer::CommitAfterBatch => self.commit_after_batch(consumer),
            ConsumerTimer::PollIntervalExceeded => {
                let c = &mut self.consumers[consumer.index()];
                c.poll_deadline = None;
                let deadline = c.last_poll + c.config.max_poll_interval_ms;
                // A member waiting in poll() for records is polling; the next poll re-arms this.
                if c.waiting {
                    return;
                }
                if self.now < deadline || !c.member {
                    if c.member {
                        let key = self.consumer_timer(
                            consumer,
                            deadline,
                            ConsumerTimer::PollIntervalExceeded,
                        );
                        self.consumers[consumer.index()].poll_deadline = Some(key);
                    }
                    return;
                }
                self.emit(EventKind::MemberRemoved {
                    consumer,
                    poll_interval_exceeded: true,
                });
                self.leave_group(consumer, false);
            }
        }
    }

    /// One turn of the application's poll loop: `poll()`, then hand the records to processing.
    fn run_poll_loop(&mut self, consumer: ConsumerId) {
        let returned = self.poll(consumer);
        let c = &self.consumers[consumer.index()];
        if returned == 0 {
            // Nothing to read: the next poll that matters is when records arrive (woken by the
            // HW) or when an auto-commit falls due with something new to commit.
            if let Some(at) = self.auto_commit_due_at(consumer) {
                self.schedule_poll(consumer, at.saturating_sub(self.now));
            }
            self.consumers[consumer.index()].waiting = true;
            return;
        }
        match c.config.processing {
            ProcessingStyle::InLoop => self.start_next_record(consumer),
            ProcessingStyle::HandOff => {
                let c = &mut self.consumers[consumer.index()];
                let span =
                    MessageSpan::from_ids(c.in_hand.iter().map(|d| d.message)).expect("non-empty");
                let handed = std::mem::take(&mut c.in_hand);
                c.worker_queue.extend(handed);
                self.emit(EventKind::HandedOff { consumer, span });
                self.start_worker(consumer);
                self.schedule_poll(consumer, 0);
            }
        }
    }

    /// When an auto-commit would commit something new, if auto-commit is on.
    fn auto_commit_due_at(&self, consumer: ConsumerId) -> Option<super::types::Time> {
        let c = &self.consumers[consumer.index()];
        if c.config.commit != CommitStyle::Auto || !c.member {
            return None;
        }
        let committed = self.coordinator.groups.get(&c.group).map(|g| &g.committed);
        let behind = c
            .positions
            .iter()
            .any(|(p, pos)| committed.and_then(|m| m.get(p)).map(|x| x.offset) != Some(pos.offset));
        behind.then(|| (c.last_auto_commit + c.config.auto_commit_interval_ms).max(self.now))
    }

    /// `poll()`: rejoin if needed, auto-commit what earlier polls returned when the interval has
    /// elapsed, validate positions after leader changes (KIP-320), then fetch up to max.poll.records
    /// committed records. Returns what it handed to the application.
    pub(crate) fn poll(&mut self, consumer: ConsumerId) -> usize {
        if !self.consumers[consumer.index()].member {
            self.join_group(consumer);
        }
        self.restart_poll_interval(consumer);
        let c = &self.consumers[consumer.index()];
        if c.config.commit == CommitStyle::Auto
            && self.now >= c.last_auto_commit + c.config.auto_commit_interval_ms
        {
            self.consumers[consumer.index()].last_auto_commit = self.now;
            self.commit_positions(consumer, None, CommitKind::Auto(AutoCommitTrigger::Poll));
        }
        let mut budget = self.consumers[consumer.index()].config.max_poll_records as usize;
        let mut returned = 0;
        for index in 0..self.consumers[consumer.index()].assigned.len() {
            let partition = self.consumers[consumer.index()].assigned[index];
            let taken = self.fetch_for_poll(consumer, partition, budget);
            budget -= taken;
            returned += taken;
            if budget == 0 {
                break;
            }
        }
        if returned > 0
            && self.consumers[consumer.index()].config.commit == CommitStyle::SyncBeforeProcessing
        {
            // At-most-once: the position is committed before anything is processed.
            self.commit_positions(consumer, None, CommitKind::Sync);
        }
        returned
    }

    /// Reads up to `budget` committed records of one partition into the application's hands,
    /// advancing the position. Returns how many it read.
    fn fetch_for_poll(
        &mut self,
        consumer: ConsumerId,
        partition: PartitionId,
        budget: usize,
    ) -> usize {
        let Some(leader) = self.readable_leader(consumer, partition) else {
            return 0;
        };
        let Some(position) = self.validated_position(consumer, partition, leader) else {
            return 0;
        };
        let replica = self.partitions[partition.index()]
            .replica(leader)
            .expect("leader replica");
        let hw = replica.high_watermark;
        let end = hw.min(position.offset + budget as u64).max(position.offset);
        let c = &mut self.consumers[consumer.index()];
        let mut last = None;
        for offset in position.offset..end {
            let Some(record) = replica.log.record(offset) else {
                break;
            };
            c.in_hand.push_back(Delivery {
                partition,
                offset,
                epoch: record.epoch,
                message: record.message,
            });
            self.messages[record.message.index()].delivered += 1;
            last = Some((offset, record.epoch));
        }
        let taken = last.map_or(0, |(offset, _)| (offset + 1 - position.offset) as usize);
        let fresh = c.in_hand.len() - taken;
        let span = MessageSpan::from_ids(c.in_hand.range(fresh..).map(|d| d.message));
        if let Some((offset, epoch)) = last {
            c.positions.insert(
                partition,
                Position {
                    offset: offset + 1,
                    epoch: Some(epoch),
                },
            );
        }
        if span.is_some() || !c.config.autorun {
            self.emit(EventKind::Polled {
                consumer,
                partition,
                from: position.offset,
                span,
                high_watermark: hw,
            });
        }
        taken
    }

    /// The leader a consumer reads from, if it can reach it.
    fn readable_leader(
        &self,
        consumer: ConsumerId,
        partition: PartitionId,
    ) -> Option<super::types::BrokerId> {
        let p = &self.partitions[partition.index()];
        let leader = p.controller.leader?;
        let replica = p.replica(leader)?;
        let current = replica.role.is_leader() && replica.leader_epoch == p.controller.leader_epoch;
        let reachable = self.link_up(
            super::world::Endpoint::Consumer(consumer),
            super::world::Endpoint::Broker(leader),
        );
        (current && reachable).then_some(leader)
    }

    /// The consumer's position in `partition`, validated against `leader`'s log. KIP-320: after a
    /// leader change, a position whose epoch ended earlier in the new leader's log points past a
    /// truncation; it is reset to the divergence point.
    fn validated_position(
        &mut self,
        consumer: ConsumerId,
        partition: PartitionId,
        leader: super::types::BrokerId,
    ) -> Option<Position> {
        let position = *self.consumers[consumer.index()].positions.get(&partition)?;
        let Some(epoch) = position.epoch else {
            return Some(position);
        };
        let log = &self.partitions[partition.index()]
            .replica(leader)
            .expect("leader replica")
            .log;
        let end = log.end_offset_for_epoch(epoch).map_or(0, |(e, end)| {
            if e == epoch {
                end
            } else {
                end.min(position.offset)
            }
        });
        if end >= position.offset {
            return Some(position);
        }
        if self.consumers[consumer.index()].config.auto_offset_reset == OffsetReset::None {
            self.emit(EventKind::CommitRejected {
                consumer,
                error: KafkaError::LogTruncation,
            });
        }
        let reset = Position {
            offset: end,
            epoch: None,
        };
        self.consumers[consumer.index()]
            .positions
            .insert(partition, reset);
        self.emit(EventKind::PositionReset {
            consumer,
            partition,
            from: position.offset,
            to: end,
            truncation: true,
        });
        Some(reset)
    }

    fn consumer_timer(
        &mut self,
        consumer: ConsumerId,
        at: super::types::Time,
        timer: ConsumerTimer,
    ) -> QueueKey {
        self.schedule(at, Due::Consumer { consumer, timer })
    }

    /// Notes a `poll()` for max.poll.interval.ms. One timer per member, re-armed lazily: when it
    /// fires early (the member polled since), it moves to the new deadline.
    fn restart_poll_interval(&mut self, consumer: ConsumerId) {
        let c = &mut self.consumers[consumer.index()];
        c.last_poll = self.now;
        if c.poll_deadline.is_none() {
            let at = self.now + c.config.max_poll_interval_ms;
            let key = self.consumer_timer(consumer, at, ConsumerTimer::PollIntervalExceeded);
            self.consumers[consumer.index()].poll_deadline = Some(key);
        }
    }

    /// Starts processing the next record in hand, or finishes the batch.
    fn start_next_record(&mut self, consumer: ConsumerId) {
        let c = &mut self.consumers[consumer.index()];
        if c.processing.is_some() {
            return;
        }
        let Some(next) = c.in_hand.pop_front() else {
            self.batch_processed(consumer);
            return;
        };
        let duration = c.config.processing_ms;
        if duration == 0 {
            self.process_record(consumer, next);
            self.start_next_record(consumer);
            return;
        }
        let key = self.start_processing(consumer, next, ConsumerTimer::ProcessingDone);
        self.consumers[consumer.index()].processing = Some((next, key));
    }

    /// The application (poll loop or worker thread) starts on `record`; `done` fires after
    /// processing.ms.
    fn start_processing(
        &mut self,
        consumer: ConsumerId,
        record: Delivery,
        done: ConsumerTimer,
    ) -> QueueKey {
        let at = self.now + self.consumers[consumer.index()].config.processing_ms;
        let key = self.consumer_timer(consumer, at, done);
        self.emit(EventKind::ProcessingStarted {
            consumer,
            message: record.message,
            offset: record.offset,
        });
        key
    }

    fn finish_processing(&mut self, consumer: ConsumerId) {
        let Some((record, _)) = self.consumers[consumer.index()].processing.take() else {
            return;
        };
        if self.process_record(consumer, record) {
            self.start_next_record(consumer);
        }
    }

    /// The application's work on one record. Returns false if it threw and the loop stopped.
    fn process_record(&mut self, consumer: ConsumerId, record: Delivery) -> bool {
        let c = &mut self.consumers[consumer.index()];
        if std::mem::take(&mut c.fail_next) {
            self.emit(EventKind::ProcessingFailed {
                consumer,
                message: record.message,
                offset: record.offset,
            });
            if self.consumers[consumer.index()].config.close_on_error {
                // `finally { consumer.close(); }`: close() commits the full position synchronously.
                let _ = self.close_consumer(consumer);
            } else {
                // The exception escapes the poll loop and the application dies with it.
                let _ = self.kill_consumer(consumer);
            }
            return false;
        }
        self.messages[record.message.index()].processed += 1;
        self.emit(EventKind::Processed {
            consumer,
            message: record.message,
            offset: record.offset,
        });
        if self.consumers[consumer.index()].config.commit == CommitStyle::PerPartitionNextOffset
            || self.consumers[consumer.index()].config.commit == CommitStyle::PerPartitionLastOffset
        {
            // Per-partition commits follow each partition's last record (seed article §1.3.2.3.3).
            let c = &self.consumers[consumer.index()];
            let last_of_partition = c.in_hand.iter().all(|d| d.partition != record.partition);
            if last_of_partition {
                let offset = if c.config.commit == CommitStyle::PerPartitionNextOffset {
                    record.offset + 1
                } else {
                    record.offset
                };
                self.commit_positions(
                    consumer,
                    Some((
                        record.partition,
                        Position {
                            offset,
                            epoch: Some(record.epoch),
                        },
                    )),
                    CommitKind::Sync,
                );
            }
        }
        true
    }

    /// The whole batch is processed: the loop goes on to its commit call (a step of its own, so a
    /// crash can fall between processing and committing), or straight back to `poll()`.
    fn batch_processed(&mut self, consumer: ConsumerId) {
        let style = self.consumers[consumer.index()].config.commit;
        if matches!(
            style,
            CommitStyle::SyncAfterProcessing | CommitStyle::AsyncAfterProcessing
        ) && self.consumers[consumer.index()].config.autorun
        {
            self.consumer_timer(consumer, self.now, ConsumerTimer::CommitAfterBatch);
            return;
        }
        self.schedule_poll(consumer, 0);
    }

    fn commit_after_batch(&mut self, consumer: ConsumerId) {
        let kind = match self.consumers[consumer.index()].config.commit {
            CommitStyle::AsyncAfterProcessing => CommitKind::Async,
            _ => CommitKind::Sync,
        };
        self.commit_positions(consumer, None, kind);
        self.schedule_poll(consumer, 0);
    }

    fn start_worker(&mut self, consumer: ConsumerId) {
        let c = &mut self.consumers[consumer.index()];
        if c.worker_busy.is_some() {
            return;
        }
        let Some(next) = c.worker_queue.pop_front() else {
            return;
        };
        let key = self.start_processing(consumer, next, ConsumerTimer::WorkerDone);
        self.consumers[consumer.index()].worker_busy = Some((next, key));
    }

    fn finish_worker_record(&mut self, consumer: ConsumerId) {
        let Some((record, _)) = self.consumers[consumer.index()].worker_busy.take() else {
            return;
        };
        if self.process_record(consumer, record) {
            self.start_worker(consumer);
        }
    }

    /// Commits `only` one partition's offset, or every position the consumer has reached
    /// (`allConsumed()`, what `commitSync()` and auto-commit send). A member removed from the group
    /// gets `CommitFailedException` (auto-commit failures are only logged).
    fn commit_positions(
        &mut self,
        consumer: ConsumerId,
        only: Option<(PartitionId, Position)>,
        kind: CommitKind,
    ) {
        let c = &self.consumers[consumer.index()];
        let group = c.group.clone();
        let current = self
            .coordinator
            .groups
            .get(&group)
            .map_or(0, |g| g.generation);
        if !c.member || c.generation != current {
            if !matches!(kind, CommitKind::Auto(_)) {
                self.consumers[consumer.index()].commit_failures += 1;
                self.emit(EventKind::CommitRejected {
                    consumer,
                    error: KafkaError::CommitFailed,
                });
                let failure = super::errors::Failure::new(
                    KafkaError::CommitFailed,
                    super::errors::ErrorContext::Generation,
                );
                self.emit(EventKind::Why { failure });
            }
            return;
        }
        let offsets: Vec<(PartitionId, Position)> = match only {
            Some(one) => vec![one],
            None => c.positions.iter().map(|(p, pos)| (*p, *pos)).collect(),
        };
        for (partition, position) in offsets {
            let g = self.coordinator.groups.entry(group.clone()).or_default();
            if g.committed.get(&partition) == Some(&position) {
                continue;
            }
            g.committed.insert(partition, position);
            let offset = position.offset;
            self.emit(match kind {
                CommitKind::Auto(trigger) => EventKind::AutoCommitted {
                    consumer,
                    partition,
                    offset,
                    trigger,
                },
                CommitKind::Sync => EventKind::Committed {
                    consumer,
                    partition,
                    offset,
                    sync: true,
                },
                CommitKind::Async => EventKind::Committed {
                    consumer,
                    partition,
                    offset,
                    sync: false,
                },
            });
        }
    }

    fn join_group(&mut self, consumer: ConsumerId) {
        let group = self.consumers[consumer.index()].group.clone();
        self.consumers[consumer.index()].member = true;
        let g = self.coordinator.groups.entry(group.clone()).or_default();
        if !g.members.contains(&consumer) {
            g.members.push(consumer);
        }
        self.rebalance(&group);
    }

    /// Every member still in the group commits (auto-commit, `onJoinPrepare`) before partitions move.
    fn rebalance(&mut self, group: &str) {
        for member in self.coordinator.members(group) {
            let c = &self.consumers[member.index()];
            if c.is_alive() && c.member && c.config.commit == CommitStyle::Auto {
                self.commit_positions(member, None, CommitKind::Auto(AutoCommitTrigger::Rebalance));
            }
        }
        self.assign_group(group);
        for member in self.coordinator.members(group) {
            if self.consumers[member.index()].waiting {
                self.schedule_poll(member, 0);
            }
        }
    }

    /// Removes a member: `graceful` is a close (leave-group), otherwise the member was evicted.
    fn leave_group(&mut self, consumer: ConsumerId, graceful: bool) {
        let group = self.consumers[consumer.index()].group.clone();
        let c = &mut self.consumers[consumer.index()];
        c.member = false;
        let revoked: Vec<PartitionId> = std::mem::take(&mut c.assigned);
        if graceful {
            c.positions.clear();
        }
        for partition in revoked {
            self.emit(EventKind::Revoked {
                consumer,
                partition,
            });
        }
        if let Some(g) = self.coordinator.groups.get_mut(&group) {
            g.members.retain(|&m| m != consumer);
        }
        self.rebalance(&group);
    }

    fn on_member_session_expired(&mut self, consumer: ConsumerId) {
        let group = self.consumers[consumer.index()].group.clone();
        if let Some(g) = self.coordinator.groups.get_mut(&group) {
            g.expiries.remove(&consumer);
        }
        if self.consumers[consumer.index()].member {
            self.emit(EventKind::MemberRemoved {
                consumer,
                poll_interval_exceeded: false,
            });
            self.leave_group(consumer, false);
        }
    }

    fn cancel_consumer_timers(&mut self, consumer: ConsumerId) {
        self.queue.retain(|due| {
            !matches!(due, Due::Consumer { consumer: c, timer } if *c == consumer && *timer != ConsumerTimer::SessionExpired)
        });
        let c = &mut self.consumers[consumer.index()];
        c.poll_timer = None;
        c.poll_deadline = None;
        c.processing = None;
        c.worker_busy = None;
    }

    // ------------------------------------------------------------------ commands

    /// `kill -9` of the consumer's application: records in hand are abandoned; the coordinator
    /// notices after session.timeout.ms.
    pub fn kill_consumer(&mut self, consumer: ConsumerId) -> Result<(), ConsumerError> {
        self.running_consumer(consumer)?;
        let abandoned = self.consumers[consumer.index()].unfinished() as u32;
        self.cancel_consumer_timers(consumer);
        let c = &mut self.consumers[consumer.index()];
        c.state = ClientState::Killed;
        c.in_hand.clear();
        c.worker_queue.clear();
        c.waiting = false;
        self.emit(EventKind::ConsumerCrashed {
            consumer,
            abandoned,
        });
        if self.consumers[consumer.index()].member {
            let at = self.now + self.consumers[consumer.index()].config.session_timeout_ms;
            let key = self.consumer_timer(consumer, at, ConsumerTimer::SessionExpired);
            let group = self.consumers[consumer.index()].group.clone();
            self.coordinator
                .groups
                .entry(group)
                .or_default()
                .expiries
                .insert(consumer, key);
        }
        Ok(())
    }

    /// `close()`: auto-commit synchronously (the full position, processed or not), leave the group.
    pub fn close_consumer(&mut self, consumer: ConsumerId) -> Result<(), ConsumerError> {
        self.running_consumer(consumer)?;
        if self.consumers[consumer.index()].config.commit == CommitStyle::Auto {
            self.commit_positions(consumer, None, CommitKind::Auto(AutoCommitTrigger::Close));
        }
        self.cancel_consumer_timers(consumer);
        let c = &mut self.consumers[consumer.index()];
        c.state = ClientState::Closed;
        c.in_hand.clear();
        c.worker_queue.clear();
        c.waiting = false;
        self.emit(EventKind::ConsumerClosed { consumer });
        if self.consumers[consumer.index()].member {
            self.leave_group(consumer, true);
        }
        Ok(())
    }

    /// A new process of the consumer's application starts and joins its group.
    pub fn restart_consumer(&mut self, consumer: ConsumerId) -> Result<(), ConsumerError> {
        let c = self.consumer_ref(consumer)?;
        if c.is_alive() {
            return Err(ConsumerError::AlreadyRunning {
                name: c.name.to_string(),
            });
        }
        let group = c.group.clone();
        if let Some(key) = self
            .coordinator
            .groups
            .get_mut(&group)
            .and_then(|g| g.expiries.remove(&consumer))
        {
            self.cancel(Some(key));
        }
        let c = &mut self.consumers[consumer.index()];
        c.state = ClientState::Running;
        c.positions.clear();
        c.assigned.clear();
        c.fail_next = false;
        c.last_auto_commit = self.now;
        self.emit(EventKind::ConsumerStarted { consumer });
        // A restart within the session timeout replaces the old member in a rebalance.
        self.consumers[consumer.index()].member = false;
        if let Some(g) = self.coordinator.groups.get_mut(&group) {
            g.members.retain(|&m| m != consumer);
        }
        self.join_group(consumer);
        self.schedule_poll(consumer, 0);
        Ok(())
    }

    /// One `poll()` of a hand-driven consumer.
    pub fn poll_by_hand(&mut self, consumer: ConsumerId) -> Result<(), ConsumerError> {
        self.running_consumer(consumer)?;
        self.poll(consumer);
        Ok(())
    }

    /// Processes the next `count` records a hand-driven consumer holds.
    pub fn process_by_hand(
        &mut self,
        consumer: ConsumerId,
        count: u32,
    ) -> Result<(), ConsumerError> {
        let c = self.running_consumer(consumer)?;
        if c.in_hand.is_empty() {
            return Err(ConsumerError::NothingToProcess {
                name: c.name.to_string(),
            });
        }
        for _ in 0..count {
            let Some(next) = self.consumers[consumer.index()].in_hand.pop_front() else {
                break;
            };
            if !self.process_record(consumer, next) {
                break;
            }
        }
        Ok(())
    }

    /// `commitSync()` of every position reached so far.
    pub fn commit_by_hand(&mut self, consumer: ConsumerId) -> Result<(), ConsumerError> {
        self.running_consumer(consumer)?;
        self.commit_positions(consumer, None, CommitKind::Sync);
        Ok(())
    }

    /// The next record this consumer processes throws an exception.
    pub fn fail_next_record(&mut self, consumer: ConsumerId) -> Result<(), ConsumerError> {
        self.running_consumer(consumer)?;
        self.consumers[consumer.index()].fail_next = true;
        Ok(())
    }

    /// Whether a consumer holds records it has not processed (used by the ledger).
    pub(crate) fn in_progress(&self, message: MessageId) -> bool {
        self.consumers.iter().any(|c| {
            c.is_alive()
                && (c
                    .in_hand
                    .iter()
                    .chain(c.worker_queue.iter())
                    .any(|d| d.message == message)
                    || c.processing.is_some_and(|(d, _)| d.message == message)
                    || c.worker_busy.is_some_and(|(d, _)| d.message == message))
        })
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum CommitKind {
    Auto(AutoCommitTrigger),
    Sync,
    Async,
}
