//! RSS 2.0 / RSS 1.0 (RDF) / Atom documents → [`FeedEntry`]s, with
//! quick-xml's pull parser over the fetched bytes (platform-apis.md 7.1,
//! 7.2).
//!
//! * Encodings: the one declared in the prolog (`ISO-8859-1`,
//!   `windows-1252`, ...) is honoured by the reader; UTF-16 documents are
//!   transcoded to UTF-8 first. UTF-8 input is parsed in place.
//! * Not well-formed XML (a bare `&`, a truncated document, mismatched
//!   tags), an HTML page or any document whose root is not `rss`, `RDF` or
//!   `feed` is `Malformed`. DTDs are skipped and never expanded (no XXE,
//!   no entity bombs); an undeclared entity such as `&nbsp;` is kept as
//!   written for the HTML stage to decode.
//! * Elements are matched on their local name and prefix, not their
//!   namespace URI: real feeds declare wrong ones (`https://www.w3.org/2005/Atom`).
//!
//! Tests: `feed/tests.rs` (recorded feeds in `tests/fixtures/feeds/`).

use std::borrow::Cow;
use std::io::Read as _;

use chrono::{DateTime, Utc};
use quick_xml::encoding::DecodingReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use super::dates::parse_date;
use crate::sources::text::{decode_entities, html_to_text, normalize_whitespace};
use crate::sources::SourceError;

/// One item or entry, text already plain.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedEntry {
    /// Atom `id` or RSS `guid`, as written.
    pub id: Option<String>,
    /// The entry's permalink (Google Alerts redirects already unwrapped);
    /// may be relative to the feed.
    pub link: Option<String>,
    pub title: String,
    /// Full content when given, else the summary / description.
    pub body: String,
    pub author: Option<String>,
    pub published: Option<DateTime<Utc>>,
    /// The date as written, for the hashed id of an entry with no id or link.
    pub date_raw: Option<String>,
    /// `xml:lang` of the entry, else of the feed, else RSS `language`.
    pub lang: Option<String>,
}

/// Which flavour the root element announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedKind {
    Rss,
    Rdf,
    Atom,
}

/// A parsed document.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedFeed {
    pub kind: FeedKind,
    pub entries: Vec<FeedEntry>,
}

/// The text-bearing elements read from an entry (or the channel).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Id,
    Guid,
    Link,
    Title,
    Summary,
    Content,
    Description,
    Encoded,
    Creator,
    Author,
    AuthorName,
    Published,
    Updated,
    PubDate,
    DcDate,
    MediaDescription,
    Language,
}

/// How a field's text is marked up (Atom `type`; RSS text is always HTML).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Markup {
    Text,
    Html,
}

/// An entry as read, before its fields are chosen and cleaned.
#[derive(Debug, Default)]
struct RawEntry {
    fields: Vec<(Field, Markup, String)>,
    atom_links: Vec<(Option<String>, String)>,
    lang: Option<String>,
}

impl RawEntry {
    fn get(&self, f: Field) -> Option<(&str, Markup)> {
        self.fields.iter().find(|(g, _, v)| *g == f && !v.trim().is_empty()).map(|(_, m, v)| (v.as_str(), *m))
    }
}

struct Parser {
    kind: Option<FeedKind>,
    depth: usize,
    /// Depth of the open item/entry.
    entry_depth: Option<usize>,
    entry: RawEntry,
    /// Depth of an open Atom `author` or `media:group` inside the entry.
    container: Option<(usize, &'static str)>,
    /// The field being read, its markup and depth.
    field: Option<(Field, Markup, usize)>,
    buf: String,
    feed_lang: Option<String>,
    entries: Vec<FeedEntry>,
}

/// Parses a feed document.
pub fn parse_feed(bytes: &[u8]) -> Result<ParsedFeed, SourceError> {
    let utf16 =
        matches!(bytes, [0xFF, 0xFE, ..] | [0xFE, 0xFF, ..] | [0x00, b'<', 0x00, _, ..] | [b'<', 0x00, _, 0x00, ..]);
    let transcoded: String;
    let reader = if utf16 {
        let mut s = String::new();
        DecodingReader::new(bytes)
            .read_to_string(&mut s)
            .map_err(|e| SourceError::Malformed(format!("cannot decode the UTF-16 feed: {e}")))?;
        transcoded = s;
        Reader::from_str(&transcoded)
    } else {
        Reader::from_reader(bytes)
    };
    Parser {
        kind: None,
        depth: 0,
        entry_depth: None,
        entry: RawEntry::default(),
        container: None,
        field: None,
        buf: String::new(),
        feed_lang: None,
        entries: Vec::new(),
    }
    .run(reader)
}

fn malformed(reader: &Reader<&[u8]>, what: impl std::fmt::Display) -> SourceError {
    SourceError::Malformed(format!("invalid feed XML near byte {}: {what}", reader.error_position()))
}

impl Parser {
    fn run(mut self, mut reader: Reader<&[u8]>) -> Result<ParsedFeed, SourceError> {
        loop {
            let event = reader.read_event().map_err(|e| malformed(&reader, e))?;
            match event {
                Event::Start(e) => {
                    self.depth += 1;
                    self.start(&reader, &e, false)?;
                }
                Event::Empty(e) => {
                    self.depth += 1;
                    self.start(&reader, &e, true)?;
                    // Inside a field, start() wrote `<x/>` already.
                    if self.field.is_none_or(|(_, _, d)| d == self.depth) {
                        self.end(e.local_name().as_ref());
                    }
                    self.depth -= 1;
                }
                Event::End(e) => {
                    self.end(e.local_name().as_ref());
                    self.depth = self.depth.saturating_sub(1);
                }
                Event::Text(t) if self.field.is_some() => {
                    self.buf.push_str(&t.decode().map_err(|e| malformed(&reader, e))?);
                }
                Event::CData(t) if self.field.is_some() => {
                    self.buf.push_str(&t.decode().map_err(|e| malformed(&reader, e))?);
                }
                Event::GeneralRef(r) if self.field.is_some() => {
                    match r.resolve_char_ref().map_err(|e| malformed(&reader, e))? {
                        Some(c) => self.buf.push(c),
                        None => {
                            let name = r.decode().map_err(|e| malformed(&reader, e))?;
                            match predefined(&name) {
                                Some(c) => self.buf.push(c),
                                None => {
                                    self.buf.push('&');
                                    self.buf.push_str(&name);
                                    self.buf.push(';');
                                }
                            }
                        }
                    }
                }
                Event::Text(t) if self.kind.is_none() && t.iter().any(|b| !b.is_ascii_whitespace()) => {
                    return Err(malformed(&reader, "text before the root element: not a feed"));
                }
                Event::Eof => break,
                _ => {}
            }
        }
        if self.kind.is_none() {
            return Err(SourceError::Malformed("no feed in the document (empty, or no root element)".into()));
        }
        if self.depth > 0 {
            return Err(SourceError::Malformed("the feed document is truncated (elements left open)".into()));
        }
        Ok(ParsedFeed { kind: self.kind.unwrap_or(FeedKind::Rss), entries: self.entries })
    }

    fn start(&mut self, reader: &Reader<&[u8]>, e: &BytesStart<'_>, empty: bool) -> Result<(), SourceError> {
        let local = e.local_name();
        let local = std::str::from_utf8(local.as_ref()).unwrap_or("");
        let qname = e.name();
        let prefix = qname.prefix().map(|p| p.into_inner()).and_then(|p| std::str::from_utf8(p).ok());
        let Some(kind) = self.kind else {
            self.kind = Some(match local {
                "rss" => FeedKind::Rss,
                "RDF" => FeedKind::Rdf,
                "feed" => FeedKind::Atom,
                other => {
                    let other: String = other.chars().take(40).collect();
                    return Err(SourceError::Malformed(format!(
                        "not a feed: the document is <{other}> (an HTML page or an error page?)"
                    )));
                }
            });
            self.feed_lang = attr(reader, e, b"xml:lang");
            return Ok(());
        };
        if let Some((_, _, field_depth)) = self.field {
            // Markup inside a text field (Atom xhtml, unescaped HTML in
            // RSS): keep the tag so the HTML stage sees its structure.
            if self.depth > field_depth {
                self.buf.push('<');
                self.buf.push_str(local);
                self.buf.push_str(if empty { "/>" } else { ">" });
            }
            return Ok(());
        }
        let Some(entry_depth) = self.entry_depth else {
            if matches!(local, "item" | "entry") && prefix.is_none() {
                self.entry_depth = Some(self.depth);
                self.entry = RawEntry { lang: attr(reader, e, b"xml:lang"), ..RawEntry::default() };
            } else if local == "language" && prefix.is_none() && kind != FeedKind::Atom {
                self.open(Field::Language, Markup::Text);
            }
            return Ok(());
        };
        let child = self.depth - entry_depth;
        let in_container = self.container.filter(|(d, _)| self.depth == d + 1).map(|(_, c)| c);
        let field = match (child, in_container, prefix, local) {
            (_, Some("author"), _, "name") => Some((Field::AuthorName, Markup::Text)),
            (_, Some("group"), Some("media"), "description") => Some((Field::MediaDescription, Markup::Text)),
            (1, _, None, "author") if kind == FeedKind::Atom => {
                self.container = Some((self.depth, "author"));
                None
            }
            (1, _, Some("media"), "group") => {
                self.container = Some((self.depth, "group"));
                None
            }
            (1, _, p, "link") if kind == FeedKind::Atom || p == Some("atom") => {
                if let Some(href) = attr(reader, e, b"href") {
                    self.entry.atom_links.push((attr(reader, e, b"rel"), href));
                }
                None
            }
            (1, _, None, name) => {
                let markup = match attr(reader, e, b"type").as_deref() {
                    Some("html" | "xhtml" | "text/html" | "application/xhtml+xml") => Markup::Html,
                    Some(_) => Markup::Text,
                    None if kind == FeedKind::Atom => Markup::Text,
                    None => Markup::Html,
                };
                let f = match (kind, name) {
                    (FeedKind::Atom, "id") => Field::Id,
                    (FeedKind::Atom, "published") => Field::Published,
                    (FeedKind::Atom, "updated") => Field::Updated,
                    (FeedKind::Atom, "summary") => Field::Summary,
                    (FeedKind::Atom, "content") => Field::Content,
                    (_, "title") => Field::Title,
                    (_, "link") => Field::Link,
                    (_, "guid") => Field::Guid,
                    (_, "description") => Field::Description,
                    (_, "pubDate") => Field::PubDate,
                    (_, "author") => Field::Author,
                    _ => return Ok(()),
                };
                Some((f, markup))
            }
            (1, _, Some("dc"), "creator") => Some((Field::Creator, Markup::Text)),
            (1, _, Some("dc"), "date") => Some((Field::DcDate, Markup::Text)),
            (1, _, Some("content"), "encoded") => Some((Field::Encoded, Markup::Html)),
            _ => None,
        };
        if let Some((f, m)) = field {
            self.open(f, m);
        }
        Ok(())
    }

    fn open(&mut self, f: Field, m: Markup) {
        self.buf.clear();
        self.field = Some((f, m, self.depth));
    }

    fn end(&mut self, local: &[u8]) {
        if let Some((f, m, d)) = self.field {
            if self.depth > d {
                self.buf.push_str("</");
                self.buf.push_str(std::str::from_utf8(local).unwrap_or(""));
                self.buf.push('>');
                return;
            }
            self.field = None;
            let value = std::mem::take(&mut self.buf);
            if self.entry_depth.is_some() {
                self.entry.fields.push((f, m, value));
            } else if f == Field::Language && self.feed_lang.is_none() {
                self.feed_lang = Some(value.trim().to_string()).filter(|l| !l.is_empty());
            }
            return;
        }
        if self.container.is_some_and(|(d, _)| d == self.depth) {
            self.container = None;
        }
        if self.entry_depth == Some(self.depth) {
            self.entry_depth = None;
            let raw = std::mem::take(&mut self.entry);
            self.entries.push(finish(raw, self.feed_lang.as_deref()));
        }
    }
}

/// An attribute's value, entity-decoded; `None` when absent or unreadable.
fn attr(reader: &Reader<&[u8]>, e: &BytesStart<'_>, name: &[u8]) -> Option<String> {
    let a = e.try_get_attribute(name).ok().flatten()?;
    let v = a
        .decoded_and_normalized_value(XmlVersion::Implicit1_0, reader.decoder())
        .map(Cow::into_owned)
        .unwrap_or_else(|_| String::from_utf8_lossy(&a.value).into_owned());
    Some(v.trim().to_string()).filter(|v| !v.is_empty())
}

fn predefined(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => return None,
    })
}

/// Chooses and cleans an entry's fields (platform-apis.md 0.3 / 7).
fn finish(raw: RawEntry, feed_lang: Option<&str>) -> FeedEntry {
    let text = |f: Field| raw.get(f).map(|(v, m)| plain(v, m)).filter(|t| !t.is_empty());
    let trimmed = |f: Field| raw.get(f).map(|(v, _)| v.trim().to_string());
    let link = raw
        .atom_links
        .iter()
        .find(|(rel, _)| rel.as_deref().is_none_or(|r| r == "alternate"))
        .or_else(|| raw.atom_links.iter().find(|(rel, _)| !matches!(rel.as_deref(), Some("self" | "enclosure"))))
        .map(|(_, href)| href.clone())
        .or_else(|| trimmed(Field::Link));
    let guid = trimmed(Field::Guid);
    let date_raw = [Field::Published, Field::PubDate, Field::DcDate, Field::Updated].into_iter().find_map(&trimmed);
    let author =
        text(Field::AuthorName).or_else(|| text(Field::Creator)).or_else(|| text(Field::Author).map(email_name));
    FeedEntry {
        id: trimmed(Field::Id).or(guid.clone()),
        link: link
            .or(guid.filter(|g| g.starts_with("http://") || g.starts_with("https://")))
            .map(unwrap_google_redirect),
        title: text(Field::Title).unwrap_or_default(),
        body: [Field::Content, Field::Encoded, Field::Summary, Field::Description, Field::MediaDescription]
            .into_iter()
            .find_map(text)
            .unwrap_or_default(),
        author,
        published: date_raw.as_deref().and_then(parse_date),
        date_raw,
        lang: raw.lang.or_else(|| feed_lang.map(str::to_string)),
    }
}

fn plain(v: &str, m: Markup) -> String {
    match m {
        // In HTML a source line break is only a space; `<br>`/`<p>` break lines.
        Markup::Html if v.contains(['\n', '\r']) => html_to_text(&v.replace(['\n', '\r'], " ")),
        Markup::Html => html_to_text(v),
        Markup::Text => normalize_whitespace(&decode_entities(v)),
    }
}

/// RSS `author` is an e-mail address, often `jo@example.com (Jo Bloggs)`:
/// the name when there is one.
fn email_name(s: String) -> String {
    match (s.find('('), s.rfind(')')) {
        (Some(a), Some(b)) if b > a + 1 => s[a + 1..b].trim().to_string(),
        _ => s,
    }
}

/// Google Alerts links are redirects,
/// `https://www.google.com/url?rct=j&sa=t&url=TARGET&ct=ga…`: the target
/// (its `url` parameter, percent-decoded) is the permalink (7.2).
pub fn unwrap_google_redirect(link: String) -> String {
    let Ok(u) = url::Url::parse(&link) else { return link };
    let google = u.host_str().is_some_and(|h| h == "google.com" || h.ends_with(".google.com"));
    if !google || u.path() != "/url" {
        return link;
    }
    u.query_pairs()
        .find(|(k, _)| k == "url" || k == "q")
        .map(|(_, v)| v.into_owned())
        .filter(|t| t.starts_with("http://") || t.starts_with("https://"))
        .unwrap_or(link)
}
