//! Media through the gateway, on the single binary's platform: REST uploads as raw bodies,
//! served variants with HTTP caching and ranges, and listings that may only show their
//! owner's photos.

use std::time::Duration;

use estospaces::seed;
use estospaces_platform_tests::tour::{Tour, start_seeded_platform};
use serde_json::{Value, json};

/// A 1200×800 JPEG.
fn photo() -> Vec<u8> {
    let image = image::RgbImage::from_fn(1200, 800, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 99])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&image)
        .expect("encodes");
    out
}

async fn login(tour: &Tour, email: &str) -> String {
    let (status, session) = tour
        .post(
            "/v1/sessions:login",
            None,
            json!({"email": email, "password": seed::DEMO_PASSWORD}),
        )
        .await;
    assert_eq!(status, 200, "{session}");
    session["accessToken"].as_str().expect("a token").to_owned()
}

/// Uploads `bytes` as the raw body of `POST /v1/media:upload`.
async fn upload(
    tour: &Tour,
    token: &str,
    filename: &str,
    visibility: &str,
    bytes: Vec<u8>,
) -> (u16, Value) {
    let response = tour
        .http
        .post(format!(
            "{}/v1/media:upload?filename={filename}&visibility={visibility}",
            tour.base
        ))
        .bearer_auth(token)
        .header("content-type", "image/jpeg")
        .body(bytes)
        .send()
        .await
        .expect("the gateway answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON"))
}

/// The media once its variants are made.
async fn ready(tour: &Tour, token: &str, name: &str) -> Value {
    for _ in 0..300 {
        let (status, media) = tour.get(&format!("/v1/{name}"), Some(token)).await;
        assert_eq!(status, 200, "{media}");
        if media["state"] != "STATE_PROCESSING" {
            assert_eq!(media["state"], "STATE_READY", "{media}");
            return media;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{name} was not ready within 30 s");
}

#[tokio::test]
async fn a_photo_uploaded_through_rest_is_served_with_cache_headers_ranges_and_revalidation() {
    let tour = start_seeded_platform(1).await;
    let token = tour.sign_up("ann@example.com").await;
    let (status, media) = upload(&tour, &token, "balcony.jpg", "VISIBILITY_PUBLIC", photo()).await;
    assert_eq!(status, 201, "{media}");
    let media = ready(&tour, &token, media["name"].as_str().expect("a name")).await;
    assert_eq!(
        (media["width"].as_i64(), media["height"].as_i64()),
        (Some(1200), Some(800))
    );
    let card = media["variants"]
        .as_array()
        .expect("variants")
        .iter()
        .find(|v| v["name"] == "card" && v["contentType"] == "image/webp")
        .expect("a WebP card");
    let url = format!("{}{}", tour.base, card["uri"].as_str().expect("a URI"));

    // Anyone, signed in or not, fetches public media.
    let response = tour.http.get(&url).send().await.expect("served");
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "image/webp");
    assert_eq!(
        headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(headers["accept-ranges"], "bytes");
    let etag = headers["etag"].to_str().expect("an ETag").to_owned();
    let bytes = response.bytes().await.expect("a body");
    assert_eq!(
        bytes.len() as i64,
        card["sizeBytes"]
            .as_str()
            .and_then(|s| s.parse::<i64>().ok())
            .expect("a size")
    );
    assert_eq!(&bytes[8..12], b"WEBP");

    let response = tour
        .http
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("revalidated");
    assert_eq!(response.status(), 304);
    assert!(response.bytes().await.expect("a body").is_empty());

    let response = tour
        .http
        .get(&url)
        .header("range", "bytes=0-99")
        .send()
        .await
        .expect("a range");
    assert_eq!(response.status(), 206);
    assert_eq!(
        response.headers()["content-range"],
        format!("bytes 0-99/{}", bytes.len()).as_str()
    );
    assert_eq!(response.bytes().await.expect("a body"), bytes.slice(0..100));

    // The same photo in two pieces, as a resumable upload.
    let whole = photo();
    let (status, started) = tour
        .post(
            "/v1/uploads",
            Some(&token),
            json!({"filename": "balcony.jpg", "sizeBytes": whole.len().to_string()}),
        )
        .await;
    assert_eq!(status, 201, "{started}");
    let upload_name = started["name"].as_str().expect("an upload");
    let half = whole.len() / 2;
    for (offset, piece) in [(0, &whole[..half]), (half, &whole[half..])] {
        let response = tour
            .http
            .post(format!(
                "{}/v1/{upload_name}:append?offset={offset}",
                tour.base
            ))
            .bearer_auth(&token)
            .header("content-type", "application/octet-stream")
            .body(piece.to_vec())
            .send()
            .await
            .expect("the gateway answers");
        assert_eq!(response.status(), 200);
    }
    let (status, completed) = tour
        .post(
            &format!("/v1/{upload_name}:complete"),
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{completed}");
    let completed = ready(&tour, &token, completed["name"].as_str().expect("a name")).await;
    assert_eq!(
        completed["sha256"], media["sha256"],
        "the same bytes arrived"
    );

    let (status, err) = upload(
        &tour,
        &token,
        "notes.jpg",
        "VISIBILITY_PUBLIC",
        b"just some text".to_vec(),
    )
    .await;
    assert_eq!(status, 400, "{err}");
    assert_eq!(err["details"][0]["reason"], "UNSUPPORTED_TYPE", "{err}");
}

#[tokio::test]
async fn a_host_cannot_show_another_users_photo_and_cannot_delete_one_a_listing_shows() {
    let tour = start_seeded_platform(2).await;
    let ann = tour.sign_up("ann@example.com").await;
    let (status, private) =
        upload(&tour, &ann, "passport.jpg", "VISIBILITY_PRIVATE", photo()).await;
    assert_eq!(status, 201, "{private}");
    let (status, public) = upload(&tour, &ann, "garden.jpg", "VISIBILITY_PUBLIC", photo()).await;
    assert_eq!(status, 201, "{public}");
    ready(&tour, &ann, public["name"].as_str().expect("a name")).await;

    let host = login(&tour, &seed::demo_email("host", 1)).await;
    for (media, why) in [
        (&public, "was uploaded by someone else"),
        (&private, "is not a public upload"),
    ] {
        let id = media["name"]
            .as_str()
            .expect("a name")
            .trim_start_matches("media/");
        let (status, err) = tour
            .post(
                "/v1/properties",
                Some(&host),
                json!({
                    "kind": "LISTING_KIND_SHORT_STAY",
                    "propertyType": "PROPERTY_TYPE_APARTMENT",
                    "title": "Not my photo",
                    "currencyCode": "EUR",
                    "photos": [{"mediaId": id, "cover": true}],
                }),
            )
            .await;
        assert_eq!(status, 400, "{err}");
        let violation = &err["details"]
            .as_array()
            .expect("details")
            .iter()
            .find(|d| d["fieldViolations"].is_array())
            .expect("a BadRequest")["fieldViolations"][0];
        assert_eq!(violation["field"], "property.photos[0].media_id", "{err}");
        assert_eq!(violation["description"], why);
    }
    // Nor make it their profile picture; their own photo they may.
    let (status, session) = tour
        .post(
            "/v1/sessions:login",
            None,
            json!({"email": seed::demo_email("host", 1), "password": seed::DEMO_PASSWORD}),
        )
        .await;
    assert_eq!(status, 200, "{session}");
    let host_name = session["user"]
        .as_str()
        .expect("the host's name")
        .to_owned();
    let ann_photo = public["name"]
        .as_str()
        .expect("a name")
        .trim_start_matches("media/");
    let (status, err) = tour
        .call(
            reqwest::Method::PATCH,
            &format!("/v1/{host_name}/profile"),
            Some(&host),
            Some(json!({"avatarMediaId": ann_photo})),
        )
        .await;
    assert_eq!(status, 400, "{err}");
    assert!(
        err.to_string().contains("was uploaded by someone else"),
        "{err}"
    );
    let (status, own) = upload(&tour, &host, "me.jpg", "VISIBILITY_PUBLIC", photo()).await;
    assert_eq!(status, 201, "{own}");
    let own_id = own["name"]
        .as_str()
        .expect("a name")
        .trim_start_matches("media/");
    let (status, profile) = tour
        .call(
            reqwest::Method::PATCH,
            &format!("/v1/{host_name}/profile"),
            Some(&host),
            Some(json!({"avatarMediaId": own_id})),
        )
        .await;
    assert_eq!(status, 200, "{profile}");
    assert_eq!(profile["avatarMediaId"], own_id);

    let (status, _) = tour
        .get(
            &format!("/v1/{}", private["name"].as_str().expect("a name")),
            Some(&host),
        )
        .await;
    assert_eq!(status, 403, "another user's private media");

    // The seed's second listing belongs to host 1 and shows host 1's photos.
    let (status, listings) = tour.get("/v1/properties?pageSize=10", None).await;
    assert_eq!(status, 200, "{listings}");
    // Listing 0 is for sale (agent 0's); listing 1 is host 1's.
    let shown = listings["properties"]
        .as_array()
        .expect("listings")
        .iter()
        .find(|listing| listing["kind"] != "LISTING_KIND_SALE")
        .expect("host 1's listing")["photos"][0]["mediaId"]
        .as_str()
        .expect("a photo")
        .to_owned();
    // Media learns of the listing from property's events: allow it a moment.
    let mut last = Value::Null;
    for _ in 0..100 {
        let (status, body) = tour
            .call(
                reqwest::Method::DELETE,
                &format!("/v1/media/{shown}"),
                Some(&host),
                None,
            )
            .await;
        assert_ne!(status, 200, "a photo a published listing shows was deleted");
        if body["details"][0]["reason"] == "MEDIA_IN_USE" {
            assert_eq!(status, 400, "{body}");
            return;
        }
        last = body;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("deleting a photo in use was not refused as MEDIA_IN_USE: {last}");
}

#[tokio::test]
async fn openapi_documents_uploads_as_raw_bodies_and_content_as_files() {
    let tour = start_seeded_platform(1).await;
    let (status, spec) = tour.get("/openapi.json", None).await;
    assert_eq!(status, 200);
    let upload = &spec["paths"]["/v1/media:upload"]["post"];
    assert_eq!(
        upload["requestBody"]["content"]["image/jpeg"]["schema"]["format"], "binary",
        "{upload}"
    );
    let parameters: Vec<&str> = upload["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(parameters.contains(&"filename"), "{parameters:?}");
    let content = spec["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .find(|(path, _)| path.starts_with("/v1/media/") && path.contains("/content/"))
        .unwrap_or_else(|| {
            panic!(
                "the content route: {:?}",
                spec["paths"].as_object().map(|p| p
                    .keys()
                    .filter(|k| k.contains("media"))
                    .cloned()
                    .collect::<Vec<_>>())
            )
        });
    assert_eq!(
        content.1["get"]["responses"]["200"]["content"]["image/webp"]["schema"]["format"],
        "binary"
    );
}
