//! Request signing and response decryption of the mobile API.

// Spec §6.2.2 (signing), §6.2.4 (decryption), §6.2.7 (domain-server files).

use aes::Aes256;
use aes::cipher::{Array, BlockCipherDecrypt, KeyInit};
use base64::Engine as _;
use md5::{Digest, Md5};

/// Lowercase hex MD5 of a string.
pub(crate) fn md5_hex(text: &str) -> String {
    let digest = Md5::digest(text.as_bytes());
    let mut out = String::with_capacity(32);
    for b in digest {
        out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(b & 0xf)]));
    }
    out
}

/// The `token` header: `md5hex("{ts}{secret}")`.
// Spec §6.2.2.
pub(crate) fn token(ts: u64, secret: &str) -> String {
    md5_hex(&format!("{ts}{secret}"))
}

/// The `tokenparam` header: `"{ts},{app_version}"`.
// Spec §6.2.2.
pub(crate) fn tokenparam(ts: u64, app_version: &str) -> String {
    format!("{ts},{app_version}")
}

/// Why a response could not be decrypted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecryptError {
    /// `data` is not Base64.
    #[error("data is not base64: {0}")]
    Base64(String),
    /// The ciphertext is not a whole number of AES blocks.
    #[error("ciphertext length {0} is not a multiple of 16")]
    Length(usize),
    /// The last byte does not describe a padding length (1..=16).
    #[error("bad padding byte {0}")]
    Padding(u8),
    /// The plaintext is not UTF-8.
    #[error("plaintext is not UTF-8")]
    Utf8,
}

/// Decrypts a Base64 AES-256-ECB payload whose key is the 32 ASCII bytes of
/// `md5hex(key_text)`.
///
/// Padding is removed the lenient way the Python package does it (drop as many bytes as the
/// last byte says, without checking them), so a server that pads sloppily still works; only
/// a padding length no AES padding can have is an error.
pub(crate) fn decrypt(b64: &str, key_text: &str) -> Result<String, DecryptError> {
    let cipher_bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|e| DecryptError::Base64(e.to_string()))?;
    if cipher_bytes.is_empty() || cipher_bytes.len() % 16 != 0 {
        return Err(DecryptError::Length(cipher_bytes.len()));
    }
    let key = md5_hex(key_text);
    // The key is always 32 bytes (32 hex digits), which AES-256 accepts.
    let cipher = Aes256::new_from_slice(key.as_bytes()).map_err(|_| DecryptError::Length(0))?;
    let mut plain = cipher_bytes;
    // ECB: every block on its own, no IV (spec §6.2.4 step 3).
    for chunk in plain.chunks_exact_mut(16) {
        let block: &mut Array<u8, _> = chunk.try_into().map_err(|_| DecryptError::Length(16))?;
        cipher.decrypt_block(block);
    }
    let pad = plain.last().copied().unwrap_or(0);
    if pad == 0 || pad > 16 {
        return Err(DecryptError::Padding(pad));
    }
    plain.truncate(plain.len() - usize::from(pad));
    String::from_utf8(plain).map_err(|_| DecryptError::Utf8)
}

/// Decrypts the `data` field of an API response signed at `ts`.
// Spec §6.2.4.
pub(crate) fn decrypt_data(b64: &str, ts: u64) -> Result<String, DecryptError> {
    decrypt(b64, &format!("{ts}{}", crate::site::DATA_SECRET))
}

/// Decrypts a domain-server file: leading non-ASCII (a BOM) is dropped and the key text is
/// the secret alone (the Python code uses an empty timestamp).
// Spec §6.2.7.
pub(crate) fn decrypt_domain_server(body: &str, secret: &str) -> Result<String, DecryptError> {
    let start = body.find(|c: char| c.is_ascii()).unwrap_or(body.len());
    decrypt(&body[start..], secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_vectors() {
        // spec §6.2.2 test vectors (app version 2.0.30 there).
        assert_eq!(
            token(1_700_000_000, "185Hcomic3PAPP7R"),
            "880c64833265ad47a928afcf1b1220f5"
        );
        assert_eq!(
            token(1_700_000_000, "18comicAPPContent"),
            "8be524e958f97f014ddf2a570b011305"
        );
        assert_eq!(tokenparam(1_700_000_000, "2.0.30"), "1700000000,2.0.30");
        // spec §6.2.4 decryption vector.
        assert_eq!(
            decrypt_data(
                "evzXZJw/4AROSeeiWbP1fpTGj2gaLi61uBMJLKm0MbQ=",
                1_700_000_000
            )
            .unwrap(),
            r#"{"name":"x","id":1}"#
        );
        // spec §6.2.7 domain-server vector.
        assert_eq!(
            decrypt_domain_server(
                "yhCVFmPBC060KXi2AcLHYbJo9JtP8hzc4zGdj5Mkr36GzZhdymmZcedeqXNHI4+9",
                "diosfjckwpqpdfjkvnqQjsik"
            )
            .unwrap(),
            r#"{"Server":["a.example","b.example"]}"#
        );
    }

    /// Golden vectors made by running the Python package (app version 2.1.12): signing with
    /// both secrets, envelopes decrypted with the data secret, and the domain-server file.
    #[test]
    fn python_vectors() {
        let v: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/data/crypto.json")).unwrap();
        let cases = v["signing_and_envelope"].as_array().unwrap();
        assert!(cases.len() >= 8);
        for c in cases {
            let ts = c["ts"].as_u64().unwrap();
            let secret = c["secret"].as_str().unwrap();
            assert_eq!(token(ts, secret), c["token"].as_str().unwrap());
            assert_eq!(
                tokenparam(ts, c["app_version"].as_str().unwrap()),
                c["tokenparam"].as_str().unwrap()
            );
            let data = c["response_envelope"]["data"].as_str().unwrap();
            assert_eq!(
                decrypt_data(data, ts).unwrap(),
                c["decrypted"].as_str().unwrap(),
                "ts {ts} secret {secret}"
            );
        }
        let ds = &v["domain_server_file"];
        assert_eq!(
            decrypt_domain_server(ds["body"].as_str().unwrap(), ds["secret"].as_str().unwrap())
                .unwrap(),
            ds["decrypted"].as_str().unwrap()
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(matches!(
            decrypt_data("!!!", 1),
            Err(DecryptError::Base64(_))
        ));
        assert!(matches!(decrypt_data("", 1), Err(DecryptError::Length(0))));
        assert!(matches!(
            decrypt_data("AAAA", 1),
            Err(DecryptError::Length(3))
        ));
        // 16 zero bytes decrypt to something whose last byte is almost surely not 1..=16,
        // or to non-UTF-8; either way an error, never a panic.
        let b64 = base64::engine::general_purpose::STANDARD.encode([0u8; 32]);
        let _ = decrypt_data(&b64, 1);
        assert_eq!(md5_hex("").len(), 32);
    }
}
