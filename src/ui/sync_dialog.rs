//! View → Compare and synchronize (Ctrl+O): colours the rows of both panes
//! by how they compare, with a legend, and the Synchronize preview: both
//! folders walked recursively on a connection of its own (progress, Cancel),
//! one row per file with its action and reason, each row can be unticked or
//! changed, totals each way, a separate confirmation for deletes, and Run,
//! which hands the work to the transfer queue. Nothing changes before Run.
//! The plan is `crate::sync`'s, the same as `ferry sync --dry-run`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use eframe::egui::{self, Color32, RichText};

use super::pane::PaneState;
use crate::engine::{AnyPath, Command, Direction, OnExisting, PathItem, Side};
use crate::ftp::ConnectOptions;
use crate::sync::background::{self, PrepareUpdate, Preparing};
use crate::sync::marks::{self, Marks, RowMark};
use crate::sync::tree::{local_path, remote_path};
use crate::sync::{
    Action, CompareOptions, PlanRow, Prepared, Reason, Rule, SyncDirection, SyncJob, SyncOptions,
    WalkOptions, WalkProgress,
};

/// Row colours of one pane, by entry name (read by the pane's table).
pub type RowTints = Arc<HashMap<Vec<u8>, Color32>>;

fn tints_id(side: Side) -> egui::Id {
    egui::Id::unique(("ferry-compare-tints", side))
}

/// The compare colours for `side`'s rows, while Compare is on.
pub fn row_tints(ctx: &egui::Context, side: Side) -> Option<RowTints> {
    ctx.data(|d| d.get_temp::<RowTints>(tints_id(side)))
}

/// The colour of a mark (translucent: drawn over the row).
pub fn mark_colour(mark: RowMark) -> Color32 {
    match mark {
        RowMark::OnlyHere => Color32::from_rgba_unmultiplied(70, 130, 230, 60),
        RowMark::NewerHere => Color32::from_rgba_unmultiplied(60, 180, 90, 60),
        RowMark::SizeDiffers => Color32::from_rgba_unmultiplied(235, 140, 30, 70),
        RowMark::Identical => Color32::from_rgba_unmultiplied(128, 128, 128, 28),
    }
}

enum Stage {
    Idle,
    Preparing {
        job: Box<SyncJob>,
        handle: Preparing,
        local: WalkProgress,
        remote: WalkProgress,
    },
    Preview {
        job: Box<SyncJob>,
        prepared: Box<Prepared>,
        confirm_deletes: bool,
    },
    Failed(String),
}

/// The window's state.
pub struct SyncWindow {
    pub open: bool,
    /// Colour both panes' rows.
    pub compare: bool,
    pub rule: Rule,
    /// In the preview: leave out rows with nothing to do.
    pub hide_identical: bool,
    /// While the panes are coloured: leave identical files out of both.
    pub hide_identical_panes: bool,
    pub direction: SyncDirection,
    pub delete: bool,
    pub checksum: bool,
    /// Patterns to leave out, separated by spaces or commas.
    pub exclude: String,
    /// Leave out what the panes' name filters hide (View → Filters…).
    pub use_filters: bool,
    /// The local and remote panes' enabled name filters (set by the app).
    pub filters: Vec<Arc<crate::filters::NameFilter>>,
    stage: Stage,
    /// What the last Run queued (shown until the next preview).
    pub result: Option<String>,
    /// The listings the marks were computed for (pointers and lengths) and the rule.
    marks_for: Option<(usize, usize, usize, usize, Rule)>,
    pub marks: Marks,
    /// The names identical on both sides, by the current marks.
    identical: Arc<HashSet<Vec<u8>>>,
    /// Where the saved sync states live (Ferry's data folder); `None`:
    /// plans go by times alone and nothing is saved.
    pub state_dir: Option<std::path::PathBuf>,
    /// A Run whose transfers are under way: recorded in the sync state
    /// once the queue is idle (with the login to walk the folders again).
    awaiting: Option<(Box<SyncJob>, Box<Prepared>, ConnectOptions)>,
    /// Walking again and saving the sync state.
    recording: Option<std::sync::mpsc::Receiver<Result<usize, String>>>,
}

impl Default for SyncWindow {
    fn default() -> Self {
        SyncWindow {
            open: false,
            compare: false,
            rule: Rule::Both,
            hide_identical: true,
            hide_identical_panes: false,
            direction: SyncDirection::Upload,
            delete: false,
            checksum: false,
            exclude: ".git, .svn, .DS_Store".into(),
            use_filters: true,
            filters: Vec::new(),
            stage: Stage::Idle,
            result: None,
            marks_for: None,
            marks: Marks::default(),
            identical: Arc::default(),
            state_dir: None,
            awaiting: None,
            recording: None,
        }
    }
}

impl SyncWindow {
    /// Ctrl+O: open the window with the panes coloured, or close both.
    pub fn toggle(&mut self) {
        self.open = !self.open;
        self.compare = self.open;
    }

    /// The files both panes leave out (Hide identical), while the panes are
    /// coloured and it is ticked.
    pub fn pane_hidden(&self) -> Option<Arc<HashSet<Vec<u8>>>> {
        (self.compare && self.hide_identical_panes).then(|| self.identical.clone())
    }

    /// The preview's rows, when there is one.
    pub fn preview(&self) -> Option<&[PlanRow]> {
        match &self.stage {
            Stage::Preview { prepared, .. } => Some(&prepared.plan.rows),
            _ => None,
        }
    }

    /// The preview's rows, to change them (tests and the table).
    pub fn preview_mut(&mut self) -> Option<&mut Vec<PlanRow>> {
        match &mut self.stage {
            Stage::Preview { prepared, .. } => Some(&mut prepared.plan.rows),
            _ => None,
        }
    }

    /// Whether a comparison is walking the folders.
    pub fn is_preparing(&self) -> bool {
        matches!(self.stage, Stage::Preparing { .. })
    }

    /// The failure of the last comparison, if it failed.
    pub fn failure(&self) -> Option<&str> {
        match &self.stage {
            Stage::Failed(e) => Some(e),
            _ => None,
        }
    }

    /// One frame: keep the pane colours current, draw the window, and
    /// return the engine commands Run produced (sent by the app).
    #[must_use]
    pub fn ui(
        &mut self,
        ctx: &egui::Context,
        local: &PaneState,
        remote: &PaneState,
        login: Option<&ConnectOptions>,
    ) -> Vec<Command> {
        self.update_marks(ctx, local, remote);
        self.poll();
        self.poll_recording();
        if !self.open {
            return Vec::new();
        }
        let mut commands = Vec::new();
        let mut open = self.open;
        egui::Window::new("Compare and synchronize")
            .id(egui::Id::unique("ferry-sync-window"))
            .open(&mut open)
            .default_size([720.0, 480.0])
            .default_pos([440.0, 250.0])
            .resizable(true)
            .show(ctx, |ui| {
                self.compare_ui(ui);
                ui.separator();
                self.sync_ui(ui, ctx, local, remote, login, &mut commands);
            });
        if !open {
            self.open = false;
            self.compare = false;
        }
        commands
    }

    fn update_marks(&mut self, ctx: &egui::Context, local: &PaneState, remote: &PaneState) {
        if !self.compare {
            self.marks_for = None;
            ctx.data_mut(|d| {
                d.remove::<RowTints>(tints_id(Side::Local));
                d.remove::<RowTints>(tints_id(Side::Remote));
            });
            return;
        }
        let (l, r) = (local.entries(), remote.entries());
        let key = (
            l.as_ptr() as usize,
            l.len(),
            r.as_ptr() as usize,
            r.len(),
            self.rule,
        );
        if self.marks_for == Some(key) {
            return;
        }
        self.marks_for = Some(key);
        let options = CompareOptions {
            rule: self.rule,
            ..CompareOptions::default()
        };
        // A LIST server's zone, when a comparison has found it.
        let offset = match &self.stage {
            Stage::Preview { prepared, .. } => prepared.remote.time_offset.unwrap_or_default(),
            _ => chrono::TimeDelta::zero(),
        };
        self.marks = marks::mark(l, r, &options, offset);
        self.identical = Arc::new(
            self.marks
                .local
                .iter()
                .filter(|(name, m)| {
                    **m == RowMark::Identical
                        && self.marks.remote.get(*name) == Some(&RowMark::Identical)
                })
                .map(|(name, _)| name.clone())
                .collect(),
        );
        for side in [Side::Local, Side::Remote] {
            let tints: HashMap<Vec<u8>, Color32> = self
                .marks
                .side(side)
                .iter()
                .map(|(name, m)| (name.clone(), mark_colour(*m)))
                .collect();
            ctx.data_mut(|d| d.insert_temp::<RowTints>(tints_id(side), Arc::new(tints)));
        }
    }

    /// The transfer queue finished: if a Run is waiting for it, walk both
    /// folders again and save what is now the same on both sides.
    pub fn queue_idle(&mut self, ctx: &egui::Context) {
        let Some((job, prepared, login)) = self.awaiting.take() else {
            return;
        };
        let Some(file) = job.state_file.clone() else {
            return;
        };
        let ctx = ctx.clone();
        self.recording = Some(background::spawn_record(
            login,
            *job,
            prepared,
            file,
            Arc::new(move || ctx.request_repaint()),
        ));
    }

    /// Whether the sync state is being walked for and saved.
    pub fn is_recording(&self) -> bool {
        self.recording.is_some() || self.awaiting.is_some()
    }

    fn poll_recording(&mut self) {
        let Some(rx) = &self.recording else {
            return;
        };
        let Ok(result) = rx.try_recv() else {
            return;
        };
        self.recording = None;
        let note = match result {
            Ok(_) => {
                "The sync state was saved: the next sync of these folders knows what changed since."
                    .to_string()
            }
            Err(e) => format!("The sync state was not saved ({e}); the next sync goes by times."),
        };
        self.result = Some(match self.result.take() {
            Some(r) => format!("{r}\n{note}"),
            None => note,
        });
    }

    fn poll(&mut self) {
        let Stage::Preparing {
            job,
            handle,
            local,
            remote,
        } = &mut self.stage
        else {
            return;
        };
        let mut done = None;
        while let Ok(update) = handle.updates.try_recv() {
            match update {
                PrepareUpdate::Progress(Side::Local, p) => *local = p,
                PrepareUpdate::Progress(Side::Remote, p) => *remote = p,
                PrepareUpdate::Done(result) => done = Some(*result),
            }
        }
        let Some(result) = done else {
            return;
        };
        let job = std::mem::replace(job, Box::new(empty_job()));
        self.stage = match result {
            Ok(prepared) => Stage::Preview {
                job,
                prepared: Box::new(prepared),
                confirm_deletes: false,
            },
            Err(e) => Stage::Failed(format!("the comparison failed: {e}")),
        };
        self.marks_for = None;
    }

    fn compare_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.checkbox(&mut self.compare, "Colour both panes");
            ui.add_enabled(
                self.compare,
                egui::Checkbox::new(&mut self.hide_identical_panes, "Hide identical files"),
            )
            .on_hover_text("Leave files that are the same on both sides out of both panes");
            let label = ui.label("Compare by:");
            egui::ComboBox::from_id_salt("ferry-sync-rule")
                .selected_text(self.rule.label())
                .show_ui(ui, |ui| {
                    for (rule, name) in Rule::ALL {
                        ui.selectable_value(&mut self.rule, rule, name);
                    }
                })
                .response
                .labelled_by(label.id);
        });
        ui.horizontal_wrapped(|ui| {
            for (mark, name) in RowMark::LEGEND {
                let (rect, _) =
                    ui.allocate_exact_size(egui::vec2(14.0, 14.0), egui::Sense::hover());
                ui.painter()
                    .rect_filled(rect, 2.0, mark_colour(mark).to_opaque());
                ui.label(name);
                ui.add_space(8.0);
            }
        });
        ui.weak("Times are compared at the precision the server's listing gives (minutes, or the day for old files in a LIST).");
    }

    fn sync_ui(
        &mut self,
        ui: &mut egui::Ui,
        ctx: &egui::Context,
        local: &PaneState,
        remote: &PaneState,
        login: Option<&ConnectOptions>,
        commands: &mut Vec<Command>,
    ) {
        let folders = match (local.path(), remote.path()) {
            (Some(AnyPath::Local(l)), Some(AnyPath::Remote(r))) => Some((l.clone(), r.clone())),
            _ => None,
        };
        ui.heading("Synchronize");
        match &folders {
            Some((l, r)) => {
                ui.label(format!(
                    "Local: {}    Remote: {}",
                    l.display(),
                    String::from_utf8_lossy(r)
                ));
            }
            None => {
                ui.label("Connect and open a folder in each pane to synchronize them.");
            }
        }
        let idle = !self.is_preparing();
        ui.add_enabled_ui(idle, |ui| {
            ui.horizontal(|ui| {
                let label = ui.label("Direction:");
                let current = SyncDirection::ALL
                    .iter()
                    .find(|(d, _)| *d == self.direction)
                    .map_or("", |(_, n)| *n);
                egui::ComboBox::from_id_salt("ferry-sync-direction")
                    .selected_text(current)
                    .show_ui(ui, |ui| {
                        for (d, name) in SyncDirection::ALL {
                            ui.selectable_value(&mut self.direction, d, name);
                        }
                    })
                    .response
                    .labelled_by(label.id);
            });
            ui.add_enabled(
                self.direction != SyncDirection::Both,
                egui::Checkbox::new(
                    &mut self.delete,
                    "Delete files that are not on the source side",
                ),
            );
            ui.checkbox(
                &mut self.checksum,
                "Compare by checksum where the server offers it",
            );
            ui.horizontal(|ui| {
                let label = ui.label("Leave out:");
                ui.text_edit_singleline(&mut self.exclude)
                    .labelled_by(label.id);
            });
            if !self.filters.is_empty() {
                ui.checkbox(
                    &mut self.use_filters,
                    "Also leave out what the name filters hide (View → Filters…)",
                );
            }
        });
        ui.horizontal(|ui| {
            let can_start = idle && folders.is_some() && login.is_some();
            if ui
                .add_enabled(can_start, egui::Button::new("Compare folders"))
                .on_hover_text(
                    "Walk both folders and show what a sync would do; nothing is changed",
                )
                .clicked()
                && let (Some((l, r)), Some(login)) = (&folders, login)
            {
                self.start(ctx, l.clone(), r.clone(), login.clone(), remote);
            }
            if let Stage::Preparing {
                handle,
                local,
                remote,
                ..
            } = &self.stage
            {
                ui.spinner();
                ui.label(format!(
                    "Comparing: local {} folders, {} files; remote {} folders, {} files",
                    local.folders, local.files, remote.folders, remote.files
                ));
                if ui.button("Cancel").clicked() {
                    handle.cancel();
                }
            }
        });
        if let Some(result) = &self.result {
            ui.label(result.as_str());
        }
        if let Stage::Failed(e) = &self.stage {
            ui.colored_label(ui.visuals().error_fg_color, e.as_str());
        }
        if matches!(self.stage, Stage::Preview { .. }) {
            self.preview_ui(ui, commands, login);
        }
    }

    fn start(
        &mut self,
        ctx: &egui::Context,
        local_root: std::path::PathBuf,
        remote_root: Vec<u8>,
        login: ConnectOptions,
        remote: &PaneState,
    ) {
        let (remote_root_key, local_key) = (remote_root.clone(), local_root.clone());
        let job = SyncJob {
            local_root,
            remote_root,
            walk: WalkOptions {
                hide: if self.use_filters {
                    self.filters.clone()
                } else {
                    Vec::new()
                },
                exclude: self
                    .exclude
                    .split([',', ' '])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
                charset: remote.charset,
                // The site's setting, if any; else found on the way.
                time_offset: login
                    .list_time_offset_minutes
                    .map(|m| chrono::TimeDelta::minutes(i64::from(m))),
            },
            options: SyncOptions {
                direction: self.direction,
                compare: CompareOptions {
                    rule: self.rule,
                    ..CompareOptions::default()
                },
                delete: self.delete && self.direction != SyncDirection::Both,
            },
            checksum: self.checksum,
            state_file: self.state_dir.as_ref().map(|dir| {
                crate::sync::state::state_file(dir, &login.user_at(), &remote_root_key, &local_key)
            }),
        };
        let ctx = ctx.clone();
        let handle = background::spawn(login, job.clone(), Arc::new(move || ctx.request_repaint()));
        self.result = None;
        self.stage = Stage::Preparing {
            job: Box::new(job),
            handle,
            local: WalkProgress::default(),
            remote: WalkProgress::default(),
        };
    }

    fn preview_ui(
        &mut self,
        ui: &mut egui::Ui,
        commands: &mut Vec<Command>,
        login: Option<&ConnectOptions>,
    ) {
        let hide = self.hide_identical;
        let Stage::Preview {
            job,
            prepared,
            confirm_deletes,
        } = &mut self.stage
        else {
            return;
        };
        for note in &prepared.notes {
            ui.weak(note.as_str());
        }
        let totals = prepared.plan.totals();
        ui.label(format!(
            "Upload {} files ({}), download {} files ({}), delete {} here and {} on the server; {} conflicts, {} identical",
            totals.upload_files,
            crate::ui::format::human_size(totals.upload_bytes),
            totals.download_files,
            crate::ui::format::human_size(totals.download_bytes),
            totals.delete_local,
            totals.delete_remote,
            prepared.plan.rows.iter().filter(|r| r.action == Action::Conflict).count(),
            totals.identical,
        ));
        ui.checkbox(&mut self.hide_identical, "Hide identical");
        let shown: Vec<usize> = prepared
            .plan
            .rows
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                !(hide
                    && r.action == Action::Skip
                    && matches!(r.reason, Reason::Identical | Reason::Unchanged))
            })
            .map(|(i, _)| i)
            .collect();
        let row_height = ui.text_style_height(&egui::TextStyle::Body) + 8.0;
        let danger = ui.visuals().error_fg_color;
        // The names get a column of their own, so every row's action
        // chooser starts at the same place; a longer name is cut short.
        let name_width = (ui.available_width() * 0.5).clamp(160.0, 420.0);
        egui::ScrollArea::vertical()
            .max_height(ui.available_height() - 40.0)
            .auto_shrink([false, true])
            .show_rows(ui, row_height, shown.len(), |ui, range| {
                for &i in &shown[range] {
                    let row = &mut prepared.plan.rows[i];
                    ui.horizontal(|ui| {
                        let text = RichText::new(format!(
                            "{}{}",
                            row.display(),
                            if row.is_dir { "/" } else { "" }
                        ));
                        let text = if row.action.is_delete() {
                            text.color(danger)
                        } else {
                            text
                        };
                        let full = row.display();
                        ui.allocate_ui(egui::vec2(name_width, row_height), |ui| {
                            ui.set_width(name_width);
                            ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
                            ui.checkbox(&mut row.ticked, text)
                                .on_hover_text(format!("{full}\nUntick to leave this row alone"));
                        });
                        egui::ComboBox::from_id_salt(("ferry-sync-action", i))
                            .width(110.0)
                            .selected_text(row.action.label())
                            .show_ui(ui, |ui| {
                                for choice in row.choices() {
                                    ui.selectable_value(&mut row.action, choice, choice.label());
                                }
                            });
                        ui.weak(row.reason.label());
                        if row.bytes() > 0 {
                            ui.weak(crate::ui::format::human_size(row.bytes()));
                        }
                    });
                }
            });
        let totals = prepared.plan.totals();
        ui.horizontal(|ui| {
            if *confirm_deletes {
                ui.colored_label(
                    danger,
                    format!(
                        "Delete {} for good (folders with everything in them)?",
                        crate::ui::format::count(totals.deletes(), "item", "items")
                    ),
                );
                if ui.button("Delete and run").clicked() {
                    *commands = run_commands(job, prepared);
                    *confirm_deletes = false;
                }
                if ui.button("Keep them").clicked() {
                    *confirm_deletes = false;
                }
            } else if ui
                .add_enabled(!totals.is_nothing(), egui::Button::new("Run"))
                .on_hover_text("Send the ticked rows to the transfer queue")
                .clicked()
            {
                if totals.deletes() > 0 {
                    *confirm_deletes = true;
                } else {
                    *commands = run_commands(job, prepared);
                }
            }
        });
        if !commands.is_empty() {
            use crate::ui::format::count;
            self.result = Some(format!(
                "Queued {}, {} and {}: follow them in the transfer queue.",
                count(totals.upload_files, "upload", "uploads"),
                count(totals.download_files, "download", "downloads"),
                count(totals.deletes(), "delete", "deletes"),
            ));
            let stage = std::mem::replace(&mut self.stage, Stage::Idle);
            if let Stage::Preview { job, prepared, .. } = stage
                && job.state_file.is_some()
                && let Some(login) = login.cloned()
            {
                self.awaiting = Some((job, prepared, login));
            }
        }
    }
}

fn empty_job() -> SyncJob {
    SyncJob {
        local_root: std::path::PathBuf::new(),
        remote_root: Vec::new(),
        walk: WalkOptions::default(),
        options: SyncOptions::default(),
        checksum: false,
        state_file: None,
    }
}

/// The engine commands that carry out the ticked rows: folders new on the
/// target side go to the queue whole (it creates them and copies what is in
/// them) unless a row inside was changed, files go to the queue grouped by
/// target folder, deletes go to the engine's Delete (with its progress).
pub fn run_commands(job: &SyncJob, prepared: &Prepared) -> Vec<Command> {
    let charset = job.walk.charset;
    let rows = &prepared.plan.rows;
    let mut commands = Vec::new();
    let mut groups: Vec<((Direction, AnyPath), Vec<PathItem>)> = Vec::new();
    let mut deletes: Vec<PathItem> = Vec::new();
    let mut whole: Vec<&[u8]> = Vec::new();
    let inside = |dir: &[u8], path: &[u8]| {
        path.len() > dir.len() && path.starts_with(dir) && path[dir.len()] == b'/'
    };
    for (i, row) in rows.iter().enumerate() {
        if !row.will_run() || whole.iter().any(|d| inside(d, &row.path)) {
            continue;
        }
        let Ok(local_file) = local_path(&job.local_root, &row.path, &charset) else {
            continue;
        };
        let remote_file = remote_path(&job.remote_root, &row.path);
        let (direction, source, target) = match row.action {
            Action::Upload => (
                Direction::Upload,
                AnyPath::Local(local_file),
                AnyPath::Remote(remote_file),
            ),
            Action::Download => (
                Direction::Download,
                AnyPath::Remote(remote_file),
                AnyPath::Local(local_file),
            ),
            Action::DeleteLocal => {
                deletes.push(PathItem {
                    path: AnyPath::Local(local_file),
                    is_dir: row.is_dir,
                });
                continue;
            }
            Action::DeleteRemote => {
                deletes.push(PathItem {
                    path: AnyPath::Remote(remote_file),
                    is_dir: row.is_dir,
                });
                continue;
            }
            Action::Skip | Action::Conflict => continue,
        };
        if row.is_dir {
            let untouched = rows[i + 1..]
                .iter()
                .take_while(|r| inside(&row.path, &r.path))
                .all(|r| r.ticked && r.action == row.action);
            if untouched {
                whole.push(&row.path);
            } else {
                commands.push(Command::MakeDir { path: target });
                continue;
            }
        }
        let Some(target_dir) = target.parent() else {
            continue;
        };
        let item = PathItem {
            path: source,
            is_dir: row.is_dir,
        };
        match groups
            .iter_mut()
            .find(|((d, t), _)| *d == direction && *t == target_dir)
        {
            Some((_, items)) => items.push(item),
            None => groups.push(((direction, target_dir), vec![item])),
        }
    }
    for ((direction, target_dir), sources) in groups {
        // The preview already decided which files replace which: the
        // queue must not ask again whether they may.
        commands.push(Command::Enqueue {
            direction,
            sources,
            target_dir,
            on_existing: Some(OnExisting::Overwrite),
        });
    }
    if !deletes.is_empty() {
        commands.push(Command::Delete { paths: deletes });
    }
    commands
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::Tree;
    use crate::sync::plan::{Checksums, plan};
    use crate::sync::tree::Node;

    fn prepared(local: &[(&str, Node)]) -> (SyncJob, Prepared) {
        let tree = |nodes: &[(&str, Node)]| Tree {
            nodes: nodes
                .iter()
                .map(|(p, n)| (p.as_bytes().to_vec(), *n))
                .collect(),
            ..Tree::default()
        };
        let job = SyncJob {
            local_root: "/l".into(),
            remote_root: b"/r".to_vec(),
            ..empty_job()
        };
        let (local, remote) = (tree(local), Tree::default());
        let plan = plan(&local, &remote, &job.options, &Checksums::new());
        let prepared = Prepared {
            plan,
            local,
            remote,
            notes: Vec::new(),
            checksummed: 0,
            state: Default::default(),
        };
        (job, prepared)
    }

    fn file() -> Node {
        Node::File(crate::sync::FileInfo {
            size: Some(1),
            modified: None,
            precision: crate::sync::TimePrecision::Second,
        })
    }

    #[test]
    fn a_new_folder_goes_to_the_queue_whole_unless_a_row_inside_changed() {
        let (job, mut p) = prepared(&[
            ("d", Node::Dir),
            ("d/a", file()),
            ("d/b", file()),
            ("top", file()),
        ]);
        let commands = run_commands(&job, &p);
        let summary: Vec<String> = commands.iter().map(|c| format!("{c:?}")).collect();
        assert_eq!(commands.len(), 1, "{summary:?}");
        let Command::Enqueue {
            sources,
            target_dir,
            ..
        } = &commands[0]
        else {
            panic!("{summary:?}");
        };
        assert_eq!(*target_dir, AnyPath::Remote(b"/r".to_vec()));
        assert_eq!(sources.len(), 2, "the folder and top: {summary:?}");
        assert!(
            sources
                .iter()
                .any(|s| s.is_dir && s.path == AnyPath::Local("/l/d".into()))
        );

        // Untick d/b: the folder is made, and only d/a is copied into it.
        p.plan.rows[2].ticked = false;
        let commands = run_commands(&job, &p);
        assert!(
            matches!(&commands[0], Command::MakeDir { path } if *path == AnyPath::Remote(b"/r/d".to_vec()))
        );
        let copied: Vec<&AnyPath> = commands
            .iter()
            .filter_map(|c| match c {
                Command::Enqueue { sources, .. } => Some(sources.iter().map(|s| &s.path)),
                _ => None,
            })
            .flatten()
            .collect();
        assert_eq!(
            copied,
            vec![
                &AnyPath::Local("/l/d/a".into()),
                &AnyPath::Local("/l/top".into())
            ]
        );
    }
}
