//! The transfer queue panel: tabs for queued, failed and finished jobs, a
//! row per job (direction, paths, size, progress, speed, time, state),
//! totals with an overall rate and ETA, a throughput graph of the last
//! minute, and the "target exists" question. It renders the engine's view of
//! the queue and turns clicks into engine commands; it owns no transfer.
//!
//! - `rate.rs`: the one rate estimator rows, totals and the status line share;
//! - `rows.rs`: the rows a tab shows, sorted by a column and filtered,
//!   worked out once per change;
//! - `table.rs`: the rows (virtualized), selection and the context menu.

mod limits;
mod rate;
mod rows;
mod table;

use std::cell::OnceCell;
use std::collections::{BTreeSet, VecDeque};

use rustc_hash::{FxHashMap, FxHashSet};

use eframe::egui::{self, Align, Layout, RichText, TextStyle};

use super::format;
use crate::engine::queue::MAX_CONCURRENCY;
use crate::engine::{AnyPath, Command, Conflict, JobState, JobView, OnExisting};
pub use limits::{Limits, label as limit_label};
pub use rate::Rate;
pub use rows::QueueSort;

/// How much throughput history the graph shows, in seconds.
const GRAPH_SECONDS: f64 = 60.0;
/// The graph takes a point this often (seconds).
const SAMPLE_EVERY: f64 = 0.5;
/// The graph's size.
const GRAPH_WIDTH: f32 = 160.0;

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

    /// The tab that lists a job in this state, if any.
    fn of(state: &JobState) -> Option<QueueTab> {
        QueueTab::ALL.into_iter().find(|t| t.shows(state))
    }

    fn shows(self, state: &JobState) -> bool {
        match self {
            QueueTab::Queued => state.is_pending(),
            QueueTab::Failed => state.is_failed(),
            QueueTab::Done => matches!(state, JobState::Done | JobState::Skipped),
        }
    }
}

/// The queue as the window knows it.
///
/// What a frame needs (each tab's rows, the counts, what is left, the
/// sorted and filtered rows shown) is derived from the jobs once, then kept
/// up to date as snapshots arrive: only the jobs a snapshot changes are
/// placed again (by binary search), never per frame; the table then draws
/// only the rows in view. A frame, and taking in a snapshot of a few
/// changes, cost the same with 10 jobs or 100,000.
#[derive(Default)]
pub struct QueueView {
    /// By id; a fast hash, as 100,000 lookups happen each time the rows are worked out.
    /// Boxed: the map grows by doubling while a dropped tree is listed,
    /// and moving 100,000 whole views at once made a frame of 26 ms.
    jobs: FxHashMap<u64, Box<JobView>>,
    /// Queue order; new jobs are appended until the engine sends its order.
    order: Vec<u64>,
    /// Each job's rank, increasing along `order`: rows in queue order are
    /// found by binary search on it. Not its index: when a job leaves or a
    /// block of the order moves, the other jobs keep their ranks.
    pos: FxHashMap<u64, usize>,
    /// The rank the next job appended gets: above every rank given so far.
    next_rank: usize,
    /// An id is in `order` twice (the engine never sends that; a job that
    /// arrives after an order naming it is appended again): its rows are then
    /// worked out again after each change rather than kept up to date.
    order_repeats: bool,
    /// Rows, counts and totals, rebuilt on first use after a change.
    derived: OnceCell<Derived>,
    /// Jobs running or being expanded, kept as jobs change: an engine
    /// snapshot asks whether anything moves, and deriving all rows for
    /// that after each of a frame's snapshots cost 7 ms each at 100,000 jobs.
    active: usize,
    pub tab: QueueTab,
    pub selected: BTreeSet<u64>,
    /// Where a Shift+click range starts.
    anchor: Option<u64>,
    pub paused: bool,
    /// Conflicts waiting for the user's answer, oldest first.
    pub conflicts: VecDeque<Conflict>,
    apply_to_all: bool,
    /// Each running job's rate.
    meters: FxHashMap<u64, Rate>,
    /// Bytes moved and jobs finished since the window opened (running totals).
    moved: u64,
    finished: u64,
    /// The overall rates, of bytes and of finished jobs.
    bytes_rate: Rate,
    jobs_rate: Rate,
    /// When the graph last took a point.
    sampled_at: Option<f64>,
    /// Throughput over the last minute.
    history: VecDeque<Sample>,
    /// Bumped when jobs leave or the order changes: the sorted and the
    /// shown rows are worked out again. Changed and new jobs are placed in
    /// them as they come instead.
    generation: u64,
    /// The column the rows are sorted by, and whether ascending; None:
    /// the queue's own order (the order jobs run in).
    pub sort: Option<(QueueSort, bool)>,
    /// The filter box: only rows whose local or remote path contains this
    /// text (any case) are shown.
    pub filter: String,
    /// Every job in the order of `sort`.
    sorted: Option<(rows::SortedFor, VecDeque<u64>)>,
    /// The rows of the tab shown, sorted and filtered. Rows go and come
    /// mostly near either end (finished files leave the top of the Queued
    /// tab): a deque moves only the rows on the shorter side.
    shown: Option<(rows::ShownFor, VecDeque<u64>)>,
    /// The selected rows shown when the context menu opened: what its
    /// actions act on.
    menu_ids: Vec<u64>,
    /// The panel was clicked last (not a pane): Select all (Ctrl+A) selects its rows.
    pub focused: bool,
    /// Speed limits: the global switch, each job's own, the "Speed limit…" window.
    pub limits: Limits,
}

/// What the panel shows, derived from the jobs in one pass.
#[derive(Debug, Default)]
struct Derived {
    /// Each tab's job ids, in queue order (indexed by [`QueueTab::index`]).
    rows: [VecDeque<u64>; 3],
    /// Jobs still to do, and bytes still to move (wide, so that taking a
    /// job out of the sum is exact: a server may claim any size).
    pending_files: usize,
    pending_bytes: u128,
    /// Folders still to list (queued or being listed), and the files
    /// their listings put in the queue so far (every file job).
    folders_to_list: usize,
    files_found: usize,
}

/// A job running or a folder being expanded: bytes may move.
fn is_active(state: &JobState) -> bool {
    matches!(state, JobState::Running | JobState::Expanding)
}

/// One point of the throughput history.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Sample {
    time: f64,
    bytes_per_s: f64,
}

/// What is left in the queue and how fast it goes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Totals {
    pub files: usize,
    pub bytes: u64,
    /// Bytes per second over the last few seconds; None while nothing
    /// moves (paused, waiting for an answer, idle).
    pub rate: Option<f64>,
    /// Jobs finished per second, likewise.
    pub jobs_rate: Option<f64>,
}

impl Totals {
    /// `4,745 files · 127 kB · 1.9 kB/s · 1 min 06 s left`
    pub fn summary(&self) -> String {
        let mut text = format!(
            "{} · {}",
            format::count(self.files as u64, "file", "files"),
            format::human_size(self.bytes)
        );
        if let Some(rate) = self.rate.filter(|r| *r > 0.0) {
            text.push_str(&format!(" · {}/s", format::human_size(rate as u64)));
        }
        if let Some(left) = self.eta() {
            text.push_str(&format!(" · {} left", eta(left)));
        }
        text
    }

    /// Seconds to go, by bytes or by files, whichever is slower: many small
    /// files cost per file, not per byte.
    pub fn eta(&self) -> Option<f64> {
        let by_bytes = self
            .rate
            .filter(|r| *r > 0.0)
            .map(|r| self.bytes as f64 / r);
        let by_files = self
            .jobs_rate
            .filter(|r| *r > 0.0)
            .map(|r| self.files as f64 / r);
        match (by_bytes, by_files) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }
}

impl Derived {
    /// Count `job` in (`add`) or out of the totals.
    fn tally(&mut self, job: &JobView, add: bool) {
        let step = |n: &mut usize| *n = if add { *n + 1 } else { n.saturating_sub(1) };
        if job.state.is_pending() {
            step(&mut self.pending_files);
            let left = u128::from(left_of(job, job.bytes));
            self.pending_bytes = if add {
                self.pending_bytes + left
            } else {
                self.pending_bytes.saturating_sub(left)
            };
        }
        if !job.is_dir {
            step(&mut self.files_found);
        } else if job.state.is_pending() {
            step(&mut self.folders_to_list);
        }
    }

    fn pending_bytes(&self) -> u64 {
        u64::try_from(self.pending_bytes).unwrap_or(u64::MAX)
    }
}

/// Bytes of `job` still to move once `bytes` of it have.
fn left_of(job: &JobView, bytes: u64) -> u64 {
    job.size.unwrap_or(0).saturating_sub(bytes)
}

impl QueueView {
    /// New or changed jobs from the engine, at egui time `now`. Returns the
    /// targets of jobs that just finished, so their folders can be refreshed.
    pub fn update(&mut self, now: f64, views: Vec<JobView>) -> Vec<AnyPath> {
        let mut finished = Vec::new();
        let mut new_ids = Vec::new();
        for v in views {
            if !self.jobs.contains_key(&v.id) {
                self.order.push(v.id);
                self.next_rank += 1;
                if self.pos.insert(v.id, self.next_rank - 1).is_some() {
                    self.order_repeats = true;
                }
            }
            // Into the rows worked out so far, while the old view is at hand.
            if self.order_repeats || !self.place(&v, &mut new_ids) {
                self.rework();
            }
            let old = self.jobs.get(&v.id);
            if !v.state.is_pending() && old.is_some_and(|old| old.state.is_pending()) {
                self.finished += 1;
            }
            if v.state == JobState::Done && old.is_none_or(|old| old.state != JobState::Done) {
                // Small files finish between two progress reports: count them here.
                self.moved += v.bytes.saturating_sub(old.map_or(0, |o| o.bytes));
                finished.push(v.target.clone());
            }
            if v.state == JobState::Running {
                self.meters.entry(v.id).or_default();
            } else {
                self.meters.remove(&v.id);
            }
            if old.is_some_and(|old| is_active(&old.state)) {
                self.active -= 1;
            }
            if is_active(&v.state) {
                self.active += 1;
            }
            match self.jobs.get_mut(&v.id) {
                Some(slot) => **slot = v,
                None => {
                    self.jobs.insert(v.id, Box::new(v));
                }
            }
        }
        self.place_new(&new_ids);
        self.record(now);
        finished
    }

    /// Jobs left the queue. Returns the targets of folders among them: a
    /// folder leaves once it is created and listed, so its parent can be
    /// refreshed.
    pub fn remove(&mut self, ids: &[u64]) -> Vec<AnyPath> {
        let mut folders = Vec::new();
        self.forget_limits(ids);
        if !ids.is_empty() {
            let gone: FxHashSet<u64> = ids.iter().copied().collect();
            let order = self.order.iter().copied().filter(|id| !gone.contains(id));
            // While the jobs are still here: their rows are found by their views.
            self.reorder(order.collect());
            self.conflicts.retain(|c| !gone.contains(&c.id));
            if self.anchor.is_some_and(|a| gone.contains(&a)) {
                self.anchor = None;
            }
        }
        for id in ids {
            if let Some(job) = self.jobs.remove(id) {
                if is_active(&job.state) {
                    self.active -= 1;
                }
                if job.is_dir {
                    folders.push(job.target);
                }
            }
            self.meters.remove(id);
            self.selected.remove(id);
        }
        folders
    }

    /// The engine's order of the queue.
    pub fn set_order(&mut self, order: Vec<u64>) {
        self.reorder(order);
    }

    /// Rank the whole order afresh, and work the rows out again.
    fn index_order(&mut self) {
        self.pos.clear();
        self.order_repeats = false;
        for (at, &id) in self.order.iter().enumerate() {
            self.order_repeats |= self.pos.insert(id, at).is_some();
        }
        self.next_rank = self.order.len();
        self.rework();
    }

    /// Forget every row worked out; the next frame works them out again.
    fn rework(&mut self) {
        self.derived.take();
        self.sorted = None;
        self.shown = None;
        self.generation += 1;
    }

    /// The job with this id, if the queue holds it.
    pub fn job(&self, id: u64) -> Option<&JobView> {
        self.jobs.get(&id).map(|v| &**v)
    }

    /// Rows, counts and totals: derived once after the jobs changed.
    fn derived(&self) -> &Derived {
        self.derived.get_or_init(|| {
            let mut d = Derived::default();
            for job in self.order.iter().filter_map(|id| self.jobs.get(id)) {
                if let Some(tab) = QueueTab::of(&job.state) {
                    d.rows[tab.index()].push_back(job.id);
                }
                d.tally(job, true);
            }
            d
        })
    }

    /// While dropped folders are still being listed: "Listing 12 folders…
    /// (3,400 files found)", so a big tree shows its progress before its
    /// files are all queued.
    pub fn expansion(&self) -> Option<String> {
        let d = self.derived();
        (d.folders_to_list > 0).then(|| {
            format!(
                "Listing {}… ({} found)",
                format::count(d.folders_to_list as u64, "folder", "folders"),
                format::count(d.files_found as u64, "file", "files")
            )
        })
    }

    /// Running jobs' bytes, at egui time `now`.
    pub fn progress(&mut self, now: f64, progress: &[(u64, u64)]) {
        for &(id, bytes) in progress {
            if let Some(job) = self.jobs.get_mut(&id) {
                self.moved += bytes.saturating_sub(job.bytes);
                // Only the bytes left change: keep the rows, adjust the total.
                if self.order_repeats {
                    // The job may count twice in the totals: count again.
                    self.derived.take();
                } else if let Some(d) = self.derived.get_mut()
                    && job.state.is_pending()
                    // Counted only while the queue's order names it.
                    && self.pos.contains_key(&id)
                {
                    d.pending_bytes = d
                        .pending_bytes
                        .saturating_sub(left_of(job, job.bytes).into())
                        + u128::from(left_of(job, bytes));
                }
                job.bytes = bytes;
                if job.state == JobState::Running {
                    self.meters.entry(id).or_default();
                }
            }
        }
        self.record(now);
    }

    /// Feed every estimator (each running job's and the overall ones) at
    /// the same moment `now`, so that they agree, and give the graph a
    /// point every half second.
    fn record(&mut self, now: f64) {
        for (id, meter) in &mut self.meters {
            if let Some(job) = self.jobs.get(id) {
                meter.record(now, job.bytes);
            }
        }
        self.bytes_rate.record(now, self.moved);
        self.jobs_rate.record(now, self.finished);
        if !self.moving() {
            self.meters.clear();
        }
        if self.sampled_at.is_some_and(|at| now - at < SAMPLE_EVERY) {
            return;
        }
        self.sampled_at = Some(now);
        self.history.push_back(Sample {
            time: now,
            bytes_per_s: self.bytes_rate.per_second().unwrap_or(0.0),
        });
        while self
            .history
            .front()
            .is_some_and(|s| now - s.time > GRAPH_SECONDS)
        {
            self.history.pop_front();
        }
    }

    /// Whether bytes can be moving now: a job runs and the queue is not
    /// paused. Rates and times left show only then, never a frozen figure.
    pub fn moving(&self) -> bool {
        !self.paused && self.active > 0
    }

    /// A running job's rate (bytes per second), while it moves.
    pub fn job_rate(&self, id: u64) -> Option<f64> {
        if !self.moving() {
            return None;
        }
        let job = self.jobs.get(&id)?;
        if job.state != JobState::Running {
            return None;
        }
        self.meters.get(&id)?.per_second()
    }

    /// Jobs still to do, bytes still to move, and the overall rates (the
    /// last few seconds' average, small files included; none while nothing moves).
    pub fn totals(&self) -> Totals {
        let d = self.derived();
        let moving = self.moving();
        Totals {
            files: d.pending_files,
            bytes: d.pending_bytes(),
            rate: self.bytes_rate.per_second().filter(|_| moving),
            jobs_rate: self.jobs_rate.per_second().filter(|_| moving),
        }
    }

    /// How many transfers for `site` (as the Server column shows it) have
    /// not finished yet.
    pub fn waiting_for(&self, site: &str) -> usize {
        self.jobs
            .values()
            .filter(|j| j.site == site && j.state.is_pending())
            .count()
    }

    pub fn count(&self, tab: QueueTab) -> usize {
        self.derived().rows[tab.index()].len()
    }

    /// Whether anything is moving right now (the window repaints for progress only then).
    pub fn is_running(&self) -> bool {
        self.active > 0
    }

    /// A short line for the status bar while transfers run: the same
    /// figures as the queue's summary.
    pub fn status(&self) -> Option<String> {
        let t = self.totals();
        if t.files == 0 {
            return None;
        }
        let mut text = format!("Transfers: {}", t.summary());
        if self.paused {
            text.push_str(" (paused)");
        } else if !self.conflicts.is_empty() && self.active == 0 {
            text.push_str(" (waiting for your answer)");
        }
        Some(text)
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, settings: &mut QueueSettings) -> Vec<Command> {
        let mut commands = Vec::new();
        if ui.input(|i| i.pointer.any_pressed()) {
            self.focused = ui.rect_contains_pointer(ui.max_rect());
        }
        // The window's shortcut table routes Ctrl+A here while the panel
        // has the focus; on its own (tests, or no window around it) the
        // panel takes the key itself.
        let select_all = egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, egui::Key::A);
        if self.focused
            && !ui.ctx().text_edit_focused()
            && ui.input_mut(|i| i.consume_shortcut(&select_all))
        {
            self.select_all();
        }
        self.toolbar_ui(ui, settings, &mut commands);
        self.filter_ui(ui);
        ui.separator();
        self.table_ui(ui, &mut commands);
        self.limit_dialog_ui(&ui.ctx().clone(), &mut commands);
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
                    self.anchor = None;
                }
            }
            ui.separator();
            let summary = self.totals().summary();
            ui.label(summary);
            if let Some(text) = self.expansion() {
                ui.label(RichText::new(text).weak());
            }
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
                self.speed_toggle_ui(ui);
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

    /// The filter box, and how many rows it lets through.
    fn filter_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let label = ui.label("Filter:");
            let edit = egui::TextEdit::singleline(&mut self.filter)
                .hint_text("part of a local or remote path")
                .desired_width(220.0);
            ui.add(edit).labelled_by(label.id).on_hover_text(
                "Show only the transfers whose local or remote path contains this text (any case)",
            );
            if !self.filter.trim().is_empty() {
                if ui.small_button("Clear").clicked() {
                    self.filter.clear();
                }
                let shown = self.shown_rows().len();
                let of = self.count(self.tab);
                ui.weak(format!(
                    "showing {} of {}",
                    format::thousands(shown as u64),
                    format::thousands(of as u64)
                ));
            }
            if let Some((column, ascending)) = self.sort {
                let name = match column {
                    QueueSort::Local => "local path",
                    QueueSort::Remote => "remote path",
                    QueueSort::Server => "server",
                    QueueSort::Size => "size",
                    QueueSort::State => "state",
                };
                let way = if ascending { "ascending" } else { "descending" };
                ui.weak(format!("sorted by {name}, {way}"));
                if ui
                    .small_button("Queue order")
                    .on_hover_text("Show the rows in the order they run")
                    .clicked()
                {
                    self.sort = None;
                }
            }
        });
    }

    /// The throughput of the last minute while something moves; otherwise
    /// a box of the same size saying why nothing does (so nothing jumps).
    fn graph_ui(&self, ui: &mut egui::Ui) {
        let size = egui::vec2(GRAPH_WIDTH, ui.text_style_height(&TextStyle::Body) + 8.0);
        let now = self.history.back().map(|s| s.time);
        let (Some(now), true) = (now, self.moving()) else {
            let why = if self.paused && self.derived().pending_files > 0 {
                "paused"
            } else if !self.conflicts.is_empty() {
                "waiting for your answer"
            } else {
                "no transfers"
            };
            let (rect, _) = ui.allocate_exact_size(size, egui::Sense::hover());
            let visuals = ui.visuals();
            ui.painter().rect_stroke(
                rect,
                2.0,
                visuals.widgets.noninteractive.bg_stroke,
                egui::StrokeKind::Inside,
            );
            ui.painter().text(
                rect.center(),
                egui::Align2::CENTER_CENTER,
                why,
                TextStyle::Small.resolve(ui.style()),
                visuals.weak_text_color(),
            );
            let response = ui.interact(
                rect,
                egui::Id::unique("queue-graph-empty"),
                egui::Sense::hover(),
            );
            // Screen readers (and tests) read what the box says.
            response
                .widget_info(|| egui::WidgetInfo::labeled(egui::accesskit::Role::Label, true, why));
            response.on_hover_text("Throughput over the last minute");
            return;
        };
        let points: egui_plot::PlotPoints = self
            .history
            .iter()
            .map(|s| [s.time - now, s.bytes_per_s / (1024.0 * 1024.0)])
            .collect();
        egui_plot::Plot::new("queue-throughput")
            .width(size.x)
            .height(size.y)
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

#[cfg(test)]
mod tests {
    use super::table::state_cell;
    use super::*;
    use crate::engine::{Direction, Priority};

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
            finished: None,
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
    fn snapshots_leave_the_rows_to_the_frame_and_still_know_what_moves() {
        let mut q = QueueView::default();
        let mut folder = job(9, JobState::Expanding, None, 0);
        folder.is_dir = true;
        // A frame may drain several snapshots: none of them derives the
        // rows (every job, at 100,000 jobs), the frame does once.
        let _ = q.update(0.0, vec![folder]);
        assert!(q.derived.get().is_none());
        assert!(q.moving(), "a folder being listed counts as moving");
        let _ = q.update(0.1, vec![job(1, JobState::Running, Some(10), 0)]);
        q.progress(0.2, &[(1, 5)]);
        let _ = q.update(0.3, vec![job(2, JobState::Queued, Some(10), 0)]);
        assert!(q.derived.get().is_none());
        assert_eq!(q.count(QueueTab::Queued), 3);
        assert!(q.derived.get().is_some());
        // The folder is listed and leaves; the file finishes: nothing moves.
        let _ = q.remove(&[9]);
        assert!(q.is_running());
        let _ = q.update(0.4, vec![job(1, JobState::Done, Some(10), 10)]);
        assert!(!q.is_running() && !q.moving());
        assert_eq!(q.totals().rate, None, "no rate while nothing moves");
        // Again, and paused.
        let _ = q.update(0.5, vec![job(2, JobState::Running, Some(10), 0)]);
        assert!(q.moving());
        q.paused = true;
        assert!(q.is_running() && !q.moving());
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
        // 200 + 100 + 200 B, and one job, in one second.
        let rate = t.rate.unwrap_or_default();
        assert!((rate - 500.0).abs() < 1e-6, "{rate}");
        let jobs_rate = t.jobs_rate.unwrap_or_default();
        assert!((jobs_rate - 1.0).abs() < 1e-6, "{jobs_rate}");
        // By bytes 1100 / 500 = 2.2 s; by files 2 / 1 = 2 s: the slower wins.
        assert!((t.eta().unwrap_or_default() - 2.2).abs() < 1e-6);
        assert_eq!(q.history.len(), 3, "a point every half second");
        // The job's row reads the same estimator: its 400 B in one second.
        assert_eq!(q.job_rate(1), Some(400.0));

        // Paused: no rate, no time left, on the row or in the summary.
        q.paused = true;
        let t = q.totals();
        assert_eq!((t.rate, t.jobs_rate, t.eta()), (None, None, None));
        assert_eq!(q.job_rate(1), None);
        assert!(!t.summary().contains("/s"), "{}", t.summary());
    }

    #[test]
    fn one_job_alone_shows_the_same_rate_and_time_left_on_its_row_and_in_the_summary() {
        let mut q = QueueView::default();
        let _ = q.update(0.0, vec![job(1, JobState::Running, Some(100_000), 0)]);
        // Uneven reports, as a real transfer sends them.
        for (i, bytes) in [3_000u64, 9_000, 10_000, 18_000, 21_000, 30_000, 31_000]
            .into_iter()
            .enumerate()
        {
            q.progress(
                0.1 * (i + 1) as f64 + if i % 2 == 0 { 0.03 } else { 0.0 },
                &[(1, bytes)],
            );
        }
        let row = q.job_rate(1).expect("a rate");
        let t = q.totals();
        assert_eq!(t.rate, Some(row));
        let timing = table::timing_cells(q.job(1).unwrap(), Some(row));
        let left = eta(t.eta().unwrap_or_default());
        assert_eq!(
            timing.time.map(|(text, _)| text),
            Some(format!("{left} left"))
        );
        assert!(
            t.summary().ends_with(&format!(" · {left} left")),
            "{}",
            t.summary()
        );
    }

    #[test]
    fn nothing_moves_while_the_only_job_waits_for_an_answer() {
        let mut q = QueueView::default();
        let _ = q.update(0.0, vec![job(1, JobState::Running, Some(1000), 0)]);
        q.progress(0.5, &[(1, 500)]);
        q.progress(1.0, &[(1, 999)]);
        assert!(q.totals().rate.is_some());
        let _ = q.update(1.1, vec![job(1, JobState::Asking, Some(1000), 999)]);
        let t = q.totals();
        assert_eq!((t.rate, t.eta()), (None, None), "{}", t.summary());
    }

    #[test]
    fn many_small_files_take_as_long_as_their_count_says() {
        let t = Totals {
            files: 1000,
            bytes: 26_000,
            rate: Some(1_000_000.0),
            jobs_rate: Some(100.0),
        };
        assert_eq!(t.eta(), Some(10.0), "by files, not the 0.026 s by bytes");
        let text = t.summary();
        assert!(
            text.starts_with("1,000 files · ") && text.ends_with(" · 10 s left"),
            "{text}"
        );
        let idle = Totals {
            rate: None,
            jobs_rate: None,
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
    #[test]
    fn folders_being_listed_show_how_many_are_left_and_the_files_found() {
        let mut q = QueueView::default();
        assert_eq!(q.expansion(), None);
        let folder = |id, state| {
            let mut f = job(id, state, None, 0);
            f.is_dir = true;
            f
        };
        let mut views = vec![
            folder(1, JobState::Expanding),
            folder(2, JobState::Queued),
            folder(3, JobState::Queued),
        ];
        views.extend((10..1_010).map(|id| job(id, JobState::Queued, Some(26), 0)));
        views.extend((2_000..2_234).map(|id| job(id, JobState::Done, Some(26), 26)));
        let _ = q.update(0.0, views);
        assert_eq!(
            q.expansion().as_deref(),
            Some("Listing 3 folders… (1,234 files found)")
        );
        // Listed folders leave the queue; their files stay.
        let _ = q.remove(&[1, 2]);
        let _ = q.update(0.0, vec![job(5_000, JobState::Queued, Some(1), 0)]);
        assert_eq!(
            q.expansion().as_deref(),
            Some("Listing 1 folder… (1,235 files found)")
        );
        let _ = q.remove(&[3]);
        assert_eq!(q.expansion(), None, "nothing left to list");
    }
}
