//! How the window asks for frames. Under a software renderer every frame
//! costs whole milliseconds of CPU on every core, so the window draws only
//! when what it shows changed: one frame per engine snapshot (the engine
//! sends about ten a second while transfers run), and spinners that turn in
//! a few steps a second instead of asking for every frame egui can draw.
//! Input still repaints at once (egui's own doing).

use std::sync::Arc;
use std::time::Duration;

use eframe::egui;

use crate::engine::Waker;

/// How many steps a second a spinner turns (and so frames a second while
/// only a spinner moves).
pub const SPINNER_STEPS_PER_SECOND: f64 = 8.0;

/// The smallest delay egui takes as "one frame, soon": `request_repaint`
/// (a delay of zero) draws two passes, to let layout settle after input.
const ONE_PASS: Duration = Duration::from_millis(1);

/// The engine's waker for the window: one frame per snapshot.
///
/// A snapshot only changes the state the next frame reads (nothing was
/// laid out from input that a second pass would settle), so one pass draws
/// it; `request_repaint` would draw two for each.
pub fn engine_waker(ctx: egui::Context) -> Waker {
    Arc::new(move || ctx.request_repaint_after(ONE_PASS))
}

/// A spinner that turns in [`SPINNER_STEPS_PER_SECOND`] steps a second. It
/// asks only for the frame of its next step, where egui's asks for every
/// frame; it reads as a progress indicator to screen readers, as egui's does.
pub fn spinner(ui: &mut egui::Ui) -> egui::Response {
    let size = ui.spacing().interact_size.y;
    let (rect, response) = ui.allocate_exact_size(egui::vec2(size, size), egui::Sense::hover());
    response.widget_info(|| egui::WidgetInfo::new(egui::accesskit::Role::ProgressIndicator));
    if !ui.is_rect_visible(rect) {
        return response;
    }
    let time = ui.input(|i| i.time);
    let (step, next) = step_at(time);
    ui.ctx().request_repaint_after(next);
    let radius = rect.height().min(rect.width()) * 0.5 - 2.0;
    let points = (radius.round() as u32).clamp(8, 128);
    let start = step as f64 * std::f64::consts::TAU / SPINNER_STEPS_PER_SECOND;
    let sweep = 270f64.to_radians();
    let arc: Vec<egui::Pos2> = (0..=points)
        .map(|i| {
            let angle = start + sweep * f64::from(i) / f64::from(points);
            let (sin, cos) = angle.sin_cos();
            rect.center() + radius * egui::vec2(cos as f32, sin as f32)
        })
        .collect();
    let color = ui.visuals().strong_text_color();
    ui.painter()
        .add(egui::Shape::line(arc, egui::Stroke::new(3.0, color)));
    response
}

/// The spinner's step at egui time `time` (seconds), and how long until the next.
fn step_at(time: f64) -> (u64, Duration) {
    let steps = (time.max(0.0) * SPINNER_STEPS_PER_SECOND).floor();
    let next = (steps + 1.0) / SPINNER_STEPS_PER_SECOND - time;
    // At least a millisecond: a zero delay would mean two passes at once.
    (steps as u64, Duration::from_secs_f64(next.max(0.001)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One frame (its textures taken, as a renderer would).
    fn frame(ctx: &egui::Context, draw: impl FnMut(&mut egui::Ui)) -> egui::FullOutput {
        let mut output = ctx.run_ui(egui::RawInput::default(), draw);
        output.textures_delta.clear();
        output
    }

    /// Frames `ctx` draws, as an event loop would, until it asks for no more.
    fn passes(ctx: &egui::Context, mut draw: impl FnMut(&mut egui::Ui)) -> usize {
        let mut passes = 0;
        while ctx.has_requested_repaint() {
            frame(ctx, &mut draw);
            passes += 1;
            assert!(passes < 20, "the frames never stop");
        }
        passes
    }

    /// A context past its first frames (which settle fonts and style).
    fn settled() -> egui::Context {
        let ctx = egui::Context::default();
        frame(&ctx, |_| {});
        passes(&ctx, |_| {});
        ctx
    }

    #[test]
    fn an_engine_snapshot_draws_one_frame_where_request_repaint_draws_two() {
        let ctx = settled();
        let wake = engine_waker(ctx.clone());
        for _ in 0..20 {
            wake();
            assert_eq!(passes(&ctx, |_| {}), 1);
            // Many wakes before the frame still make one frame.
            for _ in 0..100 {
                wake();
            }
            assert_eq!(passes(&ctx, |_| {}), 1);
        }
        // What the window did before: two frames for every wake.
        ctx.request_repaint();
        assert_eq!(passes(&ctx, |_| {}), 2);
    }

    #[test]
    fn a_spinner_asks_for_its_next_step_not_for_every_frame() {
        let ctx = settled();
        let output = frame(&ctx, |ui| {
            spinner(ui);
        });
        let delay = output.viewport_output[&egui::ViewportId::ROOT].repaint_delay;
        let step = Duration::from_secs_f64(1.0 / SPINNER_STEPS_PER_SECOND);
        assert!(delay > Duration::ZERO && delay <= step, "{delay:?}");
        // egui's own spinner asks for the very next frame.
        let output = frame(&ctx, |ui| {
            ui.spinner();
        });
        assert_eq!(
            output.viewport_output[&egui::ViewportId::ROOT].repaint_delay,
            Duration::ZERO
        );
    }

    #[test]
    fn a_spinner_steps_a_few_times_a_second_and_waits_for_the_next_step() {
        let (step, next) = step_at(0.0);
        assert_eq!(step, 0);
        assert_eq!(next, Duration::from_millis(125));
        let (step, next) = step_at(1.3);
        assert_eq!(step, 10);
        assert!((next.as_secs_f64() - 0.075).abs() < 1e-9, "{next:?}");
        // On the edge of a step the next is a whole step away, never zero.
        let (step, next) = step_at(0.25);
        assert_eq!(step, 2);
        assert!((next.as_secs_f64() - 0.125).abs() < 1e-9, "{next:?}");
    }
}
