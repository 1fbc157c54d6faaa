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

/// `text` cut where the font drawing it changes, as byte ranges in order:
/// egui draws each character with the first font of `family`'s fallback
/// chain whose character map has it (the family's own fonts, then those
/// found on the system for it, in the order they were found), and this
/// follows the same rule. A combining mark or joiner stays with the
/// character before it, as it does in egui's clusters.
///
/// egui shapes each such run on its own and places the runs left to right,
/// so a right-to-left word drawn from two fonts must be split here and its
/// runs put in reading order by the caller (see [`crate::ui::format`]).
pub fn font_runs(
    ctx: &egui::Context,
    family: &FontFamily,
    text: &str,
) -> Vec<std::ops::Range<usize>> {
    use skrifa::MetadataProvider as _;
    ctx.fonts(|fonts| {
        let definitions = fonts.definitions();
        let configured = definitions
            .families
            .get(family)
            .into_iter()
            .flatten()
            .filter_map(|name| definitions.font_data.get(name))
            .map(|data| (data.font.clone(), data.index));
        let discovered = fonts
            .discovered_fonts()
            .iter()
            .filter(|f| f.families.iter().any(|i| i.family == *family))
            .map(|f| (f.data.font.clone(), f.data.index));
        let blobs: Vec<_> = configured.chain(discovered).collect();
        let chain: Vec<skrifa::FontRef<'_>> = blobs
            .iter()
            .filter_map(|(blob, index)| skrifa::FontRef::from_index((**blob).as_ref(), *index).ok())
            .collect();
        let maps: Vec<_> = chain.iter().map(|f| f.charmap()).collect();
        let face_of = |c: char| maps.iter().position(|m| m.map(c).is_some());
        let mut runs: Vec<(std::ops::Range<usize>, Option<usize>)> = Vec::new();
        for (at, c) in text.char_indices() {
            let end = at + c.len_utf8();
            let follows = matches!(
                unicode_bidi::bidi_class(c),
                unicode_bidi::BidiClass::NSM | unicode_bidi::BidiClass::BN
            );
            match runs.last_mut() {
                Some((range, _)) if follows => range.end = end,
                Some((range, face)) if *face == face_of(c) => range.end = end,
                _ => runs.push((at..end, face_of(c))),
            }
        }
        runs.into_iter().map(|(range, _)| range).collect()
    })
}
