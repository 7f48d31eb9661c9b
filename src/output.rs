//! The output folder: writing compiled artifacts, and checking a folder against them.

use std::collections::BTreeSet;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::Error;
use crate::artifacts::MANIFEST;
use crate::compile::manifest::Manifest;
use crate::compile::{Compiled, is_executable};
use crate::diagnostic::Diagnostic;

/// Writes `compiled` into `dir`, removing what an earlier compile wrote there and this one does
/// not. Refuses a folder that holds files but no restage manifest, so as never to clobber one
/// that restage did not make.
pub(crate) fn write(dir: &Path, compiled: &Compiled) -> Result<(), Error> {
    let previous = previous_artifacts(dir)?;
    for stale in previous
        .iter()
        .filter(|path| !compiled.files.contains_key(*path))
    {
        let path = dir.join(stale);
        std::fs::remove_file(&path).map_err(|source| Error::Write { path, source })?;
    }
    let mut folders: BTreeSet<PathBuf> = BTreeSet::new();
    for (name, text) in &compiled.files {
        let path = dir.join(name);
        if let Some(parent) = path.parent()
            && folders.insert(parent.to_owned())
        {
            std::fs::create_dir_all(parent).map_err(|source| Error::Write {
                path: parent.to_owned(),
                source,
            })?;
        }
        write_file(
            &path,
            text.as_bytes(),
            is_executable(name),
            previous.is_empty(),
        )?;
    }
    let load = dir.join("load");
    if load.is_dir() && std::fs::read_dir(&load).is_ok_and(|mut d| d.next().is_none()) {
        std::fs::remove_dir(&load).map_err(|source| Error::Write { path: load, source })?;
    }
    Ok(())
}

/// What the manifest in `dir` says an earlier compile wrote.
fn previous_artifacts(dir: &Path) -> Result<BTreeSet<String>, Error> {
    let manifest = dir.join(MANIFEST);
    match std::fs::read_to_string(&manifest) {
        Ok(text) => {
            let manifest = Manifest::read(&text).ok_or_else(|| Error::NotAnOutputFolder {
                dir: dir.to_owned(),
            })?;
            // Only plain relative paths: a manifest must not make compile delete elsewhere.
            Ok(manifest
                .artifacts
                .keys()
                .filter(|k| {
                    !k.starts_with('/') && !k.split('/').any(|part| part == ".." || part.is_empty())
                })
                .cloned()
                .chain([MANIFEST.to_owned()])
                .collect())
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let empty = match std::fs::read_dir(dir) {
                Ok(mut entries) => entries.next().is_none(),
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => true,
                Err(source) => {
                    return Err(Error::Read {
                        path: dir.to_owned(),
                        source,
                    });
                }
            };
            if empty {
                Ok(BTreeSet::new())
            } else {
                Err(Error::NotAnOutputFolder {
                    dir: dir.to_owned(),
                })
            }
        }
        Err(source) => Err(Error::Read {
            path: manifest,
            source,
        }),
    }
}

/// Writes one artifact, leaving a file that already holds exactly `bytes` untouched: a
/// recompile in CI rewrites nothing, and ext4 does not flush thousands of truncated files to
/// disk. A file that changes is replaced, not truncated, for the same reason. In a folder that
/// was empty (`fresh`) there is nothing to compare with, and the file is only created.
fn write_file(path: &Path, bytes: &[u8], executable: bool, fresh: bool) -> Result<(), Error> {
    let failed = |source| Error::Write {
        path: path.to_owned(),
        source,
    };
    if !fresh {
        match std::fs::read(path) {
            Ok(existing) if existing == bytes => {
                let file = std::fs::File::open(path).map_err(failed)?;
                return set_mode(&file, executable).map_err(failed);
            }
            Ok(_) => std::fs::remove_file(path).map_err(failed)?,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(Error::Read {
                    path: path.to_owned(),
                    source,
                });
            }
        }
    }
    let mut file = std::fs::File::create(path).map_err(failed)?;
    file.write_all(bytes).map_err(failed)?;
    set_mode(&file, executable).map_err(failed)
}

/// Sets the file's mode whatever the umask, on the open file (one call, no second path lookup).
#[cfg(unix)]
fn set_mode(file: &std::fs::File, executable: bool) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = if executable { 0o755 } else { 0o644 };
    file.set_permissions(std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_file: &std::fs::File, _executable: bool) -> io::Result<()> {
    Ok(())
}

/// How a folder differs from what compile would write.
#[derive(Debug, Default)]
pub(crate) struct Drift {
    pub missing: Vec<String>,
    pub extra: Vec<String>,
    /// File and unified diff (folder → compiled).
    pub changed: Vec<(String, String)>,
}

impl Drift {
    pub(crate) fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.extra.is_empty() && self.changed.is_empty()
    }

    /// Writes the differences for people: each changed file's unified diff (coloured as git
    /// colours one, when `color`), then the missing and extra files.
    pub(crate) fn write_report(&self, out: &mut impl Write, color: bool) -> io::Result<()> {
        for (_, diff) in &self.changed {
            for line in diff.lines() {
                let paint = if !color {
                    None
                } else if line.starts_with("---") || line.starts_with("+++") {
                    Some("1")
                } else if line.starts_with("@@") {
                    Some("36")
                } else if line.starts_with('+') {
                    Some("32")
                } else if line.starts_with('-') {
                    Some("31")
                } else {
                    None
                };
                match paint {
                    Some(code) => writeln!(out, "\x1b[{code}m{line}\x1b[0m")?,
                    None => writeln!(out, "{line}")?,
                }
            }
        }
        for name in &self.missing {
            writeln!(out, "missing: {name}")?;
        }
        for name in &self.extra {
            writeln!(out, "extra: {name}")?;
        }
        Ok(())
    }
}

impl Drift {
    /// Each difference as an error about the file in `dir`, for machines and annotations.
    pub(crate) fn diagnostics(&self, dir: &Path) -> Vec<Diagnostic> {
        let at = |name: &str| dir.join(name).display().to_string();
        let help = "run restage compile with the same plan and --out, and commit the folder";
        let mut found = Vec::new();
        for (name, _) in &self.changed {
            found.push(
                Diagnostic::error(
                    "restage::check::changed",
                    format!("{name} differs from what restage compile writes"),
                )
                .path(at(name))
                .help(help),
            );
        }
        for name in &self.missing {
            found.push(
                Diagnostic::error("restage::check::missing", format!("{name} is missing"))
                    .path(at(name))
                    .help(help),
            );
        }
        for name in &self.extra {
            found.push(
                Diagnostic::error(
                    "restage::check::extra",
                    format!("{name} is not something restage compile writes"),
                )
                .path(at(name))
                .help(help),
            );
        }
        found
    }
}

/// Compares `dir` with `compiled`, file by file.
pub(crate) fn check(dir: &Path, compiled: &Compiled) -> Result<Drift, Error> {
    let present = files_under(dir)?;
    let mut drift = Drift::default();
    for (name, expected) in &compiled.files {
        if !present.contains(name) {
            drift.missing.push(name.clone());
            continue;
        }
        let path = dir.join(name);
        let actual = std::fs::read(&path).map_err(|source| Error::Read { path, source })?;
        if actual != expected.as_bytes() {
            let actual = String::from_utf8_lossy(&actual);
            let diff = similar::TextDiff::from_lines(actual.as_ref(), expected.as_str())
                .unified_diff()
                .context_radius(3)
                .header(
                    &format!("{name} (in the folder)"),
                    &format!("{name} (compiled)"),
                )
                .to_string();
            drift.changed.push((name.clone(), diff));
        }
    }
    drift.extra = present
        .into_iter()
        .filter(|name| !compiled.files.contains_key(name))
        .collect();
    Ok(drift)
}

/// Every file under `dir`, as `/`-separated relative paths.
fn files_under(dir: &Path) -> Result<BTreeSet<String>, Error> {
    let mut found = BTreeSet::new();
    let mut stack: Vec<PathBuf> = vec![PathBuf::new()];
    while let Some(relative) = stack.pop() {
        let path = dir.join(&relative);
        let entries = match std::fs::read_dir(&path) {
            Ok(entries) => entries,
            Err(err)
                if err.kind() == std::io::ErrorKind::NotFound
                    && relative.as_os_str().is_empty() =>
            {
                return Ok(found);
            }
            Err(source) => return Err(Error::Read { path, source }),
        };
        for entry in entries {
            let entry = entry.map_err(|source| Error::Read {
                path: path.clone(),
                source,
            })?;
            let child = relative.join(entry.file_name());
            if entry
                .file_type()
                .map_err(|source| Error::Read {
                    path: entry.path(),
                    source,
                })?
                .is_dir()
            {
                stack.push(child);
            } else {
                let name: Vec<String> = child
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                found.insert(name.join("/"));
            }
        }
    }
    Ok(found)
}
