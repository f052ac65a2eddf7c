//! Integration tests for `jmcomic-image`: golden vectors from the Python original
//! (`tests/data`, copied from the shared fixtures), codec round trips, limits, the page rules
//! and a mutation loop.

mod codecs;
mod common;
mod descramble;
mod fuzz;
mod limits;
mod page;
mod parity;
mod strips;
mod synth;
