//! Edit in place, the window's side: "Files being edited" (each file, its
//! state, Upload now / Stop editing / Open folder), the questions a save
//! raises ("Upload changes?", "Changed on the server too"), the "Open
//! with…" dialog, and the question on quit while saves are unsent. The
//! engine does the work (`engine/edit.rs`); this only shows it and turns
//! clicks into commands.

use eframe::egui;

use super::actions::Action;
use crate::engine::edit::{EditCommand, EditEvent, EditState, EditView};
use crate::engine::{AnyPath, Command, PathItem, Side};
use crate::prefs::EditorCommand;

/// Everything about files being edited that the window shows.
#[derive(Debug, Default)]
pub struct EditList {
    /// One row per file, oldest first.
    pub rows: Vec<EditView>,
    /// The "Files being edited" window is open.
    pub open: bool,
    open_with: Option<OpenWith>,
    /// Stop editing this one, with unsent saves? (asked first)
    confirm_stop: Option<u64>,
    /// The window was asked to close while saves were unsent.
    quit: QuitState,
}

#[derive(Debug, Default, PartialEq)]
enum QuitState {
    #[default]
    No,
    /// Asking what to do.
    Asking,
    /// Uploading the unsent saves; close once they are all sent.
    AfterUploads,
    /// The user said quit anyway.
    Confirmed,
}

/// The "Open with…" dialog: which file, and the command line typed.
#[derive(Debug, Clone, PartialEq)]
struct OpenWith {
    remote: Vec<u8>,
    line: String,
}

impl EditList {
    pub fn apply(&mut self, event: EditEvent) {
        match event {
            EditEvent::Changed(view) => match self.rows.iter_mut().find(|r| r.id == view.id) {
                Some(row) => *row = *view,
                None => {
                    self.rows.push(*view);
                }
            },
            EditEvent::Removed(id) => self.rows.retain(|r| r.id != id),
        }
    }

    /// How many files hold saves that have not reached the server.
    pub fn unsent(&self) -> usize {
        self.rows.iter().filter(|r| r.unsent).count()
    }

    /// View (F3), Edit (F4) or Open with… on the selection of the pane on
    /// `side`: the command to send, or why not. `editor` is the
    /// preference's command line (empty: the desktop's application).
    pub fn start(
        &mut self,
        action: Action,
        side: Side,
        selected: Vec<PathItem>,
        editor: &str,
    ) -> Result<Option<Command>, String> {
        let [item] = selected.as_slice() else {
            return Err("Select one file to view or edit".into());
        };
        if item.is_dir {
            return Err(format!(
                "{} is a folder; only files can be viewed or edited",
                item.path.display()
            ));
        }
        // A local file is opened where it is: there is nothing to send back.
        if let (Side::Local, AnyPath::Local(path)) = (side, &item.path) {
            let editor = match action {
                Action::ViewFile => None,
                _ => EditorCommand::parse(editor)
                    .map_err(|e| format!("The editor in Preferences cannot be used: {e}"))?,
            };
            return Ok(Some(Command::Edit(EditCommand::OpenLocal {
                path: path.clone(),
                editor,
            })));
        }
        let AnyPath::Remote(remote) = &item.path else {
            return Err("Select one remote file to view or edit".into());
        };
        if item.is_dir {
            return Err(format!(
                "{} is a folder; only files can be viewed or edited",
                item.path.display()
            ));
        }
        let remote = remote.clone();
        match action {
            Action::ViewFile => Ok(Some(Command::Edit(EditCommand::Open {
                remote,
                editor: None,
                watch: false,
            }))),
            Action::OpenWith => {
                self.open_with = Some(OpenWith {
                    remote,
                    line: editor.to_string(),
                });
                Ok(None)
            }
            _ => {
                let editor = EditorCommand::parse(editor)
                    .map_err(|e| format!("The editor in Preferences cannot be used: {e}"))?;
                Ok(Some(Command::Edit(EditCommand::Open {
                    remote,
                    editor,
                    watch: true,
                })))
            }
        }
    }

    /// Draw what is open (the list, a question, the dialog) and watch for
    /// the window closing; returns the commands the clicks asked for.
    #[must_use]
    pub fn ui(&mut self, ctx: &egui::Context) -> Vec<Command> {
        let mut commands = Vec::new();
        self.quit_ui(ctx, &mut commands);
        if self.open {
            self.list_ui(ctx, &mut commands);
        }
        self.open_with_ui(ctx, &mut commands);
        // One question at a time: the oldest file that asks.
        if self.open_with.is_none() && self.confirm_stop.is_none() && self.quit != QuitState::Asking
        {
            self.question_ui(ctx, &mut commands);
        }
        commands
    }

    fn question_ui(&mut self, ctx: &egui::Context, commands: &mut Vec<Command>) {
        let Some(row) = self.rows.iter().find(|r| {
            matches!(
                r.state,
                EditState::Changed | EditState::RemoteChanged { .. }
            )
        }) else {
            return;
        };
        let id = row.id;
        let title = row.title();
        let mut answer = None;
        match &row.state {
            EditState::RemoteChanged { theirs, ours } => {
                let (theirs, ours) = (theirs.describe(), ours.describe());
                egui::Modal::new(egui::Id::unique("edit-conflict").with(id)).show(ctx, |ui| {
                    ui.heading("Changed on the server too");
                    ui.label(format!(
                        "{title} changed on the server since you opened it. Uploading your copy replaces their change."
                    ));
                    ui.label(format!("On the server now: {theirs}"));
                    ui.label(format!("When you opened it: {ours}"));
                    ui.horizontal(|ui| {
                        if ui.button("Overwrite").clicked() {
                            answer = Some(EditCommand::Upload {
                                id,
                                always: false,
                                overwrite: true,
                            });
                        }
                        if ui
                            .button("Download theirs")
                            .on_hover_text("Replace your copy with the server's (your changes are lost)")
                            .clicked()
                        {
                            answer = Some(EditCommand::DownloadTheirs { id });
                        }
                        if ui
                            .button("Keep both")
                            .on_hover_text("Upload your copy beside theirs, as NAME (1).ext")
                            .clicked()
                        {
                            answer = Some(EditCommand::KeepBoth { id });
                        }
                    });
                });
            }
            _ => {
                egui::Modal::new(egui::Id::unique("edit-upload").with(id)).show(ctx, |ui| {
                    ui.heading("Upload changes?");
                    ui.label(format!("Upload changes to {title}?"));
                    ui.horizontal(|ui| {
                        if ui.button("Upload").clicked()
                            || ui.input(|i| i.key_pressed(egui::Key::Enter))
                        {
                            answer = Some(EditCommand::Upload {
                                id,
                                always: false,
                                overwrite: false,
                            });
                        }
                        if ui
                            .button("Always for this file")
                            .on_hover_text("Upload this save and every later one without asking")
                            .clicked()
                        {
                            answer = Some(EditCommand::Upload {
                                id,
                                always: true,
                                overwrite: false,
                            });
                        }
                        if ui
                            .button("Discard")
                            .on_hover_text("Do not upload this save; the next save asks again")
                            .clicked()
                            || ui.input(|i| i.key_pressed(egui::Key::Escape))
                        {
                            answer = Some(EditCommand::Discard { id });
                        }
                    });
                });
            }
        }
        if let Some(answer) = answer {
            // Shown as being handled (not asked again) until the engine says how it went.
            let handling = match answer {
                EditCommand::Discard { .. } => EditState::Watching,
                EditCommand::DownloadTheirs { .. } => EditState::Downloading,
                _ => EditState::Uploading,
            };
            if let Some(row) = self.rows.iter_mut().find(|r| r.id == id) {
                row.state = handling;
            }
            commands.push(Command::Edit(answer));
        }
    }

    fn list_ui(&mut self, ctx: &egui::Context, commands: &mut Vec<Command>) {
        let mut open = self.open;
        let mut stop = None;
        egui::Window::new("Files being edited")
            .open(&mut open)
            .default_width(620.0)
            .show(ctx, |ui| {
                if self.rows.is_empty() {
                    ui.label(
                        "No files are being edited. Select a remote file and press F4 to edit it.",
                    );
                    return;
                }
                egui::Grid::new("edit-list")
                    .striped(true)
                    .num_columns(3)
                    .show(ui, |ui| {
                        ui.strong("File");
                        ui.strong("State");
                        ui.strong("");
                        ui.end_row();
                        for row in &self.rows {
                            ui.label(row.title())
                                .on_hover_text(row.local.display().to_string());
                            let state = row.state.label();
                            match row.state {
                                EditState::Failed(_) => {
                                    ui.colored_label(ui.visuals().error_fg_color, state)
                                }
                                _ => ui.label(state),
                            };
                            ui.horizontal(|ui| {
                                let idle = !matches!(
                                    row.state,
                                    EditState::Downloading | EditState::Uploading
                                );
                                if row.watched
                                    && ui
                                        .add_enabled(idle, egui::Button::new("Upload now"))
                                        .clicked()
                                {
                                    commands.push(Command::Edit(EditCommand::Upload {
                                        id: row.id,
                                        always: false,
                                        overwrite: false,
                                    }));
                                }
                                if ui.button("Stop editing").clicked() {
                                    stop = Some((row.id, row.unsent));
                                }
                                if ui.button("Open folder").clicked() {
                                    commands.push(Command::Edit(EditCommand::ShowFolder {
                                        id: row.id,
                                    }));
                                }
                            });
                            ui.end_row();
                        }
                    });
            });
        self.open = open;
        match stop {
            Some((id, true)) => self.confirm_stop = Some(id),
            Some((id, false)) => commands.push(Command::Edit(EditCommand::Stop { id })),
            None => {}
        }
        if let Some(id) = self.confirm_stop {
            let title = self
                .rows
                .iter()
                .find(|r| r.id == id)
                .map(EditView::title)
                .unwrap_or_default();
            let mut close = false;
            egui::Modal::new(egui::Id::unique("edit-stop").with(id)).show(ctx, |ui| {
                ui.heading("Stop editing?");
                ui.label(format!(
                    "Your saves to {title} have not been uploaded. Stopping deletes the temporary copy with them."
                ));
                ui.horizontal(|ui| {
                    if ui.button("Stop and discard changes").clicked() {
                        commands.push(Command::Edit(EditCommand::Stop { id }));
                        close = true;
                    }
                    if ui.button("Cancel").clicked()
                        || ui.input(|i| i.key_pressed(egui::Key::Escape))
                    {
                        close = true;
                    }
                });
            });
            if close {
                self.confirm_stop = None;
            }
        }
    }

    fn open_with_ui(&mut self, ctx: &egui::Context, commands: &mut Vec<Command>) {
        let Some(mut dialog) = self.open_with.take() else {
            return;
        };
        let mut close = false;
        let parsed = EditorCommand::parse(&dialog.line);
        egui::Modal::new(egui::Id::unique("edit-open-with")).show(ctx, |ui| {
            ui.heading("Open with…");
            ui.label(format!(
                "Edit {} with this program ({{}} is the file; empty for the desktop's application):",
                String::from_utf8_lossy(&dialog.remote)
            ));
            let label = ui.label("Command:");
            let edit = ui
                .add(egui::TextEdit::singleline(&mut dialog.line).desired_width(360.0))
                .labelled_by(label.id);
            edit.request_focus();
            if let Err(e) = &parsed {
                ui.colored_label(ui.visuals().error_fg_color, e.to_string());
            }
            ui.horizontal(|ui| {
                let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                if (ui
                    .add_enabled(parsed.is_ok(), egui::Button::new("Open"))
                    .clicked()
                    || enter)
                    && let Ok(editor) = &parsed
                {
                    commands.push(Command::Edit(EditCommand::Open {
                        remote: dialog.remote.clone(),
                        editor: editor.clone(),
                        watch: true,
                    }));
                    close = true;
                }
                if ui.button("Cancel").clicked() || ui.input(|i| i.key_pressed(egui::Key::Escape))
                {
                    close = true;
                }
            });
        });
        if !close {
            self.open_with = Some(dialog);
        }
    }

    /// Closing the window with unsent saves asks first: upload them and
    /// then quit, quit anyway, or stay.
    fn quit_ui(&mut self, ctx: &egui::Context, commands: &mut Vec<Command>) {
        let close_requested = ctx.input(|i| i.viewport().close_requested());
        if close_requested && self.quit != QuitState::Confirmed && self.unsent() > 0 {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            if self.quit == QuitState::No {
                self.quit = QuitState::Asking;
            }
        }
        match self.quit {
            QuitState::AfterUploads => {
                let busy = self
                    .rows
                    .iter()
                    .any(|r| matches!(r.state, EditState::Uploading));
                let stuck = self.rows.iter().any(|r| {
                    r.unsent
                        && matches!(
                            r.state,
                            EditState::Failed(_) | EditState::RemoteChanged { .. }
                        )
                });
                if self.unsent() == 0 && !busy {
                    self.quit = QuitState::Confirmed;
                    ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                } else if stuck && !busy {
                    // An upload failed or needs an answer: show why, and stay.
                    self.quit = QuitState::No;
                    self.open = true;
                }
            }
            QuitState::Asking => {
                let unsent: Vec<&EditView> = self.rows.iter().filter(|r| r.unsent).collect();
                let mut next = None;
                egui::Modal::new(egui::Id::unique("edit-quit")).show(ctx, |ui| {
                    ui.heading("Quit with changes not uploaded?");
                    ui.label(format!(
                        "{} edited in Ferry have saves that have not reached the server:",
                        crate::ui::format::count(unsent.len() as u64, "file", "files")
                    ));
                    for row in &unsent {
                        ui.monospace(row.title());
                    }
                    ui.horizontal(|ui| {
                        if ui.button("Upload, then quit").clicked() {
                            for row in &unsent {
                                commands.push(Command::Edit(EditCommand::Upload {
                                    id: row.id,
                                    always: false,
                                    overwrite: false,
                                }));
                            }
                            next = Some(QuitState::AfterUploads);
                        }
                        if ui.button("Quit without uploading").clicked() {
                            next = Some(QuitState::Confirmed);
                        }
                        if ui.button("Cancel").clicked()
                            || ui.input(|i| i.key_pressed(egui::Key::Escape))
                        {
                            next = Some(QuitState::No);
                        }
                    });
                });
                match next {
                    Some(QuitState::Confirmed) => {
                        self.quit = QuitState::Confirmed;
                        ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                    }
                    Some(QuitState::AfterUploads) => {
                        for row in self.rows.iter_mut().filter(|r| r.unsent) {
                            row.state = EditState::Uploading;
                        }
                        self.quit = QuitState::AfterUploads;
                    }
                    Some(state) => self.quit = state,
                    None => {}
                }
            }
            QuitState::No | QuitState::Confirmed => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;

    fn row(id: u64, unsent: bool) -> EditView {
        EditView {
            id,
            server: "alice@example.org:21".into(),
            remote: format!("/www/{id}.html").into_bytes(),
            local: format!("/tmp/x/{id}.html").into(),
            state: if unsent {
                EditState::Failed("network down".into())
            } else {
                EditState::Watching
            },
            always: false,
            watched: true,
            unsent,
        }
    }

    fn harness(rows: Vec<EditView>) -> Harness<'static, (EditList, Vec<Command>)> {
        let list = EditList {
            rows,
            ..EditList::default()
        };
        Harness::new_ui_state(
            |ui, (list, sent): &mut (EditList, Vec<Command>)| sent.extend(list.ui(ui.ctx())),
            (list, Vec::new()),
        )
    }

    fn request_close(h: &mut Harness<'_, (EditList, Vec<Command>)>) {
        h.input_mut()
            .viewports
            .entry(egui::ViewportId::ROOT)
            .or_default()
            .events
            .push(egui::ViewportEvent::Close);
        h.step();
    }

    fn cancelled_close(h: &Harness<'_, (EditList, Vec<Command>)>) -> bool {
        h.output()
            .viewport_output
            .get(&egui::ViewportId::ROOT)
            .is_some_and(|v| v.commands.contains(&egui::ViewportCommand::CancelClose))
    }

    #[test]
    fn quitting_with_unsent_saves_asks_and_can_upload_them_first() {
        let mut h = harness(vec![row(1, true), row(2, false)]);
        request_close(&mut h);
        assert!(cancelled_close(&h), "the close waits for an answer");
        h.run_steps(2);
        h.get_by_label("example.org:21:/www/1.html");
        h.get_by_label("Upload, then quit").click();
        h.run_steps(2);
        let sent = &h.state().1;
        assert!(
            matches!(
                sent.as_slice(),
                [Command::Edit(EditCommand::Upload { id: 1, .. })]
            ),
            "only the unsent file is uploaded: {sent:?}"
        );
        assert_eq!(h.state().0.quit, QuitState::AfterUploads);
        // Once it is sent, the window closes.
        let mut done = row(1, false);
        done.state = EditState::Uploaded {
            at: chrono::Local::now(),
            note: None,
        };
        h.state_mut().0.apply(EditEvent::Changed(Box::new(done)));
        h.step();
        assert_eq!(h.state().0.quit, QuitState::Confirmed);
    }

    #[test]
    fn quitting_with_nothing_unsent_does_not_ask() {
        let mut h = harness(vec![row(2, false)]);
        request_close(&mut h);
        assert!(!cancelled_close(&h));
        assert_eq!(h.state().0.quit, QuitState::No);
    }

    #[test]
    fn edit_needs_one_remote_file_and_a_usable_editor() {
        let mut list = EditList::default();
        let file = PathItem {
            path: AnyPath::Remote(b"/a.txt".to_vec()),
            is_dir: false,
        };
        let here = PathItem {
            path: AnyPath::Local("/tmp/a.txt".into()),
            is_dir: false,
        };
        let local = list
            .start(Action::EditFile, Side::Local, vec![here], "gedit {}")
            .unwrap();
        assert!(
            matches!(
                local,
                Some(Command::Edit(EditCommand::OpenLocal {
                    editor: Some(_),
                    ..
                }))
            ),
            "a local file opens in place: {local:?}"
        );
        let bad = list
            .start(Action::EditFile, Side::Remote, vec![file.clone()], "gedit")
            .unwrap_err();
        assert!(bad.contains("Preferences"), "{bad}");
        let ok = list
            .start(Action::EditFile, Side::Remote, vec![file.clone()], "")
            .unwrap();
        assert!(matches!(
            ok,
            Some(Command::Edit(EditCommand::Open {
                editor: None,
                watch: true,
                ..
            }))
        ));
        let view = list
            .start(Action::ViewFile, Side::Remote, vec![file], "gedit {}")
            .unwrap();
        assert!(matches!(
            view,
            Some(Command::Edit(EditCommand::Open { watch: false, .. }))
        ));
    }
}
