//! A slow link on loopback for benchmarks: an FTP-aware proxy that delays every byte by a fixed
//! one-way time in each direction and passes data connections through the same delay.
//!
//! ```sh
//! cargo run --release --example latency_proxy -- 127.0.0.1:2121 25   # 25 ms one way
//! ```
//!
//! Prints `listening on ADDR` (to connect to instead of the server) and runs until Ctrl+C.
//! A third argument sets the listening address (default `127.0.0.1:0`).

#[path = "../tests/support/latency.rs"]
#[allow(dead_code)] // The tests use more of it than this does.
mod latency;

use std::net::SocketAddr;
use std::time::Duration;

const USAGE: &str = "usage: latency_proxy UPSTREAM_ADDR ONE_WAY_MS [LISTEN_ADDR]";

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed = (|| {
        let upstream: SocketAddr = args.first()?.parse().ok()?;
        let ms: f64 = args.get(1)?.parse().ok().filter(|m: &f64| *m >= 0.0)?;
        let listen: SocketAddr = match args.get(2) {
            Some(a) => a.parse().ok()?,
            None => "127.0.0.1:0".parse().ok()?,
        };
        (args.len() <= 3).then_some((upstream, Duration::from_secs_f64(ms / 1000.0), listen))
    })();
    let Some((upstream, one_way, listen)) = parsed else {
        eprintln!("{USAGE}");
        return std::process::ExitCode::from(2);
    };
    let proxy = match latency::LatencyProxy::bind(listen, upstream, one_way).await {
        Ok(p) => p,
        Err(e) => {
            eprintln!("latency_proxy: cannot listen on {listen}: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    println!("listening on {}", proxy.addr);
    let _ = tokio::signal::ctrl_c().await;
    std::process::ExitCode::SUCCESS
}
