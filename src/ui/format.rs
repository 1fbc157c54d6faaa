//! STUB (being written): human-readable sizes and times.

/// `1.5 MB`-style size.
pub fn human_size(bytes: u64) -> String {
    format!("{bytes} B")
}
