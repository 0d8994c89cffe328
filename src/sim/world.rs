//! The world: all engine state, the queue of scheduled work, the network and the step loop.
//!
//! The engine is a discrete-event simulation. Work is scheduled at a logical time in an ordered
//! queue keyed by `(time, sequence)`, so equal times run in the order they were scheduled and a run
//! is a pure function of the setup, the seed and the commands applied.

use std::collections::BTreeMap;
use std::sync::Arc;

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};

use super::chunked::Chunked;
use super::cluster::{
    Broker, ControllerRecord, CutScope, Fetcher, FollowerView, LeaderState, ParkedFetch, Partition,
    ProcessState, Replica, Role, Topic,
};
use super::config::{Setup, SetupError, TopicSetup};
use super::consumer::{Consumer, ConsumerTimer, GroupCoordinator};
use super::event::{EventKind, KafkaError};
use super::log::{Log, Record};
use super::message::MessageInfo;
use super::producer::{Producer, ProducerTimer};
use super::types::{
    BrokerId, BrokerSet, ConsumerId, Epoch, MAX_BROKERS, Offset, PartitionId, ProducerId, Time,
};

use super::queue::Queue;
pub use super::queue::QueueKey;

/// A party on the network.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Endpoint {
    Broker(BrokerId),
    Producer(ProducerId),
    Consumer(ConsumerId),
}

/// A message on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    pub from: Endpoint,
    pub to: Endpoint,
    pub payload: Payload,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payload {
    Fetch(FetchRequest),
    FetchResponse(FetchResponse),
    Produce(ProduceRequest),
    ProduceResponse(ProduceResponse),
}

/// A follower's `Fetch`: its LEO is the fetch offset, and with it the acknowledgement of what it has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchRequest {
    pub partition: PartitionId,
    pub fetch_offset: Offset,
    /// Epoch of the follower's last record, for the divergence check (truncation on fetch, 2.8+).
    pub last_fetched_epoch: Option<Epoch>,
    /// The leader epoch the follower believes current (KIP-320 fencing).
    pub leader_epoch: Epoch,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchResponse {
    pub partition: PartitionId,
    pub leader_epoch: Epoch,
    pub result: FetchResult,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchResult {
    Records {
        records: Vec<Record>,
        high_watermark: Offset,
    },
    Diverging {
        epoch: Epoch,
        end_offset: Offset,
    },
    /// The leader's log ends before the fetch offset (legacy `OFFSET_OUT_OF_RANGE`).
    OutOfRange {
        leader_end: Offset,
    },
    Error(KafkaError),
}

/// A producer's request carrying one batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProduceRequest {
    pub request: u64,
    pub partition: PartitionId,
    pub acks: super::config::Acks,
    pub messages: Vec<super::types::MessageId>,
    /// Producer id and first sequence of an idempotent batch.
    pub idempotence: Option<(u32, u32)>,
    pub timeout_ms: Time,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProduceResponse {
    pub request: u64,
    pub partition: PartitionId,
    /// Like Kafka's error code plus error message: the failure says why.
    pub result: Result<Offset, super::errors::Failure>,
}

/// Work scheduled for a later time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Due {
    Deliver(Envelope),
    /// A parked fetch's `replica.fetch.wait.max.ms` ran out and its response would carry a new HW.
    FetchWaitExpired {
        partition: PartitionId,
        leader: BrokerId,
        follower: BrokerId,
    },
    FetchRetry {
        partition: PartitionId,
        follower: BrokerId,
    },
    SessionExpired {
        broker: BrokerId,
    },
    IsrCheck {
        partition: PartitionId,
        leader: BrokerId,
    },
    WriteBack {
        broker: BrokerId,
    },
    FlushMs {
        partition: PartitionId,
        broker: BrokerId,
    },
    ProduceTimeout {
        partition: PartitionId,
        leader: BrokerId,
    },
    Producer {
        producer: ProducerId,
        timer: ProducerTimer,
    },
    Consumer {
        consumer: ConsumerId,
        timer: ConsumerTimer,
    },
}

impl Due {
    /// The broker whose process owns this work: it dies with that process.
    fn owner_broker(&self) -> Option<BrokerId> {
        match self {
            Due::FetchWaitExpired { leader, .. }
            | Due::IsrCheck { leader, .. }
            | Due::ProduceTimeout { leader, .. } => Some(*leader),
            Due::FetchRetry { follower, .. } => Some(*follower),
            Due::FlushMs { broker, .. } => Some(*broker),
            _ => None,
        }
    }
}

/// All engine state. Cloning it is how history checkpoints are taken.
#[derive(Clone, Debug, PartialEq)]
pub struct World {
    pub(crate) now: Time,
    pub(crate) queue: Queue<Due>,
    rng: ChaCha8Rng,
    /// Latest delivery time per link, so jitter never reorders a TCP connection.
    link_clock: BTreeMap<(Endpoint, Endpoint), Time>,
    pub(crate) setup: Arc<Setup>,
    pub(crate) brokers: Vec<Broker>,
    pub(crate) topics: Vec<Topic>,
    pub(crate) partitions: Vec<Partition>,
    pub(crate) producers: Vec<Producer>,
    pub(crate) consumers: Vec<Consumer>,
    pub(crate) coordinator: GroupCoordinator,
    pub(crate) messages: Chunked<MessageInfo>,
    pub(crate) next_producer_id: u32,
    pub(crate) next_request: u64,
    /// Events of the step in progress.
    pub(crate) events: Vec<EventKind>,
}

impl World {
    pub fn new(setup: &Setup) -> Result<World, SetupError> {
        validate(setup)?;
        let setup = Arc::new(setup.clone());
        let brokers = (0..usize::from(setup.brokers))
            .map(|i| Broker {
                id: BrokerId::from_index(i),
                rack: setup.racks.get(i).map(|r| Arc::from(r.as_str())),
                process: ProcessState::Running,
                cut_off: None,
                incarnation: 1,
                registered_incarnation: 1,
                clean_shutdown: true,
                fenced: false,
                session_expiry: None,
                writeback: None,
            })
            .collect::<Vec<_>>();
        let mut topics = Vec::new();
        let mut partitions = Vec::new();
        for (topic_index, topic) in setup.topics.iter().enumerate() {
            let assignments = super::placement::assign(topic, &brokers);
            topics.push(Topic {
                config: topic.clone(),
                name: Arc::from(topic.name.as_str()),
                first_partition: PartitionId(partitions.len() as u32),
            });
            for (index, assignment) in assignments.into_iter().enumerate() {
                let id = PartitionId(partitions.len() as u32);
                partitions.push(initial_partition(
                    id,
                    topic_index,
                    topic,
                    index as u32,
                    assignment,
                ));
            }
        }
        let mut world = World {
            now: 0,
            queue: Queue::default(),
            rng: ChaCha8Rng::seed_from_u64(setup.seed),
            link_clock: BTreeMap::new(),
            setup: Arc::clone(&setup),
            brokers,
            topics,
            partitions,
            producers: Vec::new(),
            consumers: Vec::new(),
            coordinator: GroupCoordinator::default(),
            messages: Chunked::default(),
            next_producer_id: 1000,
            next_request: 1,
            events: Vec::new(),
        };
        for (index, producer) in setup.producers.iter().enumerate() {
            let id = ProducerId(index as u16);
            let producer_id = world.allocate_producer_id();
            world.producers.push(Producer::new(
                id,
                producer.clone(),
                producer_id,
                &world.partitions,
            ));
        }
        for (index, consumer) in setup.consumers.iter().enumerate() {
            let id = ConsumerId(index as u16);
            world.consumers.push(Consumer::new(id, consumer.clone()));
        }
        for index in 0..world.producers.len() {
            world.arm_load(ProducerId(index as u16));
        }
        world.start_consumers();
        world.events.clear();
        Ok(world)
    }

    // ---------------------------------------------------------------- accessors

    pub fn now(&self) -> Time {
        self.now
    }

    pub fn setup(&self) -> &Setup {
        &self.setup
    }

    pub fn brokers(&self) -> &[Broker] {
        &self.brokers
    }

    pub fn broker(&self, id: BrokerId) -> &Broker {
        &self.brokers[id.index()]
    }

    pub fn topics(&self) -> &[Topic] {
        &self.topics
    }

    pub fn partitions(&self) -> &[Partition] {
        &self.partitions
    }

    pub fn partition(&self, id: PartitionId) -> &Partition {
        &self.partitions[id.index()]
    }

    pub fn producers(&self) -> &[Producer] {
        &self.producers
    }

    pub fn consumers(&self) -> &[Consumer] {
        &self.consumers
    }

    pub fn coordinator(&self) -> &GroupCoordinator {
        &self.coordinator
    }

    pub fn messages(&self) -> &Chunked<MessageInfo> {
        &self.messages
    }

    /// The names of the messages in a replica's log, in offset order; empty if `broker` holds no
    /// replica of `partition`.
    pub fn log_names(&self, broker: BrokerId, partition: PartitionId) -> Vec<String> {
        self.partition(partition)
            .replica(broker)
            .map(|r| self.names_in(&r.log))
            .unwrap_or_default()
    }

    /// The names of the messages in `log`, in offset order.
    pub fn names_in(&self, log: &super::log::Log) -> Vec<String> {
        log.records()
            .iter()
            .map(|record| self.messages[record.message.index()].name.to_string())
            .collect()
    }

    pub fn topic_config(&self, partition: PartitionId) -> &TopicSetup {
        &self.topics[self.partitions[partition.index()].topic].config
    }

    /// `min(min.insync.replicas, replication factor)` (`Partition.effectiveMinIsr`, 3.7+).
    pub fn effective_min_isr(&self, partition: PartitionId) -> usize {
        let p = &self.partitions[partition.index()];
        let config = &self.topics[p.topic].config;
        usize::from(config.min_insync_replicas).min(p.assignment.len())
    }

    /// Whether anything is scheduled.
    pub fn is_idle(&self) -> bool {
        self.queue.is_empty()
    }

    /// Time of the next scheduled item.
    pub fn next_due(&self) -> Option<Time> {
        self.queue.next_due()
    }

    // ---------------------------------------------------------------- scheduling

    pub(crate) fn schedule(&mut self, at: Time, due: Due) -> QueueKey {
        self.queue.schedule(at.max(self.now), due)
    }

    pub(crate) fn cancel(&mut self, key: Option<QueueKey>) {
        if let Some(key) = key {
            self.queue.cancel(key);
        }
    }

    pub(crate) fn emit(&mut self, event: EventKind) {
        self.events.push(event);
    }

    /// Hands the events of the step just run to `sink`, keeping the buffer for the next step.
    pub(crate) fn drain_events(&mut self, sink: impl FnMut(EventKind)) {
        self.events.drain(..).for_each(sink);
    }

    /// Runs scheduled work due at or before `limit` until one item changes something visible.
    /// Returns whether something visible happened.
    pub(crate) fn step(&mut self, limit: Time) -> bool {
        let mut silent = 0u32;
        while self.next_due().is_some_and(|t| t <= limit) {
            let Some((key, due)) = self.queue.pop() else {
                break;
            };
            // Silent work must run out: a timer that re-arms itself without changing anything is a bug.
            silent += 1;
            debug_assert!(
                silent < 1_000_000,
                "silent work never ends: {key:?} {due:?}"
            );
            self.now = key.time;
            self.dispatch(due);
            if !self.events.is_empty() {
                return true;
            }
        }
        false
    }

    /// Moves the clock forward with nothing happening (only up to the next scheduled item).
    pub(crate) fn advance_clock(&mut self, to: Time) {
        let limit = self.next_due().unwrap_or(Time::MAX);
        self.now = self.now.max(to.min(limit));
    }

    fn dispatch(&mut self, due: Due) {
        match due {
            Due::Deliver(envelope) => self.deliver(envelope),
            Due::FetchWaitExpired {
                partition,
                leader,
                follower,
            } => {
                self.on_fetch_wait_expired(partition, leader, follower);
            }
            Due::FetchRetry {
                partition,
                follower,
            } => self.on_fetch_retry(partition, follower),
            Due::SessionExpired { broker } => self.on_session_expired(broker),
            Due::IsrCheck { partition, leader } => self.on_isr_check(partition, leader),
            Due::WriteBack { broker } => self.on_write_back(broker),
            Due::FlushMs { partition, broker } => self.on_flush_ms(partition, broker),
            Due::ProduceTimeout { partition, leader } => self.on_produce_timeout(partition, leader),
            Due::Producer { producer, timer } => self.on_producer_timer(producer, timer),
            Due::Consumer { consumer, timer } => self.on_consumer_timer(consumer, timer),
        }
    }

    // ---------------------------------------------------------------- network

    /// Whether `a` can talk to `b` right now.
    pub(crate) fn link_up(&self, a: Endpoint, b: Endpoint) -> bool {
        self.endpoint_up(a) && self.endpoint_up(b) && self.reachable(a, b) && self.reachable(b, a)
    }

    fn endpoint_up(&self, endpoint: Endpoint) -> bool {
        match endpoint {
            Endpoint::Broker(b) => self.brokers[b.index()].is_running(),
            Endpoint::Producer(p) => self.producers[p.index()].is_alive(),
            Endpoint::Consumer(c) => self.consumers[c.index()].is_alive(),
        }
    }

    /// Whether `from`'s side of the network lets traffic to `to` through.
    fn reachable(&self, from: Endpoint, to: Endpoint) -> bool {
        let Endpoint::Broker(b) = from else {
            return true;
        };
        match self.brokers[b.index()].cut_off {
            None => true,
            Some(CutScope::Everyone) => false,
            Some(CutScope::Cluster | CutScope::Brokers) => !matches!(to, Endpoint::Broker(_)),
        }
    }

    /// Whether a broker can reach the controller (heartbeats, AlterPartition).
    pub(crate) fn reaches_controller(&self, broker: BrokerId) -> bool {
        let b = &self.brokers[broker.index()];
        b.is_running() && matches!(b.cut_off, None | Some(CutScope::Brokers))
    }

    /// Puts a message on the wire. Returns false if the link is down (nothing is sent).
    pub(crate) fn send(&mut self, from: Endpoint, to: Endpoint, payload: Payload) -> bool {
        if !self.link_up(from, to) {
            return false;
        }
        let at = self.delivery_time(from, to);
        self.schedule(at, Due::Deliver(Envelope { from, to, payload }));
        true
    }

    fn delivery_time(&mut self, from: Endpoint, to: Endpoint) -> Time {
        let config = &self.setup.broker;
        let jitter = config.network_jitter_ms;
        let mut at = self.now + config.network_latency_ms;
        if jitter > 0 {
            at += self.rng.next_u64() % (jitter + 1);
            let last = self.link_clock.entry((from, to)).or_insert(0);
            at = at.max(*last);
            *last = at;
        }
        at
    }

    fn deliver(&mut self, envelope: Envelope) {
        if !self.link_up(envelope.from, envelope.to) {
            return;
        }
        match (envelope.to, envelope.payload) {
            (Endpoint::Broker(leader), Payload::Fetch(request)) => {
                let Endpoint::Broker(follower) = envelope.from else {
                    return;
                };
                self.handle_fetch_request(leader, follower, &request);
            }
            (Endpoint::Broker(follower), Payload::FetchResponse(response)) => {
                let Endpoint::Broker(leader) = envelope.from else {
                    return;
                };
                self.handle_fetch_response(follower, leader, response);
            }
            (Endpoint::Broker(broker), Payload::Produce(request)) => {
                let Endpoint::Producer(producer) = envelope.from else {
                    return;
                };
                self.handle_produce_request(broker, producer, &request);
            }
            (Endpoint::Producer(producer), Payload::ProduceResponse(response)) => {
                self.on_produce_response(producer, &response);
            }
            _ => {}
        }
    }

    /// Drops every message on the wire that `lost` says will never arrive, and the work owned by
    /// `owner`'s process. Producers whose requests die with a crashed process see the connection
    /// close (`notify_disconnect`); a powered-off or cut-off broker just goes silent.
    pub(crate) fn drop_in_flight(
        &mut self,
        lost: impl Fn(&Envelope) -> bool,
        owner: Option<BrokerId>,
        notify_disconnect: bool,
    ) -> u32 {
        let mut dropped = 0u32;
        let mut disconnected = Vec::new();
        self.queue.retain(|due| match due {
            Due::Deliver(envelope) => {
                let never_arrives = lost(envelope);
                if never_arrives {
                    dropped += 1;
                    // A request or its response lost with the connection: the client sees it close.
                    match (envelope.from, envelope.to, &envelope.payload) {
                        (Endpoint::Producer(p), _, Payload::Produce(r)) => {
                            disconnected.push((p, r.request));
                        }
                        (_, Endpoint::Producer(p), Payload::ProduceResponse(r)) => {
                            disconnected.push((p, r.request));
                        }
                        _ => {}
                    }
                }
                !never_arrives
            }
            other => owner.is_none() || other.owner_broker() != owner,
        });
        if notify_disconnect {
            for (producer, request) in disconnected {
                self.notify_disconnect(producer, request);
            }
        }
        dropped
    }

    /// The client sees its connection closed: the request fails with a retriable `NetworkException`.
    pub(crate) fn notify_disconnect(&mut self, producer: ProducerId, request: u64) {
        let at = self.now + self.setup.broker.network_latency_ms;
        self.schedule(
            at,
            Due::Producer {
                producer,
                timer: ProducerTimer::Disconnected { request },
            },
        );
    }

    pub(crate) fn allocate_producer_id(&mut self) -> u32 {
        self.next_producer_id += 1;
        self.next_producer_id
    }

    pub(crate) fn allocate_request(&mut self) -> u64 {
        self.next_request += 1;
        self.next_request
    }

    // ---------------------------------------------------------------- high watermark

    /// Sets a replica's HW, keeping the checkpoint bookkeeping, and records the change.
    pub(crate) fn set_high_watermark(
        &mut self,
        partition: PartitionId,
        broker: BrokerId,
        to: Offset,
    ) {
        let interval = self
            .setup
            .broker
            .replica_high_watermark_checkpoint_interval_ms
            .max(1);
        let now = self.now;
        let Some(replica) = self.partitions[partition.index()].replica_mut(broker) else {
            return;
        };
        let from = replica.high_watermark;
        if from == to {
            return;
        }
        // The checkpoint written at the last tick holds the HW that was current then.
        if now / interval > replica.hw_changed_at / interval {
            replica.hw_at_last_tick = from;
        }
        replica.high_watermark = to;
        replica.hw_changed_at = now;
        self.emit(EventKind::HighWatermarkMoved {
            broker,
            partition,
            from,
            to,
        });
    }

    /// The HW the `replication-offset-checkpoint` file holds at this moment.
    pub(crate) fn checkpointed_high_watermark(&self, replica: &Replica) -> Offset {
        let interval = self
            .setup
            .broker
            .replica_high_watermark_checkpoint_interval_ms
            .max(1);
        if self.now / interval > replica.hw_changed_at / interval {
            replica.high_watermark
        } else {
            replica.hw_at_last_tick
        }
    }
}

fn validate(setup: &Setup) -> Result<(), SetupError> {
    if setup.brokers == 0 || usize::from(setup.brokers) > MAX_BROKERS {
        return Err(SetupError::BrokerCount {
            found: setup.brokers,
        });
    }
    if setup.topics.is_empty() {
        return Err(SetupError::Other {
            what: "the setup needs at least one topic".into(),
        });
    }
    for topic in &setup.topics {
        let fail = |what: String| {
            Err(SetupError::Topic {
                topic: topic.name.clone(),
                what,
            })
        };
        if topic.replication_factor == 0 || topic.replication_factor > setup.brokers {
            return Err(SetupError::ReplicationFactor {
                topic: topic.name.clone(),
                rf: topic.replication_factor,
                brokers: setup.brokers,
            });
        }
        if topic.partitions == 0 {
            return fail("needs at least one partition".into());
        }
        if topic.min_insync_replicas == 0 {
            return fail("min_insync_replicas must be at least 1".into());
        }
        if let Some(assignment) = &topic.assignment {
            if assignment.len() != topic.partitions as usize {
                return fail(format!(
                    "assignment lists {} partitions but the topic has {}",
                    assignment.len(),
                    topic.partitions
                ));
            }
            for replicas in assignment {
                if replicas.len() != usize::from(topic.replication_factor) {
                    return fail(format!(
                        "each assignment needs {} brokers (replication_factor), found {}",
                        topic.replication_factor,
                        replicas.len()
                    ));
                }
                for b in replicas {
                    if b.0 == 0 || b.0 > setup.brokers {
                        return fail(format!(
                            "assignment names broker {} but brokers are 1..={}",
                            b.0, setup.brokers
                        ));
                    }
                }
                if BrokerSet::of(replicas.iter().copied()).len() != replicas.len() {
                    return fail("an assignment lists the same broker twice".into());
                }
            }
        }
    }
    let names: std::collections::BTreeSet<&str> =
        setup.topics.iter().map(|t| t.name.as_str()).collect();
    if names.len() != setup.topics.len() {
        return Err(SetupError::Other {
            what: "two topics have the same name".into(),
        });
    }
    for consumer in &setup.consumers {
        if !names.contains(consumer.topic.as_str()) {
            return Err(SetupError::Other {
                what: format!(
                    "consumer `{}` subscribes to unknown topic `{}`",
                    consumer.name, consumer.topic
                ),
            });
        }
    }
    if setup
        .producers
        .iter()
        .any(|p| p.enable_idempotence == Some(true) && p.acks != super::config::Acks::All)
    {
        return Err(SetupError::Other {
            what: "enable_idempotence: Some(true) requires acks: \"all\" (Kafka throws ConfigException)".into(),
        });
    }
    Ok(())
}

/// A partition as a healthy cluster has it at time zero: the preferred replica leads in epoch 0,
/// every replica is in the ISR and every follower's fetch waits at the leader.
fn initial_partition(
    id: PartitionId,
    topic: usize,
    config: &TopicSetup,
    index: u32,
    assignment: Vec<BrokerId>,
) -> Partition {
    let leader = assignment[0];
    let isr = BrokerSet::of(assignment.iter().copied());
    let replicas = assignment
        .iter()
        .map(|&broker| {
            let mut log = Log::default();
            let role = if broker == leader {
                log.assign_epoch_start(0);
                Role::Leader(Box::new(LeaderState {
                    isr,
                    partition_epoch: 0,
                    epoch_start: 0,
                    since: 0,
                    followers: assignment
                        .iter()
                        .filter(|&&f| f != leader)
                        .map(|&f| FollowerView {
                            broker: f,
                            log_end_offset: Some(0),
                            last_fetch_time: 0,
                            last_fetch_leader_end: 0,
                            last_caught_up_time: 0,
                            parked: Some(ParkedFetch {
                                since: 0,
                                fetch_offset: 0,
                                hw_sent: 0,
                                timeout: None,
                            }),
                        })
                        .collect(),
                    delayed_produce: Vec::new(),
                    purgatory_timer: None,
                    isr_check: None,
                    alter_blocked: false,
                }))
            } else {
                Role::Follower {
                    leader: Some(leader),
                }
            };
            Replica {
                broker,
                log,
                high_watermark: 0,
                hw_at_last_tick: 0,
                hw_changed_at: 0,
                fetcher: if broker == leader {
                    Fetcher::Idle
                } else {
                    Fetcher::Fetching
                },
                role,
                leader_epoch: 0,
                flush_timer: None,
            }
        })
        .collect();
    Partition {
        id,
        topic,
        index,
        name: Arc::from(format!("{}-{}", config.name, index).as_str()),
        assignment,
        replicas,
        controller: ControllerRecord {
            leader: Some(leader),
            leader_epoch: 0,
            partition_epoch: 0,
            isr,
            recovering: false,
        },
    }
}
