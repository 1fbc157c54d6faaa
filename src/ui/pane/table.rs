//! The table: virtualized rows, sortable resizable columns, inline rename,
//! the context menu and the status line.

use super::*;

impl PaneState {
    pub(super) fn table_area_ui(
        &mut self,
        ui: &mut Ui,
        settings: &mut PaneSettings,
        ids: &Ids,
        active: bool,
        actions: &mut Vec<PaneAction>,
    ) {
        if let Some(message) = &self.error {
            ui.add_space(12.0);
            ui.horizontal_wrapped(|ui| {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    format!("Could not list this folder: {message}"),
                );
            });
            return;
        }
        if self.listed.is_none() {
            ui.add_space(24.0);
            ui.vertical_centered(|ui| {
                if self.loading {
                    ui.spinner();
                    ui.weak("Loading…");
                } else if self.side == Side::Remote {
                    ui.weak("Connect to a server to see its files");
                } else {
                    ui.weak("No folder");
                }
            });
            return;
        }
        // While another folder loads the rows are not that folder's: they take
        // no clicks. They only look dimmed once the answer is slow, so a quick
        // answer does not flash every row grey for a frame or two.
        let loading_other = self.loading && self.path != self.listed;
        let waited = match self.loading_since {
            Some(since) if self.loading => ui.input(|i| i.time) - since,
            _ => 0.0,
        };
        let slow = waited > GREY_AFTER_SECONDS;
        if self.loading && !slow {
            // The spinner repaints only while the breadcrumbs show (not while
            // a path is typed): wake up when the rows are due to dim.
            let due = (GREY_AFTER_SECONDS - waited).max(0.0) + 0.01;
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_secs_f64(due));
        }
        if self.stale {
            ui.disable();
        } else if loading_other {
            let opacity = ui.opacity();
            ui.disable();
            if !slow {
                ui.set_opacity(opacity);
            }
        } else if slow {
            ui.multiply_opacity(0.55);
        }
        self.table_ui(ui, settings, ids, active, actions);
    }

    pub(super) fn table_ui(
        &mut self,
        ui: &mut Ui,
        settings: &mut PaneSettings,
        ids: &Ids,
        active: bool,
        actions: &mut Vec<PaneAction>,
    ) {
        let row_height = ui.text_style_height(&TextStyle::Body).max(16.0) + 6.0;
        let widths = column_widths(ui, settings);
        let spacing_y = ui.spacing().item_spacing.y;
        let mut table = TableBuilder::new(ui)
            .id_salt(("ferry-pane-table", self.side))
            .striped(true)
            .sense(Sense::click_and_drag())
            .auto_shrink(false)
            .animate_scrolling(false)
            .min_scrolled_height(0.0)
            .cell_layout(Layout::left_to_right(Align::Center))
            .column(Column::remainder().at_least(NAME_MIN_WIDTH).clip(true));
        for w in widths {
            table = table.column(Column::exact(w).clip(true));
        }
        match std::mem::replace(&mut self.scroll, Scroll::Stay) {
            Scroll::Stay => {}
            Scroll::Top => table = table.vertical_scroll_offset(0.0),
            Scroll::Cursor => {
                if let Some(index) = self.cursor.and_then(|r| self.index_of(r)) {
                    table = table.scroll_to_row(index, None);
                }
            }
        }

        let mut header_rects = [Rect::NOTHING; 5];
        let mut sort_clicked = None;
        let table = table.header(row_height + 2.0, |mut header| {
            for (n, (title, column)) in COLUMNS.iter().enumerate() {
                header.col(|ui| {
                    header_rects[n] = ui.max_rect();
                    let sorted = settings.sort == *column;
                    let right = *column == SortColumn::Size;
                    if sort_header(ui, title, right, sorted, settings.ascending).clicked() {
                        sort_clicked = Some(*column);
                    }
                });
            }
        });

        let mut rename = self.rename.take();
        let mut rename_shown = false;
        let mut rename_end = None;
        let mut events = RowEvents::default();
        let this = &*self;
        let output = table.body(|mut body| {
            let painter = body.ui_mut().painter().clone();
            let body_x = body.max_rect().x_range();
            let cursor_stroke = body.ui_mut().visuals().selection.stroke.color;
            if !active {
                let visuals = body.ui_mut().visuals_mut();
                visuals.selection.bg_fill = visuals.selection.bg_fill.gamma_multiply(0.5);
            }
            // Compare colours (View → Compare and synchronize), by entry name.
            let tints = crate::ui::sync_dialog::row_tints(body.ui_mut().ctx(), this.side);
            body.rows(row_height, this.row_count(), |mut row| {
                let Some(r) = this.row_at(row.index()) else {
                    return;
                };
                row.set_selected(matches!(r, Row::Entry(i) if this.selection.contains(i)));
                let mut row_y = None;
                match r {
                    Row::Parent => {
                        row.col(|ui| {
                            row_y = Some(ui.max_rect().y_range());
                            icon(ui, Icon::Parent);
                            ui.add(Label::new("..").selectable(false));
                        });
                        for _ in 0..4 {
                            row.col(|_| {});
                        }
                    }
                    Row::Entry(i) => {
                        let Some(e) = this.entries.get(i as usize) else {
                            return;
                        };
                        row.col(|ui| {
                            row_y = Some(ui.max_rect().y_range());
                            entry_icon(ui, e);
                            match rename.as_mut().filter(|rn| rn.entry == i) {
                                Some(rn) => {
                                    rename_shown = true;
                                    rename_end = rename_ui(ui, ids.rename, rn, e.opens_as_dir());
                                }
                                None => name_label(ui, e),
                            }
                        });
                        row.col(|ui| {
                            if let (Some(size), false) = (e.size, e.opens_as_dir()) {
                                ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                                    ui.add(Label::new(format::human_size(size)).selectable(false))
                                        .on_hover_text(format::exact_bytes(size));
                                });
                            }
                        });
                        row.col(|ui| {
                            if let Some(t) = e.modified {
                                ui.add(Label::new(format::modified(t)).selectable(false))
                                    .on_hover_text(format::modified_exact(t));
                            }
                        });
                        row.col(|ui| {
                            if let Some(p) = &e.permissions {
                                ui.add(
                                    Label::new(RichText::new(&**p).monospace()).selectable(false),
                                );
                            }
                        });
                        row.col(|ui| {
                            if let Some(o) = &e.owner {
                                ui.add(Label::new(&**o).selectable(false));
                            }
                        });
                    }
                }
                if let (Some(tints), Row::Entry(i), Some(y)) = (&tints, r, row_y)
                    && let Some(c) = this
                        .entries
                        .get(i as usize)
                        .and_then(|e| tints.get(&e.name[..]))
                {
                    painter.rect_filled(Rect::from_x_y_ranges(body_x, y), 0.0, *c);
                }
                if active
                    && this.cursor == Some(r)
                    && let Some(y) = row_y
                {
                    let rect = Rect::from_x_y_ranges(body_x, y).expand2(vec2(0.0, spacing_y / 2.0));
                    painter.rect_stroke(
                        rect.shrink(0.5),
                        2.0,
                        Stroke::new(1.0, cursor_stroke),
                        StrokeKind::Inside,
                    );
                }
                let response = row.response();
                if response.double_clicked() {
                    events.double = Some(r);
                } else if response.clicked() {
                    events.click = Some(r);
                }
                if response.drag_started() && matches!(r, Row::Entry(_)) {
                    events.drag = Some(r);
                }
                // A folder row under a drag is a drop target of its own.
                if let Some(folder) = this.folder_of(r).filter(|_| r != Row::Parent)
                    && let Some(payload) = response.dnd_hover_payload::<PaneDrag>()
                    && !payload.paths.iter().any(|item| item.path == folder)
                {
                    painter.rect_stroke(
                        response.rect,
                        2.0,
                        Stroke::new(2.0, cursor_stroke),
                        StrokeKind::Inside,
                    );
                    if let Some(payload) = response.dnd_release_payload::<PaneDrag>() {
                        events.dropped = Some(((*payload).clone(), folder));
                    }
                }
                if response.secondary_clicked() {
                    events.secondary = Some(r);
                }
            });
        });

        // Below the last row: a click clears the selection, a right click offers the folder menu.
        if output.content_size.y < output.inner_rect.height() {
            let mut rect = output.inner_rect;
            rect.min.y += output.content_size.y;
            let response = ui.interact(rect, ids.base.with("below-rows"), Sense::click());
            events.empty_click = response.clicked();
            events.empty_secondary = response.secondary_clicked();
            if self.view.is_empty() && rect.height() > row_height * 2.0 {
                let text = if Filter::new(&self.filter).is_empty() {
                    "This folder is empty".to_string()
                } else {
                    format!("No names contain “{}”", self.filter.trim())
                };
                ui.painter().text(
                    rect.center_top() + vec2(0.0, row_height),
                    Align2::CENTER_TOP,
                    text,
                    TextStyle::Body.resolve(ui.style()),
                    ui.visuals().weak_text_color(),
                );
            }
        }
        self.page_rows =
            ((output.inner_rect.height() / (row_height + spacing_y)).floor() as usize).max(1);

        resize_handles(ui, ids, &header_rects, settings);
        if let Some(column) = sort_clicked {
            if settings.sort == column {
                settings.ascending = !settings.ascending;
            } else {
                settings.sort = column;
                settings.ascending = true;
            }
        }

        match rename_end {
            Some(RenameEnd::Commit) => {
                if let Some(rn) = rename.take()
                    && let Some(e) = self.entries.get(rn.entry as usize)
                    && *rn.text != *e.display_name
                {
                    self.reveal = Some(rn.text.as_bytes().to_vec());
                    actions.push(PaneAction::Rename {
                        from: e.name.to_vec(),
                        to: rn.text,
                    });
                }
            }
            Some(RenameEnd::Cancel) => rename = None,
            None => {
                // Scrolled away or focus taken elsewhere: the rename is over.
                if rename.as_ref().is_some_and(|rn| !rn.fresh) && !rename_shown {
                    rename = None;
                }
            }
        }
        self.rename = rename;

        // Clicks are seen after the rows were drawn: draw them again with the new state.
        let changed = events.click.is_some()
            || events.double.is_some()
            || events.secondary.is_some()
            || events.empty_click
            || events.empty_secondary
            || sort_clicked.is_some()
            || rename_end.is_some();
        if changed {
            ui.ctx().request_repaint();
        }
        if let Some(r) = events.drag.take() {
            if let Row::Entry(i) = r
                && !self.selection.contains(i)
            {
                self.click(r, false, false);
            }
            let paths = self.selected_paths();
            if !paths.is_empty() {
                egui::DragAndDrop::set_payload(
                    ui.ctx(),
                    PaneDrag {
                        side: self.side,
                        paths,
                    },
                );
            }
        }
        if let Some((drag, folder)) = events.dropped.take() {
            actions.push(PaneAction::Dropped { drag, folder });
        }
        let open_menu = events.secondary.is_some() || events.empty_secondary;
        self.apply_row_events(ui.input(|i| i.modifiers), events, actions);
        self.context_menu(ui, ids, open_menu, actions);
    }

    pub(super) fn context_menu(
        &mut self,
        ui: &Ui,
        ids: &Ids,
        open: bool,
        actions: &mut Vec<PaneAction>,
    ) {
        let popup = egui::Popup::new(
            ids.menu,
            ui.ctx().clone(),
            egui::PopupAnchor::PointerFixed,
            ui.layer_id(),
        )
        .kind(egui::PopupKind::Menu)
        .layout(Layout::top_down_justified(Align::Min))
        .style(egui::containers::menu::menu_style)
        .gap(0.0)
        .open_memory(open.then_some(egui::SetOpenCommand::Bool(true)));
        if !open && !popup.is_open() {
            return;
        }
        let side = self.side;
        let items: Vec<(Action, bool)> = actions::pane_actions()
            .filter(|info| actions::offered_on(info.action, side))
            .map(|info| (info.action, self.action_enabled(info.action)))
            .collect();
        let side = self.side;
        popup.show(|ui| {
            for (action, enabled) in items {
                if matches!(action, Action::Refresh | Action::CopyPath) {
                    ui.separator();
                }
                let info = action.info();
                let mut button = egui::Button::new(action.label_for(side));
                if let Some(shortcut) = info.shortcut {
                    button = button.shortcut_text(ui.ctx().format_shortcut(&shortcut));
                }
                if ui
                    .add_enabled(enabled, button)
                    .on_hover_text(info.tooltip)
                    .clicked()
                {
                    actions.push(PaneAction::Run(action));
                }
            }
        });
    }

    pub(super) fn status_ui(&mut self, ui: &mut Ui, actions: &mut Vec<PaneAction>) {
        if self.loading {
            // A big folder takes a while: say how far it got, and offer a way out.
            let text = match self.streamed {
                Some(n) => format!("Listing… {}", format::count(n, "entry", "entries")),
                None => "Listing…".to_string(),
            };
            ui.horizontal(|ui| {
                ui.label(RichText::new(text).weak());
                if ui
                    .small_button("Cancel")
                    .on_hover_text("Stop listing and go back to the folder shown before (Esc)")
                    .clicked()
                    && self.cancel_loading()
                {
                    actions.push(PaneAction::CancelListing);
                }
            });
            return;
        }
        if let Some(offer) = &self.offer {
            let mut taken = false;
            ui.horizontal(|ui| {
                taken = ui.link(offer.button).clicked();
                let text = RichText::new(&offer.text).color(ui.visuals().warn_fg_color);
                ui.add(Label::new(text).truncate());
            });
            self.offer_taken |= taken;
            return;
        }
        let text = if self.listed.is_some() {
            self.status_line()
        } else {
            String::new()
        };
        let marker = self
            .listed
            .is_some()
            .then(|| self.filter_marker())
            .flatten();
        ui.horizontal(|ui| {
            if let Some((marker, tip)) = marker
                && ui.link(marker).on_hover_text(tip).clicked()
            {
                let on = !self.filters_on();
                self.set_filters_on(on);
            }
            ui.add(Label::new(RichText::new(text).weak()).truncate());
        });
    }
}

/// The columns in order: header title and what it sorts by.
pub(super) const COLUMNS: [(&str, SortColumn); 5] = [
    ("Name", SortColumn::Name),
    ("Size", SortColumn::Size),
    ("Modified", SortColumn::Modified),
    ("Permissions", SortColumn::Permissions),
    ("Owner/Group", SortColumn::Owner),
];

/// The widths to draw the Size…Owner columns at: the saved ones, shrunk in
/// proportion when the pane is too narrow to leave Name its minimum.
pub(super) fn column_widths(ui: &Ui, settings: &PaneSettings) -> [f32; 4] {
    let spacing = ui.spacing().item_spacing.x;
    let available = ui.available_rect_before_wrap().width()
        - ui.spacing().scroll.allocated_width()
        - 4.0 * spacing;
    let mut widths = settings
        .column_widths
        .map(|w| w.clamp(COLUMN_MIN_WIDTH, COLUMN_MAX_WIDTH));
    let total: f32 = widths.iter().sum();
    let room = available - NAME_MIN_WIDTH;
    if total > room && total > 0.0 {
        let scale = (room / total).max(0.0);
        widths = widths.map(|w| (w * scale).max(24.0));
    }
    widths
}

/// Drag handles on the header's column borders; each resizes the column to
/// its right (Name takes the rest), a double click restores the default.
pub(super) fn resize_handles(ui: &Ui, ids: &Ids, header: &[Rect; 5], settings: &mut PaneSettings) {
    let stroke = ui.visuals().widgets.noninteractive.bg_stroke;
    for k in 0..4 {
        let (left, right) = (header[k], header[k + 1]);
        if left == Rect::NOTHING || right == Rect::NOTHING {
            continue;
        }
        let x = (left.right() + right.left()) / 2.0;
        let y = left.y_range();
        let rect = Rect::from_x_y_ranges(x - 4.0..=x + 4.0, y);
        let response = ui.interact(rect, ids.base.with(("resize", k)), Sense::click_and_drag());
        if response.hovered() || response.dragged() {
            ui.ctx().set_cursor_icon(CursorIcon::ResizeColumn);
        }
        if response.dragged() {
            let w = settings.column_widths[k] - response.drag_delta().x;
            settings.column_widths[k] = w.clamp(COLUMN_MIN_WIDTH, COLUMN_MAX_WIDTH);
        }
        if response.double_clicked() {
            settings.column_widths[k] = PaneSettings::default().column_widths[k];
        }
        let stroke = if response.hovered() || response.dragged() {
            ui.visuals().widgets.hovered.bg_stroke
        } else {
            stroke
        };
        ui.painter().vline(x, y.shrink(3.0), stroke);
    }
    if let Some(first) = header.first().filter(|r| **r != Rect::NOTHING) {
        let right = header[4].right();
        ui.painter().hline(
            first.left()..=right,
            first.bottom() + ui.spacing().item_spacing.y / 2.0,
            stroke,
        );
    }
}

/// A header cell that sorts by its column, with ▲/▼ on the sorted one.
pub(crate) fn sort_header(
    ui: &mut Ui,
    title: &str,
    right: bool,
    sorted: bool,
    ascending: bool,
) -> Response {
    let rect = ui.max_rect();
    let response = ui.allocate_rect(rect, Sense::click());
    response.widget_info(|| WidgetInfo::selected(Role::Button, true, sorted, title));
    let response = response.on_hover_text(format!("Sort by {}", title.to_lowercase()));
    if !ui.is_rect_visible(rect) {
        return response;
    }
    let painter = ui.painter();
    if response.hovered() {
        painter.rect_filled(rect, 2.0, ui.visuals().widgets.hovered.weak_bg_fill);
    }
    let color = if sorted {
        ui.visuals().strong_text_color()
    } else {
        ui.visuals().text_color()
    };
    let galley = painter.layout_no_wrap(
        title.to_string(),
        TextStyle::Body.resolve(ui.style()),
        color,
    );
    let arrow = 9.0;
    let y = rect.center().y - galley.size().y / 2.0;
    let (text_x, arrow_x) = if right {
        let arrow_x = rect.right() - arrow / 2.0 - 1.0;
        (arrow_x - arrow - galley.size().x, arrow_x)
    } else {
        let text_x = rect.left() + 2.0;
        (text_x, text_x + galley.size().x + 4.0 + arrow / 2.0)
    };
    painter.galley(pos2(text_x, y), galley, color);
    if sorted {
        let c = pos2(arrow_x, rect.center().y);
        let (h, w) = (3.0, 4.0);
        let points = if ascending {
            vec![c + vec2(-w, h), c + vec2(w, h), c + vec2(0.0, -h)]
        } else {
            vec![c + vec2(-w, -h), c + vec2(w, -h), c + vec2(0.0, h)]
        };
        painter.add(Shape::convex_polygon(points, color, Stroke::NONE));
    }
    response
}

/// The name cell's text; a link also says where it points.
pub(super) fn name_label(ui: &mut Ui, e: &Entry) {
    let response = format::name_label(ui, &e.display_name);
    if let Kind::Symlink { .. } = e.kind {
        let target = e.link_target.as_deref().unwrap_or("an unknown target");
        response.on_hover_text(format!("Link to {target}"));
    }
}

/// The inline rename field; returns how it ended, if it did this frame.
pub(super) fn rename_ui(
    ui: &mut Ui,
    id: Id,
    rename: &mut Rename,
    is_dir: bool,
) -> Option<RenameEnd> {
    if rename.fresh {
        let stem = stem_chars(&rename.text, is_dir);
        let mut state = egui::text_edit::TextEditState::default();
        state
            .cursor
            .set_char_range(Some(egui::text::CCursorRange::two(
                egui::text::CCursor::new(0),
                egui::text::CCursor::new(stem),
            )));
        state.store(ui.ctx(), id);
        ui.memory_mut(|m| m.request_focus(id));
        rename.fresh = false;
    }
    let response = ui.add(
        TextEdit::singleline(&mut rename.text)
            .id(id)
            .margin(egui::Margin::symmetric(2, 0))
            .desired_width(ui.available_width()),
    );
    ui.ctx()
        .accesskit_node_builder(response.id, |node| node.set_label("New name"));
    crate::ui::format::reading_order_preview(ui, &response, &rename.text);
    if response.lost_focus() {
        return Some(if ui.input(|i| i.key_pressed(Key::Enter)) {
            RenameEnd::Commit
        } else {
            RenameEnd::Cancel
        });
    }
    (!response.has_focus()).then_some(RenameEnd::Cancel)
}

/// How many characters of a name to preselect for renaming: all of a
/// folder's, a file's up to its extension.
pub(super) fn stem_chars(name: &str, is_dir: bool) -> usize {
    let stem = match name.rfind('.') {
        Some(dot) if dot > 0 && !is_dir => &name[..dot],
        _ => name,
    };
    stem.chars().count()
}
