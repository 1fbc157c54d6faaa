//! `ferry serve-demo`: the window's demo server without the window, for
//! trying the command line or another client, and for benchmarks.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use crate::demo::{DEMO_PASSWORD, DEMO_USER, DemoOptions, DemoServer};

/// How long to wait for the sample folder before giving up.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Args, Debug, Clone)]
pub(super) struct ServeDemoArgs {
    /// The port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Serve this folder, kept on exit, instead of a temporary one that is
    /// deleted on exit. An empty or new folder gets the sample tree.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// Start the demo server, print how to reach it, serve until Ctrl+C.
pub(super) fn main(args: ServeDemoArgs) -> ExitCode {
    match serve(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("ferry: {message}");
            ExitCode::FAILURE
        }
    }
}

fn serve(args: ServeDemoArgs) -> Result<(), String> {
    // Ctrl+C is watched from the start, so one pressed while the sample
    // folder is written still stops the server cleanly.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("could not start the async runtime: {e}"))?;
    let ctrl_c = runtime.spawn(tokio::signal::ctrl_c());
    let demo = DemoServer::start(DemoOptions {
        port: args.port,
        dir: args.dir,
    })
    .map_err(|e| format!("the demo server did not start: {e}"))?;
    demo.wait_ready(READY_TIMEOUT)
        .map_err(|e| format!("the demo server did not start: {e}"))?;

    let kept = if demo.is_temporary() {
        "deleted on exit"
    } else {
        "kept on exit"
    };
    let mut out = std::io::stdout().lock();
    // Printing can only fail if stdout is closed; the server is still useful then.
    let _ = writeln!(
        out,
        "Ferry demo server on ftp://{DEMO_USER}:{DEMO_PASSWORD}@{}/\n\
         User:     {DEMO_USER}\n\
         Password: {DEMO_PASSWORD}\n\
         Folder:   {} ({kept})\n\
         Press Ctrl+C to stop.",
        demo.addr,
        demo.root().display(),
    );
    let _ = out.flush();
    drop(out);

    let signal = runtime.block_on(ctrl_c);
    drop(demo);
    match signal {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("could not wait for Ctrl+C: {e}")),
        Err(e) => Err(format!("could not wait for Ctrl+C: {e}")),
    }
}
