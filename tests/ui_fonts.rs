//! Names in every script: drawn with the installed fonts when there are
//! some, escaped (never boxes) when there are none, right-to-left names in
//! reading order. The harness panics on any character it would draw as a
//! box, so every test here also checks that no name is tofu.
//!
//! The tests that draw with installed fonts need Debian's fonts-noto-cjk,
//! fonts-noto-color-emoji, fonts-dejavu-core and fonts-tlwg-garuda-ttf
//! (Thai) (`scripts/test-fonts`, which
//! `scripts/test` runs); without them they skip with a message, or fail when
//! FERRY_REQUIRE_FONTS=1.

use std::path::Path;
use std::time::{Duration, Instant};

use eframe::egui::{self, FontId};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use ferry::engine::{AnyPath, Entry, Kind, Side};
use ferry::ui::pane::{PaneSettings, PaneState};
use ferry::ui::{fonts, format};

const NAMES: [&str; 8] = [
    "日本語のファイル.txt",
    "中文文件夹.md",
    "한국어.txt",
    "עברית.txt",
    "😀 smile.txt",
    "Ελληνικά.txt",
    "Русский.txt",
    "ภาษาไทย.txt",
];

const DEJAVU: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
const NOTO_CJK: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";
const NOTO_EMOJI: &str = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf";
const GARUDA: &str = "/usr/share/fonts/truetype/tlwg/Garuda.ttf";
const DEJAVU_MONO: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf";

/// Whether the fonts these tests draw with are installed; when they are not,
/// say so, and fail if they are required.
fn fonts_installed() -> bool {
    let missing: Vec<&str> = [DEJAVU, NOTO_CJK, NOTO_EMOJI, GARUDA]
        .into_iter()
        .filter(|f| !Path::new(f).exists())
        .collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        std::env::var_os("FERRY_REQUIRE_FONTS").is_none(),
        "FERRY_REQUIRE_FONTS is set but these fonts are missing: {missing:?} (run scripts/test-fonts)"
    );
    eprintln!("skipped: fonts missing {missing:?}; scripts/test-fonts installs them");
    false
}

struct Screen {
    pane: PaneState,
    settings: PaneSettings,
}

fn entry(name: &str) -> Entry {
    Entry {
        name: name.as_bytes().into(),
        display_name: name.into(),
        kind: Kind::File,
        size: Some(1_000),
        modified: None,
        permissions: None,
        owner: None,
        link_target: None,
    }
}

fn harness() -> Harness<'static, Screen> {
    let mut pane = PaneState::new(Side::Remote);
    pane.set_listing(
        AnyPath::Remote(b"/home/ann".to_vec()),
        NAMES.iter().map(|n| entry(n)).collect(),
    );
    Harness::builder().with_size([900.0, 400.0]).build_ui_state(
        |ui, s: &mut Screen| {
            let _ = s.pane.ui(ui, &mut s.settings, true);
        },
        Screen {
            pane,
            settings: PaneSettings::default(),
        },
    )
}

fn escaped(name: &str, keep: impl Fn(char) -> bool) -> String {
    name.chars()
        .map(|c| {
            if keep(c) {
                c.to_string()
            } else {
                format!("\\u{{{:X}}}", c as u32)
            }
        })
        .collect()
}

#[test]
fn without_fonts_for_a_script_names_show_escaped_and_never_as_boxes() {
    let mut harness = harness();
    // Panics on tofu: without the escapes this run fails.
    harness.run();

    // Greek and Cyrillic are in the bundled fonts: shown as they are.
    harness.get_by_label("Ελληνικά.txt");
    harness.get_by_label("Русский.txt");
    // The rest has no font here: every such character written as its code.
    for name in [NAMES[0], NAMES[1], NAMES[2], NAMES[3]] {
        let shown = escaped(name, |c| c.is_ascii());
        assert!(shown.starts_with("\\u{"), "{shown}");
        harness.get_by_label(&shown);
    }
    harness.get_by_label("\\u{1F600} smile.txt");

    // The tooltip names the missing code points and how to get them drawn.
    harness.get_by_label("\\u{1F600} smile.txt").hover();
    harness.run();
    harness.get_by_label_contains("no installed font has U+1F600 — install");
    harness.get_by_label_contains("fonts-noto-color-emoji");

    // The name itself is untouched: selecting the row selects the real bytes.
    harness
        .get_by_label("\\u{5E2}\\u{5D1}\\u{5E8}\\u{5D9}\\u{5EA}.txt")
        .click();
    harness.run();
    let selected = harness.state().pane.selected();
    assert_eq!(selected.len(), 1);
    assert_eq!(&*selected[0].name, "עברית.txt".as_bytes());
}

#[test]
fn installed_fonts_draw_cjk_hebrew_and_emoji_names() {
    if !fonts_installed() {
        return;
    }
    let mut harness = harness();
    let loading = fonts::install(&harness.ctx);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !loading.done() {
        assert!(
            Instant::now() < deadline,
            "the installed fonts were not found in 30 s"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    harness.run();

    let font = FontId::proportional(14.0);
    for text in ["日本語", "中文", "한국어", "עברית", "😀", "ภาษาไทย"]
    {
        assert!(
            fonts::covers(&harness.ctx, &font, text),
            "no installed font draws {text:?}"
        );
    }
    harness.run(); // Draws every name; would panic on a box.
    for name in [
        "日本語のファイル.txt",
        "中文文件夹.md",
        "한국어.txt",
        "😀 smile.txt",
        "ภาษาไทย.txt",
    ] {
        harness.get_by_label(name);
    }
    // Hebrew is drawn in reading order (right to left, extension last).
    harness.get_by_label("עברית.txt");
}

/// The glyphs egui draws for `job`, left to right (zero-width ones left out).
fn drawn(ctx: &egui::Context, job: egui::text::LayoutJob) -> String {
    let galley = ctx.fonts_mut(|f| f.layout_job(job));
    let mut glyphs: Vec<(f32, char)> = galley
        .rows
        .iter()
        .flat_map(|r| r.row.glyphs.iter())
        .filter(|g| g.advance_width > 0.0)
        .map(|g| (g.pos.x, g.chr))
        .collect();
    glyphs.sort_by(|a, b| a.0.total_cmp(&b.0));
    glyphs.into_iter().map(|(_, c)| c).collect()
}

#[test]
fn right_to_left_names_are_drawn_in_reading_order() {
    if !Path::new(DEJAVU).exists() {
        // Only DejaVu is needed here.
        assert!(fonts_installed(), "DejaVu Sans is missing");
        return;
    }
    let mut harness = Harness::builder().build_ui(|_| {});
    let ctx = harness.ctx.clone();
    let data = std::fs::read(DEJAVU).expect("read DejaVu Sans");
    ctx.add_font(egui::epaint::text::FontInsert::new(
        "DejaVu Sans",
        egui::FontData::from_owned(data),
        vec![egui::epaint::text::InsertFontFamily {
            family: egui::FontFamily::Proportional,
            priority: egui::epaint::text::FontPriority::Lowest,
        }],
    ));
    harness.run();
    let format = egui::TextFormat::simple(FontId::proportional(14.0), egui::Color32::WHITE);
    for (name, want) in [
        ("עברית.txt", "תירבע.txt"),
        ("שלום עולם.txt", "םלוע םולש.txt"),
        ("report-עברית-2024.pdf", "report-2024-תירבע.pdf"),
        ("(שלום).md", "(םולש).md"),
    ] {
        let job = format::name_job(&ctx, name, format.clone());
        assert_eq!(drawn(&ctx, job), want, "{name}");
        // What the words are drawn as is what format says a reader sees.
        assert_eq!(format::visual_order(name), want, "{name}");
    }
    // Without the reordering, egui alone swaps the words of a two-word name.
    let plain = egui::text::LayoutJob::single_section("שלום עולם.txt".into(), format);
    assert_ne!(drawn(&ctx, plain), "םלוע םולש.txt");
}

/// Add the font file at `path` to `family`'s fallbacks, after those it has.
fn add_fallback(ctx: &egui::Context, name: &str, path: &str, family: egui::FontFamily) {
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    ctx.add_font(egui::epaint::text::FontInsert::new(
        name,
        egui::FontData::from_owned(data),
        vec![egui::epaint::text::InsertFontFamily {
            family,
            priority: egui::epaint::text::FontPriority::Lowest,
        }],
    ));
}

/// A right-to-left word whose letters come from two fonts: DejaVu Sans Mono
/// has the common Arabic letters but not Pashto's `ټ`, which DejaVu Sans
/// has. egui shapes each font's run on its own and puts the runs left to
/// right; Ferry cuts the word at the change of font and orders the runs.
#[test]
fn a_right_to_left_word_drawn_from_two_fonts_keeps_its_reading_order() {
    if !Path::new(DEJAVU).exists() || !Path::new(DEJAVU_MONO).exists() {
        assert!(fonts_installed(), "DejaVu Sans (Mono) is missing");
        return;
    }
    let mut harness = Harness::builder().build_ui(|_| {});
    let ctx = harness.ctx.clone();
    let family = egui::FontFamily::Proportional;
    add_fallback(&ctx, "DejaVu Sans Mono", DEJAVU_MONO, family.clone());
    harness.run();
    add_fallback(&ctx, "DejaVu Sans", DEJAVU, family.clone());
    harness.run();
    // "ټول" (Pashto: all): ټ only in the second font.
    let name = "ټول.txt";
    let want = "لوټ.txt";
    assert_eq!(format::visual_order(name), want);
    assert_eq!(fonts::font_runs(&ctx, &family, "ټول"), [0..2, 2..6]);
    let format = egui::TextFormat::simple(FontId::proportional(14.0), egui::Color32::WHITE);
    let job = format::name_job(&ctx, name, format.clone());
    assert_eq!(drawn(&ctx, job), want);
    // egui alone, given the word in one piece, draws its first letter on
    // the wrong side.
    let mut whole = egui::text::LayoutJob::default();
    whole.append("ټول", 0.0, format.clone());
    whole.append(".txt", 0.0, format);
    assert_ne!(drawn(&ctx, whole), want);
}

/// Text fields edit in typing order (egui lays them out left to right): a
/// rename holding right-to-left letters shows what the name reads as below
/// the field; a name without any shows nothing extra.
#[test]
fn renaming_a_right_to_left_name_previews_its_reading_order() {
    if !Path::new(DEJAVU).exists() {
        assert!(fonts_installed(), "DejaVu Sans is missing");
        return;
    }
    let mut harness = harness();
    // The field itself draws the letters: they need a font.
    add_fallback(
        &harness.ctx,
        "DejaVu Sans",
        DEJAVU,
        egui::FontFamily::Proportional,
    );
    harness.run();
    harness.get_by_label("Русский.txt").click();
    harness.run();
    harness.state_mut().pane.start_rename();
    harness.run();
    harness.get_by_label("New name");
    assert!(harness.query_by_label("Reads as").is_none());

    harness.key_press(egui::Key::Escape);
    harness.run();
    harness.get_by_label("עברית.txt").click();
    harness.run();
    harness.state_mut().pane.start_rename();
    harness.run();
    harness.run();
    harness.get_by_label("New name");
    harness.get_by_label("Reads as");
    // Drawn as the panes draw names, in reading order (checked glyph by
    // glyph in right_to_left_names_are_drawn_in_reading_order).
    harness.get_by_label("עברית.txt");
}
