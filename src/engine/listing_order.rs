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
    // Same order as `compare_entries`, faster: every name's natural-order
    // key is computed once into one buffer, and the sort moves 24-byte items
    // whose `primary` and `secondary` numbers decide most comparisons
    // without touching the entries or the keys.
    let mut keys = Vec::with_capacity(entries.len() * 24);
    let mut spans = Vec::with_capacity(entries.len());
    for e in entries {
        let start = keys.len();
        natural_key(&e.display_name, &mut keys);
        spans.push((start, keys.len()));
    }
    let name_key = |i: u32| {
        let (start, end) = spans[i as usize];
        &keys[start..end]
    };
    let mut owner_key = Vec::new();
    let mut items: Vec<SortItem> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let dir = e.opens_as_dir();
            let name = name_key(i as u32);
            let primary = match sort {
                SortColumn::Name => prefix(name),
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
            // By name, the next 8 bytes of the name; otherwise the first 8
            // (ties go by name): most ties end here, without the keys.
            let secondary = match sort {
                SortColumn::Name => prefix(name.get(8..).unwrap_or_default()),
                _ => prefix(name),
            };
            SortItem {
                primary,
                secondary,
                index: i as u32,
                dir,
            }
        })
        .collect();
    let by_name = sort == SortColumn::Name;
    items.sort_unstable_by(|x, y| {
        y.dir.cmp(&x.dir).then_with(|| {
            let (a, b) = (&entries[x.index as usize], &entries[y.index as usize]);
            let key = x.primary.cmp(&y.primary).then_with(|| match sort {
                SortColumn::Name => x
                    .secondary
                    .cmp(&y.secondary)
                    .then_with(|| name_key(x.index).cmp(name_key(y.index))),
                SortColumn::Size | SortColumn::Modified => Ordering::Equal,
                SortColumn::Permissions => a.permissions.cmp(&b.permissions),
                SortColumn::Owner => match (&a.owner, &b.owner) {
                    (Some(p), Some(q)) => natural_cmp(p, q),
                    (p, q) => p.is_some().cmp(&q.is_some()),
                },
            });
            let key = if ascending { key } else { key.reverse() };
            key.then_with(|| {
                if by_name {
                    Ordering::Equal
                } else {
                    x.secondary.cmp(&y.secondary)
                }
            })
            .then_with(|| name_key(x.index).cmp(name_key(y.index)))
            .then_with(|| a.name.cmp(&b.name))
            .then(x.index.cmp(&y.index))
        })
    });
    items.into_iter().map(|item| item.index).collect()
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
/// leading zeros, then those digits.
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
            out.push(digits.len().min(255) as u8);
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

/// Put `entries` in display order for `sort` (moves each entry once).
pub fn sort_listing(entries: &mut Vec<Entry>, sort: SortColumn, ascending: bool) {
    if is_in_order(entries, sort, ascending) {
        return;
    }
    let order = sorted_order(entries, sort, ascending);
    let mut slots: Vec<Option<Entry>> = std::mem::take(entries).into_iter().map(Some).collect();
    *entries = order
        .iter()
        .filter_map(|&i| slots.get_mut(i as usize).and_then(Option::take))
        .collect();
}

/// Whether `entries` already are in display order for `sort`: one
/// comparison per neighbouring pair, far cheaper than sorting.
pub fn is_in_order(entries: &[Entry], sort: SortColumn, ascending: bool) -> bool {
    entries.is_sorted_by(|a, b| compare_entries(a, b, sort, ascending) != Ordering::Greater)
}
