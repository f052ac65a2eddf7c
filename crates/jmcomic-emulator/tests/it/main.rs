//! Integration tests: a raw HTTP client (reqwest, no client crate) against the emulator.

mod accounts;
mod cdn;
mod faults;
mod hostile;
mod hosts;
mod listing;
mod network;
mod patterns;
mod protocol;
mod support;
mod tls;
mod web;
