//! Platform text to plain text: [`html_to_text`] for HTML bodies (HN
//! `comment_text`/`story_text`, Mastodon `content`, feed descriptions),
//! [`decode_entities`] for entity-escaped plain text (YouTube titles),
//! [`decode_amp_lt_gt`] for X's three escapes, and
//! [`normalize_whitespace`] for text that is plain already.
//!
//! This is a tolerant scanner, not an HTML parser: it never fails and never
//! panics, whatever the input (unclosed tags, a stray `&` or `<`, invalid
//! numeric entities), and its cost stays linear in the input (a tag is looked
//! for at most [`MAX_TAG_LEN`] bytes ahead). The output is meant for matching,
//! scoring and quoting in alerts; it is *not* escaped for any target (Slack
//! escaping is the Slack sink's job).
//!
//! Tests: at the bottom of this file, including hostile input.

/// A `<` not closed by a `>` within this many bytes is taken as text.
pub const MAX_TAG_LEN: usize = 1024;

/// Longest entity looked for after `&` (`&thetasym;` is 10 bytes).
const MAX_ENTITY_LEN: usize = 12;

use std::borrow::Cow;

/// Tags whose start or end separates paragraphs.
const BLOCK_TAGS: &[&str] = &[
    "p",
    "div",
    "li",
    "ul",
    "ol",
    "pre",
    "blockquote",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "table",
    "section",
    "article",
    "header",
    "footer",
    "hr",
];

/// Tags whose content is dropped along with the tags.
const RAW_TEXT_TAGS: &[&str] = &["script", "style"];

/// HTML to plain text: tags removed (link text kept), `<p>`-like tags become
/// paragraph breaks and `<br>` a line break, `<script>`/`<style>` content and
/// comments dropped, entities decoded, whitespace collapsed.
pub fn html_to_text(html: &str) -> String {
    let bytes = html.as_bytes();
    let mut out = String::with_capacity(html.len());
    // Text since the last tag, decoded in one go when a tag or the end comes.
    let mut text_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'<' {
            i += 1;
            continue;
        }
        match scan_markup(html, i) {
            None => i += 1, // a '<' that starts no tag is text
            Some(markup) => {
                out.push_str(&decode_entities(&html[text_start..i]));
                i = match markup {
                    Markup::Comment { end } | Markup::Other { end } => end,
                    Markup::Tag { name, closing, end } => {
                        let name = name.to_ascii_lowercase();
                        if !closing && RAW_TEXT_TAGS.contains(&name.as_str()) {
                            skip_raw_text(html, end, &name)
                        } else {
                            if name == "br" {
                                out.push('\n');
                            } else if BLOCK_TAGS.contains(&name.as_str()) {
                                out.push_str("\n\n");
                            }
                            end
                        }
                    }
                };
                text_start = i;
            }
        }
    }
    out.push_str(&decode_entities(&html[text_start..]));
    normalize_whitespace(&out)
}

/// What a `<` at some position starts; `end` is the byte just past it.
enum Markup<'a> {
    Tag {
        name: &'a str,
        closing: bool,
        end: usize,
    },
    Comment {
        end: usize,
    },
    /// `<!DOCTYPE ...>`, `<?xml ...?>`, CDATA markers: dropped.
    Other {
        end: usize,
    },
}

/// Looks at the `<` at `start`; `None` when it is plain text ("a < b",
/// "<3", or no `>` close enough).
fn scan_markup(s: &str, start: usize) -> Option<Markup<'_>> {
    let rest = &s[start + 1..];
    if let Some(body) = rest.strip_prefix("!--") {
        // An unclosed comment swallows the rest, as browsers do.
        let end = body.find("-->").map(|p| start + 4 + p + 3).unwrap_or(s.len());
        return Some(Markup::Comment { end });
    }
    let (closing, name_from) = match rest.as_bytes().first() {
        Some(b'/') => (true, 1),
        Some(b'!') | Some(b'?') => {
            let end = find_tag_end(rest)?;
            return Some(Markup::Other { end: start + 1 + end });
        }
        _ => (false, 0),
    };
    let name_bytes = &rest.as_bytes()[name_from..];
    if !name_bytes.first().is_some_and(u8::is_ascii_alphabetic) {
        return None;
    }
    let name_len = name_bytes.iter().take_while(|b| b.is_ascii_alphanumeric()).count();
    let name = &rest[name_from..name_from + name_len];
    let end = find_tag_end(rest)?;
    Some(Markup::Tag { name, closing, end: start + 1 + end })
}

/// Offset just past the `>` that ends a tag in `rest` (which starts after
/// the `<`), honouring quoted attribute values; if quotes are unbalanced,
/// the first `>` wins. Looks no further than [`MAX_TAG_LEN`].
fn find_tag_end(rest: &str) -> Option<usize> {
    let window = &rest.as_bytes()[..rest.len().min(MAX_TAG_LEN)];
    let mut quote: Option<u8> = None;
    for (i, &b) in window.iter().enumerate() {
        match (quote, b) {
            (Some(q), _) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'>') => return Some(i + 1),
            (None, b'<') => return None, // "<a <b>": the first '<' was text
            _ => {}
        }
    }
    window.iter().position(|&b| b == b'>').map(|p| p + 1)
}

/// Skips the content of `<script>`/`<style>` up to and including its end
/// tag; without an end tag, the rest of the input is dropped.
fn skip_raw_text(s: &str, from: usize, name: &str) -> usize {
    let needle = format!("</{name}");
    let hay = s.as_bytes();
    let found = (from..hay.len().saturating_sub(needle.len() - 1))
        .find(|&i| hay[i..i + needle.len()].eq_ignore_ascii_case(needle.as_bytes()));
    match found {
        Some(at) => find_tag_end(&s[at + 1..]).map(|e| at + 1 + e).unwrap_or(s.len()),
        None => s.len(),
    }
}

/// Decodes HTML entities: the common named ones and every numeric one
/// (`&#39;`, `&#x2F;`). Unknown or unterminated entities stay as written;
/// numeric ones that name no character become U+FFFD.
pub fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let window = &after[..floor_char_boundary(after, MAX_ENTITY_LEN)];
        let decoded = window.find(';').and_then(|semi| decode_entity(&after[..semi]).map(|c| (c, semi)));
        match decoded {
            Some((c, semi)) => {
                out.push(c);
                rest = &after[semi + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Decodes exactly `&amp;`, `&lt;` and `&gt;`, once: how X escapes post
/// text (platform-apis.md 5.3), where anything else that looks like an
/// entity is what the author typed. Borrows when there is nothing to decode.
pub fn decode_amp_lt_gt(s: &str) -> Cow<'_, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp..];
        let (c, len) = if after.starts_with("&amp;") {
            ('&', 5)
        } else if after.starts_with("&lt;") {
            ('<', 4)
        } else if after.starts_with("&gt;") {
            ('>', 4)
        } else {
            ('&', 1)
        };
        out.push(c);
        rest = &after[len..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// The character for an entity body (between `&` and `;`).
fn decode_entity(body: &str) -> Option<char> {
    if let Some(num) = body.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse::<u32>().ok()?,
        };
        return Some(match char::from_u32(code) {
            Some('\0') | None => char::REPLACEMENT_CHARACTER,
            Some(c) => c,
        });
    }
    let c = match body {
        "amp" | "AMP" => '&',
        "lt" | "LT" => '<',
        "gt" | "GT" => '>',
        "quot" | "QUOT" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "ndash" => '–',
        "mdash" => '—',
        "hellip" => '…',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "laquo" => '«',
        "raquo" => '»',
        "bull" => '•',
        "middot" => '·',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "euro" => '€',
        "pound" => '£',
        "yen" => '¥',
        "cent" => '¢',
        "deg" => '°',
        "times" => '×',
        "divide" => '÷',
        "shy" => '\u{AD}',
        _ => return None,
    };
    Some(c)
}

/// The largest char boundary ≤ `max` in `s`.
fn floor_char_boundary(s: &str, max: usize) -> usize {
    if max >= s.len() {
        return s.len();
    }
    let mut i = max;
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Collapses runs of spaces, tabs and control characters to one space per
/// line, trims every line, keeps at most one blank line between paragraphs,
/// and trims the whole. Soft hyphens are dropped.
pub fn normalize_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_newlines = 0usize;
    for line in s.split('\n') {
        let mut words = line.split(|c: char| c.is_whitespace() || c.is_control()).filter(|w| !w.is_empty()).peekable();
        if words.peek().is_none() {
            pending_newlines += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if pending_newlines > 1 { "\n\n" } else { "\n" });
        }
        pending_newlines = 1;
        let mut first = true;
        for w in words {
            if !first {
                out.push(' ');
            }
            first = false;
            out.extend(w.chars().filter(|&c| c != '\u{AD}'));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hn_comment_becomes_paragraphs_with_decoded_entities() {
        let html = "<p>Worked at Acme Air IT. The rebooking system is a 1998 mainframe &amp; it shows.</p>\
                    <p>See <a href=\"https:&#x2F;&#x2F;example.com&#x2F;post\" rel=\"nofollow\">https:&#x2F;&#x2F;example.com&#x2F;post</a></p>";
        assert_eq!(
            html_to_text(html),
            "Worked at Acme Air IT. The rebooking system is a 1998 mainframe & it shows.\n\nSee https://example.com/post"
        );
    }

    #[test]
    fn unclosed_p_and_br_and_italics() {
        let html = "aren&#x27;t contributing to the <i>scholarship</i>.<p>I&#x27;m not<br>a fan<br/>at all";
        assert_eq!(html_to_text(html), "aren't contributing to the scholarship.\n\nI'm not\na fan\nat all");
    }

    #[test]
    fn named_and_numeric_entities() {
        let s = "&amp; &lt; &gt; &quot; &#x27; &#x2F; &#39; a&nbsp;b &#8212; &#x1F600; &mdash;";
        assert_eq!(decode_entities(s), "& < > \" ' / ' a b — 😀 —");
        assert_eq!(html_to_text("&lt;b&gt;not a tag&lt;/b&gt;"), "<b>not a tag</b>");
    }

    #[test]
    fn invalid_entities_stay_or_become_replacement() {
        assert_eq!(decode_entities("AT&T & co &bogus; &#xZZ; &"), "AT&T & co &bogus; &#xZZ; &");
        assert_eq!(decode_entities("&#0; &#xD800; &#99999999999;"), "\u{FFFD} \u{FFFD} &#99999999999;");
        assert_eq!(decode_entities("&amp"), "&amp");
    }

    #[test]
    fn script_style_and_comments_are_dropped() {
        let html = "a<script type=\"x\">alert('<p>')</script>b<STYLE>p{}</style>c<!-- hidden <p> -->d";
        assert_eq!(html_to_text(html), "abcd");
        assert_eq!(html_to_text("keep<script>never closed <b>x</b>"), "keep");
        assert_eq!(html_to_text("keep<!-- never closed"), "keep");
    }

    #[test]
    fn stray_angle_brackets_are_text() {
        assert_eq!(html_to_text("1 < 2 and 3 > 2"), "1 < 2 and 3 > 2");
        assert_eq!(html_to_text("I <3 Acme Air"), "I <3 Acme Air");
        assert_eq!(html_to_text("a <b c"), "a <b c");
        assert_eq!(html_to_text("x <a href=\"y\">link</a> <"), "x link <");
        assert_eq!(html_to_text("<<b>bold</b>"), "<bold");
    }

    #[test]
    fn quoted_gt_inside_attribute_does_not_end_the_tag() {
        assert_eq!(html_to_text("<a title=\"1 > 0\" href='x'>text</a>"), "text");
        // Unbalanced quote: the first '>' ends the tag instead.
        assert_eq!(html_to_text("<a title=\"oops>text</a>"), "text");
    }

    #[test]
    fn whitespace_and_control_characters_collapse() {
        assert_eq!(html_to_text("  a \t\u{7} b  <p>  <p> <p> c \r\n d "), "a b\n\nc\nd");
        assert_eq!(normalize_whitespace("\n\n x \n\n\n\n y \n"), "x\n\ny");
        assert_eq!(normalize_whitespace("co\u{AD}operate"), "cooperate");
    }

    #[test]
    fn hostile_input_never_panics_and_stays_fast() {
        let cases = [
            "<",
            "&",
            "&#",
            "&#x",
            "<!",
            "<!--",
            "</",
            "<a",
            "<a href=\"",
            "<p><p><p>",
            "é&é<é>é",
            "&#x10FFFF;&#x110000;",
            "<\u{1F600}>",
            "&\u{1F600}\u{1F600}\u{1F600}\u{1F600};",
        ];
        for c in cases {
            let _ = html_to_text(c);
            let _ = decode_entities(c);
        }
        // Quadratic-time traps: many '<' with no '>', many unbalanced quotes.
        let big = "<a ".repeat(40_000)
            + &"&amp".repeat(10_000)
            + &"<a \"x>".repeat(20_000)
            + &"<script></script>".repeat(10_000)
            + &"<a \"".repeat(10_000);
        let start = std::time::Instant::now();
        let _ = html_to_text(&big);
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn x_escapes_are_decoded_exactly_once() {
        assert_eq!(decode_amp_lt_gt("4h &amp; no water &gt;:( &lt;3"), "4h & no water >:( <3");
        assert_eq!(decode_amp_lt_gt("&amp;amp; &amp;quot; &#39; & &am"), "&amp; &quot; &#39; & &am");
        assert!(matches!(decode_amp_lt_gt("nothing to do"), Cow::Borrowed(_)));
        assert_eq!(decode_amp_lt_gt("é&lt;\u{1F600}&gt;"), "é<\u{1F600}>");
    }

    #[test]
    fn multibyte_text_is_kept() {
        assert_eq!(html_to_text("<p>Zürich – 東京 ✈️</p>"), "Zürich – 東京 ✈️");
    }
}
