//! A small SMTP server on 127.0.0.1 for the mail tests, written for them (no code shared with
//! the client side): implicit TLS (like port 465), STARTTLS or plain; `EHLO`, `AUTH PLAIN` /
//! `AUTH LOGIN`, `MAIL FROM`, `RCPT TO`, `DATA`, `QUIT`. It records every session and can be
//! told to refuse the password or a recipient, or to stay silent. Stops on `Drop`.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

/// How the server secures connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerTls {
    /// TLS from the first byte.
    Implicit,
    /// Plain, `STARTTLS` offered; `AUTH` only offered once encrypted, as real servers do.
    StartTls,
    /// Plain.
    None,
}

/// What the server does.
#[derive(Clone, Debug)]
pub struct Config {
    /// How connections are secured.
    pub tls: ServerTls,
    /// The password `AUTH` accepts.
    pub password: String,
    /// The mechanisms advertised after `AUTH` in the `EHLO` answer.
    pub mechanisms: &'static str,
    /// Recipients refused with 550.
    pub refused_recipients: Vec<String>,
    /// Accept connections but never say anything (for timeouts).
    pub silent: bool,
}

impl Config {
    /// Implicit TLS, `AUTH PLAIN LOGIN`, this password, everything accepted.
    pub fn new(tls: ServerTls, password: &str) -> Self {
        Config {
            tls,
            password: password.to_owned(),
            mechanisms: "PLAIN LOGIN",
            refused_recipients: Vec::new(),
            silent: false,
        }
    }
}

/// A login attempt as the server decoded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Login {
    /// `PLAIN` or `LOGIN`.
    pub mechanism: String,
    /// The login name.
    pub username: String,
    /// The password.
    pub password: String,
    /// Whether the server accepted it.
    pub accepted: bool,
}

/// What one connection did.
#[derive(Clone, Debug, Default)]
pub struct Session {
    /// Whether the connection was encrypted when the mail was sent (or at its end).
    pub tls: bool,
    /// Every command line received (AUTH payloads included), in order.
    pub commands: Vec<String>,
    /// The login attempts.
    pub logins: Vec<Login>,
    /// The `MAIL FROM` address.
    pub mail_from: Option<String>,
    /// The `RCPT TO` addresses the server accepted.
    pub recipients: Vec<String>,
    /// The message received after `DATA`, dot-stuffing removed, without the final `.` line.
    pub data: Option<Vec<u8>>,
}

/// The running server.
pub struct SmtpServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its self-signed certificate (PEM), to be trusted by the client.
    pub certificate_pem: String,
    sessions: Arc<Mutex<Vec<Session>>>,
    task: JoinHandle<()>,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SmtpServer {
    /// Starts a server on 127.0.0.1 with a fresh self-signed certificate for `127.0.0.1` and
    /// `localhost`.
    pub async fn start(config: Config) -> SmtpServer {
        let certified = rcgen::generate_simple_self_signed(vec![
            "127.0.0.1".to_owned(),
            "localhost".to_owned(),
        ])
        .unwrap();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            certified.signing_key.serialize_der(),
        ));
        let tls = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .unwrap();
        let acceptor = TlsAcceptor::from(Arc::new(tls));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let sessions = Arc::new(Mutex::new(Vec::new()));
        let config = Arc::new(config);
        let task = tokio::spawn({
            let sessions = sessions.clone();
            async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let index = {
                        let mut all = sessions.lock().unwrap();
                        all.push(Session::default());
                        all.len() - 1
                    };
                    let recorder = Recorder {
                        sessions: sessions.clone(),
                        index,
                    };
                    let (config, acceptor) = (config.clone(), acceptor.clone());
                    // A failed connection (a client rejecting the certificate) ends quietly;
                    // the tests look at what was recorded.
                    tokio::spawn(async move {
                        let _ = serve(stream, &config, &acceptor, &recorder).await;
                    });
                }
            }
        });
        SmtpServer {
            addr,
            certificate_pem: certified.cert.pem(),
            sessions,
            task,
        }
    }

    /// The sessions so far, in the order connections were accepted.
    pub fn sessions(&self) -> Vec<Session> {
        self.sessions.lock().unwrap().clone()
    }
}

/// Writes into one session's record (before the server answers, so a client that got the
/// answer finds the record complete).
struct Recorder {
    sessions: Arc<Mutex<Vec<Session>>>,
    index: usize,
}

impl Recorder {
    fn record(&self, change: impl FnOnce(&mut Session)) {
        change(&mut self.sessions.lock().unwrap()[self.index]);
    }
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

type Stream = BufReader<Box<dyn Io>>;

async fn serve(
    tcp: TcpStream,
    config: &Config,
    acceptor: &TlsAcceptor,
    recorder: &Recorder,
) -> std::io::Result<()> {
    if config.silent {
        // Hold the connection open without a greeting until the client gives up.
        let mut tcp = tcp;
        let mut sink = Vec::new();
        let _ = tokio::io::AsyncReadExt::read_to_end(&mut tcp, &mut sink).await;
        return Ok(());
    }
    let mut encrypted = config.tls == ServerTls::Implicit;
    let mut io: Stream = if encrypted {
        BufReader::new(Box::new(acceptor.accept(tcp).await?))
    } else {
        BufReader::new(Box::new(tcp))
    };
    recorder.record(|s| s.tls = encrypted);
    reply(&mut io, &["220 127.0.0.1 ESMTP test server"]).await?;
    let mut authenticated = false;
    while let Some(line) = read_line(&mut io).await? {
        recorder.record(|s| s.commands.push(line.clone()));
        let (verb, argument) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        match verb.to_ascii_uppercase().as_str() {
            "EHLO" | "HELO" => {
                let mut lines = vec!["250-127.0.0.1 greets you".to_owned()];
                if config.tls == ServerTls::StartTls && !encrypted {
                    lines.push("250-STARTTLS".to_owned());
                }
                if encrypted || config.tls == ServerTls::None {
                    lines.push(format!("250-AUTH {}", config.mechanisms));
                }
                lines.push("250 8BITMIME".to_owned());
                let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
                reply(&mut io, &lines).await?;
            }
            "STARTTLS" if config.tls == ServerTls::StartTls && !encrypted => {
                reply(&mut io, &["220 2.0.0 Ready to start TLS"]).await?;
                let plain = io.into_inner();
                io = BufReader::new(Box::new(acceptor.accept(plain).await?));
                encrypted = true;
                recorder.record(|s| s.tls = true);
            }
            "AUTH" => {
                let mut words = argument.split_whitespace();
                let mechanism = words.next().unwrap_or_default().to_ascii_uppercase();
                let initial = words.next().map(str::to_owned);
                let credentials = match mechanism.as_str() {
                    "PLAIN" if config.mechanisms.contains("PLAIN") => {
                        let response = match initial {
                            Some(r) => r,
                            None => challenge(&mut io, "334 ").await?,
                        };
                        let decoded = decode(&response);
                        // authorization identity \0 authentication identity \0 password
                        let mut parts = decoded.split('\0').skip(1);
                        Some((
                            parts.next().unwrap_or_default().to_owned(),
                            parts.next().unwrap_or_default().to_owned(),
                        ))
                    }
                    "LOGIN" if config.mechanisms.contains("LOGIN") => {
                        let user = challenge(&mut io, "334 VXNlcm5hbWU6").await?;
                        let password = challenge(&mut io, "334 UGFzc3dvcmQ6").await?;
                        Some((decode(&user), decode(&password)))
                    }
                    _ => None,
                };
                match credentials {
                    Some((username, password)) => {
                        let accepted = password == config.password;
                        recorder.record(|s| {
                            s.logins.push(Login {
                                mechanism,
                                username,
                                password,
                                accepted,
                            });
                        });
                        authenticated = accepted;
                        if accepted {
                            reply(&mut io, &["235 2.7.0 Authentication successful"]).await?;
                        } else {
                            reply(&mut io, &["535 5.7.8 Error: authentication failed"]).await?;
                        }
                    }
                    None => reply(&mut io, &["504 5.5.4 Unrecognized mechanism"]).await?,
                }
            }
            "MAIL" if !authenticated => {
                reply(&mut io, &["530 5.7.0 Authentication required"]).await?;
            }
            "MAIL" => {
                let address = angle_address(argument);
                recorder.record(|s| s.mail_from = Some(address));
                reply(&mut io, &["250 2.1.0 Ok"]).await?;
            }
            "RCPT" => {
                let address = angle_address(argument);
                if config.refused_recipients.contains(&address) {
                    let text =
                        format!("550 5.1.1 <{address}>: Recipient address rejected: User unknown");
                    reply(&mut io, &[&text]).await?;
                } else {
                    recorder.record(|s| s.recipients.push(address));
                    reply(&mut io, &["250 2.1.5 Ok"]).await?;
                }
            }
            "DATA" => {
                reply(&mut io, &["354 End data with <CR><LF>.<CR><LF>"]).await?;
                let data = read_data(&mut io).await?;
                recorder.record(|s| s.data = Some(data));
                reply(&mut io, &["250 2.0.0 Ok: queued as TEST1"]).await?;
            }
            "RSET" | "NOOP" => reply(&mut io, &["250 2.0.0 Ok"]).await?,
            "QUIT" => {
                reply(&mut io, &["221 2.0.0 Bye"]).await?;
                break;
            }
            _ => reply(&mut io, &["502 5.5.2 Error: command not recognized"]).await?,
        }
    }
    Ok(())
}

async fn reply(io: &mut Stream, lines: &[&str]) -> std::io::Result<()> {
    let mut text = String::new();
    for line in lines {
        text.push_str(line);
        text.push_str("\r\n");
    }
    io.get_mut().write_all(text.as_bytes()).await?;
    io.get_mut().flush().await
}

/// One line without its CRLF; `None` at the end of the stream.
async fn read_line(io: &mut Stream) -> std::io::Result<Option<String>> {
    let mut buf = Vec::new();
    if io.read_until(b'\n', &mut buf).await? == 0 {
        return Ok(None);
    }
    let text = String::from_utf8_lossy(&buf);
    Ok(Some(text.trim_end_matches(['\r', '\n']).to_owned()))
}

/// Sends a 334 challenge and reads the answer line.
async fn challenge(io: &mut Stream, prompt: &str) -> std::io::Result<String> {
    reply(io, &[prompt]).await?;
    Ok(read_line(io).await?.unwrap_or_default())
}

fn decode(base64_text: &str) -> String {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(base64_text.trim())
        .unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// `FROM:<a@b> SIZE=1` → `a@b`.
fn angle_address(argument: &str) -> String {
    let start = argument.find('<').map_or(0, |i| i + 1);
    let end = argument[start..]
        .find('>')
        .map_or(argument.len(), |i| start + i);
    argument[start..end].to_owned()
}

/// The message up to the `.` line, with the leading dot of stuffed lines removed (RFC 5321
/// §4.5.2).
async fn read_data(io: &mut Stream) -> std::io::Result<Vec<u8>> {
    let mut data = Vec::new();
    loop {
        let mut line = Vec::new();
        if io.read_until(b'\n', &mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == b".\r\n" {
            return Ok(data);
        }
        let start = usize::from(line.starts_with(b"."));
        data.extend_from_slice(&line[start..]);
    }
}
