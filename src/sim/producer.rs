//! The producer client, as Kafka's Java `KafkaProducer` behaves: the accumulator, the sender,
//! retries, timeouts, idempotence, and what is lost when the process dies.
//!
//! Kafka sources: `RecordAccumulator` (batches, linger, expiry), `BufferPool` (buffer.memory,
//! max.block.ms → `BufferExhaustedException`), `Sender` (in-flight limit, `canRetry`, acks=0 completes
//! on send), `KafkaProducer.doSend` (errors go to the callback and the future, `send()` returns).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use super::cluster::Partition;
use super::config::{Acks, ProducerSetup, SendMode};
use super::errors::{ErrorContext, Failure};
use super::event::{EventKind, KafkaError, MessageSpan};
use super::message::{MessageInfo, SendStatus};
use super::name::Name;
use super::types::{BrokerId, MessageId, Offset, PartitionId, ProducerId, Time};
use super::world::{Due, Endpoint, Payload, ProduceRequest, ProduceResponse, QueueKey, World};

/// Whether the producer's process is alive.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ClientState {
    Running,
    /// `kill -9`, OOM or power loss of the application's machine.
    Killed,
    /// `close()` returned.
    Closed,
}

/// Timers a producer sets for itself.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ProducerTimer {
    /// The sender thread wakes up to drain ready batches.
    Wake,
    /// The connection carrying `request` broke.
    Disconnected {
        request: u64,
    },
    /// The earliest in-flight request reaches request.timeout.ms without a response.
    RequestTimeout,
    /// The oldest batch reaches delivery.timeout.ms since its creation.
    DeliveryTimeout,
    /// The application thread blocked in `send()` for max.block.ms.
    BlockTimeout,
    /// The application's steady load produces its next message.
    Generate,
    MetadataRefresh,
}

/// A batch of records for one partition (`ProducerBatch`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProducerBatch {
    pub id: u32,
    pub partition: PartitionId,
    pub messages: Vec<MessageId>,
    /// Bytes of the buffer pool this batch holds.
    pub allocated: u64,
    pub used: u64,
    pub created_at: Time,
    pub attempts: u32,
    /// Producer id and first sequence, fixed when the batch is first sent.
    pub producer_id: Option<u32>,
    pub base_sequence: Option<u32>,
    /// No more records fit.
    pub full: bool,
    pub retry_at: Option<Time>,
    pub in_flight: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InFlightRequest {
    pub request: u64,
    pub batch: u32,
    pub broker: BrokerId,
    /// When the client gives up waiting for the response.
    pub deadline: Time,
}

/// The application thread is stuck in `send()` waiting for buffer memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockedSend {
    pub message: MessageId,
    pub since: Time,
    pub timeout: QueueKey,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Producer {
    pub id: ProducerId,
    pub name: Arc<str>,
    pub config: ProducerSetup,
    pub idempotent: bool,
    pub state: ClientState,
    /// Broker-assigned producer id (PID); a new one after every restart.
    pub producer_id: u32,
    /// The producer's metadata: who it thinks leads each partition.
    pub leaders: Vec<Option<BrokerId>>,
    pub batches: Vec<ProducerBatch>,
    pub in_flight: Vec<InFlightRequest>,
    pub buffer_used: u64,
    /// Messages the application will send once its thread is free.
    pub app_queue: VecDeque<MessageId>,
    pub blocked: Option<BlockedSend>,
    /// A synchronous `send().get()` in progress.
    pub awaiting: Option<MessageId>,
    /// `flush()` or `close()` in progress.
    pub draining: Option<Drain>,
    pub next_sequence: BTreeMap<PartitionId, u32>,
    /// The local outbox of the spool pattern: written before sending, removed on ack.
    pub spool: Vec<MessageId>,
    pub wake: Option<QueueKey>,
    pub metadata_refresh: Option<QueueKey>,
    /// One timer for the earliest batch expiry and one for the earliest request deadline, as
    /// Kafka's `Sender` checks them on each pass rather than keeping a timer per batch.
    expiry_timer: Option<QueueKey>,
    request_timer: Option<QueueKey>,
    /// Refreshes in a row that changed nothing, for exponential backoff (KIP-580).
    metadata_misses: u32,
    pub next_batch: u32,
    round_robin: u32,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Drain {
    Flush,
    Close,
}

impl Producer {
    pub fn new(
        id: ProducerId,
        config: ProducerSetup,
        producer_id: u32,
        partitions: &[Partition],
    ) -> Self {
        Producer {
            id,
            name: Arc::from(config.name.as_str()),
            idempotent: config.idempotent(),
            state: ClientState::Running,
            producer_id,
            leaders: partitions.iter().map(|p| p.controller.leader).collect(),
            batches: Vec::new(),
            in_flight: Vec::new(),
            buffer_used: 0,
            app_queue: VecDeque::new(),
            blocked: None,
            awaiting: None,
            draining: None,
            next_sequence: BTreeMap::new(),
            spool: Vec::new(),
            wake: None,
            metadata_refresh: None,
            expiry_timer: None,
            request_timer: None,
            metadata_misses: 0,
            next_batch: 1,
            round_robin: 0,
            config,
        }
    }

    pub fn is_alive(&self) -> bool {
        self.state == ClientState::Running
    }

    /// Whether the application thread cannot call `send()` right now.
    pub fn app_busy(&self) -> bool {
        self.blocked.is_some() || self.awaiting.is_some() || self.draining.is_some()
    }

    fn batch(&self, id: u32) -> Option<&ProducerBatch> {
        self.batches.iter().find(|b| b.id == id)
    }

    fn batch_mut(&mut self, id: u32) -> Option<&mut ProducerBatch> {
        self.batches.iter_mut().find(|b| b.id == id)
    }

    /// Records in the accumulator, not yet sent.
    pub fn buffered(&self) -> impl Iterator<Item = &ProducerBatch> {
        self.batches.iter().filter(|b| !b.in_flight)
    }
}

/// Why a producer command cannot be applied now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProducerError {
    #[error("producer {name} is not running")]
    NotRunning { name: String },
    #[error("producer {name} is already running")]
    AlreadyRunning { name: String },
    #[error("there is no producer #{index}")]
    NoSuchProducer { index: usize },
    #[error("partition {partition} does not exist")]
    NoSuchPartition { partition: u32 },
    #[error("there is no message #{index}")]
    NoSuchMessage { index: usize },
}

impl World {
    fn producer(&self, id: ProducerId) -> Result<&Producer, ProducerError> {
        self.producers
            .get(id.index())
            .ok_or(ProducerError::NoSuchProducer { index: id.index() })
    }

    fn running_producer(&self, id: ProducerId) -> Result<&Producer, ProducerError> {
        let producer = self.producer(id)?;
        if !producer.is_alive() {
            return Err(ProducerError::NotRunning {
                name: producer.name.to_string(),
            });
        }
        Ok(producer)
    }

    /// The application produces a message: it is registered, spooled if the application spools,
    /// and handed to `send()` as soon as the application thread is free.
    pub fn produce(
        &mut self,
        producer: ProducerId,
        name: Option<&str>,
        partition: Option<PartitionId>,
    ) -> Result<MessageId, ProducerError> {
        let spooled = self.running_producer(producer)?.config.spool;
        let partition = match partition {
            Some(partition) if partition.index() < self.partitions.len() => partition,
            Some(partition) => {
                return Err(ProducerError::NoSuchPartition {
                    partition: partition.0,
                });
            }
            None => self.next_partition(producer),
        };
        let id = MessageId(self.messages.len() as u32);
        let name = name.map_or_else(|| Name::numbered("m", u64::from(id.0) + 1), Name::new);
        self.messages.push(MessageInfo {
            id,
            name,
            producer,
            partition,
            created_at: self.now,
            status: SendStatus::Queued,
            attempts: 0,
            spooled,
            failure: None,
            errors_seen: 0,
            delivered: 0,
            processed: 0,
        });
        let p = &mut self.producers[producer.index()];
        if spooled {
            p.spool.push(id);
        }
        if p.app_busy() {
            p.app_queue.push_back(id);
            self.emit(EventKind::SendQueued {
                producer,
                message: id,
            });
        } else {
            self.send_record(producer, id);
        }
        Ok(id)
    }

    /// The application sends an earlier message again (a manual retry or a resend after a
    /// restart): the same ledger entry, a new send.
    pub fn resend(
        &mut self,
        producer: ProducerId,
        message: MessageId,
    ) -> Result<(), ProducerError> {
        self.running_producer(producer)?;
        if message.index() >= self.messages.len() {
            return Err(ProducerError::NoSuchMessage {
                index: message.index(),
            });
        }
        self.messages[message.index()].status = SendStatus::Queued;
        let p = &mut self.producers[producer.index()];
        if p.app_busy() {
            p.app_queue.push_back(message);
            self.emit(EventKind::SendQueued { producer, message });
        } else {
            self.send_record(producer, message);
        }
        Ok(())
    }

    /// The default partitioner for records without a key: round robin over the first topic.
    fn next_partition(&mut self, producer: ProducerId) -> PartitionId {
        let topic = &self.topics[0];
        let count = topic.config.partitions;
        let p = &mut self.producers[producer.index()];
        let chosen = PartitionId(topic.first_partition.0 + p.round_robin % count);
        p.round_robin += 1;
        chosen
    }

    /// `KafkaProducer.send`: append to the partition's open batch, or allocate a new batch from the
    /// buffer pool — blocking the application thread when the pool is exhausted.
    fn send_record(&mut self, producer: ProducerId, message: MessageId) {
        let now = self.now;
        let partition = self.messages[message.index()].partition;
        let p = &mut self.producers[producer.index()];
        let record_bytes = u64::from(p.config.record_bytes);
        let batch_size = u64::from(p.config.batch_size);
        let open = p
            .batches
            .iter_mut()
            .rev()
            .find(|b| b.partition == partition && !b.in_flight && b.attempts == 0 && !b.full);
        let batch_id = match open {
            Some(batch) if batch.used + record_bytes <= batch.allocated => {
                batch.messages.push(message);
                batch.used += record_bytes;
                batch.id
            }
            open => {
                if let Some(batch) = open {
                    batch.full = true;
                }
                let allocated = batch_size.max(record_bytes);
                if p.buffer_used + allocated > p.config.buffer_memory {
                    self.block_send(producer, message);
                    return;
                }
                let id = p.next_batch;
                p.next_batch += 1;
                p.buffer_used += allocated;
                p.batches.push(ProducerBatch {
                    id,
                    partition,
                    messages: vec![message],
                    allocated,
                    used: record_bytes,
                    created_at: now,
                    attempts: 0,
                    producer_id: None,
                    base_sequence: None,
                    full: false,
                    retry_at: None,
                    in_flight: false,
                });
                self.arm_expiry(producer);
                id
            }
        };
        let p = &mut self.producers[producer.index()];
        let batch = p.batch_mut(batch_id).expect("just used");
        if batch.used + record_bytes > batch.allocated {
            batch.full = true;
        }
        let batch_records = batch.messages.len() as u32;
        if p.config.send_mode == SendMode::Sync {
            p.awaiting = Some(message);
        }
        self.messages[message.index()].status = SendStatus::Buffered;
        self.emit(EventKind::SendAppended {
            producer,
            message,
            partition,
            batch_records,
        });
        self.schedule_wake(producer);
    }

    fn block_send(&mut self, producer: ProducerId, message: MessageId) {
        let p = &self.producers[producer.index()];
        let at = self.now + p.config.max_block_ms;
        let buffer_used = p.buffer_used;
        let timeout = self.producer_timer(producer, at, ProducerTimer::BlockTimeout);
        self.producers[producer.index()].blocked = Some(BlockedSend {
            message,
            since: self.now,
            timeout,
        });
        self.emit(EventKind::SendBlocked {
            producer,
            message,
            buffer_used,
        });
    }

    /// Lets the application thread continue with its queued sends while it is not busy.
    fn drive_application(&mut self, producer: ProducerId) {
        loop {
            let p = &mut self.producers[producer.index()];
            if !p.is_alive() || p.app_busy() {
                return;
            }
            let Some(next) = p.app_queue.pop_front() else {
                return;
            };
            self.send_record(producer, next);
        }
    }

    /// When a batch is ready to send (`RecordAccumulator.ready`).
    fn ready_at(p: &Producer, batch: &ProducerBatch) -> Time {
        if let Some(at) = batch.retry_at {
            return at;
        }
        if batch.full
            || p.draining.is_some()
            || p.config.acks == Acks::Zero && p.config.linger_ms == 0
        {
            return batch.created_at;
        }
        batch.created_at + p.config.linger_ms
    }

    /// Makes sure the sender wakes when the next unsent batch becomes ready. Batches that are ready
    /// but wait for a leader or a free in-flight slot are woken by metadata or responses instead.
    fn schedule_wake(&mut self, producer: ProducerId) {
        let now = self.now;
        let p = &self.producers[producer.index()];
        let next = p
            .buffered()
            .map(|b| Self::ready_at(p, b))
            .filter(|&at| at > now)
            .min();
        let Some(at) = next else { return };
        if let Some(key) = p.wake {
            if key.time <= at {
                return;
            }
            self.cancel(Some(key));
        }
        let key = self.producer_timer(producer, at, ProducerTimer::Wake);
        self.producers[producer.index()].wake = Some(key);
    }

    /// The sender thread: sends the first unsent batch of each partition once it is ready, to a
    /// leader it can connect to, within max.in.flight.requests.per.connection per broker
    /// (`Sender.sendProducerData`: only "ready" nodes are drained; unknown or unreachable leaders
    /// trigger a metadata refresh).
    fn run_sender(&mut self, producer: ProducerId) {
        let now = self.now;
        let me = Endpoint::Producer(producer);
        let mut needs_metadata = false;
        loop {
            let p = &self.producers[producer.index()];
            if !p.is_alive() {
                return;
            }
            let mut candidate = None;
            for b in partition_heads(&p.batches) {
                if Self::ready_at(p, b) > now {
                    continue;
                }
                // A retried idempotent batch waits until it is the first sequence in flight for
                // its partition (`RecordAccumulator.shouldStopDrainBatchesForPartition`).
                let overtakes = b.base_sequence.is_some_and(|seq| {
                    p.batches.iter().any(|o| {
                        o.in_flight
                            && o.partition == b.partition
                            && o.base_sequence.is_some_and(|s| s < seq)
                    })
                });
                if overtakes {
                    continue;
                }
                let Some(leader) = p.leaders[b.partition.index()] else {
                    needs_metadata = true;
                    continue;
                };
                if !self.link_up(me, Endpoint::Broker(leader)) {
                    needs_metadata = true;
                    continue;
                }
                let in_flight = p.in_flight.iter().filter(|r| r.broker == leader).count() as u32;
                if in_flight < p.config.max_in_flight_requests_per_connection {
                    candidate = Some(b.id);
                    break;
                }
            }
            let Some(batch) = candidate else { break };
            self.send_batch(producer, batch);
        }
        if needs_metadata {
            self.request_metadata_refresh(producer);
        }
        self.schedule_wake(producer);
    }

    fn send_batch(&mut self, producer: ProducerId, batch_id: u32) {
        let request = self.allocate_request();
        let p = &mut self.producers[producer.index()];
        let idempotent = p.idempotent;
        let producer_id = p.producer_id;
        let batch = p
            .batches
            .iter_mut()
            .find(|b| b.id == batch_id)
            .expect("candidate exists");
        let partition = batch.partition;
        if idempotent && batch.base_sequence.is_none() {
            let next = p.next_sequence.entry(partition).or_insert(0);
            batch.base_sequence = Some(*next);
            batch.producer_id = Some(producer_id);
            *next += batch.messages.len() as u32;
        }
        batch.attempts += 1;
        batch.in_flight = true;
        batch.retry_at = None;
        batch.full = true;
        let attempt = batch.attempts;
        let messages = batch.messages.clone();
        let idempotence = batch.producer_id.zip(batch.base_sequence);
        let leader =
            p.leaders[partition.index()].expect("only batches with a known leader are sent");
        let acks = p.config.acks;
        let timeout_ms = p.config.request_timeout_ms;
        for &m in &messages {
            let info = &mut self.messages[m.index()];
            info.status = SendStatus::InFlight;
            info.attempts += 1;
        }
        let span = MessageSpan::of(&messages).expect("batches are never empty");
        self.emit(EventKind::BatchSent {
            producer,
            broker: leader,
            partition,
            span,
            attempt,
        });
        let payload = Payload::Produce(ProduceRequest {
            request,
            partition,
            acks,
            messages,
            idempotence,
            timeout_ms,
        });
        let sent = self.send(
            Endpoint::Producer(producer),
            Endpoint::Broker(leader),
            payload,
        );
        if acks == Acks::Zero {
            // Sender: with acks=0 a batch is complete as soon as it is written to the socket.
            if sent {
                self.batch_succeeded(producer, batch_id, None);
            } else {
                let context = ErrorContext::Connection { broker: leader };
                self.batch_failed(
                    producer,
                    batch_id,
                    Failure::new(KafkaError::NetworkException, context),
                );
            }
            return;
        }
        // The client's own timer allows for the round trip, so the broker's REQUEST_TIMED_OUT
        // (DelayedProduce, same timeout) arrives first when the broker is there to send it.
        let latency = self.setup.broker.network_latency_ms + self.setup.broker.network_jitter_ms;
        let deadline = self.now + timeout_ms + 2 * latency + 1;
        self.producers[producer.index()]
            .in_flight
            .push(InFlightRequest {
                request,
                batch: batch_id,
                broker: leader,
                deadline,
            });
        self.arm_request_timer(producer);
        if !sent {
            self.notify_disconnect(producer, request);
        }
    }

    pub(crate) fn on_produce_response(&mut self, producer: ProducerId, response: &ProduceResponse) {
        let Some(request) = self.take_in_flight(producer, response.request) else {
            return;
        };
        match response.result {
            Ok(offset) => self.batch_succeeded(producer, request.batch, Some(offset)),
            Err(failure) => self.batch_failed(producer, request.batch, failure),
        }
    }

    fn take_in_flight(&mut self, producer: ProducerId, request: u64) -> Option<InFlightRequest> {
        let p = &mut self.producers[producer.index()];
        let position = p.in_flight.iter().position(|r| r.request == request)?;
        Some(p.in_flight.remove(position))
    }

    fn remove_batch(&mut self, producer: ProducerId, batch_id: u32) -> Option<ProducerBatch> {
        let p = &mut self.producers[producer.index()];
        let position = p.batches.iter().position(|b| b.id == batch_id)?;
        let batch = p.batches.remove(position);
        p.buffer_used -= batch.allocated;
        Some(batch)
    }

    fn batch_succeeded(
        &mut self,
        producer: ProducerId,
        batch_id: u32,
        base_offset: Option<Offset>,
    ) {
        let Some(batch) = self.remove_batch(producer, batch_id) else {
            return;
        };
        for (i, &m) in batch.messages.iter().enumerate() {
            let info = &mut self.messages[m.index()];
            if !info.is_acked() {
                info.status = SendStatus::Acked {
                    offset: base_offset.map(|o| o + i as u64),
                };
            }
        }
        let span = MessageSpan::of(&batch.messages).expect("batches are never empty");
        self.emit(EventKind::BatchAcked {
            producer,
            partition: batch.partition,
            span,
            offset: base_offset,
        });
        self.after_batch_done(producer, &batch.messages);
    }

    /// `Sender.completeBatch` on an error: retry while allowed (`Sender.canRetry`), else fail the
    /// records through their callbacks.
    fn batch_failed(&mut self, producer: ProducerId, batch_id: u32, failure: Failure) {
        let error = failure.error;
        let now = self.now;
        let p = &self.producers[producer.index()];
        let Some(batch) = p.batch(batch_id) else {
            return;
        };
        let span = MessageSpan::of(&batch.messages).expect("batches are never empty");
        let partition = batch.partition;
        for &m in &batch.messages {
            self.messages[m.index()].errors_seen |= error.bit();
        }
        let within_deadline = now < batch.created_at + p.config.delivery_timeout_ms;
        // KIP-360: a sequence gap is only worth retrying when one of our own earlier batches for
        // the partition is still pending and explains it; otherwise the broker lost records.
        let explained_gap = error != KafkaError::OutOfOrderSequenceNumber
            || p.batches.iter().any(|other| {
                other.partition == partition
                    && other.id != batch.id
                    && other
                        .base_sequence
                        .zip(batch.base_sequence)
                        .is_some_and(|(o, mine)| o < mine)
            });
        // `Sender.canRetry`: a batch stamped with an older producer id (the epoch was bumped since)
        // cannot be retried safely.
        let current_session = batch.producer_id.is_none_or(|id| id == p.producer_id);
        let can_retry = error.is_retriable()
            && explained_gap
            && current_session
            && batch.attempts <= p.config.retries
            && within_deadline;
        if error.invalidates_metadata() {
            self.request_metadata_refresh(producer);
        }
        if can_retry {
            let p = &mut self.producers[producer.index()];
            let exponent = p
                .batch(batch_id)
                .map_or(0, |b| b.attempts.saturating_sub(1))
                .min(16);
            let backoff =
                (p.config.retry_backoff_ms << exponent).min(p.config.retry_backoff_max_ms);
            let batch = p.batch_mut(batch_id).expect("exists");
            batch.in_flight = false;
            batch.retry_at = Some(now + backoff);
            // A retried batch goes back into its partition's queue ahead of every batch created
            // after it (`RecordAccumulator.reenqueue`, `insertInSequenceOrder`).
            let position = p
                .batches
                .iter()
                .position(|b| b.id == batch_id)
                .expect("exists");
            let batch = p.batches.remove(position);
            let messages = batch.messages.clone();
            let insert_at = p
                .batches
                .iter()
                .position(|b| b.partition == partition && !b.in_flight && b.id > batch_id)
                .unwrap_or(p.batches.len());
            p.batches.insert(insert_at, batch);
            for m in messages {
                self.messages[m.index()].status = SendStatus::Buffered;
            }
            self.emit(EventKind::BatchFailed {
                producer,
                partition,
                span,
                error,
                retry_in: Some(backoff),
            });
            // Errors the broker reported were explained where they happened; a broken connection
            // is only seen here.
            if error == KafkaError::NetworkException {
                self.emit(EventKind::Why { failure });
            }
            self.schedule_wake(producer);
            return;
        }
        let failure = if error.is_retriable() && !within_deadline {
            Failure::new(
                KafkaError::DeliveryTimeout,
                ErrorContext::Delivery {
                    timeout_ms: self.producers[producer.index()].config.delivery_timeout_ms,
                },
            )
        } else {
            failure
        };
        self.fail_batch(producer, batch_id, failure);
    }

    fn fail_batch(&mut self, producer: ProducerId, batch_id: u32, failure: Failure) {
        let error = failure.error;
        let Some(batch) = self.remove_batch(producer, batch_id) else {
            return;
        };
        for &m in &batch.messages {
            let info = &mut self.messages[m.index()];
            if !info.is_acked() {
                info.status = SendStatus::Failed { error };
                info.failure = Some(failure);
            }
        }
        let span = MessageSpan::of(&batch.messages).expect("batches are never empty");
        self.emit(EventKind::BatchFailed {
            producer,
            partition: batch.partition,
            span,
            error,
            retry_in: None,
        });
        self.emit(EventKind::Why { failure });
        let later_sequenced = self.producers[producer.index()]
            .batches
            .iter()
            .any(|b| b.partition == batch.partition && b.base_sequence.is_some());
        // A batch that was sent may be in the log: its sequence stays *unresolved* while later
        // batches of the partition are pending, and their outcome tells (`markSequenceUnresolved`).
        // Otherwise (KIP-360) the producer bumps its epoch and restarts sequences, so later
        // batches are not stuck behind the gap.
        let unresolved =
            batch.attempts > 0 && later_sequenced && error != KafkaError::OutOfOrderSequenceNumber;
        if batch.base_sequence.is_some() && !unresolved {
            let new_id = self.allocate_producer_id();
            let p = &mut self.producers[producer.index()];
            p.producer_id = new_id;
            p.next_sequence.clear();
            for b in p.batches.iter_mut().filter(|b| !b.in_flight) {
                b.base_sequence = None;
                b.producer_id = None;
            }
        }
        self.after_batch_done(producer, &batch.messages);
    }

    /// Frees the application thread if it waited on these records, unblocks a send waiting for
    /// memory, finishes a flush or close, and lets the sender continue. With a spool, the drainer
    /// sends a failed message again: it leaves the outbox only once acknowledged.
    fn after_batch_done(&mut self, producer: ProducerId, messages: &[MessageId]) {
        if !self.producers[producer.index()].spool.is_empty() {
            self.drain_spool(producer, messages);
        }
        let p = &mut self.producers[producer.index()];
        if p.awaiting.is_some_and(|m| messages.contains(&m)) {
            p.awaiting = None;
        }
        if let Some(blocked) = p.blocked.clone() {
            let allocation = u64::from(p.config.batch_size.max(p.config.record_bytes));
            if p.buffer_used + allocation <= p.config.buffer_memory {
                p.blocked = None;
                self.cancel(Some(blocked.timeout));
                self.send_record(producer, blocked.message);
            }
        }
        self.finish_drain_if_done(producer);
        self.drive_application(producer);
        self.run_sender(producer);
    }

    /// The spool's drainer: acked messages leave the outbox, failed ones are sent again.
    fn drain_spool(&mut self, producer: ProducerId, messages: &[MessageId]) {
        let (acked, failed): (Vec<MessageId>, Vec<MessageId>) = messages
            .iter()
            .partition(|m| self.messages[m.index()].is_acked());
        let p = &mut self.producers[producer.index()];
        p.spool.retain(|m| !acked.contains(m));
        let retry: Vec<MessageId> = failed.into_iter().filter(|m| p.spool.contains(m)).collect();
        p.app_queue.extend(retry.iter().copied());
        if let Some(span) = MessageSpan::of(&retry) {
            self.emit(EventKind::SpoolResends { producer, span });
        }
    }

    fn finish_drain_if_done(&mut self, producer: ProducerId) {
        let p = &mut self.producers[producer.index()];
        let Some(drain) = p.draining else { return };
        if !p.batches.is_empty() || p.blocked.is_some() {
            return;
        }
        p.draining = None;
        let closed = drain == Drain::Close;
        if closed {
            p.state = ClientState::Closed;
            self.cancel_producer_timers(producer);
        }
        self.emit(EventKind::ProducerDrained { producer, closed });
    }

    pub(crate) fn on_producer_timer(&mut self, producer: ProducerId, timer: ProducerTimer) {
        if !self.producers[producer.index()].is_alive() {
            return;
        }
        match timer {
            ProducerTimer::Wake => {
                self.producers[producer.index()].wake = None;
                self.run_sender(producer);
            }
            ProducerTimer::Disconnected { request } => {
                if let Some(taken) = self.take_in_flight(producer, request) {
                    let context = ErrorContext::Connection {
                        broker: taken.broker,
                    };
                    self.batch_failed(
                        producer,
                        taken.batch,
                        Failure::new(KafkaError::NetworkException, context),
                    );
                }
            }
            ProducerTimer::RequestTimeout => self.expire_requests(producer),
            ProducerTimer::DeliveryTimeout => self.expire_batches(producer),
            ProducerTimer::BlockTimeout => {
                let Some(blocked) = self.producers[producer.index()].blocked.take() else {
                    return;
                };
                let error = KafkaError::BufferExhausted;
                let config = &self.producers[producer.index()].config;
                let failure = Failure::new(
                    error,
                    ErrorContext::Buffer {
                        total: config.buffer_memory,
                        waited_ms: config.max_block_ms,
                    },
                );
                self.messages[blocked.message.index()].status = SendStatus::Failed { error };
                self.messages[blocked.message.index()].failure = Some(failure);
                if self.producers[producer.index()]
                    .spool
                    .contains(&blocked.message)
                {
                    // The spool's drainer will try again.
                    self.producers[producer.index()]
                        .app_queue
                        .push_back(blocked.message);
                }
                self.emit(EventKind::SendFailed {
                    producer,
                    message: blocked.message,
                    error,
                });
                self.emit(EventKind::Why { failure });
                self.finish_drain_if_done(producer);
                self.drive_application(producer);
            }
            ProducerTimer::Generate => {
                let _ = self.produce(producer, None, None);
                self.arm_load(producer);
            }
            ProducerTimer::MetadataRefresh => {
                self.producers[producer.index()].metadata_refresh = None;
                self.refresh_metadata(producer);
            }
        }
    }

    /// Keeps one timer at the oldest batch's delivery deadline.
    fn arm_expiry(&mut self, producer: ProducerId) {
        let p = &self.producers[producer.index()];
        if p.expiry_timer.is_some() {
            return;
        }
        let Some(oldest) = p.batches.iter().map(|b| b.created_at).min() else {
            return;
        };
        let at = oldest + p.config.delivery_timeout_ms;
        let key = self.producer_timer(producer, at, ProducerTimer::DeliveryTimeout);
        self.producers[producer.index()].expiry_timer = Some(key);
    }

    /// `RecordAccumulator.expiredBatches` / `Sender.getExpiredInflightBatches`: every batch past
    /// delivery.timeout.ms fails, in the accumulator or in flight.
    fn expire_batches(&mut self, producer: ProducerId) {
        let now = self.now;
        let p = &mut self.producers[producer.index()];
        p.expiry_timer = None;
        let limit = p.config.delivery_timeout_ms;
        let expired: Vec<u32> = p
            .batches
            .iter()
            .filter(|b| b.created_at + limit <= now)
            .map(|b| b.id)
            .collect();
        for batch in expired {
            let request = self.producers[producer.index()]
                .in_flight
                .iter()
                .find(|r| r.batch == batch)
                .map(|r| r.request);
            if let Some(request) = request {
                self.take_in_flight(producer, request);
            }
            let timeout_ms = self.producers[producer.index()].config.delivery_timeout_ms;
            self.fail_batch(
                producer,
                batch,
                Failure::new(
                    KafkaError::DeliveryTimeout,
                    ErrorContext::Delivery { timeout_ms },
                ),
            );
        }
        self.arm_expiry(producer);
    }

    fn producer_timer(&mut self, producer: ProducerId, at: Time, timer: ProducerTimer) -> QueueKey {
        self.schedule(at, Due::Producer { producer, timer })
    }

    /// Keeps one timer at the earliest in-flight request's deadline.
    fn arm_request_timer(&mut self, producer: ProducerId) {
        let p = &self.producers[producer.index()];
        if p.request_timer.is_some() {
            return;
        }
        let Some(at) = p.in_flight.iter().map(|r| r.deadline).min() else {
            return;
        };
        let key = self.producer_timer(producer, at, ProducerTimer::RequestTimeout);
        self.producers[producer.index()].request_timer = Some(key);
    }

    /// Requests without a response past request.timeout.ms: the client drops the connection and
    /// the batch fails with a retriable network error.
    fn expire_requests(&mut self, producer: ProducerId) {
        let now = self.now;
        let p = &mut self.producers[producer.index()];
        p.request_timer = None;
        let expired: Vec<u64> = p
            .in_flight
            .iter()
            .filter(|r| r.deadline <= now)
            .map(|r| r.request)
            .collect();
        for request in expired {
            if let Some(taken) = self.take_in_flight(producer, request) {
                let context = ErrorContext::Connection {
                    broker: taken.broker,
                };
                self.batch_failed(
                    producer,
                    taken.batch,
                    Failure::new(KafkaError::NetworkException, context),
                );
            }
        }
        self.arm_request_timer(producer);
    }

    /// Schedules the next message of a producer with a steady load (`send_every_ms`).
    pub(crate) fn arm_load(&mut self, producer: ProducerId) {
        if let Some(every) = self.producers[producer.index()].config.send_every_ms {
            let at = self.now + every.max(1);
            self.producer_timer(producer, at, ProducerTimer::Generate);
        }
    }

    /// Asks for fresh metadata after `retry.backoff.ms`.
    pub(crate) fn request_metadata_refresh(&mut self, producer: ProducerId) {
        let p = &self.producers[producer.index()];
        if p.metadata_refresh.is_some() || !p.is_alive() {
            return;
        }
        let backoff = (p.config.retry_backoff_ms << p.metadata_misses.min(16))
            .min(p.config.retry_backoff_max_ms);
        let at = self.now + backoff;
        let key = self.producer_timer(producer, at, ProducerTimer::MetadataRefresh);
        self.producers[producer.index()].metadata_refresh = Some(key);
    }

    /// A metadata response: from any reachable broker that hears the controller, the controller's
    /// leaders; from a broker cut off from the cluster, only its own stale belief.
    fn refresh_metadata(&mut self, producer: ProducerId) {
        let me = Endpoint::Producer(producer);
        let reachable: Vec<BrokerId> = self
            .brokers
            .iter()
            .map(|b| b.id)
            .filter(|&b| self.link_up(me, Endpoint::Broker(b)))
            .collect();
        if reachable.is_empty() {
            // No broker answers the metadata request: the client keeps its old view.
            self.producers[producer.index()].metadata_misses += 1;
            self.run_sender(producer);
            return;
        }
        let informed = reachable.iter().any(|&b| self.reaches_controller(b));
        let mut changed = Vec::new();
        for partition in &self.partitions {
            let leader = if informed {
                partition.controller.leader
            } else {
                reachable
                    .iter()
                    .copied()
                    .find(|&b| partition.replica(b).is_some_and(|r| r.role.is_leader()))
            };
            if self.producers[producer.index()].leaders[partition.id.index()] != leader {
                changed.push((partition.id, leader));
            }
        }
        let p = &mut self.producers[producer.index()];
        p.metadata_misses = if changed.is_empty() {
            p.metadata_misses + 1
        } else {
            0
        };
        for (partition, leader) in changed {
            self.producers[producer.index()].leaders[partition.index()] = leader;
            self.emit(EventKind::MetadataUpdated {
                producer,
                partition,
                leader,
            });
        }
        self.run_sender(producer);
    }

    /// `flush()` (or `close()`): every buffered record is sent now and the application waits
    /// until all of them are acknowledged or failed.
    pub fn flush_producer(
        &mut self,
        producer: ProducerId,
        close: bool,
    ) -> Result<(), ProducerError> {
        self.running_producer(producer)?;
        let p = &mut self.producers[producer.index()];
        p.draining = Some(if close { Drain::Close } else { Drain::Flush });
        self.emit(EventKind::ProducerFlushing {
            producer,
            closing: close,
        });
        self.finish_drain_if_done(producer);
        self.run_sender(producer);
        Ok(())
    }

    /// The application process dies: the accumulator is gone, requests in flight are in doubt.
    pub fn kill_producer(&mut self, producer: ProducerId) -> Result<(), ProducerError> {
        self.running_producer(producer)?;
        let p = &mut self.producers[producer.index()];
        p.state = ClientState::Killed;
        let mut unsent: Vec<MessageId> = p
            .buffered()
            .flat_map(|b| b.messages.iter().copied())
            .collect();
        unsent.extend(p.app_queue.drain(..));
        unsent.extend(p.blocked.take().map(|b| b.message));
        let in_flight: Vec<MessageId> = p
            .batches
            .iter()
            .filter(|b| b.in_flight)
            .flat_map(|b| b.messages.iter().copied())
            .collect();
        p.batches.clear();
        p.in_flight.clear();
        p.buffer_used = 0;
        p.awaiting = None;
        p.draining = None;
        for &m in &unsent {
            self.messages[m.index()].status = SendStatus::LostInBuffer;
        }
        for &m in &in_flight {
            self.messages[m.index()].status = SendStatus::Abandoned;
        }
        self.cancel_producer_timers(producer);
        self.emit(EventKind::ProducerKilled {
            producer,
            unsent: unsent.len() as u32,
            in_flight: in_flight.len() as u32,
        });
        Ok(())
    }

    fn cancel_producer_timers(&mut self, producer: ProducerId) {
        self.queue
            .retain(|due| !matches!(due, Due::Producer { producer: p, .. } if *p == producer));
        let p = &mut self.producers[producer.index()];
        p.wake = None;
        p.metadata_refresh = None;
        p.expiry_timer = None;
        p.request_timer = None;
    }

    /// A new producer process starts: a new producer id (idempotence only dedupes within one
    /// session), fresh metadata, and — with a spool — every spooled message not yet acked is sent again.
    pub fn restart_producer(&mut self, producer: ProducerId) -> Result<(), ProducerError> {
        let p = self.producer(producer)?;
        if p.is_alive() {
            return Err(ProducerError::AlreadyRunning {
                name: p.name.to_string(),
            });
        }
        let producer_id = self.allocate_producer_id();
        let p = &mut self.producers[producer.index()];
        p.state = ClientState::Running;
        p.producer_id = producer_id;
        p.next_sequence.clear();
        let spooled: Vec<MessageId> = std::mem::take(&mut p.spool);
        let resent = spooled.len() as u32;
        self.arm_load(producer);
        self.emit(EventKind::ProducerStarted {
            producer,
            producer_id,
            resent,
        });
        self.refresh_metadata(producer);
        for message in spooled {
            self.producers[producer.index()].spool.push(message);
            if self.producers[producer.index()].app_busy() {
                self.producers[producer.index()]
                    .app_queue
                    .push_back(message);
            } else {
                self.send_record(producer, message);
            }
        }
        Ok(())
    }
}

/// The batches the sender may drain: the oldest unsent batch of each partition, in order
/// (`RecordAccumulator.drain` only ever takes the first batch of a partition's deque).
fn partition_heads(batches: &[ProducerBatch]) -> impl Iterator<Item = &ProducerBatch> {
    // Partitions whose head was already passed, hashed into 256 bits: a clear bit proves this is
    // the first unsent batch of its partition; only a set bit needs the exact look back.
    let mut passed = [0u64; 4];
    batches.iter().enumerate().filter_map(move |(i, b)| {
        if b.in_flight {
            return None;
        }
        let bit = b.partition.index() % 256;
        let (word, mask) = (bit / 64, 1u64 << (bit % 64));
        let maybe_passed = passed[word] & mask != 0;
        passed[word] |= mask;
        let head = !maybe_passed
            || batches[..i]
                .iter()
                .all(|o| o.partition != b.partition || o.in_flight);
        head.then_some(b)
    })
}
