//! The dispatcher's pure parts: backoff, signatures, payloads, email text.

use super::*;

#[test]
fn backoff_doubles_caps_and_jitters_within_a_fifth() {
    let config = DispatchConfig {
        retry_base: SignedDuration::from_secs(10),
        retry_cap: SignedDuration::from_secs(100),
        ..DispatchConfig::default()
    };
    let plain: Vec<i64> = (1..=6)
        .map(|attempt| backoff(&config, attempt, 0.0).as_secs())
        .collect();
    assert_eq!(plain, vec![10, 20, 40, 80, 100, 100]);
    assert_eq!(backoff(&config, 1, 0.2).as_secs(), 12);
    assert_eq!(backoff(&config, 1, -0.9).as_secs(), 8);
}

/// Known answers, computed apart from this code with Python's hmac
/// module, so a receiver verifying by the documented recipe (HMAC-SHA256
/// keyed by the webhook's secret over "<unix seconds>.<body>", in hex)
/// accepts what we send:
///
/// ```text
/// python3 -c 'import hmac, hashlib
/// print(hmac.new(b"secret", b"1700000000.{}", hashlib.sha256).hexdigest())
/// body = b"{\"delivery_id\":42,\"event\":\"clock_breached\"}"
/// print(hmac.new(b"whsec-a-webhook-secret-of-the-organization", b"1767225600." + body, hashlib.sha256).hexdigest())
/// print(hmac.new(b"k" * 100, b"1.x", hashlib.sha256).hexdigest())'
/// ```
///
/// (The last has a key longer than SHA-256's 64-byte block, which HMAC
/// hashes first.)
#[test]
fn the_signature_is_an_hmac_of_timestamp_and_body() {
    assert_eq!(
        signature("secret", 1_700_000_000, b"{}"),
        "t=1700000000,v1=b8569b78799ff9e3cbff0fc2d63a33a2b57f3282abd07c37ae5e8e7d79a5f163"
    );
    assert_eq!(
        signature(
            "whsec-a-webhook-secret-of-the-organization",
            1_767_225_600,
            br#"{"delivery_id":42,"event":"clock_breached"}"#
        ),
        "t=1767225600,v1=59f2c4ae68777b12249b47441210c41f670e9fa788962adab333d7a05498e1b0"
    );
    assert_eq!(
        signature(&"k".repeat(100), 1, b"x"),
        "t=1,v1=8dc72019a8a249d8f2d36e36fac06f4497511f4f50cfee8600a5d97fb8a91da5"
    );
}

#[tokio::test]
async fn smtp_urls_are_parsed_by_lettre() {
    for url in [
        "smtp://127.0.0.1:8025",
        "smtp://mail.internal",
        "smtp://user:p%40ss@mail.internal:587?tls=required",
        "smtp://mail.internal?tls=opportunistic",
        "smtps://user:secret@smtp.example.com",
    ] {
        let settings = MailSettings::from_url(url, "Roundtable <noreply@example.com>")
            .unwrap_or_else(|error| panic!("{url}: {error}"));
        assert!(!format!("{settings:?}").contains("secret"));
        assert!(!settings.relay.contains("p%40ss"));
    }
    assert!(MailSettings::from_url("http://mail", "a@b.c").is_err());
    assert!(MailSettings::from_url("smtp://mail", "not an address").is_err());
    assert_eq!(
        redact("smtps://user:secret@smtp.example.com:465"),
        "smtps://user:***@smtp.example.com:465"
    );
}

#[test]
fn the_html_part_is_escaped_by_the_template_engine() {
    let html = HtmlEmail {
        title: "<script>alert(1)</script>",
        paragraphs: vec!["Tom & \"Jerry\"", "second <b>"],
        when: "2026-11-22 17:30 UTC",
        link: "https://rt.example/requests/1?a=1&b=\"x\"",
    }
    .render()
    .unwrap_or_else(|error| panic!("{error}"));
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("&#60;script&#62;"), "{html}");
    assert!(html.contains("Tom &#38; &#34;Jerry&#34;"), "{html}");
    assert!(html.contains("<p>second &#60;b&#62;</p>"), "{html}");
    assert!(html.contains("a=1&#38;b=&#34;x&#34;"), "{html}");
    let text = TextEmail {
        title: "<script>",
        body: "Tom & Jerry",
        when: "2026-11-22 17:30 UTC",
        link: "https://rt.example/requests/1",
    }
    .render()
    .unwrap_or_else(|error| panic!("{error}"));
    assert!(text.starts_with("<script>\n\nTom & Jerry\n"), "{text}");
    assert!(text.contains("When: 2026-11-22 17:30 UTC"), "{text}");
}

#[test]
fn email_times_are_minutes_in_the_recipients_zone() {
    let instant: Timestamp = "2026-11-22T17:30:59Z"
        .parse()
        .unwrap_or_else(|_| panic!("instant"));
    assert_eq!(email_time(instant, None), "2026-11-22 17:30 UTC");
    assert_eq!(
        email_time(instant, Some("Europe/Berlin")),
        "2026-11-22 18:30 CET"
    );
    assert_eq!(
        email_time(instant, Some("America/New_York")),
        "2026-11-22 12:30 EST"
    );
    // A zone the database does not know falls back to UTC, never fails.
    assert_eq!(
        email_time(instant, Some("Mars/Olympus")),
        "2026-11-22 17:30 UTC"
    );
}
