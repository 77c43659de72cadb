//! Categories, tags and save paths, and moving a torrent's data between folders.
//!
//! A torrent's save path is chosen at add (its own, its category's, or the
//! download folder) and kept in its record. Changing its category or save path
//! moves its data: librqbit has no call for that, so the torrent is taken from
//! librqbit with its verified pieces kept as fast-resume data, its files are
//! moved beneath the storage root (renamed, or copied and checked across
//! filesystems; never over anything), and it is handed back from the new place.
//! A failure moves back what had moved and says why in `moveError`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::beneath;
use crate::category::{self, Category};
use crate::seeding::TorrentSeedLimits;

use super::*;

/// The categories and the tags known without a torrent.
pub(super) struct Organisation {
    pub categories: BTreeMap<String, Category>,
    pub tags: BTreeSet<String>,
}

/// Where a new torrent goes, from its add options.
pub(super) struct Placement {
    pub category: Option<String>,
    /// Where it downloads.
    pub save_path: PathBuf,
    /// Where it moves when complete, when it downloads in the incomplete folder.
    pub final_save_path: Option<PathBuf>,
    pub tags: Vec<String>,
}

/// A move of a torrent's data, checked and about to run.
struct Move {
    hash: InfoHash,
    /// The folders of the torrent before and after, relative to the root.
    from_folder: PathBuf,
    to_folder: PathBuf,
    /// Its save path after the move.
    to_save: PathBuf,
    /// Its files, relative to its folder.
    files: Vec<PathBuf>,
}

impl Engine {
    fn organisation(&self) -> MutexGuard<'_, Organisation> {
        self.inner
            .organisation
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// The storage root and the folders save paths are read against.
    pub fn save_paths(&self) -> &SavePaths {
        &self.inner.paths
    }

    /// A record's save path, relative to the root.
    pub(super) fn save_path_of(&self, record: &TorrentRecord) -> PathBuf {
        record
            .save_path
            .clone()
            .unwrap_or_else(|| self.inner.paths.download_dir.clone())
    }

    /// The save path of the category named `name`, creating the category (with
    /// its default folder) when there is none.
    fn category_save_path(&self, name: &str) -> Result<PathBuf> {
        category::check_category_name(name).map_err(EngineError::InvalidValue)?;
        let mut organisation = self.organisation();
        let category = organisation
            .categories
            .entry(name.to_owned())
            .or_insert_with(|| Category {
                name: name.to_owned(),
                save_path: String::new(),
                seed_ratio_limit: None,
                seed_time_limit: None,
                seed_idle_limit: None,
            });
        self.inner
            .paths
            .of_category(category)
            .map_err(EngineError::InvalidValue)
    }

    /// Where a torrent added with `options` goes.
    pub(super) fn placement(&self, options: &AddOptions) -> Result<Placement> {
        let tags = category::normalize_tags(options.tags.iter().cloned())
            .map_err(EngineError::InvalidValue)?;
        let category = options.category.clone().filter(|c| !c.is_empty());
        let category_path = category
            .as_deref()
            .map(|name| self.category_save_path(name))
            .transpose()?;
        let save_path = match options.save_path.as_deref().filter(|p| !p.is_empty()) {
            Some(raw) => self
                .inner
                .paths
                .parse(raw)
                .map_err(EngineError::InvalidValue)?,
            None => category_path.unwrap_or_else(|| self.inner.paths.download_dir.clone()),
        };
        Ok(match self.incomplete_dir() {
            Some(incomplete) if incomplete != save_path => Placement {
                category,
                save_path: incomplete,
                final_save_path: Some(save_path),
                tags,
            },
            _ => Placement {
                category,
                save_path,
                final_save_path: None,
                tags,
            },
        })
    }

    /// The incomplete folder relative to the root, if one is set (and valid: the
    /// setting was checked when made, but the root may have changed since).
    fn incomplete_dir(&self) -> Option<PathBuf> {
        let raw = self.settings().incomplete_dir?;
        match self.inner.paths.parse(&raw) {
            Ok(dir) => Some(dir),
            Err(why) => {
                warn!("incompleteDir is not used: {why}");
                None
            }
        }
    }

    /// Moves each complete torrent that downloaded in the incomplete folder to its
    /// final folder (called by the ticker). A move that failed is not tried again
    /// on its own: its `moveError` says why, and a new save path retries.
    pub(super) fn finish_downloads(&self) {
        let ready: Vec<(InfoHash, TorrentRecord)> = self
            .lock()
            .iter()
            .filter(|(_, e)| {
                e.record().final_save_path.is_some()
                    && !e.moving
                    && e.move_error.is_none()
                    && e.handle.as_ref().is_some_and(|h| h.stats().finished)
            })
            .map(|(h, e)| (*h, e.record().clone()))
            .collect();
        for (hash, record) in ready {
            let Some(to) = record.final_save_path.clone() else {
                continue;
            };
            let planned = self.plan_move(&hash, &record, &to);
            let mut map = self.lock();
            let Some(entry) = map.get_mut(&hash) else {
                continue;
            };
            match planned {
                Ok(Some(planned)) => {
                    entry.moving = true;
                    drop(map);
                    let engine = self.clone();
                    tokio::spawn(async move { engine.run_move(planned).await });
                }
                Ok(None) => {}
                Err(e) => {
                    warn!(%hash, "cannot move the complete torrent to its folder: {e}");
                    entry.move_error = Some(format!("its data could not be moved: {e}"));
                }
            }
        }
    }

    /// Each category's seeding limits, by name.
    pub(super) fn category_seed_limits(&self) -> HashMap<String, TorrentSeedLimits> {
        self.organisation()
            .categories
            .values()
            .map(|c| (c.name.clone(), c.seed_limits()))
            .collect()
    }

    /// All categories, by name.
    pub fn categories(&self) -> Vec<Category> {
        self.organisation().categories.values().cloned().collect()
    }

    /// Creates or changes a category. Its torrents keep their data where it is
    /// (a new save path applies to torrents given the category from now on).
    /// Returns it, and whether it is new.
    pub async fn put_category(&self, category: Category) -> Result<(Category, bool)> {
        category::check_category_name(&category.name).map_err(EngineError::InvalidValue)?;
        let limits = category.seed_limits();
        limits.check().map_err(EngineError::InvalidValue)?;
        let limits = limits.normalized();
        let category = Category {
            seed_ratio_limit: limits.ratio,
            seed_time_limit: limits.seeding_minutes,
            seed_idle_limit: limits.idle_minutes,
            ..category
        };
        self.inner
            .paths
            .of_category(&category)
            .map_err(EngineError::InvalidValue)?;
        let created = self
            .organisation()
            .categories
            .insert(category.name.clone(), category.clone())
            .is_none();
        self.persist().await;
        Ok((category, created))
    }

    /// Removes a category: its torrents keep their data and lose the category.
    pub async fn delete_category(&self, name: &str) -> Result<()> {
        if self.organisation().categories.remove(name).is_none() {
            return Err(EngineError::UnknownCategory(name.to_owned()));
        }
        for entry in self.lock().values_mut() {
            if entry.record().category.as_deref() == Some(name) {
                entry.record_mut().category = None;
            }
        }
        self.persist().await;
        Ok(())
    }

    /// Every tag: those of torrents and those created on their own, sorted.
    pub fn tags(&self) -> Vec<String> {
        let mut tags = self.organisation().tags.clone();
        for entry in self.lock().values() {
            tags.extend(entry.record().tags.iter().cloned());
        }
        tags.into_iter().collect()
    }

    /// Categories and tags for the state file.
    pub(super) fn organisation_snapshot(&self) -> (BTreeMap<String, Category>, BTreeSet<String>) {
        let organisation = self.organisation();
        (organisation.categories.clone(), organisation.tags.clone())
    }

    /// Applies the category, tags and save path of `update` to a torrent. A new
    /// folder starts a move of its data (checked here: the answer is at once a
    /// conflict when the data cannot go there).
    pub(super) async fn organise(&self, hash: &InfoHash, update: &TorrentUpdate) -> Result<()> {
        let tags = update
            .tags
            .clone()
            .map(|tags| category::normalize_tags(tags).map_err(EngineError::InvalidValue))
            .transpose()?;
        let category = update.category.clone().map(|c| c.filter(|c| !c.is_empty()));
        let category_path = match &category {
            Some(Some(name)) => Some(self.category_save_path(name)?),
            // Without a category, its data goes to the download folder.
            Some(None) => Some(self.inner.paths.download_dir.clone()),
            None => None,
        };
        let save_path = match update.save_path.as_deref() {
            Some(raw) => Some(
                self.inner
                    .paths
                    .parse(raw)
                    .map_err(EngineError::InvalidValue)?,
            ),
            None => category_path,
        };
        let _adding = self.inner.adding.lock().await;
        let record = self
            .record(hash)
            .ok_or_else(|| EngineError::NotFound(hash.to_hex()))?;
        // Still downloading in the incomplete folder: only where it goes changes.
        let downloading_aside = record.final_save_path.is_some();
        let planned = match &save_path {
            Some(to) if !downloading_aside && *to != self.save_path_of(&record) => {
                self.plan_move(hash, &record, to)?
            }
            _ => None,
        };
        {
            let mut map = self.lock();
            let entry = map
                .get_mut(hash)
                .ok_or_else(|| EngineError::NotFound(hash.to_hex()))?;
            if let Some(tags) = tags {
                entry.record_mut().tags = tags;
            }
            if let Some(category) = category {
                entry.record_mut().category = category;
            }
            match (&planned, save_path) {
                (Some(_), _) => {
                    entry.moving = true;
                    entry.move_error = None;
                }
                (None, Some(to)) if downloading_aside => {
                    entry.record_mut().final_save_path = Some(to);
                    // A failed move to the old place is retried to the new one.
                    entry.move_error = None;
                }
                // No data yet (a magnet without metadata): only the record changes.
                (None, Some(to)) if entry.record().folder.is_none() => {
                    entry.record_mut().save_path = Some(to);
                }
                _ => {}
            }
        }
        self.persist().await;
        if let Some(planned) = planned {
            let engine = self.clone();
            tokio::spawn(async move { engine.run_move(planned).await });
        }
        Ok(())
    }

    /// Checks that the torrent's data can move to the save path `to`: nothing of
    /// another torrent, and nothing at all, where its files would go. `None` when
    /// there is no data to move yet.
    fn plan_move(
        &self,
        hash: &InfoHash,
        record: &TorrentRecord,
        to: &Path,
    ) -> Result<Option<Move>> {
        let Some(from_folder) = record.folder.clone() else {
            return Ok(None);
        };
        let handle = self.entry_handle(hash)?.ok_or_else(|| {
            EngineError::Conflict(
                "its data cannot move while the torrent is not running in the engine (start it first)"
                    .into(),
            )
        })?;
        if self.lock().get(hash).is_some_and(|e| e.moving) {
            return Err(EngineError::Conflict("its data is already moving".into()));
        }
        let own = from_folder
            .strip_prefix(self.save_path_of(record))
            .unwrap_or(Path::new(""))
            .to_path_buf();
        let to_folder = to.join(own);
        let files: Vec<PathBuf> = handle
            .with_metadata(|m| {
                m.file_infos
                    .iter()
                    .filter(|fi| !fi.attrs.padding)
                    .map(|fi| fi.relative_filename.clone())
                    .collect()
            })
            .map_err(|_| EngineError::MetadataPending)?;
        let targets: Vec<PathBuf> = files.iter().map(|f| to_folder.join(f)).collect();
        self.check_overlap(hash, &targets)?;
        let root = beneath::open_root(&self.inner.paths.root)
            .map_err(|e| EngineError::internal("cannot open the download root", e))?;
        for (file, target) in files.iter().zip(&targets) {
            let theirs = match beneath::file_type(&root, target) {
                Ok(found) => found.is_some(),
                Err(e) => return Err(EngineError::Conflict(format!("cannot move there: {e}"))),
            };
            // Moving into a folder of its own (`a` to `a/a`) may find its own file.
            let own_file = from_folder.join(file) == *target;
            if theirs && !own_file {
                return Err(EngineError::Conflict(format!(
                    "{} already exists, and is never replaced",
                    self.inner.paths.show(target)
                )));
            }
        }
        Ok(Some(Move {
            hash: *hash,
            from_folder,
            to_folder,
            to_save: to.to_path_buf(),
            files,
        }))
    }

    /// Moves the data: takes the torrent from librqbit, moves its files, and hands
    /// it back from wherever its data is now.
    async fn run_move(&self, planned: Move) {
        let hash = planned.hash;
        let Some(record) = self.record(&hash) else {
            return;
        };
        let old_save = self.save_path_of(&record);
        let result = match self.take_from_session(&hash, true).await {
            Ok(()) => {
                let root = self.inner.paths.root.clone();
                let files = planned.files.clone();
                let (from, to) = (planned.from_folder.clone(), planned.to_folder.clone());
                let shown = self.inner.paths.clone();
                tokio::task::spawn_blocking(move || {
                    move_files(&root, &from, &to, &files, &old_save, &shown)
                })
                .await
                .unwrap_or_else(|e| Err(format!("the move stopped: {e}")))
            }
            Err(e) => Err(e.to_string()),
        };
        {
            let mut map = self.lock();
            if let Some(entry) = map.get_mut(&hash) {
                match &result {
                    Ok(()) => {
                        entry.record_mut().folder = Some(planned.to_folder.clone());
                        entry.record_mut().save_path = Some(planned.to_save.clone());
                        entry.record_mut().final_save_path = None;
                        if let Some(held) = &mut entry.held {
                            held.moved(&self.inner.paths, &planned.to_folder, &planned.files);
                        }
                    }
                    Err(why) => {
                        warn!(%hash, "cannot move the torrent's data: {why}");
                        entry.move_error = Some(format!("its data could not be moved: {why}"));
                    }
                }
            }
        }
        self.persist().await;
        self.give_to_session(&hash).await;
        if let Some(entry) = self.lock().get_mut(&hash) {
            entry.moving = false;
        }
        self.steer_sequential().await;
        self.tick().await;
        self.persist().await;
    }
}

/// Moves `files` (relative to the folders) from the folder `from` to `to`, both
/// relative to `root`, then removes the folders the move emptied (up to, not
/// including, `save_path`). On failure, moves back what had moved. Files not
/// created yet are skipped.
fn move_files(
    root: &Path,
    from: &Path,
    to: &Path,
    files: &[PathBuf],
    save_path: &Path,
    paths: &SavePaths,
) -> std::result::Result<(), String> {
    let root_fd = beneath::open_root(root).map_err(|e| format!("cannot open the root: {e}"))?;
    let mut moved: Vec<(PathBuf, PathBuf)> = Vec::new();
    let mut failure = None;
    for file in files {
        let (old, new) = (from.join(file), to.join(file));
        match beneath::file_type(&root_fd, &old) {
            Ok(None) => continue,
            Ok(Some(_)) => {}
            Err(e) => {
                failure = Some(e.to_string());
                break;
            }
        }
        match beneath::move_file(&root_fd, &old, &new) {
            Ok(_) => moved.push((old, new)),
            Err(e) => {
                failure = Some(match e {
                    beneath::BeneathError::Io { path, source } => {
                        format!("{}: {source}", paths.show(Path::new(&path)))
                    }
                    other => other.to_string(),
                });
                break;
            }
        }
    }
    if let Some(why) = failure {
        for (old, new) in moved.iter().rev() {
            if let Err(e) = beneath::move_file(&root_fd, new, old) {
                warn!("cannot move {} back: {e}", paths.show(new));
            }
        }
        remove_emptied(
            &root_fd,
            moved.iter().map(|(_, new)| new.as_path()),
            to,
            Path::new(""),
        );
        return Err(why);
    }
    remove_emptied(
        &root_fd,
        moved.iter().map(|(old, _)| old.as_path()),
        from,
        save_path,
    );
    Ok(())
}

/// Removes the empty folders on the way to each of `files`, inside `folder`
/// (and `folder` itself unless it is `keep`).
fn remove_emptied<'a>(
    root: &impl std::os::fd::AsFd,
    files: impl Iterator<Item = &'a Path>,
    folder: &Path,
    keep: &Path,
) {
    let mut dirs: BTreeSet<PathBuf> = BTreeSet::new();
    for file in files {
        for dir in file.ancestors().skip(1) {
            if !dir.starts_with(folder) || dir == keep || dir.as_os_str().is_empty() {
                break;
            }
            dirs.insert(dir.to_path_buf());
        }
    }
    // Deepest first.
    for dir in dirs.iter().rev() {
        let _ = beneath::remove_empty_dir(root, dir);
    }
}
