//! The message log panel: every protocol line, timestamped and coloured by
//! kind, with a filter, line selection, copy and clear.
//!
//! The log keeps at most [`MAX_LINES`] lines (the oldest are dropped) and
//! draws only the rows in view, so a long session costs the same per frame as
//! a short one. It follows the newest line until the user scrolls up, and
//! follows again once they scroll back to the bottom.

use std::collections::{BTreeSet, VecDeque};
use std::fmt::Write as _;

use chrono::Timelike;
use eframe::egui::{
    self, Align, Align2, Color32, FontId, Layout, Modifiers, Rect, RichText, Role, Sense,
    TextStyle, Vec2, WidgetInfo, text::TextWrapping,
};

use crate::ftp::log::{LogKind, LogLine, mask_secret};

/// How many lines the log keeps before dropping the oldest.
const MAX_LINES: usize = 20_000;

/// How long "Copied …" replaces the line count.
const COPIED_NOTICE_SECONDS: f64 = 2.0;

/// One stored line, ready to draw: secrets masked, control characters replaced.
struct Entry {
    session: u64,
    kind: LogKind,
    /// Local time of day, in seconds since midnight.
    clock: u32,
    text: String,
}

/// The log's lines and view state (filter, selection, scrolling).
pub struct LogView {
    lines: VecDeque<Entry>,
    /// Lines are numbered from 0 in arrival order; this is `lines[0]`'s number.
    first_id: u64,
    max_lines: usize,
    /// The first session that logged, and whether another one has since.
    first_session: Option<u64>,
    multi_session: bool,
    /// The highest session number seen (sizes the session column).
    max_session: u64,
    /// The text in the filter box.
    filter: String,
    /// The filter the cached matches are for, lowercased ("" = no filter).
    applied_filter: String,
    /// Numbers of the lines matching `applied_filter`, ascending.
    matches: VecDeque<u64>,
    /// Numbers of the selected lines.
    selected: BTreeSet<u64>,
    /// Where a Shift-click range starts.
    anchor: Option<u64>,
    /// The log was clicked last, so Ctrl+C copies from it.
    active: bool,
    /// Bumped to give the scroll area a fresh state (which follows the newest line).
    scroll_generation: u64,
    /// "Copied N lines" and when it was shown (egui time).
    copied_notice: Option<(String, f64)>,
}

impl Default for LogView {
    fn default() -> Self {
        LogView::with_max_lines(MAX_LINES)
    }
}

impl LogView {
    /// An empty log keeping at most `max_lines` lines (at least one).
    fn with_max_lines(max_lines: usize) -> LogView {
        LogView {
            lines: VecDeque::new(),
            first_id: 0,
            max_lines: max_lines.max(1),
            first_session: None,
            multi_session: false,
            max_session: 0,
            filter: String::new(),
            applied_filter: String::new(),
            matches: VecDeque::new(),
            selected: BTreeSet::new(),
            anchor: None,
            active: false,
            scroll_generation: 0,
            copied_notice: None,
        }
    }

    /// Add a line at the bottom, dropping the oldest beyond the limit.
    pub fn push(&mut self, line: LogLine) {
        let entry = Entry {
            session: line.session,
            kind: line.kind,
            clock: local_clock(line.time),
            text: display_text(line.text),
        };
        match self.first_session {
            None => self.first_session = Some(entry.session),
            Some(first) if first != entry.session => self.multi_session = true,
            Some(_) => {}
        }
        self.max_session = self.max_session.max(entry.session);

        let id = self.first_id + self.lines.len() as u64;
        if !self.applied_filter.is_empty() && contains_folded(&entry.text, &self.applied_filter) {
            self.matches.push_back(id);
        }
        self.lines.push_back(entry);

        while self.lines.len() > self.max_lines {
            self.lines.pop_front();
            self.first_id += 1;
        }
        while self.matches.front().is_some_and(|&m| m < self.first_id) {
            self.matches.pop_front();
        }
        while self.selected.first().is_some_and(|&s| s < self.first_id) {
            self.selected.pop_first();
        }
    }

    /// How many lines the log holds (filtered or not).
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Remove every line (the filter stays).
    pub fn clear(&mut self) {
        self.first_id += self.lines.len() as u64;
        self.lines.clear();
        self.matches.clear();
        self.selected.clear();
        self.anchor = None;
        self.first_session = None;
        self.multi_session = false;
        self.max_session = 0;
        self.scroll_generation += 1;
    }

    /// The text in the filter box.
    pub fn filter(&self) -> &str {
        &self.filter
    }

    /// Show only lines containing `filter` (ignoring case); "" shows all.
    pub fn set_filter(&mut self, filter: &str) {
        self.filter = filter.to_string();
        self.apply_filter();
    }

    /// How many lines pass the filter.
    fn visible_len(&self) -> usize {
        if self.applied_filter.is_empty() {
            self.lines.len()
        } else {
            self.matches.len()
        }
    }

    /// The texts of the lines passing the filter, oldest first (secrets masked).
    pub fn visible_texts(&self) -> impl Iterator<Item = &str> {
        (0..self.visible_len()).map(|row| self.entry(self.row_id(row)).text.as_str())
    }

    /// How many lines are selected.
    pub fn selected_len(&self) -> usize {
        self.selected.len()
    }

    /// Select the `row`-th visible line, as a click with `modifiers` would:
    /// plain replaces the selection, Ctrl/Cmd toggles, Shift extends from the
    /// last clicked line.
    #[cfg(test)]
    fn click_row(&mut self, row: usize, modifiers: Modifiers) {
        if row < self.visible_len() {
            self.click(self.row_id(row), modifiers);
        }
    }

    /// What Copy puts on the clipboard: the selected lines that pass the
    /// filter, or every line passing it when none is selected; one line each,
    /// as `HH:MM:SS kind [#session] text`.
    pub fn copy_text(&self) -> String {
        let ids: Vec<u64> = if self.applied_filter.is_empty() {
            self.selected.iter().copied().collect()
        } else {
            self.selected
                .iter()
                .copied()
                .filter(|id| self.matches.binary_search(id).is_ok())
                .collect()
        };
        let mut out = String::new();
        let mut add = |id: u64| {
            out.push_str(&self.line_label(self.entry(id)));
            out.push('\n');
        };
        if ids.is_empty() {
            (0..self.visible_len()).for_each(|row| add(self.row_id(row)));
        } else {
            ids.into_iter().for_each(add);
        }
        out
    }

    /// Draw the toolbar (filter, Copy, Clear, count) and the lines.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let log_rect = ui.max_rect();
        let mut action = None;
        self.toolbar_ui(ui, &mut action);
        ui.add_space(2.0);
        ui.separator();
        self.apply_filter();
        self.lines_ui(ui, &mut action);

        let pointer_over = ui.rect_contains_pointer(log_rect);
        let (pressed_outside, copy_keys) = ui.input(|i| {
            let pressed_outside = i.pointer.any_pressed()
                && i.pointer
                    .interact_pos()
                    .is_some_and(|p| !log_rect.contains(p));
            let copy_keys = i.events.iter().any(|e| match e {
                egui::Event::Copy => true,
                egui::Event::Key {
                    key: egui::Key::C,
                    pressed: true,
                    modifiers,
                    ..
                } => modifiers.command_only(),
                _ => false,
            });
            (pressed_outside, copy_keys)
        });
        if pressed_outside {
            self.active = false;
        }
        if copy_keys
            && (self.active || pointer_over)
            && !ui.ctx().text_edit_focused()
            && self.visible_len() > 0
        {
            action = Some(Action::Copy);
        }

        match action {
            Some(Action::Copy) => self.copy(ui),
            Some(Action::Clear) => self.clear(),
            Some(Action::Click(id, modifiers)) => {
                self.active = true;
                self.click(id, modifiers);
            }
            Some(Action::JumpToNewest) => self.scroll_generation += 1,
            None => {}
        }
    }

    fn toolbar_ui(&mut self, ui: &mut egui::Ui, action: &mut Option<Action>) {
        ui.horizontal(|ui| {
            ui.spacing_mut().item_spacing.x = 6.0;
            ui.add(
                egui::TextEdit::singleline(&mut self.filter)
                    .id_salt("log-filter")
                    .hint_text("Filter log")
                    .desired_width(220.0),
            )
            .accessible_name("Filter log")
            .on_hover_text("Show only lines containing this text (ignoring case)");
            if !self.filter.is_empty()
                && ui
                    .small_button("×")
                    .accessible_name("Clear filter")
                    .on_hover_text("Clear the filter")
                    .clicked()
            {
                self.filter.clear();
            }

            let any = self.visible_len() > 0;
            let copy_hint = if self.selected.is_empty() {
                "Copy all shown lines (Ctrl+C); click, Shift-click or Ctrl-click lines to copy only those"
            } else {
                "Copy the selected lines (Ctrl+C)"
            };
            if ui
                .add_enabled(any, egui::Button::new("Copy"))
                .on_hover_text(copy_hint)
                .clicked()
            {
                *action = Some(Action::Copy);
            }
            if ui
                .add_enabled(!self.lines.is_empty(), egui::Button::new("Clear"))
                .accessible_name("Clear log")
                .on_hover_text("Remove every line from the log")
                .clicked()
            {
                *action = Some(Action::Clear);
            }

            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                let now = ui.input(|i| i.time);
                let notice = self
                    .copied_notice
                    .as_ref()
                    .filter(|(_, at)| now - at < COPIED_NOTICE_SECONDS);
                match notice {
                    Some((text, at)) => {
                        ui.label(RichText::new(text).weak());
                        let left = COPIED_NOTICE_SECONDS - (now - at);
                        ui.ctx()
                            .request_repaint_after(std::time::Duration::from_secs_f64(left));
                    }
                    None => {
                        self.copied_notice = None;
                        ui.label(RichText::new(self.count_text()).weak());
                    }
                }
            });
        });
    }

    fn lines_ui(&mut self, ui: &mut egui::Ui, action: &mut Option<Action>) {
        let visible = self.visible_len();
        if visible == 0 {
            let text = if self.lines.is_empty() {
                "No messages yet. Commands and server replies appear here once you connect."
                    .to_string()
            } else {
                format!("No lines contain “{}”.", self.filter.trim())
            };
            ui.add_space(8.0);
            ui.vertical_centered(|ui| ui.label(RichText::new(text).weak()));
            return;
        }

        let layout = RowLayout::new(ui, self.multi_session, self.max_session);
        let list_id = ui.make_persistent_id("log-rows");
        let output = ui
            .scope(|ui| {
                ui.spacing_mut().item_spacing.y = 0.0;
                egui::ScrollArea::vertical()
                    .id_salt(("log-scroll", self.scroll_generation))
                    .auto_shrink(false)
                    .stick_to_bottom(true)
                    .show_rows(ui, layout.row_height, visible, |ui, rows| {
                        for row in rows {
                            let id = self.row_id(row);
                            let response = self.row_ui(ui, list_id.with(id), id, &layout);
                            if response.clicked() {
                                let modifiers = ui.input(|i| i.modifiers);
                                *action = Some(Action::Click(id, modifiers));
                            }
                        }
                    })
            })
            .inner;

        // Scrolled up: offer a way back to the newest line.
        let max_offset = output.content_size.y - output.inner_rect.height();
        if max_offset > 0.0 && output.state.clamped_offset().y < max_offset - 1.0 {
            let size = Vec2::new(120.0, 22.0);
            let rect = Rect::from_min_size(
                output.inner_rect.right_bottom() - size - Vec2::new(18.0, 8.0),
                size,
            );
            let jump = ui
                .put(rect, egui::Button::new("Jump to newest"))
                .on_hover_text("Scroll to the newest line and follow new lines");
            if jump.clicked() {
                *action = Some(Action::JumpToNewest);
            }
        }
    }

    /// One line: time, kind marker, session (if several logged), text.
    fn row_ui(
        &self,
        ui: &mut egui::Ui,
        row_id: egui::Id,
        id: u64,
        layout: &RowLayout,
    ) -> egui::Response {
        let entry = self.entry(id);
        let (_, rect) = ui.allocate_space(Vec2::new(ui.available_width(), layout.row_height));
        let response = ui.interact(rect, row_id, Sense::click());
        let selected = self.selected.contains(&id);
        response.widget_info(|| WidgetInfo::labeled(Role::ListItem, true, self.line_label(entry)));
        ui.ctx()
            .accesskit_node_builder(response.id, |node| node.set_selected(selected));

        if !ui.is_rect_visible(rect) {
            return response;
        }
        let visuals = ui.visuals();
        let painter = ui.painter_at(rect);
        if selected {
            painter.rect_filled(rect, 2.0, visuals.selection.bg_fill.gamma_multiply(0.5));
        } else if response.hovered() {
            painter.rect_filled(
                rect,
                2.0,
                visuals.widgets.hovered.weak_bg_fill.gamma_multiply(0.6),
            );
        }

        let color = kind_color(visuals, entry.kind);
        let weak = visuals.weak_text_color();
        let y = rect.center().y;
        let mut x = rect.left() + layout.padding;
        painter.text(
            egui::pos2(x, y),
            Align2::LEFT_CENTER,
            clock_text(entry.clock),
            layout.font.clone(),
            weak,
        );
        x += layout.time_width;
        painter.text(
            egui::pos2(x + layout.marker_width / 2.0, y),
            Align2::CENTER_CENTER,
            kind_marker(entry.kind),
            layout.font.clone(),
            color,
        );
        x += layout.marker_width;
        if layout.session_width > 0.0 {
            painter.text(
                egui::pos2(x, y),
                Align2::LEFT_CENTER,
                format!("#{}", entry.session),
                layout.font.clone(),
                weak,
            );
            x += layout.session_width;
        }

        let mut job = crate::ui::format::name_job(
            painter.ctx(),
            &entry.text,
            egui::TextFormat::simple(layout.font.clone(), color),
        );
        job.wrap = TextWrapping::truncate_at_width((rect.right() - layout.padding - x).max(0.0));
        job.break_on_newline = false;
        let galley = painter.layout_job(job);
        let elided = galley.elided;
        painter.galley(egui::pos2(x, y - galley.size().y / 2.0), galley, color);

        if elided {
            response.on_hover_ui(|ui| {
                ui.label(RichText::new(&entry.text).monospace());
            })
        } else {
            response
        }
    }

    /// "1,234 lines", "12 of 1,234 lines", with the selection count.
    fn count_text(&self) -> String {
        let total = self.lines.len();
        let noun = if total == 1 { "line" } else { "lines" };
        let mut text = if self.applied_filter.is_empty() {
            format!("{} {noun}", thousands(total))
        } else {
            format!(
                "{} of {} {noun}",
                thousands(self.matches.len()),
                thousands(total)
            )
        };
        if !self.selected.is_empty() {
            let _ = write!(text, " · {} selected", thousands(self.selected.len()));
        }
        text
    }

    fn copy(&mut self, ui: &egui::Ui) {
        let text = self.copy_text();
        let n = text.lines().count();
        ui.ctx().copy_text(text);
        let noun = if n == 1 { "line" } else { "lines" };
        self.copied_notice = Some((
            format!("Copied {} {noun}", thousands(n)),
            ui.input(|i| i.time),
        ));
    }

    fn click(&mut self, id: u64, modifiers: Modifiers) {
        if modifiers.shift {
            let anchor = self.anchor.filter(|&a| a >= self.first_id).unwrap_or(id);
            let (lo, hi) = (anchor.min(id), anchor.max(id));
            if !modifiers.command {
                self.selected.clear();
            }
            if self.applied_filter.is_empty() {
                self.selected.extend(lo..=hi);
            } else {
                let start = self.matches.partition_point(|&m| m < lo);
                let range = self.matches.range(start..).take_while(|&&m| m <= hi);
                self.selected.extend(range.copied());
            }
            self.anchor = Some(anchor);
        } else if modifiers.command {
            if !self.selected.remove(&id) {
                self.selected.insert(id);
            }
            self.anchor = Some(id);
        } else {
            self.selected.clear();
            self.selected.insert(id);
            self.anchor = Some(id);
        }
    }

    /// The filter box's text as it will be applied (trimmed).
    fn applied_filter_source(&self) -> String {
        self.filter.trim().to_lowercase()
    }

    /// Recompute the cached matches for the filter box's current text.
    fn apply_filter(&mut self) {
        let needle = self.applied_filter_source();
        if needle == self.applied_filter {
            return;
        }
        self.matches.clear();
        if !needle.is_empty() {
            for (i, entry) in self.lines.iter().enumerate() {
                if contains_folded(&entry.text, &needle) {
                    self.matches.push_back(self.first_id + i as u64);
                }
            }
        }
        self.applied_filter = needle;
    }

    /// The number of the `row`-th visible line (`row < visible_len()`).
    fn row_id(&self, row: usize) -> u64 {
        if self.applied_filter.is_empty() {
            self.first_id + row as u64
        } else {
            self.matches[row]
        }
    }

    /// The line numbered `id`, which must still be held.
    fn entry(&self, id: u64) -> &Entry {
        &self.lines[(id - self.first_id) as usize]
    }

    /// The line as text: `HH:MM:SS kind [#session] text`.
    fn line_label(&self, entry: &Entry) -> String {
        let mut out = format!("{} {}", clock_text(entry.clock), kind_marker(entry.kind));
        if self.multi_session {
            let _ = write!(out, " #{}", entry.session);
        }
        out.push(' ');
        out.push_str(&entry.text);
        out
    }
}

/// What the user asked for this frame, applied after drawing.
enum Action {
    Copy,
    Clear,
    Click(u64, Modifiers),
    JumpToNewest,
}

/// Column positions and sizes shared by every row of a frame.
struct RowLayout {
    font: FontId,
    row_height: f32,
    padding: f32,
    time_width: f32,
    marker_width: f32,
    session_width: f32,
}

impl RowLayout {
    fn new(ui: &egui::Ui, multi_session: bool, max_session: u64) -> RowLayout {
        let font = TextStyle::Monospace.resolve(ui.style());
        let (char_width, text_height) =
            ui.fonts_mut(|f| (f.glyph_width(&font, '0'), f.row_height(&font)));
        let session_chars = if multi_session {
            max_session.to_string().len() as f32 + 2.0
        } else {
            0.0
        };
        RowLayout {
            font,
            row_height: (text_height + 4.0).round(),
            padding: 6.0,
            time_width: 9.0 * char_width,
            marker_width: 2.5 * char_width,
            session_width: session_chars * char_width,
        }
    }
}

/// A marker for each kind, shown before the text and used in copied text.
fn kind_marker(kind: LogKind) -> &'static str {
    match kind {
        LogKind::Sent => "→",
        LogKind::Received => "←",
        LogKind::Status => "•",
        LogKind::Error => "!",
        LogKind::Notice => "*",
    }
}

/// Theme-aware colour for each kind: commands in an accent blue, replies as
/// normal text, status weak, errors in the error colour.
fn kind_color(visuals: &egui::Visuals, kind: LogKind) -> Color32 {
    match kind {
        // egui's light-theme link blue is too pale for dense text.
        LogKind::Sent if visuals.dark_mode => visuals.hyperlink_color,
        LogKind::Sent => Color32::from_rgb(0, 90, 180),
        LogKind::Received => visuals.text_color(),
        LogKind::Status => visuals.weak_text_color(),
        LogKind::Error => visuals.error_fg_color,
        LogKind::Notice => visuals.warn_fg_color,
    }
}

/// Seconds since local midnight at `time`.
fn local_clock(time: std::time::SystemTime) -> u32 {
    let local: chrono::DateTime<chrono::Local> = time.into();
    local.num_seconds_from_midnight()
}

/// `HH:MM:SS` for seconds since midnight.
fn clock_text(clock: u32) -> String {
    format!(
        "{:02}:{:02}:{:02}",
        clock / 3600,
        clock / 60 % 60,
        clock % 60
    )
}

/// The text as shown: a PASS/ACCT argument masked even if the sender forgot,
/// and control characters (a hostile server's escape codes, stray CR/LF)
/// replaced so every line stays one clean row.
fn display_text(text: String) -> String {
    let verb = text.split(' ').next().unwrap_or("");
    let text = if verb.eq_ignore_ascii_case("PASS") || verb.eq_ignore_ascii_case("ACCT") {
        mask_secret(text.as_bytes())
    } else {
        text
    };
    if text.chars().any(char::is_control) {
        text.chars()
            .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
            .collect()
    } else {
        text
    }
}

/// Whether `haystack` contains `needle` (already lowercased), ignoring case;
/// allocation-free for ASCII needles.
fn contains_folded(haystack: &str, needle: &str) -> bool {
    if needle.is_empty() {
        true
    } else if needle.is_ascii() {
        let needle = needle.as_bytes();
        haystack
            .as_bytes()
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
    } else {
        haystack.to_lowercase().contains(needle)
    }
}

/// `1234567` → `1,234,567`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    fn line(session: u64, kind: LogKind, text: &str) -> LogLine {
        LogLine {
            session,
            kind,
            time: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            text: text.to_string(),
        }
    }

    fn log_of(texts: &[&str]) -> LogView {
        let mut log = LogView::default();
        for t in texts {
            log.push(line(1, LogKind::Received, t));
        }
        log
    }

    #[test]
    fn thousands_groups_digits_by_three() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(20_000), "20,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn clock_text_is_zero_padded() {
        assert_eq!(clock_text(0), "00:00:00");
        assert_eq!(clock_text(3600 * 13 + 60 * 5 + 9), "13:05:09");
    }

    #[test]
    fn secrets_are_masked_and_control_characters_replaced() {
        assert_eq!(display_text("PASS hunter2".into()), "PASS ****");
        assert_eq!(display_text("acct billing".into()), "acct ****");
        assert_eq!(display_text("PASV".into()), "PASV");
        assert_eq!(
            display_text("a\x1b[31mb\r".into()),
            "a\u{FFFD}[31mb\u{FFFD}"
        );
    }

    #[test]
    fn filter_ignores_case_including_non_ascii() {
        assert!(contains_folded("230 User Logged In", "logged in"));
        assert!(!contains_folded("230 User", "logged"));
        assert!(contains_folded("Ünïcödé.txt", "ünïc"));
        assert!(contains_folded("anything", ""));
    }

    #[test]
    fn oldest_lines_are_dropped_beyond_the_limit() {
        let mut log = LogView::with_max_lines(3);
        for i in 0..5 {
            log.push(line(1, LogKind::Received, &format!("line {i}")));
        }
        assert_eq!(log.len(), 3);
        assert_eq!(
            log.visible_texts().collect::<Vec<_>>(),
            ["line 2", "line 3", "line 4"]
        );
    }

    #[test]
    fn filter_cache_follows_new_and_dropped_lines() {
        let mut log = LogView::with_max_lines(4);
        log.set_filter("  USER ");
        log.push(line(1, LogKind::Sent, "USER a"));
        log.push(line(1, LogKind::Received, "331 need password"));
        log.push(line(1, LogKind::Sent, "user b"));
        assert_eq!(
            log.visible_texts().collect::<Vec<_>>(),
            ["USER a", "user b"]
        );
        for _ in 0..3 {
            log.push(line(1, LogKind::Received, "200 ok"));
        }
        // "USER a" and the 331 fell off the front.
        assert_eq!(log.visible_texts().collect::<Vec<_>>(), ["user b"]);
        log.set_filter("");
        assert_eq!(log.visible_len(), 4);
    }

    #[test]
    fn shift_click_selects_a_range_of_visible_lines_and_ctrl_click_toggles() {
        let mut log = log_of(&["a1", "b", "a2", "a3", "b", "a4"]);
        log.set_filter("a");
        log.click_row(0, Modifiers::NONE);
        log.click_row(2, Modifiers::SHIFT);
        assert_eq!(log.selected_len(), 3);
        log.click_row(1, Modifiers::COMMAND);
        assert_eq!(log.selected_len(), 2);
        let copied = log.copy_text();
        let texts: Vec<_> = copied
            .lines()
            .map(|l| l.rsplit(' ').next().unwrap())
            .collect();
        assert_eq!(texts, ["a1", "a3"]);
    }

    #[test]
    fn copy_without_selection_takes_every_visible_line_in_order() {
        let mut log = LogView::default();
        log.push(line(1, LogKind::Sent, "USER alice"));
        log.push(line(1, LogKind::Received, "331 Password required"));
        log.push(line(1, LogKind::Status, "Connected"));
        log.push(line(1, LogKind::Error, "timed out"));
        let clock = clock_text(local_clock(
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        ));
        assert_eq!(
            log.copy_text(),
            format!(
                "{clock} → USER alice\n{clock} ← 331 Password required\n\
                 {clock} • Connected\n{clock} ! timed out\n"
            )
        );
    }

    #[test]
    fn session_numbers_appear_once_a_second_session_logs() {
        let mut log = LogView::default();
        log.push(line(1, LogKind::Sent, "NOOP"));
        assert!(!log.copy_text().contains("#1"));
        log.push(line(2, LogKind::Sent, "RETR a"));
        let copied = log.copy_text();
        assert!(
            copied.contains("#1 NOOP") && copied.contains("#2 RETR a"),
            "{copied}"
        );
        log.clear();
        log.push(line(2, LogKind::Sent, "NOOP"));
        assert!(!log.copy_text().contains('#'));
    }

    #[test]
    fn clear_forgets_lines_and_selection_but_keeps_the_filter() {
        let mut log = log_of(&["x1", "x2"]);
        log.set_filter("x");
        log.click_row(0, Modifiers::NONE);
        log.clear();
        assert!(log.is_empty() && log.selected_len() == 0 && log.visible_len() == 0);
        assert_eq!(log.filter(), "x");
        log.push(line(1, LogKind::Received, "x3"));
        assert_eq!(log.visible_texts().collect::<Vec<_>>(), ["x3"]);
    }
}
