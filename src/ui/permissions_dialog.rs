//! Properties / Permissions… for the selection of either pane: owner,
//! size and time of one item, the nine permission boxes kept in step with
//! an octal field (a box shows "mixed" where selected items differ and
//! then keeps each item's own bit), and for folders "apply to what is
//! inside" (files only, folders only, all), run by the engine with progress
//! and a cancel.

use std::collections::HashSet;

use eframe::egui;

use crate::engine::chmod::{
    Bit, ChmodCommand, ChmodEvent, ChmodItem, ModeChange, Recurse, parse_listed, parse_octal,
};
use crate::engine::{AnyPath, Command, Entry, Kind, Side};

/// Labels of the boxes, in bit order (they are also their accessible names).
pub const BOX_LABELS: [&str; 9] = [
    "Owner read",
    "Owner write",
    "Owner execute",
    "Group read",
    "Group write",
    "Group execute",
    "Others read",
    "Others write",
    "Others execute",
];

/// The dialog, and what it remembers between openings.
#[derive(Debug, Default)]
pub struct PermissionsDialog {
    pub open: bool,
    side: Option<Side>,
    items: Vec<ChmodItem>,
    names: Vec<String>,
    /// Owner, size, modified: for one item.
    details: Vec<(&'static str, String)>,
    /// What the boxes say now.
    pub change: ModeChange,
    /// The octal field's text.
    pub octal: String,
    /// The selection holds folders.
    any_dir: bool,
    pub recurse: bool,
    pub apply_to: Recurse,
    /// Items changed of found, while the engine works.
    pub running: Option<(u64, u64)>,
    /// What the last change did (or why it failed).
    pub result: Option<String>,
    /// Servers (host:port) that refused SITE CHMOD this session.
    refused: HashSet<String>,
    /// The connected server, for the remote pane.
    server: Option<String>,
}

impl PermissionsDialog {
    /// Open for `entries` of the pane on `side` whose folder is `base`;
    /// `server` is `host:port` for the remote pane. Says why not when
    /// nothing is selected.
    pub fn open_for(
        &mut self,
        side: Side,
        base: Option<AnyPath>,
        entries: Vec<Entry>,
        server: Option<String>,
    ) -> Result<(), String> {
        let Some(base) = base else {
            return Err("Open a folder first".into());
        };
        if entries.is_empty() {
            return Err("Select the files or folders whose permissions to change".into());
        }
        if self.running.is_some() {
            self.open = true;
            return Ok(());
        }
        let modes: Vec<Option<u32>> = entries
            .iter()
            .map(|e| e.permissions.as_deref().and_then(parse_listed))
            .collect();
        self.items = entries
            .iter()
            .zip(&modes)
            .map(|(e, current)| ChmodItem {
                path: base.join(&e.name),
                is_dir: e.kind == Kind::Dir,
                current: *current,
            })
            .collect();
        self.names = entries.iter().map(|e| e.display_name.to_string()).collect();
        self.any_dir = self.items.iter().any(|i| i.is_dir);
        self.details = match entries.as_slice() {
            [one] => {
                let mut d = vec![("Path", base.join(&one.name).display())];
                d.push((
                    "Owner",
                    one.owner
                        .as_deref()
                        .map_or_else(|| "unknown".into(), str::to_string),
                ));
                if let Some(size) = one.size.filter(|_| one.kind != Kind::Dir) {
                    d.push(("Size", format!("{size} bytes")));
                }
                if let Some(t) = one.modified {
                    d.push(("Modified", t.format("%Y-%m-%d %H:%M:%S").to_string()));
                }
                d.push((
                    "Permissions",
                    one.permissions
                        .as_deref()
                        .map_or_else(|| "unknown".into(), str::to_string),
                ));
                d
            }
            many => vec![("Selected", format!("{} items", many.len()))],
        };
        self.change = ModeChange::common(&modes);
        self.octal = self.change.octal().unwrap_or_default();
        self.side = Some(side);
        self.server = server.filter(|_| side == Side::Remote);
        self.recurse = false;
        self.apply_to = Recurse::All;
        self.result = None;
        self.open = true;
        Ok(())
    }

    /// Take an engine event; returns the folder to list again when a change ended.
    pub fn apply(&mut self, event: ChmodEvent) -> Option<AnyPath> {
        match event {
            ChmodEvent::Progress { done, total } => {
                self.running = Some((done, total));
                None
            }
            ChmodEvent::Done {
                changed,
                problems,
                cancelled,
                refresh,
                ..
            } => {
                self.running = None;
                let mut text = format!(
                    "Changed {}.",
                    crate::ui::format::count(changed, "item", "items")
                );
                if cancelled {
                    text.push_str(" Cancelled before the rest.");
                }
                if !problems.is_empty() {
                    text.push_str(&format!(
                        " Not changed ({}): {}",
                        problems.len(),
                        problems
                            .iter()
                            .take(5)
                            .cloned()
                            .collect::<Vec<_>>()
                            .join("; ")
                    ));
                } else if !cancelled {
                    // Done and nothing to report: the dialog has done its job.
                    self.open = false;
                }
                self.result = Some(text);
                Some(refresh)
            }
            ChmodEvent::Failed {
                message, refused, ..
            } => {
                self.running = None;
                if refused && let Some(server) = &self.server {
                    self.refused.insert(server.clone());
                }
                self.result = Some(format!("Permissions not changed: {message}"));
                self.open = true;
                None
            }
        }
    }

    /// Whether the server this dialog is for refused SITE CHMOD before.
    pub fn refused_before(&self) -> bool {
        self.server
            .as_ref()
            .is_some_and(|s| self.refused.contains(s))
    }

    /// Set the boxes from the octal field when it holds a mode.
    pub fn set_octal(&mut self, text: &str) {
        self.octal = text.to_string();
        if let Some(mode) = parse_octal(text) {
            self.change = ModeChange::exact(mode);
        }
    }

    /// What OK sends.
    pub fn command(&self) -> Command {
        let recurse = if self.any_dir && self.recurse {
            self.apply_to
        } else {
            Recurse::No
        };
        Command::Chmod(ChmodCommand::Apply {
            items: self.items.clone(),
            change: self.change,
            recurse,
        })
    }

    #[must_use]
    pub fn ui(&mut self, ctx: &egui::Context) -> Vec<Command> {
        let mut commands = Vec::new();
        if !self.open {
            return commands;
        }
        let mut close = false;
        let title = match self.side {
            Some(Side::Remote) => "Permissions (server)",
            _ => "Permissions (this computer)",
        };
        egui::Modal::new(egui::Id::unique("permissions-dialog")).show(ctx, |ui| {
            ui.heading(title);
            egui::Grid::new("permissions-details").show(ui, |ui| {
                for (k, v) in &self.details {
                    ui.label(*k);
                    ui.monospace(v);
                    ui.end_row();
                }
            });
            if self.names.len() > 1 {
                let mut shown = self.names.iter().take(4).cloned().collect::<Vec<_>>().join(", ");
                if self.names.len() > 4 {
                    shown.push_str(", …");
                }
                ui.label(shown);
            }
            if self.refused_before() {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    "This server refused SITE CHMOD before: it most likely cannot change permissions.",
                );
            }
            ui.separator();
            let before = self.change;
            egui::Grid::new("permissions-bits").show(ui, |ui| {
                ui.label("");
                for h in ["Read", "Write", "Execute"] {
                    ui.strong(h);
                }
                ui.end_row();
                for (row, who) in ["Owner", "Group", "Others"].iter().enumerate() {
                    ui.label(*who);
                    for col in 0..3 {
                        let i = row * 3 + col;
                        let bit = &mut self.change.0[i];
                        let mut on = *bit == Bit::Set;
                        let r = ui
                            .add(
                                egui::Checkbox::without_text(&mut on)
                                    .indeterminate(*bit == Bit::Keep),
                            )
                            .on_hover_text(if *bit == Bit::Keep {
                                "Mixed: each item keeps its own. Click to set for all."
                            } else {
                                BOX_LABELS[i]
                            });
                        r.widget_info(|| {
                            egui::WidgetInfo::selected(
                                egui::Role::CheckBox,
                                true,
                                on,
                                BOX_LABELS[i],
                            )
                        });
                        if r.clicked() {
                            *bit = if on { Bit::Set } else { Bit::Clear };
                        }
                    }
                    ui.end_row();
                }
            });
            if self.change != before {
                self.octal = self.change.octal().unwrap_or_default();
            }
            ui.horizontal(|ui| {
                let label = ui.label("Numeric value:");
                let mut text = self.octal.clone();
                let r = ui
                    .add(egui::TextEdit::singleline(&mut text).desired_width(60.0))
                    .labelled_by(label.id);
                if r.changed() {
                    self.set_octal(&text);
                }
                if self.change.octal().is_none() {
                    ui.weak("(mixed: boxes left mixed keep each item's own)");
                } else if !self.octal.is_empty() && parse_octal(&self.octal).is_none() {
                    ui.colored_label(ui.visuals().error_fg_color, "three octal digits, e.g. 644");
                }
            });
            if self.any_dir {
                ui.checkbox(&mut self.recurse, "Apply to what is inside the folders");
                ui.add_enabled_ui(self.recurse, |ui| {
                    ui.horizontal(|ui| {
                        ui.radio_value(&mut self.apply_to, Recurse::All, "All files and folders");
                        ui.radio_value(&mut self.apply_to, Recurse::FilesOnly, "Files only");
                        ui.radio_value(&mut self.apply_to, Recurse::FoldersOnly, "Folders only");
                    });
                });
            }
            if let Some((done, total)) = self.running {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(format!("Changing permissions… {done} of {total}"));
                    if ui.button("Cancel").clicked() {
                        commands.push(Command::Chmod(ChmodCommand::Cancel));
                    }
                });
            }
            if let Some(result) = &self.result {
                ui.label(result);
            }
            ui.separator();
            ui.horizontal(|ui| {
                let can_apply = self.running.is_none();
                if ui.add_enabled(can_apply, egui::Button::new("OK")).clicked() {
                    self.running = Some((0, 0));
                    self.result = None;
                    commands.push(self.command());
                }
                if ui.button("Close").clicked() || ui.input(|i| i.key_pressed(egui::Key::Escape))
                {
                    close = true;
                }
            });
        });
        if close {
            self.open = false;
        }
        commands
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, perms: Option<&str>, kind: Kind) -> Entry {
        Entry {
            name: name.as_bytes().into(),
            display_name: name.into(),
            kind,
            size: Some(3),
            modified: None,
            permissions: perms.map(Into::into),
            owner: Some("alice".into()),
            link_target: None,
        }
    }

    #[test]
    fn boxes_and_octal_stay_in_step_and_mixed_bits_are_kept() {
        let mut d = PermissionsDialog::default();
        d.open_for(
            Side::Remote,
            Some(AnyPath::Remote(b"/www".to_vec())),
            vec![
                entry("a.html", Some("rw-r--r--"), Kind::File),
                entry("run.sh", Some("rwxr-xr-x"), Kind::File),
            ],
            Some("h:21".into()),
        )
        .unwrap();
        assert_eq!(d.octal, "", "mixed: no single number");
        assert_eq!(d.change.0[2], Bit::Keep);
        assert_eq!(d.change.0[0], Bit::Set);
        d.set_octal("640");
        assert_eq!(d.change, ModeChange::exact(0o640));
        d.set_octal("9");
        assert_eq!(
            d.change,
            ModeChange::exact(0o640),
            "bad text changes nothing"
        );
        let Command::Chmod(ChmodCommand::Apply { items, recurse, .. }) = d.command() else {
            panic!()
        };
        assert_eq!(recurse, Recurse::No);
        assert_eq!(items[1].path, AnyPath::Remote(b"/www/run.sh".to_vec()));
        assert_eq!(items[1].current, Some(0o755));
    }

    #[test]
    fn a_refusal_is_remembered_for_that_server() {
        let mut d = PermissionsDialog::default();
        let open = |d: &mut PermissionsDialog, server: &str| {
            d.open_for(
                Side::Remote,
                Some(AnyPath::Remote(b"/".to_vec())),
                vec![entry("x", None, Kind::File)],
                Some(server.into()),
            )
            .unwrap()
        };
        open(&mut d, "a:21");
        assert!(!d.refused_before());
        d.apply(ChmodEvent::Failed {
            side: Side::Remote,
            message: "no".into(),
            refused: true,
        });
        open(&mut d, "a:21");
        assert!(d.refused_before());
        open(&mut d, "b:21");
        assert!(!d.refused_before());
    }
}
