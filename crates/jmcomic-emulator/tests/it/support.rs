//! Test-only protocol helpers, written from the spec independently of the emulator's code.

use std::time::Duration;

use aes::cipher::{BlockModeDecrypt, KeyInit, block_padding::Pkcs7};
use base64::Engine as _;
use md5::{Digest, Md5};
use serde_json::Value;

pub const SECRET: &str = "185Hcomic3PAPP7R";
pub const CONTENT_SECRET: &str = "18comicAPPContent";
pub const VERSION: &str = "2.1.12";

pub fn md5_hex(text: &str) -> String {
    use std::fmt::Write as _;
    Md5::digest(text.as_bytes())
        .iter()
        .fold(String::new(), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

fn aes_decrypt(key_text: &str, b64: &str) -> Result<String, String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|e| e.to_string())?;
    let key: [u8; 32] = md5_hex(key_text)
        .as_bytes()
        .try_into()
        .map_err(|_| "key length")?;
    let plain = ecb::Decryptor::<aes::Aes256>::new(&key.into())
        .decrypt_padded_vec::<Pkcs7>(&bytes)
        .map_err(|e| e.to_string())?;
    String::from_utf8(plain).map_err(|e| e.to_string())
}

/// Spec §6.2.4: key = md5hex("{ts}185Hcomic3PAPP7R").
pub fn decrypt_data(ts: &str, b64: &str) -> Result<String, String> {
    aes_decrypt(&format!("{ts}{SECRET}"), b64)
}

/// Spec §6.2.7: strip leading non-ASCII (BOM), key md5hex("" + secret).
pub fn decrypt_domain_file(body: &str) -> Result<String, String> {
    let text = body.trim_start_matches(|c: char| !c.is_ascii());
    aes_decrypt("diosfjckwpqpdfjkvnqQjsik", text)
}

/// A reqwest builder. The workspace builds reqwest without a default crypto provider (the
/// client crate hands it a finished rustls configuration), so these raw-HTTP tests install
/// ring as the process default once.
pub fn http() -> reqwest::ClientBuilder {
    static PROVIDER: std::sync::Once = std::sync::Once::new();
    PROVIDER.call_once(|| {
        // Err only when a provider is already installed, which is just as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::builder()
}

pub fn client() -> reqwest::Client {
    http()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

/// A client for an emulator serving HTTPS with its self-signed certificate.
pub fn tls_client() -> reqwest::Client {
    http()
        .no_proxy()
        .tls_danger_accept_invalid_certs(true)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

pub fn now_ts() -> String {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        .to_string()
}

/// A signed mobile-API caller (spec §6.2.2), with optional cookies.
pub struct Api {
    pub base: String,
    pub client: reqwest::Client,
    pub ts: String,
    pub version: String,
    pub cookie: Option<String>,
}

impl Api {
    pub fn new(base: &str) -> Self {
        Self::with_client(base, client())
    }

    pub fn with_client(base: &str, client: reqwest::Client) -> Self {
        Self {
            base: base.to_owned(),
            client,
            ts: now_ts(),
            version: VERSION.to_owned(),
            cookie: None,
        }
    }

    pub fn signed(&self, path: &str, secret: &str) -> reqwest::RequestBuilder {
        let mut req = self
            .client
            .get(format!("{}{path}", self.base))
            .header("token", md5_hex(&format!("{}{secret}", self.ts)))
            .header("tokenparam", format!("{},{}", self.ts, self.version));
        if let Some(cookie) = &self.cookie {
            req = req.header("cookie", cookie);
        }
        req
    }

    pub async fn raw(&self, path: &str) -> (u16, String) {
        let resp = self.signed(path, SECRET).send().await.expect("send");
        let status = resp.status().as_u16();
        (status, resp.text().await.expect("body"))
    }

    /// GETs a JSON route and returns the decrypted `data`.
    pub async fn data(&self, path: &str) -> Value {
        let (status, body) = self.raw(path).await;
        assert_eq!(status, 200, "{path}: {body}");
        let envelope: Value = serde_json::from_str(&body).expect("envelope json");
        assert_eq!(envelope["code"], 200, "{path}: {body}");
        let data = envelope["data"].as_str().expect("data string");
        serde_json::from_str(&decrypt_data(&self.ts, data).expect("decrypt")).expect("data json")
    }

    /// Calls /setting and keeps its cookies (spec §6.2.7).
    pub async fn login_cookies(&mut self) -> Value {
        let resp = self.signed("/setting", SECRET).send().await.expect("send");
        let cookies: Vec<String> = resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .map(str::to_owned)
            .collect();
        let body = resp.text().await.expect("body");
        self.cookie = Some(cookies.join("; "));
        let envelope: Value = serde_json::from_str(&body).expect("json");
        serde_json::from_str(
            &decrypt_data(&self.ts, envelope["data"].as_str().expect("data")).expect("decrypt"),
        )
        .expect("data json")
    }
}

impl Api {
    /// The scramble id `/chapter_view_template` states for a chapter (spec §6.2.6), signed
    /// with the content secret; `None` when the page has no `var scramble_id = N;`.
    pub async fn template_scramble_id(&self, chapter: u64) -> Option<u64> {
        let path = format!(
            "/chapter_view_template?id={chapter}&mode=vertical&page=0&app_img_shunt=1&express=off&v={}",
            self.ts
        );
        let html = self
            .signed(&path, CONTENT_SECRET)
            .send()
            .await
            .expect("send")
            .text()
            .await
            .expect("html");
        html.split("var scramble_id = ")
            .nth(1)
            .and_then(|rest| rest.split(';').next())
            .and_then(|n| n.parse().ok())
    }
}

/// Spec §7.1, written again for the tests.
pub fn strip_count(scramble_id: u64, aid: u64, stem: &str) -> u32 {
    if aid < scramble_id {
        0
    } else if aid < 268_850 {
        10
    } else {
        let x = if aid < 421_926 { 10 } else { 8 };
        let last = md5_hex(&format!("{aid}{stem}"))
            .bytes()
            .last()
            .expect("hex");
        (u32::from(last) % x) * 2 + 2
    }
}

/// Spec §7.2 re-assembly, literally.
pub fn descramble(rgb: &[u8], width: u32, height: u32, num: u32) -> Vec<u8> {
    if num == 0 {
        return rgb.to_vec();
    }
    let row = width as usize * 3;
    let mut out = vec![0u8; rgb.len()];
    let over = height % num;
    let step = height / num;
    for i in 0..num {
        let src_y = height - step * (i + 1) - over;
        let (dst_y, len) = if i == 0 {
            (0, step + over)
        } else {
            (step * i + over, step)
        };
        let (src, dst, bytes) = (
            src_y as usize * row,
            dst_y as usize * row,
            len as usize * row,
        );
        out[dst..dst + bytes].copy_from_slice(&rgb[src..src + bytes]);
    }
    out
}

/// Mean absolute difference per channel value.
pub fn mean_abs_diff(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len());
    let sum: u64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    sum as f64 / a.len().max(1) as f64
}
