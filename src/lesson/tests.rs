//! Lesson tests: broken files report what is wrong where, bundled lessons hold every
//! expectation in both languages, and the player steps back exactly.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::bundled;
use super::load::{parse, position};
use super::player::{Advance, Player};
use super::schema::{Lesson, Text};
use crate::sim::Lang;

fn crate_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn ron_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("directory exists")
        .map(|e| e.expect("readable").path())
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    files.sort();
    files
}

/// Each fixture names, in `// expect:` lines, the messages its errors must contain, and in an
/// optional `// at:` line the token the first error must point at.
#[test]
fn invalid_lessons_report_every_error_with_its_location() {
    let files = ron_files(&crate_path("src/lesson/fixtures/invalid"));
    assert!(files.len() >= 15, "the fixtures are there");
    for file in files {
        let source = std::fs::read_to_string(&file).expect("readable");
        let path = format!(
            "fixtures/{}",
            file.file_name().expect("file").to_string_lossy()
        );
        let error = parse(&path, &source).expect_err(&path);
        let rendered = error.render(false);
        for expected in source.lines().filter_map(|l| l.strip_prefix("// expect: ")) {
            assert!(
                rendered.contains(expected),
                "{path}: `{expected}` not in:\n{rendered}"
            );
        }
        if let Some(token) = source.lines().find_map(|l| l.strip_prefix("// at: ")) {
            let body_start = source
                .lines()
                .take_while(|l| l.starts_with("//"))
                .map(|l| l.len() + 1)
                .sum::<usize>();
            let offset = body_start + source[body_start..].find(token).expect("token in the body");
            let (line, col) = position(&source, offset);
            let location = format!("{path}:{line}:{col}");
            assert!(
                rendered.contains(&location),
                "{path}: expected the error at {location}:\n{rendered}"
            );
            assert_eq!(
                error
                    .to_string()
                    .lines()
                    .next()
                    .map(|l| l.starts_with(&location)),
                Some(true),
                "one-line form starts with file:line:col"
            );
        }
    }
}

#[test]
fn every_lesson_file_is_bundled() {
    let on_disk: Vec<String> = ron_files(&crate_path("lessons"))
        .iter()
        .map(|p| p.file_name().expect("file").to_string_lossy().into_owned())
        .collect();
    let bundled: Vec<&str> = bundled::SOURCES.iter().map(|(name, _)| *name).collect();
    assert_eq!(
        on_disk, bundled,
        "lessons/*.ron and bundled::SOURCES must list the same files, in order"
    );
}

fn bundled_lessons() -> Vec<Arc<Lesson>> {
    bundled::all().unwrap_or_else(|e| panic!("{}", e.render(false)))
}

#[test]
fn every_bundled_lesson_holds_every_expectation() {
    for lesson in bundled_lessons() {
        let mut player = Player::new(Arc::clone(&lesson), None).expect("valid setup");
        let report = crate::report::run(&mut player, Lang::En);
        let failures: Vec<String> = report
            .beats
            .iter()
            .flat_map(|b| {
                b.expectations
                    .iter()
                    .filter(|e| !e.holds)
                    .map(move |e| format!("beat {}: {} (actually {})", b.index, e.fact, e.actual))
            })
            .collect();
        assert!(
            report.error.is_none(),
            "{}: {}",
            lesson.id,
            report.error.unwrap_or_default()
        );
        assert!(
            failures.is_empty(),
            "{}:\n{}",
            lesson.id,
            failures.join("\n")
        );
    }
}

fn texts(lesson: &Lesson) -> Vec<(&'static str, &Text)> {
    let mut all = vec![
        ("title", &lesson.title),
        ("chapter", &lesson.chapter),
        ("summary", &lesson.summary),
    ];
    for beat in &lesson.beats {
        all.push(("beat title", &beat.title));
        all.push(("say", &beat.say));
        if let Some(ask) = &beat.ask {
            all.push(("question", &ask.question));
            all.push(("explain", &ask.explain));
            all.extend(ask.choices.iter().map(|c| ("choice", c)));
        }
    }
    all
}

#[test]
fn bundled_lessons_speak_english_and_chinese_and_ask_questions() {
    let lessons = bundled_lessons();
    let mut ids: Vec<&str> = lessons.iter().map(|l| l.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), lessons.len(), "lesson ids are unique");
    for lesson in &lessons {
        for (what, text) in texts(lesson) {
            assert!(
                !text.en.trim().is_empty(),
                "{}: empty English {what}",
                lesson.id
            );
            let zh = text.zh.as_deref().unwrap_or_default();
            assert!(
                !zh.trim().is_empty(),
                "{}: {what} `{}` has no Chinese version",
                lesson.id,
                text.en
            );
            // Titles and choices may be Kafka terms or names (`NOT_ENOUGH_REPLICAS`, `m1, m2`);
            // prose must actually be Chinese.
            let prose = matches!(what, "say" | "summary" | "question" | "explain");
            let chinese = zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
            assert!(
                !prose || chinese,
                "{}: {what} `{}` is not written in Chinese",
                lesson.id,
                text.en
            );
        }
        assert!(
            lesson.beats.iter().any(|b| b.ask.is_some()),
            "{}: the decisive moment is a prediction",
            lesson.id
        );
    }
}

/// Stepping forward N events and back N events returns to the exact world, across beats.
#[test]
fn player_steps_back_exactly_across_beats() {
    let lesson = bundled_lessons()
        .into_iter()
        .next()
        .expect("a bundled lesson");
    let mut player = Player::new(lesson, None).expect("valid");
    let mut worlds = vec![(player.sim().world().clone(), player.cursor())];
    loop {
        match player.step_event().expect("plays") {
            Advance::Event => worlds.push((player.sim().world().clone(), player.cursor())),
            Advance::End => break,
            Advance::BeatDone | Advance::AwaitingAnswer | Advance::Quiet => {}
        }
    }
    assert!(worlds.len() > 10, "the lesson has events");
    // Back to each recorded state in turn.
    worlds.pop();
    while let Some((world, _)) = worlds.pop() {
        assert!(player.step_back(), "can step back");
        assert!(
            player.sim().world() == &world,
            "world differs {} events from the start",
            worlds.len()
        );
    }
    assert!(!player.step_back(), "nothing before the start");
}

#[test]
fn unanswered_questions_hold_the_lesson_in_the_tui() {
    let lesson = bundled_lessons()
        .into_iter()
        .find(|l| l.beats.iter().any(|b| b.ask.is_some()))
        .expect("a question");
    let asking = lesson
        .beats
        .iter()
        .position(|b| b.ask.is_some())
        .expect("exists");
    let mut player = Player::new(lesson, None).expect("valid");
    player.ask_questions = true;
    for _ in 0..asking {
        player.finish_beat().expect("plays");
        player.advance().expect("next beat");
    }
    assert_eq!(player.advance().expect("plays"), Advance::AwaitingAnswer);
    player.answer(1);
    assert_eq!(
        player.advance().expect("plays"),
        Advance::Quiet,
        "answered: the beat starts"
    );
    assert_eq!(player.score().1, 1);
}

/// Fixtures under `fixtures/valid` exercise every action and fact; each must hold.
#[test]
fn valid_fixtures_hold_every_expectation() {
    for file in ron_files(&crate_path("src/lesson/fixtures/valid")) {
        let lesson =
            super::load::load_file(&file).unwrap_or_else(|e| panic!("{}", e.render(false)));
        let mut player = Player::new(Arc::new(lesson), None).expect("valid setup");
        let report = crate::report::run(&mut player, Lang::En);
        let failures: Vec<String> = report
            .beats
            .iter()
            .flat_map(|b| {
                b.expectations
                    .iter()
                    .filter(|e| !e.holds)
                    .map(|e| format!("{}: {}", e.fact, e.actual))
            })
            .collect();
        assert!(
            report.passed,
            "{}: {:?} {failures:?}",
            file.display(),
            report.error
        );
    }
}
