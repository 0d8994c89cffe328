//! Keys → actions. The defaults live in `assets/keymap.ron`; a user file in the config directory
//! overrides them action by action. The help overlay and the footer are generated from this one
//! table, so keys and help never disagree (as in gitui).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::KeyAction;

/// The default bindings, compiled in.
pub const DEFAULT_KEYMAP: &str = include_str!("../../assets/keymap.ron");

/// One key, with the modifiers that matter (Shift is part of the character: `K`, `?`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

impl Key {
    pub const fn plain(code: KeyCode) -> Key {
        Key {
            code,
            ctrl: false,
            alt: false,
        }
    }

    /// Parses `l`, `Right`, `F1`, `Ctrl-q`, `Alt-x`.
    pub fn parse(text: &str) -> Result<Key, String> {
        let mut rest = text;
        let mut key = Key::plain(KeyCode::Null);
        loop {
            if let Some(r) = strip_prefix_ignore_case(rest, "ctrl-") {
                key.ctrl = true;
                rest = r;
            } else if let Some(r) = strip_prefix_ignore_case(rest, "alt-") {
                key.alt = true;
                rest = r;
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        key.code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(c),
            _ => named_key(rest).ok_or_else(|| {
                format!(
                    "unknown key `{text}`: use one character or Left, Right, Up, Down, Enter, Esc, Space, Tab, Backspace, Home, End, PageUp, PageDown, Delete, Insert, F1…F12, with Ctrl- or Alt- in front"
                )
            })?,
        };
        if key.is_reserved() {
            return Err(format!(
                "`{text}` cannot be rebound: Ctrl-C always quits and the digits answer questions and select brokers"
            ));
        }
        Ok(key)
    }

    fn is_reserved(self) -> bool {
        match self.code {
            KeyCode::Char('c' | 'C') if self.ctrl => true,
            KeyCode::Char('1'..='9') => !self.ctrl && !self.alt,
            _ => false,
        }
    }

    /// Whether a key event is this key. Shift is ignored: it is already in the character.
    pub fn matches(self, event: &KeyEvent) -> bool {
        let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
        let alt = event.modifiers.contains(KeyModifiers::ALT);
        let code = match event.code {
            // Some terminals send Shift-Tab as Tab with Shift.
            KeyCode::Tab if event.modifiers.contains(KeyModifiers::SHIFT) => KeyCode::BackTab,
            code => code,
        };
        code == self.code && ctrl == self.ctrl && alt == self.alt
    }

    /// How the footer and the help write the key.
    pub fn label(self) -> String {
        let name = match self.code {
            KeyCode::Left => "←".to_string(),
            KeyCode::Right => "→".to_string(),
            KeyCode::Up => "↑".to_string(),
            KeyCode::Down => "↓".to_string(),
            KeyCode::Char(' ') => "space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::F(n) => format!("F{n}"),
            KeyCode::Enter => "Enter".to_string(),
            KeyCode::Esc => "Esc".to_string(),
            KeyCode::Tab => "Tab".to_string(),
            KeyCode::BackTab => "Shift-Tab".to_string(),
            KeyCode::Backspace => "Backspace".to_string(),
            KeyCode::Home => "Home".to_string(),
            KeyCode::End => "End".to_string(),
            KeyCode::PageUp => "PgUp".to_string(),
            KeyCode::PageDown => "PgDn".to_string(),
            KeyCode::Delete => "Del".to_string(),
            KeyCode::Insert => "Ins".to_string(),
            other => format!("{other:?}"),
        };
        let ctrl = if self.ctrl { "Ctrl-" } else { "" };
        let alt = if self.alt { "Alt-" } else { "" };
        format!("{ctrl}{alt}{name}")
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    (head.eq_ignore_ascii_case(prefix) && text.len() > prefix.len()).then(|| &text[prefix.len()..])
}

fn named_key(name: &str) -> Option<KeyCode> {
    let lower = name.to_ascii_lowercase();
    Some(match lower.as_str() {
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "enter" | "return" => KeyCode::Enter,
        "esc" | "escape" => KeyCode::Esc,
        "space" => KeyCode::Char(' '),
        "tab" => KeyCode::Tab,
        "backtab" | "shift-tab" => KeyCode::BackTab,
        "backspace" => KeyCode::Backspace,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "pageup" | "pgup" => KeyCode::PageUp,
        "pagedown" | "pgdn" => KeyCode::PageDown,
        "delete" | "del" => KeyCode::Delete,
        "insert" | "ins" => KeyCode::Insert,
        _ => {
            let n: u8 = lower.strip_prefix('f')?.parse().ok()?;
            if !(1..=12).contains(&n) {
                return None;
            }
            KeyCode::F(n)
        }
    })
}

/// Keys bound to every key action.
#[derive(Clone, Debug, PartialEq)]
pub struct Keymap {
    bindings: BTreeMap<KeyAction, Vec<Key>>,
}

/// A keymap file as written: action name → key names.
type KeymapFile = BTreeMap<String, Vec<String>>;

fn parse_file(source: &str) -> Result<BTreeMap<KeyAction, Vec<Key>>, String> {
    let file: KeymapFile = ron::from_str(source).map_err(|e| e.to_string())?;
    let mut out = BTreeMap::new();
    for (name, keys) in file {
        let action = KeyAction::from_name(&name).ok_or_else(|| {
            let names: Vec<&str> = KeyAction::ALL.iter().map(|a| a.name()).collect();
            format!("unknown action `{name}`; actions are {}", names.join(", "))
        })?;
        let keys = keys
            .iter()
            .map(|k| Key::parse(k).map_err(|e| format!("{name}: {e}")))
            .collect::<Result<Vec<Key>, String>>()?;
        out.insert(action, keys);
    }
    Ok(out)
}

impl Keymap {
    /// The built-in bindings (`assets/keymap.ron`, checked by the tests).
    pub fn defaults() -> Keymap {
        let bindings =
            parse_file(DEFAULT_KEYMAP).expect("assets/keymap.ron is valid: the tests check it");
        Keymap { bindings }
    }

    /// The defaults with a user file's bindings in place of theirs, or why the file is not usable.
    pub fn with_overrides(&self, source: &str) -> Result<Keymap, String> {
        let mut bindings = self.bindings.clone();
        bindings.extend(parse_file(source)?);
        let keymap = Keymap { bindings };
        keymap.check_conflicts()?;
        Ok(keymap)
    }

    /// The keymap to use: the defaults, overridden by the user's file if there is a valid one.
    /// The message says what went wrong with the user's file (the defaults are used then).
    pub fn load(user_file: Option<&Path>) -> (Keymap, Option<String>) {
        let defaults = Keymap::defaults();
        let Some(path) = user_file else {
            return (defaults, None);
        };
        let source = match std::fs::read_to_string(path) {
            Ok(source) => source,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (defaults, None),
            Err(e) => {
                let message = format!("{}: {e}; using the default keys", path.display());
                return (defaults, Some(message));
            }
        };
        match defaults.with_overrides(&source) {
            Ok(keymap) => (keymap, None),
            Err(e) => {
                let message = format!("{}: {e}; using the default keys", path.display());
                (defaults, Some(message))
            }
        }
    }

    /// Where a user's keymap lives.
    pub fn user_file() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "ackscope")
            .map(|dirs| dirs.config_dir().join("keymap.ron"))
    }

    /// Two actions that can apply at the same time may not share a key.
    fn check_conflicts(&self) -> Result<(), String> {
        let all: Vec<(KeyAction, Key)> = self
            .bindings
            .iter()
            .flat_map(|(a, keys)| keys.iter().map(move |k| (*a, *k)))
            .collect();
        for (i, (a, key)) in all.iter().enumerate() {
            for (b, other) in &all[i + 1..] {
                if a != b && key == other && a.scope().overlaps(b.scope()) {
                    return Err(format!(
                        "`{}` is bound to both {} and {}",
                        key.label(),
                        a.name(),
                        b.name()
                    ));
                }
            }
        }
        Ok(())
    }

    pub fn keys(&self, action: KeyAction) -> &[Key] {
        self.bindings.get(&action).map_or(&[], Vec::as_slice)
    }

    /// `→/l`: every key of an action, for the footer and the help.
    pub fn label(&self, action: KeyAction) -> String {
        let labels: Vec<String> = self.keys(action).iter().map(|k| k.label()).collect();
        labels.join("/")
    }

    /// The action a key event means where `applies` says actions apply.
    pub fn action_for(
        &self,
        event: &KeyEvent,
        applies: impl Fn(KeyAction) -> bool,
    ) -> Option<KeyAction> {
        KeyAction::ALL
            .iter()
            .copied()
            .filter(|a| applies(*a))
            .find(|a| self.keys(*a).iter().any(|k| k.matches(event)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn the_default_file_binds_every_action_without_conflicts() {
        let keymap = Keymap::defaults();
        for action in KeyAction::ALL {
            assert!(
                !keymap.keys(*action).is_empty(),
                "{} has no key",
                action.name()
            );
        }
        keymap.check_conflicts().expect("no conflicts");
    }

    #[test]
    fn keys_parse_and_match_like_terminals_send_them() {
        let k = Key::parse("K").expect("valid");
        assert!(k.matches(&press(KeyCode::Char('K'), KeyModifiers::SHIFT)));
        assert!(!k.matches(&press(KeyCode::Char('k'), KeyModifiers::NONE)));
        let q = Key::parse("Ctrl-q").expect("valid");
        assert!(q.matches(&press(KeyCode::Char('q'), KeyModifiers::CONTROL)));
        assert!(!q.matches(&press(KeyCode::Char('q'), KeyModifiers::NONE)));
        assert_eq!(Key::parse("F1").map(Key::label), Ok("F1".to_string()));
        assert_eq!(Key::parse("space").map(|k| k.code), Ok(KeyCode::Char(' ')));
        assert!(Key::parse("F13").is_err());
        assert!(
            Key::parse("Hyper")
                .expect_err("an error")
                .contains("unknown key")
        );
    }

    #[test]
    fn reserved_keys_cannot_be_rebound() {
        assert!(
            Key::parse("Ctrl-c")
                .expect_err("an error")
                .contains("always quits")
        );
        assert!(Key::parse("3").is_err());
    }

    #[test]
    fn a_user_file_overrides_only_what_it_names() {
        let keymap = Keymap::defaults()
            .with_overrides(r#"{ "crash": ["x"] }"#)
            .expect("valid");
        assert_eq!(keymap.label(KeyAction::Crash), "x");
        assert_eq!(keymap.label(KeyAction::StepForward), "→/l");
    }

    #[test]
    fn bad_user_files_say_what_is_wrong() {
        let defaults = Keymap::defaults();
        let unknown = defaults
            .with_overrides(r#"{ "crsh": ["x"] }"#)
            .expect_err("an error");
        assert!(unknown.contains("unknown action `crsh`"), "{unknown}");
        let conflict = defaults
            .with_overrides(r#"{ "crash": ["l"] }"#)
            .expect_err("an error");
        assert!(conflict.contains("`l` is bound to both"), "{conflict}");
        let syntax = defaults
            .with_overrides("{ \"crash\": [x] }")
            .expect_err("an error");
        assert!(
            syntax.contains("1:"),
            "ron errors carry a position: {syntax}"
        );
    }

    #[test]
    fn an_invalid_user_file_keeps_the_defaults_with_a_message() {
        let dir = std::env::temp_dir().join(format!("ackscope-keymap-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("keymap.ron");
        std::fs::write(&path, r#"{ "quit": ["Ctrl-c"] }"#).expect("write");
        let (keymap, message) = Keymap::load(Some(&path));
        assert_eq!(keymap, Keymap::defaults());
        let message = message.expect("a message");
        assert!(message.contains("using the default keys"), "{message}");
        let (_, none) = Keymap::load(Some(&dir.join("missing.ron")));
        assert_eq!(none, None, "no user file is not an error");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_same_key_means_different_things_on_different_screens() {
        let keymap = Keymap::defaults();
        let s = press(KeyCode::Char('s'), KeyModifiers::NONE);
        let home = keymap.action_for(&s, |a| a.scope() != super::super::action::Scope::Lab);
        assert_eq!(home, Some(KeyAction::OpenSandbox));
        let lab = keymap.action_for(&s, |a| a.scope() != super::super::action::Scope::Home);
        assert_eq!(lab, Some(KeyAction::ShutDown));
    }
}
