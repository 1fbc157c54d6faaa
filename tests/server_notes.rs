//! "One command at a time" is remembered per server between runs: a server that answered
//! pipelined commands out of order gets one command at a time from the start in the next run
//! of the command line (the notes file in the config folder, keyed by host:port), and a saved
//! site on it is marked so in its profile.

mod support;

use std::path::Path;
use std::process::Output;

use support::fake::{FakeServer, Step};

const VSFTPD_GREETING: &[u8] = b"220 (vsFTPd 3.0.3)\r\n";

fn send(s: &str) -> Step {
    Step::Send(s.as_bytes().to_vec())
}

fn expect(s: &str) -> Step {
    Step::Expect(s.to_string())
}

/// `ferry ARGS` with its config folder in `config`.
async fn ferry(args: &[&str], config: &Path) -> Output {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let config = config.to_path_buf();
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_ferry"))
            .args(&args)
            .env("FERRY_CONFIG_DIR", &config)
            .env("FERRY_PASSWORD", "pw")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run ferry")
    })
    .await
    .expect("join")
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
    // First run: greeted as vsftpd, the client sends USER with PASS, and FEAT, TYPE I and
    // EPSV together; this server answers TYPE before FEAT (as one that works on commands
    // concurrently may), then hangs up.
    let first = vec![
        Step::Send(VSFTPD_GREETING.to_vec()),
        expect("USER user"),
        expect("PASS pw"),
        send("331 ok\r\n230 logged in\r\n"),
        expect("FEAT"),
        expect("TYPE I"),
        expect("EPSV"),
        send(
            "200 ok\r\n211-Features:\r\n EPSV\r\n211 End\r\n229 Entering Extended Passive Mode (|||9|)\r\n",
        ),
    ];
    // Second run, a new process: one command at a time from the start.
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
    let host_port = format!("127.0.0.1:{}", fake.addr.port());
    // A saved site on that server, and one elsewhere.
    std::fs::write(
        config.path().join("sites.toml"),
        format!(
            "schema_version = 1\n\n[[sites]]\nid = \"s1\"\nname = \"there\"\nhost = \"127.0.0.1\"\nport = {}\nuser = \"user\"\n\n[[sites]]\nid = \"s2\"\nname = \"elsewhere\"\nhost = \"127.0.0.1\"\nport = 1\nuser = \"user\"\n",
            fake.addr.port()
        ),
    )
    .unwrap();
    let url = format!("ftp://user@{host_port}/");
    let o = ferry(&["ls", "-v", &url], config.path()).await;
    let w = wire(&o);
    let user = w.iter().position(|l| l == "> USER user").expect("USER");
    assert_eq!(w[user + 1], "> PASS ****", "sent together: {w:#?}");
    let notes = std::fs::read_to_string(config.path().join("server_notes.toml")).unwrap();
    let notes: toml::Table = toml::from_str(&notes).unwrap();
    assert_eq!(
        notes["servers"][&host_port]["one_command_at_a_time"].as_bool(),
        Some(true),
        "{notes:?}"
    );
    let sites = ferry::sites::SiteStore::at(config.path()).load().unwrap();
    let marked = |id: &str| sites.sites.get(id).unwrap().one_command_at_a_time;
    assert!(marked("s1"), "the site on that server is marked");
    assert!(!marked("s2"), "the other site is not");

    let o = ferry(&["ls", "-v", &url], config.path()).await;
    let w = wire(&o);
    let user = w.iter().position(|l| l == "> USER user").expect("USER");
    assert_eq!(w[user + 1], "< 331 ok", "one at a time: {w:#?}");
    let feat = w.iter().position(|l| l == "> FEAT").expect("FEAT");
    assert!(w[feat + 1].starts_with("< 211"), "FEAT alone: {w:#?}");
    fake.finish().await;
}
