//! ackscope's command line: the TUI by default, and headless commands for lessons.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use ackscope::lesson::{Lesson, LessonError, Player, bundled, load};
use ackscope::report;
use ackscope::sim::Lang;
use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "ackscope",
    version,
    about = "See, event by event, when Kafka keeps and when it loses a message"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Commands>,
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
        None => {
            eprintln!("ackscope: try `ackscope list`, then `ackscope run <lesson>`");
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
    let as_path = Path::new(lesson);
    if as_path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("ron"))
        || as_path.exists()
    {
        return load::load_file(as_path)
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
        Format::Text => print!("{}", report::text::transcript(&report)),
        Format::Json => match serde_json::to_string_pretty(&report) {
            Ok(json) => println!("{json}"),
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
            print_lesson_error(&e);
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
        println!("ok    {name}: {beats} beats, {expectations} expectations");
        return true;
    }
    println!("FAIL  {name}");
    if let Some(error) = &report.error {
        println!("      {error}");
    }
    for beat in &report.beats {
        for e in beat.expectations.iter().filter(|e| !e.holds) {
            println!(
                "      beat {} ({}): expected {}, actually {}",
                beat.index, beat.title, e.fact, e.actual
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
        println!("{total} lesson(s) checked, all expectations hold");
        ExitCode::SUCCESS
    } else {
        println!("{failures} of {total} lesson(s) failed");
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
    let mut chapter = String::new();
    for lesson in lessons {
        let this = lesson.chapter.get(lang);
        if this != chapter {
            println!("\n{this}");
            chapter = this.to_string();
        }
        println!("  {:<28} {}", lesson.id, lesson.title.get(lang));
    }
    ExitCode::SUCCESS
}
