//! ackscope: a terminal lab that shows, event by event, when Kafka keeps and when it loses a message.

pub mod bench;
pub mod explore;
pub mod lesson;
pub mod report;
pub mod sim;
pub mod tui;
