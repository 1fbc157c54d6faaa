use super::table::stem_chars;
use super::*;
use chrono::NaiveDate;
use std::cmp::Ordering;

fn entry(name: &str, kind: Kind, size: Option<u64>) -> Entry {
    Entry {
        name: name.as_bytes().into(),
        display_name: name.into(),
        kind,
        size,
        modified: None,
        permissions: None,
        owner: None,
        link_target: None,
    }
}

fn file(name: &str, size: u64) -> Entry {
    entry(name, Kind::File, Some(size))
}

fn dir(name: &str) -> Entry {
    entry(name, Kind::Dir, Some(4096))
}

fn at(mut e: Entry, day: u32) -> Entry {
    e.modified = NaiveDate::from_ymd_opt(2024, 3, day).and_then(|d| d.and_hms_opt(12, 0, 0));
    e
}

fn remote(path: &str) -> AnyPath {
    AnyPath::Remote(path.as_bytes().to_vec())
}

fn names(entries: &[&Entry]) -> Vec<String> {
    entries.iter().map(|e| e.display_name.to_string()).collect()
}

fn order(entries: &[Entry], sort: SortColumn, ascending: bool) -> Vec<String> {
    sorted_order(entries, sort, ascending)
        .into_iter()
        .map(|i| entries[i as usize].display_name.to_string())
        .collect()
}

fn pane_with(entries: Vec<Entry>) -> PaneState {
    let mut pane = PaneState::new(Side::Remote);
    pane.set_listing(remote("/srv/data"), entries);
    pane
}

/// The entry row of a name (panics when it is not shown).
fn row(pane: &PaneState, name: &str) -> Row {
    let i = pane
        .entries
        .iter()
        .position(|e| *e.display_name == *name)
        .expect("entry exists") as u32;
    assert!(pane.index_of(Row::Entry(i)).is_some(), "{name} is shown");
    Row::Entry(i)
}

fn sample() -> Vec<Entry> {
    vec![
        file("b.txt", 200),
        dir("Zeta"),
        file("A.txt", 3_000),
        dir("alpha"),
        file("c10.log", 10),
        file("c9.log", 50),
        file(".hidden", 1),
        entry(
            "link-dir",
            Kind::Symlink {
                target_is_dir: true,
            },
            Some(7),
        ),
    ]
}

#[test]
fn natural_order_ignores_case_and_compares_numbers_by_value() {
    let table = [
        ("a", "B", Ordering::Less),
        ("B", "a", Ordering::Greater),
        ("file2", "file10", Ordering::Less),
        ("file10", "file9", Ordering::Greater),
        ("file007", "file7", Ordering::Equal),
        ("x", "x1", Ordering::Less),
        ("Äpfel", "äpfel", Ordering::Equal),
        ("ä", "b", Ordering::Greater),
        ("", "a", Ordering::Less),
        ("report 2023", "Report 2024", Ordering::Less),
    ];
    for (a, b, want) in table {
        assert_eq!(natural_cmp(a, b), want, "{a:?} vs {b:?}");
    }
}

#[test]
fn natural_keys_order_like_natural_cmp() {
    let names = [
        "a",
        "A",
        "b",
        "a1",
        "a01",
        "a10",
        "a9",
        "a!",
        "a:",
        "a/",
        "a0",
        "a00b",
        "ä",
        "Äb",
        "z",
        "file2.txt",
        "File10.txt",
        "x 1",
        "x1",
        "",
        "K",
        "\u{212A}",
        "ß",
        "1",
        "01",
        "10",
        "9z",
        "İx",
        "ix",
    ];
    for a in names {
        for b in names {
            let (mut ka, mut kb) = (Vec::new(), Vec::new());
            natural_key(a, &mut ka);
            natural_key(b, &mut kb);
            assert_eq!(ka.cmp(&kb), natural_cmp(a, b), "{a:?} vs {b:?}");
        }
    }
}

#[test]
fn the_fast_sort_agrees_with_the_reference_comparison() {
    let mut entries = sample();
    for (n, name) in ["x10", "X9", "x09", "Ärger", "arg", "10", "9", "x09"]
        .iter()
        .enumerate()
    {
        let mut e = at(file(name, (n as u64 * 7) % 3), 1 + (n as u32 * 5) % 4);
        e.permissions = ["rw-r--r--", "rwxr-xr-x", "r--------"]
            .get(n % 4)
            .map(|p| (*p).into());
        e.owner = ["bob", "alice", "Bob2", "bob10"]
            .get(n % 5)
            .map(|o| (*o).into());
        entries.push(e);
    }
    entries.push(dir("X10"));
    for sort in [
        SortColumn::Name,
        SortColumn::Size,
        SortColumn::Modified,
        SortColumn::Permissions,
        SortColumn::Owner,
    ] {
        for ascending in [true, false] {
            let mut reference: Vec<u32> = (0..entries.len() as u32).collect();
            reference.sort_by(|&a, &b| {
                compare_entries(&entries[a as usize], &entries[b as usize], sort, ascending)
                    .then(a.cmp(&b))
            });
            assert_eq!(
                sorted_order(&entries, sort, ascending),
                reference,
                "{sort:?} ascending={ascending}"
            );
        }
    }
}

#[test]
fn folders_come_first_then_names_in_natural_order() {
    assert_eq!(
        order(&sample(), SortColumn::Name, true),
        [
            "alpha", "link-dir", "Zeta", ".hidden", "A.txt", "b.txt", "c9.log", "c10.log"
        ]
    );
}

#[test]
fn reversing_keeps_folders_first() {
    assert_eq!(
        order(&sample(), SortColumn::Name, false),
        [
            "Zeta", "link-dir", "alpha", "c10.log", "c9.log", "b.txt", "A.txt", ".hidden"
        ]
    );
}

#[test]
fn size_sorts_files_by_bytes_and_folders_by_name() {
    assert_eq!(
        order(&sample(), SortColumn::Size, true),
        [
            "alpha", "link-dir", "Zeta", ".hidden", "c10.log", "c9.log", "b.txt", "A.txt"
        ]
    );
    assert_eq!(
        order(&sample(), SortColumn::Size, false)[3..],
        ["A.txt", "b.txt", "c9.log", "c10.log", ".hidden"]
    );
}

#[test]
fn time_sorts_oldest_first_and_unknown_times_before_all() {
    let entries = vec![
        at(file("new", 1), 20),
        file("undated", 1),
        at(file("old", 1), 2),
        at(dir("dir-new"), 9),
        at(dir("dir-old"), 1),
    ];
    assert_eq!(
        order(&entries, SortColumn::Modified, true),
        ["dir-old", "dir-new", "undated", "old", "new"]
    );
    assert_eq!(
        order(&entries, SortColumn::Modified, false),
        ["dir-new", "dir-old", "new", "old", "undated"]
    );
}

#[test]
fn hidden_files_are_left_out_unless_shown() {
    let mut pane = pane_with(sample());
    assert!(!names(&pane.visible()).contains(&".hidden".to_string()));
    assert_eq!(pane.status_line(), "4 files, 3 folders, 3.3 kB total");
    pane.show_hidden = true;
    // Visible right away, before the next frame recomputes the cache.
    assert!(names(&pane.visible()).contains(&".hidden".to_string()));
    assert_eq!(pane.status_line(), "5 files, 3 folders, 3.3 kB total");
}

#[test]
fn filter_matches_substrings_case_insensitively_and_says_how_many_show() {
    let mut pane = pane_with(sample());
    pane.filter = "TXT".into();
    pane.ensure_view();
    assert_eq!(names(&pane.visible()), ["A.txt", "b.txt"]);
    assert_eq!(
        pane.status_line(),
        "4 files, 3 folders, 3.3 kB total  ·  showing 2 of 7"
    );
    pane.filter = "ä".into();
    pane.ensure_view();
    assert!(pane.visible().is_empty());
    let mut pane = pane_with(vec![file("Ärger.txt", 1), file("other", 1)]);
    pane.filter = "äR".into();
    pane.ensure_view();
    assert_eq!(names(&pane.visible()), ["Ärger.txt"]);
}

#[test]
fn typing_and_erasing_a_filter_shows_what_a_fresh_filter_shows() {
    let listing = vec![
        file("Report.txt", 1),
        file("résumé report.pdf", 2),
        file(".report-hidden", 3),
        file("Übersicht.xlsx", 4),
        file("rePORTER", 5),
        dir("reports"),
        file("other", 6),
        file("REP", 7),
        file("r", 8),
    ];
    let fresh = |text: &str, hidden: bool| {
        let mut pane = pane_with(listing.clone());
        pane.show_hidden = hidden;
        pane.set_filter(text);
        (names(&pane.visible()), pane.status_line())
    };
    let mut pane = pane_with(listing.clone());
    let typed = [
        "r", "re", "rep", "repo", "report", "repor", "re", "", "ü", "üb", "Üb", "x", "é", "ré", "",
    ];
    for hidden in [false, true] {
        pane.show_hidden = hidden;
        for text in typed {
            pane.set_filter(text);
            assert_eq!(
                (names(&pane.visible()), pane.status_line()),
                fresh(text, hidden),
                "{text:?}, hidden shown: {hidden}"
            );
        }
    }
    pane.set_filter("report");
    assert_eq!(
        names(&pane.visible()),
        [
            "reports",
            ".report-hidden",
            "Report.txt",
            "rePORTER",
            "résumé report.pdf"
        ]
    );
}

#[test]
fn ascii_matching_finds_the_needle_anywhere_in_any_case() {
    let cases = [
        ("report", "report", true),
        ("Annual REPORT", "report", true),
        ("repor", "report", false),
        ("rreport", "report", true),
        ("xx-7z", "7z", true),
        ("", "a", false),
        ("abc", "", true),
        ("ABC", "c", true),
        ("ab", "abc", false),
    ];
    for (name, needle, expected) in cases {
        assert_eq!(
            Filter::new(needle).matches(name),
            expected,
            "{needle:?} in {name:?}"
        );
    }
}

#[test]
fn click_selects_one_ctrl_toggles_shift_selects_a_range() {
    let mut pane = pane_with(sample());
    // Display order: .., alpha, link-dir, Zeta, A.txt, b.txt, c9.log, c10.log
    pane.click(row(&pane, "A.txt"), false, false);
    assert_eq!(names(&pane.selected()), ["A.txt"]);
    pane.click(row(&pane, "c9.log"), true, false);
    assert_eq!(names(&pane.selected()), ["A.txt", "c9.log"]);
    pane.click(row(&pane, "A.txt"), true, false);
    assert_eq!(names(&pane.selected()), ["c9.log"]);
    // The anchor is the last plain or Ctrl click: A.txt.
    pane.click(row(&pane, "link-dir"), false, true);
    assert_eq!(names(&pane.selected()), ["link-dir", "Zeta", "A.txt"]);
    pane.click(row(&pane, "c10.log"), false, true);
    assert_eq!(
        names(&pane.selected()),
        ["A.txt", "b.txt", "c9.log", "c10.log"]
    );
    // Ctrl+Shift adds a range to what is selected.
    pane.click(row(&pane, "alpha"), false, false);
    pane.click(row(&pane, "c9.log"), true, false);
    pane.click(row(&pane, "c10.log"), true, true);
    assert_eq!(names(&pane.selected()), ["alpha", "c9.log", "c10.log"]);
    let (count, bytes) = pane.selection_summary();
    assert_eq!((count, bytes), (3, 60));
}

#[test]
fn selection_survives_resorting_and_filtering() {
    let mut pane = pane_with(sample());
    pane.click(row(&pane, "b.txt"), false, false);
    pane.click(row(&pane, "c9.log"), true, false);
    pane.set_sort(SortColumn::Size, false);
    pane.ensure_view();
    assert_eq!(names(&pane.selected()), ["b.txt", "c9.log"]);
    pane.filter = "log".into();
    pane.ensure_view();
    assert_eq!(names(&pane.selected()), ["c9.log"]);
    pane.filter.clear();
    pane.ensure_view();
    assert_eq!(names(&pane.selected()), ["b.txt", "c9.log"]);
}

#[test]
fn a_new_listing_of_the_same_folder_keeps_the_selection_by_name() {
    let mut pane = pane_with(sample());
    pane.click(row(&pane, "b.txt"), false, false);
    pane.click(row(&pane, "Zeta"), true, false);
    pane.filter = "t".into();
    let mut fresh = sample();
    fresh.reverse();
    fresh.push(file("new.txt", 5));
    fresh.retain(|e| &*e.display_name != "Zeta");
    pane.set_loading(remote("/srv/data"));
    pane.set_listing(remote("/srv/data"), fresh);
    assert_eq!(names(&pane.selected()), ["b.txt"]);
    assert_eq!(pane.filter, "t");
    assert_eq!(pane.cursor, None, "the cursor was on Zeta, which is gone");
}

#[test]
fn another_folder_clears_selection_cursor_and_filter() {
    let mut pane = pane_with(sample());
    pane.click(row(&pane, "b.txt"), false, false);
    pane.filter = "b".into();
    pane.set_loading(remote("/srv/other"));
    assert!(
        pane.selected().is_empty(),
        "the old rows are not acted on while another folder loads"
    );
    pane.set_listing(remote("/srv/other"), sample());
    assert!(pane.selected().is_empty());
    assert_eq!(pane.cursor, None);
    assert!(pane.filter.is_empty());
}

#[test]
fn selected_falls_back_to_the_cursor_and_never_returns_the_parent_row() {
    let mut pane = pane_with(sample());
    pane.click(row(&pane, "b.txt"), true, false);
    pane.click(row(&pane, "b.txt"), true, false);
    assert_eq!(pane.selection.count, 0);
    assert_eq!(names(&pane.selected()), ["b.txt"], "the cursor row");
    pane.click(Row::Parent, false, false);
    assert!(pane.selected().is_empty());
    assert!(pane.cursor_on_parent());
    pane.select_all();
    assert_eq!(pane.selected().len(), 7, "every shown entry, not ..");
    let mut top = PaneState::new(Side::Remote);
    top.set_listing(remote("/"), sample());
    assert_eq!(top.row_at(0), Some(Row::Entry(3)), "no .. at the top");
}

#[test]
fn arrows_move_the_cursor_and_shift_extends() {
    let mut pane = pane_with(sample());
    pane.move_cursor(Move::By(1), false);
    assert_eq!(pane.cursor, Some(Row::Parent));
    pane.move_cursor(Move::By(1), false);
    assert_eq!(names(&pane.selected()), ["alpha"]);
    pane.move_cursor(Move::By(2), true);
    assert_eq!(names(&pane.selected()), ["alpha", "link-dir", "Zeta"]);
    pane.move_cursor(Move::By(-1), true);
    assert_eq!(names(&pane.selected()), ["alpha", "link-dir"]);
    pane.move_cursor(Move::End, false);
    assert_eq!(names(&pane.selected()), ["c10.log"]);
    pane.move_cursor(Move::By(100), false);
    assert_eq!(names(&pane.selected()), ["c10.log"]);
    pane.move_cursor(Move::Home, true);
    assert_eq!(pane.selected().len(), 7);
    assert_eq!(pane.cursor, Some(Row::Parent));
}

#[test]
fn double_click_opens_folders_and_links_to_folders_and_transfers_files() {
    let mut pane = pane_with(sample());
    let mut actions = Vec::new();
    let none = egui::Modifiers::NONE;
    for name in ["alpha", "link-dir", "b.txt"] {
        let events = RowEvents {
            double: Some(row(&pane, name)),
            ..RowEvents::default()
        };
        pane.apply_row_events(none, events, &mut actions);
    }
    let events = RowEvents {
        double: Some(Row::Parent),
        ..RowEvents::default()
    };
    pane.apply_row_events(none, events, &mut actions);
    assert_eq!(
        actions,
        [
            PaneAction::Navigate(remote("/srv/data/alpha")),
            PaneAction::Navigate(remote("/srv/data/link-dir")),
            PaneAction::Run(Action::Transfer),
            PaneAction::Navigate(remote("/srv")),
        ]
    );
}

#[test]
fn rename_preselects_the_name_without_its_extension() {
    assert_eq!(stem_chars("report.final.pdf", false), 12);
    assert_eq!(stem_chars(".bashrc", false), 7);
    assert_eq!(stem_chars("photos.2024", true), 11);
    assert_eq!(stem_chars("Ärger.txt", false), 5);
    let mut pane = pane_with(sample());
    pane.click(row(&pane, "b.txt"), false, false);
    pane.start_rename();
    let rename = pane.rename.as_ref().expect("rename started");
    assert_eq!(rename.text, "b.txt");
}

#[test]
fn a_renamed_entry_is_selected_when_the_new_listing_has_it() {
    let mut pane = pane_with(sample());
    pane.reveal(b"renamed.txt");
    assert!(pane.selected().is_empty());
    let mut fresh = sample();
    fresh.push(file("renamed.txt", 9));
    pane.set_listing(remote("/srv/data"), fresh);
    assert_eq!(names(&pane.selected()), ["renamed.txt"]);
}

#[test]
fn loading_errors_and_stale_state_guard_the_selection() {
    let mut pane = pane_with(sample());
    pane.click(row(&pane, "b.txt"), false, false);
    pane.set_loading(remote("/srv/data"));
    assert_eq!(
        names(&pane.selected()),
        ["b.txt"],
        "a refresh keeps working"
    );
    pane.set_error(Some("550 No such folder".into()));
    assert!(pane.selected().is_empty());
    pane.set_error(None);
    assert_eq!(names(&pane.selected()), ["b.txt"]);
}

#[test]
fn bits_count_and_iterate() {
    let mut bits = Bits::new(130);
    for i in [0, 63, 64, 129, 64] {
        bits.set(i, true);
    }
    assert_eq!(bits.count, 4);
    assert_eq!(bits.iter().collect::<Vec<_>>(), [0, 63, 64, 129]);
    bits.toggle(63);
    bits.set(500, true);
    assert_eq!(bits.iter().collect::<Vec<_>>(), [0, 64, 129]);
    assert_eq!(bits.count, 3);
    bits.clear();
    assert_eq!(bits.iter().count(), 0);
}

#[test]
fn breadcrumbs_open_every_ancestor() {
    let crumbs = breadcrumbs(&remote("/srv/data/in"), &NameCharset::Auto);
    let labels: Vec<&str> = crumbs.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(labels, ["/", "srv", "data", "in"]);
    assert_eq!(crumbs[2].1, remote("/srv/data"));
    assert_eq!(breadcrumbs(&remote("/"), &NameCharset::Auto).len(), 1);
    let crumbs = breadcrumbs(
        &AnyPath::Local(PathBuf::from("/home/ann")),
        &NameCharset::Auto,
    );
    let labels: Vec<&str> = crumbs.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(labels, ["/", "home", "ann"]);
    assert_eq!(crumbs[1].1, AnyPath::Local(PathBuf::from("/home")));
}

#[test]
fn typed_paths_are_absolute_or_relative_to_the_current_folder() {
    let base = remote("/srv/data");
    let table = [
        ("/pub/", Some(remote("/pub"))),
        ("/", Some(remote("/"))),
        ("in/2024", Some(remote("/srv/data/in/2024"))),
        ("  ", None),
    ];
    for (text, want) in table {
        assert_eq!(
            parse_typed_path(text, Some(&base), Side::Remote, &NameCharset::Auto),
            want,
            "{text:?}"
        );
    }
    let local = AnyPath::Local(PathBuf::from("/tmp"));
    assert_eq!(
        parse_typed_path("x/y", Some(&local), Side::Local, &NameCharset::Auto),
        Some(AnyPath::Local(PathBuf::from("/tmp/x/y")))
    );
    assert_eq!(
        parse_typed_path("/etc", Some(&local), Side::Local, &NameCharset::Auto),
        Some(AnyPath::Local(PathBuf::from("/etc")))
    );
}

#[test]
fn name_filters_hide_entries_count_them_apart_and_switch_off_per_pane() {
    use crate::filters::{FilterRule, FilterSettings, Hides, PatternKind};
    let settings = FilterSettings {
        rules: vec![
            FilterRule {
                pattern: "*.log".into(),
                hides: Hides::Files,
                ..FilterRule::default()
            },
            FilterRule {
                pattern: "^z".into(),
                kind: PatternKind::Regex,
                hides: Hides::Folders,
                ..FilterRule::default()
            },
        ],
        exclude_from_transfers: false,
        unreadable: 0,
    };
    let mut pane = pane_with(sample());
    pane.set_name_filter(settings.for_side(Side::Remote));
    assert_eq!(
        names(&pane.visible()),
        ["alpha", "link-dir", "A.txt", "b.txt"]
    );
    // Hidden dot files are not counted as filtered; the totals leave the
    // filtered entries out.
    assert_eq!(pane.hidden_by_filters(), 3);
    assert_eq!(pane.status_line(), "2 files, 2 folders, 3.2 kB total");
    assert_eq!(
        pane.filter_marker().map(|(text, _)| text).as_deref(),
        Some("3 hidden by filters")
    );
    // The filter box narrows within what the filters leave.
    pane.set_filter("a");
    assert_eq!(names(&pane.visible()), ["alpha", "A.txt"]);
    pane.set_filter("");

    pane.set_filters_on(false);
    assert_eq!(pane.visible().len(), 7);
    assert_eq!(pane.hidden_by_filters(), 0);
    assert_eq!(
        pane.filter_marker().map(|(text, _)| text).as_deref(),
        Some("Filters off")
    );
    pane.set_filters_on(true);
    assert_eq!(pane.visible().len(), 4);

    // No rule in use: no marker at all.
    pane.set_name_filter(crate::filters::NameFilter::default());
    assert_eq!(pane.visible().len(), 7);
    assert_eq!(pane.filter_marker(), None);
}

/// `n` files named so that their listing order is not their name order.
fn shuffled_files(n: u32) -> Vec<Entry> {
    (0..n)
        .map(|i| {
            // A permutation of 0..n (multiplying by an odd number modulo a
            // power of two), so sizes and names are all distinct.
            let k = i.wrapping_mul(2_654_435_761) % n.next_power_of_two();
            file(&format!("f{k}.dat"), u64::from(n - i))
        })
        .collect()
}

/// The names shown, top to bottom.
fn shown(pane: &PaneState) -> Vec<String> {
    (0..pane.row_count())
        .filter_map(|r| match pane.row_at(r) {
            Some(Row::Entry(i)) => Some(pane.entries[i as usize].display_name.to_string()),
            _ => None,
        })
        .collect()
}

/// The sizes shown, top to bottom.
fn shown_sizes(pane: &PaneState) -> Vec<u64> {
    (0..pane.row_count())
        .filter_map(|r| match pane.row_at(r) {
            Some(Row::Entry(i)) => pane.entries[i as usize].size,
            _ => None,
        })
        .collect()
}

#[test]
fn a_listing_sent_in_name_order_is_only_checked_not_sorted_again() {
    let mut entries = shuffled_files(5_000);
    entries.push(dir("zz-folder"));
    crate::engine::listing_order::sort_listing(&mut entries, SortColumn::Name, true);
    let want: Vec<String> = entries.iter().map(|e| e.display_name.to_string()).collect();
    assert_eq!(want[0], "zz-folder", "folders first");
    let pane = pane_with(entries);
    assert_eq!(
        pane.sorts_run, 0,
        "the pane sorted a listing already in order"
    );
    assert_eq!(shown(&pane), want);

    // The same listing in another order is sorted by the pane.
    let pane = pane_with(shuffled_files(5_000));
    assert_eq!(pane.sorts_run, 1);
    let names = shown(&pane);
    assert!(names.windows(2).all(|w| natural_cmp(&w[0], &w[1]).is_lt()));
}

#[test]
fn changing_the_column_sorts_again_on_the_spot_for_a_small_listing() {
    let mut entries = shuffled_files(1_000);
    crate::engine::listing_order::sort_listing(&mut entries, SortColumn::Name, true);
    let mut pane = pane_with(entries);
    pane.set_sort(SortColumn::Size, true);
    pane.ensure_view();
    assert_eq!(pane.sorts_run, 1);
    assert!(!pane.is_sorting());
    assert_eq!(shown_sizes(&pane), (1..=1_000).collect::<Vec<u64>>());
    // Back to names: the listing itself is in that order, so only checked.
    pane.set_sort(SortColumn::Name, true);
    pane.ensure_view();
    assert_eq!(pane.sorts_run, 1);
    assert!(
        shown(&pane)
            .windows(2)
            .all(|w| natural_cmp(&w[0], &w[1]).is_lt())
    );
}

#[test]
fn changing_the_column_of_a_big_listing_sorts_on_a_thread_and_keeps_the_rows_meanwhile() {
    let n = 60_000;
    let mut entries = shuffled_files(n);
    crate::engine::listing_order::sort_listing(&mut entries, SortColumn::Name, true);
    let by_name: Vec<String> = entries.iter().map(|e| e.display_name.to_string()).collect();
    let mut pane = pane_with(entries);
    assert_eq!(pane.sorts_run, 0);
    pane.click(row(&pane, "f7.dat"), false, false);
    pane.set_sort(SortColumn::Size, false);
    pane.ensure_view();
    assert_eq!(pane.sorts_run, 1);
    assert!(
        pane.is_sorting(),
        "the frame did not leave the sort to a thread"
    );
    // Until the thread is done the rows stay in name order and the status
    // line says why; a frame never waits for it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        // Picks up the result when it is there.
        let status = pane.status_line();
        if !pane.is_sorting() {
            break;
        }
        assert!(status.contains("sorting…"), "{status}");
        assert_eq!(shown(&pane), by_name);
        assert!(std::time::Instant::now() < deadline, "the sort never ended");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert_eq!(
        shown_sizes(&pane),
        (1..=u64::from(n)).rev().collect::<Vec<u64>>()
    );
    assert!(!pane.status_line().contains("sorting"));
    assert_eq!(names(&pane.selected()), ["f7.dat"], "the selection stays");
    assert_eq!(pane.sorts_run, 1);

    // A column change while a sort runs: only the last one's result shows.
    pane.set_sort(SortColumn::Name, false);
    pane.ensure_view();
    pane.set_sort(SortColumn::Size, true);
    pane.ensure_view();
    while pane.is_sorting() {
        assert!(std::time::Instant::now() < deadline, "the sort never ended");
        std::thread::sleep(std::time::Duration::from_millis(5));
        pane.ensure_view();
    }
    assert_eq!(
        shown_sizes(&pane),
        (1..=u64::from(n)).collect::<Vec<u64>>(),
        "ascending by size, as the last click asked"
    );
}
