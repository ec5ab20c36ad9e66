//! The bytes, in object storage through `object_store`: a local directory by default, any
//! S3-compatible store in production.
//!
//! Layout: `originals/<media>` (the upload as sent; never served for images),
//! `variants/<media>/<file>` (what is served) and `uploads/<upload>/<offset>` (the pieces of a
//! resumable upload). Writes of one object are whole or absent, so a crash leaves no torn file.

use std::ops::Range;
use std::path::Path as FsPath;
use std::sync::Arc;

use bytes::Bytes;
use estospaces_config::{ConfigError, ExposeSecret as _};
use futures::TryStreamExt as _;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt as _, PutPayload};
use uuid::Uuid;

use crate::config::MediaSettings;

/// The media's object store. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Objects {
    store: Arc<dyn ObjectStore>,
}

impl Objects {
    pub fn new(store: Arc<dyn ObjectStore>) -> Self {
        Self { store }
    }

    /// The store `settings` name, or a directory under `data_dir`.
    pub fn from_settings(settings: &MediaSettings, data_dir: &FsPath) -> anyhow::Result<Self> {
        let Some(url) = &settings.store_url else {
            return Self::in_directory(&data_dir.join("media"));
        };
        if let Some(path) = url.strip_prefix("file://") {
            return Self::in_directory(FsPath::new(path));
        }
        let Some(location) = url.strip_prefix("s3://") else {
            return Err(ConfigError::invalid(
                "media.store_url",
                format!("`{url}` is not a store: use s3://bucket or file:///path"),
            )
            .into());
        };
        let (bucket, prefix) = location.split_once('/').unwrap_or((location, ""));
        if bucket.is_empty() {
            return Err(ConfigError::invalid(
                "media.store_url",
                "s3:// needs a bucket: s3://bucket",
            )
            .into());
        }
        // The usual AWS_* variables first (credentials, web identity, region); settings win.
        let mut builder = object_store::aws::AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .with_region(&settings.s3_region);
        if let Some(endpoint) = &settings.s3_endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"))
                .with_virtual_hosted_style_request(false);
        }
        if let (Some(id), Some(secret)) =
            (&settings.s3_access_key_id, &settings.s3_secret_access_key)
        {
            builder = builder
                .with_access_key_id(id)
                .with_secret_access_key(secret.expose_secret());
        }
        let store: Arc<dyn ObjectStore> = Arc::new(builder.build()?);
        let prefix = prefix.trim_matches('/');
        Ok(Self::new(if prefix.is_empty() {
            store
        } else {
            Arc::new(object_store::prefix::PrefixStore::new(store, prefix))
        }))
    }

    fn in_directory(dir: &FsPath) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)?;
        Ok(Self::new(Arc::new(
            object_store::local::LocalFileSystem::new_with_prefix(dir)?,
        )))
    }

    pub async fn put(&self, path: &Path, bytes: Bytes) -> object_store::Result<()> {
        self.store.put(path, PutPayload::from(bytes)).await?;
        Ok(())
    }

    pub async fn get(&self, path: &Path) -> object_store::Result<Bytes> {
        self.store.get(path).await?.bytes().await
    }

    pub async fn get_range(&self, path: &Path, range: Range<u64>) -> object_store::Result<Bytes> {
        self.store.get_range(path, range).await
    }

    /// Deletes everything under `prefix`; whether it is gone (absent objects are no error).
    pub async fn delete_prefix(&self, prefix: &Path) -> object_store::Result<()> {
        for path in self.list(prefix).await? {
            self.delete(&path).await?;
        }
        Ok(())
    }

    pub async fn delete(&self, path: &Path) -> object_store::Result<()> {
        match self.store.delete(path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(err) => Err(err),
        }
    }

    /// The paths under `prefix`, in name order.
    pub async fn list(&self, prefix: &Path) -> object_store::Result<Vec<Path>> {
        let mut paths: Vec<Path> = self
            .store
            .list(Some(prefix))
            .map_ok(|meta| meta.location)
            .try_collect()
            .await?;
        paths.sort();
        Ok(paths)
    }

    /// Every object under `prefix` with when it was last written.
    pub async fn list_with_times(
        &self,
        prefix: &str,
    ) -> object_store::Result<Vec<(Path, std::time::SystemTime)>> {
        self.store
            .list(Some(&Path::from(prefix)))
            .map_ok(|meta| {
                (
                    meta.location,
                    std::time::SystemTime::from(meta.last_modified),
                )
            })
            .try_collect()
            .await
    }

    /// Whether the store answers (for readiness).
    pub async fn check(&self) -> object_store::Result<()> {
        match self.store.head(&Path::from("readiness-probe")).await {
            Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(err) => Err(err),
        }
    }
}

/// Where an upload's bytes are.
pub fn original(media: Uuid) -> Path {
    Path::from(format!("originals/{media}"))
}

/// Where a variant's bytes are.
pub fn variant(media: Uuid, file: &str) -> Path {
    Path::from(format!("variants/{media}/{file}"))
}

/// Every variant of `media`.
pub fn variants(media: Uuid) -> Path {
    Path::from(format!("variants/{media}"))
}

/// Every piece of a resumable upload.
pub fn upload_pieces(upload: Uuid) -> Path {
    Path::from(format!("uploads/{upload}"))
}

/// One piece of a resumable upload, named by its offset so the names sort in order.
pub fn upload_piece(upload: Uuid, offset: u64) -> Path {
    Path::from(format!("uploads/{upload}/{offset:020}"))
}
