//! Plays a lesson on the engine one event at a time, forwards and backwards.
//!
//! The player is what both the TUI and `ackscope run` drive: it walks the beats, runs each
//! action as engine commands and steps, asks predictions, checks expectations, and records every
//! move so that stepping back restores the script position as exactly as the engine state.

use std::sync::Arc;

use crate::sim::{Command, CommandError, Setup, Sim, Time};

use super::facts::{Outcome, Refs, check};
use super::schema::{Action, Fact, Lesson};

/// How long `RunUntil` waits before the lesson is declared broken.
pub const RUN_UNTIL_LIMIT_MS: Time = 600_000;

/// Where the player is in the script.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub beat: usize,
    pub phase: Phase,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// The beat's narration (and question, if any) is shown; nothing has run yet.
    Intro,
    /// Running action `action`; `until` is the time a `RunFor`/`RunUntil` stops at, `left` the
    /// events a `Step` still has to run.
    Acting {
        action: usize,
        until: Option<Time>,
        left: Option<u32>,
    },
    /// The beat's actions are done and its expectations were checked.
    Done,
}

/// One expectation and how it turned out.
#[derive(Clone, Debug, PartialEq)]
pub struct Checked {
    pub fact: Fact,
    pub outcome: Outcome,
}

/// What one call to `advance` did.
#[derive(Clone, Debug, PartialEq)]
pub enum Advance {
    /// The engine produced an event group.
    Event,
    /// The script moved (an action started or ended, time passed) without an engine event.
    Quiet,
    /// The current beat asks a question that has not been answered yet.
    AwaitingAnswer,
    /// The beat's actions finished; its expectations were checked.
    BeatDone,
    /// The last beat is done.
    End,
}

/// A lesson that cannot be played on, with the beat and action that broke it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("beat {beat}, action {action}: {what}")]
pub struct PlayError {
    /// 1-based, as people count beats.
    pub beat: usize,
    pub action: usize,
    pub what: String,
}

#[derive(Clone, Debug)]
struct Undo {
    cursor: Cursor,
    sim_inputs: usize,
    changed_history: bool,
    checked_len: usize,
}

#[derive(Clone, Debug)]
pub struct Player {
    lesson: Arc<Lesson>,
    sim: Sim,
    cursor: Cursor,
    undo: Vec<Undo>,
    /// Checked expectations per beat, in beat order (one entry per completed beat).
    checked: Vec<(usize, Vec<Checked>)>,
    answers: Vec<Option<usize>>,
    /// The learner applied commands of their own: expectations no longer describe this history.
    changed_history: bool,
    /// Whether unanswered predictions hold the lesson (the TUI); headless runs do not ask.
    pub ask_questions: bool,
}

impl Player {
    pub fn new(
        lesson: Arc<Lesson>,
        seed: Option<u64>,
    ) -> Result<Player, crate::sim::config::SetupError> {
        let mut setup: Setup = lesson.setup.clone();
        if let Some(seed) = seed {
            setup.seed = seed;
        }
        let sim = Sim::new(&setup)?;
        let beats = lesson.beats.len();
        Ok(Player {
            lesson,
            sim,
            cursor: Cursor {
                beat: 0,
                phase: Phase::Intro,
            },
            undo: Vec::new(),
            checked: Vec::new(),
            answers: vec![None; beats],
            changed_history: false,
            ask_questions: false,
        })
    }

    pub fn lesson(&self) -> &Lesson {
        &self.lesson
    }

    pub fn sim(&self) -> &Sim {
        &self.sim
    }

    pub fn cursor(&self) -> Cursor {
        self.cursor
    }

    pub fn is_finished(&self) -> bool {
        self.cursor.beat >= self.lesson.beats.len()
    }

    pub fn changed_history(&self) -> bool {
        self.changed_history
    }

    /// The checked expectations of completed beats: `(beat index, results)`.
    pub fn checked(&self) -> &[(usize, Vec<Checked>)] {
        &self.checked
    }

    pub fn answer_of(&self, beat: usize) -> Option<usize> {
        self.answers.get(beat).copied().flatten()
    }

    /// Records the learner's answer (1-based) to the current beat's question.
    pub fn answer(&mut self, choice: usize) {
        if let Some(slot) = self.answers.get_mut(self.cursor.beat) {
            *slot = Some(choice);
        }
    }

    /// Predictions answered right, out of those answered.
    pub fn score(&self) -> (usize, usize) {
        let answered: Vec<(usize, usize)> = self
            .answers
            .iter()
            .enumerate()
            .filter_map(|(i, a)| Some((i, (*a)?)))
            .collect();
        let right = answered
            .iter()
            .filter(|(i, a)| {
                self.lesson.beats[*i]
                    .ask
                    .as_ref()
                    .is_some_and(|q| q.answer == *a)
            })
            .count();
        (right, answered.len())
    }

    fn fail(&self, action: usize, what: impl Into<String>) -> PlayError {
        PlayError {
            beat: self.cursor.beat + 1,
            action: action + 1,
            what: what.into(),
        }
    }

    fn push_undo(&mut self) {
        self.undo.push(Undo {
            cursor: self.cursor,
            sim_inputs: self.sim.input_count(),
            changed_history: self.changed_history,
            checked_len: self.checked.len(),
        });
    }

    /// One move of the script: start a beat, run one engine step of an action, finish an action,
    /// or check the beat's expectations.
    pub fn advance(&mut self) -> Result<Advance, PlayError> {
        let Some(beat) = self.lesson.beats.get(self.cursor.beat).cloned() else {
            return Ok(Advance::End);
        };
        match self.cursor.phase {
            Phase::Intro => {
                if self.ask_questions
                    && beat.ask.is_some()
                    && self.answers[self.cursor.beat].is_none()
                {
                    return Ok(Advance::AwaitingAnswer);
                }
                self.push_undo();
                self.cursor.phase = Phase::Acting {
                    action: 0,
                    until: None,
                    left: None,
                };
                Ok(Advance::Quiet)
            }
            Phase::Acting {
                action,
                until,
                left,
            } => {
                let Some(current) = beat.actions.get(action) else {
                    self.push_undo();
                    let ledger = self.sim.world().ledger();
                    let results = beat
                        .expect
                        .iter()
                        .map(|fact| {
                            let outcome = check(fact, self.sim.world(), self.sim.events(), &ledger)
                                .unwrap_or_else(|what| Outcome {
                                    holds: false,
                                    actual: what,
                                });
                            Checked {
                                fact: fact.clone(),
                                outcome,
                            }
                        })
                        .collect();
                    self.checked.push((self.cursor.beat, results));
                    self.cursor.phase = Phase::Done;
                    return Ok(Advance::BeatDone);
                };
                self.run_action(action, current, until, left)
            }
            Phase::Done => {
                self.push_undo();
                self.cursor = Cursor {
                    beat: self.cursor.beat + 1,
                    phase: Phase::Intro,
                };
                Ok(if self.is_finished() {
                    Advance::End
                } else {
                    Advance::Quiet
                })
            }
        }
    }

    fn next_action(&mut self, action: usize) {
        self.cursor.phase = Phase::Acting {
            action: action + 1,
            until: None,
            left: None,
        };
    }

    fn run_action(
        &mut self,
        action: usize,
        current: &Action,
        until: Option<Time>,
        left: Option<u32>,
    ) -> Result<Advance, PlayError> {
        match current {
            Action::RunFor(ms) => Ok(self.run_for(action, *ms, until)),
            Action::RunUntil(fact) => self.run_until(action, fact, until),
            Action::Step(n) => Ok(self.run_steps(action, left.unwrap_or(*n))),
            Action::ProduceMany {
                prefix,
                first,
                count,
                producer,
                partition,
            } => {
                let left = left.unwrap_or(*count);
                if left == 0 {
                    self.push_undo();
                    self.next_action(action);
                    return Ok(Advance::Quiet);
                }
                let refs = Refs {
                    world: self.sim.world(),
                };
                let command = Command::Produce {
                    producer: refs
                        .producer(producer.as_deref())
                        .map_err(|what| self.fail(action, what))?,
                    name: Some(format!("{prefix}{}", first + (count - left))),
                    partition: partition
                        .as_deref()
                        .map(|p| refs.partition(Some(p)))
                        .transpose()
                        .map_err(|what| self.fail(action, what))?,
                };
                self.apply_scripted(action, command)?;
                self.cursor.phase = Phase::Acting {
                    action,
                    until: None,
                    left: Some(left - 1),
                };
                Ok(Advance::Event)
            }
            command_action => {
                let command = Refs {
                    world: self.sim.world(),
                }
                .command(command_action)
                .map_err(|what| self.fail(action, what))?
                .expect("run actions are handled above");
                self.apply_scripted(action, command)?;
                self.next_action(action);
                Ok(Advance::Event)
            }
        }
    }

    /// Applies one command of the script, undoable.
    fn apply_scripted(&mut self, action: usize, command: Command) -> Result<(), PlayError> {
        self.push_undo();
        self.sim.apply(command).map_err(|error| {
            self.undo.pop();
            self.fail(action, error.to_string())
        })
    }

    fn run_for(&mut self, action: usize, ms: Time, until: Option<Time>) -> Advance {
        let target = until.unwrap_or(self.sim.now() + ms);
        self.push_undo();
        self.cursor.phase = Phase::Acting {
            action,
            until: Some(target),
            left: None,
        };
        if self.sim.step_within(target) {
            return Advance::Event;
        }
        if self.sim.world().next_due().is_none_or(|t| t > target) {
            self.sim.advance_to(target);
            self.next_action(action);
        }
        Advance::Quiet
    }

    fn run_until(
        &mut self,
        action: usize,
        fact: &Fact,
        until: Option<Time>,
    ) -> Result<Advance, PlayError> {
        let deadline = until.unwrap_or(self.sim.now() + RUN_UNTIL_LIMIT_MS);
        let ledger = self.sim.world().ledger();
        let holds = check(fact, self.sim.world(), self.sim.events(), &ledger)
            .map_err(|what| self.fail(action, what))?
            .holds;
        self.push_undo();
        if holds {
            self.next_action(action);
            return Ok(Advance::Quiet);
        }
        self.cursor.phase = Phase::Acting {
            action,
            until: Some(deadline),
            left: None,
        };
        if self.sim.world().next_due().is_some_and(|t| t <= deadline) {
            return Ok(if self.sim.step_within(deadline) {
                Advance::Event
            } else {
                Advance::Quiet
            });
        }
        self.undo.pop();
        Err(self.fail(
            action,
            format!(
                "RunUntil({}) did not happen within {} s of simulated time",
                fact.as_written(),
                RUN_UNTIL_LIMIT_MS / 1000
            ),
        ))
    }

    fn run_steps(&mut self, action: usize, remaining: u32) -> Advance {
        self.push_undo();
        if remaining == 0 || !self.sim.step() {
            self.next_action(action);
            return Advance::Quiet;
        }
        self.cursor.phase = Phase::Acting {
            action,
            until: None,
            left: Some(remaining - 1),
        };
        Advance::Event
    }

    /// Advances until an engine event happens or the script reaches a boundary (a beat ends, a
    /// question waits, the lesson ends).
    pub fn step_event(&mut self) -> Result<Advance, PlayError> {
        loop {
            match self.advance()? {
                Advance::Quiet => {}
                other => return Ok(other),
            }
        }
    }

    /// Advances until the current beat is done (or a question waits).
    pub fn finish_beat(&mut self) -> Result<Advance, PlayError> {
        loop {
            match self.advance()? {
                Advance::Event | Advance::Quiet => {}
                other => return Ok(other),
            }
        }
    }

    /// Runs simulated time forward by up to `ms` within the current action (playback). Returns
    /// whether anything happened.
    pub fn play_for(&mut self, ms: Time) -> Result<Advance, PlayError> {
        let limit = self.sim.now() + ms;
        loop {
            if let Phase::Acting { action, until, .. } = self.cursor.phase
                && let Some(Action::RunFor(_) | Action::RunUntil(_)) =
                    self.lesson.beats[self.cursor.beat].actions.get(action)
                && until.is_some_and(|u| u > limit)
                && self.sim.world().next_due().is_none_or(|t| t > limit)
            {
                // Nothing due before the frame's end: let the clock move with playback.
                self.push_undo();
                self.sim.advance_to(limit);
                return Ok(Advance::Quiet);
            }
            match self.advance()? {
                Advance::Quiet => {}
                other => return Ok(other),
            }
            if self.sim.now() >= limit {
                return Ok(Advance::Event);
            }
        }
    }

    /// Undoes the most recent move that produced an engine event, and the quiet moves that
    /// followed the event before it, so the state is exactly as it was right after that event.
    pub fn step_back(&mut self) -> bool {
        let events_now = self.sim.events().len();
        loop {
            let Some(undo) = self.undo.pop() else {
                return false;
            };
            self.restore(&undo);
            if self.sim.events().len() < events_now {
                break;
            }
        }
        let target = self.sim.events().len();
        while let Some(top) = self.undo.last() {
            if self.sim.events_after(top.sim_inputs) < target {
                break;
            }
            let top = self.undo.pop().expect("just looked");
            self.restore(&top);
        }
        true
    }

    /// Goes back to the start of the current beat, or of the previous one if already there.
    pub fn back_to_beat_start(&mut self) -> bool {
        let target_beat = if self.cursor.phase == Phase::Intro {
            self.cursor.beat.checked_sub(1)
        } else {
            Some(self.cursor.beat)
        };
        let Some(target_beat) = target_beat else {
            return false;
        };
        while let Some(undo) = self.undo.pop() {
            self.restore(&undo);
            if undo.cursor
                == (Cursor {
                    beat: target_beat,
                    phase: Phase::Intro,
                })
            {
                return true;
            }
        }
        true
    }

    fn restore(&mut self, undo: &Undo) {
        self.sim.rewind_to(undo.sim_inputs);
        self.cursor = undo.cursor;
        self.changed_history = undo.changed_history;
        self.checked.truncate(undo.checked_len);
    }

    /// A command of the learner's own (a fault key): history now differs from the script.
    pub fn interfere(&mut self, command: Command) -> Result<(), CommandError> {
        self.push_undo();
        match self.sim.apply(command) {
            Ok(()) => {
                self.changed_history = true;
                Ok(())
            }
            Err(error) => {
                self.undo.pop();
                Err(error)
            }
        }
    }

    /// Plays the whole lesson (headless): every beat to the end.
    pub fn run_to_end(&mut self) -> Result<(), PlayError> {
        while !self.is_finished() {
            self.advance()?;
        }
        Ok(())
    }
}
