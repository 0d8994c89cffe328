//! Produce requests at the leader: the acks rules, `min.insync.replicas`, idempotent dedupe and the
//! acks=all purgatory.
//!
//! Kafka sources: `Partition.appendRecordsToLeader` (NOT_ENOUGH_REPLICAS before append),
//! `ReplicaManager.delayedProduceRequestRequired` (only acks=all waits), `DelayedProduce`
//! (REQUEST_TIMED_OUT), `Partition.checkEnoughReplicasReachOffset` (NOT_ENOUGH_REPLICAS_AFTER_APPEND),
//! `UnifiedLog.analyzeAndValidateProducerState` / `ProducerAppendInfo` (duplicates, sequence gaps).

use super::cluster::DelayedProduce;
use super::config::Acks;
use super::errors::{ErrorContext, Failure};
use super::event::{EventKind, KafkaError, MessageSpan};
use super::log::{ProducerStamp, Record};
use super::types::{BrokerId, Offset, PartitionId, ProducerId};
use super::world::{Due, ProduceRequest, World};

impl World {
    pub(crate) fn handle_produce_request(
        &mut self,
        broker: BrokerId,
        producer: ProducerId,
        request: &ProduceRequest,
    ) {
        let partition = request.partition;
        match self.append_as_leader(broker, producer, request) {
            Err(failure) => {
                self.emit(EventKind::ProduceRejected {
                    broker,
                    partition,
                    producer,
                    error: failure.error,
                });
                self.emit(EventKind::Why { failure });
                if request.acks == Acks::Zero {
                    // KafkaApis: with acks=0 there is no response; the broker closes the connection
                    // so that the client refreshes its metadata. The record is simply gone.
                    self.notify_connection_closed(producer);
                } else {
                    self.answer_producer(
                        broker,
                        producer,
                        request.request,
                        partition,
                        Err(failure),
                    );
                }
            }
            Ok((first_offset, last_offset)) => {
                match request.acks {
                    Acks::Zero => {}
                    Acks::One => self.answer_producer(
                        broker,
                        producer,
                        request.request,
                        partition,
                        Ok(first_offset),
                    ),
                    Acks::All => {
                        self.wait_for_isr(broker, producer, request, first_offset, last_offset);
                    }
                }
                // Followers waiting at this leader get the new records now.
                self.complete_parked_fetches(partition, broker);
                self.arm_isr_check(partition, broker);
            }
        }
    }

    /// Appends a batch to the leader's log, or says why not. Returns the batch's offsets.
    fn append_as_leader(
        &mut self,
        broker: BrokerId,
        producer: ProducerId,
        request: &ProduceRequest,
    ) -> Result<(Offset, Offset), Failure> {
        let partition = request.partition;
        let min_isr = self.effective_min_isr(partition);
        let now = self.now;
        let not_leader = Failure::new(
            KafkaError::NotLeaderOrFollower,
            ErrorContext::NotLeader {
                partition,
                broker,
                leader: self.partitions[partition.index()].controller.leader,
            },
        );
        let replica = self.partitions[partition.index()]
            .replica(broker)
            .ok_or(not_leader)?;
        let state = replica.role.leader_state().ok_or(not_leader)?;
        if request.acks == Acks::All && state.isr.len() < min_isr {
            let context = ErrorContext::Isr {
                partition,
                isr: state.isr,
                min_isr: min_isr as u16,
            };
            return Err(Failure::new(KafkaError::NotEnoughReplicas, context));
        }
        let count = request.messages.len() as u32;
        if let Some((producer_id, first_sequence)) = request.idempotence {
            let last_sequence = first_sequence + count.saturating_sub(1);
            if let Some(batch) =
                replica
                    .log
                    .find_duplicate_batch(producer_id, first_sequence, last_sequence)
            {
                // A retry of a batch already in the log: not appended again, original offsets returned.
                self.emit(EventKind::DuplicateBatch {
                    leader: broker,
                    partition,
                    producer,
                    first_offset: batch.first_offset,
                });
                return Ok((batch.first_offset, batch.last_offset));
            }
            if let Some(last) = replica.log.last_sequence(producer_id)
                && first_sequence != last.wrapping_add(1)
            {
                let context = ErrorContext::Sequence {
                    partition,
                    expected: last.wrapping_add(1),
                    got: first_sequence,
                };
                return Err(Failure::new(KafkaError::OutOfOrderSequenceNumber, context));
            }
        }
        let epoch = replica.leader_epoch;
        let replica = self.partitions[partition.index()]
            .replica_mut(broker)
            .expect("checked");
        let first_offset = replica.log.end_offset();
        for (i, &message) in request.messages.iter().enumerate() {
            replica.log.append(Record {
                epoch,
                message,
                stamp: request
                    .idempotence
                    .map(|(producer_id, first)| ProducerStamp {
                        producer_id,
                        sequence: first + i as u32,
                    }),
                batch_start: i == 0,
                appended_at: now,
            });
        }
        let last_offset = first_offset + u64::from(count) - 1;
        self.emit(EventKind::Appended {
            leader: broker,
            partition,
            producer,
            span: MessageSpan::of(&request.messages).expect("batches are never empty"),
            first_offset,
            acks: request.acks,
        });
        self.after_append(partition, broker);
        // With the ISR down to the leader alone the HW moves at once.
        self.maybe_advance_high_watermark(partition, broker);
        Ok((first_offset, last_offset))
    }

    /// acks=all: answer now if the HW already covers the batch, else park it in the purgatory.
    fn wait_for_isr(
        &mut self,
        broker: BrokerId,
        producer: ProducerId,
        request: &ProduceRequest,
        first_offset: Offset,
        last_offset: Offset,
    ) {
        let partition = request.partition;
        let hw = self.partitions[partition.index()]
            .replica(broker)
            .map_or(0, |r| r.high_watermark);
        if hw > last_offset {
            let result = self
                .enough_replicas(partition, broker)
                .map(|()| first_offset);
            self.answer_producer(broker, producer, request.request, partition, result);
            return;
        }
        let deadline = self.now + request.timeout_ms;
        if let Some(state) = self.partitions[partition.index()]
            .replica_mut(broker)
            .and_then(|r| r.role.leader_state_mut())
        {
            state.delayed_produce.push(DelayedProduce {
                producer,
                request: request.request,
                first_offset,
                last_offset,
                deadline,
                timeout_ms: u32::try_from(request.timeout_ms).unwrap_or(u32::MAX),
            });
        }
        self.arm_purgatory(partition, broker);
    }

    /// One timer per leader at the earliest deadline of its waiting acks=all requests.
    fn arm_purgatory(&mut self, partition: PartitionId, leader: BrokerId) {
        let Some(state) = self.partitions[partition.index()]
            .replica(leader)
            .and_then(|r| r.role.leader_state())
        else {
            return;
        };
        if state.purgatory_timer.is_some() {
            return;
        }
        let Some(at) = state.delayed_produce.iter().map(|d| d.deadline).min() else {
            return;
        };
        let key = self.schedule(at, Due::ProduceTimeout { partition, leader });
        if let Some(state) = self.partitions[partition.index()]
            .replica_mut(leader)
            .and_then(|r| r.role.leader_state_mut())
        {
            state.purgatory_timer = Some(key);
        }
    }

    /// `checkEnoughReplicasReachOffset`: once the HW covers a record, the answer is success only if
    /// the ISR still has min.insync.replicas members.
    fn enough_replicas(&self, partition: PartitionId, leader: BrokerId) -> Result<(), Failure> {
        let isr = self.partitions[partition.index()]
            .replica(leader)
            .and_then(|r| r.role.leader_state())
            .map_or(crate::sim::BrokerSet::EMPTY, |s| s.isr);
        let min_isr = self.effective_min_isr(partition);
        if isr.len() >= min_isr {
            Ok(())
        } else {
            let context = ErrorContext::Isr {
                partition,
                isr,
                min_isr: min_isr as u16,
            };
            Err(Failure::new(
                KafkaError::NotEnoughReplicasAfterAppend,
                context,
            ))
        }
    }

    /// Answers every waiting acks=all request the HW now covers.
    pub(crate) fn complete_delayed_produce(&mut self, partition: PartitionId, leader: BrokerId) {
        let verdict = self.enough_replicas(partition, leader);
        while let Some(request) = self.take_covered_produce(partition, leader) {
            let result = verdict.map(|()| request.first_offset);
            self.emit(EventKind::ProduceCompleted {
                leader,
                partition,
                producer: request.producer,
                error: result.err().map(|f| f.error),
            });
            if let Err(failure) = result {
                self.emit(EventKind::Why { failure });
            }
            self.answer_producer(leader, request.producer, request.request, partition, result);
        }
    }

    /// The first waiting request the leader's HW now covers, taken off the waiting list.
    fn take_covered_produce(
        &mut self,
        partition: PartitionId,
        leader: BrokerId,
    ) -> Option<DelayedProduce> {
        let replica = self.partitions[partition.index()].replica_mut(leader)?;
        let hw = replica.high_watermark;
        let waiting = &mut replica.role.leader_state_mut()?.delayed_produce;
        let covered = waiting.iter().position(|d| d.last_offset < hw)?;
        Some(waiting.remove(covered))
    }

    /// `DelayedProduce.onExpiration`: the HW did not reach these batches within their timeout.
    pub(crate) fn on_produce_timeout(&mut self, partition: PartitionId, leader: BrokerId) {
        let now = self.now;
        let Some(state) = self.partitions[partition.index()]
            .replica_mut(leader)
            .and_then(|r| r.role.leader_state_mut())
        else {
            return;
        };
        state.purgatory_timer = None;
        let expired: Vec<DelayedProduce> = state
            .delayed_produce
            .extract_if(.., |d| d.deadline <= now)
            .collect();
        let replica = self.partitions[partition.index()]
            .replica(leader)
            .expect("leader exists");
        let hw = replica.high_watermark;
        let isr = replica
            .role
            .leader_state()
            .map_or(crate::sim::BrokerSet::EMPTY, |s| s.isr);
        for request in expired {
            let context = ErrorContext::HwStuck {
                partition,
                hw,
                needed: request.last_offset + 1,
                isr,
                timeout_ms: request.timeout_ms,
            };
            let failure = Failure::new(KafkaError::RequestTimedOut, context);
            self.emit(EventKind::ProduceCompleted {
                leader,
                partition,
                producer: request.producer,
                error: Some(failure.error),
            });
            self.emit(EventKind::Why { failure });
            self.answer_producer(
                leader,
                request.producer,
                request.request,
                partition,
                Err(failure),
            );
        }
        self.arm_purgatory(partition, leader);
    }

    /// The broker closed the connection (acks=0 error path): the client refreshes its metadata.
    fn notify_connection_closed(&mut self, producer: ProducerId) {
        self.request_metadata_refresh(producer);
    }
}
