//! The single binary's platform on embedded defaults, seeded, driven through the gateway's REST
//! API as a newcomer would: what the README tour and the cross-service flows share.

use std::time::Duration;

use estospaces::seed::{self, SeedOptions};
use estospaces::{Platform, PlatformConfig};
use serde_json::{Value, json};

/// A platform on embedded defaults in a fresh data directory, seeded with a few listings; stops
/// when dropped.
#[derive(Debug)]
pub struct Tour {
    /// The gateway's address, `http://127.0.0.1:port`.
    pub base: String,
    pub http: reqwest::Client,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    pub data_dir: tempfile::TempDir,
    /// Each service's own gRPC address, by name, for calls that must reach one service.
    pub services: std::collections::BTreeMap<&'static str, std::net::SocketAddr>,
}

impl Drop for Tour {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

pub async fn start_seeded_platform(listings: usize) -> Tour {
    start_seeded_platform_with(listings, |_| {}).await
}

/// Like [`start_seeded_platform`], with the configuration changed by `configure` first.
pub async fn start_seeded_platform_with(
    listings: usize,
    configure: impl FnOnce(&mut PlatformConfig),
) -> Tour {
    let data_dir = tempfile::tempdir().expect("a data dir");
    let mut config = PlatformConfig::default();
    config.common.listen = "127.0.0.1:0".parse().expect("an address");
    config.common.data_dir = data_dir.path().to_owned();
    config.common.shutdown_grace = Duration::from_secs(1);
    // The seed registers and logs in a few dozen accounts from one address, and a demo
    // developer makes dozens of calls; at the default limits the tour's own sign-up, or its
    // next call as that developer, would wait for the bucket to refill.
    config.service.gateway.rate_limits.public_per_minute = 6_000;
    config.service.gateway.rate_limits.authenticated_per_minute = 6_000;
    configure(&mut config);
    let platform = Platform::build(config.clone())
        .await
        .expect("the platform builds");
    let addr = platform.local_addr();
    let services = platform.service_addrs();
    config.common.listen = addr;
    let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(platform.run(async {
        let _ = stopped.await;
    }));

    let tour = Tour {
        base: format!("http://{addr}"),
        http: reqwest::Client::new(),
        shutdown: Some(shutdown),
        data_dir,
        services,
    };
    tour.wait_until_ready().await;
    let options = SeedOptions {
        listings,
        progress: false,
    };
    let report = seed::seed(&config, &tour.base, &options)
        .await
        .expect("the demo data loads");
    assert_eq!(report.listings, listings);
    tour
}

impl Tour {
    pub async fn wait_until_ready(&self) {
        for _ in 0..100 {
            if let Ok(response) = self.http.get(format!("{}/readyz", self.base)).send().await
                && response.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the platform did not become ready within 10 s");
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the gateway answers");
        let status = response.status().as_u16();
        let text = response.text().await.expect("a body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, body)
    }

    /// Registers and logs in `email`; returns the access token.
    pub async fn sign_up(&self, email: &str) -> String {
        let credentials = json!({"email": email, "password": "a long enough password"});
        let (status, user) = self
            .post("/v1/users:register", None, credentials.clone())
            .await;
        assert_eq!(status, 201, "registering: {user}");
        let (status, session) = self.post("/v1/sessions:login", None, credentials).await;
        assert_eq!(status, 200, "logging in: {session}");
        session["accessToken"]
            .as_str()
            .expect("an access token")
            .to_owned()
    }

    /// Logs in as the demo account `email`: its name (`users/{id}`) and an access token.
    pub async fn demo_login(&self, email: &str) -> (String, String) {
        let (status, session) = self
            .post(
                "/v1/sessions:login",
                None,
                json!({"email": email, "password": seed::DEMO_PASSWORD}),
            )
            .await;
        assert_eq!(status, 200, "logging in as {email}: {session}");
        (
            session["user"].as_str().expect("a user").to_owned(),
            session["accessToken"].as_str().expect("a token").to_owned(),
        )
    }

    /// Polls the booking until the saga has moved it to `state` (within 30 s).
    pub async fn wait_for_state(&self, booking: &str, token: &str, state: &str) -> Value {
        let mut last = Value::Null;
        for _ in 0..300 {
            let (status, current) = self.get(&format!("/v1/{booking}"), Some(token)).await;
            assert_eq!(status, 200, "reading the booking: {current}");
            if current["state"] == state {
                return current;
            }
            last = current;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the booking did not reach {state} within 30 s; it is {last}");
    }

    /// The demo host who owns `listing`: their name, email and an access token.
    pub async fn host_of(&self, listing: &Value) -> (String, String, String) {
        let owner = listing["owner"].as_str().expect("an owner");
        for index in 0..20 {
            let email = seed::demo_email("host", index);
            let (status, session) = self
                .post(
                    "/v1/sessions:login",
                    None,
                    json!({"email": email, "password": seed::DEMO_PASSWORD}),
                )
                .await;
            if status == 200 && session["user"] == owner {
                let token = session["accessToken"].as_str().expect("a token").to_owned();
                return (owner.to_owned(), email, token);
            }
        }
        panic!("no demo host owns {listing}");
    }

    /// Runs the page `gateway/web-test/src/<page>.ts` in headless Chromium against this
    /// platform's gateway over grpc-web, with `query` (`&a=b`) added to its URL; what the page
    /// reported, which says it succeeded.
    pub async fn run_browser_page(&self, page: &str, query: String) -> Value {
        let scratch = tempfile::tempdir().expect("a temporary directory");
        let descriptors = scratch.path().join("descriptors.binpb");
        std::fs::write(&descriptors, estospaces_proto::FILE_DESCRIPTOR_SET).expect("written");
        let script =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../gateway/web-test/run.sh");
        let gateway = self.base.clone();
        let page = page.to_owned();
        let output = tokio::task::spawn_blocking(move || {
            std::process::Command::new(script)
                .arg(&descriptors)
                .arg(gateway)
                .arg(page)
                .arg(query)
                .output()
                .expect("run.sh starts")
        })
        .await
        .expect("the browser run completes");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "the browser page failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
        );
        let result: Value = serde_json::from_str(stdout.lines().last().unwrap_or_default())
            .unwrap_or_else(|err| panic!("a JSON result ({err}) in\n{stdout}\nstderr:\n{stderr}"));
        assert_eq!(result["ok"], true, "{result}");
        result
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, token, Some(body))
            .await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, token, None).await
    }
}
