//! `send_qq_email`: a plain-text mail over SMTP with TLS, failures reported.

// Spec §5.3.

use std::time::Duration;

use super::args::Kwargs;
use super::runner::Failure;
use crate::failure::Cause;
use crate::mail::{Mail, MailSecurity, MailSettings};

/// The kwargs of `send_qq_email` as a mail and where to send it. The Python keys
/// (`msg_from`, `msg_to`, `password`, `title`, `content`) keep their meaning; new keys choose
/// another server: `host`, `port`, `security` (`tls` (default), `starttls`, `plain` — loopback
/// only), `username` (default `msg_from`), `ca_cert` (a PEM file of an extra trusted root),
/// `timeout` (seconds).
pub(crate) fn mail_from(kw: &Kwargs) -> Result<(MailSettings, Mail), Failure> {
    // Validation as the Python plugin's: these three must be given.
    let from = kw.required_str("msg_from")?;
    let to = kw.required_str("msg_to")?;
    let password = kw.required_str("password")?;
    let subject = kw.str("title")?.unwrap_or_default();
    let body = kw.str("content")?.unwrap_or_default();
    let username = kw.str("username")?.unwrap_or_default();
    let mut settings = MailSettings::new(username, password);
    let security = match kw.str("security")?.as_deref().map(str::to_ascii_lowercase) {
        None => MailSecurity::ImplicitTls,
        Some(s) if s == "tls" || s == "ssl" || s == "implicit_tls" => MailSecurity::ImplicitTls,
        Some(s) if s == "starttls" => MailSecurity::StartTls,
        Some(s) if s == "plain" || s == "none" => MailSecurity::Plain,
        Some(s) => {
            return Err(kw
                .invalid(
                    "security",
                    "tls, starttls or plain",
                    &serde_json::Value::String(s),
                )
                .into());
        }
    };
    let host = kw
        .str("host")?
        .unwrap_or_else(|| MailSettings::QQ_HOST.to_owned());
    let port = match kw.u64("port")? {
        Some(p) => u16::try_from(p).map_err(|_| kw.problem("kwargs.port must be 1-65535"))?,
        None if security == MailSecurity::ImplicitTls => MailSettings::QQ_PORT,
        None => 587,
    };
    settings = settings.with_server(host, port, security);
    if let Some(path) = kw.path("ca_cert")? {
        let pem = std::fs::read(&path).map_err(|e| Cause::io("read", &path, e))?;
        settings.extra_root_certificates.push(pem);
    }
    if let Some(t) = kw.f64("timeout")?
        && t > 0.0
    {
        settings.timeout = Duration::from_secs_f64(t);
    }
    Ok((settings, Mail::new(from, to, subject, body)))
}

/// Sends the mail of `kw`.
pub(crate) async fn send(kw: &Kwargs) -> Result<(), Failure> {
    let (settings, mail) = mail_from(kw)?;
    crate::mail::send_mail(&settings, &mail)
        .await
        .map_err(|e| Failure::Failed(e.into()))
}
