//! The quick-connect bar at the top of the window: protocol, host, port,
//! user, password and connection mode in one row. Enter in any field
//! connects; an `ftp://` or `ftps://` address pasted into Host fills the
//! other fields, its scheme choosing the protocol. The bar checks only the
//! fields it shows.

use eframe::egui;

use super::connect_form::widget::{outline_invalid, take_pasted_url};
use super::connect_form::{
    ConnectForm, ConnectRequest, ConnectionMode, FieldErrors, LogonType, Protocol, error_for,
    field, looks_like_url,
};

/// The accessible name of the history drop-down.
pub const HISTORY: &str = "Recent connections";

/// The fields the bar shows; no other field can block it.
const SHOWN: [&str; 6] = [
    field::PROTOCOL,
    field::HOST,
    field::PORT,
    field::USER,
    field::PASSWORD,
    field::MODE,
];

/// How many connections the bar's history keeps.
const HISTORY_LEN: usize = 12;

/// The bar's fields (a subset of the connection form) and its history.
#[derive(Default)]
pub struct QuickConnect {
    pub form: ConnectForm,
    /// Connections made from the bar, newest first (never a password).
    pub history: Vec<HistoryEntry>,
}

/// One connection made from the bar: where and as whom, never the password.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct HistoryEntry {
    pub protocol: Protocol,
    pub host: String,
    pub port: String,
    pub user: String,
    pub mode: ConnectionMode,
}

impl Default for HistoryEntry {
    fn default() -> Self {
        let form = ConnectForm::default();
        HistoryEntry {
            protocol: form.protocol,
            host: form.host,
            port: form.port,
            user: form.user,
            mode: form.mode,
        }
    }
}

impl HistoryEntry {
    fn of(form: &ConnectForm) -> HistoryEntry {
        HistoryEntry {
            protocol: form.protocol,
            host: form.host.trim().to_string(),
            port: form.port.trim().to_string(),
            user: form.user.trim().to_string(),
            mode: form.mode,
        }
    }

    /// "FTPS alice@ftp.example.org:990": what the drop-down lists.
    pub fn label(&self) -> String {
        let user = if self.user.is_empty() {
            "anonymous"
        } else {
            &self.user
        };
        let port = match self.port.as_str() {
            "" => String::new(),
            p if p == self.protocol.default_port().to_string() => String::new(),
            p => format!(":{p}"),
        };
        format!("{} {user}@{}{port}", self.protocol.short_label(), self.host)
    }
}

/// What the user asked for in the bar.
#[must_use]
#[derive(Debug, Clone)]
pub enum QuickIntent {
    /// Connect with these settings (Connect, or Enter in any field).
    Connect(Box<ConnectRequest>),
    /// Keep the bar's settings as a saved site ("Save as site…").
    SaveAsSite,
}

impl QuickConnect {
    /// Draw the bar; returns what the user asked for this frame, if anything.
    pub fn ui(&mut self, ui: &mut egui::Ui) -> Option<QuickIntent> {
        // After a failed attempt the errors stay up, updated as the user
        // types, until a connect succeeds.
        let errors_id = ui.make_persistent_id("ferry-quick-connect-errors");
        let showed_errors = ui.data(|d| d.get_temp::<bool>(errors_id)).unwrap_or(false);
        let mut show_errors = showed_errors;
        let errors = if show_errors {
            self.check().err().unwrap_or_default()
        } else {
            Vec::new()
        };
        let enter = ui.input(|i| i.key_pressed(egui::Key::Enter));
        // Labels, protocol, port, mode, buttons, history and spacing take about 750
        // points; the host, user and password fields share the rest.
        let flexible = ui.available_width() - 750.0;
        let wide = (flexible * 0.44).clamp(110.0, 280.0);
        let medium = (flexible * 0.28).clamp(80.0, 170.0);

        let mut submit = false;
        let mut save_as_site = false;
        ui.horizontal_wrapped(|ui| {
            ui.spacing_mut().item_spacing.x = 6.0;
            let gap = 10.0;

            let mut protocol = self.form.protocol;
            egui::ComboBox::from_id_salt("ferry-quick-connect-protocol")
                .selected_text(protocol.short_label())
                .width(112.0)
                .show_ui(ui, |ui| {
                    for p in Protocol::ALL {
                        ui.selectable_value(&mut protocol, p, p.label())
                            .on_hover_text(p.explanation());
                    }
                })
                .response
                .accessible_name(field::PROTOCOL)
                .on_hover_text(format!(
                    "{}: {}",
                    self.form.protocol.label(),
                    self.form.protocol.explanation()
                ));
            if protocol != self.form.protocol {
                self.form.set_protocol(protocol);
            }
            ui.add_space(gap);

            let host = labelled_input(
                ui,
                field::HOST,
                error_for(&errors, field::HOST),
                egui::TextEdit::singleline(&mut self.form.host)
                    .hint_text("host or ftp:// address")
                    .desired_width(wide),
            );
            if host.changed() {
                // A folder from an earlier pasted address belongs to that server.
                self.form.remote_path.clear();
            }
            take_pasted_url(ui, &host, &mut self.form);
            if host.lost_focus() && !looks_like_url(&self.form.host) {
                self.form.split_host_port();
            }
            submit |= host.lost_focus() && enter;
            ui.add_space(gap);

            let port = labelled_input(
                ui,
                field::PORT,
                error_for(&errors, field::PORT),
                egui::TextEdit::singleline(&mut self.form.port)
                    .hint_text(self.form.protocol.default_port().to_string())
                    .desired_width(52.0),
            );
            submit |= port.lost_focus() && enter;
            ui.add_space(gap);

            let user = labelled_input(
                ui,
                field::USER,
                error_for(&errors, field::USER),
                egui::TextEdit::singleline(&mut self.form.user)
                    .hint_text("anonymous")
                    .desired_width(medium),
            );
            submit |= user.lost_focus() && enter;
            ui.add_space(gap);

            let password = labelled_input(
                ui,
                field::PASSWORD,
                error_for(&errors, field::PASSWORD),
                egui::TextEdit::singleline(&mut self.form.password)
                    .password(true)
                    .desired_width(medium),
            );
            submit |= password.lost_focus() && enter;
            ui.add_space(gap);

            egui::ComboBox::from_id_salt("ferry-quick-connect-mode")
                .selected_text(self.form.mode.label())
                .width(86.0)
                .show_ui(ui, |ui| {
                    for m in ConnectionMode::ALL {
                        ui.selectable_value(&mut self.form.mode, m, m.label())
                            .on_hover_text(m.explanation());
                    }
                })
                .response
                .accessible_name(field::MODE)
                .on_hover_text(format!("{}: {}", field::MODE, self.form.mode.explanation()));
            ui.add_space(gap);

            submit |= ui
                .add(egui::Button::new("Connect").min_size(egui::vec2(76.0, 0.0)))
                .on_hover_text("Connect (Enter in any field)")
                .clicked();
            if ui
                .button("Save as site…")
                .on_hover_text("Keep these settings in the Site Manager")
                .clicked()
            {
                save_as_site = true;
            }
            if let Some(entry) = self.history_ui(ui) {
                self.form.protocol = entry.protocol;
                self.form.host = entry.host;
                self.form.port = entry.port;
                self.form.user = entry.user;
                self.form.mode = entry.mode;
                self.form.password.clear();
                self.form.remote_path.clear();
                if self.form.user.is_empty() {
                    // Anonymous needs nothing more: connect, as FileZilla does.
                    submit = true;
                } else {
                    password.request_focus();
                }
            }

            if !errors.is_empty() {
                let text: Vec<String> = errors.iter().map(|(l, m)| format!("{l}: {m}")).collect();
                // Whole, on the next row if the bar has no room left.
                ui.add(
                    egui::Label::new(
                        egui::RichText::new(text.join("   "))
                            .small()
                            .color(ui.visuals().error_fg_color),
                    )
                    .wrap_mode(egui::TextWrapMode::Extend),
                );
            }
        });

        let mut intent = save_as_site.then_some(QuickIntent::SaveAsSite);
        if submit {
            if looks_like_url(&self.form.host) {
                let text = self.form.host.clone();
                // A bad address stays in the field and is reported below.
                let _ = self.form.apply_url(&text);
            }
            match self.check() {
                Ok(r) => {
                    self.remember(HistoryEntry::of(&self.form));
                    self.form.logon = effective_logon(&self.form);
                    if self.form.logon == LogonType::Ask {
                        // Asked-for passwords are used once, never kept.
                        self.form.password.clear();
                    }
                    show_errors = false;
                    intent = Some(QuickIntent::Connect(Box::new(r)));
                }
                Err(_) => show_errors = true,
            }
        }
        ui.data_mut(|d| d.insert_temp(errors_id, show_errors));
        if show_errors && !showed_errors {
            // The errors drawn this frame were computed before the click.
            ui.ctx().request_repaint();
        }
        intent
    }

    /// Put `entry` first in the history (once), keeping the newest few.
    fn remember(&mut self, entry: HistoryEntry) {
        self.history.retain(|e| *e != entry);
        self.history.insert(0, entry);
        self.history.truncate(HISTORY_LEN);
    }

    /// The history drop-down; returns the entry picked.
    fn history_ui(&mut self, ui: &mut egui::Ui) -> Option<HistoryEntry> {
        let mut picked = None;
        let mut clear = false;
        ui.add_enabled_ui(!self.history.is_empty(), |ui| {
            egui::ComboBox::from_id_salt("ferry-quick-connect-history")
                .selected_text("")
                .width(18.0)
                .height(400.0)
                .show_ui(ui, |ui| {
                    for entry in &self.history {
                        if ui.selectable_label(false, entry.label()).clicked() {
                            picked = Some(entry.clone());
                        }
                    }
                    ui.separator();
                    if ui.selectable_label(false, "Clear history").clicked() {
                        clear = true;
                    }
                })
                .response
                .accessible_name(HISTORY)
                .on_hover_text("Connect again to a recent server (passwords are never kept)")
                .on_disabled_hover_text("Recent connections appear here");
        });
        if clear {
            self.history.clear();
        }
        picked
    }

    /// Validate the bar as it stands: the form with the logon the bar
    /// implies, and only the fields the bar shows.
    pub fn check(&self) -> Result<ConnectRequest, FieldErrors> {
        let mut form = self.form.clone();
        form.logon = effective_logon(&form);
        let mut result = form.validate_shown(&SHOWN);
        if form.logon == LogonType::Ask && form.password.is_empty() {
            let error = (
                field::PASSWORD,
                "Enter the password (this login asks for it each time)".to_string(),
            );
            match &mut result {
                Ok(_) => result = Err(vec![error]),
                Err(errors) => errors.push(error),
            }
        }
        result
    }
}

/// The bar has no logon choice: an empty user is anonymous, a typed one
/// logs in normally (keeping "Ask for password" if the dialog chose it).
fn effective_logon(form: &ConnectForm) -> LogonType {
    match form.logon {
        _ if form.user.trim().is_empty() => LogonType::Anonymous,
        LogonType::Ask => LogonType::Ask,
        LogonType::Anonymous | LogonType::Normal => LogonType::Normal,
    }
}

/// A label and its text input; an invalid input gets a red outline and
/// its message as a tooltip.
fn labelled_input(
    ui: &mut egui::Ui,
    label: &str,
    error: Option<&str>,
    edit: egui::TextEdit<'_>,
) -> egui::Response {
    let label = ui.label(label);
    let response = ui.add(edit).labelled_by(label.id);
    match error {
        Some(e) => {
            outline_invalid(ui, &response);
            response.on_hover_text(e)
        }
        None => response,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::connect_form::ANONYMOUS_USER;

    fn bar(host: &str, user: &str, password: &str) -> QuickConnect {
        QuickConnect {
            form: ConnectForm {
                host: host.into(),
                user: user.into(),
                password: password.into(),
                ..ConnectForm::default()
            },
            history: Vec::new(),
        }
    }

    #[test]
    fn an_empty_user_connects_anonymously() {
        let o = bar("h", " ", "").check().unwrap().options;
        assert_eq!(o.user, ANONYMOUS_USER);
    }

    #[test]
    fn a_typed_user_logs_in_even_after_anonymous() {
        let mut q = bar("h", "alice", "pw");
        q.form.logon = LogonType::Anonymous;
        let o = q.check().unwrap().options;
        assert_eq!((o.user.as_str(), o.password.as_str()), ("alice", "pw"));
    }

    #[test]
    fn ask_logon_needs_a_password_in_the_bar() {
        let mut q = bar("h", "alice", "");
        q.form.logon = LogonType::Ask;
        let errors = q.check().unwrap_err();
        assert_eq!(errors[0].0, field::PASSWORD);
        q.form.password = "pw".into();
        assert_eq!(q.check().unwrap().options.password, "pw");
    }

    #[test]
    fn a_hidden_field_never_blocks_the_bar() {
        // A saved site's form: its timeout and keep-alive are not in the bar.
        let mut q = bar("h", "alice", "pw");
        q.form.timeout_secs = "0".into();
        q.form.port_range = "9-1".into();
        let o = q.check().unwrap().options;
        assert_eq!(o.timeouts, crate::ftp::Timeouts::default());
        assert_eq!(o.port_range, None);
    }

    #[test]
    fn every_problem_is_listed() {
        let mut q = bar("", "", "");
        q.form.port = "0".into();
        let labels: Vec<_> = q.check().unwrap_err().into_iter().map(|e| e.0).collect();
        assert_eq!(labels, [field::HOST, field::PORT]);
    }
}
