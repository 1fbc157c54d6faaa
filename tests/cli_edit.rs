//! `ferry edit URL` end to end against the in-process libunftp server, with
//! EDITOR set to a script (the test's "user").

#![cfg(unix)]

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use support::cli::Ferry;
use support::server::{ServerOptions, TestServer};

/// An executable script `body` (sh) in `dir`.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// Run `ferry edit URL` with `EDITOR=editor`, temporary files in `tmp`, no
/// VISUAL and an empty config folder.
async fn edit(url: String, editor: Option<&Path>, tmp: &Path, env: &[(&str, &str)]) -> Output {
    let mut ferry = Ferry::new(["edit", &url])
        .env("TMPDIR", tmp)
        .config(tmp.join("config"))
        .env_remove("VISUAL")
        .env_remove("EDITOR")
        .envs(env.iter().copied());
    if let Some(e) = editor {
        ferry = ferry.env("EDITOR", e);
    }
    ferry.run().await
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// What `ferry edit` left in the temporary folder.
fn leftovers(tmp: &Path) -> Vec<String> {
    std::fs::read_dir(tmp)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("ferry-edit-"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edit_uploads_what_the_editor_saved_and_leaves_no_copy() {
    let server = TestServer::start(ServerOptions::default()).await;
    std::fs::write(server.path("motd"), "welcome\n").unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let editor = script(
        tmp.path(),
        "ed.sh",
        r#"printf 'closed on friday\n' >> "$1""#,
    );
    let out = edit(server.url("motd"), Some(&editor), tmp.path(), &[]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("uploaded the changes"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(server.path("motd")).unwrap(),
        "welcome\nclosed on friday\n"
    );
    assert!(
        leftovers(tmp.path()).is_empty(),
        "{:?}",
        leftovers(tmp.path())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unchanged_file_is_not_uploaded() {
    let server = TestServer::start(ServerOptions::default()).await;
    std::fs::write(server.path("motd"), "welcome\n").unwrap();
    let tmp = tempfile::tempdir().unwrap();
    // The editor only reads: a server change now would be overwritten by a needless upload.
    let look = script(tmp.path(), "look.sh", r#"cat "$1" > /dev/null"#);
    let out = edit(server.url("motd"), Some(&look), tmp.path(), &[]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not changed; nothing uploaded"),
        "{}",
        stderr(&out)
    );
    assert!(leftovers(tmp.path()).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_change_meanwhile_stops_the_upload_and_keeps_the_edit() {
    let server = TestServer::start(ServerOptions::default()).await;
    std::fs::write(server.path("motd"), "welcome\n").unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let theirs = server.path("motd");
    // While "the user" edits, someone else changes the server's file.
    let editor = script(
        tmp.path(),
        "race.sh",
        r#"printf 'their line\n' >> "$SERVER_FILE"; printf 'my line\n' >> "$1""#,
    );
    let out = edit(
        server.url("motd"),
        Some(&editor),
        tmp.path(),
        &[("SERVER_FILE", theirs.to_str().unwrap())],
    )
    .await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("changed on the server while you edited it"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&theirs).unwrap(),
        "welcome\ntheir line\n",
        "their change stands"
    );
    let kept = leftovers(tmp.path());
    assert_eq!(kept.len(), 1, "the edited copy is kept");
    let copy = tmp.path().join(&kept[0]).join("motd");
    assert!(err.contains(&copy.display().to_string()), "{err}");
    assert_eq!(std::fs::read_to_string(copy).unwrap(), "welcome\nmy line\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_editor_it_says_how_to_name_one() {
    let server = TestServer::start(ServerOptions::default()).await;
    std::fs::write(server.path("motd"), "welcome\n").unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out = edit(server.url("motd"), None, tmp.path(), &[]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("set VISUAL or EDITOR"),
        "{}",
        stderr(&out)
    );
}
