use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use estospaces_config::CommonConfig;
use estospaces_media::store::MediaStore;
use estospaces_media::{MediaConfig, MediaSettings};
use estospaces_proto::identity_v1 as identity;
use estospaces_proto::identity_v1::identity_service_client::IdentityServiceClient;
use estospaces_proto::media_v1 as pb;
use estospaces_proto::media_v1::media_service_client::MediaServiceClient;
use estospaces_storage::testing::TestDatabase;
use image::{Rgb, RgbImage};
use tonic::transport::Channel;

pub use estospaces_testing::{Backend, authorized, bad_fields, on_both_backends, reason};

const PASSWORD: &str = "correct horse battery staple";

/// A signed-in user: their resource name (`users/{user}`) and access token.
#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    pub token: String,
}

/// Where the media's bytes go in a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    /// `<data_dir>/media`, the default.
    Directory,
    /// A bucket on an S3-compatible server (moto) started for the test.
    S3,
}

/// Identity and media side by side, with clients, the media store and where the bytes are.
/// Everything stops, and the S3 server is killed, when dropped.
pub struct TestApp {
    pub identity: IdentityServiceClient<Channel>,
    pub media: MediaServiceClient<Channel>,
    pub store: MediaStore,
    /// The directory the default store writes under (empty with S3).
    pub media_dir: PathBuf,
    s3: Option<S3Server>,
    shutdown: Vec<tokio::sync::oneshot::Sender<()>>,
    _databases: [TestDatabase; 2],
}

impl Drop for TestApp {
    fn drop(&mut self) {
        for shutdown in self.shutdown.drain(..) {
            let _ = shutdown.send(());
        }
    }
}

async fn database(backend: Backend, migrations: estospaces_storage::Migrations) -> TestDatabase {
    match backend {
        Backend::Postgres => TestDatabase::postgres(&[migrations]).await,
        Backend::Sqlite => TestDatabase::sqlite(&[migrations]).await,
    }
    .expect("a fresh test database")
}

fn common(database: &TestDatabase, data_dir: &Path) -> CommonConfig {
    CommonConfig {
        listen: "127.0.0.1:0".parse().expect("address"),
        database_url: Some(database.url.clone().into()),
        data_dir: data_dir.to_path_buf(),
        shutdown_grace: Duration::from_secs(1),
        ..CommonConfig::default()
    }
}

async fn connect(addr: std::net::SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .expect("uri")
        .connect()
        .await
        .expect("the service accepts connections")
}

/// An S3-compatible server (moto) on a free port, with one bucket; killed when dropped.
struct S3Server {
    child: Child,
    endpoint: String,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl S3Server {
    async fn start(bucket: &str) -> Self {
        let program =
            std::env::var("ESTOSPACES_TEST_S3_SERVER").unwrap_or_else(|_| "moto_server".to_owned());
        let port = estospaces_testing::free_port();
        let child = Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| {
                panic!(
                    "starting {program} ({err}); install it with build-support/dev/tools.sh moto"
                )
            });
        let endpoint = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        // Creating the bucket is also how we learn the server is up.
        loop {
            match http.put(format!("{endpoint}/{bucket}")).send().await {
                Ok(response) if response.status().is_success() => break,
                _ if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                other => panic!("moto did not start: {other:?}"),
            }
        }
        Self { child, endpoint }
    }
}

/// Starts identity, then media pointed at it, each on a fresh database of `backend`, media
/// storing in `store`; `settings` adjusts media's own settings.
pub async fn spawn_app(
    backend: Backend,
    store: Store,
    settings: impl FnOnce(&mut MediaSettings),
) -> TestApp {
    let identity_db = database(backend, estospaces_identity::store::MIGRATIONS).await;
    let media_db = database(backend, estospaces_media::store::MIGRATIONS).await;
    let mut shutdown = Vec::new();

    let identity_app = estospaces_identity::build(estospaces_identity::IdentityConfig {
        common: common(&identity_db, identity_db.data_dir()),
        service: Default::default(),
    })
    .await
    .expect("identity builds");
    let identity_addr = identity_app.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(identity_app.run(async {
        let _ = stopped.await;
    }));
    shutdown.push(stop);

    let mut media_settings = MediaSettings::default();
    let s3 = match store {
        Store::Directory => None,
        Store::S3 => {
            let server = S3Server::start("estospaces-media").await;
            media_settings.store_url = Some("s3://estospaces-media/test".to_owned());
            media_settings.s3_endpoint = Some(server.endpoint.clone());
            media_settings.s3_access_key_id = Some("testing".to_owned());
            media_settings.s3_secret_access_key = Some("testing".to_owned().into());
            Some(server)
        }
    };
    settings(&mut media_settings);
    // One data directory for both: one embedded event log, as in the single binary.
    let mut media_common = common(&media_db, identity_db.data_dir());
    media_common.auth.identity_url = Some(format!("http://{identity_addr}"));
    let media_app = estospaces_media::build(MediaConfig {
        common: media_common,
        service: media_settings,
    })
    .await
    .expect("media builds");
    let media_addr = media_app.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(media_app.run(async {
        let _ = stopped.await;
    }));
    shutdown.push(stop);

    TestApp {
        identity: IdentityServiceClient::new(connect(identity_addr).await),
        media: MediaServiceClient::new(connect(media_addr).await)
            .max_decoding_message_size(64 << 20)
            .max_encoding_message_size(64 << 20),
        store: MediaStore::new(media_db.database.clone()),
        media_dir: identity_db.data_dir().join("media"),
        s3,
        shutdown,
        _databases: [identity_db, media_db],
    }
}

impl TestApp {
    /// Registers `email` at identity and signs in.
    pub async fn user(&mut self, email: &str) -> User {
        let name = self
            .identity
            .register_user(identity::RegisterUserRequest {
                email: email.to_owned(),
                password: PASSWORD.to_owned(),
            })
            .await
            .expect("registration succeeds")
            .into_inner()
            .user
            .expect("a user")
            .name;
        let token = self
            .identity
            .login(identity::LoginRequest {
                email: email.to_owned(),
                password: PASSWORD.to_owned(),
            })
            .await
            .expect("login succeeds")
            .into_inner()
            .access_token;
        User { name, token }
    }

    /// Uploads `bytes` as `filename` through the client stream, in 64 KiB chunks.
    pub async fn upload(
        &mut self,
        user: &User,
        filename: &str,
        visibility: pb::Visibility,
        bytes: &[u8],
    ) -> Result<pb::Media, tonic::Status> {
        let mut messages = vec![pb::UploadMediaRequest {
            part: Some(pb::upload_media_request::Part::Metadata(
                pb::UploadMetadata {
                    filename: filename.to_owned(),
                    content_type: String::new(),
                    visibility: visibility as i32,
                },
            )),
        }];
        messages.extend(bytes.chunks(64 * 1024).map(|chunk| pb::UploadMediaRequest {
            part: Some(pb::upload_media_request::Part::Chunk(chunk.to_vec())),
        }));
        let response = self
            .media
            .upload_media(authorized(tokio_stream::iter(messages), &user.token))
            .await?;
        Ok(response.into_inner().media.expect("the media"))
    }

    /// The media once processing is over (ready or rejected).
    pub async fn processed(&mut self, user: &User, name: &str) -> pb::Media {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let media = self
                .media
                .get_media(authorized(
                    pb::GetMediaRequest {
                        name: name.to_owned(),
                    },
                    &user.token,
                ))
                .await
                .expect("the owner reads their media")
                .into_inner()
                .media
                .expect("the media");
            if media.state != pb::media::State::Processing as i32 {
                return media;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{name} still processing after a minute"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The bytes of `content` (`media/{id}/content/{file}`) as `token` (if any) reads them,
    /// with the response metadata.
    pub async fn content(
        &mut self,
        request: pb::GetMediaContentRequest,
        token: Option<&str>,
        headers: &[(&'static str, &str)],
    ) -> Result<(Vec<u8>, tonic::metadata::MetadataMap), tonic::Status> {
        let mut request = match token {
            Some(token) => authorized(request, token),
            None => tonic::Request::new(request),
        };
        for (key, value) in headers {
            request
                .metadata_mut()
                .insert(*key, value.parse().expect("ascii header"));
        }
        let response = self.media.get_media_content(request).await?;
        let metadata = response.metadata().clone();
        Ok((response.into_inner().data, metadata))
    }

    /// Every object the default store holds, as paths under its directory.
    pub fn stored_files(&self) -> Vec<PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    out.push(path);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.media_dir, &mut out);
        out
    }

    /// Whether the S3 server is in use (and so `stored_files` says nothing).
    pub fn on_s3(&self) -> bool {
        self.s3.is_some()
    }

    /// Every key in the S3 bucket.
    pub async fn s3_keys(&self) -> Vec<String> {
        let server = self.s3.as_ref().expect("an S3 server");
        let listing = reqwest::get(format!("{}/estospaces-media?list-type=2", server.endpoint))
            .await
            .expect("moto answers")
            .text()
            .await
            .expect("a listing");
        listing
            .split("<Key>")
            .skip(1)
            .filter_map(|rest| rest.split_once("</Key>").map(|(key, _)| key.to_owned()))
            .collect()
    }
}

/// A JPEG of `width`×`height` pixels with some texture.
pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let image = RgbImage::from_fn(width, height, |x, y| {
        Rgb([(x % 251) as u8, (y % 241) as u8, ((x + y) % 13 * 19) as u8])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&image)
        .expect("encodes");
    out
}

/// A PNG of `width`×`height` pixels.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let image = RgbImage::from_fn(width, height, |x, _| Rgb([(x % 256) as u8, 90, 200]));
    let mut out = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("encodes");
    out
}

/// A JPEG whose EXIF says "rotate 90° clockwise" and where it was taken (GPS), as a phone
/// writes it. The pixels are `width`×`height` as stored.
pub fn jpeg_with_exif_gps(width: u32, height: u32) -> Vec<u8> {
    fn entry(out: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]) {
        out.extend(tag.to_be_bytes());
        out.extend(kind.to_be_bytes());
        out.extend(count.to_be_bytes());
        out.extend(value);
    }
    // TIFF, big-endian: IFD0 at 8 (orientation, GPS pointer), GPS IFD at 38 (latitude ref and
    // latitude), the latitude's three rationals at 68.
    let mut tiff = b"MM\0\x2A\0\0\0\x08".to_vec();
    tiff.extend(2u16.to_be_bytes());
    entry(&mut tiff, 0x0112, 3, 1, [0, 6, 0, 0]); // orientation 6: rotate 90° clockwise
    entry(&mut tiff, 0x8825, 4, 1, 38u32.to_be_bytes()); // the GPS IFD
    tiff.extend(0u32.to_be_bytes());
    tiff.extend(2u16.to_be_bytes());
    entry(&mut tiff, 0x0001, 2, 2, *b"N\0\0\0");
    entry(&mut tiff, 0x0002, 5, 3, 68u32.to_be_bytes());
    tiff.extend(0u32.to_be_bytes());
    for (numerator, denominator) in [(38u32, 1u32), (42, 1), (4242, 100)] {
        tiff.extend(numerator.to_be_bytes());
        tiff.extend(denominator.to_be_bytes());
    }
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(tiff);
    let plain = jpeg(width, height);
    let mut out = plain[..2].to_vec(); // SOI
    out.extend([0xFF, 0xE1]);
    out.extend(u16::try_from(app1.len() + 2).expect("small").to_be_bytes());
    out.extend(app1);
    out.extend(&plain[2..]);
    out
}

/// A PNG whose header claims `width`×`height` pixels over a few bytes of data: a
/// decompression bomb, as far as anything trusting the header can tell.
pub fn png_bomb(width: u32, height: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend(u32::try_from(data.len()).expect("small").to_be_bytes());
        let mut crc_input = kind.to_vec();
        crc_input.extend(data);
        out.extend(&crc_input);
        out.extend(crc32(&crc_input).to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = width.to_be_bytes().to_vec();
    header.extend(height.to_be_bytes());
    header.extend([8, 0, 0, 0, 0]); // 8-bit greyscale
    chunk(&mut out, b"IHDR", &header);
    chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A one-page PDF.
pub fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n\
      2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
        .to_vec()
}

/// Whether `bytes` carry an EXIF block (where phones write GPS) or XMP metadata.
pub fn has_metadata(bytes: &[u8]) -> bool {
    let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|window| window == needle);
    contains(b"Exif\0\0") || contains(b"EXIF") || contains(b"http://ns.adobe.com/xap")
}
