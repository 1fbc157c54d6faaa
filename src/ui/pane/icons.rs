//! Icons, painted: the default fonts have no emoji.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Icon {
    Up,
    Refresh,
    Edit,
    Close,
    Parent,
}

/// An icon-only button whose accessible name is `label`.
pub(super) fn icon_button(ui: &mut Ui, icon: Icon, label: &str, enabled: bool) -> Response {
    let size = vec2(ui.spacing().interact_size.y, ui.spacing().interact_size.y) + vec2(2.0, 2.0);
    let sense = if enabled {
        Sense::click()
    } else {
        Sense::hover()
    };
    let (rect, response) = ui.allocate_exact_size(size, sense);
    response.widget_info(|| WidgetInfo::labeled(Role::Button, enabled, label));
    if ui.is_rect_visible(rect) {
        let visuals = ui.style().interact(&response);
        if enabled && (response.hovered() || response.is_pointer_button_down_on()) {
            ui.painter()
                .rect_filled(rect, visuals.corner_radius, visuals.weak_bg_fill);
        }
        let color = if enabled {
            visuals.fg_stroke.color
        } else {
            ui.visuals().weak_text_color().gamma_multiply(0.6)
        };
        paint_icon(ui.painter(), rect.shrink(5.0), icon, color);
    }
    response
}

/// An icon button for an action of the table, with its tooltip and shortcut.
pub(super) fn action_icon_button(
    ui: &mut Ui,
    icon: Icon,
    action: Action,
    enabled: bool,
) -> Response {
    let info = action.info();
    let tip = match info.shortcut {
        Some(s) => format!("{} ({})", info.tooltip, ui.ctx().format_shortcut(&s)),
        None => info.tooltip.to_string(),
    };
    icon_button(ui, icon, info.label, enabled).on_hover_text(tip)
}

pub(super) fn icon(ui: &mut Ui, icon: Icon) {
    let (rect, _) = ui.allocate_exact_size(vec2(16.0, 16.0), Sense::hover());
    if ui.is_rect_visible(rect) {
        let color = ui.visuals().weak_text_color();
        paint_icon(ui.painter(), rect.shrink(2.0), icon, color);
    }
}

pub(super) fn paint_icon(painter: &Painter, rect: Rect, icon: Icon, color: Color32) {
    let stroke = Stroke::new(1.5, color);
    let c = rect.center();
    let r = rect.width().min(rect.height()) / 2.0;
    match icon {
        Icon::Up | Icon::Parent => {
            let top = pos2(c.x, c.y - r);
            painter.line_segment([pos2(c.x, c.y + r), top], stroke);
            painter.add(Shape::line(
                vec![
                    top + vec2(-r * 0.7, r * 0.7),
                    top,
                    top + vec2(r * 0.7, r * 0.7),
                ],
                stroke,
            ));
        }
        Icon::Refresh => {
            let start = -0.35 * std::f32::consts::PI;
            let sweep = 1.6 * std::f32::consts::PI;
            let points: Vec<Pos2> = (0..=20)
                .map(|k| {
                    let a = start + sweep * k as f32 / 20.0;
                    c + vec2(a.cos(), a.sin()) * r * 0.85
                })
                .collect();
            let end = *points.last().unwrap_or(&c);
            painter.add(Shape::line(points, stroke));
            let a = start + sweep;
            let tangent = vec2(-a.sin(), a.cos());
            let normal = vec2(a.cos(), a.sin());
            painter.add(Shape::convex_polygon(
                vec![end + tangent * 3.5, end + normal * 3.0, end - normal * 3.0],
                color,
                Stroke::NONE,
            ));
        }
        Icon::Edit => {
            let tip = pos2(rect.left() + 1.0, rect.bottom() - 1.0);
            let back = pos2(rect.right() - 1.0, rect.top() + 1.0);
            painter.line_segment([tip + vec2(2.0, -2.0), back], Stroke::new(3.0, color));
            painter.add(Shape::convex_polygon(
                vec![tip, tip + vec2(0.5, -3.5), tip + vec2(3.5, -0.5)],
                color,
                Stroke::NONE,
            ));
        }
        Icon::Close => {
            let d = r * 0.7;
            painter.line_segment([c + vec2(-d, -d), c + vec2(d, d)], stroke);
            painter.line_segment([c + vec2(-d, d), c + vec2(d, -d)], stroke);
        }
    }
}

/// The icon of a table row: folder, file, link (with a badge) or unknown.
pub(super) fn entry_icon(ui: &mut Ui, e: &Entry) {
    let (rect, _) = ui.allocate_exact_size(vec2(16.0, 16.0), Sense::hover());
    if !ui.is_rect_visible(rect) {
        return;
    }
    let painter = ui.painter();
    let ink = ui.visuals().widgets.noninteractive.fg_stroke.color;
    match e.kind {
        Kind::Dir => paint_folder(painter, rect, ui.visuals().dark_mode),
        Kind::File => paint_file(painter, rect, ink),
        Kind::Unknown => {
            paint_file(painter, rect, ink);
            painter.text(
                rect.center() + vec2(0.0, 1.5),
                Align2::CENTER_CENTER,
                "?",
                egui::FontId::proportional(9.0),
                ink,
            );
        }
        Kind::Symlink { target_is_dir } => {
            if target_is_dir {
                paint_folder(painter, rect, ui.visuals().dark_mode);
            } else {
                paint_file(painter, rect, ink);
            }
            // A link badge: a small arrow out of a circle, bottom left.
            let c = pos2(rect.left() + 4.0, rect.bottom() - 4.0);
            painter.circle_filled(c, 4.0, Color32::from_rgb(0x3B, 0x82, 0xD6));
            let white = Stroke::new(1.2, Color32::WHITE);
            painter.line_segment([c + vec2(-1.6, 1.6), c + vec2(1.8, -1.8)], white);
            painter.add(Shape::line(
                vec![
                    c + vec2(-0.4, -1.8),
                    c + vec2(1.8, -1.8),
                    c + vec2(1.8, 0.4),
                ],
                white,
            ));
        }
    }
}

pub(crate) fn paint_folder(painter: &Painter, rect: Rect, dark: bool) {
    let (body, tab) = if dark {
        (
            Color32::from_rgb(0xD9, 0xA8, 0x4E),
            Color32::from_rgb(0xB8, 0x88, 0x36),
        )
    } else {
        (
            Color32::from_rgb(0xF0, 0xB8, 0x4C),
            Color32::from_rgb(0xD0, 0x96, 0x30),
        )
    };
    let outer = rect.shrink2(vec2(1.0, 2.0));
    let tab_rect = Rect::from_min_size(outer.min, vec2(outer.width() * 0.45, 4.0));
    painter.rect_filled(tab_rect, 1.5, tab);
    let body_rect = Rect::from_min_max(pos2(outer.left(), outer.top() + 2.0), outer.max);
    painter.rect_filled(body_rect, 1.5, body);
}

pub(super) fn paint_file(painter: &Painter, rect: Rect, ink: Color32) {
    let r = Rect::from_center_size(rect.center(), vec2(10.0, 13.0));
    let fold = 3.5;
    let stroke = Stroke::new(1.1, ink);
    let outline = vec![
        r.left_top(),
        pos2(r.right() - fold, r.top()),
        pos2(r.right(), r.top() + fold),
        r.right_bottom(),
        r.left_bottom(),
    ];
    painter.add(Shape::closed_line(outline, stroke));
    painter.add(Shape::line(
        vec![
            pos2(r.right() - fold, r.top()),
            pos2(r.right() - fold, r.top() + fold),
            pos2(r.right(), r.top() + fold),
        ],
        stroke,
    ));
}
