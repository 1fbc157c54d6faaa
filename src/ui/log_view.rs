//! STUB (being written): the message log panel.

use eframe::egui;

use crate::ftp::log::LogLine;

/// The log's lines and view state.
#[derive(Default)]
pub struct LogView {
    lines: Vec<LogLine>,
}

impl LogView {
    pub fn push(&mut self, line: LogLine) {
        self.lines.push(line);
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Draw the log.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        for l in &self.lines {
            ui.label(&l.text);
        }
    }
}
