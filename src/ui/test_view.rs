//! The connection test's window: each step as it finishes (the running one
//! with a spinner), then the verdict in plain words and an offer to use the
//! data mode that works.

use std::time::Instant;

use eframe::egui;

use crate::engine::diagnose::{Outcome, Report, Step, StepKind};
use crate::ftp::DataMode;

/// A connection test that is running or has finished.
pub struct ConnectionTest {
    /// Which run this is: events of earlier runs are ignored.
    pub id: u64,
    /// `user@host:port`, for the heading.
    pub target: String,
    pub steps: Vec<Step>,
    pub report: Option<Report>,
    /// The mode the form asks for now, so the window offers a change only
    /// when the test recommends another.
    pub form_mode: Option<DataMode>,
    /// The user chose Trust… and the certificate dialog is open for this
    /// test: its decision runs the test again instead of connecting.
    pub trusting: bool,
    started: Instant,
}

/// What the user asked for in the test window.
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestIntent {
    /// Close the window.
    Close,
    /// Put this data mode into the form (or site) and close.
    UseMode(DataMode),
    /// Run the test again with the same settings.
    RunAgain,
    /// Show the untrusted certificate (the report has it) and ask whether
    /// to trust it, as connecting does.
    Trust,
}

impl ConnectionTest {
    pub fn new(id: u64, target: String, form_mode: Option<DataMode>) -> ConnectionTest {
        ConnectionTest {
            id,
            target,
            steps: Vec::new(),
            report: None,
            form_mode,
            trusting: false,
            started: Instant::now(),
        }
    }

    pub fn running(&self) -> bool {
        self.report.is_none()
    }

    /// Draw the window; returns what the user asked for this frame, if anything.
    pub fn show(&self, ctx: &egui::Context) -> Option<TestIntent> {
        let style = ctx.global_style();
        let modal = egui::Modal::new(egui::Id::unique("ferry-connection-test"))
            .frame(egui::Frame::popup(&style).inner_margin(egui::Margin::same(16)))
            .show(ctx, |ui| {
                ui.set_width(720.0);
                ui.heading(format!("Connection test: {}", self.target));
                ui.add_space(8.0);
                self.table(ui);
                ui.add_space(8.0);
                let mut action = None;
                match &self.report {
                    None => {
                        ui.horizontal(|ui| {
                            ui.spinner();
                            ui.label(format!("Testing… {} s", self.started.elapsed().as_secs()));
                        });
                    }
                    Some(report) => {
                        let color = if report.works() {
                            ui.visuals().text_color()
                        } else {
                            ui.visuals().warn_fg_color
                        };
                        ui.add(
                            egui::Label::new(egui::RichText::new(&report.verdict).color(color))
                                .wrap(),
                        );
                    }
                }
                ui.add_space(8.0);
                ui.separator();
                super::connect_dialog::buttons_layout(ui, |ui| {
                    if ui.button("Close").clicked() {
                        action = Some(TestIntent::Close);
                    }
                    if let Some(report) = &self.report {
                        if ui.button("Run again").clicked() {
                            action = Some(TestIntent::RunAgain);
                        }
                        if report.untrusted.is_some()
                            && ui
                                .button("Trust…")
                                .on_hover_text(
                                    "Show the certificate and decide whether to trust it",
                                )
                                .clicked()
                        {
                            action = Some(TestIntent::Trust);
                        }
                        if let Some(mode) = report.recommended
                            && self.form_mode != Some(mode)
                        {
                            let label = match mode {
                                DataMode::Passive => "Use Passive for this site",
                                DataMode::Active => "Use Active for this site",
                            };
                            if ui.button(label).clicked() {
                                action = Some(TestIntent::UseMode(mode));
                            }
                        }
                    }
                });
                action
            });
        if modal.should_close() {
            return Some(TestIntent::Close);
        }
        if self.running() {
            ctx.request_repaint_after(std::time::Duration::from_millis(250));
        }
        modal.inner
    }

    fn table(&self, ui: &mut egui::Ui) {
        let weak = ui.visuals().weak_text_color();
        egui::Grid::new("ferry-connection-test-steps")
            .num_columns(4)
            .striped(true)
            .spacing([12.0, 4.0])
            .show(ui, |ui| {
                for title in ["Step", "Result", "Time", "Detail"] {
                    ui.strong(title);
                }
                ui.end_row();
                let mut next_pending = true;
                for kind in StepKind::all() {
                    ui.label(kind.label());
                    match self.steps.iter().find(|s| s.kind == kind) {
                        Some(step) => {
                            ui.label(
                                egui::RichText::new(step.outcome.label())
                                    .color(outcome_color(ui.visuals(), step.outcome)),
                            );
                            if step.outcome == Outcome::Skipped {
                                ui.label("");
                            } else {
                                ui.label(format!("{} ms", step.elapsed.as_millis()));
                            }
                            ui.add(egui::Label::new(step.detail.as_str()).truncate())
                                .on_hover_text(step.detail.as_str());
                        }
                        None if next_pending && self.running() => {
                            next_pending = false;
                            ui.spinner();
                            ui.label("");
                            ui.label(egui::RichText::new("running…").color(weak));
                        }
                        None => {
                            ui.label(egui::RichText::new("waiting").color(weak));
                            ui.label("");
                            ui.label("");
                        }
                    }
                    ui.end_row();
                }
            });
    }
}

fn outcome_color(visuals: &egui::Visuals, outcome: Outcome) -> egui::Color32 {
    match outcome {
        Outcome::Ok if visuals.dark_mode => egui::Color32::from_rgb(0x6c, 0xc6, 0x6c),
        Outcome::Ok => egui::Color32::from_rgb(0x1a, 0x7f, 0x37),
        Outcome::Skipped => visuals.weak_text_color(),
        Outcome::TimedOut | Outcome::Refused | Outcome::Failed => visuals.error_fg_color,
    }
}
