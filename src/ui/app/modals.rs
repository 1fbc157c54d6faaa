//! The app's modal dialogs: questions, names, confirmations and password
//! prompts, the certificate dialog, and the connection test's window.

use super::*;

impl FerryApp {
    pub(super) fn modal_ui(&mut self, ctx: &egui::Context) {
        let Some(modal) = self.modal.clone() else {
            return;
        };
        let mut close = false;
        let mut command = None;
        match modal {
            Modal::NewFolder { side, mut name } => {
                egui::Modal::new(egui::Id::unique("new-folder")).show(ctx, |ui| {
                    ui.heading("New folder");
                    let label = ui.label("Name:");
                    let edit = ui
                        .add(egui::TextEdit::singleline(&mut name).desired_width(260.0))
                        .labelled_by(label.id);
                    edit.request_focus();
                    let valid = !name.trim().is_empty()
                        && !name.contains('/')
                        && name != "."
                        && name != "..";
                    if !valid && !name.is_empty() {
                        ui.colored_label(
                            ui.visuals().error_fg_color,
                            "A name cannot contain / or be . or ..",
                        );
                    }
                    ui.horizontal(|ui| {
                        // The name field always has the focus: Enter is for it.
                        let enter = ui.input(|i| i.key_pressed(egui::Key::Enter));
                        if (ui.add_enabled(valid, egui::Button::new("Create")).clicked() || enter)
                            && valid
                        {
                            match (self.pane(side).path(), self.name_bytes(side, name.trim())) {
                                (Some(base), Ok(bytes)) => {
                                    command = Some(Command::MakeDir {
                                        path: base.join(&bytes),
                                    });
                                    // Selected once the re-listing shows it.
                                    self.pane_mut(side).reveal(&bytes);
                                }
                                (_, Err(why)) => {
                                    self.notice = Some(format!("Not created: {why}"));
                                }
                                (None, _) => {}
                            }
                            close = true;
                        }
                        if ui.button("Cancel").clicked()
                            || ui.input(|i| i.key_pressed(egui::Key::Escape))
                        {
                            close = true;
                        }
                    });
                });
                if !close {
                    self.modal = Some(Modal::NewFolder { side, name });
                }
            }
            Modal::ConfirmMove { paths, folder } => {
                egui::Modal::new(egui::Id::unique("confirm-move")).show(ctx, |ui| {
                    ui.heading("Move?");
                    ui.label(format!(
                        "Move {} from:",
                        crate::ui::format::count(paths.len() as u64, "item", "items")
                    ));
                    for PathItem { path: p, .. } in paths.iter().take(5) {
                        ui.label(crate::ui::format::name(
                            ui,
                            egui::RichText::new(p.display().to_string()).monospace(),
                        ));
                    }
                    if paths.len() > 5 {
                        ui.label(format!("… and {} more", paths.len() - 5));
                    }
                    ui.label("Into:");
                    ui.label(crate::ui::format::name(
                        ui,
                        egui::RichText::new(folder.display().to_string()).monospace(),
                    ));
                    ui.horizontal(|ui| {
                        // Enter confirms, Esc cancels, as in every desktop dialog.
                        if ui.button("Move").clicked()
                            || ui.input(|i| i.key_pressed(egui::Key::Enter))
                        {
                            for PathItem { path: p, .. } in &paths {
                                let name = p.file_name();
                                self.send(Command::Rename {
                                    from: p.clone(),
                                    to: folder.join(&name),
                                });
                            }
                            close = true;
                        }
                        if ui.button("Cancel").clicked()
                            || ui.input(|i| i.key_pressed(egui::Key::Escape))
                        {
                            close = true;
                        }
                    });
                });
            }
            Modal::AskPassword {
                site,
                mut password,
                note,
                mut remember,
                test,
            } => {
                let mut submit = false;
                let can_remember = site.logon == LogonType::Normal
                    && self.saved.as_ref().is_some_and(|s| s.writer.is_some())
                    && self
                        .keyring_status
                        .as_ref()
                        .is_some_and(KeyringStatus::is_available);
                let style = ctx.global_style();
                egui::Modal::new(egui::Id::unique("ferry-ask-password"))
                    .frame(egui::Frame::popup(&style).inner_margin(egui::Margin::same(16)))
                    .show(ctx, |ui| {
                        ui.set_max_width(400.0);
                        let prompt = PasswordPrompt {
                            who: format!("{} on {} ({})", site.user, site.host_port(), site.name),
                            note: note.as_deref(),
                            remember: can_remember
                                .then_some((&mut remember, site_manager::label::REMEMBER)),
                            go: if test { "Test" } else { "Connect" },
                            back: "Cancel",
                        };
                        match password_prompt(ui, prompt, &mut password, &mut Vec::new()) {
                            PromptOutcome::Nothing => {}
                            PromptOutcome::Submit => submit = true,
                            PromptOutcome::Back => close = true,
                        }
                    });
                if submit {
                    self.modal = None;
                    if remember && can_remember {
                        self.remember_password(&site.id, &password);
                    }
                    self.site_ready(*site, password, test);
                    return;
                }
                if !close {
                    self.modal = Some(Modal::AskPassword {
                        site,
                        password,
                        note,
                        remember,
                        test,
                    });
                }
            }
            Modal::ImportReport { from, report } => {
                let mut manage = false;
                let style = ctx.global_style();
                egui::Modal::new(egui::Id::unique("ferry-import-report"))
                    .frame(egui::Frame::popup(&style).inner_margin(egui::Margin::same(16)))
                    .show(ctx, |ui| {
                        ui.set_max_width(520.0);
                        ui.heading("FileZilla import");
                        ui.label(format!(
                            "Imported {}, skipped {}, from {}",
                            crate::ui::format::count(report.imported.len() as u64, "site", "sites"),
                            report.skipped.len(),
                            from.display()
                        ));
                        egui::ScrollArea::vertical()
                            .max_height(300.0)
                            .show(ui, |ui| {
                                for name in &report.imported {
                                    ui.label(format!("Imported: {name}"));
                                }
                                for (name, why) in &report.skipped {
                                    ui.colored_label(
                                        ui.visuals().warn_fg_color,
                                        format!("Skipped {name}: {why}"),
                                    );
                                }
                                for (name, note) in &report.notes {
                                    ui.label(format!("Note for {name}: {note}"));
                                }
                            });
                        crate::ui::connect_dialog::buttons_layout(ui, |ui| {
                            if ui.button("Close").clicked()
                                || ui.input(|i| i.key_pressed(egui::Key::Escape))
                            {
                                close = true;
                            }
                            if ui.button("Open Site Manager").clicked() {
                                manage = true;
                                close = true;
                            }
                        });
                    });
                if !close {
                    self.modal = Some(Modal::ImportReport { from, report });
                } else if manage {
                    self.modal = None;
                    self.open_site_manager(None);
                    return;
                }
            }
            Modal::ConfirmDelete { side, paths } => {
                egui::Modal::new(egui::Id::unique("confirm-delete")).show(ctx, |ui| {
                    ui.heading("Delete?");
                    let where_ = if side == Side::Remote {
                        "from the server"
                    } else {
                        "from this computer"
                    };
                    let folders = paths.iter().filter(|item| item.is_dir).count() as u64;
                    let count = crate::ui::format::count;
                    ui.label(format!(
                        "Delete {} {where_}{}? This cannot be undone.",
                        count(paths.len() as u64, "item", "items"),
                        match folders {
                            0 => String::new(),
                            1 => ", including 1 folder with everything in it".to_string(),
                            n => format!(
                                ", including {} with everything in them",
                                count(n, "folder", "folders")
                            ),
                        }
                    ));
                    for PathItem { path: p, .. } in paths.iter().take(5) {
                        ui.label(crate::ui::format::name(
                            ui,
                            egui::RichText::new(p.display().to_string()).monospace(),
                        ));
                    }
                    if paths.len() > 5 {
                        ui.label(format!("… and {} more", paths.len() - 5));
                    }
                    ui.horizontal(|ui| {
                        if ui.button("Delete").clicked()
                            || ui.input(|i| i.key_pressed(egui::Key::Enter))
                        {
                            command = Some(Command::Delete {
                                paths: paths.clone(),
                            });
                            close = true;
                        }
                        if ui.button("Cancel").clicked()
                            || ui.input(|i| i.key_pressed(egui::Key::Escape))
                        {
                            close = true;
                        }
                    });
                });
            }
        }
        if close {
            self.modal = None;
        }
        if let Some(c) = command {
            self.send(c);
        }
    }

    pub(super) fn cert_ui(&mut self, ctx: &egui::Context) -> Option<CertDecision> {
        cert_dialog::show(ctx, self.cert_prompt.as_ref()?)
    }

    /// The fingerprint the user trusted before for this server, when the
    /// server now presents another certificate.
    pub(super) fn trusted_before(
        &self,
        options: &ConnectOptions,
        certificate: &CertificateInfo,
    ) -> Option<String> {
        let trust = self.saved.as_ref()?.trust.as_ref()?;
        match trust.check(&options.addr_text(), &certificate.sha256) {
            TrustCheck::Changed { old, .. } => Some(old),
            TrustCheck::Trusted | TrustCheck::Unknown => None,
        }
    }

    /// Run the connection test for `request` on its own connection.
    /// `form_mode` is the mode the form or site asks for now (`None`: Auto).
    pub(super) fn start_test(
        &mut self,
        mut request: ConnectRequest,
        form_mode: Option<DataMode>,
        origin: TestOrigin,
    ) {
        self.apply_proxy(&mut request);
        let key = request.options.addr_text();
        if request.options.trust == TrustPolicy::SystemRoots
            && let Some(trust) = self.saved.as_ref().and_then(|s| s.trust.as_ref())
        {
            request.options.trust = trust.policy_for(&key);
        }
        let o = &request.options;
        let target = o.user_at();
        self.tests_run += 1;
        let id = self.tests_run;
        self.send(Command::TestConnection {
            id,
            options: request.options.clone(),
            path: request.initial_path.clone(),
        });
        self.test = Some((
            ConnectionTest::new(id, target, form_mode),
            TestRun { request, origin },
        ));
    }

    pub(super) fn test_ui(&self, ctx: &egui::Context) -> Option<TestIntent> {
        self.test.as_ref()?.0.show(ctx)
    }
}
