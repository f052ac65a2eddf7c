//! Sending a plain-text mail over SMTP: what the Python package's `send_qq_email` plugin does,
//! with the server configurable and every failure reported.
//!
//! The Python plugin sends through `smtp.qq.com:465` (implicit TLS) and ignores what the
//! server answers; here a refused login, a rejected recipient or an untrusted
//! certificate is a [`MailError`] naming the server, the address or the step concerned.
//!
//! The message is composed by `lettre` (UTF-8 subject as RFC 2047 encoded words, body in
//! quoted-printable or base64, whichever is shorter) and sent over one `lettre` SMTP
//! connection, command by command, so that a refusal can be pinned to the sender, the
//! recipient or the message. TLS is rustls with the ring provider, like the site client.
//!
//! ```no_run
//! # async fn run() -> Result<(), jmcomic::mail::MailError> {
//! use jmcomic::mail::{Mail, MailSettings, send_mail};
//! // QQ Mail: the password is the SMTP authorization code, not the account password.
//! let settings = MailSettings::new("123456@qq.com", "authorization-code");
//! let mail = Mail::new("123456@qq.com", "me@example.com; friend@example.com", "下载完成", "JM123 已下载");
//! send_mail(&settings, &mail).await?;
//! # Ok(()) }
//! ```

// Spec §5.3 (`send_qq_email`), W23 (it ignores the server's answers).

use std::error::Error as StdError;
use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use lettre::Message;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::Error as SmtpError;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{
    AsyncSmtpConnection, Certificate, CertificateStore, TlsParameters,
};
use lettre::transport::smtp::commands::{Data, Mail as MailCommand, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::{self, PemObject as _};
use tracing::{debug, info};

/// A boxed error from the SMTP or TLS library, kept as the source of a [`MailError`].
type BoxError = Box<dyn StdError + Send + Sync>;

/// How the connection to the SMTP server is secured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum MailSecurity {
    /// TLS from the first byte ("SMTPS", usually port 465): what QQ Mail and the Python
    /// plugin use.
    #[default]
    ImplicitTls,
    /// A plain connection upgraded with `STARTTLS` (usually port 587); a server that does not
    /// offer it is an error, never a silent fall-back to plain text.
    StartTls,
    /// No encryption at all. Only accepted for a loopback host (`localhost`, `127.0.0.1`,
    /// `::1`): the password would otherwise cross the network in the clear.
    Plain,
}

/// Where and how to send: the SMTP server and the login.
///
/// [`MailSettings::new`] gives QQ Mail's server (`smtp.qq.com:465`, implicit TLS); the fields
/// can then be changed for another server.
#[derive(Clone)]
#[non_exhaustive]
pub struct MailSettings {
    /// The SMTP server's host name or IP address (default `smtp.qq.com`).
    pub host: String,
    /// The SMTP server's port (default 465).
    pub port: u16,
    /// How the connection is secured (default [`MailSecurity::ImplicitTls`]).
    pub security: MailSecurity,
    /// The login name; empty means the sender's address (what the Python plugin logs in with).
    pub username: String,
    /// The password; for QQ Mail the SMTP authorization code. Never shown by `Debug` or in
    /// errors.
    pub password: String,
    /// The longest wait for the TCP connection to be established (default 10 s).
    pub connect_timeout: Duration,
    /// The longest time the whole send may take, connection included (default 60 s).
    pub timeout: Duration,
    /// Certificates (PEM, possibly several in one entry, or DER) trusted as roots in addition
    /// to the system's: for a private server with its own certificate authority.
    pub extra_root_certificates: Vec<Vec<u8>>,
}

impl MailSettings {
    /// QQ Mail's SMTP server, the one the Python plugin uses.
    pub const QQ_HOST: &'static str = "smtp.qq.com";
    /// QQ Mail's implicit-TLS port.
    pub const QQ_PORT: u16 = 465;

    /// Settings for QQ Mail (`smtp.qq.com:465`, implicit TLS) with this login.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        MailSettings {
            host: Self::QQ_HOST.to_owned(),
            port: Self::QQ_PORT,
            security: MailSecurity::ImplicitTls,
            username: username.into(),
            password: password.into(),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(60),
            extra_root_certificates: Vec::new(),
        }
    }

    /// The same settings for another server.
    pub fn with_server(
        mut self,
        host: impl Into<String>,
        port: u16,
        security: MailSecurity,
    ) -> Self {
        self.host = host.into();
        self.port = port;
        self.security = security;
        self
    }
}

impl fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field(
                "extra_root_certificates",
                &self.extra_root_certificates.len(),
            )
            .finish()
    }
}

/// A plain-text mail.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Mail {
    /// The sender, `addr@host` or `Name <addr@host>` (the plugin's `msg_from`).
    pub from: String,
    /// The recipients (the plugin's `msg_to`); each entry may hold several addresses
    /// separated by `,` or `;`.
    pub to: Vec<String>,
    /// The subject (the plugin's `title`); any Unicode text.
    pub subject: String,
    /// The body, plain text (the plugin's `content`); any Unicode text.
    pub body: String,
}

impl Mail {
    /// A mail to the recipients in `to` (one address, or several separated by `,` or `;`).
    pub fn new(
        from: impl Into<String>,
        to: impl Into<String>,
        subject: impl Into<String>,
        body: impl Into<String>,
    ) -> Self {
        Mail {
            from: from.into(),
            to: vec![to.into()],
            subject: subject.into(),
            body: body.into(),
        }
    }
}

/// A field the mail cannot be sent without (the Python plugin's check: "发件人、收件人、授权码都不能为空").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MailField {
    /// The sender (`msg_from`).
    From,
    /// The recipients (`msg_to`).
    To,
    /// The password or authorization code (`password`).
    Password,
}

impl fmt::Display for MailField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MailField::From => "sender (msg_from)",
            MailField::To => "recipient (msg_to)",
            MailField::Password => "password (the SMTP authorization code)",
        })
    }
}

/// What the server refused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refused {
    /// The connection itself (its greeting or the answer to `EHLO`).
    Connection,
    /// The `STARTTLS` command.
    StartTls,
    /// The sender (`MAIL FROM`).
    Sender(String),
    /// One recipient (`RCPT TO`).
    Recipient(String),
    /// The message itself (`DATA`).
    Message,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refused::Connection => f.write_str("the connection"),
            Refused::StartTls => f.write_str("STARTTLS"),
            Refused::Sender(a) => write!(f, "the sender <{a}>"),
            Refused::Recipient(a) => write!(f, "the recipient <{a}>"),
            Refused::Message => f.write_str("the message"),
        }
    }
}

/// Why a mail was not sent. No variant ever shows the password.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MailError {
    /// A required field is empty.
    #[error("cannot send the mail: the {field} is empty")]
    Missing {
        /// The empty field.
        field: MailField,
    },
    /// An address cannot be parsed.
    #[error("invalid mail address `{address}`: {source}")]
    InvalidAddress {
        /// The address as given.
        address: String,
        /// Why it is invalid.
        #[source]
        source: lettre::address::AddressError,
    },
    /// An entry of `extra_root_certificates` is not a certificate.
    #[error("extra root certificate #{index} cannot be used: {source}")]
    InvalidCertificate {
        /// Its index in `extra_root_certificates`.
        index: usize,
        /// Why it cannot be used.
        #[source]
        source: BoxError,
    },
    /// [`MailSecurity::Plain`] with a host that is not loopback.
    #[error(
        "refusing to send the password to {host} unencrypted: plain SMTP is only allowed to a loopback host"
    )]
    Insecure {
        /// The host.
        host: String,
    },
    /// The mail cannot be composed.
    #[error("cannot compose the mail: {source}")]
    Compose {
        /// Why.
        #[source]
        source: lettre::error::Error,
    },
    /// The server cannot be reached, or dropped the connection before the session started.
    #[error("cannot connect to the SMTP server {host}:{port}: {source}")]
    Connect {
        /// The server's host.
        host: String,
        /// The server's port.
        port: u16,
        /// What failed.
        #[source]
        source: BoxError,
    },
    /// The TLS handshake failed (an untrusted certificate, a server not speaking TLS), or
    /// `STARTTLS` is not offered.
    #[error(
        "TLS with the SMTP server {host}:{port} failed: {}",
        describe_tls(source)
    )]
    Tls {
        /// The server's host.
        host: String,
        /// The server's port.
        port: u16,
        /// What failed.
        #[source]
        source: BoxError,
    },
    /// The server refused the login (a wrong password or authorization code, or no
    /// authentication method in common).
    #[error("the SMTP server {host}:{port} refused the login of {username}: {source}")]
    Auth {
        /// The server's host.
        host: String,
        /// The server's port.
        port: u16,
        /// The login name (not the password).
        username: String,
        /// The server's answer.
        #[source]
        source: BoxError,
    },
    /// The server refused the sender, a recipient or the message.
    #[error("the SMTP server {host}:{port} refused {what} ({code}): {message}")]
    Rejected {
        /// The server's host.
        host: String,
        /// The server's port.
        port: u16,
        /// What was refused.
        what: Refused,
        /// The SMTP reply code (4xx: try again later; 5xx: permanent).
        code: u16,
        /// The server's reply text.
        message: String,
    },
    /// The server lacks an SMTP extension this mail needs.
    #[error("the SMTP server {host}:{port} does not support {extension}, which this mail needs")]
    Unsupported {
        /// The server's host.
        host: String,
        /// The server's port.
        port: u16,
        /// The extension (`SMTPUTF8`, `8BITMIME`).
        extension: &'static str,
    },
    /// Connecting or sending took too long.
    #[error("the SMTP server {host}:{port} did not answer in time ({after:?})")]
    Timeout {
        /// The server's host.
        host: String,
        /// The server's port.
        port: u16,
        /// The limit that was reached.
        after: Duration,
    },
    /// The session broke off (connection lost, a reply that is not SMTP).
    #[error("the SMTP session with {host}:{port} failed: {source}")]
    Session {
        /// The server's host.
        host: String,
        /// The server's port.
        port: u16,
        /// What failed.
        #[source]
        source: BoxError,
    },
}

impl MailError {
    /// Whether sending again later may succeed: the network, a timeout, or a 4xx reply.
    pub fn is_transient(&self) -> bool {
        match self {
            MailError::Connect { .. } | MailError::Timeout { .. } | MailError::Session { .. } => {
                true
            }
            MailError::Rejected { code, .. } => (400..500).contains(code),
            _ => false,
        }
    }
}

/// Sends `mail` as configured by `settings`: validates the fields, connects (TLS as
/// `settings.security` says, the certificate verified), logs in, sends, and says why not.
///
/// Dropping the future (or the timeout) closes the connection. Before the end of the data
/// that abandons the mail; in the moment between the server accepting the data and its
/// answer arriving, the mail may have gone although an error is returned (as with any SMTP
/// client).
pub async fn send_mail(settings: &MailSettings, mail: &Mail) -> Result<(), MailError> {
    let prepared = prepare(settings, mail)?;
    let tls = match settings.security {
        MailSecurity::Plain if !is_loopback(&settings.host) => {
            return Err(MailError::Insecure {
                host: settings.host.clone(),
            });
        }
        MailSecurity::Plain => None,
        MailSecurity::ImplicitTls | MailSecurity::StartTls => Some(tls_parameters(settings)?),
    };
    match tokio::time::timeout(settings.timeout, deliver(settings, &prepared, tls)).await {
        Ok(Ok(())) => {
            info!(
                host = %settings.host,
                port = settings.port,
                recipients = prepared.recipients.len(),
                "mail sent"
            );
            Ok(())
        }
        Ok(Err(e)) => Err(e),
        Err(_) => Err(MailError::Timeout {
            host: settings.host.clone(),
            port: settings.port,
            after: settings.timeout,
        }),
    }
}

/// A validated mail, ready for the wire.
struct Prepared {
    sender: lettre::Address,
    recipients: Vec<lettre::Address>,
    username: String,
    /// The whole message (headers and body), all ASCII.
    message: Vec<u8>,
}

fn prepare(settings: &MailSettings, mail: &Mail) -> Result<Prepared, MailError> {
    if mail.from.trim().is_empty() {
        return Err(MailError::Missing {
            field: MailField::From,
        });
    }
    let recipients: Vec<&str> = mail.to.iter().flat_map(|t| split_addresses(t)).collect();
    if recipients.is_empty() {
        return Err(MailError::Missing {
            field: MailField::To,
        });
    }
    if settings.password.is_empty() {
        return Err(MailError::Missing {
            field: MailField::Password,
        });
    }
    let parse = |address: &str| {
        address
            .parse::<Mailbox>()
            .map_err(|source| MailError::InvalidAddress {
                address: address.to_owned(),
                source,
            })
    };
    let from = parse(mail.from.trim())?;
    let mut builder = Message::builder()
        .from(from.clone())
        .subject(mail.subject.as_str())
        .header(ContentType::TEXT_PLAIN);
    let mut addresses = Vec::with_capacity(recipients.len());
    for recipient in recipients {
        let mailbox = parse(recipient)?;
        addresses.push(mailbox.email.clone());
        builder = builder.to(mailbox);
    }
    let message = builder
        .body(mail.body.clone())
        .map_err(|source| MailError::Compose { source })?;
    let username = if settings.username.trim().is_empty() {
        from.email.to_string()
    } else {
        settings.username.clone()
    };
    Ok(Prepared {
        sender: from.email,
        recipients: addresses,
        username,
        message: message.formatted(),
    })
}

/// The addresses of a `msg_to` list: separated by `,` or `;` outside double quotes (a display
/// name may hold either).
fn split_addresses(list: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in list.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' | ';' if !quoted => {
                parts.push(&list[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&list[start..]);
    parts
        .into_iter()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The TLS parameters: the system's certificate verifier plus the extra roots, or, on a
/// machine without CA certificates (a minimal container), the Mozilla roots compiled into the
/// program, as the site client does (`jmcomic-client/src/tls.rs`).
fn tls_parameters(settings: &MailSettings) -> Result<TlsParameters, MailError> {
    let mut extra = Vec::new();
    for (index, bytes) in settings.extra_root_certificates.iter().enumerate() {
        let invalid = |source: BoxError| MailError::InvalidCertificate { index, source };
        for der in parse_certificates(bytes).map_err(|e| invalid(e.into()))? {
            // Checked here, where the entry can be named: lettre would only fail the whole
            // TLS set-up.
            RootCertStore::empty()
                .add(der.clone())
                .map_err(|e| invalid(e.into()))?;
            extra.push(Certificate::from_der(der.to_vec()).map_err(|e| invalid(e.into()))?);
        }
    }
    let build = |store: CertificateStore, roots: &mut dyn Iterator<Item = Certificate>| {
        roots
            .fold(
                TlsParameters::builder(settings.host.clone()).certificate_store(store),
                lettre::transport::smtp::client::TlsParametersBuilder::add_root_certificate,
            )
            .build_rustls()
    };
    match build(CertificateStore::Default, &mut extra.iter().cloned()) {
        Ok(parameters) => Ok(parameters),
        Err(e) => {
            debug!(reason = %e, "no usable system CA certificates; using the built-in Mozilla roots");
            let mozilla = webpki_root_certs::TLS_SERVER_ROOT_CERTS
                .iter()
                .map(|der| Certificate::from_der(der.to_vec()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| tls_error(settings, e))?;
            build(
                CertificateStore::None,
                &mut mozilla.into_iter().chain(extra),
            )
            .map_err(|e| tls_error(settings, e))
        }
    }
}

/// The certificates of one entry: PEM (one or more) or DER.
fn parse_certificates(bytes: &[u8]) -> Result<Vec<CertificateDer<'static>>, pem::Error> {
    if bytes.trim_ascii_start().starts_with(b"-----BEGIN") {
        let certificates = CertificateDer::pem_slice_iter(bytes).collect::<Result<Vec<_>, _>>()?;
        if certificates.is_empty() {
            return Err(pem::Error::NoItemsFound);
        }
        Ok(certificates)
    } else {
        Ok(vec![CertificateDer::from(bytes.to_vec())])
    }
}

/// One SMTP session: connect, (STARTTLS), log in, send, quit.
async fn deliver(
    settings: &MailSettings,
    prepared: &Prepared,
    tls: Option<TlsParameters>,
) -> Result<(), MailError> {
    // Without the `hostname` feature lettre greets as `[127.0.0.1]`, an address literal,
    // which RFC 5321 §4.1.4 allows when the client has no obvious name.
    let hello = ClientId::default();
    let (implicit, starttls) = match settings.security {
        MailSecurity::StartTls => (None, tls),
        _ => (tls, None),
    };
    let mut connection = AsyncSmtpConnection::connect_tokio1(
        (settings.host.as_str(), settings.port),
        Some(settings.connect_timeout),
        &hello,
        implicit,
        None,
    )
    .await
    .map_err(|e| classify(settings, prepared, &Step::Connect, e))?;
    let result = session(settings, prepared, &mut connection, starttls, &hello).await;
    match result {
        Ok(()) => {
            // The mail is accepted once the server has answered the end of data; a failed
            // QUIT changes nothing about that.
            if let Err(e) = connection.quit().await {
                debug!(error = %e, "QUIT after a sent mail failed");
            }
            Ok(())
        }
        Err(e) => {
            connection.abort().await;
            Err(e)
        }
    }
}

async fn session(
    settings: &MailSettings,
    prepared: &Prepared,
    connection: &mut AsyncSmtpConnection,
    starttls: Option<TlsParameters>,
    hello: &ClientId,
) -> Result<(), MailError> {
    let fail = |step: &Step<'_>, e| classify(settings, prepared, step, e);
    if let Some(tls) = starttls {
        if !connection.can_starttls() {
            return Err(tls_error(
                settings,
                "the server does not offer STARTTLS".to_owned(),
            ));
        }
        connection
            .starttls(tls, hello)
            .await
            .map_err(|e| fail(&Step::StartTls, e))?;
    }
    let credentials = Credentials::new(prepared.username.clone(), settings.password.clone());
    connection
        .auth(DEFAULT_MECHANISMS, &credentials)
        .await
        .map_err(|e| fail(&Step::Auth, e))?;

    // What lettre's own `send` asks for: SMTPUTF8 for non-ASCII addresses, 8BITMIME for a
    // non-ASCII message (lettre encodes text bodies to ASCII, so this is a safeguard).
    let server = connection.server_info();
    let mut parameters = Vec::new();
    let non_ascii_address = std::iter::once(&prepared.sender)
        .chain(&prepared.recipients)
        .any(|a| !AsRef::<str>::as_ref(a).is_ascii());
    for (needed, extension, name, parameter) in [
        (
            non_ascii_address,
            Extension::SmtpUtfEight,
            "SMTPUTF8",
            MailParameter::SmtpUtfEight,
        ),
        (
            !prepared.message.is_ascii(),
            Extension::EightBitMime,
            "8BITMIME",
            MailParameter::Body(MailBodyParameter::EightBitMime),
        ),
    ] {
        if needed {
            if !server.supports_feature(extension) {
                return Err(MailError::Unsupported {
                    host: settings.host.clone(),
                    port: settings.port,
                    extension: name,
                });
            }
            parameters.push(parameter);
        }
    }

    // Command by command rather than lettre's `send`, so a refusal names what was refused.
    connection
        .command(MailCommand::new(Some(prepared.sender.clone()), parameters))
        .await
        .map_err(|e| fail(&Step::Sender, e))?;
    for recipient in &prepared.recipients {
        connection
            .command(Rcpt::new(recipient.clone(), Vec::new()))
            .await
            .map_err(|e| fail(&Step::Recipient(recipient), e))?;
    }
    connection
        .command(Data)
        .await
        .map_err(|e| fail(&Step::Message, e))?;
    // lettre ends the data with CRLF "." CRLF, whose first CRLF (RFC 5321 §4.1.1.4) ends the
    // message's last line: sending the message's own final CRLF too would add an empty line
    // to the body.
    let data = prepared
        .message
        .strip_suffix(b"\r\n")
        .unwrap_or(&prepared.message);
    connection
        .message(data)
        .await
        .map_err(|e| fail(&Step::Message, e))?;
    Ok(())
}

/// The step of a session an error happened in.
enum Step<'a> {
    Connect,
    StartTls,
    Auth,
    Sender,
    Recipient(&'a lettre::Address),
    Message,
}

/// Turns lettre's error into a [`MailError`] for the step it happened in.
fn classify(
    settings: &MailSettings,
    prepared: &Prepared,
    step: &Step<'_>,
    error: SmtpError,
) -> MailError {
    let (host, port) = (settings.host.clone(), settings.port);
    // lettre reports a failed handshake as a connection error wrapping rustls' error in an
    // io::Error; look for it along the chain.
    if error.is_tls() || rustls_cause(&error).is_some() {
        return tls_error(settings, error);
    }
    if error.is_timeout() {
        return MailError::Timeout {
            host,
            port,
            after: settings.connect_timeout,
        };
    }
    let refused = match step {
        Step::Auth => {
            return MailError::Auth {
                host,
                port,
                username: prepared.username.clone(),
                source: error.into(),
            };
        }
        Step::Connect => Refused::Connection,
        Step::StartTls => Refused::StartTls,
        Step::Sender => Refused::Sender(prepared.sender.to_string()),
        Step::Recipient(address) => Refused::Recipient(address.to_string()),
        Step::Message => Refused::Message,
    };
    match error.status() {
        Some(code) => MailError::Rejected {
            host,
            port,
            what: refused,
            code: code.into(),
            // lettre keeps the reply text as the error's source.
            message: error.source().map(ToString::to_string).unwrap_or_default(),
        },
        None if matches!(step, Step::Connect) => MailError::Connect {
            host,
            port,
            source: error.into(),
        },
        None => MailError::Session {
            host,
            port,
            source: error.into(),
        },
    }
}

fn tls_error(settings: &MailSettings, source: impl Into<BoxError>) -> MailError {
    MailError::Tls {
        host: settings.host.clone(),
        port: settings.port,
        source: source.into(),
    }
}

/// The rustls error somewhere along the chain, if any (an `io::Error`'s `source()` skips the
/// error it wraps, so that one is looked at by hand).
fn rustls_cause<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a rustls::Error> {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(tls) = e
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return Some(tls);
        }
        next = e.source();
    }
    None
}

/// A TLS failure in a few words: rustls' own reason (`invalid peer certificate:
/// UnknownIssuer`) rather than lettre's layers of "Connection error" around it.
fn describe_tls(source: &BoxError) -> String {
    match rustls_cause(source.as_ref()) {
        Some(tls) => tls.to_string(),
        None => source.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_split_on_commas_and_semicolons_outside_quotes() {
        assert_eq!(
            split_addresses(" a@x.cn; b@y.cn ,\"Doe, J; r\" <c@z.cn>;; "),
            ["a@x.cn", "b@y.cn", "\"Doe, J; r\" <c@z.cn>"]
        );
        assert!(split_addresses(" ;, ").is_empty());
    }

    #[test]
    fn only_loopback_hosts_may_be_plain() {
        for host in ["localhost", "127.0.0.1", "::1", "[::1]", "127.8.9.10"] {
            assert!(is_loopback(host), "{host}");
        }
        for host in ["smtp.qq.com", "10.0.0.1", "localhost.example.com", ""] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    #[test]
    fn debug_redacts_the_password() {
        let settings = MailSettings::new("me@qq.com", "s3cret-code");
        let shown = format!("{settings:?}");
        assert!(!shown.contains("s3cret-code"), "{shown}");
        assert!(
            shown.contains("smtp.qq.com") && shown.contains("465"),
            "{shown}"
        );
    }

    #[test]
    fn the_built_in_mozilla_roots_are_all_accepted() {
        // The fall-back for machines without CA certificates adds every root one by one and
        // fails as a whole on the first it cannot parse.
        let roots = webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .map(|der| Certificate::from_der(der.to_vec()).unwrap());
        let built = roots
            .fold(
                TlsParameters::builder("smtp.qq.com".to_owned())
                    .certificate_store(CertificateStore::None),
                lettre::transport::smtp::client::TlsParametersBuilder::add_root_certificate,
            )
            .build_rustls();
        assert!(built.is_ok());
    }
}
