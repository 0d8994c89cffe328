//! The one model of the TUI: which screen is up, the lesson or sandbox being played, and the
//! learner's settings. Only `update` changes it; the view only reads it.

use std::path::PathBuf;
use std::sync::Arc;

use crate::lesson::player::Phase;
use crate::lesson::schema::Prediction;
use crate::lesson::{Lesson, Player};
use crate::sim::consumer::Consumer;
use crate::sim::producer::Producer;
use crate::sim::{BrokerId, Command, CommandError, Lang, Sim, World};

use super::Start;
use super::action::{KeyAction, Scope};
use super::keymap::Keymap;
use super::metrics::MetricHistory;
use super::progress::Progress;
use super::theme::{Theme, ThemeName};

/// Playback speeds: simulated milliseconds per real second.
pub const SPEEDS: [u64; 8] = [100, 250, 500, 1_000, 2_000, 5_000, 10_000, 30_000];
/// Real time: one simulated second per second.
pub const DEFAULT_SPEED: usize = 3;

/// What drives the world: a lesson's player, or the learner alone.
#[derive(Clone, Debug)]
pub enum Session {
    Lesson(Box<Player>),
    Sandbox(Box<Sim>),
}

impl Session {
    pub fn sim(&self) -> &Sim {
        match self {
            Session::Lesson(player) => player.sim(),
            Session::Sandbox(sim) => sim,
        }
    }

    pub fn player(&self) -> Option<&Player> {
        match self {
            Session::Lesson(player) => Some(player),
            Session::Sandbox(_) => None,
        }
    }

    /// A command of the learner's own. In a lesson it marks history as changed.
    pub fn apply(&mut self, command: Command) -> Result<(), CommandError> {
        match self {
            Session::Lesson(player) => player.interfere(command),
            Session::Sandbox(sim) => sim.apply(command),
        }
    }

    /// Undoes the last event group exactly. False at the very start.
    pub fn step_back(&mut self) -> bool {
        match self {
            Session::Lesson(player) => player.step_back(),
            Session::Sandbox(sim) => sim.step_back(),
        }
    }
}

/// A lesson or the sandbox on screen.
#[derive(Clone, Debug)]
pub struct Lab {
    pub session: Session,
    /// Index of the selected broker, the target of fault keys.
    pub selected: usize,
    /// The selected client: an index into the producers, then the consumers.
    pub client: usize,
    pub playing: bool,
    /// Index into `SPEEDS`.
    pub speed: usize,
    /// Simulated time owed to playback, in thousandths of a millisecond (speed × real ms).
    pub carry: u64,
    /// Kafka's metrics sampled along this history, for the metrics pane.
    pub metrics: MetricHistory,
}

impl Lab {
    fn new(session: Session) -> Lab {
        let mut lab = Lab {
            metrics: MetricHistory::new(session.sim().world()),
            session,
            selected: 0,
            client: 0,
            playing: false,
            speed: DEFAULT_SPEED,
            carry: 0,
        };
        lab.sample_metrics();
        lab
    }

    /// Samples the metrics where history is now (after anything that may have moved it).
    pub fn sample_metrics(&mut self) {
        let beat = self.metrics_beat();
        self.metrics.record(self.session.sim(), beat);
    }

    /// The beat the metrics pane counts changes from: the current one, or the last once the
    /// lesson is over. `None` in the sandbox.
    pub fn metrics_beat(&self) -> Option<usize> {
        let player = self.player()?;
        let last = player.lesson().beats.len().saturating_sub(1);
        Some(player.cursor().beat.min(last))
    }

    /// The producer the client keys act on: the selected client if it is a producer, else the
    /// first producer.
    pub fn target_producer(&self) -> Option<&Producer> {
        let producers = self.world().producers();
        producers.get(self.client).or(producers.first())
    }

    /// The consumer the client keys act on: the selected client if it is a consumer, else the
    /// first consumer.
    pub fn target_consumer(&self) -> Option<&Consumer> {
        let world = self.world();
        let consumers = world.consumers();
        self.client
            .checked_sub(world.producers().len())
            .and_then(|i| consumers.get(i))
            .or(consumers.first())
    }

    /// Producers and consumers together.
    pub fn client_count(&self) -> usize {
        self.world().producers().len() + self.world().consumers().len()
    }

    /// Whether the brokers have racks (`broker.rack`): rack faults and rack grouping apply.
    pub fn has_racks(&self) -> bool {
        self.world().brokers().iter().any(|b| b.rack.is_some())
    }

    /// The selected broker's `broker.rack`, when the cluster has racks.
    pub fn selected_rack(&self) -> Option<&str> {
        self.world()
            .brokers()
            .get(self.selected)
            .and_then(|b| b.rack.as_deref())
    }

    pub fn lesson(lesson: Arc<Lesson>) -> Result<Lab, String> {
        let mut player = Player::new(lesson, None).map_err(|e| e.to_string())?;
        player.ask_questions = true;
        Ok(Lab::new(Session::Lesson(Box::new(player))))
    }

    pub fn sandbox(setup: &crate::sim::Setup) -> Result<Lab, String> {
        let sim = Sim::new(setup).map_err(|e| e.to_string())?;
        Ok(Lab::new(Session::Sandbox(Box::new(sim))))
    }

    pub fn player(&self) -> Option<&Player> {
        self.session.player()
    }

    pub fn world(&self) -> &World {
        self.session.sim().world()
    }

    pub fn selected_broker(&self) -> BrokerId {
        BrokerId::from_index(self.selected)
    }

    pub fn speed_ms(&self) -> u64 {
        SPEEDS[self.speed.min(SPEEDS.len() - 1)]
    }

    /// The question the current beat asks and the learner has not answered yet.
    pub fn pending_question(&self) -> Option<&Prediction> {
        let player = self.player()?;
        let cursor = player.cursor();
        if cursor.phase != Phase::Intro || player.answer_of(cursor.beat).is_some() {
            return None;
        }
        player.lesson().beats.get(cursor.beat)?.ask.as_ref()
    }
}

/// The cluster `ackscope sandbox` starts without flags: three brokers, one partition replicated
/// three times, acks=all and min.insync.replicas=2.
pub fn default_sandbox() -> crate::sim::Setup {
    let mut setup = crate::sim::Setup::default();
    for topic in &mut setup.topics {
        topic.min_insync_replicas = 2;
    }
    setup
}

/// `1×`, `0.25×`: the speed as a multiple of real time.
pub fn speed_label(ms_per_second: u64) -> String {
    let whole = ms_per_second / 1000;
    let frac = ms_per_second % 1000;
    if frac == 0 {
        format!("{whole}×")
    } else {
        let digits = format!("{frac:03}");
        format!("{whole}.{}×", digits.trim_end_matches('0'))
    }
}

#[derive(Clone, Debug)]
pub enum Screen {
    Home,
    Lab(Box<Lab>),
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Tone {
    Info,
    Warning,
}

/// A one-line message in the footer, until the next key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flash {
    pub text: String,
    pub tone: Tone,
}

impl Flash {
    pub fn info(text: impl Into<String>) -> Flash {
        Flash {
            text: text.into(),
            tone: Tone::Info,
        }
    }

    pub fn warning(text: impl Into<String>) -> Flash {
        Flash {
            text: text.into(),
            tone: Tone::Warning,
        }
    }
}

#[derive(Clone, Debug)]
#[allow(clippy::struct_excessive_bools)] // independent switches of the UI, not a state machine
pub struct App {
    pub screen: Screen,
    /// The bundled lessons, for the lesson list.
    pub lessons: Vec<Arc<Lesson>>,
    /// Index into `lessons` of the highlighted lesson.
    pub home_selected: usize,
    pub help: bool,
    /// The metrics pane is shown in lessons and the sandbox.
    pub metrics: bool,
    /// Lines the help is scrolled down by, when it does not fit.
    pub help_scroll: usize,
    pub theme: Theme,
    pub lang: Lang,
    pub keymap: Keymap,
    /// The user's keymap file, for the help overlay.
    pub keymap_file: Option<PathBuf>,
    /// Mouse capture on: clicks select brokers, the terminal's own text selection is off.
    pub mouse: bool,
    /// Terminal size, for mouse hit-testing (the view gets it from the frame).
    pub width: u16,
    pub height: u16,
    pub flash: Option<Flash>,
    pub progress: Progress,
    /// Where progress is saved; `None` keeps it in memory (tests).
    pub progress_file: Option<PathBuf>,
    /// Progress changed since it was last saved.
    pub progress_unsaved: bool,
    pub quit: bool,
}

impl App {
    /// An app on `start`, with default keys, no saved progress and mouse capture off.
    pub fn new(
        start: Start,
        lessons: Vec<Arc<Lesson>>,
        theme: ThemeName,
        lang: Lang,
    ) -> Result<App, String> {
        let screen = match start {
            Start::Home => Screen::Home,
            Start::Lesson(lesson) => Screen::Lab(Box::new(Lab::lesson(lesson)?)),
            Start::Sandbox(setup) => Screen::Lab(Box::new(Lab::sandbox(&setup)?)),
        };
        Ok(App {
            screen,
            lessons,
            home_selected: 0,
            help: false,
            metrics: false,
            help_scroll: 0,
            theme: Theme::new(theme),
            lang,
            keymap: Keymap::defaults(),
            keymap_file: None,
            mouse: false,
            width: 0,
            height: 0,
            flash: None,
            progress: Progress::default(),
            progress_file: None,
            progress_unsaved: false,
            quit: false,
        })
    }

    pub fn lab(&self) -> Option<&Lab> {
        match &self.screen {
            Screen::Lab(lab) => Some(lab),
            Screen::Home => None,
        }
    }

    pub fn lab_mut(&mut self) -> Option<&mut Lab> {
        match &mut self.screen {
            Screen::Lab(lab) => Some(lab),
            Screen::Home => None,
        }
    }

    /// Whether a key action can apply on the current screen (the keymap looks keys up among these).
    pub fn applies(&self, action: KeyAction) -> bool {
        match action.scope() {
            Scope::Everywhere => true,
            Scope::Home => self.lab().is_none(),
            Scope::Lab => self.lab().is_some(),
            Scope::Lesson => self.lab().is_some_and(|lab| lab.player().is_some()),
            Scope::Racks => self.lab().is_some_and(Lab::has_racks),
        }
    }

    /// Notes the current lesson's progress (finished, prediction score) if it changed.
    pub fn note_progress(&mut self) {
        let Some(player) = self.lab().and_then(Lab::player) else {
            return;
        };
        let id = player.lesson().id.clone();
        let finished = player.is_finished();
        let score = player.score();
        if self.progress.record(&id, finished, score) {
            self.progress_unsaved = true;
        }
    }

    pub fn say(&mut self, en: &str, zh: &str) {
        self.flash = Some(Flash::info(self.lang.pick(en, zh)));
    }

    pub fn warn(&mut self, text: impl Into<String>) {
        self.flash = Some(Flash::warning(text));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speeds_read_as_multiples_of_real_time() {
        let labels: Vec<String> = SPEEDS.iter().map(|s| speed_label(*s)).collect();
        assert_eq!(
            labels,
            ["0.1×", "0.25×", "0.5×", "1×", "2×", "5×", "10×", "30×"]
        );
    }
}
