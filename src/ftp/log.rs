//! The protocol log: every line sent and received, for the user to read.
//! Separate from debug tracing; passwords are always masked before a line
//! reaches a sink.

use std::sync::Arc;
use std::time::SystemTime;

/// What a log line records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogKind {
    /// A command the client sent.
    Sent,
    /// A reply line the server sent.
    Received,
    /// Something the client did or noticed (connecting, opening a data connection).
    Status,
    /// A failure.
    Error,
    /// Something the user should read even when not watching the log (auto
    /// mode switched the data mode); the command line prints it without -v.
    Notice,
}

/// One line of the protocol log.
#[derive(Debug, Clone)]
pub struct LogLine {
    /// Which session wrote it (sessions count up from 1 per process).
    pub session: u64,
    pub kind: LogKind,
    pub time: SystemTime,
    pub text: String,
}

/// Where protocol log lines go (the UI's log panel, stderr, a test's buffer).
pub trait LogSink: Send + Sync {
    fn log(&self, line: LogLine);
}

impl<F: Fn(LogLine) + Send + Sync> LogSink for F {
    fn log(&self, line: LogLine) {
        self(line)
    }
}

/// A shared, cloneable log sink.
pub type SharedLog = Arc<dyn LogSink>;

/// A sink that drops everything.
pub fn null_log() -> SharedLog {
    Arc::new(|_line: LogLine| {})
}

/// A sink printing each line to stderr, for `ferry -v`.
pub fn stderr_log() -> SharedLog {
    Arc::new(|line: LogLine| eprintln!("{}", terminal_line(&line)))
}

/// The command line's sink: every line to stderr with `-v`, else only the
/// notices (as `ferry: …`).
pub fn cli_log(verbose: bool) -> SharedLog {
    if verbose {
        stderr_log()
    } else {
        Arc::new(|line: LogLine| {
            if line.kind == LogKind::Notice {
                eprintln!("ferry: {}", line.text);
            }
        })
    }
}

/// `12:34:56.789 [3] > RETR x`: a log line as the command line prints it.
pub fn terminal_line(line: &LogLine) -> String {
    let arrow = match line.kind {
        LogKind::Sent => ">",
        LogKind::Received => "<",
        LogKind::Status => "*",
        LogKind::Error => "!",
        LogKind::Notice => "*",
    };
    let time: chrono::DateTime<chrono::Local> = line.time.into();
    format!(
        "{} [{}] {arrow} {}",
        time.format("%H:%M:%S%.3f"),
        line.session,
        line.text
    )
}

/// A session's handle on the log sink.
#[derive(Clone)]
pub struct Logger {
    session: u64,
    sink: SharedLog,
}

impl Logger {
    pub fn new(session: u64, sink: SharedLog) -> Logger {
        Logger { session, sink }
    }

    pub fn session(&self) -> u64 {
        self.session
    }

    pub fn line(&self, kind: LogKind, text: impl Into<String>) {
        self.sink.log(LogLine {
            session: self.session,
            kind,
            time: SystemTime::now(),
            text: text.into(),
        });
    }

    /// Log a command line as sent, with any secret masked.
    pub fn sent(&self, line: &[u8]) {
        self.line(LogKind::Sent, mask_secret(line));
    }

    pub fn received(&self, line: &[u8]) {
        self.line(
            LogKind::Received,
            String::from_utf8_lossy(line).into_owned(),
        );
    }

    pub fn status(&self, text: impl Into<String>) {
        self.line(LogKind::Status, text);
    }

    pub fn error(&self, text: impl Into<String>) {
        self.line(LogKind::Error, text);
    }

    pub fn notice(&self, text: impl Into<String>) {
        self.line(LogKind::Notice, text);
    }
}

/// The text of a command line for the log: the argument of PASS and ACCT is
/// replaced by asterisks, whatever its case or length.
pub fn mask_secret(line: &[u8]) -> String {
    let text = String::from_utf8_lossy(line);
    let verb = text.split(' ').next().unwrap_or("");
    if verb.eq_ignore_ascii_case("PASS") || verb.eq_ignore_ascii_case("ACCT") {
        format!("{verb} ****")
    } else {
        text.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_and_account_are_masked_in_any_case() {
        assert_eq!(mask_secret(b"PASS hunter2"), "PASS ****");
        assert_eq!(mask_secret(b"pass hunter2"), "pass ****");
        assert_eq!(mask_secret(b"ACCT billing"), "ACCT ****");
        assert_eq!(mask_secret(b"PASS"), "PASS ****");
        assert_eq!(mask_secret(b"USER alice"), "USER alice");
        assert_eq!(mask_secret(b"PASSIVE"), "PASSIVE");
    }
}
