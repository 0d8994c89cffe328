//! The lessons that ship inside the binary, so ackscope works from any directory.

use std::sync::Arc;

use super::load::{LessonError, parse};
use super::schema::Lesson;

/// `(file name, source)` of every lesson in `lessons/`, in teaching order.
pub const SOURCES: &[(&str, &str)] = &[
    (
        "01-cluster-and-replicas.ron",
        include_str!("../../lessons/01-cluster-and-replicas.ron"),
    ),
    (
        "02-write-path-and-high-watermark.ron",
        include_str!("../../lessons/02-write-path-and-high-watermark.ron"),
    ),
    (
        "03-leader-failover.ron",
        include_str!("../../lessons/03-leader-failover.ron"),
    ),
    (
        "04-acks-zero.ron",
        include_str!("../../lessons/04-acks-zero.ron"),
    ),
    (
        "05-acks-one.ron",
        include_str!("../../lessons/05-acks-one.ron"),
    ),
    (
        "06-min-insync-replicas.ron",
        include_str!("../../lessons/06-min-insync-replicas.ron"),
    ),
    (
        "07-not-enough-replicas.ron",
        include_str!("../../lessons/07-not-enough-replicas.ron"),
    ),
    (
        "08-flush-and-power-loss.ron",
        include_str!("../../lessons/08-flush-and-power-loss.ron"),
    ),
    (
        "09-unclean-leader-election.ron",
        include_str!("../../lessons/09-unclean-leader-election.ron"),
    ),
    (
        "10-kip-101-high-watermark-truncation.ron",
        include_str!("../../lessons/10-kip-101-high-watermark-truncation.ron"),
    ),
    (
        "11-kip-101-leader-epoch.ron",
        include_str!("../../lessons/11-kip-101-leader-epoch.ron"),
    ),
    (
        "12-zombie-leader.ron",
        include_str!("../../lessons/12-zombie-leader.ron"),
    ),
    (
        "13-myth-vs-fact.ron",
        include_str!("../../lessons/13-myth-vs-fact.ron"),
    ),
    (
        "14-producer-buffer-loss.ron",
        include_str!("../../lessons/14-producer-buffer-loss.ron"),
    ),
    (
        "15-buffer-full.ron",
        include_str!("../../lessons/15-buffer-full.ron"),
    ),
    (
        "16-sync-send-and-flush.ron",
        include_str!("../../lessons/16-sync-send-and-flush.ron"),
    ),
    (
        "17-local-spool.ron",
        include_str!("../../lessons/17-local-spool.ron"),
    ),
    (
        "18-idempotent-producer.ron",
        include_str!("../../lessons/18-idempotent-producer.ron"),
    ),
    (
        "19-retries-without-idempotence.ron",
        include_str!("../../lessons/19-retries-without-idempotence.ron"),
    ),
    (
        "20-auto-commit-in-loop.ron",
        include_str!("../../lessons/20-auto-commit-in-loop.ron"),
    ),
    (
        "21-auto-commit-hand-off.ron",
        include_str!("../../lessons/21-auto-commit-hand-off.ron"),
    ),
    (
        "22-close-in-finally.ron",
        include_str!("../../lessons/22-close-in-finally.ron"),
    ),
    (
        "23-commit-sync.ron",
        include_str!("../../lessons/23-commit-sync.ron"),
    ),
    (
        "24-per-partition-commit.ron",
        include_str!("../../lessons/24-per-partition-commit.ron"),
    ),
    (
        "25-rebalance.ron",
        include_str!("../../lessons/25-rebalance.ron"),
    ),
    (
        "26-rack-awareness.ron",
        include_str!("../../lessons/26-rack-awareness.ron"),
    ),
];

/// Every bundled lesson, parsed. A broken bundled lesson is a bug caught by the tests.
pub fn all() -> Result<Vec<Arc<Lesson>>, LessonError> {
    SOURCES
        .iter()
        .map(|(name, source)| parse(&format!("lessons/{name}"), source).map(Arc::new))
        .collect()
}

/// A bundled lesson by id.
pub fn find(id: &str) -> Option<(&'static str, &'static str)> {
    SOURCES
        .iter()
        .copied()
        .find(|(_, source)| parse("", source).is_ok_and(|lesson| lesson.id == id))
}
