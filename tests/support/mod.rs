//! Shared support code for Ferry's integration tests: an in-process FTP(S) server
//! ([`server::TestServer`]), a scripted fake server ([`fake::FakeServer`]), a private proftpd
//! with mod_deflate ([`proftpd::Proftpd`]), and small helpers.
//!
//! Use it from a test binary with `mod support;`.
#![allow(dead_code)] // Each test binary uses a different subset.

pub mod cli;
pub mod fake;
pub mod latency;
pub mod proftpd;
pub mod queue;
pub mod rfc959;
pub mod server;
pub mod vsftpd;
pub mod window;

use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};

/// Lowercase hex SHA-256 of `bytes`, without separators.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `len` pseudo-random bytes, the same for the same `seed` (xorshift64*; not cryptographic).
pub fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    // Seed through one splitmix64 step so that nearby seeds give unrelated streams; xorshift
    // needs a non-zero state.
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    let mut state = (z ^ (z >> 31)).max(1);
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        out.extend_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// True for the symptom of a race inside libunftp 0.24 (not in Ferry): after
/// replying 234 to `AUTH TLS`, it switches the control connection to TLS
/// through a spawned task, and its control loop can read the client's TLS
/// ClientHello as an FTP command first (`controlchan/commands/auth.rs`,
/// `control_loop.rs`). Real servers switch before reading on. TLS tests retry
/// only on exactly this symptom, so every other failure still fails them.
pub fn is_libunftp_auth_tls_race(message: &str) -> bool {
    // Ferry says in words what rustls calls InvalidContentType.
    message.contains("InvalidContentType")
        || message.contains("corrupt message")
        || message.contains("the server did not answer in TLS")
}

/// Run `attempt` up to three times while it fails with the libunftp AUTH TLS race.
pub async fn retry_libunftp_tls_race<T, E: std::fmt::Display, F, Fut>(
    mut attempt: F,
) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let mut tries = 0;
    loop {
        match attempt().await {
            Err(e) if tries < 2 && is_libunftp_auth_tls_race(&e.to_string()) => tries += 1,
            other => return other,
        }
    }
}

/// Every file under `root`, by its path relative to `root` (with `/`), and its content.
pub fn files_under(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).expect("read a folder of the tree") {
            let e = e.expect("read a folder entry");
            if e.file_type().expect("an entry's type").is_dir() {
                stack.push(e.path());
            } else {
                let rel = e
                    .path()
                    .strip_prefix(root)
                    .expect("inside root")
                    .display()
                    .to_string();
                out.insert(
                    rel,
                    std::fs::read(e.path()).expect("read a file of the tree"),
                );
            }
        }
    }
    out
}
