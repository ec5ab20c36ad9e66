//! The captcha anonymous inquiries pass when the platform configures one, and the adapter that
//! asks the provider.

use std::sync::Arc;

use estospaces_leads::captcha::{CaptchaVerifier, SiteVerify};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;
use tonic::Code;

use crate::helpers::*;

/// A provider that accepts exactly the answer "good", and cannot be reached for "down".
#[derive(Debug)]
struct AcceptsGood;

impl CaptchaVerifier for AcceptsGood {
    fn verify<'a>(
        &'a self,
        token: &'a str,
    ) -> std::pin::Pin<Box<dyn Future<Output = anyhow::Result<bool>> + Send + 'a>> {
        Box::pin(async move {
            anyhow::ensure!(token != "down", "the provider is down");
            Ok(token == "good")
        })
    }
}

on_both_backends! {
    async fn with_a_captcha_an_anonymous_inquiry_needs_an_accepted_answer_and_a_signed_in_one_does_not(backend: Backend) {
        let app = spawn_app_with(backend, false, Some(Arc::new(AcceptsGood))).await;
        let (agent, listing) = app.sale_listing().await;
        let form = |token: &str| estospaces_proto::leads_v1::CreateInquiryRequest {
            captcha_token: token.to_owned(),
            ..anonymous_inquiry(&listing, "Rui Costa", "rui@example.com")
        };

        let unanswered = app.inquire(None, form("")).await.expect_err("no answer");
        let wrong = app.inquire(None, form("bad")).await.expect_err("a wrong answer");
        let unreachable = app.inquire(None, form("down")).await.expect_err("the provider cannot say");
        app.inquire(None, form("good")).await.expect("an accepted answer");
        let signed_in = app.ask(&app.user(), &listing).await;

        for refused in [unanswered, wrong] {
            assert_eq!(refused.code(), Code::PermissionDenied);
            assert_eq!(reason(&refused), "CAPTCHA_FAILED");
        }
        assert_eq!(unreachable.code(), Code::Unavailable, "{unreachable:?}");
        assert!(signed_in.starts_with("leads/"));
        assert_eq!(app.list(&agent, "").await.expect("listed").len(), 2);
    }
}

/// A siteverify endpoint on a local port: `{"success":true}` only for a form carrying
/// `secret=s3cret` and `response=good`; 500 on `/broken`. Its URL.
async fn siteverify() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buffer = [0_u8; 4096];
                // Read the head, then as much body as Content-Length says.
                let (head_end, length) = loop {
                    let read = socket.read(&mut buffer).await.expect("readable");
                    assert!(read > 0, "the request ended early");
                    request.extend_from_slice(&buffer[..read]);
                    let text = String::from_utf8_lossy(&request).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text[..end]
                            .lines()
                            .find_map(|line| {
                                let (name, value) = line.split_once(':')?;
                                name.eq_ignore_ascii_case("content-length")
                                    .then(|| value.trim().parse::<usize>().ok())?
                            })
                            .unwrap_or(0);
                        break (end + 4, length);
                    }
                };
                while request.len() < head_end + length {
                    let read = socket.read(&mut buffer).await.expect("readable");
                    assert!(read > 0, "the body ended early");
                    request.extend_from_slice(&buffer[..read]);
                }
                let head = String::from_utf8_lossy(&request[..head_end]).to_string();
                let body = String::from_utf8_lossy(&request[head_end..]).to_string();
                let fields: Vec<&str> = body.split('&').collect();
                let response = if head.starts_with("POST /broken ") {
                    "HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_owned()
                } else {
                    let success = head.starts_with("POST /siteverify ")
                        && head
                            .to_ascii_lowercase()
                            .contains("content-type: application/x-www-form-urlencoded")
                        && fields.contains(&"secret=s3cret")
                        && fields.contains(&"response=good");
                    let json = format!("{{\"success\":{success}}}");
                    format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{json}",
                        json.len()
                    )
                };
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn the_siteverify_adapter_posts_the_secret_and_the_answer_and_reads_the_verdict() {
    let base = siteverify().await;
    let verifier = |path: &str, secret: &str| {
        SiteVerify::new(format!("{base}{path}"), secret.to_owned().into()).expect("a client")
    };
    let right = verifier("/siteverify", "s3cret");

    assert!(right.verify("good").await.expect("the provider answers"));
    assert!(!right.verify("bad").await.expect("the provider answers"));
    assert!(
        !verifier("/siteverify", "wrong")
            .verify("good")
            .await
            .expect("the provider answers"),
        "the secret is sent"
    );
    assert!(
        verifier("/broken", "s3cret").verify("good").await.is_err(),
        "a provider that fails is not a yes"
    );
}
