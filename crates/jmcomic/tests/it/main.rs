//! Integration tests of the jmcomic crate.

mod dir_rule;
mod options;
