//! The connection form drawn: the rows the connection dialog and the Site
//! Manager share, the helpers their own rows use, and the one password
//! prompt. Each row has a label that is also its input's accessible name.

use eframe::egui;

use super::model::{
    ANONYMOUS_USER, ConnectForm, ConnectionMode, ErrorGate, LogonType, PrefsChoices, Protocol,
    TRANSFER_TYPES, TransferMode, describe_segments, describe_transfer_type, error_for, field,
    looks_like_url, segment_choices,
};

/// The width of the wide inputs (host, user, password, …).
pub const WIDE: f32 = 280.0;
/// The width of the short inputs (port, timeout).
pub const NARROW: f32 = 80.0;
/// The label column, one width for every grid so sections line up.
const LABEL_COLUMN: f32 = 130.0;

/// A two-column form grid: labels on the left, inputs on the right.
pub fn grid(ui: &mut egui::Ui, id_salt: &str, rows: impl FnOnce(&mut egui::Ui)) {
    egui::Grid::new(id_salt)
        .num_columns(2)
        .spacing([14.0, 8.0])
        .min_col_width(LABEL_COLUMN)
        .show(ui, rows);
}

/// A bold section title above a grid.
pub fn section(ui: &mut egui::Ui, title: &str) {
    ui.add_space(6.0);
    ui.label(egui::RichText::new(title).strong());
    ui.add_space(2.0);
}

/// The shared rows of the connection form. Each method draws its rows into
/// the caller's [`grid`], so a caller can put its own rows around them.
pub struct FormRows<'a> {
    /// Salt for the choice lists' ids, so two forms never share one.
    pub id: &'static str,
    /// The form's validation errors (field label → message).
    pub errors: &'a [(&'static str, String)],
    /// Which errors show yet; fields edited or left are marked in it.
    pub gate: &'a mut ErrorGate,
    /// The hint in the password field for normal logon.
    pub password_hint: &'a str,
    /// The text inputs drawn, in order (Enter in one of them submits).
    pub text_ids: Vec<egui::Id>,
    /// The host input, for the caller to focus.
    pub host: Option<egui::Response>,
    /// What the "As in Preferences" choices stand for.
    pub prefs: &'a PrefsChoices,
}

impl<'a> FormRows<'a> {
    pub fn new(
        id: &'static str,
        errors: &'a [(&'static str, String)],
        gate: &'a mut ErrorGate,
        prefs: &'a PrefsChoices,
    ) -> FormRows<'a> {
        FormRows {
            id,
            errors,
            gate,
            password_hint: "",
            text_ids: Vec::new(),
            host: None,
            prefs,
        }
    }

    /// Whether any of the given fields has an error.
    pub fn any_invalid(&self, labels: &[&str]) -> bool {
        labels.iter().any(|l| error_for(self.errors, l).is_some())
    }

    /// A validated text row: its error (once the gate shows it) in the line
    /// reserved under the input, so rows never move.
    fn checked_text(
        &mut self,
        ui: &mut egui::Ui,
        label: &'static str,
        value: &mut String,
        edit: impl FnOnce(egui::TextEdit<'_>) -> egui::TextEdit<'_>,
        tooltip: &str,
    ) -> egui::Response {
        let error = self.gate.shown(self.errors, label, value);
        let r = text_row(ui, label, Some(error), |ui| {
            let r = ui.add(edit(egui::TextEdit::singleline(value)));
            if tooltip.is_empty() {
                r
            } else {
                r.on_hover_text(tooltip)
            }
        });
        if r.changed() || r.lost_focus() {
            self.gate.touch(label);
        }
        self.text_ids.push(r.id);
        r
    }

    /// Protocol, host, port, logon type, user and password.
    pub fn login(&mut self, ui: &mut egui::Ui, form: &mut ConnectForm) {
        let weak = ui.visuals().weak_text_color();
        let label = ui.label(field::PROTOCOL);
        ui.vertical(|ui| {
            ui.spacing_mut().item_spacing.y = 2.0;
            let mut protocol = form.protocol;
            egui::ComboBox::from_id_salt((self.id, "protocol"))
                .selected_text(protocol.label())
                .width(WIDE)
                .show_ui(ui, |ui| {
                    for p in Protocol::ALL {
                        ui.selectable_value(&mut protocol, p, p.label())
                            .on_hover_text(p.explanation());
                    }
                })
                .response
                .labelled_by(label.id)
                .on_hover_text(form.protocol.explanation());
            if protocol != form.protocol {
                form.set_protocol(protocol);
            }
            if form.protocol == Protocol::Ftp && form.logon != LogonType::Anonymous {
                note(
                    ui,
                    "Plain FTP sends the password and files unencrypted.",
                    weak,
                );
            }
        });
        ui.end_row();

        let r = self.checked_text(
            ui,
            field::HOST,
            &mut form.host,
            |e| {
                e.hint_text("ftp.example.com or ftp:// address")
                    .desired_width(WIDE)
            },
            "",
        );
        take_pasted_url(ui, &r, form);
        if r.lost_focus() && !looks_like_url(&form.host) {
            form.split_host_port();
        }
        self.host = Some(r);

        let default_port = form.protocol.default_port().to_string();
        self.checked_text(
            ui,
            field::PORT,
            &mut form.port,
            |e| e.hint_text(default_port).desired_width(NARROW),
            "",
        );

        let label = ui.label(field::LOGON);
        egui::ComboBox::from_id_salt((self.id, "logon"))
            .selected_text(form.logon.label())
            .width(WIDE)
            .show_ui(ui, |ui| {
                for l in LogonType::ALL {
                    ui.selectable_value(&mut form.logon, l, l.label());
                }
            })
            .response
            .labelled_by(label.id);
        ui.end_row();

        if form.logon == LogonType::Anonymous {
            let r = text_row(ui, field::USER, Some(None), |ui| {
                let mut shown = ANONYMOUS_USER;
                ui.add_enabled(
                    false,
                    egui::TextEdit::singleline(&mut shown).desired_width(WIDE),
                )
            });
            self.text_ids.push(r.id);
        } else {
            self.checked_text(
                ui,
                field::USER,
                &mut form.user,
                |e| e.desired_width(WIDE),
                "",
            );
        }

        let hint = self.password_hint;
        let r = text_row(ui, field::PASSWORD, None, |ui| match form.logon {
            LogonType::Normal => ui.add(
                egui::TextEdit::singleline(&mut form.password)
                    .password(true)
                    .hint_text(hint)
                    .desired_width(WIDE),
            ),
            LogonType::Anonymous | LogonType::Ask => {
                let hint = if form.logon == LogonType::Ask {
                    "Asked for when you connect"
                } else {
                    "Not needed"
                };
                let mut empty = "";
                ui.add_enabled(
                    false,
                    egui::TextEdit::singleline(&mut empty)
                        .hint_text(hint)
                        .desired_width(WIDE),
                )
            }
        });
        self.text_ids.push(r.id);
    }

    /// Connection mode and transfer mode, each explained under its list.
    pub fn modes(&mut self, ui: &mut egui::Ui, form: &mut ConnectForm) {
        choice_row(
            ui,
            (self.id, "mode"),
            field::MODE,
            &mut form.mode,
            &ConnectionMode::ALL,
            |m| (m.label(), m.explanation()),
        );
        choice_row(
            ui,
            (self.id, "transfer-mode"),
            field::TRANSFER_MODE,
            &mut form.transfer_mode,
            &TransferMode::ALL,
            |t| (t.label(), t.explanation()),
        );
    }

    /// Transfer type and segments, each "As in Preferences" unless chosen
    /// here (FileZilla keeps these on a site's "Transfer Settings").
    pub fn transfer(&mut self, ui: &mut egui::Ui, form: &mut ConnectForm) {
        let prefs = self.prefs;
        choice_row(
            ui,
            (self.id, "transfer-type"),
            field::TRANSFER_TYPE,
            &mut form.transfer_type,
            &TRANSFER_TYPES,
            |t| describe_transfer_type(t, prefs),
        );
        let choices = segment_choices(form.segments);
        choice_row(
            ui,
            (self.id, "segments"),
            field::SEGMENTS,
            &mut form.segments,
            &choices,
            |n| describe_segments(n, prefs),
        );
    }

    /// The fields of [`FormRows::network`], for opening a collapsed section
    /// that holds an error.
    pub const NETWORK: [&'static str; 6] = [
        field::TIMEOUT,
        field::KEEPALIVE,
        field::TIME_ZONE,
        field::PROXY,
        field::EXTERNAL_IP,
        field::PORT_RANGE,
    ];

    /// Timeout, keep-alive, active mode's address and ports, PASV host.
    pub fn network(&mut self, ui: &mut egui::Ui, form: &mut ConnectForm) {
        self.checked_text(
            ui,
            field::TIMEOUT,
            &mut form.timeout_secs,
            |e| e.hint_text("Default").suffix("s").desired_width(NARROW),
            "How long to wait for the server (1–600 seconds); empty for the default",
        );
        self.checked_text(
            ui,
            field::KEEPALIVE,
            &mut form.keepalive_secs,
            |e| e.hint_text("Off").suffix("s").desired_width(NARROW),
            "Send NOOP after this many idle seconds (10–600), so a firewall does not drop \
             the connection and a dead one is noticed at once",
        );
        self.checked_text(
            ui,
            field::TIME_ZONE,
            &mut form.time_zone,
            |e| e.hint_text("Find it").desired_width(NARROW),
            "Hours from UTC of the times in the server's listings (+2, -4, +5:45), for \
             servers that list in local time; used to compare folders. Empty: Ferry finds \
             it by asking one file's time in UTC (MDTM)",
        );
        self.checked_text(
            ui,
            field::EXTERNAL_IP,
            &mut form.external_ip,
            |e| e.hint_text("Automatic").desired_width(WIDE),
            "Active mode: the address the server should connect back to, when this \
             computer is behind NAT (IPv4 or IPv6)",
        );
        self.checked_text(
            ui,
            field::PORT_RANGE,
            &mut form.port_range,
            |e| e.hint_text("Any, e.g. 50000-50100").desired_width(WIDE),
            "Active mode: the local ports to listen on, if a firewall allows only these",
        );
        ui.label("");
        ui.checkbox(&mut form.trust_pasv_host, field::TRUST_PASV_HOST)
            .on_hover_text(
                "Passive mode: connect to the address the server names in its PASV reply. \
                 Off by default, because servers behind NAT often name a private address \
                 that cannot be reached; then Ferry uses the server's own address instead.",
            );
        ui.end_row();
        let proxy_hint = self.prefs.proxy_hint();
        self.checked_text(
            ui,
            field::PROXY,
            &mut form.proxy,
            |e| e.hint_text(proxy_hint).desired_width(WIDE),
            "Connect through a proxy: socks5://host:1080 (Ferry resolves names), \
             socks5h://… (the proxy resolves them) or http://host:3128 (HTTP CONNECT), \
             with user@ before the host when it wants a login. A password typed as \
             user:password@ goes to the keyring when the site is saved. Empty: the proxy \
             in Preferences; none: connect directly. Passive mode only",
        );
    }

    /// The folder to open after logging in.
    pub fn remote_folder(&mut self, ui: &mut egui::Ui, form: &mut ConnectForm) {
        let r = text_row(ui, field::REMOTE_PATH, None, |ui| {
            ui.add(
                egui::TextEdit::singleline(&mut form.remote_path)
                    .hint_text("The login folder")
                    .desired_width(WIDE),
            )
            .on_hover_text("The folder to open after logging in")
        });
        self.text_ids.push(r.id);
    }

    /// Whether listings show hidden files.
    pub fn show_hidden(&mut self, ui: &mut egui::Ui, form: &mut ConnectForm) {
        ui.label("");
        ui.checkbox(&mut form.show_hidden, field::SHOW_HIDDEN)
            .on_hover_text(
                "List files whose names start with a dot (LIST -a when the server has no MLSD)",
            );
        ui.end_row();
    }
}

/// One labelled row of a grid. `error`: `None` for an input that is never
/// invalid; `Some(e)` reserves a line under the input for the error `e`
/// (shown when present), so an error appearing never moves the rows below.
pub fn text_row(
    ui: &mut egui::Ui,
    label: &str,
    error: Option<Option<&str>>,
    add: impl FnOnce(&mut egui::Ui) -> egui::Response,
) -> egui::Response {
    let label_response = ui.label(label);
    let response = ui
        .vertical(|ui| {
            ui.spacing_mut().item_spacing.y = 2.0;
            let r = add(ui).labelled_by(label_response.id);
            match error {
                Some(Some(e)) => {
                    outline_invalid(ui, &r);
                    ui.scope(|ui| {
                        ui.set_max_width(WIDE);
                        ui.add(
                            egui::Label::new(
                                egui::RichText::new(e)
                                    .small()
                                    .color(ui.visuals().error_fg_color),
                            )
                            .truncate(),
                        )
                    });
                }
                Some(None) => {
                    ui.label(egui::RichText::new(" ").small());
                }
                None => {}
            }
            r
        })
        .inner;
    ui.end_row();
    response
}

/// Small wrapped text under a field: an explanation or a note.
pub fn note(ui: &mut egui::Ui, text: &str, color: egui::Color32) -> egui::Response {
    ui.scope(|ui| {
        ui.set_max_width(WIDE);
        ui.add(egui::Label::new(egui::RichText::new(text).small().color(color)).wrap())
    })
    .inner
}

/// A grid row choosing one of `choices` from a list labelled `label`:
/// each choice's explanation on hover, the chosen one's under the list.
fn choice_row<T: Copy + PartialEq, S: Into<egui::WidgetText>>(
    ui: &mut egui::Ui,
    id_salt: impl std::hash::Hash + std::fmt::Debug,
    label: &str,
    value: &mut T,
    choices: &[T],
    describe: impl Fn(T) -> (S, &'static str),
) {
    let weak = ui.visuals().weak_text_color();
    let label = ui.label(label);
    ui.vertical(|ui| {
        ui.spacing_mut().item_spacing.y = 2.0;
        egui::ComboBox::from_id_salt(id_salt)
            .selected_text(describe(*value).0)
            .width(WIDE)
            .show_ui(ui, |ui| {
                for &c in choices {
                    let (text, explanation) = describe(c);
                    ui.selectable_value(value, c, text)
                        .on_hover_text(explanation);
                }
            })
            .response
            .labelled_by(label.id);
        note(ui, describe(*value).1, weak);
    });
    ui.end_row();
}

/// Draw a red outline around an invalid input.
pub fn outline_invalid(ui: &egui::Ui, response: &egui::Response) {
    let visuals = ui.visuals();
    ui.painter().rect_stroke(
        response.rect,
        visuals.widgets.inactive.corner_radius,
        egui::Stroke::new(1.5, visuals.error_fg_color),
        egui::StrokeKind::Outside,
    );
}

/// If the text edit just received a pasted `ftp://` address, fill the form
/// from it (the field keeps the text when the address is not valid).
pub fn take_pasted_url(ui: &egui::Ui, response: &egui::Response, form: &mut ConnectForm) {
    if !response.changed() || !looks_like_url(&form.host) {
        return;
    }
    let pasted = ui.input(|i| i.events.iter().any(|e| matches!(e, egui::Event::Paste(_))));
    if pasted {
        let text = form.host.clone();
        let _ = form.apply_url(&text);
    }
}

/// A row as wide as the dialog, filled from the right (the first widget
/// added is rightmost), only as tall as a button.
pub fn buttons_layout<R>(ui: &mut egui::Ui, add: impl FnOnce(&mut egui::Ui) -> R) -> R {
    let size = egui::vec2(ui.available_width(), ui.spacing().interact_size.y);
    ui.allocate_ui_with_layout(size, egui::Layout::right_to_left(egui::Align::Center), add)
        .inner
}

/// Which of a settings window's buttons was pressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingsButton {
    Ok,
    Apply,
    Cancel,
}

/// A settings window's last row: Cancel, OK and Apply from the right (OK and
/// Apply only when `ready`), then `note` (why not ready, a spinner…).
pub fn ok_apply_cancel(
    ui: &mut egui::Ui,
    ready: bool,
    note: impl FnOnce(&mut egui::Ui),
) -> Option<SettingsButton> {
    buttons_layout(ui, |ui| {
        let mut pressed = None;
        if ui.button("Cancel").clicked() {
            pressed = Some(SettingsButton::Cancel);
        }
        if ui.add_enabled(ready, egui::Button::new("OK")).clicked() {
            pressed = Some(SettingsButton::Ok);
        }
        if ui.add_enabled(ready, egui::Button::new("Apply")).clicked() {
            pressed = Some(SettingsButton::Apply);
        }
        note(ui);
        pressed
    })
}

/// The one password prompt: for logon "Ask" in the connection dialog, and
/// for a saved site whose password is not remembered.
pub struct PasswordPrompt<'a> {
    /// Whose password: "alice on ftp.example.org:21".
    pub who: String,
    /// A line under it (why it is asked again), if any.
    pub note: Option<&'a str>,
    /// The "Remember" tick, when the password can be remembered.
    pub remember: Option<(&'a mut bool, &'static str)>,
    /// The submit button: "Connect" or "Test".
    pub go: &'static str,
    /// The other button: "Back" (to the form) or "Cancel".
    pub back: &'static str,
}

/// What the user did in the password prompt this frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptOutcome {
    Nothing,
    Submit,
    Back,
}

/// Draw the prompt's content (the caller owns the window). Enter in the
/// field submits; Esc goes back. `text_ids` gets the password field's id.
pub fn password_prompt(
    ui: &mut egui::Ui,
    prompt: PasswordPrompt<'_>,
    password: &mut String,
    text_ids: &mut Vec<egui::Id>,
) -> PromptOutcome {
    let weak = ui.visuals().weak_text_color();
    ui.heading("Enter the password");
    ui.add_space(4.0);
    ui.label(format!("Password for {}", prompt.who));
    if let Some(n) = prompt.note {
        note(ui, n, weak);
    }
    ui.add_space(8.0);
    let mut outcome = PromptOutcome::Nothing;
    grid(ui, "ferry-password-prompt", |ui| {
        let r = text_row(ui, field::PASSWORD, None, |ui| {
            ui.add(
                egui::TextEdit::singleline(password)
                    .password(true)
                    .desired_width(WIDE),
            )
        });
        if !r.has_focus() && !r.lost_focus() && ui.memory(|m| m.focused().is_none()) {
            r.request_focus();
        }
        if r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
            outcome = PromptOutcome::Submit;
        }
        text_ids.push(r.id);
    });
    match prompt.remember {
        Some((remember, label)) => {
            ui.checkbox(remember, label)
                .on_hover_text("Keep it in the OS keyring for this site");
        }
        None => {
            note(ui, "Used for this connection only; not saved.", weak);
        }
    }
    ui.add_space(8.0);
    ui.separator();
    ui.add_space(4.0);
    buttons_layout(ui, |ui| {
        if ui
            .add(egui::Button::new(prompt.back).min_size(egui::vec2(80.0, 0.0)))
            .clicked()
            || ui.input(|i| i.key_pressed(egui::Key::Escape))
        {
            outcome = PromptOutcome::Back;
        }
        if ui
            .add(egui::Button::new(prompt.go).min_size(egui::vec2(80.0, 0.0)))
            .clicked()
        {
            outcome = PromptOutcome::Submit;
        }
    });
    outcome
}
