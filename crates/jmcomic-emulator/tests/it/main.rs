//! Integration tests: a raw HTTP client (reqwest, no client crate) against the emulator.

mod cdn;
mod faults;
mod hostile;
mod hosts;
mod listing;
mod protocol;
mod support;
mod tls;
