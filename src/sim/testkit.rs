//! Helpers for engine tests: a `Sim` with short names for the questions tests ask.

use super::cluster::CutScope;
use super::command::Command;
use super::config::{Acks, Era, ProducerSetup, Setup, TopicSetup};
use super::history::Sim;
use super::ledger::Verdict;
use super::message::SendStatus;
use super::types::{BrokerId, BrokerSet, MessageId, Offset, PartitionId, ProducerId, Time};
use super::world::World;

pub const P0: PartitionId = PartitionId(0);

pub fn b(n: u16) -> BrokerId {
    BrokerId(n)
}

pub struct Lab {
    pub sim: Sim,
}

/// A single-topic, single-partition cluster with one producer.
pub fn setup(brokers: u16, rf: u16, min_isr: u16, acks: Acks) -> Setup {
    Setup {
        brokers,
        topics: vec![TopicSetup {
            replication_factor: rf,
            min_insync_replicas: min_isr,
            ..TopicSetup::default()
        }],
        producers: vec![ProducerSetup {
            acks,
            ..ProducerSetup::default()
        }],
        ..Setup::default()
    }
}

impl Lab {
    pub fn new(setup: &Setup) -> Lab {
        Lab {
            sim: Sim::new(setup).expect("valid setup"),
        }
    }

    pub fn with_era(mut setup: Setup, era: Era) -> Lab {
        setup.era = era;
        Lab::new(&setup)
    }

    pub fn world(&self) -> &World {
        self.sim.world()
    }

    pub fn now(&self) -> Time {
        self.sim.now()
    }

    pub fn apply(&mut self, command: &Command) {
        self.sim
            .apply(command.clone())
            .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    }

    pub fn produce(&mut self, name: &str) -> MessageId {
        self.apply(&Command::Produce {
            producer: ProducerId(0),
            name: Some(name.to_string()),
            partition: None,
        });
        self.message(name)
    }

    pub fn message(&self, name: &str) -> MessageId {
        self.world()
            .messages()
            .iter()
            .find(|m| &*m.name == name)
            .map(|m| m.id)
            .expect("message exists")
    }

    pub fn crash(&mut self, broker: u16) {
        self.apply(&Command::CrashProcess(b(broker)));
    }

    pub fn power_cut(&mut self, broker: u16) {
        self.apply(&Command::CutPower(b(broker)));
    }

    pub fn restart(&mut self, broker: u16) {
        self.apply(&Command::Restart(b(broker)));
    }

    pub fn cut_off(&mut self, broker: u16, scope: CutScope) {
        self.apply(&Command::CutOff {
            broker: b(broker),
            scope,
        });
    }

    pub fn heal(&mut self, broker: u16) {
        self.apply(&Command::Heal(b(broker)));
    }

    pub fn run_for(&mut self, ms: Time) {
        self.sim.run_for(ms);
    }

    /// Runs until `done`, failing the test if it does not happen within a simulated minute.
    pub fn run_until(&mut self, what: &str, done: impl FnMut(&World) -> bool) {
        let deadline = self.now() + 600_000;
        assert!(
            self.sim.run_until(deadline, done),
            "never happened: {what}\n{}",
            self.transcript()
        );
    }

    pub fn run_until_acked(&mut self, name: &str) {
        let m = self.message(name);
        self.run_until(&format!("{name} acked"), |w| {
            w.messages()[m.index()].is_acked()
        });
    }

    pub fn status(&self, name: &str) -> SendStatus {
        self.world().messages()[self.message(name).index()].status
    }

    pub fn verdict(&self, name: &str) -> Verdict {
        self.world()
            .ledger()
            .by_name(name)
            .expect("in ledger")
            .verdict
    }

    /// Message names in a replica's log, in offset order.
    pub fn log(&self, broker: u16) -> Vec<String> {
        self.world().log_names(b(broker), P0)
    }

    pub fn leo(&self, broker: u16) -> Offset {
        self.world()
            .partition(P0)
            .replica(b(broker))
            .expect("replica")
            .log
            .end_offset()
    }

    pub fn hw(&self, broker: u16) -> Offset {
        self.world()
            .partition(P0)
            .replica(b(broker))
            .expect("replica")
            .high_watermark
    }

    pub fn leader(&self) -> Option<BrokerId> {
        self.world().partition(P0).controller.leader
    }

    pub fn isr(&self) -> BrokerSet {
        self.world().partition(P0).controller.isr
    }

    pub fn epoch(&self) -> u32 {
        self.world().partition(P0).controller.leader_epoch
    }

    pub fn transcript(&self) -> String {
        transcript(&self.sim)
    }
}

pub fn isr(brokers: &[u16]) -> BrokerSet {
    BrokerSet::of(brokers.iter().map(|&n| b(n)))
}

pub fn transcript(sim: &Sim) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for event in sim.events() {
        let words = super::describe::describe(&event.kind, sim.world(), super::describe::Lang::En);
        let _ = writeln!(out, "[{:>7}] #{} {words}", event.time, event.step);
    }
    out
}
