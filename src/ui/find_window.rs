//! Find files (Ctrl+F): conditions (name pattern or regular expression,
//! case, size range, modified before/after, files or folders), a depth
//! limit, Start and Cancel. The search runs on a connection of its own (or
//! a thread, for the local pane), so browsing stays free; results are
//! listed as they come, with progress, and the selection can be downloaded
//! (or uploaded), deleted, copied, or opened in the pane. The window
//! returns [`FindIntent`]s; the app carries them out.

use std::collections::BTreeSet;

use chrono::NaiveDateTime;
use eframe::egui::{self, RichText};

use crate::engine::find::{
    Criteria, FindOptions, FindProgress, FindUpdate, Hit, KindFilter, NamePattern, Searching,
    parse_day, parse_size,
};
use crate::engine::{AnyPath, PathItem, Side};
use crate::ftp::NameCharset;

/// What the window asks of the app.
#[must_use]
#[derive(Debug)]
pub enum FindIntent {
    /// Start searching below [`FindWindow::folder`] with these conditions.
    Start(Box<FindOptions>),
    /// Queue these results for transfer to the other pane's folder.
    Transfer(Vec<PathItem>),
    /// Delete these results (the window has asked for confirmation).
    Delete(Vec<PathItem>),
    /// Show this folder in its pane, with `name` selected.
    OpenFolder { folder: AnyPath, name: Vec<u8> },
    /// Put these paths on the clipboard, one a line.
    CopyPaths(Vec<AnyPath>),
}

/// The search's state.
enum Run {
    Idle,
    Running(Searching),
}

/// The window and its results.
pub struct FindWindow {
    pub open: bool,
    /// The pane searched.
    pub side: Side,
    /// The folder the search starts from.
    pub folder: Option<AnyPath>,
    /// The name condition; empty finds every name.
    pub name: String,
    /// Read `name` as a regular expression instead of a shell pattern.
    pub regex: bool,
    pub case_sensitive: bool,
    pub kind: KindFilter,
    /// Sizes as typed: bytes, or with K, M, G, T.
    pub min_size: String,
    pub max_size: String,
    /// Days as typed, YYYY-MM-DD.
    pub after: String,
    pub before: String,
    /// Folder levels to look into; empty for no limit.
    pub depth: String,
    pub results: Vec<Hit>,
    /// Indices into `results`.
    pub selected: BTreeSet<usize>,
    anchor: Option<usize>,
    pub progress: FindProgress,
    /// Folders that could not be listed, names refused, links not followed.
    pub skipped: Vec<String>,
    /// How the last search ended, or why it could not start.
    pub status: Option<String>,
    /// The selection to delete, waiting for "Delete" in the question.
    pub confirm_delete: Option<Vec<PathItem>>,
    run: Run,
    /// Remote names are decoded with this.
    pub charset: NameCharset,
}

impl Default for FindWindow {
    fn default() -> Self {
        FindWindow {
            open: false,
            side: Side::Remote,
            folder: None,
            name: String::new(),
            regex: false,
            case_sensitive: false,
            kind: KindFilter::Both,
            min_size: String::new(),
            max_size: String::new(),
            after: String::new(),
            before: String::new(),
            depth: String::new(),
            results: Vec::new(),
            selected: BTreeSet::new(),
            anchor: None,
            progress: FindProgress::default(),
            skipped: Vec::new(),
            status: None,
            confirm_delete: None,
            run: Run::Idle,
            charset: NameCharset::default(),
        }
    }
}

impl FindWindow {
    /// Open the window to search `side` from `folder`. A search under way
    /// for another folder keeps running until Start or Cancel.
    pub fn open_for(&mut self, side: Side, folder: AnyPath, charset: NameCharset) {
        self.open = true;
        if !self.is_running() {
            self.side = side;
            self.folder = Some(folder);
            self.charset = charset;
        }
    }

    /// Whether a search is under way.
    pub fn is_running(&self) -> bool {
        matches!(self.run, Run::Running(_))
    }

    /// A search was started (by the app) for the window's conditions.
    pub fn begin(&mut self, searching: Searching) {
        self.results.clear();
        self.selected.clear();
        self.anchor = None;
        self.skipped.clear();
        self.progress = FindProgress::default();
        self.status = None;
        self.run = Run::Running(searching);
    }

    /// The search could not start.
    pub fn failed_to_start(&mut self, why: String) {
        self.status = Some(why);
    }

    /// Stop the search; what was found stays.
    pub fn cancel(&mut self) {
        if let Run::Running(s) = &self.run {
            s.cancel();
        }
    }

    /// The conditions as typed, checked: what is wrong, field first.
    pub fn options(&self) -> Result<FindOptions, String> {
        let name = if self.regex {
            NamePattern::regex(&self.name, self.case_sensitive)?
        } else {
            NamePattern::glob(&self.name, self.case_sensitive)?
        };
        let size = |label: &str, text: &str| -> Result<Option<u64>, String> {
            let text = text.trim();
            if text.is_empty() {
                return Ok(None);
            }
            parse_size(text)
                .map(Some)
                .map_err(|e| format!("{label}: {e}"))
        };
        let day = |label: &str, text: &str| -> Result<Option<NaiveDateTime>, String> {
            let text = text.trim();
            if text.is_empty() {
                return Ok(None);
            }
            parse_day(text)
                .map(Some)
                .map_err(|e| format!("{label}: {e}"))
        };
        let min_size = size("At least", &self.min_size)?;
        let max_size = size("At most", &self.max_size)?;
        if let (Some(a), Some(b)) = (min_size, max_size)
            && a > b
        {
            return Err("Size: the smallest size is larger than the largest".into());
        }
        let modified_after = day("Modified after", &self.after)?;
        // "Before" a day means before it starts.
        let modified_before = day("Modified before", &self.before)?;
        let max_depth = match self.depth.trim() {
            "" => None,
            text => match text.parse::<u32>() {
                Ok(n) if n >= 1 => Some(n),
                _ => {
                    return Err(format!(
                        "Depth: expected a number of levels (1 or more), or empty for no limit: {text}"
                    ));
                }
            },
        };
        Ok(FindOptions {
            criteria: Criteria {
                name,
                kind: self.kind,
                min_size,
                max_size,
                modified_after,
                modified_before,
            },
            max_depth,
            charset: self.charset,
            time_offset: None,
        })
    }

    /// Take what the search sent since the last frame.
    fn poll(&mut self) {
        let Run::Running(searching) = &self.run else {
            return;
        };
        let mut done = None;
        while let Ok(update) = searching.updates.try_recv() {
            match update {
                FindUpdate::Hits(hits) => self.results.extend(hits),
                FindUpdate::Progress(p) => self.progress = p,
                FindUpdate::Skipped(why) => self.skipped.push(why),
                FindUpdate::Done(result) => done = Some(result),
            }
        }
        if let Some(result) = done {
            let found = crate::ui::format::count(self.results.len() as u64, "match", "matches");
            self.status = Some(match result {
                Ok(_) => format!("Done: {found}"),
                Err(e) if e == "cancelled" => format!("Cancelled: {found} so far"),
                Err(e) => format!("Stopped: {e}"),
            });
            self.run = Run::Idle;
        }
    }

    fn display(&self, path: &AnyPath) -> String {
        match path {
            AnyPath::Remote(p) => self.charset.decode(p).into_owned(),
            AnyPath::Local(p) => p.display().to_string(),
        }
    }

    /// The selected results, in list order.
    pub fn selected_items(&self) -> Vec<PathItem> {
        self.selected
            .iter()
            .filter_map(|&i| self.results.get(i))
            .map(|h| PathItem {
                path: h.path.clone(),
                is_dir: h.is_dir,
            })
            .collect()
    }

    /// Forget results the app deleted.
    pub fn remove_results(&mut self, gone: &[PathItem]) {
        self.results
            .retain(|h| !gone.iter().any(|g| g.path == h.path));
        self.selected.clear();
        self.anchor = None;
    }

    fn click(&mut self, i: usize, modifiers: egui::Modifiers) {
        if modifiers.shift
            && let Some(a) = self.anchor
        {
            let (lo, hi) = if a <= i { (a, i) } else { (i, a) };
            if !modifiers.command {
                self.selected.clear();
            }
            self.selected.extend(lo..=hi);
            return;
        }
        if modifiers.command {
            if !self.selected.remove(&i) {
                self.selected.insert(i);
            }
        } else {
            self.selected.clear();
            self.selected.insert(i);
        }
        self.anchor = Some(i);
    }

    /// One frame: take the search's news, draw the window, return what the
    /// user asked for.
    pub fn ui(&mut self, ctx: &egui::Context) -> Vec<FindIntent> {
        self.poll();
        let mut intents = Vec::new();
        if !self.open {
            return intents;
        }
        let mut open = self.open;
        egui::Window::new("Find files")
            .id(egui::Id::unique("ferry-find-window"))
            .open(&mut open)
            .default_size([760.0, 480.0])
            .default_pos([260.0, 160.0])
            .resizable(true)
            .show(ctx, |ui| {
                self.conditions_ui(ui, &mut intents);
                ui.separator();
                self.results_ui(ui, &mut intents);
            });
        if !open {
            self.open = false;
            self.cancel();
        }
        if let Some(items) = self.confirm_delete.clone() {
            self.confirm_ui(ctx, items, &mut intents);
        }
        intents
    }

    fn conditions_ui(&mut self, ui: &mut egui::Ui, intents: &mut Vec<FindIntent>) {
        let folder = self
            .folder
            .as_ref()
            .map_or_else(|| "(no folder)".to_string(), |f| self.display(f));
        let side = match self.side {
            Side::Local => "local",
            Side::Remote => "remote",
        };
        ui.label(format!("Search the {side} folder {folder}"));
        let running = self.is_running();
        egui::Grid::new("ferry-find-conditions")
            .num_columns(2)
            .spacing([10.0, 6.0])
            .show(ui, |ui| {
                let l = ui.label("Name matches");
                ui.horizontal(|ui| {
                    let hint = if self.regex {
                        "regular expression, e.g. ^report-\\d+\\.csv$"
                    } else {
                        "pattern, e.g. *.log (empty: every name)"
                    };
                    let r = ui
                        .add(
                            egui::TextEdit::singleline(&mut self.name)
                                .hint_text(hint)
                                .desired_width(280.0),
                        )
                        .labelled_by(l.id);
                    if r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) && !running {
                        self.start(intents);
                    }
                    ui.checkbox(&mut self.regex, "Regular expression");
                    ui.checkbox(&mut self.case_sensitive, "Match case");
                });
                ui.end_row();
                ui.label("Find");
                ui.horizontal(|ui| {
                    for (kind, label) in [
                        (KindFilter::Both, "Files and folders"),
                        (KindFilter::Files, "Files"),
                        (KindFilter::Folders, "Folders"),
                    ] {
                        ui.radio_value(&mut self.kind, kind, label);
                    }
                });
                ui.end_row();
                ui.label("Size");
                ui.horizontal(|ui| {
                    field(ui, "At least", &mut self.min_size, "e.g. 10K", 80.0);
                    field(ui, "At most", &mut self.max_size, "e.g. 5M", 80.0);
                });
                ui.end_row();
                ui.label("Modified");
                ui.horizontal(|ui| {
                    field(ui, "After", &mut self.after, "YYYY-MM-DD", 100.0);
                    field(ui, "Before", &mut self.before, "YYYY-MM-DD", 100.0);
                });
                ui.end_row();
                let l = ui.label("Depth");
                ui.horizontal(|ui| {
                    ui.add(
                        egui::TextEdit::singleline(&mut self.depth)
                            .hint_text("no limit")
                            .desired_width(60.0),
                    )
                    .labelled_by(l.id)
                    .on_hover_text("How many folder levels to look into: 1 is this folder only");
                    ui.label(RichText::new("folder levels").weak());
                });
                ui.end_row();
            });
        ui.horizontal(|ui| {
            if ui
                .add_enabled(!running, egui::Button::new("Start"))
                .on_hover_text("Search from the folder with these conditions")
                .clicked()
            {
                self.start(intents);
            }
            if ui
                .add_enabled(running, egui::Button::new("Cancel"))
                .on_hover_text("Stop searching; what was found stays")
                .clicked()
            {
                self.cancel();
            }
            if running {
                ui.spinner();
            }
            let p = self.progress;
            ui.label(format!(
                "{} walked, {} seen, {}",
                crate::ui::format::count(p.folders, "folder", "folders"),
                crate::ui::format::count(p.entries, "entry", "entries"),
                crate::ui::format::count(self.results.len() as u64, "match", "matches"),
            ));
        });
        if let Some(status) = &self.status {
            ui.label(status);
        }
        if !self.skipped.is_empty() {
            let n = self.skipped.len() as u64;
            ui.collapsing(
                RichText::new(format!(
                    "{} left out",
                    crate::ui::format::count(n, "entry", "entries")
                ))
                .color(ui.visuals().warn_fg_color),
                |ui| {
                    egui::ScrollArea::vertical()
                        .id_salt("ferry-find-skipped")
                        .max_height(80.0)
                        .show(ui, |ui| {
                            for why in &self.skipped {
                                ui.label(RichText::new(why).small());
                            }
                        });
                },
            );
        }
    }

    fn start(&mut self, intents: &mut Vec<FindIntent>) {
        match self.options() {
            Ok(options) => {
                self.status = None;
                intents.push(FindIntent::Start(Box::new(options)));
            }
            Err(why) => self.status = Some(why),
        }
    }

    fn results_ui(&mut self, ui: &mut egui::Ui, intents: &mut Vec<FindIntent>) {
        let items = self.selected_items();
        let any = !items.is_empty();
        let transfer = match self.side {
            Side::Remote => "Download",
            Side::Local => "Upload",
        };
        ui.horizontal(|ui| {
            if ui
                .add_enabled(any, egui::Button::new(transfer))
                .on_hover_text("Queue the selection for the other pane's folder")
                .clicked()
            {
                intents.push(FindIntent::Transfer(items.clone()));
            }
            if ui
                .add_enabled(any, egui::Button::new("Delete…"))
                .on_hover_text("Delete the selection (folders with everything in them)")
                .clicked()
            {
                self.confirm_delete = Some(items.clone());
            }
            if ui
                .add_enabled(
                    items.len() == 1,
                    egui::Button::new("Open containing folder"),
                )
                .on_hover_text("Show the folder holding it in the pane")
                .clicked()
                && let Some(i) = self.open_intent(&items[0])
            {
                intents.push(i);
            }
            if ui
                .add_enabled(any, egui::Button::new("Copy paths"))
                .on_hover_text("Copy the selected paths, one a line")
                .clicked()
            {
                intents.push(FindIntent::CopyPaths(
                    items.iter().map(|i| i.path.clone()).collect(),
                ));
            }
        });
        let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
        let width = ui.available_width();
        let mut clicked: Option<(usize, egui::Modifiers)> = None;
        let mut context: Option<FindIntent> = None;
        let mut ask_delete = None;
        egui::ScrollArea::both()
            .id_salt("ferry-find-results")
            .auto_shrink([false, false])
            .show_rows(ui, row_height, self.results.len(), |ui, rows| {
                for i in rows {
                    let Some(hit) = self.results.get(i) else {
                        continue;
                    };
                    let path = self.display(&hit.path);
                    let shown = if hit.is_dir { format!("{path}/") } else { path };
                    let size = match (hit.is_dir, hit.size) {
                        (true, _) => "folder".to_string(),
                        (false, Some(s)) => crate::ui::format::human_size(s),
                        (false, None) => String::new(),
                    };
                    let date = hit
                        .modified
                        .map(|t| {
                            let local = chrono::DateTime::<chrono::Utc>::from_naive_utc_and_offset(
                                t,
                                chrono::Utc,
                            )
                            .with_timezone(&chrono::Local)
                            .naive_local();
                            crate::ui::format::modified(local)
                        })
                        .unwrap_or_default();
                    let selected = self.selected.contains(&i);
                    ui.horizontal(|ui| {
                        let r = ui.add_sized(
                            [(width - 260.0).max(200.0), row_height],
                            // The grow atom after the path keeps it at the left.
                            egui::Button::selectable(selected, (shown, egui::Atom::grow()))
                                .truncate(),
                        );
                        ui.add_sized([90.0, row_height], egui::Label::new(size).selectable(false));
                        ui.add_sized(
                            [130.0, row_height],
                            egui::Label::new(date).selectable(false),
                        );
                        if r.clicked() {
                            clicked = Some((i, ui.input(|inp| inp.modifiers)));
                        }
                        if r.double_clicked() {
                            let item = PathItem {
                                path: hit.path.clone(),
                                is_dir: hit.is_dir,
                            };
                            context = self.open_intent(&item);
                        }
                        if r.secondary_clicked() && !selected {
                            clicked = Some((i, egui::Modifiers::NONE));
                        }
                        r.context_menu(|ui| {
                            let items = if selected {
                                self.selected_items()
                            } else {
                                vec![PathItem {
                                    path: hit.path.clone(),
                                    is_dir: hit.is_dir,
                                }]
                            };
                            if ui.button(transfer).clicked() {
                                context = Some(FindIntent::Transfer(items.clone()));
                            }
                            if ui.button("Delete…").clicked() {
                                ask_delete = Some(items.clone());
                            }
                            if ui
                                .add_enabled(
                                    items.len() == 1,
                                    egui::Button::new("Open containing folder"),
                                )
                                .clicked()
                            {
                                context = self.open_intent(&items[0]);
                            }
                            if ui.button("Copy paths").clicked() {
                                context = Some(FindIntent::CopyPaths(
                                    items.iter().map(|i| i.path.clone()).collect(),
                                ));
                            }
                        });
                    });
                }
            });
        if let Some((i, modifiers)) = clicked {
            self.click(i, modifiers);
        }
        if let Some(items) = ask_delete {
            self.confirm_delete = Some(items);
        }
        intents.extend(context);
    }

    fn open_intent(&self, item: &PathItem) -> Option<FindIntent> {
        let folder = item.path.parent()?;
        Some(FindIntent::OpenFolder {
            folder,
            name: item.path.file_name(),
        })
    }

    fn confirm_ui(
        &mut self,
        ctx: &egui::Context,
        items: Vec<PathItem>,
        intents: &mut Vec<FindIntent>,
    ) {
        let mut answer = None;
        egui::Modal::new(egui::Id::unique("ferry-find-confirm-delete")).show(ctx, |ui| {
            ui.set_max_width(460.0);
            ui.heading("Delete?");
            let folders = items.iter().filter(|i| i.is_dir).count();
            let mut text = format!(
                "Delete {}?",
                match items.as_slice() {
                    [one] => self.display(&one.path),
                    many => crate::ui::format::count(many.len() as u64, "item", "items"),
                }
            );
            if folders > 0 {
                text.push_str(" Folders are deleted with everything in them.");
            }
            ui.label(text);
            ui.horizontal(|ui| {
                if ui.button("Delete").clicked() || ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                    answer = Some(true);
                }
                if ui.button("Cancel").clicked() || ui.input(|i| i.key_pressed(egui::Key::Escape)) {
                    answer = Some(false);
                }
            });
        });
        match answer {
            Some(true) => {
                self.confirm_delete = None;
                intents.push(FindIntent::Delete(items));
            }
            Some(false) => self.confirm_delete = None,
            None => {}
        }
    }
}

/// A small labelled text field.
fn field(ui: &mut egui::Ui, label: &str, text: &mut String, hint: &str, width: f32) {
    let l = ui.label(label);
    ui.add(
        egui::TextEdit::singleline(text)
            .hint_text(hint)
            .desired_width(width),
    )
    .labelled_by(l.id);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_are_checked_with_the_field_named() {
        let mut w = FindWindow {
            min_size: "10Q".into(),
            ..FindWindow::default()
        };
        assert!(w.options().expect_err("bad size").starts_with("At least"));
        w.min_size = "2K".into();
        w.max_size = "1K".into();
        assert!(w.options().expect_err("inverted").starts_with("Size"));
        w.max_size.clear();
        w.after = "yesterday".into();
        assert!(
            w.options()
                .expect_err("bad date")
                .starts_with("Modified after")
        );
        w.after = "2024-01-01".into();
        w.depth = "0".into();
        assert!(w.options().expect_err("depth 0").starts_with("Depth"));
        w.depth = "3".into();
        w.regex = true;
        w.name = "(".into();
        assert!(w.options().is_err());
        w.name = "^a".into();
        let o = w.options().expect("valid");
        assert_eq!(o.max_depth, Some(3));
        assert_eq!(o.criteria.min_size, Some(2048));
    }

    #[test]
    fn shift_and_ctrl_clicks_extend_the_selection() {
        let mut w = FindWindow::default();
        w.click(1, egui::Modifiers::NONE);
        w.click(4, egui::Modifiers::SHIFT);
        assert_eq!(w.selected.iter().copied().collect::<Vec<_>>(), [1, 2, 3, 4]);
        w.click(2, egui::Modifiers::COMMAND);
        assert_eq!(w.selected.iter().copied().collect::<Vec<_>>(), [1, 3, 4]);
        w.click(0, egui::Modifiers::NONE);
        assert_eq!(w.selected.iter().copied().collect::<Vec<_>>(), [0]);
    }
}
