//! The consumer client and the group coordinator.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::config::ConsumerSetup;
use super::producer::ClientState;
use super::types::{ConsumerId, Offset, PartitionId};
use super::world::World;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ConsumerTimer {
    Poll,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Consumer {
    pub id: ConsumerId,
    pub name: Arc<str>,
    pub config: ConsumerSetup,
    pub state: ClientState,
}

impl Consumer {
    pub fn new(id: ConsumerId, config: ConsumerSetup) -> Self {
        Consumer {
            id,
            name: Arc::from(config.name.as_str()),
            config,
            state: ClientState::Running,
        }
    }

    pub fn is_alive(&self) -> bool {
        self.state == ClientState::Running
    }
}

/// Committed offsets per group and partition (the `__consumer_offsets` topic, assumed durable).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupCoordinator {
    pub committed: BTreeMap<(Arc<str>, PartitionId), Offset>,
}

// The consumer loop arrives with the clients issue; until then consumers are registered but idle.
#[allow(clippy::unused_self)]
impl World {
    pub(crate) fn start_consumers(&mut self) {}

    pub(crate) fn on_consumer_timer(&mut self, _consumer: ConsumerId, _timer: ConsumerTimer) {}
}
