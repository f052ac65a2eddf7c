//! The functions most users call, named as in the Python package (`download_album`,
//! `download_photo`, `download_batch`), in async and blocking forms.

use jmcomic_model::{JmId, Target};

use crate::download::Downloader;
use crate::error::{Error, Result};
use crate::options::Options;
use crate::plugin::Features;
use crate::report::{BatchReport, DownloadReport};

/// Anything that names an id: a number, a [`JmId`], or text such as `"JM123"` or an album
/// URL (every form the Python package accepts; see [`JmId::parse`]).
// Spec §8.1.
pub trait IntoId {
    /// The id, or why the value is not one.
    fn into_id(self) -> Result<JmId>;
}

impl IntoId for JmId {
    fn into_id(self) -> Result<JmId> {
        Ok(self)
    }
}

/// Every integer type: a value that is not a valid id (negative, zero) is an error, not
/// a panic.
macro_rules! int_ids {
    ($($t:ty),*) => {$(
        impl IntoId for $t {
            fn into_id(self) -> Result<JmId> {
                Ok(JmId::parse(&self.to_string())?)
            }
        }
    )*};
}

int_ids!(
    u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize
);

impl IntoId for &str {
    fn into_id(self) -> Result<JmId> {
        Ok(JmId::parse(self)?)
    }
}

impl IntoId for String {
    fn into_id(self) -> Result<JmId> {
        Ok(JmId::parse(&self)?)
    }
}

impl IntoId for &String {
    fn into_id(self) -> Result<JmId> {
        Ok(JmId::parse(self)?)
    }
}

/// Downloads an album. A failed page makes this an [`Error::Partial`] carrying the report
/// (the Python default `check_exception=True`); use [`Downloader`] to change that or to add
/// hooks.
pub async fn download_album(id: impl IntoId, options: &Options) -> Result<DownloadReport> {
    let id = id.into_id()?;
    Downloader::new(options.clone())?.album(id).await
}

/// Downloads one chapter (the Python package calls chapters "photos").
pub async fn download_photo(id: impl IntoId, options: &Options) -> Result<DownloadReport> {
    let id = id.into_id()?;
    Downloader::new(options.clone())?.chapter(id).await
}

/// [`download_album`] with features for this call (the Python `extra=`): they run after the
/// album; their files are in the report.
// Spec §5.1.
pub async fn download_album_with(
    id: impl IntoId,
    options: &Options,
    extra: impl Into<Features>,
) -> Result<DownloadReport> {
    let id = id.into_id()?;
    Downloader::builder(options.clone())
        .extra(extra)
        .build()?
        .album(id)
        .await
}

/// [`download_photo`] with features for this call: they run after the chapter.
pub async fn download_photo_with(
    id: impl IntoId,
    options: &Options,
    extra: impl Into<Features>,
) -> Result<DownloadReport> {
    let id = id.into_id()?;
    Downloader::builder(options.clone())
        .extra(extra)
        .build()?
        .chapter(id)
        .await
}

/// [`download_batch`] with features for every target (after the album for albums, after
/// the chapter for chapters).
pub async fn download_batch_with(
    targets: impl IntoIterator<Item = Target>,
    options: &Options,
    extra: impl Into<Features>,
) -> Result<BatchReport> {
    Ok(Downloader::builder(options.clone())
        .extra(extra)
        .build()?
        .batch(targets)
        .await)
}

/// Same as [`download_photo`].
pub async fn download_chapter(id: impl IntoId, options: &Options) -> Result<DownloadReport> {
    download_photo(id, options).await
}

/// Downloads many albums and chapters: duplicates dropped (first kept), order kept, one
/// failure never stops the others.
pub async fn download_batch(
    targets: impl IntoIterator<Item = Target>,
    options: &Options,
) -> Result<BatchReport> {
    Ok(Downloader::new(options.clone())?.batch(targets).await)
}

/// Blocking forms of the download functions, for programs without an async runtime.
///
/// Each call runs its own runtime; calling from inside an async runtime is an error (use the
/// async functions there) rather than a panic.
///
/// ```no_run
/// fn main() -> Result<(), jmcomic::Error> {
///     let options = jmcomic::Options::from_file("option.yml")?;
///     let report = jmcomic::blocking::download_album("JM123", &options)?;
///     println!("{} pages written", report.pages_written());
///     Ok(())
/// }
/// ```
pub mod blocking {
    use super::{IntoId, Result, Target};
    use crate::options::Options;
    use crate::plugin::Features;
    use crate::report::{BatchReport, DownloadReport};

    /// Blocking [`super::download_album`].
    pub fn download_album(id: impl IntoId, options: &Options) -> Result<DownloadReport> {
        run(super::download_album(id, options))?
    }

    /// Blocking [`super::download_photo`].
    pub fn download_photo(id: impl IntoId, options: &Options) -> Result<DownloadReport> {
        run(super::download_photo(id, options))?
    }

    /// Same as [`download_photo`].
    pub fn download_chapter(id: impl IntoId, options: &Options) -> Result<DownloadReport> {
        download_photo(id, options)
    }

    /// Blocking [`super::download_album_with`].
    pub fn download_album_with(
        id: impl IntoId,
        options: &Options,
        extra: impl Into<Features>,
    ) -> Result<DownloadReport> {
        run(super::download_album_with(id, options, extra))?
    }

    /// Blocking [`super::download_photo_with`].
    pub fn download_photo_with(
        id: impl IntoId,
        options: &Options,
        extra: impl Into<Features>,
    ) -> Result<DownloadReport> {
        run(super::download_photo_with(id, options, extra))?
    }

    /// Blocking [`super::download_batch_with`].
    pub fn download_batch_with(
        targets: impl IntoIterator<Item = Target>,
        options: &Options,
        extra: impl Into<Features>,
    ) -> Result<BatchReport> {
        run(super::download_batch_with(targets, options, extra))?
    }

    /// Blocking [`super::download_batch`].
    pub fn download_batch(
        targets: impl IntoIterator<Item = Target>,
        options: &Options,
    ) -> Result<BatchReport> {
        run(super::download_batch(targets, options))?
    }

    /// Runs a future to completion on a fresh runtime.
    pub fn run<F: std::future::Future>(f: F) -> Result<F::Output> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(super::Error::BlockingInRuntime);
        }
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("jmcomic")
            .build()
            .map_err(|source| super::Error::Runtime {
                what: "a runtime",
                source: std::sync::Arc::new(source),
            })?;
        Ok(rt.block_on(f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_literals_are_ids_and_negative_ones_are_not() {
        assert_eq!(123.into_id().unwrap(), JmId::new(123));
        assert_eq!(438_516_i64.into_id().unwrap(), JmId::new(438_516));
        assert!(matches!((-5).into_id(), Err(Error::Id(_))));
        assert_eq!(7_u8.into_id().unwrap(), JmId::new(7));
        assert_eq!(438_516_usize.into_id().unwrap(), JmId::new(438_516));
        assert_eq!(438_516_u128.into_id().unwrap(), JmId::new(438_516));
        assert!((-1_i8).into_id().is_err());
        assert!(u128::MAX.into_id().is_err(), "larger than any id");
    }
}
