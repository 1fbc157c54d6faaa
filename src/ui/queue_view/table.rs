//! The transfer list's rows: only those in view are laid out. The whole row
//! is the click target (its text, progress bar and arrow included): a click
//! selects, Ctrl+click adds or takes away, Shift+click selects a range, and
//! a right click opens the menu for the selection, in the file panes' style.

use eframe::egui::{self, Align, Label, Layout, Sense, TextStyle};
use egui_extras::{Column, TableBuilder};

use super::{QueueSort, QueueTab, QueueView, eta, format};
use crate::engine::rate_limit::describe_rate;
use crate::engine::{Command, Direction, JobState, JobView, MoveTo, Priority};

/// How a row was clicked.
#[derive(Clone, Copy)]
struct Click {
    id: u64,
    /// Ctrl (Cmd) held: add or take away.
    toggle: bool,
    /// Shift held: the range from the anchor.
    range: bool,
}

impl QueueView {
    pub(super) fn table_ui(&mut self, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
        let tab = self.tab;
        self.shown_rows();
        let rows = self.shown_now();
        if rows.is_empty() {
            let filtered = self.count(tab) > 0;
            ui.add_space(8.0);
            ui.vertical_centered(|ui| {
                ui.weak(match tab {
                    _ if filtered => "No transfers in this tab match the filter",
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
        let mut clicked: Option<Click> = None;
        let mut menu: Option<u64> = None;
        let mut sort_clicked: Option<QueueSort> = None;
        let sort = self.sort;
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
            .column(
                Column::initial(110.0)
                    .at_least(50.0)
                    .clip(true)
                    .resizable(true),
            )
            .column(Column::exact(70.0))
            .column(Column::exact(110.0))
            .column(Column::exact(80.0))
            .column(Column::exact(80.0))
            .column(Column::remainder().at_least(100.0).clip(true))
            .header(row_height, |mut h| {
                for (title, column) in HEADERS {
                    h.col(|ui| match column {
                        Some(column) => {
                            let sorted = sort.filter(|(c, _)| *c == column);
                            let right = column == QueueSort::Size;
                            let ascending = sorted.is_none_or(|(_, a)| a);
                            if crate::ui::pane::sort_header(
                                ui,
                                title,
                                right,
                                sorted.is_some(),
                                ascending,
                            )
                            .clicked()
                            {
                                sort_clicked = Some(column);
                            }
                        }
                        None => {
                            ui.strong(title);
                        }
                    });
                }
            })
            .body(|body| {
                // Only the rows in view are laid out.
                body.rows(row_height, rows.len(), |mut row| {
                    let Some(job) = self.jobs.get(&rows[row.index()]) else {
                        return;
                    };
                    row.set_selected(self.selected.contains(&job.id));
                    let rate = self.job_rate(job.id);
                    row.col(|ui| direction_arrow(ui, job.direction));
                    let (local, remote) = match job.direction {
                        Direction::Download => (&job.target, &job.source),
                        Direction::Upload => (&job.source, &job.target),
                    };
                    row.col(|ui| {
                        // Names in every script, not selectable: a click is the row's.
                        let name = format::name(ui, local.display().to_string());
                        text(ui, name).on_hover_text(local.display());
                    });
                    row.col(|ui| {
                        let name = format::name(ui, remote.display().to_string());
                        text(ui, name).on_hover_text(format!(
                            "{} on {}",
                            remote.display(),
                            job.site
                        ));
                    });
                    row.col(|ui| {
                        text(ui, format::name(ui, job.site.clone()));
                    });
                    row.col(|ui| {
                        if let Some(size) = job.size {
                            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                                text(ui, format::human_size(size))
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
                    let timing = timing_cells(job, rate);
                    let limit = self.job_limit(job.id).map(describe_rate);
                    row.col(|ui| match (timing.speed, limit) {
                        (Some(speed), Some(limit)) => {
                            text(ui, speed).on_hover_text(format!("Limited to {limit}"));
                        }
                        (Some(speed), None) => {
                            text(ui, speed);
                        }
                        (None, Some(limit)) => {
                            text(ui, format!("max {limit}"))
                                .on_hover_text("This transfer's own speed limit");
                        }
                        (None, None) => {}
                    });
                    row.col(|ui| {
                        if let Some((time, hover)) = timing.time {
                            text(ui, time).on_hover_text(hover);
                        }
                    });
                    row.col(|ui| {
                        let cell = state_cell(job);
                        let label = if cell.is_error {
                            ui.add(
                                Label::new(
                                    egui::RichText::new(cell.text)
                                        .color(ui.visuals().error_fg_color),
                                )
                                .selectable(false),
                            )
                        } else {
                            text(ui, cell.text)
                        };
                        if let Some(hover) = cell.hover {
                            label.on_hover_text(hover);
                        }
                    });
                    let response = row.response();
                    if response.clicked() {
                        let modifiers = response.ctx.input(|i| i.modifiers);
                        clicked = Some(Click {
                            id: job.id,
                            toggle: modifiers.command,
                            range: modifiers.shift,
                        });
                    }
                    if response.secondary_clicked() {
                        menu = Some(job.id);
                    }
                });
            });
        if let Some(column) = sort_clicked {
            self.click_sort(column);
        }
        if let Some(click) = clicked {
            self.click(click);
        }
        if let Some(id) = menu {
            if !self.selected.contains(&id) {
                self.selected.clear();
                self.selected.insert(id);
                self.anchor = Some(id);
            }
            self.menu_ids = self.selected_shown();
        }
        self.context_menu(ui, menu.is_some(), commands);
    }

    /// The selected rows the tab shows, in their shown order: what the
    /// context menu acts on (a row filtered away is not acted on unseen).
    fn selected_shown(&mut self) -> Vec<u64> {
        if self.selected.is_empty() {
            return Vec::new();
        }
        self.shown_rows();
        let rows = self.shown_now();
        rows.iter()
            .copied()
            .filter(|id| self.selected.contains(id))
            .collect()
    }

    fn click(&mut self, click: Click) {
        self.shown_rows();
        let rows = self.shown_now();
        let anchor = self.anchor.filter(|_| click.range);
        let range = anchor.and_then(|a| {
            let from = rows.iter().position(|&r| r == a)?;
            let to = rows.iter().position(|&r| r == click.id)?;
            Some(
                rows.range(from.min(to)..=from.max(to))
                    .copied()
                    .collect::<Vec<_>>(),
            )
        });
        if let Some(range) = range {
            if !click.toggle {
                self.selected.clear();
            }
            self.selected.extend(range);
            return;
        }
        if click.toggle {
            if !self.selected.remove(&click.id) {
                self.selected.insert(click.id);
            }
        } else {
            self.selected.clear();
            self.selected.insert(click.id);
        }
        self.anchor = Some(click.id);
    }

    /// Select every row the tab shows (with a filter: every row it lets through).
    pub fn select_all(&mut self) {
        let rows: Vec<u64> = self.shown_rows().iter().copied().collect();
        self.selected.extend(rows);
    }

    fn context_menu(&mut self, ui: &egui::Ui, open: bool, commands: &mut Vec<Command>) {
        let popup = egui::Popup::new(
            egui::Id::unique("queue-menu"),
            ui.ctx().clone(),
            egui::PopupAnchor::PointerFixed,
            ui.layer_id(),
        )
        .kind(egui::PopupKind::Menu)
        .layout(Layout::top_down_justified(Align::Min))
        .style(egui::containers::menu::menu_style)
        .gap(0.0)
        .open_memory(open.then_some(egui::SetOpenCommand::Bool(true)));
        if !open && !popup.is_open() {
            return;
        }
        let ids = self.menu_ids.clone();
        let tab = self.tab;
        let mut select_all = false;
        let mut limit_for = None;
        popup.show(|ui| {
            let mut item = |ui: &mut egui::Ui, label: &str, command: Command| {
                if ui.button(label).clicked() {
                    commands.push(command);
                    ui.close();
                }
            };
            let remove = if ids.len() == 1 {
                "Remove".to_string()
            } else {
                format!("Remove {}", format::count(ids.len() as u64, "job", "jobs"))
            };
            match tab {
                QueueTab::Queued => {
                    item(ui, "Cancel", Command::CancelJobs { ids: ids.clone() });
                    item(ui, &remove, Command::RemoveJobs { ids: ids.clone() });
                    ui.separator();
                    for (label, to) in [
                        ("Move to top", MoveTo::Top),
                        ("Move up", MoveTo::Up),
                        ("Move down", MoveTo::Down),
                        ("Move to bottom", MoveTo::Bottom),
                    ] {
                        let ids = ids.clone();
                        item(ui, label, Command::MoveJobs { ids, to });
                    }
                    ui.separator();
                    for (label, priority) in [
                        ("Priority: high", Priority::High),
                        ("Priority: normal", Priority::Normal),
                        ("Priority: low", Priority::Low),
                    ] {
                        let ids = ids.clone();
                        item(ui, label, Command::SetPriority { ids, priority });
                    }
                    ui.separator();
                    if ui.button(super::limit_label::MENU).clicked() {
                        limit_for = Some(ids.clone());
                        ui.close();
                    }
                }
                QueueTab::Failed => {
                    item(ui, "Retry", Command::RetryJobs { ids: ids.clone() });
                    item(ui, &remove, Command::RemoveJobs { ids: ids.clone() });
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
                    item(ui, &remove, Command::RemoveJobs { ids: ids.clone() });
                    item(
                        ui,
                        "Clear finished",
                        Command::ClearFinished { failed_too: false },
                    );
                }
            }
            ui.separator();
            if ui.button("Select all").clicked() {
                select_all = true;
                ui.close();
            }
            item(
                ui,
                "Clear all (stop and remove every job)",
                Command::RemoveJobs { ids: Vec::new() },
            );
        });
        if select_all {
            self.select_all();
        }
        if let Some(ids) = limit_for {
            self.open_limit_dialog(ids);
        }
    }
}

/// The columns' titles, and what a click on each sorts by.
const HEADERS: [(&str, Option<QueueSort>); 9] = [
    ("", None),
    ("Local", Some(QueueSort::Local)),
    ("Remote", Some(QueueSort::Remote)),
    ("Server", Some(QueueSort::Server)),
    ("Size", Some(QueueSort::Size)),
    ("Progress", None),
    ("Speed", None),
    ("Time", None),
    ("State", Some(QueueSort::State)),
];

/// A row's text: not selectable, so a click on it is a click on the row.
fn text(ui: &mut egui::Ui, text: impl Into<egui::WidgetText>) -> egui::Response {
    ui.add(Label::new(text).selectable(false))
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

/// What a row's Speed and Time columns say.
pub(super) struct Timing {
    pub(super) speed: Option<String>,
    /// The text, and what hovering it says.
    pub(super) time: Option<(String, String)>,
}

/// A running job: its current speed and the time left (only while it
/// moves); a done one: its average speed and how long it took.
pub(super) fn timing_cells(job: &JobView, rate: Option<f64>) -> Timing {
    let per_s = |r: f64| format!("{}/s", format::human_size(r as u64));
    match (&job.state, job.finished) {
        (JobState::Done, Some(f)) => {
            let secs = f.took.as_secs_f64();
            let speed = (secs > 0.0).then(|| per_s(f.moved as f64 / secs));
            Timing {
                speed,
                time: Some((
                    duration(secs),
                    format!("Took {}, finished {}", duration(secs), clock(f.at)),
                )),
            }
        }
        (JobState::Running, _) => {
            let rate = rate.filter(|r| *r > 0.0);
            let left = rate.zip(job.size).map(|(r, size)| {
                let left = eta(size.saturating_sub(job.bytes) as f64 / r);
                (
                    format!("{left} left"),
                    "Time left at the current speed".into(),
                )
            });
            Timing {
                speed: rate.map(per_s),
                time: left,
            }
        }
        _ => Timing {
            speed: None,
            time: None,
        },
    }
}

/// `0.4 s`, `9.5 s`, then as [`eta`]: `3 min 20 s`.
pub(super) fn duration(secs: f64) -> String {
    if secs < 10.0 {
        format!("{secs:.1} s")
    } else {
        eta(secs)
    }
}

/// A finish time: `14:03:21` today, `2026-12-04 14:03` before.
pub(super) fn clock(at: std::time::SystemTime) -> String {
    let at = chrono::DateTime::<chrono::Local>::from(at);
    if at.date_naive() == chrono::Local::now().date_naive() {
        at.format("%H:%M:%S").to_string()
    } else {
        at.format("%Y-%m-%d %H:%M").to_string()
    }
}

/// What a job's State column says.
pub(super) struct StateCell {
    pub(super) text: String,
    /// The full message, on hover.
    pub(super) hover: Option<String>,
    /// Drawn in the error colour.
    pub(super) is_error: bool,
}

/// A job's state in words: a failure with its reason (in the error colour),
/// a cancelled job as plain "Cancelled" (the user's choice, not an error),
/// with what was kept when something was; a done job with its finish time.
pub(super) fn state_cell(job: &JobView) -> StateCell {
    let mut text = job.state.label();
    if let (JobState::Done, Some(f)) = (&job.state, job.finished) {
        text = format!("Done at {}", clock(f.at));
    }
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
