//! The toolbar under the menu bar: icon buttons for what a user reaches for
//! most (Site Manager, log, refresh, queue, disconnect, reconnect). Each
//! button is a row of the action table, so its name, tooltip and shortcut
//! are the menu's. Icons are painted: the bundled fonts have no symbols.

use std::f32::consts::PI;

use eframe::egui::{
    self, Color32, Painter, Pos2, Rect, Response, Sense, Shape, Stroke, Ui, Widget, WidgetInfo,
    pos2, vec2,
};

use super::actions::Action;

/// What the buttons need to know to show as enabled or pressed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ToolbarState {
    /// Connected or connecting: Disconnect is offered.
    pub connected: bool,
    /// There is a last connection to go back to, and no connection now.
    pub can_reconnect: bool,
    /// The active pane shows a folder.
    pub can_refresh: bool,
    /// Some transfer is waiting or running.
    pub has_transfers: bool,
    /// The queue runs (not paused).
    pub processing: bool,
    /// The transfers and log panel is shown.
    pub log_shown: bool,
    /// Synchronized browsing is on.
    pub sync_browsing: bool,
}

/// The toolbar's buttons, in order; `None` is a gap between groups.
const BUTTONS: &[Option<Action>] = &[
    Some(Action::SiteManager),
    None,
    Some(Action::ToggleLog),
    Some(Action::Refresh),
    Some(Action::SyncBrowse),
    None,
    Some(Action::ToggleQueue),
    Some(Action::CancelAll),
    None,
    Some(Action::Disconnect),
    Some(Action::Reconnect),
];

/// Draw the toolbar; returns the action whose button was clicked.
#[must_use]
pub fn toolbar(ui: &mut Ui, state: &ToolbarState) -> Option<Action> {
    let mut clicked = None;
    ui.horizontal(|ui| {
        ui.spacing_mut().item_spacing.x = 2.0;
        for slot in BUTTONS {
            let Some(action) = *slot else {
                ui.add_space(6.0);
                ui.separator();
                ui.add_space(6.0);
                continue;
            };
            let (enabled, pressed) = match action {
                Action::Disconnect => (state.connected, None),
                Action::Reconnect => (state.can_reconnect, None),
                Action::Refresh => (state.can_refresh, None),
                Action::CancelAll => (state.has_transfers, None),
                Action::ToggleQueue => (true, Some(state.processing)),
                Action::ToggleLog => (true, Some(state.log_shown)),
                Action::SyncBrowse => (true, Some(state.sync_browsing)),
                _ => (true, None),
            };
            let response = ui.add_enabled(enabled, ToolButton { action, pressed });
            let tip = tooltip(ui.ctx(), action, pressed);
            let response = if enabled {
                response.on_hover_text(tip)
            } else {
                response.on_disabled_hover_text(tip)
            };
            if response.clicked() {
                clicked = Some(action);
            }
        }
    });
    clicked
}

/// "Label (Ctrl+R)", what it does, and for a toggle whether it is on.
fn tooltip(ctx: &egui::Context, action: Action, pressed: Option<bool>) -> String {
    let info = action.info();
    let mut tip = match info.shortcut {
        Some(s) => format!("{} ({})", info.label, ctx.format_shortcut(&s)),
        None => info.label.to_string(),
    };
    tip.push('\n');
    tip.push_str(info.tooltip);
    match (action, pressed) {
        (Action::ToggleQueue, Some(true)) => tip.push_str("\nNow: running"),
        (Action::ToggleQueue, Some(false)) => tip.push_str("\nNow: paused"),
        (Action::SyncBrowse, Some(on)) => tip.push_str(if on { "\nNow: on" } else { "\nNow: off" }),
        (_, Some(true)) => tip.push_str("\nNow: shown"),
        (_, Some(false)) => tip.push_str("\nNow: hidden"),
        (_, None) => {}
    }
    tip
}

/// One icon button; a toggle (`pressed` is `Some`) shows sunk in when on.
struct ToolButton {
    action: Action,
    pressed: Option<bool>,
}

impl Widget for ToolButton {
    fn ui(self, ui: &mut Ui) -> Response {
        let side = ui.spacing().interact_size.y + 10.0;
        let (rect, response) = ui.allocate_exact_size(vec2(side, side), Sense::click());
        let label = self.action.info().label;
        let enabled = ui.is_enabled();
        response.widget_info(|| match self.pressed {
            Some(on) => WidgetInfo::selected(egui::accesskit::Role::CheckBox, enabled, on, label),
            None => WidgetInfo::labeled(egui::accesskit::Role::Button, enabled, label),
        });
        if ui.is_rect_visible(rect) {
            let visuals = ui.style().interact(&response);
            let on = self.pressed == Some(true);
            if on {
                let fill = ui.visuals().selection.bg_fill.gamma_multiply(0.45);
                ui.painter().rect_filled(rect, 4.0, fill);
            } else if enabled && (response.hovered() || response.is_pointer_button_down_on()) {
                ui.painter().rect_filled(rect, 4.0, visuals.weak_bg_fill);
            }
            let color = if enabled {
                visuals.fg_stroke.color
            } else {
                ui.visuals().weak_text_color().gamma_multiply(0.5)
            };
            let accent = |c: Color32| if enabled { c } else { color };
            paint(
                ui.painter(),
                rect.shrink(side * 0.22),
                self.action,
                color,
                accent,
            );
        }
        response
    }
}

/// The action's icon inside `rect`, in `color`; `accent` colours a part
/// that means something (red stop, green run) while enabled.
fn paint(
    painter: &Painter,
    rect: Rect,
    action: Action,
    color: Color32,
    accent: impl Fn(Color32) -> Color32,
) {
    let stroke = Stroke::new(1.6, color);
    let c = rect.center();
    let r = rect.width().min(rect.height()) / 2.0;
    match action {
        // Two servers, one above the other, with their lights.
        Action::SiteManager => {
            let h = r * 0.8;
            for top in [rect.top() + 0.5, rect.top() + h + 2.5] {
                let unit = Rect::from_min_size(pos2(rect.left(), top), vec2(rect.width(), h));
                painter.rect_stroke(unit, 2.0, stroke, egui::StrokeKind::Inside);
                painter.circle_filled(
                    pos2(unit.right() - 3.5, unit.center().y),
                    1.3,
                    accent(Color32::from_rgb(60, 180, 90)),
                );
                painter.line_segment(
                    [
                        pos2(unit.left() + 3.0, unit.center().y),
                        pos2(unit.left() + r, unit.center().y),
                    ],
                    Stroke::new(1.2, color),
                );
            }
        }
        // A window with the bottom part (the panel) filled.
        Action::ToggleLog => {
            painter.rect_stroke(rect, 2.0, stroke, egui::StrokeKind::Inside);
            let panel = Rect::from_min_max(pos2(rect.left(), c.y + r * 0.2), rect.max);
            painter.rect_filled(panel.shrink(1.5), 1.0, color);
        }
        Action::Refresh => arrow_arc(painter, c, r * 0.85, -0.35 * PI, 1.6 * PI, color),
        // Two panes whose rows line up, linked: they browse together.
        Action::SyncBrowse => {
            let w = r * 0.65;
            let thin = Stroke::new(1.1, color);
            for x in [rect.left(), rect.right() - w] {
                let pane = Rect::from_min_size(pos2(x, rect.top()), vec2(w, rect.height()));
                painter.rect_stroke(pane, 1.5, stroke, egui::StrokeKind::Inside);
                for dy in [-r * 0.45, r * 0.45] {
                    painter
                        .line_segment([pos2(x + 2.5, c.y + dy), pos2(x + w - 2.5, c.y + dy)], thin);
                }
            }
            painter.line_segment(
                [pos2(rect.left() + w, c.y), pos2(rect.right() - w, c.y)],
                Stroke::new(2.0, accent(Color32::from_rgb(70, 130, 230))),
            );
        }
        // Play: the queue runs.
        Action::ToggleQueue => {
            let points = vec![
                pos2(c.x - r * 0.6, c.y - r * 0.85),
                pos2(c.x + r * 0.85, c.y),
                pos2(c.x - r * 0.6, c.y + r * 0.85),
            ];
            painter.add(Shape::convex_polygon(
                points,
                accent(Color32::from_rgb(60, 180, 90)),
                Stroke::NONE,
            ));
        }
        // A red circle with a cross: stop everything.
        Action::CancelAll => {
            let red = accent(Color32::from_rgb(215, 60, 60));
            painter.circle_stroke(c, r * 0.95, Stroke::new(1.8, red));
            let d = r * 0.45;
            let s = Stroke::new(1.8, red);
            painter.line_segment([c + vec2(-d, -d), c + vec2(d, d)], s);
            painter.line_segment([c + vec2(-d, d), c + vec2(d, -d)], s);
        }
        // A plug pulled out of its socket, a red slash in the gap.
        Action::Disconnect => {
            plug(painter, pos2(c.x - r * 0.45, c.y), r * 1.1, color);
            let gap = pos2(c.x + r * 0.3, c.y);
            painter.line_segment(
                [
                    gap + vec2(-r * 0.25, r * 0.7),
                    gap + vec2(r * 0.25, -r * 0.7),
                ],
                Stroke::new(1.8, accent(Color32::from_rgb(215, 60, 60))),
            );
            let socket = Rect::from_center_size(pos2(c.x + r * 0.85, c.y), vec2(r * 0.3, r * 1.3));
            painter.rect_filled(socket, 1.0, color);
        }
        // A plug and a circling arrow: connect again.
        Action::Reconnect => {
            arrow_arc(painter, c, r * 0.9, 0.15 * PI, 1.55 * PI, color);
            plug(painter, pos2(c.x - r * 0.1, c.y), r * 0.55, color);
        }
        _ => {
            painter.circle_stroke(c, r * 0.6, stroke);
        }
    }
}

/// An arc from `start` over `sweep` radians with an arrow head at its end.
fn arrow_arc(painter: &Painter, c: Pos2, r: f32, start: f32, sweep: f32, color: Color32) {
    let points: Vec<Pos2> = (0..=24)
        .map(|k| {
            let a = start + sweep * k as f32 / 24.0;
            c + vec2(a.cos(), a.sin()) * r
        })
        .collect();
    let end = c + vec2((start + sweep).cos(), (start + sweep).sin()) * r;
    painter.add(Shape::line(points, Stroke::new(1.6, color)));
    let a = start + sweep;
    let tangent = vec2(-a.sin(), a.cos());
    let normal = vec2(a.cos(), a.sin());
    painter.add(Shape::convex_polygon(
        vec![end + tangent * 3.5, end + normal * 3.0, end - normal * 3.0],
        color,
        Stroke::NONE,
    ));
}

/// A plug seen from the side, its prongs pointing right, centred on `c`.
fn plug(painter: &Painter, c: Pos2, r: f32, color: Color32) {
    let body = Rect::from_center_size(c, vec2(r * 0.7, r * 1.0));
    painter.rect_filled(body, 1.5, color);
    let s = Stroke::new(1.4, color);
    for dy in [-r * 0.22, r * 0.22] {
        painter.line_segment(
            [
                pos2(body.right(), c.y + dy),
                pos2(body.right() + r * 0.3, c.y + dy),
            ],
            s,
        );
    }
    painter.line_segment(
        [pos2(body.left() - r * 0.45, c.y), pos2(body.left(), c.y)],
        s,
    );
}
