//! The order a listing shows in: folders first, then by a column, ties by
//! name in natural order. The engine puts each listing in name order before
//! it sends it (on a blocking thread, not the window's), and the pane sorts
//! again only when its column differs; both use this one definition.

use std::cmp::Ordering;

use super::protocol::Entry;

/// The column a pane is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum SortColumn {
    #[default]
    Name,
    Size,
    Modified,
    Permissions,
    Owner,
}

/// Entry indices in display order: folders (and links to folders) first,
/// then by `sort`, ties by name.
pub fn sorted_order(entries: &[Entry], sort: SortColumn, ascending: bool) -> Vec<u32> {
    if sort == SortColumn::Name {
        return name_order(entries, ascending);
    }
    // Same order as `compare_entries`, faster: every name's natural-order
    // key is computed once into one buffer, and the sort moves 24-byte items
    // whose `primary` and `secondary` numbers decide most comparisons
    // without touching the entries or the keys.
    let keys = NameKeys::new(entries);
    let name_key = |i: u32| keys.get(i, 0);
    let mut owner_key = Vec::new();
    let mut items: Vec<SortItem> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let dir = e.opens_as_dir();
            let primary = match sort {
                // Sorted by `name_order` above.
                SortColumn::Name => 0,
                SortColumn::Size if dir => 0,
                SortColumn::Size => e.size.map_or(0, |s| s.saturating_add(1)),
                SortColumn::Modified => e.modified.map_or(0, |t| {
                    // Order-preserving i64 → u64, with 0 left for "no time".
                    ((t.and_utc().timestamp() ^ i64::MIN) as u64).max(1)
                }),
                SortColumn::Permissions => e
                    .permissions
                    .as_deref()
                    .map_or(0, |p| prefix(p.as_bytes()).max(1)),
                SortColumn::Owner => e.owner.as_deref().map_or(0, |o| {
                    owner_key.clear();
                    natural_key(o, &mut owner_key);
                    prefix(&owner_key).max(1)
                }),
            };
            // The name's first 8 bytes (ties go by name): most ties end
            // here, without the keys.
            let secondary = prefix(name_key(i as u32));
            SortItem {
                primary,
                secondary,
                index: i as u32,
                dir,
            }
        })
        .collect();
    items.sort_unstable_by(|x, y| {
        y.dir.cmp(&x.dir).then_with(|| {
            let (a, b) = (&entries[x.index as usize], &entries[y.index as usize]);
            let key = x.primary.cmp(&y.primary).then_with(|| match sort {
                SortColumn::Name | SortColumn::Size | SortColumn::Modified => Ordering::Equal,
                SortColumn::Permissions => a.permissions.cmp(&b.permissions),
                SortColumn::Owner => match (&a.owner, &b.owner) {
                    (Some(p), Some(q)) => natural_cmp(p, q),
                    (p, q) => p.is_some().cmp(&q.is_some()),
                },
            });
            let key = if ascending { key } else { key.reverse() };
            key.then_with(|| x.secondary.cmp(&y.secondary))
                .then_with(|| name_key(x.index).cmp(name_key(y.index)))
                .then_with(|| a.name.cmp(&b.name))
                .then(x.index.cmp(&y.index))
        })
    });
    items.into_iter().map(|item| item.index).collect()
}

/// Every name's natural-order key (see [`natural_key`]), in one buffer.
struct NameKeys {
    bytes: Vec<u8>,
    /// Entry `i`'s key is `bytes[starts[i]..starts[i + 1]]`.
    starts: Vec<usize>,
}

impl NameKeys {
    fn new(entries: &[Entry]) -> NameKeys {
        let mut bytes = Vec::with_capacity(entries.len() * 24);
        let mut starts = Vec::with_capacity(entries.len() + 1);
        starts.push(0);
        for e in entries {
            natural_key(&e.display_name, &mut bytes);
            starts.push(bytes.len());
        }
        NameKeys { bytes, starts }
    }

    /// Entry `i`'s key from byte `from` on (empty past its end).
    fn get(&self, i: u32, from: usize) -> &[u8] {
        let (start, end) = (self.starts[i as usize], self.starts[i as usize + 1]);
        self.bytes.get(start + from..end).unwrap_or_default()
    }
}

/// One entry while sorting by name: 16 bytes of its key at a time.
struct NameItem {
    /// False for folders, which come first either way.
    not_dir: bool,
    /// Key bytes `offset..offset + 8` and `offset + 8..offset + 16` of the
    /// level being sorted, big-endian and zero-padded (inverted for a
    /// descending sort), so integer order is the bytes' order.
    high: u64,
    low: u64,
    index: u32,
}

/// Runs of equal 16-byte chunks this short are finished with the full comparison.
const SHORT_RUN: usize = 8;

/// [`sorted_order`] by name: the same order as [`compare_entries`], ties by
/// index. The items are sorted on 16 bytes of their natural-order keys,
/// compared as two integers; only runs that tie there are sorted again, on
/// their next 16 bytes (a string sort by chunks), so the keys are read about
/// once per 16 bytes that matter instead of once per comparison. Short runs,
/// and runs whose keys have all ended (they differ at most in trailing zero
/// bytes), take the full comparison: key, then the raw name, then index.
fn name_order(entries: &[Entry], ascending: bool) -> Vec<u32> {
    let keys = NameKeys::new(entries);
    let flip = if ascending { 0 } else { u64::MAX };
    let chunk = |index: u32, offset: usize| {
        let key = keys.get(index, offset);
        (
            prefix(key) ^ flip,
            prefix(key.get(8..).unwrap_or_default()) ^ flip,
        )
    };
    let mut items: Vec<NameItem> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let (high, low) = chunk(i as u32, 0);
            NameItem {
                not_dir: !e.opens_as_dir(),
                high,
                low,
                index: i as u32,
            }
        })
        .collect();
    items.sort_unstable_by_key(|x| (x.not_dir, x.high, x.low));
    let full = |x: &NameItem, y: &NameItem| {
        let (a, b) = (keys.get(x.index, 0), keys.get(y.index, 0));
        let key = if ascending { a.cmp(b) } else { b.cmp(a) };
        key.then_with(|| {
            entries[x.index as usize]
                .name
                .cmp(&entries[y.index as usize].name)
        })
        .then(x.index.cmp(&y.index))
    };
    let mut ties = Vec::new();
    push_ties(&items, 0, 16, &mut ties);
    while let Some((start, end, offset)) = ties.pop() {
        let run = &mut items[start..end];
        let ended = run.iter().all(|x| keys.get(x.index, offset).is_empty());
        if run.len() <= SHORT_RUN || ended {
            run.sort_unstable_by(full);
            continue;
        }
        for x in run.iter_mut() {
            (x.high, x.low) = chunk(x.index, offset);
        }
        run.sort_unstable_by_key(|x| (x.high, x.low));
        push_ties(run, start, offset + 16, &mut ties);
    }
    items.into_iter().map(|item| item.index).collect()
}

/// Push `(start, end, offset)` for each run of two or more `items` with
/// equal chunks; `base` is where `items` starts in the whole list.
fn push_ties(
    items: &[NameItem],
    base: usize,
    offset: usize,
    ties: &mut Vec<(usize, usize, usize)>,
) {
    let same =
        |x: &NameItem, y: &NameItem| x.not_dir == y.not_dir && x.high == y.high && x.low == y.low;
    let mut start = 0;
    for end in 1..=items.len() {
        if end == items.len() || !same(&items[start], &items[end]) {
            if end - start > 1 {
                ties.push((base + start, base + end, offset));
            }
            start = end;
        }
    }
}

/// One entry while sorting.
pub(crate) struct SortItem {
    /// Decides the order when it differs; equal values fall back to the full comparison.
    primary: u64,
    /// The next deciding bytes (see `sorted_order`).
    secondary: u64,
    index: u32,
    dir: bool,
}

/// The first 8 bytes, big-endian, zero-padded: ordered like the bytes themselves.
pub(crate) fn prefix(bytes: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    let n = bytes.len().min(8);
    word[..n].copy_from_slice(&bytes[..n]);
    u64::from_be_bytes(word)
}

/// Append a byte string whose plain byte order is [`natural_cmp`]'s order:
/// ASCII lowercased, other characters lowercased (UTF-8 keeps code-point
/// order), and each run of digits as `0`, the number of its digits without
/// leading zeros (see [`push_length`]), then those digits.
pub(crate) fn natural_key(name: &str, out: &mut Vec<u8>) {
    let bytes = name.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let digits = trim_zeros(&bytes[start..i]);
            out.push(b'0');
            push_length(digits.len(), out);
            out.extend_from_slice(digits);
        } else if b.is_ascii() {
            out.push(b.to_ascii_lowercase());
            i += 1;
        } else {
            // `i` is on a character boundary: only whole characters are skipped.
            let Some(c) = name.get(i..).and_then(|s| s.chars().next()) else {
                break;
            };
            let lower = c.to_lowercase().next().unwrap_or(c);
            let mut buf = [0u8; 4];
            out.extend_from_slice(lower.encode_utf8(&mut buf).as_bytes());
            i += c.len_utf8();
        }
    }
}

/// A digit run's length, so that byte order is length order: one byte
/// below 255, else 255 and eight big-endian bytes (a run of 300 digits
/// still sorts after one of 299).
fn push_length(len: usize, out: &mut Vec<u8>) {
    match u8::try_from(len) {
        Ok(short) if short < u8::MAX => out.push(short),
        _ => {
            out.push(u8::MAX);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
}

/// The display order of two entries; see [`sorted_order`].
pub fn compare_entries(a: &Entry, b: &Entry, sort: SortColumn, ascending: bool) -> Ordering {
    let (a_dir, b_dir) = (a.opens_as_dir(), b.opens_as_dir());
    b_dir.cmp(&a_dir).then_with(|| {
        let key = match sort {
            SortColumn::Name => natural_cmp(&a.display_name, &b.display_name),
            // Folders show no size: among them, size sorts by name.
            SortColumn::Size if a_dir => Ordering::Equal,
            SortColumn::Size => a.size.cmp(&b.size),
            SortColumn::Modified => a.modified.cmp(&b.modified),
            SortColumn::Permissions => a.permissions.cmp(&b.permissions),
            SortColumn::Owner => match (&a.owner, &b.owner) {
                (Some(x), Some(y)) => natural_cmp(x, y),
                (x, y) => x.is_some().cmp(&y.is_some()),
            },
        };
        let key = if ascending { key } else { key.reverse() };
        key.then_with(|| natural_cmp(&a.display_name, &b.display_name))
            .then_with(|| a.name.cmp(&b.name))
    })
}

/// Case-insensitive comparison where runs of digits compare as numbers:
/// `file2` < `File10`.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < x.len() && j < y.len() {
        let (cx, cy) = (x[i], y[j]);
        if cx.is_ascii_digit() && cy.is_ascii_digit() {
            let (si, sj) = (i, j);
            while i < x.len() && x[i].is_ascii_digit() {
                i += 1;
            }
            while j < y.len() && y[j].is_ascii_digit() {
                j += 1;
            }
            let (nx, ny) = (trim_zeros(&x[si..i]), trim_zeros(&y[sj..j]));
            let order = nx.len().cmp(&ny.len()).then_with(|| nx.cmp(ny));
            if order != Ordering::Equal {
                return order;
            }
            continue;
        }
        if cx.is_ascii() && cy.is_ascii() {
            let order = cx.to_ascii_lowercase().cmp(&cy.to_ascii_lowercase());
            if order != Ordering::Equal {
                return order;
            }
            i += 1;
            j += 1;
            continue;
        }
        // Outside ASCII: whole characters, lowercased. `i` and `j` are
        // always on character boundaries (only whole characters are skipped).
        let (Some(ca), Some(cb)) = (
            a.get(i..).and_then(|s| s.chars().next()),
            b.get(j..).and_then(|s| s.chars().next()),
        ) else {
            break;
        };
        let lower = |c: char| c.to_lowercase().next().unwrap_or(c);
        let order = lower(ca).cmp(&lower(cb));
        if order != Ordering::Equal {
            return order;
        }
        i += ca.len_utf8();
        j += cb.len_utf8();
    }
    (i < x.len()).cmp(&(j < y.len()))
}

pub(crate) fn trim_zeros(digits: &[u8]) -> &[u8] {
    let first = digits
        .iter()
        .position(|&d| d != b'0')
        .unwrap_or(digits.len());
    &digits[first..]
}

/// Put `entries` in display order for `sort`, in place: each entry out of
/// place is swapped into its slot once, following the order's cycles (no
/// second copy of the listing, which at a million entries cost more than
/// the swaps).
pub fn sort_listing(entries: &mut [Entry], sort: SortColumn, ascending: bool) {
    if is_in_order(entries, sort, ascending) {
        return;
    }
    let order = sorted_order(entries, sort, ascending);
    permute(entries, order);
}

/// Rearrange `items` so that slot `p` holds what was at `order[p]`;
/// `order` must be a permutation of the indices (as [`sorted_order`] gives).
fn permute<T>(items: &mut [T], mut order: Vec<u32>) {
    debug_assert_eq!(items.len(), order.len());
    for start in 0..order.len() {
        // Each cycle is walked from its first slot; a finished slot points at itself.
        let mut at = start;
        loop {
            let from = order[at] as usize;
            order[at] = at as u32;
            if from == start || from == at {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

/// Whether `entries` already are in display order for `sort`: one
/// comparison per neighbouring pair, far cheaper than sorting.
pub fn is_in_order(entries: &[Entry], sort: SortColumn, ascending: bool) -> bool {
    entries.is_sorted_by(|a, b| compare_entries(a, b, sort, ascending) != Ordering::Greater)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::protocol::Kind;
    use proptest::prelude::*;

    const COLUMNS: [SortColumn; 5] = [
        SortColumn::Name,
        SortColumn::Size,
        SortColumn::Modified,
        SortColumn::Permissions,
        SortColumn::Owner,
    ];

    /// Pieces names are made of: case pairs, letters whose lowercase is
    /// ASCII or several characters, digit runs with leading zeros and
    /// longer than 16 bytes, a NUL, and a long shared prefix, so that many
    /// names tie on their first 16 key bytes (or entirely).
    const PIECES: &[&str] = &[
        "a",
        "A",
        "b",
        "z",
        "é",
        "É",
        "ß",
        "ẞ",
        "\u{212A}",
        "k",
        "İ",
        "i",
        "日",
        "Ω",
        "ω",
        " ",
        ".",
        "_",
        "\0",
        "0",
        "00",
        "1",
        "01",
        "9",
        "10",
        "007",
        "123456789012345678901234567890",
        "presentation summary ",
        "Presentation Summary ",
    ];

    fn any_name() -> impl Strategy<Value = String> {
        proptest::collection::vec(proptest::sample::select(PIECES), 0..6).prop_map(|p| p.concat())
    }

    fn any_entry() -> impl Strategy<Value = Entry> {
        (
            any_name(),
            prop_oneof![Just(None), any::<u8>().prop_map(Some)],
            0..5u8,
            prop_oneof![Just(None), (0..4u64).prop_map(Some)],
            prop_oneof![Just(None), (1..4u32).prop_map(Some)],
            prop_oneof![Just(None), Just(Some("rw-r--r--")), Just(Some("rwx------"))],
            prop_oneof![Just(None), any_name().prop_map(Some)],
        )
            .prop_map(|(display, extra, kind, size, day, permissions, owner)| {
                // The raw name differs from the shown one now and then (a
                // name in another charset), so ties on the shown name occur.
                let mut name = display.as_bytes().to_vec();
                name.extend(extra);
                Entry {
                    name: name.into(),
                    display_name: display.into(),
                    kind: match kind {
                        0 => Kind::File,
                        1 => Kind::Dir,
                        2 => Kind::Symlink {
                            target_is_dir: true,
                        },
                        3 => Kind::Symlink {
                            target_is_dir: false,
                        },
                        _ => Kind::Unknown,
                    },
                    size,
                    modified: day.and_then(|d| {
                        chrono::NaiveDate::from_ymd_opt(2024, 3, d)
                            .and_then(|d| d.and_hms_opt(12, 0, 0))
                    }),
                    permissions: permissions.map(Into::into),
                    owner: owner.map(Into::into),
                    link_target: None,
                }
            })
    }

    /// The order by the one definition, [`compare_entries`], ties by index.
    fn reference(entries: &[Entry], sort: SortColumn, ascending: bool) -> Vec<u32> {
        let mut order: Vec<u32> = (0..entries.len() as u32).collect();
        order.sort_by(|&a, &b| {
            compare_entries(&entries[a as usize], &entries[b as usize], sort, ascending)
                .then(a.cmp(&b))
        });
        order
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        /// The fast sorts give exactly the order of `compare_entries`, for
        /// every column both ways, and `sort_listing` moves the entries into it.
        #[test]
        fn the_fast_order_is_the_reference_order(
            entries in proptest::collection::vec(any_entry(), 0..80),
        ) {
            for sort in COLUMNS {
                for ascending in [true, false] {
                    let want = reference(&entries, sort, ascending);
                    prop_assert_eq!(
                        &sorted_order(&entries, sort, ascending),
                        &want,
                        "{:?} ascending={}", sort, ascending
                    );
                    let mut sorted = entries.clone();
                    sort_listing(&mut sorted, sort, ascending);
                    let expected: Vec<&Entry> = want.iter().map(|&i| &entries[i as usize]).collect();
                    prop_assert_eq!(sorted.iter().collect::<Vec<_>>(), expected);
                }
            }
        }

        /// Byte order of the keys is `natural_cmp`'s order.
        #[test]
        fn natural_keys_order_like_natural_cmp(a in any_name(), b in any_name()) {
            let (mut ka, mut kb) = (Vec::new(), Vec::new());
            natural_key(&a, &mut ka);
            natural_key(&b, &mut kb);
            prop_assert_eq!(ka.cmp(&kb), natural_cmp(&a, &b));
        }
    }

    #[test]
    fn many_names_sharing_long_prefixes_sort_like_the_reference() {
        // Runs of hundreds of names that tie on 16, 32 and 48 key bytes.
        let entries: Vec<Entry> = (0..3000u32)
            .map(|n| {
                let display = format!(
                    "{}presentation summary final {} v{}",
                    ["", "Übersicht ", "IMG_20240101_"][n as usize % 3],
                    n % 700,
                    n % 7
                );
                Entry {
                    name: display.as_bytes().into(),
                    display_name: display.into(),
                    kind: if n % 13 == 0 { Kind::Dir } else { Kind::File },
                    size: Some(u64::from(n % 5)),
                    modified: None,
                    permissions: None,
                    owner: None,
                    link_target: None,
                }
            })
            .collect();
        for ascending in [true, false] {
            assert_eq!(
                sorted_order(&entries, SortColumn::Name, ascending),
                reference(&entries, SortColumn::Name, ascending)
            );
        }
    }

    #[test]
    fn digit_runs_longer_than_255_digits_still_compare_as_numbers() {
        let long = "1".repeat(300);
        let shorter = "9".repeat(299);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        natural_key(&long, &mut a);
        natural_key(&shorter, &mut b);
        assert_eq!(natural_cmp(&long, &shorter), Ordering::Greater);
        assert_eq!(a.cmp(&b), Ordering::Greater);
    }

    #[test]
    fn permute_follows_every_cycle() {
        let mut items: Vec<char> = "abcdefg".chars().collect();
        // Slot p takes what was at order[p]: cycles (0 3 5), (1 2), fixed 4 and 6.
        permute(&mut items, vec![3, 2, 1, 5, 4, 0, 6]);
        assert_eq!(items.iter().collect::<String>(), "dcbfeag");
    }
}
