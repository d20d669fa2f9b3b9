//! The one narrow door to what privacyd keeps as files beyond a job: each data source's spool
//! and each export archive. Built on Apache Arrow's `object_store` crate, so a folder
//! (`file://`, through the crate's own local store) and an S3 bucket (`s3://`) are one code
//! path; replicas that share a bucket need no shared disk (issue 11, section 1).
//!
//! Layout, under the store's root (a folder, or a bucket and prefix):
//!
//! ```text
//! <request id>/sources/<source>/items.jsonl   what the source sent, as the spool wrote it
//! <request id>/sources/<source>/items-index.jsonl  where its runs and items are in items.jsonl
//! <request id>/sources/<source>/files.jsonl   its files' list, in order, each with its zip entry
//! <request id>/sources/<source>/files.zip     the files as finished zip entries, in that order
//! <request id>/<build>/privacy-export-<request id>.zip  the archive, one build of it
//! ```
//!
//! Each attempt at building a request's archive writes under a build id of its own, and the
//! one recorded ([`crate::domain::ExportArchive::build`]) is the one served: an attempt whose
//! job lost its lease cannot replace another's recorded bytes. Archives recorded before builds
//! had ids are at `<request id>/privacy-export-<request id>.zip`.
//!
//! A spool is four objects rather than one per file, so a source that sends 100,000 small
//! files costs four uploads, not 100,000. Spools an earlier privacyd stored have no
//! `items-index.jsonl`; their items are read to index them. The archive is the sources' segments (`files.zip`)
//! side by side, then a tail (`export.json`'s entry, then `index.html`'s and the central
//! directory, written by the archive builder as two local files): on S3 one object, uploaded in
//! parts; on the file store a folder under the archive's name holding hard links to the
//! segments, the tail's files and `parts.json` (the parts in order, with their sizes), read as
//! their concatenation, so no file byte is written twice.
//!
//! Earlier privacyd kept a spool's files as `files.bin` (their bytes only) and a local archive
//! as one file under its name. Both are still read: a local archive that is one file is served
//! as it is, and a spool with `files.bin` is rewritten into the current layout before its
//! request's archive is built ([`crate::export::legacy_spool`]).
//!
//! Objects are written whole or not at all: a multipart upload is invisible until it completes
//! (S3), and the local store writes to a staging file renamed into place. So a crash mid-upload
//! leaves no half object under its name; what it does leave (an incomplete S3 upload, a local
//! staging file) is removed by the bucket's lifecycle rule (README) and by [`Objects::delete_prefix`].

use std::{
    io::{Read, Write},
    path::{Path, PathBuf},
    str::FromStr,
    sync::Arc,
    time::Duration,
};

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt, stream::BoxStream};
use object_store::{
    GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart, aws::AmazonS3Builder,
    local::LocalFileSystem, path::Path as Key, prefix::PrefixStore, signer::Signer,
};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::domain::{RequestId, SourceName};

/// Where spools and archives are kept: `--archive-store`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// `file://<absolute folder>`.
    File(PathBuf),
    /// `s3://<bucket>[/<prefix>]`; credentials, region and endpoint come from the standard
    /// `AWS_*` variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`,
    /// `AWS_ENDPOINT_URL`, `AWS_ALLOW_HTTP`, ...), as `object_store`'s `AmazonS3Builder::from_env`
    /// reads them.
    S3 { bucket: String, prefix: String },
}

impl FromStr for StoreLocation {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        if let Some(dir) = value.strip_prefix("file://") {
            let dir = PathBuf::from(dir);
            if !dir.is_absolute() {
                return Err(format!(
                    "{value}: a file:// store needs an absolute folder, as in file:///var/lib/privacyd"
                ));
            }
            return Ok(StoreLocation::File(dir));
        }
        if let Some(rest) = value.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            // The S3 rules for bucket names (3 to 63 of a-z, 0-9, '.' and '-'), loosely: what
            // matters here is that it is one DNS label-ish word, not a path or a URL.
            let valid = (3..=63).contains(&bucket.len())
                && bucket.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
            if !valid {
                return Err(format!("{value}: the bucket must be 3 to 63 characters of a-z, 0-9, '.' and '-'"));
            }
            return Ok(StoreLocation::S3 { bucket: bucket.to_owned(), prefix: prefix.trim_matches('/').to_owned() });
        }
        Err(format!("{value}: the archive store must be file://<absolute folder> or s3://<bucket>[/<prefix>]"))
    }
}

impl std::fmt::Display for StoreLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreLocation::File(dir) => write!(f, "file://{}", dir.display()),
            StoreLocation::S3 { bucket, prefix } if prefix.is_empty() => write!(f, "s3://{bucket}"),
            StoreLocation::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
        }
    }
}

/// How long a presigned archive URL works: long enough for the browser to follow the redirect
/// and start the download (a started download continues past it), short enough that a link
/// copied from a browser's history or a proxy's log is useless soon after.
pub const PRESIGNED_URL_TTL: Duration = Duration::from_secs(60);

/// Bytes per uploaded part: S3 wants at least 5 MiB for every part but the last.
const PART_BYTES: usize = 8 << 20;
/// Parts uploading at once: with the one being filled, memory per upload is at most
/// `(PARTS_IN_FLIGHT + 1) * PART_BYTES`, whatever the size of the object.
const PARTS_IN_FLIGHT: usize = 2;
/// Bytes per read of a local file being uploaded.
const READ_BYTES: usize = 256 << 10;

/// Errors of the store, with the object's key (never personal data: keys are request ids and
/// source names).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("object storage: {0}")]
    Store(#[from] object_store::Error),
    #[error("object storage, local file: {0}")]
    Io(#[from] std::io::Error),
    #[error("--archive-store-option: {0}")]
    Option(String),
}

/// The archive store, open. Cheap to clone.
#[derive(Clone)]
pub struct Objects {
    objects: Arc<dyn ObjectStore>,
    /// Signs GET URLs that let a browser fetch an archive straight from the bucket; `None`
    /// for the local store, whose archives privacyd streams itself.
    signer: Option<Arc<dyn Signer>>,
    /// The folder of a local store: the local store creates folders and files with the
    /// process's umask, so privacyd tightens them (see `private_files`), and removes the
    /// staging files of uploads a crash cut short, which the store does not list.
    local_root: Option<PathBuf>,
    location: StoreLocation,
}

impl std::fmt::Debug for Objects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Objects({})", self.location)
    }
}

impl Objects {
    /// Opens the store at `location` (a local folder is created, private, if missing).
    /// `options` (`key=value`, `object_store`'s S3 configuration keys such as
    /// `endpoint=http://127.0.0.1:9000` or `allow_http=true`) override the `AWS_*` variables
    /// for an S3 store; a local store takes none.
    pub fn open(location: &StoreLocation, options: &[String]) -> Result<Self, StoreError> {
        if !options.is_empty() && matches!(location, StoreLocation::File(_)) {
            return Err(StoreError::Option("a file:// store takes no --archive-store-option".into()));
        }
        match location {
            StoreLocation::File(dir) => {
                crate::private_files::create_dir(dir)?;
                let local = LocalFileSystem::new_with_prefix(dir)?.with_automatic_cleanup(true).with_fsync(true);
                Ok(Objects {
                    objects: Arc::new(local),
                    signer: None,
                    local_root: Some(dir.clone()),
                    location: location.clone(),
                })
            }
            StoreLocation::S3 { bucket, prefix } => {
                // reqwest is built without a crypto provider of its own, so privacyd stays on
                // ring (already in the tree through rustls) rather than pulling aws-lc's C build.
                let _ = rustls::crypto::ring::default_provider().install_default();
                let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
                for option in options {
                    let (key, value) = option
                        .split_once('=')
                        .ok_or_else(|| StoreError::Option(format!("{option:?} is not key=value")))?;
                    // The key as the error names it; values may be secrets and are never shown.
                    let parsed = match key.parse::<object_store::aws::AmazonS3ConfigKey>() {
                        Ok(parsed) => parsed,
                        Err(_) => {
                            let client = key.parse::<object_store::ClientConfigKey>().map_err(|_| {
                                StoreError::Option(format!("{key} is not an S3 configuration key of object_store"))
                            })?;
                            object_store::aws::AmazonS3ConfigKey::Client(client)
                        }
                    };
                    builder = builder.with_config(parsed, value);
                }
                let s3 = builder.build()?;
                let store = Arc::new(PrefixStore::new(s3, prefix.as_str()));
                Ok(Objects {
                    objects: store.clone(),
                    signer: Some(store),
                    local_root: None,
                    location: location.clone(),
                })
            }
        }
    }

    pub fn location(&self) -> &StoreLocation {
        &self.location
    }

    /// Whether this is the file store: spools and archives are files on this machine's disk,
    /// fsynced, not objects uploaded from scratch space.
    pub fn is_local(&self) -> bool {
        self.local_root.is_some()
    }

    /// Whether downloads are redirected to presigned URLs rather than streamed by privacyd.
    pub fn presigns(&self) -> bool {
        self.signer.is_some()
    }

    /// Puts a finished spool folder (as [`crate::export::spool::Spool`] wrote it) into the
    /// store as the four objects of the module documentation. A local store takes the files
    /// as they are, renamed into place after an fsync (copied only when the scratch folder is
    /// on another file system): the files' bytes are not written again.
    pub async fn put_spool(&self, id: RequestId, source: &SourceName, dir: &Path) -> Result<(), StoreError> {
        self.put_spool_objects(id, source, dir, &["items.jsonl", ITEM_INDEX, "files.jsonl", SEGMENT]).await
    }

    /// Puts the files `names` of the local folder `dir` into a source's spool, in that order.
    async fn put_spool_objects(
        &self,
        id: RequestId,
        source: &SourceName,
        dir: &Path,
        names: &[&str],
    ) -> Result<(), StoreError> {
        let prefix = spool_prefix(id, source);
        for name in names {
            let key = prefix.clone().join(*name);
            if !self.move_into_local(&key, &dir.join(name)).await? {
                self.put_files(&key, vec![dir.join(name)]).await?;
            }
        }
        Ok(())
    }

    /// How a source's spool is kept: with its files as a segment of zip entries, or as
    /// privacyd stored it before each file byte was written once (issue 14, section 5), with
    /// `files.bin` (see [`crate::export::legacy_spool`]). A spool with neither is reported as
    /// segmented, and reading its segment then fails as for any missing spool.
    pub async fn spool_layout(&self, id: RequestId, source: &SourceName) -> Result<SpoolLayout, StoreError> {
        let prefix = spool_prefix(id, source);
        for (name, layout) in [(SEGMENT, SpoolLayout::Segment), (LEGACY_FILES, SpoolLayout::Legacy)] {
            match self.objects.head(&prefix.clone().join(name)).await {
                Ok(_) => return Ok(layout),
                Err(object_store::Error::NotFound { .. }) => {}
                Err(err) => return Err(err.into()),
            }
        }
        Ok(SpoolLayout::Segment)
    }

    /// The files of a spool in the earlier layout ([`SpoolLayout::Legacy`]): their bytes one
    /// after another, in the order its `files.jsonl` lists them. A blocking reader, for a
    /// thread that may block.
    pub fn legacy_spool_files(
        &self,
        runtime: &tokio::runtime::Handle,
        id: RequestId,
        source: &SourceName,
    ) -> Result<BlockingReader, StoreError> {
        let key = spool_prefix(id, source).join(LEGACY_FILES);
        let stream = wait(runtime, self.objects.get(&key))?.into_stream();
        Ok(BlockingReader { runtime: runtime.clone(), stream, current: Bytes::new() })
    }

    /// Replaces a spool in the earlier layout with the same files rewritten into the current
    /// one, from the local folder `dir` (its `files.jsonl` and segment). Safe to cut short at
    /// any point: the new list goes first (its lines read as the old ones too, they only add a
    /// field), then the segment, whose presence makes the spool current; `files.bin` goes last.
    pub async fn put_upgraded_spool(&self, id: RequestId, source: &SourceName, dir: &Path) -> Result<(), StoreError> {
        self.put_spool_objects(id, source, dir, &["files.jsonl", SEGMENT]).await?;
        match self.objects.delete(&spool_prefix(id, source).join(LEGACY_FILES)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(err) => Err(err.into()),
        }
    }

    /// For a local store: renames the local file `from` to the object `key`, durable (the file
    /// and its folder fsynced). False, with nothing done, for S3, or when `from` is on another
    /// file system than the store.
    async fn move_into_local(&self, key: &Key, from: &Path) -> Result<bool, StoreError> {
        let Some(to) = self.local_file(key) else { return Ok(false) };
        let from = from.to_owned();
        let moved = tokio::task::spawn_blocking(move || {
            std::fs::File::open(&from)?.sync_all()?;
            let parent = to.parent().expect("a key has a folder");
            crate::private_files::create_dir(parent)?;
            match std::fs::rename(&from, &to) {
                Ok(()) => {}
                Err(err) if err.kind() == std::io::ErrorKind::CrossesDevices => return Ok(false),
                Err(err) => return Err(err),
            }
            crate::private_files::tighten(&to, crate::private_files::FILE_MODE)?;
            std::fs::File::open(parent)?.sync_all()?;
            Ok(true)
        })
        .await
        .map_err(std::io::Error::other)??;
        if moved {
            self.tighten_local(key)?;
        }
        Ok(moved)
    }

    /// For a local store: the file that holds object `key` (whether it exists or not).
    fn local_file(&self, key: &Key) -> Option<PathBuf> {
        let root = self.local_root.as_ref()?;
        Some(key.parts().fold(root.clone(), |path, part| path.join(part.as_ref())))
    }

    /// Downloads `<spool>/<name>` (`items.jsonl`, `items-index.jsonl` or `files.jsonl`) of a source's spool into
    /// the local file `to`, streaming. From a local store on the same file system it is a hard
    /// link, not a copy: a spool's lists are written once (replaced by a rename, never changed
    /// in place), and copying 100,000 items' list took 0.3 s of the archive's 1.9 s.
    pub async fn fetch_spool_list(
        &self,
        id: RequestId,
        source: &SourceName,
        name: &str,
        to: &Path,
    ) -> Result<(), StoreError> {
        let key = spool_prefix(id, source).join(name);
        if let Some(from) = self.local_file(&key) {
            return Ok(link_or_copy(&from, to)?);
        }
        let mut stream = self.objects.get(&key).await?.into_stream();
        let mut out = std::io::BufWriter::new(crate::private_files::create_file(to)?);
        while let Some(bytes) = stream.try_next().await? {
            out.write_all(&bytes)?;
        }
        out.flush()?;
        Ok(())
    }

    /// [`Self::fetch_spool_list`] for a list an earlier privacyd did not write: false, with
    /// nothing written, when the spool has none.
    pub async fn fetch_optional_spool_list(
        &self,
        id: RequestId,
        source: &SourceName,
        name: &str,
        to: &Path,
    ) -> Result<bool, StoreError> {
        match self.fetch_spool_list(id, source, name, to).await {
            Ok(()) => Ok(true),
            Err(StoreError::Store(object_store::Error::NotFound { .. })) => Ok(false),
            Err(StoreError::Io(err)) if err.kind() == std::io::ErrorKind::NotFound && !to.exists() => Ok(false),
            Err(err) => Err(err),
        }
    }

    /// Starts putting build `build` of a request's archive together, for the archive builder's
    /// thread: the sources' segments ([`ArchiveComposer::append_segment`]), then the archive's
    /// tail ([`ArchiveComposer::append_tail`]). Nothing is under the build's key until
    /// [`ArchiveComposer::finish`] returns, and no other build's key is touched: a new build
    /// id for each attempt, so an attempt whose job lost its lease cannot replace the build
    /// another attempt recorded.
    pub fn compose_archive(
        &self,
        runtime: &tokio::runtime::Handle,
        id: RequestId,
        build: crate::domain::ArchiveBuild,
    ) -> Result<ArchiveComposer, StoreError> {
        let composing = match &self.local_root {
            Some(root) => {
                // Staged in the build's own folder, beside where it will be: no other attempt's
                // files are touched (an attempt a crash cut short leaves its build's folder,
                // removed with the request's unrecorded builds, see `remove_unrecorded_builds`).
                let archive = local_archive_dir(root, id, Some(build));
                let build_dir = archive.parent().expect("in the build's folder");
                crate::private_files::create_dir(build_dir)?;
                let staging = build_dir.join(format!("{STAGING_PREFIX}{}", uuid::Uuid::new_v4().simple()));
                crate::private_files::create_dir(&staging)?;
                Composing::Local { staging, parts: Vec::new(), tail: Vec::new() }
            }
            None => Composing::Upload(self.archive_upload(runtime, archive_key(id, Some(build)))?),
        };
        Ok(ArchiveComposer { runtime: runtime.clone(), objects: self.clone(), id, build, composing })
    }

    /// Starts the upload of an archive as one object at `key`, for the archive builder's
    /// thread. Nothing is under the key until [`BlockingUpload::finish`] returns.
    fn archive_upload(&self, runtime: &tokio::runtime::Handle, key: Key) -> Result<BlockingUpload, StoreError> {
        let upload = wait(runtime, self.objects.put_multipart(&key))?;
        Ok(BlockingUpload {
            runtime: runtime.clone(),
            upload: Some(WriteMultipart::new_with_chunk_size(upload, PART_BYTES)),
            objects: self.clone(),
            key,
        })
    }

    /// Bytes `range` of build `build` of a request's archive (the recorded one, within its
    /// recorded size; `None` for one recorded before builds had keys), as a stream of chunks
    /// read as the caller takes them.
    pub async fn read_archive(
        &self,
        id: RequestId,
        build: Option<crate::domain::ArchiveBuild>,
        range: std::ops::Range<u64>,
    ) -> Result<BoxStream<'static, Result<Bytes, StoreError>>, StoreError> {
        if range.is_empty() {
            // Nothing to read (a read from the end), and stores refuse an empty range.
            return Ok(futures::stream::empty().boxed());
        }
        if let Some(root) = &self.local_root {
            return read_local_archive(local_archive_dir(root, id, build), range).await;
        }
        let options = GetOptions { range: Some(GetRange::Bounded(range)), ..Default::default() };
        let got = self.objects.get_opts(&archive_key(id, build), options).await?;
        Ok(got.into_stream().map_err(StoreError::from).boxed())
    }

    /// The first `size` bytes of build `build` of a request's archive, in memory: for tests.
    #[cfg(test)]
    pub(crate) async fn read_archive_bytes(
        &self,
        id: RequestId,
        build: Option<crate::domain::ArchiveBuild>,
        size: u64,
    ) -> Vec<u8> {
        let chunks: Vec<Bytes> = self.read_archive(id, build, 0..size).await.unwrap().try_collect().await.unwrap();
        chunks.concat()
    }

    /// A URL that fetches build `build` of the request's archive (as for [`Self::read_archive`])
    /// straight from the bucket for `ttl`, or `None` for a store privacyd serves itself (the
    /// local one). The URL carries a SigV4 signature over its method, key and expiry: altered,
    /// or used late, the bucket refuses it.
    pub async fn presigned_archive_url(
        &self,
        id: RequestId,
        build: Option<crate::domain::ArchiveBuild>,
        ttl: Duration,
    ) -> Result<Option<url::Url>, StoreError> {
        match &self.signer {
            Some(signer) => Ok(Some(signer.signed_url(http::Method::GET, &archive_key(id, build), ttl).await?)),
            None => Ok(None),
        }
    }

    /// Deletes every object of a request (`part` "") or of one part of it ("sources").
    /// Returns how many objects went (for a local store, a staging file left by a crash counts
    /// as one); deleting what is not there is no error.
    pub async fn delete_request(&self, id: RequestId, part: &str) -> Result<usize, StoreError> {
        // `part` may be more than one segment ("sources/<source>").
        let prefix = part.split('/').filter(|p| !p.is_empty()).fold(request_prefix(id), |prefix, p| prefix.join(p));
        self.delete_prefix(&prefix).await
    }

    /// Deletes build `build` of a request's archive: one that was never recorded, so never
    /// served ([`Self::compose_archive`]).
    pub async fn delete_archive_build(
        &self,
        id: RequestId,
        build: crate::domain::ArchiveBuild,
    ) -> Result<usize, StoreError> {
        self.delete_prefix(&request_prefix(id).join(build.to_string().as_str())).await
    }

    /// Removes the builds of a request's archive other than `keep` (the recorded one; `None`:
    /// every build): what attempts left that were never recorded (a crash between building
    /// and recording, an attempt whose job lost its lease). Returns how many builds went.
    pub async fn remove_unrecorded_builds(
        &self,
        id: RequestId,
        keep: Option<crate::domain::ArchiveBuild>,
    ) -> Result<usize, StoreError> {
        let listed = match self.objects.list_with_delimiter(Some(&request_prefix(id))).await {
            Ok(listed) => listed,
            Err(object_store::Error::NotFound { .. }) => return Ok(0),
            Err(err) => return Err(err.into()),
        };
        let mut removed = 0;
        for prefix in listed.common_prefixes {
            let Some(build) = prefix.filename().and_then(crate::domain::ArchiveBuild::parse) else { continue };
            if Some(build) != keep {
                self.delete_prefix(&prefix).await?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Deletes every object under `prefix`, listing it (S3 lists in pages; `object_store`
    /// follows them).
    pub async fn delete_prefix(&self, prefix: &Key) -> Result<usize, StoreError> {
        let listed = self.objects.list(Some(prefix)).map_ok(|meta| meta.location).boxed();
        let deleted = self.objects.delete_stream(listed).try_fold(0, |n, _| async move { Ok(n + 1) }).await;
        let mut deleted = match deleted {
            Ok(n) => n,
            Err(object_store::Error::NotFound { .. }) => 0,
            Err(err) => return Err(err.into()),
        };
        if let Some(root) = &self.local_root {
            // What the local store does not list: staging files of uploads a crash cut short.
            let dir = prefix.parts().fold(root.clone(), |dir, part| dir.join(part.as_ref()));
            match tokio::fs::remove_dir_all(&dir).await {
                Ok(()) => deleted = deleted.max(1),
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                Err(err) => return Err(err.into()),
            }
        }
        Ok(deleted)
    }

    /// The requests that have anything in the store (for the start-up cleanup). Names that
    /// are not request ids are the operator's and are not listed.
    pub async fn requests(&self) -> Result<Vec<RequestId>, StoreError> {
        let listed = match self.objects.list_with_delimiter(None).await {
            Ok(listed) => listed,
            Err(object_store::Error::NotFound { .. }) => return Ok(Vec::new()),
            Err(err) => return Err(err.into()),
        };
        Ok(listed
            .common_prefixes
            .iter()
            .filter_map(|prefix| prefix.filename().and_then(|name| RequestId::parse("id", name).ok()))
            .collect())
    }

    /// Uploads the local `files`, one after the other, as one object at `key`: in one PUT
    /// when they fit in a part, else by multipart upload with bounded memory.
    async fn put_files(&self, key: &Key, files: Vec<PathBuf>) -> Result<(), StoreError> {
        let mut total = 0u64;
        for file in &files {
            total += tokio::fs::metadata(file).await?.len();
        }
        if total <= PART_BYTES as u64 {
            let mut whole = Vec::with_capacity(total as usize);
            for file in &files {
                tokio::fs::File::open(file).await?.read_to_end(&mut whole).await?;
            }
            self.objects.put(key, PutPayload::from(whole)).await?;
            return self.tighten_local(key);
        }
        let mut upload = WriteMultipart::new_with_chunk_size(self.objects.put_multipart(key).await?, PART_BYTES);
        let copied = async {
            let mut buffer = vec![0u8; READ_BYTES];
            for file in &files {
                let mut input = tokio::fs::File::open(file).await?;
                loop {
                    let n = input.read(&mut buffer).await?;
                    if n == 0 {
                        break;
                    }
                    upload.wait_for_capacity(PARTS_IN_FLIGHT).await?;
                    upload.write(&buffer[..n]);
                }
            }
            Ok::<_, StoreError>(())
        }
        .await;
        match copied {
            Ok(()) => {
                upload.finish().await?;
                self.tighten_local(key)
            }
            Err(err) => {
                let _ = upload.abort().await;
                Err(err)
            }
        }
    }

    /// Makes a local object and the folders above it private (0600, 0700): the local store
    /// creates them with the process's umask.
    fn tighten_local(&self, key: &Key) -> Result<(), StoreError> {
        let Some(root) = &self.local_root else { return Ok(()) };
        let parts: Vec<_> = key.parts().collect();
        let mut path = root.clone();
        for (i, part) in parts.iter().enumerate() {
            path.push(part.as_ref());
            let mode =
                if i + 1 == parts.len() { crate::private_files::FILE_MODE } else { crate::private_files::DIR_MODE };
            crate::private_files::tighten(&path, mode)?;
        }
        Ok(())
    }
}

fn request_prefix(id: RequestId) -> Key {
    Key::from(id.to_string())
}

fn spool_prefix(id: RequestId, source: &SourceName) -> Key {
    request_prefix(id).join("sources").join(source.as_str())
}

/// Where build `build` of a request's archive is: `<request id>/<build>/privacy-export-<request
/// id>.zip` (so the name a browser saves from a presigned URL is the archive's own), or,
/// recorded before builds had keys of their own, `<request id>/privacy-export-<request id>.zip`.
fn archive_key(id: RequestId, build: Option<crate::domain::ArchiveBuild>) -> Key {
    let prefix = match build {
        Some(build) => request_prefix(id).join(build.to_string().as_str()),
        None => request_prefix(id),
    };
    prefix.join(crate::export::archive_file_name(id))
}

/// The name of a spool's segment of zip entries.
const SEGMENT: &str = crate::export::spool::SEGMENT;

/// The object that held a spool's files, one after another, before they were zip entries.
const LEGACY_FILES: &str = "files.bin";

/// A spool's own index of its items ([`crate::export::stretches`]).
const ITEM_INDEX: &str = crate::export::stretches::INDEX;

/// How a spool is kept in the store; see [`Objects::spool_layout`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpoolLayout {
    /// `items.jsonl`, `items-index.jsonl` (absent when an earlier privacyd wrote it),
    /// `files.jsonl` (each file with its zip entry) and the segment `files.zip`.
    Segment,
    /// `items.jsonl`, `files.jsonl` (no zip entries) and `files.bin`: the files' bytes only.
    Legacy,
}

/// How a local archive's folder is named while it is put together.
const STAGING_PREFIX: &str = ".archive-staging-";

/// The file in a local archive's folder that lists its parts.
const MANIFEST: &str = "parts.json";

/// A local archive: its parts, in order; their concatenation is the zip.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Manifest {
    parts: Vec<ManifestPart>,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct ManifestPart {
    /// A file in the archive's folder.
    name: String,
    bytes: u64,
}

/// A local archive's folder: `<root>/<request id>/<build>/privacy-export-<request id>.zip/`
/// (see [`archive_key`]).
fn local_archive_dir(root: &Path, id: RequestId, build: Option<crate::domain::ArchiveBuild>) -> PathBuf {
    archive_key(id, build).parts().fold(root.to_owned(), |path, part| path.join(part.as_ref()))
}

/// Bytes `range` of a local archive: the parts it spans, each read from its offset.
async fn read_local_archive(
    dir: PathBuf,
    range: std::ops::Range<u64>,
) -> Result<BoxStream<'static, Result<Bytes, StoreError>>, StoreError> {
    let not_found = |err: std::io::Error| {
        StoreError::from(object_store::Error::NotFound { path: dir.display().to_string(), source: err.into() })
    };
    let archive = match tokio::fs::metadata(&dir).await {
        Ok(archive) => archive,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Err(not_found(err)),
        Err(err) => return Err(err.into()),
    };
    let parts = if archive.is_file() {
        // An archive privacyd wrote before it composed them from parts: one file, the zip.
        vec![(dir.clone(), archive.len())]
    } else {
        let manifest = match tokio::fs::read(dir.join(MANIFEST)).await {
            Ok(manifest) => manifest,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Err(not_found(err)),
            Err(err) => return Err(err.into()),
        };
        let manifest: Manifest = serde_json::from_slice(&manifest).map_err(std::io::Error::from)?;
        manifest.parts.into_iter().map(|part| (dir.join(&part.name), part.bytes)).collect()
    };
    let mut pieces = Vec::new();
    let mut start = 0u64;
    for (path, bytes) in parts {
        let end = start + bytes;
        if end > range.start && start < range.end {
            pieces.push((path, range.start.max(start) - start, range.end.min(end) - start));
        }
        start = end;
    }
    if range.end > start {
        return Err(std::io::Error::other(format!("the archive has {start} bytes, not {}", range.end)).into());
    }
    Ok(futures::stream::iter(pieces)
        .then(|(path, from, to)| async move {
            let mut file = tokio::fs::File::open(path).await?;
            file.seek(std::io::SeekFrom::Start(from)).await?;
            Ok::<_, StoreError>(
                tokio_util::io::ReaderStream::with_capacity(file.take(to - from), READ_BYTES).map_err(StoreError::from),
            )
        })
        .try_flatten()
        .boxed())
}

/// An archive being put together; see [`Objects::compose_archive`]: the segments, then the
/// tail's files. Dropped unfinished, it leaves nothing under the archive's name.
pub struct ArchiveComposer {
    runtime: tokio::runtime::Handle,
    objects: Objects,
    id: RequestId,
    build: crate::domain::ArchiveBuild,
    composing: Composing,
}

enum Composing {
    /// A local store keeps the parts as files side by side in a staging folder, renamed to
    /// the archive's name when complete: the segments are hard links to the spools' (their
    /// bytes are not copied), the tail's files moved in beside them.
    Local { staging: PathBuf, parts: Vec<ManifestPart>, tail: Vec<ManifestPart> },
    /// S3: one multipart upload, the segments streamed through, so that the archive is one
    /// object a presigned URL can serve.
    Upload(BlockingUpload),
    /// Finished (or being finished).
    Done,
}

/// Makes `to` a hard link to the local file `from`, or, on another file system or one without
/// hard links, a copy of it.
fn link_or_copy(from: &Path, to: &Path) -> std::io::Result<()> {
    if std::fs::hard_link(from, to).is_err() {
        std::fs::copy(from, to)?;
    }
    Ok(())
}

impl ArchiveComposer {
    /// The size of a source's segment in the store, before it is appended: what is written
    /// after the segments (the tail) needs to know where it starts, and is written while they
    /// are read.
    pub fn segment_size(&self, source: &SourceName) -> Result<u64, StoreError> {
        let key = spool_prefix(self.id, source).join(SEGMENT);
        match self.objects.local_file(&key) {
            Some(path) => Ok(std::fs::metadata(path)?.len()),
            None => Ok(wait(&self.runtime, self.objects.objects.head(&key))?.size),
        }
    }

    /// Appends a source's segment; `seen` is shown its bytes, in order (to hash them).
    /// Returns its size.
    pub fn append_segment(&mut self, source: &SourceName, mut seen: impl FnMut(&[u8])) -> Result<u64, StoreError> {
        let key = spool_prefix(self.id, source).join(SEGMENT);
        match &mut self.composing {
            Composing::Done => unreachable!("appending to a finished archive"),
            Composing::Local { staging, parts, tail } => {
                assert!(tail.is_empty(), "segments come before the tail");
                let from = self.objects.local_file(&key).expect("a local store");
                let name = format!("{}.zip", parts.len());
                let to = staging.join(&name);
                link_or_copy(&from, &to)?;
                let bytes = read_through(std::fs::File::open(&to)?, |bytes| {
                    seen(bytes);
                    Ok(())
                })?;
                parts.push(ManifestPart { name, bytes });
                Ok(bytes)
            }
            Composing::Upload(upload) => {
                let stream = wait(&self.runtime, self.objects.objects.get(&key))?.into_stream();
                let input = BlockingReader { runtime: self.runtime.clone(), stream, current: Bytes::new() };
                upload_through(input, upload, seen)
            }
        }
    }

    /// Appends the archive's tail, the local files `paths` in order (taken: moved into a
    /// local store, uploaded to S3). Returns their size. Last: only [`ArchiveComposer::finish`]
    /// may follow.
    pub fn append_tail(&mut self, paths: &[PathBuf]) -> Result<u64, StoreError> {
        let mut total = 0;
        match &mut self.composing {
            Composing::Done => unreachable!("appending to a finished archive"),
            Composing::Local { staging, tail, .. } => {
                assert!(tail.is_empty(), "one tail");
                for (i, path) in paths.iter().enumerate() {
                    let name = format!("tail-{i}.zip");
                    let to = staging.join(&name);
                    if std::fs::rename(path, &to).is_err() {
                        // Scratch space on another file system than the store.
                        std::fs::copy(path, &to)?;
                    }
                    let bytes = std::fs::metadata(&to)?.len();
                    tail.push(ManifestPart { name, bytes });
                    total += bytes;
                }
            }
            Composing::Upload(upload) => {
                for path in paths {
                    total += upload_through(std::fs::File::open(path)?, upload, |_| {})?;
                }
            }
        }
        Ok(total)
    }

    /// Completes the archive: it is there, whole, under its name once this returns.
    pub fn finish(mut self) -> Result<(), StoreError> {
        match std::mem::replace(&mut self.composing, Composing::Done) {
            Composing::Done => Ok(()),
            Composing::Upload(upload) => upload.finish(),
            Composing::Local { staging, mut parts, tail } => {
                // Should any step fail, the staging folder goes with `self`.
                self.composing = Composing::Local { staging: staging.clone(), parts: Vec::new(), tail: Vec::new() };
                for part in tail {
                    std::fs::File::open(staging.join(&part.name))?.sync_all()?;
                    parts.push(part);
                }
                let mut manifest = crate::private_files::create_file(&staging.join(MANIFEST))?;
                manifest.write_all(&serde_json::to_vec(&Manifest { parts }).map_err(std::io::Error::from)?)?;
                manifest.sync_all()?;
                // The names in it (links, renamed-in parts): durable before the folder is
                // renamed into place.
                std::fs::File::open(&staging)?.sync_all()?;
                let root = self.objects.local_root.as_ref().expect("a local store");
                let archive = local_archive_dir(root, self.id, Some(self.build));
                let build_dir = archive.parent().expect("in the build's folder");
                std::fs::rename(&staging, &archive)?;
                std::fs::File::open(build_dir)?.sync_all()?;
                std::fs::File::open(build_dir.parent().expect("in the request's folder"))?.sync_all()?;
                Ok(())
            }
        }
    }
}

/// Reads `input` to its end, handing each read to `each`; returns how many bytes.
fn read_through(mut input: impl Read, mut each: impl FnMut(&[u8]) -> std::io::Result<()>) -> std::io::Result<u64> {
    let mut buffer = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = input.read(&mut buffer)?;
        if n == 0 {
            return Ok(total);
        }
        each(&buffer[..n])?;
        total += n as u64;
    }
}

/// Uploads what `input` reads, showing `seen` each read; returns how many bytes.
fn upload_through(
    input: impl Read,
    upload: &mut BlockingUpload,
    mut seen: impl FnMut(&[u8]),
) -> Result<u64, StoreError> {
    Ok(read_through(input, |bytes| {
        seen(bytes);
        upload.write_all(bytes)
    })?)
}

impl Drop for ArchiveComposer {
    fn drop(&mut self) {
        if let Composing::Local { staging, .. } = &self.composing
            && staging.exists()
        {
            // A build that failed half-way: its staging folder goes (the upload of an S3
            // archive aborts in `BlockingUpload`'s own drop).
            let _ = std::fs::remove_dir_all(staging);
        }
    }
}

/// Runs `future` to its end on this (blocking) thread. Not the runtime's `block_on`: the
/// archive builder writes from inside closures that are themselves run by `block_on` (it walks
/// its index that way), and tokio refuses to nest those. Entering the runtime lets the future
/// reach tokio's I/O and timers, which the runtime's own workers drive.
fn wait<F: std::future::Future>(runtime: &tokio::runtime::Handle, future: F) -> F::Output {
    let _entered = runtime.enter();
    futures::executor::block_on(future)
}

/// An object read as a blocking [`Read`], on a thread that may block (the archive builder's).
pub struct BlockingReader {
    runtime: tokio::runtime::Handle,
    stream: BoxStream<'static, object_store::Result<Bytes>>,
    current: Bytes,
}

impl Read for BlockingReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match wait(&self.runtime, self.stream.next()) {
                None => return Ok(0),
                Some(Ok(bytes)) => self.current = bytes,
                Some(Err(err)) => return Err(std::io::Error::other(err)),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

/// An object written as a blocking [`Write`], by multipart upload with at most
/// `PARTS_IN_FLIGHT` parts in flight. Dropped unfinished, it aborts the upload.
pub struct BlockingUpload {
    runtime: tokio::runtime::Handle,
    upload: Option<WriteMultipart>,
    objects: Objects,
    key: Key,
}

impl BlockingUpload {
    /// Completes the upload: the object is there, whole, once this returns.
    pub fn finish(mut self) -> Result<(), StoreError> {
        let upload = self.upload.take().expect("an upload finishes once");
        wait(&self.runtime, upload.finish())?;
        self.objects.tighten_local(&self.key)
    }
}

impl Write for BlockingUpload {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let upload = self.upload.as_mut().expect("an unfinished upload");
        wait(&self.runtime, upload.wait_for_capacity(PARTS_IN_FLIGHT)).map_err(std::io::Error::other)?;
        // A full part is sent by a task spawned on the runtime: entered here, since the thread
        // writing may be one of the archive builder's own (its hashing thread), not tokio's.
        let _entered = self.runtime.enter();
        upload.write(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for BlockingUpload {
    fn drop(&mut self) {
        if let Some(upload) = self.upload.take() {
            // An archive that failed half-way: its parts go, nothing is left under its name.
            if let Err(err) = wait(&self.runtime, upload.abort()) {
                tracing::warn!(error = %err, "aborting an archive upload failed");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse_and_print_back() {
        for (given, parsed) in [
            ("file:///var/lib/privacyd/exports", StoreLocation::File("/var/lib/privacyd/exports".into())),
            ("s3://privacy-exports", StoreLocation::S3 { bucket: "privacy-exports".into(), prefix: String::new() }),
            (
                "s3://privacy-exports/eu/prod",
                StoreLocation::S3 { bucket: "privacy-exports".into(), prefix: "eu/prod".into() },
            ),
        ] {
            assert_eq!(given.parse::<StoreLocation>().unwrap(), parsed);
            assert_eq!(parsed.to_string(), given);
        }
        for refused in ["file://relative/dir", "s3://", "s3://Bad_Bucket", "/var/lib", "gs://bucket", "s3://a/b"] {
            assert!(refused.parse::<StoreLocation>().is_err(), "{refused}");
        }
    }

    /// An archive an earlier privacyd wrote to a local store is one file at the archive's
    /// name (an upload of one object), not a folder of parts, and its record has no build: it
    /// reads back whole and by ranges, a new build goes beside it, and deleting the request
    /// removes both.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_local_archive_an_earlier_privacyd_wrote_as_one_file_reads_back_beside_a_new_build() {
        let root = tempfile::tempdir().unwrap();
        let store = Objects::open(&StoreLocation::File(root.path().join("exports")), &[]).unwrap();
        let id = RequestId::new();
        let earlier: Vec<u8> = (0..PART_BYTES as u32 + 100).map(|i| (i % 253) as u8).collect();
        let runtime = tokio::runtime::Handle::current();
        let (store2, written) = (store.clone(), earlier.clone());
        tokio::task::spawn_blocking(move || {
            // The earlier archive builder's way: one multipart upload under the archive's key.
            let mut upload = store2.archive_upload(&runtime, archive_key(id, None)).unwrap();
            upload.write_all(&written).unwrap();
            upload.finish().unwrap();
        })
        .await
        .unwrap();
        assert!(local_archive_dir(root.path().join("exports").as_path(), id, None).is_file());
        let read = |build: Option<crate::domain::ArchiveBuild>, range: std::ops::Range<u64>| {
            let store = store.clone();
            async move {
                store.read_archive(id, build, range).await.unwrap().try_collect::<Vec<Bytes>>().await.unwrap().concat()
            }
        };
        assert_eq!(read(None, 0..earlier.len() as u64).await, earlier);
        let across = PART_BYTES as u64 - 10..PART_BYTES as u64 + 10;
        assert_eq!(read(None, across.clone()).await, &earlier[across.start as usize..across.end as usize]);
        assert!(store.read_archive(id, None, 0..earlier.len() as u64 + 1).await.is_err(), "past its end");

        let runtime = tokio::runtime::Handle::current();
        let store2 = store.clone();
        let tail = root.path().join("tail");
        std::fs::write(&tail, b"built again").unwrap();
        let build = crate::domain::ArchiveBuild::new();
        tokio::task::spawn_blocking(move || {
            let mut composer = store2.compose_archive(&runtime, id, build).unwrap();
            assert_eq!(composer.append_tail(&[tail]).unwrap(), 11);
            composer.finish().unwrap();
        })
        .await
        .unwrap();
        assert_eq!(read(Some(build), 0..11).await, b"built again");
        assert_eq!(read(None, 0..earlier.len() as u64).await, earlier);
        assert!(store.delete_request(id, "").await.unwrap() >= 1);
        assert!(store.read_archive(id, None, 0..1).await.is_err());
        assert!(store.read_archive(id, Some(build), 0..1).await.is_err());
        assert!(store.requests().await.unwrap().is_empty());
    }

    /// Issue 14: an assembly job whose lease ran out (its replica paused past it) finishes its
    /// build after another replica's build was recorded. Each build is under its own key, so
    /// the late one replaces nothing, and removing it (its recording is refused) leaves the
    /// recorded one whole. Before builds had keys, the late one renamed itself over it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_late_build_does_not_replace_the_recorded_one() {
        let root = tempfile::tempdir().unwrap();
        let store = Objects::open(&StoreLocation::File(root.path().join("exports")), &[]).unwrap();
        let id = RequestId::new();
        let (recorded, late) = (crate::domain::ArchiveBuild::new(), crate::domain::ArchiveBuild::new());
        for (build, bytes) in [(recorded, b"the recorded build"), (late, b"a late build!!!!!!")] {
            let (store, runtime) = (store.clone(), tokio::runtime::Handle::current());
            let tail = root.path().join(format!("tail-{build}"));
            std::fs::write(&tail, bytes).unwrap();
            tokio::task::spawn_blocking(move || {
                let mut composer = store.compose_archive(&runtime, id, build).unwrap();
                composer.append_tail(&[tail]).unwrap();
                composer.finish().unwrap();
            })
            .await
            .unwrap();
        }
        let read = |build| {
            let store = store.clone();
            async move {
                store
                    .read_archive(id, Some(build), 0..18)
                    .await
                    .unwrap()
                    .try_collect::<Vec<Bytes>>()
                    .await
                    .unwrap()
                    .concat()
            }
        };
        assert_eq!(read(recorded).await, b"the recorded build");
        assert_eq!(read(late).await, b"a late build!!!!!!");
        assert!(store.delete_archive_build(id, late).await.unwrap() >= 1);
        assert!(store.read_archive(id, Some(late), 0..1).await.is_err(), "the late build is gone");
        assert_eq!(read(recorded).await, b"the recorded build");

        // What attempts left unrecorded goes, the recorded build stays; then every build.
        let (store2, runtime) = (store.clone(), tokio::runtime::Handle::current());
        tokio::task::spawn_blocking(move || {
            let composer = store2.compose_archive(&runtime, id, crate::domain::ArchiveBuild::new()).unwrap();
            // Cut short, as by a crash: its staging folder is left in its build's folder.
            std::mem::forget(composer);
        })
        .await
        .unwrap();
        assert_eq!(store.remove_unrecorded_builds(id, Some(recorded)).await.unwrap(), 1);
        assert_eq!(read(recorded).await, b"the recorded build");
        assert_eq!(store.remove_unrecorded_builds(id, Some(recorded)).await.unwrap(), 0);
        assert_eq!(store.remove_unrecorded_builds(id, None).await.unwrap(), 1);
        assert!(store.read_archive(id, Some(recorded), 0..1).await.is_err());
        assert_eq!(store.remove_unrecorded_builds(RequestId::new(), None).await.unwrap(), 0, "no such request");
    }

    /// A spool larger than an upload part, put into a local store and composed into an
    /// archive with a tail: read back whole and by ranges across the parts, and removed.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_local_store_round_trips_a_spool_and_an_archive_larger_than_a_part() {
        use crate::export::zip_layout::{DosTime, Method};
        let root = tempfile::tempdir().unwrap();
        let store = Objects::open(&StoreLocation::File(root.path().join("exports")), &[]).unwrap();
        let id = RequestId::new();
        let source = SourceName::parse("shop").unwrap();
        let spool = root.path().join("spool");
        let modified = DosTime { date: 0x5b7e, time: 0 };
        let mut writer = crate::export::spool::Spool::create(&spool, "shop", Method::Stored, modified).unwrap();
        let big = vec![7u8; PART_BYTES + 5];
        writer.add(crate::export::rules::tests::chunk("a.bin", &big, 0, true)).unwrap();
        writer.add(crate::export::rules::tests::chunk("b.txt", b"second", 0, true)).unwrap();
        writer.finish().unwrap();
        let segment = std::fs::read(spool.join(SEGMENT)).unwrap();
        let segment_len = segment.len() as u64;
        store.put_spool(id, &source, &spool).await.unwrap();
        assert!(!spool.join(SEGMENT).exists(), "moved into the store, not copied");
        let runtime = tokio::runtime::Handle::current();
        let (store2, source2) = (store.clone(), source.clone());
        let tail = root.path().join("tail");
        std::fs::write(&tail, b"the tail").unwrap();
        let build = crate::domain::ArchiveBuild::new();
        let seen = tokio::task::spawn_blocking(move || {
            let mut composer = store2.compose_archive(&runtime, id, build).unwrap();
            assert_eq!(composer.segment_size(&source2).unwrap(), segment_len);
            let mut seen = Vec::new();
            composer.append_segment(&source2, |bytes| seen.extend_from_slice(bytes)).unwrap();
            composer.append_tail(std::slice::from_ref(&tail)).unwrap();
            composer.finish().unwrap();
            assert!(!tail.exists(), "moved into the store, not copied");
            seen
        })
        .await
        .unwrap();
        assert_eq!(seen, segment);
        let whole = [segment.as_slice(), b"the tail"].concat();
        let all: Vec<Bytes> =
            store.read_archive(id, Some(build), 0..whole.len() as u64).await.unwrap().try_collect().await.unwrap();
        assert_eq!(all.concat(), whole);
        let across = segment.len() as u64 - 3..segment.len() as u64 + 3;
        let part: Vec<Bytes> =
            store.read_archive(id, Some(build), across.clone()).await.unwrap().try_collect().await.unwrap();
        assert_eq!(part.concat(), &whole[across.start as usize..across.end as usize]);
        assert!(store.read_archive(id, Some(build), 0..whole.len() as u64 + 1).await.is_err(), "past its end");
        assert_eq!(store.requests().await.unwrap(), [id]);
        // items.jsonl, items-index.jsonl, files.jsonl and the segment.
        assert_eq!(store.delete_request(id, "sources").await.unwrap(), 4);
        let after: Vec<Bytes> =
            store.read_archive(id, Some(build), 0..whole.len() as u64).await.unwrap().try_collect().await.unwrap();
        assert_eq!(after.concat(), whole, "the archive keeps its own link to the segment");
        assert!(store.delete_request(id, "").await.unwrap() >= 1);
        assert!(store.requests().await.unwrap().is_empty());
    }
}
