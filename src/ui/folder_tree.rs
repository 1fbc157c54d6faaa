//! The folder tree above a pane (View → Folder trees), as FileZilla has it:
//! folders only, each listed the first time it is opened (through the
//! engine's ordinary listing command, so nothing here blocks), the pane's
//! folder highlighted and revealed. Clicking a folder opens it in the pane.
//!
//! The tree learns from every listing of its side, the pane's too, so the
//! folders the user has walked through need no extra listing.

use std::collections::{HashMap, HashSet};

use eframe::egui::{
    self, Align, Color32, Label, Layout, Rect, RichText, Role, Sense, Shape, Stroke, Ui,
    WidgetInfo, pos2, vec2,
};

use crate::engine::{AnyPath, Entry, Side};
use crate::ui::pane::PaneDrag;

/// What the user did in a tree this frame.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub enum TreeAction {
    /// Open this folder in the pane.
    Open(AnyPath),
    /// List this folder (it was expanded and its subfolders are not known yet).
    List(AnyPath),
    /// Make a new folder inside this one (right-click → New folder…): the
    /// pane opens it and asks for the name.
    NewFolderIn(AnyPath),
    /// List the pane's folder again (right-click → Refresh on it).
    Refresh(AnyPath),
    /// Rows dragged from a pane were dropped on this folder: transfer them
    /// into it (or move them, from the same side).
    Dropped { drag: PaneDrag, folder: AnyPath },
}

/// What the right-click menu of a tree folder picked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MenuPick {
    Open,
    NewFolder,
    Refresh,
    CopyPath,
}

/// One folder in the tree.
#[derive(Debug, Clone)]
struct Node {
    name: String,
    /// Subfolders, sorted as the pane sorts names.
    children: Vec<AnyPath>,
    /// Whether `children` came from a listing (else only the way to the current folder is known).
    listed: bool,
    open: bool,
    error: Option<String>,
}

impl Node {
    fn new(name: String) -> Node {
        Node {
            name,
            children: Vec::new(),
            listed: false,
            open: false,
            error: None,
        }
    }
}

/// The folder tree of one side.
pub struct FolderTree {
    side: Side,
    nodes: HashMap<AnyPath, Node>,
    root: Option<AnyPath>,
    /// Listings this tree asked for and still waits for.
    pending: HashSet<AnyPath>,
    current: Option<AnyPath>,
    /// Scroll the current folder into view for this many more frames (the
    /// scroll area learns a grown content height one frame late).
    reveal: u8,
    /// The rows shown (depth, folder), and the `show_hidden` they are for;
    /// None when the tree changed since.
    rows: Vec<(usize, AnyPath)>,
    rows_for: Option<bool>,
}

/// Frames the reveal scroll is repeated for.
const REVEAL_FRAMES: u8 = 3;

/// Indentation per level.
const INDENT: f32 = 14.0;

impl FolderTree {
    pub fn new(side: Side) -> FolderTree {
        FolderTree {
            side,
            nodes: HashMap::new(),
            root: None,
            pending: HashSet::new(),
            current: None,
            reveal: 0,
            rows: Vec::new(),
            rows_for: None,
        }
    }

    /// The folder the pane shows: highlight it and open the way to it. None
    /// (no connection) forgets everything.
    pub fn set_current(&mut self, path: Option<&AnyPath>) {
        if self.current.as_ref() == path {
            return;
        }
        let Some(path) = path else {
            *self = FolderTree::new(self.side);
            return;
        };
        // Another root (another drive, or the first listing): start afresh.
        if self.root.as_ref() != Some(&root_of(path)) {
            *self = FolderTree::new(self.side);
        }
        self.ensure_chain(path);
        for ancestor in ancestors(path).iter().chain([path]) {
            if let Some(node) = self.nodes.get_mut(ancestor) {
                node.open = true;
            }
        }
        self.current = Some(path.clone());
        self.reveal = REVEAL_FRAMES;
        self.rows_for = None;
    }

    /// A listing of `path` arrived (asked for by the tree or by the pane).
    pub fn on_listing(&mut self, path: &AnyPath, entries: &[Entry]) {
        if path.side() != self.side {
            return;
        }
        self.pending.remove(path);
        self.rows_for = None;
        // Folders filled in above the current one move it: keep it in sight.
        if self.current.as_ref().is_some_and(|c| is_ancestor(path, c)) {
            self.reveal = REVEAL_FRAMES;
        }
        if self.root.is_none() {
            self.root = Some(root_of(path));
        } else if self.root.as_ref() != Some(&root_of(path)) {
            return;
        }
        self.ensure_chain(path);
        let mut folders: Vec<(String, AnyPath)> = entries
            .iter()
            .filter(|e| e.opens_as_dir())
            .map(|e| (e.display_name.to_string(), path.join(&e.name)))
            .collect();
        // The way to the current folder stays, even if this listing left it out.
        if let Some(current) = &self.current {
            for step in ancestors(current).into_iter().chain([current.clone()]) {
                if step.parent().as_ref() == Some(path) && !folders.iter().any(|(_, p)| *p == step)
                {
                    folders.push((display_name(&step), step));
                }
            }
        }
        folders.sort_by(|a, b| crate::ui::pane::natural_cmp(&a.0, &b.0));
        for (name, child) in &folders {
            self.nodes
                .entry(child.clone())
                .and_modify(|n| n.name = name.clone())
                .or_insert_with(|| Node::new(name.clone()));
        }
        if let Some(node) = self.nodes.get_mut(path) {
            node.children = folders.into_iter().map(|(_, p)| p).collect();
            node.listed = true;
            node.error = None;
        }
    }

    /// Whether a listing the tree asked for is still on its way.
    pub fn is_waiting(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Whether the tree has a listing of this folder.
    pub fn is_listed(&self, path: &AnyPath) -> bool {
        self.nodes.get(path).is_some_and(|n| n.listed)
    }

    /// A listing failed. True when the tree had asked for it (it shows the
    /// error on the folder; the pane need not).
    pub fn on_listing_failed(&mut self, path: &AnyPath, message: &str) -> bool {
        if !self.pending.remove(path) {
            return false;
        }
        if let Some(node) = self.nodes.get_mut(path) {
            node.error = Some(message.to_string());
            node.listed = true;
        }
        true
    }

    /// Draw the tree; `show_hidden` shows folders whose name starts with a dot.
    pub fn ui(&mut self, ui: &mut Ui, show_hidden: bool) -> Vec<TreeAction> {
        let mut actions = Vec::new();
        let Some(root) = self.root.clone() else {
            ui.weak(match self.side {
                Side::Local => "No folder",
                Side::Remote => "Not connected",
            });
            return actions;
        };
        // Open folders on the way to the current one that were never listed
        // are listed now, so their other subfolders show too.
        let unlisted: Vec<AnyPath> = self
            .current
            .iter()
            .flat_map(ancestors)
            .filter(|a| {
                self.nodes.get(a).is_some_and(|n| n.open && !n.listed) && !self.pending.contains(a)
            })
            .collect();
        for path in unlisted {
            self.pending.insert(path.clone());
            actions.push(TreeAction::List(path));
        }
        // Only the rows in sight are laid out: a folder of 100,000
        // subfolders costs a frame no more than one of ten.
        if self.rows_for != Some(show_hidden) {
            self.rows = self.visible_rows(&root, show_hidden);
            self.rows_for = Some(show_hidden);
        }
        let rows = std::mem::take(&mut self.rows);
        let row_height =
            (ui.text_style_height(&egui::TextStyle::Body) + 4.0).max(ui.spacing().interact_size.y);
        // Rows touch: show_rows then places them exactly row_height apart.
        ui.spacing_mut().item_spacing.y = 0.0;
        let mut area = egui::ScrollArea::both()
            .id_salt(("ferry-folder-tree", self.side))
            .auto_shrink(false);
        if self.reveal > 0
            && let Some(at) = rows
                .iter()
                .position(|(_, p)| Some(p) == self.current.as_ref())
        {
            self.reveal -= 1;
            ui.ctx().request_repaint();
            let middle = (ui.available_height() - row_height) / 2.0;
            area = area.vertical_scroll_offset((at as f32 * row_height - middle).max(0.0));
        }
        area.show_rows(ui, row_height, rows.len(), |ui, range| {
            for (depth, path) in rows.get(range).unwrap_or_default() {
                self.row_ui(ui, path, *depth, row_height, show_hidden, &mut actions);
            }
        });
        if self.rows_for.is_some() {
            self.rows = rows;
        }
        actions
    }

    /// The rows shown, in order: every open folder's subfolders below it
    /// (hidden ones only when shown, or on the way to the current folder).
    fn visible_rows(&self, root: &AnyPath, show_hidden: bool) -> Vec<(usize, AnyPath)> {
        let on_the_way: HashSet<AnyPath> = self
            .current
            .iter()
            .flat_map(|c| ancestors(c).into_iter().chain([c.clone()]))
            .collect();
        let mut rows = Vec::new();
        let mut stack = vec![(0usize, root.clone())];
        while let Some((depth, path)) = stack.pop() {
            let Some(node) = self.nodes.get(&path) else {
                continue;
            };
            if node.open {
                for child in node.children.iter().rev() {
                    let hidden = self
                        .nodes
                        .get(child)
                        .is_some_and(|n| n.name.starts_with('.'));
                    if !hidden || show_hidden || on_the_way.contains(child) {
                        stack.push((depth + 1, child.clone()));
                    }
                }
            }
            rows.push((depth, path));
        }
        rows
    }

    fn row_ui(
        &mut self,
        ui: &mut Ui,
        path: &AnyPath,
        depth: usize,
        row_height: f32,
        show_hidden: bool,
        actions: &mut Vec<TreeAction>,
    ) {
        let Some(node) = self.nodes.get(path) else {
            return;
        };
        let (name, open) = (node.name.clone(), node.open);
        let on_the_way = |c: &AnyPath| {
            self.current
                .as_ref()
                .is_some_and(|cur| cur == c || is_ancestor(c, cur))
        };
        let has_children = !node.listed
            || node.children.iter().any(|c| {
                show_hidden
                    || on_the_way(c)
                    || !self.nodes.get(c).is_some_and(|n| n.name.starts_with('.'))
            });
        let error = node.error.clone();
        let is_current = self.current.as_ref() == Some(path);
        if is_current {
            // The whole row, as the pane marks its selected rows.
            let rect = Rect::from_min_size(
                ui.cursor().min,
                vec2(ui.available_width().max(ui.clip_rect().width()), row_height),
            );
            ui.painter()
                .rect_filled(rect, 2.0, ui.visuals().selection.bg_fill);
        }
        let mut picked = None;
        let row = ui.horizontal(|ui| {
            ui.set_min_height(row_height);
            ui.add_space(depth as f32 * INDENT);
            let toggle_size = vec2(row_height, row_height);
            if has_children {
                let (rect, response) = ui.allocate_exact_size(toggle_size, Sense::click());
                let label = format!("{} {name}", if open { "Collapse" } else { "Expand" });
                response.widget_info(|| WidgetInfo::labeled(Role::Button, true, &label));
                paint_triangle(ui, rect, open, response.hovered());
                if response.clicked() {
                    self.toggle(path, actions);
                }
            } else {
                ui.add_space(toggle_size.x + ui.spacing().item_spacing.x);
            }
            let (icon_rect, _) = ui.allocate_exact_size(vec2(16.0, 16.0), Sense::hover());
            if ui.is_rect_visible(icon_rect) {
                crate::ui::pane::paint_folder(ui.painter(), icon_rect, ui.visuals().dark_mode);
            }
            let text = if is_current {
                RichText::new(&name).color(ui.visuals().selection.stroke.color)
            } else {
                RichText::new(&name)
            };
            let response = ui.add(egui::Button::new(text).frame(false));
            if response.clicked() && !is_current {
                actions.push(TreeAction::Open(path.clone()));
            }
            response.context_menu(|ui| {
                for (label, pick) in [
                    ("Open", MenuPick::Open),
                    ("New folder…", MenuPick::NewFolder),
                    ("Refresh", MenuPick::Refresh),
                    ("Copy path", MenuPick::CopyPath),
                ] {
                    if ui.button(label).clicked() {
                        picked = Some(pick);
                        ui.close();
                    }
                }
            });
            if response.double_clicked() {
                self.toggle(path, actions);
            }
            if self.pending.contains(path) {
                ui.spinner();
            }
            if let Some(error) = error {
                ui.with_layout(Layout::left_to_right(Align::Center), |ui| {
                    ui.add(
                        Label::new(
                            RichText::new("could not list").color(ui.visuals().error_fg_color),
                        )
                        .selectable(false),
                    )
                    .on_hover_text(error);
                });
            }
        });
        // A drop target of its own: rows from a pane go into this folder
        // (never into itself or one of its own subfolders).
        let response = row.response;
        if let Some(payload) = response.dnd_hover_payload::<PaneDrag>()
            && !payload
                .paths
                .iter()
                .any(|item| item.path == *path || is_ancestor(&item.path, path))
        {
            ui.painter().rect_stroke(
                response.rect,
                2.0,
                Stroke::new(2.0, ui.visuals().selection.stroke.color),
                egui::StrokeKind::Inside,
            );
            if let Some(payload) = response.dnd_release_payload::<PaneDrag>() {
                actions.push(TreeAction::Dropped {
                    drag: (*payload).clone(),
                    folder: path.clone(),
                });
            }
        }
        match picked {
            Some(MenuPick::Open) if !is_current => actions.push(TreeAction::Open(path.clone())),
            Some(MenuPick::Open) | None => {}
            Some(MenuPick::NewFolder) => actions.push(TreeAction::NewFolderIn(path.clone())),
            Some(MenuPick::Refresh) if is_current => {
                actions.push(TreeAction::Refresh(path.clone()))
            }
            Some(MenuPick::Refresh) => {
                if self.pending.insert(path.clone()) {
                    actions.push(TreeAction::List(path.clone()));
                }
            }
            Some(MenuPick::CopyPath) => ui.ctx().copy_text(path.display()),
        }
    }

    /// Open or close a folder; opening one never listed asks for its listing.
    fn toggle(&mut self, path: &AnyPath, actions: &mut Vec<TreeAction>) {
        let Some(node) = self.nodes.get_mut(path) else {
            return;
        };
        node.open = !node.open;
        self.rows_for = None;
        if node.open && (!node.listed || node.error.is_some()) && !self.pending.contains(path) {
            node.error = None;
            self.pending.insert(path.clone());
            actions.push(TreeAction::List(path.clone()));
        }
    }

    /// Make sure every folder from the root down to `path` is a node, each
    /// a child of the one above.
    fn ensure_chain(&mut self, path: &AnyPath) {
        let mut chain = ancestors(path);
        chain.push(path.clone());
        if self.root.is_none() {
            self.root = chain.first().cloned();
        }
        let mut above: Option<AnyPath> = None;
        for step in chain {
            self.nodes
                .entry(step.clone())
                .or_insert_with(|| Node::new(display_name(&step)));
            if let Some(parent) = above.take() {
                let name = display_name(&step);
                let nodes = &self.nodes;
                let place = nodes.get(&parent).map(|p| {
                    p.children.binary_search_by(|c| {
                        let other = nodes.get(c).map_or(String::new(), |n| n.name.clone());
                        crate::ui::pane::natural_cmp(&other, &name)
                            .then_with(|| c.display().cmp(&step.display()))
                    })
                });
                if let (Some(Err(at)), Some(p)) = (place, self.nodes.get_mut(&parent))
                    && !p.children.contains(&step)
                {
                    p.children.insert(at, step.clone());
                }
            }
            above = Some(step);
        }
    }
}

/// Every folder above `path`, the root first.
fn ancestors(path: &AnyPath) -> Vec<AnyPath> {
    let mut out = Vec::new();
    let mut at = path.clone();
    // A path has as many parents as components; the bound guards against a
    // parent() that would not shrink.
    for _ in 0..4096 {
        let Some(parent) = at.parent() else {
            break;
        };
        if parent == at {
            break;
        }
        out.push(parent.clone());
        at = parent;
    }
    out.reverse();
    out
}

fn root_of(path: &AnyPath) -> AnyPath {
    ancestors(path)
        .into_iter()
        .next()
        .unwrap_or_else(|| path.clone())
}

fn is_ancestor(above: &AnyPath, below: &AnyPath) -> bool {
    ancestors(below).contains(above)
}

/// A folder's name in the tree: its last component, or the whole path at the top.
fn display_name(path: &AnyPath) -> String {
    let name = path.file_name();
    if name.is_empty() {
        return path.display();
    }
    String::from_utf8_lossy(&name).into_owned()
}

/// The expand/collapse triangle, painted (the default fonts have no arrows).
fn paint_triangle(ui: &Ui, rect: Rect, open: bool, hovered: bool) {
    if !ui.is_rect_visible(rect) {
        return;
    }
    let color: Color32 = if hovered {
        ui.visuals().strong_text_color()
    } else {
        ui.visuals().weak_text_color()
    };
    let c = rect.center();
    let r = rect.height().min(rect.width()) * 0.22;
    let points = if open {
        vec![
            pos2(c.x - r, c.y - r * 0.6),
            pos2(c.x + r, c.y - r * 0.6),
            pos2(c.x, c.y + r * 0.8),
        ]
    } else {
        vec![
            pos2(c.x - r * 0.6, c.y - r),
            pos2(c.x + r * 0.8, c.y),
            pos2(c.x - r * 0.6, c.y + r),
        ]
    };
    ui.painter()
        .add(Shape::convex_polygon(points, color, Stroke::NONE));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Kind;

    fn remote(p: &str) -> AnyPath {
        AnyPath::Remote(p.as_bytes().to_vec())
    }

    fn folder(name: &str) -> Entry {
        Entry {
            name: name.as_bytes().into(),
            display_name: name.into(),
            kind: Kind::Dir,
            size: None,
            modified: None,
            permissions: None,
            owner: None,
            link_target: None,
        }
    }

    #[test]
    fn the_way_to_the_current_folder_is_open_and_listings_fill_in_subfolders() {
        let mut tree = FolderTree::new(Side::Remote);
        tree.set_current(Some(&remote("/srv/www")));
        assert_eq!(tree.root, Some(remote("/")));
        assert!(tree.nodes[&remote("/")].open && tree.nodes[&remote("/srv")].open);
        assert_eq!(
            tree.nodes[&remote("/srv")].children,
            vec![remote("/srv/www")]
        );
        tree.on_listing(
            &remote("/srv"),
            &[
                folder("logs"),
                folder("www"),
                folder("backup10"),
                folder("backup9"),
            ],
        );
        let names: Vec<_> = tree.nodes[&remote("/srv")]
            .children
            .iter()
            .map(|c| tree.nodes[c].name.clone())
            .collect();
        assert_eq!(names, ["backup9", "backup10", "logs", "www"]);
    }

    #[test]
    fn expanding_an_unlisted_folder_asks_once_and_a_failure_is_kept_on_the_folder() {
        let mut tree = FolderTree::new(Side::Remote);
        tree.set_current(Some(&remote("/")));
        tree.on_listing(&remote("/"), &[folder("pub")]);
        let mut actions = Vec::new();
        tree.toggle(&remote("/pub"), &mut actions);
        tree.toggle(&remote("/pub"), &mut actions);
        tree.toggle(&remote("/pub"), &mut actions);
        assert_eq!(actions, vec![TreeAction::List(remote("/pub"))]);
        assert!(tree.on_listing_failed(&remote("/pub"), "550 Permission denied"));
        assert!(!tree.on_listing_failed(&remote("/other"), "550"));
        assert_eq!(
            tree.nodes[&remote("/pub")].error.as_deref(),
            Some("550 Permission denied")
        );
    }
}
