//! `Sim`: the world plus its history, so that any step can be undone exactly.
//!
//! Every input (a step of the queue, a command, a clock advance) is recorded. Stepping back restores
//! the nearest checkpoint and replays the recorded inputs after it; determinism makes the replay
//! land on exactly the state that preceded the undone step.

use super::command::{Command, CommandError};
use super::config::{Setup, SetupError};
use super::event::Event;
use super::types::Time;
use super::world::World;

/// Inputs between two checkpoints.
const CHECKPOINT_INTERVAL: usize = 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Input {
    /// Ran scheduled work up to (at most) this time until something visible happened.
    Step(Time),
    /// Boxed: commands are rare and large, steps are many and small.
    Command(Box<Command>),
    Advance(Time),
}

#[derive(Clone, Debug)]
struct Recorded {
    input: Input,
    /// Length of the event log after this input.
    events_end: usize,
}

#[derive(Clone, Debug)]
pub struct Sim {
    world: World,
    /// `(number of inputs applied, world after them)`, oldest first; the first is the initial world.
    checkpoints: Vec<(usize, World)>,
    inputs: Vec<Recorded>,
    events: Vec<Event>,
    steps: u64,
}

impl Sim {
    pub fn new(setup: &Setup) -> Result<Sim, SetupError> {
        let world = World::new(setup)?;
        Ok(Sim {
            checkpoints: vec![(0, world.clone())],
            world,
            inputs: Vec::new(),
            events: Vec::new(),
            steps: 0,
        })
    }

    pub fn world(&self) -> &World {
        &self.world
    }

    pub fn now(&self) -> Time {
        self.world.now()
    }

    /// Every event so far, oldest first.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Number of event groups (engine steps and commands) so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The events of the most recent step.
    pub fn last_step_events(&self) -> &[Event] {
        let Some(last) = self.events.last() else {
            return &[];
        };
        let start = self
            .events
            .iter()
            .rposition(|e| e.step != last.step)
            .map_or(0, |i| i + 1);
        &self.events[start..]
    }

    /// Runs the next scheduled event group. Returns false if nothing is scheduled.
    pub fn step(&mut self) -> bool {
        self.step_within(Time::MAX)
    }

    /// Like `step`, but runs nothing scheduled after `limit`.
    pub fn step_within(&mut self, limit: Time) -> bool {
        if self.world.next_due().is_none_or(|t| t > limit) {
            return false;
        }
        // Even a step that only drains silent timers changes the world, so it is recorded.
        let progressed = self.world.step(limit);
        self.record(Input::Step(limit));
        progressed
    }

    /// Applies a command at the current time.
    pub fn apply(&mut self, command: Command) -> Result<(), CommandError> {
        self.world.apply(&command)?;
        self.record(Input::Command(Box::new(command)));
        Ok(())
    }

    /// Runs every event up to `time`, then moves the clock there.
    pub fn advance_to(&mut self, time: Time) {
        while self.step_within(time) {}
        if self.world.now() < time {
            self.world.advance_clock(time);
            self.record(Input::Advance(time));
        }
    }

    pub fn run_for(&mut self, duration: Time) {
        self.advance_to(self.now() + duration);
    }

    /// Steps until `done` holds or `deadline` passes. Returns whether `done` held.
    pub fn run_until(&mut self, deadline: Time, mut done: impl FnMut(&World) -> bool) -> bool {
        loop {
            if done(&self.world) {
                return true;
            }
            match self.world.next_due() {
                Some(t) if t <= deadline => {
                    self.step_within(deadline);
                }
                _ => {
                    self.advance_to(deadline);
                    return done(&self.world);
                }
            }
        }
    }

    fn record(&mut self, input: Input) {
        grow_gently(&mut self.events);
        grow_gently(&mut self.inputs);
        let before = self.events.len();
        let (step, time) = (self.steps + 1, self.world.now());
        self.world
            .drain_events(|kind| self.events.push(Event { step, time, kind }));
        if self.events.len() > before {
            self.steps = step;
        }
        self.inputs.push(Recorded {
            input,
            events_end: self.events.len(),
        });
        if self.inputs.len().is_multiple_of(CHECKPOINT_INTERVAL) {
            self.checkpoints
                .push((self.inputs.len(), self.world.clone()));
        }
    }

    /// Whether there is anything to step back to.
    pub fn can_step_back(&self) -> bool {
        !self.events.is_empty()
    }

    /// Length of the event log after the first `inputs` inputs.
    pub fn events_after(&self, inputs: usize) -> usize {
        inputs
            .checked_sub(1)
            .and_then(|i| self.inputs.get(i))
            .map_or(0, |r| r.events_end)
    }

    /// What the history holds: (events, inputs, checkpoints) and their fixed sizes in bytes.
    pub fn history_shape(&self) -> (usize, usize, usize, usize, usize) {
        (
            self.events.len(),
            self.inputs.len(),
            self.checkpoints.len(),
            std::mem::size_of::<Event>(),
            std::mem::size_of::<Recorded>(),
        )
    }

    /// Number of inputs recorded so far (a position `rewind_to` can return to).
    pub fn input_count(&self) -> usize {
        self.inputs.len()
    }

    /// Undoes the most recent event group (and any clock advance after it). Returns false at the start.
    pub fn step_back(&mut self) -> bool {
        let produced = |i: usize| {
            let before = if i == 0 {
                0
            } else {
                self.inputs[i - 1].events_end
            };
            self.inputs[i].events_end > before
        };
        let Some(target) = (0..self.inputs.len()).rev().find(|&i| produced(i)) else {
            return false;
        };
        self.rewind_to(target);
        true
    }

    /// Restores the exact state after the first `inputs` inputs: the nearest checkpoint, then a
    /// replay of what followed it.
    pub fn rewind_to(&mut self, inputs: usize) {
        if inputs >= self.inputs.len() {
            return;
        }
        self.inputs.truncate(inputs);
        let events_end = self.inputs.last().map_or(0, |r| r.events_end);
        self.events.truncate(events_end);
        self.steps = self.events.last().map_or(0, |e| e.step);
        self.checkpoints.retain(|(applied, _)| *applied <= inputs);
        let (applied, world) = self
            .checkpoints
            .last()
            .expect("the initial checkpoint is never removed");
        let mut world = world.clone();
        for recorded in &self.inputs[*applied..] {
            replay(&mut world, &recorded.input);
            world.drain_events(|_| {});
        }
        self.world = world;
    }
}

/// Grows a long history vector by an eighth instead of doubling it, so its unused capacity
/// stays small (history memory is a per-event budget).
fn grow_gently<T>(items: &mut Vec<T>) {
    if items.len() == items.capacity() {
        items.reserve_exact((items.len() / 8).max(4096));
    }
}

fn replay(world: &mut World, input: &Input) {
    match input {
        Input::Step(limit) => {
            world.step(*limit);
        }
        Input::Command(command) => {
            world
                .apply(command)
                .expect("a recorded command succeeded once and replays identically");
        }
        Input::Advance(time) => world.advance_clock(*time),
    }
}
