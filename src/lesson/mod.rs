//! Lessons: the file format, loading with located errors, validation, and the player that runs
//! a lesson on the engine.

pub mod bundled;
pub mod facts;
pub mod load;
pub mod player;
pub mod schema;
mod validate;

pub use load::{LessonError, parse};
pub use player::{Advance, Player};
pub use schema::{Lesson, Text};

#[cfg(test)]
mod tests;
