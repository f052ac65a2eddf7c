//! The client against the emulator: every route, every fault kind, domain fallback.

mod account;
mod catalog;
mod doh;
mod domain_memory;
mod faults;
mod html;
mod pacing;
mod routes;
mod support;
mod tls;
mod web_pages;
