//! The connection test: against the user's own server, run and time each
//! step a session depends on — TCP connect, greeting, login, FEAT, a listing
//! through each of EPSV, PASV, EPRT and PORT, and STAT over the control
//! connection — then say in plain words what works, what does not, and which
//! data mode to use. Every step has its deadline and the session is closed
//! at the end, so the test always finishes and leaves nothing open.

use std::time::{Duration, Instant};

use crate::ftp::log::SharedLog;
use crate::ftp::session::DataCommand;
use crate::ftp::{CertificateInfo, ConnectOptions, DataMode, FtpError, Security, Session};

/// The longest any one data-connection step may wait: the test is for
/// finding out, not for patience.
const DATA_DEADLINE: Duration = Duration::from_secs(10);
/// The longest a reply may take during the test.
const REPLY_DEADLINE: Duration = Duration::from_secs(15);

/// What a step is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    Connect,
    Greeting,
    Login,
    Features,
    List(DataCommand),
    Stat,
}

impl StepKind {
    /// The steps in the order they run.
    pub fn all() -> Vec<StepKind> {
        let mut v = vec![
            StepKind::Connect,
            StepKind::Greeting,
            StepKind::Login,
            StepKind::Features,
        ];
        v.extend(DataCommand::ALL.map(StepKind::List));
        v.push(StepKind::Stat);
        v
    }

    pub fn label(self) -> &'static str {
        match self {
            StepKind::Connect => "Connect to the control port",
            StepKind::Greeting => "Server greeting",
            StepKind::Login => "Log in",
            StepKind::Features => "Features (FEAT)",
            StepKind::List(DataCommand::Epsv) => "List through EPSV (passive)",
            StepKind::List(DataCommand::Pasv) => "List through PASV (passive)",
            StepKind::List(DataCommand::Eprt) => "List through EPRT (active)",
            StepKind::List(DataCommand::Port) => "List through PORT (active)",
            StepKind::Stat => "STAT on the control connection",
        }
    }
}

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// Nothing answered within the deadline.
    TimedOut,
    /// The server (or the network) said no.
    Refused,
    /// Some other failure (see the detail).
    Failed,
    /// Not run, because an earlier step failed.
    Skipped,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::TimedOut => "timed out",
            Outcome::Refused => "refused",
            Outcome::Failed => "failed",
            Outcome::Skipped => "skipped",
        }
    }
}

/// One row of the test's table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub kind: StepKind,
    pub outcome: Outcome,
    pub elapsed: Duration,
    pub detail: String,
}

/// The whole test: each step, the verdict in plain words, and the data mode
/// to use when one works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub steps: Vec<Step>,
    pub verdict: String,
    pub recommended: Option<DataMode>,
    /// The server's certificate, when the test stopped because it is not
    /// trusted: the window offers to trust it and run the test again.
    pub untrusted: Option<Untrusted>,
}

/// A certificate the test did not trust, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untrusted {
    pub certificate: Box<CertificateInfo>,
    /// In words: "the server's certificate is self-signed".
    pub reason: String,
}

impl Report {
    /// Logged in, and a listing worked in the recommended mode.
    pub fn works(&self) -> bool {
        self.recommended.is_some()
    }
}

/// Run the test against `opts` (listing `path`, or the login folder),
/// calling `on_step` as each step finishes.
pub async fn run(
    mut opts: ConnectOptions,
    path: Option<Vec<u8>>,
    log: SharedLog,
    mut on_step: impl FnMut(&Step),
) -> Report {
    opts.auto_fallback = false;
    opts.timeouts.connect = opts.timeouts.connect.min(REPLY_DEADLINE);
    opts.timeouts.reply = opts.timeouts.reply.min(REPLY_DEADLINE);
    opts.timeouts.data_connect = opts.timeouts.data_connect.min(DATA_DEADLINE);
    opts.timeouts.data_idle = opts.timeouts.data_idle.min(REPLY_DEADLINE);
    let mut steps: Vec<Step> = Vec::new();
    let mut record = |steps: &mut Vec<Step>, step: Step| {
        on_step(&step);
        steps.push(step);
    };
    let mut untrusted = None;
    let session = probe(&mut steps, &mut record, &opts, log, &mut untrusted).await;
    if let Some(mut s) = session {
        let path = match path {
            Some(p) => p,
            None => s.pwd().await.unwrap_or_else(|_| b"/".to_vec()),
        };
        let mut alive = true;
        for command in DataCommand::ALL {
            let kind = StepKind::List(command);
            if !alive {
                record(&mut steps, skipped(kind));
                continue;
            }
            if s.peer().is_ipv6()
                && let Some(why) = match command {
                    DataCommand::Port => Some("PORT cannot name an IPv6 address (EPRT can)"),
                    // Its reply holds an IPv4 address; some servers close the
                    // connection when asked over IPv6.
                    DataCommand::Pasv => Some("PASV cannot name an IPv6 address (EPSV can)"),
                    _ => None,
                }
            {
                let mut step = skipped(kind);
                step.detail = why.into();
                record(&mut steps, step);
                continue;
            }
            s.force_data_command(Some(command));
            let started = Instant::now();
            let result = s.list(Some(&path)).await;
            let elapsed = started.elapsed();
            let step = match &result {
                Ok(entries) => Step {
                    kind,
                    outcome: Outcome::Ok,
                    elapsed,
                    detail: match entries.len() {
                        1 => "1 entry".to_string(),
                        n => format!("{n} entries"),
                    },
                },
                Err(e) => failed(kind, e, elapsed),
            };
            record(&mut steps, step);
            if let Err(e) = result {
                alive = recover(&mut s, &e).await;
            }
        }
        s.force_data_command(None);
        let started = Instant::now();
        let step = if !alive {
            skipped(StepKind::Stat)
        } else {
            match s.stat(Some(&path)).await {
                // A 2xx (211-213 by RFC 959; some servers say 200) whose
                // lines read as a folder listing. A server's general status
                // (it ignored the path) does not count.
                Ok(r) => {
                    let entries = if r.is_success() { stat_entries(&r) } else { 0 };
                    let (outcome, detail) = if entries > 0 {
                        (
                            Outcome::Ok,
                            format!("{entries} entries, no data connection needed"),
                        )
                    } else {
                        (
                            Outcome::Refused,
                            format!(
                                "this server does not list folders over the control connection ({} {})",
                                r.code,
                                r.text().trim()
                            ),
                        )
                    };
                    Step {
                        kind: StepKind::Stat,
                        outcome,
                        elapsed: started.elapsed(),
                        detail,
                    }
                }
                Err(e) => failed(StepKind::Stat, &e, started.elapsed()),
            }
        };
        record(&mut steps, step);
        let _ = s.quit().await;
    } else {
        for kind in StepKind::all().into_iter().skip(steps.len()) {
            record(&mut steps, skipped(kind));
        }
    }
    let (mut verdict, recommended) = verdict(&steps, &opts);
    if let Some(u) = &untrusted {
        let mut reason = u.reason.clone();
        if let Some(first) = reason.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        verdict = format!(
            "{reason}, so Ferry does not trust it. Compare its fingerprint with the one the server's administrator gives you; if they match, choose Trust… to run the test with it trusted."
        );
    }
    Report {
        steps,
        verdict,
        recommended,
        untrusted,
    }
}

/// How many folder entries a STAT reply lists (its lines, less the first
/// and last status lines, read as a LIST listing).
fn stat_entries(reply: &crate::ftp::reply::Reply) -> usize {
    let mut text = Vec::new();
    for (i, line) in reply.lines.iter().enumerate() {
        // The first line carries the code; the last, when there are
        // several, closes the reply ("213 End of status").
        let body = if i == 0 {
            line.get(4..).unwrap_or_default()
        } else if i + 1 == reply.lines.len() && line.get(..3) == reply.lines[0].get(..3) {
            continue;
        } else {
            line.as_slice()
        };
        text.extend_from_slice(body.trim_ascii_start());
        text.extend_from_slice(b"\r\n");
    }
    crate::ftp::listing::parse_listing(
        &text,
        crate::ftp::ListingFormat::List,
        chrono::Local::now().naive_local(),
    )
    .iter()
    .filter(|e| e.kind != crate::ftp::EntryKind::Unknown)
    .count()
}

/// Connect, greet, log in and read the features, one timed step each.
/// Returns the logged-in session, or `None` after the failed step.
async fn probe(
    steps: &mut Vec<Step>,
    record: &mut impl FnMut(&mut Vec<Step>, Step),
    opts: &ConnectOptions,
    log: SharedLog,
    untrusted: &mut Option<Untrusted>,
) -> Option<Session> {
    let started = Instant::now();
    let mut s = match Session::open(opts.clone(), log).await {
        Ok(s) => {
            let tls = if opts.security == Security::Implicit {
                " with implicit TLS"
            } else {
                ""
            };
            record(
                steps,
                ok(
                    StepKind::Connect,
                    started,
                    format!("{}{tls}", opts.addr_text()),
                ),
            );
            s
        }
        Err(e) => {
            *untrusted = untrusted_by(&e);
            record(steps, failed(StepKind::Connect, &e, started.elapsed()));
            return None;
        }
    };
    let started = Instant::now();
    match s.greeting().await {
        Ok(text) => record(steps, ok(StepKind::Greeting, started, text)),
        Err(e) => {
            record(steps, failed(StepKind::Greeting, &e, started.elapsed()));
            return None;
        }
    }
    let started = Instant::now();
    match s.log_in().await {
        Ok(()) => {
            let how = match opts.security {
                Security::None => "without encryption",
                Security::Explicit => "over explicit TLS",
                Security::Implicit => "over implicit TLS",
                Security::ExplicitIfAvailable if s.is_encrypted() => "over explicit TLS",
                Security::ExplicitIfAvailable => "without encryption (the server offers no TLS)",
            };
            record(
                steps,
                ok(StepKind::Login, started, format!("as {} {how}", opts.user)),
            )
        }
        Err(e) => {
            *untrusted = untrusted_by(&e);
            record(steps, failed(StepKind::Login, &e, started.elapsed()));
            let _ = s.quit().await;
            return None;
        }
    }
    let started = Instant::now();
    let features = match s.raw("FEAT", None).await {
        Ok(r) if r.code == 211 => {
            let names: Vec<String> = crate::ftp::features::Features::parse(&r)
                .entries
                .into_iter()
                .map(|(name, params)| {
                    if params.is_empty() {
                        name
                    } else {
                        format!("{name} {params}")
                    }
                })
                .collect();
            ok(StepKind::Features, started, names.join(", "))
        }
        Ok(r) => ok(
            StepKind::Features,
            started,
            format!("none listed ({} {})", r.code, r.text()),
        ),
        Err(e) => failed(StepKind::Features, &e, started.elapsed()),
    };
    record(steps, features);
    Some(s)
}

/// After a failed listing: get back in step, or reconnect when the control
/// connection is gone. False when the session cannot go on.
async fn recover(s: &mut Session, e: &FtpError) -> bool {
    if e.is_fatal_to_session() || !s.is_connected() {
        return s.reconnect().await.is_ok();
    }
    s.get_in_step().await.is_ok()
}

fn ok(kind: StepKind, started: Instant, detail: String) -> Step {
    Step {
        kind,
        outcome: Outcome::Ok,
        elapsed: started.elapsed(),
        detail,
    }
}

/// The certificate an error refused, if that is what it is about.
fn untrusted_by(e: &FtpError) -> Option<Untrusted> {
    match e {
        FtpError::UntrustedCertificate { cert, reason, .. } => Some(Untrusted {
            certificate: cert.clone(),
            reason: reason.clone(),
        }),
        _ => None,
    }
}

fn skipped(kind: StepKind) -> Step {
    Step {
        kind,
        outcome: Outcome::Skipped,
        elapsed: Duration::ZERO,
        detail: String::new(),
    }
}

fn failed(kind: StepKind, e: &FtpError, elapsed: Duration) -> Step {
    let outcome = match e {
        FtpError::Timeout { .. } => Outcome::TimedOut,
        FtpError::Reply { .. } | FtpError::Login { .. } => Outcome::Refused,
        FtpError::Io { source, .. } if source.kind() == std::io::ErrorKind::ConnectionRefused => {
            Outcome::Refused
        }
        _ => Outcome::Failed,
    };
    Step {
        kind,
        outcome,
        elapsed,
        detail: e.to_string(),
    }
}

fn outcome(steps: &[Step], kind: StepKind) -> Outcome {
    steps
        .iter()
        .find(|s| s.kind == kind)
        .map_or(Outcome::Skipped, |s| s.outcome)
}

fn detail(steps: &[Step], kind: StepKind) -> &str {
    steps
        .iter()
        .find(|s| s.kind == kind)
        .map_or("", |s| s.detail.as_str())
}

/// The verdict in plain words and the data mode to use, from the steps.
pub fn verdict(steps: &[Step], opts: &ConnectOptions) -> (String, Option<DataMode>) {
    let addr = opts.addr_text();
    match outcome(steps, StepKind::Connect) {
        Outcome::Ok => {}
        Outcome::TimedOut => {
            return (
                format!(
                    "Nothing answers at {addr}: the connection timed out. Check the host and port; a firewall may drop connections to port {}.",
                    opts.port
                ),
                None,
            );
        }
        Outcome::Refused => {
            return (
                format!(
                    "{addr} refuses connections: no server listens on port {}. Check the port (FTP is usually 21, implicit TLS 990) and that the server runs.",
                    opts.port
                ),
                None,
            );
        }
        _ => {
            return (
                format!(
                    "Could not connect to {addr}: {}",
                    detail(steps, StepKind::Connect)
                ),
                None,
            );
        }
    }
    if outcome(steps, StepKind::Greeting) != Outcome::Ok {
        return (
            format!(
                "{addr} accepts connections but sends no FTP greeting ({}). Is this an FTP port? Implicit TLS servers (port 990) need the implicit TLS setting.",
                detail(steps, StepKind::Greeting)
            ),
            None,
        );
    }
    match outcome(steps, StepKind::Login) {
        Outcome::Ok => {}
        Outcome::Refused => {
            return (
                format!("The server answers, but {}", detail(steps, StepKind::Login)),
                None,
            );
        }
        _ => {
            return (
                format!(
                    "The server answers, but logging in did not complete: {}",
                    detail(steps, StepKind::Login)
                ),
                None,
            );
        }
    }
    let works = |c| outcome(steps, StepKind::List(c)) == Outcome::Ok;
    let passive = works(DataCommand::Epsv) || works(DataCommand::Pasv);
    let active = works(DataCommand::Eprt) || works(DataCommand::Port);
    let stat = outcome(steps, StepKind::Stat) == Outcome::Ok;
    let passive_why = why(steps, DataCommand::Epsv, DataCommand::Pasv);
    let active_why = why(steps, DataCommand::Eprt, DataCommand::Port);
    let mut text = match (passive, active) {
        (true, true) => {
            "Everything works: login, and data connections in both passive and active mode. Use Passive (or Auto) for this site.".to_string()
        }
        (false, true) if passive_why == "are refused" => {
            "Passive mode is refused by the server (EPSV and PASV); active mode works: use Active for this site.".to_string()
        }
        (true, false) if active_why == "are refused" => {
            "Passive data connections work; the server refuses active mode (EPRT and PORT). Use Passive for this site.".to_string()
        }
        (false, true) => format!(
            "Control connection works but passive data connections {passive_why}: a firewall or NAT between you and the server blocks the data ports. Active mode works: use Active for this site."
        ),
        (true, false) => format!(
            "Passive data connections work; active ones {active_why}: the server cannot connect back to you (a firewall or NAT on your side blocks incoming connections). Use Passive for this site."
        ),
        (false, false) if stat => format!(
            "STAT lists the folder but LIST hangs: data connections are blocked (passive {passive_why}, active {active_why}). Ask the server's administrator to open the passive port range in the firewall, or allow incoming connections for active mode."
        ),
        (false, false) => format!(
            "Login works, but no folder can be listed: passive data connections {passive_why} and active ones {active_why}. A firewall blocks the data connections, or the server cannot list this folder."
        ),
    };
    if passive && !works(DataCommand::Epsv) {
        text.push_str(
            " EPSV does not work here but PASV does (often an old NAT device); Ferry falls back to PASV by itself.",
        );
    }
    let recommended = if passive {
        Some(DataMode::Passive)
    } else if active {
        Some(DataMode::Active)
    } else {
        None
    };
    (text, recommended)
}

/// "time out", "are refused" or "fail", from the two ways of one mode.
/// A way skipped (PORT or PASV over IPv6) says nothing either way.
fn why(steps: &[Step], a: DataCommand, b: DataCommand) -> &'static str {
    let outcomes: Vec<Outcome> = [
        outcome(steps, StepKind::List(a)),
        outcome(steps, StepKind::List(b)),
    ]
    .into_iter()
    .filter(|o| *o != Outcome::Skipped)
    .collect();
    if outcomes.contains(&Outcome::TimedOut) {
        "time out"
    } else if !outcomes.is_empty() && outcomes.iter().all(|o| *o == Outcome::Refused) {
        "are refused"
    } else {
        "fail"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(list: [Outcome; 4], stat: Outcome) -> Vec<Step> {
        let mut v: Vec<Step> = [
            StepKind::Connect,
            StepKind::Greeting,
            StepKind::Login,
            StepKind::Features,
        ]
        .into_iter()
        .map(|kind| Step {
            kind,
            outcome: Outcome::Ok,
            elapsed: Duration::ZERO,
            detail: String::new(),
        })
        .collect();
        for (c, o) in DataCommand::ALL.into_iter().zip(list) {
            v.push(Step {
                kind: StepKind::List(c),
                outcome: o,
                elapsed: Duration::ZERO,
                detail: String::new(),
            });
        }
        v.push(Step {
            kind: StepKind::Stat,
            outcome: stat,
            elapsed: Duration::ZERO,
            detail: String::new(),
        });
        v
    }

    #[test]
    fn verdicts_name_the_blocked_mode_and_recommend_the_working_one() {
        use Outcome::*;
        let o = ConnectOptions::new("ftp.example", 21, "u", "p");
        let (text, mode) = verdict(&steps([Ok, Ok, Ok, Ok], Ok), &o);
        assert!(text.starts_with("Everything works"), "{text}");
        assert_eq!(mode, Some(DataMode::Passive));
        let (text, mode) = verdict(&steps([TimedOut, TimedOut, Ok, Ok], Ok), &o);
        assert!(
            text.starts_with("Control connection works but passive data connections time out")
                && text.ends_with("Active mode works: use Active for this site."),
            "{text}"
        );
        assert_eq!(mode, Some(DataMode::Active));
        let (text, mode) = verdict(&steps([Ok, Ok, TimedOut, Refused], Ok), &o);
        assert!(
            text.starts_with("Passive data connections work; active ones time out"),
            "{text}"
        );
        assert_eq!(mode, Some(DataMode::Passive));
        let (text, mode) = verdict(&steps([TimedOut, TimedOut, TimedOut, TimedOut], Ok), &o);
        assert!(
            text.starts_with("STAT lists the folder but LIST hangs"),
            "{text}"
        );
        assert_eq!(mode, None);
        let (text, _) = verdict(&steps([Refused, Refused, Failed, Failed], Refused), &o);
        assert!(
            text.starts_with(
                "Login works, but no folder can be listed: passive data connections are refused"
            ),
            "{text}"
        );
        let (text, mode) = verdict(&steps([TimedOut, Ok, Ok, Ok], Ok), &o);
        assert!(
            text.contains("EPSV does not work here but PASV does"),
            "{text}"
        );
        assert_eq!(mode, Some(DataMode::Passive));
        // Over IPv6 PASV and PORT are skipped; a server without EPRT refuses
        // active mode, which is not a firewall on the client's side.
        let (text, mode) = verdict(&steps([Ok, Skipped, Refused, Skipped], Ok), &o);
        assert!(
            text.starts_with("Passive data connections work; the server refuses active mode"),
            "{text}"
        );
        assert_eq!(mode, Some(DataMode::Passive));
    }

    fn reply(lines: &[&str]) -> crate::ftp::reply::Reply {
        crate::ftp::reply::Reply {
            code: lines[0][..3].parse().unwrap(),
            lines: lines.iter().map(|l| l.as_bytes().to_vec()).collect(),
        }
    }

    #[test]
    fn stat_counts_a_listing_but_not_the_server_status() {
        let listing = reply(&[
            "213-Status of /pub:",
            "drwxr-xr-x 2 u g 4096 Jan  1  2024 docs",
            " -rw-r--r-- 1 u g 5 Jan  1  2024 a.txt",
            "213 End of status",
        ]);
        assert_eq!(stat_entries(&listing), 2);
        let status = reply(&[
            "211-FTP server status:",
            "     Connected to 127.0.0.1",
            "     Logged in as alice",
            "     TYPE: ASCII",
            "     vsFTPd 3.0.3 - secure, fast, stable",
            "211 End of status",
        ]);
        assert_eq!(stat_entries(&status), 0);
        assert_eq!(stat_entries(&reply(&["200 "])), 0);
    }

    #[test]
    fn early_failures_stop_at_the_first_broken_step() {
        let o = ConnectOptions::new("ftp.example", 2121, "u", "p");
        let mut s = steps([Outcome::Skipped; 4], Outcome::Skipped);
        s[0].outcome = Outcome::Refused;
        let (text, mode) = verdict(&s, &o);
        assert!(
            text.contains("refuses connections: no server listens on port 2121"),
            "{text}"
        );
        assert_eq!(mode, None);
        s[0].outcome = Outcome::TimedOut;
        assert!(
            verdict(&s, &o)
                .0
                .starts_with("Nothing answers at ftp.example:2121")
        );
        s[0].outcome = Outcome::Ok;
        s[2].outcome = Outcome::Refused;
        s[2].detail = "login failed: 530 nope".into();
        let (text, _) = verdict(&s, &o);
        assert_eq!(text, "The server answers, but login failed: 530 nope");
    }
}
