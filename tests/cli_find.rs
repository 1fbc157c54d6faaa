//! `ferry find` end to end against the in-process libunftp server.

mod support;

use std::process::Output;
use std::time::{Duration, SystemTime};

use support::cli::Ferry;
use support::server::{PASSWORD, ServerOptions, TestServer};

/// Run `ferry ARGS` with the test password in the environment, off the async threads.
async fn ferry(args: &[&str], password: &str) -> Output {
    Ferry::new(args).password(Some(password)).run().await
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The printed paths, sorted.
fn lines(o: &Output) -> Vec<String> {
    let mut v: Vec<String> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    v.sort();
    v
}

fn write(server: &TestServer, rel: &str, len: usize, age_days: u64) {
    let path = server.path(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, vec![b'x'; len]).unwrap();
    let when = SystemTime::now() - Duration::from_secs(age_days * 86_400);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(when)
        .unwrap();
}

/// site/
///   index.html        300 B, today
///   logs/app.log      20 KiB, today
///   logs/old.log      100 B, 400 days old
///   logs/2023/a.log   5 B, 400 days old
///   logs/empty/       (folder)
///   docs.log/         (a folder with a file-like name)
async fn tree() -> TestServer {
    let server = TestServer::start(ServerOptions::default()).await;
    write(&server, "site/index.html", 300, 0);
    write(&server, "site/logs/app.log", 20 * 1024, 0);
    write(&server, "site/logs/old.log", 100, 400);
    write(&server, "site/logs/2023/a.log", 5, 400);
    std::fs::create_dir_all(server.path("site/logs/empty")).unwrap();
    std::fs::create_dir_all(server.path("site/docs.log")).unwrap();
    server
}

async fn find(server: &TestServer, extra: &[&str]) -> Output {
    let url = server.url("site");
    let mut args = vec!["find", url.as_str()];
    args.extend_from_slice(extra);
    let out = ferry(&args, PASSWORD).await;
    assert!(out.status.success(), "{extra:?}: {}", stderr(&out));
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn find_walks_the_whole_tree_and_prints_full_paths() {
    let server = tree().await;
    let out = find(&server, &[]).await;
    assert_eq!(
        lines(&out),
        vec![
            "site/docs.log",
            "site/index.html",
            "site/logs",
            "site/logs/2023",
            "site/logs/2023/a.log",
            "site/logs/app.log",
            "site/logs/empty",
            "site/logs/old.log",
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn name_matches_the_last_part_with_shell_patterns() {
    let server = tree().await;
    let out = find(&server, &["--name", "*.log"]).await;
    assert_eq!(
        lines(&out),
        vec![
            "site/docs.log",
            "site/logs/2023/a.log",
            "site/logs/app.log",
            "site/logs/old.log",
        ]
    );
    let out = find(&server, &["--name", "[ao]*.log"]).await;
    assert_eq!(
        lines(&out),
        vec![
            "site/logs/2023/a.log",
            "site/logs/app.log",
            "site/logs/old.log",
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn type_keeps_files_or_folders() {
    let server = tree().await;
    let files = find(&server, &["--name", "*.log", "--type", "f"]).await;
    assert_eq!(
        lines(&files),
        vec![
            "site/logs/2023/a.log",
            "site/logs/app.log",
            "site/logs/old.log",
        ]
    );
    let dirs = find(&server, &["--type", "d"]).await;
    assert_eq!(
        lines(&dirs),
        vec![
            "site/docs.log",
            "site/logs",
            "site/logs/2023",
            "site/logs/empty",
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn newer_keeps_files_modified_since_the_day() {
    let server = tree().await;
    let since = (chrono::Local::now() - chrono::TimeDelta::days(30))
        .format("%Y-%m-%d")
        .to_string();
    let out = find(&server, &["--newer", &since]).await;
    assert_eq!(lines(&out), vec!["site/index.html", "site/logs/app.log"]);
    let long_ago = find(&server, &["--newer", "2000-01-01", "--name", "*.log"]).await;
    assert_eq!(lines(&long_ago).len(), 3, "{:?}", lines(&long_ago));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn larger_takes_bytes_and_suffixes() {
    let server = tree().await;
    let out = find(&server, &["--larger", "10K"]).await;
    assert_eq!(lines(&out), vec!["site/logs/app.log"]);
    let out = find(&server, &["--larger", "100"]).await;
    assert_eq!(lines(&out), vec!["site/index.html", "site/logs/app.log"]);
    let none = find(&server, &["--larger", "1M"]).await;
    assert!(lines(&none).is_empty(), "{:?}", lines(&none));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conditions_combine() {
    let server = tree().await;
    let out = find(
        &server,
        &[
            "--name",
            "*.log",
            "--type",
            "f",
            "--larger",
            "50",
            "--newer",
            "2000-01-01",
        ],
    )
    .await;
    assert_eq!(lines(&out), vec!["site/logs/app.log", "site/logs/old.log"]);
}

/// A folder whose name could leave a local folder on another system is
/// reported and not walked into; the rest of the tree still is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_names_are_reported_not_walked() {
    let server = tree().await;
    write(&server, "site/..\\up/secret.log", 10, 0);
    let out = find(&server, &["--name", "*.log"]).await;
    assert_eq!(lines(&out).len(), 4, "{:?}", lines(&out));
    assert!(
        !lines(&out)
            .iter()
            .any(|l| l.contains("secret") || l.contains("up")),
        "{:?}",
        lines(&out)
    );
    assert!(stderr(&out).contains("refusing"), "{}", stderr(&out));
}

/// A link on the server to a folder outside it never brings that folder's
/// files into the results (libunftp lists links as plain files; the walk
/// would refuse a listed link too).
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_are_not_followed() {
    let server = tree().await;
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("outside.log"), b"o").unwrap();
    std::os::unix::fs::symlink(outside.path(), server.path("site/link")).unwrap();
    let out = find(&server, &["--name", "*.log"]).await;
    assert!(
        !lines(&out).iter().any(|l| l.contains("outside")),
        "{:?}",
        lines(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_say_what_and_exit_nonzero() {
    let server = tree().await;
    let missing = ferry(&["find", &server.url("nothing-here")], PASSWORD).await;
    assert_eq!(missing.status.code(), Some(4), "{}", stderr(&missing));
    assert!(
        stderr(&missing).contains("no such folder"),
        "{}",
        stderr(&missing)
    );
    assert!(missing.stdout.is_empty());

    let file = ferry(&["find", &server.url("site/index.html")], PASSWORD).await;
    assert_eq!(file.status.code(), Some(4), "{}", stderr(&file));

    let login = ferry(&["find", &server.url("site")], "wrong").await;
    assert_eq!(login.status.code(), Some(3), "{}", stderr(&login));
    assert!(login.stdout.is_empty());

    let bad_url = ferry(&["find", "http://example.invalid/"], PASSWORD).await;
    assert_eq!(bad_url.status.code(), Some(2), "{}", stderr(&bad_url));

    for bad in [
        ["--larger", "5X"],
        ["--newer", "yesterday"],
        ["--type", "l"],
        ["--name", "[unclosed"],
    ] {
        let mut args = vec!["find", "ftp://127.0.0.1/"];
        args.extend(bad);
        let out = ferry(&args, PASSWORD).await;
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", stderr(&out));
    }
}

/// A folder the server lists but cannot open (its name is not UTF-8:
/// libunftp lists it lossily, and the name it shows opens nothing) is
/// reported, the walk carries on through the rest of the tree, and the exit
/// status says the list is incomplete.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_that_cannot_be_listed_is_reported_and_the_walk_carries_on() {
    use std::os::unix::ffi::OsStrExt;
    let server = tree().await;
    let unlistable = server
        .path("site")
        .join(std::ffi::OsStr::from_bytes(b"bad\xff"));
    std::fs::create_dir_all(&unlistable).unwrap();
    std::fs::write(unlistable.join("inside.log"), b"i").unwrap();
    let url = server.url("site");
    let out = ferry(&["find", &url, "--name", "*.log"], PASSWORD).await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(
        lines(&out),
        vec![
            "site/docs.log",
            "site/logs/2023/a.log",
            "site/logs/app.log",
            "site/logs/old.log",
        ],
        "{}",
        stderr(&out)
    );
    let err = stderr(&out);
    assert!(err.contains("could not list the folder"), "{err}");
    assert!(err.contains("site/bad"), "{err}");
    assert!(err.contains("1 folder(s) could not be listed"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_depth_limits_how_far_down_it_looks() {
    let server = tree().await;
    let out = find(&server, &["--max-depth", "1"]).await;
    assert_eq!(
        lines(&out),
        vec!["site/docs.log", "site/index.html", "site/logs"]
    );
    let out = find(
        &server,
        &["--max-depth", "2", "--name", "*.log", "--type", "f"],
    )
    .await;
    assert_eq!(lines(&out), vec!["site/logs/app.log", "site/logs/old.log"]);
}
