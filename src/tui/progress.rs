//! The learner's progress — lessons finished and predictions got right — kept as JSON in the
//! user's data directory, so the lesson list can show it next time.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonProgress {
    /// Played to the end at least once.
    pub done: bool,
    /// Predictions answered right, out of `answered`, in the latest run that answered any.
    pub right: usize,
    pub answered: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// By lesson id.
    pub lessons: BTreeMap<String, LessonProgress>,
}

impl Progress {
    /// Where progress is kept.
    pub fn default_file() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "ackscope")
            .map(|dirs| dirs.data_dir().join("progress.json"))
    }

    /// Reads the file; a missing file is no progress yet, a damaged one is reported and ignored.
    pub fn load(path: &Path) -> (Progress, Option<String>) {
        match std::fs::read_to_string(path) {
            Ok(text) => match serde_json::from_str(&text) {
                Ok(progress) => (progress, None),
                Err(e) => (
                    Progress::default(),
                    Some(format!(
                        "{}: {e}; starting with no progress",
                        path.display()
                    )),
                ),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Progress::default(), None),
            Err(e) => (
                Progress::default(),
                Some(format!("{}: {e}", path.display())),
            ),
        }
    }

    /// Writes the file (through a temporary file, so a crash never leaves half a file).
    pub fn save(&self, path: &Path) -> Result<(), String> {
        let fail = |e: std::io::Error| format!("cannot save progress to {}: {e}", path.display());
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(fail)?;
        }
        let json = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        let temporary = path.with_extension("json.tmp");
        std::fs::write(&temporary, json).map_err(fail)?;
        std::fs::rename(&temporary, path).map_err(fail)
    }

    /// Notes a lesson's state. Returns whether anything changed.
    pub fn record(&mut self, lesson: &str, finished: bool, score: (usize, usize)) -> bool {
        let entry = self.lessons.entry(lesson.to_string()).or_default();
        let before = entry.clone();
        entry.done |= finished;
        if score.1 > 0 {
            (entry.right, entry.answered) = score;
        }
        *entry != before
    }

    pub fn of(&self, lesson: &str) -> Option<&LessonProgress> {
        self.lessons.get(lesson)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_a_file() {
        let dir = std::env::temp_dir().join(format!("ackscope-progress-{}", std::process::id()));
        let path = dir.join("nested").join("progress.json");
        let mut progress = Progress::default();
        assert!(progress.record("write-path", true, (1, 2)));
        assert!(!progress.record("write-path", false, (0, 0)), "no news");
        progress.save(&path).expect("saved");
        let (loaded, warning) = Progress::load(&path);
        assert_eq!(warning, None);
        assert_eq!(loaded, progress);
        assert_eq!(
            loaded.of("write-path"),
            Some(&LessonProgress {
                done: true,
                right: 1,
                answered: 2
            })
        );
        std::fs::write(&path, "{ not json").expect("write");
        let (damaged, warning) = Progress::load(&path);
        assert_eq!(damaged, Progress::default());
        assert!(warning.is_some_and(|w| w.contains("starting with no progress")));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
