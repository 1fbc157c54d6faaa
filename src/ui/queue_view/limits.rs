//! Speed limits in the queue panel: the "Speed limit" switch for the limits
//! set in Preferences, each job's own limit (the context menu's "Speed
//! limit…" and its small window), and the status line's note of what holds.

use eframe::egui;
use rustc_hash::FxHashMap;

use super::QueueView;
use crate::engine::Command;
use crate::engine::rate_limit::{SpeedLimitCommand, describe_rate, parse_limit_field};
use crate::prefs::SpeedLimits;

/// Labels the tests find widgets by.
pub mod label {
    pub const TOGGLE: &str = "Speed limit";
    pub const MENU: &str = "Speed limit…";
    pub const FIELD: &str = "Limit for the selected transfers";
    pub const SET: &str = "Set limit";
    pub const NONE: &str = "No limit";
    pub const CANCEL: &str = "Cancel";
}

/// The panel's speed-limit state.
#[derive(Debug, Default)]
pub struct Limits {
    /// The limits in Preferences (the app keeps this in step).
    pub global: SpeedLimits,
    /// The switch was flipped: the app applies and saves it.
    toggled: Option<bool>,
    /// Each job's own limit (bytes per second), as the engine confirmed it.
    jobs: FxHashMap<u64, u64>,
    /// The "Speed limit…" window, while open.
    dialog: Option<LimitDialog>,
}

#[derive(Debug)]
struct LimitDialog {
    ids: Vec<u64>,
    text: String,
}

impl QueueView {
    /// The engine gave these jobs this limit of their own (None: took it away).
    pub fn set_job_limits(&mut self, ids: &[u64], limit: Option<u64>) {
        for &id in ids {
            match limit {
                Some(rate) => self.limits.jobs.insert(id, rate),
                None => self.limits.jobs.remove(&id),
            };
        }
    }

    /// A job's own limit, if it has one.
    pub fn job_limit(&self, id: u64) -> Option<u64> {
        self.limits.jobs.get(&id).copied()
    }

    pub(super) fn forget_limits(&mut self, ids: &[u64]) {
        for id in ids {
            self.limits.jobs.remove(id);
        }
    }

    /// The "Speed limit" switch was flipped this frame: whether it is now on.
    pub fn take_speed_toggle(&mut self) -> Option<bool> {
        self.limits.toggled.take()
    }

    /// What the status line says while a global limit holds, e.g.
    /// `Limit: 2 MiB/s down, 500 KiB/s up`.
    pub fn limit_status(&self) -> Option<String> {
        let active = self.limits.global.active();
        let parts: Vec<String> = [(active.download, "down"), (active.upload, "up")]
            .into_iter()
            .filter_map(|(rate, way)| rate.map(|r| format!("{} {way}", describe_rate(r))))
            .collect();
        (!parts.is_empty()).then(|| format!("Limit: {}", parts.join(", ")))
    }

    /// The switch for the limits set in Preferences (off and greyed out
    /// when none is set), with the limits in its tooltip.
    pub(super) fn speed_toggle_ui(&mut self, ui: &mut egui::Ui) {
        let global = self.limits.global;
        let rate = |r: u64| {
            if r == 0 {
                "none".to_string()
            } else {
                describe_rate(r)
            }
        };
        let mut on = global.enabled && global.any_set();
        let tip = if global.any_set() {
            format!(
                "Download {}, upload {} (all transfers together). Change them in Edit → Preferences → Speed limits",
                rate(global.download),
                rate(global.upload)
            )
        } else {
            "No limit is set: set one in Edit → Preferences → Speed limits".to_string()
        };
        let response = ui
            .add_enabled(
                global.any_set(),
                egui::Checkbox::new(&mut on, label::TOGGLE),
            )
            .on_hover_text(&tip)
            .on_disabled_hover_text(&tip);
        if response.changed() {
            self.limits.global.enabled = on;
            self.limits.toggled = Some(on);
            ui.ctx().request_repaint();
        }
    }

    /// Open the "Speed limit…" window for these jobs.
    pub(super) fn open_limit_dialog(&mut self, ids: Vec<u64>) {
        let current: Vec<Option<u64>> = ids.iter().map(|id| self.job_limit(*id)).collect();
        // Show the jobs' limit when they agree on one.
        let text = match current.first() {
            Some(Some(rate)) if current.iter().all(|c| *c == Some(*rate)) => {
                crate::engine::rate_limit::limit_field_text(*rate)
            }
            _ => String::new(),
        };
        self.limits.dialog = Some(LimitDialog { ids, text });
    }

    /// The "Speed limit…" window: a rate for the chosen jobs, or none.
    pub(super) fn limit_dialog_ui(&mut self, ctx: &egui::Context, commands: &mut Vec<Command>) {
        let Some(dialog) = self.limits.dialog.as_mut() else {
            return;
        };
        let mut close = false;
        let mut set = None;
        let modal = egui::Modal::new(egui::Id::unique("queue-speed-limit")).show(ctx, |ui| {
            ui.set_max_width(420.0);
            ui.heading("Speed limit");
            ui.label(format!(
                "For {}, on top of the global limit (whichever is lower holds). A folder's files share its limit.",
                super::format::count(dialog.ids.len() as u64, "transfer", "transfers")
            ));
            ui.add_space(4.0);
            let enter = ui
                .horizontal(|ui| {
                    let l = ui.label(label::FIELD);
                    let edit = ui
                        .add(
                            egui::TextEdit::singleline(&mut dialog.text)
                                .hint_text("e.g. 500 (KiB/s), 500K, 2M")
                                .desired_width(140.0),
                        )
                        .labelled_by(l.id);
                    edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter))
                })
                .inner;
            let parsed = parse_limit_field(&dialog.text);
            if enter && let Ok(rate) = parsed {
                set = Some((rate > 0).then_some(rate));
            }
            match &parsed {
                Err(e) => {
                    ui.colored_label(ui.visuals().error_fg_color, e);
                }
                Ok(0) => {
                    ui.weak("Empty: no limit of their own");
                }
                Ok(rate) => {
                    ui.weak(describe_rate(*rate));
                }
            }
            ui.add_space(6.0);
            ui.horizontal(|ui| {
                if ui
                    .add_enabled(parsed.is_ok(), egui::Button::new(label::SET))
                    .clicked()
                    && let Ok(rate) = parsed
                {
                    set = Some((rate > 0).then_some(rate));
                }
                if ui
                    .button(label::NONE)
                    .on_hover_text("Take away their own limit; the global one still holds")
                    .clicked()
                {
                    set = Some(None);
                }
                if ui.button(label::CANCEL).clicked() {
                    close = true;
                }
            });
        });
        if modal.should_close() {
            close = true;
        }
        if let Some(limit) = set {
            commands.push(Command::SpeedLimit(SpeedLimitCommand::Jobs {
                ids: dialog.ids.clone(),
                limit,
            }));
            close = true;
        }
        if close {
            self.limits.dialog = None;
        }
    }

    /// Whether the "Speed limit…" window is open.
    pub fn limit_dialog_open(&self) -> bool {
        self.limits.dialog.is_some()
    }
}
