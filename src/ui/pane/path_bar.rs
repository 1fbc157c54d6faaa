//! The path bar: Up, Refresh, clickable breadcrumbs, a typed path, and the
//! filter box beside them.

use super::*;

impl PaneState {
    pub(super) fn toolbar_ui(&mut self, ui: &mut Ui, ids: &Ids, actions: &mut Vec<PaneAction>) {
        let wide = ui.available_width() >= WIDE_PANE;
        ui.horizontal(|ui| {
            let up = self.path.as_ref().and_then(AnyPath::parent).is_some();
            if action_icon_button(ui, Icon::Up, Action::GoUp, up).clicked() {
                actions.push(PaneAction::Run(Action::GoUp));
            }
            let refresh = self.path.is_some();
            if action_icon_button(ui, Icon::Refresh, Action::Refresh, refresh).clicked() {
                actions.push(PaneAction::Run(Action::Refresh));
            }
            let filter_width = if wide { FILTER_WIDTH } else { 0.0 };
            let bar_width = (ui.available_width() - filter_width).max(60.0);
            let height = ui.spacing().interact_size.y + 4.0;
            ui.allocate_ui_with_layout(
                vec2(bar_width, height),
                Layout::left_to_right(Align::Center),
                |ui| self.path_bar_ui(ui, ids, actions),
            );
            if wide {
                self.filter_ui(ui, ids);
            }
        });
        if !wide {
            ui.horizontal(|ui| self.filter_ui(ui, ids));
        }
    }

    pub(super) fn path_bar_ui(&mut self, ui: &mut Ui, ids: &Ids, actions: &mut Vec<PaneAction>) {
        let fill = ui.visuals().extreme_bg_color;
        let stroke = ui.visuals().widgets.noninteractive.bg_stroke;
        egui::Frame::new()
            .fill(fill)
            .stroke(stroke)
            .corner_radius(4.0)
            .inner_margin(egui::Margin::symmetric(4, 1))
            .show(ui, |ui| {
                ui.set_width(ui.available_width());
                ui.horizontal(|ui| {
                    // The same height in both modes, so the table does not jump.
                    ui.set_min_height(ui.spacing().interact_size.y + 2.0);
                    if self.path_edit.is_some() {
                        self.path_edit_ui(ui, ids, actions);
                    } else {
                        self.breadcrumbs_ui(ui, ids, actions);
                    }
                });
            });
    }

    pub(super) fn breadcrumbs_ui(&mut self, ui: &mut Ui, ids: &Ids, actions: &mut Vec<PaneAction>) {
        // What follows the crumbs: [spinner] and the edit button, each after a gap.
        let gap = ui.spacing().item_spacing.x;
        let mut tail = gap + ui.spacing().interact_size.y + 2.0;
        if self.loading {
            tail += gap + SPINNER_SIZE;
        }
        let crumbs_width = (ui.available_width() - tail - gap).max(10.0);
        let mut start_edit = false;
        let crumbs = self
            .path
            .as_ref()
            .map(|p| breadcrumbs(p, &self.charset))
            .unwrap_or_default();
        egui::ScrollArea::horizontal()
            .id_salt(ids.base.with("crumbs"))
            .max_width(crumbs_width)
            .stick_to_right(true)
            .scroll_bar_visibility(egui::scroll_area::ScrollBarVisibility::AlwaysHidden)
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.spacing_mut().item_spacing.x = 2.0;
                    let last = crumbs.len().saturating_sub(1);
                    for (n, (label, path)) in crumbs.iter().enumerate() {
                        if n > 0 && !(n == 1 && crumbs[0].0 == "/") {
                            ui.label(RichText::new("›").weak());
                        }
                        let text = if n == last {
                            RichText::new(label).strong()
                        } else {
                            RichText::new(label)
                        };
                        let button = egui::Button::new(format::name(ui, text)).frame(false);
                        if ui
                            .add(button)
                            .on_hover_text(path_text(path, &self.charset))
                            .clicked()
                        {
                            actions.push(PaneAction::Navigate(path.clone()));
                        }
                    }
                });
            });
        // The empty rest of the bar switches to typing a path.
        let rest = ui.available_width() - tail;
        if rest > 1.0 {
            let height = ui.spacing().interact_size.y;
            let (_, response) = ui.allocate_exact_size(vec2(rest, height), Sense::click());
            if response.clicked() {
                start_edit = true;
            }
        }
        if self.loading {
            ui.add(egui::Spinner::new().size(SPINNER_SIZE));
        }
        if icon_button(ui, Icon::Edit, "Edit path", true)
            .on_hover_text("Type a path")
            .clicked()
        {
            start_edit = true;
        }
        if start_edit {
            ui.ctx().request_repaint();
            self.path_edit = Some(PathEdit {
                text: self
                    .path
                    .as_ref()
                    .map(|p| path_text(p, &self.charset))
                    .unwrap_or_default(),
                fresh: true,
            });
        }
    }

    pub(super) fn path_edit_ui(&mut self, ui: &mut Ui, ids: &Ids, actions: &mut Vec<PaneAction>) {
        let Some(edit) = self.path_edit.as_mut() else {
            return;
        };
        let label = ui.label(RichText::new("Path").weak());
        if edit.fresh {
            let mut state = egui::text_edit::TextEditState::default();
            state
                .cursor
                .set_char_range(Some(egui::text::CCursorRange::select_all_str(&edit.text)));
            state.store(ui.ctx(), ids.path);
            ui.memory_mut(|m| m.request_focus(ids.path));
            edit.fresh = false;
        }
        let response = ui
            .add(
                TextEdit::singleline(&mut edit.text)
                    .id(ids.path)
                    .frame(egui::Frame::NONE)
                    .desired_width(ui.available_width()),
            )
            .labelled_by(label.id);
        crate::ui::format::reading_order_preview(ui, &response, &edit.text);
        if response.lost_focus() {
            let enter = ui.input(|i| i.key_pressed(Key::Enter));
            if enter
                && let Some(path) =
                    parse_typed_path(&edit.text, self.path.as_ref(), self.side, &self.charset)
            {
                actions.push(PaneAction::Navigate(path));
            }
            self.path_edit = None;
            ui.ctx().request_repaint();
        } else if !response.has_focus() {
            self.path_edit = None;
            ui.ctx().request_repaint();
        }
    }

    pub(super) fn filter_ui(&mut self, ui: &mut Ui, ids: &Ids) {
        let label = ui.label("Filter");
        if self.focus_filter {
            self.focus_filter = false;
            let end = egui::text::CCursor::new(self.filter.chars().count());
            let mut state =
                egui::text_edit::TextEditState::load(ui.ctx(), ids.filter).unwrap_or_default();
            state
                .cursor
                .set_char_range(Some(egui::text::CCursorRange::one(end)));
            state.store(ui.ctx(), ids.filter);
            ui.memory_mut(|m| m.request_focus(ids.filter));
        }
        let clear_width = if self.filter.is_empty() {
            0.0
        } else {
            ui.spacing().interact_size.y + ui.spacing().item_spacing.x
        };
        let response = ui
            .add(
                TextEdit::singleline(&mut self.filter)
                    .id(ids.filter)
                    .hint_text("Type to filter")
                    .desired_width((ui.available_width() - clear_width).max(40.0)),
            )
            .labelled_by(label.id);
        if response.lost_focus() {
            if ui.input(|i| i.key_pressed(Key::Escape)) {
                self.filter.clear();
                ui.ctx().request_repaint();
            } else if ui.input(|i| i.key_pressed(Key::Enter)) {
                self.ensure_view();
                if self.cursor.and_then(|r| self.index_of(r)).is_none()
                    && let Some(&first) = self.view.first()
                {
                    self.click(Row::Entry(first), false, false);
                    self.scroll = Scroll::Cursor;
                }
            }
        }
        if !self.filter.is_empty() && icon_button(ui, Icon::Close, "Clear filter", true).clicked() {
            self.filter.clear();
            ui.ctx().request_repaint();
        }
    }
}

/// A path as text, a remote one read in the server's `charset`.
pub fn path_text(path: &AnyPath, charset: &NameCharset) -> String {
    match path {
        AnyPath::Remote(bytes) => charset.decode(bytes).into_owned(),
        local => local.display(),
    }
}

/// The clickable segments of a path bar, each with the folder it opens:
/// `/srv/data` → `/`, `srv`, `data`. Remote names are read in `charset`.
pub fn breadcrumbs(path: &AnyPath, charset: &NameCharset) -> Vec<(String, AnyPath)> {
    match path {
        AnyPath::Local(p) => {
            let mut crumbs: Vec<(String, AnyPath)> = p
                .ancestors()
                .filter(|a| !a.as_os_str().is_empty())
                .map(|a| {
                    let label = a.file_name().map_or_else(
                        || a.display().to_string(),
                        |n| n.to_string_lossy().into_owned(),
                    );
                    (label, AnyPath::Local(a.to_path_buf()))
                })
                .collect();
            crumbs.reverse();
            crumbs
        }
        AnyPath::Remote(bytes) => {
            let absolute = bytes.first() == Some(&b'/');
            let mut crumbs = Vec::new();
            if absolute {
                crumbs.push(("/".to_string(), AnyPath::Remote(b"/".to_vec())));
            }
            let mut prefix = Vec::with_capacity(bytes.len());
            for segment in bytes.split(|&b| b == b'/').filter(|s| !s.is_empty()) {
                if absolute || !prefix.is_empty() {
                    prefix.push(b'/');
                }
                prefix.extend_from_slice(segment);
                crumbs.push((
                    charset.decode(segment).into_owned(),
                    AnyPath::Remote(prefix.clone()),
                ));
            }
            crumbs
        }
    }
}

/// The folder a typed path means: absolute as typed, relative to `base`
/// otherwise; `~` is the home folder on this computer.
/// A typed path; a remote one is encoded in the server's `charset` (`None`
/// when it cannot hold the text).
pub fn parse_typed_path(
    text: &str,
    base: Option<&AnyPath>,
    side: Side,
    charset: &NameCharset,
) -> Option<AnyPath> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    match side {
        Side::Local => {
            let home = || std::env::var_os("HOME").map(PathBuf::from);
            let path = if text == "~" {
                home()?
            } else if let Some(rest) = text.strip_prefix("~/") {
                home()?.join(rest)
            } else {
                PathBuf::from(text)
            };
            if path.is_absolute() {
                return Some(AnyPath::Local(path));
            }
            match base {
                Some(AnyPath::Local(b)) => Some(AnyPath::Local(b.join(path))),
                _ => None,
            }
        }
        Side::Remote => {
            let mut bytes = charset.encode(text).ok()?;
            while bytes.len() > 1 && bytes.ends_with(b"/") {
                bytes.pop();
            }
            if bytes.first() == Some(&b'/') {
                return Some(AnyPath::Remote(bytes));
            }
            match base {
                Some(b @ AnyPath::Remote(_)) => Some(b.join(&bytes)),
                _ => Some(AnyPath::Remote([b"/".as_slice(), &bytes].concat())),
            }
        }
    }
}
