//! Unit tests for `sources::feed`: the recorded feeds in
//! `tests/fixtures/feeds/` (RSS with CDATA, Atom from Reddit and YouTube,
//! ISO-8859-1), a Google Alerts document (made up, after platform-apis.md
//! 7.4: no real recording exists), broken documents, dates, ids and the
//! cursor rules. Fetching over HTTP is in `tests/it/feed.rs`.

use std::time::Duration;

use chrono::TimeZone;
use reqwest::header::{HeaderMap, HeaderValue};

use super::dates::parse_date;
use super::parse::unwrap_google_redirect;
use super::*;

const CLOUDFLARE: &[u8] = include_bytes!("../../../tests/fixtures/feeds/cloudflare_blog.rss.xml");
const REDDIT: &[u8] = include_bytes!("../../../tests/fixtures/feeds/reddit_search.atom.xml");
const YOUTUBE: &[u8] = include_bytes!("../../../tests/fixtures/feeds/youtube_channel.atom.xml");
const LATIN1: &[u8] = include_bytes!("../../../tests/fixtures/feeds/inovacao_iso8859.rss.xml");

/// platform-apis.md 7.4, verbatim: made-up ids in Google Alerts' shape.
const GOOGLE_ALERTS: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:idx="urn:atom-extension:indexing">
  <id>tag:google.com,2005:reader/user/01234567890123456789/state/com.google/alerts/9876543210987654321</id>
  <title>Google Alert - &quot;acme air&quot;</title>
  <link href="https://www.google.com/alerts/feeds/01234567890123456789/9876543210987654321" rel="self"></link>
  <updated>2026-05-01T12:40:00Z</updated>
  <entry>
    <id>tag:google.com,2013:googlealerts/feed:11223344556677889900</id>
    <title type="html">&lt;b&gt;Acme Air&lt;/b&gt; fined over refund delays &amp; complaints</title>
    <link href="https://www.google.com/url?rct=j&amp;sa=t&amp;url=https://news.example.com/2026/05/01/acme-air-fined&amp;ct=ga&amp;cd=CAIyGjAbCdEf&amp;usg=AOvVaw0example"></link>
    <published>2026-05-01T12:30:41Z</published>
    <updated>2026-05-01T12:30:41Z</updated>
    <content type="html">Regulators said &lt;b&gt;Acme Air&lt;/b&gt; took 90 days on average&amp;nbsp;...</content>
    <author><name></name></author>
  </entry>
</feed>"#;

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, s).unwrap()
}

fn only(bytes: &[u8]) -> FeedEntry {
    let mut feed = parse_feed(bytes).expect("parses");
    assert_eq!(feed.entries.len(), 1);
    feed.entries.remove(0)
}

fn feed_url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

#[test]
fn rss_with_cdata_dc_creator_and_a_non_url_guid() {
    let feed = parse_feed(CLOUDFLARE).unwrap();
    assert_eq!(feed.kind, FeedKind::Rss);
    let e = &feed.entries[0];
    assert_eq!(e.title, "Privacy-Preserving Compromised Credential Checking");
    assert_eq!(e.id.as_deref(), Some("6166e7e065133e02a961145d"));
    assert_eq!(
        e.link.as_deref(),
        Some("https://blog.cloudflare.com/privacy-preserving-compromised-credential-checking/")
    );
    assert_eq!(e.author.as_deref(), Some("Luke Valenta"));
    assert_eq!(e.published, Some(utc(2021, 10, 14, 12, 59, 53)));
    assert!(
        e.body.starts_with("Today we’re announcing a public demo and an open-sourced Go implementation"),
        "{}",
        &e.body[..200]
    );
    assert!(!e.body.contains("<p>") && !e.body.contains("<img"), "content:encoded stripped to text");

    let post = entry_to_post(e.clone(), &feed_url("https://blog.cloudflare.com/rss/"), utc(2026, 5, 1, 0, 0, 0));
    assert_eq!(post.external_id.as_str(), "blog.cloudflare.com#6166e7e065133e02a961145d", "a bare guid is qualified");
    assert!(post.text.starts_with("Privacy-Preserving Compromised Credential Checking\n\nToday we’re announcing"));
    assert_eq!(post.author.handle, "Luke Valenta");
    assert_eq!(post.platform, Platform::Feed);
}

#[test]
fn reddit_atom_double_escaped_html_and_a_bare_id() {
    let e = only(REDDIT);
    assert_eq!(e.title, "Announcing FeedMail");
    assert_eq!(e.author.as_deref(), Some("/u/kevincox_ca"));
    assert_eq!(e.published, Some(utc(2021, 11, 2, 0, 46, 8)));
    assert_eq!(e.link.as_deref(), Some("https://www.reddit.com/r/kevincox/comments/qksbf1/announcing_feedmail/"));
    assert_eq!(
        e.body, "submitted by /u/kevincox_ca to r/kevincox\n[link] [comments]",
        "&amp;#32; decoded twice, as the markup says"
    );
    let post = entry_to_post(e, &feed_url("https://www.reddit.com/search.rss?q=x"), Utc::now());
    assert_eq!(post.external_id.as_str(), "www.reddit.com#t3_qksbf1");
}

#[test]
fn youtube_atom_reads_media_description_and_keeps_a_uri_id() {
    let e = only(YOUTUBE);
    assert_eq!(e.id.as_deref(), Some("yt:video:0A1ouV7iD8o"));
    assert_eq!(e.title, "Navigating with Quantum Entanglement");
    assert_eq!(e.author.as_deref(), Some("PBS Space Time"));
    assert_eq!(e.published, Some(utc(2020, 12, 22, 19, 15, 1)), "published, not updated");
    assert_eq!(
        e.body,
        "Check Out Weathered on PBS Terra https://www.youtube.com/watch?v=znSN7ZFIaOg&ab_channel=PBSTerra"
    );
    let post = entry_to_post(e, &feed_url("https://www.youtube.com/feeds/videos.xml?channel_id=x"), Utc::now());
    assert_eq!(post.external_id.as_str(), "yt:video:0A1ouV7iD8o");
    assert_eq!(post.url, "https://www.youtube.com/watch?v=0A1ouV7iD8o");
}

#[test]
fn iso_8859_1_is_decoded_from_the_prolog() {
    let e = only(LATIN1);
    assert_eq!(e.title, "Revolução nas telas com pontos quânticos impressos em 3D");
    assert!(e.body.starts_with("A nova tecnologia permitiu criar as três cores primárias em 5.600 PPI"), "{}", e.body);
    assert_eq!(e.published, Some(utc(2020, 8, 13, 9, 57, 55)), "-0300");
    assert_eq!(e.lang.as_deref(), Some("pt-br"), "channel language");
    assert_eq!(
        e.link.as_deref(),
        Some("https://www.inovacaotecnologica.com.br/noticias/noticia.php?artigo=revolucao-telas-pontos-quanticos-impressos-3d&id=010150200813")
    );
}

#[test]
fn google_alerts_links_are_unwrapped_and_markup_stripped() {
    let e = only(GOOGLE_ALERTS.as_bytes());
    assert_eq!(e.title, "Acme Air fined over refund delays & complaints");
    assert_eq!(e.link.as_deref(), Some("https://news.example.com/2026/05/01/acme-air-fined"));
    assert_eq!(e.body, "Regulators said Acme Air took 90 days on average ...");
    assert_eq!(e.author, None, "empty author/name");
    let post = entry_to_post(e, &feed_url("https://www.google.com/alerts/feeds/1/2"), Utc::now());
    assert_eq!(post.external_id.as_str(), "tag:google.com,2013:googlealerts/feed:11223344556677889900");
    assert_eq!(post.url, "https://news.example.com/2026/05/01/acme-air-fined");
    assert_eq!(
        unwrap_google_redirect("https://www.google.com/url?q=javascript:alert(1)".into()),
        "https://www.google.com/url?q=javascript:alert(1)"
    );
    assert_eq!(
        unwrap_google_redirect("https://example.com/url?url=https://x".into()),
        "https://example.com/url?url=https://x"
    );
}

#[test]
fn broken_documents_are_malformed() {
    let cases: [(&str, &[u8]); 6] = [
        ("bare ampersand", b"<rss><channel><item><title>Fish & Chips</title></item></channel></rss>"),
        ("truncated", b"<rss><channel><item><title>Acme Air</title>"),
        ("html page", b"<!DOCTYPE html><html><head><title>Error</title></head><body>Oops</body></html>"),
        ("plain text", b"Service temporarily unavailable"),
        ("empty", b""),
        ("mismatched", b"<feed><entry><title>x</entry></feed>"),
    ];
    for (what, body) in cases {
        match parse_feed(body) {
            Err(SourceError::Malformed(m)) => assert!(!m.is_empty(), "{what}"),
            other => panic!("{what}: {other:?}"),
        }
    }
}

#[test]
fn rss_edge_cases_entities_xhtml_undated_and_hostile() {
    let rss = "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [<!ENTITY boom \"boom\">]>\n<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel>\
        <item><title>A &amp; B &#x1F600; &nbsp;x &boom;</title><description>&lt;p&gt;one&lt;/p&gt;&lt;p&gt;two&lt;/p&gt;</description>\
        <author>jo@example.com (Jo Bloggs)</author><link>/relative/path</link></item>\
        <item><title/><description><![CDATA[<b>&lt;!channel&gt;</b> \u{7} acme]]></description><pubDate>not a date</pubDate></item>\
        </channel></rss>";
    let feed = parse_feed(rss.as_bytes()).unwrap();
    let [a, b] = &feed.entries[..] else { panic!("{:?}", feed.entries) };
    assert_eq!(a.title, "A & B 😀 x &boom;", "undeclared entities are not expanded");
    assert_eq!(a.body, "one\n\ntwo");
    assert_eq!(a.author.as_deref(), Some("Jo Bloggs"));
    let post = entry_to_post(a.clone(), &feed_url("https://blog.example.com/feed.xml"), utc(2026, 5, 1, 0, 0, 0));
    assert_eq!(post.url, "https://blog.example.com/relative/path");
    assert_eq!(post.external_id.as_str(), "https://blog.example.com/relative/path", "no id: the link");
    assert_eq!(b.title, "");
    assert_eq!(b.body, "<!channel> acme");
    assert_eq!(b.published, None);
    let fetched = utc(2026, 5, 1, 0, 0, 0);
    let post = entry_to_post(b.clone(), &feed_url("https://blog.example.com/feed.xml"), fetched);
    assert_eq!(post.created_at, fetched, "undated: the fetch time");
    assert!(post.external_id.as_str().starts_with("blog.example.com#hash:"));

    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en"><entry><id>urn:x:1</id>
        <title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">Acme <b>Air</b></div></title>
        <summary>plain &lt;3 text</summary><updated>2026-05-01T12:30Z</updated></entry></feed>"#;
    let e = only(atom.as_bytes());
    assert_eq!(e.title, "Acme Air");
    assert_eq!(e.body, "plain <3 text");
    assert_eq!(e.published, Some(utc(2026, 5, 1, 12, 30, 0)));
    assert_eq!(e.lang.as_deref(), Some("en"));
}

#[test]
fn utf16_documents_are_transcoded() {
    let text = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><rss><channel><item><guid>g1</guid><title>Zürich ✈</title></item></channel></rss>";
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    assert_eq!(only(&bytes).title, "Zürich ✈");
}

#[test]
fn dates_in_the_wild() {
    let t = utc(2026, 5, 1, 12, 30, 41);
    for s in [
        "Fri, 01 May 2026 12:30:41 GMT",
        "Fri, 01 May 2026 12:30:41 +0000",
        "01 May 2026 12:30:41 UT",
        "Fri, 1 May 2026 08:30:41 EDT",
        "Friday, 01 May 2026 14:30:41 CEST",
        "Fri, 01 May 26 12:30:41 GMT",
        "Fri, 01 May 2026 12:30:41 +00:00",
        "Fri, 01 May 2026 12:30:41",
        "May 1 2026 12:30:41 GMT",
        "2026-05-01T12:30:41Z",
        "2026-05-01T14:30:41+02:00",
        "2026-05-01T12:30:41.000Z",
        "2026-05-01 12:30:41",
    ] {
        assert_eq!(parse_date(s), Some(t), "{s}");
    }
    assert_eq!(parse_date("Fri, 01 May 2026 12:30 GMT"), Some(utc(2026, 5, 1, 12, 30, 0)));
    assert_eq!(parse_date("Thu, 13 Aug 2020 06:57:55 -0300"), Some(utc(2020, 8, 13, 9, 57, 55)));
    assert_eq!(parse_date("01 June 2026 00:00:00 GMT"), Some(utc(2026, 6, 1, 0, 0, 0)));
    assert_eq!(parse_date("2026-05-01"), Some(utc(2026, 5, 1, 0, 0, 0)));
    for bad in ["", "yesterday", "Fri, 32 May 2026 12:00:00 GMT", "2026-13-01T00:00:00Z", "1 Foo 2026 12:00:00 GMT"] {
        assert_eq!(parse_date(bad), None, "{bad}");
    }
}

fn cx(now: DateTime<Utc>) -> PollContext {
    PollContext {
        source: crate::domain::SourceName::new("feeds"),
        http: crate::sources::HttpClient::new(&crate::config::FetchSettings::default()).unwrap(),
        queries: Vec::new().into(),
        now,
        backfill: Duration::from_secs(2 * 3600),
    }
}

fn source() -> FeedSource {
    FeedSource::new(FeedConfig {
        url: Some(feed_url("https://feeds.example.com/a.xml")),
        urls: vec![],
        overlap: Duration::from_secs(24 * 3600),
        remember: 10,
    })
}

fn resp(body: String, etag: Option<&'static str>) -> RawResponse {
    let mut headers = HeaderMap::new();
    if let Some(e) = etag {
        headers.insert(ETAG, HeaderValue::from_static(e));
    }
    RawResponse { status: StatusCode::OK, headers, body: body.into_bytes() }
}

fn rss(items: &[(&str, Option<&str>)]) -> String {
    let items: String = items
        .iter()
        .map(|(id, date)| {
            let date = date.map(|d| format!("<pubDate>{d}</pubDate>")).unwrap_or_default();
            format!("<item><guid isPermaLink=\"false\">urn:e:{id}</guid><title>Acme Air {id}</title>{date}</item>")
        })
        .collect();
    format!("<rss version=\"2.0\"><channel>{items}</channel></rss>")
}

fn ids(posts: &[Post]) -> Vec<&str> {
    posts.iter().map(|p| p.external_id.as_str()).collect()
}

#[test]
fn new_entries_are_told_by_id_bounded_by_date() {
    let now = utc(2026, 5, 1, 12, 0, 0);
    let src = source();
    let url = feed_url("https://feeds.example.com/a.xml");
    // First fetch: the backfill (2 h) bounds dated entries; undated ones are read.
    let doc = rss(&[
        ("1", Some("Fri, 01 May 2026 11:00:00 GMT")),
        ("2", Some("Fri, 01 May 2026 08:00:00 GMT")),
        ("3", None),
        ("4", Some("Sat, 02 May 2026 12:00:00 GMT")), // from the future
    ]);
    let (posts, st) = src.take_new(&cx(now), &url, &resp(doc, Some("\"v1\"")), None).unwrap();
    assert_eq!(ids(&posts), ["urn:e:1", "urn:e:3", "urn:e:4"]);
    assert_eq!(st.etag.as_deref(), Some("\"v1\""));
    assert_eq!(st.newest, Some(now), "a future date is clamped to the fetch time");
    assert_eq!(st.seen.len(), 4);

    // Later: re-ordered, one re-dated, one dropped, two new (one dated
    // before the newest seen, but within the overlap).
    let later = now + chrono::Duration::minutes(10);
    let doc = rss(&[
        ("5", Some("Fri, 01 May 2026 09:00:00 GMT")),
        ("1", Some("Fri, 01 May 2026 11:59:00 GMT")),
        ("6", None),
        ("3", None),
        ("7", Some("Wed, 01 Apr 2026 00:00:00 GMT")), // older than newest - overlap
    ]);
    let (posts, st2) = src.take_new(&cx(later), &url, &resp(doc, None), Some(&st)).unwrap();
    assert_eq!(ids(&posts), ["urn:e:5", "urn:e:6"]);
    assert_eq!(st2.etag, None, "validators are replaced, not kept, on a 200");
    assert_eq!(
        st2.seen[..5],
        [id_hash("urn:e:5"), id_hash("urn:e:1"), id_hash("urn:e:6"), id_hash("urn:e:3"), id_hash("urn:e:7")]
    );
    assert!(st2.seen.contains(&id_hash("urn:e:2")), "ids of dropped entries are remembered too");
    assert!(st2.seen.len() <= 10, "bounded by `remember`");
}

#[test]
fn the_cursor_round_trips() {
    let mut c = FeedCursor::default();
    c.feeds.insert(
        "https://feeds.example.com/a.xml".into(),
        FeedState {
            etag: Some("W/\"ga-5f1c\"".into()),
            last_modified: Some("Fri, 01 May 2026 12:40:00 GMT".into()),
            newest: Some(utc(2026, 5, 1, 12, 30, 41)),
            seen: vec![id_hash("x")],
        },
    );
    let json = Cursor::to_json(&c);
    assert!(
        json.0.starts_with(r#"{"feeds":{"https://feeds.example.com/a.xml":{"etag":"W/\"ga-5f1c\"","#),
        "{}",
        json.0
    );
    assert_eq!(json.from_json::<FeedCursor>().unwrap(), c);
    assert_eq!(id_hash("urn:e:1"), id_hash("urn:e:1"));
    assert_eq!(id_hash(""), "cbf29ce484222325", "FNV-1a offset basis: stable across versions");
    assert_eq!(redacted(&feed_url("https://www.google.com/alerts/feeds/123/456")), "https://www.google.com/…");
}
