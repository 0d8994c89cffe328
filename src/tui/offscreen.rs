//! The TUI drawn into ratatui's `TestBackend` instead of a terminal, for `ackscope bench`: the
//! same model, update and view as on screen, so the time to draw here is the time to draw there
//! (minus writing the changed cells to a real terminal).

use std::sync::Arc;

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::lesson::Lesson;
use crate::sim::Lang;

use super::action::{Action, KeyAction};
use super::app::App;
use super::theme::ThemeName;
use super::update::update;
use super::view::view;
use super::{Options, Start};

/// A model and an off-screen terminal of a fixed size.
pub struct Offscreen {
    app: App,
    terminal: Terminal<TestBackend>,
}

impl Offscreen {
    fn new(app: App, width: u16, height: u16) -> Offscreen {
        let mut app = app;
        update(&mut app, Action::Resize { width, height });
        // TestBackend cannot fail.
        let terminal = match Terminal::new(TestBackend::new(width, height)) {
            Ok(terminal) => terminal,
            Err(never) => match never {},
        };
        Offscreen { app, terminal }
    }

    /// `lesson` played to its end by a learner who answers every question right, with the
    /// metrics pane shown: the fullest lesson frame (cluster, clients, events, narration with the
    /// score, metrics and ledger all drawn).
    pub fn lesson_at_end(lesson: Arc<Lesson>, width: u16, height: u16) -> Result<Self, String> {
        let mut app = App::new(Start::Lesson(lesson), Vec::new(), ThemeName::Dark, Lang::En)?;
        app.metrics = true;
        for _ in 0..10_000 {
            let Some(lab) = app.lab() else { break };
            if lab.player().is_none_or(crate::lesson::Player::is_finished) {
                break;
            }
            if let Some(answer) = lab.pending_question().map(|q| q.answer) {
                update(&mut app, Action::Digit(u8::try_from(answer).unwrap_or(1)));
            }
            update(&mut app, Action::Key(KeyAction::NextBeat));
        }
        Ok(Offscreen::new(app, width, height))
    }

    /// The first screen `ackscope` shows, prepared as the real start prepares it (bundled
    /// lessons, keymap, progress, theme from the environment).
    pub fn home(width: u16, height: u16) -> color_eyre::Result<Self> {
        let app = super::terminal::prepare(Start::Home, Options::default())?;
        Ok(Offscreen::new(app, width, height))
    }

    /// Draws one frame: the whole view, then the diff against the previous frame.
    pub fn draw(&mut self) {
        let app = &self.app;
        match self.terminal.draw(|frame| view(app, frame)) {
            Ok(_) => {}
            Err(never) => match never {},
        }
    }

    /// The frame as text, one line per row (to check what was measured).
    pub fn text(&self) -> String {
        self.terminal.backend().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_measured_lesson_frame_is_the_full_one() {
        let lesson = crate::lesson::bundled::all()
            .expect("bundled lessons parse")
            .into_iter()
            .find(|l| l.id == "acks-one")
            .expect("bundled");
        let mut screen = Offscreen::lesson_at_end(lesson, 160, 48).expect("plays");
        screen.draw();
        let text = screen.text();
        for pane in ["Cluster", "Events", "Metrics", "Ledger", "Lesson complete"] {
            assert!(text.contains(pane), "`{pane}` is drawn:\n{text}");
        }
    }
}
