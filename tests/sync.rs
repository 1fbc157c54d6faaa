//! Comparing and synchronizing folders (`ferry sync` and `ferry::sync`)
//! against a real server: the in-process libunftp, a scripted server for a
//! LIST-only server in another time zone, and proftpd for checksums.

mod support;

use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, SystemTime};

use ferry::engine::Side;
use ferry::ftp::{ConnectOptions, DataMode, Session};
use ferry::sync::{
    Action, CompareOptions, Reason, SyncDirection, SyncJob, SyncOptions, WalkOptions,
};
use support::cli::Ferry;
use support::fake::{FakeServer, Step, login_script};
use support::server::{PASSWORD, ServerOptions, TestServer, USER};

async fn ferry(args: &[&str], cwd: &Path) -> Output {
    Ferry::new(args)
        .cwd(cwd)
        // The saved sync state goes beside the folders, not into the home folder.
        .env("FERRY_DATA_DIR", cwd.join(".ferry-data"))
        .run()
        .await
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The protocol lines `> VERB …` the client sent (from the -v log).
fn sent(o: &Output, verb: &str) -> Vec<String> {
    let needle = format!("> {verb} ");
    stderr(o)
        .lines()
        .filter(|l| l.contains(&needle))
        .map(str::to_string)
        .collect()
}

fn write(path: &Path, bytes: &[u8]) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("mkdir");
    }
    std::fs::write(path, bytes).expect("write");
}

/// Set a file's modification time to `ago` before now.
fn age(path: &Path, ago: Duration) {
    let file = std::fs::File::options()
        .write(true)
        .open(path)
        .expect("open to set its time");
    file.set_modified(SystemTime::now() - ago)
        .expect("set the time");
}

const HOUR: Duration = Duration::from_secs(3600);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_sync_copies_only_changes_and_then_plans_nothing() {
    let server = TestServer::start(ServerOptions::default()).await;
    write(&server.path("site/index.html"), b"<h1>hello</h1>");
    write(&server.path("site/css/style.css"), b"body{}");
    write(
        &server.path("site/img/logo.png"),
        &support::random_bytes(70_000, 3),
    );
    std::fs::create_dir_all(server.path("site/empty")).expect("mkdir");
    let work = tempfile::tempdir().expect("temp dir");
    let url = server.url("/site");

    // The local folder does not exist yet: everything is new.
    let o = ferry(&["sync", "--dry-run", &url, "mirror"], work.path()).await;
    assert!(o.status.success(), "dry run: {}", stderr(&o));
    let plan = stdout(&o);
    assert!(
        plan.contains("download      new                css/style.css"),
        "{plan}"
    );
    assert!(
        plan.contains("empty/"),
        "an empty folder is created too: {plan}"
    );
    assert!(
        !work.path().join("mirror").exists(),
        "a dry run changes nothing"
    );

    let o = ferry(&["sync", "-v", &url, "mirror"], work.path()).await;
    assert!(o.status.success(), "sync: {}", stderr(&o));
    assert_eq!(sent(&o, "RETR").len(), 3);
    assert_eq!(
        support::files_under(&work.path().join("mirror")),
        support::files_under(&server.path("site"))
    );
    assert!(work.path().join("mirror/empty").is_dir());

    // Changed on the server to the same size, with a newer time: it moves;
    // nothing else does.
    for f in ["index.html", "css/style.css", "img/logo.png"] {
        age(&work.path().join("mirror").join(f), HOUR);
    }
    write(&server.path("site/index.html"), b"<h1>HELLO</h1>");
    for f in ["css/style.css", "img/logo.png"] {
        age(&server.path("site").join(f), HOUR);
    }
    let o = ferry(&["sync", "-v", &url, "mirror"], work.path()).await;
    assert!(o.status.success(), "sync: {}", stderr(&o));
    let retrs = sent(&o, "RETR");
    assert_eq!(retrs.len(), 1, "{retrs:?}");
    assert!(retrs[0].ends_with("site/index.html"), "{retrs:?}");
    assert_eq!(
        std::fs::read(work.path().join("mirror/index.html")).expect("read"),
        b"<h1>HELLO</h1>"
    );

    let o = ferry(&["sync", "--dry-run", &url, "mirror"], work.path()).await;
    assert!(o.status.success(), "dry run: {}", stderr(&o));
    assert_eq!(stdout(&o), "", "nothing left to do");
    assert!(stderr(&o).contains("plan: 0 to upload"), "{}", stderr(&o));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_sync_sends_a_same_size_edit_and_then_plans_nothing() {
    let server = TestServer::start(ServerOptions::default()).await;
    let work = tempfile::tempdir().expect("temp dir");
    let local = work.path().join("www");
    write(&local.join("a.txt"), b"version 1");
    write(&local.join("docs/b.txt"), b"bravo");
    let url = server.url("/www");

    // The remote folder does not exist: it is created.
    let o = ferry(&["sync", "-v", "www", &url], work.path()).await;
    assert!(o.status.success(), "sync: {}", stderr(&o));
    assert_eq!(sent(&o, "STOR").len(), 2);
    assert_eq!(
        support::files_under(&server.path("www")),
        support::files_under(&local)
    );

    // The server's copies are an hour old; the local a.txt is edited now.
    age(&server.path("www/a.txt"), HOUR);
    age(&server.path("www/docs/b.txt"), HOUR);
    age(&local.join("docs/b.txt"), 2 * HOUR);
    write(&local.join("a.txt"), b"version 2");
    let o = ferry(&["sync", "-v", "www", &url], work.path()).await;
    assert!(o.status.success(), "sync: {}", stderr(&o));
    let stors = sent(&o, "STOR");
    assert_eq!(stors.len(), 1, "{stors:?}");
    assert!(stors[0].contains("www/a.txt"), "{stors:?}");
    assert_eq!(
        std::fs::read(server.path("www/a.txt")).expect("read"),
        b"version 2"
    );

    let o = ferry(&["sync", "--dry-run", "www", &url], work.path()).await;
    assert!(o.status.success(), "dry run: {}", stderr(&o));
    assert_eq!(stdout(&o), "", "nothing left to do: {}", stderr(&o));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_removes_exactly_the_orphans_and_only_when_asked() {
    let server = TestServer::start(ServerOptions::default()).await;
    let work = tempfile::tempdir().expect("temp dir");
    let local = work.path().join("src");
    write(&local.join("keep.txt"), b"keep");
    write(&local.join("sub/keep2.txt"), b"keep2");
    write(&server.path("dst/keep.txt"), b"keep");
    write(&server.path("dst/sub/keep2.txt"), b"keep2");
    write(&server.path("dst/orphan.txt"), b"orphan");
    write(&server.path("dst/old/deep/x.txt"), b"x");
    write(&server.path("dst/.cache/y"), b"y");
    write(&server.path("outside.txt"), b"not in the target folder");
    let url = server.url("/dst");

    // Without --delete the orphans are only reported as such.
    let o = ferry(&["sync", "-v", "--dry-run", "src", &url], work.path()).await;
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("skip          not on source side orphan.txt"),
        "{}",
        stdout(&o)
    );
    let o = ferry(&["sync", "src", &url], work.path()).await;
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(server.path("dst/orphan.txt").exists());

    let o = ferry(
        &[
            "sync",
            "--delete",
            "--exclude",
            ".cache",
            "--dry-run",
            "src",
            &url,
        ],
        work.path(),
    )
    .await;
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    assert_eq!(
        lines,
        vec![
            "delete remote not on source side old/",
            "delete remote not on source side orphan.txt",
        ]
    );
    assert!(
        server.path("dst/old/deep/x.txt").exists(),
        "a dry run deletes nothing"
    );

    let o = ferry(
        &["sync", "--delete", "--exclude", ".cache", "src", &url],
        work.path(),
    )
    .await;
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!server.path("dst/orphan.txt").exists());
    assert!(!server.path("dst/old").exists());
    assert!(
        server.path("dst/.cache/y").exists(),
        "excluded names are never deleted"
    );
    assert!(server.path("outside.txt").exists());
    assert!(server.path("dst/keep.txt").exists());
    assert!(server.path("dst/sub/keep2.txt").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_changed_since_is_a_conflict_and_is_not_overwritten() {
    let server = TestServer::start(ServerOptions::default()).await;
    let work = tempfile::tempdir().expect("temp dir");
    write(&work.path().join("src/report.txt"), b"mine");
    age(&work.path().join("src/report.txt"), HOUR);
    write(&server.path("dst/report.txt"), b"theirs, edited later");
    let url = server.url("/dst");

    let o = ferry(&["sync", "--dry-run", "src", &url], work.path()).await;
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("conflict, left as it is: report.txt: target is newer"),
        "{}",
        stderr(&o)
    );
    let o = ferry(&["sync", "-v", "src", &url], work.path()).await;
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(sent(&o, "STOR").is_empty());
    assert_eq!(
        std::fs::read(server.path("dst/report.txt")).expect("read"),
        b"theirs, edited later"
    );
}

fn options(server: &TestServer) -> ConnectOptions {
    let mut o = ConnectOptions::new("127.0.0.1", server.addr.port(), USER, PASSWORD);
    o.mode = DataMode::Passive;
    o
}

fn job(local: &Path, remote: &[u8], direction: SyncDirection) -> SyncJob {
    SyncJob {
        local_root: local.to_path_buf(),
        remote_root: remote.to_vec(),
        walk: WalkOptions::default(),
        options: SyncOptions {
            direction,
            compare: CompareOptions::default(),
            delete: false,
        },
        checksum: false,
        state_file: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_ways_plans_each_sides_news_and_reports_progress_per_side() {
    let server = TestServer::start(ServerOptions::default()).await;
    let local = tempfile::tempdir().expect("temp dir");
    write(&local.path().join("mine.txt"), b"local only");
    write(&local.path().join("shared.txt"), b"local, newer");
    write(&server.path("pair/theirs.txt"), b"remote only");
    write(&server.path("pair/shared.txt"), b"remote");
    age(&server.path("pair/shared.txt"), HOUR);
    let mut session = Session::connect(options(&server), ferry::ftp::log::null_log())
        .await
        .expect("login");
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = seen.clone();
    let prepared = ferry::sync::prepare(
        &mut session,
        &job(local.path(), b"/pair", SyncDirection::Both),
        Arc::new(move |side, p| record.lock().expect("lock").push((side, p.files))),
        Arc::new(AtomicBool::new(false)),
    )
    .await
    .expect("prepare");
    let rows: Vec<(String, Action, Reason)> = prepared
        .plan
        .rows
        .iter()
        .map(|r| (r.display(), r.action, r.reason))
        .collect();
    assert_eq!(
        rows,
        vec![
            ("mine.txt".into(), Action::Upload, Reason::New),
            ("shared.txt".into(), Action::Upload, Reason::SizeDiffers),
            ("theirs.txt".into(), Action::Download, Reason::New),
        ]
    );
    assert_eq!(prepared.remote.listings, 1);
    let seen = seen.lock().expect("lock");
    assert!(
        seen.contains(&(Side::Local, 2)) && seen.contains(&(Side::Remote, 2)),
        "{seen:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_walk_stops_before_listing() {
    let server = TestServer::start(ServerOptions::default()).await;
    let local = tempfile::tempdir().expect("temp dir");
    write(&server.path("x/a"), b"a");
    let mut session = Session::connect(options(&server), ferry::ftp::log::null_log())
        .await
        .expect("login");
    let r = ferry::sync::prepare(
        &mut session,
        &job(local.path(), b"/x", SyncDirection::Download),
        Arc::new(|_, _| {}),
        Arc::new(AtomicBool::new(true)),
    )
    .await;
    assert!(matches!(r, Err(ferry::sync::SyncError::Cancelled)), "{r:?}");
}

/// A server without MLSD whose LIST shows times in UTC+2, and MDTM in UTC
/// (as RFC 3659 says): after the offset is found, files that match are identical.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_times_in_another_zone_do_not_make_every_file_look_changed() {
    let local = tempfile::tempdir().expect("temp dir");
    // Local files last changed at 10:15:30 and 10:40:00 UTC on a recent day.
    let day = chrono::Utc::now().date_naive() - chrono::Days::new(3);
    let utc = |h, m, s| day.and_hms_opt(h, m, s).expect("valid time").and_utc();
    for (name, t) in [("a.txt", utc(10, 15, 30)), ("b.txt", utc(10, 40, 0))] {
        let path = local.path().join(name);
        write(&path, b"12345");
        let file = std::fs::File::options()
            .write(true)
            .open(&path)
            .expect("open");
        file.set_modified(SystemTime::from(t)).expect("set time");
    }
    let stamp = day.format("%b %d").to_string();
    let listing = format!(
        "-rw-r--r-- 1 ftp ftp 5 {stamp} 12:15 a.txt\r\n-rw-r--r-- 1 ftp ftp 5 {stamp} 12:40 b.txt\r\n"
    );
    let mdtm = format!("213 {}\r\n", utc(10, 15, 30).format("%Y%m%d%H%M%S"));
    let mut script = login_script();
    // The FEAT of login_script has no MLST; add MDTM by answering it below.
    script.extend([
        Step::Expect("TYPE I".into()),
        Step::Send(b"200 ok\r\n".to_vec()),
        Step::Expect("EPSV".into()),
        Step::EpsvReply,
        Step::Expect("LIST -a /tz".into()),
        Step::Send(b"150 here\r\n".to_vec()),
        Step::DataSend(listing.into_bytes()),
        Step::CloseData,
        Step::Send(b"226 done\r\n".to_vec()),
        Step::Expect("MDTM /tz/a.txt".into()),
        Step::Send(mdtm.into_bytes()),
        Step::Hold,
    ]);
    let fake = FakeServer::start(feat_with_mdtm(script)).await;
    let mut o = ConnectOptions::new("127.0.0.1", fake.addr.port(), "u", "p");
    o.mode = DataMode::Passive;
    let mut session = Session::connect(o, ferry::ftp::log::null_log())
        .await
        .expect("login");
    let prepared = ferry::sync::prepare(
        &mut session,
        &job(local.path(), b"/tz", SyncDirection::Upload),
        Arc::new(|_, _| {}),
        Arc::new(AtomicBool::new(false)),
    )
    .await
    .expect("prepare");
    drop(session);
    let report = fake.finish().await;
    assert!(
        report.commands.iter().any(|c| c.starts_with("MDTM")),
        "{:?}",
        report.commands
    );
    assert_eq!(
        prepared.remote.time_offset,
        Some(chrono::TimeDelta::hours(2))
    );
    assert!(
        prepared.notes.iter().any(|n| n.contains("UTC+2")),
        "{:?}",
        prepared.notes
    );
    let rows: Vec<(String, Action, Reason)> = prepared
        .plan
        .rows
        .iter()
        .map(|r| (r.display(), r.action, r.reason))
        .collect();
    assert_eq!(
        rows,
        vec![
            ("a.txt".into(), Action::Skip, Reason::Identical),
            ("b.txt".into(), Action::Skip, Reason::Identical),
        ]
    );
}

/// login_script, with MDTM and SIZE in its FEAT reply.
fn feat_with_mdtm(mut script: Vec<Step>) -> Vec<Step> {
    for step in &mut script {
        if let Step::Send(bytes) = step
            && bytes.starts_with(b"211-")
        {
            *bytes = b"211-Features:\r\n EPSV\r\n PASV\r\n UTF8\r\n MDTM\r\n SIZE\r\n211 End\r\n"
                .to_vec();
        }
    }
    script
}

/// proftpd with mod_digest offers HASH and XSHA*: `--checksum` finds a file
/// changed to the same size and time (which size and time cannot see), and
/// leaves a file whose only difference is its time alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checksums_from_a_server_that_offers_hash_decide_same_size_files() {
    let Some(server) = support::proftpd::Proftpd::start("sync_checksum") else {
        return;
    };
    let work = tempfile::tempdir().expect("temp dir");
    let local = work.path().join("src");
    let when = SystemTime::now() - HOUR;
    let set = |path: &Path, t: SystemTime| {
        std::fs::File::options()
            .write(true)
            .open(path)
            .and_then(|f| f.set_modified(t))
            .expect("set the time");
    };
    write(&local.join("changed.txt"), b"AAAA");
    write(&server.path("dst/changed.txt"), b"BBBB");
    set(&local.join("changed.txt"), when);
    set(&server.path("dst/changed.txt"), when);
    write(&local.join("touched.txt"), b"same");
    write(&server.path("dst/touched.txt"), b"same");
    set(&server.path("dst/touched.txt"), when);
    let url = format!("ftp://{}@{}/dst", support::proftpd::USER, server.addr);
    let run = |extra: &'static [&'static str]| {
        let mut args = vec!["sync", "-v", "--dry-run"];
        args.extend_from_slice(extra);
        args.extend(["src", url.as_str()]);
        let ferry = Ferry::new(args)
            .cwd(work.path())
            .password(Some(support::proftpd::PASSWORD));
        tokio::task::spawn_blocking(move || ferry.output())
    };
    let o = run(&[]).await.expect("join");
    assert!(o.status.success(), "{}\n{}", stderr(&o), server.logs());
    let plan = stdout(&o);
    assert!(
        plan.contains("upload        newer              touched.txt"),
        "{plan}"
    );
    assert!(
        plan.contains("skip          identical          changed.txt"),
        "{plan}"
    );

    let o = run(&["--checksum"]).await.expect("join");
    assert!(o.status.success(), "{}\n{}", stderr(&o), server.logs());
    let plan = stdout(&o);
    assert!(
        plan.contains("upload        checksum differs   changed.txt"),
        "{plan}\n{}",
        stderr(&o)
    );
    assert!(
        plan.contains("skip          identical          touched.txt"),
        "{plan}"
    );
    assert!(
        !sent(&o, "HASH").is_empty() || !sent(&o, "XSHA256").is_empty(),
        "{}",
        stderr(&o)
    );
}

/// Names from a hostile listing that could leave the folder are refused and
/// reported, never walked into or planned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_names_in_a_listing_are_refused_not_followed() {
    let local = tempfile::tempdir().expect("temp dir");
    let listing = b"-rw-r--r-- 1 ftp ftp 5 Jan 02 10:00 ok.txt\r\n\
drwxr-xr-x 1 ftp ftp 0 Jan 02 10:00 ..\r\n\
-rw-r--r-- 1 ftp ftp 5 Jan 02 10:00 ../escape.txt\r\n\
-rw-r--r-- 1 ftp ftp 5 Jan 02 10:00 sub/inner.txt\r\n"
        .to_vec();
    let mut script = login_script();
    script.extend([
        Step::Expect("TYPE I".into()),
        Step::Send(b"200 ok\r\n".to_vec()),
        Step::Expect("EPSV".into()),
        Step::EpsvReply,
        Step::Expect("LIST -a /h".into()),
        Step::Send(b"150 here\r\n".to_vec()),
        Step::DataSend(listing),
        Step::CloseData,
        Step::Send(b"226 done\r\n".to_vec()),
        Step::Hold,
    ]);
    let fake = FakeServer::start(script).await;
    let mut o = ConnectOptions::new("127.0.0.1", fake.addr.port(), "u", "p");
    o.mode = DataMode::Passive;
    let mut session = Session::connect(o, ferry::ftp::log::null_log())
        .await
        .expect("login");
    let mut sync = job(local.path(), b"/h", SyncDirection::Download);
    sync.options.delete = true;
    let prepared = ferry::sync::prepare(
        &mut session,
        &sync,
        Arc::new(|_, _| {}),
        Arc::new(AtomicBool::new(false)),
    )
    .await
    .expect("prepare");
    drop(session);
    let report = fake.finish().await;
    assert_eq!(
        report
            .commands
            .iter()
            .filter(|c| c.starts_with("LIST"))
            .count(),
        1,
        "nothing else was listed: {:?}",
        report.commands
    );
    let planned: Vec<String> = prepared.plan.rows.iter().map(|r| r.display()).collect();
    assert_eq!(planned, vec!["ok.txt".to_string()]);
    assert_eq!(
        prepared.remote.refused.len(),
        2,
        "{:?}",
        prepared.remote.refused
    );
    assert!(
        prepared.notes.iter().any(|n| n.contains("escape.txt")),
        "{:?}",
        prepared.notes
    );
}

/// Set a server file's time to `ago` before now.
fn server_age(server: &TestServer, rel: &str, ago: Duration) {
    age(&server.path(rel), ago);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_ways_with_the_saved_state_tells_one_side_changed_from_both() {
    let server = TestServer::start(ServerOptions::default()).await;
    let work = tempfile::tempdir().expect("temp dir");
    let here = work.path().join("here");
    for (name, text) in [("a.txt", &b"first"[..]), ("b.txt", b"bee")] {
        write(&here.join(name), text);
        age(&here.join(name), 3 * HOUR);
    }
    let url = server.url("/there");
    let o = ferry(&["sync", "--both", "here", &url], work.path()).await;
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(server.path("there/b.txt")).expect("read"),
        b"bee"
    );
    let states = std::fs::read_dir(work.path().join(".ferry-data/sync-state"))
        .expect("the sync state folder")
        .count();
    assert_eq!(states, 1, "one state file for the pair");

    // Since: a.txt changed on both sides; b.txt only on the server, where
    // its time is older than the local copy's (newer-wins would upload the
    // stale local copy over the server's edit).
    write(&here.join("a.txt"), b"changed here");
    write(&server.path("there/a.txt"), b"changed there as well");
    server_age(&server, "there/a.txt", HOUR);
    write(&server.path("there/b.txt"), b"bee, edited on the server");
    server_age(&server, "there/b.txt", 5 * HOUR);

    let o = ferry(&["sync", "--both", "--dry-run", "here", &url], work.path()).await;
    assert!(o.status.success(), "{}", stderr(&o));
    let plan = stdout(&o);
    assert!(
        plan.lines().any(|l| l.starts_with("download")
            && l.contains("changed since the last sync")
            && l.contains("b.txt")),
        "{plan}"
    );
    assert!(
        !plan.contains("a.txt"),
        "a conflict is not an action: {plan}"
    );
    assert!(
        stderr(&o)
            .contains("conflict, left as it is: a.txt: changed on both sides since the last sync"),
        "{}",
        stderr(&o)
    );
    // Without the state the newer time decides, wrongly for both files.
    let o = ferry(
        &["sync", "--both", "--dry-run", "--no-state", "here", &url],
        work.path(),
    )
    .await;
    let blind = stdout(&o);
    assert!(
        blind
            .lines()
            .any(|l| l.starts_with("upload") && l.contains("b.txt")),
        "{blind}"
    );

    let o = ferry(&["sync", "--both", "-v", "here", &url], work.path()).await;
    assert_eq!(
        o.status.code(),
        Some(4),
        "the conflict is reported: {}",
        stderr(&o)
    );
    assert!(sent(&o, "STOR").is_empty(), "{}", stderr(&o));
    assert_eq!(sent(&o, "RETR").len(), 1, "{}", stderr(&o));
    assert_eq!(
        std::fs::read(here.join("b.txt")).expect("read"),
        b"bee, edited on the server"
    );
    assert_eq!(
        std::fs::read(server.path("there/a.txt")).expect("read"),
        b"changed there as well"
    );
    // The conflict stays a conflict next time; b.txt is settled.
    let o = ferry(&["sync", "--both", "--dry-run", "here", &url], work.path()).await;
    assert!(stdout(&o).trim().is_empty(), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("a.txt: changed on both sides since the last sync"),
        "{}",
        stderr(&o)
    );
}
