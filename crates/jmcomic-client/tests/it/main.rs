//! The client against the emulator: every route, every fault kind, domain fallback.

mod catalog;
mod faults;
mod html;
mod routes;
mod support;
mod tls;
