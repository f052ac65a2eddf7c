//! The `jmcomic` binary end to end against the emulator.
#![allow(
    clippy::unwrap_used,
    clippy::missing_panics_doc,
    clippy::case_sensitive_file_extension_comparisons
)]

mod account;
mod cli;
mod crash;
mod doctor;
mod exports;
mod first_hour;
mod reliability;
mod site;
mod state;
mod support;
