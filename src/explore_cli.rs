//! `ackscope explore`: flags, progress bar and report around `ackscope::explore`.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use ackscope::explore::{self, Bounds, Budget, Options, Phase, Progress, Summary, Workload};
use ackscope::sim::{Lang, Setup};

use crate::{Format, LangArg, SandboxArgs, resolve, write_out};

/// Search fault schedules for a run that loses an acknowledged message (or breaks another safety
/// property). Exit status: 0 when nothing is found, 1 when a counterexample is found, 2 on bad input.
#[derive(clap::Args)]
pub struct ExploreArgs {
    /// Take the cluster from a lesson (bundled id or .ron path) instead of the flags below.
    lesson: Option<String>,
    #[command(flatten)]
    cluster: SandboxArgs,
    /// Messages the workload sends, one after the other.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..))]
    messages: u32,
    /// Process crashes (kill -9) a schedule may use.
    #[arg(long, default_value_t = 1)]
    crashes: u8,
    /// Power cuts a schedule may use.
    #[arg(long, default_value_t = 0)]
    power_cuts: u8,
    /// Network cuts (a broker cut off from everyone) a schedule may use.
    #[arg(long, default_value_t = 0)]
    cuts: u8,
    /// At most this many faults in all (default: the sum of the above).
    #[arg(long)]
    faults: Option<u32>,
    /// Engine steps from the start within which faults may strike (default: the fault-free
    /// workload's length plus 10).
    #[arg(long)]
    depth: Option<u32>,
    /// Seconds of seeded random schedules beyond the bounds once the exhaustive search is done.
    #[arg(long, default_value_t = 5.0)]
    random: f64,
    /// Seconds the exhaustive search may take before it reports what it covered.
    #[arg(long, default_value_t = 120.0)]
    max_time: f64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Worker threads (default: every core).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
    /// Explore every state, even one equivalent to a state already explored (slower; confirms a
    /// "no violation" without trusting the deduplication).
    #[arg(long)]
    no_dedup: bool,
    /// Write the counterexample as a lesson that replays it, one beat per fault.
    #[arg(long)]
    out: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    #[arg(long, value_enum, default_value_t = LangArg::En)]
    lang: LangArg,
}

impl ExploreArgs {
    fn setup(&self) -> Result<Setup, String> {
        match &self.lesson {
            Some(lesson) => Ok(resolve(lesson)?.setup.clone()),
            None => self.cluster.to_setup(),
        }
    }

    fn bounds(&self, setup: &Setup) -> Result<Bounds, String> {
        let budget = Budget {
            crashes: self.crashes,
            power_cuts: self.power_cuts,
            cuts: self.cuts,
        };
        let workload = Workload {
            messages: self.messages,
        };
        let depth = match self.depth {
            Some(depth) => depth,
            None => explore::natural_depth(setup, workload)?,
        };
        Ok(Bounds {
            workload,
            budget,
            faults: self.faults.unwrap_or(budget.total()).min(budget.total()),
            depth,
        })
    }

    fn options(&self) -> Result<Options, String> {
        // A day is more than any search here needs, and keeps deadlines representable.
        let seconds = |name: &str, s: f64| match Duration::try_from_secs_f64(s) {
            Ok(d) if d <= Duration::from_secs(86_400) => Ok(d),
            _ => Err(format!(
                "--{name} must be between 0 and 86400 seconds, found {s}"
            )),
        };
        Ok(Options {
            threads: self.threads.map_or_else(
                || std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
                usize::from,
            ),
            seed: self.seed,
            random_time: seconds("random", self.random)?,
            random_runs: None,
            exhaustive_time: seconds("max-time", self.max_time)?,
            dedup: !self.no_dedup,
        })
    }
}

/// `[#####-----] ≤1 of 2 faults · 1,234 decision points · 456 runs · 1.2M steps/s · 0.8 s` on stderr.
fn draw_progress(progress: &Progress) {
    const WIDTH: u8 = 24;
    // `done` is a share in 0..=1, so the product fits a u8.
    #[allow(clippy::cast_sign_loss)]
    let filled = usize::from(((progress.done.clamp(0.0, 1.0) * f64::from(WIDTH)) as u8).min(WIDTH));
    let width = usize::from(WIDTH);
    let phase = match progress.level {
        Some((level, levels)) => format!("≤{level} of {levels} faults"),
        None => "random schedules".to_string(),
    };
    let rate = per_second(progress.steps, progress.elapsed);
    let mut err = std::io::stderr().lock();
    let _ = write!(
        err,
        "\r\x1b[2K[{}{}] {phase} · {} decision points · {} runs · {rate} steps/s · {:.1} s",
        "#".repeat(filled),
        "-".repeat(width - filled),
        grouped(progress.states),
        grouped(progress.runs),
        progress.elapsed.as_secs_f64()
    );
    let _ = err.flush();
}

#[allow(clippy::cast_precision_loss)] // display only
fn per_second(count: u64, elapsed: Duration) -> String {
    let rate = count as f64 / elapsed.as_secs_f64().max(1e-6);
    if rate >= 1e6 {
        format!("{:.1}M", rate / 1e6)
    } else if rate >= 1e3 {
        format!("{:.0}k", rate / 1e3)
    } else {
        format!("{rate:.0}")
    }
}

/// `1234567` → `1,234,567`.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn header(setup: &Setup, bounds: &Bounds, lang: Lang) -> String {
    let topics: Vec<String> = setup
        .topics
        .iter()
        .map(|t| {
            format!(
                "{} ×{} RF {} min.insync.replicas {}{}",
                t.name,
                t.partitions,
                t.replication_factor,
                t.min_insync_replicas,
                if t.unclean_leader_election_enable {
                    " unclean"
                } else {
                    ""
                }
            )
        })
        .collect();
    let acks = setup
        .producers
        .first()
        .map_or(String::new(), |p| format!(" · acks={}", p.acks));
    let (brokers, topics, era) = (setup.brokers, topics.join(", "), setup.era.label());
    let (messages, faults, depth) = (bounds.workload.messages, bounds.faults, bounds.depth);
    let Budget {
        crashes,
        power_cuts,
        cuts,
    } = bounds.budget;
    match lang {
        Lang::En => format!(
            "cluster: {brokers} brokers · {topics}{acks} · {era}\nbounds:  {messages} message(s) · up to {faults} fault(s): {crashes} crash(es), {power_cuts} power cut(s), {cuts} network cut(s) · within the first {depth} engine steps\n"
        ),
        Lang::Zh => format!(
            "集群：{brokers} 个 broker · {topics}{acks} · {era}\n范围：{messages} 条消息 · 最多 {faults} 次故障：进程崩溃 {crashes}、断电 {power_cuts}、断网 {cuts} · 故障只发生在前 {depth} 个引擎步骤内\n"
        ),
    }
}

fn footer(summary: &Summary, options: &Options, lang: Lang) -> String {
    let rate = per_second(summary.steps, summary.elapsed);
    let searched = match lang {
        Lang::En => format!(
            "searched: {} decision points ({} skipped as already explored), {} runs checked, {} engine steps in {:.2} s ({rate} steps/s on {} threads)",
            grouped(summary.states),
            grouped(summary.skipped),
            grouped(summary.runs),
            grouped(summary.steps),
            summary.elapsed.as_secs_f64(),
            options.threads
        ),
        Lang::Zh => format!(
            "搜索量：{} 个决策点（其中 {} 个与已探索的状态等价而跳过），检查了 {} 次运行，{} 个引擎步骤，用时 {:.2} 秒（每秒 {rate} 步，{} 个线程）",
            grouped(summary.states),
            grouped(summary.skipped),
            grouped(summary.runs),
            grouped(summary.steps),
            summary.elapsed.as_secs_f64(),
            options.threads
        ),
    };
    let mut out = searched;
    if !summary.exhaustive_done {
        out.push_str(match lang {
            Lang::En => "\nthe exhaustive search ran out of time (--max-time) before covering every schedule",
            Lang::Zh => "\n穷举搜索在 --max-time 之前没有覆盖全部调度",
        });
    }
    if summary.random_runs > 0 {
        let runs = grouped(summary.random_runs);
        let seed = options.seed;
        let _ = match lang {
            Lang::En => write!(
                out,
                "\nthen {runs} random schedules beyond the bounds (horizon ×4, seed {seed})"
            ),
            Lang::Zh => write!(
                out,
                "\n之后又运行了 {runs} 个超出范围的随机调度（步数上限 ×4，种子 {seed}）"
            ),
        };
    }
    out
}

fn json(summary: &Summary, setup: &Setup, bounds: &Bounds, options: &Options) -> String {
    let found = summary.found.as_ref().map(|f| {
        serde_json::json!({
            "phase": match f.phase { Phase::Exhaustive => "exhaustive".to_string(), Phase::Random { run } => format!("random #{run}") },
            "violations": explore::violation_texts(setup, f, Lang::En),
            "faults": f.plan.iter().map(|p| serde_json::json!({
                "at_step": p.at,
                "kind": format!("{:?}", p.fault.kind),
                "broker": p.fault.broker.0,
                "recovery": format!("{:?}", p.fault.recovery),
            })).collect::<Vec<_>>(),
            "trace": explore::words(setup, f, Lang::En),
        })
    });
    let value = serde_json::json!({
        "bounds": {
            "messages": bounds.workload.messages,
            "crashes": bounds.budget.crashes,
            "power_cuts": bounds.budget.power_cuts,
            "cuts": bounds.budget.cuts,
            "faults": bounds.faults,
            "depth": bounds.depth,
        },
        "found": found,
        "decision_points": summary.states,
        "skipped": summary.skipped,
        "runs": summary.runs,
        "steps": summary.steps,
        "exhaustive_done": summary.exhaustive_done,
        "random_runs": summary.random_runs,
        "seed": options.seed,
        "threads": options.threads,
        "seconds": summary.elapsed.as_secs_f64(),
    });
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

pub fn explore_command(args: &ExploreArgs) -> ExitCode {
    let prepared = args
        .setup()
        .and_then(|setup| Ok((args.bounds(&setup)?, args.options()?, setup)));
    let (bounds, options, setup) = match prepared {
        Ok(prepared) => prepared,
        Err(e) => {
            eprintln!("ackscope explore: {}", e.trim_end());
            return ExitCode::from(2);
        }
    };
    let lang: Lang = args.lang.into();
    let text = matches!(args.format, Format::Text);
    if text {
        say!("{}", header(&setup, &bounds, lang));
    }
    let show_progress = std::io::stderr().is_terminal();
    let result = explore::explore(&setup, &bounds, &options, |p| {
        if show_progress {
            draw_progress(p);
        }
    });
    if show_progress {
        eprint!("\r\x1b[2K");
    }
    let summary = match result {
        Ok(summary) => summary,
        Err(e) => {
            eprintln!("ackscope explore: {e}");
            return ExitCode::from(2);
        }
    };
    if !text {
        write_out(&json(&summary, &setup, &bounds, &options), true);
    } else if let Some(found) = &summary.found {
        say!("{}", explore::words(&setup, found, lang));
    } else {
        say!(
            "{}",
            match lang {
                Lang::En => "no violation within these bounds",
                Lang::Zh => "在这些范围内没有发现违反",
            }
        );
    }
    if text {
        say!("{}", footer(&summary, &options, lang));
    }
    if let (Some(found), Some(path)) = (&summary.found, &args.out) {
        let source = explore::lesson_source(&explore::lesson(&setup, found));
        if let Err(e) = std::fs::write(path, source) {
            eprintln!("ackscope explore: cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
        if text {
            say!(
                "{}",
                match lang {
                    Lang::En => format!(
                        "lesson written to {0}: replay it with `ackscope lesson {0}`, check it with `ackscope check {0}`",
                        path.display()
                    ),
                    Lang::Zh => format!(
                        "课程已写入 {0}：用 `ackscope lesson {0}` 回放，用 `ackscope check {0}` 检查",
                        path.display()
                    ),
                }
            );
        }
    }
    if summary.found.is_some() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
