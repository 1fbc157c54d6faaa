//! The connection test's verdicts: against the in-process libunftp server
//! where a real server behaves as wanted (all works, wrong password), and a
//! scripted fake where the network has to misbehave (blocked data ports).

mod support;

use std::time::{Duration, Instant};

use ferry::engine::diagnose::{self, Outcome, Report, StepKind};
use ferry::ftp::log::null_log;
use ferry::ftp::session::DataCommand;
use ferry::ftp::{ConnectOptions, DataMode, Timeouts};
use support::fake::{FakeServer, Step, login_script};
use support::server::{PASSWORD, ServerOptions, TestServer, USER};

fn send(s: &str) -> Step {
    Step::Send(s.as_bytes().to_vec())
}

fn expect(s: &str) -> Step {
    Step::Expect(s.to_string())
}

const LISTING: &[u8] = b"-rw-r--r-- 1 u g 5 Jan  1  2024 a.txt\r\n";

fn fast(port: u16, password: &str) -> ConnectOptions {
    let mut o = ConnectOptions::new("127.0.0.1", port, USER, password);
    o.timeouts = Timeouts {
        connect: Duration::from_secs(5),
        reply: Duration::from_secs(5),
        data_connect: Duration::from_secs(2),
        data_idle: Duration::from_secs(5),
    };
    o
}

fn outcomes(r: &Report) -> Vec<(StepKind, Outcome)> {
    r.steps.iter().map(|s| (s.kind, s.outcome)).collect()
}

fn outcome(r: &Report, kind: StepKind) -> Outcome {
    r.steps.iter().find(|s| s.kind == kind).unwrap().outcome
}

/// What the test sends after logging in: FEAT again (timed), then PWD.
fn after_login() -> Vec<Step> {
    let mut steps = login_script();
    steps.extend([
        expect("FEAT"),
        send("211-Features:\r\n EPSV\r\n PASV\r\n UTF8\r\n211 End\r\n"),
        expect("PWD"),
        send("257 \"/\"\r\n"),
        expect("TYPE I"),
        send("200 ok\r\n"),
    ]);
    steps
}

/// A listing of `/` the fake serves, through the passive listener or by
/// connecting back (active).
fn served_list(active: bool) -> Vec<Step> {
    vec![
        expect("LIST /"),
        send("150 here\r\n"),
        if active {
            Step::ActiveConnectSend(LISTING.to_vec())
        } else {
            Step::DataSend(LISTING.to_vec())
        },
        send("226 done\r\n"),
    ]
}

fn stat_and_quit(mut steps: Vec<Step>) -> Vec<Step> {
    steps.extend([
        expect("STAT /"),
        send("213-Status of /:\r\n-rw-r--r-- 1 u g 5 Jan  1  2024 a.txt\r\n213 End of status\r\n"),
        expect("QUIT"),
        send("221 bye\r\n"),
    ]);
    steps
}

async fn run(fake: &FakeServer) -> (Report, Duration) {
    let started = Instant::now();
    let mut seen = Vec::new();
    let report = diagnose::run(fast(fake.addr.port(), "pw"), None, null_log(), |s| {
        seen.push(s.kind)
    })
    .await;
    assert_eq!(seen, StepKind::all(), "every step is reported, in order");
    (report, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_works_against_a_real_server() {
    let server = TestServer::start(ServerOptions {
        active: true,
        ..Default::default()
    })
    .await;
    std::fs::write(server.path("hello.txt"), b"hi").unwrap();
    let mut o = ConnectOptions::new("127.0.0.1", server.addr.port(), USER, PASSWORD);
    o.mode = DataMode::Active;
    let report = diagnose::run(o, None, null_log(), |_| {}).await;
    for kind in [
        StepKind::Connect,
        StepKind::Greeting,
        StepKind::Login,
        StepKind::Features,
        StepKind::List(DataCommand::Epsv),
        StepKind::List(DataCommand::Pasv),
        StepKind::List(DataCommand::Port),
    ] {
        assert_eq!(outcome(&report, kind), Outcome::Ok, "{kind:?}: {report:#?}");
    }
    let epsv = &report.steps[4];
    assert_eq!(epsv.detail, "1 entry");
    assert!(
        report.verdict.starts_with("Everything works"),
        "{}",
        report.verdict
    );
    assert_eq!(report.recommended, Some(DataMode::Passive));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_stops_at_login_against_a_real_server() {
    let server = TestServer::start(ServerOptions::default()).await;
    let o = ConnectOptions::new("127.0.0.1", server.addr.port(), USER, "wrong");
    let report = diagnose::run(o, None, null_log(), |_| {}).await;
    assert_eq!(outcome(&report, StepKind::Login), Outcome::Refused);
    assert_eq!(
        outcome(&report, StepKind::List(DataCommand::Epsv)),
        Outcome::Skipped
    );
    assert!(
        report
            .verdict
            .starts_with("The server answers, but login failed: 530"),
        "{}",
        report.verdict
    );
    assert!(!report.works());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_listening_is_a_refused_connect() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let report = diagnose::run(fast(port, "pw"), None, null_log(), |_| {}).await;
    assert_eq!(outcome(&report, StepKind::Connect), Outcome::Refused);
    assert!(
        report.verdict.contains("refuses connections"),
        "{}",
        report.verdict
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passive_blocked_recommends_active() {
    let mut steps = after_login();
    steps.extend([
        expect("EPSV"),
        Step::EpsvReplyBlackhole,
        expect("PASV"),
        Step::PasvReplyBlackhole,
        expect("EPRT |1|127.0.0.1|"),
        send("200 EPRT ok\r\n"),
    ]);
    steps.extend(served_list(true));
    steps.extend([expect("PORT 127,0,0,1,"), send("200 PORT ok\r\n")]);
    steps.extend(served_list(true));
    let fake = FakeServer::start(stat_and_quit(steps)).await;
    let (report, took) = run(&fake).await;
    fake.finish().await;
    assert_eq!(
        outcomes(&report)[4..8],
        [
            (StepKind::List(DataCommand::Epsv), Outcome::TimedOut),
            (StepKind::List(DataCommand::Pasv), Outcome::TimedOut),
            (StepKind::List(DataCommand::Eprt), Outcome::Ok),
            (StepKind::List(DataCommand::Port), Outcome::Ok),
        ]
    );
    assert_eq!(
        report.verdict,
        "Control connection works but passive data connections time out: a firewall or NAT between you and the server blocks the data ports. Active mode works: use Active for this site."
    );
    assert_eq!(report.recommended, Some(DataMode::Active));
    assert!(took < Duration::from_secs(7), "two 2 s deadlines: {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn active_blocked_recommends_passive() {
    let mut steps = after_login();
    steps.extend([expect("EPSV"), Step::EpsvReply]);
    steps.extend(served_list(false));
    steps.extend([
        expect("PASV"),
        Step::PasvReply {
            advertised_host: [127, 0, 0, 1],
        },
    ]);
    steps.extend(served_list(false));
    steps.extend([
        // EPRT is accepted, but the server never manages to connect back.
        expect("EPRT |1|127.0.0.1|"),
        send("200 EPRT ok\r\n"),
        expect("LIST /"),
        send("150 connecting\r\n"),
        expect("ABOR"),
        expect("PWD"),
        send("426 no connection\r\n226 aborted\r\n257 \"/\"\r\n"),
        // PORT: the server gives up at once.
        expect("PORT 127,0,0,1,"),
        send("200 PORT ok\r\n"),
        expect("LIST /"),
        send("425 Can't open data connection\r\n"),
    ]);
    let fake = FakeServer::start(stat_and_quit(steps)).await;
    let (report, took) = run(&fake).await;
    fake.finish().await;
    assert_eq!(
        outcomes(&report)[4..8],
        [
            (StepKind::List(DataCommand::Epsv), Outcome::Ok),
            (StepKind::List(DataCommand::Pasv), Outcome::Ok),
            (StepKind::List(DataCommand::Eprt), Outcome::TimedOut),
            (StepKind::List(DataCommand::Port), Outcome::Refused),
        ]
    );
    assert!(
        report.verdict.starts_with(
            "Passive data connections work; active ones time out: the server cannot connect back to you"
        ) && report.verdict.ends_with("Use Passive for this site."),
        "{}",
        report.verdict
    );
    assert_eq!(report.recommended, Some(DataMode::Passive));
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_blocked_but_stat_lists_says_data_connections_are_blocked() {
    let mut steps = after_login();
    steps.extend([
        expect("EPSV"),
        Step::EpsvReplyBlackhole,
        expect("PASV"),
        Step::PasvReplyBlackhole,
        expect("EPRT |1|127.0.0.1|"),
        send("500 EPRT not understood\r\n"),
        expect("PORT 127,0,0,1,"),
        send("200 PORT ok\r\n"),
        expect("LIST /"),
        send("150 connecting\r\n"),
        expect("ABOR"),
        expect("PWD"),
        send("425 no connection\r\n225 no transfer to abort\r\n257 \"/\"\r\n"),
    ]);
    let fake = FakeServer::start(stat_and_quit(steps)).await;
    let (report, took) = run(&fake).await;
    let commands = fake.finish().await.commands;
    assert_eq!(outcome(&report, StepKind::Stat), Outcome::Ok);
    assert!(
        report.verdict.starts_with(
            "STAT lists the folder but LIST hangs: data connections are blocked (passive time out, active time out)."
        ),
        "{}",
        report.verdict
    );
    assert_eq!(report.recommended, None);
    assert!(!report.works());
    assert!(
        took < Duration::from_secs(9),
        "three 2 s deadlines: {took:?}"
    );
    assert_eq!(
        commands.last().map(String::as_str),
        Some("QUIT"),
        "the test closes its connection"
    );
}

/// Run the test against an explicit-TLS libunftp server with `trust`,
/// retrying only on libunftp's own AUTH TLS race (see support).
async fn run_tls(server: &TestServer, trust: ferry::ftp::TrustPolicy) -> Report {
    let mut tries = 0;
    loop {
        let mut o = ConnectOptions::new("127.0.0.1", server.addr.port(), USER, PASSWORD);
        o.security = ferry::ftp::Security::Explicit;
        o.trust = trust.clone();
        let report = diagnose::run(o, None, null_log(), |_| {}).await;
        let login = report.steps.iter().find(|s| s.kind == StepKind::Login);
        let raced = login.is_some_and(|s| support::is_libunftp_auth_tls_race(&s.detail));
        if !raced || tries == 2 {
            return report;
        }
        tries += 1;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_certificate_stops_at_login_in_words_and_can_be_trusted() {
    let server = TestServer::start(ServerOptions {
        tls: true,
        ..Default::default()
    })
    .await;
    let report = run_tls(&server, ferry::ftp::TrustPolicy::SystemRoots).await;
    assert_eq!(outcome(&report, StepKind::Login), Outcome::Failed);
    let untrusted = report
        .untrusted
        .as_ref()
        .expect("the report carries the certificate to trust");
    assert_eq!(untrusted.reason, "the server's certificate is self-signed");
    assert_eq!(
        Some(untrusted.certificate.fingerprint_hex()),
        server.cert_sha256_hex
    );
    let login = &report.steps[2];
    assert!(
        login
            .detail
            .starts_with("the server's certificate is self-signed, so it is not trusted"),
        "{}",
        login.detail
    );
    assert!(
        report
            .verdict
            .starts_with("The server's certificate is self-signed, so Ferry does not trust it")
            && report.verdict.contains("Trust…"),
        "{}",
        report.verdict
    );
    // What Trust… does: the same test with exactly that certificate pinned.
    let pinned = ferry::ftp::TrustPolicy::Pinned(vec![untrusted.certificate.sha256]);
    let again = run_tls(&server, pinned).await;
    assert_eq!(outcome(&again, StepKind::Login), Outcome::Ok, "{again:#?}");
    assert!(again.untrusted.is_none());
}
