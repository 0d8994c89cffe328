//! One explored run: the world, the workload that drives it, the faults injected into it, and the
//! safety properties checked along the way and at the end.

use std::hash::{Hash, Hasher};

use crate::sim::cluster::{CutScope, ProcessState};
use crate::sim::invariants::{self, Violation};
use crate::sim::ledger::Verdict;
use crate::sim::message::SendStatus;
use crate::sim::{BrokerId, Command, MessageId, ProducerId, Setup, Time, World};

/// Simulated time after which a run ends even if it never settles (producers give up after
/// `delivery.timeout.ms`, two minutes by default, so a workload is always resolved by then).
const WORKLOAD_LIMIT_MS: Time = 300_000;

/// Simulated time for the cluster to settle after everything is brought back: fencing, elections,
/// catching up and rejoining the ISR take seconds; a minute leaves room to spare.
pub const SETTLE_MS: Time = 60_000;

/// A fault the explorer can inject (in the order ties between equal schedules are broken).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FaultKind {
    Crash,
    PowerCut,
    CutOff,
}

/// When a broker hit by a fault comes back, simplest first.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Recovery {
    /// At once: a bounce (what KIP-101's first scenario needs).
    Immediately,
    /// Only when everything is brought back at the end of the run.
    AtEnd,
    /// After this many simulated milliseconds.
    After(Time),
}

/// One fault with its target and its recovery.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fault {
    pub kind: FaultKind,
    pub broker: BrokerId,
    pub recovery: Recovery,
}

impl Fault {
    pub fn command(self) -> Command {
        match self.kind {
            FaultKind::Crash => Command::CrashProcess(self.broker),
            FaultKind::PowerCut => Command::CutPower(self.broker),
            FaultKind::CutOff => Command::CutOff {
                broker: self.broker,
                scope: CutScope::Everyone,
            },
        }
    }

    fn recovery_command(self) -> Command {
        match self.kind {
            FaultKind::Crash | FaultKind::PowerCut => Command::Restart(self.broker),
            FaultKind::CutOff => Command::Heal(self.broker),
        }
    }
}

/// How many faults of each kind a schedule may still use.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Budget {
    pub crashes: u8,
    pub power_cuts: u8,
    pub cuts: u8,
}

impl Budget {
    pub fn total(self) -> u32 {
        u32::from(self.crashes) + u32::from(self.power_cuts) + u32::from(self.cuts)
    }

    fn left(&mut self, kind: FaultKind) -> &mut u8 {
        match kind {
            FaultKind::Crash => &mut self.crashes,
            FaultKind::PowerCut => &mut self.power_cuts,
            FaultKind::CutOff => &mut self.cuts,
        }
    }
}

/// A fault planned at a decision point (the number of engine steps run before it).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Planned {
    pub at: u32,
    pub fault: Fault,
}

/// What a recorded run did, in order: enough to replay it exactly as a lesson.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    Command(Command),
    /// One engine step (`Sim::step`).
    Step,
    /// Run everything due up to this time, then move the clock there (`Sim::advance_to`).
    RunTo(Time),
    /// Marks where the explorer's schedule injected a fault (the command follows).
    FaultNext(Fault),
    /// Marks the start of the end phase, where everything is brought back.
    EndPhase,
}

/// The workload: `messages` records through the first producer, each sent once the previous one
/// is acknowledged or has failed (a careful application, so every loss is the cluster's doing).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Workload {
    pub messages: u32,
}

/// The bounds of a search: the workload, the faults, and how far into the run they may strike.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Bounds {
    pub workload: Workload,
    pub budget: Budget,
    /// Faults in all (at most `budget.total()`): the search deepens this one fault at a time.
    pub faults: u32,
    /// Decision points (engine steps from the start) at which a fault may still be injected.
    pub depth: u32,
}

/// A run in progress.
#[derive(Clone, Debug)]
pub struct Run {
    pub world: World,
    pub budget: Budget,
    pub produced: u32,
    /// Engine steps run so far: the decision points passed.
    pub steps: u32,
    /// Engine steps run by this copy of the run, the end phase included (for the rate).
    pub work: u64,
    pub plan: Vec<Planned>,
    /// Faults that may still be injected, whatever their kind.
    faults_left: u32,
    /// Recoveries still to come, in time order, with the fault each undoes.
    recoveries: Vec<(Time, Fault)>,
    /// Every input, when the run is being recorded.
    pub record: Option<Vec<Input>>,
    /// The workload's latest message.
    last_sent: Option<MessageId>,
    workload: Workload,
}

impl Run {
    pub fn new(setup: &Setup, bounds: &Bounds, record: bool) -> Result<Run, String> {
        if setup.producers.is_empty() {
            return Err("the setup has no producer to send the workload through".to_string());
        }
        if setup.producers.iter().any(|p| p.send_every_ms.is_some()) {
            return Err(
                "a producer of the setup sends on its own (send_every_ms): the explorer's workload must be the only sender"
                    .to_string(),
            );
        }
        let world = World::new(setup).map_err(|e| e.to_string())?;
        Ok(Run {
            world,
            budget: bounds.budget,
            produced: 0,
            steps: 0,
            work: 0,
            plan: Vec::new(),
            faults_left: bounds.faults,
            recoveries: Vec::new(),
            record: record.then(Vec::new),
            last_sent: None,
            workload: bounds.workload,
        })
    }

    fn note(&mut self, input: Input) {
        if let Some(record) = &mut self.record {
            record.push(input);
        }
    }

    fn apply(&mut self, command: Command) {
        // The explorer only offers commands that apply; a refusal would be an engine bug.
        self.world
            .apply(&command)
            .unwrap_or_else(|e| panic!("explorer command {command:?} refused: {e}"));
        self.world.drain_events(|_| {});
        self.note(Input::Command(command));
    }

    /// A restart or heal, unless a later fault's own recovery already brought the broker back.
    fn recover(&mut self, command: Command) {
        let needed = match &command {
            Command::Restart(b) => !self.world.broker(*b).is_running(),
            Command::Heal(b) => self.world.broker(*b).cut_off.is_some(),
            _ => true,
        };
        if needed {
            self.apply(command);
        }
    }

    /// Whether the workload's latest message is acknowledged or has failed.
    fn last_resolved(&self) -> bool {
        self.last_sent.is_none_or(|m| {
            !matches!(
                self.world.messages()[m.index()].status,
                SendStatus::Queued | SendStatus::Buffered | SendStatus::InFlight
            )
        })
    }

    pub fn workload_done(&self) -> bool {
        self.produced == self.workload.messages && self.last_resolved()
    }

    /// The application's side: sends the next message when the previous one is resolved.
    fn top_up(&mut self) {
        if self.produced < self.workload.messages && self.last_resolved() {
            self.produced += 1;
            self.apply(Command::Produce {
                producer: ProducerId(0),
                name: Some(format!("m{}", self.produced)),
                partition: None,
            });
            self.last_sent = self.world.messages().last().map(|m| m.id);
        }
    }

    /// Recoveries due before the next engine event happen first, at their exact time.
    fn recover_due(&mut self) {
        while let Some(&(at, _)) = self.recoveries.first() {
            if self.world.next_due().is_some_and(|next| next < at) {
                return;
            }
            let (at, fault) = self.recoveries.remove(0);
            self.run_to(at);
            self.recover(fault.recovery_command());
        }
    }

    fn run_to(&mut self, time: Time) {
        while self.world.next_due().is_some_and(|t| t <= time) {
            self.world.step(time);
            self.world.drain_events(|_| {});
            self.work += 1;
        }
        self.world.advance_clock(time);
        self.note(Input::RunTo(time));
    }

    /// The driver's work at a decision point, before any fault: recoveries and the next send.
    pub fn prepare(&mut self) {
        self.recover_due();
        self.top_up();
    }

    /// The faults that can be injected now, with the budget left.
    pub fn options(&self, recoveries: &[Recovery]) -> Vec<Fault> {
        let mut faults = Vec::new();
        for broker in self.world.brokers() {
            let kinds = [
                (FaultKind::Crash, self.budget.crashes, broker.is_running()),
                (
                    FaultKind::PowerCut,
                    self.budget.power_cuts,
                    broker.process != ProcessState::PoweredOff,
                ),
                (
                    FaultKind::CutOff,
                    self.budget.cuts,
                    broker.cut_off.is_none(),
                ),
            ];
            for (kind, left, applies) in kinds {
                if left > 0 && applies {
                    faults.extend(recoveries.iter().map(|&recovery| Fault {
                        kind,
                        broker: broker.id,
                        recovery,
                    }));
                }
            }
        }
        faults
    }

    /// Whether `fault` can be injected now (its broker is in a state it changes, budget left).
    pub fn applies(&self, fault: Fault) -> bool {
        self.options(&[fault.recovery]).contains(&fault)
    }

    pub fn inject(&mut self, fault: Fault) {
        *self.budget.left(fault.kind) -= 1;
        self.faults_left -= 1;
        self.plan.push(Planned {
            at: self.steps,
            fault,
        });
        self.note(Input::FaultNext(fault));
        self.apply(fault.command());
        match fault.recovery {
            Recovery::Immediately => self.recover(fault.recovery_command()),
            Recovery::After(delay) => {
                let at = self.world.now() + delay;
                let index = self.recoveries.partition_point(|&(t, _)| t <= at);
                self.recoveries.insert(index, (at, fault));
            }
            Recovery::AtEnd => {}
        }
    }

    /// One engine step, stopping short of the next recovery so that it happens on time. False
    /// when nothing is left to run.
    pub fn step(&mut self) -> bool {
        let limit = self.recoveries.first().map_or(Time::MAX, |&(at, _)| at);
        let next = self.world.next_due();
        if next.is_none() && limit == Time::MAX {
            return false;
        }
        if next.is_some_and(|t| t <= limit) {
            let visible = self.world.step(limit);
            self.world.drain_events(|_| {});
            self.work += 1;
            // Silent work up to the recovery is redone by the recovery's `RunTo` in a replay.
            if visible {
                self.note(Input::Step);
            }
        }
        self.steps += 1;
        true
    }

    /// What must hold at every moment: replicas never differ below the HW. (The engine's other
    /// replication invariants, such as the HW never passing an ISR member's LEO, are checked by its
    /// property tests; in the legacy eras they break on the way to a loss, and the loss is what the
    /// explorer reports.)
    pub fn check_now(&self) -> Vec<Violation> {
        let mut violations = invariants::replication_violations(&self.world);
        violations.retain(|v| matches!(v, Violation::CommittedRecordsDiffer { .. }));
        violations
    }

    /// Whether a fault may still be injected here.
    pub fn can_branch(&self, depth: u32) -> bool {
        self.steps < depth && self.faults_left > 0 && self.budget.total() > 0
    }

    /// Whether the faulty part of the run is over: the workload is done, no recovery is pending,
    /// and no fault can come any more. (A run that never settles ends at `WORKLOAD_LIMIT_MS`.)
    pub fn ready_to_end(&self, depth: u32) -> bool {
        let quiet = self.workload_done() && self.recoveries.is_empty() && !self.can_branch(depth);
        quiet || self.world.now() >= WORKLOAD_LIMIT_MS
    }

    /// The state as the explorer deduplicates it: the world plus what the driver still holds.
    pub fn fingerprint(&self) -> u64 {
        let mut h = std::hash::DefaultHasher::new();
        (
            self.world.fingerprint(),
            self.budget,
            self.faults_left,
            self.produced,
        )
            .hash(&mut h);
        for (at, fault) in &self.recoveries {
            (at - self.world.now(), fault).hash(&mut h);
        }
        h.finish()
    }

    /// Brings every broker back, lets the cluster settle, and checks what must hold at the end.
    pub fn end(&mut self) -> Vec<Violation> {
        self.note(Input::EndPhase);
        for (_, fault) in std::mem::take(&mut self.recoveries) {
            self.recover(fault.recovery_command());
        }
        let brokers: Vec<(BrokerId, bool, bool)> = self
            .world
            .brokers()
            .iter()
            .map(|b| (b.id, b.is_running(), b.cut_off.is_some()))
            .collect();
        for (broker, running, cut) in brokers {
            if !running {
                self.apply(Command::Restart(broker));
            }
            if cut {
                self.apply(Command::Heal(broker));
            }
        }
        let settled = self.world.now() + SETTLE_MS;
        self.run_to(settled);
        let mut violations = self.check_now();
        for entry in self.world.ledger().entries {
            let message = entry.message;
            if entry.verdict == Verdict::AckedLost {
                violations.push(Violation::AckedMessageLost { message });
            }
            if entry.skipped {
                violations.push(Violation::ConsumerSkipped { message });
            }
            // A duplicate is a broken promise only when idempotence was on for its producer.
            let idempotent = self.world.producers()[entry.producer.index()]
                .config
                .idempotent();
            if entry.is_duplicated() && idempotent {
                violations.push(Violation::DuplicateInLog { message });
            }
        }
        violations
    }
}

/// Runs `plan` from the start: the replay of a schedule the search found, or a random one.
/// It makes the same decisions in the same order as the search, so it lands on the same run.
/// A planned fault that does not apply when its moment comes (its broker is already down) is
/// skipped; `Run::plan` holds the faults that were injected.
pub fn drive(
    setup: &Setup,
    bounds: &Bounds,
    plan: &[Planned],
    record: bool,
) -> Result<(Run, Vec<Violation>), String> {
    let mut run = Run::new(setup, bounds, record)?;
    let mut next = plan.iter().peekable();
    loop {
        run.prepare();
        let violations = run.check_now();
        if !violations.is_empty() {
            return Ok((run, violations));
        }
        if run.can_branch(bounds.depth)
            && let Some(planned) = next.next_if(|p| p.at <= run.steps)
        {
            if run.applies(planned.fault) {
                run.inject(planned.fault);
            }
            continue;
        }
        if run.ready_to_end(bounds.depth) || !run.step() {
            break;
        }
    }
    let violations = run.end();
    Ok((run, violations))
}
