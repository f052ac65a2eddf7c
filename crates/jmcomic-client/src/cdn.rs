//! Page images and album covers from the image CDN. Both protocols fetch them the same way,
//! through the shared retry engine over the image domains; the protocol only says which
//! headers to send.

use bytes::Bytes;
use jmcomic_model::{Image, JmId};
use tracing::debug;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::transport::{Role, check_status};

/// Characters escaped in a URL path segment (RFC 3986 leaves unreserved ones and sub-delims).
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

impl Client {
    /// Downloads a page's bytes from the image CDN, trying every image domain.
    pub async fn image_bytes(&self, image: &Image) -> Result<Bytes> {
        self.image_bytes_checked(image, |_| Ok(())).await
    }

    /// Like [`Client::image_bytes`], but `check` inspects each body; a body it rejects
    /// counts as a bad response from that domain and the next one is tried. The download
    /// pipeline passes a cheap completeness check here.
    pub async fn image_bytes_checked<F>(&self, image: &Image, check: F) -> Result<Bytes>
    where
        F: Fn(&[u8]) -> std::result::Result<(), String>,
    {
        if !is_fetchable_page_name(&image.file_name) {
            return Err(Error::BadResponse {
                url: format!("/media/photos/{}/", image.chapter_id),
                reason: format!(
                    "the site lists a page named {:?}, which is not a plain file name; it was not requested",
                    image.file_name
                ),
            });
        }
        // The name is percent-encoded as one path segment; the site's plain names
        // (`00001.webp`) are unchanged by it.
        let name = percent_encoding::utf8_percent_encode(&image.file_name, PATH_SEGMENT);
        let path = format!("/media/photos/{}/{name}", image.chapter_id);
        self.fetch_cdn(&path, &check).await
    }

    /// Downloads an album cover (`/media/albums/{id}{size}.jpg` on the image CDN; `size` is
    /// `""` or `"_3x4"`).
    // Spec §6.2.9.
    pub async fn cover_bytes(&self, album: JmId, size: &str) -> Result<Bytes> {
        let size = if size == "_3x4" { size } else { "" };
        let path = format!("/media/albums/{album}{size}.jpg");
        self.fetch_cdn(&path, &|_: &[u8]| Ok(())).await
    }

    /// One CDN path through the image domains, each body judged by `check`. HTTP 404 from
    /// every domain is [`Error::ImageNotFound`].
    async fn fetch_cdn(
        &self,
        path: &str,
        check: &(dyn Fn(&[u8]) -> std::result::Result<(), String> + '_),
    ) -> Result<Bytes> {
        let t = &self.inner.transport;
        let base = self.inner.protocol.image_headers();
        let result = t
            .with_domains(&t.images(), path, |domain| {
                let mut headers = base.clone();
                async move {
                    let url = domain.url(path);
                    t.add_user_headers(&mut headers);
                    t.add_cookies(&mut headers);
                    debug!(%url, "image");
                    let request = t
                        .http()
                        .get(&url)
                        .headers(headers)
                        .timeout(t.limits.image_timeout);
                    let reply = t
                        .send(Role::Cdn, request, &url, t.limits.max_image_body)
                        .await?;
                    check_status(&reply, &url, false)?;
                    let body = reply.body;
                    if body.is_empty() {
                        return Err(Error::BadResponse {
                            url,
                            reason: "empty body".to_owned(),
                        });
                    }
                    check(&body).map_err(|reason| Error::BadResponse {
                        url: url.clone(),
                        reason,
                    })?;
                    Ok(body)
                }
            })
            .await;
        match result {
            Err(Error::AllDomainsFailed { attempts, .. })
                if !attempts.is_empty() && attempts.iter().all(|a| a.status == Some(404)) =>
            {
                Err(Error::ImageNotFound {
                    path: path.to_owned(),
                })
            }
            other => other,
        }
    }
}

/// Whether a page name can be fetched: names become a URL path segment, so `.`, `..`, path
/// separators and control characters are refused (a hostile server cannot make the client
/// request or write `../x`). The site's names look like `00001.webp`.
// Spec §2.3.
pub(crate) fn is_fetchable_page_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name != "."
        && name != ".."
        && !name
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control())
}
