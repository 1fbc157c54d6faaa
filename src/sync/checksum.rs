//! Comparing by checksum where the server offers one: `HASH` (FEAT HASH,
//! draft-bryan-ftpext-hash) or the older `XSHA256` / `XSHA1` / `XMD5` /
//! `XCRC`. The strongest algorithm both sides can compute is used; the local
//! file is hashed the same way.

use std::io::Read;
use std::path::Path;

use crate::ftp::Session;
use crate::ftp::features::Features;

/// A hash algorithm a server may offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum HashAlgo {
    Crc32,
    Md5,
    Sha1,
    Sha256,
}

impl HashAlgo {
    /// The name `HASH` uses for it.
    pub fn hash_name(self) -> &'static str {
        match self {
            HashAlgo::Sha256 => "SHA-256",
            HashAlgo::Sha1 => "SHA-1",
            HashAlgo::Md5 => "MD5",
            HashAlgo::Crc32 => "CRC32",
        }
    }

    /// The legacy command for it (`XSHA256`, …).
    pub fn x_command(self) -> &'static str {
        match self {
            HashAlgo::Sha256 => "XSHA256",
            HashAlgo::Sha1 => "XSHA1",
            HashAlgo::Md5 => "XMD5",
            HashAlgo::Crc32 => "XCRC",
        }
    }

    /// Hex digits in a digest.
    fn hex_len(self) -> usize {
        match self {
            HashAlgo::Sha256 => 64,
            HashAlgo::Sha1 => 40,
            HashAlgo::Md5 => 32,
            HashAlgo::Crc32 => 8,
        }
    }

    const STRONGEST_FIRST: [HashAlgo; 4] = [
        HashAlgo::Sha256,
        HashAlgo::Sha1,
        HashAlgo::Md5,
        HashAlgo::Crc32,
    ];
}

/// How to ask this server for a checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashCommand {
    /// `HASH path` with the algorithm selected by `OPTS HASH`; `selected`
    /// says whether FEAT already marks it as the current one.
    Hash { algo: HashAlgo, selected: bool },
    /// `XSHA256 path` and its kin.
    Legacy(HashAlgo),
}

impl HashCommand {
    pub fn algo(self) -> HashAlgo {
        match self {
            HashCommand::Hash { algo, .. } | HashCommand::Legacy(algo) => algo,
        }
    }
}

/// The best checksum command FEAT announces, if any: `HASH` first (it names
/// its algorithms; a `*` marks the selected one), then the legacy commands.
pub fn choose(features: &Features) -> Option<HashCommand> {
    if let Some(params) = features.params("HASH") {
        let offered: Vec<(String, bool)> = params
            .split(';')
            .map(|p| {
                let p = p.trim();
                let selected = p.ends_with('*');
                (p.trim_end_matches('*').to_ascii_uppercase(), selected)
            })
            .collect();
        for algo in HashAlgo::STRONGEST_FIRST {
            if let Some((_, selected)) = offered.iter().find(|(n, _)| n == algo.hash_name()) {
                return Some(HashCommand::Hash {
                    algo,
                    selected: *selected,
                });
            }
        }
    }
    HashAlgo::STRONGEST_FIRST
        .into_iter()
        .find(|a| features.has(a.x_command()))
        .map(HashCommand::Legacy)
}

/// The digest in a checksum reply, lower-case: the first word of the
/// algorithm's length made of hex digits (`213 SHA-256 0-49 ab12… name`,
/// `250 ab12…`, `213 ab12…`).
pub fn parse_reply(text: &str, algo: HashAlgo) -> Option<String> {
    text.split_whitespace()
        .find(|w| w.len() == algo.hex_len() && w.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_ascii_lowercase)
}

/// Select the algorithm on a `HASH` server (`OPTS HASH`) once per session.
pub async fn prepare(session: &mut Session, command: HashCommand) -> crate::ftp::Result<()> {
    if let HashCommand::Hash {
        algo,
        selected: false,
    } = command
    {
        let arg = format!("HASH {}", algo.hash_name());
        session.raw("OPTS", Some(arg.as_bytes())).await?;
    }
    Ok(())
}

/// The server's checksum of `path`; `Ok(None)` when it refuses (a file it
/// cannot hash, a command it does not really have).
pub async fn remote(
    session: &mut Session,
    command: HashCommand,
    path: &[u8],
) -> crate::ftp::Result<Option<String>> {
    let verb = match command {
        HashCommand::Hash { .. } => "HASH",
        HashCommand::Legacy(algo) => algo.x_command(),
    };
    let reply = session.raw(verb, Some(path)).await?;
    if !reply.is_success() {
        return Ok(None);
    }
    // proftpd sends `213-Computing SHA-256 digest` first: the digest is on the last line.
    Ok(reply.lines.iter().rev().find_map(|line| {
        let text = String::from_utf8_lossy(line.get(4..).unwrap_or_default());
        parse_reply(&text, command.algo())
    }))
}

/// The checksum of a local file, lower-case hex (reads the whole file: run
/// it off any thread that must stay responsive).
pub fn local(path: &Path, algo: HashAlgo) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut buf = vec![0u8; 256 * 1024];
    let mut state = Hasher::new(algo);
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        state.update(&buf[..n]);
    }
    Ok(state.finish())
}

enum Hasher {
    Ring(ring::digest::Context),
    Md5(md5::Md5),
    Crc(crc32fast::Hasher),
}

impl Hasher {
    fn new(algo: HashAlgo) -> Hasher {
        use md5::Digest;
        match algo {
            HashAlgo::Sha256 => Hasher::Ring(ring::digest::Context::new(&ring::digest::SHA256)),
            HashAlgo::Sha1 => Hasher::Ring(ring::digest::Context::new(
                &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
            )),
            HashAlgo::Md5 => Hasher::Md5(md5::Md5::new()),
            HashAlgo::Crc32 => Hasher::Crc(crc32fast::Hasher::new()),
        }
    }

    fn update(&mut self, data: &[u8]) {
        use md5::Digest;
        match self {
            Hasher::Ring(c) => c.update(data),
            Hasher::Md5(h) => h.update(data),
            Hasher::Crc(h) => h.update(data),
        }
    }

    fn finish(self) -> String {
        use md5::Digest;
        match self {
            Hasher::Ring(c) => hex(c.finish().as_ref()),
            Hasher::Md5(h) => hex(h.finalize().as_slice()),
            Hasher::Crc(h) => format!("{:08x}", h.finalize()),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ftp::reply::Reply;

    fn feat(lines: &[&str]) -> Features {
        let mut all = vec![b"211-Features:".to_vec()];
        all.extend(lines.iter().map(|l| format!(" {l}").into_bytes()));
        all.push(b"211 End".to_vec());
        Features::parse(&Reply {
            code: 211,
            lines: all,
        })
    }

    #[test]
    fn hash_is_preferred_with_its_strongest_algorithm() {
        let f = feat(&["HASH SHA-1*;SHA-256;MD5", "XMD5", "XSHA1"]);
        assert_eq!(
            choose(&f),
            Some(HashCommand::Hash {
                algo: HashAlgo::Sha256,
                selected: false
            })
        );
        let f = feat(&["HASH MD5*;CRC32"]);
        assert_eq!(
            choose(&f),
            Some(HashCommand::Hash {
                algo: HashAlgo::Md5,
                selected: true
            })
        );
    }

    #[test]
    fn legacy_commands_are_used_without_hash_and_nothing_without_either() {
        let f = feat(&["XCRC", "XMD5", "XSHA1", "MDTM"]);
        assert_eq!(choose(&f), Some(HashCommand::Legacy(HashAlgo::Sha1)));
        assert_eq!(choose(&feat(&["MDTM", "SIZE", "SITE MD5"])), None);
    }

    #[test]
    fn digests_are_read_from_every_reply_shape() {
        let sha = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08";
        let lower = sha.to_ascii_lowercase();
        for text in [
            format!("SHA-256 0-3 {sha} test.txt"),
            sha.to_string(),
            format!("{sha}  /home/test.txt"),
        ] {
            assert_eq!(parse_reply(&text, HashAlgo::Sha256), Some(lower.clone()));
        }
        assert_eq!(parse_reply("File not found", HashAlgo::Md5), None);
        assert_eq!(parse_reply("ab12", HashAlgo::Md5), None);
    }

    #[test]
    fn local_digests_match_the_known_values() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("test.txt");
        std::fs::write(&path, b"test").expect("write");
        let cases = [
            (
                HashAlgo::Sha256,
                "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            ),
            (HashAlgo::Sha1, "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"),
            (HashAlgo::Md5, "098f6bcd4621d373cade4e832627b4f6"),
            (HashAlgo::Crc32, "d87f7e0c"),
        ];
        for (algo, want) in cases {
            assert_eq!(local(&path, algo).expect("hash"), want, "{algo:?}");
        }
    }
}
