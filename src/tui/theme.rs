//! Colour themes. Every state the screen shows also has a symbol or a word, so colour only helps;
//! the monochrome theme sets no colour at all (not even through crossterm's NO_COLOR handling, which
//! in 0.29 resets every attribute along with the colour).

use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::BorderType;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ThemeName {
    Dark,
    Light,
    HighContrast,
    Mono,
}

impl ThemeName {
    pub const ALL: [ThemeName; 4] = [
        ThemeName::Dark,
        ThemeName::Light,
        ThemeName::HighContrast,
        ThemeName::Mono,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ThemeName::Dark => "dark",
            ThemeName::Light => "light",
            ThemeName::HighContrast => "high-contrast",
            ThemeName::Mono => "mono",
        }
    }

    pub fn parse(name: &str) -> Option<ThemeName> {
        match name {
            "dark" => Some(ThemeName::Dark),
            "light" => Some(ThemeName::Light),
            "high-contrast" | "contrast" | "projector" => Some(ThemeName::HighContrast),
            "mono" | "monochrome" | "none" => Some(ThemeName::Mono),
            _ => None,
        }
    }

    #[must_use]
    pub fn next(self) -> ThemeName {
        let i = ThemeName::ALL.iter().position(|t| *t == self).unwrap_or(0);
        ThemeName::ALL[(i + 1) % ThemeName::ALL.len()]
    }

    /// The theme the learner asked for, or the one the environment calls for.
    ///
    /// `--no-color` always wins; an explicit `--theme` beats `NO_COLOR` (the NO_COLOR convention lets
    /// explicit configuration override it); `NO_COLOR` (non-empty) and `TERM=dumb` pick monochrome.
    pub fn choose(
        requested: Option<&str>,
        no_color_flag: bool,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<ThemeName, String> {
        if no_color_flag {
            return Ok(ThemeName::Mono);
        }
        if let Some(name) = requested {
            return ThemeName::parse(name).ok_or_else(|| {
                format!("unknown theme `{name}`: use dark, light, high-contrast or mono")
            });
        }
        let no_color = env("NO_COLOR").is_some_and(|v| !v.is_empty());
        let dumb = env("TERM").is_some_and(|v| v == "dumb");
        Ok(if no_color || dumb {
            ThemeName::Mono
        } else {
            ThemeName::Dark
        })
    }
}

/// Styles by meaning. Widgets ask for `theme.loss`, never for `Color::Red`.
#[derive(Clone, Debug, PartialEq)]
pub struct Theme {
    pub name: ThemeName,
    /// The whole screen.
    pub base: Style,
    pub border: Style,
    /// The selected broker's box (also drawn with a thick border).
    pub border_selected: Style,
    pub title: Style,
    pub dim: Style,
    /// Key names in the footer and the help.
    pub key: Style,
    pub chip: Style,
    /// Running brokers and clients, expectations that hold, safe messages.
    pub good: Style,
    /// Crashed brokers, failed expectations, errors.
    pub bad: Style,
    /// Power off, cut off, at-risk messages, warnings.
    pub warn: Style,
    /// Acknowledged and lost: the headline of the whole tool.
    pub loss: Style,
    pub leader: Style,
    /// Records on disk / only in the page cache.
    pub disk: Style,
    pub cache: Style,
    /// Records below the high watermark.
    pub committed: Style,
    /// Records removed by truncation or lost with the page cache.
    pub ghost: Style,
    /// The newest event group in the log.
    pub latest: Style,
    /// The prediction prompt.
    pub prompt: Style,
    /// The selected line of a list.
    pub selected: Style,
    /// A metric that moved in the latest step (also marked `▸`).
    pub moved: Style,
    /// Borders of panes: thick on a projector.
    pub lines: BorderType,
}

const fn fg(color: Color) -> Style {
    Style::new().fg(color)
}

impl Theme {
    pub fn new(name: ThemeName) -> Theme {
        match name {
            ThemeName::Dark => Theme::dark(),
            ThemeName::Light => Theme::light(),
            ThemeName::HighContrast => Theme::high_contrast(),
            ThemeName::Mono => Theme::mono(),
        }
    }

    fn dark() -> Theme {
        Theme {
            name: ThemeName::Dark,
            base: Style::new(),
            border: fg(Color::DarkGray),
            border_selected: fg(Color::Cyan).add_modifier(Modifier::BOLD),
            title: fg(Color::Cyan).add_modifier(Modifier::BOLD),
            dim: fg(Color::DarkGray),
            key: fg(Color::Yellow).add_modifier(Modifier::BOLD),
            chip: fg(Color::Black).bg(Color::Gray),
            good: fg(Color::Green),
            bad: fg(Color::LightRed).add_modifier(Modifier::BOLD),
            warn: fg(Color::Yellow),
            loss: fg(Color::Red).add_modifier(Modifier::BOLD),
            leader: fg(Color::Cyan).add_modifier(Modifier::BOLD),
            disk: fg(Color::Green),
            cache: fg(Color::Yellow),
            committed: Style::new().add_modifier(Modifier::BOLD),
            ghost: fg(Color::Red).add_modifier(Modifier::CROSSED_OUT),
            latest: fg(Color::White).add_modifier(Modifier::BOLD),
            prompt: fg(Color::Magenta).add_modifier(Modifier::BOLD),
            selected: Style::new().add_modifier(Modifier::REVERSED),
            moved: fg(Color::Black).bg(Color::Yellow),
            lines: BorderType::Plain,
        }
    }

    fn light() -> Theme {
        Theme {
            name: ThemeName::Light,
            base: Style::new(),
            border: fg(Color::Gray),
            border_selected: fg(Color::Blue).add_modifier(Modifier::BOLD),
            title: fg(Color::Blue).add_modifier(Modifier::BOLD),
            dim: fg(Color::DarkGray),
            key: fg(Color::Magenta).add_modifier(Modifier::BOLD),
            chip: fg(Color::White).bg(Color::Blue),
            good: fg(Color::Green),
            bad: fg(Color::Red).add_modifier(Modifier::BOLD),
            warn: fg(Color::Magenta),
            loss: fg(Color::Red).add_modifier(Modifier::BOLD),
            leader: fg(Color::Blue).add_modifier(Modifier::BOLD),
            disk: fg(Color::Green),
            cache: fg(Color::Magenta),
            committed: Style::new().add_modifier(Modifier::BOLD),
            ghost: fg(Color::Red).add_modifier(Modifier::CROSSED_OUT),
            latest: fg(Color::Black).add_modifier(Modifier::BOLD),
            prompt: fg(Color::Blue).add_modifier(Modifier::BOLD),
            selected: Style::new().add_modifier(Modifier::REVERSED),
            moved: fg(Color::Black).bg(Color::LightYellow),
            lines: BorderType::Plain,
        }
    }

    /// For projectors: bright bold colours on an explicit black background, whatever the
    /// terminal's own colours are.
    fn high_contrast() -> Theme {
        let bold = |color: Color| fg(color).add_modifier(Modifier::BOLD);
        Theme {
            name: ThemeName::HighContrast,
            base: fg(Color::White).bg(Color::Black),
            border: fg(Color::White),
            border_selected: bold(Color::LightYellow),
            title: bold(Color::LightCyan),
            dim: fg(Color::Gray),
            key: bold(Color::LightYellow),
            chip: bold(Color::Black).bg(Color::White),
            good: bold(Color::LightGreen),
            bad: bold(Color::LightRed),
            warn: bold(Color::LightYellow),
            loss: bold(Color::White).bg(Color::Red),
            leader: bold(Color::LightCyan),
            disk: bold(Color::LightGreen),
            cache: bold(Color::LightYellow),
            committed: Style::new().add_modifier(Modifier::BOLD),
            ghost: bold(Color::LightRed).add_modifier(Modifier::CROSSED_OUT),
            latest: bold(Color::White).add_modifier(Modifier::UNDERLINED),
            prompt: bold(Color::LightMagenta),
            selected: bold(Color::Black).bg(Color::LightYellow),
            moved: bold(Color::Black).bg(Color::LightYellow),
            lines: BorderType::Thick,
        }
    }

    /// No colour at all: only bold, reverse, underline, dim and strike-through.
    fn mono() -> Theme {
        let m = |modifier: Modifier| Style::new().add_modifier(modifier);
        Theme {
            name: ThemeName::Mono,
            base: Style::new(),
            border: Style::new(),
            border_selected: m(Modifier::BOLD),
            title: m(Modifier::BOLD),
            dim: m(Modifier::DIM),
            key: m(Modifier::BOLD),
            chip: m(Modifier::REVERSED),
            good: Style::new(),
            bad: m(Modifier::BOLD),
            warn: m(Modifier::BOLD),
            loss: m(Modifier::BOLD | Modifier::REVERSED),
            leader: m(Modifier::BOLD),
            disk: Style::new(),
            cache: Style::new(),
            committed: m(Modifier::BOLD),
            ghost: m(Modifier::CROSSED_OUT | Modifier::DIM),
            latest: m(Modifier::BOLD),
            prompt: m(Modifier::BOLD | Modifier::UNDERLINED),
            selected: m(Modifier::REVERSED),
            moved: m(Modifier::REVERSED),
            lines: BorderType::Plain,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |key| {
            pairs
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| (*v).to_string())
        }
    }

    #[test]
    fn environment_picks_monochrome() {
        let pick = |pairs, flag| ThemeName::choose(None, flag, env(pairs));
        assert_eq!(pick(&[], false), Ok(ThemeName::Dark));
        assert_eq!(pick(&[("NO_COLOR", "1")], false), Ok(ThemeName::Mono));
        assert_eq!(pick(&[("NO_COLOR", "")], false), Ok(ThemeName::Dark));
        assert_eq!(pick(&[("TERM", "dumb")], false), Ok(ThemeName::Mono));
        assert_eq!(pick(&[], true), Ok(ThemeName::Mono));
    }

    #[test]
    fn explicit_choices_win_in_order() {
        let no_color = env(&[("NO_COLOR", "1")]);
        assert_eq!(
            ThemeName::choose(Some("light"), false, &no_color),
            Ok(ThemeName::Light)
        );
        assert_eq!(
            ThemeName::choose(Some("light"), true, &no_color),
            Ok(ThemeName::Mono)
        );
        assert!(
            ThemeName::choose(Some("neon"), false, env(&[]))
                .expect_err("an error")
                .contains("high-contrast")
        );
    }

    #[test]
    fn cycling_visits_every_theme() {
        let mut name = ThemeName::Dark;
        let mut seen = vec![name];
        for _ in 0..3 {
            name = name.next();
            seen.push(name);
        }
        assert_eq!(seen, ThemeName::ALL);
        assert_eq!(name.next(), ThemeName::Dark);
    }
}
