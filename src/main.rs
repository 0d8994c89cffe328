//! ackscope's command line: the TUI by default, and headless commands for lessons.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use ackscope::lesson::{Lesson, LessonError, Player, bundled, load};
use ackscope::report;
use ackscope::sim::config::{HighWatermarkRule, ProducerSetup, TopicSetup, TruncationRule};
use ackscope::sim::{Acks, Era, Lang, Setup};
use ackscope::tui;
use clap::{Parser, Subcommand, ValueEnum};

/// `println!` that ends the program quietly when stdout is a closed pipe (`ackscope list | head`).
macro_rules! say {
    ($($arg:tt)*) => {
        write_out(&format!($($arg)*), true)
    };
}

/// Writes to stdout; a closed pipe ends the program quietly instead of panicking.
fn write_out(text: &str, newline: bool) {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    let result = stdout.write_all(text.as_bytes()).and_then(|()| {
        if newline {
            stdout.write_all(b"\n")
        } else {
            Ok(())
        }
    });
    if let Err(e) = result.and_then(|()| stdout.flush())
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
}

// After the macros, so that it can use them.
mod explore_cli;

#[derive(Parser)]
#[command(
    name = "ackscope",
    version,
    about = "See, event by event, when Kafka keeps and when it loses a message",
    after_help = "`ackscope LESSON` opens a lesson directly, like `ackscope lesson LESSON`."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Commands>,
    #[command(flatten)]
    ui: UiArgs,
}

#[derive(Subcommand)]
enum Commands {
    /// Run a lesson headless: print its transcript and ledger; fail if an expectation fails.
    Run {
        /// A bundled lesson's id (see `ackscope list`) or a path to a .ron file.
        lesson: String,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Override the lesson's seed.
        #[arg(long)]
        seed: Option<u64>,
        #[arg(long, value_enum, default_value_t = LangArg::En)]
        lang: LangArg,
    },
    /// Parse, validate and run every expectation of lesson files (default: all bundled lessons).
    Check { paths: Vec<PathBuf> },
    /// List the bundled lessons by chapter.
    List {
        #[arg(long, value_enum, default_value_t = LangArg::En)]
        lang: LangArg,
    },
    /// Measure the engine, the history and the lesson checks on this machine (use a release build).
    Bench {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Short runs, to try the command quickly (figures are then not meaningful).
        #[arg(long)]
        quick: bool,
        /// Run only these measurements: engine, large, step-back, check, render, startup.
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
    },
    /// Open a lesson in the terminal UI.
    Lesson {
        /// A bundled lesson's id or a path to a .ron file.
        lesson: String,
        #[command(flatten)]
        ui: UiArgs,
    },
    /// Search fault schedules for a run that loses an acknowledged message.
    Explore(Box<explore_cli::ExploreArgs>),
    /// A cluster of your own: produce messages and inject faults.
    Sandbox {
        #[command(flatten)]
        cluster: SandboxArgs,
        #[command(flatten)]
        ui: UiArgs,
    },
    /// `ackscope LESSON [options]`: a lesson by id or path, without `lesson`.
    #[command(external_subcommand)]
    Direct(Vec<String>),
}

/// `ackscope LESSON [options]`, parsed once the first word is known not to be a command.
#[derive(Parser)]
#[command(name = "ackscope")]
struct DirectLesson {
    lesson: String,
    #[command(flatten)]
    ui: UiArgs,
}

/// Options of the terminal UI.
#[derive(clap::Args, Clone, Default)]
struct UiArgs {
    /// Colour theme: dark, light, high-contrast or mono.
    #[arg(long)]
    theme: Option<String>,
    /// No colours at all (also chosen by NO_COLOR or TERM=dumb).
    #[arg(long)]
    no_color: bool,
    /// Capture the mouse to select brokers by clicking (the terminal's own selection stops working).
    #[arg(long)]
    mouse: bool,
    /// Language: en (default) or zh.
    #[arg(long, value_enum)]
    lang: Option<LangArg>,
}

impl UiArgs {
    /// These options, with `outer`'s (given before the command) where these leave one unset.
    fn under(self, outer: &UiArgs) -> tui::Options {
        tui::Options {
            theme: self.theme.or_else(|| outer.theme.clone()),
            no_color: self.no_color || outer.no_color,
            mouse: self.mouse || outer.mouse,
            lang: self.lang.or(outer.lang).unwrap_or(LangArg::En).into(),
        }
    }
}

/// The sandbox cluster, from flags or a setup file.
#[derive(clap::Args, Clone)]
struct SandboxArgs {
    /// A RON file holding a lesson `setup` section (overrides the other flags).
    #[arg(long)]
    setup: Option<PathBuf>,
    #[arg(long, default_value_t = 3)]
    brokers: u16,
    /// broker.rack of each broker, e.g. `a,a,b,b,c,c`: replicas are placed rack-aware.
    #[arg(long, value_delimiter = ',')]
    racks: Vec<String>,
    #[arg(long, default_value_t = 1)]
    partitions: u32,
    /// Replication factor.
    #[arg(long, default_value_t = 3)]
    rf: u16,
    /// Producer acks: 0, 1 or all.
    #[arg(long, default_value = "all")]
    acks: String,
    #[arg(long, default_value_t = 2)]
    min_insync_replicas: u16,
    /// fsync after this many records (flush.messages); default: leave it to the OS.
    #[arg(long)]
    flush_messages: Option<u64>,
    /// fsync after this many milliseconds (flush.ms).
    #[arg(long)]
    flush_ms: Option<u64>,
    /// Allow unclean leader election.
    #[arg(long)]
    unclean: bool,
    /// Kafka era: modern (3.7+, KRaft), classic-hw (0.11-3.6, KRaft restarts), zookeeper (0.11-3.x
    /// with ZooKeeper: leader epochs, a restarted broker keeps its ISR membership) or legacy (0.10:
    /// high-watermark truncation).
    #[arg(long, value_enum, default_value_t = EraArg::Modern)]
    era: EraArg,
}

#[derive(Copy, Clone, ValueEnum)]
enum EraArg {
    Modern,
    ClassicHw,
    Zookeeper,
    Legacy,
}

impl SandboxArgs {
    fn to_setup(&self) -> Result<Setup, String> {
        if let Some(path) = &self.setup {
            let source =
                std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            return ron::Options::default()
                .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
                .from_str::<Setup>(&source)
                .map_err(|e| format!("{}:{e}", path.display()));
        }
        if !self.racks.is_empty() && self.racks.len() != usize::from(self.brokers) {
            return Err(format!(
                "--racks names {} rack(s) for {} brokers: give one per broker, e.g. --racks a,a,b",
                self.racks.len(),
                self.brokers
            ));
        }
        let acks: Acks = ron::from_str(&format!("\"{}\"", self.acks))
            .map_err(|_| format!("--acks must be 0, 1 or all, found `{}`", self.acks))?;
        let era = match self.era {
            EraArg::Modern => Era::default(),
            EraArg::ClassicHw => Era {
                high_watermark: HighWatermarkRule::Classic,
                ..Era::default()
            },
            EraArg::Zookeeper => Era {
                truncation: TruncationRule::LeaderEpoch,
                ..Era::LEGACY_0_10
            },
            EraArg::Legacy => Era::LEGACY_0_10,
        };
        Ok(Setup {
            brokers: self.brokers,
            racks: self.racks.clone(),
            era,
            topics: vec![TopicSetup {
                partitions: self.partitions,
                replication_factor: self.rf,
                min_insync_replicas: self.min_insync_replicas,
                unclean_leader_election_enable: self.unclean,
                flush_messages: self.flush_messages,
                flush_ms: self.flush_ms,
                ..TopicSetup::default()
            }],
            producers: vec![ProducerSetup {
                acks,
                ..ProducerSetup::default()
            }],
            ..Setup::default()
        })
    }
}

#[derive(Copy, Clone, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Copy, Clone, ValueEnum)]
enum LangArg {
    En,
    Zh,
}

impl From<LangArg> for Lang {
    fn from(lang: LangArg) -> Lang {
        match lang {
            LangArg::En => Lang::En,
            LangArg::Zh => Lang::Zh,
        }
    }
}

fn main() -> ExitCode {
    // `ackscope bench` times this: start, load, draw the first frame off-screen, exit.
    if std::env::var_os(ackscope::bench::FIRST_FRAME_CHILD).is_some() {
        return if ackscope::bench::first_frame() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    let cli = Cli::parse();
    match cli.command {
        Some(Commands::Run {
            lesson,
            format,
            seed,
            lang,
        }) => run(&lesson, format, seed, lang.into()),
        Some(Commands::Check { paths }) => check(&paths),
        Some(Commands::List { lang }) => list(lang.into()),
        Some(Commands::Bench {
            format,
            quick,
            only,
        }) => bench(format, quick, &only),
        Some(Commands::Lesson { lesson, ui }) => open_lesson(&lesson, ui.under(&cli.ui)),
        Some(Commands::Explore(args)) => explore_cli::explore_command(&args),
        Some(Commands::Direct(args)) => direct(&args, &cli.ui),
        Some(Commands::Sandbox { cluster, ui }) => match cluster.to_setup().and_then(validated) {
            Ok(setup) => interactive(tui::Start::Sandbox(setup), ui.under(&cli.ui)),
            Err(message) => {
                eprintln!("ackscope: {message}");
                ExitCode::from(2)
            }
        },
        None => interactive(tui::Start::Home, UiArgs::default().under(&cli.ui)),
    }
}

fn open_lesson(lesson: &str, options: tui::Options) -> ExitCode {
    match resolve(lesson) {
        Ok(lesson) => interactive(tui::Start::Lesson(lesson), options),
        Err(message) => {
            eprint!("{message}");
            ExitCode::from(2)
        }
    }
}

/// `ackscope WORD …`: a lesson when WORD names one, else a mistyped command or lesson.
fn direct(args: &[String], outer: &UiArgs) -> ExitCode {
    let word = args.first().map_or("", String::as_str);
    let lesson = match resolve(word) {
        Ok(lesson) => lesson,
        Err(message) if looks_like_a_file(word) => {
            eprint!("{message}");
            return ExitCode::from(2);
        }
        Err(_) => {
            let lessons = bundled::all().unwrap_or_default();
            let cli = <Cli as clap::CommandFactory>::command();
            let names: Vec<&str> = cli
                .get_subcommands()
                .map(clap::Command::get_name)
                .chain(lessons.iter().map(|l| l.id.as_str()))
                .collect();
            let hint = load::suggest(word, &names)
                .map_or(String::new(), |s| format!(" Did you mean `{s}`?"));
            eprintln!(
                "ackscope: no lesson or command named `{word}`.{hint} `ackscope --help` lists the commands, `ackscope list` the lessons."
            );
            return ExitCode::from(2);
        }
    };
    // The words after the lesson are the TUI's options.
    let parsed = std::iter::once("ackscope").chain(args.iter().map(String::as_str));
    match DirectLesson::try_parse_from(parsed) {
        Ok(direct) => interactive(tui::Start::Lesson(lesson), direct.ui.under(outer)),
        Err(e) => e.exit(),
    }
}

fn looks_like_a_file(word: &str) -> bool {
    let path = Path::new(word);
    path.exists()
        || path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("ron"))
}

fn bench(format: Format, quick: bool, only: &[String]) -> ExitCode {
    if cfg!(debug_assertions) {
        eprintln!(
            "ackscope: this is a debug build; for meaningful figures run `cargo run --release -- bench`"
        );
    }
    if let Some(unknown) = only
        .iter()
        .find(|o| !ackscope::bench::PARTS.contains(&o.as_str()))
    {
        eprintln!(
            "ackscope: unknown measurement `{unknown}`; choose from {}",
            ackscope::bench::PARTS.join(", ")
        );
        return ExitCode::from(2);
    }
    let report = ackscope::bench::run(quick, only);
    match format {
        Format::Text => write_out(&ackscope::bench::table(&report), false),
        Format::Json => match serde_json::to_string_pretty(&report) {
            Ok(json) => say!("{json}"),
            Err(e) => {
                eprintln!("ackscope: cannot write JSON: {e}");
                return ExitCode::FAILURE;
            }
        },
    }
    ExitCode::SUCCESS
}

fn validated(setup: Setup) -> Result<Setup, String> {
    ackscope::sim::World::new(&setup)
        .map(|_| setup)
        .map_err(|e| e.to_string())
}

/// Runs the TUI, or explains why it cannot: it needs a terminal.
fn interactive(start: tui::Start, options: tui::Options) -> ExitCode {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        eprintln!(
            "ackscope: the interactive lab needs a terminal. Headless, use `ackscope run <lesson>` (see `ackscope list`)."
        );
        return ExitCode::from(2);
    }
    match tui::run(start, options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ackscope: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Whether error output may use colour.
fn color_errors() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

fn print_lesson_error(error: &LessonError) {
    eprint!("{}", error.render(color_errors()));
}

/// A bundled lesson by id, or a lesson file by path.
fn resolve(lesson: &str) -> Result<Arc<Lesson>, String> {
    if looks_like_a_file(lesson) {
        return load::load_file(Path::new(lesson))
            .map(Arc::new)
            .map_err(|e| e.render(color_errors()));
    }
    let lessons = bundled::all().map_err(|e| e.render(color_errors()))?;
    if let Some(found) = lessons.iter().find(|l| l.id == lesson) {
        return Ok(Arc::clone(found));
    }
    let ids: Vec<&str> = lessons.iter().map(|l| l.id.as_str()).collect();
    let hint =
        load::suggest(lesson, &ids).map_or(String::new(), |s| format!(" Did you mean `{s}`?"));
    Err(format!(
        "no bundled lesson `{lesson}` and no such file.{hint} `ackscope list` shows them all.\n"
    ))
}

fn run(lesson: &str, format: Format, seed: Option<u64>, lang: Lang) -> ExitCode {
    let lesson = match resolve(lesson) {
        Ok(lesson) => lesson,
        Err(message) => {
            eprint!("{message}");
            return ExitCode::from(2);
        }
    };
    let mut player = match Player::new(lesson, seed) {
        Ok(player) => player,
        Err(e) => {
            eprintln!("ackscope: {e}");
            return ExitCode::from(2);
        }
    };
    let report = report::run(&mut player, lang);
    match format {
        Format::Text => write_out(&report::text::transcript(&report), false),
        Format::Json => match serde_json::to_string_pretty(&report) {
            Ok(json) => say!("{json}"),
            Err(e) => {
                eprintln!("ackscope: cannot write JSON: {e}");
                return ExitCode::from(2);
            }
        },
    }
    if report.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// One lesson checked: parsed, validated, played, every expectation held.
fn check_one(name: &str, parsed: Result<Lesson, LessonError>) -> bool {
    let lesson = match parsed {
        Ok(lesson) => Arc::new(lesson),
        Err(e) => {
            // The report goes to stdout, in order with the other lessons' lines.
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            write_out(&e.render(color), false);
            return false;
        }
    };
    let beats = lesson.beats.len();
    let mut player = match Player::new(lesson, None) {
        Ok(player) => player,
        Err(e) => {
            eprintln!("{name}: {e}");
            return false;
        }
    };
    let report = report::run(&mut player, Lang::En);
    let expectations: usize = report.beats.iter().map(|b| b.expectations.len()).sum();
    if report.passed {
        say!("ok    {name}: {beats} beats, {expectations} expectations");
        return true;
    }
    say!("FAIL  {name}");
    if let Some(error) = &report.error {
        say!("      {error}");
    }
    for beat in &report.beats {
        for e in beat.expectations.iter().filter(|e| !e.holds) {
            say!(
                "      beat {} ({}): expected {}, actually {}",
                beat.index,
                beat.title,
                e.fact,
                e.actual
            );
        }
    }
    false
}

fn check(paths: &[PathBuf]) -> ExitCode {
    let mut failures = 0;
    let mut total = 0;
    if paths.is_empty() {
        for (file, source) in bundled::SOURCES {
            total += 1;
            let name = format!("lessons/{file}");
            failures += usize::from(!check_one(&name, load::parse(&name, source)));
        }
    }
    for path in paths {
        let files: Vec<PathBuf> = if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .map(|entries| {
                    entries
                        .filter_map(Result::ok)
                        .map(|e| e.path())
                        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
                        .collect()
                })
                .unwrap_or_default();
            found.sort();
            found
        } else {
            vec![path.clone()]
        };
        for file in files {
            total += 1;
            let name = file.display().to_string();
            failures += usize::from(!check_one(&name, load::load_file(&file)));
        }
    }
    if failures == 0 {
        say!("{total} lesson(s) checked, all expectations hold");
        ExitCode::SUCCESS
    } else {
        say!("{failures} of {total} lesson(s) failed");
        ExitCode::FAILURE
    }
}

fn list(lang: Lang) -> ExitCode {
    let lessons = match bundled::all() {
        Ok(lessons) => lessons,
        Err(e) => {
            print_lesson_error(&e);
            return ExitCode::FAILURE;
        }
    };
    let width = lessons.iter().map(|l| l.id.len()).max().unwrap_or(0);
    let mut chapter = String::new();
    for lesson in lessons {
        let this = lesson.chapter.get(lang);
        if this != chapter {
            say!("\n{this}");
            chapter = this.to_string();
        }
        say!("  {:<width$}  {}", lesson.id, lesson.title.get(lang));
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("ackscope").chain(args.iter().copied()))
            .unwrap_or_else(|e| panic!("{args:?}: {e}"))
    }

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn a_lesson_opens_without_the_lesson_command_and_ui_options_work_everywhere() {
        let Some(Commands::Direct(args)) = parse(&["acks-one", "--lang", "zh"]).command else {
            panic!("an unknown word is a lesson to look up");
        };
        assert_eq!(args, ["acks-one", "--lang", "zh"]);
        let home = parse(&["--theme", "mono", "--mouse"]);
        assert!(home.command.is_none());
        let options = UiArgs::default().under(&home.ui);
        assert_eq!(options.theme.as_deref(), Some("mono"));
        assert!(options.mouse);
        let Some(Commands::Lesson { ui, .. }) =
            parse(&["--lang", "zh", "lesson", "acks-one"]).command
        else {
            panic!("`lesson` is still a command");
        };
        assert_eq!(ui.under(&parse(&["--lang", "zh"]).ui).lang, Lang::Zh);
        assert!(matches!(
            parse(&["list"]).command,
            Some(Commands::List { .. })
        ));
    }
}
