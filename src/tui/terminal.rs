//! The terminal side: setup and teardown on every exit path, and the event loop. tokio (current
//! thread) only feeds key presses, signals and playback ticks into `update`; the screen is redrawn
//! only when `update` says something changed, so a paused lab costs no CPU.

use std::io::stdout;
use std::time::Duration;

use color_eyre::eyre::eyre;
use crossterm::event::{DisableMouseCapture, EnableMouseCapture, EventStream};
use crossterm::execute;
use futures::StreamExt;
use ratatui::DefaultTerminal;
use tokio::signal::unix::{SignalKind, signal};
use tokio::time::{Instant, Interval, MissedTickBehavior, interval};

use super::action::Action;
use super::app::App;
use super::keymap::Keymap;
use super::progress::Progress;
use super::theme::ThemeName;
use super::update::update;
use super::view::view;
use super::{Options, Start, input};

/// Playback frame period (20 frames a second); only runs while playing.
const FRAME: Duration = Duration::from_millis(50);
/// A tick never stands for more real time than this (after a suspend, say), so the simulation
/// does not leap.
const MAX_TICK_MS: u64 = 250;

/// Builds the model from the command line, the environment and the user's files.
pub(super) fn prepare(start: Start, options: Options) -> color_eyre::Result<App> {
    let Options {
        theme,
        no_color,
        mouse,
        lang,
    } = options;
    let theme = ThemeName::choose(theme.as_deref(), no_color, |key| std::env::var(key).ok())
        .map_err(|e| eyre!(e))?;
    let (lessons, lessons_error) = match crate::lesson::bundled::all() {
        Ok(lessons) => (lessons, None),
        Err(e) => (Vec::new(), Some(e.render(false))),
    };
    let mut app = App::new(start, lessons, theme, lang).map_err(|e| eyre!(e))?;
    app.mouse = mouse;
    app.keymap_file = Keymap::user_file();
    let (keymap, keymap_warning) = Keymap::load(app.keymap_file.as_deref());
    app.keymap = keymap;
    app.progress_file = Progress::default_file();
    let mut progress_warning = None;
    if let Some(path) = &app.progress_file {
        let (progress, warning) = Progress::load(path);
        app.progress = progress;
        progress_warning = warning;
    }
    if let Some(warning) = keymap_warning.or(lessons_error).or(progress_warning) {
        app.warn(warning);
    }
    Ok(app)
}

pub fn run(start: Start, options: Options) -> color_eyre::Result<()> {
    // Before ratatui's hook, so that a panic restores the terminal first and then reports. A hook
    // installed earlier (by a caller) is fine too.
    let _ = color_eyre::install();
    let mut app = prepare(start, options)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut terminal = ratatui::try_init()?;
    // ratatui's panic hook leaves raw mode and the alternate screen; mouse capture is ours to undo.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(stdout(), DisableMouseCapture);
        previous(info);
    }));
    let result = runtime.block_on(event_loop(&mut terminal, &mut app));
    let _ = execute!(stdout(), DisableMouseCapture);
    ratatui::restore();
    if let Err(e) = save_progress(&mut app) {
        eprintln!("ackscope: {e}");
    }
    result
}

fn save_progress(app: &mut App) -> Result<(), String> {
    if !app.progress_unsaved {
        return Ok(());
    }
    app.progress_unsaved = false;
    match &app.progress_file {
        Some(path) => app.progress.save(path),
        None => Ok(()),
    }
}

/// A future that completes at the next playback tick, or never when playback is stopped.
async fn next_tick(timer: &mut Option<Interval>) -> Instant {
    match timer {
        Some(timer) => timer.tick().await,
        None => std::future::pending().await,
    }
}

async fn event_loop(terminal: &mut DefaultTerminal, app: &mut App) -> color_eyre::Result<()> {
    let mut events = EventStream::new();
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut playback: Option<Interval> = None;
    let mut last_tick = Instant::now();
    let mut mouse_captured = false;
    let size = terminal.size()?;
    update(
        app,
        Action::Resize {
            width: size.width,
            height: size.height,
        },
    );
    let mut dirty = true;
    loop {
        if app.mouse != mouse_captured {
            if app.mouse {
                execute!(stdout(), EnableMouseCapture)?;
            } else {
                execute!(stdout(), DisableMouseCapture)?;
            }
            mouse_captured = app.mouse;
        }
        if let Err(e) = save_progress(app) {
            app.warn(e);
            dirty = true;
        }
        if app.quit {
            return Ok(());
        }
        if dirty {
            terminal.draw(|frame| view(app, frame))?;
            dirty = false;
        }
        let playing = app.lab().is_some_and(|lab| lab.playing);
        match (playing, playback.is_some()) {
            (true, false) => {
                let mut timer = interval(FRAME);
                timer.set_missed_tick_behavior(MissedTickBehavior::Skip);
                playback = Some(timer);
                last_tick = Instant::now();
            }
            (false, true) => playback = None,
            _ => {}
        }
        let action = tokio::select! {
            event = events.next() => match event {
                Some(Ok(event)) => match input::action_for(app, &event) {
                    Some(action) => action,
                    None => continue,
                },
                Some(Err(e)) => return Err(e.into()),
                None => Action::Quit,
            },
            _ = sigterm.recv() => Action::Quit,
            _ = sighup.recv() => Action::Quit,
            now = next_tick(&mut playback) => {
                let elapsed = now.duration_since(last_tick);
                last_tick = now;
                let elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(MAX_TICK_MS);
                Action::Tick { elapsed_ms: elapsed_ms.min(MAX_TICK_MS) }
            }
        };
        dirty |= update(app, action);
    }
}
