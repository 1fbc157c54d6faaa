//! The `ferry` binary end to end against the in-process libunftp server.

mod support;

use std::path::Path;
use std::process::Output;

use support::cli::Ferry;
use support::server::{PASSWORD, ServerOptions, TestServer};
use support::{random_bytes, sha256_hex};

/// Run `ferry ARGS` with the test password in the environment, off the async threads.
async fn ferry(args: &[&str], cwd: &Path) -> Output {
    ferry_with_password(args, cwd, PASSWORD).await
}

async fn ferry_with_password(args: &[&str], cwd: &Path, password: &str) -> Output {
    // TLS runs retry only on libunftp's own AUTH TLS race (see support).
    let mut output = ferry_once(args, cwd, password).await;
    for _ in 0..2 {
        if !support::is_libunftp_auth_tls_race(&stderr(&output)) {
            break;
        }
        output = ferry_once(args, cwd, password).await;
    }
    output
}

async fn ferry_once(args: &[&str], cwd: &Path, password: &str) -> Output {
    Ferry::new(args)
        .cwd(cwd)
        .password(Some(password))
        .run()
        .await
}

/// Run `ferry ARGS` with `config` as its config folder and the test password.
async fn ferry_with_config(args: &[&str], cwd: &Path, config: &Path) -> Output {
    Ferry::new(args).cwd(cwd).config(config).run().await
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_ls_get_mv_rm_round_trip() {
    let server = TestServer::start(ServerOptions {
        tls: false,
        active: true,
    })
    .await;
    let work = tempfile::tempdir().unwrap();
    let data = random_bytes(700_000, 3);
    std::fs::write(work.path().join("local.bin"), &data).unwrap();

    let o = ferry(&["put", "local.bin", &server.url("/up.bin")], work.path()).await;
    assert!(o.status.success(), "put: {}", stderr(&o));
    assert_eq!(
        sha256_hex(&std::fs::read(server.path("up.bin")).unwrap()),
        sha256_hex(&data)
    );

    let o = ferry(&["mkdir", &server.url("/folder")], work.path()).await;
    assert!(o.status.success(), "mkdir: {}", stderr(&o));
    assert!(server.path("folder").is_dir());

    let o = ferry(&["ls", &server.url("/")], work.path()).await;
    assert!(o.status.success(), "ls: {}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("up.bin") && out.contains("700000"), "{out}");
    assert!(
        out.lines().next().unwrap_or("").contains("folder/"),
        "folders first: {out}"
    );

    let o = ferry(
        &["--active", "get", &server.url("/up.bin"), "back.bin"],
        work.path(),
    )
    .await;
    assert!(o.status.success(), "get --active: {}", stderr(&o));
    assert_eq!(
        sha256_hex(&std::fs::read(work.path().join("back.bin")).unwrap()),
        sha256_hex(&data)
    );
    assert!(!work.path().join("back.bin.part").exists());

    let o = ferry(&["mv", &server.url("/up.bin"), "renamed.bin"], work.path()).await;
    assert!(o.status.success(), "mv: {}", stderr(&o));
    assert!(server.path("renamed.bin").is_file() && !server.path("up.bin").exists());

    let o = ferry(&["rm", &server.url("/renamed.bin")], work.path()).await;
    assert!(o.status.success(), "rm: {}", stderr(&o));
    let o = ferry(&["rm", "-d", &server.url("/folder")], work.path()).await;
    assert!(o.status.success(), "rm -d: {}", stderr(&o));
    assert!(
        std::fs::read_dir(server.root.path())
            .unwrap()
            .next()
            .is_none(),
        "server folder empty"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_into_a_folder_uses_the_remote_name_and_continue_resumes() {
    let server = TestServer::start(ServerOptions {
        tls: false,
        active: false,
    })
    .await;
    let work = tempfile::tempdir().unwrap();
    let data = random_bytes(900_001, 11);
    std::fs::write(server.path("file.dat"), &data).unwrap();
    // A previous run left the first part behind.
    std::fs::write(work.path().join("file.dat.part"), &data[..300_000]).unwrap();

    let o = ferry(
        &["get", "--continue", &server.url("/file.dat"), "."],
        work.path(),
    )
    .await;
    assert!(o.status.success(), "get --continue: {}", stderr(&o));
    assert_eq!(
        sha256_hex(&std::fs::read(work.path().join("file.dat")).unwrap()),
        sha256_hex(&data)
    );
    assert!(!work.path().join("file.dat.part").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_continue_resumes_a_partial_upload() {
    let server = TestServer::start(ServerOptions {
        tls: false,
        active: false,
    })
    .await;
    let work = tempfile::tempdir().unwrap();
    let data = random_bytes(500_000, 12);
    std::fs::write(work.path().join("big.bin"), &data).unwrap();
    std::fs::write(server.path("big.bin"), &data[..123_456]).unwrap();
    let o = ferry(&["put", "-c", "big.bin", &server.url("/")], work.path()).await;
    assert!(o.status.success(), "put -c: {}", stderr(&o));
    assert_eq!(
        sha256_hex(&std::fs::read(server.path("big.bin")).unwrap()),
        sha256_hex(&data)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_codes_tell_login_transfer_and_usage_failures_apart() {
    let server = TestServer::start(ServerOptions {
        tls: false,
        active: false,
    })
    .await;
    let work = tempfile::tempdir().unwrap();

    let o = ferry_with_password(&["ls", &server.url("/")], work.path(), "wrong").await;
    assert_eq!(o.status.code(), Some(3), "bad password: {}", stderr(&o));
    assert!(
        stderr(&o).starts_with("ferry: login failed: 530"),
        "{}",
        stderr(&o)
    );

    let o = ferry(&["get", &server.url("/missing.bin")], work.path()).await;
    assert_eq!(o.status.code(), Some(4), "missing file: {}", stderr(&o));
    assert!(
        !work.path().join("missing.bin").exists(),
        "no file named like a finished download"
    );

    let o = ferry(&["get", "http://example.org/x"], work.path()).await;
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));

    let o = ferry(&["ls", "ftp://127.0.0.1:1/"], work.path()).await;
    assert_eq!(
        o.status.code(),
        Some(3),
        "refused connection: {}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("control connection failed"),
        "{}",
        stderr(&o)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verbose_prints_the_protocol_log_with_the_password_masked() {
    let server = TestServer::start(ServerOptions {
        tls: false,
        active: false,
    })
    .await;
    let work = tempfile::tempdir().unwrap();
    let o = ferry(&["-v", "ls", &server.url("/")], work.path()).await;
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("> USER alice") && err.contains("> PASS ****"),
        "{err}"
    );
    assert!(err.contains("< 230"), "{err}");
    assert!(!err.contains(PASSWORD));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_stops_on_an_unknown_certificate_and_works_when_pinned() {
    let server = TestServer::start(ServerOptions {
        tls: true,
        active: false,
    })
    .await;
    let work = tempfile::tempdir().unwrap();
    let fp = server.cert_sha256_hex.clone().unwrap();

    let o = ferry(&["--tls", "ls", &server.url("/")], work.path()).await;
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("not trusted") && err.contains(&format!("--fingerprint {fp}")),
        "{err}"
    );
    assert!(err.contains("subject:"), "{err}");

    std::fs::write(work.path().join("s.txt"), b"over tls").unwrap();
    let o = ferry(
        &[
            "--tls",
            "--fingerprint",
            &fp,
            "put",
            "s.txt",
            &server.url("/"),
        ],
        work.path(),
    )
    .await;
    assert!(o.status.success(), "pinned put: {}", stderr(&o));
    assert_eq!(std::fs::read(server.path("s.txt")).unwrap(), b"over tls");

    let o = ferry(
        &["--tls", "--insecure", "ls", &server.url("/")],
        work.path(),
    )
    .await;
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("warning: --insecure"), "{}", stderr(&o));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recursive_get_put_and_mirror_copy_folders_and_only_what_changed() {
    let server = TestServer::start(ServerOptions::default()).await;
    std::fs::create_dir_all(server.path("tree/sub/deeper")).unwrap();
    std::fs::write(server.path("tree/a.txt"), b"alpha").unwrap();
    std::fs::write(server.path("tree/sub/b.bin"), random_bytes(300_000, 9)).unwrap();
    std::fs::write(server.path("tree/sub/deeper/c.txt"), b"gamma").unwrap();
    let work = tempfile::tempdir().unwrap();

    // `out` does not exist: it becomes the copy.
    let o = ferry(
        &["get", "-r", "-j", "3", &server.url("/tree/"), "out"],
        work.path(),
    )
    .await;
    assert!(o.status.success(), "get -r: {}", stderr(&o));
    let original = support::files_under(&server.path("tree"));
    assert_eq!(original.len(), 3);
    assert_eq!(support::files_under(&work.path().join("out")), original);

    // `copy/` exists on the server: the folder goes inside it.
    std::fs::create_dir(server.path("copy")).unwrap();
    let o = ferry(&["put", "-r", "out", &server.url("/copy/")], work.path()).await;
    assert!(o.status.success(), "put -r: {}", stderr(&o));
    assert_eq!(support::files_under(&server.path("copy/out")), original);

    // Mirror: only the changed file moves.
    std::fs::write(server.path("tree/a.txt"), b"alpha, longer now").unwrap();
    let o = ferry(&["mirror", "-v", &server.url("/tree"), "out"], work.path()).await;
    assert!(o.status.success(), "mirror: {}", stderr(&o));
    let retrs: Vec<String> = stderr(&o)
        .lines()
        .filter(|l| l.contains("> RETR "))
        .map(str::to_string)
        .collect();
    assert_eq!(retrs.len(), 1, "{retrs:?}");
    assert!(retrs[0].ends_with("tree/a.txt"), "{retrs:?}");
    assert_eq!(
        std::fs::read(work.path().join("out/a.txt")).unwrap(),
        b"alpha, longer now"
    );

    // An existing folder receives the copy inside it; --if-exists skip
    // leaves files that are there alone and fetches the rest.
    std::fs::create_dir_all(work.path().join("again/tree")).unwrap();
    std::fs::write(work.path().join("again/tree/a.txt"), b"mine").unwrap();
    let o = ferry(
        &[
            "get",
            "-r",
            "--if-exists",
            "skip",
            &server.url("/tree"),
            "again",
        ],
        work.path(),
    )
    .await;
    assert!(o.status.success(), "get -r skip: {}", stderr(&o));
    assert!(stderr(&o).contains("1 skipped"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(work.path().join("again/tree/a.txt")).unwrap(),
        b"mine"
    );
    assert_eq!(
        std::fs::read(work.path().join("again/tree/sub/deeper/c.txt")).unwrap(),
        b"gamma"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sites_import_filezilla_list_and_export_never_write_a_password() {
    let work = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    // "hunter2-secret" in base64, as FileZilla stores it.
    let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<FileZilla3>
  <Servers>
    <Folder expanded="1">Work
      <Server>
        <Host>ftp.example.org</Host><Port>21</Port><Protocol>0</Protocol>
        <Logontype>1</Logontype><User>alice</User>
        <Pass encoding="base64">aHVudGVyMi1zZWNyZXQ=</Pass>
        <PasvMode>MODE_ACTIVE</PasvMode>
        <Name>Build box</Name>
      </Server>
    </Folder>
    <Server>
      <Host>sftp.example.org</Host><Port>22</Port><Protocol>1</Protocol>
      <Logontype>0</Logontype><Name>Secure shell</Name>
    </Server>
  </Servers>
</FileZilla3>"#;
    std::fs::write(work.path().join("sitemanager.xml"), xml).unwrap();
    let run = |args: &'static [&'static str]| ferry_with_config(args, work.path(), config.path());
    let o = run(&["sites", "import", "sitemanager.xml"]).await;
    assert!(o.status.success(), "import: {}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("Imported 1 site into") && out.contains("Work/Build box"),
        "{out}"
    );
    assert!(
        out.contains("Skipped Secure shell: SFTP is not supported"),
        "{out}"
    );

    let o = run(&["sites", "list"]).await;
    assert!(o.status.success(), "list: {}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("Work/Build box\tftp://alice@ftp.example.org:21\tactive"),
        "{out}"
    );

    let o = run(&["sites", "export", "exported.toml"]).await;
    assert!(o.status.success(), "export: {}", stderr(&o));
    let exported = std::fs::read_to_string(work.path().join("exported.toml")).unwrap();
    assert!(exported.contains("ftp.example.org"), "{exported}");
    let o = run(&["sites", "export", "exported.toml"]).await;
    assert_eq!(
        o.status.code(),
        Some(2),
        "an existing file is not overwritten"
    );

    // This machine has no keyring service: the password is dropped, never written.
    for dir in [config.path(), work.path()] {
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            let bytes = std::fs::read(&path).unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                !text.contains("hunter2-secret"),
                "password in {}",
                path.display()
            );
            if path.file_name().is_some_and(|n| n != "sitemanager.xml") {
                assert!(!text.contains("aHVudGVyMi1zZWNyZXQ="), "{}", path.display());
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_site_is_addressed_as_site_name_with_a_path() {
    let server = TestServer::start(ServerOptions::default()).await;
    std::fs::create_dir(server.path("pub")).unwrap();
    std::fs::write(server.path("pub/hello.txt"), b"hello via a site").unwrap();
    let work = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<FileZilla3><Servers><Folder>Lab
  <Server><Host>127.0.0.1</Host><Port>{}</Port><Protocol>0</Protocol>
    <Logontype>1</Logontype><User>{}</User><PasvMode>MODE_PASSIVE</PasvMode>
    <Name>Test box</Name></Server>
</Folder></Servers></FileZilla3>"#,
        server.addr.port(),
        support::server::USER
    );
    std::fs::write(work.path().join("fz.xml"), xml).unwrap();
    let run = |args: Vec<&str>| {
        let args: Vec<String> = args.into_iter().map(str::to_string).collect();
        let (work, config) = (work.path().to_path_buf(), config.path().to_path_buf());
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            ferry_with_config(&args, &work, &config).await
        }
    };
    let o = run(vec!["sites", "import", "fz.xml"]).await;
    assert!(o.status.success(), "import: {}", stderr(&o));

    let o = run(vec!["ls", "site:Lab/Test box/pub/"]).await;
    assert!(o.status.success(), "ls: {}", stderr(&o));
    assert!(stdout(&o).contains("hello.txt"), "{}", stdout(&o));

    // A bare name works too, and the path after it names the file.
    let o = run(vec!["get", "site:Test box/pub/hello.txt"]).await;
    assert!(o.status.success(), "get: {}", stderr(&o));
    assert_eq!(
        std::fs::read(work.path().join("hello.txt")).unwrap(),
        b"hello via a site"
    );

    let o = run(vec!["ls", "site:Nobody"]).await;
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("no saved site is called"),
        "{}",
        stderr(&o)
    );
}

/// A fake server for `ferry ls` whose passive data port hangs and whose
/// active listing is `listing`.
fn blocked_passive_ls(listing: &[u8]) -> Vec<support::fake::Step> {
    use support::fake::{Step, login_script, passive_blocked_active_listing};
    let mut steps = login_script();
    steps.extend([
        Step::Expect("TYPE I".into()),
        Step::Send(b"200 ok\r\n".to_vec()),
    ]);
    steps.extend(passive_blocked_active_listing(listing));
    steps.extend([
        Step::Expect("QUIT".into()),
        Step::Send(b"221 bye\r\n".to_vec()),
    ]);
    steps
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_prints_why_it_switched_to_active_and_lists() {
    let fake = support::fake::FakeServer::start(blocked_passive_ls(
        b"-rw-r--r-- 1 u g 5 Jan  1  2024 via-active.txt\r\n",
    ))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("ftp://user@127.0.0.1:{}/", fake.addr.port());
    let started = std::time::Instant::now();
    let out = ferry(&["ls", "--auto", "--timeout", "2", &url], dir.path()).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert!(stdout(&out).contains("via-active.txt"), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.starts_with("ferry: Passive data connection to 127.0.0.1:")
            && err.contains("timed out after 2 s; switched to active mode"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "only the notice, no log: {err}");
    fake.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diagnose_prints_a_table_and_a_verdict_and_exits_by_it() {
    let server = TestServer::start(ServerOptions {
        tls: false,
        active: true,
    })
    .await;
    let work = tempfile::tempdir().unwrap();
    let o = ferry(&["diagnose", &server.url("/")], work.path()).await;
    let out = stdout(&o);
    assert!(o.status.success(), "{out}{}", stderr(&o));
    for label in [
        "Connect to the control port",
        "Log in",
        "List through EPSV (passive)",
        "List through PORT (active)",
    ] {
        assert!(
            out.lines()
                .any(|l| l.starts_with(label) && l[label.len()..].trim_start().starts_with("ok ")),
            "{label:?} ok in:\n{out}"
        );
    }
    assert!(out.contains("\nEverything works"), "{out}");

    let o = ferry_with_password(&["diagnose", &server.url("/")], work.path(), "wrong").await;
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("\nThe server answers, but login failed: 530"),
        "{out}"
    );
    assert!(
        !out.contains("wrong") && !stderr(&o).contains("wrong"),
        "the password never shows: {out}{}",
        stderr(&o)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auto_site_remembers_the_mode_that_worked() {
    use ferry::sites::{ConnectionMode, LogonType, Site, SiteList, SiteStore};
    let fake = support::fake::FakeServer::start(blocked_passive_ls(
        b"-rw-r--r-- 1 u g 5 Jan  1  2024 a.txt\r\n",
    ))
    .await;
    let config = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let store = SiteStore::at(config.path());
    let mut site = Site::new("Behind NAT", "127.0.0.1");
    site.port = Some(fake.addr.port());
    site.logon = LogonType::Normal;
    site.user = "user".into();
    site.timeout_secs = Some(2);
    assert_eq!(site.mode, ConnectionMode::Auto);
    let id = site.id.clone();
    let mut list = SiteList::default();
    list.sites.push(site);
    store.save(&list).unwrap();

    let o = ferry_with_config(&["ls", "site:Behind NAT/"], work.path(), config.path()).await;
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("a.txt"));
    let err = stderr(&o);
    assert!(err.contains("switched to active mode"), "{err}");
    assert!(
        err.contains("site Behind NAT: active mode saved as the one that works"),
        "{err}"
    );
    let saved = store.load().unwrap();
    assert_eq!(
        saved.sites.get(&id).unwrap().last_working_mode,
        Some(ConnectionMode::Active)
    );
    fake.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_legacy_charset_names_local_files_right_and_keeps_the_server_bytes() {
    use support::fake::{FakeServer, Step};
    let steps = vec![
        Step::Send(b"220 fake ready\r\n".to_vec()),
        Step::Expect("USER".into()),
        Step::Send(b"331 ok\r\n".to_vec()),
        Step::Expect("PASS".into()),
        Step::Send(b"230 logged in\r\n".to_vec()),
        Step::Expect("FEAT".into()),
        Step::Send(b"211-Features:\r\n EPSV\r\n UTF8\r\n211 End\r\n".to_vec()),
        // No OPTS UTF8 ON: the names are ISO-8859-1, whatever FEAT says.
        Step::Expect("TYPE I".into()),
        Step::Send(b"200 ok\r\n".to_vec()),
        Step::Expect("SIZE caf".into()),
        Step::Send(b"213 5\r\n".to_vec()),
        Step::Expect("MDTM caf".into()),
        Step::Send(b"550 no time\r\n".to_vec()),
        Step::Expect("EPSV".into()),
        Step::EpsvReply,
        Step::Expect("RETR caf".into()),
        Step::Send(b"150 here\r\n".to_vec()),
        Step::DataSend(b"hello".to_vec()),
        Step::Send(b"226 done\r\n".to_vec()),
        Step::Expect("QUIT".into()),
        Step::Send(b"221 bye\r\n".to_vec()),
    ];
    let fake = FakeServer::start(steps).await;
    let work = tempfile::tempdir().unwrap();
    let url = format!("ftp://user@127.0.0.1:{}/caf%E9.txt", fake.addr.port());
    let o = ferry(&["get", "--charset", "iso-8859-1", &url], work.path()).await;
    let report = fake.finish().await;
    assert!(o.status.success(), "{}\n{:?}", stderr(&o), report.commands);
    assert_eq!(
        std::fs::read(work.path().join("café.txt")).unwrap(),
        b"hello",
        "the local copy is named in UTF-8"
    );
    assert!(
        !report.commands.iter().any(|c| c.starts_with("OPTS")),
        "{:?}",
        report.commands
    );
    // The server got its own byte 0xE9 (not UTF-8 "é"), shown here as U+FFFD.
    assert!(
        report
            .commands
            .contains(&"RETR caf\u{fffd}.txt".to_string()),
        "{:?}",
        report.commands
    );
    let o = ferry(&["ls", "--charset", "klingon", &url], work.path()).await;
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown charset"), "{}", stderr(&o));
}

/// Run `ferry ARGS` with `input` on its standard input.
async fn ferry_with_stdin(args: &[&str], cwd: &Path, input: Vec<u8>) -> Output {
    use std::io::Write;
    let mut command = Ferry::new(args).cwd(cwd).command();
    tokio::task::spawn_blocking(move || {
        let mut child = command
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run ferry");
        let mut stdin = child.stdin.take().expect("ferry's stdin");
        // Written from a thread while the output is read, so neither side waits on a full pipe.
        // Ferry may stop before reading it all (a usage error): a closed
        // pipe is then its answer, not the test's failure.
        let writer = std::thread::spawn(move || match stdin.write_all(&input) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                panic!("write to ferry's stdin: {e}")
            }
            _ => {}
        });
        let output = child.wait_with_output().expect("wait for ferry");
        writer.join().expect("stdin writer");
        output
    })
    .await
    .expect("join")
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

#[cfg(unix)]
fn is_fifo(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::symlink_metadata(path)
        .map(|m| m.file_type().is_fifo())
        .unwrap_or(false)
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_writes_into_a_fifo_or_device_and_through_a_symlink_never_replacing_them() {
    use std::os::unix::fs::{FileTypeExt, symlink};
    let server = TestServer::start(ServerOptions::default()).await;
    let work = tempfile::tempdir().unwrap();
    let data = random_bytes(300_000, 21);
    std::fs::write(server.path("f.bin"), &data).unwrap();

    // A FIFO: written into as it is, read by someone else. "skip" does not
    // apply: a pipe is a destination, not an earlier copy.
    let fifo = work.path().join("pipe");
    mkfifo(&fifo);
    let (tx, rx) = std::sync::mpsc::channel();
    let reader_path = fifo.clone();
    std::thread::spawn(move || {
        let _ = tx.send(std::fs::read(reader_path));
    });
    let o = ferry(
        &["get", "--if-exists", "skip", &server.url("/f.bin"), "pipe"],
        work.path(),
    )
    .await;
    assert!(o.status.success(), "get into a FIFO: {}", stderr(&o));
    let read = rx
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the FIFO's reader got to the end")
        .expect("read the FIFO");
    assert_eq!(sha256_hex(&read), sha256_hex(&data));
    assert!(is_fifo(&fifo), "the FIFO is still a FIFO");
    assert!(!work.path().join("pipe.part").exists());

    // A link to /dev/null: the device takes the bytes and stays a device.
    let null = work.path().join("null");
    symlink("/dev/null", &null).unwrap();
    let o = ferry(&["get", &server.url("/f.bin"), "null"], work.path()).await;
    assert!(o.status.success(), "get into /dev/null: {}", stderr(&o));
    assert!(
        std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );
    assert!(!Path::new("/dev/null.part").exists());
    assert!(std::fs::symlink_metadata(&null).unwrap().is_symlink());
    assert!(!work.path().join("null.part").exists());

    // A link to a file elsewhere: the file gets the download, the link stays.
    let real_dir = work.path().join("real");
    std::fs::create_dir(&real_dir).unwrap();
    std::fs::write(real_dir.join("file.bin"), b"old").unwrap();
    symlink("real/file.bin", work.path().join("link.bin")).unwrap();
    let o = ferry(&["get", &server.url("/f.bin"), "link.bin"], work.path()).await;
    assert!(o.status.success(), "get through a link: {}", stderr(&o));
    assert!(
        std::fs::symlink_metadata(work.path().join("link.bin"))
            .unwrap()
            .is_symlink(),
        "the link is not replaced"
    );
    assert_eq!(
        sha256_hex(&std::fs::read(real_dir.join("file.bin")).unwrap()),
        sha256_hex(&data)
    );
    assert!(!real_dir.join("file.bin.part").exists());
    assert!(!work.path().join("link.bin.part").exists());

    // A link to nothing is not followed into creating a file somewhere.
    symlink("nowhere/x.bin", work.path().join("dangling.bin")).unwrap();
    let o = ferry(&["get", &server.url("/f.bin"), "dangling.bin"], work.path()).await;
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(stderr(&o).contains("does not exist"), "{}", stderr(&o));
    assert!(!work.path().join("nowhere").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_dash_writes_to_stdout_and_put_dash_reads_stdin() {
    let server = TestServer::start(ServerOptions::default()).await;
    let work = tempfile::tempdir().unwrap();
    let data = random_bytes(1_500_000, 22);
    std::fs::write(server.path("out.bin"), &data).unwrap();

    let o = ferry(&["get", &server.url("/out.bin"), "-"], work.path()).await;
    assert!(o.status.success(), "get -: {}", stderr(&o));
    assert_eq!(
        sha256_hex(&o.stdout),
        sha256_hex(&data),
        "the file on stdout"
    );
    assert!(o.stderr.len() < 1000, "only messages on stderr");
    assert!(
        std::fs::read_dir(work.path()).unwrap().next().is_none(),
        "no local file (no `-`, no .part)"
    );

    let input = random_bytes(700_003, 23);
    let o = ferry_with_stdin(
        &["put", "-", &server.url("/in.bin")],
        work.path(),
        input.clone(),
    )
    .await;
    assert!(o.status.success(), "put -: {}", stderr(&o));
    assert_eq!(
        sha256_hex(&std::fs::read(server.path("in.bin")).unwrap()),
        sha256_hex(&input)
    );

    // Standard input has no name to put into a folder.
    let o = ferry_with_stdin(&["put", "-", &server.url("/")], work.path(), b"x".to_vec()).await;
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("standard input has no name"),
        "{}",
        stderr(&o)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_download_leaves_no_empty_part_but_keeps_one_with_data() {
    let server = TestServer::start(ServerOptions::default()).await;
    let work = tempfile::tempdir().unwrap();

    let o = ferry(&["get", &server.url("/missing.bin")], work.path()).await;
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(stderr(&o).contains("550"), "{}", stderr(&o));
    assert!(
        !work.path().join("missing.bin.part").exists(),
        "no empty .part left behind"
    );
    assert!(!work.path().join("missing.bin").exists());

    // What an earlier run received stays, to be resumed later.
    std::fs::write(work.path().join("gone.bin.part"), b"first half").unwrap();
    let o = ferry(&["get", "-c", &server.url("/gone.bin")], work.path()).await;
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(work.path().join("gone.bin.part")).unwrap(),
        b"first half"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_names_files_for_a_latin1_site_as_the_queue_does() {
    let server = TestServer::start(ServerOptions::default()).await;
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("café.txt"), b"one").unwrap();
    let tree = work.path().join("tree");
    std::fs::create_dir(&tree).unwrap();
    std::fs::write(tree.join("déjà.txt"), b"two").unwrap();
    std::fs::write(work.path().join("日本.txt"), b"three").unwrap();

    let latin1 = ["--charset", "iso-8859-1"];
    let o = ferry(
        &[&latin1[..], &["put", "café.txt", &server.url("/")]].concat(),
        work.path(),
    )
    .await;
    assert!(o.status.success(), "put: {}", stderr(&o));
    let o = ferry(
        &[&latin1[..], &["put", "-r", "tree", &server.url("/")]].concat(),
        work.path(),
    )
    .await;
    assert!(o.status.success(), "put -r: {}", stderr(&o));
    // The server got the ISO-8859-1 byte E9 (not UTF-8 "é"); libunftp
    // reads command lines as UTF-8 and stores that byte as U+FFFD.
    assert_eq!(
        std::fs::read(server.path("caf\u{fffd}.txt")).unwrap(),
        b"one"
    );
    assert!(!server.path("café.txt").exists());
    assert_eq!(
        std::fs::read(server.path("tree/d\u{fffd}j\u{fffd}.txt")).unwrap(),
        b"two",
        "put -r (the queue) names it the same way"
    );

    // A name ISO-8859-1 cannot hold is refused, not sent as something else.
    let o = ferry(
        &[&latin1[..], &["put", "日本.txt", &server.url("/")]].concat(),
        work.path(),
    )
    .await;
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("cannot encode"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_dir(server.root.path()).unwrap().count(),
        2,
        "nothing else was uploaded"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_in_the_way_of_a_download_is_a_clear_error() {
    let server = TestServer::start(ServerOptions::default()).await;
    let work = tempfile::tempdir().unwrap();
    std::fs::write(server.path("x.bin"), b"data").unwrap();
    std::fs::create_dir_all(work.path().join("into/x.bin")).unwrap();
    let o = ferry(
        &["get", "--if-exists", "skip", &server.url("/x.bin"), "into"],
        work.path(),
    )
    .await;
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("a folder with this name is in the way"),
        "{}",
        stderr(&o)
    );
    assert!(work.path().join("into/x.bin").is_dir());
}

/// A running `ferry serve-demo`, killed if a test fails before stopping it.
struct ServeDemo {
    child: std::process::Child,
    url: String,
    folder: std::path::PathBuf,
}

impl ServeDemo {
    /// Start `ferry serve-demo ARGS` and read its URL and folder from what it prints.
    async fn start(args: &[&str]) -> ServeDemo {
        let mut command = Ferry::new(std::iter::once(&"serve-demo").chain(args)).command();
        tokio::task::spawn_blocking(move || {
            use std::io::BufRead;
            let mut child = command
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("run ferry serve-demo");
            let stdout = child.stdout.take().unwrap();
            let (mut url, mut folder) = (None, None);
            for line in std::io::BufReader::new(stdout).lines() {
                let line = line.expect("read serve-demo's output");
                if let Some(at) = line.find("ftp://") {
                    url = Some(line[at..].trim().to_string());
                }
                if let Some(rest) = line.strip_prefix("Folder:") {
                    let path = rest.trim().rsplit_once(" (").unwrap().0;
                    folder = Some(std::path::PathBuf::from(path));
                }
                if line.contains("Ctrl+C") {
                    break;
                }
            }
            ServeDemo {
                url: url.expect("serve-demo prints its URL"),
                folder: folder.expect("serve-demo prints its folder"),
                child,
            }
        })
        .await
        .unwrap()
    }

    /// Press Ctrl+C (SIGINT) and wait (20 s at most) for it to exit.
    async fn stop(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let status = std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap();
        assert!(status.success());
        tokio::task::spawn_blocking(move || {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
            loop {
                if let Some(status) = self.child.try_wait().unwrap() {
                    return status;
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "serve-demo stops within 20 s of Ctrl+C"
                );
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        })
        .await
        .unwrap()
    }
}

impl Drop for ServeDemo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_demo_prints_a_url_that_ls_lists_and_stops_on_ctrl_c() {
    let work = tempfile::tempdir().unwrap();
    let demo = ServeDemo::start(&[]).await;
    assert!(
        demo.url.starts_with("ftp://demo:demo@127.0.0.1:"),
        "{}",
        demo.url
    );
    assert!(demo.folder.join("Many files").is_dir());

    let out = ferry(&["ls", &demo.url], work.path()).await;
    assert!(out.status.success(), "{}", stderr(&out));
    for name in ["Many files", "Read me.txt", "Documents"] {
        assert!(
            stdout(&out).contains(name),
            "{name} missing: {}",
            stdout(&out)
        );
    }
    let many = format!("{}Many%20files/", demo.url);
    let out = ferry(&["ls", &many], work.path()).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 5_000);

    let folder = demo.folder.clone();
    let status = demo.stop().await;
    assert!(
        status.success(),
        "Ctrl+C is serve-demo's normal end: {status}"
    );
    assert!(!folder.exists(), "the temporary folder is deleted on exit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_demo_serves_a_chosen_folder_on_a_chosen_port_and_keeps_it() {
    let work = tempfile::tempdir().unwrap();
    let served = work.path().join("served");
    std::fs::create_dir(&served).unwrap();
    std::fs::write(served.join("mine.txt"), b"my own file").unwrap();
    // A port that was free a moment ago (the OS picks it).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();

    let demo = ServeDemo::start(&[
        "--port",
        &port.to_string(),
        "--dir",
        served.to_str().unwrap(),
    ])
    .await;
    assert_eq!(demo.url, format!("ftp://demo:demo@127.0.0.1:{port}/"));
    assert_eq!(demo.folder, served);
    let out = ferry(&["ls", &demo.url], work.path()).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("mine.txt"), "{}", stdout(&out));
    assert!(
        !stdout(&out).contains("Many files"),
        "a folder with files in it is served as it is: {}",
        stdout(&out)
    );

    // The port is taken now: a second server says so and exits.
    let second = Ferry::new(["serve-demo", "--port", &port.to_string()])
        .run()
        .await;
    assert!(!second.status.success());
    assert!(stderr(&second).contains("--port"), "{}", stderr(&second));

    let status = demo.stop().await;
    assert!(status.success(), "{status}");
    assert_eq!(
        std::fs::read(served.join("mine.txt")).unwrap(),
        b"my own file"
    );
}
