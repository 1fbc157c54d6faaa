//! Selection and cursor: a bitset of entry indices, clicks, ranges and the
//! keyboard's cursor moves.

use super::*;

/// A set of entry indices.
#[derive(Debug, Clone, Default)]
pub(super) struct Bits {
    pub(super) words: Vec<u64>,
    pub(super) count: usize,
}

impl Bits {
    pub(super) fn new(len: usize) -> Bits {
        Bits {
            words: vec![0; len.div_ceil(64)],
            count: 0,
        }
    }

    pub(super) fn contains(&self, i: u32) -> bool {
        self.words
            .get(i as usize / 64)
            .is_some_and(|w| (w >> (i % 64)) & 1 == 1)
    }

    pub(super) fn set(&mut self, i: u32, on: bool) {
        let Some(word) = self.words.get_mut(i as usize / 64) else {
            return;
        };
        let mask = 1u64 << (i % 64);
        let was = *word & mask != 0;
        if on && !was {
            *word |= mask;
            self.count += 1;
        } else if !on && was {
            *word &= !mask;
            self.count -= 1;
        }
    }

    pub(super) fn toggle(&mut self, i: u32) {
        self.set(i, !self.contains(i));
    }

    pub(super) fn clear(&mut self) {
        if self.count > 0 {
            self.words.fill(0);
            self.count = 0;
        }
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.words.iter().enumerate().flat_map(|(w, &word)| {
            let mut word = word;
            std::iter::from_fn(move || {
                if word == 0 {
                    return None;
                }
                let bit = word.trailing_zeros();
                word &= word - 1;
                Some((w * 64) as u32 + bit)
            })
        })
    }
}
impl PaneState {
    /// A click on a row: alone, with Ctrl/Cmd (toggle) or Shift (range from the anchor).
    pub(super) fn click(&mut self, row: Row, command: bool, shift: bool) {
        if shift {
            let anchor = self
                .anchor
                .filter(|a| self.index_of(*a).is_some())
                .unwrap_or(row);
            if !command {
                self.selection.clear();
            }
            self.select_range(anchor, row);
            self.anchor = Some(anchor);
        } else if command {
            if let Row::Entry(i) = row {
                self.selection.toggle(i);
            }
            self.anchor = Some(row);
        } else {
            self.selection.clear();
            if let Row::Entry(i) = row {
                self.selection.set(i, true);
            }
            self.anchor = Some(row);
        }
        self.cursor = Some(row);
        self.summary = None;
    }

    pub(super) fn select_range(&mut self, a: Row, b: Row) {
        let (Some(x), Some(y)) = (self.index_of(a), self.index_of(b)) else {
            return;
        };
        for index in x.min(y)..=x.max(y) {
            if let Some(Row::Entry(i)) = self.row_at(index) {
                self.selection.set(i, true);
            }
        }
    }

    /// Move the cursor; plain moves select the new row, Shift extends from the anchor.
    pub(super) fn move_cursor(&mut self, movement: Move, extend: bool) {
        let n = self.row_count();
        if n == 0 {
            return;
        }
        let current = self.cursor.and_then(|r| self.index_of(r));
        let target = match (movement, current) {
            (Move::Home, _) => 0,
            (Move::End, _) => n - 1,
            (Move::By(d), Some(c)) => c.saturating_add_signed(d).min(n - 1),
            (Move::By(d), None) if d < 0 => n - 1,
            (Move::By(_), None) => 0,
        };
        let Some(row) = self.row_at(target) else {
            return;
        };
        if extend {
            let anchor = self
                .anchor
                .filter(|a| self.index_of(*a).is_some())
                .or(self.cursor.filter(|c| self.index_of(*c).is_some()))
                .unwrap_or(row);
            self.selection.clear();
            self.select_range(anchor, row);
            self.anchor = Some(anchor);
        } else {
            self.selection.clear();
            if let Row::Entry(i) = row {
                self.selection.set(i, true);
            }
            self.anchor = Some(row);
        }
        self.cursor = Some(row);
        self.summary = None;
        self.scroll = Scroll::Cursor;
    }

    /// Select only the entry with this name (if shown) and scroll to it.
    pub(super) fn select_name(&mut self, name: &[u8]) -> bool {
        self.ensure_view();
        let Some(i) = self.entries.iter().position(|e| *e.name == *name) else {
            return false;
        };
        let row = Row::Entry(i as u32);
        if self.index_of(row).is_none() {
            return false;
        }
        self.click(row, false, false);
        self.scroll = Scroll::Cursor;
        true
    }

    /// The folder a row opens, if it opens as a folder.
    pub(super) fn folder_of(&self, row: Row) -> Option<AnyPath> {
        match row {
            Row::Parent => self.parent.clone(),
            Row::Entry(i) => {
                let e = self.entries.get(i as usize)?;
                e.opens_as_dir()
                    .then(|| self.listed.as_ref().map(|base| base.join(&e.name)))
                    .flatten()
            }
        }
    }

    pub(super) fn apply_row_events(
        &mut self,
        modifiers: egui::Modifiers,
        events: RowEvents,
        actions: &mut Vec<PaneAction>,
    ) {
        if let Some(row) = events.secondary {
            let selected = matches!(row, Row::Entry(i) if self.selection.contains(i));
            if !selected {
                self.click(row, false, false);
            } else {
                self.cursor = Some(row);
            }
        } else if let Some(row) = events.double {
            if let Some(folder) = self.folder_of(row) {
                actions.push(PaneAction::Navigate(folder));
            } else if let Row::Entry(i) = row
                && self
                    .entries
                    .get(i as usize)
                    .is_some_and(|e| e.kind != Kind::Unknown)
            {
                actions.push(PaneAction::Run(Action::Transfer));
            }
        } else if let Some(row) = events.click {
            self.click(row, modifiers.command, modifiers.shift);
        }
        if events.empty_click || events.empty_secondary {
            self.selection.clear();
            self.summary = None;
        }
    }
}

impl PaneState {
    /// Esc was pressed for this pane: no dialog, menu or other text field
    /// has it (the filter box may). Consumes the key.
    pub(super) fn escape_pressed(&self, ui: &Ui, ids: &Ids) -> bool {
        let ctx = ui.ctx();
        if egui::Popup::is_any_open(ctx)
            || ctx.memory(|m| m.top_modal_layer().is_some())
            || self.rename.is_some()
            || self.path_edit.is_some()
        {
            return false;
        }
        if ctx.text_edit_focused() && !ctx.memory(|m| m.has_focus(ids.filter)) {
            return false;
        }
        ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, Key::Escape))
    }

    /// Arrow keys, Page Up/Down and Home/End move the cursor (Shift extends
    /// the selection); typing a character focuses the filter box. Enter, F2,
    /// Delete and friends belong to the app's action table.
    pub(super) fn keyboard(&mut self, ui: &Ui, ids: &Ids, active: bool) {
        if !active || !self.rows_actionable() || self.rename.is_some() || self.path_edit.is_some() {
            return;
        }
        let ctx = ui.ctx();
        if egui::Popup::is_any_open(ctx) {
            return;
        }
        let in_filter = ctx.memory(|m| m.has_focus(ids.filter));
        let typing = ctx.text_edit_focused();
        if typing && !in_filter {
            return;
        }
        let page = self.page_rows.max(1) as isize;
        let mut moves = Vec::new();
        ctx.input_mut(|i| {
            i.events.retain(|e| {
                let Event::Key {
                    key,
                    pressed: true,
                    modifiers,
                    ..
                } = e
                else {
                    return true;
                };
                if modifiers.command || modifiers.alt {
                    return true;
                }
                let movement = match key {
                    Key::ArrowUp => Move::By(-1),
                    Key::ArrowDown => Move::By(1),
                    Key::PageUp => Move::By(-page),
                    Key::PageDown => Move::By(page),
                    Key::Home if !in_filter => Move::Home,
                    Key::End if !in_filter => Move::End,
                    _ => return true,
                };
                moves.push((movement, modifiers.shift));
                false
            });
        });
        for (movement, extend) in moves {
            self.move_cursor(movement, extend);
        }
        if !typing {
            let typed = ui.input(|i| {
                i.events
                    .iter()
                    .any(|e| matches!(e, Event::Text(t) if t.chars().any(|c| !c.is_control())))
            });
            if typed {
                // The filter box takes focus before it is drawn, so it
                // receives this very character.
                self.focus_filter = true;
            }
        }
    }
}
