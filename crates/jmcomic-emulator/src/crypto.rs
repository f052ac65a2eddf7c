//! The emulator's own md5 token and AES-256-ECB code (spec §6.2.2, §6.2.4, §6.2.7).
//!
//! Written from the spec, independent of the client crate.

use aes::cipher::{BlockModeEncrypt, KeyInit, block_padding::Pkcs7};
use base64::Engine as _;
use md5::{Digest, Md5};

use crate::site::{DATA_SECRET, DOMAIN_SERVER_SECRET};

/// Lowercase hex md5 of the UTF-8 text (spec §6.2.2: tokens are "lowercase hex MD5").
pub(crate) fn md5_hex(text: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Md5::digest(text.as_bytes());
    let mut out = String::with_capacity(32);
    for byte in digest {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    out
}

/// The request token for a timestamp and secret: `md5hex("{ts}{secret}")` (spec §6.2.2).
pub(crate) fn token(ts: &str, secret: &str) -> String {
    md5_hex(&format!("{ts}{secret}"))
}

/// AES-256-ECB with PKCS#7 padding, then standard base64. The key is the 32 ASCII bytes of a
/// lowercase md5 hex string (spec §6.2.4 step 2: "a 32-byte key (AES-256)").
fn encrypt_with_hex_key(key_hex: &str, plaintext: &[u8]) -> String {
    let mut key = [0u8; 32];
    // md5_hex always yields 32 ASCII bytes, so the copy is exact.
    key.copy_from_slice(&key_hex.as_bytes()[..32]);
    let cipher = ecb::Encryptor::<aes::Aes256>::new(&key.into());
    let ciphertext = cipher.encrypt_padded_vec::<Pkcs7>(plaintext);
    base64::engine::general_purpose::STANDARD.encode(ciphertext)
}

/// Encrypts an API response's JSON text for a request whose `tokenparam` carried `ts`.
///
/// The key always uses the data secret, whatever secret signed the request (spec §6.2.4;
/// `crypto.json` pairs decrypt with the same key).
pub(crate) fn encrypt_api_data(ts: &str, json: &str) -> String {
    encrypt_with_hex_key(&md5_hex(&format!("{ts}{DATA_SECRET}")), json.as_bytes())
}

/// Encrypts the domain-server file's JSON: key `md5hex("" + secret)` (spec §6.2.7).
pub(crate) fn encrypt_domain_server(json: &str) -> String {
    encrypt_with_hex_key(&md5_hex(DOMAIN_SERVER_SECRET), json.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_token_vectors() {
        // Spec §6.2.2 test vectors.
        assert_eq!(
            token("1700000000", "185Hcomic3PAPP7R"),
            "880c64833265ad47a928afcf1b1220f5"
        );
        assert_eq!(
            token("1700000000", "18comicAPPContent"),
            "8be524e958f97f014ddf2a570b011305"
        );
    }

    #[test]
    fn spec_envelope_vector() {
        // Spec §6.2.4 test vector.
        assert_eq!(
            encrypt_api_data("1700000000", r#"{"name":"x","id":1}"#),
            "evzXZJw/4AROSeeiWbP1fpTGj2gaLi61uBMJLKm0MbQ="
        );
    }

    #[test]
    fn spec_domain_server_vector() {
        // Spec §6.2.7: key and test vector.
        assert_eq!(
            md5_hex(DOMAIN_SERVER_SECRET),
            "6ae6b037507edb82ee4699827c4b4066"
        );
        assert_eq!(
            encrypt_domain_server(r#"{"Server":["a.example","b.example"]}"#),
            "yhCVFmPBC060KXi2AcLHYbJo9JtP8hzc4zGdj5Mkr36GzZhdymmZcedeqXNHI4+9"
        );
    }

    /// Golden vectors from the Python original (`tests/data/crypto.json`): encrypting each
    /// `decrypted` text with its `ts` gives its `data` byte for byte, for both secrets of a pair
    /// (the data key never uses the content secret).
    #[test]
    fn golden_envelopes_and_tokens() {
        let vectors: serde_json::Value =
            serde_json::from_str(include_str!("../tests/data/crypto.json")).expect("json");
        let cases = vectors["signing_and_envelope"].as_array().expect("cases");
        assert_eq!(cases.len(), 8);
        for case in cases {
            let ts = case["ts"].as_u64().expect("ts").to_string();
            let secret = case["secret"].as_str().expect("secret");
            assert_eq!(token(&ts, secret), case["token"].as_str().expect("token"));
            assert_eq!(
                encrypt_api_data(&ts, case["decrypted"].as_str().expect("decrypted")),
                case["response_envelope"]["data"].as_str().expect("data"),
                "ts {ts} secret {secret}"
            );
        }
        let file = &vectors["domain_server_file"];
        let body = file["body"].as_str().expect("body");
        assert_eq!(
            format!(
                "\u{feff}{}",
                encrypt_domain_server(file["decrypted"].as_str().expect("text"))
            ),
            body
        );
    }
}
