//! A fingerprint of the world for the explorer's state deduplication.
//!
//! Two worlds with the same fingerprint hold the same data and membership and have the same work
//! pending at the same distance in time: every replica's records (epoch, message, on disk or not),
//! LEO, HW and checkpointed HW, role and epoch; what each leader knows of its followers and which
//! acks=all requests it holds, with times relative to now; the controller's leader, epoch and ISR;
//! every broker's process, network and registration state; each producer's id, metadata, sequences
//! and what it has buffered and in flight; every message's send status and attempts; every
//! consumer's positions and the group's commits; and the agenda, each item by what it is and how far
//! ahead it is due. Left out: the times at which records were appended (they drive OS write-back,
//! which is on the agenda) and the producers' and consumers' own timestamps. So the fingerprint is a
//! close abstraction rather than a proof of equivalence; the explorer's random phase and its
//! `--no-dedup` flag are there to confirm a "nothing found".

use std::fmt::Write as _;
use std::hash::{DefaultHasher, Hash, Hasher};

use super::cluster::{LeaderState, Role};
use super::types::Time;
use super::world::World;

/// Lets `write!` feed Debug output straight into a hasher, without building strings.
struct HashWriter<'h>(&'h mut DefaultHasher);

impl std::fmt::Write for HashWriter<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.write(s.as_bytes());
        Ok(())
    }
}

impl World {
    /// See the module documentation for what two equal fingerprints share.
    pub fn fingerprint(&self) -> u64 {
        let mut h = DefaultHasher::new();
        for b in &self.brokers {
            (b.process as u8, b.cut_off.map(|s| s as u8), b.fenced).hash(&mut h);
            (b.incarnation == b.registered_incarnation, b.clean_shutdown).hash(&mut h);
        }
        for p in &self.partitions {
            let c = &p.controller;
            (c.leader, c.leader_epoch, c.isr, c.recovering).hash(&mut h);
            for r in &p.replicas {
                let role = match &r.role {
                    Role::Unassigned => (0, None),
                    Role::Leader(state) => {
                        self.hash_leader_state(state, &mut h);
                        (1, None)
                    }
                    Role::Follower { leader } => (2, *leader),
                };
                (role, r.leader_epoch, r.high_watermark, r.hw_at_last_tick).hash(&mut h);
                (
                    r.log.end_offset(),
                    r.log.durable_end(),
                    r.log.recovery_point(),
                )
                    .hash(&mut h);
                for record in r.log.records().iter() {
                    (record.epoch, record.message, record.batch_start).hash(&mut h);
                }
                let _ = write!(HashWriter(&mut h), "{:?}", r.fetcher);
            }
        }
        for p in &self.producers {
            (
                p.producer_id,
                &p.leaders,
                &p.next_sequence,
                p.batches.len(),
                p.in_flight.len(),
            )
                .hash(&mut h);
            (
                p.buffer_used,
                p.app_queue.len(),
                p.awaiting,
                p.blocked.is_some(),
                &p.spool,
            )
                .hash(&mut h);
        }
        for m in self.messages.iter() {
            let _ = write!(HashWriter(&mut h), "{:?}", m.status);
            m.attempts.hash(&mut h);
        }
        for c in &self.consumers {
            (c.member, c.generation, &c.assigned, c.in_hand.len()).hash(&mut h);
            for (partition, position) in &c.positions {
                (partition, position.offset).hash(&mut h);
            }
        }
        let _ = write!(HashWriter(&mut h), "{:?}", self.coordinator);
        for (key, due) in self.queue.items() {
            (key.time - self.now).hash(&mut h);
            let _ = write!(HashWriter(&mut h), "{due:?}");
        }
        h.finish()
    }

    /// What a leader knows and waits for, with its times relative to now and capped where they
    /// stop mattering (a follower silent for longer than replica.lag.time.max.ms is lagging however
    /// long it has been).
    fn hash_leader_state(&self, state: &LeaderState, h: &mut DefaultHasher) {
        let cap = self.setup.broker.replica_lag_time_max_ms + 1;
        let ago = |t: Time| self.now.saturating_sub(t).min(cap);
        (
            state.isr,
            state.partition_epoch,
            state.epoch_start,
            state.alter_blocked,
        )
            .hash(h);
        (ago(state.since), state.delayed_produce.len()).hash(h);
        for f in &state.followers {
            (
                f.broker,
                f.log_end_offset,
                f.last_fetch_leader_end,
                f.parked.is_some(),
            )
                .hash(h);
            (ago(f.last_fetch_time), ago(f.last_caught_up_time)).hash(h);
        }
        for d in &state.delayed_produce {
            (
                d.producer,
                d.first_offset,
                d.last_offset,
                d.deadline.saturating_sub(self.now),
            )
                .hash(h);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::sim::config::Acks;
    use crate::sim::testkit::{Lab, setup};

    #[test]
    fn the_same_run_twice_has_the_same_fingerprint_and_a_crash_changes_it() {
        let run = || {
            let mut lab = Lab::new(&setup(3, 3, 2, Acks::All));
            lab.produce("m1");
            lab.run_until_acked("m1");
            lab
        };
        let (a, mut b) = (run(), run());
        assert_eq!(a.world().fingerprint(), b.world().fingerprint());
        b.crash(2);
        assert_ne!(a.world().fingerprint(), b.world().fingerprint());
    }

    #[test]
    fn the_same_story_started_later_has_the_same_fingerprint() {
        // Times are compared relative to now: idling first for a whole number of periods of the
        // periodic tasks (5 s HW checkpoints, the 15 s ISR-expiration grid) changes nothing once the
        // leader has led for longer than replica.lag.time.max.ms either way.
        let story = |idle_first: u64| {
            let mut lab = Lab::new(&setup(3, 3, 2, Acks::All));
            lab.run_for(idle_first);
            lab.produce("m1");
            lab.run_until_acked("m1");
            lab.world().fingerprint()
        };
        assert_eq!(story(30_000), story(60_000));
        assert_ne!(
            story(0),
            story(10_000),
            "the ISR check is due at another point of its grid"
        );
    }
}
