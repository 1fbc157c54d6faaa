//! The app's preferences side: reading them at start on their own thread
//! (the first frame does not wait), applying them, the Preferences window,
//! and saving each change on that thread.

use super::*;
use crate::prefs::{ConnectionDefaults, Preferences, PrefsReply, PrefsStore, PrefsWorker};
use crate::ui::preferences::{PrefsIntent, egui_theme};
use crate::ui::queue_view::QueueSettings;

/// The preferences file's thread, and where its work stands.
#[derive(Default)]
pub(super) struct PrefsIo {
    worker: Option<PrefsWorker>,
    /// The file has been read, or there is none to read.
    loaded: bool,
    /// Saves sent and not answered yet.
    saving: usize,
}

impl FerryApp {
    /// Start reading the preferences from `file` (`None`: the defaults,
    /// never saved). They are applied when they arrive.
    pub(super) fn start_preferences(&mut self, file: Option<PathBuf>, ctx: &egui::Context) {
        let Some(path) = file else {
            self.prefs_io.loaded = true;
            return;
        };
        let waker = ctx.clone();
        match PrefsWorker::start(
            PrefsStore::at(path),
            Arc::new(move || waker.request_repaint()),
        ) {
            Ok(worker) => self.prefs_io.worker = Some(worker),
            Err(e) => {
                self.prefs_io.loaded = true;
                self.banner = Some(Banner {
                    message: format!(
                        "Preferences: defaults are used and changes are not saved: could not start their thread ({e})"
                    ),
                    actions: vec![BannerAction::Dismiss],
                });
            }
        }
    }

    /// Whether the preferences file has been read (or there is none).
    pub fn preferences_loaded(&self) -> bool {
        self.prefs_io.loaded
    }

    /// Whether a preferences save is still being written.
    pub fn is_saving_preferences(&self) -> bool {
        self.prefs_io.saving > 0
    }

    pub(super) fn open_preferences(&mut self) {
        let current = self.preferences.clone();
        self.preferences_window.open_with(&current);
    }

    /// Once a frame: replies from the preferences thread, then the window;
    /// returns what the user asked for in it.
    pub(super) fn preferences_ui(&mut self, ctx: &egui::Context) -> Option<PrefsIntent> {
        while let Some(reply) = self
            .prefs_io
            .worker
            .as_ref()
            .and_then(PrefsWorker::try_recv)
        {
            self.preferences_reply(reply, ctx);
        }
        if let Some(on) = self.queue.take_speed_toggle() {
            // The queue panel's "Speed limit" switch: applied and saved like
            // the Preferences' own checkbox.
            let mut prefs = self.preferences.clone();
            prefs.speed_limits.enabled = on;
            self.apply_preferences(prefs, false, ctx);
            self.save_preferences();
        }
        self.preferences_window.loading = !self.prefs_io.loaded;
        self.preferences_window.covered = self.filters.open;
        self.preferences_window.show(ctx)
    }

    fn preferences_reply(&mut self, reply: PrefsReply, ctx: &egui::Context) {
        match reply {
            PrefsReply::Loaded(loaded) => {
                let loaded = *loaded;
                self.prefs_io.loaded = true;
                let mut prefs = loaded.prefs;
                if !loaded.found {
                    // No file yet: start from what the window remembered.
                    prefs.transfers.parallel = self.state.queue.concurrency;
                    prefs.transfers.if_exists = self.state.queue.on_existing;
                    prefs.interface.show_hidden = self.state.show_hidden;
                }
                if let Some(problem) = loaded.problem {
                    self.banner = Some(Banner {
                        message: format!("Preferences: {problem}"),
                        actions: vec![BannerAction::Dismiss],
                    });
                }
                self.apply_preferences(prefs, true, ctx);
                if self.preferences_window.open {
                    let current = self.preferences.clone();
                    self.preferences_window.open_with(&current);
                }
            }
            PrefsReply::Saved(result) => {
                self.prefs_io.saving = self.prefs_io.saving.saturating_sub(1);
                if let Err(e) = result {
                    self.banner = Some(Banner {
                        message: format!("Preferences were applied but not saved: {e}"),
                        actions: vec![BannerAction::Dismiss],
                    });
                }
            }
        }
    }

    /// Use `new`. At start (`initial`) every value is applied; later only
    /// what changed, so a choice made for this run (Ctrl+H, the queue's
    /// toolbar) stays until the user changes that preference.
    pub(super) fn apply_preferences(
        &mut self,
        new: Preferences,
        initial: bool,
        ctx: &egui::Context,
    ) {
        let old = std::mem::replace(&mut self.preferences, new.clone());
        ctx.set_theme(egui_theme(new.interface.theme));
        if initial || new.transfers != old.transfers {
            self.state.queue = QueueSettings {
                concurrency: new.transfers.parallel,
                on_existing: new.transfers.if_exists,
            };
            self.send(self.state.queue.command());
        }
        if initial || new.transfers != old.transfers || new.text != old.text {
            self.send(crate::engine::Command::TransferSettings(
                new.queue_transfer_settings(),
            ));
        }
        if initial || new.speed_limits != old.speed_limits {
            self.queue.limits.global = new.speed_limits;
            self.send(crate::engine::Command::SpeedLimit(
                crate::engine::rate_limit::SpeedLimitCommand::Global(new.speed_limits.active()),
            ));
        }
        if (initial || new.interface.show_hidden != old.interface.show_hidden)
            && new.interface.show_hidden != self.state.show_hidden
        {
            self.set_show_hidden(new.interface.show_hidden);
        }
        follow_connection_defaults(&mut self.quick.form, &old.connection, &new.connection);
        follow_connection_defaults(&mut self.dialog.form, &old.connection, &new.connection);
        self.site_manager.new_site_defaults = new.connection;
        let choices = crate::ui::connect_form::PrefsChoices::of(&new);
        self.dialog.prefs_choices = choices.clone();
        self.site_manager.prefs_choices = choices;
        if initial || new.filters != old.filters {
            self.use_filters();
        }
        self.load_proxy_passwords();
    }

    pub(super) fn save_preferences(&mut self) {
        match &self.prefs_io.worker {
            Some(worker) if worker.save(self.preferences.clone()) => self.prefs_io.saving += 1,
            Some(_) => {
                self.banner = Some(Banner {
                    message: "Preferences were applied but not saved: their thread stopped; restart Ferry".into(),
                    actions: vec![BannerAction::Dismiss],
                });
            }
            None => {
                self.notice = Some(
                    "Preferences apply until Ferry closes (no config folder to save them in)"
                        .into(),
                );
            }
        }
    }

    /// Show or hide dot files in both panes and the connection forms.
    pub(super) fn set_show_hidden(&mut self, show: bool) {
        self.state.show_hidden = show;
        self.local.show_hidden = show;
        self.remote.show_hidden = show;
        self.quick.form.show_hidden = show;
        self.dialog.form.show_hidden = show;
        if let Some(r) = self.last_request.as_mut() {
            r.show_hidden = show;
        }
        self.refresh(Side::Remote);
    }
}

/// A connection form still showing the old default mode or timeout takes
/// the new one; a value the user chose stays.
fn follow_connection_defaults(
    form: &mut ConnectForm,
    old: &ConnectionDefaults,
    new: &ConnectionDefaults,
) {
    if form.mode == old.mode {
        form.mode = new.mode;
    }
    let timeout = form.timeout_secs.trim();
    if timeout.is_empty() || timeout == old.timeout_secs.to_string() {
        form.timeout_secs = new.timeout_secs.to_string();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_follows_the_defaults_unless_the_user_chose_otherwise() {
        let old = ConnectionDefaults::default();
        let new = ConnectionDefaults {
            mode: ConnectionMode::Active,
            timeout_secs: 45,
        };
        let mut fresh = ConnectForm::default();
        follow_connection_defaults(&mut fresh, &old, &new);
        assert_eq!(
            (fresh.mode, fresh.timeout_secs.as_str()),
            (ConnectionMode::Active, "45")
        );

        let mut chosen = ConnectForm {
            mode: ConnectionMode::Passive,
            timeout_secs: "90".into(),
            ..ConnectForm::default()
        };
        follow_connection_defaults(&mut chosen, &old, &new);
        assert_eq!(
            (chosen.mode, chosen.timeout_secs.as_str()),
            (ConnectionMode::Passive, "90")
        );
    }
}
