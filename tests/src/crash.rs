//! What the crash tests share: a process killed on drop, a REST client that counts a call cut
//! short by a kill as unanswered, guests booking separate stays at once, and the check that every
//! acknowledged booking ends confirmed with its payment captured exactly once.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use estospaces::seed;
use serde_json::{Value, json};

/// Where a started binary's output goes: appended to `$ESTOSPACES_TEST_LOG_DIR/estospaces.log`
/// when that is set (to see why a round failed), nowhere otherwise.
pub fn log_file() -> Stdio {
    let Some(dir) = std::env::var_os("ESTOSPACES_TEST_LOG_DIR") else {
        return Stdio::null();
    };
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(Path::new(&dir).join("estospaces.log"))
        .map_or_else(|_| Stdio::null(), Stdio::from)
}

/// A running binary; killed if a failed assertion leaves it behind.
#[derive(Debug)]
pub struct Process(pub Child);

impl Process {
    /// SIGKILL: no chance to flush, commit or say goodbye. Reaps it.
    pub fn kill(&mut self) {
        self.0.kill().expect("killed");
        self.0.wait().expect("reaped");
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// The gateway's REST API.
#[derive(Debug, Clone)]
pub struct Client {
    /// `http://127.0.0.1:port`.
    pub base: String,
    pub http: reqwest::Client,
}

impl Client {
    pub fn new(base: String) -> Self {
        Self {
            base,
            http: reqwest::Client::new(),
        }
    }

    /// The status and JSON body of a call; status 0 when the call got no answer (the process
    /// was killed under it: not acknowledged).
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
        match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                (status, response.json().await.unwrap_or(Value::Null))
            }
            Err(_) => (0, Value::Null),
        }
    }

    /// Waits (up to 30 s) until `/readyz` answers 200: at the gateway, every upstream serves.
    pub async fn ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut last = Value::Null;
        while Instant::now() < deadline {
            let (status, body) = self.call(reqwest::Method::GET, "/readyz", None, None).await;
            if status == 200 {
                return;
            }
            last = body;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the platform did not become ready within 30 s: {last}");
    }

    /// Registers `email` and logs it in; its access token.
    pub async fn sign_up(&self, email: &str) -> String {
        let credentials = json!({"email": email, "password": "a long enough password"});
        let (status, user) = self
            .call(
                reqwest::Method::POST,
                "/v1/users:register",
                None,
                Some(credentials.clone()),
            )
            .await;
        assert_eq!(status, 201, "registering: {user}");
        let (status, session) = self
            .call(
                reqwest::Method::POST,
                "/v1/sessions:login",
                None,
                Some(credentials),
            )
            .await;
        assert_eq!(status, 200, "logging in: {session}");
        session["accessToken"]
            .as_str()
            .expect("an access token")
            .to_owned()
    }

    /// Logs demo account `email` in; its access token.
    pub async fn login(&self, email: String) -> String {
        let (status, session) = self
            .call(
                reqwest::Method::POST,
                "/v1/sessions:login",
                None,
                Some(json!({"email": email, "password": seed::DEMO_PASSWORD})),
            )
            .await;
        assert_eq!(status, 200, "{session}");
        session["accessToken"].as_str().expect("a token").to_owned()
    }

    /// The seed's ten guests, logged in.
    pub async fn guests(&self) -> Vec<String> {
        futures::future::join_all((0..10).map(|i| self.login(seed::demo_email("guest", i)))).await
    }

    /// The name (`properties/…`) of an instantly bookable short stay, once the search index has
    /// one (within 10 s).
    pub async fn instant_listing(&self) -> String {
        for _ in 0..100 {
            let (_, page) = self
                .call(
                    reqwest::Method::POST,
                    "/v1/properties:search",
                    None,
                    Some(json!({
                        "query": {"kind": "LISTING_KIND_SHORT_STAY", "instantBook": true, "guests": 1},
                        "pageSize": 1,
                    })),
                )
                .await;
            if let Some(name) = page["results"][0]["property"]["name"].as_str() {
                return name.to_owned();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no instantly bookable listing was searchable within 10 s");
    }

    /// `count` bookings of `property` at once, stays `first..first + count` (see [`stay`]), the
    /// guests taking turns; the acknowledged ones (201) as (booking name, its guest's token).
    pub async fn book_at_once(
        &self,
        guests: &[String],
        property: &str,
        first: usize,
        count: usize,
    ) -> Vec<(String, String)> {
        self.book_at_once_counting(guests, property, first, count, &AtomicUsize::new(0))
            .await
    }

    /// [`Self::book_at_once`], counting in `acknowledged` the bookings acknowledged so far.
    pub async fn book_at_once_counting(
        &self,
        guests: &[String],
        property: &str,
        first: usize,
        count: usize,
        acknowledged: &AtomicUsize,
    ) -> Vec<(String, String)> {
        let bookings = (0..count).map(|i| {
            let token = guests[i % guests.len()].clone();
            async move {
                let mut booking = stay(first + i);
                booking["property"] = json!(property);
                booking["guests"] = json!(1);
                let (status, created) = self
                    .call(
                        reqwest::Method::POST,
                        "/v1/bookings",
                        Some(&token),
                        Some(json!({"booking": booking, "paymentMethod": "4242424242424242"})),
                    )
                    .await;
                if status != 201 {
                    return None;
                }
                acknowledged.fetch_add(1, Ordering::SeqCst);
                Some((created["name"].as_str().expect("a name").to_owned(), token))
            }
        });
        futures::future::join_all(bookings)
            .await
            .into_iter()
            .flatten()
            .collect()
    }

    /// Waits until every `acknowledged` booking is `STATE_CONFIRMED` with exactly one payment,
    /// captured, as its guest sees them through the API; panics naming the first that is not by
    /// `deadline` (`context` says which crash it was).
    pub async fn confirmed_and_captured_once(
        &self,
        acknowledged: &[(String, String)],
        deadline: Instant,
        context: &str,
    ) {
        for (booking, token) in acknowledged {
            let (state, payments) = loop {
                let (_, current) = self
                    .call(
                        reqwest::Method::GET,
                        &format!("/v1/{booking}"),
                        Some(token),
                        None,
                    )
                    .await;
                let (_, listed) = self
                    .call(
                        reqwest::Method::GET,
                        "/v1/payments?pageSize=100",
                        Some(token),
                        None,
                    )
                    .await;
                let payments: Vec<Value> = listed["payments"]
                    .as_array()
                    .map(|all| {
                        all.iter()
                            .filter(|p| p["booking"] == json!(booking))
                            .cloned()
                            .collect()
                    })
                    .unwrap_or_default();
                let done = current["state"] == "STATE_CONFIRMED"
                    && payments.iter().any(|p| p["state"] == "STATE_CAPTURED");
                if done || Instant::now() > deadline {
                    break (current["state"].clone(), payments);
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            };
            assert_eq!(state, "STATE_CONFIRMED", "{booking} ({context})");
            assert_eq!(
                payments.len(),
                1,
                "one payment for {booking} ({context}): {payments:?}"
            );
            assert_eq!(
                payments[0]["state"], "STATE_CAPTURED",
                "{booking} ({context}): {payments:?}"
            );
        }
    }

    /// Checks the money as the seed's operator (an admin) sees it: what the ledger holds at the
    /// provider is exactly what every payment says was captured and not refunded, per currency
    /// (a capture booked twice, or money moved without its payment saying so, shows here).
    /// Payouts take from that account too: only for platforms that paid none yet.
    ///
    /// Unacknowledged bookings' sagas may still be moving: the two reads are taken again until
    /// they agree, for up to 20 s.
    pub async fn ledger_agrees_with_payments(&self, context: &str) {
        let admin = self.login(seed::demo_email("operator", 0)).await;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let held = self.held_per_payments(&admin).await;
            let booked = self.held_per_ledger(&admin).await;
            if booked == held || Instant::now() > deadline {
                assert_eq!(booked, held, "the ledger against the payments ({context})");
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// What every payment says was captured and not refunded, per currency.
    async fn held_per_payments(&self, admin: &str) -> BTreeMap<String, i64> {
        let mut held = BTreeMap::new();
        let mut page_token = String::new();
        loop {
            let (status, page) = self
                .call(
                    reqwest::Method::GET,
                    &format!("/v1/payments?pageSize=100&pageToken={page_token}"),
                    Some(admin),
                    None,
                )
                .await;
            assert_eq!(status, 200, "{page}");
            for payment in page["payments"].as_array().into_iter().flatten() {
                let currency = payment["currencyCode"].as_str().unwrap_or_default();
                *held.entry(currency.to_owned()).or_default() +=
                    int64(&payment["capturedAmount"]) - int64(&payment["refundedAmount"]);
            }
            page_token = page["nextPageToken"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if page_token.is_empty() {
                break;
            }
        }
        held.retain(|_, amount| *amount != 0);
        held
    }

    /// The ledger's `provider_clearing` balance, per currency.
    async fn held_per_ledger(&self, admin: &str) -> BTreeMap<String, i64> {
        let (status, balance) = self
            .call(
                reqwest::Method::GET,
                "/v1/ledgerBalances?account=provider_clearing",
                Some(admin),
                None,
            )
            .await;
        assert_eq!(status, 200, "{balance}");
        let mut booked = BTreeMap::new();
        for entry in balance["balances"].as_array().into_iter().flatten() {
            let currency = entry["currencyCode"].as_str().unwrap_or_default();
            booked.insert(currency.to_owned(), int64(&entry["balance"]));
        }
        booked.retain(|_, amount| *amount != 0);
        booked
    }
}

/// Stay `index`: three nights of its own, the `index`th three-night block from 1 June 2027.
pub fn stay(index: usize) -> Value {
    let check_in = time::Date::from_calendar_date(2027, time::Month::June, 1).expect("a date")
        + time::Duration::days(3 * index as i64);
    let check_out = check_in + time::Duration::days(3);
    let date =
        |d: time::Date| json!({"year": d.year(), "month": u8::from(d.month()), "day": d.day()});
    json!({"checkIn": date(check_in), "checkOut": date(check_out)})
}

/// An int64 as proto3 JSON writes it (a string), or a number.
fn int64(value: &Value) -> i64 {
    value
        .as_str()
        .and_then(|text| text.parse().ok())
        .or_else(|| value.as_i64())
        .unwrap_or(0)
}
