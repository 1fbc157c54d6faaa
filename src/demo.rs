//! STUB (being written): the embedded FTP server for `ferry --demo` and the tests.

use std::net::SocketAddr;

/// A running demo server over a seeded temporary folder.
pub struct DemoServer {
    pub addr: SocketAddr,
    pub user: String,
    pub password: String,
}

impl DemoServer {
    /// Start on its own background thread (before the window opens).
    pub fn start_background() -> std::io::Result<DemoServer> {
        Err(std::io::Error::other("the demo server is not built yet"))
    }
}
