//! TLS: certificates are verified by default; turning verification off is explicit.

use jmcomic_emulator::Emulator;
use jmcomic_model::JmId;

use crate::support::{builder, fast_retry};

#[tokio::test]
async fn a_self_signed_certificate_is_refused_by_default() {
    let emu = Emulator::builder().tls(true).start().unwrap();
    assert!(emu.api_domains()[0].starts_with("https://"));
    let c = builder(&emu).retry(fast_retry(0)).build().unwrap();
    let e = c.album(JmId::new(421_925)).await.unwrap_err();
    let text = e.to_string();
    assert!(text.contains("TLS certificate is not trusted"), "{text}");
    assert!(text.contains("verify_tls: false"), "{text}");
    // Nothing was answered: the handshake failed before any request reached a route.
    assert!(emu.requests().is_empty(), "{:?}", emu.requests());
}

#[tokio::test]
async fn verification_can_be_turned_off_explicitly() {
    let emu = Emulator::builder().tls(true).start().unwrap();
    let c = builder(&emu)
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let album = c.album(JmId::new(421_925)).await.unwrap();
    assert_eq!(album.id.get(), 421_925);
    let mut chapter = album.chapters().remove(0);
    c.complete_chapter(&mut chapter).await.unwrap();
    let first = &chapter.images()[0];
    let bytes = c.image_bytes(first).await.unwrap();
    assert_eq!(
        bytes.as_ref(),
        emu.served_bytes(chapter.id.get(), &first.file_name)
            .unwrap()
    );
}
