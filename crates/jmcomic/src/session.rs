//! The logged-in session kept on disk between runs (`client.session_file`), and the client
//! built from options with it.
//!
//! `jmcomic login` writes the file; every client built with [`Options::build_client`] reads
//! it, so downloads, favourites and check-ins of later runs are those of the logged-in user.
//! The file holds the login cookie: it is written with owner-only permissions, through a
//! temporary name, and its contents are never logged.
//!
//! ```no_run
//! # fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use jmcomic::session::{SessionFile, default_session_file};
//!
//! let path = default_session_file().ok_or("no config folder")?;
//! if let Some(saved) = SessionFile::new(&path).load()? {
//!     println!("logged in as {:?}", saved.user.map(|u| u.username));
//! }
//! # Ok(()) }
//! ```

use std::io;
use std::path::{Path, PathBuf};

use jmcomic_client::{Client, SavedSession};
use serde::{Deserialize, Serialize};
use tracing::warn;

use crate::Options;

/// Where the command line keeps the session when the option file names no
/// `client.session_file`: `<config dir>/jmcomic/session.json` (`~/.config` on Linux,
/// `~/Library/Application Support` on macOS, `%APPDATA%` on Windows). `None` when the
/// system has no such folder.
pub fn default_session_file() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("jmcomic").join("session.json"))
}

/// The format marker of the file, so a later version can read older files or refuse newer
/// ones clearly.
const FORMAT: u32 = 1;

/// What the file holds.
#[derive(Serialize, Deserialize)]
struct OnDisk {
    jmcomic_session: u32,
    #[serde(flatten)]
    session: SavedSession,
}

/// Why the session file could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// Reading, writing or removing it failed.
    #[error("session file {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// It is not a session file of this program (or of a newer version).
    #[error("session file {} cannot be read: {reason}; log in again (`jmcomic login`) to replace it", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// A session file at a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionFile {
    path: PathBuf,
}

impl SessionFile {
    /// The session file at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The kept session; `None` when there is no file.
    pub fn load(&self) -> Result<Option<SavedSession>, SessionError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(SessionError::Io {
                    path: self.path.clone(),
                    source,
                });
            }
        };
        let format = |reason: String| SessionError::Format {
            path: self.path.clone(),
            reason,
        };
        // The parser's message can quote the input, which holds the cookie: say only where.
        let disk: OnDisk = serde_json::from_slice(&bytes).map_err(|e| {
            format(format!(
                "not a session file (JSON error at line {} column {})",
                e.line(),
                e.column()
            ))
        })?;
        if disk.jmcomic_session != FORMAT {
            return Err(format(format!(
                "format {} is not {FORMAT} (written by another version)",
                disk.jmcomic_session
            )));
        }
        Ok(Some(disk.session))
    }

    /// Keeps `session`: written to a temporary name readable by the owner only, then
    /// renamed over the old file, so a crash leaves the old session or the new one.
    pub fn save(&self, session: &SavedSession) -> Result<(), SessionError> {
        let io_err = |source| SessionError::Io {
            path: self.path.clone(),
            source,
        };
        let disk = OnDisk {
            jmcomic_session: FORMAT,
            session: session.clone(),
        };
        let json = serde_json::to_vec_pretty(&disk)
            .map_err(|e| io_err(io::Error::new(io::ErrorKind::InvalidData, e)))?;
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&dir).map_err(io_err)?;
        // tempfile creates the file with mode 0600 on Unix before anything is written.
        let mut temp = tempfile::Builder::new()
            .prefix(".session-")
            .suffix(".part")
            .tempfile_in(&dir)
            .map_err(io_err)?;
        io::Write::write_all(&mut temp, &json).map_err(io_err)?;
        temp.as_file().sync_all().map_err(io_err)?;
        temp.persist(&self.path).map_err(|e| io_err(e.error))?;
        Ok(())
    }

    /// Removes the file (logging out); whether there was one.
    pub fn remove(&self) -> Result<bool, SessionError> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(source) => Err(SessionError::Io {
                path: self.path.clone(),
                source,
            }),
        }
    }
}

impl Options {
    /// A client configured from these options ([`Options::client_builder`]) and logged in
    /// with the session of `client.session_file` when that file exists, starting from the
    /// domains that worked last time (`client.state_file`, see [`crate::state`]).
    ///
    /// A session file that cannot be read is reported as a warning and the client starts
    /// without it: a download does not need a login, and the account commands say clearly
    /// that one is missing.
    pub fn build_client(&self) -> crate::Result<Client> {
        let mut builder = self.client_builder()?;
        if let Some(memory) = self.state_file().and_then(|f| f.load(self)) {
            builder = builder.domain_memory(memory);
        }
        let client = builder.build()?;
        if let Some(path) = &self.client.session_file {
            match SessionFile::new(path).load() {
                Ok(Some(saved)) => client.restore_session(saved),
                Ok(None) => {}
                Err(e) => warn!("{e}; continuing without a login"),
            }
        }
        Ok(client)
    }
}

#[cfg(test)]
mod tests {
    use jmcomic_model::User;

    use super::*;

    #[test]
    fn round_trip_private_and_atomic() {
        let dir = tempfile::tempdir().unwrap();
        let file = SessionFile::new(dir.path().join("sub").join("session.json"));
        assert!(file.load().unwrap().is_none());
        let saved = SavedSession::new(
            vec![("AVS".into(), "s3cr3t".into())],
            Some(User::named("me")),
        );
        file.save(&saved).unwrap();
        assert_eq!(file.load().unwrap(), Some(saved.clone()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(file.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // Only the final file is left.
        let names: Vec<_> = std::fs::read_dir(file.path().parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["session.json"]);
        assert!(file.remove().unwrap());
        assert!(!file.remove().unwrap());
    }

    #[test]
    fn bad_files_say_so_without_quoting_them() {
        let dir = tempfile::tempdir().unwrap();
        let file = SessionFile::new(dir.path().join("session.json"));
        std::fs::write(file.path(), "{\"AVS\": \"s3cr3t\"").unwrap();
        let e = file.load().unwrap_err().to_string();
        assert!(e.contains("log in again") && !e.contains("s3cr3t"), "{e}");
        std::fs::write(
            file.path(),
            "{\"jmcomic_session\": 9, \"cookies\": [], \"user\": null}",
        )
        .unwrap();
        let e = file.load().unwrap_err().to_string();
        assert!(e.contains("format 9"), "{e}");
    }
}
