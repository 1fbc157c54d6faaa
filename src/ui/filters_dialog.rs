//! View → Filters… (also from Preferences): the saved name filters, each
//! switched on or off by its check box, added, edited or deleted, the
//! presets put back, and whether the filters also leave names out of folder
//! transfers. It edits a copy; OK and Apply hand the copy back as an
//! intent, and the app applies and saves it. Enter is OK, Escape Cancel.

use super::connect_form::widget::{SettingsButton, ok_apply_cancel};
use eframe::egui;

use crate::filters::{FilterRule, FilterSettings, Hides, Panes, PatternKind};

/// Labels the tests find widgets by.
pub mod label {
    pub const TITLE: &str = "Filters";
    pub const ADD: &str = "Add filter…";
    pub const PRESETS: &str = "Add the presets";
    pub const EXCLUDE: &str = "Also exclude from recursive transfers";
    pub const NAME: &str = "Filter name";
    pub const PATTERN: &str = "Pattern";
    pub const GLOB: &str = "Glob";
    pub const REGEX: &str = "Regular expression";
    pub const CASE: &str = "Match case";
    pub const SAVE: &str = "Save filter";
    pub const DISCARD: &str = "Discard";
    pub const EDIT: &str = "Edit…";
    pub const DELETE: &str = "Delete";
    pub const OK: &str = "OK";
    pub const APPLY: &str = "Apply";
    pub const CANCEL: &str = "Cancel";
}

/// What the user asked the window for.
#[must_use]
#[derive(Debug, Clone, PartialEq)]
pub enum FiltersIntent {
    /// Use and save these filters; `close` for OK, not for Apply.
    Apply {
        settings: FilterSettings,
        close: bool,
    },
    /// Close without applying anything more.
    Cancel,
}

/// A filter being added or edited.
#[derive(Debug, Clone, PartialEq)]
struct RuleEditor {
    /// The rule's place in the list; None for a new one.
    index: Option<usize>,
    rule: FilterRule,
}

/// The window's state while open.
#[derive(Debug, Default)]
pub struct FiltersDialog {
    pub open: bool,
    /// The copy being edited.
    pub draft: FilterSettings,
    editor: Option<RuleEditor>,
}

impl FiltersDialog {
    /// Open over the filters in use.
    pub fn open_with(&mut self, current: &FilterSettings) {
        self.draft = current.clone();
        self.editor = None;
        self.open = true;
    }

    /// Draw the window; returns what the user asked for this frame.
    pub fn show(&mut self, ctx: &egui::Context) -> Option<FiltersIntent> {
        if !self.open {
            return None;
        }
        let mut intent = None;
        let style = ctx.global_style();
        let modal = egui::Modal::new(egui::Id::unique("ferry-filters"))
            .frame(egui::Frame::popup(&style).inner_margin(egui::Margin::same(16)))
            .show(ctx, |ui| {
                ui.set_width(560.0);
                ui.heading(label::TITLE);
                hint(
                    ui,
                    "Switched-on filters hide the names they match in the panes. A glob \
                     matches the whole name (*, ?, [a-z]); a regular expression matches \
                     anywhere in it (^…$ for the whole name).",
                );
                if self.draft.unreadable > 0 {
                    hint(
                        ui,
                        &format!(
                            "{} in the preferences file could not be read (written by a \
                             newer Ferry?) and {} left out; saving here drops {}.",
                            crate::ui::format::count(
                                self.draft.unreadable as u64,
                                "saved filter",
                                "saved filters"
                            ),
                            if self.draft.unreadable == 1 {
                                "is"
                            } else {
                                "are"
                            },
                            if self.draft.unreadable == 1 {
                                "it"
                            } else {
                                "them"
                            },
                        ),
                    );
                }
                ui.add_space(6.0);
                self.list_ui(ui);
                ui.add_space(4.0);
                ui.horizontal(|ui| {
                    let adding = self.editor.is_some();
                    if ui
                        .add_enabled(!adding, egui::Button::new(label::ADD))
                        .on_hover_text("A new filter: a name pattern, what it hides and where")
                        .clicked()
                    {
                        self.editor = Some(RuleEditor {
                            index: None,
                            rule: FilterRule::default(),
                        });
                    }
                    let missing = self.draft.missing_presets();
                    if ui
                        .add_enabled(!missing.is_empty(), egui::Button::new(label::PRESETS))
                        .on_hover_text(
                            ".git, node_modules, *.tmp, Thumbs.db and .DS_Store, switched off \
                             (those already in the list stay as they are)",
                        )
                        .clicked()
                    {
                        self.draft.rules.extend(missing);
                    }
                });
                if self.editor.is_some() {
                    ui.add_space(6.0);
                    self.editor_ui(ui);
                }
                ui.add_space(6.0);
                ui.checkbox(&mut self.draft.exclude_from_transfers, label::EXCLUDE)
                    .on_hover_text(
                        "Folders copied through the transfer queue leave out what the \
                         switched-on filters hide: uploads the local pane's, downloads the \
                         remote pane's. What you select yourself is always copied.",
                    );
                ui.add_space(8.0);
                // A half-edited filter must be saved or discarded first.
                let ready = self.editor.is_none();
                let pressed = ok_apply_cancel(ui, ready, |ui| {
                    if !ready {
                        ui.label("Save or discard the filter being edited first");
                    }
                });
                match pressed {
                    Some(SettingsButton::Cancel) => intent = Some(FiltersIntent::Cancel),
                    Some(SettingsButton::Ok) => intent = Some(self.apply(true)),
                    Some(SettingsButton::Apply) => intent = Some(self.apply(false)),
                    None => {}
                }
                if intent.is_none() && !egui::Popup::is_any_open(ui.ctx()) {
                    if ui.input(|i| i.key_pressed(egui::Key::Escape)) {
                        // Escape leaves the filter being edited first.
                        if self.editor.take().is_none() {
                            intent = Some(FiltersIntent::Cancel);
                        }
                    } else if ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                        if self.editor.is_some() {
                            self.save_editor();
                        } else {
                            intent = Some(self.apply(true));
                        }
                    }
                }
            });
        if modal.should_close() && intent.is_none() && self.editor.is_none() {
            intent = Some(FiltersIntent::Cancel);
        }
        if matches!(
            intent,
            Some(FiltersIntent::Cancel | FiltersIntent::Apply { close: true, .. })
        ) {
            self.open = false;
            self.editor = None;
        }
        intent
    }

    fn apply(&self, close: bool) -> FiltersIntent {
        FiltersIntent::Apply {
            settings: self.draft.clone(),
            close,
        }
    }

    /// One row per filter: its switch (named by its title), pattern, what it
    /// hides and where, Edit and Delete.
    fn list_ui(&mut self, ui: &mut egui::Ui) {
        if self.draft.rules.is_empty() {
            ui.label(
                egui::RichText::new("No filters. Add one, or add the presets.")
                    .color(ui.visuals().weak_text_color()),
            );
            return;
        }
        let mut edit = None;
        let mut delete = None;
        let editing = self.editor.as_ref().and_then(|e| e.index);
        egui::ScrollArea::vertical()
            .max_height(260.0)
            .auto_shrink([false, true])
            .show(ui, |ui| {
                egui::Grid::new("filters-list")
                    .num_columns(5)
                    .spacing([12.0, 4.0])
                    .striped(true)
                    .show(ui, |ui| {
                        for (i, rule) in self.draft.rules.iter_mut().enumerate() {
                            let title = rule.title().to_string();
                            ui.checkbox(&mut rule.enabled, title.as_str())
                                .on_hover_text("Switch this filter on or off");
                            let kind = match rule.kind {
                                PatternKind::Glob => "glob",
                                PatternKind::Regex => "regex",
                            };
                            let pattern = ui.label(
                                egui::RichText::new(format!("{}  ({kind})", rule.pattern))
                                    .monospace(),
                            );
                            if let Err(e) = rule.check() {
                                pattern.on_hover_text(format!("Not used: {e}"));
                            }
                            ui.label(format!(
                                "{}, {}",
                                rule.hides.label(),
                                rule.panes.label().to_lowercase()
                            ));
                            if ui
                                .add_enabled(editing != Some(i), egui::Button::new(label::EDIT))
                                .on_hover_text(format!("Change the filter {title}"))
                                .clicked()
                            {
                                edit = Some(i);
                            }
                            if ui
                                .add_enabled(editing.is_none(), egui::Button::new(label::DELETE))
                                .on_hover_text(format!("Remove the filter {title}"))
                                .clicked()
                            {
                                delete = Some(i);
                            }
                            ui.end_row();
                        }
                    });
            });
        // A rule whose pattern does not compile says so under the list.
        for rule in &self.draft.rules {
            if let Err(e) = rule.check() {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    format!("{}: not used: {e}", rule.title()),
                );
            }
        }
        if let Some(i) = edit
            && let Some(rule) = self.draft.rules.get(i)
        {
            self.editor = Some(RuleEditor {
                index: Some(i),
                rule: rule.clone(),
            });
        }
        if let Some(i) = delete
            && i < self.draft.rules.len()
        {
            self.draft.rules.remove(i);
        }
    }

    /// The filter being added or edited.
    fn editor_ui(&mut self, ui: &mut egui::Ui) {
        let mut save = false;
        let mut discard = false;
        let Some(editor) = self.editor.as_mut() else {
            return;
        };
        let heading = if editor.index.is_some() {
            "Edit filter"
        } else {
            "New filter"
        };
        ui.label(egui::RichText::new(heading).strong());
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.set_width(ui.available_width());
            let rule = &mut editor.rule;
            egui::Grid::new("filters-editor")
                .num_columns(2)
                .spacing([12.0, 6.0])
                .show(ui, |ui| {
                    let l = ui.label(label::NAME);
                    ui.add(
                        egui::TextEdit::singleline(&mut rule.name)
                            .hint_text("optional; the pattern when empty")
                            .desired_width(f32::INFINITY),
                    )
                    .labelled_by(l.id);
                    ui.end_row();
                    let l = ui.label(label::PATTERN);
                    let hint_text = match rule.kind {
                        PatternKind::Glob => "e.g. *.bak",
                        PatternKind::Regex => r"e.g. ^~.*\.tmp$",
                    };
                    let edit = ui
                        .add(
                            egui::TextEdit::singleline(&mut rule.pattern)
                                .hint_text(hint_text)
                                .font(egui::TextStyle::Monospace)
                                .desired_width(f32::INFINITY),
                        )
                        .labelled_by(l.id);
                    if rule.check().is_err() && !rule.pattern.is_empty() {
                        ui.painter().rect_stroke(
                            edit.rect,
                            2.0,
                            egui::Stroke::new(1.0, ui.visuals().error_fg_color),
                            egui::StrokeKind::Outside,
                        );
                    }
                    ui.end_row();
                    ui.label("Read as");
                    ui.horizontal(|ui| {
                        ui.radio_value(&mut rule.kind, PatternKind::Glob, label::GLOB);
                        ui.radio_value(&mut rule.kind, PatternKind::Regex, label::REGEX);
                        ui.checkbox(&mut rule.case_sensitive, label::CASE);
                    });
                    ui.end_row();
                    ui.label("Hides");
                    ui.horizontal(|ui| {
                        for h in Hides::ALL {
                            ui.radio_value(&mut rule.hides, h, h.label());
                        }
                    });
                    ui.end_row();
                    ui.label("In");
                    ui.horizontal(|ui| {
                        for p in Panes::ALL {
                            ui.radio_value(&mut rule.panes, p, p.label());
                        }
                    });
                    ui.end_row();
                });
            let problem = rule.check().err();
            if let Some(e) = &problem {
                ui.colored_label(ui.visuals().error_fg_color, e.to_string());
            }
            ui.horizontal(|ui| {
                if ui
                    .add_enabled(problem.is_none(), egui::Button::new(label::SAVE))
                    .clicked()
                {
                    save = true;
                }
                if ui.button(label::DISCARD).clicked() {
                    discard = true;
                }
            });
        });
        if save {
            self.save_editor();
        } else if discard {
            self.editor = None;
        }
    }

    /// Put the edited filter in the list, when its pattern can be used.
    fn save_editor(&mut self) {
        let Some(editor) = self.editor.take() else {
            return;
        };
        if editor.rule.check().is_err() {
            self.editor = Some(editor);
            return;
        }
        match editor.index {
            Some(i) if i < self.draft.rules.len() => self.draft.rules[i] = editor.rule,
            _ => self.draft.rules.push(editor.rule),
        }
    }
}

fn hint(ui: &mut egui::Ui, text: &str) {
    ui.label(
        egui::RichText::new(text)
            .small()
            .color(ui.visuals().weak_text_color()),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_edit_replaces_its_rule_and_a_bad_pattern_is_not_saved() {
        let mut d = FiltersDialog::default();
        d.open_with(&FilterSettings::default());
        d.editor = Some(RuleEditor {
            index: Some(0),
            rule: FilterRule {
                pattern: ".svn".into(),
                ..FilterRule::default()
            },
        });
        d.save_editor();
        assert_eq!(d.draft.rules[0].pattern, ".svn");
        assert_eq!(d.draft.rules.len(), 5);
        d.editor = Some(RuleEditor {
            index: None,
            rule: FilterRule {
                pattern: "(".into(),
                kind: PatternKind::Regex,
                ..FilterRule::default()
            },
        });
        d.save_editor();
        assert_eq!(d.draft.rules.len(), 5, "not added");
        assert!(d.editor.is_some(), "still being edited, with its error");
    }
}
