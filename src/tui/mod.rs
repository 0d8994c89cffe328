//! The interactive terminal UI, in the Elm shape: terminal events → keymap → `Action` →
//! `update(&mut App, Action)` → `view(&App, &mut Frame)`. Widgets read the model, never change it.
//!
//! - `app`: the model; `action`: what can happen; `update`: the only code that changes the model.
//! - `metrics`: Kafka's metrics sampled along history (the engine only knows their values now).
//! - `view`: one widget per concept (cluster, clients, narration, events, ledger, bars, help, home).
//! - `keymap` (defaults in `assets/keymap.ron`), `theme`, `progress`, `text` (width-aware wrapping).
//! - `terminal`: setup, restore on every exit path, and the tokio loop; `offscreen`: the same
//!   drawing into a `TestBackend`, for `ackscope bench`.

mod action;
mod app;
mod input;
mod keymap;
mod metrics;
mod offscreen;
mod progress;
mod terminal;
mod text;
mod theme;
mod update;
mod view;

#[cfg(test)]
mod tests;

use std::sync::Arc;

pub use offscreen::Offscreen;

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

/// Runs the TUI until the learner quits. The terminal is restored on every exit path: quit,
/// Ctrl-C, SIGTERM, SIGHUP, an error, and a panic.
pub fn run(start: Start, options: Options) -> color_eyre::Result<()> {
    terminal::run(start, options)
}
