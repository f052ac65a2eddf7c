//! The pages an export is made from: files on disk, in reading order.

use std::path::{Path, PathBuf};

use jmcomic_image::{Format, Limits, RgbImage};

use crate::error::{Error, Result};

/// One page file to export. The caller gives pages in reading order (chapter by chapter,
/// page by page); exporters keep that order.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PageFile {
    /// Where the page is on disk.
    pub path: PathBuf,
    /// Its name inside an archive (`0001.webp`, or `第1話/00001.webp` for an album archive
    /// that keeps chapter folders); also part of the export's fingerprint.
    pub name: String,
}

impl PageFile {
    /// A page with an explicit entry name.
    pub fn new(path: impl Into<PathBuf>, name: impl Into<String>) -> Self {
        PageFile {
            path: path.into(),
            name: name.into(),
        }
    }

    /// A page named after its file name.
    pub fn from_path(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        PageFile { path, name }
    }

    /// Entry names `0001.webp`, `0002.jpg`, … for `paths` in order: zero-padded to the
    /// width of the page count (at least 4 digits) so every reader sorts them as they
    /// were given, with each file's own suffix.
    pub fn numbered(paths: impl IntoIterator<Item = PathBuf>) -> Vec<PageFile> {
        let paths: Vec<PathBuf> = paths.into_iter().collect();
        let width = paths.len().to_string().len().max(4);
        paths
            .into_iter()
            .enumerate()
            .map(|(i, path)| {
                let suffix = path
                    .extension()
                    .map(|e| format!(".{}", e.to_string_lossy().to_ascii_lowercase()))
                    .unwrap_or_default();
                let name = format!("{:0width$}{suffix}", i + 1);
                PageFile { path, name }
            })
            .collect()
    }

    /// Reads the whole file.
    pub fn read(&self) -> Result<Vec<u8>> {
        std::fs::read(&self.path).map_err(|e| Error::io("read", &self.path, e))
    }
}

/// The format and size of a page from its header, without decoding it.
pub fn probe_page(path: &Path, bytes: &[u8]) -> Result<(Format, u32, u32)> {
    jmcomic_image::probe(bytes).map_err(|source| Error::Page {
        path: path.to_owned(),
        source,
    })
}

/// Decodes a page to RGB: WebP, JPEG and PNG through `jmcomic-image`; a GIF's first frame
/// through the `gif` crate (pages are never decoded while downloading, but a PDF or a long
/// image needs pixels). `limits` are checked before pixels are allocated.
pub fn decode_page(path: &Path, bytes: &[u8], limits: &Limits) -> Result<RgbImage> {
    let page_error = |source| Error::Page {
        path: path.to_owned(),
        source,
    };
    match jmcomic_image::sniff(bytes) {
        Some(Format::Gif) => decode_gif_first_frame(path, bytes, limits),
        _ => jmcomic_image::decode(bytes, limits).map_err(page_error),
    }
}

fn decode_gif_first_frame(path: &Path, bytes: &[u8], limits: &Limits) -> Result<RgbImage> {
    let bad = |reason: String| Error::Page {
        path: path.to_owned(),
        source: jmcomic_image::Error::Undecodable {
            format: Format::Gif,
            reason,
        },
    };
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    let mut decoder = options
        .read_info(std::io::Cursor::new(bytes))
        .map_err(|e| bad(e.to_string()))?;
    let (width, height) = (u32::from(decoder.width()), u32::from(decoder.height()));
    limits
        .check(Format::Gif, width, height)
        .map_err(|source| Error::Page {
            path: path.to_owned(),
            source,
        })?;
    let frame = decoder
        .read_next_frame()
        .map_err(|e| bad(e.to_string()))?
        .ok_or_else(|| bad("no frame".to_owned()))?;
    // Compose the first frame onto a white canvas of the logical screen size (frames may be
    // smaller than the screen and partly transparent).
    let mut rgb = vec![255u8; width as usize * height as usize * 3];
    let (fw, fh) = (usize::from(frame.width), usize::from(frame.height));
    let (left, top) = (usize::from(frame.left), usize::from(frame.top));
    for y in 0..fh {
        let cy = top + y;
        if cy >= height as usize {
            break;
        }
        for x in 0..fw {
            let cx = left + x;
            if cx >= width as usize {
                break;
            }
            let s = (y * fw + x) * 4;
            let Some(px) = frame.buffer.get(s..s + 4) else {
                continue;
            };
            if px[3] == 0 {
                continue;
            }
            let d = (cy * width as usize + cx) * 3;
            rgb[d..d + 3].copy_from_slice(&px[..3]);
        }
    }
    RgbImage::new(width, height, rgb).map_err(|source| Error::Page {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_names_sort_in_order() {
        let pages = PageFile::numbered((1..=12).map(|i| PathBuf::from(format!("d/{i}.WEBP"))));
        assert_eq!(pages[0].name, "0001.webp");
        assert_eq!(pages[11].name, "0012.webp");
        let many = PageFile::numbered((1..=12_345).map(|i| PathBuf::from(format!("{i}.jpg"))));
        assert_eq!(many[0].name, "00001.jpg");
    }
}
