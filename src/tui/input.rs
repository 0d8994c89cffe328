//! Terminal events → actions: the keymap for keys, plus the keys that cannot be rebound (Ctrl-C,
//! digits), left clicks and resizes.

use crossterm::event::{Event, KeyCode, KeyEventKind, KeyModifiers, MouseButton, MouseEventKind};

use super::action::Action;
use super::app::App;

pub fn action_for(app: &App, event: &Event) -> Option<Action> {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => {
            let plain = !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
            match key.code {
                // Raw mode turns Ctrl-C into a key: it must always leave.
                KeyCode::Char('c' | 'C') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                    Some(Action::Quit)
                }
                KeyCode::Char(d @ '1'..='9') if plain => Some(Action::Digit(d as u8 - b'0')),
                _ => app
                    .keymap
                    .action_for(key, |a| app.applies(a))
                    .map(Action::Key),
            }
        }
        Event::Mouse(mouse) if mouse.kind == MouseEventKind::Down(MouseButton::Left) => {
            Some(Action::Click {
                column: mouse.column,
                row: mouse.row,
            })
        }
        Event::Resize(width, height) => Some(Action::Resize {
            width: *width,
            height: *height,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::Lang;
    use crate::tui::Start;
    use crate::tui::action::KeyAction;
    use crate::tui::theme::ThemeName;
    use crossterm::event::KeyEvent;

    fn key(code: KeyCode, modifiers: KeyModifiers) -> Event {
        Event::Key(KeyEvent::new(code, modifiers))
    }

    #[test]
    fn fixed_keys_and_the_keymap() {
        let app = App::new(Start::Home, Vec::new(), ThemeName::Dark, Lang::En).expect("app");
        assert_eq!(
            action_for(&app, &key(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(
            action_for(&app, &key(KeyCode::Char('3'), KeyModifiers::NONE)),
            Some(Action::Digit(3))
        );
        assert_eq!(
            action_for(&app, &key(KeyCode::F(1), KeyModifiers::NONE)),
            Some(Action::Key(KeyAction::Help))
        );
        assert_eq!(
            action_for(&app, &key(KeyCode::Char('?'), KeyModifiers::SHIFT)),
            Some(Action::Key(KeyAction::Help))
        );
        // Fault keys mean nothing on the lesson list.
        assert_eq!(
            action_for(&app, &key(KeyCode::Char('c'), KeyModifiers::NONE)),
            None
        );
    }
}
