//! The simulation engine: a pure, deterministic discrete-event model of Kafka's partition
//! replication and of its Java clients.
//!
//! No I/O, no terminal, no async runtime, no wall clock: logical time in milliseconds, a seeded
//! portable RNG (ChaCha8) and ordered maps only. The same setup, seed and commands give the same
//! events, byte for byte. Every state change is an [`Event`]; [`Sim`] records them and can step back.

pub mod chunked;
pub mod cluster;
pub mod command;
pub mod config;
pub mod consumer;
mod controller;
pub mod describe;
pub mod errors;
pub mod event;
mod faults;
mod fingerprint;
pub mod history;
pub mod invariants;
pub mod ledger;
pub mod log;
pub mod message;
pub mod metrics;
pub mod name;
mod placement;
mod produce;
pub mod producer;
mod queue;
mod replication;
pub mod types;
pub mod world;

pub use command::{Command, CommandError};
pub use config::{Acks, Era, Setup};
pub use describe::{Lang, describe, describe_group};
pub use event::{Event, EventKind, KafkaError};
pub use faults::{FaultError, RackFault};
pub use history::Sim;
pub use ledger::{Ledger, LedgerEntry, Verdict};
pub use types::{
    BrokerId, BrokerSet, ConsumerId, Epoch, MessageId, Offset, PartitionId, ProducerId, Time,
};
pub use world::World;

#[cfg(test)]
mod client_scenarios;
#[cfg(test)]
mod properties;
#[cfg(test)]
mod scenarios;
#[cfg(test)]
pub(crate) mod testkit;
