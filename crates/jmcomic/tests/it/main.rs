//! Integration tests of the jmcomic crate.
#![allow(
    clippy::unwrap_used,
    clippy::items_after_statements,
    clippy::case_sensitive_file_extension_comparisons
)]

mod archive;
mod dir_rule;
mod docs;
mod download_archive;
mod faults;
mod features;
mod hostile;
mod html_download;
mod mail;
mod network;
mod options;
mod pipeline;
mod plugins;
mod readers;
mod smtp_server;
mod stages;
mod support;
