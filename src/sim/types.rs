//! Small value types shared by the whole engine: identifiers, logical time, offsets and sets.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Logical time in milliseconds since the start of the simulation. There is no wall clock in the engine.
pub type Time = u64;
/// A position in a partition's log: the offset of a record, or an end offset (one past the last record).
pub type Offset = u64;
/// A leader epoch (KIP-101): bumped by the controller on every leader change and stamped into every record.
pub type Epoch = u32;

/// A broker, numbered from 1 as operators number them (`B1`, `B2`, …).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BrokerId(pub u16);

impl BrokerId {
    /// Position of this broker in dense per-broker vectors.
    pub fn index(self) -> usize {
        usize::from(self.0) - 1
    }

    pub fn from_index(index: usize) -> Self {
        BrokerId(u16::try_from(index + 1).unwrap_or(u16::MAX))
    }
}

impl fmt::Display for BrokerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "B{}", self.0)
    }
}

/// A partition of some topic, as a dense index into the world's partition table.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PartitionId(pub u32);

impl PartitionId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A producer client, as a dense index into the world's producer table.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProducerId(pub u16);

impl ProducerId {
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// A consumer client, as a dense index into the world's consumer table.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConsumerId(pub u16);

impl ConsumerId {
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// An application message (`m1`, `m2`, …) whose fate the ledger follows.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MessageId(pub u32);

impl MessageId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A set of brokers, small enough to copy into every event (the engine supports up to 64 brokers).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BrokerSet(u64);

/// The largest cluster the engine models; `BrokerSet` is a 64-bit mask.
pub const MAX_BROKERS: usize = 64;

impl BrokerSet {
    pub const EMPTY: BrokerSet = BrokerSet(0);

    pub fn of(brokers: impl IntoIterator<Item = BrokerId>) -> Self {
        let mut set = BrokerSet::EMPTY;
        for broker in brokers {
            set.insert(broker);
        }
        set
    }

    fn bit(broker: BrokerId) -> u64 {
        1u64 << (broker.index() % MAX_BROKERS)
    }

    pub fn contains(self, broker: BrokerId) -> bool {
        self.0 & Self::bit(broker) != 0
    }

    pub fn insert(&mut self, broker: BrokerId) {
        self.0 |= Self::bit(broker);
    }

    pub fn remove(&mut self, broker: BrokerId) {
        self.0 &= !Self::bit(broker);
    }

    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = BrokerId> {
        (0..MAX_BROKERS)
            .filter(move |i| self.0 & (1u64 << i) != 0)
            .map(BrokerId::from_index)
    }
}

/// Serialised as the list of broker numbers, `[1, 2, 3]`.
impl Serialize for BrokerSet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter().map(|b| b.0))
    }
}

impl fmt::Display for BrokerSet {
    /// `{1,2,3}`, the way Kafka tools print an ISR.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, broker) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{}", broker.0)?;
        }
        f.write_str("}")
    }
}
