//! Text (ASCII) transfers (issue 13): `TYPE A` with line ends converted in the data copy.
//!
//! libunftp answers `TYPE A` with "200 Always in binary mode" and moves bytes unchanged, so to
//! Ferry it looks like a server whose files have CRLF line ends (a Windows server): an ASCII
//! upload of LF text stores CRLF there, and an ASCII download of CRLF text gives LF here. Auto's
//! choice needs a server that says it is Windows (SYST): a scripted one.

mod support;

use std::sync::{Arc, Mutex};

use ferry::engine::transfer::{Existing, Known, download_file, part_path, upload_file};
use ferry::ftp::ascii::TypeChoice;
use ferry::ftp::log::LogLine;
use ferry::ftp::{ConnectOptions, Session, SharedLog};
use support::cli::ferry;
use support::fake::{FakeServer, Step, login_script};
use support::server::{PASSWORD, ServerOptions, TestServer, USER};

fn capture() -> (SharedLog, Arc<Mutex<Vec<String>>>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let l2 = lines.clone();
    (
        Arc::new(move |l: LogLine| l2.lock().unwrap().push(l.text)),
        lines,
    )
}

async fn session(server: &TestServer, t: TypeChoice, log: SharedLog) -> Session {
    let mut opts = ConnectOptions::new("127.0.0.1", server.addr.port(), USER, PASSWORD);
    opts.transfer_type = Some(t);
    Session::connect(opts, log).await.unwrap()
}

/// Text with LF line ends, long enough to cross every buffer boundary, with a line end at
/// many different offsets.
fn lf_text() -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0u64;
    while out.len() < (3 << 20) + 17 {
        let len = (i * 7919) % 97;
        out.extend(std::iter::repeat_n(b'a' + (i % 26) as u8, len as usize));
        out.push(b'\n');
        i += 1;
    }
    out
}

fn to_crlf(lf: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(lf.len() * 2);
    for &b in lf {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ascii_upload_sends_crlf_and_ascii_download_gives_lf_back_exactly() {
    let server = TestServer::start(ServerOptions::default()).await;
    let work = tempfile::tempdir().unwrap();
    let text = lf_text();
    std::fs::write(work.path().join("page.html"), &text).unwrap();
    let (log, lines) = capture();
    let mut s = session(&server, TypeChoice::Ascii, log).await;

    let sent = upload_file(
        &mut s,
        &work.path().join("page.html"),
        b"page.html",
        Existing::Overwrite,
        None,
        &mut |_, _| {},
    )
    .await
    .expect("an ASCII upload whose SIZE counts CRLF is complete");
    assert_eq!(sent, text.len() as u64);
    let stored = std::fs::read(server.path("page.html")).unwrap();
    assert!(
        stored == to_crlf(&text),
        "the wire (and this server) got CRLF"
    );

    let target = work.path().join("back.html");
    let got = download_file(
        &mut s,
        b"page.html",
        &target,
        Existing::Overwrite,
        Known::default(),
        None,
        &mut |_, _| {},
    )
    .await
    .expect("an ASCII download whose SIZE counts CRLF is complete");
    assert_eq!(got, text.len() as u64);
    assert!(
        std::fs::read(&target).unwrap() == text,
        "LF line ends again"
    );
    let lines = lines.lock().unwrap().clone();
    assert!(lines.iter().any(|l| l == "TYPE A"), "{lines:?}");
    assert!(
        lines.iter().any(|l| l.contains("as text (TYPE A")),
        "the log says the file went as text"
    );
    // A binary transfer afterwards switches back.
    s.set_type(ferry::ftp::TransferType::Binary).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crlf_split_across_reads_and_a_lone_cr_are_kept_right() {
    let server = TestServer::start(ServerOptions::default()).await;
    // A CR at the end of the first 64 KiB read, its LF starting the next; a CR alone; a CR at
    // the very end.
    let mut wire = vec![b'x'; 65535];
    wire.extend_from_slice(b"\r\nlone\rcr\r\n");
    wire.extend(std::iter::repeat_n(b'y', 1 << 20));
    wire.extend_from_slice(b"\r\nend\r");
    std::fs::write(server.path("odd.txt"), &wire).unwrap();
    let mut want = vec![b'x'; 65535];
    want.extend_from_slice(b"\nlone\rcr\n");
    want.extend(std::iter::repeat_n(b'y', 1 << 20));
    want.extend_from_slice(b"\nend\r");
    let work = tempfile::tempdir().unwrap();
    let (log, _) = capture();
    let mut s = session(&server, TypeChoice::Ascii, log).await;
    let target = work.path().join("odd.txt");
    download_file(
        &mut s,
        b"odd.txt",
        &target,
        Existing::Overwrite,
        Known::default(),
        None,
        &mut |_, _| {},
    )
    .await
    .unwrap();
    assert!(std::fs::read(&target).unwrap() == want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ascii_resume_starts_over_instead_of_trusting_a_byte_offset() {
    let server = TestServer::start(ServerOptions::default()).await;
    let text = lf_text();
    std::fs::write(server.path("notes.txt"), to_crlf(&text)).unwrap();
    let work = tempfile::tempdir().unwrap();
    let target = work.path().join("notes.txt");
    // A partial copy: its length counts LF bytes, which the server's offsets do not.
    std::fs::write(part_path(&target), &text[..100_000]).unwrap();
    let (log, lines) = capture();
    let mut s = session(&server, TypeChoice::Ascii, log).await;
    download_file(
        &mut s,
        b"notes.txt",
        &target,
        Existing::Resume,
        Known::default(),
        None,
        &mut |_, _| {},
    )
    .await
    .unwrap();
    assert!(std::fs::read(&target).unwrap() == text);
    let lines = lines.lock().unwrap().clone();
    assert!(!lines.iter().any(|l| l.starts_with("REST")), "{lines:?}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("starting it over instead of resuming"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_is_binary_between_unix_systems() {
    let server = TestServer::start(ServerOptions::default()).await;
    let crlf = b"keep\r\nthese\r\n".to_vec();
    std::fs::write(server.path("a.txt"), &crlf).unwrap();
    let work = tempfile::tempdir().unwrap();
    let (log, lines) = capture();
    let mut s = session(&server, TypeChoice::Auto, log).await;
    assert!(!s.is_text_transfer(b"a.txt").await, "libunftp says UNIX");
    let target = work.path().join("a.txt");
    download_file(
        &mut s,
        b"a.txt",
        &target,
        Existing::Overwrite,
        Known::default(),
        None,
        &mut |_, _| {},
    )
    .await
    .unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), crlf, "byte for byte");
    let lines = lines.lock().unwrap().clone();
    assert!(lines.iter().any(|l| l == "SYST"), "{lines:?}");
    assert!(!lines.iter().any(|l| l == "TYPE A"), "{lines:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_chooses_ascii_for_text_endings_on_a_windows_server_only() {
    let mut script = login_script();
    script.extend([
        Step::Expect("SYST".into()),
        Step::Send(b"215 Windows_NT\r\n".to_vec()),
    ]);
    let fake = FakeServer::start(script).await;
    let mut opts = ConnectOptions::new("127.0.0.1", fake.addr.port(), USER, PASSWORD);
    opts.transfer_type = Some(TypeChoice::Auto);
    opts.text_endings = vec!["conf".into()];
    let mut s = Session::connect(opts, ferry::ftp::log::null_log())
        .await
        .unwrap();
    // Not a text ending: binary without asking the server anything.
    assert!(!s.is_text_transfer(b"photo.jpg").await);
    assert!(
        !s.is_text_transfer(b"index.html").await,
        "only the endings configured"
    );
    assert!(s.is_text_transfer(b"etc/app.CONF").await);
    assert!(
        s.is_text_transfer(b"other.conf").await,
        "SYST is asked once"
    );
    let report = fake.finish().await;
    assert_eq!(
        report.commands.iter().filter(|c| *c == "SYST").count(),
        1,
        "{:?}",
        report.commands
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_type_a_converts_and_type_i_and_auto_do_not() {
    let server = TestServer::start(ServerOptions::default()).await;
    std::fs::write(server.path("r.txt"), b"one\r\ntwo\r\n").unwrap();
    let work = tempfile::tempdir().unwrap();
    for (t, want) in [
        ("a", b"one\ntwo\n".as_slice()),
        ("i", b"one\r\ntwo\r\n".as_slice()),
        ("auto", b"one\r\ntwo\r\n".as_slice()),
    ] {
        let out = format!("r-{t}.txt");
        let o = ferry(
            &["get", "--type", t, &server.url("/r.txt"), &out],
            work.path(),
        )
        .await;
        assert!(
            o.status.success(),
            "--type {t}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(
            std::fs::read(work.path().join(&out)).unwrap(),
            want,
            "--type {t}"
        );
    }
    std::fs::write(work.path().join("up.txt"), b"x\ny\n").unwrap();
    let o = ferry(
        &["put", "--type", "a", "up.txt", &server.url("/up.txt")],
        work.path(),
    )
    .await;
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read(server.path("up.txt")).unwrap(), b"x\r\ny\r\n");
}
