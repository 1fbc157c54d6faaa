//! Remote paths as the server's bytes: joining a name to a folder, the
//! parent folder, and whether a name is one plain path component. The
//! browsing connection, the queue and the transfers all use them.

/// A single path component: not empty, `.`, `..`, and without `/` or NUL.
pub(crate) fn is_plain_name(name: &[u8]) -> bool {
    !name.is_empty() && name != b"." && name != b".." && !name.iter().any(|&b| b == b'/' || b == 0)
}

/// `dir/name` for remote paths.
pub(crate) fn join(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut p = dir.to_vec();
    if !p.ends_with(b"/") {
        p.push(b'/');
    }
    p.extend_from_slice(name);
    p
}

/// The folder containing a remote path (`/` at the top).
pub(crate) fn parent(path: &[u8]) -> Vec<u8> {
    let trimmed = path.strip_suffix(b"/").unwrap_or(path);
    match trimmed.iter().rposition(|&b| b == b'/') {
        Some(0) | None => b"/".to_vec(),
        Some(i) => trimmed[..i].to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_path_helpers() {
        assert_eq!(join(b"/a", b"b"), b"/a/b");
        assert_eq!(join(b"/", b"b"), b"/b");
        assert_eq!(parent(b"/a/b"), b"/a");
        assert_eq!(parent(b"/a"), b"/");
        assert_eq!(parent(b"/a/b/"), b"/a");
        for bad in [&b""[..], b".", b"..", b"a/b", b"/abs", b"n\0ul"] {
            assert!(!is_plain_name(bad), "{bad:?}");
        }
        assert!(is_plain_name(b"ok name.txt"));
    }
}
