//! Remembered domains (`client.state_file`): the API, image and web
//! domains that last answered, and the last domain-server answer, kept between runs so the
//! next run starts from a domain that worked instead of walking dead ones first.
//!
//! [`Options::build_client`] reads the file, and a run keeps what its client learnt with
//! [`Options::save_state`] (or [`crate::Downloader::save_state`]); the command line does so
//! at the end of every command that talked to the site. The client itself never touches the
//! file system: it hands out and takes back a [`DomainMemory`].
//!
//! The file is small JSON in the platform's cache folder by default
//! ([`default_state_file`]). It keeps one entry per configuration (the protocol and the
//! configured domains), so an option file for a mirror and one for the site do not undo
//! each other's memory; entries older than 30 days are dropped. It is written to a
//! temporary name and renamed. It only ever makes a run start elsewhere: a file that is
//! missing, corrupt, from another version or stale is ignored (with a debug line) and
//! replaced by the next save. The kept domain-server answer is used for a day
//! ([`jmcomic_client::DEFAULT_DOMAIN_REFRESH_LIFETIME`]).
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use jmcomic::Options;
//!
//! let options = Options::from_file("option.yml")?;
//! let client = options.build_client()?; // starts from the domains that worked last time
//! let album = client.album(jmcomic::JmId::new(438516)).await?;
//! options.save_state(&client)?; // for the next run
//! # Ok(()) }
//! ```

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jmcomic_client::{Client, DomainMemory};
use serde::{Deserialize, Serialize};
use tracing::debug;

use crate::Options;
use crate::options::StateFileSetting;

/// Where the state is kept when the option file names no `client.state_file`:
/// `<cache dir>/jmcomic/domains.json` (`~/.cache` on Linux, `~/Library/Caches` on macOS,
/// `%LOCALAPPDATA%` on Windows). `None` when the system has no such folder.
pub fn default_state_file() -> Option<PathBuf> {
    dirs::cache_dir().map(|d| d.join("jmcomic").join("domains.json"))
}

/// The format marker of the file.
const FORMAT: u32 = 1;

/// Entries older than this are stale: the site's domains change every few weeks.
const MAX_AGE: Duration = Duration::from_secs(30 * 86_400);

/// How many configurations the file remembers (the most recently saved).
const MAX_ENTRIES: usize = 16;

#[derive(Serialize, Deserialize)]
struct OnDisk {
    jmcomic_state: u32,
    #[serde(default)]
    entries: Vec<Entry>,
}

/// What one configuration learnt.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Entry {
    /// Which configuration.
    #[serde(rename = "for")]
    key: Key,
    /// When it was saved, in seconds since the Unix epoch.
    saved_at: u64,
    domains: DomainMemory,
}

/// A configuration: the protocol and the domains configured for it (empty: the built-in
/// ones).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Key {
    protocol: String,
    #[serde(default)]
    api_domains: Vec<String>,
    #[serde(default)]
    image_domains: Vec<String>,
    #[serde(default)]
    html_domains: Vec<String>,
}

impl Key {
    fn of(options: &Options) -> Self {
        let (api_domains, image_domains, html_domains) = options.configured_domains();
        Self {
            protocol: options.client.impl_name.clone(),
            api_domains,
            image_domains,
            html_domains,
        }
    }
}

/// Why the state file could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// Writing it (or making its folder) failed.
    #[error("state file {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
}

/// The state file at a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateFile {
    path: PathBuf,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl StateFile {
    /// The state file at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the configuration of `options` learnt in an earlier run; `None` when there is
    /// nothing usable (no file, a corrupt or stale one: said in a debug line).
    pub fn load(&self, options: &Options) -> Option<DomainMemory> {
        let key = Key::of(options);
        let entry = self
            .entries()
            .into_iter()
            .find(|e| e.key == key)
            .or_else(|| {
                debug!(file = %self.path.display(), "state file: nothing kept for this configuration yet");
                None
            })?;
        let now = unix_now();
        match now.checked_sub(entry.saved_at) {
            Some(age) if age <= MAX_AGE.as_secs() => {
                debug!(file = %self.path.display(), domains = ?entry.domains, "state file: starting from the domains that worked last time");
                Some(entry.domains)
            }
            Some(age) => {
                debug!(file = %self.path.display(), age_days = age / 86_400, "state file ignored: its domains are too old to trust");
                None
            }
            None => {
                debug!(file = %self.path.display(), saved_at = entry.saved_at, "state file ignored: saved in the future (the clock was changed)");
                None
            }
        }
    }

    /// Keeps `memory` as what the configuration of `options` learnt, with the other
    /// configurations' entries that are still fresh; written to a temporary name and
    /// renamed. Nothing is written when `memory` is empty.
    pub fn save(&self, options: &Options, memory: &DomainMemory) -> Result<(), StateError> {
        if memory.is_empty() {
            return Ok(());
        }
        let io_err = |source| StateError::Io {
            path: self.path.clone(),
            source,
        };
        let key = Key::of(options);
        let now = unix_now();
        let mut entries = vec![Entry {
            key: key.clone(),
            saved_at: now,
            domains: memory.clone(),
        }];
        entries.extend(self.entries().into_iter().filter(|e| {
            e.key != key && now.saturating_sub(e.saved_at) <= MAX_AGE.as_secs() && e.saved_at <= now
        }));
        entries.truncate(MAX_ENTRIES);
        let disk = OnDisk {
            jmcomic_state: FORMAT,
            entries,
        };
        let json = serde_json::to_vec_pretty(&disk)
            .map_err(|e| io_err(io::Error::new(io::ErrorKind::InvalidData, e)))?;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io_err)?;
        }
        crate::storage::write_atomic(&self.path, &json).map_err(io_err)?;
        debug!(file = %self.path.display(), "state file saved");
        Ok(())
    }

    /// The entries of the file; none when it is missing or unreadable (said in a debug
    /// line: the file only ever saves time, so a bad one is replaced, not reported).
    fn entries(&self) -> Vec<Entry> {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Vec::new(),
            Err(e) => {
                debug!(file = %self.path.display(), error = %e, "state file ignored: cannot read it");
                return Vec::new();
            }
        };
        match serde_json::from_slice::<OnDisk>(&bytes) {
            Ok(disk) if disk.jmcomic_state == FORMAT => disk.entries,
            Ok(disk) => {
                debug!(file = %self.path.display(), format = disk.jmcomic_state, "state file ignored: written by another version");
                Vec::new()
            }
            Err(e) => {
                debug!(file = %self.path.display(), error = %e, "state file ignored: not a state file");
                Vec::new()
            }
        }
    }
}

impl Options {
    /// The state file `client.state_file` names (the default place unless it is off);
    /// `None` when it is off or the system has no cache folder.
    pub fn state_file(&self) -> Option<StateFile> {
        match &self.client.state_file {
            StateFileSetting::Default => default_state_file().map(StateFile::new),
            StateFileSetting::Off => None,
            StateFileSetting::Path(p) => Some(StateFile::new(p)),
        }
    }

    /// Keeps what `client` learnt about the domains in the state file, for the next run
    /// ([`Client::domain_memory`]); where it was written (`None` when the state file is off
    /// or there was nothing to keep).
    pub fn save_state(&self, client: &Client) -> Result<Option<PathBuf>, StateError> {
        let Some(file) = self.state_file() else {
            return Ok(None);
        };
        let memory = client.domain_memory();
        if memory.is_empty() {
            return Ok(None);
        }
        file.save(self, &memory)?;
        Ok(Some(file.path.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(yaml: &str) -> Options {
        Options::from_yaml_str(yaml).unwrap()
    }

    fn memory(api: &str) -> DomainMemory {
        let mut m = DomainMemory::default();
        m.api = Some(api.to_owned());
        m
    }

    #[test]
    fn one_entry_per_configuration() {
        let dir = tempfile::tempdir().unwrap();
        let file = StateFile::new(dir.path().join("sub").join("domains.json"));
        let site = options("");
        let mirror = options("client:\n  domain: [m1.example, m2.example]\n");
        assert_eq!(file.load(&site), None);
        file.save(&site, &memory("https://a.example")).unwrap();
        file.save(&mirror, &memory("https://m2.example")).unwrap();
        assert_eq!(file.load(&site), Some(memory("https://a.example")));
        assert_eq!(file.load(&mirror), Some(memory("https://m2.example")));
        // A newer save of one configuration replaces its entry only.
        file.save(&site, &memory("https://b.example")).unwrap();
        assert_eq!(file.load(&site), Some(memory("https://b.example")));
        assert_eq!(file.load(&mirror), Some(memory("https://m2.example")));
        // Written through a temporary name: only the file is left.
        let names: Vec<_> = std::fs::read_dir(file.path().parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["domains.json"]);
        // Nothing learnt, nothing written.
        let empty = StateFile::new(dir.path().join("empty.json"));
        empty.save(&site, &DomainMemory::default()).unwrap();
        assert!(!empty.path().exists());
    }

    #[test]
    fn stale_corrupt_and_foreign_files_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let file = StateFile::new(dir.path().join("domains.json"));
        let o = options("");
        let key = serde_json::to_value(Key::of(&o)).unwrap();
        let write = |saved_at: u64, format: u32| {
            let v = serde_json::json!({
                "jmcomic_state": format,
                "entries": [{"for": key, "saved_at": saved_at, "domains": {"api": "https://a.example"}}],
            });
            std::fs::write(file.path(), v.to_string()).unwrap();
        };
        let now = unix_now();
        write(now - 3600, FORMAT);
        assert_eq!(file.load(&o), Some(memory("https://a.example")));
        write(now - 31 * 86_400, FORMAT);
        assert_eq!(file.load(&o), None, "stale");
        write(now + 7 * 86_400, FORMAT);
        assert_eq!(file.load(&o), None, "from the future");
        write(now, FORMAT + 1);
        assert_eq!(file.load(&o), None, "another version");
        std::fs::write(file.path(), "{\"jmcomic_state\": 1, \"entries\": [").unwrap();
        assert_eq!(file.load(&o), None, "corrupt");
        // A save replaces a corrupt file.
        file.save(&o, &memory("https://b.example")).unwrap();
        assert_eq!(file.load(&o), Some(memory("https://b.example")));
    }

    #[test]
    fn the_option_chooses_the_file() {
        assert_eq!(
            options("").state_file(),
            default_state_file().map(StateFile::new)
        );
        assert_eq!(options("client:\n  state_file: false\n").state_file(), None);
        assert_eq!(options("client:\n  state_file: ''\n").state_file(), None);
        let o = options("client:\n  state_file: /srv/jm/domains.json\n");
        assert_eq!(
            o.state_file().map(|f| f.path().to_path_buf()),
            Some(PathBuf::from("/srv/jm/domains.json"))
        );
    }
}
