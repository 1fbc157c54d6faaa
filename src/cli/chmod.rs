//! `ferry chmod MODE URL [-r]`: SITE CHMOD, for a file or a folder (with
//! `-r`, everything inside it too; links are not followed).

use super::commands::open;
use super::{CliError, NetArgs};
use crate::engine::AnyPath;
use crate::engine::chmod::{ChmodEvent, ChmodItem, ModeChange, Recurse, apply_remote, parse_octal};

pub(super) async fn run(
    mode: &str,
    text: &str,
    recursive: bool,
    net: &NetArgs,
) -> Result<(), CliError> {
    let mode = parse_octal(mode).ok_or_else(|| {
        CliError::usage(format!(
            "the mode must be three octal digits, e.g. 644 or 755: {mode}"
        ))
    })?;
    let (url, mut session) = open(text, net).await?;
    let path = url.path.clone();
    // Only a folder has an inside: CWD tells, then back to where we were.
    let is_dir = recursive && {
        let home = session.pwd().await?;
        let is_dir = session.cwd(&path).await.is_ok();
        if is_dir {
            session.cwd(&home).await?;
        }
        is_dir
    };
    let end = apply_remote(
        &mut session,
        vec![ChmodItem {
            path: AnyPath::Remote(path),
            is_dir,
            current: None,
        }],
        ModeChange::exact(mode),
        if is_dir { Recurse::All } else { Recurse::No },
    )
    .await;
    let _ = session.quit().await;
    match end {
        ChmodEvent::Done {
            changed, problems, ..
        } => {
            eprintln!("ferry: {} set to {mode:03o}", items(changed));
            if problems.is_empty() {
                return Ok(());
            }
            for p in &problems {
                eprintln!("ferry: not changed: {p}");
            }
            Err(CliError::transfer(format!(
                "{} could not be changed (see above)",
                items(problems.len() as u64)
            )))
        }
        ChmodEvent::Failed { message, .. } => Err(CliError::transfer(message)),
        ChmodEvent::Progress { .. } => Ok(()),
    }
}

fn items(n: u64) -> String {
    if n == 1 {
        "1 item".into()
    } else {
        format!("{n} items")
    }
}
