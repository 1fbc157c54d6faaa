//! The transfer queue panel: tabs for queued, failed and finished jobs, a
//! row per job (direction, paths, size, progress, rate, ETA, state, error),
//! totals with an overall rate and ETA, a throughput graph of the last
//! minute, and the "target exists" question. It renders the engine's view of
//! the queue and turns clicks into engine commands; it owns no transfer.

use std::cell::OnceCell;
use std::collections::{BTreeSet, HashMap, VecDeque};

use eframe::egui::{self, Align, Layout, RichText, Sense, TextStyle};
use egui_extras::{Column, TableBuilder};

use super::format;
use crate::engine::queue::MAX_CONCURRENCY;
use crate::engine::{
    AnyPath, Command, Conflict, Direction, JobState, JobView, MoveTo, OnExisting, Priority,
};

/// How much throughput history the graph shows, in seconds.
const GRAPH_SECONDS: f64 = 60.0;
/// Overall rate is sampled this often (seconds).
const SAMPLE_EVERY: f64 = 0.5;
/// The overall rate is the average over this many seconds.
const RATE_WINDOW: f64 = 3.0;

/// Which jobs the panel lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum QueueTab {
    #[default]
    Queued,
    Failed,
    Done,
}

impl QueueTab {
    const ALL: [QueueTab; 3] = [QueueTab::Queued, QueueTab::Failed, QueueTab::Done];

    fn index(self) -> usize {
        match self {
            QueueTab::Queued => 0,
            QueueTab::Failed => 1,
            QueueTab::Done => 2,
        }
    }

    fn shows(self, state: &JobState) -> bool {
        match self {
            QueueTab::Queued => state.is_pending(),
            QueueTab::Failed => state.is_failed(),
            QueueTab::Done => matches!(state, JobState::Done | JobState::Skipped),
        }
    }
}

/// A job's recent transfer rate.
#[derive(Debug, Clone, Copy, Default)]
struct Meter {
    /// The last (time, bytes) seen.
    last: Option<(f64, u64)>,
    /// Bytes per second, smoothed.
    rate: f64,
}

impl Meter {
    fn update(&mut self, now: f64, bytes: u64) {
        if let Some((t, b)) = self.last {
            let dt = now - t;
            if dt <= 0.0 {
                return;
            }
            let instant = bytes.saturating_sub(b) as f64 / dt;
            self.rate = if self.rate == 0.0 {
                instant
            } else {
                0.7 * self.rate + 0.3 * instant
            };
        }
        self.last = Some((now, bytes));
    }
}

/// The queue as the window knows it.
///
/// What a frame needs (each tab's rows, the counts, what is left) is
/// derived from the jobs once after they change, that is at most once per
/// engine snapshot, never per frame; the table then draws only the rows in
/// view. A frame costs the same with 10 jobs or 100,000.
#[derive(Default)]
pub struct QueueView {
    jobs: HashMap<u64, JobView>,
    /// Queue order; new jobs are appended until the engine sends its order.
    order: Vec<u64>,
    /// Rows, counts and totals, rebuilt on first use after a change.
    derived: OnceCell<Derived>,
    pub tab: QueueTab,
    pub selected: BTreeSet<u64>,
    pub paused: bool,
    /// Conflicts waiting for the user's answer, oldest first.
    pub conflicts: VecDeque<Conflict>,
    apply_to_all: bool,
    meters: HashMap<u64, Meter>,
    /// Bytes moved and jobs finished since the last rate sample, and when that was.
    moved: u64,
    finished: u64,
    sampled_at: Option<f64>,
    /// Throughput over the last minute.
    history: VecDeque<Sample>,
}

/// What the panel shows, derived from the jobs in one pass.
#[derive(Debug, Default)]
struct Derived {
    /// Each tab's job ids, in queue order (indexed by [`QueueTab::index`]).
    rows: [Vec<u64>; 3],
    /// Jobs still to do, and bytes still to move.
    pending_files: usize,
    pending_bytes: u64,
    /// Whether a job is running or a folder is being expanded.
    running: bool,
}

/// One point of the throughput history.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Sample {
    time: f64,
    bytes_per_s: f64,
    jobs_per_s: f64,
}

/// What is left in the queue and how fast it goes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Totals {
    pub files: usize,
    pub bytes: u64,
    /// Bytes per second, the last few seconds' average.
    pub rate: f64,
    /// Jobs finished per second, likewise.
    pub jobs_rate: f64,
}

impl Totals {
    /// `4,745 files · 127 kB · 1.9 kB/s · 1 min 06 s left`
    pub fn summary(&self) -> String {
        let mut text = format!(
            "{} · {}",
            format::count(self.files as u64, "file", "files"),
            format::human_size(self.bytes)
        );
        if self.rate > 0.0 {
            text.push_str(&format!(" · {}/s", format::human_size(self.rate as u64)));
        }
        if let Some(left) = self.eta() {
            text.push_str(&format!(" · {} left", eta(left)));
        }
        text
    }

    /// Seconds to go, by bytes or by files, whichever is slower: many small
    /// files cost per file, not per byte.
    pub fn eta(&self) -> Option<f64> {
        let by_bytes = (self.rate > 0.0).then(|| self.bytes as f64 / self.rate);
        let by_files = (self.jobs_rate > 0.0).then(|| self.files as f64 / self.jobs_rate);
        match (by_bytes, by_files) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }
}

impl QueueView {
    /// New or changed jobs from the engine, at egui time `now`. Returns the
    /// targets of jobs that just finished, so their folders can be refreshed.
    pub fn update(&mut self, now: f64, views: Vec<JobView>) -> Vec<AnyPath> {
        self.derived.take();
        let mut finished = Vec::new();
        for v in views {
            let old = self.jobs.get(&v.id);
            if old.is_none() {
                self.order.push(v.id);
            }
            if !v.state.is_pending() && old.is_some_and(|old| old.state.is_pending()) {
                self.finished += 1;
            }
            if v.state == JobState::Done && old.is_none_or(|old| old.state != JobState::Done) {
                // Small files finish between two progress reports: count them here.
                self.moved += v.bytes.saturating_sub(old.map_or(0, |o| o.bytes));
                finished.push(v.target.clone());
            }
            if !matches!(v.state, JobState::Running) {
                self.meters.remove(&v.id);
            }
            self.jobs.insert(v.id, v);
        }
        self.sample(now);
        finished
    }

    /// Jobs left the queue. Returns the targets of folders among them: a
    /// folder leaves once it is created and listed, so its parent can be
    /// refreshed.
    pub fn remove(&mut self, ids: &[u64]) -> Vec<AnyPath> {
        self.derived.take();
        let mut folders = Vec::new();
        for id in ids {
            if let Some(job) = self.jobs.remove(id)
                && job.is_dir
            {
                folders.push(job.target);
            }
            self.meters.remove(id);
            self.selected.remove(id);
        }
        if !ids.is_empty() {
            self.order.retain(|id| self.jobs.contains_key(id));
        }
        folders
    }

    pub fn set_order(&mut self, order: Vec<u64>) {
        self.derived.take();
        self.order = order;
    }

    /// The job with this id, if the queue holds it.
    pub fn job(&self, id: u64) -> Option<&JobView> {
        self.jobs.get(&id)
    }

    /// Rows, counts and totals: derived once after the jobs changed.
    fn derived(&self) -> &Derived {
        self.derived.get_or_init(|| {
            let mut d = Derived::default();
            for job in self.order.iter().filter_map(|id| self.jobs.get(id)) {
                if let Some(tab) = QueueTab::ALL.into_iter().find(|t| t.shows(&job.state)) {
                    d.rows[tab.index()].push(job.id);
                }
                if job.state.is_pending() {
                    d.pending_files += 1;
                    d.pending_bytes += job.size.unwrap_or(0).saturating_sub(job.bytes);
                }
                d.running |= matches!(job.state, JobState::Running | JobState::Expanding);
            }
            d
        })
    }

    /// Running jobs' bytes, at egui time `now`.
    pub fn progress(&mut self, now: f64, progress: &[(u64, u64)]) {
        for &(id, bytes) in progress {
            if let Some(job) = self.jobs.get_mut(&id) {
                self.moved += bytes.saturating_sub(job.bytes);
                // Only the bytes left change: keep the rows, adjust the total.
                if let Some(d) = self.derived.get_mut()
                    && job.state.is_pending()
                {
                    let left = |b: u64| job.size.unwrap_or(0).saturating_sub(b);
                    d.pending_bytes = d.pending_bytes - left(job.bytes) + left(bytes);
                }
                job.bytes = bytes;
                self.meters.entry(id).or_default().update(now, bytes);
            }
        }
        self.sample(now);
    }

    /// Record the overall rate every half second, and forget samples older than the graph.
    fn sample(&mut self, now: f64) {
        let Some(at) = self.sampled_at else {
            self.sampled_at = Some(now);
            return;
        };
        if now - at < SAMPLE_EVERY {
            return;
        }
        let dt = now - at;
        self.history.push_back(Sample {
            time: now,
            bytes_per_s: std::mem::take(&mut self.moved) as f64 / dt,
            jobs_per_s: std::mem::take(&mut self.finished) as f64 / dt,
        });
        self.sampled_at = Some(now);
        while self
            .history
            .front()
            .is_some_and(|s| now - s.time > GRAPH_SECONDS)
        {
            self.history.pop_front();
        }
    }

    /// Jobs still to do, bytes still to move, and the overall rates (the
    /// last few seconds' average, small files included).
    pub fn totals(&self) -> Totals {
        let d = self.derived();
        let (files, bytes) = (d.pending_files, d.pending_bytes);
        let (mut rate, mut jobs_rate) = (0.0, 0.0);
        if let Some(last) = self.history.back().filter(|_| files > 0) {
            let recent: Vec<&Sample> = self
                .history
                .iter()
                .rev()
                .take_while(|s| last.time - s.time < RATE_WINDOW)
                .collect();
            let n = recent.len().max(1) as f64;
            rate = recent.iter().map(|s| s.bytes_per_s).sum::<f64>() / n;
            jobs_rate = recent.iter().map(|s| s.jobs_per_s).sum::<f64>() / n;
        }
        Totals {
            files,
            bytes,
            rate,
            jobs_rate,
        }
    }

    pub fn count(&self, tab: QueueTab) -> usize {
        self.derived().rows[tab.index()].len()
    }

    /// Whether anything is moving right now (the window repaints for progress only then).
    pub fn is_running(&self) -> bool {
        self.derived().running
    }

    /// A short line for the status bar while transfers run.
    pub fn status(&self) -> Option<String> {
        let t = self.totals();
        if t.files == 0 {
            return None;
        }
        let mut text = format!("Transfers: {}", t.summary());
        if self.paused {
            text.push_str(" (paused)");
        }
        Some(text)
    }

    /// Draw the panel; returns the commands the user asked for.
    #[must_use]
    pub fn ui(&mut self, ui: &mut egui::Ui, settings: &mut QueueSettings) -> Vec<Command> {
        let mut commands = Vec::new();
        self.toolbar_ui(ui, settings, &mut commands);
        ui.separator();
        self.table_ui(ui, &mut commands);
        commands
    }

    fn toolbar_ui(
        &mut self,
        ui: &mut egui::Ui,
        settings: &mut QueueSettings,
        commands: &mut Vec<Command>,
    ) {
        ui.horizontal(|ui| {
            for tab in QueueTab::ALL {
                let name = match tab {
                    QueueTab::Queued => "Queued",
                    QueueTab::Failed => "Failed",
                    QueueTab::Done => "Done",
                };
                let label = format!("{name} ({})", self.count(tab));
                if ui.selectable_label(self.tab == tab, label).clicked() {
                    self.tab = tab;
                    self.selected.clear();
                }
            }
            ui.separator();
            let summary = self.totals().summary();
            ui.label(summary);
            self.graph_ui(ui);
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                let pause = if self.paused {
                    "Resume queue"
                } else {
                    "Pause queue"
                };
                if ui.button(pause).clicked() {
                    commands.push(Command::PauseQueue {
                        paused: !self.paused,
                    });
                }
                let mut changed = false;
                egui::ComboBox::from_id_salt("queue-on-existing")
                    .selected_text(settings.on_existing.label())
                    .show_ui(ui, |ui| {
                        for choice in std::iter::once(OnExisting::Ask)
                            .chain(OnExisting::CHOICES.iter().map(|(c, _)| *c))
                        {
                            changed |= ui
                                .selectable_value(&mut settings.on_existing, choice, choice.label())
                                .changed();
                        }
                    })
                    .response
                    .on_hover_text("What to do when a target file exists");
                ui.label("If it exists:");
                let parallel = ui
                    .add(
                        egui::DragValue::new(&mut settings.concurrency)
                            .range(1..=MAX_CONCURRENCY)
                            .speed(0.1),
                    )
                    .on_hover_text("Transfers at once, each on its own connection");
                changed |= parallel.changed();
                ui.label("Parallel:");
                if changed {
                    commands.push(settings.command());
                }
            });
        });
    }

    fn graph_ui(&self, ui: &mut egui::Ui) {
        let Some(now) = self.history.back().map(|s| s.time) else {
            return;
        };
        let points: egui_plot::PlotPoints = self
            .history
            .iter()
            .map(|s| [s.time - now, s.bytes_per_s / (1024.0 * 1024.0)])
            .collect();
        egui_plot::Plot::new("queue-throughput")
            .width(160.0)
            .height(ui.text_style_height(&TextStyle::Body) + 8.0)
            .show_axes(false)
            .show_grid(false)
            .allow_drag(false)
            .allow_zoom(false)
            .allow_scroll(false)
            .allow_boxed_zoom(false)
            .include_x(-GRAPH_SECONDS)
            .include_x(0.0)
            .include_y(0.0)
            .show_x(false)
            .show(ui, |plot| {
                plot.line(egui_plot::Line::new("MiB/s", points).fill(0.0))
            })
            .response
            .on_hover_text("Throughput over the last minute");
    }

    fn table_ui(&mut self, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
        let rows = &self.derived().rows[self.tab.index()];
        let jobs = &self.jobs;
        if rows.is_empty() {
            ui.add_space(8.0);
            ui.vertical_centered(|ui| {
                ui.weak(match self.tab {
                    QueueTab::Queued => {
                        "Nothing queued. Drag files between the panes, or drop them here from your file manager."
                    }
                    QueueTab::Failed => "No failed transfers",
                    QueueTab::Done => "No finished transfers yet",
                });
            });
            return;
        }
        let row_height = ui.text_style_height(&TextStyle::Body) + 6.0;
        let mut clicked: Option<(u64, bool)> = None;
        let mut menu: Option<u64> = None;
        let selected = &self.selected;
        let meters = &self.meters;
        TableBuilder::new(ui)
            .id_salt("queue-table")
            .striped(true)
            .sense(Sense::click())
            .auto_shrink(false)
            .cell_layout(Layout::left_to_right(Align::Center))
            .column(Column::exact(18.0))
            .column(
                Column::initial(230.0)
                    .at_least(80.0)
                    .clip(true)
                    .resizable(true),
            )
            .column(
                Column::initial(230.0)
                    .at_least(80.0)
                    .clip(true)
                    .resizable(true),
            )
            .column(Column::exact(70.0))
            .column(Column::exact(110.0))
            .column(Column::exact(80.0))
            .column(Column::exact(60.0))
            .column(Column::remainder().at_least(100.0).clip(true))
            .header(row_height, |mut h| {
                for title in [
                    "", "Local", "Remote", "Size", "Progress", "Rate", "ETA", "State",
                ] {
                    h.col(|ui| {
                        ui.strong(title);
                    });
                }
            })
            .body(|body| {
                // Only the rows in view are laid out.
                body.rows(row_height, rows.len(), |mut row| {
                    let Some(job) = jobs.get(&rows[row.index()]) else {
                        return;
                    };
                    row.set_selected(selected.contains(&job.id));
                    let (local, remote) = match job.direction {
                        Direction::Download => (&job.target, &job.source),
                        Direction::Upload => (&job.source, &job.target),
                    };
                    row.col(|ui| {
                        direction_arrow(ui, job.direction);
                    });
                    row.col(|ui| {
                        ui.label(format::name(ui, local.display().to_string()))
                            .on_hover_text(local.display());
                    });
                    row.col(|ui| {
                        ui.label(format::name(ui, remote.display().to_string()))
                            .on_hover_text(format!("{} on {}", remote.display(), job.site));
                    });
                    row.col(|ui| {
                        if let Some(size) = job.size {
                            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                                ui.label(format::human_size(size))
                                    .on_hover_text(format::exact_bytes(size));
                            });
                        }
                    });
                    row.col(|ui| {
                        let fraction = match (job.size, &job.state) {
                            (_, JobState::Done) => 1.0,
                            (Some(s), _) if s > 0 => job.bytes as f32 / s as f32,
                            _ => 0.0,
                        };
                        ui.add(
                            egui::ProgressBar::new(fraction.clamp(0.0, 1.0))
                                .desired_height(row_height - 8.0)
                                .show_percentage(),
                        );
                    });
                    let rate = meters.get(&job.id).map(|m| m.rate).unwrap_or(0.0);
                    row.col(|ui| {
                        if job.state == JobState::Running && rate > 0.0 {
                            ui.label(format!("{}/s", format::human_size(rate as u64)));
                        }
                    });
                    row.col(|ui| {
                        if let (JobState::Running, Some(size), true) =
                            (&job.state, job.size, rate > 0.0)
                        {
                            ui.label(eta(size.saturating_sub(job.bytes) as f64 / rate));
                        }
                    });
                    row.col(|ui| {
                        let cell = state_cell(job);
                        let label = if cell.is_error {
                            ui.colored_label(ui.visuals().error_fg_color, cell.text)
                        } else {
                            ui.label(cell.text)
                        };
                        if let Some(hover) = cell.hover {
                            label.on_hover_text(hover);
                        }
                    });
                    let response = row.response();
                    if response.clicked() {
                        clicked = Some((job.id, ui_command_held(&response)));
                    }
                    if response.secondary_clicked() {
                        menu = Some(job.id);
                    }
                });
            });
        if let Some((id, add)) = clicked {
            if !add {
                self.selected.clear();
            }
            if !self.selected.remove(&id) || !add {
                self.selected.insert(id);
            }
        }
        if let Some(id) = menu
            && !self.selected.contains(&id)
        {
            self.selected.clear();
            self.selected.insert(id);
        }
        self.context_menu(ui, menu.is_some(), commands);
    }

    fn context_menu(&mut self, ui: &egui::Ui, open: bool, commands: &mut Vec<Command>) {
        let popup = egui::Popup::new(
            egui::Id::unique("queue-menu"),
            ui.ctx().clone(),
            egui::PopupAnchor::PointerFixed,
            ui.layer_id(),
        )
        .kind(egui::PopupKind::Menu)
        .open_memory(open.then_some(egui::SetOpenCommand::Bool(true)));
        let ids: Vec<u64> = self.selected.iter().copied().collect();
        let tab = self.tab;
        popup.show(|ui| {
            let mut item = |ui: &mut egui::Ui, label: &str, command: Command| {
                if ui.button(label).clicked() {
                    commands.push(command);
                    ui.close();
                }
            };
            match tab {
                QueueTab::Queued => {
                    item(ui, "Cancel", Command::CancelJobs { ids: ids.clone() });
                    ui.separator();
                    for (label, to) in [
                        ("Move to top", MoveTo::Top),
                        ("Move up", MoveTo::Up),
                        ("Move down", MoveTo::Down),
                        ("Move to bottom", MoveTo::Bottom),
                    ] {
                        item(
                            ui,
                            label,
                            Command::MoveJobs {
                                ids: ids.clone(),
                                to,
                            },
                        );
                    }
                    ui.separator();
                    for (label, priority) in [
                        ("Priority: high", Priority::High),
                        ("Priority: normal", Priority::Normal),
                        ("Priority: low", Priority::Low),
                    ] {
                        item(
                            ui,
                            label,
                            Command::SetPriority {
                                ids: ids.clone(),
                                priority,
                            },
                        );
                    }
                }
                QueueTab::Failed => {
                    item(ui, "Retry", Command::RetryJobs { ids: ids.clone() });
                    item(
                        ui,
                        "Retry all failed",
                        Command::RetryJobs { ids: Vec::new() },
                    );
                    item(
                        ui,
                        "Clear failed",
                        Command::ClearFinished { failed_too: true },
                    );
                }
                QueueTab::Done => {
                    item(
                        ui,
                        "Clear finished",
                        Command::ClearFinished { failed_too: false },
                    );
                }
            }
        });
    }

    /// The "target exists" question, one conflict at a time.
    #[must_use]
    pub fn conflict_ui(&mut self, ctx: &egui::Context) -> Option<Command> {
        let conflict = self.conflicts.front()?.clone();
        let mut answer = None;
        egui::Modal::new(egui::Id::unique("queue-conflict")).show(ctx, |ui| {
            ui.set_max_width(520.0);
            ui.heading("The target exists");
            ui.add_space(4.0);
            let describe = |size: Option<u64>, time: Option<chrono::NaiveDateTime>| {
                let size = size
                    .map(format::human_size)
                    .unwrap_or_else(|| "unknown size".into());
                let time = time
                    .map(format::modified_exact)
                    .unwrap_or_else(|| "unknown time".into());
                format!("{size}, {time}")
            };
            egui::Grid::new("conflict-grid")
                .num_columns(2)
                .show(ui, |ui| {
                    ui.label("Existing:");
                    ui.label(RichText::new(conflict.target.display()).monospace());
                    ui.end_row();
                    ui.label("");
                    ui.weak(describe(conflict.target_size, conflict.target_time));
                    ui.end_row();
                    ui.label("New:");
                    ui.label(RichText::new(conflict.source.display()).monospace());
                    ui.end_row();
                    ui.label("");
                    ui.weak(describe(conflict.source_size, conflict.source_time));
                    ui.end_row();
                });
            ui.add_space(6.0);
            ui.checkbox(&mut self.apply_to_all, "Apply to all in this queue");
            ui.add_space(6.0);
            ui.horizontal(|ui| {
                for (choice, label) in OnExisting::CHOICES {
                    if ui.button(label).clicked() {
                        answer = Some(choice);
                    }
                }
            });
        });
        let choice = answer?;
        self.conflicts.pop_front();
        let apply_to_all = std::mem::take(&mut self.apply_to_all);
        if apply_to_all {
            self.conflicts.clear();
        }
        Some(Command::AnswerConflict {
            id: conflict.id,
            choice,
            apply_to_all,
        })
    }
}

/// A painted arrow: down for downloads, up for uploads (the bundled fonts
/// have no arrow glyphs).
fn direction_arrow(ui: &mut egui::Ui, direction: Direction) {
    let (rect, response) = ui.allocate_exact_size(egui::vec2(12.0, 14.0), Sense::hover());
    let (color, from, to) = match direction {
        Direction::Download => (
            egui::Color32::from_rgb(70, 150, 230),
            rect.center_top(),
            rect.center_bottom(),
        ),
        Direction::Upload => (
            egui::Color32::from_rgb(90, 180, 100),
            rect.center_bottom(),
            rect.center_top(),
        ),
    };
    ui.painter()
        .arrow(from, to - from, egui::Stroke::new(1.5, color));
    response.on_hover_text(match direction {
        Direction::Download => "Download",
        Direction::Upload => "Upload",
    });
}

fn ui_command_held(response: &egui::Response) -> bool {
    response.ctx.input(|i| i.modifiers.command)
}

/// The queue's user settings (saved with the window state).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct QueueSettings {
    pub concurrency: usize,
    pub on_existing: OnExisting,
}

impl Default for QueueSettings {
    fn default() -> Self {
        QueueSettings {
            concurrency: crate::engine::queue::DEFAULT_CONCURRENCY,
            on_existing: OnExisting::Ask,
        }
    }
}

impl QueueSettings {
    pub fn command(&self) -> Command {
        Command::QueueSettings {
            concurrency: self.concurrency,
            on_existing: self.on_existing,
        }
    }
}

/// `1 h 02 min`, `3 min 20 s`, `45 s`.
pub fn eta(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return "unknown".into();
    }
    let s = seconds.round() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {:02} s", s / 60, s % 60),
        _ => format!("{} h {:02} min", s / 3600, s % 3600 / 60),
    }
}

/// What a job's State column says.
struct StateCell {
    text: String,
    /// The full message, on hover.
    hover: Option<String>,
    /// Drawn in the error colour.
    is_error: bool,
}

/// A job's state in words: a failure with its reason (in the error colour),
/// a cancelled job as plain "Cancelled" (the user's choice, not an error),
/// with what was kept when something was.
fn state_cell(job: &JobView) -> StateCell {
    let mut text = job.state.label();
    if job.priority != Priority::Normal {
        text.push_str(&format!(" · {:?} priority", job.priority));
    }
    match &job.error {
        Some(e) if job.state == JobState::Cancelled => {
            let rest = e.trim_start_matches("cancelled").trim_start_matches(';');
            let rest = rest.trim();
            if rest.is_empty() {
                StateCell {
                    text,
                    hover: None,
                    is_error: false,
                }
            } else {
                StateCell {
                    text: format!("{text} · {rest}"),
                    hover: Some(rest.to_string()),
                    is_error: false,
                }
            }
        }
        Some(e) => StateCell {
            text: format!("{text}: {e}"),
            hover: Some(e.clone()),
            is_error: job.state.is_failed(),
        },
        None => StateCell {
            text,
            hover: None,
            is_error: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: u64, state: JobState, size: Option<u64>, bytes: u64) -> JobView {
        JobView {
            id,
            direction: Direction::Download,
            source: AnyPath::Remote(format!("/r/{id}").into_bytes()),
            target: AnyPath::Local(format!("/l/{id}").into()),
            is_dir: false,
            size,
            bytes,
            state,
            error: None,
            priority: Priority::Normal,
            site: "u@h:21".into(),
        }
    }

    #[test]
    fn tabs_split_jobs_by_state_and_finished_jobs_are_reported_once() {
        let mut q = QueueView::default();
        let finished = q.update(
            0.0,
            vec![
                job(1, JobState::Queued, Some(10), 0),
                job(2, JobState::Failed, None, 0),
                job(3, JobState::Done, Some(5), 5),
                job(4, JobState::Skipped, None, 0),
            ],
        );
        assert_eq!(finished, vec![AnyPath::Local("/l/3".into())]);
        assert_eq!(q.count(QueueTab::Queued), 1);
        assert_eq!(q.count(QueueTab::Failed), 1);
        assert_eq!(q.count(QueueTab::Done), 2);
        assert!(
            q.update(0.0, vec![job(3, JobState::Done, Some(5), 5)])
                .is_empty()
        );
        let mut folder = job(5, JobState::Expanding, None, 0);
        folder.is_dir = true;
        let _ = q.update(0.0, vec![folder]);
        assert_eq!(q.remove(&[3, 4, 5]), vec![AnyPath::Local("/l/5".into())]);
        assert_eq!(q.order, [1, 2]);
    }

    #[test]
    fn totals_count_what_is_left_and_the_rate_includes_small_files() {
        let mut q = QueueView::default();
        let _ = q.update(
            0.0,
            vec![
                job(1, JobState::Running, Some(1000), 0),
                job(2, JobState::Queued, Some(500), 0),
                job(3, JobState::Queued, Some(100), 0),
            ],
        );
        q.progress(0.5, &[(1, 200)]);
        // A small file finishes between two progress reports.
        let _ = q.update(0.8, vec![job(3, JobState::Done, Some(100), 100)]);
        q.progress(1.0, &[(1, 400)]);
        let t = q.totals();
        assert_eq!((t.files, t.bytes), (2, 600 + 500));
        // 200 B in the first half second (400 B/s), 100 + 200 B in the
        // second (600 B/s); no job finished in the first, one in the second.
        assert!((t.rate - 500.0).abs() < 1e-6, "{}", t.rate);
        assert!((t.jobs_rate - 1.0).abs() < 1e-6, "{}", t.jobs_rate);
        // By bytes 1100 / 500 = 2.2 s; by files 2 / 1 = 2 s: the slower wins.
        assert!((t.eta().unwrap_or_default() - 2.2).abs() < 1e-6);
        assert_eq!(q.history.len(), 2);
    }

    #[test]
    fn many_small_files_take_as_long_as_their_count_says() {
        let t = Totals {
            files: 1000,
            bytes: 26_000,
            rate: 1_000_000.0,
            jobs_rate: 100.0,
        };
        assert_eq!(t.eta(), Some(10.0), "by files, not the 0.026 s by bytes");
        let text = t.summary();
        assert!(
            text.starts_with("1,000 files · ") && text.ends_with(" · 10 s left"),
            "{text}"
        );
        let idle = Totals {
            rate: 0.0,
            jobs_rate: 0.0,
            ..t
        };
        assert_eq!(idle.eta(), None);
    }

    #[test]
    fn a_cancelled_job_says_cancelled_plainly_and_a_failure_says_why_in_red() {
        let mut j = job(1, JobState::Cancelled, None, 0);
        j.error = Some("cancelled".into());
        let c = state_cell(&j);
        assert_eq!((c.text.as_str(), c.is_error), ("Cancelled", false));
        j.error = Some("cancelled; what arrived is kept as NAME.part for a retry".into());
        let c = state_cell(&j);
        assert_eq!(
            c.text,
            "Cancelled · what arrived is kept as NAME.part for a retry"
        );
        assert!(!c.is_error);
        let mut f = job(2, JobState::Failed, None, 0);
        f.error = Some("550 No such file".into());
        let c = state_cell(&f);
        assert!(
            c.is_error && c.text.ends_with(": 550 No such file"),
            "{}",
            c.text
        );
    }

    #[test]
    fn eta_reads_naturally() {
        assert_eq!(eta(45.2), "45 s");
        assert_eq!(eta(200.0), "3 min 20 s");
        assert_eq!(eta(3720.0), "1 h 02 min");
        assert_eq!(eta(f64::INFINITY), "unknown");
    }
}
