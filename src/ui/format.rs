//! Human-readable sizes, counts and times for the panes and the status line,
//! and the one way a file, folder or site name is shown ([`name`]).
//!
//! Sizes use decimal SI units (1 kB = 1000 bytes, 1 MB = 1000 kB), as GNOME
//! Files and macOS Finder do: a "4.7 GB" disc image is what the box says, and
//! the exact byte count is always one hover away ([`exact_bytes`]).

use chrono::NaiveDateTime;
use eframe::egui::{
    self, Response, RichText, Ui, WidgetText,
    text::{LayoutJob, TextFormat},
};
use unicode_bidi::{BidiClass, BidiInfo, Level, bidi_class};

const UNITS: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];

/// A size in at most three significant digits: `999 B`, `1.5 kB`, `12.3 MB`, `456 GB`.
pub fn human_size(bytes: u64) -> String {
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    // One decimal below 100, none above; rounding may carry into the next unit.
    if value < 100.0 {
        let tenths = (value * 10.0).round();
        if tenths < 1000.0 {
            return format!("{:.1} {}", tenths / 10.0, UNITS[unit]);
        }
    }
    let whole = value.round();
    if whole >= 1000.0 && unit < UNITS.len() - 1 {
        return format!("1.0 {}", UNITS[unit + 1]);
    }
    format!("{whole:.0} {}", UNITS[unit])
}

/// A number with thousands separators: `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The exact size, for tooltips: `1,234,567 bytes`, `1 byte`.
pub fn exact_bytes(bytes: u64) -> String {
    count(bytes, "byte", "bytes")
}

/// A count with its noun: `1 file`, `1,204 files`.
pub fn count(n: u64, one: &str, many: &str) -> String {
    let noun = if n == 1 { one } else { many };
    format!("{} {noun}", thousands(n))
}

/// The Modified column: `2024-03-05 12:34` (sorts and aligns the same in every locale).
pub fn modified(time: NaiveDateTime) -> String {
    time.format("%Y-%m-%d %H:%M").to_string()
}

/// The Modified column's tooltip, with seconds: `2024-03-05 12:34:56`.
pub fn modified_exact(time: NaiveDateTime) -> String {
    time.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// A name (or a line holding names) as the window shows it: right-to-left
/// runs in the order a reader expects, and every character that no font can
/// draw written as `\u{65E5}` rather than as a box.
///
/// Only what is drawn changes: callers keep the real name for every
/// operation. Text that is all left-to-right and fully covered comes back
/// unchanged, so styling (`.strong()`, `.monospace()`, colours) is kept.
pub fn name(ui: &Ui, text: impl Into<RichText>) -> WidgetText {
    shown(ui, text.into()).0
}

/// A name as a non-selectable, truncating label; when characters had to be
/// escaped, the full name is in its tooltip with the code points it lacks.
pub fn name_label(ui: &mut Ui, text: &str) -> Response {
    let (shown, missing) = shown(ui, RichText::new(text));
    let note = missing_note(shown.text(), &missing);
    let response = ui.add(egui::Label::new(shown).selectable(false).truncate());
    match note {
        Some(note) => response.on_hover_text(note),
        None => response,
    }
}

/// Whether `text` has right-to-left letters (Hebrew, Arabic, …).
pub fn has_right_to_left(text: &str) -> bool {
    text.chars().any(is_rtl_class)
}

/// Under a text field holding right-to-left letters, what the text reads
/// as: egui's fields show and edit it in typing order, left to right.
/// Shown as a tooltip-like note below the field while it has the focus.
pub fn reading_order_preview(ui: &Ui, field: &Response, text: &str) {
    if !field.has_focus() || !has_right_to_left(text) {
        return;
    }
    egui::Area::new(field.id.with("reading-order"))
        .order(egui::Order::Tooltip)
        .fixed_pos(field.rect.left_bottom() + egui::vec2(0.0, 2.0))
        .interactable(false)
        .show(ui.ctx(), |ui| {
            egui::Frame::popup(ui.style()).show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.label(RichText::new("Reads as").weak());
                    ui.add(egui::Label::new(name(ui, text)).selectable(false));
                });
            });
        });
}

/// The tooltip for a name with characters no installed font has: the whole
/// name as shown (escaped; the real characters would draw as boxes), the
/// code points missing, and what to install.
pub fn missing_note(shown: &str, missing: &[char]) -> Option<String> {
    if missing.is_empty() {
        return None;
    }
    let codes: Vec<String> = missing
        .iter()
        .map(|c| format!("U+{:04X}", *c as u32))
        .collect();
    Some(format!(
        "{shown}\nShown escaped: no installed font has {} — install a font for this \
         script (Debian: fonts-noto-cjk, fonts-noto-color-emoji) to see it",
        codes.join(" ")
    ))
}

/// The text to draw for `text`, and the characters it had to escape.
fn shown(ui: &Ui, text: RichText) -> (WidgetText, Vec<char>) {
    if plain(text.text()) {
        return (text.into(), Vec::new());
    }
    let job = WidgetText::from(text.clone()).into_layout_job(
        ui.style(),
        egui::FontSelection::Default,
        ui.text_valign(),
    );
    let Some(format) = job.sections.first().map(|s| s.format.clone()) else {
        return (text.into(), Vec::new());
    };
    match shown_job(ui.ctx(), text.text(), format) {
        (Some(job), missing) => (WidgetText::LayoutJob(job.into()), missing),
        (None, missing) => (text.into(), missing),
    }
}

/// [`name`] for text painted directly (the log, the Site Manager's tree):
/// the layout to paint `text` with, in `format`.
pub fn name_job(ctx: &egui::Context, text: &str, format: TextFormat) -> LayoutJob {
    match shown_job(ctx, text, format.clone()) {
        (Some(job), _) => job,
        (None, _) => LayoutJob::single_section(text.to_owned(), format),
    }
}

/// [`name_job`] laid out like `Painter::layout`, wrapping at `wrap_width`.
pub fn name_galley(
    painter: &egui::Painter,
    text: &str,
    font_id: egui::FontId,
    color: egui::Color32,
    wrap_width: f32,
) -> std::sync::Arc<egui::Galley> {
    let mut job = name_job(painter.ctx(), text, TextFormat::simple(font_id, color));
    job.wrap.max_width = wrap_width;
    painter.layout_job(job)
}

/// Text every bundled font draws, left to right: shown as it is.
fn plain(text: &str) -> bool {
    text.chars().all(|c| c.is_ascii_graphic() || c == ' ')
}

/// The sections to draw `text` with, or `None` when it is drawn as it is;
/// and the characters no font has.
fn shown_job(
    ctx: &egui::Context,
    text: &str,
    format: TextFormat,
) -> (Option<LayoutJob>, Vec<char>) {
    if plain(text) {
        return (None, Vec::new());
    }
    let font_id = format.font_id.clone();
    let (escaped, missing) =
        ctx.fonts_mut(|fonts| escape_uncovered(text, |c| fonts.has_glyph(&font_id, c)));
    let pieces = visual_pieces(&escaped);
    if missing.is_empty() && pieces.iter().all(|p| !p.rtl) {
        return (None, missing);
    }
    let pieces = split_by_font(ctx, &font_id.family, pieces);
    let mut job = LayoutJob::default();
    for piece in &pieces {
        job.append(&piece.text, 0.0, format.clone());
    }
    (Some(job), missing)
}

/// Right-to-left words drawn from two or more fonts, cut at each change of
/// font and those runs put in reading order. egui shapes each font's run on
/// its own (right to left within it) but places the runs left to right, so
/// without this the word `ټول` in a font chain where only the second font
/// has `ټ` would be drawn `ټ` + `لو`, its first letter on the wrong side.
fn split_by_font(ctx: &egui::Context, family: &egui::FontFamily, pieces: Vec<Piece>) -> Vec<Piece> {
    let mut out = Vec::with_capacity(pieces.len());
    for piece in pieces {
        if !piece.rtl || piece.text.chars().nth(1).is_none() {
            out.push(piece);
            continue;
        }
        let runs = super::fonts::font_runs(ctx, family, &piece.text);
        if runs.len() < 2 {
            out.push(piece);
            continue;
        }
        for range in runs.into_iter().rev() {
            out.push(Piece {
                text: piece.text.get(range).unwrap_or_default().to_owned(),
                rtl: true,
            });
        }
    }
    out
}

/// `text` with each character `covered` says no font has written as
/// `\u{XXXX}`, and those characters. Control characters and the explicit
/// bidi controls (which can disguise `exe.txt` as `txt.exe`) are always
/// escaped; joiners and variation selectors, which draw nothing, never.
pub fn escape_uncovered(text: &str, mut covered: impl FnMut(char) -> bool) -> (String, Vec<char>) {
    let mut out = String::with_capacity(text.len());
    let mut missing: Vec<char> = Vec::new();
    for c in text.chars() {
        let draws_nothing = matches!(c, '\u{200C}' | '\u{200D}' | '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}');
        let escape = if c.is_control() || is_bidi_control(c) {
            true
        } else {
            !draws_nothing && c != ' ' && !covered(c)
        };
        if escape {
            out.push_str(&format!("\\u{{{:X}}}", c as u32));
            if !missing.contains(&c) {
                missing.push(c);
            }
        } else {
            out.push(c);
        }
    }
    (out, missing)
}

/// The explicit embeddings, overrides and isolates (not the marks LRM/RLM).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A stretch of text drawn as one section. The shaper lays out a
/// right-to-left script's letters right to left by itself, so a `rtl` piece
/// holds them in logical order; everything else is already in visual order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub text: String,
    pub rtl: bool,
}

/// `text` cut into pieces in visual (left-to-right) order by the Unicode
/// bidi algorithm, in a left-to-right paragraph (the window's direction):
/// `report-עברית-2024.pdf` keeps `report-` first and `.pdf` last.
pub fn visual_pieces(text: &str) -> Vec<Piece> {
    if !text.chars().any(is_rtl_class) {
        return vec![Piece {
            text: text.to_owned(),
            rtl: false,
        }];
    }
    let info = BidiInfo::new(text, Some(Level::ltr()));
    let mut pieces = Vec::new();
    for paragraph in &info.paragraphs {
        let (levels, runs) = info.visual_runs(paragraph, paragraph.range.clone());
        for run in runs {
            let Some(run_text) = text.get(run.clone()) else {
                continue;
            };
            if levels.get(run.start).is_some_and(|l| l.is_rtl()) {
                pieces.extend(rtl_run_pieces(run_text));
            } else if !run_text.is_empty() {
                pieces.push(Piece {
                    text: run_text.to_owned(),
                    rtl: false,
                });
            }
        }
    }
    pieces
}

/// A right-to-left run in visual order: its words of right-to-left letters
/// stay whole (the shaper reverses and joins them), the characters between
/// them are reversed one by one, and brackets are mirrored.
fn rtl_run_pieces(run: &str) -> Vec<Piece> {
    let mut pieces: Vec<Piece> = Vec::new();
    for c in run.chars() {
        let class = bidi_class(c);
        let letter = matches!(class, BidiClass::R | BidiClass::AL);
        let joins = matches!(class, BidiClass::NSM | BidiClass::BN);
        match pieces.last_mut() {
            Some(last) if last.rtl && (letter || joins) => last.text.push(c),
            _ if letter => pieces.push(Piece {
                text: c.to_string(),
                rtl: true,
            }),
            _ => pieces.push(Piece {
                text: mirrored(c).to_string(),
                rtl: false,
            }),
        }
    }
    pieces.reverse();
    pieces
}

fn is_rtl_class(c: char) -> bool {
    matches!(
        bidi_class(c),
        BidiClass::R
            | BidiClass::AL
            | BidiClass::AN
            | BidiClass::RLE
            | BidiClass::RLO
            | BidiClass::RLI
    )
}

/// The mirror image of a bracket, as a right-to-left run draws it.
fn mirrored(c: char) -> char {
    match c {
        '(' => ')',
        ')' => '(',
        '[' => ']',
        ']' => '[',
        '{' => '}',
        '}' => '{',
        '<' => '>',
        '>' => '<',
        '«' => '»',
        '»' => '«',
        other => other,
    }
}

/// What a reader sees, left to right: the pieces with each right-to-left
/// word reversed. For tests and for text that cannot carry sections.
pub fn visual_order(text: &str) -> String {
    visual_pieces(text)
        .into_iter()
        .map(|p| {
            if p.rtl {
                p.text.chars().rev().collect()
            } else {
                p.text
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn sizes_have_at_most_three_significant_digits_in_decimal_units() {
        let table: &[(u64, &str)] = &[
            (0, "0 B"),
            (1, "1 B"),
            (999, "999 B"),
            (1_000, "1.0 kB"),
            (1_024, "1.0 kB"),
            (1_500, "1.5 kB"),
            (12_345, "12.3 kB"),
            (99_940, "99.9 kB"),
            (99_960, "100 kB"),
            (123_456, "123 kB"),
            (999_400, "999 kB"),
            (999_600, "1.0 MB"),
            (1_500_000, "1.5 MB"),
            (123_456_789, "123 MB"),
            (4_700_000_000, "4.7 GB"),
            (1_000_000_000_000, "1.0 TB"),
            (u64::MAX, "18.4 EB"),
        ];
        for &(bytes, want) in table {
            assert_eq!(human_size(bytes), want, "human_size({bytes})");
        }
    }

    #[test]
    fn exact_sizes_and_counts_have_thousands_separators_and_plurals() {
        let table: &[(u64, &str)] = &[
            (0, "0 bytes"),
            (1, "1 byte"),
            (2, "2 bytes"),
            (999, "999 bytes"),
            (1_000, "1,000 bytes"),
            (123_456, "123,456 bytes"),
            (1_234_567, "1,234,567 bytes"),
            (u64::MAX, "18,446,744,073,709,551,615 bytes"),
        ];
        for &(bytes, want) in table {
            assert_eq!(exact_bytes(bytes), want, "exact_bytes({bytes})");
        }
        assert_eq!(count(1, "file", "files"), "1 file");
        assert_eq!(count(100_000, "file", "files"), "100,000 files");
        assert_eq!(count(0, "folder", "folders"), "0 folders");
    }

    #[test]
    fn times_are_year_first_to_the_minute_with_seconds_on_hover() {
        let t = |y, mo, d, h, mi, s| {
            NaiveDate::from_ymd_opt(y, mo, d)
                .and_then(|d| d.and_hms_opt(h, mi, s))
                .expect("valid test date")
        };
        let table = [
            (
                t(2024, 3, 5, 12, 34, 56),
                "2024-03-05 12:34",
                "2024-03-05 12:34:56",
            ),
            (
                t(1999, 12, 31, 23, 59, 59),
                "1999-12-31 23:59",
                "1999-12-31 23:59:59",
            ),
            (
                t(2023, 1, 1, 0, 0, 0),
                "2023-01-01 00:00",
                "2023-01-01 00:00:00",
            ),
        ];
        for (time, short, long) in table {
            assert_eq!(modified(time), short);
            assert_eq!(modified_exact(time), long);
        }
    }

    #[test]
    fn right_to_left_names_read_in_the_order_a_reader_expects() {
        // What is drawn, left to right, in a left-to-right window.
        let table = [
            ("עברית.txt", "תירבע.txt"),
            ("report-עברית-2024.pdf", "report-2024-תירבע.pdf"),
            ("שלום עולם.txt", "םלוע םולש.txt"),
            ("(עברית).md", "(תירבע).md"),
            ("مرحبا.txt", "ابحرم.txt"),
            ("notes.txt", "notes.txt"),
            ("日本語のファイル.txt", "日本語のファイル.txt"),
        ];
        for (name, want) in table {
            assert_eq!(visual_order(name), want, "{name}");
        }
    }

    #[test]
    fn right_to_left_words_stay_whole_for_the_shaper() {
        let pieces = visual_pieces("שלום עולם.txt");
        let texts: Vec<(&str, bool)> = pieces.iter().map(|p| (p.text.as_str(), p.rtl)).collect();
        assert_eq!(
            texts,
            [
                ("עולם", true),
                (" ", false),
                ("שלום", true),
                (".txt", false)
            ]
        );
    }

    #[test]
    fn uncovered_characters_and_bidi_controls_are_escaped() {
        let latin_only = |c: char| c.is_ascii();
        let (shown, missing) = escape_uncovered("日本.txt", latin_only);
        assert_eq!(shown, "\\u{65E5}\\u{672C}.txt");
        assert_eq!(missing, ['日', '本']);
        // The classic disguise: an override that makes "exe.txt" read "txt.exe".
        let (shown, missing) = escape_uncovered("invoice\u{202E}txt.exe", |_| true);
        assert_eq!(shown, "invoice\\u{202E}txt.exe");
        assert_eq!(missing, ['\u{202E}']);
        let (shown, _) = escape_uncovered("a\nb", |_| true);
        assert_eq!(shown, "a\\u{A}b");
        // Joiners draw nothing and are never escaped; covered text is untouched.
        let (shown, missing) = escape_uncovered("👩\u{200D}💻 x", |_| true);
        assert_eq!(shown, "👩\u{200D}💻 x");
        assert!(missing.is_empty());
        assert!(missing_note("x", &[]).is_none());
        let note = missing_note("\\u{65E5}\\u{672C}.txt", &['日', '本']).unwrap_or_default();
        assert!(note.starts_with("\\u{65E5}\\u{672C}.txt\n"), "{note}");
        assert!(note.contains("U+65E5 U+672C"), "{note}");
    }
}
