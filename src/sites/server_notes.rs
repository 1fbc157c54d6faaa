//! What Ferry learnt about servers, kept between runs: `server_notes.toml`
//! beside the sites file, keyed by `host:port`. One fact so far: the server
//! answered pipelined commands out of order, so it gets one command at a
//! time from the start (lftp's `ftp:sync-mode`). Every saved site on that
//! server gets it, and so does a quick connection to it. Deleting the
//! server's entry (or the file) lets Ferry try pipelining there again.
//!
//! ```toml
//! [servers."ftp.example.com:21"]
//! one_command_at_a_time = true
//! ```

use std::fs;
use std::io;
use std::path::Path;

use super::error::{Result, SitesError};
use crate::safe_file;

/// The notes file's name inside the config folder.
pub const NOTES_FILE: &str = "server_notes.toml";

const WHAT: &str = "the server notes file";
const KEY: &str = "one_command_at_a_time";

/// The notes file as a table: empty when there is none. Content that is not
/// TOML is an error (it is never overwritten).
fn read_table(path: &Path) -> Result<toml::Table> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(toml::Table::new()),
        Err(source) => {
            return Err(SitesError::Read {
                what: WHAT,
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let unreadable = |reason: String| unreadable(path, reason);
    let text = std::str::from_utf8(&bytes).map_err(|e| unreadable(e.to_string()))?;
    toml::from_str(text).map_err(|e| unreadable(e.message().to_string()))
}

/// The error for a notes file whose content Ferry cannot read (it is never
/// overwritten).
fn unreadable(path: &Path, reason: String) -> SitesError {
    SitesError::Read {
        what: WHAT,
        path: path.to_path_buf(),
        source: io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{reason}; it is left as it is (move it aside to start a new one)"),
        ),
    }
}

/// The servers (`host:port`) noted as taking one command at a time. A file
/// that cannot be read notes nothing (and is left as it is).
pub fn one_at_a_time_servers(dir: &Path) -> Vec<String> {
    let table = match read_table(&dir.join(NOTES_FILE)) {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!("{e}");
            return Vec::new();
        }
    };
    let Some(toml::Value::Table(servers)) = table.get("servers") else {
        return Vec::new();
    };
    servers
        .iter()
        .filter(|(_, notes)| notes.get(KEY).and_then(toml::Value::as_bool) == Some(true))
        .map(|(host_port, _)| host_port.clone())
        .collect()
}

/// Note that the server at `host_port` takes one command at a time, keeping
/// everything else in the file; written atomically (the file on disk is the
/// old one or the new one). False when it was noted already. A file that
/// cannot be read is not overwritten: an error.
pub fn note_one_at_a_time(dir: &Path, host_port: &str) -> Result<bool> {
    let path = dir.join(NOTES_FILE);
    let mut table = read_table(&path)?;
    let servers = table
        .entry("servers")
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    let toml::Value::Table(servers) = servers else {
        return Err(unreadable(&path, "its `servers` is not a table".into()));
    };
    let notes = servers
        .entry(host_port)
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    let toml::Value::Table(notes) = notes else {
        return Err(unreadable(
            &path,
            format!("its entry for {host_port} is not a table"),
        ));
    };
    if notes.get(KEY).and_then(toml::Value::as_bool) == Some(true) {
        return Ok(false);
    }
    notes.insert(KEY.into(), toml::Value::Boolean(true));
    let text = toml::to_string(&table).map_err(|e| SitesError::Encode {
        what: WHAT,
        reason: e.to_string(),
    })?;
    let write = |source| SitesError::Write {
        what: WHAT,
        path: path.clone(),
        source,
    };
    fs::create_dir_all(dir).map_err(write)?;
    safe_file::write_atomic(&path, text.as_bytes()).map_err(write)?;
    Ok(true)
}

/// The key a server is noted under: `host:port`, the host in lower case
/// (host names are case-insensitive).
fn key(host_port: &str) -> String {
    host_port.to_ascii_lowercase()
}

/// Tell the protocol engine which servers take one command at a time (the
/// notes file), and keep each server it finds answering out of order from
/// now on in the notes file. For the command line and the window, at start.
/// Reads only the notes file, never the sites file.
pub fn install(dir: &Path) {
    for host_port in one_at_a_time_servers(dir) {
        crate::ftp::remember_one_at_a_time(&key(&host_port));
    }
    let dir = dir.to_path_buf();
    crate::ftp::on_out_of_order(move |options| {
        // Once per server ever (it is not new on the next run), so the
        // write's fsync on the session's task costs nothing worth a thread
        // that might not finish before the command line exits. One write
        // at a time: each reads, changes and replaces the whole file.
        static WRITES: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _one_at_a_time = WRITES.lock();
        let host_port = key(&options.addr_text());
        if let Err(e) = note_one_at_a_time(&dir, &host_port) {
            tracing::warn!("could not keep that {host_port} takes one command at a time: {e}");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_keep_the_rest_of_the_file_and_add_each_server_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(NOTES_FILE);
        fs::write(
            &path,
            "future = 7\n[servers.\"a:21\"]\nother = \"kept\"\n[servers.\"b:21\"]\none_command_at_a_time = false\n",
        )
        .unwrap();
        assert!(one_at_a_time_servers(dir.path()).is_empty());
        assert!(note_one_at_a_time(dir.path(), "a:21").unwrap());
        assert!(!note_one_at_a_time(dir.path(), "a:21").unwrap());
        assert!(note_one_at_a_time(dir.path(), "[::1]:2121").unwrap());
        let mut servers = one_at_a_time_servers(dir.path());
        servers.sort();
        assert_eq!(servers, ["[::1]:2121", "a:21"]);
        let table: toml::Table = toml::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(table["future"].as_integer(), Some(7));
        assert_eq!(table["servers"]["a:21"]["other"].as_str(), Some("kept"));
        assert_eq!(
            table["servers"]["b:21"][KEY].as_bool(),
            Some(false),
            "untouched"
        );
    }

    #[test]
    fn a_file_that_cannot_be_read_is_left_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(NOTES_FILE);
        fs::write(&path, "this is [not toml").unwrap();
        assert!(one_at_a_time_servers(dir.path()).is_empty());
        let err = note_one_at_a_time(dir.path(), "a:21").unwrap_err();
        assert!(err.to_string().contains("left as it is"), "{err}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "this is [not toml");
    }
}
