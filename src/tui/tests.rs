//! The TUI driven through `update` and drawn on a `TestBackend`: key → action → state, snapshots of
//! whole screens (in `src/tui/snapshots/`; refresh with `INSTA_UPDATE=always cargo test`), and
//! assertions on the cells whose style carries meaning.

use std::sync::Arc;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

use crate::lesson::player::Phase;
use crate::lesson::{Lesson, Player, bundled};
use crate::sim::cluster::ProcessState;
use crate::sim::{BrokerId, Lang, Setup, Verdict};

use super::Start;
use super::action::{Action, KeyAction};
use super::app::{App, Lab, Screen};
use super::theme::{Theme, ThemeName};
use super::update::update;
use super::view::view;

/// The README's example lesson: acks=1, the leader crashes before anyone fetched, m1 is acked and
/// lost. It gives the tests a loss to look at whatever bundled lessons exist.
const ACKS_ONE: &str = r#"(
    version: 1,
    id: "acks-one-demo",
    title: (en: "acks=1 in one minute", zh: "一分钟看懂 acks=1"),
    chapter: (en: "Producer acks", zh: "producer 的 acks"),
    summary: (en: "The leader acks before anyone else has the record.", zh: "leader 在别人拿到数据之前就确认了。"),
    teaches: "1.2.2 ack=1",
    setup: (
        brokers: 3,
        topics: [(name: "orders", partitions: 1, replication_factor: 3, min_insync_replicas: 2)],
        producers: [(name: "P1", acks: 1)],
    ),
    beats: [
        (
            title: (en: "Acked by the leader alone", zh: "只有 leader 确认"),
            say: (en: "P1 sends m1 with acks=1.", zh: "P1 以 acks=1 发送 m1。"),
            actions: [Produce(message: "m1"), RunUntil(Acked("m1"))],
            expect: [Acked("m1"), Hw(broker: 1, is: 0)],
        ),
        (
            title: (en: "The leader dies", zh: "leader 挂了"),
            say: (en: "B1 crashes before B2 and B3 fetch m1.", zh: "B2、B3 拉取 m1 之前，B1 崩溃了。"),
            ask: (
                question: (en: "Does m1 survive?", zh: "m1 能活下来吗？"),
                choices: [(en: "Yes", zh: "能"), (en: "No", zh: "不能")],
                answer: 2,
                explain: (en: "Only B1 had it, and B2 is elected.", zh: "只有 B1 有它，而当选的是 B2。"),
            ),
            actions: [Crash(1), RunUntil(Leader(is: 2))],
            expect: [Verdict(message: "m1", is: AckedLost)],
        ),
    ],
)"#;

fn acks_one() -> Arc<Lesson> {
    Arc::new(crate::lesson::parse("acks-one-demo.ron", ACKS_ONE).expect("the fixture parses"))
}

/// A lesson of `lessons/` by id, whether or not it is bundled yet.
fn lesson_file(id: &str) -> Arc<Lesson> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("lessons/ exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    files.sort();
    files
        .iter()
        .filter_map(|f| crate::lesson::load::load_file(f).ok())
        .find(|l| l.id == id)
        .map_or_else(|| panic!("lessons/ holds a lesson `{id}`"), Arc::new)
}

fn bundled_lesson(id: &str) -> Arc<Lesson> {
    bundled::all()
        .expect("bundled lessons parse")
        .into_iter()
        .find(|l| l.id == id)
        .expect("the lesson is bundled")
}

fn app(start: Start) -> App {
    let lessons = bundled::all().expect("bundled lessons parse");
    let mut app = App::new(start, lessons, ThemeName::Dark, Lang::En).expect("app");
    update(
        &mut app,
        Action::Resize {
            width: 160,
            height: 48,
        },
    );
    app
}

fn press(app: &mut App, key: KeyAction) -> bool {
    update(app, Action::Key(key))
}

fn lab(app: &App) -> &Lab {
    app.lab().expect("a lesson or the sandbox is open")
}

fn player(app: &App) -> &Player {
    lab(app).player().expect("a lesson is open")
}

fn broker_state(app: &App, broker: u16) -> ProcessState {
    lab(app).world().broker(BrokerId(broker)).process
}

fn draw(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal.draw(|frame| view(app, frame)).expect("drawn");
    terminal
}

/// The visible cells of a row with their columns (cells hidden behind a wide character skipped).
fn visible(buffer: &Buffer, y: u16) -> Vec<(u16, &str)> {
    let mut cells = Vec::new();
    let mut skip = 0;
    for x in 0..buffer.area.width {
        let symbol = buffer[(x, y)].symbol();
        if skip == 0 {
            cells.push((x, symbol));
        }
        skip = skip.max(super::text::width(symbol)).saturating_sub(1);
    }
    cells
}

fn text_of(buffer: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buffer.area.height {
        for (_, symbol) in visible(buffer, y) {
            out.push_str(symbol);
        }
        out.push('\n');
    }
    out
}

/// Plays a lesson the way a learner who answers every question right does, until the first beat
/// with a question is finished: the decisive frame, with the explanation and the verdicts shown.
fn decisive(lesson: Arc<Lesson>) -> App {
    let mut app = app(Start::Lesson(lesson));
    for _ in 0..100 {
        let player = player(&app);
        let beat = player.cursor().beat;
        let question = player.lesson().beats.get(beat).and_then(|b| b.ask.clone());
        if question.is_some() && player.cursor().phase == Phase::Done {
            return app;
        }
        if let Some(ask) = question
            && player.answer_of(beat).is_none()
        {
            update(&mut app, Action::Digit(ask.answer as u8));
        }
        press(&mut app, KeyAction::NextBeat);
    }
    panic!("no beat with a question finished");
}

// ---------------------------------------------------------------- update: key → action → state

#[test]
fn crash_key_crashes_the_selected_broker_and_stepping_back_undoes_it() {
    let mut app = app(Start::Lesson(bundled_lesson("write-path")));
    // Beat 1 asks nothing, so a digit selects a broker.
    update(&mut app, Action::Digit(2));
    assert_eq!(lab(&app).selected, 1);
    press(&mut app, KeyAction::Crash);
    assert_eq!(broker_state(&app, 2), ProcessState::Crashed);
    assert!(player(&app).changed_history());
    press(&mut app, KeyAction::StepBack);
    assert_eq!(broker_state(&app, 2), ProcessState::Running);
    assert!(!player(&app).changed_history(), "the undo is exact");
}

#[test]
fn fault_keys_target_the_selected_broker_and_toggle_where_it_makes_sense() {
    let mut app = app(Start::Sandbox(Setup::default()));
    press(&mut app, KeyAction::SelectNext);
    press(&mut app, KeyAction::SelectNext);
    assert_eq!(lab(&app).selected_broker(), BrokerId(3));
    press(&mut app, KeyAction::SelectNext);
    assert_eq!(lab(&app).selected_broker(), BrokerId(1), "selection wraps");
    press(&mut app, KeyAction::CutPower);
    assert_eq!(broker_state(&app, 1), ProcessState::PoweredOff);
    press(&mut app, KeyAction::Crash);
    let flash = app.flash.clone().expect("a message");
    assert!(flash.text.contains("B1 is not running"), "{flash:?}");
    press(&mut app, KeyAction::Restart);
    assert_eq!(broker_state(&app, 1), ProcessState::Running);
    press(&mut app, KeyAction::CutOffOrHeal);
    assert!(lab(&app).world().broker(BrokerId(1)).cut_off.is_some());
    press(&mut app, KeyAction::CutOffOrHeal);
    assert!(lab(&app).world().broker(BrokerId(1)).cut_off.is_none());
    press(&mut app, KeyAction::KillProducer);
    assert!(!lab(&app).world().producers()[0].is_alive());
    press(&mut app, KeyAction::Produce);
    assert!(app.flash.is_some(), "no running producer to produce with");
    press(&mut app, KeyAction::KillProducer);
    assert!(
        lab(&app).world().producers()[0].is_alive(),
        "the same key restarts it"
    );
    press(&mut app, KeyAction::KillConsumer);
    let flash = app.flash.clone().expect("a message");
    assert!(flash.text.contains("no consumer"), "{flash:?}");
}

#[test]
fn a_question_holds_the_beat_until_the_learner_predicts() {
    let mut app = app(Start::Lesson(bundled_lesson("write-path")));
    press(&mut app, KeyAction::NextBeat);
    press(&mut app, KeyAction::NextBeat);
    assert_eq!(player(&app).cursor().beat, 1);
    assert!(lab(&app).pending_question().is_some());
    press(&mut app, KeyAction::PlayPause);
    assert!(!lab(&app).playing, "no playing before the prediction");
    assert!(
        app.flash
            .as_ref()
            .is_some_and(|f| f.text.contains("press 1–2"))
    );
    press(&mut app, KeyAction::StepForward);
    assert_eq!(player(&app).cursor().phase, Phase::Intro, "nor stepping");
    update(&mut app, Action::Digit(7));
    assert_eq!(player(&app).answer_of(1), None, "only 1 or 2 answer");
    update(&mut app, Action::Digit(2));
    assert_eq!(player(&app).answer_of(1), Some(2));
    assert_eq!(
        lab(&app).selected,
        0,
        "the digit answered, it did not select B2"
    );
    press(&mut app, KeyAction::PlayPause);
    assert!(lab(&app).playing);
    for _ in 0..100 {
        update(&mut app, Action::Tick { elapsed_ms: 50 });
    }
    assert!(!lab(&app).playing, "playback stops at the end of the beat");
    assert_eq!(player(&app).cursor().phase, Phase::Done);
    assert_eq!(player(&app).score(), (1, 1));
}

#[test]
fn playback_moves_simulated_time_by_speed_times_real_time() {
    let mut app = app(Start::Sandbox(Setup::default()));
    press(&mut app, KeyAction::Produce);
    press(&mut app, KeyAction::PlayPause);
    assert!(update(&mut app, Action::Tick { elapsed_ms: 100 }));
    assert_eq!(lab(&app).world().now(), 100, "1× speed: 100 ms in 100 ms");
    press(&mut app, KeyAction::Faster);
    update(&mut app, Action::Tick { elapsed_ms: 100 });
    assert_eq!(lab(&app).world().now(), 300, "2×");
    for _ in 0..3 {
        press(&mut app, KeyAction::Slower);
    }
    assert_eq!(lab(&app).speed_ms(), 250);
    update(&mut app, Action::Tick { elapsed_ms: 2 });
    update(&mut app, Action::Tick { elapsed_ms: 2 });
    assert_eq!(
        lab(&app).world().now(),
        301,
        "fractions of a millisecond carry over"
    );
    assert!(
        lab(&app).world().ledger().entries[0].verdict == Verdict::Safe,
        "the produced message was acknowledged on the way"
    );
    press(&mut app, KeyAction::PlayPause);
    assert!(
        !update(&mut app, Action::Tick { elapsed_ms: 50 }),
        "paused: a stray tick changes nothing and draws nothing"
    );
}

#[test]
fn stepping_runs_one_event_group_at_a_time_and_back() {
    let mut app = app(Start::Sandbox(Setup::default()));
    press(&mut app, KeyAction::StepForward);
    assert!(
        app.flash
            .as_ref()
            .is_some_and(|f| f.text.contains("nothing is scheduled"))
    );
    press(&mut app, KeyAction::Produce);
    let produced = lab(&app).session.sim().events().len();
    press(&mut app, KeyAction::StepForward);
    let stepped = lab(&app).session.sim().events().len();
    assert!(stepped > produced);
    press(&mut app, KeyAction::StepBack);
    assert_eq!(lab(&app).session.sim().events().len(), produced);
    press(&mut app, KeyAction::StepBack);
    assert_eq!(lab(&app).session.sim().events().len(), 0);
    assert!(
        lab(&app).world().messages().is_empty(),
        "the produce is undone too"
    );
    press(&mut app, KeyAction::StepBack);
    assert!(
        app.flash
            .as_ref()
            .is_some_and(|f| f.text.contains("already at the start"))
    );
}

#[test]
fn next_and_previous_beat() {
    let mut app = app(Start::Lesson(bundled_lesson("write-path")));
    press(&mut app, KeyAction::NextBeat);
    assert_eq!(
        player(&app).cursor().phase,
        Phase::Done,
        "n finishes the beat"
    );
    press(&mut app, KeyAction::NextBeat);
    assert_eq!(player(&app).cursor().beat, 1, "then moves to the next");
    press(&mut app, KeyAction::PreviousBeat);
    assert_eq!(player(&app).cursor().beat, 0);
    assert_eq!(player(&app).cursor().phase, Phase::Intro);
    press(&mut app, KeyAction::PreviousBeat);
    assert!(app.flash.is_some(), "already at the first beat");
}

#[test]
fn finishing_a_lesson_records_progress_and_esc_goes_home() {
    let mut app = app(Start::Home);
    press(&mut app, KeyAction::OpenLesson);
    let id = player(&app).lesson().id.clone();
    let mut guard = 0;
    while !player(&app).is_finished() {
        if let Some(ask) = lab(&app).pending_question().cloned() {
            update(&mut app, Action::Digit(ask.answer as u8));
        }
        press(&mut app, KeyAction::NextBeat);
        guard += 1;
        assert!(guard < 200, "the lesson ends");
    }
    assert!(app.progress.of(&id).is_some_and(|p| p.done));
    assert!(app.progress_unsaved, "the loop saves it");
    press(&mut app, KeyAction::Back);
    assert!(matches!(app.screen, Screen::Home));
    press(&mut app, KeyAction::OpenSandbox);
    assert!(lab(&app).player().is_none());
}

#[test]
fn the_help_is_modal_and_global_keys_still_work() {
    let mut app = app(Start::Lesson(bundled_lesson("write-path")));
    press(&mut app, KeyAction::Help);
    assert!(app.help);
    press(&mut app, KeyAction::Crash);
    assert_eq!(
        broker_state(&app, 1),
        ProcessState::Running,
        "keys wait behind the help"
    );
    press(&mut app, KeyAction::ToggleLanguage);
    assert_eq!(app.lang, Lang::Zh);
    press(&mut app, KeyAction::Back);
    assert!(!app.help);
    assert!(app.lab().is_some(), "Esc closed the help, not the lesson");
    press(&mut app, KeyAction::CycleTheme);
    assert_eq!(app.theme.name, ThemeName::Light);
    press(&mut app, KeyAction::Quit);
    assert!(app.quit);
}

#[test]
fn a_click_selects_the_broker_under_the_mouse() {
    let mut app = app(Start::Sandbox(Setup::default()));
    let terminal = draw(&app, 160, 48);
    let text = text_of(terminal.backend().buffer());
    let row = text
        .lines()
        .position(|l| l.contains(" B3 "))
        .expect("B3's box is drawn") as u16;
    assert!(update(&mut app, Action::Click { column: 10, row }));
    assert_eq!(lab(&app).selected, 2);
    assert!(
        !update(
            &mut app,
            Action::Click {
                column: 159,
                row: 0
            }
        ),
        "nothing there"
    );
}

#[test]
fn the_sandbox_is_the_same_lab_without_beats() {
    let mut app = app(Start::Sandbox(Setup::default()));
    assert!(!app.applies(KeyAction::NextBeat));
    assert!(app.applies(KeyAction::Produce));
    press(&mut app, KeyAction::NextBeat);
    assert!(lab(&app).player().is_none());
}

// ---------------------------------------------------------------- snapshots

#[test]
fn snapshot_home() {
    let mut app = app(Start::Home);
    // A fixed list, so bundling more lessons does not change this snapshot.
    app.lessons = vec![bundled_lesson("write-path"), acks_one()];
    app.home_selected = 1;
    app.progress.record("write-path", true, (1, 1));
    insta::assert_snapshot!(draw(&app, 160, 48).backend());
}

#[test]
fn snapshot_decisive_frame_write_path() {
    let app = decisive(bundled_lesson("write-path"));
    insta::assert_snapshot!(draw(&app, 160, 48).backend());
}

/// The decisive frame of lessons that show different things: an acks=1 loss, an unclean
/// election, a zombie leader's truncated records in two epochs, and a consumer's redelivery.
#[test]
fn snapshot_decisive_frames_of_lessons() {
    for id in [
        "acks-one",
        "unclean-leader-election",
        "zombie-leader",
        "auto-commit-in-loop",
    ] {
        let app = decisive(lesson_file(id));
        insta::assert_snapshot!(format!("decisive_{id}"), draw(&app, 160, 48).backend());
    }
}

#[test]
fn snapshot_decisive_frame_acks_one_loss() {
    let app = decisive(acks_one());
    let terminal = draw(&app, 160, 48);
    let text = text_of(terminal.backend().buffer());
    assert!(text.contains("ACKED AND LOST"), "{text}");
    insta::assert_snapshot!(terminal.backend());
}

#[test]
fn snapshot_decisive_frame_in_chinese_at_100_by_30() {
    let mut app = decisive(acks_one());
    press(&mut app, KeyAction::ToggleLanguage);
    insta::assert_snapshot!(draw(&app, 100, 30).backend());
}

#[test]
fn snapshot_sandbox_after_a_power_cut() {
    let mut app = app(Start::Sandbox(Setup::default()));
    for _ in 0..3 {
        press(&mut app, KeyAction::Produce);
    }
    press(&mut app, KeyAction::PlayPause);
    update(&mut app, Action::Tick { elapsed_ms: 20 });
    press(&mut app, KeyAction::PlayPause);
    press(&mut app, KeyAction::CutPowerEverywhere);
    insta::assert_snapshot!(draw(&app, 120, 36).backend());
}

#[test]
fn snapshot_help_overlay() {
    let mut app = app(Start::Lesson(bundled_lesson("write-path")));
    press(&mut app, KeyAction::Help);
    insta::assert_snapshot!(draw(&app, 160, 48).backend());
}

#[test]
fn snapshot_terminal_too_small() {
    let app = app(Start::Lesson(bundled_lesson("write-path")));
    insta::assert_snapshot!(draw(&app, 70, 20).backend());
}

#[test]
fn snapshot_each_theme_with_styles() {
    for name in ThemeName::ALL {
        let mut app = decisive(acks_one());
        app.theme = Theme::new(name);
        let terminal = draw(&app, 100, 30);
        insta::assert_debug_snapshot!(
            format!("theme_{}", name.label()),
            terminal.backend().buffer()
        );
    }
}

// ---------------------------------------------------------------- styles that carry meaning

fn row_containing(buffer: &Buffer, needle: &str) -> u16 {
    let text = text_of(buffer);
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("`{needle}` is on screen:\n{text}")) as u16
}

fn column_of(buffer: &Buffer, row: u16, needle: &str) -> u16 {
    let mut line = String::new();
    let mut starts = Vec::new();
    for (x, symbol) in visible(buffer, row) {
        starts.push((line.len(), x));
        line.push_str(symbol);
    }
    let at = line.find(needle).expect("on the row");
    starts
        .iter()
        .rev()
        .find(|(byte, _)| *byte <= at)
        .map_or(0, |(_, x)| *x)
}

#[test]
fn an_acked_and_lost_message_is_loud_in_the_dark_theme() {
    let app = decisive(acks_one());
    let terminal = draw(&app, 160, 48);
    let buffer = terminal.backend().buffer();
    let row = row_containing(buffer, "ACKED AND LOST");
    let x = column_of(buffer, row, "ACKED AND LOST");
    let cell = &buffer[(x, row)];
    assert_eq!(cell.fg, Color::Red);
    assert!(cell.modifier.contains(Modifier::BOLD));
    let name = &buffer[(column_of(buffer, row, "m1"), row)];
    assert_eq!(
        name.fg,
        Color::Red,
        "the whole line is loud, not just the verdict"
    );
}

#[test]
fn no_cell_carries_a_colour_in_the_monochrome_theme() {
    let screens = [
        decisive(acks_one()),
        decisive(bundled_lesson("write-path")),
        app(Start::Home),
        {
            let mut app = app(Start::Sandbox(Setup::default()));
            press(&mut app, KeyAction::Help);
            app
        },
        {
            let mut app = sandbox_after_an_isr_shrink();
            press(&mut app, KeyAction::ToggleMetrics);
            app
        },
    ];
    for mut app in screens {
        app.theme = Theme::new(ThemeName::Mono);
        let terminal = draw(&app, 160, 48);
        let buffer = terminal.backend().buffer();
        for cell in &buffer.content {
            assert_eq!(cell.fg, Color::Reset, "`{}` has a colour", cell.symbol());
            assert_eq!(
                cell.bg,
                Color::Reset,
                "`{}` has a background",
                cell.symbol()
            );
        }
        // Meaning survives without colour: the loss is bold and reversed.
        let text = text_of(buffer);
        if text.contains("ACKED AND LOST") {
            let row = row_containing(buffer, "ACKED AND LOST");
            let cell = &buffer[(column_of(buffer, row, "ACKED AND LOST"), row)];
            assert!(cell.modifier.contains(Modifier::REVERSED | Modifier::BOLD));
        }
    }
}

#[test]
fn states_read_without_colour() {
    let mut app = app(Start::Sandbox(Setup::default()));
    press(&mut app, KeyAction::Produce);
    press(&mut app, KeyAction::Crash);
    press(&mut app, KeyAction::SelectNext);
    press(&mut app, KeyAction::CutPower);
    press(&mut app, KeyAction::SelectNext);
    press(&mut app, KeyAction::CutOffOrHeal);
    app.theme = Theme::new(ThemeName::Mono);
    let text = text_of(draw(&app, 160, 48).backend().buffer());
    for words in ["✗ DOWN", "⚡ POWER OFF", "✂ CUT OFF", "▸ B3", "┃"] {
        assert!(text.contains(words), "`{words}` is on screen:\n{text}");
    }
}

#[test]
fn the_high_contrast_theme_paints_its_own_background() {
    let mut app = decisive(acks_one());
    app.theme = Theme::new(ThemeName::HighContrast);
    let terminal = draw(&app, 160, 48);
    let buffer = terminal.backend().buffer();
    let unpainted = buffer
        .content
        .iter()
        .filter(|c| c.bg == Color::Reset)
        .count();
    assert_eq!(
        unpainted, 0,
        "a projector shows the theme's black, not the terminal's"
    );
}

#[test]
fn the_too_small_message_says_what_is_needed_and_goes_away() {
    let app = app(Start::Home);
    let small = text_of(draw(&app, 79, 24).backend().buffer());
    assert!(small.contains("need 80×24, have 79×24"), "{small}");
    let fine = text_of(draw(&app, 80, 24).backend().buffer());
    assert!(!fine.contains("too small"));
}

// ---------------------------------------------------------------- metrics and racks

/// A sandbox of six brokers in three racks, `a,a,b,b,c,c`.
fn racked_sandbox() -> App {
    let mut setup = super::app::default_sandbox();
    setup.brokers = 6;
    setup.racks = ["a", "a", "b", "b", "c", "c"].map(String::from).to_vec();
    app(Start::Sandbox(setup))
}

/// The sandbox after a follower crashed and the ISR shrank: UnderReplicatedPartitions just moved.
fn sandbox_after_an_isr_shrink() -> App {
    let mut app = app(Start::Sandbox(super::app::default_sandbox()));
    press(&mut app, KeyAction::Produce);
    update(&mut app, Action::Digit(3));
    press(&mut app, KeyAction::Crash);
    for _ in 0..1000 {
        if lab(&app).world().partitions()[0].controller.isr.len() < 3 {
            break;
        }
        press(&mut app, KeyAction::StepForward);
    }
    assert_eq!(lab(&app).world().partitions()[0].controller.isr.len(), 2);
    app
}

#[test]
fn the_metrics_key_toggles_the_pane_in_lessons_and_the_sandbox() {
    for start in [
        Start::Lesson(bundled_lesson("write-path")),
        Start::Sandbox(Setup::default()),
    ] {
        let mut app = app(start);
        let hidden = text_of(draw(&app, 160, 48).backend().buffer());
        assert!(!hidden.contains("UnderMinIsrPartitionCount"), "{hidden}");
        press(&mut app, KeyAction::ToggleMetrics);
        assert!(app.metrics);
        let shown = text_of(draw(&app, 160, 48).backend().buffer());
        assert!(shown.contains("UnderMinIsrPartitionCount"), "{shown}");
        assert!(shown.contains("record-error-rate"), "{shown}");
        press(&mut app, KeyAction::ToggleMetrics);
        assert!(!app.metrics);
    }
}

#[test]
fn a_metric_that_just_moved_is_marked_and_highlighted() {
    let mut app = sandbox_after_an_isr_shrink();
    press(&mut app, KeyAction::ToggleMetrics);
    let terminal = draw(&app, 160, 48);
    let buffer = terminal.backend().buffer();
    let row = row_containing(buffer, "▸ UnderReplicatedPartitions");
    let x = column_of(buffer, row, "UnderReplicatedPartitions");
    let cell = &buffer[(x, row)];
    assert_eq!(
        (cell.fg, cell.bg),
        (Color::Black, Color::Yellow),
        "highlighted"
    );
    let text = text_of(buffer);
    let line = text.lines().nth(usize::from(row)).expect("the row");
    assert!(
        line.contains("+1"),
        "changed since the crash command: {line}"
    );
    let quiet = row_containing(buffer, "  UnderMinIsrPartitionCount");
    let x = column_of(buffer, quiet, "UnderMinIsrPartitionCount");
    assert_eq!(
        buffer[(x, quiet)].bg,
        Color::Reset,
        "a metric that did not move is plain"
    );
}

#[test]
fn a_rack_fault_hits_the_selected_brokers_rack_and_stepping_back_undoes_it() {
    let mut app = racked_sandbox();
    press(&mut app, KeyAction::Produce);
    update(&mut app, Action::Digit(4));
    let world_before = lab(&app).world().clone();
    let metrics_before = lab(&app).metrics.clone();
    press(&mut app, KeyAction::RackCutPower);
    for broker in [3, 4] {
        assert_eq!(broker_state(&app, broker), ProcessState::PoweredOff);
    }
    for broker in [1, 2, 5, 6] {
        assert_eq!(broker_state(&app, broker), ProcessState::Running);
    }
    press(&mut app, KeyAction::RackCutOffOrHeal);
    assert!(lab(&app).world().broker(BrokerId(3)).cut_off.is_some());
    press(&mut app, KeyAction::RackCutOffOrHeal);
    assert!(lab(&app).world().broker(BrokerId(3)).cut_off.is_none());
    press(&mut app, KeyAction::RackRestart);
    assert_eq!(broker_state(&app, 3), ProcessState::Running);
    for _ in 0..4 {
        press(&mut app, KeyAction::StepBack);
    }
    assert_eq!(*lab(&app).world(), world_before, "the undo is exact");
    assert_eq!(lab(&app).metrics, metrics_before, "so are the metrics");
}

#[test]
fn rack_keys_exist_only_where_there_are_racks() {
    let mut plain = app(Start::Sandbox(Setup::default()));
    assert!(!plain.applies(KeyAction::RackCutPower));
    press(&mut plain, KeyAction::Help);
    let help = text_of(draw(&plain, 160, 48).backend().buffer());
    assert!(!help.contains("whole rack"), "{help}");
    let mut racked = racked_sandbox();
    assert!(racked.applies(KeyAction::RackCutPower));
    let footer = text_of(draw(&racked, 160, 48).backend().buffer());
    assert!(footer.contains("B black out rack a"), "{footer}");
    press(&mut racked, KeyAction::Help);
    let help = text_of(draw(&racked, 160, 48).backend().buffer());
    assert!(help.contains("whole rack"), "{help}");
}

#[test]
fn snapshot_racked_sandbox_after_a_rack_power_cut() {
    let mut app = racked_sandbox();
    for _ in 0..2 {
        press(&mut app, KeyAction::Produce);
    }
    press(&mut app, KeyAction::PlayPause);
    update(&mut app, Action::Tick { elapsed_ms: 20 });
    press(&mut app, KeyAction::PlayPause);
    update(&mut app, Action::Digit(3));
    press(&mut app, KeyAction::RackCutPower);
    let terminal = draw(&app, 160, 48);
    let text = text_of(terminal.backend().buffer());
    for words in [
        "rack a ─",
        "rack b ─",
        "⚡ NO POWER",
        "rack b (B3, B4) loses power",
    ] {
        assert!(text.contains(words), "`{words}` is on screen:\n{text}");
    }
    insta::assert_snapshot!(terminal.backend());
}

#[test]
fn snapshot_metrics_pane_in_a_lesson() {
    let mut app = decisive(lesson_file("not-enough-replicas"));
    press(&mut app, KeyAction::ToggleMetrics);
    insta::assert_snapshot!("metrics_lesson_160x48", draw(&app, 160, 48).backend());
    insta::assert_snapshot!("metrics_lesson_100x30", draw(&app, 100, 30).backend());
}

#[test]
fn snapshot_metrics_pane_in_the_sandbox() {
    let mut app = sandbox_after_an_isr_shrink();
    press(&mut app, KeyAction::ToggleMetrics);
    insta::assert_snapshot!("metrics_sandbox_160x48", draw(&app, 160, 48).backend());
    insta::assert_snapshot!("metrics_sandbox_100x30", draw(&app, 100, 30).backend());
}

// ---------------------------------------------------------------- errors that teach

/// acks=all without retries while the ISR is {1}: m1 fails with NOT_ENOUGH_REPLICAS.
fn sandbox_with_a_refused_message() -> App {
    let mut setup = super::app::default_sandbox();
    setup.producers[0].retries = 0;
    setup.producers[0].enable_idempotence = Some(false);
    let mut app = app(Start::Sandbox(setup));
    for broker in [2, 3] {
        update(&mut app, Action::Digit(broker));
        press(&mut app, KeyAction::Crash);
    }
    for _ in 0..1000 {
        if lab(&app).world().partitions()[0].controller.isr.len() == 1 {
            break;
        }
        press(&mut app, KeyAction::StepForward);
    }
    press(&mut app, KeyAction::Produce);
    for _ in 0..100 {
        if lab(&app).world().ledger().entries[0].failure.is_some() {
            break;
        }
        press(&mut app, KeyAction::StepForward);
    }
    app
}

#[test]
fn a_failed_message_says_why_in_the_ledger_and_the_event_log() {
    let mut app = sandbox_with_a_refused_message();
    let terminal = draw(&app, 160, 48);
    let text = text_of(terminal.backend().buffer());
    assert!(text.contains("failed: NOT_ENOUGH_REPLICAS"), "{text}");
    for words in [
        "↳ acks=all needs min.insync.replicas=2 in-sync replicas; the",
        "    ISR of orders-0 is {1}",
    ] {
        assert!(
            text.contains(words),
            "the ledger explains the error:\n{text}"
        );
    }
    assert!(
        text.contains(
            "rejected P1's batch for orders-0: NOT_ENOUGH_REPLICAS; because acks=all needs"
        ),
        "the event log tells the same reason:\n{text}"
    );
    insta::assert_snapshot!(terminal.backend());
    press(&mut app, KeyAction::ToggleLanguage);
    let zh = text_of(draw(&app, 160, 48).backend().buffer());
    assert!(zh.contains("↳ acks=all 要求 ISR 中至少有"), "{zh}");
}

#[test]
fn client_keys_act_on_the_selected_client() {
    let mut setup = Setup::default();
    let mut second = setup.producers[0].clone();
    second.name = "P2".to_string();
    setup.producers.push(second);
    let mut app = app(Start::Sandbox(setup));
    press(&mut app, KeyAction::SelectClient);
    assert_eq!(lab(&app).target_producer().map(|p| &*p.name), Some("P2"));
    press(&mut app, KeyAction::Produce);
    let entry = &lab(&app).world().ledger().entries[0];
    assert_eq!(entry.producer, crate::sim::ProducerId(1), "produced by P2");
    press(&mut app, KeyAction::KillProducer);
    let alive: Vec<bool> = lab(&app)
        .world()
        .producers()
        .iter()
        .map(crate::sim::producer::Producer::is_alive)
        .collect();
    assert_eq!(alive, [true, false], "P2 was killed, P1 runs");
    press(&mut app, KeyAction::Produce);
    assert!(
        app.flash
            .as_ref()
            .is_some_and(|f| f.text.contains("selected producer is not running"))
    );
    let text = text_of(draw(&app, 160, 48).backend().buffer());
    assert!(text.contains("▸ P2"), "the selection is marked:\n{text}");
    press(&mut app, KeyAction::SelectClient);
    assert_eq!(lab(&app).client, 0, "the selection wraps");
}
