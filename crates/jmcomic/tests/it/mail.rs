//! The mail sender against the loopback SMTP server of `smtp_server.rs`; the mails it
//! receives are read back with `mail-parser` (an independent MIME reader).

use std::time::Duration;

use jmcomic::mail::{Mail, MailError, MailField, MailSecurity, MailSettings, Refused, send_mail};
use mail_parser::{MessageParser, MimeHeaders as _};

use crate::smtp_server::{Config, ServerTls, SmtpServer};

const PASSWORD: &str = "qq-auth-code-abcdefgh";

/// Settings for the test server, trusting its certificate.
fn settings(server: &SmtpServer, security: MailSecurity, password: &str) -> MailSettings {
    let mut settings =
        MailSettings::new("", password).with_server("127.0.0.1", server.addr.port(), security);
    settings.extra_root_certificates = vec![server.certificate_pem.clone().into_bytes()];
    settings.timeout = Duration::from_secs(10);
    settings
}

#[tokio::test]
async fn a_chinese_mail_arrives_over_implicit_tls() {
    let server = SmtpServer::start(Config::new(ServerTls::Implicit, PASSWORD)).await;
    let subject = "禁漫下载完成：JM123456《测试本子》第1话";
    // A line starting with a dot (SMTP dot-stuffing), a long line (soft line breaks), ASCII
    // and Chinese mixed.
    let body = "本子 JM123456 已下载完成，共 42 页。\n.hidden line starting with a dot\n\
                这是一行很长的中文文本，用来检查编码后的换行是否正确处理，不会丢失或者多出任何字符，一二三四五六七八九十。\n\
                路径: /home/用户/漫画/JM123456\n";
    let mail = Mail::new(
        "禁漫助手 <sender@qq.com>",
        "first@example.com; \"Second, Reader\" <second@example.org>",
        subject,
        body,
    );
    send_mail(
        &settings(&server, MailSecurity::ImplicitTls, PASSWORD),
        &mail,
    )
    .await
    .unwrap();

    let sessions = server.sessions();
    assert_eq!(sessions.len(), 1);
    let session = &sessions[0];
    assert!(session.tls);
    // Logged in as the sender's address (what the Python plugin does), with the password.
    assert_eq!(session.logins.len(), 1);
    let login = &session.logins[0];
    assert_eq!(
        (
            login.mechanism.as_str(),
            login.username.as_str(),
            login.password.as_str()
        ),
        ("PLAIN", "sender@qq.com", PASSWORD)
    );
    assert_eq!(session.mail_from.as_deref(), Some("sender@qq.com"));
    assert_eq!(
        session.recipients,
        ["first@example.com", "second@example.org"]
    );

    let data = session
        .data
        .as_ref()
        .expect("the server received no message");
    // Everything on the wire is 7-bit: the subject as encoded words, the body encoded.
    assert!(data.is_ascii(), "{}", String::from_utf8_lossy(data));
    let raw = String::from_utf8_lossy(data);
    let subject_line = raw
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("subject:"))
        .unwrap();
    assert!(
        subject_line.to_ascii_lowercase().contains("=?utf-8?"),
        "{subject_line}"
    );

    let message = MessageParser::default().parse(data).unwrap();
    assert_eq!(message.subject(), Some(subject));
    let from = message.from().unwrap().first().unwrap();
    assert_eq!(from.address(), Some("sender@qq.com"));
    assert_eq!(from.name(), Some("禁漫助手"));
    let to: Vec<_> = message
        .to()
        .unwrap()
        .clone()
        .into_list()
        .into_iter()
        .map(|a| {
            (
                a.name.map(std::borrow::Cow::into_owned),
                a.address.unwrap().into_owned(),
            )
        })
        .collect();
    assert_eq!(
        to,
        [
            (None, "first@example.com".to_owned()),
            (
                Some("Second, Reader".to_owned()),
                "second@example.org".to_owned()
            )
        ]
    );
    let content_type = message.content_type().unwrap();
    assert_eq!(
        (content_type.ctype(), content_type.subtype()),
        ("text", Some("plain"))
    );
    assert_eq!(
        content_type
            .attribute("charset")
            .map(str::to_ascii_lowercase),
        Some("utf-8".to_owned())
    );
    let transfer = message
        .header_raw("Content-Transfer-Encoding")
        .unwrap()
        .trim()
        .to_ascii_lowercase();
    assert!(
        transfer == "base64" || transfer == "quoted-printable",
        "{transfer}"
    );
    assert_eq!(message.text_body_count(), 1);
    let text = message.body_text(0).unwrap().replace("\r\n", "\n");
    assert_eq!(text, body);
    // The client said goodbye after the mail was accepted.
    assert_eq!(session.commands.last().map(String::as_str), Some("QUIT"));
}

#[tokio::test]
async fn starttls_with_auth_login() {
    let mut config = Config::new(ServerTls::StartTls, PASSWORD);
    config.mechanisms = "LOGIN";
    let server = SmtpServer::start(config).await;
    let mut settings = settings(&server, MailSecurity::StartTls, PASSWORD);
    settings.username = "login-name".to_owned();
    let mail = Mail::new("me@qq.com", "you@example.com", "hello", "ascii body\n");
    send_mail(&settings, &mail).await.unwrap();

    let session = &server.sessions()[0];
    assert!(session.tls);
    let verbs: Vec<String> = session
        .commands
        .iter()
        .map(|c| c.split(' ').next().unwrap().to_ascii_uppercase())
        .collect();
    let position = |verb: &str| verbs.iter().position(|v| v == verb).unwrap();
    // Upgraded before the login, and greeted again over TLS.
    assert!(position("STARTTLS") < position("AUTH"), "{verbs:?}");
    assert_eq!(
        verbs.iter().filter(|v| *v == "EHLO").count(),
        2,
        "{verbs:?}"
    );
    let login = &session.logins[0];
    assert_eq!(
        (
            login.mechanism.as_str(),
            login.username.as_str(),
            login.password.as_str()
        ),
        ("LOGIN", "login-name", PASSWORD)
    );
    let message = MessageParser::default()
        .parse(session.data.as_ref().unwrap())
        .unwrap();
    assert_eq!(message.subject(), Some("hello"));
    assert_eq!(
        message.body_text(0).unwrap().replace("\r\n", "\n"),
        "ascii body\n"
    );
}

#[tokio::test]
async fn a_wrong_password_is_an_auth_error_that_hides_it() {
    let server = SmtpServer::start(Config::new(ServerTls::Implicit, PASSWORD)).await;
    let wrong = "wrong-code-zyxwvu";
    let mail = Mail::new("me@qq.com", "you@example.com", "s", "b");
    let error = send_mail(&settings(&server, MailSecurity::ImplicitTls, wrong), &mail)
        .await
        .unwrap_err();
    match &error {
        MailError::Auth {
            host,
            port,
            username,
            ..
        } => {
            assert_eq!(
                (host.as_str(), *port, username.as_str()),
                ("127.0.0.1", server.addr.port(), "me@qq.com")
            );
        }
        other => panic!("expected an Auth error, got {other:?}"),
    }
    let shown = format!("{error} {error:?}");
    assert!(shown.contains("535"), "{shown}");
    assert!(!shown.contains(wrong), "{shown}");
    assert!(!error.is_transient());
    let session = &server.sessions()[0];
    assert_eq!(session.logins[0].password, wrong);
    assert!(!session.logins[0].accepted);
    assert!(session.mail_from.is_none() && session.data.is_none());
}

#[tokio::test]
async fn a_refused_recipient_is_named_and_nothing_is_sent() {
    let mut config = Config::new(ServerTls::Implicit, PASSWORD);
    config.refused_recipients = vec!["nobody@example.com".to_owned()];
    let server = SmtpServer::start(config).await;
    let mail = Mail::new("me@qq.com", "ok@example.com, nobody@example.com", "s", "b");
    let error = send_mail(
        &settings(&server, MailSecurity::ImplicitTls, PASSWORD),
        &mail,
    )
    .await
    .unwrap_err();
    match &error {
        MailError::Rejected {
            what, code, port, ..
        } => {
            assert_eq!(what, &Refused::Recipient("nobody@example.com".to_owned()));
            assert_eq!((*code, *port), (550, server.addr.port()));
        }
        other => panic!("expected a Rejected error, got {other:?}"),
    }
    assert!(error.to_string().contains("nobody@example.com"), "{error}");
    let session = &server.sessions()[0];
    assert_eq!(session.recipients, ["ok@example.com"]);
    assert!(session.data.is_none());
}

#[tokio::test]
async fn nothing_listening_is_a_connect_error_naming_the_server() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let settings = MailSettings::new("me@qq.com", PASSWORD).with_server(
        "127.0.0.1",
        port,
        MailSecurity::ImplicitTls,
    );
    let mail = Mail::new("me@qq.com", "you@example.com", "s", "b");
    let error = send_mail(&settings, &mail).await.unwrap_err();
    assert!(
        matches!(&error, MailError::Connect { host, port: p, .. } if host == "127.0.0.1" && *p == port),
        "{error:?}"
    );
    assert!(
        error.to_string().contains(&format!("127.0.0.1:{port}")),
        "{error}"
    );
    assert!(error.is_transient());
}

#[tokio::test]
async fn an_untrusted_certificate_is_a_tls_error() {
    let server = SmtpServer::start(Config::new(ServerTls::Implicit, PASSWORD)).await;
    let mail = Mail::new("me@qq.com", "you@example.com", "s", "b");
    // The system's (or Mozilla's) roots only, or another self-signed certificate: neither
    // vouches for the server's.
    let other = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    for extra in [Vec::new(), vec![other.cert.der().to_vec()]] {
        let mut settings = settings(&server, MailSecurity::ImplicitTls, PASSWORD);
        settings.extra_root_certificates = extra;
        let error = send_mail(&settings, &mail).await.unwrap_err();
        assert!(matches!(error, MailError::Tls { .. }), "{error:?}");
        assert!(
            error.to_string().contains("invalid peer certificate"),
            "{error}"
        );
    }
    // The password never reached the server.
    assert!(server.sessions().iter().all(|s| s.logins.is_empty()));
}

#[tokio::test]
async fn a_server_not_offering_starttls_is_refused() {
    let server = SmtpServer::start(Config::new(ServerTls::None, PASSWORD)).await;
    let mail = Mail::new("me@qq.com", "you@example.com", "s", "b");
    let error = send_mail(&settings(&server, MailSecurity::StartTls, PASSWORD), &mail)
        .await
        .unwrap_err();
    assert!(matches!(error, MailError::Tls { .. }), "{error:?}");
    assert!(error.to_string().contains("STARTTLS"), "{error}");
    assert!(server.sessions()[0].logins.is_empty());
}

#[tokio::test]
async fn empty_fields_and_bad_addresses_are_refused_before_connecting() {
    let server = SmtpServer::start(Config::new(ServerTls::Implicit, PASSWORD)).await;
    let settings = settings(&server, MailSecurity::ImplicitTls, PASSWORD);
    for (mail, field) in [
        (Mail::new("me@qq.com", "", "s", "b"), MailField::To),
        (Mail::new("me@qq.com", " ; , ", "s", "b"), MailField::To),
        (
            Mail::new("  ", "you@example.com", "s", "b"),
            MailField::From,
        ),
    ] {
        let error = send_mail(&settings, &mail).await.unwrap_err();
        assert!(
            matches!(error, MailError::Missing { field: f } if f == field),
            "{error:?}"
        );
    }
    let mut no_password = settings.clone();
    no_password.password.clear();
    let mail = Mail::new("me@qq.com", "you@example.com", "s", "b");
    let error = send_mail(&no_password, &mail).await.unwrap_err();
    assert!(
        matches!(
            error,
            MailError::Missing {
                field: MailField::Password
            }
        ),
        "{error:?}"
    );
    let bad = Mail::new("me@qq.com", "you@example.com; not an address", "s", "b");
    let error = send_mail(&settings, &bad).await.unwrap_err();
    assert!(
        matches!(&error, MailError::InvalidAddress { address, .. } if address == "not an address"),
        "{error:?}"
    );
    for garbage in [
        b"not a certificate".to_vec(),
        b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".to_vec(),
    ] {
        let mut bad_root = settings.clone();
        bad_root.extra_root_certificates.push(garbage);
        let mail = Mail::new("me@qq.com", "you@example.com", "s", "b");
        let error = send_mail(&bad_root, &mail).await.unwrap_err();
        assert!(
            matches!(error, MailError::InvalidCertificate { index: 1, .. }),
            "{error:?}"
        );
    }
    assert!(server.sessions().is_empty());
}

#[tokio::test]
async fn plain_smtp_only_to_loopback() {
    // Refused before any lookup or connection.
    let settings = MailSettings::new("me@qq.com", PASSWORD).with_server(
        "smtp.qq.com",
        25,
        MailSecurity::Plain,
    );
    let mail = Mail::new("me@qq.com", "you@example.com", "s", "b");
    let error = send_mail(&settings, &mail).await.unwrap_err();
    assert!(
        matches!(&error, MailError::Insecure { host } if host == "smtp.qq.com"),
        "{error:?}"
    );

    let server = SmtpServer::start(Config::new(ServerTls::None, PASSWORD)).await;
    send_mail(&settings_plain(&server), &mail).await.unwrap();
    let session = &server.sessions()[0];
    assert!(!session.tls);
    assert!(session.data.is_some());
}

fn settings_plain(server: &SmtpServer) -> MailSettings {
    MailSettings::new("", PASSWORD).with_server(
        "localhost",
        server.addr.port(),
        MailSecurity::Plain,
    )
}

#[tokio::test]
async fn a_silent_server_times_out() {
    let mut config = Config::new(ServerTls::None, PASSWORD);
    config.silent = true;
    let server = SmtpServer::start(config).await;
    let mut settings = settings_plain(&server);
    settings.host = "127.0.0.1".to_owned();
    settings.timeout = Duration::from_millis(300);
    let mail = Mail::new("me@qq.com", "you@example.com", "s", "b");
    let started = std::time::Instant::now();
    let error = send_mail(&settings, &mail).await.unwrap_err();
    assert!(
        matches!(error, MailError::Timeout { after, .. } if after == Duration::from_millis(300)),
        "{error:?}"
    );
    assert!(error.is_transient());
    assert!(started.elapsed() < Duration::from_secs(5));
}
