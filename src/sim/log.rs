//! A replica's log: records, the durable prefix, the leader-epoch cache and idempotent-producer state.

use super::chunked::Chunked;
use super::types::{Epoch, MessageId, Offset, Time};

/// The producer id and sequence number an idempotent producer stamps on a record.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ProducerStamp {
    pub producer_id: u32,
    pub sequence: u32,
}

/// One record in a log. Its offset is its index in the log (logs start at offset 0 and have no gaps here).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Leader epoch in which the record was first appended (the batch's `partitionLeaderEpoch`).
    pub epoch: Epoch,
    pub message: MessageId,
    pub stamp: Option<ProducerStamp>,
    /// Whether this record starts a producer batch; batches are what idempotence deduplicates.
    pub batch_start: bool,
    /// When this replica wrote it into its page cache (drives OS write-back).
    pub appended_at: Time,
}

/// Metadata of one of the last batches of a producer, as `ProducerStateEntry` keeps it.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchMeta {
    pub first_sequence: u32,
    pub last_sequence: u32,
    pub first_offset: Offset,
    pub last_offset: Offset,
}

/// `ProducerStateEntry.NUM_BATCHES_TO_RETAIN`: the broker remembers this many batches per producer.
pub const BATCHES_RETAINED_PER_PRODUCER: usize = 5;

/// The last batches of one producer id, oldest first, in a fixed window (no allocation, so
/// checkpoints of many replicas stay small).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct ProducerEntry {
    producer_id: u32,
    count: usize,
    batches: [BatchMeta; BATCHES_RETAINED_PER_PRODUCER],
}

impl ProducerEntry {
    fn retained(&self) -> &[BatchMeta] {
        &self.batches[..self.count]
    }

    fn push(&mut self, batch: BatchMeta) {
        if self.count == BATCHES_RETAINED_PER_PRODUCER {
            self.batches.rotate_left(1);
            self.batches[BATCHES_RETAINED_PER_PRODUCER - 1] = batch;
        } else {
            self.batches[self.count] = batch;
            self.count += 1;
        }
    }
}

/// What a replica knows of a record it no longer has: shown struck-out so losses stay visible.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Ghost {
    pub offset: Offset,
    pub record: Record,
    pub cause: GhostCause,
    pub at: Time,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum GhostCause {
    /// Removed by truncation when the replica followed a leader whose log differs.
    Truncated,
    /// Gone with the page cache when the machine lost power before write-back.
    PowerLoss,
}

/// A replica's log. Cloning is cheap enough for checkpoints at lesson scale.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Log {
    records: Chunked<Record>,
    /// Records below this offset are on disk; the rest live only in the OS page cache.
    durable_end: Offset,
    /// The offset up to which Kafka itself has fsync'd (`recoveryPoint`).
    recovery_point: Offset,
    /// Leader-epoch cache (`LeaderEpochFileCache`): (epoch, start offset), ascending.
    epochs: Vec<(Epoch, Offset)>,
    /// Last batches per producer id, rebuilt from the log after truncation like Kafka's snapshots.
    producers: Vec<ProducerEntry>,
    ghosts: Vec<Ghost>,
}

impl Log {
    /// Log end offset: the offset the next record will get.
    pub fn end_offset(&self) -> Offset {
        self.records.len() as Offset
    }

    pub fn records(&self) -> &Chunked<Record> {
        &self.records
    }

    pub fn record(&self, offset: Offset) -> Option<&Record> {
        self.records.get(offset as usize)
    }

    pub fn durable_end(&self) -> Offset {
        self.durable_end
    }

    pub fn recovery_point(&self) -> Offset {
        self.recovery_point
    }

    pub fn is_durable(&self, offset: Offset) -> bool {
        offset < self.durable_end
    }

    pub fn ghosts(&self) -> &[Ghost] {
        &self.ghosts
    }

    pub fn epoch_entries(&self) -> &[(Epoch, Offset)] {
        &self.epochs
    }

    /// Epoch of the last record, used as `lastFetchedEpoch` in fetch requests.
    pub fn last_record_epoch(&self) -> Option<Epoch> {
        self.records.last().map(|r| r.epoch)
    }

    /// Latest epoch in the epoch cache (may be newer than any record after an election).
    pub fn latest_epoch(&self) -> Option<Epoch> {
        self.epochs.last().map(|&(e, _)| e)
    }

    /// Start offset of `epoch` in the cache, if this replica knows the epoch.
    pub fn epoch_start(&self, epoch: Epoch) -> Option<Offset> {
        self.epochs
            .iter()
            .find(|&&(e, _)| e == epoch)
            .map(|&(_, o)| o)
    }

    /// `LeaderEpochFileCache.endOffsetFor`: for `requested`, the largest known epoch ≤ it and that
    /// epoch's end offset (the start of the next epoch, or the LEO for the latest one). KIP-279.
    pub fn end_offset_for_epoch(&self, requested: Epoch) -> Option<(Epoch, Offset)> {
        let position = self.epochs.iter().rposition(|&(e, _)| e <= requested)?;
        let (epoch, _) = self.epochs[position];
        let end = self
            .epochs
            .get(position + 1)
            .map_or(self.end_offset(), |&(_, start)| start);
        Some((epoch, end))
    }

    /// A new leader caches its epoch at its current LEO even before appending (KAFKA-7415).
    pub fn assign_epoch_start(&mut self, epoch: Epoch) {
        let start = self.end_offset();
        if self.latest_epoch().is_none_or(|latest| epoch > latest) {
            self.epochs.push((epoch, start));
        }
    }

    /// Appends a record; returns its offset.
    pub fn append(&mut self, record: Record) -> Offset {
        let offset = self.end_offset();
        if self
            .latest_epoch()
            .is_none_or(|latest| record.epoch > latest)
        {
            self.epochs.push((record.epoch, offset));
        }
        self.records.push(record);
        self.note_producer_record(offset);
        offset
    }

    /// Idempotent-producer bookkeeping for the record just appended at `offset`.
    fn note_producer_record(&mut self, offset: Offset) {
        let record = self.records[offset as usize];
        let Some(stamp) = record.stamp else { return };
        let index = if let Some(index) = self
            .producers
            .iter()
            .position(|e| e.producer_id == stamp.producer_id)
        {
            index
        } else {
            self.producers.push(ProducerEntry {
                producer_id: stamp.producer_id,
                count: 0,
                batches: [BatchMeta::default(); BATCHES_RETAINED_PER_PRODUCER],
            });
            self.producers.len() - 1
        };
        let entry = &mut self.producers[index];
        match entry
            .count
            .checked_sub(1)
            .map(|last| &mut entry.batches[last])
        {
            Some(last) if !record.batch_start && last.last_offset + 1 == offset => {
                last.last_offset = offset;
                last.last_sequence = stamp.sequence;
            }
            _ => entry.push(BatchMeta {
                first_sequence: stamp.sequence,
                last_sequence: stamp.sequence,
                first_offset: offset,
                last_offset: offset,
            }),
        }
    }

    fn producer(&self, producer_id: u32) -> Option<&ProducerEntry> {
        self.producers.iter().find(|e| e.producer_id == producer_id)
    }

    /// The retained batch of `producer_id` with exactly this sequence range, if any (a duplicate).
    pub fn find_duplicate_batch(
        &self,
        producer_id: u32,
        first: u32,
        last: u32,
    ) -> Option<BatchMeta> {
        self.producer(producer_id)?
            .retained()
            .iter()
            .find(|b| b.first_sequence == first && b.last_sequence == last)
            .copied()
    }

    /// Last sequence number this replica has seen from `producer_id`, if it remembers the producer.
    pub fn last_sequence(&self, producer_id: u32) -> Option<u32> {
        self.producer(producer_id)?
            .retained()
            .last()
            .map(|b| b.last_sequence)
    }

    /// Removes every record at or above `offset`; the removed records become ghosts.
    /// Returns how many records were removed.
    pub fn truncate_to(&mut self, offset: Offset, cause: GhostCause, now: Time) -> u64 {
        let keep = (offset as usize).min(self.records.len());
        let removed = self.records.len() - keep;
        if removed == 0 {
            return 0;
        }
        for (i, record) in self.records.range(keep, keep + removed).enumerate() {
            self.ghosts.push(Ghost {
                offset: (keep + i) as Offset,
                record: *record,
                cause,
                at: now,
            });
        }
        self.records.truncate(keep);
        let end = self.end_offset();
        self.durable_end = self.durable_end.min(end);
        self.recovery_point = self.recovery_point.min(end);
        // `LeaderEpochFileCache.truncateFromEnd`: entries starting at or after the new end go.
        self.epochs.retain(|&(_, start)| start < end);
        self.rebuild_producer_state();
        removed as u64
    }

    fn rebuild_producer_state(&mut self) {
        self.producers.clear();
        for offset in 0..self.end_offset() {
            self.note_producer_record(offset);
        }
    }

    /// fsync: everything in the page cache is now on disk, and Kafka knows it.
    /// Returns the previous durable end.
    pub fn fsync(&mut self) -> Offset {
        let before = self.durable_end;
        self.durable_end = self.end_offset();
        self.recovery_point = self.end_offset();
        before
    }

    /// The OS wrote back dirty pages older than `older_than`: they are durable, but Kafka's recovery
    /// point does not move (Kafka did not fsync). Returns the new durable end if it moved.
    pub fn write_back(&mut self, older_than: Time) -> Option<Offset> {
        let mut end = self.durable_end;
        while let Some(record) = self.records.get(end as usize) {
            if record.appended_at > older_than {
                break;
            }
            end += 1;
        }
        (end > self.durable_end).then(|| {
            self.durable_end = end;
            end
        })
    }

    /// Append time of the oldest record still only in the page cache.
    pub fn oldest_dirty_since(&self) -> Option<Time> {
        self.records
            .get(self.durable_end as usize)
            .map(|r| r.appended_at)
    }

    /// Number of records not yet fsync'd by Kafka (for `flush.messages`).
    pub fn unflushed_count(&self) -> u64 {
        self.end_offset() - self.recovery_point
    }

    /// Power is gone: the page cache is lost, only the durable prefix remains.
    /// Returns how many records were lost.
    pub fn lose_page_cache(&mut self, now: Time) -> u64 {
        self.truncate_to(self.durable_end, GhostCause::PowerLoss, now)
    }

    /// Log recovery after an unclean shutdown (`LogLoader`): every intact batch past the recovery
    /// point is kept, so the recovery point moves to the end. Torn batches are not modelled.
    pub fn recover(&mut self) -> (Offset, Offset) {
        let scanned = (self.recovery_point, self.end_offset());
        self.recovery_point = self.end_offset();
        scanned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(epoch: Epoch, message: u32, at: Time) -> Record {
        Record {
            epoch,
            message: MessageId(message),
            stamp: None,
            batch_start: true,
            appended_at: at,
        }
    }

    #[test]
    fn end_offset_for_epoch_follows_kip_279() {
        let mut log = Log::default();
        log.append(record(0, 1, 0));
        log.append(record(0, 2, 0));
        log.append(record(2, 3, 0));
        // Epoch 0 ends where epoch 2 starts; epoch 1 was never seen, so the answer is epoch 0's end.
        assert_eq!(log.end_offset_for_epoch(0), Some((0, 2)));
        assert_eq!(log.end_offset_for_epoch(1), Some((0, 2)));
        assert_eq!(log.end_offset_for_epoch(2), Some((2, 3)));
        assert_eq!(log.end_offset_for_epoch(7), Some((2, 3)));
    }

    #[test]
    fn truncation_keeps_ghosts_and_drops_later_epochs() {
        let mut log = Log::default();
        log.append(record(0, 1, 0));
        log.append(record(1, 2, 0));
        assert_eq!(log.truncate_to(1, GhostCause::Truncated, 9), 1);
        assert_eq!(log.end_offset(), 1);
        assert_eq!(log.epoch_entries(), &[(0, 0)]);
        assert_eq!(log.ghosts()[0].record.message, MessageId(2));
        assert_eq!(log.ghosts()[0].offset, 1);
    }

    #[test]
    fn power_loss_keeps_only_what_was_written_back() {
        let mut log = Log::default();
        log.append(record(0, 1, 0));
        log.append(record(0, 2, 10_000));
        log.append(record(0, 3, 20_000));
        assert_eq!(log.write_back(10_000), Some(2));
        assert_eq!(
            log.recovery_point(),
            0,
            "OS write-back does not move Kafka's recovery point"
        );
        assert_eq!(log.lose_page_cache(25_000), 1);
        assert_eq!(log.end_offset(), 2);
    }

    #[test]
    fn producer_state_remembers_five_batches_and_survives_rebuild() {
        let mut log = Log::default();
        for seq in 0..7u32 {
            let mut r = record(0, seq, 0);
            r.stamp = Some(ProducerStamp {
                producer_id: 9,
                sequence: seq,
            });
            log.append(r);
        }
        assert!(
            log.find_duplicate_batch(9, 1, 1).is_none(),
            "batch 1 fell out of the window"
        );
        assert_eq!(
            log.find_duplicate_batch(9, 6, 6).map(|b| b.first_offset),
            Some(6)
        );
        log.truncate_to(6, GhostCause::Truncated, 0);
        assert_eq!(log.last_sequence(9), Some(5));
        assert!(log.find_duplicate_batch(9, 6, 6).is_none());
    }
}
