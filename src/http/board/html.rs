//! HTML for the board: escaping (post text is hostile until proven
//! otherwise), the page frame with its inline style sheet, and the small
//! formatting helpers pages share (ages, times, safe links, forms).
//! Every response carries a Content-Security-Policy that forbids scripts
//! and outside resources, so a slip in escaping still could not run code.

use std::fmt;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};

/// Displays text escaped for HTML element content and quoted attributes;
/// control characters (other than newline and tab) become U+FFFD.
pub struct Esc<'a>(pub &'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(i) = rest.find(|c: char| matches!(c, '&' | '<' | '>' | '"' | '\'') || is_control(c)) {
            f.write_str(&rest[..i])?;
            let c = rest[i..].chars().next().expect("found a char");
            f.write_str(match c {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                _ => "\u{FFFD}",
            })?;
            rest = &rest[i + c.len_utf8()..];
        }
        f.write_str(rest)
    }
}

fn is_control(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
}

/// The first `max` characters of `text` on one line (whitespace runs become
/// one space), with an ellipsis when cut. Not escaped: wrap it in [`Esc`].
pub fn excerpt(text: &str, max: usize) -> String {
    let mut out = String::new();
    for (n, word) in text.split_whitespace().enumerate() {
        if n > 0 {
            out.push(' ');
        }
        out.push_str(word);
        if out.chars().count() > max {
            let cut: String = out.chars().take(max).collect();
            return format!("{}…", cut.trim_end());
        }
    }
    out
}

/// A span of time as a responder reads it: `45s`, `17m`, `3h 05m`, `2d 04h`.
pub fn span(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86400 => format!("{}h {:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d {:02}h", s / 86400, s % 86400 / 3600),
    }
}

/// A time in UTC, to the minute.
pub fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A link to a post, only for `http`/`https` URLs (a stored URL could be
/// `javascript:`); otherwise nothing.
pub fn post_link(url: &str, label: &str) -> String {
    let lower = url.trim_start().to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        format!(r#"<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>"#, Esc(url), Esc(label))
    } else {
        String::new()
    }
}

/// The hidden field every POST form carries.
pub fn csrf_field(token: &str) -> String {
    format!(r#"<input type="hidden" name="csrf" value="{}">"#, Esc(token))
}

/// The signed-in part of the page header: who, and the logout form.
pub struct Chrome<'a> {
    pub name: &'a str,
    pub csrf: &'a str,
}

/// A whole page: title, optional signed-in header, body (already HTML).
pub fn page(status: StatusCode, title: &str, chrome: Option<&Chrome<'_>>, body: &str) -> Response {
    refreshing_page(status, title, chrome, body, None)
}

/// A page the browser reloads every `refresh_secs` (a plain meta refresh).
pub fn refreshing_page(
    status: StatusCode,
    title: &str,
    chrome: Option<&Chrome<'_>>,
    body: &str,
    refresh_secs: Option<u32>,
) -> Response {
    let refresh = refresh_secs.map(|s| format!(r#"<meta http-equiv="refresh" content="{s}">"#)).unwrap_or_default();
    let nav = match chrome {
        Some(c) => format!(
            r#"<nav><a href="/board">Queue</a> <a href="/board/trends">Trends</a>
<span class="who">signed in as {name}</span>
<form method="post" action="/board/logout" class="inline">{csrf}<button type="submit">Log out</button></form></nav>"#,
            name = Esc(c.name),
            csrf = csrf_field(c.csrf),
        ),
        None => String::new(),
    };
    let html = format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">{refresh}
<title>{title} · earshot</title><style>{STYLE}</style></head>
<body><header><strong>earshot</strong> {nav}</header>
<main><h1>{title}</h1>
{body}
</main></body></html>"#,
        title = Esc(title),
    );
    let mut resp = (status, html).into_response();
    let headers = resp.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        headers.insert(name, HeaderValue::from_static(value));
    }
    resp
}

/// A short page that says what went wrong, with a way back.
pub fn message(status: StatusCode, title: &str, chrome: Option<&Chrome<'_>>, text: &str) -> Response {
    let body = format!(r#"<p class="message">{}</p><p><a href="/board">Back to the queue</a></p>"#, Esc(text));
    page(status, title, chrome, &body)
}

const SECURITY_HEADERS: [(header::HeaderName, &str); 5] = [
    (header::CONTENT_TYPE, "text/html; charset=utf-8"),
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::CACHE_CONTROL, "no-store"),
];

const STYLE: &str = "
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:.5em 1em;display:flex;gap:1em;align-items:center}
header a{color:#cfe0ff;margin-right:.8em}nav{display:flex;gap:.5em;align-items:center;flex:1}
.who{margin-left:auto;color:#aab}main{padding:0 1em 2em}h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}
table{border-collapse:collapse;width:100%;background:#fff}th,td{padding:.35em .5em;border-bottom:1px solid #e3e5ea;
text-align:left;vertical-align:top}th{background:#eef0f4;font-weight:600}td.post{max-width:38em}
.lvl-critical{border-left:4px solid #b3261e}.lvl-high{border-left:4px solid #e8710a}
.lvl-normal{border-left:4px solid #4a7bd0}.lvl-low{border-left:4px solid #9aa}
.state{font-weight:600}.state-open{color:#b3261e}.state-acknowledged{color:#8a5a00}.state-resolved{color:#1e7b34}
form.inline{display:inline;margin:0}button{font:inherit;padding:.2em .6em;cursor:pointer}
blockquote{white-space:pre-wrap;background:#fff;border-left:4px solid #ccd;margin:1em 0;padding:.6em 1em}
.message{background:#fff3cd;padding:.6em 1em}.muted{color:#667}label{display:block;margin:.6em 0}
.topics{color:#667;font-size:.9em}.overdue{color:#b3261e;font-weight:600}.due{color:#445}select{font:inherit}
svg{background:#fff;max-width:100%;height:auto;display:block;margin:.5em 0}
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_escaped() {
        let s = Esc(r#"<script>alert("x")</script> & 'y' <img src=x onerror=alert(1)>"#).to_string();
        assert_eq!(
            s,
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39; &lt;img src=x onerror=alert(1)&gt;"
        );
        assert_eq!(Esc("a\u{0}b\u{1b}[31mc\nd").to_string(), "a\u{FFFD}b\u{FFFD}[31mc\nd");
        assert_eq!(Esc("plain ünïcode").to_string(), "plain ünïcode");
    }

    #[test]
    fn excerpts_are_one_line_and_cut_on_characters() {
        assert_eq!(excerpt("a  b\n\nc", 10), "a b c");
        assert_eq!(excerpt("ééééé ééééé", 7), "ééééé é…");
        assert_eq!(excerpt("", 5), "");
    }

    #[test]
    fn spans_read_naturally() {
        assert_eq!(span(-5), "0s");
        assert_eq!(span(45), "45s");
        assert_eq!(span(17 * 60 + 5), "17m");
        assert_eq!(span(3 * 3600 + 5 * 60), "3h 05m");
        assert_eq!(span(2 * 86400 + 4 * 3600), "2d 04h");
    }

    #[test]
    fn only_web_links_are_linked() {
        assert!(post_link("https://example.com/?a=1&b=\"2\"", "post")
            .contains(r#"href="https://example.com/?a=1&amp;b=&quot;2&quot;""#));
        assert_eq!(post_link("javascript:alert(1)", "post"), "");
        assert_eq!(post_link(" JaVaScRiPt:alert(1)", "post"), "");
    }
}
