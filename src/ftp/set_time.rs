//! Keeping an uploaded file's modification time on the server. Servers
//! differ: MFMT (RFC draft, most servers), ProFTPD's `SITE UTIME` in its
//! 5-argument (`path atime mtime ctime UTC`) and 2-argument
//! (`time path`) forms (mod_site_misc), and vsftpd's two-argument
//! `MDTM time path`. They are tried in that order, as lftp does; the one
//! that works (checked once with MDTM where the server has it) is
//! remembered per server (user@host:port) for the rest of the run, and so
//! is a server where none does, so later uploads send nothing in vain. Where none works, the sync state remembers the time
//! the server gave instead (see `sync::state`).

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use chrono::NaiveDateTime;

use super::session::Session;

/// A way of setting a file's modification time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeCommand {
    /// `MFMT YYYYMMDDHHMMSS path`.
    Mfmt,
    /// `SITE UTIME path atime mtime ctime UTC`.
    SiteUtime5,
    /// `SITE UTIME YYYYMMDDHHMMSS path`.
    SiteUtime2,
    /// `MDTM YYYYMMDDHHMMSS path` (vsftpd's `mdtm_write`).
    MdtmWrite,
}

impl TimeCommand {
    /// In the order they are tried.
    pub const ALL: [TimeCommand; 4] = [
        TimeCommand::Mfmt,
        TimeCommand::SiteUtime5,
        TimeCommand::SiteUtime2,
        TimeCommand::MdtmWrite,
    ];

    /// The verb and argument that set `path`'s time to `time` (UTC).
    pub fn command(self, path: &[u8], time: NaiveDateTime) -> (&'static str, Vec<u8>) {
        let t = time.format("%Y%m%d%H%M%S").to_string();
        let time_then_path = |prefix: &str| {
            let mut arg = format!("{prefix}{t} ").into_bytes();
            arg.extend_from_slice(path);
            arg
        };
        match self {
            TimeCommand::Mfmt => ("MFMT", time_then_path("")),
            TimeCommand::SiteUtime5 => {
                let mut arg = b"UTIME ".to_vec();
                arg.extend_from_slice(path);
                arg.extend_from_slice(format!(" {t} {t} {t} UTC").as_bytes());
                ("SITE", arg)
            }
            TimeCommand::SiteUtime2 => ("SITE", time_then_path("UTIME ")),
            TimeCommand::MdtmWrite => ("MDTM", time_then_path("")),
        }
    }
}

/// What is known of a server: the command that works, or that none does.
type Learnt = Option<TimeCommand>;

/// Per server (user@host:port), for this run.
static LEARNT: LazyLock<Mutex<HashMap<String, Learnt>>> = LazyLock::new(Default::default);

/// What was learnt about `server`, if anything yet.
pub fn learnt(server: &str) -> Option<Learnt> {
    LEARNT.lock().ok()?.get(server).copied()
}

fn learn(server: String, what: Learnt) {
    if let Ok(mut map) = LEARNT.lock() {
        map.insert(server, what);
    }
}

/// Set `path`'s modification time to `time` (UTC) with the first command
/// the server takes; returns it, or `None` when the server keeps its own
/// time. Refusals are not errors: keeping the time is a courtesy.
/// Ask for `path`'s time to be set to `time` together with its upload
/// (the next STOR), when the session pipelines and the server's command for
/// it is known from an earlier file. True when it will go out; read how it
/// went with [`kept_with_upload`] after the upload.
pub fn keep_time_with_upload(session: &mut Session, path: &[u8], time: NaiveDateTime) -> bool {
    let Some(Some(known)) = learnt(&session.options().user_at()) else {
        return false;
    };
    let (verb, arg) = known.command(path, time);
    session.after_transfer(verb, arg)
}

/// Whether the time asked for with [`keep_time_with_upload`] was answered
/// (set, or refused: keeping the time is a courtesy, and the command is
/// known to work on this server). False when it did not go out: then call
/// [`keep_time`].
pub fn kept_with_upload(session: &mut Session) -> bool {
    session.after_answer().is_some()
}

pub async fn keep_time(
    session: &mut Session,
    path: &[u8],
    time: NaiveDateTime,
) -> Option<TimeCommand> {
    let server = session.options().user_at();
    let candidates: Vec<TimeCommand> = match learnt(&server) {
        Some(Some(known)) => vec![known],
        Some(None) => return None,
        None => TimeCommand::ALL
            .into_iter()
            // MFMT only where FEAT offers it (an unknown command costs a
            // round trip and some servers log it as an attack).
            .filter(|c| *c != TimeCommand::Mfmt || session.features().mfmt())
            .collect(),
    };
    let first_time = candidates.len() > 1;
    for candidate in candidates {
        let (verb, arg) = candidate.command(path, time);
        let Ok(reply) = session.raw(verb, Some(&arg)).await else {
            // The connection failed: nothing to learn from it.
            return None;
        };
        if !reply.is_success() {
            continue;
        }
        // Learning: a server that ignored the time (some answer a
        // two-argument MDTM with the file's own time) must not be taken at
        // its word. Where MDTM can tell, the time must now be the one sent.
        if first_time
            && let Ok(now) = session.mdtm(path).await
            && now.and_utc().timestamp() != time.and_utc().timestamp()
        {
            continue;
        }
        learn(server, Some(candidate));
        return Some(candidate);
    }
    if first_time {
        learn(server, None);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn each_command_puts_the_time_and_the_path_where_its_server_wants_them() {
        let t = NaiveDate::from_ymd_opt(2026, 3, 4)
            .and_then(|d| d.and_hms_opt(5, 6, 7))
            .expect("valid time");
        let text = |c: TimeCommand| {
            let (verb, arg) = c.command(b"/a b/c.txt", t);
            format!("{verb} {}", String::from_utf8_lossy(&arg))
        };
        assert_eq!(text(TimeCommand::Mfmt), "MFMT 20260304050607 /a b/c.txt");
        assert_eq!(
            text(TimeCommand::SiteUtime5),
            "SITE UTIME /a b/c.txt 20260304050607 20260304050607 20260304050607 UTC"
        );
        assert_eq!(
            text(TimeCommand::SiteUtime2),
            "SITE UTIME 20260304050607 /a b/c.txt"
        );
        assert_eq!(
            text(TimeCommand::MdtmWrite),
            "MDTM 20260304050607 /a b/c.txt"
        );
    }
}
