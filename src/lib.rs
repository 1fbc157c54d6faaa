//! Ferry: a desktop FTP/FTPS client. The `ftp` module is the protocol engine;
//! `cli` is the headless command line over it.

pub mod cli;
pub mod engine;
pub mod ftp;
