//! `ackscope explore`: searches fault schedules for a run that breaks a safety property.
//!
//! A schedule is a list of faults, each at a decision point (the number of engine steps run before
//! it) and with a recovery (at once, after a while, or at the end). Every run sends a small
//! workload, suffers its faults, then has every broker brought back and settles; the properties of
//! `sim::invariants` are checked along the way and at the end.
//!
//! The search is exhaustive within the bounds, one fault at a time (all schedules with no fault,
//! then with at most one, …), skipping states it has already explored (`World::fingerprint`), so
//! the first level that breaks a property gives the shortest counterexample. Beyond the bounds it
//! runs seeded random schedules, swarm style: each run enables a random subset of fault kinds and
//! brokers and may strike anywhere in a horizon four times deeper.

mod export;
mod run;

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};

use crate::sim::Setup;
use crate::sim::invariants::Violation;

pub use export::{lesson, lesson_source, violation_texts, words};
pub use run::{Bounds, Budget, Fault, FaultKind, Input, Planned, Recovery, Run, Workload, drive};

/// How a search runs.
#[derive(Clone, Debug)]
pub struct Options {
    /// Worker threads (every core by default).
    pub threads: usize,
    /// Seed of the randomised phase.
    pub seed: u64,
    /// Wall-clock time for the randomised phase once the exhaustive one is done.
    pub random_time: Duration,
    /// A cap on random schedules (tests use it to stay deterministic and fast).
    pub random_runs: Option<u64>,
    /// Wall-clock limit of the exhaustive phase; past it the search says it did not finish.
    pub exhaustive_time: Duration,
    /// Skip states equivalent to ones already explored (`World::fingerprint`).
    pub dedup: bool,
}

/// Which phase found a counterexample.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    Exhaustive,
    /// The random schedule with this index (reproducible with the same seed).
    Random {
        run: u64,
    },
}

/// A schedule that breaks a property.
#[derive(Clone, Debug)]
pub struct Found {
    pub plan: Vec<Planned>,
    pub violations: Vec<Violation>,
    /// The bounds the schedule runs under (its depth matters for the replay).
    pub bounds: Bounds,
    pub phase: Phase,
    /// The fingerprint of the world at the end of the run, for checking a replay.
    pub end_state: u64,
}

/// What a search did.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub found: Option<Found>,
    /// Decision points the exhaustive phase visited (a run passes one before each engine step).
    pub states: u64,
    /// States it skipped because an equivalent one was already explored.
    pub skipped: u64,
    /// Runs taken to the end and checked, both phases.
    pub runs: u64,
    /// Engine steps run, both phases, end phases included.
    pub steps: u64,
    /// Whether every schedule within the bounds was explored.
    pub exhaustive_done: bool,
    pub random_runs: u64,
    pub elapsed: Duration,
}

/// A moment of the search, for a progress bar.
#[derive(Clone, Debug)]
pub struct Progress {
    /// `Some((level, levels))` in the exhaustive phase: schedules with at most `level` faults.
    pub level: Option<(u32, u32)>,
    /// Share of the current phase done, 0 to 1.
    pub done: f64,
    pub states: u64,
    pub runs: u64,
    pub steps: u64,
    pub elapsed: Duration,
}

/// Counters and the deduplication table, shared by the workers.
struct Shared {
    dedup: bool,
    /// Fingerprint → the most decision points left with which that state was explored.
    seen: Vec<Mutex<HashMap<u64, u32>>>,
    states: AtomicU64,
    skipped: AtomicU64,
    runs: AtomicU64,
    steps: AtomicU64,
    found: Mutex<Vec<Found>>,
    /// The decision point of the last fault of the shortest counterexample so far.
    best: AtomicU32,
    /// Set when the exhaustive phase runs out of time.
    stop: AtomicBool,
}

const SHARDS: usize = 64;

impl Shared {
    fn new(dedup: bool) -> Shared {
        Shared {
            dedup,
            seen: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            states: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
            runs: AtomicU64::new(0),
            steps: AtomicU64::new(0),
            found: Mutex::new(Vec::new()),
            best: AtomicU32::new(u32::MAX),
            stop: AtomicBool::new(false),
        }
    }

    /// Records a visit; false if the state was already explored with at least as much depth left.
    fn first_visit(&self, fingerprint: u64, depth_left: u32) -> bool {
        let shard = &self.seen[(fingerprint % SHARDS as u64) as usize];
        let mut seen = shard
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match seen.get(&fingerprint) {
            Some(&explored) if explored >= depth_left => false,
            _ => {
                seen.insert(fingerprint, depth_left);
                true
            }
        }
    }

    fn report(&self, found: Found) {
        let last = found.plan.last().map_or(0, |p| p.at);
        self.best.fetch_min(last, Ordering::Relaxed);
        self.found
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(found);
    }

    fn progress(&self, level: Option<(u32, u32)>, done: f64, started: Instant) -> Progress {
        Progress {
            level,
            done,
            states: self.states.load(Ordering::Relaxed),
            runs: self.runs.load(Ordering::Relaxed),
            steps: self.steps.load(Ordering::Relaxed),
            elapsed: started.elapsed(),
        }
    }

    /// The shortest counterexample: fewest faults, then the earliest last fault, then the plan.
    fn shortest(&self) -> Option<Found> {
        let found = self
            .found
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        found
            .iter()
            .min_by_key(|f| {
                (
                    f.plan.len(),
                    f.plan.last().map_or(0, |p| p.at),
                    f.plan.clone(),
                )
            })
            .cloned()
    }
}

/// Recovery choices offered with each fault: a bounce, back once the controller has reacted
/// (fenced it and moved leadership), or only at the end.
fn recoveries(setup: &Setup) -> [Recovery; 3] {
    [
        Recovery::Immediately,
        Recovery::After(setup.broker.broker_session_timeout_ms + 1_000),
        Recovery::AtEnd,
    ]
}

/// Depth-first search below `run`, within `bounds`.
fn search(mut run: Run, bounds: &Bounds, choices: &[Recovery], shared: &Shared) {
    loop {
        if shared.stop.load(Ordering::Relaxed) {
            return;
        }
        run.prepare();
        shared.states.fetch_add(1, Ordering::Relaxed);
        let violations = run.check_now();
        if !violations.is_empty() {
            shared.steps.fetch_add(run.work, Ordering::Relaxed);
            shared.report(Found {
                plan: run.plan.clone(),
                violations,
                bounds: *bounds,
                phase: Phase::Exhaustive,
                end_state: run.world.fingerprint(),
            });
            return;
        }
        // A schedule whose faults all come after the shortest counterexample's cannot beat it.
        let worth_branching = run.steps <= shared.best.load(Ordering::Relaxed);
        if run.can_branch(bounds.depth) && worth_branching {
            if shared.dedup && !shared.first_visit(run.fingerprint(), bounds.depth - run.steps) {
                shared.skipped.fetch_add(1, Ordering::Relaxed);
                shared.steps.fetch_add(run.work, Ordering::Relaxed);
                return;
            }
            for fault in run.options(choices) {
                let mut child = run.clone();
                child.work = 0;
                child.inject(fault);
                search(child, bounds, choices, shared);
            }
        }
        if run.ready_to_end(bounds.depth) || !run.step() {
            break;
        }
    }
    let violations = run.end();
    shared.runs.fetch_add(1, Ordering::Relaxed);
    shared.steps.fetch_add(run.work, Ordering::Relaxed);
    if !violations.is_empty() {
        shared.report(Found {
            end_state: run.world.fingerprint(),
            plan: run.plan,
            violations,
            bounds: *bounds,
            phase: Phase::Exhaustive,
        });
    }
}

/// The fault-free spine of level `bounds.faults`: each fault option at each of its decision
/// points is one task for the workers.
fn spine_tasks(setup: &Setup, bounds: &Bounds, choices: &[Recovery]) -> Result<Vec<Run>, String> {
    let mut run = Run::new(setup, bounds, false)?;
    let mut tasks = Vec::new();
    loop {
        run.prepare();
        if !run.check_now().is_empty() || !run.can_branch(bounds.depth) {
            break;
        }
        for fault in run.options(choices) {
            let mut child = run.clone();
            child.inject(fault);
            tasks.push(child);
        }
        if run.ready_to_end(bounds.depth) || !run.step() {
            break;
        }
    }
    Ok(tasks)
}

/// How often a running search reports progress.
const TICK: Duration = Duration::from_millis(20);

/// Runs `worker` on `threads` threads, calling `tick` every `TICK` until they are all done.
fn with_workers(threads: usize, worker: impl Fn() + Sync, mut tick: impl FnMut()) {
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.max(1)).map(|_| scope.spawn(&worker)).collect();
        while workers.iter().any(|w| !w.is_finished()) {
            tick();
            std::thread::sleep(TICK);
        }
    });
    tick();
}

/// Runs `work` on every item with `threads` workers, calling `tick` with the share done.
fn in_parallel<T: Send>(
    items: Vec<T>,
    threads: usize,
    work: impl Fn(T) + Sync,
    mut tick: impl FnMut(f64),
) {
    let total = items.len() as u64;
    let queue = Mutex::new(items.into_iter());
    let done = AtomicU64::new(0);
    let worker = || {
        loop {
            let next = queue
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .next();
            let Some(item) = next else { break };
            work(item);
            done.fetch_add(1, Ordering::Relaxed);
        }
    };
    with_workers(threads, worker, || {
        tick(ratio(done.load(Ordering::Relaxed), total));
    });
}

#[allow(clippy::cast_precision_loss)] // counters far below 2^52
fn ratio(done: u64, total: u64) -> f64 {
    done as f64 / total.max(1) as f64
}

/// The exhaustive phase: levels of 0, 1, … faults until a level breaks a property.
fn exhaustive(
    setup: &Setup,
    bounds: &Bounds,
    options: &Options,
    shared: &Shared,
    started: Instant,
    progress: &mut impl FnMut(&Progress),
) -> Result<(), String> {
    let choices = recoveries(setup);
    let levels = bounds.faults.min(bounds.budget.total());
    for level in 0..=levels {
        let level_bounds = Bounds {
            faults: level,
            ..*bounds
        };
        if level == 0 {
            search(
                Run::new(setup, &level_bounds, false)?,
                &level_bounds,
                &choices,
                shared,
            );
        } else {
            let mut tasks = spine_tasks(setup, &level_bounds, &choices)?;
            for task in &mut tasks {
                task.work = 0;
            }
            in_parallel(
                tasks,
                options.threads,
                |task| search(task, &level_bounds, &choices, shared),
                |done| {
                    if started.elapsed() > options.exhaustive_time {
                        shared.stop.store(true, Ordering::Relaxed);
                    }
                    progress(&shared.progress(Some((level, levels)), done, started));
                },
            );
        }
        if shared.stop.load(Ordering::Relaxed) {
            break;
        }
        if shared.found.lock().map_or(true, |f| !f.is_empty()) {
            break;
        }
        // Each level starts from a clean table: depth left is measured per level.
        for shard in &shared.seen {
            shard
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clear();
        }
    }
    Ok(())
}

/// One random schedule, swarm style: a random subset of fault kinds and brokers, up to the budget,
/// anywhere in a horizon four times the bounds' depth, with random recoveries.
fn random_plan(setup: &Setup, bounds: &Bounds, seed: u64, index: u64) -> (Bounds, Vec<Planned>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let horizon = bounds.depth.saturating_mul(4).max(1);
    let kinds: Vec<(FaultKind, u8)> = [
        (FaultKind::Crash, bounds.budget.crashes),
        (FaultKind::PowerCut, bounds.budget.power_cuts),
        (FaultKind::CutOff, bounds.budget.cuts),
    ]
    .into_iter()
    .filter(|&(_, n)| n > 0)
    .filter(|_| rng.next_u32() % 4 != 0)
    .collect();
    let brokers: Vec<u16> = (1..=setup.brokers)
        .filter(|_| rng.next_u32() % 3 != 0)
        .collect();
    let mut plan = Vec::new();
    if !kinds.is_empty() && !brokers.is_empty() {
        let faults = 1 + rng.next_u32() % bounds.faults.clamp(1, bounds.budget.total().max(1));
        for _ in 0..faults {
            let (kind, _) = kinds[rng.next_u32() as usize % kinds.len()];
            let broker = crate::sim::BrokerId(brokers[rng.next_u32() as usize % brokers.len()]);
            let recovery = match rng.next_u32() % 3 {
                0 => Recovery::Immediately,
                1 => Recovery::After(u64::from(rng.next_u32() % 30_000)),
                _ => Recovery::AtEnd,
            };
            plan.push(Planned {
                at: rng.next_u32() % horizon,
                fault: Fault {
                    kind,
                    broker,
                    recovery,
                },
            });
        }
        plan.sort_by_key(|p| p.at);
    }
    (
        Bounds {
            depth: horizon,
            ..*bounds
        },
        plan,
    )
}

/// Removes faults from a failing plan while it still fails: a smaller counterexample to read.
fn shrink(setup: &Setup, found: Found) -> Found {
    let mut best = found;
    let mut i = 0;
    while i < best.plan.len() {
        let mut plan = best.plan.clone();
        plan.remove(i);
        match drive(setup, &best.bounds, &plan, false) {
            Ok((run, violations)) if !violations.is_empty() => {
                best = Found {
                    end_state: run.world.fingerprint(),
                    plan: run.plan,
                    violations,
                    ..best
                };
            }
            _ => i += 1,
        }
    }
    best
}

/// The randomised phase: seeded random schedules until the time or run limit, or a violation.
fn randomised(
    setup: &Setup,
    bounds: &Bounds,
    options: &Options,
    shared: &Shared,
    started: Instant,
    progress: &mut impl FnMut(&Progress),
) -> u64 {
    let next = AtomicU64::new(0);
    let lowest_found = AtomicU64::new(u64::MAX);
    // A deadline beyond what `Instant` can hold is no deadline.
    let deadline = Instant::now().checked_add(options.random_time);
    let limit = options.random_runs.unwrap_or(u64::MAX);
    let found: Mutex<Option<Found>> = Mutex::new(None);
    let worker = || {
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            // Lower indices always finish, so the counterexample reported does not depend on timing.
            let late = deadline.is_some_and(|d| Instant::now() >= d);
            if index >= limit || index > lowest_found.load(Ordering::Relaxed) || late {
                break;
            }
            let (random_bounds, plan) = random_plan(setup, bounds, options.seed, index);
            let Ok((run, violations)) = drive(setup, &random_bounds, &plan, false) else {
                break;
            };
            shared.runs.fetch_add(1, Ordering::Relaxed);
            shared.steps.fetch_add(run.work, Ordering::Relaxed);
            if violations.is_empty() {
                continue;
            }
            lowest_found.fetch_min(index, Ordering::Relaxed);
            let mut found = found
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            // Decided under the lock, so a slower thread cannot replace a lower index.
            if found
                .as_ref()
                .is_none_or(|f| f.phase > Phase::Random { run: index })
            {
                *found = Some(Found {
                    plan: run.plan,
                    violations,
                    bounds: random_bounds,
                    phase: Phase::Random { run: index },
                    end_state: run.world.fingerprint(),
                });
            }
        }
    };
    let time_limit = options.random_time.as_secs_f64().max(1e-9);
    with_workers(options.threads, worker, || {
        let time_share = started.elapsed().as_secs_f64() / time_limit;
        let run_share = options
            .random_runs
            .map_or(0.0, |n| ratio(next.load(Ordering::Relaxed), n));
        progress(&shared.progress(None, time_share.max(run_share).min(1.0), started));
    });
    if let Some(found) = found
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
    {
        shared.report(shrink(setup, found));
    }
    next.load(Ordering::Relaxed).min(limit)
}

/// Decision points past the end of a fault-free workload at which faults may still strike: a few
/// more fetches, HW updates and checkpoint ticks.
const DEPTH_MARGIN: u32 = 10;

/// The default depth: as many engine steps as the workload takes without faults, plus a margin.
pub fn natural_depth(setup: &Setup, workload: Workload) -> Result<u32, String> {
    let bounds = Bounds {
        workload,
        budget: Budget::default(),
        faults: 0,
        depth: 0,
    };
    let mut run = Run::new(setup, &bounds, false)?;
    loop {
        run.prepare();
        if run.ready_to_end(0) || !run.step() {
            return Ok(run.steps + DEPTH_MARGIN);
        }
    }
}

/// Searches schedules of faults within `bounds` for a run that breaks a safety property.
pub fn explore(
    setup: &Setup,
    bounds: &Bounds,
    options: &Options,
    mut progress: impl FnMut(&Progress),
) -> Result<Summary, String> {
    let started = Instant::now();
    let shared = Shared::new(options.dedup);
    exhaustive(setup, bounds, options, &shared, started, &mut progress)?;
    let mut summary = Summary {
        exhaustive_done: !shared.stop.load(Ordering::Relaxed),
        ..Summary::default()
    };
    let random_phase = options.random_runs != Some(0)
        && !options.random_time.is_zero()
        && bounds.budget.total() > 0;
    if shared.shortest().is_none() && random_phase {
        let phase_start = Instant::now();
        summary.random_runs =
            randomised(setup, bounds, options, &shared, phase_start, &mut progress);
    }
    summary.found = shared.shortest();
    summary.states = shared.states.load(Ordering::Relaxed);
    summary.skipped = shared.skipped.load(Ordering::Relaxed);
    summary.runs = shared.runs.load(Ordering::Relaxed);
    summary.steps = shared.steps.load(Ordering::Relaxed);
    summary.elapsed = started.elapsed();
    Ok(summary)
}

#[cfg(test)]
mod tests;
