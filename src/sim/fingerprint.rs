//! A fingerprint of the world for the explorer's state deduplication.
//!
//! Two worlds with the same fingerprint hold the same data and membership and have the same work
//! pending at the same distance in time: every replica's records (epoch, message, on disk or not),
//! LEO, HW and checkpointed HW, role and epoch; the controller's leader, epoch and ISR; every broker's
//! process, network and registration state; every message's send status and attempts; every
//! consumer's positions and the group's commits; and the agenda, each item by what it is and how far
//! ahead it is due. Absolute timestamps inside the state that are not on the agenda (append times,
//! last-caught-up times) are left out, so equal fingerprints can still differ in when a follower
//! will be judged lagging; the explorer's randomised phase covers that timing.

use std::fmt::Write as _;
use std::hash::{DefaultHasher, Hash, Hasher};

use super::cluster::Role;
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
                    Role::Leader(_) => (1, None),
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
        // The agenda is compared relative to now: idling first for a whole number of periods of the
        // periodic tasks (5 s HW checkpoints, the 15 s ISR-expiration grid) changes nothing.
        let story = |idle_first: u64| {
            let mut lab = Lab::new(&setup(3, 3, 2, Acks::All));
            lab.run_for(idle_first);
            lab.produce("m1");
            lab.run_until_acked("m1");
            lab.world().fingerprint()
        };
        assert_eq!(story(0), story(30_000));
        assert_ne!(
            story(0),
            story(10_000),
            "the ISR check is due at another point of its grid"
        );
    }
}
