//! Download albums and chapters from JMComic (placeholder while the crate is built).
#![deny(missing_docs)]

pub mod dir_rule;
pub mod naming;
pub mod options;
