//! The dashboards and alerts the Helm chart ships query metrics the platform really exports: the
//! `estospaces` binary runs on embedded defaults with its metrics endpoint on, a guest signs up,
//! finds a seeded stay and books it through the gateway, and every metric name in every
//! dashboard's and alert's expression must be on the scraped `/metrics` page.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use estospaces_platform_tests::binary;
use estospaces_platform_tests::crash::Client;
use serde_json::{Value, json};

#[tokio::test]
async fn every_metric_a_dashboard_or_an_alert_queries_is_exported() {
    let platform = Binary::start().await;
    platform.drive_traffic().await;
    let page = platform.scrape().await;
    let exported = exported_names(&page);

    let mut missing = Vec::new();
    let mut queried = BTreeSet::new();
    for (file, expr) in chart_queries() {
        for name in metric_names(&expr) {
            // `up` is Prometheus' own, about the scrape.
            if name != "up" && !exported.contains(&name) {
                missing.push(format!("{file}: {name} (in `{expr}`)"));
            }
            queried.insert(name);
        }
    }
    assert!(
        queried.len() >= 20,
        "the dashboards and alerts query metrics: {queried:?}"
    );
    // The booking moved the saga's counters.
    assert!(
        page.lines()
            .any(|line| line.starts_with("estospaces_payment_steps_total{")
                && line.contains(r#"step="authorize""#)
                && !line.ends_with(" 0")),
        "{page}"
    );
    assert!(
        missing.is_empty(),
        "queried but not exported:\n{}\n\nexported: {exported:?}",
        missing.join("\n")
    );
}

#[tokio::test]
async fn the_metrics_page_has_process_metrics_bounded_routes_and_numeric_status_codes() {
    let platform = Binary::start().await;
    let (status, _) = platform
        .call(reqwest::Method::GET, "/v1/no/such-route-7f3a", None, None)
        .await;
    assert_eq!(status, 404);
    platform.sign_up("metrics@example.com").await;
    let page = platform.scrape().await;

    for name in [
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_virtual_memory_bytes",
        "process_open_fds",
        "process_max_fds",
        "process_start_time_seconds",
        "process_threads",
    ] {
        let value = sample(&page, name).unwrap_or_else(|| panic!("{name} missing:\n{page}"));
        assert!(value >= 0.0, "{name} = {value}");
    }
    assert!(sample(&page, "process_resident_memory_bytes").is_some_and(|bytes| bytes > 1e6));

    // The unknown path counts as `unmatched`, never as itself; sign-up as its template.
    assert!(
        !page.contains("such-route-7f3a"),
        "a raw path as a label:\n{page}"
    );
    assert!(
        page.lines().any(
            |line| line.starts_with("http_server_request_duration_seconds_count{")
                && line.contains(r#"http_route="unmatched""#)
                && line.contains(r#"http_response_status_code="404""#)
        ),
        "{page}"
    );
    assert!(
        page.lines().any(
            |line| line.starts_with("http_server_request_duration_seconds_count{")
                && line.contains(r#"http_route="/v1/users:register""#)
                && line.contains(r#"http_request_method="POST""#)
                && line.contains(r#"http_response_status_code="201""#)
        ),
        "{page}"
    );
    // The identity service answered the register call with OK, code 0.
    assert!(
        page.lines().any(
            |line| line.starts_with("rpc_server_duration_seconds_count{")
                && line.contains(r#"rpc_system="grpc""#)
                && line.contains(r#"rpc_service="estospaces.identity.v1.IdentityService""#)
                && line.contains(r#"rpc_grpc_status_code="0""#)
        ),
        "{page}"
    );
    // Registered at zero before anything happened.
    assert!(
        page.lines()
            .any(|line| line.starts_with("estospaces_events_dead_lettered_total{")),
        "{page}"
    );
    assert!(
        page.lines()
            .any(|line| line.starts_with("estospaces_events_consumer_lag{")),
        "{page}"
    );
    assert_eq!(sample(&page, "estospaces_booking_sagas_stuck"), Some(0.0));
}

#[test]
fn every_alert_has_a_severity_a_duration_and_a_runbook_section_in_operations_md() {
    let operations = std::fs::read_to_string(repo().join("docs/operations.md")).expect("docs");
    let anchors: BTreeSet<String> = operations
        .lines()
        .filter_map(|line| line.strip_prefix("### "))
        .map(|heading| heading.trim().to_lowercase())
        .collect();
    let mut alerts = 0;
    for path in files(&repo().join("helm/estospaces/alerts"), "yaml") {
        let text = std::fs::read_to_string(&path).expect("an alerts file");
        for rule in text.split("- alert: ").skip(1) {
            alerts += 1;
            let name = rule.lines().next().unwrap_or_default().trim();
            for key in ["expr:", "for:", "severity:", "runbook_url:"] {
                assert!(rule.contains(key), "{name} has no {key}");
            }
            let url = rule
                .lines()
                .find_map(|line| line.trim().strip_prefix("runbook_url:"))
                .expect("a runbook_url")
                .trim();
            let anchor = url
                .strip_prefix(
                    "https://github.com/estospaces/estospaces/blob/main/docs/operations.md#",
                )
                .unwrap_or_else(|| panic!("{name}'s runbook is not in docs/operations.md: {url}"));
            assert!(
                anchors.contains(anchor),
                "{name}: no `### ` heading for #{anchor} in docs/operations.md"
            );
        }
    }
    assert!(alerts >= 8, "{alerts} alerts");
}

#[test]
fn every_dashboard_is_grafana_json_with_a_datasource_variable_and_queries() {
    let dashboards = files(&repo().join("helm/estospaces/dashboards"), "json");
    assert!(dashboards.len() >= 4, "{dashboards:?}");
    let mut uids = BTreeSet::new();
    for path in dashboards {
        let text = std::fs::read_to_string(&path).expect("a dashboard");
        let dashboard: Value =
            serde_json::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        let name = path.display();
        let uid = dashboard["uid"].as_str().expect("a uid");
        assert!(uids.insert(uid.to_owned()), "{name}: uid {uid} twice");
        assert!(dashboard["title"].as_str().is_some(), "{name}: a title");
        assert!(
            dashboard["schemaVersion"].as_u64().is_some_and(|v| v >= 36),
            "{name}: schemaVersion"
        );
        let variables = dashboard["templating"]["list"]
            .as_array()
            .expect("variables");
        assert!(
            variables
                .iter()
                .any(|v| v["name"] == "datasource" && v["query"] == "prometheus"),
            "{name}: a Prometheus datasource variable"
        );
        let panels = dashboard["panels"].as_array().expect("panels");
        for panel in panels.iter().filter(|panel| panel["type"] != "row") {
            assert_eq!(
                panel["datasource"]["uid"], "${datasource}",
                "{name}: {}",
                panel["title"]
            );
            let targets = panel["targets"].as_array().expect("targets");
            assert!(!targets.is_empty(), "{name}: {}", panel["title"]);
            for target in targets {
                assert!(
                    target["expr"].as_str().is_some_and(|e| !e.is_empty()),
                    "{name}"
                );
            }
        }
    }
}

#[test]
fn metric_names_are_read_from_promql_without_functions_labels_or_variables() {
    let names = metric_names(
        r#"histogram_quantile(0.99, sum by (le, rpc_service) (rate(rpc_server_duration_seconds_bucket{rpc_service=~"$service", x="a b"}[$__rate_interval]))) > 1e3 and on (job) time() - process_start_time_seconds offset 5m"#,
    );
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        [
            "process_start_time_seconds",
            "rpc_server_duration_seconds_bucket"
        ]
    );
}

/// The `estospaces` binary on embedded defaults in a fresh data directory, killed when dropped.
struct Binary {
    child: Child,
    client: Client,
    metrics: SocketAddr,
    data_dir: tempfile::TempDir,
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Binary {
    async fn start() -> Self {
        let data_dir = tempfile::tempdir().expect("a data dir");
        let listen = free_port();
        let metrics = free_port();
        let log = std::fs::File::create(data_dir.path().join("estospaces.log")).expect("a log");
        let mut command = Command::new(binary("estospaces"));
        for (name, _) in std::env::vars() {
            if name.starts_with("ESTOSPACES_") {
                command.env_remove(name);
            }
        }
        let child = command
            .env("ESTOSPACES_LISTEN", listen.to_string())
            .env("ESTOSPACES_METRICS_LISTEN", metrics.to_string())
            .env("ESTOSPACES_DATA_DIR", data_dir.path())
            .env("ESTOSPACES_SHUTDOWN_GRACE", "1s")
            .env("ESTOSPACES_GATEWAY__RATE_LIMITS__PUBLIC_PER_MINUTE", "6000")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("the binary starts");
        let platform = Self {
            child,
            client: Client::new(format!("http://{listen}")),
            metrics,
            data_dir,
        };
        platform.wait_until_ready().await;
        platform
    }

    async fn wait_until_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            if let Ok(response) = self
                .client
                .http
                .get(format!("{}/readyz", self.client.base))
                .send()
                .await
                && response.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!(
            "the platform did not become ready within 120 s:\n{}",
            self.log()
        );
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.data_dir.path().join("estospaces.log")).unwrap_or_default()
    }

    /// Seeds a few listings (`estospaces seed`), signs a guest up, searches, and books an
    /// instantly bookable stay until the saga confirms it, so the saga's metrics move.
    async fn drive_traffic(&self) {
        let seed = {
            let mut command = Command::new(binary("estospaces"));
            command
                .args(["seed", "--listings", "8"])
                .env(
                    "ESTOSPACES_LISTEN",
                    self.client.base.trim_start_matches("http://"),
                )
                .env("ESTOSPACES_DATA_DIR", self.data_dir.path())
                .env("RUST_LOG", "warn");
            tokio::task::spawn_blocking(move || command.output().expect("the seed runs"))
                .await
                .expect("the seed finishes")
        };
        assert!(
            seed.status.success(),
            "seeding: {}\n{}",
            String::from_utf8_lossy(&seed.stderr),
            self.log()
        );

        let token = self.sign_up("watcher@example.com").await;
        let dates = json!({"checkIn": {"year": 2027, "month": 3, "day": 10}, "checkOut": {"year": 2027, "month": 3, "day": 14}});
        let query = json!({
            "query": {"kind": "LISTING_KIND_SHORT_STAY", "guests": 2, "instantBook": true,
                      "checkIn": dates["checkIn"], "checkOut": dates["checkOut"]},
            "pageSize": 1,
        });
        let mut listing = None;
        for _ in 0..50 {
            let (status, page) = self
                .call(
                    reqwest::Method::POST,
                    "/v1/properties:search",
                    None,
                    Some(query.clone()),
                )
                .await;
            assert_eq!(status, 200, "searching: {page}");
            if let Some(name) = page["results"][0]["property"]["name"].as_str() {
                listing = Some(name.to_owned());
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        // The seed is deterministic and makes instantly bookable stays.
        let listing = listing.expect("an instantly bookable stay");
        let (status, fetched) = self
            .call(reqwest::Method::GET, &format!("/v1/{listing}"), None, None)
            .await;
        assert_eq!(status, 200, "{fetched}");
        let (status, booking) = self
            .call(
                reqwest::Method::POST,
                "/v1/bookings",
                Some(&token),
                Some(json!({
                    "booking": {"property": listing, "checkIn": dates["checkIn"], "checkOut": dates["checkOut"], "guests": 2},
                    "paymentMethod": "4242424242424242",
                })),
            )
            .await;
        assert_eq!(status, 201, "booking: {booking}");
        let name = booking["name"].as_str().expect("a booking name").to_owned();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (status, current) = self
                .call(
                    reqwest::Method::GET,
                    &format!("/v1/{name}"),
                    Some(&token),
                    None,
                )
                .await;
            assert_eq!(status, 200, "{current}");
            if current["state"] == "STATE_CONFIRMED" {
                break;
            }
            assert!(Instant::now() < deadline, "not confirmed: {current}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn sign_up(&self, email: &str) -> String {
        self.client.sign_up(email).await
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.client.call(method, path, token, body).await
    }

    /// The binary's one metrics endpoint (every service and the gateway share the process), after
    /// the consumers' lag has been measured at least once.
    async fn scrape(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let response = self
                .client
                .http
                .get(format!("http://{}/metrics", self.metrics))
                .send()
                .await
                .expect("the metrics endpoint answers");
            assert_eq!(response.status(), 200);
            let page = response.text().await.expect("a page");
            if page.contains("estospaces_events_consumer_lag{") || Instant::now() > deadline {
                return page;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

fn free_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address")
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_owned()
}

fn files(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == extension))
        .collect();
    files.sort();
    files
}

/// Every PromQL expression of the chart: each dashboard panel's `targets[].expr`, each query
/// variable's `label_values(metric, label)`, and each alert's `expr`; with the file it is in.
fn chart_queries() -> Vec<(String, String)> {
    let mut queries = Vec::new();
    for path in files(&repo().join("helm/estospaces/dashboards"), "json") {
        let file = path
            .file_name()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        let dashboard: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("a dashboard"))
                .expect("JSON");
        for panel in dashboard["panels"].as_array().into_iter().flatten() {
            for target in panel["targets"].as_array().into_iter().flatten() {
                if let Some(expr) = target["expr"].as_str() {
                    queries.push((file.clone(), expr.to_owned()));
                }
            }
        }
        for variable in dashboard["templating"]["list"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if let Some(metric) = variable["definition"]
                .as_str()
                .and_then(|query| query.strip_prefix("label_values("))
                .and_then(|rest| rest.split(',').next())
            {
                queries.push((file.clone(), metric.trim().to_owned()));
            }
        }
    }
    for path in files(&repo().join("helm/estospaces/alerts"), "yaml") {
        let file = path
            .file_name()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        let text = std::fs::read_to_string(&path).expect("alerts");
        let lines: Vec<&str> = text.lines().collect();
        for (index, line) in lines.iter().enumerate() {
            let Some(value) = line.trim_start().strip_prefix("expr:") else {
                continue;
            };
            let indent = line.len() - line.trim_start().len();
            let value = value.trim();
            let expr = if value.starts_with('|') || value.starts_with('>') {
                lines[index + 1..]
                    .iter()
                    .take_while(|next| {
                        next.trim().is_empty() || next.len() - next.trim_start().len() > indent
                    })
                    .map(|next| next.trim())
                    .collect::<Vec<_>>()
                    .join(" ")
            } else {
                value.to_owned()
            };
            queries.push((file.clone(), expr));
        }
    }
    assert!(!queries.is_empty(), "the chart has dashboards and alerts");
    queries
}

/// The metric names a PromQL expression reads: identifiers outside strings, label matchers,
/// ranges and grouping clauses, that are not functions, keywords or Grafana variables.
fn metric_names(expr: &str) -> BTreeSet<String> {
    // Keywords, and aggregations whose grouping clause may come before their parentheses.
    const KEYWORDS: &[&str] = &[
        "and",
        "or",
        "unless",
        "bool",
        "offset",
        "inf",
        "nan",
        "sum",
        "avg",
        "min",
        "max",
        "count",
        "group",
        "stddev",
        "stdvar",
        "topk",
        "bottomk",
        "quantile",
        "count_values",
    ];
    const GROUPING: &[&str] = &[
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
    ];
    let chars: Vec<char> = expr.chars().collect();
    let mut names = BTreeSet::new();
    let mut i = 0;
    // Skips from an opening bracket to its match, strings inside included.
    let skip_group = |mut i: usize, open: char, close: char| -> usize {
        let mut depth = 0;
        let mut quote = None;
        while i < chars.len() {
            let c = chars[i];
            match quote {
                Some(_) if c == '\\' => i += 1,
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None if c == '"' || c == '\'' || c == '`' => quote = Some(c),
                None if c == open => depth += 1,
                None if c == close => {
                    depth -= 1;
                    if depth == 0 {
                        return i + 1;
                    }
                }
                None => {}
            }
            i += 1;
        }
        i
    };
    while i < chars.len() {
        let c = chars[i];
        if c == '{' {
            i = skip_group(i, '{', '}');
        } else if c == '[' {
            i = skip_group(i, '[', ']');
        } else if c == '"' || c == '\'' || c == '`' {
            let mut j = i + 1;
            while j < chars.len() && chars[j] != c {
                j += if chars[j] == '\\' { 2 } else { 1 };
            }
            i = j + 1;
        } else if c == '$' {
            i += 1;
            if chars.get(i) == Some(&'{') {
                i = skip_group(i, '{', '}');
            } else {
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
            }
        } else if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '.') {
                i += 1;
            }
        } else if c.is_alphabetic() || c == '_' || c == ':' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == ':')
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let mut next = i;
            while next < chars.len() && chars[next].is_whitespace() {
                next += 1;
            }
            let lower = word.to_lowercase();
            if GROUPING.contains(&lower.as_str()) {
                if chars.get(next) == Some(&'(') {
                    i = skip_group(next, '(', ')');
                }
            } else if chars.get(next) == Some(&'(') || KEYWORDS.contains(&lower.as_str()) {
                // A function or an aggregation; its arguments are read on.
            } else {
                names.insert(word);
            }
        } else {
            i += 1;
        }
    }
    names
}

/// The names on a Prometheus text page (histograms as `_bucket`, `_sum` and `_count`).
fn exported_names(page: &str) -> BTreeSet<String> {
    page.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| line.split(['{', ' ']).next())
        .map(str::to_owned)
        .collect()
}

/// The value of the unlabelled sample `name`.
fn sample(page: &str, name: &str) -> Option<f64> {
    page.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse().ok())
}
