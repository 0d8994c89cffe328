//! The registry of application messages: what the producer side knows of each one.

use super::event::KafkaError;
use super::name::Name;
use super::types::{MessageId, Offset, PartitionId, ProducerId, Time};

/// Where a message stands from its producer's point of view.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SendStatus {
    /// The application will call `send()` once its thread is free (blocked or waiting on a sync send).
    Queued,
    /// In the accumulator, not yet sent.
    Buffered,
    /// Sent; no answer yet.
    InFlight,
    /// The producer reported success. `offset` is `None` for acks=0 (no response).
    Acked { offset: Option<Offset> },
    /// The producer reported failure through the callback / future.
    Failed { error: KafkaError },
    /// Lost in the producer's memory when its process died before sending.
    LostInBuffer,
    /// The producer died with the request in flight: no answer will ever come.
    Abandoned,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageInfo {
    pub id: MessageId,
    pub name: Name,
    pub producer: ProducerId,
    pub partition: PartitionId,
    pub created_at: Time,
    pub status: SendStatus,
    /// How many times a request carrying it was sent (retries and resends included).
    pub attempts: u32,
    /// Whether the application wrote it to its local spool first.
    pub spooled: bool,
    /// The error that made the producer give up, with the state that explains it.
    pub failure: Option<super::errors::Failure>,
    /// Every error a send of it met, retried or not (a bit per `KafkaError`).
    pub errors_seen: u32,
    /// How many times `poll()` returned it to an application.
    pub delivered: u32,
    /// How many times an application finished processing it.
    pub processed: u32,
}

impl MessageInfo {
    pub fn saw(&self, error: KafkaError) -> bool {
        self.errors_seen & error.bit() != 0
    }
    pub fn is_acked(&self) -> bool {
        matches!(self.status, SendStatus::Acked { .. })
    }
}
