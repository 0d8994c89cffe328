//! `ackscope bench`: how fast the engine, the history and the lesson checks are on this machine.
//!
//! Figures are wall-clock measurements of a release build; run `cargo run --release -- bench`.
//! Nothing here is asserted in tests — only reported.

// Counts and byte totals are turned into reported figures; they stay far below 2^52.
#![allow(clippy::cast_precision_loss)]

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::lesson::{Player, bundled};
use crate::sim::config::{CommitStyle, ConsumerSetup, OffsetReset, ProducerSetup, TopicSetup};
use crate::sim::{Acks, Lang, Setup, Sim, Time, World};

/// One measured figure.
#[derive(Clone, Debug, Serialize)]
pub struct Figure {
    pub name: String,
    pub value: f64,
    pub unit: &'static str,
    /// The goal from the performance issue, if there is one.
    pub goal: Option<String>,
    pub meets_goal: Option<bool>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    pub cores: usize,
    pub cpu: String,
    pub os: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    pub machine: Machine,
    pub figures: Vec<Figure>,
}

fn figure(name: &str, value: f64, unit: &'static str, goal: Option<(&str, bool)>) -> Figure {
    Figure {
        name: name.to_string(),
        value,
        unit,
        goal: goal.map(|(g, _)| g.to_string()),
        meets_goal: goal.map(|(_, ok)| ok),
    }
}

pub fn machine() -> Machine {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown".to_string());
    Machine {
        cores: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        cpu,
        os: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
    }
}

/// The standard workload: 5 brokers, 12 partitions, RF 3, two producers sending one message
/// every millisecond each (acks=all), one consumer group of two members.
pub fn standard_setup() -> Setup {
    let producer = |name: &str| ProducerSetup {
        name: name.to_string(),
        acks: Acks::All,
        send_every_ms: Some(1),
        ..ProducerSetup::default()
    };
    let consumer = |name: &str| ConsumerSetup {
        name: name.to_string(),
        commit: CommitStyle::Auto,
        auto_offset_reset: OffsetReset::Earliest,
        ..ConsumerSetup::default()
    };
    Setup {
        brokers: 5,
        topics: vec![TopicSetup {
            partitions: 12,
            replication_factor: 3,
            min_insync_replicas: 2,
            ..TopicSetup::default()
        }],
        producers: vec![producer("P1"), producer("P2")],
        consumers: vec![consumer("C1"), consumer("C2")],
        ..Setup::default()
    }
}

/// A large cluster: 50 brokers, 500 partitions, RF 3, two producers.
pub fn large_setup() -> Setup {
    let producer = |name: &str| ProducerSetup {
        name: name.to_string(),
        acks: Acks::All,
        send_every_ms: Some(1),
        ..ProducerSetup::default()
    };
    Setup {
        brokers: 50,
        topics: vec![TopicSetup {
            partitions: 500,
            replication_factor: 3,
            min_insync_replicas: 2,
            ..TopicSetup::default()
        }],
        producers: vec![producer("P1"), producer("P2")],
        ..Setup::default()
    }
}

/// Runs the raw engine until `events` events happened. Returns (events, steps, elapsed).
pub fn engine_run(setup: &Setup, events: u64) -> (u64, u64, Duration) {
    let mut world = World::new(setup).expect("the bench setups are valid");
    let (mut seen, mut steps) = (0u64, 0u64);
    let start = Instant::now();
    while seen < events && world.step(Time::MAX) {
        world.drain_events(|_| seen += 1);
        steps += 1;
    }
    (seen, steps, start.elapsed())
}

/// Events and steps per second of one engine run.
#[derive(Clone, Copy, Debug)]
pub struct Rate {
    pub events: f64,
    pub steps: f64,
}

/// The rates of several runs of the same workload, slowest first.
pub struct Rates(Vec<Rate>);

impl Rates {
    pub fn slowest(&self) -> Rate {
        self.0[0]
    }

    pub fn median(&self) -> Rate {
        self.0[self.0.len() / 2]
    }

    pub fn fastest(&self) -> Rate {
        self.0[self.0.len() - 1]
    }
}

/// Runs the engine on `setup` `runs` times (at least once) for `events` events each.
pub fn engine_rates(setup: &Setup, events: u64, runs: usize) -> Rates {
    let mut rates: Vec<Rate> = (0..runs.max(1))
        .map(|_| {
            let (seen, steps, elapsed) = engine_run(setup, events);
            Rate {
                events: per_second(seen, elapsed),
                steps: per_second(steps, elapsed),
            }
        })
        .collect();
    rates.sort_by(|a, b| a.events.total_cmp(&b.events));
    Rates(rates)
}

fn per_second(count: u64, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64().max(1e-9)
}

/// Resident memory of this process in bytes (Linux), to estimate history size.
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: u64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb * 1024)
}

/// Step-back latency with `history` events recorded: (median, p99, bytes of history per event).
pub fn step_back_latency(history: u64, samples: usize) -> (Duration, Duration, Option<f64>) {
    let before = resident_bytes();
    let mut sim = Sim::new(&standard_setup()).expect("valid");
    while (sim.events().len() as u64) < history && sim.step() {}
    let per_event = before
        .zip(resident_bytes())
        .map(|(b, a)| a.saturating_sub(b) as f64 / sim.events().len().max(1) as f64);
    let mut times: Vec<Duration> = (0..samples)
        .map_while(|_| {
            let start = Instant::now();
            sim.step_back().then(|| start.elapsed())
        })
        .collect();
    let (median, p99) = median_p99(&mut times);
    (median, p99, per_event)
}

/// Parses and plays every bundled lesson, checking every expectation.
pub fn check_all_lessons() -> (usize, Duration) {
    let start = Instant::now();
    let lessons = bundled::all().expect("bundled lessons are valid");
    for lesson in &lessons {
        let mut player = Player::new(std::sync::Arc::clone(lesson), None).expect("valid");
        let report = crate::report::run(&mut player, Lang::En);
        assert!(report.passed, "{} fails its check", lesson.id);
    }
    (lessons.len(), start.elapsed())
}

/// Set in the environment of the child process that measures history memory.
const CHILD: &str = "ACKSCOPE_BENCH_CHILD";

/// Step-back latency and history memory with 100 000 events of history.
fn step_back_figures(scale: u64) -> Vec<Figure> {
    let (median, p99, per_event) = step_back_latency(100_000 / scale, (2_000 / scale) as usize);
    let p99_ms = p99.as_secs_f64() * 1e3;
    let mut figures = vec![
        figure(
            "step back, median, 100 000 events of history",
            median.as_secs_f64() * 1e3,
            "ms",
            None,
        ),
        figure(
            "step back, p99, 100 000 events of history",
            p99_ms,
            "ms",
            Some(("≤ 1 ms", p99_ms <= 1.0)),
        ),
    ];
    if let Some(bytes) = per_event {
        figures.push(figure(
            "history memory per event (resident)",
            bytes,
            "bytes",
            Some(("≤ 200 bytes", bytes <= 200.0)),
        ));
    }
    figures
}

/// Runs one measurement in a fresh copy of this program and reads its figures back.
fn run_in_child(part: &str, quick: bool) -> Option<Vec<Figure>> {
    let exe = std::env::current_exe().ok()?;
    let mut command = std::process::Command::new(exe);
    command
        .args(["bench", "--format", "json", "--only", part])
        .env(CHILD, "1");
    if quick {
        command.arg("--quick");
    }
    let output = command.output().ok().filter(|o| o.status.success())?;
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).ok()?;
    let figures = report.get("figures")?.as_array()?;
    figures
        .iter()
        .map(|f| {
            let goal = f
                .get("goal")
                .and_then(serde_json::Value::as_str)
                .map(str::to_string);
            Some(Figure {
                name: f.get("name")?.as_str()?.to_string(),
                value: f.get("value")?.as_f64()?,
                unit: match f.get("unit")?.as_str()? {
                    "ms" => "ms",
                    "bytes" => "bytes",
                    _ => "",
                },
                goal,
                meets_goal: f.get("meets_goal").and_then(serde_json::Value::as_bool),
            })
        })
        .collect()
}

/// The lesson whose last frame the render measurement draws.
const RENDER_LESSON: &str = "acks-one";

/// Median and p99 of `samples` (sorted in place).
fn median_p99(samples: &mut [Duration]) -> (Duration, Duration) {
    samples.sort();
    let at = |percent: usize| {
        samples
            .get(samples.len().saturating_sub(1) * percent / 100)
            .copied()
            .unwrap_or_default()
    };
    (at(50), at(99))
}

/// Time to draw the lesson view at `width`×`height`: (median, p99) over `frames` draws.
pub fn render_time(width: u16, height: u16, frames: usize) -> Result<(Duration, Duration), String> {
    let lesson = bundled::all()
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|l| l.id == RENDER_LESSON)
        .ok_or("the render lesson is bundled")?;
    let mut screen = crate::tui::Offscreen::lesson_at_end(lesson, width, height)?;
    screen.draw();
    let mut times: Vec<Duration> = (0..frames)
        .map(|_| {
            let start = Instant::now();
            screen.draw();
            start.elapsed()
        })
        .collect();
    Ok(median_p99(&mut times))
}

fn render_figures(scale: u64) -> Vec<Figure> {
    let frames = (2_000 / scale).max(5) as usize;
    let mut figures = Vec::new();
    for (width, height) in [(160, 48), (300, 80)] {
        let (median, p99) = match render_time(width, height, frames) {
            Ok(times) => times,
            Err(e) => {
                eprintln!("ackscope: render: {e}");
                continue;
            }
        };
        let what = format!(
            "draw lesson view {width}×{height} on TestBackend ({RENDER_LESSON} at its end, metrics on)"
        );
        let (median_ms, p99_ms) = (median.as_secs_f64() * 1e3, p99.as_secs_f64() * 1e3);
        let goal = |ms: f64| (width == 160).then_some(("≤ 1 ms", ms <= 1.0));
        figures.push(figure(
            &format!("{what}, median"),
            median_ms,
            "ms",
            goal(median_ms),
        ));
        figures.push(figure(&format!("{what}, p99"), p99_ms, "ms", goal(p99_ms)));
    }
    figures
}

/// Set in the environment of a child that only draws its first frame off-screen and exits.
pub const FIRST_FRAME_CHILD: &str = "ACKSCOPE_BENCH_FIRST_FRAME";

/// In the child: loads what `ackscope` loads at start, draws the home screen into a 160×48
/// `TestBackend` and reports success. The parent times the whole process.
pub fn first_frame() -> bool {
    match crate::tui::Offscreen::home(160, 48) {
        Ok(mut screen) => {
            screen.draw();
            screen.text().contains("ackscope")
        }
        Err(e) => {
            eprintln!("ackscope: {e}");
            false
        }
    }
}

/// Process start to first frame: the median wall time of `runs` runs of this program that start,
/// draw the home screen off-screen and exit.
fn startup_figures(scale: u64) -> Vec<Figure> {
    let runs = (30 / scale).max(3) as usize;
    let Ok(exe) = std::env::current_exe() else {
        return Vec::new();
    };
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let status = std::process::Command::new(&exe)
            .env(FIRST_FRAME_CHILD, "1")
            .stdin(std::process::Stdio::null())
            .status();
        if !status.is_ok_and(|s| s.success()) {
            eprintln!("ackscope: startup: the child did not draw its first frame");
            return Vec::new();
        }
        times.push(start.elapsed());
    }
    let (median, _) = median_p99(&mut times);
    let ms = median.as_secs_f64() * 1e3;
    vec![figure(
        &format!(
            "process start to first frame (spawn, load lessons, home drawn on 160×48 TestBackend, exit), median of {runs}"
        ),
        ms,
        "ms",
        Some(("≤ 50 ms", ms <= 50.0)),
    )]
}

/// The measurements `ackscope bench --only` can pick.
pub const PARTS: &[&str] = &["engine", "large", "step-back", "check", "render", "startup"];

/// Runs the measurements (all, or only those named). `quick` shortens the runs, to try the
/// command itself; its figures are not meaningful.
pub fn run(quick: bool, only: &[String]) -> BenchReport {
    let scale = if quick { 100 } else { 1 };
    let wanted = |part: &str| only.is_empty() || only.iter().any(|o| o == part);
    let mut figures = Vec::new();
    // A shared host's speed drifts from one second to the next: each engine figure is the median
    // of several runs, with the slowest and fastest beside it to show the spread.
    let runs = if quick { 1 } else { 5 };
    if wanted("engine") {
        let rates = engine_rates(&standard_setup(), 1_000_000 / scale, runs);
        let median = rates.median();
        figures.push(figure(
            &format!(
                "engine events/s, standard workload (5 brokers, 12 partitions, RF 3), median of {runs}"
            ),
            median.events,
            "events/s",
            Some(("≥ 5 000 000", median.events >= 5e6)),
        ));
        figures.push(figure(
            "engine events/s, standard workload, slowest run",
            rates.slowest().events,
            "events/s",
            None,
        ));
        figures.push(figure(
            "engine events/s, standard workload, fastest run",
            rates.fastest().events,
            "events/s",
            None,
        ));
        figures.push(figure(
            "engine steps/s, standard workload (event groups), median run",
            median.steps,
            "steps/s",
            None,
        ));
    }
    if wanted("large") {
        let rates = engine_rates(&large_setup(), 1_000_000 / scale, runs);
        figures.push(figure(
            &format!(
                "engine events/s, large cluster (50 brokers, 500 partitions), median of {runs}"
            ),
            rates.median().events,
            "events/s",
            None,
        ));
    }
    if wanted("step-back") {
        // Memory is read as resident size, so measure in a fresh process where nothing freed
        // earlier can be reused.
        if std::env::var_os(CHILD).is_none()
            && let Some(child) = run_in_child("step-back", quick)
        {
            figures.extend(child);
        } else {
            figures.extend(step_back_figures(scale));
        }
    }
    if wanted("check") {
        let (count, elapsed) = check_all_lessons();
        let seconds = elapsed.as_secs_f64();
        figures.push(figure(
            &format!("check of all {count} bundled lessons (in process)"),
            seconds * 1e3,
            "ms",
            Some(("≤ 1 s", seconds <= 1.0)),
        ));
    }
    if wanted("render") {
        figures.extend(render_figures(scale));
    }
    if wanted("startup") {
        figures.extend(startup_figures(scale));
    }
    BenchReport {
        machine: machine(),
        figures,
    }
}

/// The report as a table.
pub fn table(report: &BenchReport) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let m = &report.machine;
    let _ = writeln!(out, "machine: {} cores, {}, {}\n", m.cores, m.cpu, m.os);
    let name_w = report
        .figures
        .iter()
        .map(|f| f.name.chars().count())
        .max()
        .unwrap_or(0)
        .max(7);
    let _ = writeln!(
        out,
        "{:<name_w$} {:>14} {:<9} goal",
        "measure", "value", "unit"
    );
    for f in &report.figures {
        let verdict = match f.meets_goal {
            Some(true) => "met",
            Some(false) => "NOT MET",
            None => "",
        };
        let _ = writeln!(
            out,
            "{:<name_w$} {:>14} {:<9} {} {verdict}",
            f.name,
            readable(f.value),
            f.unit,
            f.goal.as_deref().unwrap_or("")
        );
    }
    out
}

/// A figure as people read it: `5 312 004` for rates, `0.412` for milliseconds.
fn readable(value: f64) -> String {
    if value < 1_000.0 {
        return format!("{value:.3}");
    }
    // Rates are whole numbers of events; group their digits like the goals are written.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let digits = (value.round() as u64).to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::readable;

    #[test]
    fn rates_are_grouped_and_small_figures_keep_three_decimals() {
        assert_eq!(readable(5_312_004.4), "5 312 004");
        assert_eq!(readable(1_000.0), "1 000");
        assert_eq!(readable(0.41234), "0.412");
        assert_eq!(readable(155.9), "155.900");
    }
}
