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
