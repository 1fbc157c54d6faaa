//! `ferry edit URL`: download a remote file into a private temporary
//! folder, run the user's editor on it and wait, then upload it if it
//! changed, unless the server's copy changed meanwhile (then the edited
//! copy is kept and its path printed, so no work is lost).

use super::commands::open;
use super::{CliError, NetArgs};
use crate::engine::edit::{
    Sent, copy_path, fetch, hash_file, private_folder, send_back, terminal_editor,
};
use crate::ftp::Session;
use crate::ftp::log::cli_log;

pub(super) async fn run(text: &str, net: &NetArgs) -> Result<(), CliError> {
    let editor = terminal_editor(
        std::env::var("VISUAL").ok(),
        std::env::var("EDITOR").ok(),
        &preferred_editor(),
    )
    .map_err(CliError::usage)?;
    let (url, mut session) = open(text, net).await?;
    if url.path.is_empty() || url.path.ends_with(b"/") {
        return Err(CliError::usage(format!(
            "name a file to edit, not a folder: {text}"
        )));
    }
    let folder = private_folder().map_err(|e| {
        CliError::transfer(format!("could not make a private temporary folder: {e}"))
    })?;
    let local = copy_path(folder.path(), &url.path, &session.options().charset)
        .map_err(CliError::transfer)?;
    let (ours, before) = fetch(&mut session, &url.path, &local, false).await?;
    // The editor may stay open for hours: no idle control connection meanwhile.
    let options = session.options().clone();
    let _ = session.quit().await;

    let program = editor.program.clone();
    let args = editor.args_for(&local);
    let status = tokio::task::spawn_blocking(move || {
        std::process::Command::new(&program).args(&args).status()
    })
    .await
    .map_err(|e| CliError::transfer(format!("the editor could not be waited for: {e}")))?
    .map_err(|e| {
        CliError::usage(format!(
            "could not start the editor {:?} ({e}); set VISUAL or EDITOR to one that exists",
            editor.program
        ))
    })?;
    if !status.success() {
        return Err(CliError::transfer(format!(
            "the editor exited with {status}; nothing was uploaded"
        )));
    }
    let after = hash_file(&local).map_err(|e| {
        CliError::transfer(format!(
            "could not read the edited copy ({e}); nothing was uploaded: {}",
            local.display()
        ))
    })?;
    let shown = url.display();
    if after == before {
        eprintln!("ferry: {shown} was not changed; nothing uploaded");
        return Ok(());
    }

    // From here on the edited copy is the user's work: it is kept (and its
    // path printed) unless it reached the server.
    let kept = folder.keep();
    let keep_note = |why: String| {
        CliError::transfer(format!(
            "{why}; your edited copy is kept at {} — upload it with `ferry put` when ready",
            local.display()
        ))
    };
    let sent = async {
        let mut s = Session::connect(options, cli_log(net.verbose)).await?;
        let sent = send_back(&mut s, &local, &url.path, &ours, false, false).await;
        let _ = s.quit().await;
        sent
    }
    .await;
    match sent {
        Ok(Sent::Done(_)) => {
            let _ = std::fs::remove_dir_all(&kept);
            eprintln!("ferry: uploaded the changes to {shown}");
            Ok(())
        }
        Ok(Sent::RemoteChanged { theirs }) => Err(keep_note(format!(
            "{shown} changed on the server while you edited it (now {}, was {}); nothing was uploaded",
            theirs.describe(),
            ours.describe()
        ))),
        // Never asked for here.
        Ok(Sent::As(..)) => Ok(()),
        Err(e) => Err(keep_note(format!("the upload failed: {e}"))),
    }
}

/// The editor from Preferences, read without changing the file (a file
/// that cannot be read is the window's to report).
fn preferred_editor() -> String {
    crate::sites::default_config_dir()
        .ok()
        .and_then(|dir| std::fs::read_to_string(dir.join(crate::prefs::PREFS_FILE)).ok())
        .and_then(|text| toml::from_str::<crate::prefs::Preferences>(&text).ok())
        .map(|p| p.editing.editor)
        .unwrap_or_default()
}
