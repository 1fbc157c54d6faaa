//! A progress bar on stderr for long transfers (only when it is a terminal).

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// `1 file`, `3 files`: a count in words, never "file(s)".
pub(crate) fn count(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Progress of one transfer: a bar with bytes, rate and ETA, or nothing
/// when stderr is not a terminal (scripts, CI).
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    base: u64,
}

impl Progress {
    /// `total` is the full size when known; `already` the bytes a resume skips.
    pub(crate) fn new(label: &str, total: Option<u64>, already: u64) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress {
                bar: None,
                base: already,
            };
        }
        let bar = match total {
            Some(t) => ProgressBar::new(t),
            None => ProgressBar::new_spinner(),
        };
        let template = if total.is_some() {
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}"
        } else {
            "{msg} {spinner} {bytes} {bytes_per_sec}"
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(label.to_string());
        bar.set_position(already);
        bar.reset_eta();
        Progress {
            bar: Some(bar),
            base: already,
        }
    }

    /// Bytes moved in this run (a resume's skipped bytes are added).
    pub(crate) fn update(&self, moved: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(self.base + moved);
        }
    }

    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// A progress bar created on the first report, when the total is known,
/// and cleared when dropped.
pub(crate) struct LazyProgress {
    label: String,
    bar: std::sync::OnceLock<Progress>,
}

impl LazyProgress {
    pub(crate) fn new(label: impl Into<String>) -> LazyProgress {
        LazyProgress {
            label: label.into(),
            bar: std::sync::OnceLock::new(),
        }
    }

    /// `moved` bytes of `total` (when known) so far.
    pub(crate) fn report(&self, moved: u64, total: Option<u64>) {
        self.bar
            .get_or_init(|| Progress::new(&self.label, total, moved))
            .update(moved);
    }
}

impl Drop for LazyProgress {
    fn drop(&mut self) {
        if let Some(p) = self.bar.get() {
            p.finish();
        }
    }
}

#[cfg(test)]
mod count_tests {
    #[test]
    fn counts_read_as_words() {
        assert_eq!(super::count(1u32, "file", "files"), "1 file");
        assert_eq!(super::count(0u32, "file", "files"), "0 files");
        assert_eq!(super::count(3u64, "entry", "entries"), "3 entries");
    }
}
