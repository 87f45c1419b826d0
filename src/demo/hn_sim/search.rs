//! The simulated index's search: parses `search_by_date` parameters the way
//! Algolia reads them (platform-apis.md §4.2) and builds the answer envelope
//! (§4.3). Pure: no I/O, no clock. Tested in `tests.rs` beside this file.
//!
//! Simplifications, on purpose: a query matches when every one of its words
//! appears (case-insensitive substring) in the title, story text or comment
//! text, which is looser than Algolia's prefix and typo matching but loose in
//! the same direction (the matcher re-checks every post). `numericFilters`
//! supports comma-AND only, not OR groups or the array syntax.

use serde_json::{json, Value};

use super::SimHit;

/// Algolia's default `hitsPerPage`.
const DEFAULT_HITS_PER_PAGE: u64 = 20;
/// Largest `hitsPerPage` and the most hits one query can page through.
const MAX_HITS: u64 = 1000;

/// The answer Algolia gives to a page past the 1000-hit cap.
const CAP_MESSAGE: &str = "you can only fetch the 1000 hits for this query. You can extend the number of hits \
                           returned via the paginationLimitedTo index setting or use the browse method. You can \
                           read our FAQ for more details about browsing: \
                           https://www.algolia.com/doc/faq/index-configuration/how-can-i-retrieve-all-the-records-in-my-index";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumField {
    CreatedAtI,
    Points,
    NumComments,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Lt,
    Le,
    Eq,
    Ge,
    Gt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NumericFilter {
    pub field: NumField,
    pub op: Op,
    pub value: i64,
}

/// The parameters of one `search_by_date` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SearchParams {
    pub query: String,
    /// AND of OR groups: `(story,comment),author_pg` → `[[story, comment], [author_pg]]`.
    pub tags: Vec<Vec<String>>,
    pub numeric: Vec<NumericFilter>,
    pub page: u64,
    pub hits_per_page: u64,
}

impl SearchParams {
    /// Reads a raw query string; `Err` is the message of a 400 answer.
    pub fn parse(raw: &str) -> Result<SearchParams, String> {
        let mut p = SearchParams {
            query: String::new(),
            tags: Vec::new(),
            numeric: Vec::new(),
            page: 0,
            hits_per_page: DEFAULT_HITS_PER_PAGE,
        };
        for (k, v) in url::form_urlencoded::parse(raw.as_bytes()) {
            match k.as_ref() {
                "query" => p.query = v.into_owned(),
                "tags" => p.tags = parse_tags(&v)?,
                "numericFilters" => p.numeric = parse_numeric(&v)?,
                "page" => p.page = v.trim().parse().map_err(|_| format!("invalid page: {v}"))?,
                "hitsPerPage" => {
                    let n: u64 = v.trim().parse().map_err(|_| format!("invalid hitsPerPage: {v}"))?;
                    p.hits_per_page = n.min(MAX_HITS);
                }
                _ => {} // other Algolia parameters are accepted and ignored
            }
        }
        Ok(p)
    }

    fn matches(&self, hit: &SimHit) -> bool {
        let tags = hit.tags();
        let text = hit.searchable().to_lowercase();
        self.query.to_lowercase().split_whitespace().all(|w| text.contains(w))
            && self.tags.iter().all(|group| group.iter().any(|t| tags.contains(t)))
            && self.numeric.iter().all(|f| f.matches(hit))
    }
}

impl NumericFilter {
    fn matches(&self, hit: &SimHit) -> bool {
        let value = match (self.field, &hit.item) {
            (NumField::CreatedAtI, _) => hit.created_at_i,
            (NumField::Points, super::SimItem::Story { points, .. }) => *points as i64,
            (NumField::NumComments, super::SimItem::Story { num_comments, .. }) => *num_comments as i64,
            // Comments have null points / num_comments: no numeric filter holds.
            _ => return false,
        };
        match self.op {
            Op::Lt => value < self.value,
            Op::Le => value <= self.value,
            Op::Eq => value == self.value,
            Op::Ge => value >= self.value,
            Op::Gt => value > self.value,
        }
    }
}

/// `story,(story,comment),author_pg`: commas outside parentheses AND, inside OR.
pub(crate) fn parse_tags(raw: &str) -> Result<Vec<Vec<String>>, String> {
    let mut groups = Vec::new();
    let mut rest = raw.trim();
    while !rest.is_empty() {
        let (group, after) = if let Some(inner) = rest.strip_prefix('(') {
            let close = inner.find(')').ok_or_else(|| format!("invalid tags: unclosed '(' in {raw}"))?;
            let group: Vec<String> = inner[..close].split(',').map(|t| t.trim().to_string()).collect();
            (group, inner[close + 1..].trim_start())
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            (vec![rest[..end].trim().to_string()], &rest[end..])
        };
        if group.iter().any(|t| t.is_empty() || t.contains(['(', ')'])) {
            return Err(format!("invalid tags: {raw}"));
        }
        groups.push(group);
        rest = match after.strip_prefix(',') {
            Some(r) => r.trim_start(),
            None if after.is_empty() => after,
            None => return Err(format!("invalid tags: expected ',' in {raw}")),
        };
    }
    Ok(groups)
}

/// `created_at_i>1777630000,created_at_i<1777640000`: comma = AND.
pub(crate) fn parse_numeric(raw: &str) -> Result<Vec<NumericFilter>, String> {
    raw.split(',').filter(|c| !c.trim().is_empty()).map(parse_condition).collect()
}

fn parse_condition(cond: &str) -> Result<NumericFilter, String> {
    let bad = || format!("invalid numericFilters condition: {cond}");
    let at = cond.find(['<', '>', '=', '!']).ok_or_else(bad)?;
    let (field, rest) = cond.split_at(at);
    let (op, value) = [(">=", Op::Ge), ("<=", Op::Le), (">", Op::Gt), ("<", Op::Lt), ("=", Op::Eq)]
        .iter()
        .find_map(|(s, op)| rest.strip_prefix(s).map(|v| (*op, v)))
        .ok_or_else(bad)?;
    let field = match field.trim() {
        "created_at_i" => NumField::CreatedAtI,
        "points" => NumField::Points,
        "num_comments" => NumField::NumComments,
        other => return Err(format!("unknown numeric attribute: {other}")),
    };
    let value = value.trim().parse::<i64>().map_err(|_| bad())?;
    Ok(NumericFilter { field, op, value })
}

/// The JSON answer for `params` over `corpus`: matching hits newest first,
/// paged, with Algolia's envelope; past the cap, the cap answer.
pub(crate) fn answer(corpus: &[SimHit], params: &SearchParams, raw_query: &str) -> Value {
    let mut matched: Vec<&SimHit> = corpus.iter().filter(|h| params.matches(h)).collect();
    matched.sort_by(|a, b| b.created_at_i.cmp(&a.created_at_i).then_with(|| b.object_id.cmp(&a.object_id)));
    let hpp = params.hits_per_page;
    let reachable = (matched.len() as u64).min(MAX_HITS);
    let nb_pages = if hpp == 0 { 0 } else { reachable.div_ceil(hpp) };
    let start = params.page.saturating_mul(hpp);
    let mut body = json!({
        "hits": [],
        "nbHits": matched.len(),
        "page": params.page,
        "nbPages": nb_pages,
        "hitsPerPage": hpp,
        "exhaustiveNbHits": true,
        "exhaustiveTypo": true,
        "exhaustive": {"nbHits": true, "typo": true},
        "query": params.query,
        "params": format!("{raw_query}&advancedSyntax=true&analyticsTags=backend"),
        "processingTimeMS": 1,
        "serverTimeMS": 2,
    });
    if hpp > 0 && start >= MAX_HITS {
        body["nbHits"] = json!(0);
        body["message"] = json!(CAP_MESSAGE);
        return body;
    }
    let words: Vec<String> = params.query.to_lowercase().split_whitespace().map(String::from).collect();
    let end = start.saturating_add(hpp).min(reachable);
    let hits: Vec<Value> = matched
        .iter()
        .skip(start as usize)
        .take(end.saturating_sub(start) as usize)
        .map(|h| with_highlight(h, &words))
        .collect();
    body["hits"] = Value::Array(hits);
    body
}

/// The hit plus a simplified `_highlightResult` (values without `<em>`).
fn with_highlight(hit: &SimHit, words: &[String]) -> Value {
    let mut wire = hit.to_wire();
    let mut highlight = serde_json::Map::new();
    for field in ["title", "story_text", "comment_text", "author", "url", "story_title"] {
        let Some(value) = wire.get(field).and_then(Value::as_str) else {
            continue;
        };
        let lower = value.to_lowercase();
        let matched: Vec<&String> = words.iter().filter(|w| lower.contains(w.as_str())).collect();
        let level = match matched.len() {
            0 => "none",
            n if n == words.len() => "full",
            _ => "partial",
        };
        highlight.insert(field.into(), json!({"value": value, "matchLevel": level, "matchedWords": matched}));
    }
    wire["_highlightResult"] = Value::Object(highlight);
    wire
}
