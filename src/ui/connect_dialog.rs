//! The connection dialog ("Connect to a server"): the connection form's
//! rows (see `connect_form`), its buttons, and the password prompt for
//! logon "Ask".

use eframe::egui;

use super::connect_form::PrefsChoices;
pub use super::connect_form::widget::buttons_layout;
use super::connect_form::widget::{
    FormRows, PasswordPrompt, PromptOutcome, WIDE, grid, password_prompt,
};
pub use super::connect_form::{
    ConnectForm, ConnectRequest, ConnectionMode, ErrorGate, LogonType, Protocol, TransferMode,
    field, parse_host,
};

/// What the dialog keeps between frames besides the form (in egui's
/// temporary memory, dropped when the dialog closes).
#[derive(Debug, Clone, Default)]
struct Scratch {
    /// Which errors show yet.
    gate: ErrorGate,
    /// The first field got keyboard focus.
    focused: bool,
    /// Asking for the password (logon "Ask"): what is typed so far.
    asking: Option<String>,
    /// The password is asked for a connection test, not to connect.
    asking_for_test: bool,
}

/// What the user did this frame.
enum Outcome {
    Nothing,
    Connect,
    /// Run the connection test with the form's settings.
    Test,
    Cancel,
    /// Keep the form as a saved site.
    SaveAsSite,
    /// Submit the password typed into the "Ask" prompt.
    SubmitPassword,
    /// Leave the password prompt for the form.
    Back,
}

/// The connection dialog window.
#[derive(Default)]
pub struct ConnectDialog {
    pub open: bool,
    pub form: ConnectForm,
    /// What "As in Preferences" stands for (the app sets it from them).
    pub prefs_choices: crate::ui::connect_form::PrefsChoices,
}

/// What the user asked for in the dialog.
#[must_use]
#[derive(Debug, Clone)]
pub enum DialogIntent {
    /// Connect with these settings (the dialog has closed).
    Connect(ConnectRequest),
    /// Run the connection test with these settings; the dialog stays open.
    Test(ConnectRequest),
    /// Keep the form as a saved site: open it as a new site in the Site
    /// Manager (the dialog has closed).
    SaveAsSite,
    /// The dialog was cancelled: keep what was typed (the dialog already
    /// cleared the password) for next time.
    Cancelled,
}

impl ConnectDialog {
    fn id() -> egui::Id {
        egui::Id::unique("ferry-connect-dialog")
    }

    /// Draw the dialog if open; returns what the user asked for this frame.
    pub fn show(&mut self, ctx: &egui::Context) -> Option<DialogIntent> {
        let id = Self::id();
        let scratch_id = id.with("scratch");
        if !self.open {
            ctx.data_mut(|d| d.remove::<Scratch>(scratch_id));
            return None;
        }
        let mut scratch: Scratch = ctx.data(|d| d.get_temp(scratch_id)).unwrap_or_default();

        // Keys are read before the widgets see them: Escape belongs to an
        // open list first; Enter connects only from a text field (or from
        // nowhere), not from a focused button or list.
        let popup_open = egui::Popup::is_any_open(ctx);
        let escape = !popup_open
            && ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Escape));
        let focused_before = ctx.memory(|m| m.focused());
        let enter = !popup_open && ctx.input(|i| i.key_pressed(egui::Key::Enter));

        let style = ctx.global_style();
        let max_height = (ctx.content_rect().height() - 140.0).max(200.0);
        let modal = egui::Modal::new(id)
            .frame(egui::Frame::popup(&style).inner_margin(egui::Margin::same(16)))
            .show(ctx, |ui| {
                ui.set_max_width(WIDE + 190.0);
                let mut text_ids = Vec::new();
                let mut outcome = match scratch.asking.as_mut() {
                    Some(password) => {
                        let prompt = PasswordPrompt {
                            who: format!(
                                "{} on {}",
                                self.form.user.trim(),
                                parse_host(&self.form.host).unwrap_or_default()
                            ),
                            note: None,
                            remember: None,
                            go: if scratch.asking_for_test {
                                "Test"
                            } else {
                                "Connect"
                            },
                            back: "Back",
                        };
                        match password_prompt(ui, prompt, password, &mut text_ids) {
                            PromptOutcome::Nothing => Outcome::Nothing,
                            PromptOutcome::Submit => Outcome::SubmitPassword,
                            PromptOutcome::Back => Outcome::Back,
                        }
                    }
                    None => form_ui(
                        ui,
                        &mut self.form,
                        &self.prefs_choices,
                        &mut scratch,
                        max_height,
                        &mut text_ids,
                    ),
                };
                let from_text_field = focused_before.is_none_or(|f| text_ids.contains(&f));
                if matches!(outcome, Outcome::Nothing) && enter && from_text_field {
                    outcome = if scratch.asking.is_some() {
                        Outcome::SubmitPassword
                    } else {
                        Outcome::Connect
                    };
                }
                if escape {
                    outcome = if scratch.asking.is_some() {
                        Outcome::Back
                    } else {
                        Outcome::Cancel
                    };
                }
                outcome
            });

        let mut request = None;
        let mut intent = None;
        match modal.inner {
            Outcome::Nothing => {}
            Outcome::Cancel => {
                self.open = false;
                intent = Some(DialogIntent::Cancelled);
                self.form.password.clear();
            }
            Outcome::SaveAsSite => {
                self.open = false;
                intent = Some(DialogIntent::SaveAsSite);
            }
            Outcome::Back => scratch.asking = None,
            Outcome::Connect | Outcome::Test => {
                let test = matches!(modal.inner, Outcome::Test);
                match self.form.validate() {
                    Ok(_) if self.form.logon == LogonType::Ask => {
                        self.form.password.clear();
                        scratch.asking = Some(String::new());
                        scratch.asking_for_test = test;
                    }
                    Ok(r) if test => intent = Some(DialogIntent::Test(r)),
                    Ok(r) => request = Some(r),
                    Err(_) => scratch.gate.attempted = true,
                }
            }
            Outcome::SubmitPassword => {
                let mut form = self.form.clone();
                form.password = scratch.asking.take().unwrap_or_default();
                if std::mem::take(&mut scratch.asking_for_test) {
                    intent = form.validate().ok().map(DialogIntent::Test);
                } else {
                    request = form.validate().ok();
                }
            }
        }
        if let Some(request) = request {
            // Never keep an asked-for password once it has been used.
            if self.form.logon == LogonType::Ask {
                self.form.password.clear();
            }
            self.open = false;
            intent = Some(DialogIntent::Connect(request));
        }
        if self.open {
            ctx.data_mut(|d| d.insert_temp(scratch_id, scratch));
        } else {
            ctx.data_mut(|d| d.remove::<Scratch>(scratch_id));
        }
        intent
    }
}

/// The form: the shared rows, "Advanced" folded, then the buttons.
fn form_ui(
    ui: &mut egui::Ui,
    form: &mut ConnectForm,
    prefs: &PrefsChoices,
    scratch: &mut Scratch,
    max_height: f32,
    text_ids: &mut Vec<egui::Id>,
) -> Outcome {
    ui.heading("Connect to a server");
    ui.add_space(8.0);

    let errors = form.validate().err().unwrap_or_default();
    let weak = ui.visuals().weak_text_color();
    let mut rows = FormRows::new("ferry-connect", &errors, &mut scratch.gate, prefs);

    egui::ScrollArea::vertical()
        .max_height(max_height)
        .auto_shrink([true, true])
        .show(ui, |ui| {
            grid(ui, "ferry-connect-main", |ui| {
                rows.login(ui, form);
                rows.modes(ui, form);
            });
            ui.add_space(6.0);
            let advanced_invalid = rows.any_invalid(&FormRows::NETWORK);
            egui::CollapsingHeader::new("Advanced")
                .id_salt("ferry-connect-advanced")
                .open(advanced_invalid.then_some(true))
                .show_unindented(ui, |ui| {
                    grid(ui, "ferry-connect-advanced-grid", |ui| {
                        rows.transfer(ui, form);
                        rows.network(ui, form);
                        rows.remote_folder(ui, form);
                        rows.show_hidden(ui, form);
                    });
                });
        });
    if let Some(host) = rows.host.take()
        && !scratch.focused
    {
        host.request_focus();
        scratch.focused = true;
    }
    text_ids.append(&mut rows.text_ids);

    ui.add_space(8.0);
    ui.separator();
    ui.add_space(4.0);
    let valid = errors.is_empty();
    buttons_layout(ui, |ui| {
        let mut outcome = Outcome::Nothing;
        if ui
            .add(egui::Button::new("Cancel").min_size(egui::vec2(80.0, 0.0)))
            .clicked()
        {
            outcome = Outcome::Cancel;
        }
        let summary: Vec<String> = errors.iter().map(|(l, m)| format!("{l}: {m}")).collect();
        if ui
            .add_enabled(
                valid,
                egui::Button::new("Connect").min_size(egui::vec2(80.0, 0.0)),
            )
            .on_disabled_hover_text(summary.join("\n"))
            .clicked()
        {
            outcome = Outcome::Connect;
        }
        if ui
            .add_enabled(valid, egui::Button::new("Test connection"))
            .on_hover_text(
                "Try each step (login, passive and active data connections) and say which mode works",
            )
            .on_disabled_hover_text(summary.join("\n"))
            .clicked()
        {
            outcome = Outcome::Test;
        }
        if ui
            .button("Save as site…")
            .on_hover_text("Keep these settings in the Site Manager")
            .clicked()
        {
            outcome = Outcome::SaveAsSite;
        }
        // Say why Connect is disabled when the field at fault shows nothing yet.
        if let Some((label, message)) = errors.first()
            && !scratch.gate.attempted
            && !scratch.gate.touched.contains(label)
        {
            ui.add(
                egui::Label::new(egui::RichText::new(message.as_str()).small().color(weak))
                    .truncate(),
            );
        }
        outcome
    })
}
