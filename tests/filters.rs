//! `--exclude GLOB` on `get -r`, `put -r` and `mirror`, end to end: the
//! `ferry` binary against the in-process libunftp server.

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use support::cli::Ferry;
use support::server::{ServerOptions, TestServer};

async fn ferry(args: &[&str], cwd: &Path) -> Output {
    Ferry::new(args).cwd(cwd).run().await
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The files under `root`, by their `/`-separated path from it.
fn files(root: &Path) -> BTreeSet<String> {
    support::files_under(root)
        .into_keys()
        .map(|p| p.replace('\\', "/"))
        .collect()
}

fn set(paths: &[&str]) -> BTreeSet<String> {
    paths.iter().map(|p| p.to_string()).collect()
}

/// A site folder with what one wants to leave out: a repository's data, a
/// temporary file at two depths, and a draft only at the top's `docs`.
fn seed(root: &Path) {
    for dir in [".git/objects", "docs", "lib/docs", "lib/node_modules/pkg"] {
        std::fs::create_dir_all(root.join(dir)).unwrap();
    }
    for (file, text) in [
        ("index.html", "<h1>hi</h1>"),
        ("cache.TMP", "upper-case temporary"),
        (".git/HEAD", "ref: refs/heads/main"),
        (".git/objects/ab", "object"),
        ("docs/draft-1.md", "draft"),
        ("docs/final.md", "final"),
        ("lib/docs/draft-2.md", "deeper draft"),
        ("lib/app.js", "code"),
        ("lib/x.tmp", "temporary"),
        ("lib/node_modules/pkg/index.js", "dependency"),
    ] {
        std::fs::write(root.join(file), text).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_r_leaves_out_excluded_names_at_every_depth_and_whole_folders() {
    let server = TestServer::start(ServerOptions::default()).await;
    seed(&server.path("site"));
    let work = tempfile::tempdir().unwrap();
    let o = ferry(
        &[
            "get",
            "-r",
            "--exclude",
            ".git",
            "--exclude",
            "*.tmp",
            &server.url("/site"),
            "out",
        ],
        work.path(),
    )
    .await;
    assert!(o.status.success(), "get -r: {}", stderr(&o));
    // `*.tmp` is matched as sync matches it: case matters (cache.TMP stays).
    assert_eq!(
        files(&work.path().join("out")),
        set(&[
            "cache.TMP",
            "docs/draft-1.md",
            "docs/final.md",
            "index.html",
            "lib/app.js",
            "lib/docs/draft-2.md",
            "lib/node_modules/pkg/index.js",
        ])
    );
    assert!(
        !work.path().join("out/.git").exists(),
        "an excluded folder is not even created"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_r_matches_a_glob_with_a_slash_against_the_path_from_the_top() {
    let server = TestServer::start(ServerOptions::default()).await;
    let work = tempfile::tempdir().unwrap();
    seed(&work.path().join("site"));
    std::fs::create_dir(server.path("www")).unwrap();
    let o = ferry(
        &[
            "put",
            "-r",
            "--exclude",
            "node_modules",
            "--exclude",
            "/docs/draft*",
            "--exclude",
            ".git",
            "site",
            &server.url("/www/"),
        ],
        work.path(),
    )
    .await;
    assert!(o.status.success(), "put -r: {}", stderr(&o));
    // docs/draft-1.md is left out; lib/docs/draft-2.md is not at that path.
    assert_eq!(
        files(&server.path("www/site")),
        set(&[
            "cache.TMP",
            "docs/final.md",
            "index.html",
            "lib/app.js",
            "lib/docs/draft-2.md",
            "lib/x.tmp",
        ])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirror_leaves_out_excluded_names_both_ways() {
    let server = TestServer::start(ServerOptions::default()).await;
    seed(&server.path("site"));
    let work = tempfile::tempdir().unwrap();
    let o = ferry(
        &[
            "mirror",
            "--exclude",
            "*.md",
            "--exclude",
            "lib",
            &server.url("/site"),
            "copy",
        ],
        work.path(),
    )
    .await;
    assert!(o.status.success(), "mirror down: {}", stderr(&o));
    assert_eq!(
        files(&work.path().join("copy")),
        set(&["cache.TMP", ".git/HEAD", ".git/objects/ab", "index.html"])
    );

    std::fs::write(work.path().join("copy/notes.md"), "local notes").unwrap();
    std::fs::write(work.path().join("copy/new.html"), "new").unwrap();
    let o = ferry(
        &["mirror", "--exclude", "*.md", "copy", &server.url("/site")],
        work.path(),
    )
    .await;
    assert!(o.status.success(), "mirror up: {}", stderr(&o));
    assert!(server.path("site/new.html").is_file());
    assert!(
        !server.path("site/notes.md").exists(),
        "an excluded file is not uploaded"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exclude_without_r_is_refused_before_connecting() {
    let work = tempfile::tempdir().unwrap();
    // Nothing listens on port 9: the usage error must come first.
    let o = ferry(
        &["get", "--exclude", "*.tmp", "ftp://127.0.0.1:9/file.txt"],
        work.path(),
    )
    .await;
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--recursive"), "{}", stderr(&o));
}
