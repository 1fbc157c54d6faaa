//! Pipelining (issue 13, "fewer round trips per file"): to a server known to take one command at
//! a time (vsftpd), RETR and STOR go out in one write with the next transfer's EPSV (and the
//! file's MDTM, or the uploaded file's time), whose replies follow the transfer's verdict. These
//! tests check that every ambiguity leaves the control connection in step: replies out of order,
//! an error on the pipelined EPSV, a refused RETR, a cancel in the middle; against the scripted
//! fake server for what no real server does on demand, and against real vsftpd and libunftp.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferry::engine::transfer::{Existing, Known, download_file, upload_file};
use ferry::ftp::log::{LogKind, LogLine, SharedLog};
use ferry::ftp::{ConnectOptions, DataMode, FtpError, Session, Timeouts};
use support::fake::{CLIENT_CLOSED, FakeServer, Step, login_script};
use support::server::{PASSWORD, ServerOptions, TestServer, USER};
use support::vsftpd::Vsftpd;

const VSFTPD_GREETING: &[u8] = b"220 (vsFTPd 3.0.3)\r\n";

fn capture_log() -> (SharedLog, Arc<Mutex<Vec<LogLine>>>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    let log: SharedLog = Arc::new(move |l: LogLine| sink.lock().unwrap().push(l));
    (log, lines)
}

/// The protocol lines only, commands as `> X` and replies as `< X`.
fn wire(lines: &Arc<Mutex<Vec<LogLine>>>) -> Vec<String> {
    lines
        .lock()
        .unwrap()
        .iter()
        .filter_map(|l| match l.kind {
            LogKind::Sent => Some(format!("> {}", l.text)),
            LogKind::Received => Some(format!("< {}", l.text)),
            _ => None,
        })
        .collect()
}

fn send(s: &str) -> Step {
    Step::Send(s.as_bytes().to_vec())
}

fn expect(s: &str) -> Step {
    Step::Expect(s.to_string())
}

/// The fake's login as vsftpd greets: USER, then PASS (over plain FTP the password waits for
/// USER's answer), then FEAT, `TYPE I` and the first transfer's EPSV in one write (a server that takes one command at a time answers them in
/// turn): `extra` starts with the first transfer command, which uses that port.
fn vsftpd_like(extra: Vec<Step>) -> Vec<Step> {
    let mut steps = vec![
        Step::Send(VSFTPD_GREETING.to_vec()),
        expect("USER"),
        send("331 ok\r\n"),
        expect("PASS"),
        send("230 logged in\r\n"),
        expect("FEAT"),
        expect("TYPE I"),
        expect("EPSV"),
        send("211-Features:\r\n EPSV\r\n PASV\r\n UTF8\r\n211 End\r\n200 ok\r\n"),
        Step::EpsvReply,
        expect("OPTS UTF8 ON"),
        send("200 ok\r\n"),
    ];
    steps.extend(extra);
    steps
}

fn fake_options(fake: &FakeServer) -> ConnectOptions {
    let mut o = ConnectOptions::new("127.0.0.1", fake.addr.port(), "user", "pw");
    o.mode = DataMode::Passive;
    o.timeouts = Timeouts {
        connect: Duration::from_secs(5),
        reply: Duration::from_secs(5),
        data_connect: Duration::from_secs(5),
        data_idle: Duration::from_secs(5),
    };
    o
}

async fn get(s: &mut Session, path: &str) -> Result<Vec<u8>, FtpError> {
    let mut out = Vec::new();
    s.download(path, 0, &mut out, &mut |_| {}).await?;
    Ok(out)
}

/// One file's exchange with a server that takes one command at a time: RETR, 150, the data, 226.
fn serve(name: &str, body: &str) -> Vec<Step> {
    vec![
        expect(&format!("RETR {name}")),
        send("150 here\r\n"),
        Step::DataSend(body.as_bytes().to_vec()),
        send("226 done\r\n"),
    ]
}

/// The next file uses the port its EPSV asked for ahead (no EPSV of its own), a refused RETR
/// leaves the EPSV sent with it answered and used, and a refused EPSV sent ahead only means the
/// next file asks for its port itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_port_asked_ahead_is_used_and_refusals_keep_the_replies_in_step() {
    let mut steps = serve("a", "alpha");
    steps.extend([expect("EPSV"), Step::EpsvReply]);
    // b is missing: 550, then the EPSV that went with it.
    steps.extend([
        expect("RETR b"),
        expect("EPSV"),
        send("550 No such file\r\n"),
        Step::EpsvReply,
    ]);
    steps.extend(serve("c", "gamma"));
    steps.extend([expect("EPSV"), send("425 Not now\r\n")]);
    // The refused EPSV: d asks for its own port.
    steps.extend([expect("EPSV"), Step::EpsvReply]);
    steps.extend(serve("d", "delta"));
    steps.extend([expect("EPSV"), Step::EpsvReply, Step::Hold]);
    let fake = FakeServer::start(vsftpd_like(steps)).await;
    let (log, lines) = capture_log();
    let mut s = Session::connect(fake_options(&fake), log).await.unwrap();
    assert!(s.pipelines(), "vsftpd's greeting allows pipelining");
    assert_eq!(get(&mut s, "a").await.unwrap(), b"alpha");
    let err = get(&mut s, "b").await.unwrap_err();
    assert_eq!(err.reply_code(), Some(550), "{err}");
    assert_eq!(get(&mut s, "c").await.unwrap(), b"gamma");
    assert_eq!(get(&mut s, "d").await.unwrap(), b"delta");
    assert!(s.pipelines());
    drop(s);
    let report = fake.finish().await;
    let cmds: Vec<&str> = report
        .commands
        .iter()
        .map(String::as_str)
        .filter(|c| *c != CLIENT_CLOSED)
        .collect();
    // The first EPSV went with the login's FEAT and TYPE I.
    let start = cmds.iter().position(|c| *c == "OPTS UTF8 ON").unwrap();
    assert_eq!(cmds[start - 2..start], ["TYPE I", "EPSV"], "{cmds:#?}");
    let start = start + 1;
    assert_eq!(
        cmds[start..],
        [
            "RETR a", "EPSV", "RETR b", "EPSV", "RETR c", "EPSV", "EPSV", "RETR d", "EPSV"
        ],
        "{cmds:#?}"
    );
    let wire = wire(&lines);
    let retr_c = wire.iter().position(|l| l == "> RETR c").unwrap();
    assert_eq!(
        wire[retr_c + 1],
        "> EPSV",
        "sent in the same write: {wire:#?}"
    );
}

/// A server that answers a command sent ahead before the transfer's own reply (as one that works
/// on commands concurrently does): the codes tell the replies apart, the MDTM answer is kept, the
/// file is whole, and the session sends one command at a time from then on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_out_of_order_end_pipelining_and_keep_every_answer() {
    // a: in step (its port came with the login), MDTM and the next EPSV sent with RETR.
    let mut steps = serve("a", "alpha");
    steps.insert(1, expect("MDTM a"));
    steps.insert(2, expect("EPSV"));
    steps.extend([send("213 20200101000000\r\n"), Step::EpsvReply]);
    // b: MDTM's answer comes first, before RETR's 150.
    steps.extend([
        expect("RETR b"),
        expect("MDTM b"),
        expect("EPSV"),
        send("213 20210202000000\r\n"),
        send("150 here\r\n"),
        Step::DataSend(b"beta".to_vec()),
        send("226 done\r\n"),
        Step::EpsvReply,
    ]);
    // c: one command at a time, and a fresh port (the one answered out of order is not used);
    // MDTM after the transfer.
    steps.extend([expect("EPSV"), Step::EpsvReply]);
    steps.extend(serve("c", "gamma"));
    steps.extend([expect("MDTM c"), send("213 20220303000000\r\n"), Step::Hold]);
    // A later session to the same server remembers.
    let mut again = login_script();
    again[0] = Step::Send(VSFTPD_GREETING.to_vec());
    again.push(Step::Hold);
    let fake = FakeServer::start_sessions(vec![vsftpd_like(steps), again]).await;
    let (log, lines) = capture_log();
    let mut s = Session::connect(fake_options(&fake), log).await.unwrap();
    let day = |y, m, d| {
        chrono::NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(0, 0, 0)
    };
    s.mdtm_ahead("a");
    assert_eq!(get(&mut s, "a").await.unwrap(), b"alpha");
    assert_eq!(s.mdtm_answer("a").await, day(2020, 1, 1));
    s.mdtm_ahead("b");
    assert_eq!(get(&mut s, "b").await.unwrap(), b"beta");
    assert_eq!(s.mdtm_answer("b").await, day(2021, 2, 2));
    assert!(!s.pipelines(), "out of order: one command at a time");
    s.mdtm_ahead("c");
    assert_eq!(get(&mut s, "c").await.unwrap(), b"gamma");
    assert_eq!(s.mdtm_answer("c").await, day(2022, 3, 3));
    drop(s);
    let s = Session::connect(fake_options(&fake), ferry::ftp::log::null_log())
        .await
        .unwrap();
    assert!(!s.pipelines(), "remembered for this server");
    drop(s);
    let report = fake.finish().await;
    let cmds = &report.commands;
    let retr = cmds.iter().position(|c| c == "RETR c").unwrap();
    assert_eq!(cmds[retr - 1], "EPSV", "{cmds:#?}");
    assert_eq!(cmds[retr + 1], "MDTM c", "{cmds:#?}");
    let wire = wire(&lines);
    let retr_c = wire.iter().position(|l| l == "> RETR c").unwrap();
    assert_eq!(wire[retr_c + 1], "< 150 here", "{wire:#?}");
    assert!(
        lines
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.text.contains("out of order")),
        "the log says why"
    );
}

/// Cancelled in the middle of a download that carried the next EPSV: ABOR's count includes the
/// EPSV's reply, the port it named is not used, and the session goes on in step.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_in_the_middle_of_a_pipeline_leaves_the_session_in_step() {
    let mut steps = serve("a", "alpha");
    steps.extend([expect("EPSV"), Step::EpsvReply]);
    steps.extend([
        expect("RETR big"),
        expect("EPSV"),
        send("150 here\r\n"),
        Step::DataSendAndHold(vec![7u8; 64 * 1024]),
        expect("ABOR"),
        expect("PWD"),
        Step::WaitDataClosed,
        // As a server taking one command at a time answers: RETR's verdict, the EPSV sent
        // ahead, ABOR, the marker.
        send("426 Transfer aborted\r\n"),
        Step::EpsvReply,
        send("226 ABOR successful\r\n"),
        send("257 \"/\"\r\n"),
        expect("NOOP"),
        send("200 ok\r\n"),
        expect("EPSV"),
        Step::EpsvReply,
    ]);
    steps.extend(serve("c", "gamma"));
    steps.extend([expect("EPSV"), Step::EpsvReply, Step::Hold]);
    let fake = FakeServer::start(vsftpd_like(steps)).await;
    let (log, lines) = capture_log();
    let mut s = Session::connect(fake_options(&fake), log).await.unwrap();
    assert_eq!(get(&mut s, "a").await.unwrap(), b"alpha");
    let (tx, rx) = tokio::sync::watch::channel(false);
    s.set_cancel(Some(rx));
    let mut out = Vec::new();
    let err = s
        .download("big", 0, &mut out, &mut |n| {
            if n > 0 {
                let _ = tx.send(true);
            }
        })
        .await
        .unwrap_err();
    assert!(matches!(err, FtpError::Cancelled), "{err}");
    s.set_cancel(None);
    s.noop().await.unwrap();
    assert_eq!(get(&mut s, "c").await.unwrap(), b"gamma");
    drop(s);
    let report = fake.finish().await;
    assert!(
        report.commands.iter().any(|c| c == "RETR c"),
        "{:#?}",
        report.commands
    );
    let wire = wire(&lines);
    assert!(!wire.iter().any(|l| l.contains("Discarded")), "{wire:#?}");
}

/// Real vsftpd: each file goes in one write (RETR, its MDTM, the next EPSV; the first uses the port
/// asked for with the login) and one exchange; the files are whole with the server's times; a missing file and a cancelled
/// download in the middle leave the session in step.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vsftpd_gets_each_file_in_one_exchange_and_stays_in_step() {
    let root = tempfile::tempdir().unwrap();
    for i in 0..6u64 {
        let path = root.path().join(format!("f{i}.bin"));
        std::fs::write(&path, support::random_bytes(10_240, i)).unwrap();
        let when = std::time::UNIX_EPOCH + Duration::from_secs(1_600_000_000 + i * 1000);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(when)
            .unwrap();
    }
    std::fs::write(
        root.path().join("big.bin"),
        support::random_bytes(4 << 20, 9),
    )
    .unwrap();
    // Slow enough that the cancel lands in the middle.
    let Some(vsftpd) = Vsftpd::start(
        "vsftpd_gets_each_file_in_one_exchange_and_stays_in_step",
        root.path(),
        "listen_address=127.0.0.1\nanon_max_rate=1000000\n",
    ) else {
        return;
    };
    let (log, lines) = capture_log();
    let opts = ConnectOptions::new("127.0.0.1", vsftpd.port, "anonymous", "");
    let mut s = Session::connect(opts, log).await.unwrap();
    assert!(s.pipelines());
    let out = tempfile::tempdir().unwrap();
    for i in 0..6u64 {
        let name = format!("f{i}.bin");
        lines.lock().unwrap().clear();
        fetch(&mut s, &name, out.path()).await.unwrap();
        assert_eq!(
            std::fs::read(out.path().join(&name)).unwrap(),
            support::random_bytes(10_240, i)
        );
        let secs = std::fs::metadata(out.path().join(&name))
            .unwrap()
            .modified()
            .unwrap()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert_eq!(secs, 1_600_000_000 + i * 1000, "{name}");
        let w = wire(&lines);
        let sent: Vec<&str> = w
            .iter()
            .filter(|l| l.starts_with('>'))
            .map(String::as_str)
            .collect();
        let (retr, mdtm) = (format!("> RETR {name}"), format!("> MDTM {name}"));
        if i == 5 {
            // The first after the cancel (whose port was not used): MDTM and EPSV in one
            // write, then RETR with the next EPSV. (The first file used the port asked for
            // with the login.)
            assert!(
                sent.ends_with(&[&mdtm, "> EPSV", &retr, "> EPSV"]),
                "{w:#?}"
            );
        } else {
            assert_eq!(sent, [&retr, &mdtm, "> EPSV"], "{w:#?}");
            let codes: Vec<&str> = w
                .iter()
                .filter(|l| l.starts_with('<'))
                .map(|l| &l[2..5])
                .collect();
            assert_eq!(codes, ["150", "226", "213", "229"], "{w:#?}");
        }
        if i == 2 {
            let err = fetch(&mut s, "missing.bin", out.path()).await.unwrap_err();
            assert_eq!(err.reply_code(), Some(550), "{err}");
        }
        if i == 4 {
            let (tx, rx) = tokio::sync::watch::channel(false);
            s.set_cancel(Some(rx));
            let err = download_file(
                &mut s,
                b"big.bin",
                &out.path().join("big.bin"),
                Existing::Overwrite,
                Known {
                    size: Some(4 << 20),
                    modified: None,
                },
                None,
                &mut |n, _| {
                    if n > 100_000 {
                        let _ = tx.send(true);
                    }
                },
            )
            .await
            .unwrap_err();
            assert!(matches!(err, FtpError::Cancelled), "{err}");
            s.set_cancel(None);
            assert!(!out.path().join("big.bin").exists());
        }
    }
    // In step: PWD gets its own reply (vsftpd names the real folder: no chroot here).
    assert_eq!(
        s.pwd().await.unwrap(),
        root.path().to_string_lossy().as_bytes()
    );
    assert!(s.pipelines(), "vsftpd answers in order");
}

async fn fetch(s: &mut Session, name: &str, out: &std::path::Path) -> Result<u64, FtpError> {
    download_file(
        s,
        name.as_bytes(),
        &out.join(name),
        Existing::Overwrite,
        // As a listing tells (no exact time: MDTM asks for it).
        Known {
            size: Some(10_240),
            modified: None,
        },
        None,
        &mut |_, _| {},
    )
    .await
}

/// libunftp works on commands concurrently: it never gets a pipelined transfer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libunftp_gets_one_transfer_command_at_a_time() {
    let server = TestServer::start(ServerOptions::default()).await;
    for name in ["a.bin", "b.bin"] {
        std::fs::write(server.path(name), support::random_bytes(5_000, 3)).unwrap();
    }
    let (log, lines) = capture_log();
    let opts = ConnectOptions::new("127.0.0.1", server.addr.port(), USER, PASSWORD);
    let mut s = Session::connect(opts, log).await.unwrap();
    assert!(!s.pipelines());
    for name in ["a.bin", "b.bin"] {
        assert_eq!(
            get(&mut s, name).await.unwrap(),
            support::random_bytes(5_000, 3)
        );
    }
    let w = wire(&lines);
    for (i, l) in w.iter().enumerate() {
        if l.starts_with("> RETR") {
            assert!(w[i + 1].starts_with("< 150"), "{w:#?}");
        }
    }
}

/// Uploads to vsftpd: STOR goes with the uploaded file's time (once the server's command for it
/// is known) and the next EPSV, all answered after the upload's 226, and the data goes without
/// waiting for the 150; the files and their times arrive whole, and a refused upload in the
/// middle is reported without losing step.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vsftpd_uploads_carry_the_time_and_the_next_port() {
    let root = tempfile::tempdir().unwrap();
    let up = root.path().join("up");
    std::fs::create_dir(&up).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&up, std::fs::Permissions::from_mode(0o777)).unwrap();
    }
    let Some(vsftpd) = Vsftpd::start(
        "vsftpd_uploads_carry_the_time_and_the_next_port",
        root.path(),
        "listen_address=127.0.0.1\nwrite_enable=YES\nanon_upload_enable=YES\n\
         anon_other_write_enable=YES\nanon_umask=022\n",
    ) else {
        return;
    };
    let local = tempfile::tempdir().unwrap();
    let (log, lines) = capture_log();
    let opts = ConnectOptions::new("127.0.0.1", vsftpd.port, "anonymous", "");
    let mut s = Session::connect(opts, log).await.unwrap();
    for i in 0..4u64 {
        let path = local.path().join(format!("u{i}.bin"));
        std::fs::write(&path, support::random_bytes(7_000, 20 + i)).unwrap();
        let when = std::time::UNIX_EPOCH + Duration::from_secs(1_500_000_000 + i * 3600);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(when)
            .unwrap();
        lines.lock().unwrap().clear();
        let remote = format!("up/u{i}.bin");
        upload_file(
            &mut s,
            &path,
            remote.as_bytes(),
            Existing::Overwrite,
            None,
            &mut |_, _| {},
        )
        .await
        .unwrap();
        let stored = up.join(format!("u{i}.bin"));
        assert_eq!(
            std::fs::read(&stored).unwrap(),
            support::random_bytes(7_000, 20 + i)
        );
        let secs = std::fs::metadata(&stored)
            .unwrap()
            .modified()
            .unwrap()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert_eq!(
            secs,
            1_500_000_000 + i * 3600,
            "u{i}: the local time is kept"
        );
        let w = wire(&lines);
        if i > 0 {
            let sent: Vec<&String> = w.iter().filter(|l| l.starts_with('>')).collect();
            assert_eq!(sent.len(), 3, "STOR, the time, EPSV in one write: {w:#?}");
            assert_eq!(sent[0], &format!("> STOR {remote}"), "{w:#?}");
            assert!(sent[1].contains(&remote), "{w:#?}");
            assert_eq!(sent[2], "> EPSV", "{w:#?}");
            let stor = w.iter().position(|l| l.starts_with("> STOR")).unwrap();
            assert!(
                w[stor + 1].starts_with('>') && w[stor + 2].starts_with('>'),
                "{w:#?}"
            );
        }
        if i == 2 {
            // Refused, with its data already on the way (no folder there): the refusal is
            // reported, nothing is left behind, and the next upload goes on in step.
            let err = upload_file(
                &mut s,
                &path,
                b"up/missing/x.bin",
                Existing::Overwrite,
                None,
                &mut |_, _| {},
            )
            .await
            .unwrap_err();
            assert_eq!(err.reply_code(), Some(553), "{err}");
            assert!(!up.join("missing").exists());
        }
    }
    assert!(s.pipelines());
}

/// An MDTM left over from an earlier download goes out with the next upload and that upload's
/// MFMT, and both are answered 213: each answer goes to its own command, in the order they were
/// sent (the MFMT's was taken for the MDTM's before, and the MDTM's for the MFMT's).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_left_over_mdtm_and_an_uploads_mfmt_each_get_their_own_reply() {
    let steps = vec![
        expect("STOR up.bin"),
        expect("MDTM old.bin"),
        expect("MFMT 20200101000000 up.bin"),
        expect("EPSV"),
        send("150 Ok to send data.\r\n"),
        Step::DataRecv,
        send("226 Transfer complete.\r\n"),
        send("213 20190303000000\r\n"),
        send("213 File modification time set.\r\n"),
        Step::EpsvReply,
        expect("NOOP"),
        send("200 ok\r\n"),
        Step::Hold,
    ];
    let fake = FakeServer::start(vsftpd_like(steps)).await;
    let mut s = Session::connect(fake_options(&fake), ferry::ftp::log::null_log())
        .await
        .unwrap();
    // A download asked for its file's time and then did not run.
    s.mdtm_ahead("old.bin");
    assert!(s.after_transfer("MFMT", b"20200101000000 up.bin".to_vec()));
    let sent = s
        .upload(&mut &b"payload"[..], "up.bin", 0, false, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(sent, 7);
    let after = s.after_answer().expect("the MFMT went with the upload");
    assert_eq!(
        (after.code, after.text().as_str()),
        (213, "File modification time set.")
    );
    assert_eq!(
        s.mdtm_answer("old.bin").await,
        chrono::NaiveDate::from_ymd_opt(2019, 3, 3).and_then(|d| d.and_hms_opt(0, 0, 0))
    );
    assert!(s.pipelines(), "in step: still pipelining");
    s.noop().await.unwrap();
    drop(s);
    let report = fake.finish().await;
    assert_eq!(report.uploaded, [b"payload".to_vec()]);
}

/// Over plain FTP the password never goes before the server has answered USER, even to a server
/// that takes one command at a time: a server refuses a user at USER (vsftpd's
/// `force_local_logins_ssl`, `userlist_deny`) precisely so that the password is not sent in
/// clear. The refusal is a clear login error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_refused_at_user_never_sends_the_password_in_clear() {
    let fake = FakeServer::start(vec![
        Step::Send(VSFTPD_GREETING.to_vec()),
        expect("USER"),
        send("530 Non-anonymous sessions must use encryption.\r\n"),
        Step::Hold,
    ])
    .await;
    let err = Session::connect(fake_options(&fake), ferry::ftp::log::null_log())
        .await
        .err()
        .expect("the login fails");
    assert!(
        matches!(&err, FtpError::Login { code: 530, text, .. } if text.contains("must use encryption")),
        "{err:?}"
    );
    let report = fake.finish().await;
    assert_eq!(
        report.commands.first().map(String::as_str),
        Some("USER user")
    );
    assert!(
        !report.commands.iter().any(|c| c.starts_with("PASS")),
        "{:?}",
        report.commands
    );
}

/// An anonymous login has no secret to keep: to a server that takes one command at a time,
/// USER and PASS go in one write (a round trip less per connection).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_anonymous_login_sends_user_and_pass_together() {
    let fake = FakeServer::start(vec![
        Step::Send(VSFTPD_GREETING.to_vec()),
        expect("USER anonymous"),
        expect("PASS"),
        send("331 ok\r\n230 logged in\r\n"),
        expect("FEAT"),
        expect("TYPE I"),
        expect("EPSV"),
        send("211-Features:\r\n EPSV\r\n211 End\r\n200 ok\r\n"),
        Step::EpsvReply,
        Step::Hold,
    ])
    .await;
    let mut o = fake_options(&fake);
    o.user = "anonymous".into();
    o.password = "guest@".into();
    let session = Session::connect(o, ferry::ftp::log::null_log()).await;
    assert!(session.is_ok(), "{:?}", session.err());
    drop(session);
    let report = fake.finish().await;
    assert!(
        report
            .commands
            .starts_with(&["USER anonymous".to_string(), "PASS guest@".to_string()]),
        "{:?}",
        report.commands
    );
}
