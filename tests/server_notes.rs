//! "One command at a time" is remembered per server between runs: a server that answered
//! pipelined commands out of order gets one command at a time from the start in the next run
//! of the command line (the notes file in the config folder, keyed by host:port), whether the
//! run names a saved site or a URL.

mod support;

use std::process::Output;

use support::cli::Ferry;
use support::fake::{FakeServer, Step};

const VSFTPD_GREETING: &[u8] = b"220 (vsFTPd 3.0.3)\r\n";

fn send(s: &str) -> Step {
    Step::Send(s.as_bytes().to_vec())
}

fn expect(s: &str) -> Step {
    Step::Expect(s.to_string())
}

/// The protocol lines `-v` printed: `> COMMAND` and `< REPLY`, without time and session.
fn wire(o: &Output) -> Vec<String> {
    String::from_utf8_lossy(&o.stderr)
        .lines()
        .filter_map(|l| {
            let (_, rest) = l.split_once("] ")?;
            (rest.starts_with("> ") || rest.starts_with("< ")).then(|| rest.to_string())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_answered_out_of_order_gets_one_command_at_a_time_in_the_next_run() {
    // First run: greeted as vsftpd, the client logs in (USER, then PASS: over plain FTP the
    // password never goes before the server has answered USER), then sends FEAT, TYPE I and
    // EPSV together; this server answers TYPE before FEAT (as one that works on commands
    // concurrently may), then hangs up.
    let first = vec![
        Step::Send(VSFTPD_GREETING.to_vec()),
        expect("USER user"),
        send("331 ok\r\n"),
        expect("PASS pw"),
        send("230 logged in\r\n"),
        expect("FEAT"),
        expect("TYPE I"),
        expect("EPSV"),
        send(
            "200 ok\r\n211-Features:\r\n EPSV\r\n211 End\r\n229 Entering Extended Passive Mode (|||9|)\r\n",
        ),
    ];
    // Second run, a new process, the same server under a host name in another case (host
    // names are case-insensitive): one command at a time from the start.
    let second = vec![
        Step::Send(VSFTPD_GREETING.to_vec()),
        expect("USER user"),
        send("331 ok\r\n"),
        expect("PASS pw"),
        send("230 logged in\r\n"),
        expect("FEAT"),
        send("211-Features:\r\n EPSV\r\n211 End\r\n"),
    ];
    let fake = FakeServer::start_sessions(vec![first, second]).await;
    let config = tempfile::tempdir().unwrap();
    let port = fake.addr.port();
    let run = |url: String| {
        Ferry::new(["ls", "-v", url.as_str()])
            .config(config.path())
            .password(Some("pw"))
            .run()
    };
    let o = run(format!("ftp://user@localhost:{port}/")).await;
    let w = wire(&o);
    let feat = w.iter().position(|l| l == "> FEAT").expect("FEAT");
    assert_eq!(w[feat + 1], "> TYPE I", "sent together: {w:#?}");
    let notes = std::fs::read_to_string(config.path().join("server_notes.toml")).unwrap();
    let notes: toml::Table = toml::from_str(&notes).unwrap();
    assert_eq!(
        notes["servers"][&format!("localhost:{port}")]["one_command_at_a_time"].as_bool(),
        Some(true),
        "{notes:?}"
    );

    let o = run(format!("ftp://user@LocalHost:{port}/")).await;
    let w = wire(&o);
    let feat = w.iter().position(|l| l == "> FEAT").expect("FEAT");
    assert!(w[feat + 1].starts_with("< 211"), "FEAT alone: {w:#?}");
    fake.finish().await;
}
