//! Ferry: a desktop FTP/FTPS client. `ftp` is the protocol engine, `engine`
//! the background worker the window and the command line drive, `ui` the
//! window, `cli` the headless command line, `demo` the embedded server, `sites`
//! the saved site profiles, passwords and trusted certificates, `filters` the
//! name filters of the panes and transfers, `safe_file` the
//! one way Ferry writes its own files (atomically).

pub mod cli;
pub mod demo;
pub mod engine;
pub mod filters;
pub mod ftp;
pub mod prefs;
pub(crate) mod safe_file;
pub mod sites;
pub mod sync;
pub mod ui;
