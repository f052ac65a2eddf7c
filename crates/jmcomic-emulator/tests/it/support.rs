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

impl Api {
    /// A signed POST with a form body.
    pub fn signed_post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::RequestBuilder {
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .header("token", md5_hex(&format!("{}{SECRET}", self.ts)))
            .header("tokenparam", format!("{},{}", self.ts, self.version))
            .form(form);
        if let Some(cookie) = &self.cookie {
            req = req.header("cookie", cookie);
        }
        req
    }

    /// The envelope of an answer: `(code, decrypted data or the raw data)`.
    pub async fn envelope(resp: reqwest::Response, ts: &str) -> (i64, Value) {
        assert_eq!(resp.status(), 200);
        let body = resp.text().await.expect("body");
        let envelope: Value = serde_json::from_str(&body).expect("envelope json");
        let code = envelope["code"].as_i64().expect("code");
        let data = match envelope["data"].as_str() {
            Some(d) if code == 200 && !d.is_empty() => {
                serde_json::from_str(&decrypt_data(ts, d).expect("decrypt")).expect("data json")
            }
            _ => envelope,
        };
        (code, data)
    }

    /// POSTs a form to a JSON route: `(code, data)`.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> (i64, Value) {
        let resp = self.signed_post(path, form).send().await.expect("send");
        Self::envelope(resp, &self.ts).await
    }

    /// GETs a JSON route: `(code, data)` (no assertion on the code).
    pub async fn get(&self, path: &str) -> (i64, Value) {
        let resp = self.signed(path, SECRET).send().await.expect("send");
        Self::envelope(resp, &self.ts).await
    }

    /// `/setting` cookies, then `POST /login`; keeps the `AVS` cookie (spec §6.2.9: the
    /// response cookies plus `AVS = s`). Returns the user object.
    pub async fn login(&mut self, username: &str, password: &str) -> Value {
        if self.cookie.is_none() {
            self.login_cookies().await;
        }
        let resp = self
            .signed_post("/login", &[("username", username), ("password", password)])
            .send()
            .await
            .expect("send");
        let set_cookie: Vec<String> = resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_owned)
            .collect();
        let (code, user) = Self::envelope(resp, &self.ts).await;
        assert_eq!(code, 200, "{user}");
        let s = user["s"].as_str().expect("s").to_owned();
        assert!(
            set_cookie
                .iter()
                .any(|c| c.starts_with(&format!("AVS={s};"))),
            "{set_cookie:?}"
        );
        let old = self.cookie.take().unwrap_or_default();
        let kept: Vec<&str> = old
            .split("; ")
            .filter(|c| !c.is_empty() && !c.starts_with("AVS="))
            .collect();
        self.cookie = Some(format!("{}; AVS={s}", kept.join("; ")));
        user
    }
}

/// Decodes the HTML entities of a captured value (an independent reader: quick-xml).
pub fn unescape(text: &str) -> String {
    quick_xml::escape::unescape(text)
        .unwrap_or_else(|e| panic!("bad entity in {text:?}: {e}"))
        .into_owned()
}

/// `YYYY-MM-DD` (UTC) of a unix time, computed here from the civil-calendar rules.
pub fn civil_date(secs: u64) -> String {
    let mut days = secs / 86_400;
    let mut year = 1970;
    let leap = |y: u64| (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
    loop {
        let len = if leap(year) { 366 } else { 365 };
        if days < len {
            break;
        }
        days -= len;
        year += 1;
    }
    let months = [
        31,
        if leap(year) { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let mut month = 1;
    for len in months {
        if days < len {
            break;
        }
        days -= len;
        month += 1;
    }
    format!("{year:04}-{month:02}-{:02}", days + 1)
}

/// A browser-like caller of the web site with a manual cookie jar (the `AVS` cookie).
pub struct Web {
    pub base: String,
    /// Follows redirects (for final URLs).
    pub client: reqwest::Client,
    /// Does not follow redirects.
    pub raw: reqwest::Client,
    pub cookie: Option<String>,
}

/// What a page request returned.
pub struct Page {
    pub status: u16,
    pub url: String,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

impl Web {
    pub fn new(base: &str) -> Self {
        Self::with_tls(base, false)
    }

    pub fn with_tls(base: &str, tls: bool) -> Self {
        let build = |follow: bool| {
            http()
                .no_proxy()
                .tls_danger_accept_invalid_certs(tls)
                .redirect(if follow {
                    reqwest::redirect::Policy::limited(5)
                } else {
                    reqwest::redirect::Policy::none()
                })
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client")
        };
        Self {
            base: base.to_owned(),
            client: build(true),
            raw: build(false),
            cookie: None,
        }
    }

    async fn read(resp: reqwest::Response) -> Page {
        Page {
            status: resp.status().as_u16(),
            url: resp.url().to_string(),
            headers: resp.headers().clone(),
            body: resp.text().await.expect("body"),
        }
    }

    fn with_cookie(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.cookie {
            Some(c) => req.header("cookie", c),
            None => req,
        }
    }

    /// GET following redirects.
    pub async fn get(&self, path: &str) -> Page {
        let req = self.client.get(format!("{}{path}", self.base));
        Self::read(self.with_cookie(req).send().await.expect("send")).await
    }

    /// GET without following redirects.
    pub async fn get_raw(&self, path: &str) -> Page {
        let req = self.raw.get(format!("{}{path}", self.base));
        Self::read(self.with_cookie(req).send().await.expect("send")).await
    }

    /// POST a form, no redirects.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let req = self.raw.post(format!("{}{path}", self.base)).form(form);
        Self::read(self.with_cookie(req).send().await.expect("send")).await
    }

    /// `POST /login` with the form of spec §6.3.3; keeps the `AVS` cookie if one is set.
    pub async fn login(&mut self, username: &str, password: &str) -> Page {
        let page = self
            .post(
                "/login",
                &[
                    ("username", username),
                    ("password", password),
                    ("id_remember", "on"),
                    ("login_remember", "on"),
                    ("submit_login", ""),
                ],
            )
            .await;
        if let Some(avs) = set_cookie(&page.headers, "AVS") {
            self.cookie = Some(format!("AVS={avs}"));
        }
        page
    }
}

/// The value a response sets for a cookie.
pub fn set_cookie(headers: &reqwest::header::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}
