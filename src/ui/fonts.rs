//! Installed fonts as fallbacks, so names in every script can be drawn.
//!
//! egui's bundled fonts cover Latin, Greek and Cyrillic. For anything else
//! (CJK, Hebrew, Arabic, Thai, emoji) Ferry asks the system, through egui's
//! own provider (fontique): it follows the operating system's fallback rules
//! (fontconfig on Linux, so Noto Sans CJK or Droid Sans Fallback, whichever
//! the system prefers for the locale; CoreText and DirectWrite elsewhere),
//! and loads a font only when a character needs it, memory-mapped, not read.
//!
//! Finding the installed fonts takes from a few to hundreds of milliseconds,
//! so it runs on a thread of its own and the first frame never waits for it:
//! until it is done, a character no bundled font has is shown escaped (see
//! [`crate::ui::format::name`]), and once it is done egui asks again.

use std::sync::{
    Arc, OnceLock,
    atomic::{AtomicBool, Ordering},
};

use eframe::egui::{self, FallbackRequest, FontFamily, FontInsert, FontProvider};
use egui_system_font_provider::SystemFontProvider;

/// Start finding the installed fonts in the background and use them as
/// fallbacks in `ctx` from then on (proportional and monospace text).
pub fn install(ctx: &egui::Context) -> FontsLoading {
    let fonts = Arc::new(SystemFonts::default());
    let loading = FontsLoading(fonts.clone());
    ctx.add_font_provider(fonts.clone());
    let ctx = ctx.clone();
    let spawned = std::thread::Builder::new()
        .name("ferry-fonts".into())
        .spawn(move || {
            let provider = SystemFontProvider::new();
            // The first question waits until the fonts are all found.
            let probe = FallbackRequest {
                cluster: "a",
                family: &FontFamily::Proportional,
            };
            let _ = provider.font_for(&probe);
            let _ = fonts.provider.set(provider);
            // egui remembers a miss for good: start over, now that the
            // answer can be yes (this also repaints).
            ctx.set_font_providers(vec![fonts.clone() as Arc<dyn FontProvider>]);
            fonts.ready.store(true, Ordering::Release);
        });
    if let Err(e) = spawned {
        tracing::warn!("could not start the font thread, only the bundled fonts are used: {e}");
    }
    loading
}

/// Whether the installed fonts have been found yet (for tests and timing).
pub struct FontsLoading(Arc<SystemFonts>);

impl FontsLoading {
    /// True once the system fonts are in use (from the next frame on).
    pub fn done(&self) -> bool {
        self.0.ready.load(Ordering::Acquire)
    }
}

/// The system fonts once they are found; until then, no font.
#[derive(Default)]
struct SystemFonts {
    provider: OnceLock<SystemFontProvider>,
    /// Set once egui has been told to ask again.
    ready: AtomicBool,
}

impl FontProvider for SystemFonts {
    fn font_for(&self, request: &FallbackRequest<'_>) -> Option<FontInsert> {
        self.provider.get()?.font_for(request)
    }
}

/// Whether the fonts in `ctx` (with the fallbacks found so far) can draw
/// every character of `text`; asking loads the fonts it needs.
pub fn covers(ctx: &egui::Context, font_id: &egui::FontId, text: &str) -> bool {
    ctx.fonts_mut(|fonts| text.chars().all(|c| fonts.has_glyph(font_id, c)))
}
