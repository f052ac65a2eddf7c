//! Hooks: user code that runs before and after each album, chapter and page, and may skip
//! or stop (the Python package's plugin groups `before_album` … `after_image` and its
//! `do_filter`).
//!
//! Hooks are called on the download's async tasks: keep them quick (hand heavy work to a
//! thread of your own). They observe; they cannot change what the pipeline fetches except by
//! answering [`Control::Skip`] or [`Control::Stop`].

// Spec §4.2 (callback chain), §4.4 (`do_filter`).

use std::path::Path;
use std::sync::Arc;

use jmcomic_model::{Album, Chapter, Image};

use crate::report::{ChapterReport, DownloadReport, PageOutcome};

/// What a `before_*` hook wants done.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Control {
    /// Go on.
    #[default]
    Continue,
    /// Leave this album, chapter or page out (it is recorded as skipped, not failed).
    Skip,
    /// Stop the whole download: nothing new starts; what is in flight finishes.
    Stop,
}

/// Callbacks around every album, chapter and page. Every method has a no-op default.
///
/// A hook that leaves out the chapters already read, and counts the pages written:
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::collections::HashSet;
/// use std::path::Path;
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
///
/// use jmcomic::model::{Album, Chapter, Image};
/// use jmcomic::{Control, Downloader, Hooks, JmId, Options, PageOutcome};
///
/// struct Unread {
///     read: HashSet<JmId>,
///     written: AtomicUsize,
/// }
///
/// impl Hooks for Unread {
///     fn before_chapter(&self, _album: &Album, chapter: &Chapter) -> Control {
///         if self.read.contains(&chapter.id) {
///             Control::Skip
///         } else {
///             Control::Continue
///         }
///     }
///
///     fn after_image(
///         &self,
///         _chapter: &Chapter,
///         _image: &Image,
///         _path: &Path,
///         outcome: &PageOutcome,
///     ) {
///         if let PageOutcome::Written { .. } = outcome {
///             self.written.fetch_add(1, Ordering::Relaxed);
///         }
///     }
/// }
///
/// let options = Options::from_yaml_str("dir_rule:\n  base_dir: /comics\n")?;
/// # let site = jmcomic_emulator::Emulator::start()?; // a local stand-in for the site
/// # let tmp = tempfile::tempdir()?;
/// # let options = test_site(options, &site, tmp.path());
/// // Kept in an `Arc` to read its count afterwards (a plain value works too).
/// let hook = Arc::new(Unread {
///     read: HashSet::from([JmId::new(421_925)]),
///     written: AtomicUsize::new(0),
/// });
/// let downloader = Downloader::builder(options).hook(Arc::clone(&hook)).build()?;
///
/// let report = downloader.album(JmId::new(421_925)).await?;
/// assert!(report.chapters[0].skipped); // chapter 421925 was read
/// assert!(report.chapters[1..].iter().all(|c| !c.skipped && c.is_complete()));
/// assert_eq!(hook.written.load(Ordering::Relaxed), report.pages_written());
/// # Ok(()) }
/// # fn test_site(
/// #     mut o: jmcomic::Options,
/// #     site: &jmcomic_emulator::Emulator,
/// #     dir: &std::path::Path,
/// # ) -> jmcomic::Options {
/// #     use jmcomic::options::DomainSetting;
/// #     o.dir_rule = o.dir_rule.with_base_dir(dir.to_owned());
/// #     o.client.domain = DomainSetting::List(site.api_domains());
/// #     o.client.image_domain = DomainSetting::List(site.image_domains());
/// #     o
/// # }
/// ```
pub trait Hooks: Send + Sync {
    /// Before an album's chapters are fetched.
    fn before_album(&self, album: &Album) -> Control {
        let _ = album;
        Control::Continue
    }

    /// After all of an album's chapters are done (also when some failed).
    fn after_album(&self, album: &Album, report: &DownloadReport) {
        let _ = (album, report);
    }

    /// Before a chapter's pages are downloaded; the chapter's page list is known.
    fn before_chapter(&self, album: &Album, chapter: &Chapter) -> Control {
        let _ = (album, chapter);
        Control::Continue
    }

    /// After a chapter's pages are done.
    fn after_chapter(&self, album: &Album, chapter: &Chapter, report: &ChapterReport) {
        let _ = (album, chapter, report);
    }

    /// Before a page is downloaded (or reused from disk); `path` is where it will be.
    fn before_image(&self, chapter: &Chapter, image: &Image, path: &Path) -> Control {
        let _ = (chapter, image, path);
        Control::Continue
    }

    /// After a page is written, reused, or failed.
    fn after_image(&self, chapter: &Chapter, image: &Image, path: &Path, outcome: &PageOutcome) {
        let _ = (chapter, image, path, outcome);
    }
}

/// A shared hook is a hook (so one value can be kept to inspect it afterwards).
impl<T: Hooks + ?Sized> Hooks for Arc<T> {
    fn before_album(&self, album: &Album) -> Control {
        (**self).before_album(album)
    }

    fn after_album(&self, album: &Album, report: &DownloadReport) {
        (**self).after_album(album, report);
    }

    fn before_chapter(&self, album: &Album, chapter: &Chapter) -> Control {
        (**self).before_chapter(album, chapter)
    }

    fn after_chapter(&self, album: &Album, chapter: &Chapter, report: &ChapterReport) {
        (**self).after_chapter(album, chapter, report);
    }

    fn before_image(&self, chapter: &Chapter, image: &Image, path: &Path) -> Control {
        (**self).before_image(chapter, image, path)
    }

    fn after_image(&self, chapter: &Chapter, image: &Image, path: &Path, outcome: &PageOutcome) {
        (**self).after_image(chapter, image, path, outcome);
    }
}

/// Several hooks run in order; the first `Skip` or `Stop` wins (`Stop` over `Skip`).
#[derive(Clone, Default)]
pub struct HookSet {
    hooks: Vec<Arc<dyn Hooks>>,
}

impl std::fmt::Debug for HookSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HookSet({} hooks)", self.hooks.len())
    }
}

impl HookSet {
    /// No hooks.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a hook.
    pub fn push(&mut self, hook: impl Hooks + 'static) {
        self.hooks.push(Arc::new(hook));
    }

    /// Adds a shared hook.
    pub fn push_arc(&mut self, hook: Arc<dyn Hooks>) {
        self.hooks.push(hook);
    }

    /// Adds every hook of another set after these.
    pub fn extend(&mut self, other: &HookSet) {
        self.hooks.extend(other.hooks.iter().cloned());
    }

    /// Whether there are no hooks.
    pub fn is_empty(&self) -> bool {
        self.hooks.is_empty()
    }

    fn decide(&self, f: impl Fn(&dyn Hooks) -> Control) -> Control {
        let mut out = Control::Continue;
        for h in &self.hooks {
            match f(h.as_ref()) {
                Control::Stop => return Control::Stop,
                Control::Skip => out = Control::Skip,
                Control::Continue => {}
            }
        }
        out
    }

    pub(crate) fn before_album(&self, album: &Album) -> Control {
        self.decide(|h| h.before_album(album))
    }

    pub(crate) fn after_album(&self, album: &Album, report: &DownloadReport) {
        for h in &self.hooks {
            h.after_album(album, report);
        }
    }

    pub(crate) fn before_chapter(&self, album: &Album, chapter: &Chapter) -> Control {
        self.decide(|h| h.before_chapter(album, chapter))
    }

    pub(crate) fn after_chapter(&self, album: &Album, chapter: &Chapter, report: &ChapterReport) {
        for h in &self.hooks {
            h.after_chapter(album, chapter, report);
        }
    }

    pub(crate) fn before_image(&self, chapter: &Chapter, image: &Image, path: &Path) -> Control {
        self.decide(|h| h.before_image(chapter, image, path))
    }

    pub(crate) fn after_image(
        &self,
        chapter: &Chapter,
        image: &Image,
        path: &Path,
        outcome: &PageOutcome,
    ) {
        for h in &self.hooks {
            h.after_image(chapter, image, path, outcome);
        }
    }
}

/// A hook made of closures, for the common "filter" cases.
///
/// ```
/// use jmcomic::{Control, FilterHooks};
/// // Only the first two chapters, and no GIFs.
/// let hooks = FilterHooks::new()
///     .chapters(|_album, chapter| chapter.sort <= 2)
///     .images(|_chapter, image| !image.is_gif());
/// # let _ = hooks;
/// ```
#[derive(Default)]
pub struct FilterHooks {
    chapter: Option<ChapterFilter>,
    image: Option<ImageFilter>,
}

type ChapterFilter = Box<dyn Fn(&Album, &Chapter) -> bool + Send + Sync>;
type ImageFilter = Box<dyn Fn(&Chapter, &Image) -> bool + Send + Sync>;

impl FilterHooks {
    /// No filters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps only chapters for which `f` is true.
    pub fn chapters(
        mut self,
        f: impl Fn(&Album, &Chapter) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.chapter = Some(Box::new(f));
        self
    }

    /// Keeps only pages for which `f` is true.
    pub fn images(mut self, f: impl Fn(&Chapter, &Image) -> bool + Send + Sync + 'static) -> Self {
        self.image = Some(Box::new(f));
        self
    }
}

impl Hooks for FilterHooks {
    fn before_chapter(&self, album: &Album, chapter: &Chapter) -> Control {
        match &self.chapter {
            Some(f) if !f(album, chapter) => Control::Skip,
            _ => Control::Continue,
        }
    }

    fn before_image(&self, chapter: &Chapter, image: &Image, _path: &Path) -> Control {
        match &self.image {
            Some(f) if !f(chapter, image) => Control::Skip,
            _ => Control::Continue,
        }
    }
}
