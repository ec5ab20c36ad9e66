//! What the platform tells people, tried as they would: the single binary mailing a real SMTP
//! server (aiosmtpd, started here), links in those emails that work, the host's inbox
//! streamed live through the gateway, and one-click unsubscribe.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use estospaces::seed::DEMO_PASSWORD;
use estospaces_platform_tests::tour::{Tour, start_seeded_platform_with};
use estospaces_testing::{free_port, wait_until_listening};
use serde_json::json;

/// An SMTP server that keeps every message it receives in a Maildir. Stops when dropped.
struct SmtpSink {
    child: Child,
    port: u16,
    maildir: tempfile::TempDir,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A received email: its headers as sent and its body with quoted-printable undone.
#[derive(Debug, Clone)]
struct Mail {
    headers: String,
    text: String,
}

impl Mail {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }

    /// The value of `token=` in the first link that contains `path`.
    fn link_token(&self, path: &str) -> String {
        let start = self
            .text
            .find(&format!("{path}?token="))
            .unwrap_or_else(|| panic!("no {path} link in {}", self.text))
            + path.len()
            + "?token=".len();
        let token: String = self.text[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || "-_.%~".contains(*c))
            .collect();
        percent_decode(&token)
    }
}

/// `text` with each `{escape}XX` (two hex digits) replaced by its byte: `%` for URLs, `=` for
/// quoted-printable.
fn unescape(text: &str, escape: u8) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == escape
            && let Some(byte) = text
                .get(i + 1..i + 3)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn percent_decode(text: &str) -> String {
    unescape(text, b'%')
}

/// Undoes quoted-printable soft line breaks and `=XX` escapes.
fn unquote(body: &str) -> String {
    unescape(&body.replace("=\r\n", "").replace("=\n", ""), b'=')
}

impl SmtpSink {
    fn start() -> Self {
        let server = std::env::var_os("ESTOSPACES_TEST_SMTP_SERVER")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(std::env::var_os("HOME").expect("HOME"))
                    .join(".cache/estospaces/tools/bin/aiosmtpd")
            });
        assert!(
            server.exists(),
            "{} is missing: build-support/dev/tools.sh aiosmtpd installs it",
            server.display()
        );
        let maildir = tempfile::tempdir().expect("a maildir");
        let port = free_port();
        let mut child = Command::new(&server)
            .args([
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(maildir.path().join("box"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("aiosmtpd starts");
        wait_until_listening(&mut child, port);
        Self {
            child,
            port,
            maildir,
        }
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn messages(&self) -> Vec<Mail> {
        let mut mails = Vec::new();
        for folder in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(self.maildir.path().join("box").join(folder))
            else {
                continue;
            };
            for entry in entries.flatten() {
                mails.push(read_mail(&entry.path()));
            }
        }
        mails
    }

    /// The messages to `to` whose subject contains `subject`.
    fn matching(&self, to: &str, subject: &str) -> Vec<Mail> {
        self.messages()
            .into_iter()
            .filter(|mail| {
                mail.header("To").is_some_and(|t| t.contains(to))
                    && mail.header("Subject").is_some_and(|s| s.contains(subject))
            })
            .collect()
    }

    /// The first message to `to` whose subject contains `subject`, waiting up to 30 s.
    async fn wait_for(&self, to: &str, subject: &str) -> Mail {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(mail) = self.matching(to, subject).into_iter().next() {
                return mail;
            }
            assert!(
                Instant::now() < deadline,
                "no mail to {to} about {subject:?} within 30 s; received: {:?}",
                self.messages()
                    .iter()
                    .map(|m| (
                        m.header("To").map(str::to_owned),
                        m.header("Subject").map(str::to_owned)
                    ))
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn read_mail(path: &Path) -> Mail {
    let raw = std::fs::read_to_string(path).expect("a readable message");
    let raw = raw.replace("\r\n", "\n");
    let (headers, body) = raw.split_once("\n\n").unwrap_or((&raw, ""));
    // Folded header lines joined, so each header is one line.
    let headers = headers.replace("\n ", " ").replace("\n\t", " ");
    Mail {
        headers,
        text: unquote(body),
    }
}

async fn platform_mailing(smtp: &SmtpSink, listings: usize) -> Tour {
    let url = smtp.url();
    start_seeded_platform_with(listings, move |config| {
        config.service.notification.smtp_url = Some(url.into());
    })
    .await
}

#[tokio::test]
async fn the_verification_email_link_verifies_the_address_and_the_reset_email_link_resets_the_password()
 {
    let smtp = SmtpSink::start();
    let tour = platform_mailing(&smtp, 0).await;
    let token = tour.sign_up("nora@example.com").await;

    let mail = smtp
        .wait_for("nora@example.com", "Confirm your email")
        .await;
    assert!(
        mail.header("List-Unsubscribe").is_none(),
        "account mail cannot be unsubscribed from"
    );
    let verification = mail.link_token("/verify-email");
    let (status, body) = tour
        .post(
            "/v1/users:verifyEmail",
            None,
            json!({"token": verification}),
        )
        .await;
    assert_eq!(status, 200, "verifying: {body}");
    let (_, session) = tour
        .post(
            "/v1/sessions:login",
            None,
            json!({"email": "nora@example.com", "password": "a long enough password"}),
        )
        .await;
    let user = session["user"].as_str().expect("a user").to_owned();
    let (status, account) = tour.get(&format!("/v1/{user}"), Some(&token)).await;
    assert_eq!(status, 200, "{account}");
    assert_eq!(account["emailVerified"], true, "{account}");

    let (status, body) = tour
        .post(
            "/v1/users:requestPasswordReset",
            None,
            json!({"email": "nora@example.com"}),
        )
        .await;
    assert_eq!(status, 200, "asking for a reset: {body}");
    let mail = smtp
        .wait_for("nora@example.com", "Reset your password")
        .await;
    let reset = mail.link_token("/reset-password");
    let (status, body) = tour
        .post(
            "/v1/users:resetPassword",
            None,
            json!({"token": reset, "newPassword": "another long password"}),
        )
        .await;
    assert_eq!(status, 200, "resetting: {body}");
    let (status, _) = tour
        .post(
            "/v1/sessions:login",
            None,
            json!({"email": "nora@example.com", "password": "another long password"}),
        )
        .await;
    assert_eq!(status, 200, "the new password signs in");

    // The token travelled sealed: the delivery log keeps no copy of the message once sent.
    let (status, deliveries) = tour
        .get(&format!("/v1/{user}/deliveries"), Some(&token))
        .await;
    assert_eq!(status, 200, "{deliveries}");
    let logged = deliveries["deliveries"].as_array().expect("deliveries");
    assert!(
        logged
            .iter()
            .any(|d| d["template"] == "email_verification" && d["state"] == "STATE_SENT"),
        "{deliveries}"
    );
    assert!(
        !deliveries.to_string().contains(&reset),
        "no token in the delivery log"
    );
}

#[tokio::test]
async fn a_confirmed_booking_mails_guest_and_host_reaches_the_hosts_inbox_live_and_one_click_unsubscribes()
 {
    let smtp = SmtpSink::start();
    let tour = platform_mailing(&smtp, 6).await;
    let guest = tour.sign_up("gus@example.com").await;
    let (_, listings) = tour
        .get(
            "/v1/properties?kind=LISTING_KIND_SHORT_STAY&pageSize=50",
            None,
        )
        .await;
    let listing = listings["properties"]
        .as_array()
        .and_then(|all| {
            all.iter()
                .find(|l| l["bookingMode"] == "BOOKING_MODE_INSTANT")
        })
        .expect("an instantly bookable stay")
        .clone();
    let (host, host_email, host_token) = tour.host_of(&listing).await;

    // The host's page listens for notifications as server-sent events through the gateway.
    let mut stream = tour
        .http
        .get(format!("{}/v1/{host}/notifications:stream", tour.base))
        .bearer_auth(&host_token)
        .header("accept", "text/event-stream")
        .send()
        .await
        .expect("the stream opens");
    assert_eq!(stream.status(), 200);

    let (status, booking) = tour
        .post(
            "/v1/bookings",
            Some(&guest),
            json!({
                "booking": {"property": listing["name"], "checkIn": {"year": 2027, "month": 6, "day": 1}, "checkOut": {"year": 2027, "month": 6, "day": 4}, "guests": 1},
                "paymentMethod": "4242424242424242",
            }),
        )
        .await;
    assert_eq!(status, 201, "booking: {booking}");
    let name = booking["name"].as_str().expect("a booking name");
    tour.wait_for_state(name, &guest, "STATE_CONFIRMED").await;
    let confirmed_at = Instant::now();

    let mut events = String::new();
    while !events.contains("booking_confirmed_host") {
        let chunk = tokio::time::timeout(Duration::from_secs(10), stream.chunk())
            .await
            .expect("a notification within 10 s")
            .expect("the stream stays open")
            .expect("a chunk");
        events.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(
        confirmed_at.elapsed() < Duration::from_secs(2),
        "the host heard within moments, not {:?}",
        confirmed_at.elapsed()
    );
    assert!(events.contains(&format!("/{name}")), "{events}");

    let guest_mail = smtp.wait_for("gus@example.com", "is confirmed").await;
    assert!(
        guest_mail.text.contains(&format!("/{name}")),
        "a link to the booking: {}",
        guest_mail.text
    );
    let host_mail = smtp.wait_for(&host_email, "New booking at").await;
    assert_eq!(
        host_mail.header("List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );

    // One click in the host's mail client: booking emails stop, the inbox keeps them.
    let unsubscribe = host_mail
        .header("List-Unsubscribe")
        .and_then(|value| value.strip_prefix('<'))
        .and_then(|value| value.strip_suffix('>'))
        .expect("a List-Unsubscribe URL");
    // Links start with the public base URL, here the configured listen address with port 0:
    // the platform's real port is known only once it is bound.
    let path = unsubscribe
        .strip_prefix("http://")
        .and_then(|rest| rest.split_once('/'))
        .map(|(_, path)| path)
        .expect("an absolute URL");
    let unsubscribe = format!("{}/{path}", tour.base);
    let response = tour
        .http
        .post(&unsubscribe)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .expect("the gateway answers");
    assert_eq!(
        response.status(),
        200,
        "{}",
        response.text().await.unwrap_or_default()
    );
    let (status, preferences) = tour
        .get(
            &format!("/v1/{host}/notificationPreferences"),
            Some(&host_token),
        )
        .await;
    assert_eq!(status, 200, "{preferences}");
    let bookings = preferences["categories"]
        .as_array()
        .and_then(|all| all.iter().find(|c| c["category"] == "CATEGORY_BOOKINGS"))
        .expect("the bookings category")
        .clone();
    let channels = bookings["channels"].as_array().expect("channels");
    assert!(!channels.contains(&json!("CHANNEL_EMAIL")), "{preferences}");
    assert!(channels.contains(&json!("CHANNEL_IN_APP")), "{preferences}");

    let (status, cancelled) = tour
        .post(&format!("/v1/{name}:cancel"), Some(&guest), json!({}))
        .await;
    assert_eq!(status, 200, "cancelling: {cancelled}");
    smtp.wait_for("gus@example.com", "cancelled").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, inbox) = tour
            .get(&format!("/v1/{host}/notifications"), Some(&host_token))
            .await;
        if inbox.to_string().contains("booking_cancelled") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the cancellation reaches the host's inbox: {inbox}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let host_mails = smtp.matching(&host_email, "cancelled").len();
    assert_eq!(host_mails, 0, "no booking email to a host who unsubscribed");
}

#[tokio::test]
async fn on_the_embedded_default_each_email_is_an_eml_file_in_the_data_directory() {
    let tour = start_seeded_platform_with(0, |_| {}).await;
    tour.sign_up("ella@example.com").await;
    let dir = tour.data_dir.path().join("mail");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let found = std::fs::read_dir(&dir).ok().and_then(|entries| {
            entries.flatten().map(|e| e.path()).find(|path| {
                path.extension().is_some_and(|ext| ext == "eml")
                    && std::fs::read_to_string(path)
                        .is_ok_and(|text| text.contains("ella@example.com"))
            })
        });
        if let Some(path) = found {
            let mail = read_mail(&path);
            assert!(
                mail.header("Subject")
                    .is_some_and(|s| s.contains("Confirm your email")),
                "{mail:?}"
            );
            assert!(mail.text.contains("verify-email?token="), "{}", mail.text);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no .eml for ella in {}",
            dir.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_hosts_browser_page_hears_of_a_booking_of_their_listing_over_grpc_web_within_a_second() {
    let tour = start_seeded_platform_with(6, |config| {
        config.service.gateway.cors_allowed_origins = vec!["*".to_owned()];
    })
    .await;
    let (_, listings) = tour
        .get(
            "/v1/properties?kind=LISTING_KIND_SHORT_STAY&pageSize=50",
            None,
        )
        .await;
    let listing = listings["properties"]
        .as_array()
        .and_then(|all| {
            all.iter()
                .find(|l| l["bookingMode"] == "BOOKING_MODE_INSTANT")
        })
        .expect("an instantly bookable stay")
        .clone();
    let (_, host_email, _) = tour.host_of(&listing).await;

    let query = format!(
        "&listing={}&hostEmail={}&hostPassword={}",
        listing["name"].as_str().expect("a name"),
        host_email,
        DEMO_PASSWORD
    );
    let result = tour.run_browser_page("notifications", query).await;
    assert_eq!(result["template"], "booking_confirmed_host");
    let heard = result["heardAfterMs"].as_f64().expect("a time");
    // From the guest's CreateBooking answer, through the saga (payment authorized, booking
    // confirmed), to the host's page.
    assert!(
        heard < 1000.0,
        "the host heard {heard} ms after the booking was made: {result}"
    );
    eprintln!("the host's page heard of the confirmed booking {heard:.0} ms after it was made");
}

#[tokio::test]
async fn a_sign_in_from_a_new_device_is_mailed_to_the_owner_and_a_known_one_is_not() {
    let smtp = SmtpSink::start();
    let tour = platform_mailing(&smtp, 0).await;
    tour.sign_up("nina@example.com").await; // the first device: nothing to report
    let credentials = json!({"email": "nina@example.com", "password": "a long enough password"});
    for user_agent in ["Firefox/130.0 on Linux", "Firefox/130.0 on Linux"] {
        let response = tour
            .http
            .post(format!("{}/v1/sessions:login", tour.base))
            .header("user-agent", user_agent)
            .json(&credentials)
            .send()
            .await
            .expect("the gateway answers");
        assert_eq!(response.status(), 200);
    }
    let mail = smtp.wait_for("nina@example.com", "New sign-in").await;
    assert!(
        mail.text.contains("Firefox/130.0 on Linux"),
        "{}",
        mail.text
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let reports = smtp.matching("nina@example.com", "New sign-in").len();
    assert_eq!(reports, 1, "one report for one new device");
}

#[tokio::test]
async fn a_saved_search_matched_by_new_listings_is_mailed_as_one_digest() {
    let smtp = SmtpSink::start();
    let url = smtp.url();
    let tour = start_seeded_platform_with(0, move |config| {
        config.service.notification.smtp_url = Some(url.into());
        config.service.notification.digest_interval = Duration::from_millis(500);
    })
    .await;
    let token = tour.sign_up("dora@example.com").await;
    let (_, session) = tour
        .post(
            "/v1/sessions:login",
            None,
            json!({"email": "dora@example.com", "password": "a long enough password"}),
        )
        .await;
    let user = session["user"].as_str().expect("a user").to_owned();
    let (status, saved) = tour
        .post(
            &format!("/v1/{user}/savedSearches"),
            Some(&token),
            json!({"displayName": "Stays in Lisbon", "query": {"kind": "LISTING_KIND_SHORT_STAY", "text": "Lisbon"}}),
        )
        .await;
    assert_eq!(status, 201, "saving the search: {saved}");

    // Hosts publish new listings: the seed, run again, adds them.
    let mut config = estospaces::PlatformConfig::default();
    config.common.data_dir = tour.data_dir.path().to_owned();
    let options = estospaces::seed::SeedOptions {
        listings: 12,
        progress: false,
    };
    estospaces::seed::seed(&config, &tour.base, &options)
        .await
        .expect("seeded");

    let digest = smtp
        .wait_for("dora@example.com", "for your saved searches")
        .await;
    assert!(
        digest.text.contains("Since our last email"),
        "{}",
        digest.text
    );
    assert!(
        digest.text.contains("/properties/"),
        "links to the listings: {}",
        digest.text
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let digests = smtp.matching("dora@example.com", "saved searches").len();
    assert_eq!(
        digests, 1,
        "one digest a day, however many listings matched"
    );
    let (_, inbox) = tour
        .get(&format!("/v1/{user}/notifications"), Some(&token))
        .await;
    assert!(
        inbox["notifications"]
            .as_array()
            .is_some_and(|all| all.iter().any(|n| n["template"] == "alert_matched")),
        "each match is in the inbox at once: {inbox}"
    );
}
