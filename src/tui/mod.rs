//! The interactive terminal UI.

use std::sync::Arc;

use crate::lesson::Lesson;
use crate::sim::{Lang, Setup};

/// What the TUI opens on.
pub enum Start {
    /// The lesson list.
    Home,
    /// A lesson, directly.
    Lesson(Arc<Lesson>),
    /// A free-form cluster the learner drives.
    Sandbox(Setup),
}

/// Command-line choices that shape the TUI.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `dark`, `light`, `high-contrast` or `mono`; `None` picks from the environment.
    pub theme: Option<String>,
    /// `--no-color`: the monochrome theme whatever the environment says.
    pub no_color: bool,
    /// Start with mouse capture on (it stops the terminal's own text selection).
    pub mouse: bool,
    pub lang: Lang,
}

/// Runs the TUI until the learner quits. The terminal is restored on every exit path.
pub fn run(_start: Start, _options: Options) -> color_eyre::Result<()> {
    Err(color_eyre::eyre::eyre!(
        "the terminal UI is being built; use `ackscope run <lesson>`"
    ))
}
