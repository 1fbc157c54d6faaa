//! The Preferences window (Edit → Preferences…, Ctrl+,): app-wide settings,
//! grouped. It edits a copy; OK and Apply hand the copy back, and the app
//! applies and saves it. Enter is OK, Escape is Cancel.

use super::connect_form::widget::{SettingsButton, ok_apply_cancel};
use eframe::egui;

use crate::engine::OnExisting;
use crate::engine::queue::MAX_CONCURRENCY;
use crate::engine::rate_limit::{BurstTolerance, limit_field_text, parse_limit_field};
use crate::engine::segments::MAX_SEGMENTS;
use crate::ftp::ascii::{TypeChoice, parse_endings};
use crate::prefs::{EditorCommand, Preferences, TIMEOUT_RANGE, Theme};
use crate::sites::ConnectionMode;

/// Labels the tests find widgets by.
pub mod label {
    pub const TITLE: &str = "Preferences";
    pub const PARALLEL: &str = "Parallel transfers";
    pub const IF_EXISTS: &str = "If the target exists";
    pub const MODE: &str = "Data connection mode";
    pub const TIMEOUT: &str = "Timeout (seconds)";
    pub const SHOW_HIDDEN: &str = "Show hidden files";
    pub const EDITOR: &str = "Editor command";
    pub const FILTERS: &str = "Filters…";
    pub const PROXY: &str = "Proxy";
    pub const PROXY_PASSWORD: &str = "Proxy password";
    pub const SEGMENTS: &str = "Segments per download";
    pub const TRANSFER_TYPE: &str = "Transfer type";
    pub const TEXT_ENDINGS: &str = "Text file endings";
    pub const SPEED_LIMITS: &str = "Enable speed limits";
    pub const DOWNLOAD_LIMIT: &str = "Download limit";
    pub const UPLOAD_LIMIT: &str = "Upload limit";
    pub const BURST: &str = "Burst tolerance";
    pub const OK: &str = "OK";
    pub const APPLY: &str = "Apply";
    pub const CANCEL: &str = "Cancel";
}

/// What the user asked the window for.
#[must_use]
#[derive(Debug, Clone, PartialEq)]
pub enum PrefsIntent {
    /// Use and save these preferences; `close` for OK, not for Apply.
    /// `proxy_password`, when given, is the proxy's new password (for the
    /// password store, never the preferences file).
    Apply {
        prefs: Box<Preferences>,
        close: bool,
        proxy_password: Option<Secret>,
    },
    /// Close without applying anything more.
    Cancel,
    /// Open the Filters window (this one stays open).
    OpenFilters,
}

/// A password on its way to the password store: its `Debug` form never
/// shows it.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(pub String);

/// Height the window needs besides its sections: margins, heading and the
/// OK / Apply / Cancel row.
const RESERVED_HEIGHT: f32 = 150.0;

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(crate::ftp::options::masked(&self.0))
    }
}

/// The window's state while open.
#[derive(Debug, Default)]
pub struct PreferencesWindow {
    pub open: bool,
    /// The copy being edited.
    pub draft: Preferences,
    /// The proxy password typed (empty: keep the remembered one).
    pub proxy_password: Secret,
    /// Preferences are still being read: shown, but OK and Apply wait.
    pub loading: bool,
    /// Another window (Filters…) is open over this one: Enter and Escape are its.
    pub covered: bool,
    /// The text endings as typed (read into the draft as they change).
    endings: String,
    /// The download and upload limits as typed (read into the draft when
    /// they parse; see [`PreferencesWindow::speed_error`]).
    download_limit: String,
    upload_limit: String,
    /// How tall the sections were last frame: they scroll only when they
    /// don't fit the screen.
    sections_height: f32,
}

impl PreferencesWindow {
    /// Open over the preferences in use.
    pub fn open_with(&mut self, current: &Preferences) {
        self.draft = current.clone();
        self.proxy_password = Secret::default();
        self.endings = current.text.endings.join(" ");
        self.download_limit = limit_field_text(current.speed_limits.download);
        self.upload_limit = limit_field_text(current.speed_limits.upload);
        self.open = true;
    }

    /// Why the proxy address cannot be used, if it cannot.
    fn proxy_error(&self) -> Option<String> {
        let url = self.draft.network.proxy.trim();
        if url.is_empty() {
            return None;
        }
        crate::ftp::Proxy::parse(url).err()
    }

    /// What OK and Apply hand over: the draft with the proxy URL's password
    /// (if one was typed into it) taken out, and the password to remember.
    fn apply(&self, close: bool) -> PrefsIntent {
        let mut prefs = self.draft.clone();
        let mut password = (!self.proxy_password.0.is_empty()).then(|| self.proxy_password.clone());
        if let Ok(proxy) = crate::ftp::Proxy::parse(prefs.network.proxy.trim()) {
            if password.is_none() && !proxy.password.is_empty() {
                password = Some(Secret(proxy.password.clone()));
            }
            prefs.network.proxy = proxy.url();
        }
        PrefsIntent::Apply {
            prefs: Box::new(prefs),
            close,
            proxy_password: password,
        }
    }

    /// Why the editor command cannot be used, if it cannot.
    fn editor_error(&self) -> Option<String> {
        EditorCommand::parse(&self.draft.editing.editor)
            .err()
            .map(|e| e.to_string())
    }

    /// Draw the window; returns what the user asked for this frame.
    pub fn show(&mut self, ctx: &egui::Context) -> Option<PrefsIntent> {
        if !self.open {
            return None;
        }
        let mut intent = None;
        let style = ctx.global_style();
        let modal = egui::Modal::new(egui::Id::unique("ferry-preferences"))
            .frame(egui::Frame::popup(&style).inner_margin(egui::Margin::same(16)))
            .show(ctx, |ui| {
                ui.set_width(440.0);
                ui.heading(label::TITLE);
                ui.add_space(6.0);
                // The sections scroll on a short screen; the heading and the
                // buttons stay in view.
                let room = (ui.ctx().content_rect().height() - RESERVED_HEIGHT).max(160.0);
                let scroll = self.sections_height > room;
                let sections = |ui: &mut egui::Ui| {
                    self.transfers_ui(ui);
                    self.speed_limits_ui(ui);
                    self.connection_ui(ui);
                    self.appearance_ui(ui);
                    self.editing_ui(ui);
                    self.filters_ui(ui)
                };
                let (filters, height) = if scroll {
                    let out = egui::ScrollArea::vertical()
                        .max_height(room)
                        .auto_shrink([false, true])
                        .show(ui, sections);
                    (out.inner, out.content_size.y)
                } else {
                    let out = ui.scope(sections);
                    (out.inner, out.response.rect.height())
                };
                self.sections_height = height;
                if filters {
                    intent = Some(PrefsIntent::OpenFilters);
                }
                ui.add_space(8.0);
                let error = self
                    .editor_error()
                    .or(self.proxy_error())
                    .or(self.speed_error());
                let ready = error.is_none() && !self.loading;
                let loading = self.loading;
                let pressed = ok_apply_cancel(ui, ready, |ui| {
                    if loading {
                        ui.spinner();
                        ui.label("Reading the preferences…");
                    }
                });
                match pressed {
                    Some(SettingsButton::Cancel) => intent = Some(PrefsIntent::Cancel),
                    Some(SettingsButton::Ok) => intent = Some(self.apply(true)),
                    Some(SettingsButton::Apply) => intent = Some(self.apply(false)),
                    None => {}
                }
                // A key that closes an open drop-down list is the list's.
                if intent.is_none() && !self.covered && !egui::Popup::is_any_open(ui.ctx()) {
                    if ui.input(|i| i.key_pressed(egui::Key::Escape)) {
                        intent = Some(PrefsIntent::Cancel);
                    } else if ready && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                        intent = Some(self.apply(true));
                    }
                }
            });
        if modal.should_close() && intent.is_none() {
            intent = Some(PrefsIntent::Cancel);
        }
        if matches!(
            intent,
            Some(PrefsIntent::Cancel | PrefsIntent::Apply { close: true, .. })
        ) {
            self.open = false;
        }
        intent
    }

    fn transfers_ui(&mut self, ui: &mut egui::Ui) {
        group(ui, "Transfers", |ui| {
            egui::Grid::new("prefs-transfers")
                .num_columns(2)
                .spacing([12.0, 6.0])
                .show(ui, |ui| {
                    let l = ui.label(label::PARALLEL);
                    ui.add(
                        egui::DragValue::new(&mut self.draft.transfers.parallel)
                            .range(1..=MAX_CONCURRENCY),
                    )
                    .labelled_by(l.id)
                    .on_hover_text(
                        "How many files the queue transfers at once, each on its own connection",
                    );
                    ui.end_row();
                    let l = ui.label(label::IF_EXISTS);
                    let choice = &mut self.draft.transfers.if_exists;
                    egui::ComboBox::from_id_salt("prefs-if-exists")
                        .selected_text(choice.label())
                        .show_ui(ui, |ui| {
                            for c in std::iter::once(OnExisting::Ask)
                                .chain(OnExisting::CHOICES.iter().map(|(c, _)| *c))
                            {
                                ui.selectable_value(choice, c, c.label());
                            }
                        })
                        .response
                        .labelled_by(l.id)
                        .on_hover_text("What a transfer does when the file is already there");
                    ui.end_row();
                    let l = ui.label(label::SEGMENTS);
                    ui.add(
                        egui::DragValue::new(&mut self.draft.transfers.segments)
                            .range(1..=MAX_SEGMENTS as u16),
                    )
                    .labelled_by(l.id)
                    .on_hover_text(
                        "Download a large file in this many ranges at once, each on its own connection: faster when the server limits each connection. Files under 16 MiB, and servers without REST, go in one stream. 1: one stream",
                    );
                    ui.end_row();
                    let l = ui.label(label::TRANSFER_TYPE);
                    let choice = &mut self.draft.text.transfer_type;
                    egui::ComboBox::from_id_salt("prefs-transfer-type")
                        .selected_text(choice.label())
                        .show_ui(ui, |ui| {
                            for c in TypeChoice::ALL {
                                ui.selectable_value(choice, c, c.label());
                            }
                        })
                        .response
                        .labelled_by(l.id)
                        .on_hover_text(
                            "Binary sends every byte as it is. ASCII converts line ends. Auto uses ASCII for the text endings below, only when the server's line ends differ from this computer's (a Windows server)",
                        );
                    ui.end_row();
                    let l = ui.label(label::TEXT_ENDINGS);
                    let edit = ui
                        .add_enabled(
                            self.draft.text.transfer_type == TypeChoice::Auto,
                            egui::TextEdit::singleline(&mut self.endings)
                                .desired_width(240.0),
                        )
                        .labelled_by(l.id)
                        .on_hover_text("Endings Auto sends as text, e.g. .txt .html .php");
                    if edit.changed() {
                        self.draft.text.endings = parse_endings(&self.endings);
                    }
                    ui.end_row();
                });
        });
    }

    fn connection_ui(&mut self, ui: &mut egui::Ui) {
        group(ui, "Connection", |ui| {
            egui::Grid::new("prefs-connection")
                .num_columns(2)
                .spacing([12.0, 6.0])
                .show(ui, |ui| {
                    let l = ui.label(label::MODE);
                    let mode = &mut self.draft.connection.mode;
                    egui::ComboBox::from_id_salt("prefs-mode")
                        .selected_text(mode_label(*mode))
                        .show_ui(ui, |ui| {
                            for m in [
                                ConnectionMode::Auto,
                                ConnectionMode::Passive,
                                ConnectionMode::Active,
                            ] {
                                ui.selectable_value(mode, m, mode_label(m));
                            }
                        })
                        .response
                        .labelled_by(l.id);
                    ui.end_row();
                    let l = ui.label(label::TIMEOUT);
                    ui.add(
                        egui::DragValue::new(&mut self.draft.connection.timeout_secs)
                            .range(TIMEOUT_RANGE),
                    )
                    .labelled_by(l.id);
                    ui.end_row();
                    let l = ui.label(label::PROXY);
                    ui.add(
                        egui::TextEdit::singleline(&mut self.draft.network.proxy)
                            .hint_text("None, e.g. socks5://user@host:1080")
                            .desired_width(260.0),
                    )
                    .labelled_by(l.id)
                    .on_hover_text(
                        "Connect through a proxy: socks5://host:1080 (Ferry resolves names), \
                         socks5h://… (the proxy resolves them) or http://host:3128 (HTTP \
                         CONNECT); user@ before the host when it wants a login. Every site \
                         uses it unless it names its own or none. Passive mode only",
                    );
                    ui.end_row();
                    let l = ui.label(label::PROXY_PASSWORD);
                    ui.add(
                        egui::TextEdit::singleline(&mut self.proxy_password.0)
                            .password(true)
                            .hint_text("Unchanged")
                            .desired_width(260.0),
                    )
                    .labelled_by(l.id)
                    .on_hover_text("Kept in the keyring, never in the preferences file");
                    ui.end_row();
                });
            if let Some(e) = self.proxy_error() {
                ui.colored_label(ui.visuals().error_fg_color, e);
            }
            hint(
                ui,
                "The connection form and new sites start with these; a saved site keeps its own.",
            );
        });
    }

    fn appearance_ui(&mut self, ui: &mut egui::Ui) {
        group(ui, "Appearance", |ui| {
            ui.horizontal(|ui| {
                ui.label("Theme");
                for t in Theme::ALL {
                    ui.radio_value(&mut self.draft.interface.theme, t, t.label());
                }
            });
            ui.checkbox(&mut self.draft.interface.show_hidden, label::SHOW_HIDDEN)
                .on_hover_text(
                    "Whether the panes start showing files whose name starts with a dot \
                     (Ctrl+H switches it until Ferry closes)",
                );
            ui.checkbox(
                &mut self.draft.interface.reconnect_tabs,
                "Reconnect tabs on start",
            )
            .on_hover_text(
                "The tabs open when Ferry closed come back at start; with this on they \
                 also connect again (saved sites use their remembered password)",
            );
        });
    }

    fn editing_ui(&mut self, ui: &mut egui::Ui) {
        group(ui, "Editing", |ui| {
            let l = ui.label(label::EDITOR);
            let edit = ui
                .add(
                    egui::TextEdit::singleline(&mut self.draft.editing.editor)
                        .hint_text("the desktop's default app")
                        .desired_width(f32::INFINITY),
                )
                .labelled_by(l.id);
            match self.editor_error() {
                Some(e) => {
                    ui.painter().rect_stroke(
                        edit.rect,
                        2.0,
                        egui::Stroke::new(1.0, ui.visuals().error_fg_color),
                        egui::StrokeKind::Outside,
                    );
                    ui.colored_label(ui.visuals().error_fg_color, e);
                }
                None => hint(
                    ui,
                    "For editing a remote file in place; {} is the file, e.g. code --wait {}",
                ),
            }
        });
    }
}

impl PreferencesWindow {
    /// Why a typed limit cannot be used, if one cannot (OK and Apply wait).
    fn speed_error(&self) -> Option<String> {
        [
            (label::DOWNLOAD_LIMIT, &self.download_limit),
            (label::UPLOAD_LIMIT, &self.upload_limit),
        ]
        .into_iter()
        .find_map(|(name, text)| {
            parse_limit_field(text)
                .err()
                .map(|e| format!("{name}: {e}"))
        })
    }

    /// FileZilla's speed limits page: the switch, a limit per direction
    /// (KiB/s, or with a unit), and the burst tolerance.
    fn speed_limits_ui(&mut self, ui: &mut egui::Ui) {
        group(ui, "Speed limits", |ui| {
            ui.horizontal(|ui| {
                ui.checkbox(&mut self.draft.speed_limits.enabled, label::SPEED_LIMITS)
                    .on_hover_text(
                        "Limit all transfers together; the queue panel's \"Speed limit\" switches this too",
                    );
                ui.add_space(12.0);
                let l = ui.label(label::BURST);
                let burst = &mut self.draft.speed_limits.burst;
                egui::ComboBox::from_id_salt("prefs-burst")
                    .selected_text(burst.label())
                    .show_ui(ui, |ui| {
                        for b in BurstTolerance::ALL {
                            ui.selectable_value(burst, b, b.label());
                        }
                    })
                    .response
                    .labelled_by(l.id)
                    .on_hover_text(
                        "How much may pass at once after a pause: Normal is a quarter second's worth, High twice that, Very high five times. The average keeps to the limit",
                    );
            });
            let enabled = self.draft.speed_limits.enabled;
            ui.horizontal(|ui| {
                for (name, text, value) in [
                    (
                        label::DOWNLOAD_LIMIT,
                        &mut self.download_limit,
                        &mut self.draft.speed_limits.download,
                    ),
                    (
                        label::UPLOAD_LIMIT,
                        &mut self.upload_limit,
                        &mut self.draft.speed_limits.upload,
                    ),
                ] {
                    let l = ui.label(name);
                    let edit = ui
                        .add_enabled(
                            enabled,
                            egui::TextEdit::singleline(text)
                                .hint_text("none")
                                .desired_width(80.0),
                        )
                        .labelled_by(l.id)
                        .on_hover_text(
                            "KiB/s (500), or with a unit: 500K, 2M, 1G. Empty: no limit",
                        );
                    match parse_limit_field(text) {
                        Ok(rate) => *value = rate,
                        Err(_) => {
                            ui.painter().rect_stroke(
                                edit.rect,
                                2.0,
                                egui::Stroke::new(1.0, ui.visuals().error_fg_color),
                                egui::StrokeKind::Outside,
                            );
                        }
                    }
                    ui.add_space(8.0);
                }
            });
            match self.speed_error() {
                Some(e) => {
                    ui.colored_label(ui.visuals().error_fg_color, e);
                }
                None => hint(
                    ui,
                    "A number is KiB/s; 500K and 2M work too. For all transfers together; the queue's menu (Speed limit…) gives a transfer its own.",
                ),
            }
        });
    }

    /// The name filters' summary and the button to their window; true when
    /// it was pressed.
    fn filters_ui(&mut self, ui: &mut egui::Ui) -> bool {
        let mut open = false;
        group(ui, "Filters", |ui| {
            let f = &self.draft.filters;
            ui.horizontal(|ui| {
                ui.label(format!(
                    "{} of {} name filters on{}",
                    f.enabled_count(),
                    f.rules.len(),
                    if f.exclude_from_transfers {
                        ", also for folder transfers"
                    } else {
                        ""
                    }
                ));
                open = ui
                    .button(label::FILTERS)
                    .on_hover_text("Add, edit and switch the filters (View → Filters…)")
                    .clicked();
            });
        });
        open
    }
}

/// The theme preference as egui knows it.
pub fn egui_theme(theme: Theme) -> egui::ThemePreference {
    match theme {
        Theme::System => egui::ThemePreference::System,
        Theme::Light => egui::ThemePreference::Light,
        Theme::Dark => egui::ThemePreference::Dark,
    }
}

fn mode_label(mode: ConnectionMode) -> &'static str {
    match mode {
        ConnectionMode::Auto => "Auto (passive, then active)",
        ConnectionMode::Passive => "Passive",
        ConnectionMode::Active => "Active",
    }
}

fn group(ui: &mut egui::Ui, title: &str, add: impl FnOnce(&mut egui::Ui)) {
    ui.add_space(4.0);
    ui.label(egui::RichText::new(title).strong());
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        add(ui);
    });
}

fn hint(ui: &mut egui::Ui, text: &str) {
    ui.label(
        egui::RichText::new(text)
            .small()
            .color(ui.visuals().weak_text_color()),
    );
}
